//! Password reset and passwordless sign-in by emailed link or code.
//!
//! Requests answer the same whether or not an account exists, and past the rate limit they
//! still answer the same while sending nothing. Tokens are single-use, stored hashed, and a
//! new request voids the older ones of the same purpose.

use std::time::Duration;

use rusqlite::OptionalExtension as _;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{insert_session, parse_user_id, AuthService, NewSession};
use crate::clock::{duration_millis, to_millis};
use crate::domain::{Email, LoginCode, NewPassword, SecretToken, TokenHash};
use crate::error::{Error, Result};
use crate::mail::{enqueue, templates, EmailKind};

/// Emails per address and purpose: at most one each minute ...
const MIN_GAP: Duration = Duration::from_secs(60);
/// ... and five each hour.
const MAX_PER_HOUR: i64 = 5;
/// Wrong codes after which a sign-in request is void.
pub const MAX_CODE_FAILURES: i64 = 5;

/// An email address, for reset and sign-in requests.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailRequest {
    /// The address to send the link to.
    pub email: String,
}

/// A new password, with the token from the reset link.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordReset {
    /// The token from the emailed link.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub token: SecretString,
    /// The new password.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
    pub password: SecretString,
}

impl std::fmt::Debug for PasswordReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordReset([REDACTED])")
    }
}

/// Proof of a sign-in email: the link's token, or the email and the code.
#[derive(Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum VerifyLogin {
    /// From the emailed link.
    Link {
        /// The token from the link.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        token: SecretString,
    },
    /// Typed on another device.
    Code {
        /// The address the code was sent to.
        email: String,
        /// The 8-character code, with or without its dash.
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "K7QM-3XWP"))]
        code: SecretString,
    },
}

impl std::fmt::Debug for VerifyLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerifyLogin([REDACTED])")
    }
}

/// The answer to a request that may or may not send an email.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Accepted {
    /// What happens next, for people.
    pub message: String,
}

#[derive(Clone, Copy)]
enum Purpose {
    Reset,
    Login,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Reset => "reset",
            Self::Login => "login",
        }
    }
}

/// Whether `email` may be sent another email for `purpose` now; records it when so.
fn take_email_allowance(
    tx: &rusqlite::Transaction<'_>,
    purpose: Purpose,
    email: &str,
    now: i64,
) -> Result<bool> {
    let (last_hour, newest): (i64, Option<i64>) = tx.query_row(
        "SELECT count(*), max(requested_at) FROM email_requests
         WHERE purpose = ?1 AND email = ?2 AND requested_at > ?3",
        rusqlite::params![purpose.as_str(), email, now - 3_600_000],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    if last_hour >= MAX_PER_HOUR || newest.is_some_and(|at| now - at < duration_millis(MIN_GAP)) {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO email_requests (purpose, email, requested_at) VALUES (?1, ?2, ?3)",
        rusqlite::params![purpose.as_str(), email, now],
    )?;
    Ok(true)
}

/// A one-time token and the email that carries it.
struct TokenEmail<'a> {
    purpose: Purpose,
    email: &'a str,
    token_hash: &'a TokenHash,
    code_hash: Option<[u8; 32]>,
    ttl: Duration,
    kind: EmailKind,
    rendered: &'a templates::RenderedEmail,
}

/// Voids the address's older tokens of the same purpose, stores the new token (hashed) and
/// puts its email in the outbox, all in the caller's transaction.
fn issue_token_email(
    tx: &rusqlite::Transaction<'_>,
    issue: &TokenEmail<'_>,
    now: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE email_tokens SET used_at = ?1 WHERE purpose = ?2 AND email = ?3 AND used_at IS NULL",
        rusqlite::params![now, issue.purpose.as_str(), issue.email],
    )?;
    tx.execute(
        "INSERT INTO email_tokens (purpose, email, user_id, token_hash, code_hash, created_at, expires_at)
         VALUES (?1, ?2, (SELECT id FROM users WHERE email = ?2), ?3, ?4, ?5, ?6)",
        rusqlite::params![
            issue.purpose.as_str(),
            issue.email,
            &issue.token_hash.0[..],
            issue.code_hash.as_ref().map(|hash| &hash[..]),
            now,
            now + duration_millis(issue.ttl)
        ],
    )?;
    let token_id = tx.last_insert_rowid();
    enqueue(
        tx,
        issue.kind,
        Some(token_id),
        issue.email,
        issue.rendered,
        now,
    )
}

impl AuthService {
    /// Sends a password-reset link if `email` has an account. Answers the same either way; an
    /// email whose domain is not allowed here is `domain_not_allowed`, account or not.
    pub async fn request_password_reset(&self, request: EmailRequest) -> Result<Accepted> {
        self.mailer.require()?;
        let email = Email::parse(&request.email)?;
        self.email_domains.check(&email)?;
        let now = self.clock.now();
        let token = SecretToken::generate()?;
        let ttl = self.email_links.reset_ttl;
        let link = format!(
            "{}/reset-password?token={}",
            self.email_links.public_base,
            token.expose_secret()
        );
        let rendered = templates::password_reset(&link, ttl);
        let token_hash = token.hash();
        let address = email.as_str().to_owned();
        let sent = self
            .store
            .write(move |tx| {
                let now_ms = to_millis(now);
                if !take_email_allowance(tx, Purpose::Reset, &address, now_ms)? {
                    return Ok(false);
                }
                let exists = tx
                    .prepare_cached("SELECT 1 FROM users WHERE email = ?1")?
                    .exists([&address])?;
                if !exists {
                    return Ok(false);
                }
                let issue = TokenEmail {
                    purpose: Purpose::Reset,
                    email: &address,
                    token_hash: &token_hash,
                    code_hash: None,
                    ttl,
                    kind: EmailKind::PasswordReset,
                    rendered: &rendered,
                };
                issue_token_email(tx, &issue, now_ms)?;
                Ok(true)
            })
            .await?;
        if sent {
            self.mailer.wake();
        }
        Ok(Accepted {
            message: format!(
                "If an account exists for {email}, a link to reset its password is on its way. It expires in {}.",
                templates::human_duration(ttl)
            ),
        })
    }

    /// Sets a new password with a reset token: the token is used up, every session of the
    /// user ends, and a notice is emailed. It does not sign in.
    pub async fn reset_password(&self, reset: PasswordReset) -> Result<Accepted> {
        let token = SecretToken::parse(secrecy::ExposeSecret::expose_secret(&reset.token))
            .map_err(|_| Error::InvalidToken)?;
        let token_hash = token.hash();
        let now = to_millis(self.clock.now());
        let found: Option<(i64, String, String)> = self
            .store
            .call(move |conn| {
                Ok(conn
                    .query_row(
                        "SELECT t.id, u.id, u.email FROM email_tokens t JOIN users u ON u.id = t.user_id
                         WHERE t.token_hash = ?1 AND t.purpose = 'reset' AND t.used_at IS NULL AND t.expires_at > ?2",
                        rusqlite::params![&token_hash.0[..], now],
                        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                    )
                    .optional()?)
            })
            .await?;
        let (token_id, user_id, address) = found.ok_or(Error::InvalidToken)?;
        let email = Email::parse(&address)?;
        // The rules may have changed since the email was sent.
        self.email_domains.check(&email)?;
        let password = NewPassword::parse(&reset.password, self.passwords, &email)?;
        let hash = self.hasher.hash(password.expose_secret()).await?;
        let notice = templates::password_changed(&format!(
            "{}/forgot-password",
            self.email_links.public_base
        ));
        let mail_on = self.mailer.is_configured();
        let user = user_id.clone();
        self.store
            .write(move |tx| {
                // Only one redemption can flip used_at; concurrent ones find it set and fail.
                let claimed = tx.execute(
                    "UPDATE email_tokens SET used_at = ?1 WHERE id = ?2 AND used_at IS NULL AND expires_at > ?1",
                    [now, token_id],
                )?;
                if claimed == 0 {
                    return Err(Error::InvalidToken);
                }
                tx.execute(
                    "UPDATE users SET password_hash = ?1, updated_at = ?2 WHERE id = ?3",
                    rusqlite::params![hash, now, user_id],
                )?;
                tx.execute("DELETE FROM sessions WHERE user_id = ?1", [&user_id])?;
                tx.execute("DELETE FROM login_failures WHERE email = ?1", [&address])?;
                if mail_on {
                    enqueue(tx, EmailKind::PasswordChanged, None, &address, &notice, now)?;
                }
                Ok(())
            })
            .await?;
        self.mailer.wake();
        tracing::info!(user_id = %user, "password reset; every session ended");
        Ok(Accepted {
            message: "Your password was changed and every session was signed out. Sign in with the new password.".to_owned(),
        })
    }

    /// Sends a sign-in link and code to `email`, whether or not it has an account yet.
    pub async fn request_login(&self, request: EmailRequest) -> Result<Accepted> {
        self.mailer.require()?;
        let email = Email::parse(&request.email)?;
        self.email_domains.check(&email)?;
        let now = self.clock.now();
        let token = SecretToken::generate()?;
        let code = LoginCode::generate()?;
        let ttl = self.email_links.login_ttl;
        let web_link = format!(
            "{}/login/verify?token={}",
            self.email_links.public_base,
            token.expose_secret()
        );
        let app_link = self
            .email_links
            .desktop_links
            .then(|| crate::links::app_link("login/verify", token.expose_secret()));
        let rendered = templates::sign_in(&web_link, app_link.as_deref(), &code, ttl);
        let token_hash = token.hash();
        let code_hash = code.hash_for(&token_hash);
        let address = email.as_str().to_owned();
        let sent = self
            .store
            .write(move |tx| {
                let now_ms = to_millis(now);
                if !take_email_allowance(tx, Purpose::Login, &address, now_ms)? {
                    return Ok(false);
                }
                let issue = TokenEmail {
                    purpose: Purpose::Login,
                    email: &address,
                    token_hash: &token_hash,
                    code_hash: Some(code_hash),
                    ttl,
                    kind: EmailKind::SignIn,
                    rendered: &rendered,
                };
                issue_token_email(tx, &issue, now_ms)?;
                Ok(true)
            })
            .await?;
        if sent {
            self.mailer.wake();
        }
        Ok(Accepted {
            message: format!(
                "A sign-in link and code are on their way to {email}. They expire in {}.",
                templates::human_duration(ttl)
            ),
        })
    }

    /// Signs in with a sign-in link's token or an emailed code, creating the account (with no
    /// password) at the first verified sign-in.
    pub async fn verify_login(&self, proof: VerifyLogin) -> Result<NewSession> {
        let now = self.clock.now();
        let now_ms = to_millis(now);
        let token_id = match proof {
            VerifyLogin::Link { token } => {
                let token = SecretToken::parse(secrecy::ExposeSecret::expose_secret(&token))
                    .map_err(|_| Error::InvalidToken)?;
                let token_hash = token.hash();
                self.store
                    .call(move |conn| {
                        Ok(conn
                            .query_row(
                                "SELECT id FROM email_tokens WHERE token_hash = ?1 AND purpose = 'login'
                                 AND used_at IS NULL AND expires_at > ?2",
                                rusqlite::params![&token_hash.0[..], now_ms],
                                |row| row.get::<_, i64>(0),
                            )
                            .optional()?)
                    })
                    .await?
                    .ok_or(Error::InvalidToken)?
            }
            VerifyLogin::Code { email, code } => {
                let email = Email::parse(&email)?;
                let code = LoginCode::parse(secrecy::ExposeSecret::expose_secret(&code))?;
                let address = email.as_str().to_owned();
                self.store
                    .write(move |tx| {
                        let newest: Option<(i64, Vec<u8>, Vec<u8>)> = tx
                            .query_row(
                                "SELECT id, token_hash, code_hash FROM email_tokens
                                 WHERE purpose = 'login' AND email = ?1 AND used_at IS NULL AND expires_at > ?2
                                 ORDER BY created_at DESC LIMIT 1",
                                rusqlite::params![address, now_ms],
                                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                            )
                            .optional()?;
                        let Some((id, token_hash, code_hash)) = newest else {
                            return Ok(Err(Error::InvalidCode));
                        };
                        let token_hash = TokenHash(
                            token_hash.try_into().map_err(|_| Error::internal(anyhow::anyhow!("bad token hash")))?,
                        );
                        if code.hash_for(&token_hash)[..] == code_hash[..] {
                            return Ok(Ok(id));
                        }
                        // A wrong code counts against the request; the fifth voids it.
                        tx.execute(
                            "UPDATE email_tokens SET code_failures = code_failures + 1,
                                    used_at = CASE WHEN code_failures + 1 >= ?2 THEN ?3 ELSE used_at END
                             WHERE id = ?1",
                            rusqlite::params![id, MAX_CODE_FAILURES, now_ms],
                        )?;
                        Ok(Err(Error::InvalidCode))
                    })
                    .await??
            }
        };
        let session_token = SecretToken::generate()?;
        let session_hash = session_token.hash();
        let expires_at = now + self.sessions.ttl;
        let rules = self.email_domains.clone();
        let (user_id, email, created) = self
            .store
            .write(move |tx| {
                let email: String = tx.query_row(
                    "SELECT email FROM email_tokens WHERE id = ?1",
                    [token_id],
                    |row| row.get(0),
                )?;
                // The rules may have changed since the email was sent.
                rules.check(&Email::parse(&email)?)?;
                let claimed = tx.execute(
                    "UPDATE email_tokens SET used_at = ?1 WHERE id = ?2 AND used_at IS NULL AND expires_at > ?1",
                    [now_ms, token_id],
                )?;
                if claimed == 0 {
                    return Err(Error::InvalidToken);
                }
                let created = tx.execute(
                    "INSERT INTO users (id, email, password_hash, created_at, updated_at)
                     VALUES (?1, ?2, NULL, ?3, ?3) ON CONFLICT (email) DO NOTHING",
                    rusqlite::params![Uuid::new_v4().to_string(), email, now_ms],
                )? == 1;
                let user_id: String =
                    tx.query_row("SELECT id FROM users WHERE email = ?1", [&email], |row| row.get(0))?;
                if created {
                    crate::chat::create_personal_workspace(tx, &user_id, now_ms)?;
                }
                insert_session(tx, &session_hash, &user_id, now, expires_at)?;
                Ok((user_id, email, created))
            })
            .await?;
        let user_id = parse_user_id(&user_id)?;
        tracing::info!(%user_id, created, "signed in by email");
        Ok(NewSession {
            token: session_token,
            user_id,
            domain: super::domain_of(&email).to_owned(),
            expires_at,
        })
    }
}
