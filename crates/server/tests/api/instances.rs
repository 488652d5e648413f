//! Several docent-server instances on one PostgreSQL database are one server (issue 14): two
//! servers, each with its own data dir and clock, on one fresh database of the tests' own
//! PostgreSQL server.

use docent_core::Settings;
use docent_test_support::postgres::TestPostgres;
use docent_test_support::remote::{use_remotes, FakeLlm};
use serde_json::json;

use crate::chat::{slow_stream, sse_events, wait_until_settled};
use crate::documents::{get, personal, settled, upload};
use crate::email::use_mail;
use crate::helpers::{assert_error, spawn_app_with, TestApp, PASSWORD};
use crate::mail::MailServer;
use crate::process::Process;

/// Two instances on one new database, each also configured by `configure`.
async fn two_instances(configure: impl Fn(&mut Settings) + Clone) -> (TestApp, TestApp) {
    let url = TestPostgres::shared().fresh_database();
    let on = move |s: &mut Settings| {
        s.database_url = Some(url.parse().unwrap());
        configure(s);
    };
    (spawn_app_with(on.clone()).await, spawn_app_with(on).await)
}

#[tokio::test]
async fn a_session_made_on_one_instance_works_on_the_other_and_its_logout_ends_it_on_both() {
    let (a, b) = two_instances(|_| {}).await;
    let token = a.signed_up("ada@example.com").await;
    assert_eq!(b.validate(&token).await.status(), 200);
    assert_eq!(b.post_bearer("/auth/logout", &token).await.status(), 204);
    assert_eq!(a.validate(&token).await.status(), 401);
    assert_eq!(b.validate(&token).await.status(), 401);
}

#[tokio::test]
async fn failed_sign_ins_are_counted_across_instances() {
    let (a, b) = two_instances(|_| {}).await;
    assert_eq!(a.register("lock@example.com", PASSWORD).await.status(), 201);
    // Five failures, spread over both, lock the email on both, even for the right password.
    for app in [&a, &b, &a, &b, &a] {
        let response = app
            .login("lock@example.com", "Wrong-Password-Entirely-1")
            .await;
        assert_eq!(response.status(), 401);
    }
    for app in [&a, &b] {
        let response = app.login("lock@example.com", PASSWORD).await;
        assert_error(response, 429, "too_many_attempts").await;
    }
}

#[tokio::test]
async fn a_sign_in_link_sent_to_both_instances_at_once_signs_in_once() {
    let mail = MailServer::start();
    let (a, b) = two_instances(|s| use_mail(s, &mail)).await;
    for round in 0..5 {
        let email = format!("race{round}@example.com");
        let response = a
            .post_json("/auth/request-login", &json!({ "email": email }))
            .await;
        assert_eq!(response.status(), 202);
        let token = mail
            .wait_for(&email, 1)
            .await
            .token(&format!("{}/login/verify?token=", a.address));
        let body = json!({ "token": token });
        let (on_a, on_b) = tokio::join!(
            a.post_json("/auth/verify-login", &body),
            b.post_json("/auth/verify-login", &body)
        );
        let mut statuses = [on_a.status().as_u16(), on_b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [200, 400],
            "round {round}: one sign-in, one refusal"
        );
    }
}

#[tokio::test]
async fn each_email_is_sent_once_when_both_instances_send_the_outbox() {
    let mail = MailServer::start();
    let (a, b) = two_instances(|s| use_mail(s, &mail)).await;
    let addresses: Vec<String> = (0..12).map(|n| format!("once{n}@example.com")).collect();
    // Queued by both, so both senders have due emails at the same moments.
    let bodies: Vec<_> = addresses
        .iter()
        .map(|email| json!({ "email": email }))
        .collect();
    let requests = bodies.iter().enumerate().map(|(n, body)| {
        let app = if n % 2 == 0 { &a } else { &b };
        app.post_json("/auth/request-login", body)
    });
    for response in futures_util::future::join_all(requests).await {
        assert_eq!(response.status(), 202);
    }
    for email in &addresses {
        mail.wait_for(email, 1).await;
    }
    // Every row is finished (a second send would have happened before its row was).
    let started = std::time::Instant::now();
    loop {
        let statuses = a.docent.testing().outbox_statuses().await.unwrap();
        assert_eq!(statuses.len(), addresses.len());
        if statuses.iter().all(|s| s == "sent") {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "outbox still {statuses:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    for email in &addresses {
        assert_eq!(mail.received_by(email).len(), 1, "{email} got one email");
    }
}

#[tokio::test]
async fn a_database_that_stops_under_load_answers_503_and_the_server_recovers_when_it_is_back() {
    let postgres = TestPostgres::own();
    let url = postgres.fresh_database();
    let app = spawn_app_with(|s| s.database_url = Some(url.parse().unwrap())).await;
    let token = app.signed_up("ada@example.com").await;

    // Four clients validate the session without pause while the database goes and comes back.
    let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let load: Vec<_> = (0..4)
        .map(|_| {
            let (running, url, token) = (running.clone(), app.url("/auth/validate"), token.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
                while running.load(std::sync::atomic::Ordering::Relaxed) {
                    let response = client.get(&url).bearer_auth(&token).send().await.unwrap();
                    *statuses.entry(response.status().as_u16()).or_default() += 1;
                }
                statuses
            })
        })
        .collect();

    postgres.stop();
    let response = app.validate(&token).await;
    let message = assert_error(response, 503, "database_unavailable").await;
    assert!(message.contains("try again"), "{message}");
    let health = app.client.get(app.url("/health")).send().await.unwrap();
    assert_error(health, 503, "database_unavailable").await;

    postgres.restart();
    // The pool drops the connections the restart cut and makes new ones by itself.
    let started = std::time::Instant::now();
    while app.validate(&token).await.status() != 200 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "no recovery within 15 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    running.store(false, std::sync::atomic::Ordering::Relaxed);
    let mut seen = std::collections::BTreeMap::<u16, usize>::new();
    for client in load {
        for (status, count) in client.await.unwrap() {
            *seen.entry(status).or_default() += count;
        }
    }
    assert!(
        seen.keys().all(|status| [200, 503].contains(status)),
        "only answers and 503s under load: {seen:?}"
    );
    assert!(seen.get(&503).is_some_and(|n| *n > 0), "{seen:?}");
    let health = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(
        app.validate(&token).await.status(),
        200,
        "the session survived"
    );
}

#[tokio::test]
async fn a_stop_sent_to_one_instance_stops_the_answer_streaming_on_the_other() {
    let llm = FakeLlm::start().await;
    let (a, b) = two_instances(|s| use_remotes(s, &llm, None)).await;
    let token = a.signed_up("asker@example.com").await;
    llm.reply(slow_stream());
    let mut response = a
        .ask_streaming(&token, &json!({"message": "Tell me everything"}))
        .await;
    let message_id = response.headers()["x-message-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let mut body = String::new();
    while !body.contains("event: delta") && !body.contains("event:delta") {
        body.push_str(&String::from_utf8_lossy(
            &response.chunk().await.unwrap().unwrap(),
        ));
    }
    let stop = b
        .send_json(
            reqwest::Method::POST,
            "/chat/stop",
            &token,
            &json!({"message_id": message_id}),
        )
        .await;
    assert_eq!(stop.status(), 204);
    while let Some(chunk) = response.chunk().await.unwrap() {
        body.push_str(&String::from_utf8_lossy(&chunk));
    }
    let events = sse_events(&body);
    let (last, data) = events.last().unwrap();
    assert_eq!(last, "done");
    assert_eq!(
        data["status"], "stopped",
        "stopped through the other instance"
    );
    let history = wait_until_settled(&b, &token).await;
    let content = history["messages"][1]["content"].as_str().unwrap();
    assert!(!content.contains("word399"), "{content}");
}

#[tokio::test]
async fn documents_added_through_either_instance_are_indexed_once_and_searched_from_both() {
    // Documents' files live in the data dir, which instances on one database share.
    let url = TestPostgres::shared().fresh_database();
    let a = spawn_app_with(|s| s.database_url = Some(url.parse().unwrap())).await;
    let shared = a.data_dir.path().to_owned();
    let b = spawn_app_with(|s| {
        s.database_url = Some(url.parse().unwrap());
        s.data_dir = shared.clone();
    })
    .await;
    let token = a.signed_up("docs@example.com").await;
    let ws = personal(&b, &token).await;
    for (app, names) in [
        (&a, ["three-pages.pdf", "handbook.docx", "handbook.md"]),
        (&b, ["handbook.html", "notes.txt", "latin1.txt"]),
    ] {
        assert_eq!(upload(app, &token, &ws, &names).await.status(), 202);
    }
    let list = settled(&a, &token, &ws).await;
    assert_eq!(list.len(), 6);
    for document in &list {
        assert_eq!(document["status"], "ready", "{document}");
        let id = document["id"].as_str().unwrap().parse().unwrap();
        let attempts = a.docent.testing().document_attempts(id).await.unwrap();
        assert_eq!(attempts, Some(1), "{} was claimed once", document["name"]);
    }
    for app in [&a, &b] {
        let hits: Vec<serde_json::Value> =
            get(app, &token, &format!("/workspaces/{ws}/search?q=page"))
                .await
                .json()
                .await
                .unwrap();
        assert!(
            hits.iter().any(|h| h["name"] == "three-pages.pdf"),
            "{hits:?}"
        );
    }
}

/// The points above, with two `docent-server` processes (not two servers in this process):
/// a session made on one works on the other and its logout ends it on both; failed sign-ins
/// count across them; a sign-in link sent to both at once signs in once; the one email it
/// came in was sent once, though both send the outbox.
#[tokio::test]
async fn two_server_processes_on_one_database_are_one_server() {
    let mail = MailServer::start();
    let database = TestPostgres::shared().fresh_database();
    let data = tempfile::tempdir().unwrap();
    let env = [
        ("DOCENT_DATABASE_URL", database),
        ("DOCENT_SMTP_URL", mail.url()),
        ("DOCENT_MAIL_FROM", "Docent <docent@example.com>".to_owned()),
    ];
    let a = Process::start(data.path(), &env).await;
    let b = Process::start(data.path(), &env).await;
    let client = reqwest::Client::new();

    // An emailed sign-in link, redeemed on both at the same moment.
    let response = a
        .post(
            &client,
            "/auth/request-login",
            &json!({"email": "ada@example.com"}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let token = mail
        .wait_for("ada@example.com", 1)
        .await
        .token(&format!("{}/login/verify?token=", a.url));
    let body = json!({ "token": token });
    let (on_a, on_b) = tokio::join!(
        a.post(&client, "/auth/verify-login", &body),
        b.post(&client, "/auth/verify-login", &body)
    );
    let (winner, loser) = if on_a.status() == 200 {
        (on_a, on_b)
    } else {
        (on_b, on_a)
    };
    assert_eq!(winner.status(), 200);
    assert_error(loser, 400, "invalid_token").await;
    let session: serde_json::Value = winner.json().await.unwrap();
    let session = session["session_token"].as_str().unwrap().to_owned();

    // The session, on both; its logout, on both.
    for server in [&a, &b] {
        assert_eq!(server.get("/auth/validate", &session).await.status(), 200);
    }
    let logout = b
        .send(reqwest::Method::POST, "/auth/logout", &session, &json!({}))
        .await;
    assert_eq!(logout.status(), 204);
    for server in [&a, &b] {
        assert_eq!(server.get("/auth/validate", &session).await.status(), 401);
    }

    // Five failed sign-ins over both lock the email on both.
    let wrong = json!({"email": "ada@example.com", "password": "Wrong-Password-Entirely-1"});
    for server in [&a, &b, &a, &b, &a] {
        assert_eq!(
            server.post(&client, "/auth/login", &wrong).await.status(),
            401
        );
    }
    let right = json!({"email": "ada@example.com", "password": PASSWORD});
    for server in [&a, &b] {
        assert_error(
            server.post(&client, "/auth/login", &right).await,
            429,
            "too_many_attempts",
        )
        .await;
    }
    assert_eq!(
        mail.received_by("ada@example.com").len(),
        1,
        "one email, sent once"
    );
}

#[tokio::test]
async fn the_email_allowance_counts_across_instances() {
    let mail = MailServer::start();
    let (a, b) = two_instances(|s| use_mail(s, &mail)).await;
    let body = json!({"email": "busy@example.com"});
    assert_eq!(
        a.post_json("/auth/request-login", &body).await.status(),
        202
    );
    mail.wait_for("busy@example.com", 1).await;
    // One a minute per address and client: the second, through the other instance, is
    // answered the same and sends nothing.
    assert_eq!(
        b.post_json("/auth/request-login", &body).await.status(),
        202
    );
    for app in [&a, &b] {
        app.docent.deliver_outbox().await.unwrap();
    }
    assert_eq!(
        mail.received_by("busy@example.com").len(),
        1,
        "one email a minute, counted over both"
    );
}
