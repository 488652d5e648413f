//! Conversations, and who may see them: their owner (a temporary one only from the session
//! that made it), and, to read only, proven people of the owner's domain when the workspace is
//! shared with it and the owner's address is proven too.

use uuid::Uuid;

use super::workspaces::own_workspace;
use super::ChatService;
use crate::access::shared_with;
use crate::domain::chat::{Conversation, ConversationPatch, NewConversation};
use crate::error::{Error, ErrorCode, Result};
use crate::store::conversations::NewConversationRecord;
use crate::store::Tx;
use crate::user::CurrentUser;

pub(super) use crate::access::Access;

fn not_found() -> Error {
    Error::NotFound {
        what: "Conversation",
    }
}

/// The conversation if the caller may see it, and how; otherwise not found.
pub(super) fn visible_conversation(
    tx: &dyn Tx,
    user: &CurrentUser,
    id: Uuid,
) -> Result<(Conversation, Access)> {
    let record = tx.conversations().find(id)?.ok_or_else(not_found)?;
    let conversation = record.conversation;
    let mine = conversation.user_id == user.user_id;
    let access = if mine && (!conversation.temporary || record.session_id == Some(user.session_id))
    {
        Access::Owner
    } else if !mine
        && !conversation.temporary
        && shared_with(
            user,
            record.shared_with_domain,
            &record.owner_email,
            record.owner_proven,
        )
    {
        Access::ReadOnly
    } else {
        return Err(not_found());
    };
    Ok((
        Conversation {
            read_only: access == Access::ReadOnly,
            ..conversation
        },
        access,
    ))
}

/// The conversation if the caller owns it; read-only access is refused with a reason.
pub(super) fn writable_conversation(
    tx: &dyn Tx,
    user: &CurrentUser,
    id: Uuid,
) -> Result<Conversation> {
    match visible_conversation(tx, user, id)? {
        (conversation, Access::Owner) => Ok(conversation),
        (_, Access::ReadOnly) => Err(Error::Forbidden {
            code: ErrorCode::ReadOnly,
            message: "This conversation is shared with you to read. Start your own conversation to ask questions.".to_owned(),
        }),
    }
}

/// A conversation title as given: trimmed, 1 to 200 characters.
fn checked_title(title: &str) -> Result<String> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(Error::invalid(
            ErrorCode::InvalidTitle,
            "A conversation title must be 1 to 200 characters long.",
        ));
    }
    Ok(title.to_owned())
}

/// A title from a first question: its first 60 characters, cut at a word.
pub(super) fn title_from(question: &str) -> String {
    let words: Vec<&str> = question.split_whitespace().collect();
    let flat = words.join(" ");
    if flat.chars().count() <= 60 {
        return flat;
    }
    let cut: String = flat.chars().take(60).collect();
    let at_word = cut
        .rfind(' ')
        .filter(|i| *i > 20)
        .map_or(cut.as_str(), |i| &cut[..i]);
    format!("{at_word}…")
}

impl ChatService {
    /// The conversations in one of the caller's workspaces, newest first (temporary ones only
    /// from this session).
    pub async fn list_conversations(
        &self,
        user: &CurrentUser,
        workspace_id: Uuid,
    ) -> Result<Vec<Conversation>> {
        let (owner, session) = (user.user_id, user.session_id);
        self.store
            .read(move |tx| {
                own_workspace(tx, owner, workspace_id)?;
                tx.conversations().list_in(workspace_id, owner, session)
            })
            .await
    }

    /// Makes a conversation in one of the caller's workspaces.
    pub async fn create_conversation(
        &self,
        user: &CurrentUser,
        workspace_id: Uuid,
        new: NewConversation,
    ) -> Result<Conversation> {
        let title = match new.title {
            Some(title) => checked_title(&title)?,
            None => "New conversation".to_owned(),
        };
        let temporary = new.temporary.unwrap_or(false);
        let user = user.clone();
        let now = self.now();
        self.store
            .write(move |tx| {
                own_workspace(tx, user.user_id, workspace_id)?;
                let id = Uuid::new_v4();
                tx.conversations().insert(&NewConversationRecord {
                    id,
                    workspace_id,
                    user_id: user.user_id,
                    title: &title,
                    first_query: None,
                    temporary_for: temporary.then_some(user.session_id),
                    now,
                })?;
                Ok(visible_conversation(tx, &user, id)?.0)
            })
            .await
    }

    /// A conversation the caller may see (`read_only` when shared with them).
    pub async fn get_conversation(&self, user: &CurrentUser, id: Uuid) -> Result<Conversation> {
        let user = user.clone();
        self.store
            .read(move |tx| Ok(visible_conversation(tx, &user, id)?.0))
            .await
    }

    /// Renames a conversation.
    pub async fn update_conversation(
        &self,
        user: &CurrentUser,
        id: Uuid,
        patch: ConversationPatch,
    ) -> Result<Conversation> {
        let user = user.clone();
        let now = self.now();
        self.store
            .write(move |tx| {
                writable_conversation(tx, &user, id)?;
                if let Some(title) = patch.title {
                    tx.conversations()
                        .rename(id, &checked_title(&title)?, now)?;
                }
                Ok(visible_conversation(tx, &user, id)?.0)
            })
            .await
    }

    /// Deletes a conversation and its messages.
    pub async fn delete_conversation(&self, user: &CurrentUser, id: Uuid) -> Result<()> {
        let user = user.clone();
        self.store
            .write(move |tx| {
                writable_conversation(tx, &user, id)?;
                tx.conversations().delete(id)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_the_first_question() {
        assert_eq!(
            title_from("  What is   the retention policy? "),
            "What is the retention policy?"
        );
        let long =
            "How long do we keep personnel records after an employee leaves the company for good";
        let title = title_from(long);
        assert!(
            title.ends_with('…') && title.chars().count() <= 61,
            "{title}"
        );
        assert!(long.starts_with(title.trim_end_matches('…')));
    }
}
