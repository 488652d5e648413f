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

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{reserve_attempt, AuthService, NewSession};
use crate::clock::{duration_millis, to_millis};
use crate::domain::{
    Email, LoginCode, NewPassword, PasswordAttempt, Requester, SecretToken, TokenHash,
};
use crate::error::{Error, Result};
use crate::mail::templates;
use crate::store::accounts::NewAccount;
pub(crate) use crate::store::email_tokens::Purpose;
use crate::store::email_tokens::{LiveToken, NewToken};
use crate::store::outbox::{EmailKind, NewEmail};
use crate::store::{Millis, Tx};

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

/// Whether `email` may be sent another email for `purpose` now, at the request of `client`;
/// records it when so.
pub(crate) fn take_email_allowance(
    tx: &dyn Tx,
    purpose: Purpose,
    email: &str,
    client: &Requester,
    now: Millis,
) -> Result<bool> {
    let client = client.allowance_key();
    let seen = tx
        .email_tokens()
        .requests(purpose, email, &client, now - HOUR_MS)?;
    let too_soon = seen
        .newest_by_client
        .is_some_and(|at| now - at < duration_millis(MIN_GAP));
    if seen.by_client >= MAX_PER_HOUR || too_soon || seen.by_anyone >= MAX_PER_HOUR_ALL_CLIENTS {
        return Ok(false);
    }
    tx.email_tokens()
        .record_request(purpose, email, &client, now)?;
    Ok(true)
}

/// An hour, in milliseconds: how long email requests count.
const HOUR_MS: Millis = 3_600_000;

/// Deletes the email requests that no longer count against any allowance.
pub(crate) fn delete_old_requests(tx: &dyn Tx, now: Millis) -> Result<usize> {
    tx.email_tokens().delete_requests_before(now - HOUR_MS)
}

/// Puts an email in the outbox, in the caller's transaction.
pub(crate) fn enqueue(
    tx: &dyn Tx,
    kind: EmailKind,
    token_id: Option<i64>,
    recipient: &str,
    email: &templates::RenderedEmail,
    now: Millis,
) -> Result<()> {
    tx.outbox().enqueue(&NewEmail {
        kind,
        token_id,
        recipient,
        subject: &email.subject,
        text: &email.text,
        html: &email.html,
        now,
    })
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
fn issue_token_email(tx: &dyn Tx, issue: &TokenEmail<'_>, now: Millis) -> Result<()> {
    let token_id = tx.email_tokens().issue(&NewToken {
        purpose: issue.purpose,
        email: issue.email,
        token_hash: issue.token_hash,
        code_hash: issue.code_hash,
        now,
        expires_at: now + duration_millis(issue.ttl),
    })?;
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
fn prove_address(tx: &dyn Tx, user_id: Uuid, now: Millis) -> Result<()> {
    tx.accounts().prove_address(user_id, now)?;
    tx.email_tokens()
        .void_for_account(Purpose::Verify, user_id, now)
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

/// Claims a found token for its one use; only one redemption can flip it.
fn claim_token(tx: &dyn Tx, token_id: i64, now: Millis) -> Result<()> {
    if tx.email_tokens().claim(token_id, now)? {
        Ok(())
    } else {
        Err(Error::InvalidToken)
    }
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
                if !tx.accounts().email_taken(&address)? {
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
        let found = self
            .store
            .read(move |tx| {
                let Some(token) =
                    tx.email_tokens()
                        .live_by_hash(Purpose::Reset, &token_hash, now)?
                else {
                    return Ok(None);
                };
                let account = match token.user_id {
                    Some(id) => tx.accounts().by_id(id)?,
                    None => None,
                };
                Ok(account.map(|account| (token.id, account)))
            })
            .await?;
        let (token_id, account) = found.ok_or(Error::InvalidToken)?;
        let email = Email::parse(&account.email)?;
        // The rules may have changed since the email was sent.
        self.email_domains.check(&email)?;
        let password = NewPassword::parse(&reset.password, self.passwords, &email)?;
        let hash = self.hasher.hash(password.expose_secret()).await?;
        let notice = templates::password_changed(&format!(
            "{}/forgot-password",
            self.email_links.public_base
        ));
        let mail_on = self.mailer.is_configured();
        let user_id = account.id;
        self.store
            .write(move |tx| {
                claim_token(tx, token_id, now)?;
                tx.accounts().set_password_hash(user_id, Some(&hash), now)?;
                prove_address(tx, user_id, now)?;
                tx.sessions().delete_for_account(user_id)?;
                tx.login_attempts().clear(&account.email)?;
                if mail_on {
                    enqueue(
                        tx,
                        EmailKind::PasswordChanged,
                        None,
                        &account.email,
                        &notice,
                        now,
                    )?;
                }
                Ok(())
            })
            .await?;
        self.mailer.wake();
        tracing::info!(%user_id, "password reset; every session ended");
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
                let unproven = tx.accounts().by_email(&address)?.is_some_and(|account| {
                    !account.email_verified && account.password_hash.is_some()
                });
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
    async fn find_token(&self, purpose: Purpose, proof: Proof) -> Result<LiveToken> {
        let now = to_millis(self.clock.now());
        match proof {
            Proof::Link(token) => {
                let token_hash = token.hash();
                self.store
                    .read(move |tx| tx.email_tokens().live_by_hash(purpose, &token_hash, now))
                    .await?
                    .ok_or(Error::InvalidToken)
            }
            Proof::Code(email, code) => {
                let address = email.as_str().to_owned();
                self.store
                    .write(move |tx| {
                        let Some(newest) = tx.email_tokens().newest_live(purpose, &address, now)?
                        else {
                            return Ok(Err(Error::InvalidCode));
                        };
                        let Some(code_hash) = newest.code_hash else {
                            return Ok(Err(Error::InvalidCode));
                        };
                        if newest.failures >= MAX_CODE_FAILURES {
                            return Ok(Err(Error::InvalidCode));
                        }
                        if code.hash_for(&newest.token_hash) == code_hash {
                            return Ok(Ok(newest.token));
                        }
                        tx.email_tokens().count_code_failure(newest.token.id)?;
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
        let email = Email::parse(&found.email)?;
        // The rules may have changed since the email was sent.
        self.email_domains.check(&email)?;
        let now = self.clock.now();
        let now_ms = to_millis(now);
        let session_token = SecretToken::generate()?;
        let session_hash = session_token.hash();
        let expires_at = now + self.sessions.ttl;
        let removed_notice = templates::password_removed(&format!(
            "{}/forgot-password",
            self.email_links.public_base
        ));
        let new_account = self.new_account;
        let address = found.email.clone();
        let (user_id, created, password_removed) = self
            .store
            .write(move |tx| {
                claim_token(tx, found.id, now_ms)?;
                let fresh = Uuid::new_v4();
                let created = tx.accounts().insert(&NewAccount {
                    id: fresh,
                    email: &address,
                    password_hash: None,
                    email_verified: true,
                    now: now_ms,
                })?;
                if created {
                    new_account(tx, fresh, now_ms)?;
                }
                let account = tx.accounts().by_email(&address)?.ok_or_else(|| {
                    Error::internal(anyhow::anyhow!("an account that was just there is gone"))
                })?;
                let password_removed = !account.email_verified && account.password_hash.is_some();
                if !account.email_verified {
                    // Whoever held this unproven account before may not own the address.
                    tx.accounts().set_password_hash(account.id, None, now_ms)?;
                    tx.sessions().delete_for_account(account.id)?;
                    prove_address(tx, account.id, now_ms)?;
                }
                // The owner of the mailbox is here: earlier failed guesses stop counting.
                tx.login_attempts().clear(&address)?;
                if password_removed {
                    enqueue(
                        tx,
                        EmailKind::PasswordRemoved,
                        None,
                        &address,
                        &removed_notice,
                        now_ms,
                    )?;
                }
                tx.sessions()
                    .insert(&session_hash, account.id, now_ms, to_millis(expires_at))?;
                Ok((account.id, created, password_removed))
            })
            .await?;
        if password_removed {
            self.mailer.wake();
        }
        tracing::info!(%user_id, created, password_removed, "signed in by email");
        Ok(NewSession {
            token: session_token,
            user_id,
            domain: email.domain().to_owned(),
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
        let user_id = found.user_id.ok_or(Error::InvalidToken)?;
        let now = self.clock.now();
        let now_ms = to_millis(now);
        let stored_hash = {
            let address = found.email.clone();
            self.store
                .write(move |tx| {
                    reserve_attempt(tx, &address, now_ms)?;
                    Ok(tx
                        .accounts()
                        .by_id(user_id)?
                        .and_then(|account| account.password_hash))
                })
                .await?
        };
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
        self.store
            .write(move |tx| {
                claim_token(tx, found.id, now_ms)?;
                prove_address(tx, user_id, now_ms)?;
                // A right password with the emailed proof is the owner: every failure stops counting.
                tx.login_attempts().clear(&address)?;
                tx.sessions()
                    .insert(&session_hash, user_id, now_ms, to_millis(expires_at))
            })
            .await?;
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
    pub(crate) fn issue(&self, tx: &dyn Tx, email: &str, now: Millis) -> Result<()> {
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
}
