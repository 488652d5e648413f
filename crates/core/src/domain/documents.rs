//! A workspace's own documents, as the faces send and get them and the store keeps them, and
//! the values that are valid once built (a document's format, a file name, a search).

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{Error, ErrorBody, ErrorCode, Result};

/// The formats Docent reads, named for people (in errors and the UI).
pub const FORMATS_FOR_PEOPLE: &str = "PDF, Word (.docx), Markdown, HTML or plain text";

/// What kind of file a document is, decided from its name and its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DocumentFormat {
    /// PDF: its text layer, page by page.
    Pdf,
    /// Word (Office Open XML).
    Docx,
    /// Markdown.
    Markdown,
    /// HTML.
    Html,
    /// Plain text (UTF-8, UTF-16 with a byte-order mark, or Windows-1252).
    Text,
}

impl DocumentFormat {
    /// Every format.
    pub const ALL: [Self; 5] = [
        Self::Pdf,
        Self::Docx,
        Self::Markdown,
        Self::Html,
        Self::Text,
    ];

    /// The format of a file called `name` whose content starts with `head`; a file Docent
    /// cannot read is refused with `unsupported_document`, naming the formats it can.
    pub fn detect(name: &str, head: &[u8]) -> Result<Self> {
        let extension = name
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase())
            .unwrap_or_default();
        let zip = head.starts_with(b"PK\x03\x04");
        // Word saves a password-protected file in an OLE container: still a Word file, which
        // the reader then says it cannot open.
        let ole = head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
        // What the bytes say first: a PDF or a zip is what it is, whatever its name.
        let format = if head.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else if zip || ole {
            (extension == "docx").then_some(Self::Docx)
        } else if looks_binary(head) {
            None
        } else {
            match extension.as_str() {
                "md" | "markdown" | "mdown" | "mkd" => Some(Self::Markdown),
                "html" | "htm" | "xhtml" => Some(Self::Html),
                "txt" | "text" | "log" | "csv" | "tsv" | "rst" | "adoc" | "org" | "" => {
                    Some(Self::Text)
                }
                _ => None,
            }
        };
        format.ok_or_else(|| {
            Error::invalid(
                ErrorCode::UnsupportedDocument,
                format!(
                    "Docent cannot read {name:?}: it takes {FORMATS_FOR_PEOPLE} files (a PDF needs its text layer)."
                ),
            )
        })
    }

    /// Its media type, as the original file is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Markdown => "text/markdown; charset=utf-8",
            Self::Html => "text/html; charset=utf-8",
            Self::Text => "text/plain; charset=utf-8",
        }
    }

    /// How the store and the wire write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Docx => "docx",
            Self::Markdown => "markdown",
            Self::Html => "html",
            Self::Text => "text",
        }
    }

    /// The format written as [`DocumentFormat::as_str`] writes it.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|format| format.as_str() == raw)
    }

    /// Whether its passages have pages (a PDF's physical pages; a Word file's, as far as its
    /// explicit page breaks tell).
    pub fn has_pages(self) -> bool {
        matches!(self, Self::Pdf | Self::Docx)
    }
}

/// Control bytes other than whitespace in the first bytes: not a text file. (UTF-16 with a
/// byte-order mark is text, and is decoded as such.)
fn looks_binary(head: &[u8]) -> bool {
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return false;
    }
    head.iter()
        .take(4096)
        .any(|&b| b == 0 || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)))
}

/// A document's file name: its last path part, without control characters, 1 to 255
/// characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentName(String);

impl DocumentName {
    /// Parses a name as a browser or the OS gives it (a path keeps only its last part).
    pub fn parse(raw: &str) -> Result<Self> {
        let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
        let name: String = last.chars().filter(|c| !c.is_control()).collect();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 255 {
            return Err(Error::invalid(
                ErrorCode::InvalidName,
                "A document needs a file name of 1 to 255 characters.",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a document's indexing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    /// Waiting for the indexer.
    Queued,
    /// Being read; `pages_done` of `pages` so far.
    Indexing,
    /// Searchable.
    Ready,
    /// Could not be read; `error` says why.
    Failed,
}

impl DocumentStatus {
    /// How the store writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Indexing => "indexing",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }

    /// The status written as [`DocumentStatus::as_str`] writes it.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Queued, Self::Indexing, Self::Ready, Self::Failed]
            .into_iter()
            .find(|status| status.as_str() == raw)
    }
}

impl fmt::Display for DocumentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A workspace's document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Document {
    /// Its id.
    pub id: Uuid,
    /// The workspace it belongs to.
    pub workspace_id: Uuid,
    /// The file's name.
    pub name: String,
    /// What kind of file it is.
    pub format: DocumentFormat,
    /// The media type the original is served with.
    pub media_type: String,
    /// The file's size.
    pub bytes: u64,
    /// The SHA-256 of the file, in hex: the same file added twice to a workspace is one
    /// document.
    pub sha256: String,
    /// Where its indexing stands.
    pub status: DocumentStatus,
    /// Its pages, once counted (PDF and Word; `null` for formats without pages).
    pub pages: Option<u32>,
    /// Pages read so far.
    pub pages_done: u32,
    /// Passages in the index.
    pub chunks: u32,
    /// Why it failed.
    pub error: Option<ErrorBody>,
    /// Its path in the folder it is kept in sync with, if any.
    pub folder_path: Option<String>,
    /// When it was added.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    /// When it became searchable (or failed).
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub indexed_at: Option<OffsetDateTime>,
}

/// A passage found by a search of a workspace's documents.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHit {
    /// The passage's id.
    pub chunk_id: String,
    /// Its document.
    pub document_id: Uuid,
    /// The document's file name.
    pub name: String,
    /// Where in the document: its heading path ("Leave policy › Annual leave"), else the name.
    pub title: String,
    /// The page (1-based), for formats with pages.
    pub page: Option<u32>,
    /// The passage's text.
    pub snippet: String,
    /// How well it matches (higher is better; only comparable within one search).
    pub score: f64,
}

/// A search of a workspace's documents, as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct SearchQuery {
    /// The words to find.
    pub q: String,
    /// At most this many passages (1 to 50) [default: 10].
    #[cfg_attr(feature = "openapi", param(format = Int64, maximum = 4_294_967_295_f64), schema(format = Int64, maximum = 4_294_967_295_f64))]
    pub limit: Option<u32>,
}

/// The words of a search, as the index matches them: letters and digits, lowercased, without
/// the commonest English words (which every passage has), at most 32. Each is matched by its
/// stem; a passage needs one of them, and passages with more, and rarer, ones rank higher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms(Vec<String>);

impl SearchTerms {
    /// The most words a search uses.
    pub const MAX_WORDS: usize = 32;

    /// The words of `query`; `None` when it has none worth looking for.
    pub fn parse(query: &str) -> Option<Self> {
        let mut words: Vec<String> = Vec::new();
        for word in query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            let word = word.to_lowercase();
            let single_letter =
                word.chars().count() < 2 && word.chars().all(|c| c.is_ascii_alphabetic());
            if single_letter || STOPWORDS.contains(&word.as_str()) || words.contains(&word) {
                continue;
            }
            words.push(word);
            if words.len() == Self::MAX_WORDS {
                break;
            }
        }
        (!words.is_empty()).then_some(Self(words))
    }

    /// The words.
    pub fn words(&self) -> &[String] {
        &self.0
    }
}

/// Words too common in English to tell passages apart.
const STOPWORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "all", "am", "an", "and", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can",
    "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from",
    "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how",
    "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "no",
    "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out",
    "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their",
    "theirs", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too",
    "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while",
    "who", "whom", "why", "will", "with", "would", "you", "your", "yours",
];

/// A folder on this machine kept in sync with a workspace's documents.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentFolder {
    /// Its id.
    pub id: Uuid,
    /// The workspace whose documents it feeds.
    pub workspace_id: Uuid,
    /// Its path.
    pub path: String,
    /// When it was added.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_the_bytes_first_then_the_name() {
        let detect = |name, head: &[u8]| DocumentFormat::detect(name, head);
        assert_eq!(detect("a.pdf", b"%PDF-1.7\n").unwrap(), DocumentFormat::Pdf);
        assert_eq!(detect("report", b"%PDF-1.4").unwrap(), DocumentFormat::Pdf);
        assert_eq!(
            detect("a.DOCX", b"PK\x03\x04..").unwrap(),
            DocumentFormat::Docx
        );
        assert_eq!(
            detect("a.md", b"# Title").unwrap(),
            DocumentFormat::Markdown
        );
        assert_eq!(detect("a.htm", b"<html>").unwrap(), DocumentFormat::Html);
        assert_eq!(detect("a.txt", b"hello").unwrap(), DocumentFormat::Text);
        assert_eq!(detect("README", b"hello").unwrap(), DocumentFormat::Text);
        assert_eq!(
            detect("u16.txt", b"\xFF\xFEh\x00i\x00").unwrap(),
            DocumentFormat::Text
        );
        for (name, head) in [
            ("a.png", &b"\x89PNG\r\n\x1a\n"[..]),
            ("a.txt", b"\x89PNG\r\n\x1a\n\x00\x00"),
            ("a.zip", b"PK\x03\x04"),
            ("a.xlsx", b"PK\x03\x04"),
            ("a.exe", b"MZ\x90\x00"),
            ("a.rtf", b"{\\rtf1"),
        ] {
            let err = detect(name, head).unwrap_err();
            assert_eq!(err.code(), "unsupported_document", "{name}");
            assert!(err.to_string().contains("PDF, Word"), "{err}");
        }
    }

    #[test]
    fn searches_keep_the_words_that_tell_passages_apart() {
        let terms =
            SearchTerms::parse("How do I keep the Café's records? records, x 7 days!").unwrap();
        assert_eq!(terms.words(), ["keep", "café", "records", "7", "days"]);
        assert!(SearchTerms::parse("  the of and? ").is_none());
        assert!(SearchTerms::parse("\"OR\" NEAR(a b) *")
            .unwrap()
            .words()
            .contains(&"near".to_owned()));
        let many: String = (0..100).map(|i| format!("w{i} ")).collect();
        assert_eq!(
            SearchTerms::parse(&many).unwrap().words().len(),
            SearchTerms::MAX_WORDS
        );
    }

    #[test]
    fn names_keep_their_last_part_without_controls() {
        assert_eq!(
            DocumentName::parse("C:\\x\\Report.pdf").unwrap().as_str(),
            "Report.pdf"
        );
        assert_eq!(
            DocumentName::parse("../../etc/passwd").unwrap().as_str(),
            "passwd"
        );
        assert_eq!(
            DocumentName::parse("a\u{0}b\n.txt").unwrap().as_str(),
            "ab.txt"
        );
        assert!(DocumentName::parse("dir/").is_err());
        assert!(DocumentName::parse(&"x".repeat(256)).is_err());
    }
}
