//! The server's one error type: core errors, and the few failures that only HTTP has
//! (malformed JSON, oversized bodies, refused hosts and origins, unknown routes), all
//! answered as `{"error": {"code", "message"}}` with the matching status.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use docent_core::{ErrorBody, ErrorCode};
use serde::Serialize;

/// The JSON envelope of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorResponse {
    /// What went wrong.
    pub error: ErrorBody,
}

/// An error on its way to becoming a response.
#[derive(Debug)]
pub enum ApiError {
    /// A rule of the product said no.
    Core(docent_core::Error),
    /// HTTP itself said no.
    Http {
        /// From the one list of codes, which gives the status too.
        code: ErrorCode,
        /// A sentence for people.
        message: String,
    },
}

impl ApiError {
    /// An HTTP-level refusal.
    pub fn http(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Http {
            code,
            message: message.into(),
        }
    }

    /// No route answers this path.
    pub fn no_route() -> Self {
        Self::http(ErrorCode::NotFound, "There is nothing at this address.")
    }
}

impl From<docent_core::Error> for ApiError {
    fn from(err: docent_core::Error) -> Self {
        Self::Core(err)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(err) => Self::http(
                ErrorCode::InvalidBody,
                format!("The request body has the wrong shape: {}.", err.body_text()),
            ),
            JsonRejection::JsonSyntaxError(_) => Self::http(
                ErrorCode::MalformedJson,
                "The request body is not valid JSON.",
            ),
            JsonRejection::MissingJsonContentType(_) => Self::http(
                ErrorCode::UnsupportedMediaType,
                "Send the request body as JSON with Content-Type: application/json.",
            ),
            JsonRejection::BytesRejection(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                payload_too_large()
            }
            other => Self::http(
                ErrorCode::BadRequest,
                format!("The request body could not be read: {}.", other.body_text()),
            ),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        Self::no_route()
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::http(
            ErrorCode::InvalidQuery,
            format!("The query string is not valid: {}.", rejection.body_text()),
        )
    }
}

/// The answer for bodies over the limit.
pub fn payload_too_large() -> ApiError {
    ApiError::http(ErrorCode::PayloadTooLarge, "The request body is too large.")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (body, retry_after) = match self {
            Self::Core(err) => {
                err.report();
                (err.body(), err.retry_after())
            }
            Self::Http { code, message } => (ErrorBody::new(code, message), None),
        };
        let status =
            StatusCode::from_u16(body.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(ErrorResponse { error: body })).into_response();
        if let Some(wait) = retry_after {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response
    }
}
