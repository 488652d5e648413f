//! No raw token or password in the database (the SQLite file, or every row of the PostgreSQL
//! database) or in the logs.

use docent_test_support::postgres::TestPostgres;

use crate::helpers::{captured_logs, spawn_app, test_database, PASSWORD};

#[tokio::test]
async fn no_raw_token_or_password_is_stored_or_logged() {
    let app = spawn_app().await;
    let password = "Unmistakable-Secret-Phrase-Zebra-91";
    assert_eq!(
        app.register("keeper@example.com", password).await.status(),
        201
    );
    let token = app.session_token("keeper@example.com", password).await;
    assert_eq!(app.validate(&token).await.status(), 200);
    assert_eq!(
        app.login("keeper@example.com", "Wrong-Secret-Phrase-Zebra-19")
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login("keeper@example.com", PASSWORD).await.status(),
        401
    );
    let second = app.session_token("keeper@example.com", password).await;
    assert_eq!(app.post_bearer("/auth/logout", &second).await.status(), 204);

    let mut stored = Vec::new();
    let database = test_database(app.data_dir.path());
    for entry in std::fs::read_dir(app.data_dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // The folder of documents' files (none were added here) is the one folder.
        if name == "documents" && path.is_dir() {
            continue;
        }
        if database.is_some() {
            assert_eq!(name, "test-database-url", "unexpected file {name}");
            continue;
        }
        assert!(name.starts_with("docent.sqlite3"), "unexpected file {name}");
        stored.extend(std::fs::read(&path).unwrap());
    }
    if let Some(url) = &database {
        stored.extend(
            TestPostgres::shared()
                .dump(url.expose_secret())
                .into_bytes(),
        );
    }
    let stored = String::from_utf8_lossy(&stored);
    assert!(
        stored.contains("keeper@example.com"),
        "the search must look at real data"
    );
    assert!(
        stored.contains("$argon2id$"),
        "passwords are stored as argon2id hashes"
    );
    let logs = captured_logs();
    assert!(
        logs.contains("signed in"),
        "the logs must be captured for this test to mean anything"
    );
    for secret in [
        password,
        "Wrong-Secret-Phrase-Zebra-19",
        PASSWORD,
        &token,
        &second,
    ] {
        assert!(!stored.contains(secret), "{secret} is in the database");
        if let Some(line) = logs.lines().find(|l| l.contains(secret)) {
            panic!("{secret} is in the logs: {line}");
        }
    }
}
