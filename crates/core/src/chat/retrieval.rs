//! Where an answer's passages come from: the workspace's own documents (the local index),
//! the retrieval API (contract: docs/retrieval-api.md), or both, fused by reciprocal rank.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use futures_util::future::BoxFuture;

use crate::config::{ChatSettings, SecretSetting};
use crate::domain::documents::SearchTerms;
use crate::domain::ServiceUrl;
use crate::error::{Error, ErrorCode, Result};
use crate::store::Store;

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
    /// The workspace's own document it comes from (never from the retrieval API).
    #[serde(skip)]
    pub(crate) document_id: Option<Uuid>,
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
/// [`retrievers_for`]: the workspace's own documents, the remote retrieval API, or both.
pub(crate) trait Retriever: Send + Sync + std::fmt::Debug {
    /// The chunks that answer `query`, best first, at most `top_k` of them.
    fn retrieve<'a>(&'a self, query: RetrievalQuery<'a>) -> BoxFuture<'a, Result<Vec<Chunk>>>;
}

/// The retrievers of a question: the workspace's own documents when it has ready ones
/// (`local`), and the retrieval API when the settings name one.
pub(crate) struct Retrievers {
    pub(crate) local: Option<Box<dyn Retriever>>,
    pub(crate) remote: Option<Box<dyn Retriever>>,
}

/// The retrievers for a question in `workspace_id`.
pub(crate) fn retrievers_for(
    settings: &ChatSettings,
    http: &reqwest::Client,
    store: &Store,
    workspace_id: Uuid,
    has_documents: bool,
) -> Retrievers {
    Retrievers {
        local: has_documents.then(|| {
            Box::new(LocalRetriever {
                store: store.clone(),
                workspace_id,
            }) as Box<dyn Retriever>
        }),
        remote: remote_retriever(settings, http),
    }
}

/// The workspace's own documents, searched in the local index.
#[derive(Debug)]
struct LocalRetriever {
    store: Store,
    workspace_id: Uuid,
}

impl Retriever for LocalRetriever {
    fn retrieve<'a>(&'a self, query: RetrievalQuery<'a>) -> BoxFuture<'a, Result<Vec<Chunk>>> {
        Box::pin(async move {
            let Some(terms) = SearchTerms::parse(query.query) else {
                return Ok(Vec::new());
            };
            let workspace_id = self.workspace_id;
            let top_k = query.top_k;
            let hits = self
                .store
                .read(move |tx| tx.passages().search(workspace_id, &terms, top_k))
                .await?;
            Ok(hits
                .into_iter()
                .map(|hit| Chunk {
                    id: format!("p{}", hit.passage_id),
                    text: hit.text,
                    title: Some(if hit.heading.is_empty() {
                        hit.name.clone()
                    } else {
                        format!("{} › {}", hit.name, hit.heading)
                    }),
                    source: hit.name,
                    url: None,
                    page: hit.page,
                    score: Some(hit.score),
                    document_id: Some(hit.document_id),
                })
                .collect())
        })
    }
}

/// How much a rank counts in reciprocal rank fusion: 1 / (K + rank), the constant of
/// Cormack, Clarke and Büttcher (2009), which keeps one list's first place from outweighing
/// agreement between lists.
const RRF_K: f64 = 60.0;

/// Fuses ranked lists into one of at most `top_k`, by reciprocal rank.
pub(crate) fn fuse(lists: Vec<Vec<Chunk>>, top_k: usize) -> Vec<Chunk> {
    let mut scores: HashMap<String, (f64, usize, Chunk)> = HashMap::new();
    let mut order = 0;
    for list in lists {
        for (rank, chunk) in list.into_iter().enumerate() {
            let origin = if chunk.document_id.is_some() {
                "local"
            } else {
                "remote"
            };
            let key = format!("{origin}:{}", chunk.id);
            let entry = scores.entry(key).or_insert_with(|| {
                order += 1;
                (0.0, order, chunk)
            });
            entry.0 += 1.0 / (RRF_K + rank as f64 + 1.0);
        }
    }
    let mut fused: Vec<(f64, usize, Chunk)> = scores.into_values().collect();
    fused.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    fused.into_iter().take(top_k).map(|(_, _, c)| c).collect()
}

/// The retrieval API, when the settings name one.
pub(crate) fn remote_retriever(
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

    fn chunk(id: &str, local: bool) -> Chunk {
        Chunk {
            id: id.to_owned(),
            text: String::new(),
            source: String::new(),
            title: None,
            url: None,
            page: None,
            score: None,
            document_id: local.then(Uuid::nil),
        }
    }

    #[test]
    fn fusion_rewards_agreement_and_keeps_top_k() {
        let local = vec![chunk("a", true), chunk("b", true), chunk("c", true)];
        let remote = vec![chunk("x", false), chunk("y", false), chunk("a", false)];
        let ids: Vec<(String, bool)> = fuse(vec![local, remote], 4)
            .into_iter()
            .map(|c| (c.id, c.document_id.is_some()))
            .collect();
        // Each list's first places tie; the first list's comes first; a remote "a" is not
        // the local "a".
        assert_eq!(
            ids,
            [
                ("a".to_owned(), true),
                ("x".to_owned(), false),
                ("b".to_owned(), true),
                ("y".to_owned(), false)
            ]
        );
        let same = vec![chunk("a", true), chunk("b", true)];
        let agreeing = fuse(vec![same.clone(), vec![chunk("b", true)]], 2);
        assert_eq!(agreeing[0].id, "b", "found by both beats first of one");
    }

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
