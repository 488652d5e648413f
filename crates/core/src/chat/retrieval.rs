//! The retrieval API client (contract: docs/retrieval-api.md).

use serde::{Deserialize, Serialize};

use futures_util::future::BoxFuture;

use crate::config::{ChatSettings, SecretSetting};
use crate::domain::ServiceUrl;
use crate::error::{Error, ErrorCode, Result};

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
        code: ErrorCode::RetrievalUnavailable,
        message: format!("The document search (retrieval API) could not be reached or answered badly: {detail}. Try again, or ask your administrator."),
    }
}

/// A question for a retriever.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetrievalQuery<'a> {
    pub(crate) query: &'a str,
    pub(crate) top_k: u32,
    pub(crate) collection: Option<&'a str>,
}

/// Where the document chunks of an answer come from. Chosen in one place,
/// [`retriever_for`]; the remote retrieval API is one, a workspace's own documents will be
/// another.
pub(crate) trait Retriever: Send + Sync + std::fmt::Debug {
    /// The chunks that answer `query`, best first, at most `top_k` of them.
    fn retrieve<'a>(&'a self, query: RetrievalQuery<'a>) -> BoxFuture<'a, Result<Vec<Chunk>>>;
}

/// The retriever the settings name, if any.
pub(crate) fn retriever_for(
    settings: &ChatSettings,
    http: &reqwest::Client,
) -> Option<Box<dyn Retriever>> {
    settings.retrieval_url.as_ref().map(|url| {
        Box::new(RemoteRetriever {
            http: http.clone(),
            url: url.clone(),
            api_key: settings.retrieval_api_key.clone(),
            timeout: settings.first_token_timeout,
        }) as Box<dyn Retriever>
    })
}

/// The retrieval API (docs/retrieval-api.md).
#[derive(Debug)]
struct RemoteRetriever {
    http: reqwest::Client,
    url: ServiceUrl,
    api_key: Option<SecretSetting>,
    timeout: std::time::Duration,
}

impl Retriever for RemoteRetriever {
    fn retrieve<'a>(&'a self, query: RetrievalQuery<'a>) -> BoxFuture<'a, Result<Vec<Chunk>>> {
        Box::pin(async move {
            let mut request = self
                .http
                .post(self.url.expose())
                .timeout(self.timeout)
                .json(&Query {
                    query: query.query,
                    top_k: query.top_k,
                    collection: query.collection,
                });
            if let Some(key) = &self.api_key {
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
            Ok(answer
                .chunks
                .into_iter()
                .take(query.top_k as usize)
                .map(Chunk::with_web_url_only)
                .collect())
        })
    }
}

impl Chunk {
    /// Keeps a chunk's URL only when it is a web address: a citation opens it, so a
    /// `javascript:` or `file:` URL from the retrieval API must never become a link.
    fn with_web_url_only(mut self) -> Self {
        self.url = self.url.filter(|url| is_web_url(url));
        self
    }
}

/// Whether `url` is an `http://` or `https://` address, the only links citations may carry.
/// Characters a URL never holds unencoded (spaces, controls, `<>"` and the backtick) are
/// refused too, so that an exported `<url>` cannot close its own link and open another.
pub(crate) fn is_web_url(url: &str) -> bool {
    let web = ["http://", "https://"].iter().any(|scheme| {
        url.get(..scheme.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    });
    web && url.len() > "https://".len()
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '`'))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_web_addresses_are_links() {
        assert!(is_web_url("https://intranet.example/docs/a.pdf#page=3"));
        assert!(is_web_url("HTTP://intranet.example/a"));
        for url in [
            "javascript:alert(1)",
            " javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<b>x</b>",
            "file:///etc/passwd",
            "https://x/>[click](javascript:alert(1))",
            "https://x/ y",
            "//evil.example/x",
            "https://",
        ] {
            assert!(!is_web_url(url), "{url}");
        }
    }
}
