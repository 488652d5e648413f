//! The store's contract: what every implementation of the aggregates must do, as tests written
//! against the traits alone. `contract_tests!(make)` makes one `#[tokio::test]` per check for
//! the stores `make().await` gives (a fresh, empty one each time); SQLite and PostgreSQL each
//! run them all, below.

use std::sync::Arc;

use uuid::Uuid;

use super::accounts::NewAccount;
use super::conversations::NewConversationRecord;
use super::documents::{Inserted, NewDocument, NewPassage};
use super::email_tokens::{NewToken, Purpose};
use super::history::{HistoryFilter, Whose};
use super::login_attempts::Reservation;
use super::messages::{FinishedAnswer, NewMessage};
use super::outbox::{EmailKind, Finished, NewEmail, TokenState};
use super::workspaces::WorkspaceFields;
use super::{Store, Tx};
use crate::domain::chat::{Citation, MessageStatus, Role, TopK, WorkspaceName};
use crate::domain::documents::{DocumentFormat, DocumentStatus, SearchTerms};
use crate::domain::TokenHash;
use crate::error::Result;

/// Declares every check of the contract as a test for the stores `$make` gives: the one
/// list, so each store runs them all.
macro_rules! contract_tests {
    ($make:expr) => {
        crate::store::contract::contract_tests!($make;
            accounts_are_unique_by_email_and_keep_their_proof,
            sessions_live_until_they_end_or_idle,
            attempts_are_reserved_atomically_up_to_the_limit,
            email_tokens_are_single_use_and_newer_ones_void_older,
            email_requests_count_per_client_and_for_anyone,
            the_outbox_leases_due_emails_and_says_where_their_tokens_stand,
            workspaces_belong_to_their_owner,
            conversations_keep_temporary_ones_to_their_session,
            messages_keep_their_order_status_and_citations,
            history_finds_own_and_proven_domain_conversations_by_words,
            documents_are_jobs_claimed_once_and_finished_by_their_claim,
            passages_are_searched_per_workspace_and_leave_with_their_document,
            scores_depend_on_the_workspace_s_own_passages_only,
        );
    };
    ($make:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let (store, _keep) = $make().await;
                crate::store::contract::$check(&store).await;
            }
        )*
    };
}
pub(crate) use contract_tests;

/// Runs `work` in a write transaction and unwraps it.
pub(crate) async fn write<T: Send + 'static>(
    store: &Store,
    work: impl FnOnce(&dyn Tx) -> Result<T> + Send + 'static,
) -> T {
    store.write(work).await.unwrap()
}

fn hash(byte: u8) -> TokenHash {
    TokenHash([byte; 32])
}

pub(crate) async fn account(store: &Store, email: &'static str, proven: bool) -> Uuid {
    let id = Uuid::new_v4();
    let inserted = write(store, move |tx| {
        tx.accounts().insert(&NewAccount {
            id,
            email,
            password_hash: Some("$argon2id$stand-in"),
            email_verified: proven,
            now: 1_000,
        })
    })
    .await;
    assert!(inserted);
    id
}

fn fields(name: &str, shared: bool) -> WorkspaceFields {
    WorkspaceFields {
        name: WorkspaceName::parse(name).unwrap(),
        description: String::new(),
        system_prompt: format!("Prompt of {name}"),
        collection: None,
        top_k: TopK::parse(7).unwrap(),
        model: Some("m".to_owned()),
        shared_with_domain: shared,
    }
}

pub(crate) async fn workspace(
    store: &Store,
    owner: Uuid,
    name: &'static str,
    shared: bool,
) -> Uuid {
    let id = Uuid::new_v4();
    write(store, move |tx| {
        tx.workspaces()
            .insert(id, owner, &fields(name, shared), 2_000)
    })
    .await;
    id
}

async fn conversation(
    store: &Store,
    workspace: Uuid,
    user: Uuid,
    title: &'static str,
    temporary_for: Option<i64>,
    now: i64,
) -> Uuid {
    let id = Uuid::new_v4();
    write(store, move |tx| {
        tx.conversations().insert(&NewConversationRecord {
            id,
            workspace_id: workspace,
            user_id: user,
            title,
            first_query: None,
            temporary_for,
            now,
        })
    })
    .await;
    id
}

pub(crate) async fn accounts_are_unique_by_email_and_keep_their_proof(store: &Store) {
    let id = account(store, "ada@example.com", false).await;
    let again = write(store, |tx| {
        tx.accounts().insert(&NewAccount {
            id: Uuid::new_v4(),
            email: "ada@example.com",
            password_hash: None,
            email_verified: true,
            now: 5,
        })
    })
    .await;
    assert!(!again, "a taken email makes no second account");
    let found = write(store, move |tx| {
        assert!(tx.accounts().email_taken("ada@example.com")?);
        assert!(!tx.accounts().email_taken("bob@example.com")?);
        let before = tx.accounts().by_email("ada@example.com")?.unwrap();
        tx.accounts().prove_address(id, 7)?;
        tx.accounts().prove_address(id, 9)?;
        tx.accounts().set_password_hash(id, None, 9)?;
        Ok((before, tx.accounts().by_id(id)?.unwrap()))
    })
    .await;
    assert_eq!(found.0.id, id);
    assert!(!found.0.email_verified);
    assert_eq!(found.0.password_hash.as_deref(), Some("$argon2id$stand-in"));
    assert!(found.1.email_verified);
    assert_eq!(found.1.password_hash, None);
}

pub(crate) async fn sessions_live_until_they_end_or_idle(store: &Store) {
    let user = account(store, "s@example.com", true).await;
    write(store, move |tx| {
        tx.sessions().insert(&hash(1), user, 100, 10_000)?;
        tx.sessions().insert(&hash(2), user, 100, 500)?;
        tx.sessions().insert(&hash(3), user, 100, 10_000)
    })
    .await;
    let (first, third) = write(store, |tx| {
        let first = tx.sessions().by_token(&hash(1))?.unwrap();
        tx.sessions().touch(first.id, 900)?;
        let third = tx.sessions().by_token(&hash(3))?.unwrap();
        Ok((first, third))
    })
    .await;
    assert_eq!(first.user_id, user);
    assert_eq!((first.expires_at, first.last_seen_at), (10_000, 100));
    assert_eq!(first.email, "s@example.com");
    assert!(first.email_verified);
    // At 1,000: session 2 has ended, session 3 was last seen at or before the idle cutoff.
    let deleted = write(store, |tx| tx.sessions().delete_expired(1_000, 100)).await;
    assert_eq!(deleted, 2);
    let left = write(store, move |tx| {
        Ok((
            tx.sessions().by_token(&hash(1))?.map(|s| s.last_seen_at),
            tx.sessions().by_token(&hash(3))?.is_some(),
        ))
    })
    .await;
    assert_eq!(left, (Some(900), false));
    assert!(third.id != first.id);
    let ended = write(store, move |tx| {
        tx.sessions().insert(&hash(4), user, 100, 10_000)?;
        tx.sessions().delete(first.id)?;
        tx.sessions().delete_for_account(user)
    })
    .await;
    assert_eq!(ended, 1);
    assert!(write(store, |tx| tx.sessions().by_token(&hash(4)))
        .await
        .is_none());
}

pub(crate) async fn attempts_are_reserved_atomically_up_to_the_limit(store: &Store) {
    // Forty concurrent reservations on one email: exactly five are granted.
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .write(|tx| tx.login_attempts().reserve("burst@example.com", 0, 5, 100))
                .await
                .unwrap()
        }));
    }
    let mut reserved = Vec::new();
    for task in tasks {
        if let Reservation::Reserved(attempt) = task.await.unwrap() {
            reserved.push(attempt);
        }
    }
    assert_eq!(reserved.len(), 5);
    let full = write(store, |tx| {
        tx.login_attempts().reserve("burst@example.com", 0, 5, 200)
    })
    .await;
    assert_eq!(full, Reservation::Full { oldest: 100 });
    // Another email is not affected; a forgotten attempt frees its place.
    let other = write(store, |tx| {
        tx.login_attempts().reserve("calm@example.com", 0, 5, 200)
    })
    .await;
    assert!(matches!(other, Reservation::Reserved(_)));
    let first = reserved[0];
    let again = write(store, move |tx| {
        tx.login_attempts().forget(first)?;
        tx.login_attempts().reserve("burst@example.com", 0, 5, 300)
    })
    .await;
    assert!(matches!(again, Reservation::Reserved(_)));
    // Only those after `since` count; old ones are deleted; clear forgets an email.
    let windowed = write(store, |tx| {
        tx.login_attempts()
            .reserve("burst@example.com", 250, 5, 400)
    })
    .await;
    assert!(matches!(windowed, Reservation::Reserved(_)));
    assert_eq!(
        write(store, |tx| tx.login_attempts().delete_before(100)).await,
        4
    );
    write(store, |tx| tx.login_attempts().clear("burst@example.com")).await;
    assert_eq!(
        write(store, |tx| tx.login_attempts().delete_before(1_000)).await,
        1
    );
}

pub(crate) async fn email_tokens_are_single_use_and_newer_ones_void_older(store: &Store) {
    let user = account(store, "t@example.com", false).await;
    let (first, second) = write(store, |tx| {
        let token = |byte, now| NewToken {
            purpose: Purpose::Login,
            email: "t@example.com",
            token_hash: Box::leak(Box::new(hash(byte))),
            code_hash: Some([byte; 32]),
            now,
            expires_at: now + 1_000,
        };
        let first = tx.email_tokens().issue(&token(1, 10))?;
        let second = tx.email_tokens().issue(&token(2, 20))?;
        Ok((first, second))
    })
    .await;
    let found = write(store, move |tx| {
        Ok((
            tx.email_tokens()
                .live_by_hash(Purpose::Login, &hash(1), 30)?,
            tx.email_tokens()
                .live_by_hash(Purpose::Login, &hash(2), 30)?,
            tx.email_tokens()
                .live_by_hash(Purpose::Reset, &hash(2), 30)?,
            tx.email_tokens()
                .live_by_hash(Purpose::Login, &hash(2), 1_020)?,
            tx.email_tokens()
                .newest_live(Purpose::Login, "t@example.com", 30)?,
        ))
    })
    .await;
    assert_eq!(found.0, None, "the newer email voided the older");
    let live = found.1.unwrap();
    assert_eq!((live.id, live.user_id), (second, Some(user)));
    assert_eq!(found.2, None, "another purpose");
    assert_eq!(found.3, None, "expired");
    let newest = found.4.unwrap();
    assert_eq!(newest.token.id, second);
    assert_eq!(newest.token_hash, hash(2));
    assert_eq!(newest.code_hash, Some([2; 32]));
    assert_eq!(newest.failures, 0);
    assert_ne!(first, second);

    // Ten concurrent claims: one wins.
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .write(move |tx| tx.email_tokens().claim(second, 40))
                .await
                .unwrap()
        }));
    }
    let mut won = 0;
    for task in tasks {
        won += usize::from(task.await.unwrap());
    }
    assert_eq!(won, 1);

    let after = write(store, move |tx| {
        let confirm = tx.email_tokens().issue(&NewToken {
            purpose: Purpose::Verify,
            email: "t@example.com",
            token_hash: &hash(3),
            code_hash: None,
            now: 50,
            expires_at: 5_000,
        })?;
        tx.email_tokens().count_code_failure(confirm)?;
        let failures = tx
            .email_tokens()
            .newest_live(Purpose::Verify, "t@example.com", 60)?
            .map(|code| code.failures);
        tx.email_tokens()
            .void_for_account(Purpose::Verify, user, 70)?;
        let voided = tx
            .email_tokens()
            .live_by_hash(Purpose::Verify, &hash(3), 80)?;
        Ok((failures, voided, tx.email_tokens().delete_expired(2_000)?))
    })
    .await;
    assert_eq!(after.0, Some(1));
    assert_eq!(after.1, None);
    assert_eq!(after.2, 2, "the two sign-in tokens had expired");
}

pub(crate) async fn email_requests_count_per_client_and_for_anyone(store: &Store) {
    let counts = write(store, |tx| {
        let tokens = tx.email_tokens();
        tokens.record_request(Purpose::Login, "v@example.com", "ip4:a", 10)?;
        tokens.record_request(Purpose::Login, "v@example.com", "ip4:a", 20)?;
        tokens.record_request(Purpose::Login, "v@example.com", "ip4:b", 30)?;
        tokens.record_request(Purpose::Reset, "v@example.com", "ip4:a", 40)?;
        Ok((
            tokens.requests(Purpose::Login, "v@example.com", "ip4:a", 0)?,
            tokens.requests(Purpose::Login, "v@example.com", "ip4:c", 0)?,
            tokens.requests(Purpose::Login, "v@example.com", "ip4:a", 15)?,
        ))
    })
    .await;
    assert_eq!(
        (
            counts.0.by_client,
            counts.0.newest_by_client,
            counts.0.by_anyone
        ),
        (2, Some(20), 3)
    );
    assert_eq!(
        (
            counts.1.by_client,
            counts.1.newest_by_client,
            counts.1.by_anyone
        ),
        (0, None, 3)
    );
    assert_eq!((counts.2.by_client, counts.2.by_anyone), (1, 2));
    assert_eq!(
        write(store, |tx| tx.email_tokens().delete_requests_before(20)).await,
        2
    );
}

pub(crate) async fn the_outbox_leases_due_emails_and_says_where_their_tokens_stand(store: &Store) {
    write(store, |tx| {
        let token = |byte| NewToken {
            purpose: Purpose::Login,
            email: "o@example.com",
            token_hash: Box::leak(Box::new(hash(byte))),
            code_hash: None,
            now: 10,
            expires_at: 100,
        };
        let used = tx.email_tokens().issue(&token(1))?;
        let live = tx.email_tokens().issue(&token(2))?; // voids `used`
        let email = |kind, token_id, subject| NewEmail {
            kind,
            token_id,
            recipient: "o@example.com",
            subject,
            text: "text",
            html: "<p>html</p>",
            now: 10,
        };
        tx.outbox()
            .enqueue(&email(EmailKind::SignIn, Some(used), "used"))?;
        tx.outbox()
            .enqueue(&email(EmailKind::SignIn, Some(live), "live"))?;
        tx.outbox()
            .enqueue(&email(EmailKind::PasswordChanged, None, "notice"))
    })
    .await;
    let due = write(store, |tx| tx.outbox().claim_due(20, 200, 10)).await;
    let states: Vec<(&str, TokenState)> =
        due.iter().map(|e| (e.subject.as_str(), e.token)).collect();
    assert_eq!(
        states,
        [
            ("used", TokenState::Used),
            ("live", TokenState::Live { expires_at: 100 }),
            ("notice", TokenState::NoToken)
        ]
    );
    assert_eq!(due[1].kind, EmailKind::SignIn);
    assert_eq!(
        (due[1].text.as_str(), due[1].attempts, due[1].created_at),
        ("text", 0, 10)
    );
    // Leased: nothing is due again before the lease ends.
    assert!(write(store, |tx| tx.outbox().claim_due(150, 300, 10))
        .await
        .is_empty());
    let (used, live, notice) = (due[0].id, due[1].id, due[2].id);
    write(store, move |tx| {
        tx.outbox().finish(used, Finished::Void, 30, None)?;
        tx.outbox().finish(live, Finished::Sent, 30, None)?;
        tx.outbox().retry_later(notice, 1, "refused", 250)
    })
    .await;
    let retried = write(store, |tx| tx.outbox().claim_due(260, 400, 10)).await;
    assert_eq!(retried.len(), 1);
    assert_eq!((retried[0].id, retried[0].attempts), (notice, 1));
    write(store, move |tx| {
        tx.outbox()
            .finish(notice, Finished::Failed, 270, Some("gave up"))
    })
    .await;
    assert_eq!(
        write(store, |tx| tx.outbox().statuses()).await,
        ["void", "sent", "failed"]
    );
    assert_eq!(
        write(store, |tx| tx.outbox().delete_finished_before(30)).await,
        2
    );
    // A deleted token leaves its email pointing at nothing: it is dropped, not sent.
    write(store, |tx| {
        let token = tx.email_tokens().issue(&NewToken {
            purpose: Purpose::Reset,
            email: "o@example.com",
            token_hash: &hash(9),
            code_hash: None,
            now: 300,
            expires_at: 310,
        })?;
        tx.outbox().enqueue(&NewEmail {
            kind: EmailKind::PasswordReset,
            token_id: Some(token),
            recipient: "o@example.com",
            subject: "reset",
            text: "t",
            html: "h",
            now: 300,
        })?;
        tx.email_tokens().delete_expired(400)?;
        Ok(())
    })
    .await;
    let gone = write(store, |tx| tx.outbox().claim_due(500, 600, 10)).await;
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].token, TokenState::Deleted);
}

pub(crate) async fn workspaces_belong_to_their_owner(store: &Store) {
    let ada = account(store, "ada@example.com", true).await;
    let bob = account(store, "bob@example.com", true).await;
    let first = workspace(store, ada, "Zeta", false).await;
    let personal = workspace(store, ada, "Personal", false).await;
    let listed = write(store, move |tx| {
        Ok((
            tx.workspaces().list(ada)?,
            tx.workspaces().owned(bob, first)?,
            tx.workspaces().named_or_oldest(ada, "Personal")?,
            tx.workspaces().named_or_oldest(ada, "Nothing")?,
            tx.workspaces().named_or_oldest(bob, "Personal")?,
        ))
    })
    .await;
    let names: Vec<&str> = listed.0.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["Zeta", "Personal"], "oldest first");
    assert_eq!(listed.0[0].top_k, 7);
    assert_eq!(listed.0[0].system_prompt, "Prompt of Zeta");
    assert_eq!(listed.1, None, "not bob's");
    assert_eq!(listed.2, Some(personal));
    assert_eq!(listed.3, Some(first));
    assert_eq!(listed.4, None);
    let conversation = conversation(store, first, ada, "In Zeta", None, 3_000).await;
    let changed = write(store, move |tx| {
        tx.workspaces()
            .update(first, &fields("Renamed", true), 4_000)?;
        let changed = tx.workspaces().owned(ada, first)?.unwrap();
        let not_bobs = tx.workspaces().delete(bob, first)?;
        let deleted = tx.workspaces().delete(ada, first)?;
        Ok((
            changed,
            not_bobs,
            deleted,
            tx.conversations().find(conversation)?,
        ))
    })
    .await;
    assert_eq!(changed.0.name, "Renamed");
    assert!(changed.0.shared_with_domain);
    assert_eq!(
        changed.0.updated_at.unix_timestamp_nanos() / 1_000_000,
        4_000
    );
    assert!(!changed.1 && changed.2);
    assert_eq!(changed.3, None, "its conversations went with it");
}

pub(crate) async fn conversations_keep_temporary_ones_to_their_session(store: &Store) {
    let ada = account(store, "ada@example.com", true).await;
    let ws = workspace(store, ada, "Team", true).await;
    let session = write(store, move |tx| {
        tx.sessions().insert(&hash(1), ada, 100, 10_000)?;
        Ok(tx.sessions().by_token(&hash(1))?.unwrap().id)
    })
    .await;
    let kept = conversation(store, ws, ada, "Kept", None, 1_000).await;
    let temporary = conversation(store, ws, ada, "Scratch", Some(session), 2_000).await;
    let seen = write(store, move |tx| {
        tx.conversations().note_question(kept, "First?", 3_000)?;
        tx.conversations().note_question(kept, "Second?", 3_500)?;
        Ok((
            tx.conversations().list_in(ws, ada, session)?,
            tx.conversations().list_in(ws, ada, session + 1)?,
            tx.conversations().latest(ada, session + 1)?,
            tx.conversations().find(kept)?.unwrap(),
            tx.conversations().find(temporary)?.unwrap(),
            tx.conversations().answer_settings(kept)?,
        ))
    })
    .await;
    let titles: Vec<&str> = seen.0.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles, ["Kept", "Scratch"], "newest first");
    assert_eq!(seen.1.len(), 1, "another session sees no temporary one");
    assert_eq!(seen.2, Some(kept));
    let record = &seen.3;
    assert_eq!(record.conversation.first_query.as_deref(), Some("First?"));
    assert!(record.shared_with_domain && record.owner_proven);
    assert_eq!(record.owner_email, "ada@example.com");
    assert_eq!(record.session_id, None);
    assert!(seen.4.conversation.temporary);
    assert_eq!(seen.4.session_id, Some(session));
    assert_eq!(seen.5.top_k.get(), 7);
    assert_eq!(seen.5.model.as_deref(), Some("m"));
    let after = write(store, move |tx| {
        tx.conversations().rename(kept, "Renamed", 4_000)?;
        tx.sessions().delete(session)?;
        Ok((
            tx.conversations().find(kept)?.unwrap().conversation.title,
            tx.conversations().find(temporary)?,
        ))
    })
    .await;
    assert_eq!(after.0, "Renamed");
    assert_eq!(after.1, None, "deleted with its session");
    write(store, move |tx| tx.conversations().delete(kept)).await;
    assert!(write(store, move |tx| tx.conversations().find(kept))
        .await
        .is_none());
}

pub(crate) async fn messages_keep_their_order_status_and_citations(store: &Store) {
    let ada = account(store, "ada@example.com", true).await;
    let ws = workspace(store, ada, "W", false).await;
    let conv = conversation(store, ws, ada, "C", None, 1_000).await;
    let (question, answer, stale) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    write(store, move |tx| {
        let message = |id, role, content, status, now| NewMessage {
            id,
            conversation_id: conv,
            role,
            content,
            status,
            now,
        };
        tx.messages().insert(&message(
            question,
            Role::User,
            "Why?",
            MessageStatus::Complete,
            10,
        ))?;
        tx.messages().insert(&message(
            answer,
            Role::Assistant,
            "",
            MessageStatus::Streaming,
            11,
        ))?;
        tx.messages().insert(&message(
            stale,
            Role::Assistant,
            "",
            MessageStatus::Streaming,
            5,
        ))?;
        let citation = Citation {
            index: 1,
            chunk_id: "k1".into(),
            source: "a.pdf".into(),
            title: Some("A".into()),
            url: Some("https://docs.example.com/a.pdf".into()),
            page: Some(3),
            snippet: "Because.".into(),
            document_id: Some(Uuid::from_u128(7)),
        };
        tx.messages().finish(&FinishedAnswer {
            id: answer,
            content: "Because [1].",
            status: MessageStatus::Complete,
            error_code: None,
            citations: &[citation],
            now: 20,
        })
    })
    .await;
    let read = write(store, move |tx| {
        Ok((
            tx.messages().of_conversation(conv)?,
            tx.messages().recent_turns(conv, 40)?,
            tx.messages().recent_turns(conv, 1)?,
            tx.messages().conversation_of(answer)?,
            tx.conversations()
                .find(conv)?
                .unwrap()
                .conversation
                .updated_at,
            tx.messages().fail_streaming_before(8, "interrupted")?,
        ))
    })
    .await;
    let order: Vec<Uuid> = read.0.iter().map(|m| m.id).collect();
    assert_eq!(
        order,
        [stale, question, answer],
        "by when they were written"
    );
    let answered = &read.0[2];
    assert_eq!(
        (answered.role, answered.status),
        (Role::Assistant, MessageStatus::Complete)
    );
    assert_eq!(answered.citations.len(), 1);
    assert_eq!(answered.citations[0].page, Some(3));
    assert_eq!(
        read.1,
        [
            (Role::User, "Why?".to_owned()),
            (Role::Assistant, "Because [1].".to_owned())
        ],
        "complete turns with text, oldest first"
    );
    assert_eq!(read.2, [(Role::Assistant, "Because [1].".to_owned())]);
    assert_eq!(read.3, Some(conv));
    assert_eq!(
        read.4.unix_timestamp_nanos() / 1_000_000,
        20,
        "the answer touched it"
    );
    assert_eq!(read.5, 1, "only the one streaming since before the cutoff");
    let after = write(store, move |tx| {
        let failed = tx.messages().of_conversation(conv)?[0].clone();
        tx.messages().clear(conv)?;
        Ok((failed, tx.messages().of_conversation(conv)?))
    })
    .await;
    assert_eq!(after.0.status, MessageStatus::Failed);
    assert_eq!(after.0.error_code.as_deref(), Some("interrupted"));
    assert!(after.1.is_empty());
}

pub(crate) async fn history_finds_own_and_proven_domain_conversations_by_words(store: &Store) {
    let ada = account(store, "ada@corp.example", true).await;
    let eve = account(store, "eve@corp.example", false).await;
    let out = account(store, "out@other.example", true).await;
    let shared = workspace(store, ada, "Team", true).await;
    let private = workspace(store, ada, "Mine", false).await;
    let eves = workspace(store, eve, "Lure", true).await;
    let outs = workspace(store, out, "Theirs", true).await;
    let retention = conversation(store, shared, ada, "Retention policy", None, 3_000).await;
    let budget = conversation(store, private, ada, "Budget", None, 2_000).await;
    conversation(store, eves, eve, "Retention lure", None, 4_000).await;
    conversation(store, outs, out, "Retention elsewhere", None, 5_000).await;
    write(store, move |tx| {
        tx.messages().insert(&NewMessage {
            id: Uuid::new_v4(),
            conversation_id: budget,
            role: Role::User,
            content: "How is the retention of receipts handled?",
            status: MessageStatus::Complete,
            now: 2_100,
        })
    })
    .await;
    let search = |whose: Whose, words: &[&str], from: Option<i64>| HistoryFilter {
        whose,
        workspace: None,
        from,
        to: None,
        words: words.iter().map(|w| (*w).to_owned()).collect(),
        limit: 50,
        offset: 0,
    };
    let titles = |store: &Store, filter: HistoryFilter| {
        let store = store.clone();
        async move {
            write(&store, move |tx| tx.history().search(&filter))
                .await
                .into_iter()
                .map(|entry| entry.title)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        titles(store, search(Whose::Own(ada), &[], None)).await,
        ["Retention policy", "Budget"]
    );
    assert_eq!(
        titles(store, search(Whose::Own(ada), &["reten"], None)).await,
        ["Retention policy", "Budget"],
        "a prefix, in a title or in a message"
    );
    assert_eq!(
        titles(
            store,
            search(Whose::Own(ada), &["receipts", "retention"], None)
        )
        .await,
        ["Budget"]
    );
    assert_eq!(
        titles(store, search(Whose::Own(ada), &["polic\"y"], None)).await,
        Vec::<String>::new()
    );
    assert_eq!(
        titles(store, search(Whose::Own(ada), &[], Some(2_500))).await,
        ["Retention policy"]
    );
    assert_eq!(
        titles(
            store,
            search(Whose::SharedWithDomain("corp.example".into()), &[], None)
        )
        .await,
        ["Retention policy"],
        "shared, of the domain, by a proven owner"
    );
    let mut paged = search(Whose::Own(ada), &[], None);
    paged.limit = 1;
    paged.offset = 1;
    assert_eq!(titles(store, paged).await, ["Budget"]);
    let mut in_workspace = search(Whose::Own(ada), &[], None);
    in_workspace.workspace = Some(shared);
    assert_eq!(titles(store, in_workspace).await, ["Retention policy"]);
    assert!(retention != budget);
}

pub(crate) fn new_document<'a>(
    workspace_id: Uuid,
    name: &'a str,
    sha256: &'a str,
) -> NewDocument<'a> {
    NewDocument {
        id: Uuid::new_v4(),
        workspace_id,
        name,
        format: DocumentFormat::Pdf,
        bytes: 10,
        sha256,
        folder: None,
    }
}

fn passage(page: u32, text: &str) -> NewPassage {
    NewPassage {
        page: Some(page),
        heading: "Policies".to_owned(),
        text: text.to_owned(),
    }
}

fn terms(query: &str) -> SearchTerms {
    SearchTerms::parse(query).unwrap()
}

/// A document is queued once per workspace and file; a claimed job moves to ready with its
/// passages (or failed), only for the claim that holds it; a claim that runs out is taken
/// over, and the first claim's late result is refused.
pub(crate) async fn documents_are_jobs_claimed_once_and_finished_by_their_claim(store: &Store) {
    let ada = account(store, "ada@example.com", true).await;
    let ws = workspace(store, ada, "Docs", false).await;
    let (first, again) = write(store, move |tx| {
        let first = tx
            .documents()
            .insert(&new_document(ws, "a.pdf", "aa"), 10)?;
        let again = tx
            .documents()
            .insert(&new_document(ws, "copy.pdf", "aa"), 11)?;
        Ok((first, again))
    })
    .await;
    let Inserted::New(document) = first else {
        panic!("{first:?}")
    };
    assert_eq!(again, Inserted::Existing(document.clone()));
    assert_eq!(document.status, DocumentStatus::Queued);

    let job = write(store, |tx| tx.documents().claim_next(100, 200))
        .await
        .unwrap();
    assert_eq!((job.document_id, job.attempts), (document.id, 1));
    assert!(
        write(store, |tx| tx.documents().claim_next(150, 250))
            .await
            .is_none(),
        "claimed"
    );
    let id = document.id;
    assert!(
        write(store, move |tx| tx.documents().progress(
            id,
            1,
            Some(3),
            1,
            300
        ))
        .await
    );
    // The claim ran out: another worker takes it over; the first one's result is refused.
    let taken = write(store, |tx| tx.documents().claim_next(301, 400))
        .await
        .unwrap();
    assert_eq!(taken.attempts, 2);
    let late = write(store, move |tx| {
        tx.documents()
            .finish_ready(id, 1, Some(3), &[passage(1, "stale words")], 302)
    })
    .await;
    assert!(!late);
    let done = write(store, move |tx| {
        tx.documents().finish_ready(
            id,
            2,
            Some(3),
            &[
                passage(1, "retention of personnel records"),
                passage(3, "parking permits"),
            ],
            303,
        )
    })
    .await;
    assert!(done);
    let stored = write(store, move |tx| tx.documents().find(id))
        .await
        .unwrap()
        .document;
    assert_eq!(
        (
            stored.status,
            stored.pages,
            stored.pages_done,
            stored.chunks
        ),
        (DocumentStatus::Ready, Some(3), 3, 2)
    );
    assert_eq!(
        write(store, move |tx| tx.documents().ready_count(ws)).await,
        1
    );

    // A failure keeps its code and sentence.
    let other = write(store, move |tx| {
        tx.documents().insert(&new_document(ws, "b.pdf", "bb"), 20)
    })
    .await;
    let Inserted::New(other) = other else {
        panic!()
    };
    let job = write(store, |tx| tx.documents().claim_next(500, 600))
        .await
        .unwrap();
    assert_eq!(job.document_id, other.id);
    let other_id = other.id;
    assert!(
        write(store, move |tx| tx
            .documents()
            .finish_failed(other_id, 1, "no_text", "A scan.", 501))
        .await
    );
    let failed = write(store, move |tx| tx.documents().find(other_id))
        .await
        .unwrap()
        .document;
    assert_eq!(failed.status, DocumentStatus::Failed);
    assert_eq!(failed.error.unwrap().code.as_str(), "no_text");
    assert!(write(store, |tx| tx.documents().claim_next(700, 800))
        .await
        .is_none());
}

/// A ready document of one passage (its name is its file hash too); its id.
pub(crate) async fn ready_document(
    store: &Store,
    ws: Uuid,
    name: &'static str,
    text: &'static str,
) -> Uuid {
    write(store, move |tx| {
        let Inserted::New(d) = tx.documents().insert(&new_document(ws, name, name), 1)? else {
            panic!("a new document")
        };
        let job = tx.documents().claim_next(2, 3)?.unwrap();
        tx.documents()
            .finish_ready(d.id, job.attempts, Some(1), &[passage(1, text)], 4)?;
        Ok(d.id)
    })
    .await
}

/// A search finds the ready passages of one workspace only, best first; deleting a document,
/// or its workspace, takes its passages out of the index at once.
pub(crate) async fn passages_are_searched_per_workspace_and_leave_with_their_document(
    store: &Store,
) {
    let ada = account(store, "ada@example.com", true).await;
    let (mine, other) = (
        workspace(store, ada, "Mine", false).await,
        workspace(store, ada, "Other", false).await,
    );
    let mut ids = Vec::new();
    for (ws, name, text) in [
        (
            mine,
            "a.pdf",
            "Personnel records are kept for seven years after leaving.",
        ),
        (mine, "b.pdf", "Records of visitors are kept one year."),
        (other, "c.pdf", "Personnel records in the other workspace."),
    ] {
        ids.push(ready_document(store, ws, name, text).await);
    }
    let found = |ws: Uuid, q: &'static str| async move {
        write(store, move |tx| tx.passages().search(ws, &terms(q), 10))
            .await
            .into_iter()
            .map(|hit| hit.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(found(mine, "personnel records").await, ["a.pdf", "b.pdf"]);
    assert_eq!(found(other, "personnel records").await, ["c.pdf"]);
    assert_eq!(found(mine, "visitor").await, ["b.pdf"], "stems match");
    assert_eq!(found(mine, "leave").await, ["a.pdf"], "stems match");
    let first = ids[0];
    assert!(write(store, move |tx| tx.documents().delete(first)).await);
    assert_eq!(found(mine, "personnel").await, Vec::<String>::new());
    assert!(write(store, move |tx| tx.documents().file_in_use("b.pdf")).await);
    assert!(!write(store, move |tx| tx.documents().file_in_use("a.pdf")).await);
    assert!(write(store, move |tx| tx.workspaces().delete(ada, other)).await);
    assert_eq!(found(other, "personnel").await, Vec::<String>::new());
}

/// A search's results and scores come from its workspace's passages alone: documents added to
/// another workspace, or deleted from it, change nothing in them (scores that moved would tell
/// a searcher about documents they cannot see).
pub(crate) async fn scores_depend_on_the_workspace_s_own_passages_only(store: &Store) {
    let ada = account(store, "ada@example.com", true).await;
    let bob = account(store, "bob@example.com", true).await;
    let (mine, theirs) = (
        workspace(store, ada, "Mine", false).await,
        workspace(store, bob, "Theirs", false).await,
    );
    let add = |ws, name, text| ready_document(store, ws, name, text);
    add(mine, "a.pdf", "The merger with Globex closes in March.").await;
    add(mine, "b.pdf", "Quarterly figures, and the merger timeline.").await;
    add(mine, "c.pdf", "Parking permits are renewed every January.").await;
    add(
        mine,
        "g.pdf",
        "Meals on trips are paid up to a daily allowance.",
    )
    .await;
    add(mine, "h.pdf", "Laptops are replaced every four years.").await;
    add(mine, "i.pdf", "Visitors sign in at the front desk.").await;
    let search = || async move {
        write(store, move |tx| {
            tx.passages()
                .search(mine, &terms("merger timeline Globex"), 10)
        })
        .await
        .into_iter()
        .map(|hit| (hit.passage_id, hit.score))
        .collect::<Vec<_>>()
    };
    let before = search().await;
    assert_eq!(before.len(), 2);
    assert!(
        before[1].1 > 0.1,
        "the words tell passages apart: {before:?}"
    );
    let mut added = Vec::new();
    for (name, text) in [
        ("d.pdf", "Merger, merger: the Globex merger files."),
        (
            "e.pdf",
            "Nothing of interest here, a long passage of other words.",
        ),
        ("f.pdf", "Timeline of the merger."),
    ] {
        added.push(add(theirs, name, text).await);
    }
    assert_eq!(
        search().await,
        before,
        "another workspace's documents count for nothing"
    );
    let first = added[0];
    assert!(write(store, move |tx| tx.documents().delete(first)).await);
    assert_eq!(search().await, before);
}

/// A fresh SQLite store in a temp dir (kept alive by the second value).
pub(crate) async fn sqlite() -> (Store, Arc<tempfile::TempDir>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("docent.sqlite3"))
        .await
        .unwrap();
    (store, Arc::new(dir))
}

/// A fresh PostgreSQL store: a new database on the test process's own server.
pub(crate) async fn postgres() -> (Store, ()) {
    let url = docent_test_support::postgres::TestPostgres::shared().fresh_database();
    (Store::open_postgres(&url).await.unwrap(), ())
}

mod sqlite_store {
    super::contract_tests!(super::sqlite);
}

mod postgres_store {
    super::contract_tests!(super::postgres);
}
