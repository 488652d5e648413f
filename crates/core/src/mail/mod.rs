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
use crate::error::{Error, ErrorCode, Result};
use crate::store::outbox::{DueEmail, Finished, TokenState};
use crate::store::{Millis, Store, Tx};

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
    store: Store,
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
        store: Store,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let config_error = |message: String| Error::Config {
            code: ErrorCode::InvalidSetting,
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
                code: ErrorCode::EmailNotConfigured,
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
            .write(move |tx| tx.outbox().claim_due(now, lease_until, BATCH))
            .await?;
        for row in claimed {
            if let Some(reason) = void_reason(&row, now) {
                tracing::info!(
                    outbox_id = row.id,
                    reason,
                    "email dropped: its link ended before it could be sent"
                );
                let id = row.id;
                self.store
                    .write(move |tx| tx.outbox().finish(id, Finished::Void, now, None))
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
                    tracing::info!(outbox_id = id, kind = row.kind.as_str(), "email sent");
                    self.store
                        .write(move |tx| tx.outbox().finish(id, Finished::Sent, now, None))
                        .await?;
                    report.sent += 1;
                }
                Err(error) if now - row.created_at >= duration_millis(GIVE_UP_AFTER) => {
                    tracing::error!(outbox_id = id, kind = row.kind.as_str(), attempts = row.attempts + 1, %error, "email given up after a day of failures");
                    self.store
                        .write(move |tx| {
                            tx.outbox().finish(id, Finished::Failed, now, Some(&error))
                        })
                        .await?;
                    report.failed += 1;
                }
                Err(error) => {
                    let attempts = row.attempts + 1;
                    let wait = retry_delay(attempts);
                    tracing::warn!(outbox_id = id, kind = row.kind.as_str(), attempts, retry_in_secs = wait.as_secs(), %error, "email not sent; will retry");
                    let next = now + duration_millis(wait);
                    self.store
                        .write(move |tx| tx.outbox().retry_later(id, attempts, &error, next))
                        .await?;
                    report.retrying += 1;
                }
            }
        }
        if report.sent + report.failed + report.void > 0 {
            // The finished rows' links were blanked; move that into the database file and
            // empty the WAL, so no copy of them is left behind. Best effort: readers may hold it.
            if let Err(err) = self.store.scrub().await {
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

/// Deletes outbox rows finished long ago, in the caller's transaction.
pub(crate) fn delete_finished(tx: &dyn Tx, now: Millis) -> Result<usize> {
    tx.outbox()
        .delete_finished_before(now - duration_millis(KEEP_FINISHED))
}

fn retry_delay(attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(16);
    (FIRST_RETRY * 2u32.pow(doublings)).min(LONGEST_RETRY)
}

/// Why a due email is dropped instead of sent: one that carries a one-time link dies with it.
fn void_reason(email: &DueEmail, now: Millis) -> Option<&'static str> {
    if !email.kind.carries_token() {
        return None;
    }
    match email.token {
        TokenState::NoToken | TokenState::Deleted => Some("the token was deleted"),
        TokenState::Used => Some("the token was used or replaced"),
        TokenState::Live { expires_at } if expires_at <= now => Some("the token expired"),
        TokenState::Live { .. } => None,
    }
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

fn build_message(from: &Mailbox, row: &DueEmail) -> Result<Message, String> {
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
