//! Email: a transport (SMTP through lettre, or .eml files readable by their owner only, in a
//! folder only they may open), and an outbox in the database
//! that loses nothing. Every email is first written to the outbox in the same transaction as
//! the token it carries; a worker sends it, retrying with backoff while the server is down or
//! refuses, for up to a day.

pub(crate) mod templates;

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use tokio::sync::Notify;

use crate::clock::{duration_millis, to_millis, Clock};
use crate::config::MailSettings;
use crate::error::{Error, Result};
use crate::store::Store;
use templates::RenderedEmail;

/// The first retry comes this long after a failure; each next one waits twice as long.
const FIRST_RETRY: Duration = Duration::from_secs(15);
/// Retries never wait longer than this.
const LONGEST_RETRY: Duration = Duration::from_secs(30 * 60);
/// After this long an email that could not be sent is given up.
const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 3600);
/// How long a sender holds a row before another may try it.
const LEASE: Duration = Duration::from_secs(120);
/// How often the worker looks for due retries (new emails wake it at once).
const POLL: Duration = Duration::from_secs(1);
/// Emails sent per pass.
const BATCH: usize = 20;
/// Finished outbox rows are kept this long, then deleted.
const KEEP_FINISHED: Duration = Duration::from_secs(7 * 86_400);

/// What kind of email an outbox row is; sign-in and reset emails die with their token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EmailKind {
    PasswordReset,
    SignIn,
    ConfirmAddress,
    PasswordChanged,
    PasswordRemoved,
}

impl EmailKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "reset",
            Self::SignIn => "login",
            Self::ConfirmAddress => "verify",
            Self::PasswordChanged => "password_changed",
            Self::PasswordRemoved => "password_removed",
        }
    }

    /// Whether the email carries a one-time link, and so dies with its token.
    fn carries_token(kind: &str) -> bool {
        [Self::PasswordReset, Self::SignIn, Self::ConfirmAddress]
            .iter()
            .any(|k| k.as_str() == kind)
    }
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in this folder (development): each holds a live link until it is used.
    File(std::path::PathBuf),
}

/// What one delivery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Emails handed to the transport.
    pub sent: usize,
    /// Emails that failed this time and will be retried.
    pub retrying: usize,
    /// Emails given up after a day of failures.
    pub failed: usize,
    /// Emails dropped because their link had ended before they could be sent.
    pub void: usize,
}

/// Sends email through the outbox.
pub(crate) struct Mailer {
    transport: Option<(Transport, Mailbox)>,
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    wake: Notify,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("configured", &self.transport.is_some())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    pub(crate) fn new(
        settings: &MailSettings,
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let config_error = |message: String| Error::Config {
            code: "invalid_setting",
            message,
        };
        let parse_from = |from: &str| {
            from.parse::<Mailbox>().map_err(|err| {
                config_error(format!(
                    "DOCENT_MAIL_FROM {from:?} is not an address ({err}); write it like \"Docent <docent@example.com>\"."
                ))
            })
        };
        let transport = match settings {
            MailSettings::Off => None,
            MailSettings::Smtp { url, from } => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map_err(|err| config_error(format!("DOCENT_SMTP_URL is not usable: {err}.")))?
                    .timeout(Some(Duration::from_secs(30)))
                    .build();
                Some((Transport::Smtp(transport), parse_from(from)?))
            }
            MailSettings::File { dir, from } => {
                crate::files::private_dir(dir).map_err(|_| {
                    config_error(format!(
                        "Docent cannot create the mail folder {}; check that the data dir is writable.",
                        dir.display()
                    ))
                })?;
                Some((Transport::File(dir.clone()), parse_from(from)?))
            }
        };
        Ok(Self {
            transport,
            store,
            clock,
            wake: Notify::new(),
        })
    }

    /// Whether email can be sent at all.
    pub(crate) fn is_configured(&self) -> bool {
        self.transport.is_some()
    }

    /// Refuses email features when no transport is configured.
    pub(crate) fn require(&self) -> Result<()> {
        if self.is_configured() {
            Ok(())
        } else {
            Err(Error::Config {
                code: "email_not_configured",
                message: "Email is not set up on this Docent, so it cannot send links. Set DOCENT_SMTP_URL and DOCENT_MAIL_FROM (or DOCENT_MAIL_TRANSPORT=file for development).".to_owned(),
            })
        }
    }

    /// Tells the worker there is something to send.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Sends what is due; the worker calls this in a loop, tests call it after moving the clock.
    pub(crate) async fn deliver_due(&self) -> Result<DeliveryReport> {
        let mut report = DeliveryReport::default();
        let Some((transport, from)) = &self.transport else {
            return Ok(report);
        };
        let now = to_millis(self.clock.now());
        let lease_until = now + duration_millis(LEASE);
        let claimed = self
            .store
            .write(move |tx| claim_due(tx, now, lease_until))
            .await?;
        for row in claimed {
            if let Some(reason) = row.void_reason {
                tracing::info!(
                    outbox_id = row.id,
                    reason,
                    "email dropped: its link ended before it could be sent"
                );
                let id = row.id;
                self.store
                    .write(move |tx| finish(tx, id, "void", now, None))
                    .await?;
                report.void += 1;
                continue;
            }
            let outcome = match build_message(from, &row) {
                Ok(message) => match transport {
                    Transport::Smtp(smtp) => smtp
                        .send(message)
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string()),
                    Transport::File(dir) => write_eml(dir, message).await,
                },
                Err(err) => Err(err),
            };
            let id = row.id;
            match outcome {
                Ok(()) => {
                    tracing::info!(outbox_id = id, kind = %row.kind, "email sent");
                    self.store
                        .write(move |tx| finish(tx, id, "sent", now, None))
                        .await?;
                    report.sent += 1;
                }
                Err(error) if now - row.created_at >= duration_millis(GIVE_UP_AFTER) => {
                    tracing::error!(outbox_id = id, kind = %row.kind, attempts = row.attempts + 1, %error, "email given up after a day of failures");
                    self.store
                        .write(move |tx| finish(tx, id, "failed", now, Some(error)))
                        .await?;
                    report.failed += 1;
                }
                Err(error) => {
                    let attempts = row.attempts + 1;
                    let wait = retry_delay(attempts);
                    tracing::warn!(outbox_id = id, kind = %row.kind, attempts, retry_in_secs = wait.as_secs(), %error, "email not sent; will retry");
                    let next = now + duration_millis(wait);
                    self.store
                        .write(move |tx| {
                            tx.execute(
                                "UPDATE outbox SET attempts = ?1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?4",
                                rusqlite::params![attempts, error, next, id],
                            )?;
                            Ok(())
                        })
                        .await?;
                    report.retrying += 1;
                }
            }
        }
        if report.sent + report.failed + report.void > 0 {
            // The finished rows' links were blanked; move that into the database file and
            // empty the WAL, so no copy of them is left behind. Best effort: readers may hold it.
            let checkpoint = self
                .store
                .call(|conn| Ok(conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?))
                .await;
            if let Err(err) = checkpoint {
                tracing::debug!(error = ?err, "checkpoint after sending skipped");
            }
        }
        Ok(report)
    }

    /// Runs [`Mailer::deliver_due`] whenever woken, and every second for retries, until
    /// `stop` says so; a pass under way is always finished, so no row is left leased.
    pub(crate) async fn run(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        if !self.is_configured() {
            return;
        }
        // A dropped MailWorker leaves the worker running detached, like a dropped JoinHandle.
        let mut detached = false;
        while !*stop.borrow() {
            match self.deliver_due().await {
                Ok(report)
                    if report.sent + report.retrying + report.failed + report.void == BATCH =>
                {
                    continue
                }
                Ok(_) => {}
                Err(err) => tracing::error!(error = ?err, "the outbox could not be read"),
            }
            tokio::select! {
                changed = stop.changed(), if !detached => detached = changed.is_err(),
                _ = tokio::time::timeout(POLL, self.wake.notified()) => {}
            }
        }
    }
}

/// The running mail worker. Dropping it leaves the worker running; [`MailWorker::stop`] ends it.
#[derive(Debug)]
pub struct MailWorker {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl MailWorker {
    pub(crate) fn spawn(mailer: Arc<Mailer>) -> Self {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        Self {
            stop,
            task: tokio::spawn(mailer.run(stopped)),
        }
    }

    /// Stops the worker once its current pass is done.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Writes an email into the outbox, inside the caller's transaction.
pub(crate) fn enqueue(
    tx: &rusqlite::Transaction<'_>,
    kind: EmailKind,
    token_id: Option<i64>,
    recipient: &str,
    email: &RenderedEmail,
    now: i64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO outbox (kind, token_id, recipient, subject, text_body, html_body, created_at, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        rusqlite::params![kind.as_str(), token_id, recipient, email.subject, email.text, email.html, now],
    )?;
    Ok(())
}

/// Deletes outbox rows finished long ago.
pub(crate) fn delete_finished(tx: &rusqlite::Transaction<'_>, now: i64) -> Result<usize> {
    Ok(tx.execute(
        "DELETE FROM outbox WHERE status <> 'pending' AND finished_at <= ?1",
        [now - duration_millis(KEEP_FINISHED)],
    )?)
}

fn retry_delay(attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(16);
    (FIRST_RETRY * 2u32.pow(doublings)).min(LONGEST_RETRY)
}

struct Claimed {
    id: i64,
    kind: String,
    recipient: String,
    subject: String,
    text: String,
    html: String,
    attempts: i64,
    created_at: i64,
    void_reason: Option<&'static str>,
}

/// Takes the due rows for this sender by moving their next attempt past the lease.
fn claim_due(tx: &rusqlite::Transaction<'_>, now: i64, lease_until: i64) -> Result<Vec<Claimed>> {
    let rows = tx
        .prepare(
            "SELECT o.id, o.kind, o.recipient, o.subject, o.text_body, o.html_body, o.attempts, o.created_at,
                    o.token_id, t.used_at, t.expires_at
             FROM outbox o LEFT JOIN email_tokens t ON t.id = o.token_id
             WHERE o.status = 'pending' AND o.next_attempt_at <= ?1
             ORDER BY o.next_attempt_at LIMIT ?2",
        )?
        .query_map(rusqlite::params![now, BATCH as i64], |row| {
            let kind: String = row.get(1)?;
            let token_id: Option<i64> = row.get(8)?;
            let used_at: Option<i64> = row.get(9)?;
            let expires_at: Option<i64> = row.get(10)?;
            let needs_token = EmailKind::carries_token(&kind);
            let void_reason = if !needs_token {
                None
            } else if token_id.is_none() {
                Some("the token was deleted")
            } else if used_at.is_some() {
                Some("the token was used or replaced")
            } else if expires_at.is_some_and(|at| at <= now) {
                Some("the token expired")
            } else {
                None
            };
            Ok(Claimed {
                id: row.get(0)?,
                kind,
                recipient: row.get(2)?,
                subject: row.get(3)?,
                text: row.get(4)?,
                html: row.get(5)?,
                attempts: row.get(6)?,
                created_at: row.get(7)?,
                void_reason,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for row in &rows {
        tx.execute(
            "UPDATE outbox SET next_attempt_at = ?1 WHERE id = ?2",
            rusqlite::params![lease_until, row.id],
        )?;
    }
    Ok(rows)
}

/// Marks a row finished and blanks its bodies (they may hold a one-time link).
fn finish(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    status: &str,
    now: i64,
    error: Option<String>,
) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET status = ?1, finished_at = ?2, text_body = '', html_body = '',
                attempts = attempts + (?1 <> 'void'), last_error = coalesce(?3, last_error)
         WHERE id = ?4",
        rusqlite::params![status, now, error, id],
    )?;
    Ok(())
}

/// Writes `message` as `<uuid>.eml` in `dir`, mode 0600: written beside under another name and
/// renamed, so a reader never sees half an email.
async fn write_eml(dir: &std::path::Path, message: Message) -> Result<(), String> {
    let name = format!("{}.eml", uuid::Uuid::new_v4());
    let (partial, done) = (dir.join(format!(".{name}.partial")), dir.join(name));
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        use std::io::Write as _;
        let mut file = crate::files::create_private(&partial)?;
        file.write_all(&message.formatted())?;
        file.sync_all()?;
        std::fs::rename(&partial, &done)
    })
    .await
    .map_err(|err| err.to_string())?
    .map_err(|err| format!("the email could not be written to {}: {err}", dir.display()))
}

fn build_message(from: &Mailbox, row: &Claimed) -> Result<Message, String> {
    let to: Mailbox = row
        .recipient
        .parse()
        .map_err(|err| format!("the recipient is not an address: {err}"))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(row.subject.clone())
        .multipart(MultiPart::alternative_plain_html(
            row.text.clone(),
            row.html.clone(),
        ))
        .map_err(|err| format!("the message could not be built: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_start_within_30_seconds_and_back_off_to_half_an_hour() {
        assert_eq!(retry_delay(1), Duration::from_secs(15));
        assert_eq!(retry_delay(2), Duration::from_secs(30));
        assert_eq!(retry_delay(3), Duration::from_secs(60));
        assert_eq!(retry_delay(12), LONGEST_RETRY);
        assert_eq!(retry_delay(1000), LONGEST_RETRY);
    }
}
