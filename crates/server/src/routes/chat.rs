use std::convert::Infallible;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use docent_core::{
    ChatAnswer, ChatHistory, Conversation, ConversationPatch, ExportFormat, HistoryEntry,
    HistoryQuery, SendMessage,
};
use serde::Deserialize;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::error::{ApiError, ErrorResponse};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authenticated};
use crate::AppState;

/// Which conversation (by default the caller's most recent one).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConversationQuery {
    /// The conversation.
    pub conversation_id: Option<Uuid>,
}

/// An answer to stop.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StopRequest {
    /// The answer's message id (from `done`, or the JSON answer).
    pub message_id: Uuid,
}

/// Export options.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `md` (default) or `json`.
    #[param(value_type = Option<String>)]
    pub format: Option<ExportFormat>,
}

/// Asks a question. With `Accept: text/event-stream` the answer streams as server-sent events:
/// `delta` `{text}`..., then `citations` `[...]`, then `done` `{conversation_id, message_id,
/// status, notice}`; or `error` `{code, message}`. The response's `x-message-id` header names
/// the answer for `/chat/stop`; closing the stream stops it too.
#[utoipa::path(post, path = "/chat/message", operation_id = "chat_send", tag = "chat", request_body = SendMessage,
    responses(
        (status = 200, body = ChatAnswer, description = "The answer (JSON), or an event stream (text/event-stream)."),
        (status = 404, body = ErrorResponse),
        (status = 502, description = "retrieval_unavailable, llm_unavailable, llm_rejected", body = ErrorResponse),
        (status = 503, description = "llm_not_configured, llm_rate_limited", body = ErrorResponse),
        (status = 504, description = "llm_timeout", body = ErrorResponse),
    ),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn send(
    State(state): State<AppState>,
    headers: HeaderMap,
    Authenticated(user): Authenticated,
    ApiJson(request): ApiJson<SendMessage>,
) -> Result<Response, ApiError> {
    let prepared = state.docent.chat().prepare(&user, request).await?;
    let streaming = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/event-stream"));
    if !streaming {
        // Run apart from the request, so the answer is finished and stored even if the client
        // goes away.
        let answer = tokio::spawn(prepared.run(None))
            .await
            .map_err(docent_core::Error::internal)??;
        return Ok(Json(answer).into_response());
    }
    let ids = [
        ("x-conversation-id", prepared.conversation_id()),
        ("x-message-id", prepared.message_id()),
    ];
    let (events, received) = mpsc::channel(64);
    tokio::spawn(prepared.run(Some(events)));
    let stream = futures_util::stream::unfold(received, |mut received| async move {
        let event = received.recv().await?;
        let sse = Event::default()
            .event(event.name())
            .data(event.data().to_string());
        Some((Ok::<_, Infallible>(sse), received))
    });
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response();
    // Proxies must not buffer the stream; the ids let a client stop the answer before `done`.
    let headers = response.headers_mut();
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    for (name, id) in ids {
        headers.insert(
            name,
            HeaderValue::from_str(&id.to_string()).expect("a UUID is a header value"),
        );
    }
    Ok(response)
}

/// Stops an answer; what was written is kept and marked `stopped`.
#[utoipa::path(post, path = "/chat/stop", operation_id = "chat_stop", tag = "chat", request_body = StopRequest,
    responses((status = 204), (status = 404, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn stop(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiJson(request): ApiJson<StopRequest>,
) -> Result<StatusCode, ApiError> {
    state.docent.chat().stop(&user, request.message_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A conversation's messages with their citations (by default the most recent conversation).
#[utoipa::path(get, path = "/chat/history", operation_id = "chat_history", tag = "chat", params(ConversationQuery),
    responses((status = 200, body = ChatHistory), (status = 404, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn history(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiQuery(query): ApiQuery<ConversationQuery>,
) -> Result<Json<ChatHistory>, ApiError> {
    Ok(Json(
        state
            .docent
            .chat()
            .history(&user, query.conversation_id)
            .await?,
    ))
}

/// Empties a conversation (by default the most recent one).
#[utoipa::path(delete, path = "/chat/clear", operation_id = "chat_clear", tag = "chat", params(ConversationQuery),
    responses((status = 204), (status = 404, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn clear(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiQuery(query): ApiQuery<ConversationQuery>,
) -> Result<StatusCode, ApiError> {
    state
        .docent
        .chat()
        .clear(&user, query.conversation_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Searches conversation history, newest first: the caller's own (`scope=mine`), or those
/// shared by people of the caller's email domain (`scope=domain`).
#[utoipa::path(get, path = "/history", operation_id = "history_search", tag = "chat", params(HistoryQuery),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 400, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn search(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<Vec<HistoryEntry>>, ApiError> {
    Ok(Json(
        state.docent.chat().search_history(&user, query).await?,
    ))
}

/// One conversation (`read_only` when shared with the caller).
#[utoipa::path(get, path = "/conversations/{id}", operation_id = "conversation_get", tag = "conversations",
    responses((status = 200, body = Conversation), (status = 404, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get_conversation(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Conversation>, ApiError> {
    Ok(Json(state.docent.chat().get_conversation(&user, id).await?))
}

/// Renames a conversation.
#[utoipa::path(patch, path = "/conversations/{id}", operation_id = "conversation_update", tag = "conversations", request_body = ConversationPatch,
    responses((status = 200, body = Conversation), (status = 403, description = "read_only", body = ErrorResponse), (status = 404, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update_conversation(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<ConversationPatch>,
) -> Result<Json<Conversation>, ApiError> {
    Ok(Json(
        state
            .docent
            .chat()
            .update_conversation(&user, id, patch)
            .await?,
    ))
}

/// Deletes a conversation.
#[utoipa::path(delete, path = "/conversations/{id}", operation_id = "conversation_delete", tag = "conversations",
    responses((status = 204), (status = 403, description = "read_only", body = ErrorResponse), (status = 404, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete_conversation(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    state.docent.chat().delete_conversation(&user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A conversation with its sources, as Markdown or JSON.
#[utoipa::path(get, path = "/conversations/{id}/export", operation_id = "conversation_export", tag = "conversations", params(ExportQuery),
    responses((status = 200, description = "text/markdown or application/json"), (status = 404, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn export(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let export = state
        .docent
        .chat()
        .export_conversation(&user, id, query.format.unwrap_or_default())
        .await?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        export.file_name.replace('"', "")
    );
    Ok((
        [
            (header::CONTENT_TYPE, export.content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        export.body,
    )
        .into_response())
}
