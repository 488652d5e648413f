use std::fmt;

use crate::error::{Error, ErrorCode, Result};

/// The address of a remote service (the LLM's API base, the retrieval API): `http://` or
/// `https://`, without a trailing slash. It may carry credentials (`https://user:pass@host`),
/// so it is shown, logged and answered only with its user-info masked; [`ServiceUrl::expose`]
/// gives the whole URL to the request that needs it.
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceUrl(String);

/// What stands in for a URL's user name and password wherever it is shown.
const MASK: &str = "***";

impl ServiceUrl {
    /// Parses `raw` for the setting named `setting` (for the error's sentence, which never
    /// repeats the URL's user-info).
    pub fn parse(setting: &str, raw: &str) -> Result<Self> {
        let url = raw.trim().trim_end_matches('/');
        let authority = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))
            .map(|rest| authority_of(rest).rsplit('@').next().unwrap_or_default());
        match authority {
            Some(host) if !host.is_empty() && !url.contains(char::is_whitespace) => {
                Ok(Self(url.to_owned()))
            }
            _ => Err(Error::Config {
                code: ErrorCode::InvalidSetting,
                message: format!(
                    "{setting} must be an http:// or https:// URL; it is {:?}.",
                    mask_user_info(raw.trim())
                ),
            }),
        }
    }

    /// The whole URL, credentials included, for the request that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL as people may see it: user name and password replaced by `***`.
    pub fn masked(&self) -> String {
        mask_user_info(&self.0)
    }

    /// Whether `shown` is this URL as [`ServiceUrl::masked`] shows it (a form sent back
    /// unchanged must not replace the credentials with the mask).
    pub fn is_shown_as(&self, shown: &str) -> bool {
        self.masked() == shown.trim().trim_end_matches('/') && self.masked() != self.0
    }
}

impl fmt::Display for ServiceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for ServiceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServiceUrl({:?})", self.masked())
    }
}

/// `host[:port]` and any user-info: what follows the scheme up to the path, query or fragment.
fn authority_of(after_scheme: &str) -> &str {
    after_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
}

/// `raw` with whatever stands before the `@` of its authority replaced by `***`; any string,
/// valid URL or not, so that an error about a malformed URL cannot repeat its password either.
pub fn mask_user_info(raw: &str) -> String {
    let (scheme, rest) = match raw.find("://") {
        Some(at) => raw.split_at(at + 3),
        None => ("", raw),
    };
    let authority = authority_of(rest);
    match authority.rfind('@') {
        Some(at) => format!("{scheme}{MASK}{}", &rest[at..]),
        None => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_kept_for_requests_and_masked_everywhere_else() {
        let url = ServiceUrl::parse("X", " https://ada:s3cret@llm.example/v1/ ").unwrap();
        assert_eq!(url.expose(), "https://ada:s3cret@llm.example/v1");
        assert_eq!(url.masked(), "https://***@llm.example/v1");
        assert_eq!(url.to_string(), url.masked());
        assert!(!format!("{url:?}").contains("s3cret"));
        assert!(url.is_shown_as("https://***@llm.example/v1/"));
        let plain = ServiceUrl::parse("X", "http://127.0.0.1:11434/v1").unwrap();
        assert_eq!(plain.masked(), plain.expose());
        assert!(!plain.is_shown_as("http://127.0.0.1:11434/v1"));
    }

    #[test]
    fn bad_urls_are_refused_without_repeating_their_password() {
        for raw in [
            "ftp://u:hunter2@x",
            "http://u:hunter2@",
            "hunter2@x y",
            "http://a b",
        ] {
            let err = ServiceUrl::parse("DOCENT_LLM_BASE_URL", raw).unwrap_err();
            assert_eq!(err.code(), "invalid_setting");
            assert!(!err.to_string().contains("hunter2"), "{err}");
            assert!(err.to_string().contains("DOCENT_LLM_BASE_URL"), "{err}");
        }
        assert_eq!(
            mask_user_info("smtp://u:p@h:25?tls=x"),
            "smtp://***@h:25?tls=x"
        );
        assert_eq!(mask_user_info("no-at/here@path"), "no-at/here@path");
    }
}
