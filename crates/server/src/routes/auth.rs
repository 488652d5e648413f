use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use docent_core::{
    Accepted, Credentials, CurrentUser, EmailRequest, NewSession, PasswordReset, RegisteredUser,
    VerifyEmail, VerifyLogin,
};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{ApiError, ErrorResponse};
use crate::extract::{ApiJson, Authenticated, Client, SESSION_COOKIE};
use crate::AppState;

/// A new session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer`; browsers get it as a cookie too.
    pub session_token: String,
    /// Who signed in.
    pub user_id: Uuid,
    /// The domain of their email.
    pub domain: String,
    /// Whether the address is proven (only then is the user a member of its domain).
    pub email_verified: bool,
    /// Something the user must be told about this sign-in (a password was removed), if any.
    pub notice: Option<String>,
    /// When the session ends at the latest (it ends sooner when idle).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
}

/// Creates an account with an email and a password. The address is not proven: where email is
/// set up, a confirmation email goes out and password sign-in waits for it.
#[utoipa::path(post, path = "/auth/register", operation_id = "auth_register", tag = "auth", request_body = Credentials,
    responses(
        (status = 201, body = RegisteredUser),
        (status = 409, description = "email_taken", body = ErrorResponse),
        (status = 403, description = "domain_not_allowed", body = ErrorResponse),
        (status = 422, description = "invalid_email, password_too_short, password_too_common, password_contains_email, password_too_guessable, password_too_long", body = ErrorResponse),
    ))]
pub async fn register(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(credentials): ApiJson<Credentials>,
) -> Result<(StatusCode, Json<RegisteredUser>), ApiError> {
    let user = state.docent.auth().register(credentials, &client).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Signs in with an email and a password.
#[utoipa::path(post, path = "/auth/login", operation_id = "auth_login", tag = "auth", request_body = Credentials,
    responses(
        (status = 200, body = LoginResponse, description = "Also sets the session_id cookie."),
        (status = 401, description = "invalid_credentials", body = ErrorResponse),
        (status = 403, description = "domain_not_allowed; email_not_verified (the right password, for an address not confirmed yet: POST /auth/request-verification sends the email again)", body = ErrorResponse),
        (status = 429, description = "too_many_attempts, with Retry-After", body = ErrorResponse),
    ))]
pub async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    ApiJson(credentials): ApiJson<Credentials>,
) -> Result<(CookieJar, Json<LoginResponse>), ApiError> {
    let session = state.docent.auth().login(credentials).await?;
    Ok(signed_in(&state, jar, session))
}

/// The answer to a sign-in: the session as JSON, and as a cookie for browsers.
fn signed_in(
    state: &AppState,
    jar: CookieJar,
    session: NewSession,
) -> (CookieJar, Json<LoginResponse>) {
    let max_age = time::Duration::try_from(state.docent.settings().session_ttl)
        .unwrap_or(time::Duration::MAX);
    let cookie = Cookie::build((SESSION_COOKIE, session.token.expose_secret().to_owned()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.web.secure_cookies)
        .path("/")
        .max_age(max_age);
    (
        jar.add(cookie),
        Json(LoginResponse {
            session_token: session.token.expose_secret().to_owned(),
            user_id: session.user_id,
            domain: session.domain,
            email_verified: session.email_verified,
            notice: session.notice,
            expires_at: session.expires_at,
        }),
    )
}

/// Emails a password-reset link when the address has an account; answers the same either way.
#[utoipa::path(post, path = "/auth/reset-request", operation_id = "auth_request_reset", tag = "auth", request_body = EmailRequest,
    responses(
        (status = 202, body = Accepted),
        (status = 403, description = "domain_not_allowed", body = ErrorResponse),
        (status = 422, description = "invalid_email", body = ErrorResponse),
        (status = 503, description = "email_not_configured", body = ErrorResponse),
    ))]
pub async fn reset_request(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(request): ApiJson<EmailRequest>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let accepted = state
        .docent
        .auth()
        .request_password_reset(request, &client)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)))
}

/// Sets a new password with the token from a reset link; ends every session; does not sign in.
#[utoipa::path(post, path = "/auth/reset-password", operation_id = "auth_reset_password", tag = "auth", request_body = PasswordReset,
    responses(
        (status = 200, body = Accepted),
        (status = 400, description = "invalid_token", body = ErrorResponse),
        (status = 403, description = "domain_not_allowed", body = ErrorResponse),
        (status = 422, description = "password rules", body = ErrorResponse),
    ))]
pub async fn reset_password(
    State(state): State<AppState>,
    ApiJson(reset): ApiJson<PasswordReset>,
) -> Result<Json<Accepted>, ApiError> {
    Ok(Json(state.docent.auth().reset_password(reset).await?))
}

/// Emails a sign-in link and code; answers the same whether or not an account exists.
#[utoipa::path(post, path = "/auth/request-login", operation_id = "auth_request_login", tag = "auth", request_body = EmailRequest,
    responses(
        (status = 202, body = Accepted),
        (status = 403, description = "domain_not_allowed", body = ErrorResponse),
        (status = 503, description = "email_not_configured", body = ErrorResponse),
    ))]
pub async fn request_login(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(request): ApiJson<EmailRequest>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let accepted = state.docent.auth().request_login(request, &client).await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)))
}

/// Emails a new confirmation link and code to a password account whose address is not
/// confirmed yet; answers the same whether or not there is one.
#[utoipa::path(post, path = "/auth/request-verification", operation_id = "auth_request_verification", tag = "auth", request_body = EmailRequest,
    responses(
        (status = 202, body = Accepted),
        (status = 403, description = "domain_not_allowed", body = ErrorResponse),
        (status = 422, description = "invalid_email", body = ErrorResponse),
        (status = 503, description = "email_not_configured", body = ErrorResponse),
    ))]
pub async fn request_verification(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(request): ApiJson<EmailRequest>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let accepted = state
        .docent
        .auth()
        .request_verification(request, &client)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)))
}

/// Confirms the address of a password account with its confirmation email's link token (or the
/// address and its code) and the account's password, and signs in.
#[utoipa::path(post, path = "/auth/verify-email", operation_id = "auth_verify_email", tag = "auth", request_body = VerifyEmail,
    responses(
        (status = 200, body = LoginResponse, description = "Also sets the session_id cookie."),
        (status = 400, description = "invalid_token, invalid_code", body = ErrorResponse),
        (status = 401, description = "invalid_credentials (the password is not the account's)", body = ErrorResponse),
        (status = 403, description = "domain_not_allowed", body = ErrorResponse),
        (status = 422, description = "invalid_email, password_too_long", body = ErrorResponse),
        (status = 429, description = "too_many_attempts, with Retry-After", body = ErrorResponse),
    ))]
pub async fn verify_email(
    State(state): State<AppState>,
    jar: CookieJar,
    ApiJson(proof): ApiJson<VerifyEmail>,
) -> Result<(CookieJar, Json<LoginResponse>), ApiError> {
    let session = state.docent.auth().verify_email(proof).await?;
    Ok(signed_in(&state, jar, session))
}

/// Signs in with a sign-in link's token, or an email and its code; creates the account at
/// the first sign-in.
#[utoipa::path(post, path = "/auth/verify-login", operation_id = "auth_verify_login", tag = "auth", request_body = VerifyLogin,
    responses(
        (status = 200, body = LoginResponse, description = "Also sets the session_id cookie."),
        (status = 400, description = "invalid_token, invalid_code", body = ErrorResponse),
        (status = 403, description = "domain_not_allowed", body = ErrorResponse),
    ))]
pub async fn verify_login(
    State(state): State<AppState>,
    jar: CookieJar,
    ApiJson(proof): ApiJson<VerifyLogin>,
) -> Result<(CookieJar, Json<LoginResponse>), ApiError> {
    let session = state.docent.auth().verify_login(proof).await?;
    Ok(signed_in(&state, jar, session))
}

/// Ends this session.
#[utoipa::path(post, path = "/auth/logout", operation_id = "auth_logout", tag = "auth",
    responses((status = 204), (status = 401, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    Authenticated(user): Authenticated,
) -> Result<(StatusCode, CookieJar), ApiError> {
    state.docent.auth().logout(&user).await?;
    Ok((StatusCode::NO_CONTENT, forget_session(jar)))
}

/// Ends every session of the signed-in user.
#[utoipa::path(post, path = "/auth/logout-all", operation_id = "auth_logout_all", tag = "auth",
    responses((status = 204), (status = 401, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn logout_all(
    State(state): State<AppState>,
    jar: CookieJar,
    Authenticated(user): Authenticated,
) -> Result<(StatusCode, CookieJar), ApiError> {
    state.docent.auth().logout_all(&user).await?;
    Ok((StatusCode::NO_CONTENT, forget_session(jar)))
}

/// Who the session belongs to.
#[utoipa::path(get, path = "/auth/validate", operation_id = "auth_current_user", tag = "auth",
    responses(
        (status = 200, body = CurrentUser),
        (status = 401, description = "unauthenticated, session_expired", body = ErrorResponse),
    ),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn validate(Authenticated(user): Authenticated) -> Json<CurrentUser> {
    Json(user)
}

fn forget_session(jar: CookieJar) -> CookieJar {
    jar.remove(Cookie::build(SESSION_COOKIE).path("/"))
}
