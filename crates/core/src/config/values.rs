//! The values settings take: durations written for people, secrets never printed, where email
//! goes, and the remote services' settings.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::DEFAULT_LLM_BASE_URL;
use crate::domain::{mask_user_info, ServiceUrl};
use crate::error::{Error, ErrorCode, Result};

/// Where chat answers come from.
#[derive(Debug, Clone)]
pub struct ChatSettings {
    /// The retrieval API, if any.
    pub retrieval_url: Option<ServiceUrl>,
    /// Its bearer token.
    pub retrieval_api_key: Option<SecretSetting>,
    /// Whether a failed retrieval fails the answer.
    pub retrieval_required: bool,
    /// The OpenAI-compatible API base, without a trailing slash.
    pub llm_base_url: ServiceUrl,
    /// The default model.
    pub llm_model: String,
    /// The LLM's API key.
    pub llm_api_key: Option<SecretSetting>,
    /// Whether an LLM was configured (a key, or a base URL of one's own).
    pub llm_configured: bool,
    /// Connection timeout for remote calls.
    pub connect_timeout: Duration,
    /// Timeout for the first token, and between tokens.
    pub first_token_timeout: Duration,
}

impl Default for ChatSettings {
    fn default() -> Self {
        Self {
            retrieval_url: None,
            retrieval_api_key: None,
            retrieval_required: true,
            llm_base_url: ServiceUrl::parse("the default LLM URL", DEFAULT_LLM_BASE_URL)
                .expect("the default LLM URL is valid"),
            llm_model: "openai/gpt-4o-mini".to_owned(),
            llm_api_key: None,
            llm_configured: false,
            connect_timeout: Duration::from_secs(5),
            first_token_timeout: Duration::from_secs(60),
        }
    }
}

/// A secret setting (an API key): never printed, never logged.
#[derive(Clone)]
pub struct SecretSetting(std::sync::Arc<SecretString>);

impl SecretSetting {
    /// The secret itself, for the request that needs it.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for SecretSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretSetting([REDACTED])")
    }
}

impl FromStr for SecretSetting {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("an empty key".to_owned());
        }
        Ok(Self(std::sync::Arc::new(SecretString::from(raw))))
    }
}

impl<'de> Deserialize<'de> for SecretSetting {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Where Docent's email goes.
#[derive(Debug, Clone)]
pub enum MailSettings {
    /// Email is not configured: the email features answer `email_not_configured`.
    Off,
    /// Sent through an SMTP server.
    Smtp {
        /// The server, with credentials.
        url: SmtpUrl,
        /// The sender.
        from: String,
    },
    /// Written as .eml files into a folder (development).
    File {
        /// The folder.
        dir: PathBuf,
        /// The sender.
        from: String,
    },
}

/// Which mail transport to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransportKind {
    /// SMTP (`DOCENT_SMTP_URL`).
    Smtp,
    /// .eml files in the data dir.
    File,
}

impl FromStr for MailTransportKind {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "smtp" => Ok(Self::Smtp),
            "file" => Ok(Self::File),
            other => Err(format!(
                "{other:?} is not a mail transport; use smtp or file"
            )),
        }
    }
}

/// An SMTP URL; it may carry a password, so it is kept secret and never printed.
#[derive(Clone)]
pub struct SmtpUrl(std::sync::Arc<SecretString>);

impl SmtpUrl {
    /// The URL itself, for the transport.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SmtpUrl([REDACTED])")
    }
}

/// Kept as given and checked by [`SmtpUrl::check`] when the settings are resolved: a value the
/// command-line parser refused would be repeated, password and all, in its error.
impl FromStr for SmtpUrl {
    type Err = std::convert::Infallible;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Ok(Self(std::sync::Arc::new(SecretString::from(raw.trim()))))
    }
}

impl SmtpUrl {
    /// Refuses what cannot be an SMTP URL, saying so without repeating its user-info.
    pub(super) fn check(&self) -> Result<()> {
        let raw = self.expose_secret();
        let host = raw
            .strip_prefix("smtp://")
            .or_else(|| raw.strip_prefix("smtps://"))
            .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default())
            .map(|authority| authority.rsplit('@').next().unwrap_or_default());
        match host {
            Some(host) if !host.is_empty() && !raw.contains(char::is_whitespace) => Ok(()),
            _ => Err(Error::Config {
                code: ErrorCode::InvalidSetting,
                message: format!(
                    "DOCENT_SMTP_URL {:?} is not an SMTP URL; write it like smtp://user:pass@host:587?tls=required, smtps://user:pass@host:465 or smtp://127.0.0.1:2525.",
                    mask_user_info(raw)
                ),
            }),
        }
    }
}

impl<'de> Deserialize<'de> for SmtpUrl {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A duration written for people: `7d`, `24h`, `15m`, `90s`, or a bare number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl FromStr for HumanDuration {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        let parsed = match raw.parse::<u64>() {
            Ok(secs) => Duration::from_secs(secs),
            Err(_) => humantime::parse_duration(raw).map_err(|err| {
                format!("{raw:?} is not a duration ({err}); write it like 7d, 24h, 15m or 90s")
            })?,
        };
        if parsed.is_zero() {
            return Err(format!("{raw:?} is zero; a duration must be positive"));
        }
        Ok(Self(parsed))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Seconds(secs) => secs.to_string().parse(),
            Raw::Text(text) => text.parse(),
        }
        .map_err(serde::de::Error::custom)
    }
}
