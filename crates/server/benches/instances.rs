//! Instances benchmark (issue 14): `cargo bench -p docent-server --bench instances`.
//!
//! The real `docent-server` binary in three set-ups, one after another in the same run: one
//! instance on SQLite; one on PostgreSQL; two on one PostgreSQL database (sharing a data dir)
//! behind a round-robin TCP balancer of this benchmark (each new connection to the next
//! instance). PostgreSQL is Debian's, in a temp dir, writing as a production server would
//! (`TestPostgres::own_durable`). For each: `GET /auth/validate` throughput and latency at 16
//! keep-alive connections; sign-ins per second from 4 clients; chat turns per second from 8
//! clients (`POST /chat/message`, answered by a local OpenAI-compatible LLM streaming a short
//! reply). The load generator, the LLM, PostgreSQL and the servers share this machine's cores.
//! Prints a Markdown table (kept in docs/benchmarks.md).

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use docent_test_support::postgres::TestPostgres;
use docent_test_support::remote::FakeLlm;
use serde_json::{json, Value};

mod support;
use support::{ms, percentile};

const PASSWORD: &str = "Tangerine-Orbit-Quietly-47";
const WARM_UP: Duration = Duration::from_secs(2);
const MEASURE: Duration = Duration::from_secs(8);

struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Starts docent-server on `data` (and `database`, when given; reached at `public`, when
/// given); waits until it answers.
async fn start(
    data: &Path,
    database: Option<&str>,
    public: Option<SocketAddr>,
    llm: &FakeLlm,
) -> (ServerProcess, SocketAddr) {
    let addr = free_addr();
    let mut command = Command::new(env!("CARGO_BIN_EXE_docent-server"));
    command
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "--addr",
            &addr.to_string(),
        ])
        .env("DOCENT_LOG", "warn")
        .env("DOCENT_LLM_BASE_URL", &llm.base_url)
        .env("DOCENT_LLM_API_KEY", "bench-key")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    if let Some(url) = database {
        command.env("DOCENT_DATABASE_URL", url);
    }
    // Behind the balancer, requests name its address, as they would a reverse proxy's.
    if let Some(public) = public {
        command.env("DOCENT_PUBLIC_URL", format!("http://{public}"));
    }
    let server = ServerProcess(command.spawn().expect("start docent-server"));
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let health = client.get(format!("http://{addr}/health")).send().await;
        if health.is_ok_and(|r| r.status().is_success()) {
            return (server, addr);
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server not ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A TCP balancer on `listener`: each connection goes to the next backend in turn.
fn balancer(listener: tokio::net::TcpListener, backends: Vec<SocketAddr>) {
    let next = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                continue;
            };
            let backend = backends[next.fetch_add(1, Ordering::Relaxed) % backends.len()];
            tokio::spawn(async move {
                inbound.set_nodelay(true).ok();
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(backend).await {
                    outbound.set_nodelay(true).ok();
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
}

/// Registers `email` and signs in: the session token.
async fn account(base: &str, email: &str) -> String {
    let client = reqwest::Client::new();
    let credentials = json!({"email": email, "password": PASSWORD});
    let registered = client
        .post(format!("{base}/auth/register"))
        .json(&credentials)
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let login: Value = client
        .post(format!("{base}/auth/login"))
        .json(&credentials)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["session_token"].as_str().unwrap().to_owned()
}

struct Load {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// `clients` loops, each with its own keep-alive connection, sending what `request` builds
/// (given the loop's number) for WARM_UP + MEASURE; only MEASURE counts. Every answer must
/// be a success.
async fn load<F>(clients: usize, request: F) -> Load
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let start = Instant::now();
    let (measure_from, stop_at) = (start + WARM_UP, start + WARM_UP + MEASURE);
    let tasks: Vec<_> = (0..clients)
        .map(|n| {
            let request = request.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .unwrap();
                let mut latencies = Vec::new();
                loop {
                    let sent = Instant::now();
                    if sent >= stop_at {
                        break latencies;
                    }
                    let response = request(&client, n).send().await.unwrap();
                    let status = response.status();
                    let _ = response.bytes().await.unwrap();
                    assert!(status.is_success(), "{status}");
                    if sent >= measure_from {
                        latencies.push(sent.elapsed());
                    }
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all.sort();
    Load {
        per_second: all.len() as f64 / MEASURE.as_secs_f64(),
        p50: percentile(&all, 0.5),
        p99: percentile(&all, 0.99),
    }
}

/// The three loads against the server (or balancer) at `addr`.
async fn measure(name: &str, addr: SocketAddr) -> String {
    let base = format!("http://{addr}");
    eprintln!("{name}: accounts ...");
    let token = Arc::new(account(&base, &format!("validate-{}@example.com", addr.port())).await);
    let mut signers = Vec::new();
    for n in 0..4 {
        let email = format!("signer{n}-{}@example.com", addr.port());
        account(&base, &email).await;
        signers.push(email);
    }
    let mut askers = Vec::new();
    for n in 0..8 {
        askers.push(account(&base, &format!("asker{n}-{}@example.com", addr.port())).await);
    }

    eprintln!("{name}: validations ...");
    let validate = {
        let (url, token) = (format!("{base}/auth/validate"), token.clone());
        load(16, move |client, _| {
            client.get(&url).bearer_auth(token.as_str())
        })
        .await
    };
    eprintln!("{name}: sign-ins ...");
    let logins = {
        let url = format!("{base}/auth/login");
        let signers = Arc::new(signers);
        load(4, move |client, n| {
            client
                .post(&url)
                .json(&json!({"email": signers[n], "password": PASSWORD}))
        })
        .await
    };
    eprintln!("{name}: chat turns ...");
    let chat = {
        let url = format!("{base}/chat/message");
        let askers = Arc::new(askers);
        load(8, move |client, n| {
            client
                .post(&url)
                .bearer_auth(&askers[n])
                .json(&json!({"message": "What does the retention policy say?"}))
        })
        .await
    };
    format!(
        "| {name} | {:.0} | {} | {} | {:.1} | {} | {:.1} | {} | {} |",
        validate.per_second,
        ms(validate.p50),
        ms(validate.p99),
        logins.per_second,
        ms(logins.p50),
        chat.per_second,
        ms(chat.p50),
        ms(chat.p99),
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && a != "instances")
    {
        return;
    }
    let llm = FakeLlm::start().await;
    let postgres = TestPostgres::own_durable();
    let mut rows = Vec::new();

    {
        let data = tempfile::tempdir().unwrap();
        let (_server, addr) = start(data.path(), None, None, &llm).await;
        rows.push(measure("one instance, SQLite", addr).await);
    }
    {
        let data = tempfile::tempdir().unwrap();
        let url = postgres.fresh_database();
        let (_server, addr) = start(data.path(), Some(&url), None, &llm).await;
        rows.push(measure("one instance, PostgreSQL", addr).await);
    }
    {
        let data = tempfile::tempdir().unwrap();
        let url = postgres.fresh_database();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (_first, a) = start(data.path(), Some(&url), Some(addr), &llm).await;
        let (_second, b) = start(data.path(), Some(&url), Some(addr), &llm).await;
        balancer(listener, vec![a, b]);
        rows.push(measure("two instances, PostgreSQL, one balancer", addr).await);
    }

    println!(
        "| set-up | validations/s (16 connections) | p50 | p99 | sign-ins/s (4 clients) | p50 | chat turns/s (8 clients) | p50 | p99 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        println!("{row}");
    }
}
