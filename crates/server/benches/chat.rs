//! Chat benchmark: `cargo bench -p docent-server --bench chat`.
//!
//! Starts the real `docent-server` binary against a local OpenAI-compatible LLM (the tests'
//! fake, streaming over loopback) and measures: the time to first token the server adds over
//! calling the LLM directly; listing the newest 50 of 10,000 conversations; and a full-text
//! search over 100,000 messages. Prints a Markdown table (kept in docs/benchmarks.md).

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod support;
use support::{ms, percentile, time_to};

const SAMPLES: usize = 60;
const CONVERSATIONS: usize = 10_000;
const MESSAGES_PER_CONVERSATION: usize = 10;
const PASSWORD: &str = "Tangerine-Orbit-Quietly-47";

struct ServerProcess {
    child: Child,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A deterministic word generator, so every run searches the same text.
struct Words(u64);

impl Words {
    fn next(&mut self) -> String {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let n = (self.0 >> 33) % 3000;
        let syllables = [
            "ka", "lo", "mi", "re", "tu", "sen", "dor", "val", "pri", "ne",
        ];
        format!(
            "{}{}{}",
            syllables[(n % 10) as usize],
            syllables[((n / 10) % 10) as usize],
            syllables[((n / 100) % 10) as usize]
        )
    }

    fn sentence(&mut self, words: usize) -> String {
        (0..words)
            .map(|_| self.next())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && a != "chat")
    {
        return;
    }
    let llm = docent_test_support::remote::FakeLlm::start().await;
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let _server = ServerProcess {
        child: Command::new(env!("CARGO_BIN_EXE_docent-server"))
            .args([
                "--data-dir",
                data.path().to_str().unwrap(),
                "--addr",
                &addr.to_string(),
            ])
            .env("DOCENT_LOG", "warn")
            .env("DOCENT_LLM_BASE_URL", &llm.base_url)
            .env("DOCENT_LLM_API_KEY", "bench-key")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start docent-server"),
    };
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client.get(format!("{base}/health")).send().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server not ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let credentials = json!({"email": "bench@example.com", "password": PASSWORD});
    assert_eq!(
        client
            .post(format!("{base}/auth/register"))
            .json(&credentials)
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    let login: Value = client
        .post(format!("{base}/auth/login"))
        .json(&credentials)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["session_token"].as_str().unwrap().to_owned();

    eprintln!("time to first token ...");
    let mut direct = Vec::new();
    let mut via_docent = Vec::new();
    for _ in 0..SAMPLES {
        let started = Instant::now();
        let response = client
            .post(format!("{}/chat/completions", llm.base_url))
            .bearer_auth("bench-key")
            .json(&json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "Hello?"}]}))
            .send()
            .await
            .unwrap();
        direct.push(time_to(response, "\"content\"", started).await);
        let started = Instant::now();
        let response = client
            .post(format!("{base}/chat/message"))
            .bearer_auth(&token)
            .header("accept", "text/event-stream")
            .json(&json!({"message": "Hello?"}))
            .send()
            .await
            .unwrap();
        via_docent.push(time_to(response, "event: delta", started).await);
    }
    direct.sort();
    via_docent.sort();

    eprintln!(
        "seeding {CONVERSATIONS} conversations with {} messages ...",
        CONVERSATIONS * MESSAGES_PER_CONVERSATION
    );
    let me: Value = client
        .get(format!("{base}/auth/validate"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let workspaces: Value = client
        .get(format!("{base}/workspaces"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user_id = me["user_id"].as_str().unwrap().to_owned();
    let workspace_id = workspaces[0]["id"].as_str().unwrap().to_owned();
    let user_id: uuid::Uuid = user_id.parse().unwrap();
    let workspace_id: uuid::Uuid = workspace_id.parse().unwrap();
    let seeding = Instant::now();
    // A second core on the server's data dir (SQLite lets both write): the history goes in
    // through the store, as the server would have written it.
    let seeder = docent_core::Docent::open(docent_core::Settings::with_data_dir(data.path()))
        .await
        .unwrap();
    let mut words = Words(42);
    let start = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
    for c in 0..CONVERSATIONS {
        let at = start + time::Duration::minutes(c as i64);
        let title = words.sentence(4);
        let messages = (0..MESSAGES_PER_CONVERSATION)
            .map(|m| {
                let mut text = words.sentence(24);
                if (c * MESSAGES_PER_CONVERSATION + m).is_multiple_of(200) {
                    text.push_str(" zephyrine");
                }
                text
            })
            .collect();
        seeder
            .testing()
            .seed_conversation(user_id, workspace_id, title, messages, at)
            .await
            .unwrap();
    }
    drop(seeder);
    eprintln!("seeded in {:.1} s", seeding.elapsed().as_secs_f64());

    let timed = |path: String| {
        let client = client.clone();
        let token = token.clone();
        async move {
            let mut times = Vec::new();
            let mut count = 0;
            for _ in 0..SAMPLES {
                let started = Instant::now();
                let response = client.get(&path).bearer_auth(&token).send().await.unwrap();
                assert_eq!(response.status(), 200);
                let entries: Value = response.json().await.unwrap();
                times.push(started.elapsed());
                count = entries.as_array().unwrap().len();
            }
            times.sort();
            (times, count)
        }
    };
    eprintln!("listing and searching ...");
    let (newest, newest_count) = timed(format!("{base}/history?limit=50")).await;
    let (rare, rare_count) = timed(format!("{base}/history?q=zephyrine&limit=50")).await;
    let common_word = Words(42).next();
    let (common, common_count) = timed(format!("{base}/history?q={common_word}&limit=50")).await;
    assert_eq!(newest_count, 50);

    println!("| measure | p50 | p99 |");
    println!("|---|---|---|");
    println!(
        "| time to first token, LLM called directly ({SAMPLES} each) | {} | {} |",
        ms(percentile(&direct, 0.5)),
        ms(percentile(&direct, 0.99))
    );
    println!("| time to first token through `POST /chat/message` (SSE, new conversation, no retrieval) | {} | {} |", ms(percentile(&via_docent, 0.5)), ms(percentile(&via_docent, 0.99)));
    println!(
        "| added by Docent (difference of the p50s) | {} | |",
        ms(percentile(&via_docent, 0.5).saturating_sub(percentile(&direct, 0.5)))
    );
    println!(
        "| `GET /history?limit=50`, newest 50 of {CONVERSATIONS} conversations | {} | {} |",
        ms(percentile(&newest, 0.5)),
        ms(percentile(&newest, 0.99))
    );
    println!(
        "| `GET /history?q=<rare word>` over {} messages ({rare_count} hits shown) | {} | {} |",
        CONVERSATIONS * MESSAGES_PER_CONVERSATION,
        ms(percentile(&rare, 0.5)),
        ms(percentile(&rare, 0.99))
    );
    println!(
        "| `GET /history?q=<common word>` over {} messages ({common_count} hits shown) | {} | {} |",
        CONVERSATIONS * MESSAGES_PER_CONVERSATION,
        ms(percentile(&common, 0.5)),
        ms(percentile(&common, 0.99))
    );
}
