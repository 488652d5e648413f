//! `/settings` and `/status`: what the UI shows about the remote services.

use serde_json::Value;

use crate::chat::chat_app;
use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn settings_show_values_but_never_keys_and_cannot_be_changed_over_http() {
    let fx = chat_app().await;
    let response = fx
        .app
        .client
        .get(fx.app.url("/settings"))
        .bearer_auth(&fx.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(!text.contains("test-key"), "a key was shown: {text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["llm_base_url"], fx.llm.base_url.as_str());
    assert_eq!(body["llm_model"], "test/model-a");
    assert_eq!(body["llm_api_key_set"], true);
    assert_eq!(body["retrieval_url"], fx.retrieval.url.as_str());
    assert_eq!(body["editable"], false);

    let refused = fx
        .app
        .client
        .put(fx.app.url("/settings"))
        .bearer_auth(&fx.token)
        .json(&serde_json::json!({"llm_base_url": "http://evil.example/v1"}))
        .send()
        .await
        .unwrap();
    assert_error(refused, 403, "settings_read_only").await;
}

#[tokio::test]
async fn status_tells_a_reachable_llm_from_an_unreachable_retrieval_api() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/search", listener.local_addr().unwrap())
    };
    let fx = crate::chat::chat_app_with(|s| {
        s.chat.retrieval_url =
            Some(docent_core::domain::ServiceUrl::parse("retrieval", &closed).unwrap())
    })
    .await;
    let status: Value = fx
        .app
        .client
        .get(fx.app.url("/status"))
        .bearer_auth(&fx.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["llm"]["reachable"], true, "{status}");
    assert_eq!(status["retrieval"]["configured"], true);
    assert_eq!(status["retrieval"]["reachable"], false);
    assert!(status["retrieval"]["message"]
        .as_str()
        .unwrap()
        .contains("cannot be reached"));
    assert_eq!(status["session_storage"], "cookie");
}

#[tokio::test]
async fn settings_and_status_need_a_session() {
    let app = spawn_app().await;
    for path in ["/settings", "/status"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_error(response, 401, "unauthenticated").await;
    }
}
