//! A conversation with its messages and sources, as Markdown or JSON.

use uuid::Uuid;

use super::conversations::visible_conversation;
use super::retrieval::is_web_url;
use super::ChatService;
use crate::domain::chat::{Conversation, Export, ExportFormat, Message, MessageStatus, Role};
use crate::error::{Error, Result};
use crate::user::CurrentUser;

impl ChatService {
    /// A conversation with its messages and sources, as Markdown or JSON.
    pub async fn export_conversation(
        &self,
        user: &CurrentUser,
        id: Uuid,
        format: ExportFormat,
    ) -> Result<Export> {
        let user = user.clone();
        let (conversation, messages) = self
            .store
            .read(move |tx| {
                let (conversation, _) = visible_conversation(tx, &user, id)?;
                Ok((conversation, tx.messages().of_conversation(id)?))
            })
            .await?;
        let stem = file_stem(&conversation.title);
        Ok(match format {
            ExportFormat::Json => Export {
                content_type: "application/json",
                file_name: format!("{stem}.json"),
                body: serde_json::to_string_pretty(&serde_json::json!({
                    "conversation": conversation,
                    "messages": messages,
                }))
                .map_err(Error::internal)?,
            },
            ExportFormat::Md => Export {
                content_type: "text/markdown; charset=utf-8",
                file_name: format!("{stem}.md"),
                body: markdown(&conversation, &messages),
            },
        })
    }
}

/// A file name for a title: its letters and digits, words joined by `-`.
fn file_stem(title: &str) -> String {
    let stem = title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if stem.is_empty() {
        "conversation".to_owned()
    } else {
        stem
    }
}

fn markdown(conversation: &Conversation, messages: &[Message]) -> String {
    let mut out = format!("# {}\n\n", conversation.title);
    out.push_str(&format!(
        "Exported from Docent. Started {}.\n",
        conversation.created_at.date()
    ));
    for message in messages {
        let who = match message.role {
            Role::User => "Question",
            Role::Assistant => "Answer",
        };
        out.push_str(&format!("\n## {who}\n\n{}\n", message.content.trim()));
        if message.status != MessageStatus::Complete {
            out.push_str(&format!("\n_({})_\n", message.status));
        }
        if !message.citations.is_empty() {
            out.push_str("\nSources:\n\n");
            for c in &message.citations {
                let title = c.title.as_deref().unwrap_or(&c.source);
                let page = c.page.map(|p| format!(", page {p}")).unwrap_or_default();
                // Only web addresses become links: a stored `javascript:` URL stays out.
                let link = c
                    .url
                    .as_deref()
                    .filter(|u| is_web_url(u))
                    .map(|u| format!(" <{u}>"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "{}. {title} ({}{page}){link}\n",
                    c.index, c.source
                ));
                let snippet: String = c.snippet.chars().take(400).collect();
                out.push_str(&format!("   > {}\n", snippet.replace('\n', " ")));
            }
        }
    }
    out
}
