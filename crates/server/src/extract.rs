//! Extractors: JSON bodies with our error envelope, and the signed-in user.

use std::net::SocketAddr;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use docent_core::{CurrentUser, ErrorCode, Requester, SecretToken};

use crate::error::ApiError;
use crate::web::{is_safe, request_origin};
use crate::AppState;

/// The cookie that carries the session token for browsers.
pub const SESSION_COOKIE: &str = "session_id";

/// A JSON body; rejections become [`ApiError`]s.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

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
