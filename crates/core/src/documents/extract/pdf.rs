//! PDF: the text layer of each physical page (pdf_oxide, chosen by measurement:
//! docs/benchmarks.md), paragraphs split at blank lines, words broken across lines joined;
//! the heading path of a page comes from the outline (bookmarks), when there is one.

use std::path::Path;

use pdf_oxide::outline::{Destination, OutlineItem};
use pdf_oxide::PdfDocument;

use super::{squash, Block, Failure, HeadingPath, Page, PageSink};
use crate::error::ErrorCode;

fn encrypted() -> Failure {
    Failure::new(
        ErrorCode::DocumentEncrypted,
        "This PDF is protected by a password, so Docent cannot read it. Save a copy without the password (Print to PDF, or your PDF tool's security settings) and add that.",
    )
}

fn failure(err: pdf_oxide::error::Error) -> Failure {
    match err {
        pdf_oxide::error::Error::EncryptedPdf => encrypted(),
        other => Failure::unreadable(other),
    }
}

/// What reading a PDF found besides its pages.
pub(super) struct Read {
    /// Whether a page without text has pictures (a scan).
    pub(super) pictures: bool,
}

pub(super) fn extract(path: &Path, sink: &mut dyn PageSink) -> Result<Read, Failure> {
    let doc = PdfDocument::open(path).map_err(failure)?;
    // An owner password alone (no password to open) is opened by pdf_oxide with the empty
    // user password; anything else needs a password Docent does not have.
    if doc.is_encrypted() && !doc.is_authenticated() {
        return Err(encrypted());
    }
    let count = doc.page_count().map_err(failure)?;
    let count_u32 = u32::try_from(count).map_err(|_| Failure::unreadable("too many pages"))?;
    sink.total(count_u32);
    let headings = outline_by_page(&doc, count);
    let mut pictures = false;
    for (index, headings) in headings.into_iter().enumerate() {
        let text = doc.extract_text(index).map_err(failure)?;
        if !pictures && text.trim().is_empty() {
            pictures = doc
                .extract_images(index)
                .is_ok_and(|images| !images.is_empty());
        }
        let blocks = paragraphs(&text)
            .into_iter()
            .map(|text| Block {
                headings: headings.clone(),
                text,
            })
            .collect();
        sink.page(Page {
            number: Some(index as u32 + 1),
            blocks,
        });
    }
    Ok(Read { pictures })
}

/// The heading path each page starts under: the deepest outline entry pointing at or before
/// it. A document without an outline (or with a broken one) has no headings.
fn outline_by_page(doc: &PdfDocument, pages: usize) -> Vec<Vec<String>> {
    let mut entries = Vec::new();
    if let Ok(Some(items)) = doc.get_outline() {
        flatten(&items, 1, &mut entries);
    }
    entries.sort_by_key(|(page, _, _)| *page);
    let mut by_page = Vec::with_capacity(pages);
    let mut path = HeadingPath::default();
    let mut next = entries.into_iter().peekable();
    for page in 0..pages {
        while let Some((_, level, title)) = next.next_if(|(at, _, _)| *at <= page) {
            path.enter(level, &title);
        }
        by_page.push(path.current());
    }
    by_page
}

/// The outline's entries with a page, as (page index, level, title), in document order.
fn flatten(items: &[OutlineItem], level: u8, out: &mut Vec<(usize, u8, String)>) {
    for item in items {
        if let Some(Destination::PageIndex(page)) = item.dest {
            out.push((page, level, item.title.clone()));
        }
        if level < 8 {
            flatten(&item.children, level + 1, out);
        }
    }
}

/// A page's text as paragraphs: blank lines separate them; a word hyphenated at the end of a
/// line is joined with its end on the next ("exam-\nple" is "example"); before a capital or
/// a digit the hyphen stays ("long-\nTerm" is "long-Term").
fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            if !current.is_empty() {
                out.push(squash(&current));
                current.clear();
            }
            continue;
        }
        let hyphenated = current.ends_with('-')
            && current
                .chars()
                .rev()
                .nth(1)
                .is_some_and(|c| c.is_alphabetic());
        if hyphenated {
            if line.chars().next().is_some_and(|c| c.is_lowercase()) {
                current.pop();
            }
        } else if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(line);
    }
    if !current.is_empty() {
        out.push(squash(&current));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{find, fixture, read};
    use super::*;
    use crate::domain::documents::DocumentFormat;

    #[test]
    fn each_sentence_is_on_its_physical_page() {
        let pdf = read(DocumentFormat::Pdf, &fixture("three-pages.pdf")).unwrap();
        assert_eq!(pdf.total, Some(3));
        assert_eq!(find(&pdf, "cafeteria opens at 7:30").0, Some(1));
        assert_eq!(find(&pdf, "Parking permits").0, Some(2));
        assert_eq!(find(&pdf, "Fire drills").0, Some(3));
    }

    #[test]
    fn bad_pdfs_fail_with_their_reason() {
        for (name, code) in [
            ("encrypted.pdf", ErrorCode::DocumentEncrypted),
            ("scanned.pdf", ErrorCode::NoText),
            ("truncated.pdf", ErrorCode::UnreadableDocument),
            ("garbage.pdf", ErrorCode::UnreadableDocument),
        ] {
            let err = read(DocumentFormat::Pdf, &fixture(name)).unwrap_err();
            assert_eq!(err.code, code, "{name}: {}", err.message);
            assert!(err.message.ends_with('.'), "{}", err.message);
        }
    }

    #[test]
    fn lines_join_into_paragraphs_and_hyphenated_words_heal() {
        assert_eq!(
            paragraphs("An exam-\nple of a long-\nTerm plan\n\nNext para-\ngraph."),
            ["An example of a long-Term plan", "Next paragraph."]
        );
    }
}
