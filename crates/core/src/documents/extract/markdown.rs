//! Markdown (CommonMark with tables), through pulldown-cmark: headings give the heading path;
//! paragraphs, list items, code blocks and table rows are blocks; raw HTML in it is not text.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::{squash, Block, HeadingPath, Page, PageSink};

pub(super) fn extract(text: &str, sink: &mut dyn PageSink) {
    let parser = Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH);
    let mut blocks = Vec::new();
    let mut headings = HeadingPath::default();
    let mut current = String::new();
    let mut heading: Option<(u8, String)> = None;
    let mut row: Vec<String> = Vec::new();
    let mut in_row = false;
    for event in parser {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                flush(&mut current, &headings, &mut blocks);
                heading = Some((level_of(level), String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, title)) = heading.take() {
                    headings.enter(level, &title);
                }
            }
            Event::Start(Tag::TableHead | Tag::TableRow) => {
                flush(&mut current, &headings, &mut blocks);
                in_row = true;
                row.clear();
            }
            Event::End(TagEnd::TableCell) => {
                row.push(squash(&current));
                current.clear();
            }
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                in_row = false;
                current = row
                    .drain(..)
                    .filter(|c| !c.is_empty())
                    .collect::<Vec<_>>()
                    .join(" | ");
                flush(&mut current, &headings, &mut blocks);
            }
            Event::Start(Tag::Paragraph | Tag::Item | Tag::CodeBlock(_) | Tag::BlockQuote(_))
            | Event::End(
                TagEnd::Paragraph | TagEnd::Item | TagEnd::CodeBlock | TagEnd::BlockQuote(_),
            ) if !in_row => flush(&mut current, &headings, &mut blocks),
            Event::Text(text) | Event::Code(text) => match &mut heading {
                Some((_, title)) => title.push_str(&text),
                None => current.push_str(&text),
            },
            Event::SoftBreak | Event::HardBreak => match &mut heading {
                Some((_, title)) => title.push(' '),
                None => current.push(' '),
            },
            _ => {}
        }
    }
    flush(&mut current, &headings, &mut blocks);
    sink.page(Page {
        number: None,
        blocks,
    });
}

fn level_of(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn flush(text: &mut String, headings: &HeadingPath, blocks: &mut Vec<Block>) {
    let squashed = squash(text);
    text.clear();
    if !squashed.is_empty() {
        blocks.push(Block {
            headings: headings.current(),
            text: squashed,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{find, fixture, read};
    use crate::domain::documents::DocumentFormat;

    #[test]
    fn headings_lists_code_and_tables_are_kept() {
        let md = read(DocumentFormat::Markdown, &fixture("handbook.md")).unwrap();
        let (page, block) = find(&md, "on-call rotation changes every Tuesday");
        assert_eq!(page, None);
        assert_eq!(block.headings.last().map(String::as_str), Some("On-call"));
        let (_, item) = find(&md, "call the duty manager");
        assert_eq!(item.headings.last().map(String::as_str), Some("Escalation"));
        find(&md, "OPS-4417");
        let (_, rollback) = find(&md, "never needs approval");
        assert_eq!(
            rollback.headings.last().map(String::as_str),
            Some("Rollbacks")
        );
    }

    #[test]
    fn a_table_row_is_one_block() {
        let mut collected = super::super::Collected::default();
        super::extract(
            "# Rooms\n\n| Room | Seats |\n|---|---|\n| Kingfisher | 12 |\n",
            &mut collected,
        );
        let (_, row) = find(&collected, "Kingfisher");
        assert_eq!(row.text, "Kingfisher | 12");
        assert_eq!(row.headings, ["Rooms"]);
    }
}
