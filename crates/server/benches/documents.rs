//! Documents benchmark: `cargo bench -p docent-server --bench documents`.
//!
//! On the real `docent-server` binary and the labelled set of tests/data/retrieval (24 PDFs
//! from Debian's documentation packages, 75 questions with their answer pages):
//!
//! 1. indexing: every PDF uploaded, time until all are ready, in pages per second, beside
//!    poppler's `pdftotext` over the same files in the same run;
//! 2. retrieval quality: each question searched (`GET /workspaces/{id}/search`), recall@5 and
//!    MRR@10, beside a reference BM25 (PyPI `bm25s`, benches/retrieval/reference_bm25.py)
//!    over the same passages;
//! 3. search latency over 100,000 passages (the corpus's passages copied into one workspace;
//!    with `DOCENT_BENCH_LIBRARY=reworded`, the corpus once and then copies whose passages are
//!    each document's words dealt anew, so that no two tie);
//! 4. time to first token with the workspace's documents searched, against a workspace
//!    without documents (what local retrieval adds);
//! 5. peak memory (RSS of the server and its extraction process) while a 1,158-page PDF is
//!    indexed on its own.
//!
//! Prints Markdown (kept in docs/benchmarks.md). Needs poppler-utils, python3 with venv, and
//! the Debian packages listed in tests/data/retrieval/corpus.tsv (scripts/lib.sh installs them).

use std::collections::HashMap;
use std::io::Read as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use docent_core::{Docent, Settings};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

mod support;
use support::{ms, percentile, time_to};

const PASSWORD: &str = "Tangerine-Orbit-Quietly-47";
const TARGET_PASSAGES: usize = 100_000;
const TTFT_SAMPLES: usize = 60;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct ServerProcess {
    child: Child,
    base: String,
    client: reqwest::Client,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    async fn start(data: &Path, llm: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_docent-server"))
            .args([
                "--data-dir",
                data.to_str().unwrap(),
                "--addr",
                &addr.to_string(),
            ])
            .env("DOCENT_LOG", "warn")
            .env("DOCENT_LLM_BASE_URL", llm)
            .env("DOCENT_LLM_API_KEY", "bench-key")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start docent-server");
        let server = Self {
            child,
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
        };
        let started = Instant::now();
        while server
            .client
            .get(server.url("/health"))
            .send()
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "server not ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Registers (once) and signs in; the token.
    async fn token(&self) -> String {
        let credentials = json!({"email": "bench@example.com", "password": PASSWORD});
        let _ = self
            .client
            .post(self.url("/auth/register"))
            .json(&credentials)
            .send()
            .await
            .unwrap();
        let login: Value = self
            .client
            .post(self.url("/auth/login"))
            .json(&credentials)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        login["session_token"].as_str().unwrap().to_owned()
    }

    async fn get(&self, token: &str, path: &str) -> Value {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn workspace(&self, token: &str, name: &str) -> String {
        let created: Value = self
            .client
            .post(self.url("/workspaces"))
            .bearer_auth(token)
            .json(&json!({"name": name, "top_k": 5}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        created["id"].as_str().unwrap().to_owned()
    }

    async fn upload(&self, token: &str, workspace: &str, path: &Path) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let form = Form::new().part(
            "file",
            Part::bytes(std::fs::read(path).unwrap()).file_name(name),
        );
        let response = self
            .client
            .post(self.url(&format!("/workspaces/{workspace}/documents")))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    }

    /// Waits until no document of the workspace is queued or indexing; the documents.
    async fn settled(&self, token: &str, workspace: &str, every: Duration) -> Vec<Value> {
        loop {
            let list = self
                .get(token, &format!("/workspaces/{workspace}/documents"))
                .await;
            let list = list.as_array().unwrap().clone();
            if list
                .iter()
                .all(|d| d["status"] == "ready" || d["status"] == "failed")
            {
                return list;
            }
            tokio::time::sleep(every).await;
        }
    }
}

/// The corpus's PDFs (absolute paths as in corpus.tsv), with their decompressed copies in
/// `scratch` for the `.pdf.gz` ones.
fn corpus(scratch: &Path) -> Vec<(String, PathBuf)> {
    let table = std::fs::read_to_string(root().join("tests/data/retrieval/corpus.tsv")).unwrap();
    table
        .lines()
        .skip(1)
        .filter_map(|line| line.split('\t').next())
        .filter(|p| !p.is_empty())
        .map(|source| {
            let path = Path::new(source);
            assert!(
                path.exists(),
                "{source} is missing: install the packages of corpus.tsv"
            );
            let file = if source.ends_with(".gz") {
                let mut bytes = Vec::new();
                flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
                    .read_to_end(&mut bytes)
                    .unwrap();
                let name = path.file_stem().unwrap();
                let out = scratch.join(name);
                std::fs::write(&out, bytes).unwrap();
                out
            } else {
                path.to_owned()
            };
            (source.to_owned(), file)
        })
        .collect()
}

fn pages_of(pdf: &Path) -> u32 {
    let info = Command::new("pdfinfo")
        .arg(pdf)
        .output()
        .expect("pdfinfo (poppler-utils)");
    String::from_utf8_lossy(&info.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:").map(|n| n.trim().parse().unwrap()))
        .unwrap()
}

/// Resident memory of a process and its children, from /proc (KiB).
fn tree_rss_kib(pid: u32) -> u64 {
    let status = |pid: &str| -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines().find_map(|l| {
                    l.strip_prefix("VmRSS:")
                        .map(|v| v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0))
                })
            })
            .unwrap_or(0)
    };
    let mut total = status(&pid.to_string());
    // Each thread lists the children it started: the extraction process comes from a
    // blocking-pool thread, not the main one.
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for task in tasks.flatten() {
            if let Ok(children) = std::fs::read_to_string(task.path().join("children")) {
                for child in children.split_whitespace() {
                    total += status(child);
                }
            }
        }
    }
    total
}

/// A Python with bm25s for the reference (in target/bench-venv).
fn reference_python() -> PathBuf {
    let venv = root().join("target/bench-venv");
    let python = venv.join("bin/python");
    let ok = Command::new(&python)
        .args(["-c", "import bm25s"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .unwrap()
            .success());
        assert!(Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(root().join("benches/retrieval/requirements.txt"))
            .status()
            .unwrap()
            .success());
    }
    python
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && a != "documents")
    {
        return;
    }
    let llm = docent_test_support::remote::FakeLlm::start().await;
    let scratch = tempfile::tempdir().unwrap();
    let files = corpus(scratch.path());
    let pages: u32 = files.iter().map(|(_, f)| pages_of(f)).sum();
    println!("Corpus: {} PDFs, {pages} pages.\n", files.len());

    // 1. Indexing, beside pdftotext over the same files.
    let started = Instant::now();
    for (_, file) in &files {
        let out = Command::new("pdftotext")
            .arg(file)
            .arg("-")
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(out.success());
    }
    let pdftotext = started.elapsed();
    let data = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(data.path(), &llm.base_url).await;
    let token = server.token().await;
    let corpus_ws = server.workspace(&token, "Corpus").await;
    let started = Instant::now();
    for (_, file) in &files {
        server.upload(&token, &corpus_ws, file).await;
    }
    let documents = server
        .settled(&token, &corpus_ws, Duration::from_millis(20))
        .await;
    let indexing = started.elapsed();
    let failed: Vec<&Value> = documents
        .iter()
        .filter(|d| d["status"] != "ready")
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    let passages: u64 = documents
        .iter()
        .map(|d| d["chunks"].as_u64().unwrap())
        .sum();
    println!("| indexing {pages} pages (24 PDFs) | time | pages/s |");
    println!("|---|---|---|");
    println!(
        "| pdftotext, one file after another | {:.1} s | {:.0} |",
        pdftotext.as_secs_f64(),
        pages as f64 / pdftotext.as_secs_f64()
    );
    println!(
        "| Docent: upload, extraction process, passages, FTS5 index ({passages} passages) | {:.1} s | {:.0} |",
        indexing.as_secs_f64(),
        pages as f64 / indexing.as_secs_f64()
    );
    println!();

    // 2. Retrieval quality.
    let name_to_source: HashMap<String, String> = files
        .iter()
        .map(|(source, file)| {
            (
                file.file_name().unwrap().to_string_lossy().into_owned(),
                source.clone(),
            )
        })
        .collect();
    let questions: Vec<Value> =
        std::fs::read_to_string(root().join("tests/data/retrieval/questions.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    let mut results = String::new();
    let mut search_times = Vec::new();
    for question in &questions {
        let q = question["question"].as_str().unwrap();
        let url = reqwest::Url::parse_with_params(
            &server.url(&format!("/workspaces/{corpus_ws}/search")),
            &[("q", q), ("limit", "10")],
        )
        .unwrap();
        let t = Instant::now();
        let hits: Value = server
            .client
            .get(url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        search_times.push(t.elapsed());
        let hits: Vec<Value> = hits
            .as_array()
            .unwrap()
            .iter()
            .map(|h| json!({"document": name_to_source[h["name"].as_str().unwrap()], "page": h["page"]}))
            .collect();
        results += &format!("{}\n", json!({"id": question["id"], "hits": hits}));
    }
    drop(server);

    // The same passages for the reference, read through the store.
    let mut settings = Settings::with_data_dir(data.path());
    settings.documents.extractor_program = Some(env!("CARGO_BIN_EXE_docent-server").into());
    let docent = Docent::open(settings.clone()).await.unwrap();
    let workspace = corpus_ws.parse().unwrap();
    let chunks = docent
        .testing()
        .passages_of_workspace(workspace)
        .await
        .unwrap();
    let mut chunks_jsonl = String::new();
    for (n, (name, page, text)) in chunks.iter().enumerate() {
        chunks_jsonl += &format!(
            "{}\n",
            json!({"chunk_id": format!("p{n}"), "document": name_to_source[name], "page": page, "text": text})
        );
    }
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("chunks.jsonl"), chunks_jsonl).unwrap();
    std::fs::write(work.path().join("ours.jsonl"), results).unwrap();
    let reference = Command::new(reference_python())
        .arg(root().join("benches/retrieval/reference_bm25.py"))
        .arg("--chunks")
        .arg(work.path().join("chunks.jsonl"))
        .arg("--questions")
        .arg(root().join("tests/data/retrieval/questions.jsonl"))
        .arg("--results")
        .arg(work.path().join("ours.jsonl"))
        .output()
        .unwrap();
    assert!(
        reference.status.success(),
        "{}",
        String::from_utf8_lossy(&reference.stderr)
    );
    println!(
        "Retrieval quality ({} questions, {} passages):\n",
        questions.len(),
        chunks.len()
    );
    println!("{}", String::from_utf8_lossy(&reference.stdout));

    // 3. Search over 100,000 passages.
    let big: uuid::Uuid = {
        let user = docent
            .auth()
            .login(docent_core::Credentials {
                email: "bench@example.com".into(),
                password: PASSWORD.into(),
            })
            .await
            .unwrap();
        let user = docent.auth().authenticate(&user.token).await.unwrap();
        docent
            .chat()
            .create_workspace(
                &user,
                serde_json::from_value(json!({"name": "Big", "top_k": 5})).unwrap(),
            )
            .await
            .unwrap()
            .id
    };
    let copies = TARGET_PASSAGES.div_ceil(chunks.len());
    // DOCENT_BENCH_LIBRARY=reworded: the corpus once, then reworded copies (no two passages
    // alike, so no ties at the tenth result); by default, identical copies.
    let reworded = std::env::var("DOCENT_BENCH_LIBRARY").is_ok_and(|v| v == "reworded");
    let written = if reworded {
        docent
            .testing()
            .copy_passages(workspace, big, 1, false)
            .await
            .unwrap()
            + docent
                .testing()
                .copy_passages(workspace, big, copies - 1, true)
                .await
                .unwrap()
    } else {
        docent
            .testing()
            .copy_passages(workspace, big, copies, false)
            .await
            .unwrap()
    };
    // As the server's indexer does once the queue is empty (copies skip the queue).
    docent.documents().compact_index().await.unwrap();
    let library = if reworded {
        format!(
            "the corpus and {} reworded copies of it in one workspace (2 rounds)",
            copies - 1
        )
    } else {
        format!("{copies} copies of it in one workspace (2 rounds)")
    };
    drop(docent);
    let server = ServerProcess::start(data.path(), &llm.base_url).await;
    let token = server.token().await;
    let mut times = Vec::new();
    for round in 0..3 {
        for question in &questions {
            let url = reqwest::Url::parse_with_params(
                &server.url(&format!("/workspaces/{big}/search")),
                &[
                    ("q", question["question"].as_str().unwrap()),
                    ("limit", "10"),
                ],
            )
            .unwrap();
            let t = Instant::now();
            let response = server
                .client
                .get(url)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.bytes().await.unwrap();
            if round > 0 {
                times.push(t.elapsed());
            }
        }
    }
    times.sort();
    search_times.sort();
    println!("| search, `GET /workspaces/{{id}}/search?limit=10`, the 75 questions | passages | p50 | p99 | max |");
    println!("|---|---|---|---|---|");
    println!(
        "| the corpus | {} | {} | {} | {} |",
        chunks.len(),
        ms(percentile(&search_times, 0.5)),
        ms(percentile(&search_times, 0.99)),
        ms(*search_times.last().unwrap())
    );
    println!(
        "| {library} | {written} | {} | {} | {} |",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().unwrap())
    );
    println!();

    // DOCENT_BENCH_KEEP_DATA=1 keeps the data dir of the 100,000-passage library, to profile.
    if std::env::var_os("DOCENT_BENCH_KEEP_DATA").is_some() {
        drop(server);
        println!(
            "(data dir kept: {}, workspace {big})\n",
            data.keep().display()
        );
        return;
    }

    // 4. Time to first token, with and without local retrieval, alternating.
    let plain = server.workspace(&token, "Plain").await;
    let mut with_documents = Vec::new();
    let mut without = Vec::new();
    for n in 0..TTFT_SAMPLES * 2 {
        let question = questions[n % questions.len()]["question"].as_str().unwrap();
        let workspace = if n % 2 == 0 {
            big.to_string()
        } else {
            plain.clone()
        };
        let started = Instant::now();
        let response = server
            .client
            .post(server.url("/chat/message"))
            .bearer_auth(&token)
            .header("accept", "text/event-stream")
            .json(&json!({"message": question, "workspace_id": workspace}))
            .send()
            .await
            .unwrap();
        let elapsed = time_to(response, "event: delta", started).await;
        if n % 2 == 0 {
            with_documents.push(elapsed);
        } else {
            without.push(elapsed);
        }
    }
    with_documents.sort();
    without.sort();
    let added = percentile(&with_documents, 0.5).saturating_sub(percentile(&without, 0.5));
    println!("| time to first token, `POST /chat/message` (SSE), {TTFT_SAMPLES} each, alternating | p50 | p99 |");
    println!("|---|---|---|");
    println!(
        "| workspace without documents | {} | {} |",
        ms(percentile(&without, 0.5)),
        ms(percentile(&without, 0.99))
    );
    println!(
        "| workspace with {written} passages searched | {} | {} |",
        ms(percentile(&with_documents, 0.5)),
        ms(percentile(&with_documents, 0.99))
    );
    println!(
        "| added by local retrieval (difference of the p50s) | {} | |",
        ms(added)
    );
    println!();
    drop(server);

    // 5. Peak memory while the largest PDF is indexed alone.
    let largest = files
        .iter()
        .max_by_key(|(_, f)| pages_of(f))
        .map(|(_, f)| f.clone())
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(data.path(), &llm.base_url).await;
    let token = server.token().await;
    let ws = server.workspace(&token, "Large").await;
    let pid = server.child.id();
    let idle = tree_rss_kib(pid);
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(idle));
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                peak.fetch_max(tree_rss_kib(pid), std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let started = Instant::now();
    server.upload(&token, &ws, &largest).await;
    let documents = server.settled(&token, &ws, Duration::from_millis(20)).await;
    let took = started.elapsed();
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    sampler.join().unwrap();
    let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
    println!("| {} ({} pages) indexed alone | time | pages/s | RSS idle | peak RSS (server + extraction process) |", largest.file_name().unwrap().to_string_lossy(), documents[0]["pages"]);
    println!("|---|---|---|---|---|");
    println!(
        "| | {:.1} s | {:.0} | {} MiB | {} MiB |",
        took.as_secs_f64(),
        documents[0]["pages"].as_f64().unwrap() / took.as_secs_f64(),
        idle / 1024,
        peak / 1024
    );
}
