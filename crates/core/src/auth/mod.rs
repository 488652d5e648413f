//! Accounts and sessions: registration, sign-in with throttling, session checks with an
//! absolute lifetime and an idle timeout, sign-out, and cleanup of what has expired.
//!
//! An account's address is proven or not. Registering with a password proves nothing: where
//! email is set up, the account is confirmed by an emailed link or code (with its password)
//! before a password sign-in works; without email it stays unproven and works for its own
//! workspaces only. Only proven accounts are members of their email domain.

mod email_flows;
mod hasher;

use std::sync::Arc;
use std::time::Duration;

use rusqlite::OptionalExtension as _;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

pub use email_flows::{
    Accepted, EmailRequest, PasswordReset, VerifyEmail, VerifyLogin, MAX_CODE_FAILURES,
};
pub use hasher::hash_blocking as hash_password_blocking;
pub(crate) use hasher::Hasher;

use crate::clock::{duration_millis, to_millis, Clock};
use crate::domain::{
    DomainRules, Email, NewPassword, PasswordAttempt, PasswordPolicy, Requester, SecretToken,
    TokenHash,
};
use crate::error::{Error, Result};
use crate::mail::{self, Mailer};
use crate::store::{is_unique_violation, Store};

/// Password checks allowed per email within [`FAILURE_WINDOW`] that did not (yet) succeed;
/// further attempts wait. Each attempt is counted before its password is checked.
pub const MAX_FAILED_LOGINS: usize = 5;
/// The window over which failed sign-ins are counted.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// A session's last-seen time is written at most this often.
pub const LAST_SEEN_GRANULARITY: Duration = Duration::from_secs(60);

/// An email and a password, as typed.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Credentials {
    /// The account's email address.
    #[cfg_attr(feature = "openapi", schema(example = "ada@example.com"))]
    pub email: String,
    /// The password (never logged, never stored).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
    pub password: SecretString,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .field("password", &"[REDACTED]")
            .finish()
    }
}

/// A newly registered account.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisteredUser {
    /// The account's id.
    pub user_id: Uuid,
    /// The normalised email.
    pub email: String,
    /// Whether the address is proven (never yet, at registration).
    pub email_verified: bool,
    /// Whether a confirmation email was sent: where email is set up, the account signs in with
    /// its password once the address is confirmed with that email's link or code.
    pub verification_sent: bool,
    /// What happens next, for people.
    pub message: String,
}

/// The signed-in user behind a valid session.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CurrentUser {
    /// The account's id.
    pub user_id: Uuid,
    /// The account's email.
    pub email: String,
    /// The email's domain, which decides what is shared with whom.
    pub domain: String,
    /// Whether the address is proven; only then is the user a member of its domain.
    pub email_verified: bool,
    /// The session this request came with (not sent to clients).
    #[serde(skip)]
    pub session_id: i64,
}

/// A session just created by a sign-in. The token is for its owner only.
#[derive(Debug)]
pub struct NewSession {
    /// The bearer token; only its hash is stored.
    pub token: SecretToken,
    /// Who signed in.
    pub user_id: Uuid,
    /// The domain of their email.
    pub domain: String,
    /// Whether the address is proven.
    pub email_verified: bool,
    /// Something the owner must know about this sign-in (a password was removed), if anything.
    pub notice: Option<String>,
    /// The absolute end of the session (it may end earlier when idle).
    pub expires_at: OffsetDateTime,
}

/// What a cleanup pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CleanupReport {
    /// Sessions past their lifetime or idle timeout.
    pub sessions: usize,
    /// Failed-login records older than the throttling window.
    pub login_failures: usize,
    /// Reset and sign-in tokens past their lifetime, and old email-request records.
    pub email_tokens: usize,
    /// Outbox rows finished more than a week ago.
    pub outbox: usize,
    /// Answers left half-written by a crash, now marked failed.
    pub interrupted_answers: usize,
}

/// Session lifetimes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionPolicy {
    pub(crate) ttl: Duration,
    pub(crate) idle_timeout: Duration,
}

/// What emailed links look like and how long they live.
#[derive(Debug, Clone)]
pub(crate) struct EmailLinks {
    pub(crate) public_base: String,
    pub(crate) reset_ttl: Duration,
    pub(crate) login_ttl: Duration,
    pub(crate) verify_ttl: Duration,
    pub(crate) desktop_links: bool,
}

/// Accounts and sessions.
#[derive(Debug)]
pub struct AuthService {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    hasher: Hasher,
    mailer: Arc<Mailer>,
    passwords: PasswordPolicy,
    sessions: SessionPolicy,
    email_domains: DomainRules,
    email_links: EmailLinks,
}

/// Everything an [`AuthService`] is made of.
pub(crate) struct AuthParts {
    pub(crate) store: Arc<Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) hasher: Hasher,
    pub(crate) mailer: Arc<Mailer>,
    pub(crate) passwords: PasswordPolicy,
    pub(crate) sessions: SessionPolicy,
    pub(crate) email_domains: DomainRules,
    pub(crate) email_links: EmailLinks,
}

struct StoredUser {
    id: String,
    password_hash: Option<String>,
    email_verified: bool,
}

impl AuthService {
    pub(crate) fn new(parts: AuthParts) -> Self {
        Self {
            store: parts.store,
            clock: parts.clock,
            hasher: parts.hasher,
            mailer: parts.mailer,
            passwords: parts.passwords,
            sessions: parts.sessions,
            email_domains: parts.email_domains,
            email_links: parts.email_links,
        }
    }

    /// Creates an account with a password; its address is not proven. Where email is set up,
    /// a confirmation email (link and code) goes out, and password sign-in waits for it. A
    /// taken email is [`Error::EmailTaken`]; a domain that is not allowed here is
    /// `domain_not_allowed`.
    pub async fn register(
        &self,
        credentials: Credentials,
        from: &Requester,
    ) -> Result<RegisteredUser> {
        let email = Email::parse(&credentials.email)?;
        self.email_domains.check(&email)?;
        let password = NewPassword::parse(&credentials.password, self.passwords, &email)?;
        let taken = {
            let email = email.as_str().to_owned();
            self.store
                .call(move |conn| {
                    let mut stmt = conn.prepare_cached("SELECT 1 FROM users WHERE email = ?1")?;
                    Ok(stmt.exists([&email])?)
                })
                .await?
        };
        if taken {
            return Err(Error::EmailTaken);
        }
        let hash = self.hasher.hash(password.expose_secret()).await?;
        let confirmation = if self.mailer.is_configured() {
            Some(self.confirmation_email()?)
        } else {
            None
        };
        let user_id = Uuid::new_v4();
        let now = to_millis(self.clock.now());
        let address = email.as_str().to_owned();
        let client = *from;
        let verification_sent = self
            .store
            .write(move |tx| {
                let inserted = tx.execute(
                    "INSERT INTO users (id, email, password_hash, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?4)",
                    rusqlite::params![user_id.to_string(), address, hash, now],
                );
                match inserted {
                    Ok(_) => {}
                    // Another registration of the same email won the race.
                    Err(err) if is_unique_violation(&err) => return Err(Error::EmailTaken),
                    Err(err) => return Err(err.into()),
                }
                crate::chat::create_personal_workspace(tx, &user_id.to_string(), now)?;
                match &confirmation {
                    Some(email)
                        if email_flows::PendingConfirmation::allowed(
                            tx, &address, &client, now,
                        )? =>
                    {
                        email.issue(tx, &address, now)?;
                        Ok(true)
                    }
                    _ => Ok(false),
                }
            })
            .await?;
        if verification_sent {
            self.mailer.wake();
        }
        tracing::info!(%user_id, verification_sent, "account registered");
        let message = if self.mailer.is_configured() {
            format!(
                "Your account was created. To sign in, confirm your address: open the link sent to {email} or type its code, then use your password. The link expires in {}.",
                crate::mail::templates::human_duration(self.email_links.verify_ttl)
            )
        } else {
            "Your account was created. This Docent cannot send email, so your address stays unconfirmed: you can use your own workspaces, but conversations shared with your email domain are not shown to you.".to_owned()
        };
        Ok(RegisteredUser {
            user_id,
            email: email.as_str().to_owned(),
            email_verified: false,
            verification_sent,
            message,
        })
    }

    /// Signs in with a password. Unknown emails and wrong passwords get the same
    /// [`Error::InvalidCredentials`] after the same work. Each attempt is counted before its
    /// password is checked, so at most [`MAX_FAILED_LOGINS`] wrong passwords are ever checked
    /// per email within [`FAILURE_WINDOW`], however many arrive at once; past that, attempts
    /// get [`Error::TooManyAttempts`]. A right password for an account whose address is not
    /// proven is [`Error::EmailNotVerified`] where email is set up. An email whose domain is not
    /// allowed (any more) is `domain_not_allowed`, whether or not it has an account: the
    /// answer depends on the address alone.
    pub async fn login(&self, credentials: Credentials) -> Result<NewSession> {
        let email = Email::parse(&credentials.email)?;
        self.email_domains.check(&email)?;
        let attempt = PasswordAttempt::parse(&credentials.password)?;
        let now = self.clock.now();
        let (reserved, user) = {
            let email = email.as_str().to_owned();
            let now_ms = to_millis(now);
            self.store
                .write(move |tx| {
                    let attempt = reserve_attempt(tx, &email, now_ms)?;
                    let user = tx
                        .prepare_cached(
                            "SELECT id, password_hash, email_verified_at IS NOT NULL FROM users WHERE email = ?1",
                        )?
                        .query_row([&email], |row| {
                            Ok(StoredUser {
                                id: row.get(0)?,
                                password_hash: row.get(1)?,
                                email_verified: row.get(2)?,
                            })
                        })
                        .optional()?;
                    Ok((attempt, user))
                })
                .await?
        };
        let stored_hash = user.as_ref().and_then(|u| u.password_hash.clone());
        let verification = self
            .hasher
            .verify(stored_hash, attempt.expose_secret())
            .await?;
        // A wrong password leaves its reserved attempt in place: that is the failure's record.
        let user = match user {
            Some(user) if verification.matches => user,
            _ => return Err(Error::InvalidCredentials),
        };
        if !user.email_verified && self.mailer.is_configured() {
            self.store
                .call(move |conn| forget_attempt(conn, reserved))
                .await?;
            return Err(Error::EmailNotVerified);
        }
        let rehashed = if verification.needs_rehash {
            Some(self.hasher.hash(attempt.expose_secret()).await?)
        } else {
            None
        };
        let user_id = parse_user_id(&user.id)?;
        let token = SecretToken::generate()?;
        let expires_at = now + self.sessions.ttl;
        let token_hash = token.hash();
        let email = email.as_str().to_owned();
        let stored_id = user.id.clone();
        self.store
            .write(move |tx| {
                forget_attempt(tx, reserved)?;
                if let Some(hash) = rehashed {
                    tx.execute(
                        "UPDATE users SET password_hash = ?1, updated_at = ?2 WHERE id = ?3",
                        rusqlite::params![hash, to_millis(now), stored_id],
                    )?;
                    tracing::info!(user_id = %stored_id, "password hash upgraded to current parameters");
                }
                insert_session(tx, &token_hash, &stored_id, now, expires_at)
            })
            .await?;
        tracing::info!(%user_id, "signed in");
        Ok(NewSession {
            token,
            user_id,
            domain: domain_of(&email).to_owned(),
            email_verified: user.email_verified,
            notice: None,
            expires_at,
        })
    }

    /// The user behind a session token. An unknown token is [`Error::Unauthenticated`]; one
    /// past its lifetime or idle timeout is [`Error::SessionExpired`] (and is deleted). So is,
    /// as `Unauthenticated`, the session of an account whose email domain is no longer allowed,
    /// or whose address is unproven where an allow-list admits only proven addresses: signing
    /// in again then says why. (The session stays stored, should the rules change back.)
    pub async fn authenticate(&self, token: &SecretToken) -> Result<CurrentUser> {
        let user = self.session_user(token).await?;
        if !self.email_domains.allows(&user.domain) {
            tracing::info!(user_id = %user.user_id, "session refused: the email domain is no longer allowed");
            return Err(Error::Unauthenticated);
        }
        if !user.email_verified && !self.email_domains.allowed.is_empty() {
            tracing::info!(user_id = %user.user_id, "session refused: the allow-list admits proven addresses only");
            return Err(Error::Unauthenticated);
        }
        Ok(user)
    }

    async fn session_user(&self, token: &SecretToken) -> Result<CurrentUser> {
        let token_hash = token.hash();
        let now = to_millis(self.clock.now());
        let idle = duration_millis(self.sessions.idle_timeout);
        let granularity = duration_millis(LAST_SEEN_GRANULARITY);
        self.store
            .call(move |conn| {
                let row = conn
                    .prepare_cached(
                        "SELECT s.id, s.user_id, s.expires_at, s.last_seen_at, u.email,
                                u.email_verified_at IS NOT NULL
                         FROM sessions s JOIN users u ON u.id = s.user_id
                         WHERE s.token_hash = ?1",
                    )?
                    .query_row([&token_hash.0[..]], |row| {
                        Ok((
                            row.get::<_, i64>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, i64>(2)?,
                            row.get::<_, i64>(3)?,
                            row.get::<_, String>(4)?,
                            row.get::<_, bool>(5)?,
                        ))
                    })
                    .optional()?;
                let Some((session_id, user_id, expires_at, last_seen_at, email, email_verified)) =
                    row
                else {
                    return Err(Error::Unauthenticated);
                };
                if now >= expires_at || now.saturating_sub(last_seen_at) >= idle {
                    conn.prepare_cached("DELETE FROM sessions WHERE id = ?1")?
                        .execute([session_id])?;
                    return Err(Error::SessionExpired);
                }
                if now.saturating_sub(last_seen_at) >= granularity {
                    conn.prepare_cached("UPDATE sessions SET last_seen_at = ?1 WHERE id = ?2")?
                        .execute([now, session_id])?;
                }
                let domain = domain_of(&email).to_owned();
                Ok(CurrentUser {
                    user_id: parse_user_id(&user_id)?,
                    email,
                    domain,
                    email_verified,
                    session_id,
                })
            })
            .await
    }

    /// Ends the session `user` came with; the user's other sessions go on.
    pub async fn logout(&self, user: &CurrentUser) -> Result<()> {
        let session_id = user.session_id;
        self.store
            .call(move |conn| {
                conn.execute("DELETE FROM sessions WHERE id = ?1", [session_id])?;
                Ok(())
            })
            .await
    }

    /// Ends every session of `user`.
    pub async fn logout_all(&self, user: &CurrentUser) -> Result<()> {
        let user_id = user.user_id.to_string();
        let ended = self
            .store
            .call(move |conn| {
                Ok(conn.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])?)
            })
            .await?;
        tracing::info!(user_id = %user.user_id, ended, "signed out everywhere");
        Ok(())
    }

    /// Deletes expired sessions and tokens, stale throttling records, old outbox rows.
    pub async fn cleanup_expired(&self) -> Result<CleanupReport> {
        let now = to_millis(self.clock.now());
        let idle_cutoff = now.saturating_sub(duration_millis(self.sessions.idle_timeout));
        let failure_cutoff = now.saturating_sub(duration_millis(FAILURE_WINDOW));
        self.store
            .write(move |tx| {
                let sessions = tx.execute(
                    "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?2",
                    [now, idle_cutoff],
                )?;
                let login_failures = tx.execute(
                    "DELETE FROM login_failures WHERE failed_at <= ?1",
                    [failure_cutoff],
                )?;
                let email_tokens =
                    tx.execute("DELETE FROM email_tokens WHERE expires_at <= ?1", [now])?;
                tx.execute(
                    "DELETE FROM email_requests WHERE requested_at <= ?1",
                    [now - 3_600_000],
                )?;
                let outbox = mail::delete_finished(tx, now)?;
                let interrupted_answers = crate::chat::ChatService::fail_stale_answers(tx, now)?;
                Ok(CleanupReport {
                    sessions,
                    login_failures,
                    email_tokens,
                    outbox,
                    interrupted_answers,
                })
            })
            .await
    }
}

/// Counts a password attempt for `email` before its password is checked, in the caller's
/// write transaction: the count and the insert are one step, so concurrent attempts (from any
/// number of requests, or servers on one database) cannot all pass the check before any is
/// recorded. Past [`MAX_FAILED_LOGINS`] within [`FAILURE_WINDOW`] it is
/// [`Error::TooManyAttempts`]. Returns the attempt's record, which a right password deletes
/// (the others stay: a success buys no more guesses within the window).
pub(crate) fn reserve_attempt(
    tx: &rusqlite::Transaction<'_>,
    email: &str,
    now: i64,
) -> Result<AttemptId> {
    let window = duration_millis(FAILURE_WINDOW);
    let recent: Vec<i64> = tx
        .prepare_cached(
            "SELECT failed_at FROM login_failures WHERE email = ?1 AND failed_at > ?2
             ORDER BY failed_at DESC LIMIT ?3",
        )?
        .query_map(
            rusqlite::params![email, now - window, MAX_FAILED_LOGINS as i64],
            |row| row.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    if recent.len() >= MAX_FAILED_LOGINS {
        // The window has passed once the oldest of the last MAX_FAILED_LOGINS attempts leaves it.
        let oldest = recent[MAX_FAILED_LOGINS - 1];
        let wait_ms = (oldest + window - now).max(1000);
        return Err(Error::TooManyAttempts {
            retry_after: Duration::from_millis(wait_ms as u64),
        });
    }
    tx.prepare_cached("INSERT INTO login_failures (email, failed_at) VALUES (?1, ?2)")?
        .execute(rusqlite::params![email, now])?;
    Ok(AttemptId(tx.last_insert_rowid()))
}

/// The record of one reserved password attempt.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttemptId(i64);

/// Deletes the record of an attempt whose password was right.
pub(crate) fn forget_attempt(conn: &rusqlite::Connection, attempt: AttemptId) -> Result<()> {
    conn.prepare_cached("DELETE FROM login_failures WHERE rowid = ?1")?
        .execute([attempt.0])?;
    Ok(())
}

fn insert_session(
    tx: &rusqlite::Transaction<'_>,
    token_hash: &TokenHash,
    user_id: &str,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<()> {
    tx.execute(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?3)",
        rusqlite::params![
            &token_hash.0[..],
            user_id,
            to_millis(now),
            to_millis(expires_at)
        ],
    )?;
    Ok(())
}

fn domain_of(email: &str) -> &str {
    email.rsplit('@').next().unwrap_or_default()
}

fn parse_user_id(raw: &str) -> Result<Uuid> {
    Uuid::parse_str(raw).map_err(Error::internal)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{Credentials, Docent, ManualClock, Settings};

    fn credentials(email: &str, password: &str) -> Credentials {
        Credentials {
            email: email.to_owned(),
            password: password.to_owned().into(),
        }
    }

    /// Neither the answer nor the work tells an unknown email from a wrong password: both run
    /// exactly one argon2id verification (the unknown one against the dummy hash).
    #[tokio::test]
    async fn unknown_email_and_wrong_password_do_the_same_work() {
        let dir = tempfile::tempdir().unwrap();
        let docent = Docent::open_with_clock(
            Settings::with_data_dir(dir.path()),
            Arc::new(ManualClock::starting_now()),
        )
        .await
        .unwrap();
        let auth = docent.auth();
        auth.register(
            credentials("real@example.com", "Tangerine-Orbit-Quietly-47"),
            &crate::domain::Requester::Local,
        )
        .await
        .unwrap();
        let before = auth.hasher.verifications();
        let unknown = auth
            .login(credentials(
                "ghost@example.com",
                "Tangerine-Orbit-Quietly-47",
            ))
            .await
            .unwrap_err();
        assert_eq!(auth.hasher.verifications(), before + 1);
        let wrong = auth
            .login(credentials("real@example.com", "Wrong-Orbit-Quietly-47"))
            .await
            .unwrap_err();
        assert_eq!(auth.hasher.verifications(), before + 2);
        assert_eq!(unknown.body(), wrong.body());
    }
}
