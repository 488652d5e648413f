//! Workspaces, conversations and chat over HTTP, with the LLM and retrieval API replaced by
//! local servers that speak their protocols. The rules both faces keep are in
//! `docent_test_support::chat_rules` (run here by `faces.rs`); what is here is HTTP's own: SSE,
//! status codes, query strings, restarts of the server, and the flows through email.

use std::time::Duration;

use docent_core::domain::ServiceUrl;
use docent_core::Settings;
use docent_test_support::remote::{use_remotes, FakeLlm, FakeRetrieval, Reply};
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app_in, spawn_app_with, TestApp};

pub struct ChatFixture {
    pub app: TestApp,
    pub llm: FakeLlm,
    pub retrieval: FakeRetrieval,
    pub token: String,
}

pub async fn chat_app() -> ChatFixture {
    chat_app_with(|_| {}).await
}

pub async fn chat_app_with(configure: impl FnOnce(&mut Settings)) -> ChatFixture {
    let llm = FakeLlm::start().await;
    let retrieval = FakeRetrieval::start().await;
    let app = spawn_app_with(|s| {
        use_remotes(s, &llm, Some(&retrieval));
        configure(s);
    })
    .await;
    let token = app.signed_up("asker@example.com").await;
    ChatFixture {
        app,
        llm,
        retrieval,
        token,
    }
}

impl TestApp {
    pub async fn get_json(&self, path: &str, token: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> reqwest::Response {
        reqwest::Client::new()
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn ask(&self, token: &str, body: &Value) -> reqwest::Response {
        self.send_json(reqwest::Method::POST, "/chat/message", token, body)
            .await
    }

    pub async fn ask_streaming(&self, token: &str, body: &Value) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.url("/chat/message"))
            .bearer_auth(token)
            .header("accept", "text/event-stream")
            .json(body)
            .send()
            .await
            .unwrap()
    }
}

/// The text of a streamed answer: its `delta` events' pieces, joined.
pub fn streamed_text(events: &[(String, Value)]) -> String {
    events
        .iter()
        .filter(|(name, _)| name == "delta")
        .map(|(_, data)| data["text"].as_str().unwrap())
        .collect()
}

/// The events of a finished SSE body, as (name, data).
pub fn sse_events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter_map(|block| {
            let mut name = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event:") {
                    name = Some(n.trim().to_owned());
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push_str(d.trim_start());
                }
            }
            Some((name?, serde_json::from_str(&data).unwrap()))
        })
        .collect()
}

/// A stream cut inside multi-byte characters (as TLS records and proxies may cut it) is
/// decoded whole: "Grüße aus Köln", never "Gr\u{fffd}\u{fffd}ße".
#[tokio::test]
async fn characters_split_between_network_chunks_arrive_whole() {
    let f = chat_app().await;
    let pieces = ["Grüße ", "aus Köln [1]."];
    let body: String = pieces
        .iter()
        .map(|piece| {
            let chunk = json!({"choices": [{"index": 0, "delta": {"content": piece}}]});
            format!("data: {chunk}\n\n")
        })
        .collect();
    // Inside the ü, inside the ß, and inside the ö.
    let inside = |text: &str, c: char| body.find(text).unwrap() + text.find(c).unwrap() + 1;
    let cuts = [
        inside("Grüße", 'ü'),
        inside("Grüße", 'ß'),
        inside("Köln", 'ö'),
    ];
    f.llm.reply(Reply::cut_at(&pieces, &cuts));
    let response = f
        .app
        .ask_streaming(&f.token, &json!({"message": "Wie grüßt man in Köln?"}))
        .await;
    let events = sse_events(&response.text().await.unwrap());
    assert_eq!(streamed_text(&events), "Grüße aus Köln [1].");
    let history: Value = f
        .app
        .get_json("/chat/history", &f.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["messages"][1]["content"], "Grüße aus Köln [1].");
}

#[tokio::test]
async fn streamed_answers_send_deltas_then_citations_then_done() {
    let f = chat_app().await;
    f.llm.reply(Reply::text(&["Kept ", "seven years ", "[1]."]));
    let response = f
        .app
        .ask_streaming(&f.token, &json!({"message": "How long?"}))
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let message_id = response.headers()["x-message-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let events = sse_events(&response.text().await.unwrap());
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["delta", "delta", "delta", "citations", "done"]);
    assert_eq!(streamed_text(&events), "Kept seven years [1].");
    assert_eq!(events[3].1.as_array().unwrap().len(), 1);
    assert_eq!(events[4].1["message_id"], message_id.as_str());
    assert_eq!(events[4].1["status"], "complete");
    let history: Value = f
        .app
        .get_json("/chat/history", &f.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["messages"][1]["content"], "Kept seven years [1].");
    assert_eq!(history["messages"][1]["citations"][0]["chunk_id"], "c1");
}

pub async fn wait_until_settled(app: &TestApp, token: &str) -> Value {
    for _ in 0..200 {
        let history: Value = app
            .get_json("/chat/history", token)
            .await
            .json()
            .await
            .unwrap();
        if history["messages"][1]["status"] != "streaming" {
            return history;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the answer never settled");
}

pub fn slow_stream() -> Reply {
    Reply::Stream {
        pieces: (0..400).map(|i| format!("word{i} ")).collect(),
        pause: Duration::from_millis(20),
    }
}

#[tokio::test]
async fn stop_keeps_the_partial_answer_marked_stopped() {
    let f = chat_app().await;
    f.llm.reply(slow_stream());
    let mut response = f
        .app
        .ask_streaming(&f.token, &json!({"message": "Tell me everything"}))
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
    let stop = f
        .app
        .send_json(
            reqwest::Method::POST,
            "/chat/stop",
            &f.token,
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
    assert_eq!(data["status"], "stopped");
    let history = wait_until_settled(&f.app, &f.token).await;
    let answer = &history["messages"][1];
    assert_eq!(answer["status"], "stopped");
    let content = answer["content"].as_str().unwrap();
    assert!(
        content.starts_with("word0 ") && !content.contains("word399"),
        "{content}"
    );
}

#[tokio::test]
async fn closing_the_stream_stops_the_answer() {
    let f = chat_app().await;
    f.llm.reply(slow_stream());
    let mut response = f
        .app
        .ask_streaming(&f.token, &json!({"message": "Tell me everything"}))
        .await;
    let mut body = String::new();
    while !body.contains("delta") {
        body.push_str(&String::from_utf8_lossy(
            &response.chunk().await.unwrap().unwrap(),
        ));
    }
    drop(response);
    let history = wait_until_settled(&f.app, &f.token).await;
    assert_eq!(history["messages"][1]["status"], "stopped");
    assert!(!history["messages"][1]["content"]
        .as_str()
        .unwrap()
        .contains("word399"));
}

#[tokio::test]
async fn history_survives_a_restart_and_clear_empties_it() {
    let f = chat_app().await;
    f.llm.reply(Reply::text(&["Seven years [1]."]));
    let answer: Value = f
        .app
        .ask(&f.token, &json!({"message": "How long?"}))
        .await
        .json()
        .await
        .unwrap();
    let data_dir = f.app.stop().await;
    let app = spawn_app_in(data_dir, |s| use_remotes(s, &f.llm, Some(&f.retrieval))).await;
    let history: Value = app
        .get_json("/chat/history", &f.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["conversation_id"], answer["conversation_id"]);
    let messages = history["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[0]["content"], "How long?");
    assert_eq!(
        messages[1]["citations"][0]["snippet"],
        "Personnel records are kept for seven years."
    );

    let id = answer["conversation_id"].as_str().unwrap();
    let cleared = app
        .send_json(
            reqwest::Method::DELETE,
            &format!("/chat/clear?conversation_id={id}"),
            &f.token,
            &json!({}),
        )
        .await;
    assert_eq!(cleared.status(), 204);
    let history: Value = app
        .get_json(&format!("/chat/history?conversation_id={id}"), &f.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["messages"], json!([]));
}

#[tokio::test]
async fn an_llm_that_never_answers_times_out() {
    let f = chat_app_with(|s| s.chat.first_token_timeout = Duration::from_millis(300)).await;
    f.llm.reply(Reply::Hang);
    let response = f
        .app
        .ask_streaming(&f.token, &json!({"message": "Hello?"}))
        .await;
    let events = sse_events(&response.text().await.unwrap());
    assert_eq!(events.last().unwrap().0, "error");
    assert_eq!(events.last().unwrap().1["code"], "llm_timeout");
    let history: Value = f
        .app
        .get_json("/chat/history", &f.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["messages"][1]["status"], "failed");
    assert_eq!(history["messages"][1]["error_code"], "llm_timeout");
}

#[tokio::test]
async fn temporary_conversations_stay_out_of_history_and_end_with_their_session() {
    let f = chat_app().await;
    let workspaces: Value = f
        .app
        .get_json("/workspaces", &f.token)
        .await
        .json()
        .await
        .unwrap();
    let ws = workspaces[0]["id"].as_str().unwrap();
    let temporary: Value = f
        .app
        .send_json(
            reqwest::Method::POST,
            &format!("/workspaces/{ws}/conversations"),
            &f.token,
            &json!({"temporary": true}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = temporary["id"].as_str().unwrap();
    assert_eq!(temporary["temporary"], true);
    let answer = f
        .app
        .ask(
            &f.token,
            &json!({"message": "Secret question", "conversation_id": id}),
        )
        .await;
    assert_eq!(answer.status(), 200);
    let history: Value = f
        .app
        .get_json("/history", &f.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history, json!([]), "never in history");
    let found: Value = f
        .app
        .get_json("/history?q=secret", &f.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found, json!([]), "not even by search");
    let recovered: Value = f
        .app
        .get_json("/chat/history", &f.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        recovered["conversation_id"], id,
        "recovered on refresh in the same session"
    );

    // Another session of the same user does not see it.
    let other = f
        .app
        .session_token("asker@example.com", crate::helpers::PASSWORD)
        .await;
    assert_eq!(
        f.app
            .get_json(&format!("/conversations/{id}"), &other)
            .await
            .status(),
        404
    );
    // Signing out deletes it.
    assert_eq!(
        f.app.post_bearer("/auth/logout", &f.token).await.status(),
        204
    );
    let id = id.parse().unwrap();
    assert_eq!(
        f.app.docent.testing().conversation(id).await.unwrap(),
        None,
        "the temporary conversation and its messages are gone"
    );

    // And a session that expires takes its temporary conversations with it.
    let ws_conv: Value = f
        .app
        .send_json(
            reqwest::Method::POST,
            &format!("/workspaces/{ws}/conversations"),
            &other,
            &json!({"temporary": true}),
        )
        .await
        .json()
        .await
        .unwrap();
    f.app.advance(Duration::from_secs(25 * 3600));
    f.app.docent.cleanup_expired().await.unwrap();
    let left = f
        .app
        .docent
        .testing()
        .conversation(ws_conv["id"].as_str().unwrap().parse().unwrap())
        .await
        .unwrap();
    assert_eq!(left, None);
}

#[tokio::test]
async fn domain_sharing_is_read_only_and_only_for_the_domain() {
    // Only proven addresses are members of a domain: everyone here signs in by email.
    let mail = crate::mail::MailServer::start();
    let llm = FakeLlm::start().await;
    let retrieval = FakeRetrieval::start().await;
    let app = spawn_app_with(|s| {
        use_remotes(s, &llm, Some(&retrieval));
        crate::email::use_mail(s, &mail);
    })
    .await;
    let token = crate::email::signed_in_by_email(&app, &mail, "asker@example.com").await;
    let f = ChatFixture {
        app,
        llm,
        retrieval,
        token,
    };
    let owner = &f.token;
    let shared_ws: Value = f
        .app
        .send_json(
            reqwest::Method::POST,
            "/workspaces",
            owner,
            &json!({"name": "Team", "shared_with_domain": true}),
        )
        .await
        .json()
        .await
        .unwrap();
    let shared: Value = f
        .app
        .ask(
            owner,
            &json!({"message": "Shared question", "workspace_id": shared_ws["id"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let private: Value = f
        .app
        .ask(owner, &json!({"message": "Private question"}))
        .await
        .json()
        .await
        .unwrap();
    let shared_id = shared["conversation_id"].as_str().unwrap();

    let colleague = crate::email::signed_in_by_email(&f.app, &mail, "colleague@example.com").await;
    let listed: Value = f
        .app
        .get_json("/history?scope=domain", &colleague)
        .await
        .json()
        .await
        .unwrap();
    let titles: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Shared question"]);
    let mine: Value = f
        .app
        .get_json("/history?scope=mine", &colleague)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine, json!([]));
    let conversation: Value = f
        .app
        .get_json(&format!("/conversations/{shared_id}"), &colleague)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(conversation["read_only"], true);
    let history: Value = f
        .app
        .get_json(
            &format!("/chat/history?conversation_id={shared_id}"),
            &colleague,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["messages"].as_array().unwrap().len(), 2);
    assert_eq!(
        f.app
            .get_json(&format!("/conversations/{shared_id}/export"), &colleague)
            .await
            .status(),
        200
    );
    let write = f
        .app
        .ask(
            &colleague,
            &json!({"message": "Me too", "conversation_id": shared_id}),
        )
        .await;
    assert_error(write, 403, "read_only").await;
    let rename = f
        .app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/conversations/{shared_id}"),
            &colleague,
            &json!({"title": "Mine"}),
        )
        .await;
    assert_error(rename, 403, "read_only").await;
    let delete = f
        .app
        .send_json(
            reqwest::Method::DELETE,
            &format!("/conversations/{shared_id}"),
            &colleague,
            &json!({}),
        )
        .await;
    assert_error(delete, 403, "read_only").await;
    let private_id = private["conversation_id"].as_str().unwrap();
    assert_eq!(
        f.app
            .get_json(&format!("/conversations/{private_id}"), &colleague)
            .await
            .status(),
        404
    );
    assert_eq!(
        f.app
            .get_json(
                &format!("/workspaces/{}", shared_ws["id"].as_str().unwrap()),
                &colleague
            )
            .await
            .status(),
        404
    );

    let outsider = crate::email::signed_in_by_email(&f.app, &mail, "outsider@other.org").await;
    let listed: Value = f
        .app
        .get_json("/history?scope=domain", &outsider)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
    assert_eq!(
        f.app
            .get_json(&format!("/conversations/{shared_id}"), &outsider)
            .await
            .status(),
        404
    );
}

/// The token of the link `marker?token=...` in an email the file transport wrote into the data
/// dir's mail folder, once the whole file is there. The server's own mail worker may hold the
/// message (leased) while it writes it, so delivering here can find nothing to do.
async fn written_token(app: &TestApp, marker: &str) -> String {
    let mail_dir = app.data_dir.path().join("mail");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let text = loop {
        app.docent.deliver_outbox().await.unwrap();
        let written = std::fs::read_dir(&mail_dir)
            .into_iter()
            .flatten()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "eml"))
            .filter_map(|path| std::fs::read(path).ok())
            .filter_map(|raw| {
                let parsed = mailparse::parse_mail(&raw).ok()?;
                parsed.subparts.first()?.get_body().ok()
            })
            .find(|text| text.contains(marker));
        if let Some(text) = written {
            break text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no email with {marker} was written"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    text.split(marker)
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_password_reset_deletes_temporary_conversations() {
    let llm = FakeLlm::start().await;
    let app = spawn_app_with(|s| {
        use_remotes(s, &llm, None);
        s.mail = docent_core::config::MailSettings::File {
            dir: s.data_dir.join("mail"),
            from: "Docent <docent@example.com>".to_owned(),
        };
    })
    .await;
    assert_eq!(
        app.register("forgetful@example.com", crate::helpers::PASSWORD)
            .await
            .status(),
        201
    );
    let confirm_token = written_token(&app, "/verify-email?token=").await;
    let confirmed: Value = app
        .post_json(
            "/auth/verify-email",
            &json!({"token": confirm_token, "password": crate::helpers::PASSWORD}),
        )
        .await
        .json()
        .await
        .unwrap();
    let token = confirmed["session_token"].as_str().unwrap().to_owned();
    let workspaces: Value = app
        .get_json("/workspaces", &token)
        .await
        .json()
        .await
        .unwrap();
    let ws = workspaces[0]["id"].as_str().unwrap();
    let temporary: Value = app
        .send_json(
            reqwest::Method::POST,
            &format!("/workspaces/{ws}/conversations"),
            &token,
            &json!({"temporary": true}),
        )
        .await
        .json()
        .await
        .unwrap();
    let kept: Value = app
        .ask(&token, &json!({"message": "Keep me"}))
        .await
        .json()
        .await
        .unwrap();

    app.post_json(
        "/auth/reset-request",
        &json!({"email": "forgetful@example.com"}),
    )
    .await;
    let reset_token = written_token(&app, "/reset-password?token=").await;
    let response = app
        .post_json(
            "/auth/reset-password",
            &json!({"token": reset_token, "password": "Marigold-Lantern-Drifts-Slowly-8"}),
        )
        .await;
    assert_eq!(response.status(), 200);

    let testing = app.docent.testing();
    let stored = |id: &str| {
        let id = id.parse().unwrap();
        async move { testing.conversation(id).await.unwrap().is_some() }
    };
    assert!(
        !stored(temporary["id"].as_str().unwrap()).await,
        "the temporary conversation is gone"
    );
    assert!(
        stored(kept["conversation_id"].as_str().unwrap()).await,
        "the others stay"
    );
}

#[tokio::test]
async fn an_unreachable_llm_is_tried_twice_then_reported() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let llm = FakeLlm::start().await;
    let app = spawn_app_with(|s| {
        use_remotes(s, &llm, None);
        s.chat.llm_base_url =
            ServiceUrl::parse("llm", &format!("http://127.0.0.1:{closed_port}/v1")).unwrap();
    })
    .await;
    let token = app.signed_up("offline@example.com").await;
    let started = std::time::Instant::now();
    let response = app.ask(&token, &json!({"message": "Anyone there?"})).await;
    // The one retry waits 250 ms before the second attempt.
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    let message = assert_error(response, 502, "llm_unavailable").await;
    assert!(message.contains("could not be reached"), "{message}");
    let history: Value = app
        .get_json("/chat/history", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["messages"][0]["content"], "Anyone there?");
    assert_eq!(history["messages"][1]["status"], "failed");
}

/// What only HTTP has: 201 and 204, an id that is no UUID, and query strings out of range.
#[tokio::test]
async fn http_answers_with_rest_statuses_and_refuses_bad_query_strings() {
    let f = chat_app().await;
    let created = f
        .app
        .send_json(
            reqwest::Method::POST,
            "/workspaces",
            &f.token,
            &json!({"name": "Research"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_error(
        f.app.get_json("/workspaces/not-a-uuid", &f.token).await,
        404,
        "not_found",
    )
    .await;
    let answer: Value = f
        .app
        .ask(&f.token, &json!({"message": "Records?"}))
        .await
        .json()
        .await
        .unwrap();
    let conversation = answer["conversation_id"].as_str().unwrap();
    let markdown = f
        .app
        .get_json(&format!("/conversations/{conversation}/export"), &f.token)
        .await;
    assert!(
        markdown.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/markdown"),
        "Markdown without a format"
    );
    assert_error(
        f.app
            .get_json(
                &format!("/conversations/{conversation}/export?format=pdf"),
                &f.token,
            )
            .await,
        400,
        "invalid_query",
    )
    .await;
    assert_error(
        f.app.get_json("/history?scope=everyone", &f.token).await,
        400,
        "invalid_query",
    )
    .await;
    for path in [
        format!("/conversations/{conversation}"),
        format!("/workspaces/{id}"),
    ] {
        let deleted = f
            .app
            .send_json(reqwest::Method::DELETE, &path, &f.token, &json!({}))
            .await;
        assert_eq!(deleted.status(), 204, "{path}");
    }
}
