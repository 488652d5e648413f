//! Word (.docx): the zip's `word/document.xml` read as a stream (quick-xml), never inflated
//! whole: what unpacks to more than the limit is refused (a zip bomb). Headings come from
//! the paragraph styles (`styles.xml`); pages from explicit page breaks; a table row is one
//! block, its cells separated by " | ".

use std::cell::Cell;
use std::io::{BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{squash, Block, Failure, HeadingPath, Limits, Page, PageSink};
use crate::error::ErrorCode;

/// The first bytes of an OLE container: what Word writes for a password-protected file.
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

pub(super) fn extract(path: &Path, limits: Limits, sink: &mut dyn PageSink) -> Result<(), Failure> {
    let mut file = std::fs::File::open(path).map_err(Failure::unreadable)?;
    let mut head = [0u8; 8];
    if file.read_exact(&mut head).is_ok() && head == OLE_MAGIC {
        return Err(Failure::new(
            ErrorCode::DocumentEncrypted,
            "This Word file is protected by a password, so Docent cannot read it. Save a copy without the password and add that.",
        ));
    }
    let file = std::fs::File::open(path).map_err(Failure::unreadable)?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(Failure::unreadable)?;
    let styles = match zip.by_name("word/styles.xml") {
        Ok(entry) => heading_styles(entry, limits)?,
        Err(_) => Vec::new(),
    };
    let document = zip.by_name("word/document.xml").map_err(|_| {
        Failure::unreadable(
            "it is a zip file, but not a Word document: word/document.xml is missing",
        )
    })?;
    read_document(document, limits, &styles, sink)
}

/// A zip entry's reader that refuses to give more than `left` bytes, and remembers when it
/// had to.
struct Capped<R> {
    inner: R,
    left: u64,
    exceeded: Rc<Cell<bool>>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            self.exceeded.set(true);
            return Err(std::io::Error::other("the unpacked size is over the limit"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn capped<R: Read>(inner: R, limits: Limits) -> (Reader<BufReader<Capped<R>>>, Rc<Cell<bool>>) {
    let exceeded = Rc::new(Cell::new(false));
    let reader = Reader::from_reader(BufReader::new(Capped {
        inner,
        left: limits.max_text_bytes,
        exceeded: exceeded.clone(),
    }));
    (reader, exceeded)
}

fn xml_failure(err: quick_xml::Error, exceeded: &Cell<bool>, limits: Limits) -> Failure {
    if exceeded.get() {
        Failure::too_large(limits.max_text_bytes)
    } else {
        Failure::unreadable(err)
    }
}

fn attribute(element: &BytesStart<'_>, name: &str) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// Style ids and the heading level they give (Title 0, Heading 1 is 1, ...).
fn heading_styles<R: Read>(entry: R, limits: Limits) -> Result<Vec<(String, u8)>, Failure> {
    let (mut reader, exceeded) = capped(entry, limits);
    let mut buf = Vec::new();
    let mut styles = Vec::new();
    let mut current: Option<(String, Option<u8>)> = None;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|err| xml_failure(err, &exceeded, limits))?;
        match &event {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "w:style" => {
                    current = attribute(e, "w:styleId").map(|id| (id, None));
                }
                "w:name" => {
                    if let (Some((_, level)), Some(name)) = (&mut current, attribute(e, "w:val")) {
                        let name = name.to_lowercase();
                        if name == "title" {
                            *level = Some(0);
                        } else if let Some(n) = name.strip_prefix("heading ") {
                            *level = n.trim().parse().ok().filter(|n| (1..=9).contains(n));
                        }
                    }
                }
                "w:outlineLvl" => {
                    if let (Some((_, level)), Some(value)) = (&mut current, attribute(e, "w:val")) {
                        if let Ok(n) = value.parse::<u8>() {
                            if n < 9 {
                                *level = Some(n + 1);
                            }
                        }
                    }
                }
                _ => {}
            },
            Event::End(e) if e.name().as_ref() == "w:style" => {
                if let Some((id, Some(level))) = current.take() {
                    styles.push((id, level));
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(styles)
}

/// Reading state of `document.xml`.
struct Doc<'a> {
    sink: &'a mut dyn PageSink,
    styles: &'a [(String, u8)],
    page: u32,
    blocks: Vec<Block>,
    headings: HeadingPath,
    /// The paragraph being read: its text and the heading level its style gives.
    paragraph: String,
    paragraph_level: Option<u8>,
    in_paragraph: bool,
    /// Open table cells (innermost last) and rows.
    cells: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Doc<'_> {
    /// Ends the paragraph (or the part of it before a page break).
    fn end_paragraph(&mut self) {
        let text = squash(&std::mem::take(&mut self.paragraph));
        if text.is_empty() {
            return;
        }
        if let Some(level) = self.paragraph_level {
            self.headings.enter(level, &text);
        } else if let Some(cell) = self.cells.last_mut() {
            if !cell.is_empty() {
                cell.push(' ');
            }
            cell.push_str(&text);
        } else {
            self.blocks.push(Block {
                headings: self.headings.current(),
                text,
            });
        }
    }

    fn end_row(&mut self) {
        let Some(row) = self.rows.pop() else {
            return;
        };
        let text = row
            .into_iter()
            .filter(|c| !c.is_empty())
            .collect::<Vec<_>>()
            .join(" | ");
        if text.is_empty() {
            return;
        }
        match self.cells.last_mut() {
            Some(cell) => {
                if !cell.is_empty() {
                    cell.push(' ');
                }
                cell.push_str(&text);
            }
            None => self.blocks.push(Block {
                headings: self.headings.current(),
                text,
            }),
        }
    }

    fn page_break(&mut self) {
        let level = self.paragraph_level;
        self.end_paragraph();
        self.paragraph_level = level;
        self.sink.page(Page {
            number: Some(self.page),
            blocks: std::mem::take(&mut self.blocks),
        });
        self.page += 1;
    }
}

fn read_document<R: Read>(
    entry: R,
    limits: Limits,
    styles: &[(String, u8)],
    sink: &mut dyn PageSink,
) -> Result<(), Failure> {
    let (mut reader, exceeded) = capped(entry, limits);
    let mut doc = Doc {
        sink,
        styles,
        page: 1,
        blocks: Vec::new(),
        headings: HeadingPath::default(),
        paragraph: String::new(),
        paragraph_level: None,
        in_paragraph: false,
        cells: Vec::new(),
        rows: Vec::new(),
    };
    let mut buf = Vec::new();
    // Inside an element whose text is not the document's (deleted text, field codes, the
    // fallback copy of a drawing's text): how deep.
    let mut skipping = 0usize;
    let mut in_text = false;
    let mut saw_body = false;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|err| xml_failure(err, &exceeded, limits))?;
        match event {
            Event::Start(e) => {
                let name = e.name();
                if skipping > 0 {
                    skipping += 1;
                } else {
                    match name.as_ref() {
                        "w:delText" | "w:instrText" | "mc:Fallback" | "w:del" => skipping = 1,
                        "w:body" => saw_body = true,
                        "w:p" => {
                            doc.in_paragraph = true;
                            doc.paragraph.clear();
                            doc.paragraph_level = None;
                        }
                        "w:t" => in_text = true,
                        "w:tr" => doc.rows.push(Vec::new()),
                        "w:tc" => doc.cells.push(String::new()),
                        _ => {}
                    }
                }
            }
            Event::Empty(e) => {
                if skipping > 0 {
                    buf.clear();
                    continue;
                }
                match e.name().as_ref() {
                    "w:pStyle" if doc.in_paragraph => {
                        if let Some(id) = attribute(&e, "w:val") {
                            doc.paragraph_level = doc
                                .styles
                                .iter()
                                .find(|(style, _)| *style == id)
                                .map(|(_, level)| *level);
                        }
                    }
                    "w:outlineLvl" if doc.in_paragraph => {
                        if let Some(n) = attribute(&e, "w:val").and_then(|v| v.parse::<u8>().ok()) {
                            if n < 9 {
                                doc.paragraph_level = Some(n + 1);
                            }
                        }
                    }
                    "w:pageBreakBefore" => {
                        let on = attribute(&e, "w:val")
                            .is_none_or(|v| !matches!(v.as_str(), "0" | "false" | "off"));
                        if on && (!doc.blocks.is_empty() || doc.page > 1) {
                            doc.page_break();
                        }
                    }
                    "w:br" => {
                        if attribute(&e, "w:type").as_deref() == Some("page") {
                            doc.page_break();
                        } else {
                            doc.paragraph.push(' ');
                        }
                    }
                    "w:tab" | "w:cr" => doc.paragraph.push(' '),
                    _ => {}
                }
            }
            Event::Text(e) if in_text && skipping == 0 => {
                doc.paragraph.push_str(&e.xml10_content());
            }
            Event::GeneralRef(e) if in_text && skipping == 0 => {
                if let Ok(Some(c)) = e.resolve_char_ref() {
                    doc.paragraph.push(c);
                } else if let Some(text) =
                    quick_xml::escape::resolve_predefined_entity(&e.xml10_content())
                {
                    doc.paragraph.push_str(text);
                }
            }
            Event::End(e) => {
                if skipping > 0 {
                    skipping -= 1;
                } else {
                    match e.name().as_ref() {
                        "w:t" => in_text = false,
                        "w:p" => {
                            doc.end_paragraph();
                            doc.in_paragraph = false;
                        }
                        "w:tc" => {
                            let cell = doc.cells.pop().unwrap_or_default();
                            if let Some(row) = doc.rows.last_mut() {
                                row.push(cell);
                            }
                        }
                        "w:tr" => doc.end_row(),
                        _ => {}
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_body {
        return Err(Failure::unreadable("word/document.xml has no body"));
    }
    if doc.page > 1 || !doc.blocks.is_empty() {
        doc.sink.total(doc.page);
        let page = doc.page;
        doc.sink.page(Page {
            number: Some(page),
            blocks: std::mem::take(&mut doc.blocks),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{find, fixture, read};
    use super::super::{extract as extract_any, Collected};
    use super::*;
    use crate::domain::documents::DocumentFormat;

    #[test]
    fn a_word_file_keeps_its_headings_tables_and_page_breaks() {
        let doc = read(DocumentFormat::Docx, &fixture("handbook.docx")).unwrap();
        assert_eq!(doc.total, Some(2));
        let (page, block) = find(&doc, "2.5 days of annual leave");
        assert_eq!(page, Some(1));
        assert_eq!(
            block.headings,
            ["Staff handbook", "Leave policy", "Annual leave"]
        );
        assert_eq!(find(&doc, "Jury service leave").0, Some(1));
        assert_eq!(find(&doc, "Bold text is still searchable").0, Some(1));
        let (page, block) = find(&doc, "Voyagex portal");
        assert_eq!(page, Some(2));
        assert_eq!(block.headings, ["Staff handbook", "Expenses", "Travel"]);
        let (page, row) = find(&doc, "NOK 719");
        assert_eq!(page, Some(2));
        assert_eq!(row.text, "Oslo | NOK 719");
    }

    /// A zip whose document.xml unpacks to a gibibyte stops at the limit.
    #[test]
    fn a_zip_bomb_stops_at_the_limit() {
        let limits = Limits {
            max_text_bytes: 32 * 1024 * 1024,
        };
        let mut collected = Collected::default();
        let err = extract_any(
            DocumentFormat::Docx,
            &fixture("bomb.docx"),
            limits,
            &mut collected,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::DocumentTooLarge, "{}", err.message);
    }

    #[test]
    fn a_zip_that_is_not_a_word_file_is_unreadable() {
        let err = read(DocumentFormat::Docx, &fixture("not-a-docx.docx")).unwrap_err();
        assert_eq!(err.code, ErrorCode::UnreadableDocument);
        assert!(
            err.message.contains("not a Word document"),
            "{}",
            err.message
        );
        let mut ole = OLE_MAGIC.to_vec();
        ole.extend([0u8; 512]);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("locked.docx"), ole).unwrap();
        let err = read(DocumentFormat::Docx, &dir.path().join("locked.docx")).unwrap_err();
        assert_eq!(err.code, ErrorCode::DocumentEncrypted);
    }
}
