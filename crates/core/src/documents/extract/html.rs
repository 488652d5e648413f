//! HTML, read with html5ever's tokenizer (the HTML standard's tokenizer: entities, raw text
//! in scripts and styles, broken markup) and no tree: a page's text is what lies between its
//! tags, so nothing here grows with how deep a page nests. (Building the tree is quadratic on
//! a hundred thousand nested elements.) Scripts, styles, templates, titles and the like are
//! not text; headings h1–h6 give the heading path.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

use super::text::decode;
use super::{squash, Block, HeadingPath, Page, PageSink};

/// Elements that end the text before them and start new text.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
    "body",
    "html",
    "head",
];

/// Elements whose content is never the page's text.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "canvas",
    "select", "button", "title", "textarea", "noembed", "noframes", "xmp",
];

#[derive(Default)]
struct State {
    blocks: Vec<Block>,
    headings: HeadingPath,
    text: String,
    heading: Option<(u8, String)>,
    /// Inside a skipped element: its name and how many of it are open.
    skipping: Option<(String, usize)>,
}

impl State {
    fn flush(&mut self) {
        let text = squash(&self.text);
        self.text.clear();
        if !text.is_empty() {
            self.blocks.push(Block {
                headings: self.headings.current(),
                text,
            });
        }
    }

    fn end_heading(&mut self) {
        if let Some((level, title)) = self.heading.take() {
            self.headings.enter(level, &title);
        }
    }
}

struct Sink(RefCell<State>);

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut state = self.0.borrow_mut();
        match token {
            Token::TagToken(tag) => {
                let name: &str = &tag.name;
                if let Some((skipped, open)) = &mut state.skipping {
                    if skipped == name {
                        match tag.kind {
                            TagKind::StartTag if !tag.self_closing => *open += 1,
                            TagKind::EndTag => *open -= 1,
                            TagKind::StartTag => {}
                        }
                        if *open == 0 {
                            state.skipping = None;
                        }
                    }
                    return TokenSinkResult::Continue;
                }
                let start = tag.kind == TagKind::StartTag;
                if start && SKIPPED.contains(&name) {
                    if tag.self_closing {
                        return TokenSinkResult::Continue;
                    }
                    state.skipping = Some((name.to_owned(), 1));
                    // Their content is not markup: the tokenizer must read it as the
                    // standard says, or `if (a<b)` in a script would start a tag.
                    return match name {
                        "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                        "title" | "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
                        "style" | "iframe" | "noembed" | "noframes" | "xmp" | "noscript" => {
                            TokenSinkResult::RawData(RawKind::Rawtext)
                        }
                        _ => TokenSinkResult::Continue,
                    };
                }
                if let Some(level) = heading_level(name) {
                    if start {
                        state.end_heading();
                        state.flush();
                        state.heading = Some((level, String::new()));
                    } else {
                        state.end_heading();
                    }
                } else if BLOCKS.contains(&name) {
                    state.end_heading();
                    state.flush();
                }
            }
            Token::CharacterTokens(text) if state.skipping.is_none() => {
                let state = &mut *state;
                match &mut state.heading {
                    Some((_, title)) => title.push_str(&text),
                    None => state.text.push_str(&text),
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

pub(super) fn extract(bytes: &[u8], sink: &mut dyn PageSink) {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from(decode_html(bytes)));
    let tokenizer = Tokenizer::new(Sink(RefCell::default()), TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let mut state = tokenizer.sink.0.take();
    state.end_heading();
    state.flush();
    sink.page(Page {
        number: None,
        blocks: state.blocks,
    });
}

fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

/// The page's text: by its byte-order mark, else UTF-8 when it is, else the charset its
/// first kilobyte declares, else Windows-1252.
fn decode_html(bytes: &[u8]) -> String {
    if encoding_rs::Encoding::for_bom(bytes).is_none() && std::str::from_utf8(bytes).is_err() {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_lowercase();
        if let Some(label) = head.split("charset=").nth(1).map(|rest| {
            rest.trim_start_matches(['"', '\''])
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .next()
                .unwrap_or_default()
                .to_owned()
        }) {
            if let Some(encoding) = encoding_rs::Encoding::for_label(label.as_bytes()) {
                return encoding.decode_without_bom_handling(bytes).0.into_owned();
            }
        }
    }
    decode(bytes)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{find, fixture, read};
    use super::*;
    use crate::domain::documents::DocumentFormat;

    #[test]
    fn a_page_keeps_its_text_and_headings_but_no_script_or_style() {
        let page = read(DocumentFormat::Html, &fixture("handbook.html")).unwrap();
        let all: String = page.pages[0]
            .blocks
            .iter()
            .map(|b| format!("{} / {}\n", b.headings.join(" > "), b.text))
            .collect();
        for hidden in ["zzscriptonly", "zzstyleonly", "zzcommentonly"] {
            assert!(!all.contains(hidden), "{hidden} in {all}");
        }
        let (_, block) = find(&page, "step-free entrance");
        assert_eq!(
            block.headings.last().map(String::as_str),
            Some("Accessibility")
        );
        find(&page, "reception & return");
        find(&page, "The café serves breakfast");
        find(&page, "Le café crème coûte");
        find(&page, "Kingfisher");
    }

    #[test]
    fn a_hundred_thousand_levels_deep_is_read_in_one_pass() {
        let page = read(DocumentFormat::Html, &fixture("deep.html")).unwrap();
        find(&page, "zzdeepest");
    }

    #[test]
    fn scripts_are_raw_text_and_unclosed_headings_end_at_the_next_block() {
        let mut collected = super::super::Collected::default();
        extract(
            b"<h1>Title<p>Body text</p><script>if (a<b) { x = '<p>zzhidden</p>' }</script><p>After</p>",
            &mut collected,
        );
        let blocks = &collected.pages[0].blocks;
        let texts: Vec<&str> = blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["Body text", "After"]);
        assert_eq!(blocks[0].headings, ["Title"]);
    }

    #[test]
    fn a_declared_charset_is_honoured() {
        let bytes = b"<html><head><meta charset=\"iso-8859-15\"></head><body><p>Prix: 5 \xA4</p></body></html>";
        assert!(decode_html(bytes).contains("5 €"));
    }
}
