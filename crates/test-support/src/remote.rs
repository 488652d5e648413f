//! Stand-ins for the remote services, speaking their real protocols over loopback HTTP: an
//! OpenAI-compatible chat-completions server that streams server-sent events, and a
//! retrieval API.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

/// What the LLM does for one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Streams these pieces, `pause` apart, then `[DONE]`.
    Stream {
        pieces: Vec<String>,
        pause: Duration,
    },
    /// Answers with this status (and `Retry-After` seconds, if given).
    Status(u16, Option<u64>),
    /// Accepts and never sends anything.
    Hang,
    /// Sends these bytes as they are, each chunk `pause` after the last (an SSE body cut
    /// anywhere, even inside a character, as TLS records and proxies may cut it).
    Bytes {
        chunks: Vec<Vec<u8>>,
        pause: Duration,
    },
}

impl Reply {
    /// The SSE body that streams `pieces`, cut into chunks at the byte offsets `cuts`.
    pub fn cut_at(pieces: &[&str], cuts: &[usize]) -> Self {
        let body: String = pieces
            .iter()
            .map(|piece| {
                let chunk = json!({"choices": [{"index": 0, "delta": {"content": piece}}]});
                format!("data: {chunk}\n\n")
            })
            .chain(std::iter::once("data: [DONE]\n\n".to_owned()))
            .collect();
        let bytes = body.into_bytes();
        let mut chunks = Vec::new();
        let mut from = 0;
        for &cut in cuts {
            chunks.push(bytes[from..cut].to_vec());
            from = cut;
        }
        chunks.push(bytes[from..].to_vec());
        Self::Bytes {
            chunks,
            pause: Duration::from_millis(30),
        }
    }

    pub fn text(pieces: &[&str]) -> Self {
        Self::Stream {
            pieces: pieces.iter().map(|p| p.to_string()).collect(),
            pause: Duration::ZERO,
        }
    }
}

#[derive(Default)]
struct LlmState {
    replies: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<(HeaderMap, Value)>>,
}

/// A fake OpenAI-compatible LLM.
#[derive(Clone)]
pub struct FakeLlm {
    pub base_url: String,
    state: Arc<LlmState>,
}

impl FakeLlm {
    pub async fn start() -> Self {
        let state = Arc::new(LlmState::default());
        let app = Router::new()
            .route("/v1/chat/completions", post(completions))
            .with_state(state.clone());
        let base_url = serve(app).await;
        Self {
            base_url: format!("{base_url}/v1"),
            state,
        }
    }

    /// Queues what the next requests get; when the queue is empty, "OK [1]." is streamed.
    pub fn reply(&self, reply: Reply) -> &Self {
        self.state.replies.lock().unwrap().push_back(reply);
        self
    }

    pub fn requests(&self) -> Vec<(HeaderMap, Value)> {
        self.state.requests.lock().unwrap().clone()
    }
}

async fn completions(
    State(state): State<Arc<LlmState>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    state.requests.lock().unwrap().push((headers, body));
    let reply = state
        .replies
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| Reply::text(&["OK [1]."]));
    match reply {
        Reply::Status(status, retry_after) => {
            let mut response = (
                StatusCode::from_u16(status).unwrap(),
                Json(json!({"error": {"message": "fake failure"}})),
            )
                .into_response();
            if let Some(secs) = retry_after {
                response.headers_mut().insert("retry-after", secs.into());
            }
            response
        }
        Reply::Hang => {
            let stream = futures_util::stream::pending::<Result<String, std::io::Error>>();
            Response::builder()
                .header("content-type", "text/event-stream")
                .body(Body::from_stream(stream))
                .unwrap()
        }
        Reply::Bytes { chunks, pause } => {
            let stream =
                futures_util::stream::unfold(chunks.into_iter(), move |mut chunks| async move {
                    let chunk = chunks.next()?;
                    tokio::time::sleep(pause).await;
                    Some((Ok::<_, std::io::Error>(chunk), chunks))
                });
            Response::builder()
                .header("content-type", "text/event-stream")
                .body(Body::from_stream(stream))
                .unwrap()
        }
        Reply::Stream { pieces, pause } => {
            let events = pieces
                .into_iter()
                .map(|piece| {
                    let chunk = json!({"id": "x", "object": "chat.completion.chunk",
                                       "choices": [{"index": 0, "delta": {"content": piece}}]});
                    format!("data: {chunk}\n\n")
                })
                .chain(std::iter::once("data: [DONE]\n\n".to_owned()))
                .collect::<Vec<_>>();
            let stream =
                futures_util::stream::unfold(events.into_iter(), move |mut events| async move {
                    let event = events.next()?;
                    if !pause.is_zero() {
                        tokio::time::sleep(pause).await;
                    }
                    Some((Ok::<_, std::io::Error>(event), events))
                });
            Response::builder()
                .header("content-type", "text/event-stream")
                .body(Body::from_stream(stream))
                .unwrap()
        }
    }
}

#[derive(Default)]
struct RetrievalState {
    chunks: Mutex<Vec<Value>>,
    failing: Mutex<bool>,
    requests: Mutex<Vec<(HeaderMap, Value)>>,
}

/// A fake retrieval API.
#[derive(Clone)]
pub struct FakeRetrieval {
    pub url: String,
    state: Arc<RetrievalState>,
}

impl FakeRetrieval {
    pub async fn start() -> Self {
        let state = Arc::new(RetrievalState::default());
        let app = Router::new()
            .route("/search", post(search))
            .with_state(state.clone());
        let base = serve(app).await;
        let retrieval = Self {
            url: format!("{base}/search"),
            state,
        };
        retrieval.set_chunks(vec![
            chunk(
                "c1",
                "Personnel records are kept for seven years.",
                "hr-policy.pdf",
                Some(4),
            ),
            chunk(
                "c2",
                "Backups are made nightly and kept for 30 days.",
                "it-handbook.pdf",
                None,
            ),
            chunk(
                "c3",
                "Invoices are archived for ten years.",
                "finance.pdf",
                Some(12),
            ),
        ]);
        retrieval
    }

    pub fn set_chunks(&self, chunks: Vec<Value>) {
        *self.state.chunks.lock().unwrap() = chunks;
    }

    pub fn fail(&self, failing: bool) {
        *self.state.failing.lock().unwrap() = failing;
    }

    pub fn requests(&self) -> Vec<(HeaderMap, Value)> {
        self.state.requests.lock().unwrap().clone()
    }
}

pub fn chunk(id: &str, text: &str, source: &str, page: Option<u32>) -> Value {
    json!({"id": id, "text": text, "source": source, "title": format!("Title of {source}"),
           "url": format!("https://docs.example.com/{source}"), "page": page, "score": 0.9})
}

async fn search(
    State(state): State<Arc<RetrievalState>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    state.requests.lock().unwrap().push((headers, body));
    if *state.failing.lock().unwrap() {
        return (StatusCode::INTERNAL_SERVER_ERROR, "down").into_response();
    }
    Json(json!({"chunks": *state.chunks.lock().unwrap()})).into_response()
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// Points `settings` at the fake LLM and, if given, the fake retrieval API, with test keys.
pub fn use_remotes(
    settings: &mut docent_core::Settings,
    llm: &FakeLlm,
    retrieval: Option<&FakeRetrieval>,
) {
    use docent_core::domain::ServiceUrl;
    settings.chat.llm_base_url = ServiceUrl::parse("llm", &llm.base_url).unwrap();
    settings.chat.llm_api_key = Some("llm-test-key".parse().unwrap());
    settings.chat.llm_configured = true;
    settings.chat.llm_model = "test/model-a".to_owned();
    settings.chat.first_token_timeout = Duration::from_secs(5);
    if let Some(retrieval) = retrieval {
        settings.chat.retrieval_url = Some(ServiceUrl::parse("retrieval", &retrieval.url).unwrap());
        settings.chat.retrieval_api_key = Some("retrieval-test-key".parse().unwrap());
    }
}
