//! The LLM client: OpenAI-compatible `POST {base}/chat/completions` with `stream: true`
//! (OpenRouter, OpenAI, Ollama, vLLM, LM Studio). One retry before the first token on a
//! connection failure, a 5xx or a 429 (honouring `Retry-After`); timeouts for connecting and
//! for the first token.

use std::time::Duration;

use eventsource_stream::{EventStreamError, Eventsource as _};
use futures_util::StreamExt as _;
use serde::Serialize;
use tokio::sync::mpsc;

use super::retrieval::without_url;
use crate::config::ChatSettings;
use crate::error::{Error, ErrorCode, Result};

/// One turn of the prompt.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct PromptMessage {
    pub(crate) role: &'static str,
    pub(crate) content: String,
}

#[derive(Serialize)]
struct Request<'a> {
    model: &'a str,
    messages: &'a [PromptMessage],
    stream: bool,
}

/// The longest wait a 429's `Retry-After` is honoured for before giving up.
const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(20);

fn upstream(code: ErrorCode, message: String) -> Error {
    Error::Upstream { code, message }
}

enum Attempt {
    Retry(Duration, Error),
    Fail(Error),
}

/// Streams the completion of `messages`, sending each piece of text to `pieces`. Stops early,
/// without error, when `pieces` is closed. Returns whether any text came.
pub(crate) async fn stream_completion(
    http: &reqwest::Client,
    settings: &ChatSettings,
    model: &str,
    messages: &[PromptMessage],
    pieces: mpsc::Sender<String>,
) -> Result<()> {
    let url = format!("{}/chat/completions", settings.llm_base_url.expose());
    let mut response = None;
    for attempt in 0..2 {
        let mut request = http.post(&url).json(&Request {
            model,
            messages,
            stream: true,
        });
        if let Some(key) = &settings.llm_api_key {
            request = request.bearer_auth(key.expose_secret());
        }
        let outcome = match tokio::time::timeout(settings.first_token_timeout, request.send()).await {
            Err(_) => Attempt::Fail(timeout(settings)),
            Ok(Err(err)) if err.is_connect() => Attempt::Retry(
                Duration::from_millis(250),
                upstream(
                    ErrorCode::LlmUnavailable,
                    format!("The language model at {} could not be reached ({}). Check DOCENT_LLM_BASE_URL, or try again.", settings.llm_base_url, without_url(&err)),
                ),
            ),
            Ok(Err(err)) => Attempt::Fail(upstream(
                ErrorCode::LlmUnavailable,
                format!("The language model could not be asked ({}).", without_url(&err)),
            )),
            Ok(Ok(ok)) if ok.status().is_success() => {
                response = Some(ok);
                break;
            }
            Ok(Ok(bad)) => classify(bad).await,
        };
        match outcome {
            Attempt::Retry(wait, err) if attempt == 0 => {
                tracing::warn!(
                    code = err.code().as_str(),
                    wait_ms = wait.as_millis() as u64,
                    "LLM call failed; retrying once"
                );
                tokio::time::sleep(wait).await;
            }
            Attempt::Retry(_, err) | Attempt::Fail(err) => return Err(err),
        }
    }
    let response = response.expect("a successful response, or returned early");
    // Server-sent events parsed by a kept library over the raw bytes: a character split across
    // two network chunks (TLS records, proxies) is decoded whole, never as U+FFFD.
    let mut events = response.bytes_stream().eventsource();
    loop {
        let event = match tokio::time::timeout(settings.first_token_timeout, events.next()).await {
            Err(_) => return Err(timeout(settings)),
            Ok(None) => return Ok(()),
            Ok(Some(Err(EventStreamError::Transport(err)))) => {
                return Err(upstream(
                    ErrorCode::LlmUnavailable,
                    format!(
                        "The language model's answer broke off ({}).",
                        without_url(&err)
                    ),
                ))
            }
            Ok(Some(Err(_))) => return Err(unreadable()),
            Ok(Some(Ok(event))) => event,
        };
        let data = event.data.trim();
        if data.is_empty() {
            continue;
        }
        if data == "[DONE]" {
            return Ok(());
        }
        let event: serde_json::Value = serde_json::from_str(data).map_err(|_| unreadable())?;
        if let Some(error) = event.get("error") {
            let detail = error
                .get("message")
                .and_then(|m| m.as_str())
                .unwrap_or("no detail")
                .chars()
                .take(300)
                .collect::<String>();
            return Err(upstream(
                ErrorCode::LlmUnavailable,
                format!("The language model stopped with an error: {detail}."),
            ));
        }
        let text = event["choices"][0]["delta"]["content"]
            .as_str()
            .unwrap_or_default();
        if !text.is_empty() && pieces.send(text.to_owned()).await.is_err() {
            return Ok(()); // nobody is listening any more: stop
        }
    }
}

fn unreadable() -> Error {
    upstream(
        ErrorCode::LlmUnavailable,
        "The language model sent a stream Docent could not read.".to_owned(),
    )
}

fn timeout(settings: &ChatSettings) -> Error {
    upstream(
        ErrorCode::LlmTimeout,
        format!(
            "The language model did not answer within {} s. Try again later.",
            settings.first_token_timeout.as_secs()
        ),
    )
}

async fn classify(response: reqwest::Response) -> Attempt {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let detail: String = response
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect();
    if status.as_u16() == 429 {
        let wait = retry_after.unwrap_or(Duration::from_secs(1));
        let err = upstream(
            ErrorCode::LlmRateLimited,
            "The language model is busy (rate limited). Try again in a minute.".to_owned(),
        );
        return if wait <= LONGEST_RETRY_AFTER {
            Attempt::Retry(wait, err)
        } else {
            Attempt::Fail(err)
        };
    }
    if status.is_server_error() {
        return Attempt::Retry(
            Duration::from_millis(500),
            upstream(
                ErrorCode::LlmUnavailable,
                format!("The language model failed (HTTP {status})."),
            ),
        );
    }
    let hint = if matches!(status.as_u16(), 401 | 403) {
        " Check DOCENT_LLM_API_KEY."
    } else if status.as_u16() == 404 {
        " Check DOCENT_LLM_BASE_URL and the model name."
    } else {
        ""
    };
    tracing::warn!(%status, detail, "the LLM refused the request");
    Attempt::Fail(upstream(
        ErrorCode::LlmRejected,
        format!("The language model refused the request (HTTP {status}).{hint}"),
    ))
}
