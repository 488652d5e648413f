//! A workspace's documents over HTTP: multipart uploads streamed to disk, indexing in the
//! background (the server's own executable reads each file in a process of its own), the
//! list with progress, the original file, search, deletion, and who may do what.

use std::path::{Path, PathBuf};
use std::time::Duration;

use docent_test_support::remote::{use_remotes, FakeLlm, FakeRetrieval, Reply};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app_with, TestApp};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/documents")
        .join(name)
}

fn part(name: &str) -> Part {
    Part::bytes(std::fs::read(fixture(name)).unwrap()).file_name(name.to_owned())
}

pub async fn upload(
    app: &TestApp,
    token: &str,
    workspace: &str,
    names: &[&str],
) -> reqwest::Response {
    let mut form = Form::new();
    for name in names {
        form = form.part("file", part(name));
    }
    app.client
        .post(app.url(&format!("/workspaces/{workspace}/documents")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

pub async fn get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn ask(app: &TestApp, token: &str, request: Value) -> Value {
    app.client
        .post(app.url("/chat/message"))
        .bearer_auth(token)
        .json(&request)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub async fn personal(app: &TestApp, token: &str) -> String {
    let workspaces: Value = get(app, token, "/workspaces").await.json().await.unwrap();
    workspaces[0]["id"].as_str().unwrap().to_owned()
}

/// Polls the list until no document is queued or indexing (the indexer works in the
/// background, in real time).
pub async fn settled(app: &TestApp, token: &str, workspace: &str) -> Vec<Value> {
    for _ in 0..600 {
        let list: Vec<Value> = get(app, token, &format!("/workspaces/{workspace}/documents"))
            .await
            .json()
            .await
            .unwrap();
        if list
            .iter()
            .all(|d| d["status"] == "ready" || d["status"] == "failed")
        {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the documents were not indexed");
}

#[tokio::test]
async fn uploads_are_indexed_listed_searched_served_and_deleted() {
    let app = spawn_app_with(|_| {}).await;
    let token = app.signed_up("docs@example.com").await;
    let ws = personal(&app, &token).await;

    let response = upload(&app, &token, &ws, &["three-pages.pdf", "handbook.docx"]).await;
    assert_eq!(response.status(), 202);
    let added: Vec<Value> = response.json().await.unwrap();
    assert_eq!(added.len(), 2);
    assert_eq!(added[0]["name"], "three-pages.pdf");
    assert_eq!(added[0]["status"], "queued");
    assert_eq!(added[0]["error"], Value::Null);
    assert_eq!(added[0]["sha256"].as_str().unwrap().len(), 64);
    let list = settled(&app, &token, &ws).await;
    let pdf = list
        .iter()
        .find(|d| d["name"] == "three-pages.pdf")
        .unwrap();
    assert_eq!(pdf["status"], "ready", "{pdf}");
    assert_eq!(
        (pdf["pages"].as_u64(), pdf["pages_done"].as_u64()),
        (Some(3), Some(3))
    );
    assert!(pdf["chunks"].as_u64().unwrap() >= 3);
    assert!(pdf["indexed_at"].is_string());
    let id = pdf["id"].as_str().unwrap();
    assert_eq!(
        get(&app, &token, &format!("/documents/{id}"))
            .await
            .json::<Value>()
            .await
            .unwrap()["name"],
        "three-pages.pdf"
    );

    // The same file again is the same document.
    let again: Vec<Value> = upload(&app, &token, &ws, &["three-pages.pdf"])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again[0]["id"], pdf["id"]);

    // Search, without any language model.
    let hits: Vec<Value> = get(
        &app,
        &token,
        &format!("/workspaces/{ws}/search?q=parking+permits&limit=3"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(hits[0]["document_id"], pdf["id"]);
    assert_eq!(hits[0]["page"], 2);
    assert!(hits[0]["snippet"]
        .as_str()
        .unwrap()
        .contains("renewed every January"));
    assert!(hits[0]["score"].as_f64().unwrap() > 0.0);
    assert!(hits.len() <= 3);
    let hits: Vec<Value> = get(
        &app,
        &token,
        &format!("/workspaces/{ws}/search?q=Oslo+meal+allowance"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (hits[0]["name"].as_str(), hits[0]["page"].as_u64()),
        (Some("handbook.docx"), Some(2))
    );
    assert_error(
        get(&app, &token, &format!("/workspaces/{ws}/search?q=the")).await,
        422,
        "empty_query",
    )
    .await;

    // The original, byte for byte, as an attachment in a sandbox.
    let file = get(&app, &token, &format!("/documents/{id}/file")).await;
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "application/pdf");
    assert_eq!(
        file.headers()["content-disposition"],
        "attachment; filename=\"three-pages.pdf\""
    );
    assert_eq!(file.headers()["content-security-policy"], "sandbox");
    assert_eq!(
        file.bytes().await.unwrap(),
        std::fs::read(fixture("three-pages.pdf")).unwrap()
    );

    // Deleting takes its passages out of the search at once.
    let deleted = app
        .client
        .delete(app.url(&format!("/documents/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let hits: Vec<Value> = get(
        &app,
        &token,
        &format!("/workspaces/{ws}/search?q=parking+permits"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(
        hits.iter().all(|h| h["document_id"] != pdf["id"]),
        "{hits:?}"
    );
    assert_error(
        get(&app, &token, &format!("/documents/{id}")).await,
        404,
        "not_found",
    )
    .await;
    assert_error(
        get(&app, &token, &format!("/documents/{id}/file")).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn bad_uploads_are_refused_or_fail_with_their_reason() {
    let app = spawn_app_with(|s| s.documents.max_document_bytes = 40_000).await;
    let token = app.signed_up("bad@example.com").await;
    let ws = personal(&app, &token).await;
    // The limit is told, so a page can refuse a larger file before sending it.
    let status: Value = get(&app, &token, "/status").await.json().await.unwrap();
    assert_eq!(status["max_document_bytes"], 40_000, "{status}");
    let message = assert_error(
        upload(&app, &token, &ws, &["image.png"]).await,
        415,
        "unsupported_document",
    )
    .await;
    assert!(message.contains("PDF, Word"), "{message}");
    let message = assert_error(
        upload(&app, &token, &ws, &["bomb.docx"]).await,
        413,
        "document_too_large",
    )
    .await;
    assert!(message.contains("DOCENT_MAX_DOCUMENT_BYTES"), "{message}");
    // A refused file leaves none of its batch behind.
    assert_error(
        upload(&app, &token, &ws, &["notes.txt", "image.png"]).await,
        415,
        "unsupported_document",
    )
    .await;
    let list: Vec<Value> = get(&app, &token, &format!("/workspaces/{ws}/documents"))
        .await
        .json()
        .await
        .unwrap();
    assert!(list.is_empty(), "{list:?}");
    let incoming = app.data_dir.path().join("documents/incoming");
    assert_eq!(
        std::fs::read_dir(incoming).unwrap().count(),
        0,
        "nothing half-received is kept"
    );

    // Not multipart, no file part, a part of another name.
    let response = app
        .client
        .post(app.url(&format!("/workspaces/{ws}/documents")))
        .bearer_auth(&token)
        .json(&json!({"file": "x"}))
        .send()
        .await
        .unwrap();
    assert_error(response, 415, "unsupported_media_type").await;
    let form = Form::new().text("note", "hello");
    let response = app
        .client
        .post(app.url(&format!("/workspaces/{ws}/documents")))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_error(response, 422, "invalid_body").await;

    // Files that are taken, then fail to read, say why.
    upload(
        &app,
        &token,
        &ws,
        &["encrypted.pdf", "scanned.pdf", "truncated.pdf", "empty.txt"],
    )
    .await;
    let list = settled(&app, &token, &ws).await;
    let codes: Vec<(&str, &str)> = list
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap(),
                d["error"]["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("encrypted.pdf", "document_encrypted"),
            ("scanned.pdf", "no_text"),
            ("truncated.pdf", "unreadable_document"),
            ("empty.txt", "empty_document")
        ]
    );
    assert!(list
        .iter()
        .all(|d| d["status"] == "failed" && d["error"]["kind"] == "invalid"));
}

#[tokio::test]
async fn another_users_documents_are_not_found_on_every_route() {
    let app = spawn_app_with(|_| {}).await;
    let owner = app.signed_up("owner@example.com").await;
    let stranger = app.signed_up("stranger@example.org").await;
    let ws = personal(&app, &owner).await;
    let added: Vec<Value> = upload(&app, &owner, &ws, &["notes.txt"])
        .await
        .json()
        .await
        .unwrap();
    let id = added[0]["id"].as_str().unwrap();
    settled(&app, &owner, &ws).await;
    for path in [
        format!("/workspaces/{ws}/documents"),
        format!("/documents/{id}"),
        format!("/documents/{id}/file"),
        format!("/workspaces/{ws}/search?q=Köln"),
    ] {
        assert_error(get(&app, &stranger, &path).await, 404, "not_found").await;
    }
    assert_error(
        upload(&app, &stranger, &ws, &["notes.txt"]).await,
        404,
        "not_found",
    )
    .await;
    let response = app
        .client
        .delete(app.url(&format!("/documents/{id}")))
        .bearer_auth(&stranger)
        .send()
        .await
        .unwrap();
    assert_error(response, 404, "not_found").await;
    // Not a UUID: nothing there either.
    assert_error(
        get(&app, &owner, "/documents/not-an-id").await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        get(&app, &owner, &format!("/documents/{id}"))
            .await
            .status(),
        200
    );
}

/// Proven colleagues of a workspace shared with their domain may list, open and search its
/// documents; only the owner adds or deletes.
#[tokio::test]
async fn a_shared_workspace_lets_proven_colleagues_read_its_documents() {
    let mail = crate::mail::MailServer::start();
    let app = spawn_app_with(|s| crate::email::use_mail(s, &mail)).await;
    let owner = crate::email::signed_in_by_email(&app, &mail, "owner@corp.example").await;
    let colleague = crate::email::signed_in_by_email(&app, &mail, "colleague@corp.example").await;
    let team: Value = app
        .client
        .post(app.url("/workspaces"))
        .bearer_auth(&owner)
        .json(&json!({"name": "Team", "shared_with_domain": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ws = team["id"].as_str().unwrap();
    let added: Vec<Value> = upload(&app, &owner, ws, &["three-pages.pdf"])
        .await
        .json()
        .await
        .unwrap();
    let id = added[0]["id"].as_str().unwrap();
    settled(&app, &owner, ws).await;
    assert_eq!(
        get(&app, &colleague, &format!("/workspaces/{ws}/documents"))
            .await
            .status(),
        200
    );
    assert_eq!(
        get(&app, &colleague, &format!("/documents/{id}/file"))
            .await
            .status(),
        200
    );
    let hits: Vec<Value> = get(
        &app,
        &colleague,
        &format!("/workspaces/{ws}/search?q=fire+drills"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(hits[0]["page"], 3);
    assert_error(
        upload(&app, &colleague, ws, &["notes.txt"]).await,
        403,
        "read_only",
    )
    .await;
    let response = app
        .client
        .delete(app.url(&format!("/documents/{id}")))
        .bearer_auth(&colleague)
        .send()
        .await
        .unwrap();
    assert_error(response, 403, "read_only").await;
}

/// A question in a workspace with documents is answered from them: the citation names the
/// document and its page, and stays when the document is deleted. With a retrieval API too,
/// both are asked and fused.
#[tokio::test]
async fn answers_cite_the_workspace_documents_and_fuse_with_the_retrieval_api() {
    let llm = FakeLlm::start().await;
    let retrieval = FakeRetrieval::start().await;
    let app = spawn_app_with(|s| use_remotes(s, &llm, None)).await;
    let token = app.signed_up("asker@example.com").await;
    let ws = personal(&app, &token).await;
    upload(&app, &token, &ws, &["three-pages.pdf"]).await;
    settled(&app, &token, &ws).await;
    llm.reply(Reply::text(&["Permits are renewed every January [1]."]));
    let answer: Value = ask(
        &app,
        &token,
        json!({"message": "When are parking permits renewed?"}),
    )
    .await;
    assert_eq!(answer["notice"], Value::Null, "{answer}");
    let citation = &answer["citations"][0];
    assert_eq!(citation["source"], "three-pages.pdf");
    assert_eq!(citation["page"], 2);
    assert!(citation["document_id"].is_string());
    assert!(citation["snippet"]
        .as_str()
        .unwrap()
        .contains("Parking permits"));
    let (_, request) = llm.requests().pop().unwrap();
    let system = request["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("[1] three-pages.pdf"), "{system}");
    assert!(system.contains("renewed every January"), "{system}");

    // Deleting the document keeps the citation as it was.
    let document = citation["document_id"].as_str().unwrap();
    app.client
        .delete(app.url(&format!("/documents/{document}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let history: Value = get(&app, &token, "/chat/history")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        history["messages"][1]["citations"][0]["document_id"],
        document
    );
    assert_eq!(history["messages"][1]["citations"][0]["page"], 2);

    // With the retrieval API as well: both are asked, fused into top_k.
    let docs = FakeLlm::start().await;
    let app = spawn_app_with(|s| use_remotes(s, &docs, Some(&retrieval))).await;
    let token = app.signed_up("both@example.com").await;
    let ws = personal(&app, &token).await;
    upload(&app, &token, &ws, &["three-pages.pdf"]).await;
    settled(&app, &token, &ws).await;
    docs.reply(Reply::text(&["Both [1] [2]."]));
    let answer: Value = ask(&app, &token, json!({"message": "How long are personnel records kept, and when are parking permits renewed?"})).await;
    assert_eq!(retrieval.requests().len(), 1, "the retrieval API was asked");
    let sources: Vec<(bool, Value)> = answer["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["document_id"].is_string(), c["source"].clone()))
        .collect();
    assert!(
        sources.contains(&(true, json!("three-pages.pdf"))),
        "{sources:?}"
    );
    assert!(sources.iter().any(|(local, _)| !local), "{sources:?}");
    // The retrieval API down: the workspace's own documents still answer, and it is said.
    retrieval.fail(true);
    docs.reply(Reply::text(&["Still [1]."]));
    let answer: Value = ask(
        &app,
        &token,
        json!({"message": "When are parking permits renewed?"}),
    )
    .await;
    assert_eq!(answer["status"], "complete");
    assert!(answer["notice"]
        .as_str()
        .unwrap()
        .contains("only this workspace's own documents"));
    assert_eq!(answer["citations"][0]["source"], "three-pages.pdf");
}
