//! Extractors: JSON bodies with our error envelope, and the signed-in user.

use std::net::SocketAddr;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use docent_core::{CurrentUser, ErrorCode, Requester, SecretToken};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;
use crate::web::{is_safe, request_origin};
use crate::AppState;

/// The cookie that carries the session token for browsers.
pub const SESSION_COOKIE: &str = "session_id";

/// A JSON object body; rejections become [`ApiError`]s.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        // Content type, size and syntax first, as axum checks them.
        let axum::Json(value) = axum::Json::<Value>::from_request(request, state).await?;
        // Every request body is an object: serde would also read a struct from an array
        // (`[null, null]`), by position.
        if !value.is_object() {
            return Err(ApiError::http(
                ErrorCode::InvalidBody,
                "The request body must be a JSON object.",
            ));
        }
        serde_path_to_error::deserialize(value)
            .map(ApiJson)
            .map_err(|err| {
                ApiError::http(
                    ErrorCode::InvalidBody,
                    format!("The request body has the wrong shape: {err}."),
                )
            })
    }
}

/// A path parameter; one that does not parse (not a UUID) names nothing: 404.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// Query parameters; rejections become [`ApiError`]s.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// The user behind the request's session: `Authorization: Bearer <token>`, else the
/// `session_id` cookie. A cookie-authenticated request that changes state must say where it
/// comes from (`Origin`), which [`crate::web::guard`] has checked.
#[derive(Debug)]
pub struct Authenticated(pub CurrentUser);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                let (scheme, token) = value.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| token.trim().to_owned())
            });
        let token = match bearer {
            Some(token) => token,
            None => {
                let jar = CookieJar::from_headers(&parts.headers);
                let Some(cookie) = jar.get(SESSION_COOKIE) else {
                    return Err(docent_core::Error::Unauthenticated.into());
                };
                if !is_safe(&parts.method) && request_origin(&parts.headers).is_none() {
                    return Err(ApiError::http(
                        ErrorCode::OriginRequired,
                        "A browser request that changes something must say where it comes from (Origin header).",
                    ));
                }
                cookie.value().to_owned()
            }
        };
        let token = SecretToken::parse(&token)?;
        let user = state.docent.auth().authenticate(&token).await?;
        Ok(Self(user))
    }
}

/// Who sent the request: the address its connection came from (set by [`crate::serve`]). The
/// email allowance is kept per client too, so strangers cannot use up each other's.
#[derive(Debug, Clone, Copy)]
pub struct Client(pub Requester);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|peer| Self(Requester::Network(peer.0.ip())))
            .ok_or_else(|| {
                docent_core::Error::internal(anyhow::anyhow!(
                    "a request without the address of its connection"
                ))
                .into()
            })
    }
}
