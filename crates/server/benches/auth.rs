//! Authentication benchmark: `cargo bench -p docent-server --bench auth`.
//!
//! Starts the real `docent-server` binary on a fresh data dir and measures, over loopback:
//! `GET /auth/validate` throughput and latency at 16 concurrent keep-alive connections, alone
//! and while logins run; login latency against one bare argon2id hash; and unknown-email
//! against wrong-password login latency. Prints a Markdown report (kept in docs/benchmarks.md).
//! The load generator shares the machine with the server, as a local client would.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{header, Method, Request};
use hyper_util::rt::TokioIo;
use mailparse::MailHeaderMap as _;
use tokio::net::TcpStream;

const CONNECTIONS: usize = 16;
const WARM_UP: Duration = Duration::from_secs(2);
const MEASURE: Duration = Duration::from_secs(10);
const LOGIN_SAMPLES: usize = 30;
const PASSWORD: &str = "Tangerine-Orbit-Quietly-47";

struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    data: tempfile::TempDir,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> ServerProcess {
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_docent-server"))
        .args([
            "--data-dir",
            data.path().to_str().unwrap(),
            "--addr",
            &addr.to_string(),
        ])
        .env("DOCENT_LOG", "warn")
        .env("DOCENT_MAIL_TRANSPORT", "file")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start docent-server");
    ServerProcess { child, addr, data }
}

async fn connect(addr: SocketAddr) -> SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    sender
}

async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    addr: SocketAddr,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> (u16, Bytes) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, addr.to_string());
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = request
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .unwrap();
    sender.ready().await.unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body)
}

fn credentials(email: &str, password: &str) -> String {
    serde_json::json!({ "email": email, "password": password }).to_string()
}

async fn post_credentials(
    sender: &mut SendRequest<Full<Bytes>>,
    addr: SocketAddr,
    path: &str,
    email: &str,
    password: &str,
) -> (u16, Bytes) {
    let body = Some(credentials(email, password));
    send(sender, addr, Method::POST, path, None, body).await
}

async fn wait_ready(addr: SocketAddr) {
    let started = Instant::now();
    loop {
        if let Ok(stream) = TcpStream::connect(addr).await {
            drop(stream);
            let mut sender = connect(addr).await;
            if send(&mut sender, addr, Method::GET, "/health", None, None)
                .await
                .0
                == 200
            {
                return;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server not ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The token of the confirmation email the file transport wrote for `email`, once it is there.
async fn confirmation_token(mail_dir: &Path, email: &str) -> String {
    let started = Instant::now();
    loop {
        let found = std::fs::read_dir(mail_dir)
            .into_iter()
            .flatten()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "eml"))
            .filter_map(|path| std::fs::read(path).ok())
            .filter_map(|raw| {
                let parsed = mailparse::parse_mail(&raw).ok()?;
                let to = parsed.headers.get_first_value("To")?;
                let text = parsed.subparts.first()?.get_body().ok()?;
                (to.contains(email)).then_some(text)
            })
            .find_map(|text| {
                let link = text.split("/verify-email?token=").nth(1)?;
                Some(link.split_whitespace().next()?.to_owned())
            });
        if let Some(token) = found {
            return token;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no confirmation email for {email}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Registers `email`, confirms its address with the emailed link and the password (a password
/// sign-in waits for that where email is set up), then signs in; the session token.
async fn register_and_login(server: &ServerProcess, email: &str) -> String {
    let addr = server.addr;
    let mut sender = connect(addr).await;
    let (status, _) = post_credentials(&mut sender, addr, "/auth/register", email, PASSWORD).await;
    assert_eq!(status, 201);
    let token = confirmation_token(&server.data.path().join("mail"), email).await;
    let body = serde_json::json!({ "token": token, "password": PASSWORD }).to_string();
    let (status, _) = send(
        &mut sender,
        addr,
        Method::POST,
        "/auth/verify-email",
        None,
        Some(body),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = post_credentials(&mut sender, addr, "/auth/login", email, PASSWORD).await;
    assert_eq!(status, 200);
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    body["session_token"].as_str().unwrap().to_owned()
}

struct LoadResult {
    requests: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

/// Runs CONNECTIONS loops of validations for WARM_UP + MEASURE; counts only MEASURE.
async fn validation_load(addr: SocketAddr, token: Arc<String>) -> LoadResult {
    let start = Instant::now();
    let measure_from = start + WARM_UP;
    let stop_at = measure_from + MEASURE;
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let mut sender = connect(addr).await;
            let mut latencies = Vec::with_capacity(100_000);
            loop {
                let sent = Instant::now();
                if sent >= stop_at {
                    break;
                }
                let (status, _) = send(
                    &mut sender,
                    addr,
                    Method::GET,
                    "/auth/validate",
                    Some(&token),
                    None,
                )
                .await;
                assert_eq!(status, 200);
                if sent >= measure_from {
                    latencies.push(sent.elapsed());
                }
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all.sort();
    LoadResult {
        requests: all.len(),
        per_second: all.len() as f64 / MEASURE.as_secs_f64(),
        p50: percentile(&all, 0.50),
        p99: percentile(&all, 0.99),
        max: *all.last().unwrap(),
    }
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; a filter argument that is not ours means "not me".
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && a != "auth")
    {
        return;
    }
    let server = start_server();
    let addr = server.addr;
    wait_ready(addr).await;
    let token = Arc::new(register_and_login(&server, "bench@example.com").await);

    eprintln!("validations alone ...");
    let alone = validation_load(addr, token.clone()).await;

    eprintln!("validations while logins run ...");
    let logins = Arc::new(AtomicU64::new(0));
    let running = Arc::new(AtomicBool::new(true));
    let mut login_tasks = Vec::new();
    for worker in 0..2 {
        let email = format!("login{worker}@example.com");
        register_and_login(&server, &email).await;
        let (logins, running) = (logins.clone(), running.clone());
        login_tasks.push(tokio::spawn(async move {
            let mut sender = connect(addr).await;
            while running.load(Ordering::Relaxed) {
                let (status, _) =
                    post_credentials(&mut sender, addr, "/auth/login", &email, PASSWORD).await;
                assert_eq!(status, 200);
                logins.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let logins_before = logins.load(Ordering::Relaxed);
    let mixed = validation_load(addr, token.clone()).await;
    let logins_during = logins.load(Ordering::Relaxed) - logins_before;
    running.store(false, Ordering::Relaxed);
    for task in login_tasks {
        task.await.unwrap();
    }

    eprintln!("login latency against one bare hash ...");
    let mut sender = connect(addr).await;
    let mut login_times = Vec::new();
    for _ in 0..LOGIN_SAMPLES {
        let started = Instant::now();
        let (status, _) = post_credentials(
            &mut sender,
            addr,
            "/auth/login",
            "bench@example.com",
            PASSWORD,
        )
        .await;
        assert_eq!(status, 200);
        login_times.push(started.elapsed());
    }
    login_times.sort();
    let mut hash_times = Vec::new();
    for _ in 0..LOGIN_SAMPLES {
        let started = Instant::now();
        docent_core::auth::hash_password_blocking(PASSWORD).unwrap();
        hash_times.push(started.elapsed());
    }
    hash_times.sort();

    eprintln!("unknown email against wrong password ...");
    let mut unknown_times = Vec::new();
    let mut wrong_times = Vec::new();
    for account in 0..(LOGIN_SAMPLES / 4 + 1) {
        let email = format!("wrong{account}@example.com");
        register_and_login(&server, &email).await;
        for attempt in 0..4 {
            let started = Instant::now();
            let (status, _) = post_credentials(
                &mut sender,
                addr,
                "/auth/login",
                &email,
                "Not-The-Right-Passphrase-1",
            )
            .await;
            assert_eq!(status, 401);
            wrong_times.push(started.elapsed());
            let unknown = format!("nobody{account}x{attempt}@example.com");
            let started = Instant::now();
            let (status, _) =
                post_credentials(&mut sender, addr, "/auth/login", &unknown, PASSWORD).await;
            assert_eq!(status, 401);
            unknown_times.push(started.elapsed());
        }
    }
    unknown_times.sort();
    wrong_times.sort();

    eprintln!("password-reset requests: known against unknown email ...");
    let mut reset_known = Vec::new();
    let mut reset_unknown = Vec::new();
    for sample in 0..LOGIN_SAMPLES {
        let known = format!("reset{sample}@example.com");
        register_and_login(&server, &known).await;
        let unknown = format!("noreset{sample}@example.com");
        // Alternate the order, and let the outbox worker finish the previous email (it writes
        // and checkpoints), so each request is timed on a quiet database.
        let mut pair = [(known, true), (unknown, false)];
        if sample % 2 == 1 {
            pair.reverse();
        }
        for (email, is_known) in pair {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let body = Some(serde_json::json!({ "email": email }).to_string());
            let started = Instant::now();
            let (status, _) = send(
                &mut sender,
                addr,
                Method::POST,
                "/auth/reset-request",
                None,
                body,
            )
            .await;
            assert_eq!(status, 202);
            if is_known {
                &mut reset_known
            } else {
                &mut reset_unknown
            }
            .push(started.elapsed());
        }
    }
    reset_known.sort();
    reset_unknown.sort();

    let login_p50 = percentile(&login_times, 0.5);
    let hash_p50 = percentile(&hash_times, 0.5);
    println!("| measure | result |");
    println!("|---|---|");
    println!(
        "| `GET /auth/validate`, 16 connections, alone | {:.0}/s ({} requests in {} s), p50 {}, p99 {}, max {} |",
        alone.per_second, alone.requests, MEASURE.as_secs(), ms(alone.p50), ms(alone.p99), ms(alone.max)
    );
    println!(
        "| the same while 2 clients log in without pause | {:.0}/s, p50 {}, p99 {}, max {}; {:.1} logins/s |",
        mixed.per_second, ms(mixed.p50), ms(mixed.p99), ms(mixed.max),
        logins_during as f64 / MEASURE.as_secs_f64()
    );
    println!(
        "| login p50 / one bare argon2id hash p50 ({LOGIN_SAMPLES} each) | {} / {} = {:.3} |",
        ms(login_p50),
        ms(hash_p50),
        login_p50.as_secs_f64() / hash_p50.as_secs_f64()
    );
    println!(
        "| failed login p50: unknown email / wrong password ({} each) | {} / {} |",
        unknown_times.len(),
        ms(percentile(&unknown_times, 0.5)),
        ms(percentile(&wrong_times, 0.5))
    );
    println!(
        "| `POST /auth/reset-request` p50: known email / unknown email ({LOGIN_SAMPLES} each) | {} / {} |",
        ms(percentile(&reset_known, 0.5)),
        ms(percentile(&reset_unknown, 0.5))
    );
    drop(server);
}
