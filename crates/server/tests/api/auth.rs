use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, spawn_app_in, spawn_app_with, PASSWORD};

#[tokio::test]
async fn register_then_login_then_validate() {
    let app = spawn_app().await;
    let response = app.register("  Ada.Lovelace@Example.COM ", PASSWORD).await;
    assert_eq!(response.status(), 201);
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["email"], "ada.lovelace@example.com");
    let user_id = user["user_id"].as_str().unwrap().to_owned();

    let response = app.login("ada.lovelace@example.com", PASSWORD).await;
    assert_eq!(response.status(), 200);
    let session: Value = response.json().await.unwrap();
    assert_eq!(session["user_id"], user_id.as_str());
    let token = session["session_token"].as_str().unwrap();
    assert_eq!(token.len(), 43, "256 bits of base64url");
    let expires_at = time::OffsetDateTime::parse(
        session["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let lifetime = expires_at - app.clock_now();
    assert_eq!(lifetime.whole_days(), 7);

    let response = app.validate(token).await;
    assert_eq!(response.status(), 200);
    let me: Value = response.json().await.unwrap();
    assert_eq!(
        me,
        json!({ "user_id": user_id, "email": "ada.lovelace@example.com", "domain": "example.com",
                "email_verified": false })
    );
}

trait ClockNow {
    fn clock_now(&self) -> time::OffsetDateTime;
}

impl ClockNow for crate::helpers::TestApp {
    fn clock_now(&self) -> time::OffsetDateTime {
        use docent_core::Clock as _;
        self.clock.now()
    }
}

#[tokio::test]
async fn taken_email_is_409_whatever_its_case() {
    let app = spawn_app().await;
    assert_eq!(
        app.register("grace@example.com", PASSWORD).await.status(),
        201
    );
    let response = app
        .register("GRACE@example.com", "another-Passphrase-entirely-9")
        .await;
    assert_error(response, 409, "email_taken").await;
}

#[tokio::test]
async fn eight_concurrent_registrations_of_one_email_give_exactly_one_201() {
    let app = spawn_app().await;
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let request = reqwest::Client::new()
            .post(app.url("/auth/register"))
            .json(&json!({ "email": "race@example.com", "password": PASSWORD }));
        requests.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    let statuses = requests.join_all().await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn weak_passwords_are_refused_with_the_rule_that_failed() {
    let app = spawn_app().await;
    for (password, code) in [
        ("short-one", "password_too_short"),
        ("aaaaaaaaaaaaaaaaaaaaaaaa", "password_too_guessable"),
        ("hello-it-is-margaret-here", "password_contains_email"),
    ] {
        let response = app.register("margaret@example.com", password).await;
        assert_error(response, 422, code).await;
    }
    let response = app
        .register("margaret@example.com", &"x".repeat(1025))
        .await;
    assert_error(response, 422, "password_too_long").await;
    let response = app.register("not-an-email", PASSWORD).await;
    assert_error(response, 422, "invalid_email").await;
}

#[tokio::test]
async fn the_minimum_length_is_a_setting() {
    let app = spawn_app_with(|s| s.password_min_length = 30).await;
    let message = assert_error(
        app.register("len@example.com", PASSWORD).await,
        422,
        "password_too_short",
    )
    .await;
    assert!(message.contains("at least 30"), "{message}");
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    app.register("known@example.com", PASSWORD).await;
    let unknown = app.login("nobody@example.com", PASSWORD).await;
    let wrong = app
        .login("known@example.com", "Wrong-Password-Entirely-1")
        .await;
    assert_eq!(unknown.status(), 401);
    assert_eq!(wrong.status(), 401);
    let unknown: Value = unknown.json().await.unwrap();
    let wrong: Value = wrong.json().await.unwrap();
    assert_eq!(unknown, wrong);
    assert_eq!(unknown["error"]["code"], "invalid_credentials");
}

#[tokio::test]
async fn five_failures_lock_the_email_for_fifteen_minutes_even_for_the_right_password() {
    let app = spawn_app().await;
    app.register("locked@example.com", PASSWORD).await;
    for _ in 0..5 {
        let response = app
            .login("locked@example.com", "Wrong-Password-Entirely-1")
            .await;
        assert_eq!(response.status(), 401);
    }
    let response = app.login("locked@example.com", PASSWORD).await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((899..=900).contains(&retry_after), "{retry_after}");
    assert_error(response, 429, "too_many_attempts").await;

    // Other emails are not affected.
    assert_eq!(
        app.register("free@example.com", PASSWORD).await.status(),
        201
    );
    assert_eq!(app.login("free@example.com", PASSWORD).await.status(), 200);

    app.advance(Duration::from_secs(10 * 60));
    let response = app.login("locked@example.com", PASSWORD).await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((299..=300).contains(&retry_after), "{retry_after}");

    app.advance(Duration::from_secs(5 * 60 + 1));
    assert_eq!(
        app.login("locked@example.com", PASSWORD).await.status(),
        200
    );
}

/// A right password does not buy more guesses: at most five wrong ones are checked in the
/// window, successes in between or not (it was reset by a success before issue 11).
#[tokio::test]
async fn a_success_buys_no_more_guesses_within_the_window() {
    let app = spawn_app().await;
    app.register("reset@example.com", PASSWORD).await;
    for _ in 0..4 {
        let response = app
            .login("reset@example.com", "Wrong-Password-Entirely-1")
            .await;
        assert_eq!(response.status(), 401);
    }
    assert_eq!(app.login("reset@example.com", PASSWORD).await.status(), 200);
    let fifth = app
        .login("reset@example.com", "Wrong-Password-Entirely-1")
        .await;
    assert_eq!(fifth.status(), 401);
    assert_error(
        app.login("reset@example.com", PASSWORD).await,
        429,
        "too_many_attempts",
    )
    .await;
    app.advance(Duration::from_secs(15 * 60 + 1));
    assert_eq!(app.login("reset@example.com", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn unknown_emails_are_throttled_too() {
    let app = spawn_app().await;
    for _ in 0..5 {
        app.login("ghost@example.com", PASSWORD).await;
    }
    assert_error(
        app.login("ghost@example.com", PASSWORD).await,
        429,
        "too_many_attempts",
    )
    .await;
}

#[tokio::test]
async fn sessions_end_after_seven_days_even_when_used() {
    let app = spawn_app().await;
    let token = app.signed_up("week@example.com").await;
    for _ in 0..6 {
        app.advance(Duration::from_secs(23 * 3600));
        assert_eq!(app.validate(&token).await.status(), 200);
    }
    // 6 x 23 h = 138 h; the absolute lifetime is 168 h.
    app.advance(Duration::from_secs(23 * 3600));
    assert_eq!(app.validate(&token).await.status(), 200);
    app.advance(Duration::from_secs(7 * 3600));
    assert_error(app.validate(&token).await, 401, "session_expired").await;
    assert_error(app.validate(&token).await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn idle_sessions_end_after_24_hours() {
    let app = spawn_app().await;
    let token = app.signed_up("idle@example.com").await;
    app.advance(Duration::from_secs(24 * 3600 - 1));
    assert_eq!(
        app.validate(&token).await.status(),
        200,
        "used just in time"
    );
    app.advance(Duration::from_secs(24 * 3600 - 1));
    assert_eq!(
        app.validate(&token).await.status(),
        200,
        "the idle timer restarted"
    );
    app.advance(Duration::from_secs(24 * 3600));
    assert_error(app.validate(&token).await, 401, "session_expired").await;
}

#[tokio::test]
async fn lifetimes_are_settings() {
    let app = spawn_app_with(|s| {
        s.session_ttl = Duration::from_secs(3600);
        s.session_idle_timeout = Duration::from_secs(600);
    })
    .await;
    let token = app.signed_up("short@example.com").await;
    app.advance(Duration::from_secs(601));
    assert_eq!(app.validate(&token).await.status(), 401);
    let token = app.session_token("short@example.com", PASSWORD).await;
    for _ in 0..6 {
        app.advance(Duration::from_secs(500));
        assert_eq!(app.validate(&token).await.status(), 200);
    }
    app.advance(Duration::from_secs(601));
    assert_eq!(
        app.validate(&token).await.status(),
        401,
        "past the one-hour lifetime"
    );
}

#[tokio::test]
async fn logout_ends_that_session_only() {
    let app = spawn_app().await;
    let first = app.signed_up("two@example.com").await;
    let second = app.session_token("two@example.com", PASSWORD).await;
    assert_eq!(app.post_bearer("/auth/logout", &first).await.status(), 204);
    assert_eq!(app.validate(&first).await.status(), 401);
    assert_eq!(app.validate(&second).await.status(), 200);
    assert_error(
        app.post_bearer("/auth/logout", &first).await,
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn logout_all_ends_every_session_of_the_user_only() {
    let app = spawn_app().await;
    let first = app.signed_up("all@example.com").await;
    let second = app.session_token("all@example.com", PASSWORD).await;
    let other = app.signed_up("other@example.com").await;
    assert_eq!(
        app.post_bearer("/auth/logout-all", &second).await.status(),
        204
    );
    assert_eq!(app.validate(&first).await.status(), 401);
    assert_eq!(app.validate(&second).await.status(), 401);
    assert_eq!(app.validate(&other).await.status(), 200);
}

#[tokio::test]
async fn sessions_survive_a_restart() {
    let app = spawn_app().await;
    let token = app.signed_up("restart@example.com").await;
    let data_dir = app.stop().await;
    let app = spawn_app_in(data_dir, |_| {}).await;
    assert_eq!(app.validate(&token).await.status(), 200);
    assert_eq!(
        app.login("restart@example.com", PASSWORD).await.status(),
        200
    );
}

#[tokio::test]
async fn cleanup_deletes_expired_sessions() {
    let app = spawn_app().await;
    let _old = app.signed_up("clean@example.com").await;
    app.advance(Duration::from_secs(20 * 3600));
    let fresh = app.session_token("clean@example.com", PASSWORD).await;
    app.advance(Duration::from_secs(5 * 3600));
    let report = app.docent.cleanup_expired().await.unwrap();
    assert_eq!(report.sessions, 1, "only the idle one");
    assert_eq!(app.validate(&fresh).await.status(), 200);
}

#[tokio::test]
async fn bearer_and_cookie_both_authenticate_and_garbage_does_not() {
    let app = spawn_app().await;
    app.signed_up("cookie@example.com").await; // the client's cookie store now holds the session
    let response = app.validate_with_cookie().await;
    assert_eq!(response.status(), 200);
    for bad in ["", "not-a-token", &"A".repeat(43)] {
        let response = reqwest::Client::new()
            .get(app.url("/auth/validate"))
            .bearer_auth(bad)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{bad:?}");
    }
    let response = reqwest::Client::new()
        .get(app.url("/auth/validate"))
        .send()
        .await
        .unwrap();
    assert_error(response, 401, "unauthenticated").await;
}

#[tokio::test]
async fn the_login_cookie_is_httponly_lax_and_not_secure_on_loopback_http() {
    let app = spawn_app().await;
    app.register("flags@example.com", PASSWORD).await;
    let response = app.login("flags@example.com", PASSWORD).await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("session_id="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");

    let app = spawn_app_with(|s| s.public_url = Some("https://docent.example.com".into())).await;
    app.register("flags@example.com", PASSWORD).await;
    let response = app.login("flags@example.com", PASSWORD).await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("Secure"),
        "behind an https public URL: {cookie}"
    );
}

#[tokio::test]
async fn logout_clears_the_cookie() {
    let app = spawn_app().await;
    app.signed_up("bye@example.com").await;
    let response = app
        .client
        .post(app.url("/auth/logout"))
        .header("Origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("session_id=;") && cookie.contains("Max-Age=0"),
        "{cookie}"
    );
    let response = app.validate_with_cookie().await;
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_password_works_in_any_unicode_normalisation() {
    let app = spawn_app().await;
    let composed = "Caf\u{e9}-Orbit-Quietly-Tangerine";
    let decomposed = "Cafe\u{301}-Orbit-Quietly-Tangerine";
    assert_eq!(
        app.register("nfkc@example.com", composed).await.status(),
        201
    );
    assert_eq!(
        app.login("nfkc@example.com", decomposed).await.status(),
        200
    );
    let body = json!({"email": "nfkc@example.com", "password": composed});
    assert_eq!(app.post_json("/auth/login", &body).await.status(), 200);
}
