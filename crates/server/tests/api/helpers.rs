use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use docent_core::{Docent, ManualClock, Settings};
use docent_server::Server;
use serde_json::{json, Value};
use tokio::sync::oneshot;

/// A password that passes the policy.
pub const PASSWORD: &str = "Tangerine-Orbit-Quietly-47";

/// Everything the tests log, captured so a test can search it for secrets.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        // The most verbose level for Docent's own crates, debug for the libraries under them.
        // The tests' HTTP client (reqwest and its cookie store) plays the browser: it is not
        // the server, and its debug lines echo the cookies it receives, so it is left out.
        tracing_subscriber::fmt()
            .with_env_filter(
                "debug,docent_core=trace,docent_server=trace,reqwest=off,cookie_store=off",
            )
            .with_ansi(false)
            .with_writer(move || BufferWriter(writer.clone()))
            .init();
        buffer
    })
}

struct BufferWriter(Arc<Mutex<Vec<u8>>>);

impl Write for BufferWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A running server on a fresh data dir.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    /// A client with a cookie store, like a browser.
    pub client: reqwest::Client,
    pub clock: ManualClock,
    pub docent: Docent,
    pub data_dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// Starts a server with default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server with settings adjusted by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    spawn_app_in(data_dir, configure).await
}

/// Starts a server on an existing data dir (to restart over the same data).
pub async fn spawn_app_in(
    data_dir: tempfile::TempDir,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    spawn_app_serving(data_dir, Path::new("/nonexistent-ui"), configure).await
}

/// Starts a server on an existing data dir that serves the web UI in `ui_dir`.
pub async fn spawn_app_serving(
    data_dir: tempfile::TempDir,
    ui_dir: &Path,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    log_buffer();
    // Bind first, so the core knows the real address (emailed links are built from it).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut settings = Settings::with_data_dir(data_dir.path());
    settings.local_url = format!("http://{}", listener.local_addr().unwrap());
    // Documents are read by the server's own executable, as in production.
    settings.documents.extractor_program = Some(env!("CARGO_BIN_EXE_docent-server").into());
    settings.database_url = test_database(data_dir.path());
    configure(&mut settings);
    let clock = ManualClock::starting_now();
    let docent = Docent::open_with_clock(settings, Arc::new(clock.clone()))
        .await
        .unwrap();
    let server = Server::on(listener, docent.clone(), Some(ui_dir)).unwrap();
    let port = server.local_addr().port();
    let (shutdown, stop) = oneshot::channel::<()>();
    let server = tokio::spawn(server.run_until(async {
        let _ = stop.await;
    }));
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        clock,
        docent,
        data_dir,
        shutdown: Some(shutdown),
        server: Some(server),
    }
}

/// With `DOCENT_TEST_STORE=postgres`, the suite runs on PostgreSQL (scripts/test runs it both
/// ways): each data dir gets a fresh database on the test process's server, kept with the dir
/// (a restart over the same dir finds the same data).
pub fn test_database(data_dir: &Path) -> Option<docent_core::config::SecretSetting> {
    if std::env::var("DOCENT_TEST_STORE").ok()? != "postgres" {
        return None;
    }
    let kept = data_dir.join("test-database-url");
    let url = std::fs::read_to_string(&kept).unwrap_or_else(|_| {
        let url = docent_test_support::postgres::TestPostgres::shared().fresh_database();
        std::fs::write(&kept, &url).unwrap();
        url
    });
    Some(url.parse().unwrap())
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Stops the server gracefully and hands back its data dir.
    pub async fn stop(mut self) -> tempfile::TempDir {
        self.shutdown.take().unwrap().send(()).unwrap();
        self.server.take().unwrap().await.unwrap().unwrap();
        std::mem::replace(&mut self.data_dir, tempfile::tempdir().unwrap())
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("Origin", &self.address)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn register(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/auth/register",
            &json!({ "email": email, "password": password }),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/auth/login",
            &json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Signs in; returns the new session's token.
    pub async fn session_token(&self, email: &str, password: &str) -> String {
        let response = self.login(email, password).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["session_token"].as_str().unwrap().to_owned()
    }

    /// Registers and signs in; returns the session token.
    pub async fn signed_up(&self, email: &str) -> String {
        assert_eq!(self.register(email, PASSWORD).await.status(), 201);
        self.session_token(email, PASSWORD).await
    }

    pub async fn validate(&self, token: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(self.url("/auth/validate"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// `GET /auth/validate` with whatever session cookie the client holds.
    pub async fn validate_with_cookie(&self) -> reqwest::Response {
        self.client
            .get(self.url("/auth/validate"))
            .send()
            .await
            .unwrap()
    }

    pub async fn post_bearer(&self, path: &str, token: &str) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// The error kind that goes with an HTTP status, over HTTP as over IPC.
pub fn kind_of_status(status: u16) -> &'static str {
    match status {
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        429 => "rate_limited",
        500 => "internal",
        502..=504 => "unavailable",
        _ => "invalid",
    }
}

/// Asserts an error response: status, code, and a sentence.
pub async fn assert_error(response: reqwest::Response, status: u16, code: &str) -> String {
    assert_eq!(response.status().as_u16(), status, "status for {code}");
    let body: Value = response.json().await.expect("a JSON error body");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["error"]["kind"], kind_of_status(status), "{body}");
    let message = body["error"]["message"].as_str().unwrap().to_owned();
    assert!(
        message.len() > 10 && message.ends_with('.'),
        "a sentence: {message:?}"
    );
    message
}
