//! What is proven by email: password reset, passwordless sign-in by emailed link or code, and
//! the confirmation of a password account's address.
//!
//! Requests answer the same whether or not an account exists, and past the rate limit they
//! still answer the same while sending nothing. The limit is kept per address and per
//! requesting client, so a stranger cannot use up someone else's. Tokens are single-use,
//! stored hashed, and a new request voids the older ones of the same purpose. Wrong codes use
//! up the code, never the link.
//!
//! An address is proven by any of these emails. Proving an address whose account got a
//! password while unproven removes that password (unless the proof is the confirmation, which
//! asks for it) and ends every earlier session: whoever set it may not have owned the address.

use std::time::Duration;

use rusqlite::OptionalExtension as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{insert_session, parse_user_id, reserve_attempt, AuthService, NewSession};
use crate::clock::{duration_millis, to_millis};
use crate::domain::{
    Email, LoginCode, NewPassword, PasswordAttempt, Requester, SecretToken, TokenHash,
};
use crate::error::{Error, Result};
use crate::mail::{enqueue, templates, EmailKind};

/// Emails per address, purpose and requesting client: at most one each minute ...
const MIN_GAP: Duration = Duration::from_secs(60);
/// ... and five each hour ...
const MAX_PER_HOUR: i64 = 5;
/// ... and, whoever asks, twenty per address and purpose each hour, so that many clients
/// together cannot flood one mailbox.
const MAX_PER_HOUR_ALL_CLIENTS: i64 = 20;
/// Wrong codes after which a code is void (its link still works).
pub const MAX_CODE_FAILURES: i64 = 5;

/// An email address, for reset, sign-in and confirmation requests.
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

/// Proof that a password account's address is its registrant's: the confirmation email's link
/// token (or the address and its code), and the account's password, which only the registrant
/// knows. Someone who merely receives the email cannot confirm an account a stranger made.
#[derive(Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum VerifyEmail {
    /// From the emailed link.
    Link {
        /// The token from the link.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        token: SecretString,
        /// The account's password.
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
        password: SecretString,
    },
    /// Typed where the person signed up.
    Code {
        /// The address the code was sent to.
        email: String,
        /// The 8-character code, with or without its dash.
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "K7QM-3XWP"))]
        code: SecretString,
        /// The account's password.
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
        password: SecretString,
    },
}

impl std::fmt::Debug for VerifyEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerifyEmail([REDACTED])")
    }
}

/// The answer to a request that may or may not send an email.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Accepted {
    /// What happens next, for people.
    pub message: String,
}

/// What an emailed token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    Reset,
    Login,
    Verify,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Reset => "reset",
            Self::Login => "login",
            Self::Verify => "verify",
        }
    }
}

/// Whether `email` may be sent another email for `purpose` now, at the request of `client`;
/// records it when so.
fn take_email_allowance(
    tx: &rusqlite::Transaction<'_>,
    purpose: Purpose,
    email: &str,
    client: &Requester,
    now: i64,
) -> Result<bool> {
    let client = client.allowance_key();
    let hour_ago = now - 3_600_000;
    let (by_client, newest_by_client, by_anyone): (i64, Option<i64>, i64) = tx.query_row(
        "SELECT count(*) FILTER (WHERE client = ?3), max(requested_at) FILTER (WHERE client = ?3), count(*)
         FROM email_requests WHERE purpose = ?1 AND email = ?2 AND requested_at > ?4",
        rusqlite::params![purpose.as_str(), email, client, hour_ago],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    let too_soon = newest_by_client.is_some_and(|at| now - at < duration_millis(MIN_GAP));
    if by_client >= MAX_PER_HOUR || too_soon || by_anyone >= MAX_PER_HOUR_ALL_CLIENTS {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO email_requests (purpose, email, client, requested_at) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![purpose.as_str(), email, client, now],
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

/// Marks the account's address proven now (if it was not), and voids any confirmation email
/// still on its way: the address needs no more proof.
fn prove_address(tx: &rusqlite::Transaction<'_>, user_id: &str, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE users SET email_verified_at = coalesce(email_verified_at, ?1) WHERE id = ?2",
        rusqlite::params![now, user_id],
    )?;
    tx.execute(
        "UPDATE email_tokens SET used_at = ?1 WHERE purpose = 'verify' AND user_id = ?2 AND used_at IS NULL",
        rusqlite::params![now, user_id],
    )?;
    Ok(())
}

/// A proof as presented: a link's token, or an address and the code sent to it.
enum Proof {
    Link(SecretToken),
    Code(Email, LoginCode),
}

impl Proof {
    fn link(token: &SecretString) -> Result<Self> {
        SecretToken::parse(token.expose_secret())
            .map(Self::Link)
            .map_err(|_| Error::InvalidToken)
    }

    fn code(email: &str, code: &SecretString) -> Result<Self> {
        Ok(Self::Code(
            Email::parse(email)?,
            LoginCode::parse(code.expose_secret())?,
        ))
    }
}

/// A live token found by its proof (not yet claimed).
struct FoundToken {
    id: i64,
    email: String,
    user_id: Option<String>,
}

/// The newest live token of an address, as its code is checked.
struct StoredCode {
    id: i64,
    user_id: Option<String>,
    token_hash: Vec<u8>,
    code_hash: Option<Vec<u8>>,
    failures: i64,
}

/// Claims a found token for its one use; only one redemption can flip `used_at`.
fn claim_token(tx: &rusqlite::Transaction<'_>, token_id: i64, now: i64) -> Result<()> {
    let claimed = tx.execute(
        "UPDATE email_tokens SET used_at = ?1 WHERE id = ?2 AND used_at IS NULL AND expires_at > ?1",
        [now, token_id],
    )?;
    if claimed == 0 {
        return Err(Error::InvalidToken);
    }
    Ok(())
}

/// The message of a session made by an emailed sign-in that removed a password.
const PASSWORD_REMOVED_NOTICE: &str = "This account had a password that was set before anyone had proven this address. To keep the account yours, that password was removed and every earlier session was signed out. Check the workspaces it holds, and choose a new password with \"Forgot your password?\" if you want one.";

impl AuthService {
    /// The web and `docent://` links to `page` with `token`.
    fn links_to(&self, page: &str, token: &SecretToken) -> (String, Option<String>) {
        let web = format!(
            "{}/{page}?token={}",
            self.email_links.public_base,
            token.expose_secret()
        );
        let app = self
            .email_links
            .desktop_links
            .then(|| crate::links::app_link(page, token.expose_secret()));
        (web, app)
    }

    /// Sends a password-reset link if `email` has an account. Answers the same either way; an
    /// email whose domain is not allowed here is `domain_not_allowed`, account or not.
    pub async fn request_password_reset(
        &self,
        request: EmailRequest,
        from: &Requester,
    ) -> Result<Accepted> {
        self.mailer.require()?;
        let email = Email::parse(&request.email)?;
        self.email_domains.check(&email)?;
        let now = self.clock.now();
        let token = SecretToken::generate()?;
        let ttl = self.email_links.reset_ttl;
        let (link, _) = self.links_to("reset-password", &token);
        let rendered = templates::password_reset(&link, ttl);
        let token_hash = token.hash();
        let address = email.as_str().to_owned();
        let client = *from;
        let sent = self
            .store
            .write(move |tx| {
                let now_ms = to_millis(now);
                if !take_email_allowance(tx, Purpose::Reset, &address, &client, now_ms)? {
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

    /// Sets a new password with a reset token: the token is used up, the address counts as
    /// proven, every session of the user ends, and a notice is emailed. It does not sign in.
    pub async fn reset_password(&self, reset: PasswordReset) -> Result<Accepted> {
        let token =
            SecretToken::parse(reset.token.expose_secret()).map_err(|_| Error::InvalidToken)?;
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
                claim_token(tx, token_id, now)?;
                tx.execute(
                    "UPDATE users SET password_hash = ?1, updated_at = ?2 WHERE id = ?3",
                    rusqlite::params![hash, now, user_id],
                )?;
                prove_address(tx, &user_id, now)?;
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
    pub async fn request_login(&self, request: EmailRequest, from: &Requester) -> Result<Accepted> {
        self.mailer.require()?;
        let email = Email::parse(&request.email)?;
        self.email_domains.check(&email)?;
        let now = self.clock.now();
        let token = SecretToken::generate()?;
        let code = LoginCode::generate()?;
        let ttl = self.email_links.login_ttl;
        let (web_link, app_link) = self.links_to("login/verify", &token);
        let rendered = templates::sign_in(&web_link, app_link.as_deref(), &code, ttl);
        let token_hash = token.hash();
        let code_hash = code.hash_for(&token_hash);
        let address = email.as_str().to_owned();
        let client = *from;
        let sent = self
            .store
            .write(move |tx| {
                let now_ms = to_millis(now);
                if !take_email_allowance(tx, Purpose::Login, &address, &client, now_ms)? {
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

    /// Sends the confirmation email (link and code) of a password account whose address is not
    /// proven yet. Answers the same whether or not there is such an account.
    pub async fn request_verification(
        &self,
        request: EmailRequest,
        from: &Requester,
    ) -> Result<Accepted> {
        self.mailer.require()?;
        let email = Email::parse(&request.email)?;
        self.email_domains.check(&email)?;
        let address = email.as_str().to_owned();
        let client = *from;
        let now = to_millis(self.clock.now());
        let issue = self.confirmation_email()?;
        let sent = self
            .store
            .write(move |tx| {
                if !take_email_allowance(tx, Purpose::Verify, &address, &client, now)? {
                    return Ok(false);
                }
                let unproven = tx
                    .prepare_cached(
                        "SELECT 1 FROM users WHERE email = ?1 AND email_verified_at IS NULL
                         AND password_hash IS NOT NULL",
                    )?
                    .exists([&address])?;
                if unproven {
                    issue.issue(tx, &address, now)?;
                }
                Ok(unproven)
            })
            .await?;
        if sent {
            self.mailer.wake();
        }
        Ok(Accepted {
            message: format!(
                "If {email} has an account whose address is not confirmed yet, a new confirmation link and code are on their way. They expire in {}.",
                templates::human_duration(self.email_links.verify_ttl)
            ),
        })
    }

    /// A confirmation email for `email`, rendered and ready to issue in a transaction.
    pub(crate) fn confirmation_email(&self) -> Result<PendingConfirmation> {
        let token = SecretToken::generate()?;
        let code = LoginCode::generate()?;
        let ttl = self.email_links.verify_ttl;
        let (web_link, app_link) = self.links_to("verify-email", &token);
        let rendered = templates::confirm_address(&web_link, app_link.as_deref(), &code, ttl);
        let token_hash = token.hash();
        Ok(PendingConfirmation {
            code_hash: code.hash_for(&token_hash),
            token_hash,
            ttl,
            rendered,
        })
    }

    /// The live token a proof names. A wrong code counts against its token; at
    /// [`MAX_CODE_FAILURES`] the code is void, while the emailed link goes on working.
    async fn find_token(&self, purpose: Purpose, proof: Proof) -> Result<FoundToken> {
        let now = to_millis(self.clock.now());
        match proof {
            Proof::Link(token) => {
                let token_hash = token.hash();
                self.store
                    .call(move |conn| {
                        Ok(conn
                            .query_row(
                                "SELECT id, email, user_id FROM email_tokens WHERE token_hash = ?1
                                 AND purpose = ?2 AND used_at IS NULL AND expires_at > ?3",
                                rusqlite::params![&token_hash.0[..], purpose.as_str(), now],
                                |row| {
                                    Ok(FoundToken {
                                        id: row.get(0)?,
                                        email: row.get(1)?,
                                        user_id: row.get(2)?,
                                    })
                                },
                            )
                            .optional()?)
                    })
                    .await?
                    .ok_or(Error::InvalidToken)
            }
            Proof::Code(email, code) => {
                let address = email.as_str().to_owned();
                self.store
                    .write(move |tx| {
                        let newest = tx
                            .query_row(
                                "SELECT id, user_id, token_hash, code_hash, code_failures FROM email_tokens
                                 WHERE purpose = ?1 AND email = ?2 AND used_at IS NULL AND expires_at > ?3
                                 ORDER BY created_at DESC, id DESC LIMIT 1",
                                rusqlite::params![purpose.as_str(), address, now],
                                |row| {
                                    Ok(StoredCode {
                                        id: row.get(0)?,
                                        user_id: row.get(1)?,
                                        token_hash: row.get(2)?,
                                        code_hash: row.get(3)?,
                                        failures: row.get(4)?,
                                    })
                                },
                            )
                            .optional()?;
                        let Some(StoredCode { id, user_id, token_hash, code_hash: Some(code_hash), failures }) =
                            newest
                        else {
                            return Ok(Err(Error::InvalidCode));
                        };
                        if failures >= MAX_CODE_FAILURES {
                            return Ok(Err(Error::InvalidCode));
                        }
                        let token_hash = TokenHash(token_hash.try_into().map_err(|_| {
                            Error::internal(anyhow::anyhow!("a stored token hash is not 32 bytes"))
                        })?);
                        if code.hash_for(&token_hash)[..] == code_hash[..] {
                            return Ok(Ok(FoundToken { id, email: address, user_id }));
                        }
                        tx.execute(
                            "UPDATE email_tokens SET code_failures = code_failures + 1 WHERE id = ?1",
                            [id],
                        )?;
                        Ok(Err(Error::InvalidCode))
                    })
                    .await?
            }
        }
    }

    /// Signs in with a sign-in link's token or an emailed code, creating the account (with no
    /// password) at the first sign-in. The address counts as proven from then on; if it was not
    /// before, a password the account had is removed and its earlier sessions end, and the
    /// session says so in its notice (and the owner gets an email).
    pub async fn verify_login(&self, proof: VerifyLogin) -> Result<NewSession> {
        let proof = match &proof {
            VerifyLogin::Link { token } => Proof::link(token)?,
            VerifyLogin::Code { email, code } => Proof::code(email, code)?,
        };
        let found = self.find_token(Purpose::Login, proof).await?;
        // The rules may have changed since the email was sent.
        self.email_domains.check(&Email::parse(&found.email)?)?;
        let now = self.clock.now();
        let now_ms = to_millis(now);
        let session_token = SecretToken::generate()?;
        let session_hash = session_token.hash();
        let expires_at = now + self.sessions.ttl;
        let removed_notice = templates::password_removed(&format!(
            "{}/forgot-password",
            self.email_links.public_base
        ));
        let email = found.email.clone();
        let (user_id, created, password_removed) = self
            .store
            .write(move |tx| {
                claim_token(tx, found.id, now_ms)?;
                let created = tx.execute(
                    "INSERT INTO users (id, email, password_hash, created_at, updated_at, email_verified_at)
                     VALUES (?1, ?2, NULL, ?3, ?3, ?3) ON CONFLICT (email) DO NOTHING",
                    rusqlite::params![Uuid::new_v4().to_string(), email, now_ms],
                )? == 1;
                let (user_id, has_password, proven): (String, bool, bool) = tx.query_row(
                    "SELECT id, password_hash IS NOT NULL, email_verified_at IS NOT NULL FROM users WHERE email = ?1",
                    [&email],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )?;
                if created {
                    crate::chat::create_personal_workspace(tx, &user_id, now_ms)?;
                }
                let password_removed = !proven && has_password;
                if !proven {
                    // Whoever held this unproven account before may not own the address.
                    tx.execute(
                        "UPDATE users SET password_hash = NULL, updated_at = ?1 WHERE id = ?2",
                        rusqlite::params![now_ms, user_id],
                    )?;
                    tx.execute("DELETE FROM sessions WHERE user_id = ?1", [&user_id])?;
                    prove_address(tx, &user_id, now_ms)?;
                }
                // The owner of the mailbox is here: earlier failed guesses stop counting.
                tx.execute("DELETE FROM login_failures WHERE email = ?1", [&email])?;
                if password_removed {
                    enqueue(tx, EmailKind::PasswordRemoved, None, &email, &removed_notice, now_ms)?;
                }
                insert_session(tx, &session_hash, &user_id, now, expires_at)?;
                Ok((user_id, created, password_removed))
            })
            .await?;
        if password_removed {
            self.mailer.wake();
        }
        let user_id = parse_user_id(&user_id)?;
        tracing::info!(%user_id, created, password_removed, "signed in by email");
        Ok(NewSession {
            token: session_token,
            user_id,
            domain: super::domain_of(&found.email).to_owned(),
            email_verified: true,
            notice: password_removed.then(|| PASSWORD_REMOVED_NOTICE.to_owned()),
            expires_at,
        })
    }

    /// Confirms a password account's address with its confirmation email's link or code and
    /// the account's password, and signs in. A wrong password counts like a failed sign-in.
    pub async fn verify_email(&self, proof: VerifyEmail) -> Result<NewSession> {
        let (proof, password) = match &proof {
            VerifyEmail::Link { token, password } => (Proof::link(token)?, password),
            VerifyEmail::Code {
                email,
                code,
                password,
            } => (Proof::code(email, code)?, password),
        };
        let attempt = PasswordAttempt::parse(password)?;
        let found = self.find_token(Purpose::Verify, proof).await?;
        let email = Email::parse(&found.email)?;
        self.email_domains.check(&email)?;
        let user_id = found.user_id.clone().ok_or(Error::InvalidToken)?;
        let now = self.clock.now();
        let now_ms = to_millis(now);
        let stored_hash = {
            let (address, user_id) = (found.email.clone(), user_id.clone());
            self.store
                .write(move |tx| {
                    reserve_attempt(tx, &address, now_ms)?;
                    Ok(tx
                        .query_row(
                            "SELECT password_hash FROM users WHERE id = ?1",
                            [&user_id],
                            |row| row.get::<_, Option<String>>(0),
                        )
                        .optional()?
                        .flatten())
                })
                .await?
        };
        // A right password with the emailed proof is the owner: every failure stops counting.
        let verification = self
            .hasher
            .verify(stored_hash, attempt.expose_secret())
            .await?;
        if !verification.matches {
            return Err(Error::InvalidCredentials);
        }
        let session_token = SecretToken::generate()?;
        let session_hash = session_token.hash();
        let expires_at = now + self.sessions.ttl;
        let address = found.email.clone();
        let user = user_id.clone();
        self.store
            .write(move |tx| {
                claim_token(tx, found.id, now_ms)?;
                prove_address(tx, &user, now_ms)?;
                tx.execute("DELETE FROM login_failures WHERE email = ?1", [&address])?;
                insert_session(tx, &session_hash, &user, now, expires_at)
            })
            .await?;
        let user_id = parse_user_id(&user_id)?;
        tracing::info!(%user_id, "address confirmed; signed in");
        Ok(NewSession {
            token: session_token,
            user_id,
            domain: email.domain().to_owned(),
            email_verified: true,
            notice: None,
            expires_at,
        })
    }
}

/// A rendered confirmation email whose token is not stored yet.
pub(crate) struct PendingConfirmation {
    token_hash: TokenHash,
    code_hash: [u8; 32],
    ttl: Duration,
    rendered: templates::RenderedEmail,
}

impl PendingConfirmation {
    /// Stores the token and puts the email in the outbox, in the caller's transaction.
    pub(crate) fn issue(
        &self,
        tx: &rusqlite::Transaction<'_>,
        email: &str,
        now: i64,
    ) -> Result<()> {
        issue_token_email(
            tx,
            &TokenEmail {
                purpose: Purpose::Verify,
                email,
                token_hash: &self.token_hash,
                code_hash: Some(self.code_hash),
                ttl: self.ttl,
                kind: EmailKind::ConfirmAddress,
                rendered: &self.rendered,
            },
            now,
        )
    }

    /// Whether registration may send it now at the request of `client` (the same allowance as
    /// a request to send it again).
    pub(crate) fn allowed(
        tx: &rusqlite::Transaction<'_>,
        email: &str,
        client: &Requester,
        now: i64,
    ) -> Result<bool> {
        take_email_allowance(tx, Purpose::Verify, email, client, now)
    }
}
