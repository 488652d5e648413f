use axum::extract::State;
use axum::Json;
use docent_core::{AppStatus, RemoteSettingsUpdate, SessionStorage, SettingsView};

use crate::error::{ApiError, ErrorResponse};
use crate::extract::{ApiJson, Authenticated};
use crate::AppState;

/// The LLM and retrieval settings; read-only here, where the server's operator sets them.
#[utoipa::path(get, path = "/settings", operation_id = "settings_get", tag = "settings",
    responses((status = 200, body = SettingsView), (status = 401, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Authenticated(_user): Authenticated,
) -> Result<Json<SettingsView>, ApiError> {
    Ok(Json(SettingsView {
        settings: state.docent.chat().remote_settings(),
        editable: false,
    }))
}

/// Always refused: a shared server's settings come from its `DOCENT_*` variables.
#[utoipa::path(put, path = "/settings", operation_id = "settings_update", tag = "settings", request_body = RemoteSettingsUpdate,
    responses((status = 403, body = ErrorResponse), (status = 401, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update(
    Authenticated(_user): Authenticated,
    ApiJson(_update): ApiJson<RemoteSettingsUpdate>,
) -> Result<Json<SettingsView>, ApiError> {
    Err(SettingsView::read_only_error().into())
}

/// Whether the LLM and the retrieval API can be reached now, so the UI can say why Send is off.
#[utoipa::path(get, path = "/status", operation_id = "app_status", tag = "settings",
    responses((status = 200, body = AppStatus), (status = 401, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn status(
    State(state): State<AppState>,
    Authenticated(_user): Authenticated,
) -> Result<Json<AppStatus>, ApiError> {
    Ok(Json(AppStatus {
        connectivity: state.docent.chat().connectivity().await,
        session_storage: SessionStorage::Cookie,
        max_document_bytes: state.docent.documents().max_document_bytes(),
    }))
}
