//! Password reset and passwordless sign-in, end to end through a real SMTP server.

use std::time::Duration;

use docent_core::config::MailSettings;
use docent_core::Settings;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, spawn_app_in, spawn_app_with, TestApp, PASSWORD};
use crate::mail::MailServer;

const NEW_PASSWORD: &str = "Marigold-Lantern-Drifts-Slowly-8";

pub fn use_mail(settings: &mut Settings, mail: &MailServer) {
    settings.mail = MailSettings::Smtp {
        url: mail.url().parse().unwrap(),
        from: "Docent <docent@example.com>".to_owned(),
    };
}

async fn app_with_mail(mail: &MailServer) -> TestApp {
    spawn_app_with(|s| use_mail(s, mail)).await
}

/// Signs `email` in by the link of a new sign-in email (creating a proven account the first
/// time); the session.
pub async fn signed_in_by_email(app: &TestApp, mail: &MailServer, email: &str) -> String {
    let before = mail.received_by(email).len();
    let response = app
        .post_json("/auth/request-login", &json!({ "email": email }))
        .await;
    assert_eq!(response.status(), 202);
    let token = mail
        .wait_for(email, before + 1)
        .await
        .token(&format!("{}/login/verify?token=", app.address));
    let response = app
        .post_json("/auth/verify-login", &json!({ "token": token }))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["session_token"].as_str().unwrap().to_owned()
}

/// Registers `email` with [`PASSWORD`] and confirms the address with the code of its
/// confirmation email, which is the first email it gets (and the first outbox row); the session.
pub async fn confirmed(app: &TestApp, mail: &MailServer, email: &str) -> String {
    assert_eq!(app.register(email, PASSWORD).await.status(), 201);
    let confirmation = mail.wait_for(email, 1).await;
    assert!(
        confirmation.subject.starts_with("Confirm your email"),
        "{}",
        confirmation.subject
    );
    let response = app
        .post_json(
            "/auth/verify-email",
            &json!({"email": email, "code": confirmation.code(), "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["email_verified"], true);
    body["session_token"].as_str().unwrap().to_owned()
}

async fn outbox_statuses(app: &TestApp) -> Vec<String> {
    app.docent.testing().outbox_statuses().await.unwrap()
}

#[tokio::test]
async fn password_reset_end_to_end() {
    let mail = MailServer::start();
    let app = app_with_mail(&mail).await;
    let old_session = confirmed(&app, &mail, "reset@example.com").await;

    let response = app
        .post_json(
            "/auth/reset-request",
            &json!({"email": "reset@example.com"}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let email = mail.wait_for("reset@example.com", 2).await;
    assert_eq!(email.subject, "Reset your Docent password");
    assert!(email.text.contains("expires in 1 hour"), "{}", email.text);
    assert!(
        email.html.contains("reset-password?token="),
        "an HTML part too"
    );
    let link = email.link(&format!("{}/reset-password?token=", app.address));
    let token = link.split("token=").nth(1).unwrap();

    let response = app
        .post_json(
            "/auth/reset-password",
            &json!({"token": token, "password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().get("set-cookie").is_none(),
        "a reset does not sign in"
    );
    let body: Value = response.json().await.unwrap();
    assert!(body.get("session_token").is_none());

    assert_eq!(
        app.validate(&old_session).await.status(),
        401,
        "every session ended"
    );
    assert_eq!(app.login("reset@example.com", PASSWORD).await.status(), 401);
    assert_eq!(
        app.login("reset@example.com", NEW_PASSWORD).await.status(),
        200
    );
    let notice = mail.wait_for("reset@example.com", 3).await;
    assert_eq!(notice.subject, "Your Docent password was changed");

    // Single use.
    let response = app
        .post_json(
            "/auth/reset-password",
            &json!({"token": token, "password": "Another-Fresh-Passphrase-11"}),
        )
        .await;
    assert_error(response, 400, "invalid_token").await;
}

#[tokio::test]
async fn reset_requests_answer_the_same_for_unknown_emails_and_send_nothing() {
    let mail = MailServer::start();
    let app = app_with_mail(&mail).await;
    confirmed(&app, &mail, "known@example.com").await;
    let known = app
        .post_json(
            "/auth/reset-request",
            &json!({"email": "known@example.com"}),
        )
        .await;
    let unknown = app
        .post_json(
            "/auth/reset-request",
            &json!({"email": "nobody@example.com"}),
        )
        .await;
    assert_eq!(
        (known.status().as_u16(), unknown.status().as_u16()),
        (202, 202)
    );
    let known: Value = known.json().await.unwrap();
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(
        known["message"].as_str().unwrap().replace("known@", "X@"),
        unknown["message"]
            .as_str()
            .unwrap()
            .replace("nobody@", "X@")
    );
    mail.wait_for("known@example.com", 2).await;
    app.docent.deliver_outbox().await.unwrap();
    assert!(mail.received_by("nobody@example.com").is_empty());
    assert_eq!(
        outbox_statuses(&app).await,
        ["sent", "sent"],
        "the confirmation and the reset"
    );
}

#[tokio::test]
async fn reset_links_expire_after_an_hour_and_a_new_request_voids_the_old_one() {
    let mail = MailServer::start();
    let app = app_with_mail(&mail).await;
    confirmed(&app, &mail, "expiry@example.com").await;
    let prefix = format!("{}/reset-password?token=", app.address);

    app.post_json(
        "/auth/reset-request",
        &json!({"email": "expiry@example.com"}),
    )
    .await;
    let first = mail.wait_for("expiry@example.com", 2).await.token(&prefix);
    app.advance(Duration::from_secs(61));
    app.post_json(
        "/auth/reset-request",
        &json!({"email": "expiry@example.com"}),
    )
    .await;
    let second = mail.wait_for("expiry@example.com", 3).await.token(&prefix);
    assert_ne!(first, second);

    let response = app
        .post_json(
            "/auth/reset-password",
            &json!({"token": first, "password": NEW_PASSWORD}),
        )
        .await;
    assert_error(response, 400, "invalid_token").await;

    app.advance(Duration::from_secs(3600));
    let response = app
        .post_json(
            "/auth/reset-password",
            &json!({"token": second, "password": NEW_PASSWORD}),
        )
        .await;
    assert_error(response, 400, "invalid_token").await;
    assert_eq!(
        app.login("expiry@example.com", PASSWORD).await.status(),
        200,
        "unchanged"
    );
}

#[tokio::test]
async fn ten_concurrent_redemptions_of_one_reset_link_give_exactly_one_success() {
    let mail = MailServer::start();
    let app = app_with_mail(&mail).await;
    confirmed(&app, &mail, "race@example.com").await;
    app.post_json("/auth/reset-request", &json!({"email": "race@example.com"}))
        .await;
    let token = mail
        .wait_for("race@example.com", 2)
        .await
        .token(&format!("{}/reset-password?token=", app.address));
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..10 {
        let request = reqwest::Client::new()
            .post(app.url("/auth/reset-password"))
            .json(&json!({"token": token, "password": format!("{NEW_PASSWORD}-{i}")}));
        requests.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    let statuses = requests.join_all().await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        9,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn sign_in_by_link_creates_the_account_and_a_get_never_consumes_it() {
    let mail = MailServer::start();
    let app = app_with_mail(&mail).await;
    let response = app
        .post_json(
            "/auth/request-login",
            &json!({"email": "New.Person@Example.com"}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let email = mail.wait_for("new.person@example.com", 1).await;
    assert!(
        email.text.contains("expire in 15 minutes"),
        "{}",
        email.text
    );
    let link = email.link(&format!("{}/login/verify?token=", app.address));
    let token = link.split("token=").nth(1).unwrap().to_owned();

    // A mail scanner opening the link gets the page, and the link still works afterwards.
    let page = app.client.get(&link).send().await.unwrap();
    assert_ne!(page.status().as_u16(), 405);
    let response = app
        .post_json("/auth/verify-login", &json!({"token": token}))
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("session_id="));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["domain"], "example.com");
    let session = body["session_token"].as_str().unwrap();
    let me: Value = app.validate(session).await.json().await.unwrap();
    assert_eq!(me["email"], "new.person@example.com");
    assert_eq!(me["user_id"], body["user_id"]);

    let again = app
        .post_json("/auth/verify-login", &json!({"token": token}))
        .await;
    assert_error(again, 400, "invalid_token").await;
    // The account has no password until one is set by reset.
    assert_eq!(
        app.login("new.person@example.com", PASSWORD).await.status(),
        401
    );
}

#[tokio::test]
async fn sign_in_by_code_signs_into_the_existing_account() {
    let mail = MailServer::start();
    let app = app_with_mail(&mail).await;
    let registered: Value = app
        .register("coder@example.com", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    app.post_json(
        "/auth/request-login",
        &json!({"email": "coder@example.com"}),
    )
    .await;
    // Its first email confirms the registration; the second is the sign-in.
    let code = mail.wait_for("coder@example.com", 2).await.code();
    assert_eq!(code.len(), 9, "{code}");
    let response = app
        .post_json(
            "/auth/verify-login",
            &json!({"email": "CODER@example.com", "code": code.to_lowercase()}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user_id"], registered["user_id"]);
    let again = app
        .post_json(
            "/auth/verify-login",
            &json!({"email": "coder@example.com", "code": code}),
        )
        .await;
    assert_error(again, 400, "invalid_code").await;
}

#[tokio::test]
async fn five_wrong_codes_void_the_code_but_not_the_link() {
    let mail = MailServer::start();
    let app = app_with_mail(&mail).await;
    app.post_json(
        "/auth/request-login",
        &json!({"email": "guess@example.com"}),
    )
    .await;
    let email = mail.wait_for("guess@example.com", 1).await;
    let code = email.code();
    let wrong = if code.starts_with('A') {
        "BBBB-BBBB"
    } else {
        "AAAA-AAAA"
    };
    for _ in 0..5 {
        let response = app
            .post_json(
                "/auth/verify-login",
                &json!({"email": "guess@example.com", "code": wrong}),
            )
            .await;
        assert_error(response, 400, "invalid_code").await;
    }
    let response = app
        .post_json(
            "/auth/verify-login",
            &json!({"email": "guess@example.com", "code": code}),
        )
        .await;
    assert_error(response, 400, "invalid_code").await;
    let token = email.token(&format!("{}/login/verify?token=", app.address));
    let response = app
        .post_json("/auth/verify-login", &json!({"token": token}))
        .await;
    assert_eq!(response.status(), 200, "wrong codes never void the link");
}

#[tokio::test]
async fn sign_in_links_and_codes_expire_after_15_minutes() {
    let mail = MailServer::start();
    let app = app_with_mail(&mail).await;
    app.post_json("/auth/request-login", &json!({"email": "late@example.com"}))
        .await;
    let email = mail.wait_for("late@example.com", 1).await;
    let token = email.token(&format!("{}/login/verify?token=", app.address));
    app.advance(Duration::from_secs(15 * 60 + 1));
    let response = app
        .post_json("/auth/verify-login", &json!({"token": token}))
        .await;
    assert_error(response, 400, "invalid_token").await;
    let response = app
        .post_json(
            "/auth/verify-login",
            &json!({"email": "late@example.com", "code": email.code()}),
        )
        .await;
    assert_error(response, 400, "invalid_code").await;
    let report = app.docent.cleanup_expired().await.unwrap();
    assert_eq!(
        report.email_tokens, 1,
        "expired tokens are removed by the cleanup"
    );
}

#[tokio::test]
async fn blocked_and_unlisted_domains_are_refused_for_sign_in_and_registration() {
    let mail = MailServer::start();
    let app = spawn_app_with(|s| {
        use_mail(s, &mail);
        s.email_domains.allowed = "Example.com.".parse().unwrap();
        s.email_domains.blocked = "guests.example.com".parse().unwrap();
    })
    .await;
    for email in ["a@guests.example.com", "a@other.org", "a@EXAMPLE.org"] {
        let response = app
            .post_json("/auth/request-login", &json!({"email": email}))
            .await;
        assert_error(response, 403, "domain_not_allowed").await;
        assert_error(
            app.register(email, PASSWORD).await,
            403,
            "domain_not_allowed",
        )
        .await;
    }
    assert_eq!(
        app.register("a@staff.example.com", PASSWORD).await.status(),
        201,
        "subdomain"
    );
    let response = app
        .post_json("/auth/request-login", &json!({"email": "b@example.com"}))
        .await;
    assert_eq!(response.status(), 202);
    app.docent.deliver_outbox().await.unwrap();
    assert!(mail.received_by("guests.example.com").is_empty());
}

#[tokio::test]
async fn the_rate_limit_is_silent_one_a_minute_five_an_hour() {
    let mail = MailServer::start();
    let app = app_with_mail(&mail).await;
    let body = json!({"email": "busy@example.com"});
    let request = || app.post_json("/auth/request-login", &body);
    let first: Value = request().await.json().await.unwrap();
    mail.wait_for("busy@example.com", 1).await;
    let second = request().await;
    assert_eq!(second.status(), 202);
    assert_eq!(
        second.json::<Value>().await.unwrap(),
        first,
        "the same answer"
    );
    app.docent.deliver_outbox().await.unwrap();
    assert_eq!(
        mail.received_by("busy@example.com").len(),
        1,
        "nothing more was sent"
    );

    for sent in 2..=5 {
        app.advance(Duration::from_secs(61));
        assert_eq!(request().await.status(), 202);
        mail.wait_for("busy@example.com", sent).await;
    }
    app.advance(Duration::from_secs(61));
    assert_eq!(request().await.status(), 202);
    app.docent.deliver_outbox().await.unwrap();
    assert_eq!(
        mail.received_by("busy@example.com").len(),
        5,
        "five an hour"
    );
    assert_eq!(outbox_statuses(&app).await.len(), 5);
}

#[tokio::test]
async fn the_outbox_keeps_email_while_smtp_is_down_and_across_a_restart() {
    let mut mail = MailServer::start();
    let app = app_with_mail(&mail).await;
    confirmed(&app, &mail, "patient@example.com").await;
    mail.stop();

    let response = app
        .post_json(
            "/auth/reset-request",
            &json!({"email": "patient@example.com"}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let report = app.docent.deliver_outbox().await.unwrap();
    let statuses = outbox_statuses(&app).await;
    assert_eq!(statuses, ["sent", "pending"], "{report:?}");

    // Docent restarts while the SMTP server is still down; then the server comes back.
    let data_dir = app.stop().await;
    mail.restart();
    let app = spawn_app_in(data_dir, |s| use_mail(s, &mail)).await;
    app.advance(Duration::from_secs(30));
    app.docent.deliver_outbox().await.unwrap();
    let email = mail.wait_for("patient@example.com", 2).await;
    assert_eq!(email.subject, "Reset your Docent password");
    assert_eq!(outbox_statuses(&app).await, ["sent", "sent"]);

    // The link still works, and neither it nor any token is left in the database files.
    let token = email.token("/reset-password?token=");
    let stored: Vec<u8> = std::fs::read_dir(app.data_dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|path| path.is_file())
        .flat_map(|path| std::fs::read(path).unwrap())
        .collect();
    assert!(
        !String::from_utf8_lossy(&stored).contains(&token),
        "the sent link is not kept"
    );
}

#[tokio::test]
async fn without_mail_the_email_features_say_what_to_set() {
    let app = spawn_app().await;
    for path in ["/auth/reset-request", "/auth/request-login"] {
        let response = app
            .post_json(path, &json!({"email": "a@example.com"}))
            .await;
        let message = assert_error(response, 503, "email_not_configured").await;
        assert!(message.contains("DOCENT_SMTP_URL"), "{message}");
    }
}

#[tokio::test]
async fn links_are_built_from_the_public_url_not_the_request() {
    let mail = MailServer::start();
    let app = spawn_app_with(|s| {
        use_mail(s, &mail);
        s.public_url = Some("https://docent.example.com".to_owned());
    })
    .await;
    let response = app
        .client
        .post(app.url("/auth/request-login"))
        .header("Host", format!("localhost:{}", app.port))
        .header("Origin", format!("http://localhost:{}", app.port))
        .json(&json!({"email": "pub@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let email = mail.wait_for("pub@example.com", 1).await;
    assert!(email
        .link("/login/verify?token=")
        .starts_with("https://docent.example.com/login/verify?token="));
    assert!(!email.text.contains("localhost"), "{}", email.text);
}

#[tokio::test]
async fn an_email_whose_link_ended_while_smtp_was_down_is_dropped_not_sent() {
    let mut mail = MailServer::start();
    let app = app_with_mail(&mail).await;
    mail.stop();
    app.post_json("/auth/request-login", &json!({"email": "gone@example.com"}))
        .await;
    app.docent.deliver_outbox().await.unwrap();
    mail.restart();
    app.advance(Duration::from_secs(16 * 60));
    let report = app.docent.deliver_outbox().await.unwrap();
    assert_eq!(report.void, 1, "{report:?}");
    assert_eq!(outbox_statuses(&app).await, ["void"]);
    assert!(mail.received_by("gone@example.com").is_empty());
}

#[tokio::test]
async fn an_email_that_cannot_be_sent_for_a_day_is_given_up_and_marked_failed() {
    let mut mail = MailServer::start();
    let app = app_with_mail(&mail).await;
    confirmed(&app, &mail, "unlucky@example.com").await;
    app.post_json(
        "/auth/reset-request",
        &json!({"email": "unlucky@example.com"}),
    )
    .await;
    let token = mail
        .wait_for("unlucky@example.com", 2)
        .await
        .token("/reset-password?token=");
    mail.stop();
    // The password-changed notice has no link that could expire: it is retried for a day.
    let response = app
        .post_json(
            "/auth/reset-password",
            &json!({"token": token, "password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let mut retries = 0;
    for _ in 0..200 {
        let report = app.docent.deliver_outbox().await.unwrap();
        retries += report.retrying;
        if report.failed == 1 {
            break;
        }
        app.advance(Duration::from_secs(30 * 60));
    }
    assert_eq!(outbox_statuses(&app).await, ["sent", "sent", "failed"]);
    assert!(
        (40..=60).contains(&retries),
        "retried about every half hour for a day: {retries}"
    );
}

#[tokio::test]
async fn blocking_a_domain_ends_its_accounts_sign_ins_password_and_reset_too() {
    let mail = MailServer::start();
    let app = app_with_mail(&mail).await;
    let token = confirmed(&app, &mail, "kim@partner.example").await;
    let reset_request = json!({"email": "kim@partner.example"});
    let response = app.post_json("/auth/reset-request", &reset_request).await;
    assert_eq!(response.status(), 202);
    let reset = mail.wait_for("kim@partner.example", 2).await;
    let reset_token = reset.token(&format!("{}/reset-password?token=", app.address));

    // The operator blocks the domain and restarts the server on the same data.
    let data_dir = app.stop().await;
    let app = spawn_app_in(data_dir, |s| {
        use_mail(s, &mail);
        s.email_domains.blocked = "partner.example".parse().unwrap();
    })
    .await;
    assert_error(app.validate(&token).await, 401, "unauthenticated").await;
    // The right password, a wrong one, an address with no account: the same refusal, which
    // says why.
    for (email, password) in [
        ("kim@partner.example", PASSWORD),
        ("kim@partner.example", "not the password at all"),
        ("nobody@partner.example", PASSWORD),
    ] {
        let response = app.login(email, password).await;
        let message = assert_error(response, 403, "domain_not_allowed").await;
        assert!(message.contains("partner.example"), "{message}");
    }
    let response = app.post_json("/auth/reset-request", &reset_request).await;
    assert_error(response, 403, "domain_not_allowed").await;
    let response = app
        .post_json(
            "/auth/reset-password",
            &json!({"token": reset_token, "password": "Another-Long-Passphrase-93"}),
        )
        .await;
    assert_error(response, 403, "domain_not_allowed").await;

    // Unblocked again, the account and its session are as they were.
    let data_dir = app.stop().await;
    let app = spawn_app_in(data_dir, |s| use_mail(s, &mail)).await;
    assert_eq!(app.validate(&token).await.status(), 200);
    assert_eq!(
        app.login("kim@partner.example", PASSWORD).await.status(),
        200
    );
}

#[tokio::test]
async fn a_confirmation_is_sent_again_on_request_and_asks_for_the_password() {
    let mail = MailServer::start();
    let app = app_with_mail(&mail).await;
    let registered = app.register("again@example.com", PASSWORD).await;
    assert_eq!(registered.status(), 201);
    let first = mail.wait_for("again@example.com", 1).await;
    assert!(
        first.text.contains("asked for that password"),
        "{}",
        first.text
    );
    let prefix = format!("{}/verify-email?token=", app.address);
    let again = json!({"email": "again@example.com"});
    // At most one a minute: the same answer, nothing sent.
    let response = app.post_json("/auth/request-verification", &again).await;
    assert_eq!(response.status(), 202);
    app.docent.deliver_outbox().await.unwrap();
    assert_eq!(mail.received_by("again@example.com").len(), 1);
    app.advance(Duration::from_secs(61));
    let answer: Value = app
        .post_json("/auth/request-verification", &again)
        .await
        .json()
        .await
        .unwrap();
    let unknown: Value = app
        .post_json(
            "/auth/request-verification",
            &json!({"email": "nobody@example.com"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["message"].as_str().unwrap().replace("again@", "X@"),
        unknown["message"]
            .as_str()
            .unwrap()
            .replace("nobody@", "X@"),
        "the same answer for an address with no account"
    );
    let second = mail.wait_for("again@example.com", 2).await;

    // The newer email voids the older; the link needs the account's password.
    let response = app
        .post_json(
            "/auth/verify-email",
            &json!({"token": first.token(&prefix), "password": PASSWORD}),
        )
        .await;
    assert_error(response, 400, "invalid_token").await;
    let response = app
        .post_json(
            "/auth/verify-email",
            &json!({"token": second.token(&prefix), "password": "Somebody-Elses-Guess-77"}),
        )
        .await;
    assert_error(response, 401, "invalid_credentials").await;
    let response = app
        .post_json(
            "/auth/verify-email",
            &json!({"token": second.token(&prefix), "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let session: Value = response.json().await.unwrap();
    assert_eq!(session["email_verified"], true);
    assert_eq!(app.login("again@example.com", PASSWORD).await.status(), 200);

    // Confirmed, nothing more is sent.
    app.advance(Duration::from_secs(61));
    let response = app.post_json("/auth/request-verification", &again).await;
    assert_eq!(response.status(), 202);
    app.docent.deliver_outbox().await.unwrap();
    assert_eq!(mail.received_by("again@example.com").len(), 2);
}
