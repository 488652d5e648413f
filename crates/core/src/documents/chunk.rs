//! Cutting a document's pages into passages: a few hundred words each, on paragraph and
//! heading boundaries where it can, never across a page (a citation names one page) or a
//! heading (a passage has one heading path); consecutive passages under the same heading on
//! the same page share a few words, so a sentence cut in two is found whole in one of them.

use super::extract::{Block, Page};
use crate::store::documents::NewPassage;

/// The words a passage aims for.
const TARGET_WORDS: usize = 200;
/// A passage grows past the target to end on a paragraph's end, up to this.
const MAX_WORDS: usize = 300;
/// Words of the previous passage a passage starts with.
const OVERLAP_WORDS: usize = 30;
/// A last piece this short joins the passage before it, if that stays under the maximum.
const MIN_WORDS: usize = 40;

/// How heading paths are written into a passage's heading.
pub(crate) const HEADING_SEPARATOR: &str = " › ";

/// The passages of `pages`, in order.
pub(crate) fn passages(pages: &[Page]) -> Vec<NewPassage> {
    let mut out = Vec::new();
    for page in pages {
        let mut start = 0;
        // Runs of blocks under the same heading path.
        while start < page.blocks.len() {
            let headings = &page.blocks[start].headings;
            let end = page.blocks[start..]
                .iter()
                .position(|b| &b.headings != headings)
                .map_or(page.blocks.len(), |n| start + n);
            section(page.number, &page.blocks[start..end], &mut out);
            start = end;
        }
    }
    out
}

/// The passages of blocks under one heading path on one page.
fn section(page: Option<u32>, blocks: &[Block], out: &mut Vec<NewPassage>) {
    let heading = blocks[0].headings.join(HEADING_SEPARATOR);
    let mut pieces: Vec<Vec<&str>> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for block in blocks {
        let words: Vec<&str> = block.text.split_whitespace().collect();
        if !current.is_empty() && current.len() + words.len() > MAX_WORDS {
            pieces.push(std::mem::take(&mut current));
        }
        if words.len() > MAX_WORDS {
            // A long paragraph alone: windows of the target size.
            let mut at = 0;
            while words.len() - at > MAX_WORDS {
                pieces.push(words[at..at + TARGET_WORDS].to_vec());
                at += TARGET_WORDS;
            }
            current.extend_from_slice(&words[at..]);
        } else {
            current.extend_from_slice(&words);
        }
        if current.len() >= TARGET_WORDS {
            pieces.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        match pieces.last_mut() {
            Some(last) if current.len() < MIN_WORDS && last.len() + current.len() <= MAX_WORDS => {
                last.extend(current);
            }
            _ => pieces.push(current),
        }
    }
    let mut previous: Option<&Vec<&str>> = None;
    for piece in &pieces {
        let mut words: Vec<&str> = Vec::new();
        if let Some(previous) = previous {
            words.extend_from_slice(&previous[previous.len().saturating_sub(OVERLAP_WORDS)..]);
        }
        words.extend_from_slice(piece);
        out.push(NewPassage {
            page,
            heading: heading.clone(),
            text: words.join(" "),
        });
        previous = Some(piece);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(headings: &[&str], words: usize, tag: &str) -> Block {
        Block {
            headings: headings.iter().map(|h| (*h).to_owned()).collect(),
            text: (0..words)
                .map(|i| format!("{tag}{i}"))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    fn words(passage: &NewPassage) -> usize {
        passage.text.split_whitespace().count()
    }

    #[test]
    fn paragraphs_gather_into_passages_of_a_few_hundred_words() {
        let blocks: Vec<Block> = (0..10)
            .map(|i| block(&["A"], 60, &format!("p{i}w")))
            .collect();
        let out = passages(&[Page {
            number: Some(3),
            blocks,
        }]);
        assert!(out.len() >= 2, "{}", out.len());
        for passage in &out {
            assert_eq!(passage.page, Some(3));
            assert_eq!(passage.heading, "A");
            assert!(
                words(passage) <= MAX_WORDS + OVERLAP_WORDS,
                "{}",
                words(passage)
            );
        }
        // Paragraph boundaries: a passage (after its overlap) starts with a paragraph's first word.
        let second: Vec<&str> = out[1].text.split_whitespace().collect();
        assert!(
            second[OVERLAP_WORDS].ends_with("w0"),
            "{}",
            second[OVERLAP_WORDS]
        );
        // The overlap repeats the end of the passage before.
        let first: Vec<&str> = out[0].text.split_whitespace().collect();
        assert_eq!(
            second[..OVERLAP_WORDS],
            first[first.len() - OVERLAP_WORDS..]
        );
        // Nothing is lost.
        let all: String = out.iter().map(|p| p.text.clone() + " ").collect();
        for i in 0..10 {
            assert!(all.contains(&format!("p{i}w59")));
        }
    }

    #[test]
    fn pages_and_headings_are_never_crossed() {
        let out = passages(&[
            Page {
                number: Some(1),
                blocks: vec![block(&["A"], 10, "a"), block(&["A", "B"], 10, "b")],
            },
            Page {
                number: Some(2),
                blocks: vec![block(&["A", "B"], 10, "c")],
            },
        ]);
        let summary: Vec<(Option<u32>, &str, &str)> = out
            .iter()
            .map(|p| (p.page, p.heading.as_str(), &p.text[..2]))
            .collect();
        assert_eq!(
            summary,
            [
                (Some(1), "A", "a0"),
                (Some(1), "A › B", "b0"),
                (Some(2), "A › B", "c0")
            ]
        );
    }

    #[test]
    fn a_long_paragraph_is_cut_into_windows() {
        let out = passages(&[Page {
            number: None,
            blocks: vec![block(&[], 1000, "w")],
        }]);
        assert!(out.len() >= 4);
        assert!(out.iter().all(|p| words(p) <= MAX_WORDS + OVERLAP_WORDS));
        assert!(out.last().unwrap().text.ends_with("w999"));
    }
}
