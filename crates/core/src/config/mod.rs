//! Settings, layered: command-line flags, then `DOCENT_*` environment variables, then
//! `docent.toml` in the data dir, then defaults.
//!
//! [`SettingsLayer`] is one layer (every field optional); with the `cli` feature it is also
//! the command line, so flags, variables and `--help` come from this one definition.

mod file;
mod layer;
mod values;

use std::path::PathBuf;
use std::time::Duration;

use crate::documents::DocumentSettings;
use crate::domain::{mask_user_info, DomainRules, ServiceUrl};
use crate::error::{Error, ErrorCode, Result};
pub(crate) use file::save_remote_settings;
pub use layer::{SettingsFile, SettingsLayer, FACE_KEYS};
pub use values::{
    ChatSettings, HumanDuration, MailSettings, MailTransportKind, SecretSetting, SmtpUrl,
};

/// The identifier under which Docent keeps its data (the same as the desktop app's bundle
/// identifier, so the desktop app and the server find the same data dir by default).
pub const APP_IDENTIFIER: &str = "dev.docent.desktop";

/// The settings file looked for in the data dir.
pub const SETTINGS_FILE: &str = "docent.toml";

/// Where docent-server listens when no address is given; emailed links point there when no
/// public URL is set.
pub const DEFAULT_SERVER_ADDR: &str = "127.0.0.1:8787";

/// The LLM used when none is named: OpenRouter's OpenAI-compatible API.
pub const DEFAULT_LLM_BASE_URL: &str = "https://openrouter.ai/api/v1";

/// Resolved settings: every value decided.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the database and settings file live (and documents' files, also with PostgreSQL:
    /// instances sharing a database share this directory).
    pub data_dir: PathBuf,
    /// A PostgreSQL database to use instead of the data dir's SQLite file.
    pub database_url: Option<SecretSetting>,
    /// Public URL of the server, without a trailing slash, when one is set.
    pub public_url: Option<String>,
    /// Where the local server answers when no public URL is set (docent-server sets it to its
    /// own address); emailed links are built from it then.
    pub local_url: String,
    /// Shortest new password, in characters.
    pub password_min_length: usize,
    /// Absolute session lifetime.
    pub session_ttl: Duration,
    /// Idle timeout of a session.
    pub session_idle_timeout: Duration,
    /// Interval of the cleanup task.
    pub cleanup_interval: Duration,
    /// How email leaves, if at all.
    pub mail: MailSettings,
    /// Lifetime of a password-reset link.
    pub reset_token_ttl: Duration,
    /// Lifetime of a sign-in link and code.
    pub login_token_ttl: Duration,
    /// Lifetime of an address-confirmation link and code.
    pub verify_token_ttl: Duration,
    /// Which email domains may have accounts.
    pub email_domains: DomainRules,
    /// Whether sign-in emails also carry a `docent://` link (set by the desktop app).
    pub desktop_links: bool,
    /// The retrieval API and the LLM.
    pub chat: ChatSettings,
    /// How documents are taken and read.
    pub documents: DocumentSettings,
}

impl Settings {
    /// Defaults for a data dir; what tests and embedders start from.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            database_url: None,
            public_url: None,
            local_url: format!("http://{DEFAULT_SERVER_ADDR}"),
            password_min_length: 15,
            session_ttl: Duration::from_secs(7 * 24 * 3600),
            session_idle_timeout: Duration::from_secs(24 * 3600),
            cleanup_interval: Duration::from_secs(600),
            mail: MailSettings::Off,
            reset_token_ttl: Duration::from_secs(3600),
            login_token_ttl: Duration::from_secs(15 * 60),
            verify_token_ttl: Duration::from_secs(24 * 3600),
            email_domains: DomainRules::default(),
            desktop_links: false,
            chat: ChatSettings::default(),
            documents: DocumentSettings::default(),
        }
    }

    /// Resolves `overrides` (flags and environment) over the data dir's `docent.toml` and the
    /// defaults.
    pub fn resolve(overrides: SettingsLayer) -> Result<Self> {
        Self::resolve_with_file(overrides).map(|(settings, _)| settings)
    }

    /// [`Settings::resolve`], and the data dir's `docent.toml` as read, for a face to take
    /// its own keys from ([`SettingsFile::face`]).
    pub fn resolve_with_file(overrides: SettingsLayer) -> Result<(Self, SettingsFile)> {
        let data_dir = match overrides.data_dir.clone() {
            Some(dir) => dir,
            None => default_data_dir()?,
        };
        let file = SettingsFile::read(&data_dir.join(SETTINGS_FILE))?;
        let settings = Self::from_layer(data_dir, overrides.or(file.core().clone()))?;
        Ok((settings, file))
    }

    fn from_layer(data_dir: PathBuf, layer: SettingsLayer) -> Result<Self> {
        let defaults = Self::with_data_dir(data_dir);
        let password_min_length = layer
            .password_min_length
            .unwrap_or(defaults.password_min_length);
        if !(8..=1024).contains(&password_min_length) {
            return Err(Error::Config {
                code: ErrorCode::InvalidSetting,
                message: format!(
                    "DOCENT_PASSWORD_MIN_LENGTH must be between 8 and 1024; it is {password_min_length}."
                ),
            });
        }
        let public_url = layer
            .public_url
            .map(|url| parse_public_url(&url))
            .transpose()?;
        let mail = match (layer.mail_transport, layer.smtp_url) {
            (Some(MailTransportKind::File), _) => MailSettings::File {
                dir: defaults.data_dir.join("mail"),
                from: layer
                    .mail_from
                    .unwrap_or_else(|| "Docent <docent@localhost>".to_owned()),
            },
            (Some(MailTransportKind::Smtp) | None, Some(url)) => MailSettings::Smtp {
                url: {
                    url.check()?;
                    url
                },
                from: layer.mail_from.ok_or_else(|| Error::Config {
                    code: ErrorCode::InvalidSetting,
                    message: "DOCENT_SMTP_URL is set but DOCENT_MAIL_FROM is not; set it to the sender, e.g. \"Docent <docent@example.com>\".".to_owned(),
                })?,
            },
            (Some(MailTransportKind::Smtp), None) => {
                return Err(Error::Config {
                    code: ErrorCode::InvalidSetting,
                    message: "DOCENT_MAIL_TRANSPORT is smtp but DOCENT_SMTP_URL is not set."
                        .to_owned(),
                })
            }
            (None, None) => MailSettings::Off,
        };
        Ok(Self {
            public_url,
            local_url: defaults.local_url,
            password_min_length,
            session_ttl: layer.session_ttl.map_or(defaults.session_ttl, |d| d.0),
            session_idle_timeout: layer
                .session_idle_timeout
                .map_or(defaults.session_idle_timeout, |d| d.0),
            cleanup_interval: layer
                .cleanup_interval
                .map_or(defaults.cleanup_interval, |d| d.0),
            mail,
            reset_token_ttl: layer
                .reset_token_ttl
                .map_or(defaults.reset_token_ttl, |d| d.0),
            login_token_ttl: layer
                .login_token_ttl
                .map_or(defaults.login_token_ttl, |d| d.0),
            verify_token_ttl: layer
                .verify_token_ttl
                .map_or(defaults.verify_token_ttl, |d| d.0),
            email_domains: DomainRules {
                allowed: layer.allowed_email_domains.unwrap_or_default(),
                blocked: layer.blocked_email_domains.unwrap_or_default(),
            },
            desktop_links: false,
            chat: ChatSettings {
                llm_configured: layer.llm_api_key.is_some() || layer.llm_base_url.is_some(),
                retrieval_url: layer
                    .retrieval_url
                    .map(|url| ServiceUrl::parse("DOCENT_RETRIEVAL_URL", &url))
                    .transpose()?,
                retrieval_api_key: layer.retrieval_api_key,
                retrieval_required: layer
                    .retrieval_required
                    .unwrap_or(defaults.chat.retrieval_required),
                llm_base_url: layer
                    .llm_base_url
                    .map(|url| ServiceUrl::parse("DOCENT_LLM_BASE_URL", &url))
                    .transpose()?
                    .unwrap_or(defaults.chat.llm_base_url),
                llm_model: layer.llm_model.unwrap_or(defaults.chat.llm_model),
                llm_api_key: layer.llm_api_key,
                connect_timeout: layer
                    .llm_connect_timeout
                    .map_or(defaults.chat.connect_timeout, |d| d.0),
                first_token_timeout: layer
                    .llm_first_token_timeout
                    .map_or(defaults.chat.first_token_timeout, |d| d.0),
            },
            documents: DocumentSettings {
                max_document_bytes: match layer.max_document_bytes {
                    Some(0) => {
                        return Err(Error::Config {
                            code: ErrorCode::InvalidSetting,
                            message: "DOCENT_MAX_DOCUMENT_BYTES must be more than 0.".to_owned(),
                        })
                    }
                    Some(bytes) => bytes,
                    None => defaults.documents.max_document_bytes,
                },
                extract_timeout: layer
                    .extract_timeout
                    .map_or(defaults.documents.extract_timeout, |d| d.0),
                ..defaults.documents
            },
            data_dir: defaults.data_dir,
            database_url: layer.database_url,
        })
    }

    /// Refuses settings whose rules could not be kept: an allow-list of email domains admits
    /// only proven addresses, and without email no address can be proven.
    pub fn check_enforceable(&self) -> Result<()> {
        if !self.email_domains.allowed.is_empty() && matches!(self.mail, MailSettings::Off) {
            return Err(Error::Config {
                code: ErrorCode::AllowListNeedsEmail,
                message: "DOCENT_ALLOWED_EMAIL_DOMAINS admits only addresses proven by email, and email is not set up, so the list could not be kept. Set DOCENT_SMTP_URL and DOCENT_MAIL_FROM, or remove the list.".to_owned(),
            });
        }
        Ok(())
    }

    /// The base of links in emails: the public URL, else the local server's.
    pub fn public_base_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| self.local_url.clone())
    }

    /// The path of the SQLite database.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("docent.sqlite3")
    }
}

/// The OS's per-user data dir for Docent (`~/.local/share/dev.docent.desktop` on Linux).
pub fn default_data_dir() -> Result<PathBuf> {
    dirs::data_dir()
        .map(|dir| dir.join(APP_IDENTIFIER))
        .ok_or_else(|| Error::Config {
            code: ErrorCode::InvalidSetting,
            message: "The OS has no app-data dir for this user; set DOCENT_DATA_DIR.".to_owned(),
        })
}

fn parse_public_url(raw: &str) -> Result<String> {
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let authority = rest.map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
    match authority {
        Some(host)
            if !host.is_empty() && !host.contains('@') && !url.contains(char::is_whitespace) =>
        {
            Ok(url.to_owned())
        }
        _ => Err(Error::Config {
            code: ErrorCode::InvalidSetting,
            message: format!(
                "DOCENT_PUBLIC_URL must be an http:// or https:// URL without a user name or password, such as https://docent.example.com; it is {:?}.",
                mask_user_info(raw.trim())
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(
            "7d".parse::<HumanDuration>().unwrap().0,
            Duration::from_secs(604_800)
        );
        assert_eq!(
            "24h".parse::<HumanDuration>().unwrap().0,
            Duration::from_secs(86_400)
        );
        assert_eq!(
            "90".parse::<HumanDuration>().unwrap().0,
            Duration::from_secs(90)
        );
        assert!("soon".parse::<HumanDuration>().unwrap_err().contains("7d"));
        assert!("0s".parse::<HumanDuration>().is_err());
    }

    #[test]
    fn upper_layers_win_and_the_file_fills_gaps() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(SETTINGS_FILE),
            "session_ttl = \"2d\"\npassword_min_length = 20\naddr = \"127.0.0.1:9000\"\n",
        )
        .unwrap();
        let flags = SettingsLayer {
            data_dir: Some(dir.path().to_owned()),
            password_min_length: Some(16),
            ..SettingsLayer::default()
        };
        let (settings, file) = Settings::resolve_with_file(flags).unwrap();
        assert_eq!(settings.password_min_length, 16, "flag beats file");
        assert_eq!(
            settings.session_ttl,
            Duration::from_secs(2 * 86_400),
            "file beats default"
        );
        // A face's own key is left to the face.
        #[derive(serde::Deserialize)]
        struct Face {
            addr: std::net::SocketAddr,
        }
        assert_eq!(file.face::<Face>().unwrap().addr.port(), 9000);
        assert_eq!(
            settings.session_idle_timeout,
            Duration::from_secs(86_400),
            "default"
        );
    }

    #[test]
    fn a_bad_file_says_which_file_and_what() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SETTINGS_FILE), "sesion_ttl = \"2d\"\n").unwrap();
        let err = Settings::resolve(SettingsLayer {
            data_dir: Some(dir.path().to_owned()),
            ..SettingsLayer::default()
        })
        .unwrap_err();
        assert_eq!(err.code(), "invalid_setting");
        assert!(err.to_string().contains("sesion_ttl"), "{err}");
    }

    #[test]
    fn public_urls_must_be_http() {
        assert_eq!(
            parse_public_url("https://d.example.com/").unwrap(),
            "https://d.example.com"
        );
        assert!(parse_public_url("ftp://d.example.com").is_err());
    }
}
