//! The real `docent-server` executable as a black box: started with `DOCENT_*` variables on a
//! loopback port, spoken to over HTTP, its log read from the file it writes to.
//!
//! `DOCENT_SERVER_UNDER_TEST` names another build to run instead (an older one, to show that a
//! test fails there).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The executable under test.
pub fn server_binary() -> PathBuf {
    std::env::var_os("DOCENT_SERVER_UNDER_TEST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_docent-server")))
}

/// `docent-server` with no `DOCENT_*` variable of the test's own environment.
pub fn command() -> Command {
    let mut command = Command::new(server_binary());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("DOCENT_") {
            command.env_remove(name);
        }
    }
    command.env("NO_COLOR", "1");
    command
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running server process.
pub struct Process {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    log: PathBuf,
}

impl Process {
    /// Starts the server on `data_dir`, listening on `127.0.0.1` with `env` set, and waits
    /// until `/health` answers.
    pub async fn start(data_dir: &Path, env: &[(&str, String)]) -> Self {
        let port = free_port();
        Self::start_at(data_dir, &format!("127.0.0.1:{port}"), port, env)
            .await
            .unwrap_or_else(|log| panic!("docent-server did not start:\n{log}"))
    }

    /// Starts the server listening on `addr` (whose port is `port`); the log when it exits
    /// instead of answering.
    pub async fn start_at(
        data_dir: &Path,
        addr: &str,
        port: u16,
        env: &[(&str, String)],
    ) -> Result<Self, String> {
        let log = data_dir.with_extension(format!("{port}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let mut child = command()
            .args(["--data-dir", data_dir.to_str().unwrap(), "--addr", addr])
            .args(["--ui-dir", "/nonexistent-ui"])
            .envs(env.iter().map(|(name, value)| (name, value)))
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(format!("exited with {status}:\n{log}"));
            }
            let health = client
                .get(format!("{url}/health"))
                .header("Host", format!("127.0.0.1:{port}"))
                .send()
                .await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return Ok(Self { child, url, log });
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "docent-server did not answer /health within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Everything the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// A POST with a JSON body, as the web UI sends it (with its Origin), from `client`.
    pub async fn post(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: &Value,
    ) -> reqwest::Response {
        client
            .post(self.at(path))
            .header("Origin", &self.url)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// A request with a bearer token.
    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(self.at(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// A JSON request with a bearer token.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> reqwest::Response {
        reqwest::Client::new()
            .request(method, self.at(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Stops the server (SIGTERM) and waits for it.
    pub fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        // SAFETY: a signal to our own child process.
        unsafe { kill(self.child.id() as i32, 15) };
        let started = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(10) {
                let _ = self.child.kill();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.terminate();
        }
    }
}

/// A client whose connections come from `source` (any 127.x.y.z is this machine on Linux),
/// so one test can be several clients.
pub fn client_from(source: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(source.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

extern "C" {
    fn kill(pid: i32, signal: i32) -> i32;
}
