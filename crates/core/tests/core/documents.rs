//! A workspace's documents, through the core: added, read in the extraction process (the
//! `docent-extract` binary), searched, deleted; bad files fail with their reason; a restart
//! in the middle of indexing resumes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use docent_core::{
    Credentials, CurrentUser, Docent, DocumentStatus, ManualClock, Requester, SearchQuery, Settings,
};
use secrecy::SecretString;
use uuid::Uuid;

const PASSWORD: &str = "Tangerine-Orbit-Quietly-47";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/documents")
        .join(name)
}

fn settings(dir: &Path) -> Settings {
    let mut settings = Settings::with_data_dir(dir);
    settings.documents.extractor_program = Some(env!("CARGO_BIN_EXE_docent-extract").into());
    settings
}

struct Fixture {
    docent: Docent,
    clock: ManualClock,
    dir: tempfile::TempDir,
}

async fn open() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::starting_now();
    let docent = Docent::open_with_clock(settings(dir.path()), Arc::new(clock.clone()))
        .await
        .unwrap();
    Fixture { docent, clock, dir }
}

impl Fixture {
    async fn user(&self, email: &str) -> (CurrentUser, Uuid) {
        let auth = self.docent.auth();
        let credentials = || Credentials {
            email: email.to_owned(),
            password: SecretString::from(PASSWORD),
        };
        auth.register(credentials(), &Requester::Local)
            .await
            .unwrap();
        let session = auth.login(credentials()).await.unwrap();
        let user = auth.authenticate(&session.token).await.unwrap();
        let personal = self.docent.chat().list_workspaces(&user).await.unwrap()[0].id;
        (user, personal)
    }

    /// Adds a fixture file and indexes everything queued.
    async fn add(&self, user: &CurrentUser, workspace: Uuid, name: &str) -> docent_core::Document {
        let documents = self.docent.documents();
        let document = documents
            .add_path(user, workspace, &fixture(name))
            .await
            .unwrap();
        while documents.index_next().await.unwrap() {}
        documents.get(user, document.id).await.unwrap()
    }

    async fn search(
        &self,
        user: &CurrentUser,
        workspace: Uuid,
        q: &str,
    ) -> Vec<docent_core::SearchHit> {
        self.docent
            .documents()
            .search(
                user,
                workspace,
                &SearchQuery {
                    q: q.to_owned(),
                    limit: Some(5),
                },
            )
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn every_format_is_read_and_found_on_its_page() {
    let f = open().await;
    let (me, ws) = f.user("reader@example.com").await;
    let pdf = f.add(&me, ws, "three-pages.pdf").await;
    assert_eq!(pdf.status, DocumentStatus::Ready, "{:?}", pdf.error);
    assert_eq!((pdf.pages, pdf.pages_done), (Some(3), 3));
    assert!(pdf.chunks >= 3);
    assert_eq!(pdf.media_type, "application/pdf");
    for name in [
        "handbook.docx",
        "handbook.md",
        "handbook.html",
        "notes.txt",
        "latin1.txt",
    ] {
        let document = f.add(&me, ws, name).await;
        assert_eq!(
            document.status,
            DocumentStatus::Ready,
            "{name}: {:?}",
            document.error
        );
        assert!(document.indexed_at.is_some());
    }
    let hits = f.search(&me, ws, "When are parking permits renewed?").await;
    assert_eq!(
        (hits[0].name.as_str(), hits[0].page),
        ("three-pages.pdf", Some(2))
    );
    assert!(hits[0].snippet.contains("renewed every January"));
    let hits = f.search(&me, ws, "meal allowance in Oslo").await;
    assert_eq!(
        (hits[0].name.as_str(), hits[0].page),
        ("handbook.docx", Some(2))
    );
    assert!(hits[0].title.contains("Meals"), "{}", hits[0].title);
    let hits = f.search(&me, ws, "step-free entrance").await;
    assert_eq!(hits[0].name, "handbook.html");
    assert_eq!(hits[0].page, None);
    assert!(f.search(&me, ws, "zzscriptonly").await.is_empty());
    let hits = f.search(&me, ws, "creme brulee").await;
    assert_eq!(hits[0].name, "latin1.txt", "accents are folded: {hits:?}");
    let hits = f.search(&me, ws, "OPS-4417 deploy").await;
    assert_eq!(hits[0].name, "handbook.md");
}

#[tokio::test]
async fn bad_files_fail_with_their_reason_and_hurt_nothing() {
    let f = open().await;
    let (me, ws) = f.user("bad@example.com").await;
    let good = f.add(&me, ws, "notes.txt").await;
    for (name, code) in [
        ("encrypted.pdf", "document_encrypted"),
        ("scanned.pdf", "no_text"),
        ("truncated.pdf", "unreadable_document"),
        ("garbage.pdf", "unreadable_document"),
        ("empty.txt", "empty_document"),
        ("blank.md", "empty_document"),
        ("not-a-docx.docx", "unreadable_document"),
        ("bomb.docx", "document_too_large"),
    ] {
        let document = f.add(&me, ws, name).await;
        assert_eq!(document.status, DocumentStatus::Failed, "{name}");
        let error = document.error.unwrap();
        assert_eq!(error.code.as_str(), code, "{name}: {}", error.message);
        assert!(error.message.ends_with('.'), "{}", error.message);
        assert_eq!(document.chunks, 0);
    }
    assert!(f.search(&me, ws, "zzbomb").await.is_empty());
    // What was there is still there.
    let again = f.docent.documents().get(&me, good.id).await.unwrap();
    assert_eq!(again.status, DocumentStatus::Ready);
    assert!(!f.search(&me, ws, "smörgåsbord").await.is_empty());
    // An unsupported file is refused before it is stored.
    let err = f
        .docent
        .documents()
        .add_path(&me, ws, &fixture("image.png"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unsupported_document");
    assert_eq!(f.docent.documents().list(&me, ws).await.unwrap().len(), 9);
}

#[cfg(unix)]
#[tokio::test]
async fn too_large_and_too_slow_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path());
    settings.documents.max_document_bytes = 1000;
    settings.documents.extract_timeout = Duration::from_millis(200);
    // A reader that hangs: a limit of 1 ms on the real one was beaten when the test machine
    // was busy (the reader had already answered by the time the timer was looked at).
    let hanging = dir.path().join("hanging-reader");
    std::fs::write(&hanging, "#!/bin/sh\nexec sleep 60\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&hanging, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    settings.documents.extractor_program = Some(hanging);
    let docent = Docent::open(settings).await.unwrap();
    let f = Fixture {
        docent,
        clock: ManualClock::starting_now(),
        dir,
    };
    let (me, ws) = f.user("limits@example.com").await;
    let err = f
        .docent
        .documents()
        .add_path(&me, ws, &fixture("handbook.docx"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "document_too_large");
    assert!(err.to_string().contains("DOCENT_MAX_DOCUMENT_BYTES"));
    let slow = f.add(&me, ws, "handbook.md").await;
    let error = slow.error.unwrap();
    assert_eq!(error.code.as_str(), "unreadable_document");
    assert!(error.message.contains("within"), "{}", error.message);
}

#[tokio::test]
async fn the_same_file_twice_is_one_document_and_deleting_takes_its_passages() {
    let f = open().await;
    let (me, ws) = f.user("twice@example.com").await;
    let first = f.add(&me, ws, "three-pages.pdf").await;
    let second = f.add(&me, ws, "three-pages.pdf").await;
    assert_eq!(first.id, second.id);
    assert_eq!(f.docent.documents().list(&me, ws).await.unwrap().len(), 1);
    // Another workspace keeps its own copy of the document, and the file once.
    let other = f
        .docent
        .chat()
        .create_workspace(
            &me,
            serde_json::from_value(serde_json::json!({"name": "Other"})).unwrap(),
        )
        .await
        .unwrap();
    let copy = f.add(&me, other.id, "three-pages.pdf").await;
    assert_ne!(copy.id, first.id);
    assert_eq!(copy.sha256, first.sha256);
    let file = f
        .dir
        .path()
        .join("documents")
        .join(&first.sha256[..2])
        .join(&first.sha256);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    f.docent.documents().delete(&me, first.id).await.unwrap();
    assert!(
        f.search(&me, ws, "parking permits").await.is_empty(),
        "its passages left at once"
    );
    assert!(
        file.exists(),
        "the other workspace's document keeps the file"
    );
    assert!(!f.search(&me, other.id, "parking permits").await.is_empty());
    f.docent.documents().delete(&me, copy.id).await.unwrap();
    assert!(!file.exists(), "no document keeps it now");
    let err = f.docent.documents().get(&me, copy.id).await.unwrap_err();
    assert_eq!(err.code(), "not_found");
}

#[tokio::test]
async fn another_users_workspace_and_documents_are_not_found() {
    let f = open().await;
    let (me, ws) = f.user("owner@example.com").await;
    let (stranger, theirs) = f.user("stranger@example.org").await;
    let document = f.add(&me, ws, "notes.txt").await;
    let documents = f.docent.documents();
    let not_found = |r: docent_core::Result<()>| assert_eq!(r.unwrap_err().code(), "not_found");
    not_found(documents.list(&stranger, ws).await.map(drop));
    not_found(documents.get(&stranger, document.id).await.map(drop));
    not_found(documents.file(&stranger, document.id).await.map(drop));
    not_found(documents.delete(&stranger, document.id).await);
    not_found(
        documents
            .search(
                &stranger,
                ws,
                &SearchQuery {
                    q: "Köln".into(),
                    limit: None,
                },
            )
            .await
            .map(drop),
    );
    not_found(
        documents
            .add_path(&stranger, ws, &fixture("notes.txt"))
            .await
            .map(drop),
    );
    // Their own workspace finds nothing of mine.
    assert!(f.search(&stranger, theirs, "Köln").await.is_empty());
    // An empty query says what to do.
    let err = documents
        .search(
            &me,
            ws,
            &SearchQuery {
                q: " the ".into(),
                limit: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "empty_query");
}

/// The indexer stops in the middle of a document (a crash, a restart): the next Docent on the
/// same data dir takes the job over once its claim has run out, and finishes it.
#[tokio::test]
async fn a_restart_in_the_middle_of_indexing_resumes() {
    let f = open().await;
    let (me, ws) = f.user("restart@example.com").await;
    let documents = f.docent.documents();
    let document = documents
        .add_path(&me, ws, &fixture("handbook.docx"))
        .await
        .unwrap();
    // A worker claims it and stops without a word (killed, or the machine went down).
    assert!(f.docent.testing().claim_next_document().await.unwrap());
    let Fixture { docent, clock, dir } = f;
    assert_eq!(
        docent
            .documents()
            .get(&me, document.id)
            .await
            .unwrap()
            .status,
        DocumentStatus::Indexing
    );
    drop(docent);

    let docent = Docent::open_with_clock(settings(dir.path()), Arc::new(clock.clone()))
        .await
        .unwrap();
    let documents = docent.documents();
    // Not taken over while its claim lasts...
    assert!(!documents.index_next().await.unwrap());
    // ...and resumed once it has run out.
    clock.advance(Duration::from_secs(121));
    assert!(documents.index_next().await.unwrap());
    let done = documents.get(&me, document.id).await.unwrap();
    assert_eq!(done.status, DocumentStatus::Ready, "{:?}", done.error);
    assert_eq!(done.pages, Some(2));
}

/// A folder kept in sync: its readable files are documents; a changed file is read again, a
/// removed one's document goes; what changed while Docent was closed is caught up at start,
/// and a file dropped in while it runs arrives through the OS's file events.
#[tokio::test]
async fn a_folder_is_kept_in_sync() {
    let f = open().await;
    let (me, ws) = f.user("folder@example.com").await;
    let folder = tempfile::tempdir().unwrap();
    std::fs::create_dir(folder.path().join("policies")).unwrap();
    for (name, to) in [
        ("notes.txt", "notes.txt"),
        ("three-pages.pdf", "policies/three-pages.pdf"),
        ("image.png", "image.png"),
    ] {
        std::fs::copy(fixture(name), folder.path().join(to)).unwrap();
    }
    std::fs::write(folder.path().join(".hidden.txt"), "zzhidden").unwrap();
    let documents = f.docent.documents();
    let (kept, sync) = documents.add_folder(&me, ws, folder.path()).await.unwrap();
    assert_eq!((sync.added, sync.skipped), (2, 1), "{sync:?}");
    while documents.index_next().await.unwrap() {}
    let listed = documents.list(&me, ws).await.unwrap();
    let paths: Vec<_> = listed
        .iter()
        .filter_map(|d| d.folder_path.clone())
        .collect();
    assert_eq!(paths, ["notes.txt", "policies/three-pages.pdf"]);
    assert_eq!(documents.folders(&me, ws).await.unwrap()[0].id, kept.id);

    // Changed, removed and added while "closed": the next sync catches up.
    std::fs::write(
        folder.path().join("notes.txt"),
        "The quarterly zzchanged review moved to May.",
    )
    .unwrap();
    std::fs::remove_file(folder.path().join("policies/three-pages.pdf")).unwrap();
    std::fs::copy(fixture("handbook.md"), folder.path().join("handbook.md")).unwrap();
    let sync = documents.sync_folder(kept.id).await.unwrap();
    assert_eq!(
        (sync.added, sync.updated, sync.removed),
        (1, 1, 1),
        "{sync:?}"
    );
    while documents.index_next().await.unwrap() {}
    assert!(!f.search(&me, ws, "zzchanged").await.is_empty());
    assert!(
        f.search(&me, ws, "Grüße").await.is_empty(),
        "the old text left"
    );
    assert!(f.search(&me, ws, "parking permits").await.is_empty());
    let again = documents.sync_folder(kept.id).await.unwrap();
    assert_eq!(
        (again.added, again.updated, again.removed),
        (0, 0, 0),
        "nothing changed"
    );

    // While watching, a new file arrives by itself.
    let watcher = documents.spawn_folder_watcher();
    let _indexer = f.docent.spawn_indexer();
    if watcher.is_watching() {
        std::fs::copy(
            fixture("handbook.docx"),
            folder.path().join("handbook.docx"),
        )
        .unwrap();
        let mut found = false;
        for _ in 0..200 {
            if !f.search(&me, ws, "Voyagex portal").await.is_empty() {
                found = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(found, "the new file was indexed through the file events");
    }
    drop(watcher);

    // A stranger cannot remove it; the owner can, and its documents go with it.
    let (stranger, _) = f.user("other@example.org").await;
    assert_eq!(
        documents
            .remove_folder(&stranger, kept.id)
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );
    documents.remove_folder(&me, kept.id).await.unwrap();
    assert!(documents.list(&me, ws).await.unwrap().is_empty());
    assert!(
        folder.path().join("notes.txt").exists(),
        "the files stay on disk"
    );
}

/// Documents indexed one by one, and deleted, leave the search index in several parts, which
/// every search reads; once nothing waits to be indexed, the indexer merges them into one, and
/// searches find exactly what they found before.
#[tokio::test]
async fn the_index_is_merged_into_one_part_when_indexing_is_done() {
    let f = open().await;
    let (me, ws) = f.user("merge@example.com").await;
    let names = [
        "three-pages.pdf",
        "handbook.docx",
        "handbook.md",
        "handbook.html",
        "notes.txt",
        "latin1.txt",
    ];
    for name in names {
        f.add(&me, ws, name).await;
    }
    let pdf = f.docent.documents().list(&me, ws).await.unwrap();
    let pdf = pdf.iter().find(|d| d.name == "three-pages.pdf").unwrap();
    f.docent.documents().delete(&me, pdf.id).await.unwrap();
    let testing = f.docent.testing();
    let parts = testing.index_parts().await.unwrap();
    assert!(
        parts > 1,
        "each document was written apart: {parts} part(s)"
    );
    let queries = [
        "meal allowance in Oslo",
        "step-free entrance",
        "creme brulee",
        "OPS-4417 deploy",
        "parking permits",
        "travel expenses receipts",
    ];
    let mut before = Vec::new();
    for q in queries {
        before.push(f.search(&me, ws, q).await);
    }

    // The running indexer finds nothing to index, and merges.
    let _indexer = f.docent.spawn_indexer();
    let mut merged = false;
    for _ in 0..400 {
        if testing.index_parts().await.unwrap() == 1 {
            merged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        merged,
        "still {} parts",
        testing.index_parts().await.unwrap()
    );
    for (q, found) in queries.iter().zip(&before) {
        assert_eq!(&f.search(&me, ws, q).await, found, "{q}");
    }
    assert!(
        f.search(&me, ws, "parking permits").await.is_empty(),
        "the deleted document's passages stay gone"
    );
    // Merging an index in one part does nothing.
    f.docent.documents().compact_index().await.unwrap();
    assert_eq!(testing.index_parts().await.unwrap(), 1);
}
