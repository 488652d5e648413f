//! The retrieval API client (contract: docs/retrieval-api.md).

use serde::{Deserialize, Serialize};

use crate::config::ChatSettings;
use crate::error::{Error, ErrorKind, Result};

/// A document chunk the retrieval API found.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub(crate) struct Chunk {
    pub(crate) id: String,
    pub(crate) text: String,
    pub(crate) source: String,
    #[serde(default)]
    pub(crate) title: Option<String>,
    #[serde(default)]
    pub(crate) url: Option<String>,
    #[serde(default)]
    pub(crate) page: Option<u32>,
    #[serde(default)]
    #[allow(dead_code)]
    pub(crate) score: Option<f64>,
}

#[derive(Serialize)]
struct Query<'a> {
    query: &'a str,
    top_k: u32,
    collection: Option<&'a str>,
}

#[derive(Deserialize)]
struct Answer {
    chunks: Vec<Chunk>,
}

fn unavailable(detail: impl std::fmt::Display) -> Error {
    Error::Upstream {
        kind: ErrorKind::BadGateway,
        code: "retrieval_unavailable",
        message: format!("The document search (retrieval API) could not be reached or answered badly: {detail}. Try again, or ask your administrator."),
    }
}

/// Asks the retrieval API for the chunks that answer `query`.
pub(crate) async fn retrieve(
    http: &reqwest::Client,
    settings: &ChatSettings,
    url: &str,
    query: &str,
    top_k: u32,
    collection: Option<&str>,
) -> Result<Vec<Chunk>> {
    let mut request = http
        .post(url)
        .timeout(settings.first_token_timeout)
        .json(&Query {
            query,
            top_k,
            collection,
        });
    if let Some(key) = &settings.retrieval_api_key {
        request = request.bearer_auth(key.expose_secret());
    }
    let response = request
        .send()
        .await
        .map_err(|err| unavailable(without_url(&err)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(unavailable(format!("it answered HTTP {status}")));
    }
    let answer: Answer = response.json().await.map_err(|err| {
        unavailable(format!(
            "its answer is not the expected JSON ({})",
            without_url(&err)
        ))
    })?;
    Ok(answer.chunks.into_iter().take(top_k as usize).collect())
}

/// A reqwest error's description without the URL (which may carry credentials).
pub(crate) fn without_url(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "it timed out"
    } else if err.is_connect() {
        "the connection failed"
    } else if err.is_decode() {
        "the body could not be read"
    } else {
        "the request failed"
    };
    kind.to_owned()
}
