//! What tests and benchmarks may look at or set up behind the services' backs, through the
//! store (never with SQL of their own). Only with the `testing` feature.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::clock::{from_millis, to_millis};
use crate::domain::chat::{MessageStatus, Role};
use crate::domain::SecretToken;
use crate::error::Result;
use crate::store::conversations::NewConversationRecord;
use crate::store::messages::NewMessage;
use crate::Docent;

/// The store of a [`Docent`], for tests: [`Docent::testing`].
#[derive(Debug, Clone, Copy)]
pub struct Testing<'a>(pub(crate) &'a Docent);

impl Testing<'_> {
    /// The stored password hash of the account with `email`, if it has one.
    pub async fn password_hash(&self, email: &str) -> Result<Option<String>> {
        let email = email.to_owned();
        self.0
            .inner
            .store
            .read(move |tx| {
                Ok(tx
                    .accounts()
                    .by_email(&email)?
                    .and_then(|a| a.password_hash))
            })
            .await
    }

    /// Replaces the stored password hash of the account with `email` (`None`: no password).
    pub async fn set_password_hash(&self, email: &str, hash: Option<String>) -> Result<()> {
        let email = email.to_owned();
        self.0
            .inner
            .store
            .write(move |tx| {
                let account = tx.accounts().by_email(&email)?.expect("an account");
                tx.accounts()
                    .set_password_hash(account.id, hash.as_deref(), 0)
            })
            .await
    }

    /// When the session of `token` was last recorded as used.
    pub async fn session_last_seen(&self, token: &SecretToken) -> Result<Option<OffsetDateTime>> {
        let hash = token.hash();
        self.0
            .inner
            .store
            .read(move |tx| {
                Ok(tx
                    .sessions()
                    .by_token(&hash)?
                    .map(|s| from_millis(s.last_seen_at)))
            })
            .await
    }

    /// Every outbox email's status (`pending`, `sent`, `failed`, `void`), oldest first.
    pub async fn outbox_statuses(&self) -> Result<Vec<String>> {
        self.0.inner.store.read(|tx| tx.outbox().statuses()).await
    }

    /// Whether a conversation is stored, whoever's, and how many messages it has.
    pub async fn conversation(&self, id: Uuid) -> Result<Option<usize>> {
        self.0
            .inner
            .store
            .read(move |tx| match tx.conversations().find(id)? {
                Some(_) => Ok(Some(tx.messages().of_conversation(id)?.len())),
                None => Ok(None),
            })
            .await
    }

    /// Stores a conversation of `user` in `workspace` with complete messages, the first a
    /// question and then alternating, written from `at` a millisecond apart (a benchmark's
    /// history).
    pub async fn seed_conversation(
        &self,
        user: Uuid,
        workspace: Uuid,
        title: String,
        messages: Vec<String>,
        at: OffsetDateTime,
    ) -> Result<Uuid> {
        let id = Uuid::new_v4();
        let at = to_millis(at);
        self.0
            .inner
            .store
            .write(move |tx| {
                tx.conversations().insert(&NewConversationRecord {
                    id,
                    workspace_id: workspace,
                    user_id: user,
                    title: &title,
                    first_query: Some(&title),
                    temporary_for: None,
                    now: at,
                })?;
                for (n, content) in messages.iter().enumerate() {
                    tx.messages().insert(&NewMessage {
                        id: Uuid::new_v4(),
                        conversation_id: id,
                        role: if n % 2 == 0 {
                            Role::User
                        } else {
                            Role::Assistant
                        },
                        content,
                        status: MessageStatus::Complete,
                        now: at + n as i64,
                    })?;
                }
                Ok(id)
            })
            .await
    }

    /// Claims the next indexing job as a worker would, then does nothing with it (a worker
    /// that stopped): whether there was one.
    pub async fn claim_next_document(&self) -> Result<bool> {
        let now = self.0.inner.auth.now();
        let until = now + crate::clock::duration_millis(crate::documents::CLAIM);
        self.0
            .inner
            .store
            .write(move |tx| Ok(tx.documents().claim_next(now, until)?.is_some()))
            .await
    }

    /// How many times a document's indexing job was claimed (`None`: no such document).
    pub async fn document_attempts(&self, id: Uuid) -> Result<Option<u32>> {
        self.0
            .inner
            .store
            .read(move |tx| Ok(tx.documents().find(id)?.map(|record| record.attempts)))
            .await
    }

    /// How many parts (FTS5 segments) the search index is in.
    pub async fn index_parts(&self) -> Result<u64> {
        self.0
            .inner
            .store
            .read(|tx| tx.passages().index_parts())
            .await
    }

    /// The passages of a workspace's documents: (document name, page, text), in order.
    pub async fn passages_of_workspace(
        &self,
        workspace_id: Uuid,
    ) -> Result<Vec<(String, Option<u32>, String)>> {
        self.0
            .inner
            .store
            .read(move |tx| {
                let mut out = Vec::new();
                for document in tx.documents().in_workspace(workspace_id)? {
                    for (page, text) in tx.passages().of_document(document.id)? {
                        out.push((document.name.clone(), page, text));
                    }
                }
                Ok(out)
            })
            .await
    }

    /// Makes `copies` more ready documents in `to` holding the passages of `from`'s
    /// documents (for benchmarks over many passages); how many passages were written.
    ///
    /// Reworded copies (`reword`) deal each document's words anew, in a seeded order, into
    /// passages of the same lengths: no passage repeats another (identical copies tie, which
    /// flatters a search that stops at its tenth best score), and each document keeps its
    /// vocabulary.
    pub async fn copy_passages(
        &self,
        from: Uuid,
        to: Uuid,
        copies: usize,
        reword: bool,
    ) -> Result<usize> {
        use crate::store::documents::{Inserted, NewDocument, NewPassage};
        self.0
            .inner
            .store
            .write(move |tx| {
                let documents = tx.documents().in_workspace(from)?;
                let mut written = 0;
                for copy in 0..copies {
                    for (nth, document) in documents.iter().enumerate() {
                        let mut passages: Vec<NewPassage> = tx
                            .passages()
                            .of_document(document.id)?
                            .into_iter()
                            .map(|(page, text)| NewPassage {
                                page,
                                heading: String::new(),
                                text,
                            })
                            .collect();
                        if reword {
                            reword_passages(&mut passages, (copy * documents.len() + nth) as u64);
                        }
                        // A file hash of its own (a reworded copy is not the verbatim one).
                        let sha = format!(
                            "{}{copy:07}{}",
                            if reword { 'r' } else { '0' },
                            &document.sha256[8..]
                        );
                        let Inserted::New(new) = tx.documents().insert(
                            &NewDocument {
                                id: Uuid::new_v4(),
                                workspace_id: to,
                                name: &format!("copy {copy} of {}", document.name),
                                format: document.format,
                                bytes: document.bytes,
                                sha256: &sha,
                                folder: None,
                            },
                            0,
                        )?
                        else {
                            continue;
                        };
                        let job = tx
                            .documents()
                            .claim_next(0, 1)?
                            .expect("the copy just queued");
                        tx.documents().finish_ready(
                            new.id,
                            job.attempts,
                            document.pages,
                            &passages,
                            0,
                        )?;
                        written += passages.len();
                    }
                }
                Ok(written)
            })
            .await
    }
}

/// Deals the words of `passages` anew (xorshift from `seed`, Fisher-Yates) into passages of
/// the same word counts.
fn reword_passages(passages: &mut [crate::store::documents::NewPassage], seed: u64) {
    let mut words: Vec<String> = passages
        .iter()
        .flat_map(|p| p.text.split_whitespace().map(str::to_owned))
        .collect();
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in (1..words.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        words.swap(i, (state % (i as u64 + 1)) as usize);
    }
    let mut dealt = words.into_iter();
    for passage in passages {
        let count = passage.text.split_whitespace().count();
        passage.text = dealt.by_ref().take(count).collect::<Vec<_>>().join(" ");
    }
}
