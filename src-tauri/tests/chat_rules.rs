//! The chat rules (`docent_test_support::chat_rules`) over IPC: the shell's own commands,
//! registered as the app registers them, on Tauri's mock runtime; each person is one window
//! with its own shell (the shell holds one session), over one core. Streamed events arrive on
//! the command's channel, caught by a channel interceptor.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use docent_app::commands::{AppLinks, Shell};
use docent_core::{Docent, ManualClock, Settings};
use docent_test_support::chat_rules::{Answer, Face, Refusal, World};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody, InvokeResponseBody};
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindow;

/// A password that passes the policy.
const PASSWORD: &str = "Tangerine-Orbit-Quietly-47";

/// The channel id `chat_send`'s events go to (any id: each window has its own interceptor).
const EVENTS_CHANNEL: u32 = 7;

/// One core on a fresh data dir.
struct IpcWorld {
    docent: Docent,
    clock: ManualClock,
    _data_dir: tempfile::TempDir,
}

impl World for IpcWorld {
    type Face = IpcFace;

    async fn start(configure: impl FnOnce(&mut Settings)) -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::with_data_dir(data_dir.path());
        // Documents are read by the app's own executable, as in the installed app.
        settings.documents.extractor_program = Some(env!("CARGO_BIN_EXE_docent").into());
        configure(&mut settings);
        let clock = ManualClock::starting_now();
        let docent = Docent::open_with_clock(settings, Arc::new(clock.clone()))
            .await
            .unwrap();
        Self {
            docent,
            clock,
            _data_dir: data_dir,
        }
    }

    async fn sign_up(&self, email: &str) -> IpcFace {
        let face = IpcFace::open(self.docent.clone());
        let credentials = json!({"credentials": {"email": email, "password": PASSWORD}});
        face.invoke("auth_register", credentials.clone())
            .await
            .unwrap();
        face.invoke("auth_login", credentials).await.unwrap();
        face
    }

    fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }
}

/// One window of the app: its own shell, and what its channel received.
struct IpcFace {
    window: WebviewWindow<MockRuntime>,
    events: Arc<Mutex<Vec<Value>>>,
    _app: tauri::App<MockRuntime>,
}

impl IpcFace {
    fn open(docent: Docent) -> Self {
        let events = Arc::new(Mutex::new(Vec::new()));
        let caught = events.clone();
        let builder = mock_builder()
            .manage(Shell::in_memory(docent))
            .manage(AppLinks::default())
            .channel_interceptor(move |_, channel, _, body| {
                if channel != CallbackFn(EVENTS_CHANNEL) {
                    return false;
                }
                let InvokeResponseBody::Json(json) = body else {
                    panic!("a channel message that is not JSON")
                };
                caught
                    .lock()
                    .unwrap()
                    .push(serde_json::from_str(json).unwrap());
                true
            });
        let app = docent_app::with_commands(builder)
            .build(mock_context(noop_assets()))
            .unwrap();
        let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        Self {
            window,
            events,
            _app: app,
        }
    }

    /// The command's response, as the window gets it.
    async fn respond(&self, command: &str, args: Value) -> Result<InvokeResponseBody, Value> {
        let window = self.window.clone();
        let request = InvokeRequest {
            cmd: command.to_owned(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            // The app's own origin (on Linux and macOS), so the commands count as local.
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_owned(),
        };
        tokio::task::spawn_blocking(move || tauri::test::get_ipc_response(&window, request))
            .await
            .unwrap()
    }

    /// Invokes a command that answers raw bytes.
    async fn invoke_raw(&self, command: &str, args: Value) -> Vec<u8> {
        match self.respond(command, args).await {
            Ok(InvokeResponseBody::Raw(bytes)) => bytes,
            Ok(InvokeResponseBody::Json(json)) => panic!("{command}: JSON, not bytes: {json}"),
            Err(error) => panic!("{command}: {error}"),
        }
    }

    /// Invokes `command` as the UI does (arguments in camelCase), off the test's thread, so
    /// the local fakes on it keep answering while the command runs.
    async fn invoke(&self, command: &str, args: Value) -> Answer {
        match self.respond(command, args).await {
            Ok(body) => Ok(body.deserialize::<Value>().unwrap()),
            Err(error) => {
                // Every refusal is the core's error body; a bare string would be Tauri
                // refusing the arguments, which the typed UI never sends.
                let field = |name: &str| {
                    error[name]
                        .as_str()
                        .unwrap_or_else(|| panic!("{command}: not an error body: {error}"))
                        .to_owned()
                };
                Err(Refusal {
                    code: field("code"),
                    kind: field("kind"),
                    message: field("message"),
                })
            }
        }
    }
}

impl Face for IpcFace {
    async fn workspace_list(&self) -> Answer {
        self.invoke("workspace_list", json!({})).await
    }
    async fn workspace_create(&self, request: Value) -> Answer {
        self.invoke("workspace_create", json!({ "request": request }))
            .await
    }
    async fn workspace_get(&self, id: &str) -> Answer {
        self.invoke("workspace_get", json!({ "id": id })).await
    }
    async fn workspace_update(&self, id: &str, request: Value) -> Answer {
        self.invoke("workspace_update", json!({ "id": id, "request": request }))
            .await
    }
    async fn workspace_delete(&self, id: &str) -> Answer {
        self.invoke("workspace_delete", json!({ "id": id })).await
    }
    async fn conversation_list(&self, workspace_id: &str) -> Answer {
        self.invoke("conversation_list", json!({ "workspaceId": workspace_id }))
            .await
    }
    async fn conversation_create(&self, workspace_id: &str, request: Value) -> Answer {
        let args = json!({ "workspaceId": workspace_id, "request": request });
        self.invoke("conversation_create", args).await
    }
    async fn conversation_get(&self, id: &str) -> Answer {
        self.invoke("conversation_get", json!({ "id": id })).await
    }
    async fn conversation_update(&self, id: &str, request: Value) -> Answer {
        let args = json!({ "id": id, "request": request });
        self.invoke("conversation_update", args).await
    }
    async fn conversation_delete(&self, id: &str) -> Answer {
        self.invoke("conversation_delete", json!({ "id": id }))
            .await
    }
    async fn conversation_export(&self, id: &str, format: &str) -> Answer {
        let args = json!({ "id": id, "format": format });
        self.invoke("conversation_export", args).await
    }
    /// The command's answer, after checking what its channel carried: `started` with the ids,
    /// then the deltas that make up the answer, and `done` (or the error) last.
    async fn chat_send(&self, request: Value) -> Answer {
        self.events.lock().unwrap().clear();
        let args = json!({ "request": request, "events": format!("__CHANNEL__:{EVENTS_CHANNEL}") });
        let answer = self.invoke("chat_send", args).await;
        let events = std::mem::take(&mut *self.events.lock().unwrap());
        let names: Vec<&str> = events
            .iter()
            .map(|e| e["event"].as_str().unwrap())
            .collect();
        match &answer {
            Ok(answer) => {
                assert_eq!(names.first(), Some(&"started"), "{names:?}");
                assert_eq!(events[0]["data"]["message_id"], answer["message_id"]);
                assert_eq!(names.last(), Some(&"done"), "{names:?}");
                let streamed: String = events
                    .iter()
                    .filter(|e| e["event"] == "delta")
                    .map(|e| e["data"]["text"].as_str().unwrap())
                    .collect();
                assert_eq!(streamed, answer["answer"].as_str().unwrap());
            }
            Err(refusal) => {
                // Refused before it started, or failed while streaming: then `error` is last.
                if let Some(last) = events.last() {
                    assert_eq!(last["event"], "error", "{names:?}");
                    assert_eq!(last["data"]["code"], refusal.code.as_str());
                }
            }
        }
        answer
    }
    async fn chat_stop(&self, message_id: &str) -> Answer {
        self.invoke("chat_stop", json!({ "messageId": message_id }))
            .await
    }
    async fn chat_history(&self, conversation_id: Option<&str>) -> Answer {
        self.invoke("chat_history", json!({ "conversationId": conversation_id }))
            .await
    }
    async fn chat_clear(&self, conversation_id: Option<&str>) -> Answer {
        self.invoke("chat_clear", json!({ "conversationId": conversation_id }))
            .await
    }
    async fn history_search(&self, query: Value) -> Answer {
        self.invoke("history_search", json!({ "query": query }))
            .await
    }
}

docent_test_support::chat_rules!(IpcWorld);

/// A workspace's documents over IPC: listed with their progress, searched, their original
/// bytes sent raw, deleted; another person's are not found.
#[tokio::test]
async fn documents_are_listed_searched_opened_and_deleted_over_ipc() {
    let world = IpcWorld::start(|_| {}).await;
    let me = world.sign_up("reader@example.com").await;
    let stranger = world.sign_up("stranger@example.org").await;
    let workspaces = me.invoke("workspace_list", json!({})).await.unwrap();
    let ws = workspaces[0]["id"].as_str().unwrap().to_owned();
    // The shell adds files by path (the OS's picker and drops); here, through the core.
    let pdf = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/documents/three-pages.pdf");
    let session = world.docent.auth();
    let user = {
        let login = session
            .login(docent_core::Credentials {
                email: "reader@example.com".into(),
                password: PASSWORD.into(),
            })
            .await
            .unwrap();
        session.authenticate(&login.token).await.unwrap()
    };
    let documents = world.docent.documents();
    let added = documents
        .add_path(&user, ws.parse().unwrap(), &pdf)
        .await
        .unwrap();
    while documents.index_next().await.unwrap() {}

    let list = me
        .invoke("document_list", json!({ "workspaceId": ws }))
        .await
        .unwrap();
    assert_eq!(list[0]["status"], "ready");
    assert_eq!(list[0]["pages"], 3);
    let id = added.id.to_string();
    let hits = me
        .invoke(
            "document_search",
            json!({ "workspaceId": ws, "query": { "q": "fire drills", "limit": 2 } }),
        )
        .await
        .unwrap();
    assert_eq!(hits[0]["page"], 3);
    assert_eq!(hits[0]["document_id"], id.as_str());
    let file = me.invoke_raw("document_file", json!({ "id": id })).await;
    assert_eq!(file, std::fs::read(&pdf).unwrap());
    for command in ["document_get", "document_delete", "document_file"] {
        let refusal = stranger
            .invoke(command, json!({ "id": id }))
            .await
            .unwrap_err();
        assert_eq!(
            (refusal.kind.as_str(), refusal.code.as_str()),
            ("not_found", "not_found")
        );
    }
    let refusal = stranger
        .invoke("document_list", json!({ "workspaceId": ws }))
        .await
        .unwrap_err();
    assert_eq!(refusal.code, "not_found");
    me.invoke("document_delete", json!({ "id": id }))
        .await
        .unwrap();
    let list = me
        .invoke("document_list", json!({ "workspaceId": ws }))
        .await
        .unwrap();
    assert_eq!(list, json!([]));
}
