//! One layer of settings: flags and `DOCENT_*` variables (with the `cli` feature, from this one
//! definition), or `docent.toml`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::values::{HumanDuration, MailTransportKind, SecretSetting, SmtpUrl};
use super::SETTINGS_FILE as SETTINGS_FILE_NAME;
use crate::domain::DomainList;
use crate::error::{Error, ErrorCode, Result};

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

    /// PostgreSQL for several docent-server instances on one database,
    /// e.g. postgres://docent:secret@db.example:5432/docent (the desktop app keeps SQLite)
    /// [default: SQLite, docent.sqlite3 in the data dir]
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "DOCENT_DATABASE_URL",
            value_name = "URL",
            hide_env_values = true
        )
    )]
    pub database_url: Option<SecretSetting>,

    /// The URL people reach this server at, used in emailed links and to accept the
    /// browser's `Origin` [default: the local server's own address, http://<addr>]
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

    /// The largest document accepted, in bytes [default: 100000000]
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_MAX_DOCUMENT_BYTES", value_name = "BYTES")
    )]
    pub max_document_bytes: Option<u64>,

    /// How long reading one document may take before it fails [default: 10m]
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "DOCENT_EXTRACT_TIMEOUT", value_name = "DURATION")
    )]
    pub extract_timeout: Option<HumanDuration>,
}

/// The keys of `docent.toml` that the faces read for themselves: docent-server's address and
/// web UI folder, and the log filter of both faces. The file is shared by every face that
/// opens the data dir, so the core accepts them and leaves them alone.
pub const FACE_KEYS: &[&str] = &["addr", "ui_dir", "log"];

/// `docent.toml` as read from a data dir: the core's layer, and the faces' own keys.
#[derive(Debug, Default, Clone)]
pub struct SettingsFile {
    core: SettingsLayer,
    faces: toml::Table,
}

impl SettingsFile {
    /// Reads `path`; a missing file is an empty one. A key neither the core nor a face knows
    /// is an error that names it.
    pub fn read(path: &Path) -> Result<Self> {
        let invalid = |message: String| Error::Config {
            code: ErrorCode::InvalidSetting,
            message,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(err) => {
                return Err(invalid(format!(
                    "Docent could not read {}: {err}.",
                    path.display()
                )))
            }
        };
        let not_valid = |err: toml::de::Error| {
            invalid(format!(
                "{} is not valid: {}",
                path.display(),
                err.message()
            ))
        };
        let mut table: toml::Table = toml::from_str(&text).map_err(not_valid)?;
        let mut faces = toml::Table::new();
        for key in FACE_KEYS {
            if let Some(value) = table.remove(*key) {
                faces.insert((*key).to_owned(), value);
            }
        }
        let core: SettingsLayer = table.try_into().map_err(not_valid)?;
        if core.data_dir.is_some() {
            return Err(invalid(format!(
                "{} cannot set data_dir (it lives in the data dir); use --data-dir or DOCENT_DATA_DIR.",
                path.display()
            )));
        }
        Ok(Self { core, faces })
    }

    /// The core's layer.
    pub fn core(&self) -> &SettingsLayer {
        &self.core
    }

    /// A face's own layer, read from its keys (see [`FACE_KEYS`]); other keys are ignored.
    pub fn face<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        self.faces
            .clone()
            .try_into()
            .map_err(|err: toml::de::Error| Error::Config {
                code: ErrorCode::InvalidSetting,
                message: format!("{SETTINGS_FILE_NAME} is not valid: {}", err.message()),
            })
    }
}

impl SettingsLayer {
    /// This layer, with unset fields taken from `lower`.
    pub fn or(self, lower: Self) -> Self {
        Self {
            data_dir: self.data_dir.or(lower.data_dir),
            database_url: self.database_url.or(lower.database_url),
            public_url: self.public_url.or(lower.public_url),
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
            max_document_bytes: self.max_document_bytes.or(lower.max_document_bytes),
            extract_timeout: self.extract_timeout.or(lower.extract_timeout),
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
