use std::fmt;

use crate::error::{Error, ErrorCode, Result};

/// An email address: trimmed, lower-cased, one `@`, a plausible local part, valid domain
/// labels, at most 254 characters.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email {
    address: String,
    at: usize,
}

/// Characters RFC 5322 allows unquoted in a local part ("atext"), besides letters and digits.
const LOCAL_PUNCTUATION: &str = "!#$%&'*+-/=?^_`{|}~.";

impl Email {
    /// Parses what a person typed.
    pub fn parse(raw: &str) -> Result<Self> {
        let address = raw.trim().to_lowercase();
        let fail = |why: &str| {
            Error::invalid(
                ErrorCode::InvalidEmail,
                format!("That is not a valid email address: {why}."),
            )
        };
        if address.is_empty() {
            return Err(fail("it is empty"));
        }
        if address.chars().count() > 254 {
            return Err(fail("it is longer than 254 characters"));
        }
        let mut parts = address.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(fail("it must contain exactly one @"));
        };
        if local.is_empty() || local.len() > 64 {
            return Err(fail("the part before the @ must be 1 to 64 characters"));
        }
        if !local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || LOCAL_PUNCTUATION.contains(c))
        {
            return Err(fail(
                "the part before the @ has a character that is not allowed",
            ));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(fail(
                "dots in the part before the @ cannot lead, trail or repeat",
            ));
        }
        check_domain(domain).map_err(|why| fail(&why))?;
        let at = local.len();
        Ok(Self { address, at })
    }

    /// The whole address, lower-case.
    pub fn as_str(&self) -> &str {
        &self.address
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        &self.address[..self.at]
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        &self.address[self.at + 1..]
    }
}

fn check_domain(domain: &str) -> Result<(), String> {
    if domain.is_empty() {
        return Err("the domain after the @ is missing".into());
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err("the domain must have at least two parts, like example.com".into());
    }
    for label in &labels {
        if label.is_empty() || label.len() > 63 {
            return Err("each part of the domain must be 1 to 63 characters".into());
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!(
                "the domain part {label:?} may only hold letters, digits and hyphens"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "the domain part {label:?} cannot start or end with a hyphen"
            ));
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err("the domain cannot end in a number".into());
    }
    Ok(())
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_lowercases() {
        let email = Email::parse("  Ada.Lovelace@Example.COM \n").unwrap();
        assert_eq!(email.as_str(), "ada.lovelace@example.com");
        assert_eq!(email.local_part(), "ada.lovelace");
        assert_eq!(email.domain(), "example.com");
    }

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in [
            "a@b.co",
            "first+tag@sub.example.org",
            "o'brien@example.ie",
            "x@xn--bcher-kva.example",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_with_a_reason() {
        for (bad, why) in [
            ("", "empty"),
            ("no-at.example.com", "exactly one @"),
            ("a@b@example.com", "exactly one @"),
            ("@example.com", "1 to 64"),
            ("a@", "missing"),
            ("a@localhost", "two parts"),
            ("a@exa_mple.com", "letters, digits and hyphens"),
            ("a@-example.com", "hyphen"),
            ("a@example..com", "1 to 63"),
            ("a b@example.com", "not allowed"),
            (".a@example.com", "dots"),
            ("a@127.0.0.1", "number"),
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_email");
            assert!(err.to_string().contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn enforces_the_254_character_limit() {
        let label = "a".repeat(60);
        let domain = format!("{label}.{label}.{label}.{label}.com");
        let ok = format!("{}@{domain}", "b".repeat(254 - domain.len() - 1));
        assert_eq!(ok.len(), 254);
        assert!(Email::parse(&ok).is_ok());
        let too_long = format!("b{ok}");
        assert!(Email::parse(&too_long)
            .unwrap_err()
            .to_string()
            .contains("254"));
    }
}
