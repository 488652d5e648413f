use uuid::Uuid;

use super::PgTx;
use crate::clock::from_millis;
use crate::domain::chat::{Conversation, TopK};
use crate::error::{Error, Result};
use crate::store::conversations::{
    AnswerSettings, ConversationRecord, Conversations, NewConversationRecord,
};
use crate::store::Millis;

impl Conversations for PgTx<'_> {
    fn find(&self, id: Uuid) -> Result<Option<ConversationRecord>> {
        Ok(self
            .query_opt(
                "SELECT c.id, c.workspace_id, c.user_id, c.title, c.first_query, c.temporary, c.session_id,
                        c.created_at, c.updated_at, w.shared_with_domain, u.email, u.email_verified_at IS NOT NULL
                 FROM conversations c JOIN workspaces w ON w.id = c.workspace_id JOIN users u ON u.id = c.user_id
                 WHERE c.id = $1",
                &[&id],
            )?
            .map(|row| ConversationRecord {
                conversation: Conversation {
                    id: row.get(0),
                    workspace_id: row.get(1),
                    user_id: row.get(2),
                    title: row.get(3),
                    first_query: row.get(4),
                    temporary: row.get(5),
                    read_only: false,
                    created_at: from_millis(row.get(7)),
                    updated_at: from_millis(row.get(8)),
                },
                session_id: row.get(6),
                shared_with_domain: row.get(9),
                owner_email: row.get(10),
                owner_proven: row.get(11),
            }))
    }

    fn latest(&self, user: Uuid, session: i64) -> Result<Option<Uuid>> {
        Ok(self
            .query_opt(
                "SELECT id FROM conversations WHERE user_id = $1 AND (NOT temporary OR session_id = $2)
                 ORDER BY updated_at DESC, seq DESC LIMIT 1",
                &[&user, &session],
            )?
            .map(|row| row.get(0)))
    }

    fn list_in(&self, workspace: Uuid, user: Uuid, session: i64) -> Result<Vec<Conversation>> {
        Ok(self
            .query(
                "SELECT id, title, first_query, temporary, created_at, updated_at FROM conversations
                 WHERE workspace_id = $1 AND user_id = $2 AND (NOT temporary OR session_id = $3)
                 ORDER BY updated_at DESC, seq DESC",
                &[&workspace, &user, &session],
            )?
            .iter()
            .map(|row| Conversation {
                id: row.get(0),
                workspace_id: workspace,
                user_id: user,
                title: row.get(1),
                first_query: row.get(2),
                temporary: row.get(3),
                read_only: false,
                created_at: from_millis(row.get(4)),
                updated_at: from_millis(row.get(5)),
            })
            .collect())
    }

    fn insert(&self, c: &NewConversationRecord<'_>) -> Result<()> {
        self.execute(
            "INSERT INTO conversations (id, workspace_id, user_id, title, first_query, session_id, temporary, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
            &[
                &c.id,
                &c.workspace_id,
                &c.user_id,
                &c.title,
                &c.first_query,
                &c.temporary_for,
                &c.temporary_for.is_some(),
                &c.now,
            ],
        )?;
        Ok(())
    }

    fn rename(&self, id: Uuid, title: &str, now: Millis) -> Result<()> {
        self.execute(
            "UPDATE conversations SET title = $1, updated_at = $2 WHERE id = $3",
            &[&title, &now, &id],
        )?;
        Ok(())
    }

    fn touch(&self, id: Uuid, now: Millis) -> Result<()> {
        self.execute(
            "UPDATE conversations SET updated_at = $1 WHERE id = $2",
            &[&now, &id],
        )?;
        Ok(())
    }

    fn note_question(&self, id: Uuid, question: &str, now: Millis) -> Result<()> {
        self.execute(
            "UPDATE conversations SET updated_at = $1, first_query = coalesce(first_query, $2) WHERE id = $3",
            &[&now, &question, &id],
        )?;
        Ok(())
    }

    fn delete(&self, id: Uuid) -> Result<()> {
        self.execute("DELETE FROM conversations WHERE id = $1", &[&id])?;
        Ok(())
    }

    fn answer_settings(&self, id: Uuid) -> Result<AnswerSettings> {
        let row = self.query_one(
            "SELECT w.id, w.system_prompt, w.collection, w.top_k, w.model FROM conversations c
             JOIN workspaces w ON w.id = c.workspace_id WHERE c.id = $1",
            &[&id],
        )?;
        let top_k: i32 = row.get(3);
        Ok(AnswerSettings {
            workspace_id: row.get(0),
            system_prompt: row.get(1),
            collection: row.get(2),
            top_k: u32::try_from(top_k)
                .ok()
                .and_then(|k| TopK::parse(k).ok())
                .ok_or_else(|| Error::internal(anyhow::anyhow!("a stored top_k of {top_k}")))?,
            model: row.get(4),
        })
    }
}
