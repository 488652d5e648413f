//! Compares PDF text extraction libraries with poppler's `pdftotext` on real PDFs.
//!
//! Each library runs on each PDF in a child process of this program (so a panic, a hang or
//! runaway memory stays there, and its peak memory is its own), which prints the pages' text
//! as JSON. For each library and PDF: word F1 against `pdftotext` over the whole document,
//! the share of pages whose own words match `pdftotext`'s page (F1 >= 0.8: the page is right,
//! which citations need), the time, and the peak RSS. Prints a Markdown table.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LIBRARIES: &[&str] = &["pdf_oxide", "pdf-extract", "lopdf"];
const TIMEOUT: Duration = Duration::from_secs(180);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        child(&args[2], Path::new(&args[3]));
        return;
    }
    let pdfs: Vec<PathBuf> = if args.len() > 1 {
        args[1..].iter().map(PathBuf::from).collect()
    } else {
        corpus()
    };
    let scratch = std::env::temp_dir().join(format!("pdf-extraction-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let mut totals: HashMap<&str, Totals> = HashMap::new();
    println!("| PDF | pages | pdftotext | {} |", LIBRARIES.join(" | "));
    println!("|---|---|---|{}", "---|".repeat(LIBRARIES.len()));
    for (n, source) in pdfs.iter().enumerate() {
        let pdf = plain(source, &scratch, n);
        let started = Instant::now();
        let (reference, reference_rss) = pdftotext(&pdf);
        let reference_time = started.elapsed();
        let pages = reference.len();
        let entry = totals.entry("pdftotext").or_default();
        entry.add_ok(pages, reference_time, reference_rss, 1.0, 1.0);
        let mut row = format!(
            "| {} | {pages} | {:.0} p/s |",
            source.file_name().unwrap().to_string_lossy(),
            pages as f64 / reference_time.as_secs_f64()
        );
        for library in LIBRARIES {
            let totals = totals.entry(library).or_default();
            match run_child(library, &pdf) {
                Ok((texts, time, rss_kib)) => {
                    let whole = f1(&words(&reference.concat()), &words(&texts.concat()));
                    let aligned = if texts.len() == pages {
                        let good = reference
                            .iter()
                            .zip(&texts)
                            .filter(|(a, b)| {
                                let (a, b) = (words(a), words(b));
                                (a.is_empty() && b.is_empty()) || f1(&a, &b) >= 0.8
                            })
                            .count();
                        good as f64 / pages.max(1) as f64
                    } else {
                        0.0
                    };
                    totals.add_ok(pages, time, rss_kib, whole, aligned);
                    row += &format!(
                        " F1 {whole:.3}, pages {:.0}%, {:.0} p/s, {} MiB |",
                        aligned * 100.0,
                        pages as f64 / time.as_secs_f64(),
                        rss_kib / 1024
                    );
                }
                Err(why) => {
                    totals.failed += 1;
                    row += &format!(" **{why}** |");
                }
            }
        }
        println!("{row}");
    }
    println!();
    println!("| extractor | PDFs read | failed | mean word F1 | pages right (F1 >= 0.8) | pages/s (all pages / all time) | peak RSS, largest |");
    println!("|---|---|---|---|---|---|---|");
    for name in std::iter::once("pdftotext").chain(LIBRARIES.iter().copied()) {
        let t = &totals[name];
        println!(
            "| {name} | {} | {} | {:.3} | {:.1}% | {:.0} | {} MiB |",
            t.ok,
            t.failed,
            t.f1_sum / t.ok.max(1) as f64,
            t.aligned_sum / t.ok.max(1) as f64 * 100.0,
            t.pages as f64 / t.time.as_secs_f64(),
            t.peak_kib / 1024
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
}

#[derive(Default)]
struct Totals {
    ok: usize,
    failed: usize,
    pages: usize,
    time: Duration,
    peak_kib: u64,
    f1_sum: f64,
    aligned_sum: f64,
}

impl Totals {
    fn add_ok(&mut self, pages: usize, time: Duration, kib: u64, f1: f64, aligned: f64) {
        self.ok += 1;
        self.pages += pages;
        self.time += time;
        self.peak_kib = self.peak_kib.max(kib);
        self.f1_sum += f1;
        self.aligned_sum += aligned;
    }
}

/// The PDFs of the labelled retrieval set.
fn corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/retrieval/corpus.tsv");
    std::fs::read_to_string(&root)
        .unwrap_or_else(|err| panic!("{}: {err}", root.display()))
        .lines()
        .skip(1)
        .filter_map(|line| line.split('\t').next())
        .filter(|path| !path.is_empty())
        .map(PathBuf::from)
        .collect()
}

/// The PDF itself, or for a `.pdf.gz` its decompressed copy in `scratch`.
fn plain(source: &Path, scratch: &Path, n: usize) -> PathBuf {
    if source.extension().is_some_and(|e| e == "gz") {
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(source).unwrap())
            .read_to_end(&mut bytes)
            .unwrap();
        let out = scratch.join(format!("{n}.pdf"));
        std::fs::write(&out, bytes).unwrap();
        out
    } else {
        source.to_owned()
    }
}

/// pdftotext's pages (it ends each page with a form feed), and its own peak RSS (KiB).
// The child is reaped by wait4, which also gives its resource usage.
#[allow(clippy::zombie_processes)]
fn pdftotext(pdf: &Path) -> (Vec<String>, u64) {
    let mut child = Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .stdout(Stdio::piped())
        .spawn()
        .expect("pdftotext (poppler-utils) is installed");
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 reaps this child (not waited for otherwise) and fills the struct given.
    unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(status, 0, "pdftotext failed on {}", pdf.display());
    let text = String::from_utf8_lossy(&out);
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    (pages, usage.ru_maxrss as u64)
}

/// Runs one library on one PDF in a child: its pages, the wall time, its peak RSS.
fn run_child(library: &str, pdf: &Path) -> Result<(Vec<String>, Duration, u64), String> {
    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--child", library])
        .arg(pdf)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).map(|_| out)
    });
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let time = started.elapsed();
            let out = reader.join().unwrap().map_err(|e| e.to_string())?;
            let value: serde_json::Value =
                serde_json::from_slice(&out).map_err(|_| format!("crashed ({status})"))?;
            if let Some(error) = value["error"].as_str() {
                return Err(format!(
                    "error: {}",
                    error.chars().take(60).collect::<String>()
                ));
            }
            let pages = value["pages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_owned())
                .collect();
            return Ok((pages, time, value["max_rss_kib"].as_u64().unwrap()));
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("timed out after {}s", TIMEOUT.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// In the child: extracts every page with `library`, prints `{pages, max_rss_kib}` or
/// `{error}`.
fn child(library: &str, pdf: &Path) {
    let pages: Result<Vec<String>, String> = match library {
        "pdf_oxide" => (|| {
            let doc = pdf_oxide::PdfDocument::open(pdf).map_err(|e| e.to_string())?;
            let count = doc.page_count().map_err(|e| e.to_string())?;
            (0..count)
                .map(|i| doc.extract_text(i).map_err(|e| e.to_string()))
                .collect()
        })(),
        "pdf-extract" => pdf_extract::extract_text_by_pages(pdf).map_err(|e| e.to_string()),
        "lopdf" => (|| {
            let doc = lopdf::Document::load(pdf).map_err(|e| e.to_string())?;
            doc.get_pages()
                .keys()
                .map(|n| doc.extract_text(&[*n]).map_err(|e| e.to_string()))
                .collect()
        })(),
        other => Err(format!("unknown library {other}")),
    };
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let value = match pages {
        Ok(pages) => serde_json::json!({"pages": pages, "max_rss_kib": usage.ru_maxrss}),
        Err(error) => serde_json::json!({ "error": error }),
    };
    println!("{value}");
}

/// Lowercased words of letters and digits, counted.
fn words(text: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        *counts.entry(word.to_lowercase()).or_insert(0) += 1;
    }
    counts
}

/// F1 of two bags of words: how much of each is in the other.
fn f1(reference: &HashMap<String, usize>, candidate: &HashMap<String, usize>) -> f64 {
    let total = |bag: &HashMap<String, usize>| bag.values().sum::<usize>();
    let (r, c) = (total(reference), total(candidate));
    if r == 0 || c == 0 {
        return if r == c { 1.0 } else { 0.0 };
    }
    let common: usize = reference
        .iter()
        .map(|(w, n)| (*n).min(*candidate.get(w).unwrap_or(&0)))
        .sum();
    let (precision, recall) = (common as f64 / c as f64, common as f64 / r as f64);
    if common == 0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    }
}
