use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use super::Email;
use crate::error::{Error, ErrorCode, Result};

/// A list of email domains, as configured: comma-separated in a variable, or a TOML array.
/// Lower-cased, a trailing dot dropped; each entry also covers its subdomains.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainList(Vec<String>);

impl DomainList {
    /// Whether `domain` is one of the list or below one of them.
    pub fn covers(&self, domain: &str) -> bool {
        let domain = normalise(domain);
        self.0.iter().any(|entry| {
            domain == *entry
                || domain
                    .strip_suffix(entry.as_str())
                    .is_some_and(|prefix| prefix.ends_with('.'))
        })
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn normalise(domain: &str) -> String {
    domain.trim().trim_end_matches('.').to_lowercase()
}

impl FromStr for DomainList {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let entries: Vec<String> = raw
            .split(',')
            .map(normalise)
            .filter(|entry| !entry.is_empty())
            .collect();
        for entry in &entries {
            if entry.contains(['@', ' ', '/']) {
                return Err(format!(
                    "{entry:?} is not a domain; list domains like example.com, separated by commas"
                ));
            }
        }
        Ok(Self(entries))
    }
}

impl fmt::Display for DomainList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(","))
    }
}

impl<'de> Deserialize<'de> for DomainList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            List(Vec<String>),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Text(text) => text.parse(),
            Raw::List(list) => list.join(",").parse(),
        }
        .map_err(serde::de::Error::custom)
    }
}

/// Which email domains may have accounts: when `allowed` is not empty, only those; never the
/// `blocked` ones.
#[derive(Debug, Clone, Default)]
pub struct DomainRules {
    /// Domains allowed (empty: all).
    pub allowed: DomainList,
    /// Domains refused, whatever `allowed` says.
    pub blocked: DomainList,
}

impl DomainRules {
    /// Whether accounts of `domain` may be used here.
    pub fn allows(&self, domain: &str) -> bool {
        !self.blocked.covers(domain) && (self.allowed.is_empty() || self.allowed.covers(domain))
    }

    /// Refuses an email whose domain is not allowed here.
    pub fn check(&self, email: &Email) -> Result<()> {
        let domain = email.domain();
        if !self.allows(domain) {
            return Err(Error::Forbidden {
                code: ErrorCode::DomainNotAllowed,
                message: format!(
                    "Accounts with {domain} email addresses are not allowed here. Use your organisation's email address."
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(allowed: &str, blocked: &str) -> DomainRules {
        DomainRules {
            allowed: allowed.parse().unwrap(),
            blocked: blocked.parse().unwrap(),
        }
    }

    fn allowed(rules: &DomainRules, email: &str) -> bool {
        rules.check(&Email::parse(email).unwrap()).is_ok()
    }

    #[test]
    fn no_lists_allow_everyone() {
        assert!(allowed(&DomainRules::default(), "a@anything.example"));
    }

    #[test]
    fn allowed_lists_cover_subdomains_case_and_trailing_dots() {
        let rules = rules(" Example.COM. , uni.edu", "");
        assert!(allowed(&rules, "a@example.com"));
        assert!(allowed(&rules, "a@mail.example.com"));
        assert!(allowed(&rules, "a@cs.uni.edu"));
        assert!(
            !allowed(&rules, "a@notexample.com"),
            "a suffix is not a subdomain"
        );
        assert!(!allowed(&rules, "a@example.org"));
    }

    #[test]
    fn blocked_wins() {
        let rules = rules("example.com", "guests.example.com");
        assert!(allowed(&rules, "a@example.com"));
        assert!(!allowed(&rules, "a@guests.example.com"));
        assert!(!allowed(&rules, "a@x.guests.example.com"));
        let err = rules
            .check(&Email::parse("a@guests.example.com").unwrap())
            .unwrap_err();
        assert_eq!(err.code(), "domain_not_allowed");
    }

    #[test]
    fn lists_read_from_toml_arrays_too() {
        let list: DomainList = toml::from_str::<toml::Value>("d = [\"A.example\", \"b.example.\"]")
            .unwrap()["d"]
            .clone()
            .try_into()
            .unwrap();
        assert_eq!(list.to_string(), "a.example,b.example");
        assert!("not a domain@x".parse::<DomainList>().is_err());
    }
}
