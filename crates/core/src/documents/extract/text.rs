//! Plain text: UTF-8 (with or without a byte-order mark), UTF-16 with one, else
//! Windows-1252 (what "ANSI" text files from Windows are, and a superset of Latin-1's
//! printable characters); paragraphs are separated by blank lines.

use std::path::Path;

use super::{read_bytes, squash, Block, Failure, Limits, Page, PageSink};

/// The file's text, decoded.
pub(crate) fn read(path: &Path, limits: Limits) -> Result<String, Failure> {
    Ok(decode(&read_bytes(path, limits)?))
}

/// Bytes of unknown encoding as text.
pub(crate) fn decode(bytes: &[u8]) -> String {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return encoding
            .decode_without_bom_handling(&bytes[bom..])
            .0
            .into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// Paragraphs: runs of lines between blank lines.
pub(crate) fn extract(text: &str, sink: &mut dyn PageSink) {
    let blocks = paragraphs(text)
        .into_iter()
        .map(|text| Block {
            headings: Vec::new(),
            text,
        })
        .collect();
    sink.page(Page {
        number: None,
        blocks,
    });
}

/// The paragraphs of `text`, each on one line.
pub(crate) fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(squash(&current));
                current.clear();
            }
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    if !current.trim().is_empty() {
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
    fn utf8_latin1_and_utf16_files_read_alike() {
        let notes = read(DocumentFormat::Text, &fixture("notes.txt")).unwrap();
        find(&notes, "Grüße aus Köln");
        let latin1 = read(DocumentFormat::Text, &fixture("latin1.txt")).unwrap();
        find(&latin1, "Café crème à Paris");
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "naïve café".encode_utf16() {
            utf16.extend(unit.to_le_bytes());
        }
        assert_eq!(decode(&utf16), "naïve café");
        assert_eq!(decode("\u{feff}bom".as_bytes()), "bom");
    }

    #[test]
    fn paragraphs_are_separated_by_blank_lines() {
        assert_eq!(
            paragraphs("one\ntwo\n\n\nthree  \n \nfour"),
            ["one two", "three", "four"]
        );
    }
}
