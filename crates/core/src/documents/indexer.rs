//! The indexer: takes the oldest queued document (or one whose claim ran out: its worker
//! stopped), reads it in an extraction process, cuts it into passages and stores them, and
//! marks it ready, or failed with the reason. Progress (pages read of all) is written as it
//! goes. Jobs are rows of the database, so a restart finds them and resumes.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::extract::{Limits, Page};
use super::isolate::Progress;
use super::{chunk, DocumentService};
use crate::clock::duration_millis;
use crate::error::{ErrorCode, Result};
use crate::store::documents::ClaimedJob;

/// How long a claim lasts without news from its worker; it is renewed as the work goes on.
pub(crate) const CLAIM: Duration = Duration::from_secs(120);
/// How often progress is written while a document is read.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);
/// The claim is renewed this often even when no page was read meanwhile.
const RENEW_EVERY: Duration = Duration::from_secs(30);
/// How often the queue is looked at when nothing wakes the indexer (jobs added by another
/// process on the same database, claims that ran out).
const POLL_EVERY: Duration = Duration::from_secs(15);
/// A document whose reading was interrupted this many times fails instead of being retried.
const MAX_ATTEMPTS: u32 = 3;

/// The running indexer; stops when dropped.
#[derive(Debug)]
pub struct Indexer {
    task: JoinHandle<()>,
}

impl Indexer {
    pub(super) fn spawn(service: DocumentService) -> Self {
        Self {
            task: tokio::spawn(async move {
                loop {
                    match service.index_next().await {
                        Ok(true) => continue,
                        // Nothing left to index: the index is merged while it is quiet.
                        Ok(false) => {
                            if let Err(err) = service.compact_index().await {
                                tracing::error!(error = ?err, "merging the search index failed");
                            }
                        }
                        Err(err) => tracing::error!(error = ?err, "the indexer failed; retrying"),
                    }
                    let _ = tokio::time::timeout(POLL_EVERY, service.inner.wake.notified()).await;
                }
            }),
        }
    }

    /// Stops the indexer; a document being read is read again by the next one.
    pub fn stop(self) {
        self.task.abort();
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Progress as the extraction reports it: (pages, pages read).
struct Watched(watch::Sender<(Option<u32>, u32)>);

impl Progress for Watched {
    fn total(&mut self, pages: u32) {
        self.0.send_modify(|(total, _)| *total = Some(pages));
    }
    fn page_done(&mut self, _page: &Page) {
        self.0.send_modify(|(_, done)| *done += 1);
    }
}

impl DocumentService {
    /// Indexes the next job, if there is one; whether there was.
    pub async fn index_next(&self) -> Result<bool> {
        let now = self.now();
        let until = now + duration_millis(CLAIM);
        let Some(job) = self
            .inner
            .store
            .write(move |tx| tx.documents().claim_next(now, until))
            .await?
        else {
            return Ok(false);
        };
        if job.attempts > MAX_ATTEMPTS {
            tracing::warn!(document = %job.document_id, "reading was interrupted too often; giving up");
            self.fail(
                &job,
                ErrorCode::UnreadableDocument,
                "Docent stopped while reading this file several times, so it gave up. Save it again from its source, or split it, and add it again.",
            )
            .await?;
            return Ok(true);
        }
        tracing::info!(document = %job.document_id, format = job.format.as_str(), attempt = job.attempts, "indexing");
        let path = self.inner.files.path_of(&job.sha256);
        let limits = Limits {
            max_text_bytes: self.inner.settings.max_text_bytes,
        };
        let (sender, mut seen) = watch::channel((None, 0));
        let mut progress = Watched(sender);
        let extraction = self
            .inner
            .extractor
            .extract(job.format, &path, limits, &mut progress);
        tokio::pin!(extraction);
        let mut tick = tokio::time::interval(PROGRESS_EVERY);
        let mut renewed = tokio::time::Instant::now();
        let outcome = loop {
            tokio::select! {
                outcome = &mut extraction => break Some(outcome),
                _ = tick.tick() => {
                    if seen.has_changed().unwrap_or(false) || renewed.elapsed() >= RENEW_EVERY {
                        let (pages, done) = *seen.borrow_and_update();
                        renewed = tokio::time::Instant::now();
                        if !self.report(&job, pages, done).await? {
                            break None;
                        }
                    }
                }
            }
        };
        let Some(outcome) = outcome else {
            tracing::info!(document = %job.document_id, "the document went away while it was read");
            return Ok(true);
        };
        match outcome {
            Ok(pages) => {
                let total = job
                    .format
                    .has_pages()
                    .then(|| seen.borrow().0)
                    .flatten()
                    .or_else(|| {
                        job.format
                            .has_pages()
                            .then(|| pages.iter().filter_map(|p| p.number).max())
                            .flatten()
                    });
                let passages = tokio::task::spawn_blocking(move || chunk::passages(&pages))
                    .await
                    .map_err(crate::error::Error::internal)?;
                let now = self.now();
                let (id, attempts, count) = (job.document_id, job.attempts, passages.len());
                self.inner
                    .store
                    .write(move |tx| {
                        tx.documents()
                            .finish_ready(id, attempts, total, &passages, now)
                    })
                    .await?;
                tracing::info!(document = %job.document_id, passages = count, pages = ?total, "indexed");
            }
            Err(failure) => {
                tracing::info!(document = %job.document_id, code = failure.code.as_str(), "the document could not be read");
                self.fail(&job, failure.code, &failure.message).await?;
            }
        }
        Ok(true)
    }

    /// Writes progress and renews the claim; `false` when the job is no longer ours.
    async fn report(&self, job: &ClaimedJob, pages: Option<u32>, done: u32) -> Result<bool> {
        let now = self.now();
        let until = now + duration_millis(CLAIM);
        let (id, attempts) = (job.document_id, job.attempts);
        self.inner
            .store
            .write(move |tx| tx.documents().progress(id, attempts, pages, done, until))
            .await
    }

    async fn fail(&self, job: &ClaimedJob, code: ErrorCode, message: &str) -> Result<()> {
        let now = self.now();
        let (id, attempts, message) = (job.document_id, job.attempts, message.to_owned());
        self.inner
            .store
            .write(move |tx| {
                tx.documents()
                    .finish_failed(id, attempts, code.as_str(), &message, now)
            })
            .await?;
        Ok(())
    }
}
