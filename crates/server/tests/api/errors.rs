use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, PASSWORD};

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_error(response, 400, "malformed_json").await;
}

#[tokio::test]
async fn wrong_shape_is_422_and_names_the_field() {
    let app = spawn_app().await;
    let response = app
        .post_json("/auth/register", &json!({ "email": "a@example.com" }))
        .await;
    let message = assert_error(response, 422, "invalid_body").await;
    assert!(message.contains("password"), "{message}");
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_422() {
    let app = spawn_app().await;
    let token = app.signed_up("shape@example.com").await;
    let workspaces: Value = app
        .client
        .get(app.url("/workspaces"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = format!(
        "/workspaces/{}/conversations",
        workspaces[0]["id"].as_str().unwrap()
    );
    // serde alone would read the struct from the array, by position.
    for body in [json!([null, null]), json!("title"), json!(null)] {
        let response = app
            .client
            .post(app.url(&path))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let message = assert_error(response, 422, "invalid_body").await;
        assert!(message.contains("object"), "{message}");
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/auth/login"))
        .body("email=a@example.com")
        .send()
        .await
        .unwrap();
    assert_error(response, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = spawn_app().await;
    let huge = json!({ "email": "big@example.com", "password": "x".repeat(2 * 1024 * 1024) });
    let response = app.post_json("/auth/register", &huge).await;
    assert_error(response, 413, "payload_too_large").await;
    // The server is fine afterwards.
    assert_eq!(
        app.register("big@example.com", PASSWORD).await.status(),
        201
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_json() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/auth/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_error(response, 404, "not_found").await;
    let response = app
        .client
        .post(app.url("/no/such/thing"))
        .header("Origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_error(response, 404, "not_found").await;
    let response = app.client.get(app.url("/auth/login")).send().await.unwrap();
    assert_error(response, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn health_answers_once_ready() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn openapi_documents_every_route() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for (path, method) in [
        ("/health", "get"),
        ("/auth/register", "post"),
        ("/auth/login", "post"),
        ("/auth/logout", "post"),
        ("/auth/logout-all", "post"),
        ("/auth/validate", "get"),
        ("/auth/reset-request", "post"),
        ("/auth/reset-password", "post"),
        ("/auth/request-login", "post"),
        ("/auth/verify-login", "post"),
        ("/workspaces", "get"),
        ("/workspaces", "post"),
        ("/workspaces/{id}", "patch"),
        ("/workspaces/{id}/conversations", "post"),
        ("/conversations/{id}", "delete"),
        ("/conversations/{id}/export", "get"),
        ("/chat/message", "post"),
        ("/chat/stop", "post"),
        ("/chat/history", "get"),
        ("/chat/clear", "delete"),
        ("/history", "get"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
    let schemas = &doc["components"]["schemas"];
    for schema in [
        "Credentials",
        "RegisteredUser",
        "LoginResponse",
        "CurrentUser",
        "ErrorResponse",
    ] {
        assert!(schemas[schema].is_object(), "schema {schema} missing");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

/// The OpenAPI document the UI's types are generated from (`ui/src/lib/api/openapi.json`, then
/// `npm run gen:api` in ui/) is this server's. When it is stale, this fails and says how to
/// write it again: `DOCENT_WRITE_OPENAPI=1 cargo test -p docent-server --test api openapi`.
#[test]
fn the_committed_openapi_document_is_the_servers() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/api/openapi.json");
    let current = serde_json::to_string_pretty(&docent_server::openapi()).unwrap() + "\n";
    if std::env::var_os("DOCENT_WRITE_OPENAPI").is_some() {
        std::fs::write(&path, &current).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "{} is not the server's document: write it again with \
         `DOCENT_WRITE_OPENAPI=1 cargo test -p docent-server --test api openapi`, \
         then `npm run gen:api` in ui/",
        path.display()
    );
}
