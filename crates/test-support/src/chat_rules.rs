//! The rules of workspaces, conversations and chat, written once against a [`Face`]: one
//! signed-in person reaching Docent one way. docent-server's tests run them over HTTP, the
//! desktop shell's over IPC (Tauri's mock runtime), each with `chat_rules!(TheirWorld)`; what
//! only one transport has (SSE framing, status codes, headers, the window's channel) is tested
//! beside its face.
//!
//! A rule here is `pub async fn name<W: World>()`, and is listed in [`chat_rules!`].

use std::time::Duration;

use docent_core::Settings;
use serde_json::{json, Value};

use crate::remote::{use_remotes, FakeLlm, FakeRetrieval, Reply};

/// What every face answers for a refused operation.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The stable snake_case code.
    pub code: String,
    /// The kind of failure (`invalid`, `not_found`, `unavailable`, ...).
    pub kind: String,
    /// The sentence for people.
    pub message: String,
}

/// What an operation answers: its JSON, or the refusal.
pub type Answer = Result<Value, Refusal>;

/// One signed-in person reaching Docent through one face. Each method is the operation of the
/// same name (the shell's command and the API's operationId); ids are strings, as a client
/// sends them; requests are the JSON bodies the UI sends.
pub trait Face {
    /// The person's workspaces.
    async fn workspace_list(&self) -> Answer;
    /// Makes a workspace.
    async fn workspace_create(&self, request: Value) -> Answer;
    /// One workspace.
    async fn workspace_get(&self, id: &str) -> Answer;
    /// Changes a workspace.
    async fn workspace_update(&self, id: &str, request: Value) -> Answer;
    /// Deletes a workspace.
    async fn workspace_delete(&self, id: &str) -> Answer;
    /// The conversations of a workspace.
    async fn conversation_list(&self, workspace_id: &str) -> Answer;
    /// Makes a conversation in a workspace.
    async fn conversation_create(&self, workspace_id: &str, request: Value) -> Answer;
    /// One conversation.
    async fn conversation_get(&self, id: &str) -> Answer;
    /// Renames a conversation.
    async fn conversation_update(&self, id: &str, request: Value) -> Answer;
    /// Deletes a conversation.
    async fn conversation_delete(&self, id: &str) -> Answer;
    /// Exports a conversation as `{content_type, file_name, body}`.
    async fn conversation_export(&self, id: &str, format: &str) -> Answer;
    /// Asks a question and waits for the whole answer, streamed the face's own way.
    async fn chat_send(&self, request: Value) -> Answer;
    /// Stops an answer.
    async fn chat_stop(&self, message_id: &str) -> Answer;
    /// A conversation's messages (the latest conversation's without an id).
    async fn chat_history(&self, conversation_id: Option<&str>) -> Answer;
    /// Empties a conversation.
    async fn chat_clear(&self, conversation_id: Option<&str>) -> Answer;
    /// Searches history; `query` holds the fields of the history query (`q`, `scope`, `from`,
    /// `to`, `workspace_id`, `limit`, `offset`).
    async fn history_search(&self, query: Value) -> Answer;
}

/// A Docent on a fresh data dir, with a clock that moves only when told to, reached through
/// one face.
pub trait World: Sized {
    /// How a person signed in to it reaches it.
    type Face: Face;
    /// Opens it with the default settings as `configure` leaves them.
    async fn start(configure: impl FnOnce(&mut Settings)) -> Self;
    /// Registers `email` with a password that passes the policy, and signs it in.
    async fn sign_up(&self, email: &str) -> Self::Face;
    /// Moves the clock on.
    fn advance(&self, by: Duration);
}

/// A world whose LLM and retrieval API are the local fakes, with one person signed in.
pub struct Chat<W: World> {
    /// The Docent.
    pub world: W,
    /// The fake LLM.
    pub llm: FakeLlm,
    /// The fake retrieval API.
    pub retrieval: FakeRetrieval,
    /// The person signed in: asker@example.com.
    pub me: W::Face,
}

impl<W: World> Chat<W> {
    /// With the default chat settings.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// With the chat settings as `configure` leaves them.
    pub async fn start_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let llm = FakeLlm::start().await;
        let retrieval = FakeRetrieval::start().await;
        let world = W::start(|s| {
            use_remotes(s, &llm, Some(&retrieval));
            configure(s);
        })
        .await;
        let me = world.sign_up("asker@example.com").await;
        Self {
            world,
            llm,
            retrieval,
            me,
        }
    }
}

/// The answer's JSON; panics with the refusal otherwise.
pub fn ok(answer: Answer) -> Value {
    answer.unwrap_or_else(|refusal| panic!("refused: {refusal:?}"))
}

/// Asserts a refusal's kind and code, and that its message is a sentence; returns the message.
pub fn refused(answer: Answer, kind: &str, code: &str) -> String {
    let refusal = match answer {
        Ok(value) => panic!("expected {kind}/{code}, got {value}"),
        Err(refusal) => refusal,
    };
    assert_eq!(
        (refusal.kind.as_str(), refusal.code.as_str()),
        (kind, code),
        "{}",
        refusal.message
    );
    assert!(
        refusal.message.len() > 10 && refusal.message.ends_with('.'),
        "a sentence: {:?}",
        refusal.message
    );
    refusal.message
}

fn str_of<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("no string {field} in {value}"))
}

/// Runs every rule of this module as a `#[tokio::test]` against the given [`World`].
#[macro_export]
macro_rules! chat_rules {
    ($world:ty) => {
        $crate::chat_rules!(@each $world;
            an_answer_comes_with_the_citations_it_uses,
            the_workspace_decides_prompt_collection_top_k_and_model,
            a_follow_up_sends_the_earlier_turns,
            llm_failures_keep_the_question_and_mark_the_answer_failed,
            retrieval_failures_fail_the_answer_unless_optional,
            without_retrieval_the_model_answers_alone_and_says_so,
            without_an_llm_sending_says_what_to_set_and_stores_nothing,
            bad_questions_are_refused_with_a_reason,
            history_lists_newest_first_and_searches_titles_and_messages,
            workspaces_can_be_made_renamed_configured_and_deleted,
            conversations_can_be_renamed_exported_and_deleted,
            clearing_empties_only_that_conversation,
            another_users_ids_are_not_found_on_every_operation,
        );
    };
    (@each $world:ty; $($rule:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $rule() {
                $crate::chat_rules::$rule::<$world>().await;
            }
        )*
    };
}

/// The answer keeps the citations whose numbers it uses; the question goes to retrieval and
/// the LLM with the numbered passages; the conversation is made in Personal.
pub async fn an_answer_comes_with_the_citations_it_uses<W: World>() {
    let c = Chat::<W>::start().await;
    c.llm.reply(Reply::text(&[
        "Personnel records are kept seven years [1]. ",
        "Backups [2, 3]; nonsense [9].",
    ]));
    let answer = ok(c
        .me
        .chat_send(json!({"message": "  How long do we keep personnel records?  "}))
        .await);
    assert_eq!(
        answer["answer"],
        "Personnel records are kept seven years [1]. Backups [2, 3]; nonsense [9]."
    );
    assert_eq!(answer["status"], "complete");
    let citations = answer["citations"].as_array().unwrap();
    assert_eq!(citations.len(), 3, "[9] has no chunk and is dropped");
    assert_eq!(citations[0]["index"], 1);
    assert_eq!(citations[0]["chunk_id"], "c1");
    assert_eq!(citations[0]["source"], "hr-policy.pdf");
    assert_eq!(citations[0]["page"], 4);
    assert_eq!(
        citations[0]["url"],
        "https://docs.example.com/hr-policy.pdf"
    );
    assert_eq!(
        citations[0]["snippet"],
        "Personnel records are kept for seven years."
    );

    // Retrieval got the question, top-k and key; the LLM got the numbered chunks and the question.
    let (headers, query) = c.retrieval.requests().pop().unwrap();
    assert_eq!(
        query,
        json!({"query": "How long do we keep personnel records?", "top_k": 5, "collection": null})
    );
    assert_eq!(headers["authorization"], "Bearer retrieval-test-key");
    let (headers, request) = c.llm.requests().pop().unwrap();
    assert_eq!(headers["authorization"], "Bearer llm-test-key");
    assert_eq!(request["model"], "test/model-a");
    assert_eq!(request["stream"], true);
    let system = request["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains(
            "[1] Title of hr-policy.pdf, page 4\nPersonnel records are kept for seven years."
        ),
        "{system}"
    );
    assert!(system.contains("[3] Title of finance.pdf"), "{system}");
    assert_eq!(
        request["messages"].as_array().unwrap().last().unwrap()["content"],
        "How long do we keep personnel records?"
    );

    // The conversation was made in Personal, titled from the question.
    let conversation = ok(c
        .me
        .conversation_get(str_of(&answer, "conversation_id"))
        .await);
    assert_eq!(
        conversation["title"],
        "How long do we keep personnel records?"
    );
    assert_eq!(
        conversation["first_query"],
        "How long do we keep personnel records?"
    );
    let workspaces = ok(c.me.workspace_list().await);
    assert_eq!(workspaces[0]["name"], "Personal");
    assert_eq!(conversation["workspace_id"], workspaces[0]["id"]);
}

/// A workspace's prompt, collection, top-k and model are what retrieval and the LLM get.
pub async fn the_workspace_decides_prompt_collection_top_k_and_model<W: World>() {
    let c = Chat::<W>::start().await;
    let workspace = ok(c
        .me
        .workspace_create(json!({
            "name": "Legal", "system_prompt": "You are the legal team's assistant.",
            "collection": "legal-docs", "top_k": 2, "model": "test/model-b"
        }))
        .await);
    ok(c.me
        .chat_send(json!({"message": "Question?", "workspace_id": workspace["id"]}))
        .await);
    let (_, query) = c.retrieval.requests().pop().unwrap();
    assert_eq!(query["collection"], "legal-docs");
    assert_eq!(query["top_k"], 2);
    let (_, request) = c.llm.requests().pop().unwrap();
    assert_eq!(request["model"], "test/model-b");
    let system = request["messages"][0]["content"].as_str().unwrap();
    assert!(system.starts_with("You are the legal team's assistant."));
    assert!(!system.contains("[3]"), "only top_k chunks are used");
}

/// A follow-up question sends the conversation's earlier turns.
pub async fn a_follow_up_sends_the_earlier_turns<W: World>() {
    let c = Chat::<W>::start().await;
    c.llm
        .reply(Reply::text(&["Seven years [1]."]))
        .reply(Reply::text(&["Yes [1]."]));
    let first = ok(c.me.chat_send(json!({"message": "How long?"})).await);
    ok(c.me
        .chat_send(
            json!({"message": "Even for managers?", "conversation_id": first["conversation_id"]}),
        )
        .await);
    let (_, request) = c.llm.requests().pop().unwrap();
    let roles: Vec<&str> = request["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["system", "user", "assistant", "user"]);
    assert_eq!(request["messages"][2]["content"], "Seven years [1].");
}

/// A failing LLM is retried once (a 429 after its Retry-After), a refused key not at all; the
/// question stays and the answer is marked failed with the code.
pub async fn llm_failures_keep_the_question_and_mark_the_answer_failed<W: World>() {
    let c = Chat::<W>::start().await;
    c.llm
        .reply(Reply::Status(500, None))
        .reply(Reply::Status(502, None));
    refused(
        c.me.chat_send(json!({"message": "Will this fail?"})).await,
        "unavailable",
        "llm_unavailable",
    );
    assert_eq!(c.llm.requests().len(), 2, "one retry");
    let history = ok(c.me.chat_history(None).await);
    assert_eq!(history["messages"][0]["content"], "Will this fail?");
    assert_eq!(history["messages"][1]["status"], "failed");
    assert_eq!(history["messages"][1]["error_code"], "llm_unavailable");

    // A 429 with Retry-After, then success: one retry, honoured.
    c.llm
        .reply(Reply::Status(429, Some(1)))
        .reply(Reply::text(&["Fine [1]."]));
    ok(c.me.chat_send(json!({"message": "Again?"})).await);
    // A refused key is not retried.
    c.llm.reply(Reply::Status(401, None));
    let before = c.llm.requests().len();
    let message = refused(
        c.me.chat_send(json!({"message": "Key?"})).await,
        "unavailable",
        "llm_rejected",
    );
    assert!(message.contains("DOCENT_LLM_API_KEY"), "{message}");
    assert_eq!(c.llm.requests().len(), before + 1);
}

/// Retrieval down fails the answer (the question kept, no LLM call), unless retrieval is
/// optional: then the model answers alone, and says so.
pub async fn retrieval_failures_fail_the_answer_unless_optional<W: World>() {
    let c = Chat::<W>::start().await;
    c.retrieval.fail(true);
    refused(
        c.me.chat_send(json!({"message": "Docs?"})).await,
        "unavailable",
        "retrieval_unavailable",
    );
    assert!(c.llm.requests().is_empty(), "no answer without documents");
    let history = ok(c.me.chat_history(None).await);
    assert_eq!(
        history["messages"][0]["content"], "Docs?",
        "the question is kept"
    );
    assert_eq!(
        history["messages"][1]["error_code"],
        "retrieval_unavailable"
    );

    let c = Chat::<W>::start_with(|s| s.chat.retrieval_required = false).await;
    c.retrieval.fail(true);
    c.llm.reply(Reply::text(&["From general knowledge [1]."]));
    let answer = ok(c.me.chat_send(json!({"message": "Docs?"})).await);
    assert_eq!(answer["citations"], json!([]));
    assert!(str_of(&answer, "notice").contains("without sources"));
}

/// With no retrieval API set, the model answers alone, and both it and the person are told.
pub async fn without_retrieval_the_model_answers_alone_and_says_so<W: World>() {
    let c = Chat::<W>::start_with(|s| {
        s.chat.retrieval_url = None;
        s.chat.retrieval_api_key = None;
    })
    .await;
    c.llm.reply(Reply::text(&["Generally [1]."]));
    let answer = ok(c.me.chat_send(json!({"message": "Anything?"})).await);
    assert_eq!(answer["citations"], json!([]));
    assert!(str_of(&answer, "notice").contains("No document search is configured"));
    assert!(c.retrieval.requests().is_empty());
    let (_, request) = c.llm.requests().pop().unwrap();
    assert!(request["messages"][0]["content"]
        .as_str()
        .unwrap()
        .contains("not based on the organisation's documents"));
}

/// With no LLM set, asking says which setting is missing and stores nothing.
pub async fn without_an_llm_sending_says_what_to_set_and_stores_nothing<W: World>() {
    let world = W::start(|_| {}).await;
    let me = world.sign_up("nollm@example.com").await;
    let message = refused(
        me.chat_send(json!({"message": "Hi"})).await,
        "unavailable",
        "llm_not_configured",
    );
    assert!(message.contains("DOCENT_LLM_API_KEY"), "{message}");
    let history = ok(me.chat_history(None).await);
    assert_eq!(history["messages"], json!([]));
}

/// An empty or too long question is refused with its reason, before anything is stored.
pub async fn bad_questions_are_refused_with_a_reason<W: World>() {
    let c = Chat::<W>::start().await;
    refused(
        c.me.chat_send(json!({"message": "   "})).await,
        "invalid",
        "empty_message",
    );
    refused(
        c.me.chat_send(json!({"message": "x".repeat(8_001)})).await,
        "invalid",
        "message_too_long",
    );
    let history = ok(c.me.chat_history(None).await);
    assert_eq!(history["messages"], json!([]));
    assert!(c.llm.requests().is_empty());
}

/// History lists conversations newest first, searches titles and messages by words (prefixes
/// too, search syntax taken as words), pages, and filters by time.
pub async fn history_lists_newest_first_and_searches_titles_and_messages<W: World>() {
    let c = Chat::<W>::start().await;
    for (question, answer) in [
        ("Parking rules for visitors", "Visitors park in lot B [1]."),
        ("Holiday allowance", "Twenty-five days a year [1]."),
        ("Expense claims", "Claims need receipts [2]."),
    ] {
        c.llm.reply(Reply::text(&[answer]));
        ok(c.me.chat_send(json!({ "message": question })).await);
        c.world.advance(Duration::from_secs(60));
    }
    let all = ok(c.me.history_search(json!({})).await);
    let titles: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Expense claims",
            "Holiday allowance",
            "Parking rules for visitors"
        ]
    );
    for field in [
        "conversation_id",
        "workspace_id",
        "user_id",
        "title",
        "first_query",
        "created_at",
        "updated_at",
    ] {
        assert!(all[0].get(field).is_some(), "{field}");
    }
    let by_title = ok(c.me.history_search(json!({"q": "holiday"})).await);
    assert_eq!(by_title.as_array().unwrap().len(), 1);
    assert_eq!(by_title[0]["title"], "Holiday allowance");
    let by_answer = ok(c.me.history_search(json!({"q": "receipts"})).await);
    assert_eq!(by_answer[0]["title"], "Expense claims");
    let prefix = ok(c.me.history_search(json!({"q": "visit"})).await);
    assert_eq!(prefix[0]["title"], "Parking rules for visitors");
    let syntax = ok(c.me.history_search(json!({"q": "\"OR NEAR("})).await);
    assert_eq!(syntax, json!([]), "search syntax in q is just words");
    let paged = ok(c.me.history_search(json!({"limit": 1, "offset": 1})).await);
    assert_eq!(paged.as_array().unwrap().len(), 1);
    assert_eq!(paged[0]["title"], "Holiday allowance");
    let recent = ok(c
        .me
        .history_search(json!({"from": all[1]["updated_at"]}))
        .await);
    assert_eq!(recent.as_array().unwrap().len(), 2);
}

/// Workspaces are made (trimmed, with defaults), changed field by field, refused when their
/// name or top-k is out of bounds, and deleted.
pub async fn workspaces_can_be_made_renamed_configured_and_deleted<W: World>() {
    let c = Chat::<W>::start().await;
    let ws = ok(c
        .me
        .workspace_create(json!({"name": "  Research  ", "description": "Papers"}))
        .await);
    assert_eq!(ws["name"], "Research");
    assert_eq!(ws["top_k"], 5);
    assert_eq!(ws["shared_with_domain"], false);
    let id = str_of(&ws, "id");
    let patched = ok(c
        .me
        .workspace_update(
            id,
            json!({"name": "Research 2", "top_k": 8, "model": "m/x"}),
        )
        .await);
    assert_eq!(
        (
            patched["name"].as_str(),
            patched["top_k"].as_u64(),
            patched["model"].as_str()
        ),
        (Some("Research 2"), Some(8), Some("m/x"))
    );
    assert_eq!(patched["description"], "Papers", "untouched fields stay");
    let cleared = ok(c.me.workspace_update(id, json!({"model": ""})).await);
    assert_eq!(cleared["model"], Value::Null);
    assert_eq!(ok(c.me.workspace_get(id).await), cleared);
    for (request, code) in [
        (json!({"name": ""}), "invalid_name"),
        (json!({"name": "x".repeat(101)}), "invalid_name"),
        (json!({"name": "ok", "top_k": 0}), "invalid_top_k"),
        (json!({"name": "ok", "top_k": 51}), "invalid_top_k"),
    ] {
        refused(c.me.workspace_create(request).await, "invalid", code);
    }
    refused(
        c.me.workspace_update(id, json!({"top_k": 0})).await,
        "invalid",
        "invalid_top_k",
    );
    let list = ok(c.me.workspace_list().await);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[1]["name"], "Research 2", "nothing refused was saved");
    ok(c.me.workspace_delete(id).await);
    refused(c.me.workspace_get(id).await, "not_found", "not_found");
    assert_eq!(ok(c.me.workspace_list().await).as_array().unwrap().len(), 1);
}

/// Conversations are made in a workspace, renamed, exported (Markdown and JSON) and deleted.
pub async fn conversations_can_be_renamed_exported_and_deleted<W: World>() {
    let c = Chat::<W>::start().await;
    let workspace = ok(c.me.workspace_create(json!({"name": "Records"})).await);
    let workspace_id = str_of(&workspace, "id");
    let empty = ok(c
        .me
        .conversation_create(workspace_id, json!({"title": "Empty"}))
        .await);
    assert_eq!(empty["workspace_id"], workspace["id"]);
    c.llm.reply(Reply::text(&["Seven years [1]."]));
    let answer = ok(c
        .me
        .chat_send(json!({"message": "How long do we keep records?", "workspace_id": workspace_id}))
        .await);
    let id = str_of(&answer, "conversation_id");
    let listed = ok(c.me.conversation_list(workspace_id).await);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let renamed = ok(c
        .me
        .conversation_update(id, json!({"title": "Records"}))
        .await);
    assert_eq!(renamed["title"], "Records");
    let md = ok(c.me.conversation_export(id, "md").await);
    assert!(str_of(&md, "content_type").starts_with("text/markdown"));
    assert_eq!(md["file_name"], "Records.md");
    let text = str_of(&md, "body");
    assert!(text.starts_with("# Records"), "{text}");
    assert!(text.contains("How long do we keep records?") && text.contains("Seven years [1]."));
    assert!(text.contains("1. Title of hr-policy.pdf (hr-policy.pdf, page 4) <https://docs.example.com/hr-policy.pdf>"), "{text}");
    let json = ok(c.me.conversation_export(id, "json").await);
    assert_eq!(json["file_name"], "Records.json");
    let exported: Value = serde_json::from_str(str_of(&json, "body")).unwrap();
    assert_eq!(exported["conversation"]["title"], "Records");
    assert_eq!(exported["messages"][1]["citations"][0]["chunk_id"], "c1");
    ok(c.me.conversation_delete(id).await);
    refused(c.me.conversation_get(id).await, "not_found", "not_found");
    let listed = ok(c.me.conversation_list(workspace_id).await);
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

/// Clearing empties the conversation named, and no other.
pub async fn clearing_empties_only_that_conversation<W: World>() {
    let c = Chat::<W>::start().await;
    let first = ok(c.me.chat_send(json!({"message": "First?"})).await);
    c.world.advance(Duration::from_secs(60));
    let second = ok(c.me.chat_send(json!({"message": "Second?"})).await);
    assert_ne!(first["conversation_id"], second["conversation_id"]);
    let latest = ok(c.me.chat_history(None).await);
    assert_eq!(latest["conversation_id"], second["conversation_id"]);
    ok(c.me
        .chat_clear(Some(str_of(&first, "conversation_id")))
        .await);
    let cleared = ok(c
        .me
        .chat_history(Some(str_of(&first, "conversation_id")))
        .await);
    assert_eq!(cleared["messages"], json!([]));
    let kept = ok(c
        .me
        .chat_history(Some(str_of(&second, "conversation_id")))
        .await);
    assert_eq!(kept["messages"].as_array().unwrap().len(), 2);
}

/// Another person's workspace, conversation and message ids are not found by any operation,
/// and nothing of theirs changes.
pub async fn another_users_ids_are_not_found_on_every_operation<W: World>() {
    let c = Chat::<W>::start().await;
    let answer = ok(c.me.chat_send(json!({"message": "Mine"})).await);
    let conversation = str_of(&answer, "conversation_id");
    let message = str_of(&answer, "message_id");
    let workspaces = ok(c.me.workspace_list().await);
    let workspace = str_of(&workspaces[0], "id");

    let intruder = c.world.sign_up("intruder@example.com").await;
    let attempts = [
        ("workspace_get", intruder.workspace_get(workspace).await),
        (
            "workspace_update",
            intruder
                .workspace_update(workspace, json!({"name": "Hijacked"}))
                .await,
        ),
        (
            "workspace_delete",
            intruder.workspace_delete(workspace).await,
        ),
        (
            "conversation_list",
            intruder.conversation_list(workspace).await,
        ),
        (
            "conversation_create",
            intruder.conversation_create(workspace, json!({})).await,
        ),
        (
            "conversation_get",
            intruder.conversation_get(conversation).await,
        ),
        (
            "conversation_update",
            intruder
                .conversation_update(conversation, json!({"title": "x"}))
                .await,
        ),
        (
            "conversation_delete",
            intruder.conversation_delete(conversation).await,
        ),
        (
            "conversation_export",
            intruder.conversation_export(conversation, "md").await,
        ),
        (
            "chat_send to the conversation",
            intruder
                .chat_send(json!({"message": "hi", "conversation_id": conversation}))
                .await,
        ),
        (
            "chat_send to the workspace",
            intruder
                .chat_send(json!({"message": "hi", "workspace_id": workspace}))
                .await,
        ),
        ("chat_stop", intruder.chat_stop(message).await),
        (
            "chat_history",
            intruder.chat_history(Some(conversation)).await,
        ),
        ("chat_clear", intruder.chat_clear(Some(conversation)).await),
    ];
    for (operation, answer) in attempts {
        match answer {
            Err(refusal) => assert_eq!(
                (refusal.kind.as_str(), refusal.code.as_str()),
                ("not_found", "not_found"),
                "{operation}"
            ),
            Ok(value) => panic!("{operation} answered {value}"),
        }
    }
    let history = ok(intruder
        .history_search(json!({ "workspace_id": workspace }))
        .await);
    assert_eq!(history, json!([]));
    // The owner's things are untouched.
    let again = ok(c.me.chat_history(Some(conversation)).await);
    assert_eq!(again["messages"].as_array().unwrap().len(), 2);
    let ws = ok(c.me.workspace_get(workspace).await);
    assert_eq!(ws["name"], "Personal");
}
