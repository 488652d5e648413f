//! The chat rules (`docent_test_support::chat_rules`) over HTTP: each operation is its route,
//! and a refusal's status must go with its kind.

use std::time::Duration;

use docent_core::Settings;
use docent_test_support::chat_rules::{Answer, Face, Refusal, World};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{kind_of_status, spawn_app_with, TestApp};

/// A docent-server on port 0.
pub struct HttpWorld(TestApp);

impl World for HttpWorld {
    type Face = HttpFace;

    async fn start(configure: impl FnOnce(&mut Settings)) -> Self {
        Self(spawn_app_with(configure).await)
    }

    async fn sign_up(&self, email: &str) -> HttpFace {
        HttpFace {
            base: self.0.address.clone(),
            token: self.0.signed_up(email).await,
            client: reqwest::Client::new(),
        }
    }

    fn advance(&self, by: Duration) {
        self.0.advance(by);
    }
}

/// A client holding one bearer token.
pub struct HttpFace {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl HttpFace {
    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        answer(self.send(method, path, body).await).await
    }
}

/// The body of a success (`null` when empty), or the refusal of an error.
async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    if (200..300).contains(&status) {
        return Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        });
    }
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: {text}"));
    let error = &body["error"];
    let refusal = Refusal {
        code: error["code"].as_str().unwrap().to_owned(),
        kind: error["kind"].as_str().unwrap().to_owned(),
        message: error["message"].as_str().unwrap().to_owned(),
    };
    assert_eq!(refusal.kind, kind_of_status(status), "{status}: {text}");
    Err(refusal)
}

/// The query pairs of a JSON object's fields (strings as they are, others as JSON).
fn pairs_of(fields: &Value) -> Vec<(String, String)> {
    fields
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, value)| {
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            (name.clone(), value)
        })
        .collect()
}

fn conversation_query(conversation_id: Option<&str>) -> String {
    conversation_id.map_or_else(String::new, |id| format!("?conversation_id={id}"))
}

impl Face for HttpFace {
    async fn workspace_list(&self) -> Answer {
        self.call(Method::GET, "/workspaces", None).await
    }
    async fn workspace_create(&self, request: Value) -> Answer {
        self.call(Method::POST, "/workspaces", Some(request)).await
    }
    async fn workspace_get(&self, id: &str) -> Answer {
        self.call(Method::GET, &format!("/workspaces/{id}"), None)
            .await
    }
    async fn workspace_update(&self, id: &str, request: Value) -> Answer {
        self.call(Method::PATCH, &format!("/workspaces/{id}"), Some(request))
            .await
    }
    async fn workspace_delete(&self, id: &str) -> Answer {
        self.call(Method::DELETE, &format!("/workspaces/{id}"), None)
            .await
    }
    async fn conversation_list(&self, workspace_id: &str) -> Answer {
        let path = format!("/workspaces/{workspace_id}/conversations");
        self.call(Method::GET, &path, None).await
    }
    async fn conversation_create(&self, workspace_id: &str, request: Value) -> Answer {
        let path = format!("/workspaces/{workspace_id}/conversations");
        self.call(Method::POST, &path, Some(request)).await
    }
    async fn conversation_get(&self, id: &str) -> Answer {
        self.call(Method::GET, &format!("/conversations/{id}"), None)
            .await
    }
    async fn conversation_update(&self, id: &str, request: Value) -> Answer {
        let path = format!("/conversations/{id}");
        self.call(Method::PATCH, &path, Some(request)).await
    }
    async fn conversation_delete(&self, id: &str) -> Answer {
        self.call(Method::DELETE, &format!("/conversations/{id}"), None)
            .await
    }
    /// The file, as the IPC face answers it: its type, the name from Content-Disposition, and
    /// the body.
    async fn conversation_export(&self, id: &str, format: &str) -> Answer {
        let path = format!("/conversations/{id}/export?format={format}");
        let response = self.send(Method::GET, &path, None).await;
        if !response.status().is_success() {
            return answer(response).await;
        }
        let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
        let (content_type, disposition) = (header("content-type"), header("content-disposition"));
        let file_name = disposition
            .split("filename=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no file name in {disposition}"))
            .to_owned();
        Ok(serde_json::json!({
            "content_type": content_type,
            "file_name": file_name,
            "body": response.text().await.unwrap(),
        }))
    }
    async fn chat_send(&self, request: Value) -> Answer {
        self.call(Method::POST, "/chat/message", Some(request))
            .await
    }
    async fn chat_stop(&self, message_id: &str) -> Answer {
        let body = serde_json::json!({ "message_id": message_id });
        self.call(Method::POST, "/chat/stop", Some(body)).await
    }
    async fn chat_history(&self, conversation_id: Option<&str>) -> Answer {
        let path = format!("/chat/history{}", conversation_query(conversation_id));
        self.call(Method::GET, &path, None).await
    }
    async fn chat_clear(&self, conversation_id: Option<&str>) -> Answer {
        let path = format!("/chat/clear{}", conversation_query(conversation_id));
        self.call(Method::DELETE, &path, None).await
    }
    async fn history_search(&self, query: Value) -> Answer {
        let request = self
            .client
            .get(format!("{}/history", self.base))
            .query(&pairs_of(&query))
            .bearer_auth(&self.token);
        answer(request.send().await.unwrap()).await
    }
}

docent_test_support::chat_rules!(HttpWorld);
