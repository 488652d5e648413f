//! Settings, layered: command-line flags, then `DOCENT_*` environment variables, then
//! `docent.toml` in the data dir, then defaults.
//!
//! [`SettingsLayer`] is one layer (every field optional); with the `cli` feature it is also
//! the command line, so flags, variables and `--help` come from this one definition.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::domain::{mask_user_info, DomainList, DomainRules, ServiceUrl};
use crate::error::{Error, ErrorCode, Result};

/// The identifier under which Docent keeps its data (the same as the desktop app's bundle
/// identifier, so the desktop app and the server find the same data dir by default).
pub const APP_IDENTIFIER: &str = "dev.docent.desktop";

/// The settings file looked for in the data dir.
pub const SETTINGS_FILE: &str = "docent.toml";

/// The LLM used when none is named: OpenRouter's OpenAI-compatible API.
pub const DEFAULT_LLM_BASE_URL: &str = "https://openrouter.ai/api/v1";

/// One layer of settings; unset fields fall through to the next layer.
#[derive(Debug, Default, Clone, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default, deny_unknown_fields)]
pub struct SettingsLayer {
    /// Where Docent keeps its database and `docent.toml` [default: the OS's app-data dir]
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_DATA_DIR", value_name = "DIR")
    )]
    pub data_dir: Option<PathBuf>,

    /// Address the local server listens on [default: 127.0.0.1:8787]
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_ADDR", value_name = "HOST:PORT")
    )]
    pub addr: Option<SocketAddr>,

    /// The URL people reach this server at, used in emailed links and to accept the
    /// browser's `Origin` [default: http://<addr>]
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "DOCENT_PUBLIC_URL",
            value_name = "URL",
            hide_env_values = true
        )
    )]
    pub public_url: Option<String>,

    /// Folder of the built web UI served at `/` [default: ./ui/dist, else next to the
    /// executable in ../share/docent/ui]
    #[cfg_attr(feature = "cli", arg(long, env = "DOCENT_UI_DIR", value_name = "DIR"))]
    pub ui_dir: Option<PathBuf>,

    /// Log filter, e.g. `info` or `docent_server=debug` [default: info]
    #[cfg_attr(feature = "cli", arg(long, env = "DOCENT_LOG", value_name = "FILTER"))]
    pub log: Option<String>,

    /// Shortest password accepted for new passwords, in characters (at least 8) [default: 15]
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_PASSWORD_MIN_LENGTH", value_name = "CHARS")
    )]
    pub password_min_length: Option<usize>,

    /// Absolute lifetime of a session, e.g. `7d`, `12h` [default: 7d]
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_SESSION_TTL", value_name = "DURATION")
    )]
    pub session_ttl: Option<HumanDuration>,

    /// A session unused for this long ends, e.g. `24h` [default: 24h]
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_SESSION_IDLE_TIMEOUT", value_name = "DURATION")
    )]
    pub session_idle_timeout: Option<HumanDuration>,

    /// How often expired sessions and tokens are deleted [default: 10m]
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_CLEANUP_INTERVAL", value_name = "DURATION")
    )]
    pub cleanup_interval: Option<HumanDuration>,

    /// SMTP server for email: smtp://user:pass@host:587?tls=required (STARTTLS),
    /// smtps://user:pass@host:465 (TLS), or smtp://127.0.0.1:2525 (a local relay)
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "DOCENT_SMTP_URL",
            value_name = "URL",
            hide_env_values = true
        )
    )]
    pub smtp_url: Option<SmtpUrl>,

    /// Sender of Docent's emails, e.g. "Docent <docent@example.com>" (needed with SMTP)
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_MAIL_FROM", value_name = "ADDRESS")
    )]
    pub mail_from: Option<String>,

    /// `smtp`, or `file` to write .eml files into <data dir>/mail for development [default:
    /// smtp when DOCENT_SMTP_URL is set; otherwise email is off]
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_MAIL_TRANSPORT", value_name = "smtp|file")
    )]
    pub mail_transport: Option<MailTransportKind>,

    /// Lifetime of a password-reset link [default: 1h]
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_RESET_TOKEN_TTL", value_name = "DURATION")
    )]
    pub reset_token_ttl: Option<HumanDuration>,

    /// Lifetime of a sign-in link and code [default: 15m]
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_LOGIN_TOKEN_TTL", value_name = "DURATION")
    )]
    pub login_token_ttl: Option<HumanDuration>,

    /// Lifetime of the link and code that confirm the address of a new password account
    /// [default: 24h]
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_VERIFY_TOKEN_TTL", value_name = "DURATION")
    )]
    pub verify_token_ttl: Option<HumanDuration>,

    /// Only these email domains (and their subdomains) may have accounts, comma-separated
    /// [default: any]
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_ALLOWED_EMAIL_DOMAINS", value_name = "DOMAINS")
    )]
    pub allowed_email_domains: Option<DomainList>,

    /// These email domains (and their subdomains) may not have accounts, comma-separated
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_BLOCKED_EMAIL_DOMAINS", value_name = "DOMAINS")
    )]
    pub blocked_email_domains: Option<DomainList>,

    /// The retrieval API: POST {query, top_k, collection} -> {chunks} (docs/retrieval-api.md)
    /// [default: none: answers come from the LLM alone, without citations]
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "DOCENT_RETRIEVAL_URL",
            value_name = "URL",
            hide_env_values = true
        )
    )]
    pub retrieval_url: Option<String>,

    /// Bearer token for the retrieval API
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "DOCENT_RETRIEVAL_API_KEY",
            value_name = "KEY",
            hide_env_values = true
        )
    )]
    pub retrieval_api_key: Option<SecretSetting>,

    /// Whether an answer fails when retrieval fails (false: answer without documents)
    /// [default: true]
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_RETRIEVAL_REQUIRED", value_name = "true|false")
    )]
    pub retrieval_required: Option<bool>,

    /// OpenAI-compatible API base (OpenRouter, OpenAI, Ollama, vLLM, LM Studio)
    /// [default: https://openrouter.ai/api/v1]
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "DOCENT_LLM_BASE_URL",
            value_name = "URL",
            hide_env_values = true
        )
    )]
    pub llm_base_url: Option<String>,

    /// Model name; a workspace may override it [default: openai/gpt-4o-mini]
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_LLM_MODEL", value_name = "MODEL")
    )]
    pub llm_model: Option<String>,

    /// API key for the LLM (chat is off until this or DOCENT_LLM_BASE_URL is set)
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "DOCENT_LLM_API_KEY",
            value_name = "KEY",
            hide_env_values = true
        )
    )]
    pub llm_api_key: Option<SecretSetting>,

    /// How long to wait to connect to the LLM or retrieval API [default: 5s]
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_LLM_CONNECT_TIMEOUT", value_name = "DURATION")
    )]
    pub llm_connect_timeout: Option<HumanDuration>,

    /// How long to wait for the LLM's first token (and between tokens) [default: 60s]
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_LLM_FIRST_TOKEN_TIMEOUT", value_name = "DURATION")
    )]
    pub llm_first_token_timeout: Option<HumanDuration>,
}

impl SettingsLayer {
    /// Reads a TOML settings file; a missing file is an empty layer.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(err) => {
                return Err(Error::Config {
                    code: ErrorCode::InvalidSetting,
                    message: format!("Docent could not read {}: {err}.", path.display()),
                })
            }
        };
        let layer: Self = toml::from_str(&text).map_err(|err| Error::Config {
            code: ErrorCode::InvalidSetting,
            message: format!("{} is not valid: {}", path.display(), err.message()),
        })?;
        if layer.data_dir.is_some() {
            return Err(Error::Config {
                code: ErrorCode::InvalidSetting,
                message: format!(
                    "{} cannot set data_dir (it lives in the data dir); use --data-dir or DOCENT_DATA_DIR.",
                    path.display()
                ),
            });
        }
        Ok(layer)
    }

    /// This layer, with unset fields taken from `lower`.
    pub fn or(self, lower: Self) -> Self {
        Self {
            data_dir: self.data_dir.or(lower.data_dir),
            addr: self.addr.or(lower.addr),
            public_url: self.public_url.or(lower.public_url),
            ui_dir: self.ui_dir.or(lower.ui_dir),
            log: self.log.or(lower.log),
            password_min_length: self.password_min_length.or(lower.password_min_length),
            session_ttl: self.session_ttl.or(lower.session_ttl),
            session_idle_timeout: self.session_idle_timeout.or(lower.session_idle_timeout),
            cleanup_interval: self.cleanup_interval.or(lower.cleanup_interval),
            smtp_url: self.smtp_url.or(lower.smtp_url),
            mail_from: self.mail_from.or(lower.mail_from),
            mail_transport: self.mail_transport.or(lower.mail_transport),
            reset_token_ttl: self.reset_token_ttl.or(lower.reset_token_ttl),
            login_token_ttl: self.login_token_ttl.or(lower.login_token_ttl),
            verify_token_ttl: self.verify_token_ttl.or(lower.verify_token_ttl),
            allowed_email_domains: self.allowed_email_domains.or(lower.allowed_email_domains),
            blocked_email_domains: self.blocked_email_domains.or(lower.blocked_email_domains),
            retrieval_url: self.retrieval_url.or(lower.retrieval_url),
            retrieval_api_key: self.retrieval_api_key.or(lower.retrieval_api_key),
            retrieval_required: self.retrieval_required.or(lower.retrieval_required),
            llm_base_url: self.llm_base_url.or(lower.llm_base_url),
            llm_model: self.llm_model.or(lower.llm_model),
            llm_api_key: self.llm_api_key.or(lower.llm_api_key),
            llm_connect_timeout: self.llm_connect_timeout.or(lower.llm_connect_timeout),
            llm_first_token_timeout: self
                .llm_first_token_timeout
                .or(lower.llm_first_token_timeout),
        }
    }

    /// The layer given by `DOCENT_*` environment variables alone (for the desktop app,
    /// whose command line carries deep links, not settings).
    #[cfg(feature = "cli")]
    pub fn from_env() -> Result<Self> {
        use clap::Parser;
        #[derive(Parser)]
        struct EnvOnly {
            #[command(flatten)]
            layer: SettingsLayer,
        }
        EnvOnly::try_parse_from(["docent"])
            .map(|parsed| parsed.layer)
            .map_err(|err| Error::Config {
                code: ErrorCode::InvalidSetting,
                message: err.to_string(),
            })
    }
}

/// Resolved settings: every value decided.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the database and settings file live.
    pub data_dir: PathBuf,
    /// Address the local server listens on.
    pub addr: SocketAddr,
    /// Public URL of the server, without a trailing slash; `None` means `http://<addr>`.
    pub public_url: Option<String>,
    /// Folder of the built web UI, if set.
    pub ui_dir: Option<PathBuf>,
    /// Log filter.
    pub log: String,
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
}

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
    fn check(&self) -> Result<()> {
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

impl Settings {
    /// Defaults for a data dir; what tests and embedders start from.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 8787)),
            public_url: None,
            ui_dir: None,
            log: "info".to_owned(),
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
        }
    }

    /// Resolves `overrides` (flags and environment) over the data dir's `docent.toml` and the
    /// defaults.
    pub fn resolve(overrides: SettingsLayer) -> Result<Self> {
        let data_dir = match overrides.data_dir.clone() {
            Some(dir) => dir,
            None => default_data_dir()?,
        };
        let file = SettingsLayer::from_file(&data_dir.join(SETTINGS_FILE))?;
        let layer = overrides.or(file);
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
            addr: layer.addr.unwrap_or(defaults.addr),
            public_url,
            ui_dir: layer.ui_dir,
            log: layer.log.unwrap_or(defaults.log),
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
            data_dir: defaults.data_dir,
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

    /// The base of links in emails: the public URL, else `http://<addr>`.
    pub fn public_base_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.addr))
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

/// Keeps the remote services' URLs and model in `path` (`docent.toml`), for the next start,
/// leaving its other settings as they were. Keys are never written here; when the person set
/// or removed the LLM key in the app (`key_changed`), a key written in the file by hand is
/// removed too, so it cannot come back at the next start.
pub(crate) fn save_remote_settings(
    path: &Path,
    chat: &ChatSettings,
    key_changed: bool,
) -> Result<()> {
    let cannot = |err: &dyn fmt::Display| Error::Config {
        code: ErrorCode::SettingsNotSaved,
        message: format!(
            "Docent could not save its settings to {}: {err}.",
            path.display()
        ),
    };
    let mut table = match std::fs::read_to_string(path) {
        Ok(text) => text.parse::<toml::Table>().map_err(|err| cannot(&err))?,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => toml::Table::new(),
        Err(err) => return Err(cannot(&err)),
    };
    table.insert("llm_base_url".into(), chat.llm_base_url.expose().into());
    table.insert("llm_model".into(), chat.llm_model.clone().into());
    match &chat.retrieval_url {
        Some(url) => table.insert("retrieval_url".into(), url.expose().into()),
        None => table.remove("retrieval_url"),
    };
    if key_changed {
        table.remove("llm_api_key");
    }
    let text = toml::to_string(&table).map_err(|err| cannot(&err))?;
    // Written beside and renamed over, so a crash never leaves half a file.
    let partial = path.with_extension("toml.partial");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let write = || -> std::io::Result<()> {
        use std::io::Write as _;
        let mut file = options.open(&partial)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&partial, path)
    };
    write().map_err(|err| cannot(&err))
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
        let settings = Settings::resolve(flags).unwrap();
        assert_eq!(settings.password_min_length, 16, "flag beats file");
        assert_eq!(
            settings.session_ttl,
            Duration::from_secs(2 * 86_400),
            "file beats default"
        );
        assert_eq!(settings.addr.port(), 9000);
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
