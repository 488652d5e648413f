//! Reading a document's text: page by page (a PDF's physical pages, a Word file's as its
//! explicit page breaks tell), in blocks (paragraphs, list items, table rows) under their
//! heading path. Runs in the extraction process ([`super::isolate`]), never in Docent's own:
//! a file is untrusted input, and a reader may panic, loop or run out of memory on one.

mod docx;
mod html;
mod markdown;
mod pdf;
mod text;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::domain::documents::DocumentFormat;
use crate::error::ErrorCode;

/// A paragraph (or list item, table row, code block) and the headings it sits under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Block {
    /// Outermost first.
    pub(crate) headings: Vec<String>,
    pub(crate) text: String,
}

/// One page's blocks (`number` is 1-based; `None` for formats without pages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Page {
    pub(crate) number: Option<u32>,
    pub(crate) blocks: Vec<Block>,
}

/// Why a document could not be read: a code of the error vocabulary and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Failure {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// A malformed or truncated file.
    pub(crate) fn unreadable(detail: impl std::fmt::Display) -> Self {
        Self::new(
            ErrorCode::UnreadableDocument,
            format!("Docent could not read this file: it is damaged or not what its name says ({detail}). Open it on your computer and save or export it again."),
        )
    }

    /// Text that unpacks to more than the limit.
    pub(crate) fn too_large(limit: u64) -> Self {
        Self::new(
            ErrorCode::DocumentTooLarge,
            format!(
                "This file's text unpacks to more than {} MB, more than Docent reads from one document. Split it into smaller files.",
                limit / 1_000_000
            ),
        )
    }
}

/// What the extraction may use.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The most bytes of text (or of XML, unpacked) read from one document.
    pub(crate) max_text_bytes: u64,
}

/// Where pages go as they are read.
pub(crate) trait PageSink {
    /// The number of pages, once known (formats with pages).
    fn total(&mut self, pages: u32);
    /// A page, in order.
    fn page(&mut self, page: Page);
}

/// Reads `path` as `format` into `sink`. A document with no text at all fails:
/// `no_text` for a PDF (a scan), `empty_document` otherwise.
pub(crate) fn extract(
    format: DocumentFormat,
    path: &Path,
    limits: Limits,
    sink: &mut dyn PageSink,
) -> Result<(), Failure> {
    let mut counting = Counting {
        inner: sink,
        text_chars: 0,
    };
    let mut pictures = false;
    match format {
        DocumentFormat::Pdf => pictures = pdf::extract(path, &mut counting)?.pictures,
        DocumentFormat::Docx => docx::extract(path, limits, &mut counting)?,
        DocumentFormat::Markdown => markdown::extract(&text::read(path, limits)?, &mut counting),
        DocumentFormat::Html => html::extract(&read_bytes(path, limits)?, &mut counting),
        DocumentFormat::Text => text::extract(&text::read(path, limits)?, &mut counting),
    }
    if counting.text_chars == 0 {
        return Err(match format {
            DocumentFormat::Pdf if !pictures => Failure::unreadable(
                "Docent found neither text nor pictures on its pages, so it is damaged, cut short or blank",
            ),
            DocumentFormat::Pdf => Failure::new(
                ErrorCode::NoText,
                "This PDF has no text layer: it looks like a scan or a picture. Docent does not read text from images (OCR is not supported); export it from its source with its text, or run it through OCR first.",
            ),
            _ => Failure::new(
                ErrorCode::EmptyDocument,
                "This file has no text to search. Check that it is the file you meant.",
            ),
        });
    }
    Ok(())
}

/// Counts the text that goes through, to tell a document without any.
struct Counting<'a> {
    inner: &'a mut dyn PageSink,
    text_chars: usize,
}

impl PageSink for Counting<'_> {
    fn total(&mut self, pages: u32) {
        self.inner.total(pages);
    }

    fn page(&mut self, page: Page) {
        self.text_chars += page
            .blocks
            .iter()
            .map(|b| b.text.chars().filter(|c| !c.is_whitespace()).count())
            .sum::<usize>();
        self.inner.page(page);
    }
}

/// The file's bytes, up to the limit.
pub(crate) fn read_bytes(path: &Path, limits: Limits) -> Result<Vec<u8>, Failure> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(Failure::unreadable)?;
    let mut bytes = Vec::new();
    file.take(limits.max_text_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(Failure::unreadable)?;
    if bytes.len() as u64 > limits.max_text_bytes {
        return Err(Failure::too_large(limits.max_text_bytes));
    }
    Ok(bytes)
}

/// Whitespace runs (line breaks included) as one space, trimmed.
pub(crate) fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Keeps the heading path of a document read in order: a heading of level `n` (1 is the
/// outermost) replaces those of level `n` and deeper.
#[derive(Debug, Default)]
pub(crate) struct HeadingPath(Vec<(u8, String)>);

impl HeadingPath {
    pub(crate) fn enter(&mut self, level: u8, title: &str) {
        let title = squash(title);
        if title.is_empty() {
            return;
        }
        self.0.retain(|(l, _)| *l < level);
        self.0.push((level, title));
    }

    pub(crate) fn current(&self) -> Vec<String> {
        self.0.iter().map(|(_, t)| t.clone()).collect()
    }
}

/// Collects the pages of a document.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub(crate) total: Option<u32>,
    pub(crate) pages: Vec<Page>,
}

#[cfg(test)]
impl PageSink for Collected {
    fn total(&mut self, pages: u32) {
        self.total = Some(pages);
    }
    fn page(&mut self, page: Page) {
        self.pages.push(page);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A file of tests/data/documents.
    pub(crate) fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/documents")
            .join(name)
    }

    pub(crate) const LIMITS: Limits = Limits {
        max_text_bytes: 64 * 1024 * 1024,
    };

    pub(crate) fn read(format: DocumentFormat, path: &Path) -> Result<Collected, Failure> {
        let mut collected = Collected::default();
        extract(format, path, LIMITS, &mut collected)?;
        Ok(collected)
    }

    /// The page and heading path of the block holding `words`.
    pub(crate) fn find<'a>(collected: &'a Collected, words: &str) -> (Option<u32>, &'a Block) {
        collected
            .pages
            .iter()
            .flat_map(|p| p.blocks.iter().map(move |b| (p.number, b)))
            .find(|(_, b)| b.text.contains(words))
            .unwrap_or_else(|| panic!("{words:?} not found in {collected:#?}"))
    }

    #[test]
    fn headings_replace_their_level_and_deeper() {
        let mut path = HeadingPath::default();
        path.enter(1, "Leave policy");
        path.enter(2, "Annual   leave");
        assert_eq!(path.current(), ["Leave policy", "Annual leave"]);
        path.enter(2, "Sick leave");
        assert_eq!(path.current(), ["Leave policy", "Sick leave"]);
        path.enter(1, "Expenses");
        assert_eq!(path.current(), ["Expenses"]);
        path.enter(3, "Deep");
        assert_eq!(path.current(), ["Expenses", "Deep"]);
    }

    #[test]
    fn empty_files_and_files_of_blanks_have_no_text() {
        for name in ["empty.txt", "blank.md"] {
            let format = DocumentFormat::detect(name, b"").unwrap();
            let err = read(format, &fixture(name)).unwrap_err();
            assert_eq!(err.code, ErrorCode::EmptyDocument, "{name}");
        }
    }
}
