//! The remote services as a person sees and changes them in the app: the LLM's URL, model and
//! key, the retrieval API's URL, and whether each can be reached right now (so the UI can
//! disable Send with the reason while offline, and still browse everything stored locally).

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};

use crate::config::{ChatSettings, SecretSetting};
use crate::domain::ServiceUrl;
use crate::error::{Error, ErrorCode, Result};

/// Longest a reachability check waits for one service.
const REACH_TIMEOUT: Duration = Duration::from_secs(3);

/// The remote services' settings, without their secrets: URLs come with their user-info masked.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemoteSettings {
    /// The OpenAI-compatible API base (a user name and password in it show as `***`).
    pub llm_base_url: String,
    /// The default model.
    pub llm_model: String,
    /// Whether an LLM API key is set (the key itself is never shown).
    pub llm_api_key_set: bool,
    /// The retrieval API, if any (a user name and password in it show as `***`).
    pub retrieval_url: Option<String>,
    /// Whether a retrieval API key is set.
    pub retrieval_api_key_set: bool,
}

impl RemoteSettings {
    pub(crate) fn of(settings: &ChatSettings) -> Self {
        Self {
            llm_base_url: settings.llm_base_url.masked(),
            llm_model: settings.llm_model.clone(),
            llm_api_key_set: settings.llm_api_key.is_some(),
            retrieval_url: settings.retrieval_url.as_ref().map(ServiceUrl::masked),
            retrieval_api_key_set: settings.retrieval_api_key.is_some(),
        }
    }
}

/// A change to the remote settings: a field left out stays as it is.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemoteSettingsUpdate {
    /// A new API base (http:// or https://). The URL as shown (user-info masked) keeps the
    /// credentials it stands for.
    #[serde(default)]
    pub llm_base_url: Option<String>,
    /// A new default model.
    #[serde(default)]
    pub llm_model: Option<String>,
    /// A new API key; the empty string removes it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub llm_api_key: Option<SecretString>,
    /// A new retrieval API; `null` or the empty string removes it.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub retrieval_url: Option<Option<String>>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

impl RemoteSettingsUpdate {
    /// `settings` with this change, or why it cannot be made (nothing changes then).
    pub(crate) fn apply_to(&self, settings: &ChatSettings) -> Result<ChatSettings> {
        let mut next = settings.clone();
        if let Some(url) = &self.llm_base_url {
            if !settings.llm_base_url.is_shown_as(url) {
                next.llm_base_url =
                    ServiceUrl::parse("The language model's URL", url).map_err(invalid_url)?;
            }
        }
        if let Some(model) = &self.llm_model {
            let model = model.trim();
            if model.is_empty()
                || model.chars().count() > 200
                || model.contains(char::is_whitespace)
            {
                return Err(Error::invalid(
                    ErrorCode::InvalidSettings,
                    "The model is a name without spaces, such as openai/gpt-4o-mini or llama3.1:8b.",
                ));
            }
            next.llm_model = model.to_owned();
        }
        if let Some(key) = &self.llm_api_key {
            next.llm_api_key = match key.expose_secret().trim() {
                "" => None,
                key => Some(key.parse::<SecretSetting>().map_err(|_| {
                    Error::invalid(ErrorCode::InvalidSettings, "The API key cannot be blank.")
                })?),
            };
        }
        if let Some(url) = &self.retrieval_url {
            next.retrieval_url = match url.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(url) => match &settings.retrieval_url {
                    Some(current) if current.is_shown_as(url) => Some(current.clone()),
                    _ => Some(
                        ServiceUrl::parse("The document search URL", url).map_err(invalid_url)?,
                    ),
                },
            };
        }
        next.llm_configured = settings.llm_configured
            || next.llm_api_key.is_some()
            || next.llm_base_url != settings.llm_base_url;
        if self.llm_api_key.is_some() && next.llm_api_key.is_none() {
            // Without a key, only a server of one's own (Ollama, vLLM...) can answer.
            next.llm_configured = next.llm_base_url != ChatSettings::default().llm_base_url;
        }
        Ok(next)
    }
}

fn invalid_url(err: Error) -> Error {
    let message = err.body().message;
    Error::invalid(ErrorCode::InvalidUrl, message)
}

/// Whether one remote service can be used right now.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemoteStatus {
    /// Whether it is set up at all.
    pub configured: bool,
    /// Whether a connection to it could be opened just now.
    pub reachable: bool,
    /// Why not, as a sentence, when it is not usable.
    pub message: Option<String>,
}

/// Whether the LLM and the retrieval API can be reached.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Connectivity {
    /// The language model.
    pub llm: RemoteStatus,
    /// The document search.
    pub retrieval: RemoteStatus,
}

impl Connectivity {
    /// Opens a connection to each configured service (nothing is sent, nothing is billed).
    pub(crate) async fn check(settings: &ChatSettings) -> Self {
        let llm = async {
            if !settings.llm_configured {
                return RemoteStatus {
                    configured: false,
                    reachable: false,
                    message: Some(
                        "No language model is set up: set its URL, model and key in Settings."
                            .to_owned(),
                    ),
                };
            }
            reach("The language model", &settings.llm_base_url).await
        };
        let retrieval = async {
            match &settings.retrieval_url {
                None => RemoteStatus {
                    configured: false,
                    reachable: false,
                    message: Some(
                        "No document search is set up, so answers come without sources.".to_owned(),
                    ),
                },
                Some(url) => reach("The document search", url).await,
            }
        };
        let (llm, retrieval) = tokio::join!(llm, retrieval);
        Self { llm, retrieval }
    }
}

async fn reach(what: &str, url: &ServiceUrl) -> RemoteStatus {
    let unreachable = |why: String| RemoteStatus {
        configured: true,
        reachable: false,
        message: Some(format!("{what} at {url} cannot be reached ({why}).")),
    };
    let Ok(parsed) = reqwest::Url::parse(url.expose()) else {
        return unreachable("its URL is not valid".to_owned());
    };
    let (Some(host), Some(port)) = (parsed.host_str(), parsed.port_or_known_default()) else {
        return unreachable("its URL has no host".to_owned());
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match tokio::time::timeout(REACH_TIMEOUT, tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => RemoteStatus {
            configured: true,
            reachable: true,
            message: None,
        },
        Ok(Err(err)) if err.kind() == std::io::ErrorKind::ConnectionRefused => {
            unreachable("nothing answers there".to_owned())
        }
        Ok(Err(err)) => unreachable(err.to_string()),
        Err(_) => unreachable(format!("no answer within {} s", REACH_TIMEOUT.as_secs())),
    }
}

/// The settings as the Settings view shows them.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettingsView {
    /// The values.
    #[serde(flatten)]
    pub settings: RemoteSettings,
    /// Whether the person may change them here: in the desktop app, yes; on a server shared by
    /// a team, its operator sets them through `DOCENT_*` variables.
    pub editable: bool,
}

impl SettingsView {
    /// Why a server's settings cannot be changed from the app.
    pub fn read_only_error() -> Error {
        Error::Forbidden {
            code: ErrorCode::SettingsReadOnly,
            message: "These settings are set by whoever runs this Docent server (DOCENT_LLM_BASE_URL, DOCENT_LLM_MODEL, DOCENT_LLM_API_KEY, DOCENT_RETRIEVAL_URL).".to_owned(),
        }
    }
}

/// Where the session is kept between runs.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SessionStorage {
    /// The browser's cookie (the local server).
    Cookie,
    /// The OS keyring (the desktop app).
    Keyring,
    /// Memory only, for this run: the desktop app found no OS keyring.
    Memory,
}

/// What the app shows about its surroundings: the remote services, and where the session is
/// kept.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppStatus {
    /// The remote services.
    #[serde(flatten)]
    pub connectivity: Connectivity,
    /// Where the session is kept.
    pub session_storage: SessionStorage,
    /// The largest file, in bytes, that is taken as a document (larger ones are refused with
    /// `document_too_large`), so a page can say so before it uploads one.
    pub max_document_bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(json: &str) -> RemoteSettingsUpdate {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn left_out_fields_stay_and_null_removes_retrieval() {
        let settings = ChatSettings {
            retrieval_url: Some(ServiceUrl::parse("r", "http://127.0.0.1:9/search").unwrap()),
            ..Default::default()
        };
        let next = update(r#"{"llm_model":"llama3.1:8b"}"#)
            .apply_to(&settings)
            .unwrap();
        assert_eq!(next.retrieval_url, settings.retrieval_url);
        assert_eq!(next.llm_model, "llama3.1:8b");
        let next = update(r#"{"retrieval_url":null}"#)
            .apply_to(&settings)
            .unwrap();
        assert_eq!(next.retrieval_url, None);
        let next = update(r#"{"retrieval_url":""}"#)
            .apply_to(&settings)
            .unwrap();
        assert_eq!(next.retrieval_url, None);
    }

    #[test]
    fn a_key_or_an_own_server_configures_the_llm_and_removing_the_key_unconfigures_it() {
        let settings = ChatSettings::default();
        assert!(!settings.llm_configured);
        let keyed = update(r#"{"llm_api_key":"sk-1"}"#)
            .apply_to(&settings)
            .unwrap();
        assert!(keyed.llm_configured);
        let unkeyed = update(r#"{"llm_api_key":""}"#).apply_to(&keyed).unwrap();
        assert!(!unkeyed.llm_configured && unkeyed.llm_api_key.is_none());
        let own = update(r#"{"llm_base_url":"http://localhost:11434/v1/"}"#)
            .apply_to(&settings)
            .unwrap();
        assert!(own.llm_configured);
        assert_eq!(own.llm_base_url.expose(), "http://localhost:11434/v1");
    }

    #[test]
    fn urls_are_shown_masked_and_a_masked_url_sent_back_keeps_its_credentials() {
        let settings = update(r#"{"llm_base_url":"https://u:pw-77@llm.example/v1","retrieval_url":"http://k:pw-78@search.example/q"}"#)
            .apply_to(&ChatSettings::default())
            .unwrap();
        let shown = RemoteSettings::of(&settings);
        assert_eq!(shown.llm_base_url, "https://***@llm.example/v1");
        assert_eq!(
            shown.retrieval_url.as_deref(),
            Some("http://***@search.example/q")
        );
        let again = update(r#"{"llm_base_url":"https://***@llm.example/v1","retrieval_url":"http://***@search.example/q"}"#)
            .apply_to(&settings)
            .unwrap();
        assert_eq!(
            again.llm_base_url.expose(),
            "https://u:pw-77@llm.example/v1"
        );
        assert_eq!(
            again.retrieval_url.unwrap().expose(),
            "http://k:pw-78@search.example/q"
        );
    }

    #[test]
    fn bad_urls_and_models_are_refused_with_a_code() {
        let settings = ChatSettings::default();
        let err = update(r#"{"llm_base_url":"ftp://x"}"#)
            .apply_to(&settings)
            .unwrap_err();
        assert_eq!(err.code(), "invalid_url");
        let err = update(r#"{"retrieval_url":"not a url"}"#)
            .apply_to(&settings)
            .unwrap_err();
        assert_eq!(err.code(), "invalid_url");
        let err = update(r#"{"llm_model":"two words"}"#)
            .apply_to(&settings)
            .unwrap_err();
        assert_eq!(err.code(), "invalid_settings");
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable_and_an_open_one_reachable() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = format!("http://{}/v1", listener.local_addr().unwrap());
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}/search", l.local_addr().unwrap())
        };
        let settings = ChatSettings {
            llm_base_url: ServiceUrl::parse("l", &open).unwrap(),
            llm_configured: true,
            retrieval_url: Some(ServiceUrl::parse("r", &closed).unwrap()),
            ..Default::default()
        };
        let status = Connectivity::check(&settings).await;
        assert!(status.llm.reachable && status.llm.message.is_none());
        assert!(status.retrieval.configured && !status.retrieval.reachable);
        assert!(status
            .retrieval
            .message
            .unwrap()
            .contains("cannot be reached"));
    }
}
