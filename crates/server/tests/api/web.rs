//! What browsers may do: DNS rebinding (Host), CSRF (Origin), the web UI.

use serde_json::json;

use crate::helpers::{assert_error, spawn_app, spawn_app_serving, spawn_app_with, PASSWORD};

#[tokio::test]
async fn requests_for_another_host_are_refused_on_loopback() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/health"))
        .header("Host", format!("attacker.example:{}", app.port))
        .send()
        .await
        .unwrap();
    assert_error(response, 403, "host_not_allowed").await;
    let response = app
        .client
        .get(app.url("/health"))
        .header("Host", format!("localhost:{}", app.port))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn the_public_url_host_is_accepted_too() {
    let app = spawn_app_with(|s| s.public_url = Some("https://docent.example.com".into())).await;
    let response = app
        .client
        .get(app.url("/health"))
        .header("Host", "docent.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn cookie_requests_that_change_state_need_a_matching_origin() {
    let app = spawn_app().await;
    app.signed_up("csrf@example.com").await;

    // No Origin at all: refused, and the session is untouched.
    let response = app
        .client
        .post(app.url("/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_error(response, 403, "origin_required").await;
    // A foreign Origin: refused.
    let response = app
        .client
        .post(app.url("/auth/logout-all"))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_error(response, 403, "origin_not_allowed").await;
    let response = app.validate_with_cookie().await;
    assert_eq!(response.status(), 200, "still signed in");

    // Its own Origin: accepted.
    let response = app
        .client
        .post(app.url("/auth/logout"))
        .header("Origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn bearer_requests_need_no_origin() {
    let app = spawn_app().await;
    let token = app.signed_up("api@example.com").await;
    assert_eq!(app.post_bearer("/auth/logout", &token).await.status(), 204);
}

#[tokio::test]
async fn a_foreign_origin_cannot_sign_in_or_register() {
    let app = spawn_app().await;
    let response = reqwest::Client::new()
        .post(app.url("/auth/register"))
        .header("Origin", "https://evil.example")
        .json(&json!({ "email": "x@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_error(response, 403, "origin_not_allowed").await;
}

#[tokio::test]
async fn the_web_ui_is_served_with_index_html_for_its_routes() {
    let ui = tempfile::tempdir().unwrap();
    std::fs::write(
        ui.path().join("index.html"),
        "<!doctype html><title>Docent UI</title>",
    )
    .unwrap();
    std::fs::create_dir(ui.path().join("assets")).unwrap();
    std::fs::write(ui.path().join("assets/app.js"), "console.log('docent')").unwrap();
    let app = spawn_app_serving(tempfile::tempdir().unwrap(), ui.path(), |_| {}).await;

    let response = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-cache");
    assert!(response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'self'"));
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    assert!(response.text().await.unwrap().contains("Docent UI"));

    let response = app
        .client
        .get(app.url("/reset-password?token=abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.text().await.unwrap().contains("Docent UI"),
        "client-side route"
    );

    let response = app
        .client
        .get(app.url("/assets/app.js"))
        .send()
        .await
        .unwrap();
    assert!(response.text().await.unwrap().contains("docent"));

    let response = app
        .client
        .get(app.url("/auth/unknown"))
        .send()
        .await
        .unwrap();
    assert_error(response, 404, "not_found").await;
}
