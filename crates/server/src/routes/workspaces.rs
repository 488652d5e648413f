use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use docent_core::{Conversation, NewConversation, NewWorkspace, Workspace, WorkspacePatch};
use uuid::Uuid;

use crate::error::{ApiError, ErrorResponse};
use crate::extract::{ApiJson, ApiPath, Authenticated};
use crate::AppState;

/// The caller's workspaces.
#[utoipa::path(get, path = "/workspaces", operation_id = "workspace_list", tag = "workspaces",
    responses((status = 200, body = Vec<Workspace>), (status = 401, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<Json<Vec<Workspace>>, ApiError> {
    Ok(Json(state.docent.chat().list_workspaces(&user).await?))
}

/// Makes a workspace.
#[utoipa::path(post, path = "/workspaces", operation_id = "workspace_create", tag = "workspaces", request_body = NewWorkspace,
    responses((status = 201, body = Workspace), (status = 422, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiJson(new): ApiJson<NewWorkspace>,
) -> Result<(StatusCode, Json<Workspace>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.docent.chat().create_workspace(&user, new).await?),
    ))
}

/// One workspace.
#[utoipa::path(get, path = "/workspaces/{id}", operation_id = "workspace_get", tag = "workspaces",
    responses((status = 200, body = Workspace), (status = 404, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Workspace>, ApiError> {
    Ok(Json(state.docent.chat().get_workspace(&user, id).await?))
}

/// Changes a workspace.
#[utoipa::path(patch, path = "/workspaces/{id}", operation_id = "workspace_update", tag = "workspaces", request_body = WorkspacePatch,
    responses((status = 200, body = Workspace), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<WorkspacePatch>,
) -> Result<Json<Workspace>, ApiError> {
    Ok(Json(
        state
            .docent
            .chat()
            .update_workspace(&user, id, patch)
            .await?,
    ))
}

/// Deletes a workspace and its conversations.
#[utoipa::path(delete, path = "/workspaces/{id}", operation_id = "workspace_delete", tag = "workspaces",
    responses((status = 204), (status = 404, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    state.docent.chat().delete_workspace(&user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The conversations in a workspace, newest first.
#[utoipa::path(get, path = "/workspaces/{id}/conversations", operation_id = "conversation_list", tag = "conversations",
    responses((status = 200, body = Vec<Conversation>), (status = 404, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn conversations(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<Conversation>>, ApiError> {
    Ok(Json(
        state.docent.chat().list_conversations(&user, id).await?,
    ))
}

/// Makes a conversation in a workspace.
#[utoipa::path(post, path = "/workspaces/{id}/conversations", operation_id = "conversation_create", tag = "conversations", request_body = NewConversation,
    responses((status = 201, body = Conversation), (status = 404, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create_conversation(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(new): ApiJson<NewConversation>,
) -> Result<(StatusCode, Json<Conversation>), ApiError> {
    let conversation = state
        .docent
        .chat()
        .create_conversation(&user, id, new)
        .await?;
    Ok((StatusCode::CREATED, Json(conversation)))
}
