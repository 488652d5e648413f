//! The prompt: the workspace's instructions, the retrieved chunks numbered `[1]..[n]`, the
//! recent turns that fit a budget, and the question.

use super::llm::PromptMessage;
use super::retrieval::Chunk;
use crate::domain::chat::Role;

/// Roughly how many characters of earlier turns go into a prompt (about 3,000 tokens at four
/// characters a token), so long conversations keep their most recent context.
const HISTORY_BUDGET_CHARS: usize = 12_000;

const CITE_RULES: &str = "Answer from the numbered sources below. Cite every claim that \
comes from a source with its number in square brackets, like [1] or [2, 3]. If the sources \
do not answer the question, say so plainly instead of guessing.";

const NO_SOURCES: &str = "No document sources are available for this question; answer from \
general knowledge, and say that the answer is not based on the organisation's documents.";

/// Builds the messages for a question. `turns` are earlier messages, oldest first, as
/// (role, text).
pub(crate) fn build(
    system_prompt: &str,
    chunks: &[Chunk],
    turns: &[(Role, String)],
    question: &str,
) -> Vec<PromptMessage> {
    let mut system = String::new();
    if !system_prompt.trim().is_empty() {
        system.push_str(system_prompt.trim());
        system.push_str("\n\n");
    }
    if chunks.is_empty() {
        system.push_str(NO_SOURCES);
    } else {
        system.push_str(CITE_RULES);
        system.push_str("\n\nSources:\n");
        for (number, chunk) in chunks.iter().enumerate() {
            let title = chunk.title.as_deref().unwrap_or(&chunk.source);
            let page = chunk
                .page
                .map(|p| format!(", page {p}"))
                .unwrap_or_default();
            system.push_str(&format!(
                "\n[{}] {title}{page}\n{}\n",
                number + 1,
                chunk.text.trim()
            ));
        }
    }
    let mut messages = vec![PromptMessage {
        role: "system",
        content: system,
    }];
    // The most recent turns that fit the budget, kept in order.
    let mut used = 0;
    let mut recent = Vec::new();
    for (role, text) in turns.iter().rev() {
        used += text.len();
        if used > HISTORY_BUDGET_CHARS {
            break;
        }
        recent.push(PromptMessage {
            role: role.as_str(),
            content: text.clone(),
        });
    }
    recent.reverse();
    messages.extend(recent);
    messages.push(PromptMessage {
        role: "user",
        content: question.to_owned(),
    });
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(id: &str, text: &str) -> Chunk {
        Chunk {
            id: id.into(),
            text: text.into(),
            source: format!("{id}.pdf"),
            title: Some(format!("Title {id}")),
            url: None,
            page: Some(3),
            score: None,
            document_id: None,
        }
    }

    #[test]
    fn numbers_the_sources_and_asks_for_citations() {
        let messages = build(
            "Be brief.",
            &[chunk("a", "Alpha."), chunk("b", "Beta.")],
            &[],
            "Q?",
        );
        assert_eq!(messages.len(), 2);
        let system = &messages[0].content;
        assert!(system.starts_with("Be brief."));
        assert!(system.contains("[1] Title a, page 3\nAlpha."));
        assert!(system.contains("[2] Title b"));
        assert!(system.contains("[1] or [2, 3]"));
        assert_eq!(messages[1].content, "Q?");
    }

    #[test]
    fn keeps_the_most_recent_turns_that_fit() {
        let long = "x".repeat(5_000);
        let turns: Vec<(Role, String)> = (0..6)
            .map(|i| {
                (
                    if i % 2 == 0 {
                        Role::User
                    } else {
                        Role::Assistant
                    },
                    format!("{i}{long}"),
                )
            })
            .collect();
        let messages = build("", &[], &turns, "Now?");
        // 12,000 characters hold two 5,001-character turns: the last two.
        assert_eq!(messages.len(), 4);
        assert!(messages[1].content.starts_with('4'));
        assert!(messages[2].content.starts_with('5'));
        assert!(messages[0]
            .content
            .contains("not based on the organisation's documents"));
    }
}
