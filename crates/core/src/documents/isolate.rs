//! Extraction in a process of its own. A document is untrusted input and readers are large:
//! one may panic, loop, recurse or allocate without end on a crafted file. So Docent runs the
//! reader in a child process (the same executable, started with [`EXTRACT_FLAG`]), limited in
//! memory and CPU time (on Unix) and in wall time (everywhere), which hands pages back as JSON
//! lines. Whatever happens to the child, Docent goes on and the document fails with a reason.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader};

use super::extract::{self, Failure, Limits, Page, PageSink};
use crate::domain::documents::DocumentFormat;
use crate::error::ErrorCode;

/// The first argument that makes a Docent executable an extraction process.
pub const EXTRACT_FLAG: &str = "--docent-extract-document";

/// Address space an extraction process may use (a 1,000-page PDF needs about 120 MiB).
const MEMORY_LIMIT_BYTES: u64 = 2 << 30;

/// What the child says, one JSON object per line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Message {
    Total(u32),
    Page(Page),
    Done,
    Failed(Failure),
}

/// Becomes the extraction process when the command line asks for it, and never returns
/// then; otherwise does nothing. Call it first thing in `main`, before anything else starts
/// (threads, logging, a window).
pub fn run_extractor_if_asked() {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(std::ffi::OsStr::new(EXTRACT_FLAG)) {
        return;
    }
    let (Some(format), Some(path), Some(limit), Some(cpu)) =
        (args.next(), args.next(), args.next(), args.next())
    else {
        std::process::exit(2);
    };
    let parse = |raw: OsString| raw.to_str().and_then(|s| s.parse::<u64>().ok());
    let (Some(format), Some(max_text_bytes), Some(cpu_seconds)) = (
        format.to_str().and_then(DocumentFormat::parse),
        parse(limit),
        parse(cpu),
    ) else {
        std::process::exit(2);
    };
    limit_this_process(cpu_seconds);
    let stdout = std::io::stdout();
    let mut sink = Lines(std::io::BufWriter::new(stdout.lock()));
    let last = match extract::extract(
        format,
        Path::new(&path),
        Limits { max_text_bytes },
        &mut sink,
    ) {
        Ok(()) => Message::Done,
        Err(failure) => Message::Failed(failure),
    };
    sink.send(&last);
    use std::io::Write as _;
    let _ = sink.0.flush();
    std::process::exit(0);
}

struct Lines<W: std::io::Write>(W);

impl<W: std::io::Write> Lines<W> {
    fn send(&mut self, message: &Message) {
        let line = serde_json::to_string(message).expect("messages serialize");
        // The parent gone: nothing left to do.
        if writeln!(self.0, "{line}").is_err() {
            std::process::exit(1);
        }
    }
}

impl<W: std::io::Write> PageSink for Lines<W> {
    fn total(&mut self, pages: u32) {
        self.send(&Message::Total(pages));
    }
    fn page(&mut self, page: Page) {
        self.send(&Message::Page(page));
    }
}

#[cfg(unix)]
fn limit_this_process(cpu_seconds: u64) {
    let set = |resource, limit: u64| {
        let limit = libc::rlimit {
            rlim_cur: limit as libc::rlim_t,
            rlim_max: limit as libc::rlim_t,
        };
        // SAFETY: setrlimit only reads the struct it is given; it changes this process alone.
        unsafe { libc::setrlimit(resource, &limit) };
    };
    set(libc::RLIMIT_AS, MEMORY_LIMIT_BYTES);
    set(libc::RLIMIT_CPU, cpu_seconds);
    // A crash must not leave a core file holding the document's text.
    set(libc::RLIMIT_CORE, 0);
}

#[cfg(not(unix))]
fn limit_this_process(_cpu_seconds: u64) {}

/// How to start an extraction process.
#[derive(Debug, Clone)]
pub struct Extractor {
    /// The executable: one that calls [`run_extractor_if_asked`] first.
    pub program: PathBuf,
    /// How long one document may take.
    pub timeout: Duration,
}

/// What the parent hears while a document is read.
pub(crate) trait Progress: Send {
    fn total(&mut self, pages: u32);
    fn page_done(&mut self, page: &Page);
}

impl Extractor {
    /// Reads `path` as `format` in a child process; its pages, in order.
    pub(crate) async fn extract(
        &self,
        format: DocumentFormat,
        path: &Path,
        limits: Limits,
        progress: &mut dyn Progress,
    ) -> Result<Vec<Page>, Failure> {
        let cpu_seconds = self.timeout.as_secs() + 5;
        let mut child = tokio::process::Command::new(&self.program)
            .arg(EXTRACT_FLAG)
            .arg(format.as_str())
            .arg(path)
            .arg(limits.max_text_bytes.to_string())
            .arg(cpu_seconds.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|err| {
                tracing::error!(program = %self.program.display(), %err, "the extraction process could not be started");
                Failure::new(
                    ErrorCode::Internal,
                    "Docent could not start its document reader. Try again; if it keeps failing, reinstall Docent.",
                )
            })?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let errors = tokio::spawn(async move {
            let mut tail = Vec::new();
            let _ = (&mut stderr).take(64 * 1024).read_to_end(&mut tail).await;
            tail
        });
        let read = async {
            let mut lines = BufReader::new(stdout).lines();
            let mut pages = Vec::new();
            while let Ok(Some(line)) = lines.next_line().await {
                match serde_json::from_str::<Message>(&line) {
                    Ok(Message::Total(total)) => progress.total(total),
                    Ok(Message::Page(page)) => {
                        progress.page_done(&page);
                        pages.push(page);
                    }
                    Ok(Message::Done) => return Some(Ok(pages)),
                    Ok(Message::Failed(failure)) => return Some(Err(failure)),
                    Err(_) => return None,
                }
            }
            None
        };
        let outcome = tokio::time::timeout(self.timeout, read).await;
        let _ = child.start_kill();
        let status = child.wait().await.ok();
        match outcome {
            Ok(Some(result)) => result,
            Ok(None) => {
                let tail = errors.await.unwrap_or_default();
                let tail = String::from_utf8_lossy(&tail);
                let tail: String = tail.chars().rev().take(500).collect::<Vec<_>>().into_iter().rev().collect();
                tracing::warn!(?status, stderr = %tail.trim(), "the document reader stopped before it finished");
                Err(Failure::unreadable(
                    "the reader stopped on it: the file is malformed in a way Docent cannot handle",
                ))
            }
            Err(_) => Err(Failure::new(
                ErrorCode::UnreadableDocument,
                format!(
                    "Docent could not read this file within {} seconds, so it stopped. Split it into smaller files, or save it again from its source.",
                    self.timeout.as_secs()
                ),
            )),
        }
    }
}
