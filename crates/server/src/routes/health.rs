use axum::extract::State;
use axum::Json;
use serde::Serialize;

use crate::error::{ApiError, ErrorResponse};
use crate::AppState;

/// The health of the server.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` when the server and its database answer.
    pub status: &'static str,
    /// The server's version.
    pub version: &'static str,
}

/// Answers 200 once the server is ready and its database answers; 503
/// `database_unavailable` while the database does not.
#[utoipa::path(get, path = "/health", operation_id = "health", tag = "meta",
    responses((status = 200, body = Health), (status = 500, body = ErrorResponse),
        (status = 503, body = ErrorResponse)))]
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.docent.check_health().await?;
    Ok(Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    }))
}
