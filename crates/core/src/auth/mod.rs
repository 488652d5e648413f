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
};
use crate::error::{Error, Result};
use crate::mail::Mailer;
use crate::store::accounts::NewAccount;
use crate::store::login_attempts::{AttemptId, Reservation};
use crate::store::{Millis, Store, Tx};
use crate::user::domain_of;
pub use crate::user::CurrentUser;

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

/// What a cleanup pass of the account records removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ExpiredRecords {
    /// Sessions past their lifetime or idle timeout.
    pub(crate) sessions: usize,
    /// Failed-login records older than the throttling window.
    pub(crate) login_failures: usize,
    /// Reset, sign-in and confirmation tokens past their lifetime.
    pub(crate) email_tokens: usize,
}

/// What is done for every new account, in the transaction that creates it (its Personal
/// workspace): wired by [`crate::Docent`], so accounts need not know the other areas.
pub(crate) type NewAccountSetup = fn(&dyn Tx, Uuid, Millis) -> Result<()>;

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
    store: Store,
    clock: Arc<dyn Clock>,
    hasher: Hasher,
    mailer: Arc<Mailer>,
    passwords: PasswordPolicy,
    sessions: SessionPolicy,
    email_domains: DomainRules,
    email_links: EmailLinks,
    new_account: NewAccountSetup,
}

/// Everything an [`AuthService`] is made of.
pub(crate) struct AuthParts {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) hasher: Hasher,
    pub(crate) mailer: Arc<Mailer>,
    pub(crate) passwords: PasswordPolicy,
    pub(crate) sessions: SessionPolicy,
    pub(crate) email_domains: DomainRules,
    pub(crate) email_links: EmailLinks,
    pub(crate) new_account: NewAccountSetup,
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
            new_account: parts.new_account,
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
        let address = email.as_str().to_owned();
        if self
            .store
            .read(move |tx| tx.accounts().email_taken(&address))
            .await?
        {
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
        let new_account = self.new_account;
        let verification_sent = self
            .store
            .write(move |tx| {
                let account = NewAccount {
                    id: user_id,
                    email: &address,
                    password_hash: Some(&hash),
                    email_verified: false,
                    now,
                };
                // Another registration of the same email may have won the race.
                if !tx.accounts().insert(&account)? {
                    return Err(Error::EmailTaken);
                }
                new_account(tx, user_id, now)?;
                match &confirmation {
                    Some(email)
                        if email_flows::take_email_allowance(
                            tx,
                            email_flows::Purpose::Verify,
                            &address,
                            &client,
                            now,
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
        let now_ms = to_millis(now);
        let (reserved, account) = {
            let email = email.as_str().to_owned();
            self.store
                .write(move |tx| {
                    let reserved = reserve_attempt(tx, &email, now_ms)?;
                    Ok((reserved, tx.accounts().by_email(&email)?))
                })
                .await?
        };
        let stored_hash = account.as_ref().and_then(|a| a.password_hash.clone());
        let verification = self
            .hasher
            .verify(stored_hash, attempt.expose_secret())
            .await?;
        // A wrong password leaves its reserved attempt in place: that is the failure's record.
        let account = match account {
            Some(account) if verification.matches => account,
            _ => return Err(Error::InvalidCredentials),
        };
        if !account.email_verified && self.mailer.is_configured() {
            self.store
                .write(move |tx| tx.login_attempts().forget(reserved))
                .await?;
            return Err(Error::EmailNotVerified);
        }
        let rehashed = if verification.needs_rehash {
            Some(self.hasher.hash(attempt.expose_secret()).await?)
        } else {
            None
        };
        let token = SecretToken::generate()?;
        let expires_at = now + self.sessions.ttl;
        let token_hash = token.hash();
        let user_id = account.id;
        self.store
            .write(move |tx| {
                tx.login_attempts().forget(reserved)?;
                if let Some(hash) = rehashed {
                    tx.accounts()
                        .set_password_hash(user_id, Some(&hash), now_ms)?;
                    tracing::info!(%user_id, "password hash upgraded to current parameters");
                }
                tx.sessions()
                    .insert(&token_hash, user_id, now_ms, to_millis(expires_at))
            })
            .await?;
        tracing::info!(%user_id, "signed in");
        Ok(NewSession {
            token,
            user_id,
            domain: email.domain().to_owned(),
            email_verified: account.email_verified,
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
        let found = self
            .store
            .read(move |tx| tx.sessions().by_token(&token_hash))
            .await?;
        let session = found.ok_or(Error::Unauthenticated)?;
        let (expired, stale) = (
            now >= session.expires_at || now.saturating_sub(session.last_seen_at) >= idle,
            now.saturating_sub(session.last_seen_at) >= granularity,
        );
        if expired || stale {
            let id = session.id;
            self.store
                .write(move |tx| {
                    if expired {
                        tx.sessions().delete(id)
                    } else {
                        tx.sessions().touch(id, now)
                    }
                })
                .await?;
        }
        if expired {
            return Err(Error::SessionExpired);
        }
        Ok(CurrentUser {
            user_id: session.user_id,
            domain: domain_of(&session.email).to_owned(),
            email: session.email,
            email_verified: session.email_verified,
            session_id: session.id,
        })
    }

    /// Ends the session `user` came with; the user's other sessions go on.
    pub async fn logout(&self, user: &CurrentUser) -> Result<()> {
        let session_id = user.session_id;
        self.store
            .write(move |tx| tx.sessions().delete(session_id))
            .await
    }

    /// Ends every session of `user`.
    pub async fn logout_all(&self, user: &CurrentUser) -> Result<()> {
        let user_id = user.user_id;
        let ended = self
            .store
            .write(move |tx| tx.sessions().delete_for_account(user_id))
            .await?;
        tracing::info!(%user_id, ended, "signed out everywhere");
        Ok(())
    }

    /// Deletes expired sessions and tokens, stale throttling and email-request records, in the
    /// caller's transaction.
    pub(crate) fn delete_expired(&self, tx: &dyn Tx, now: Millis) -> Result<ExpiredRecords> {
        let idle_cutoff = now.saturating_sub(duration_millis(self.sessions.idle_timeout));
        let failure_cutoff = now.saturating_sub(duration_millis(FAILURE_WINDOW));
        let records = ExpiredRecords {
            sessions: tx.sessions().delete_expired(now, idle_cutoff)?,
            login_failures: tx.login_attempts().delete_before(failure_cutoff)?,
            email_tokens: tx.email_tokens().delete_expired(now)?,
        };
        email_flows::delete_old_requests(tx, now)?;
        Ok(records)
    }

    /// The clock this service reads.
    pub(crate) fn now(&self) -> Millis {
        to_millis(self.clock.now())
    }
}

/// Counts a password attempt for `email` before its password is checked, in the caller's
/// write transaction (the store makes the count and the record one step, whatever the
/// concurrency). Past [`MAX_FAILED_LOGINS`] within [`FAILURE_WINDOW`] it is
/// [`Error::TooManyAttempts`]. Returns the attempt's record, which a right password deletes
/// (the others stay: a success buys no more guesses within the window).
pub(crate) fn reserve_attempt(tx: &dyn Tx, email: &str, now: Millis) -> Result<AttemptId> {
    let window = duration_millis(FAILURE_WINDOW);
    match tx
        .login_attempts()
        .reserve(email, now - window, MAX_FAILED_LOGINS, now)?
    {
        Reservation::Reserved(attempt) => Ok(attempt),
        // The window has passed once the oldest of the last MAX_FAILED_LOGINS attempts leaves it.
        Reservation::Full { oldest } => {
            let wait_ms = (oldest + window - now).max(1000);
            Err(Error::TooManyAttempts {
                retry_after: Duration::from_millis(wait_ms as u64),
            })
        }
    }
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
