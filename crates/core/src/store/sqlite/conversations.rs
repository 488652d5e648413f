use rusqlite::OptionalExtension as _;
use uuid::Uuid;

use super::{uuid, SqliteTx};
use crate::clock::from_millis;
use crate::domain::chat::{Conversation, TopK};
use crate::error::{Error, Result};
use crate::store::conversations::{
    AnswerSettings, ConversationRecord, Conversations, NewConversationRecord,
};
use crate::store::Millis;

impl Conversations for SqliteTx<'_> {
    fn find(&self, id: Uuid) -> Result<Option<ConversationRecord>> {
        let found = self
            .0
            .prepare_cached(
                "SELECT c.id, c.workspace_id, c.user_id, c.title, c.first_query, c.temporary, c.session_id,
                        c.created_at, c.updated_at, w.shared_with_domain, u.email, u.email_verified_at IS NOT NULL
                 FROM conversations c JOIN workspaces w ON w.id = c.workspace_id JOIN users u ON u.id = c.user_id
                 WHERE c.id = ?1",
            )?
            .query_row([id.to_string()], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, bool>(5)?,
                    row.get::<_, Option<i64>>(6)?,
                    row.get::<_, i64>(7)?,
                    row.get::<_, i64>(8)?,
                    row.get::<_, bool>(9)?,
                    row.get::<_, String>(10)?,
                    row.get::<_, bool>(11)?,
                ))
            })
            .optional()?;
        let Some((
            id,
            workspace_id,
            owner,
            title,
            first_query,
            temporary,
            session_id,
            created,
            updated,
            shared_with_domain,
            owner_email,
            owner_proven,
        )) = found
        else {
            return Ok(None);
        };
        Ok(Some(ConversationRecord {
            conversation: Conversation {
                id: uuid(id)?,
                workspace_id: uuid(workspace_id)?,
                user_id: uuid(owner)?,
                title,
                first_query,
                temporary,
                read_only: false,
                created_at: from_millis(created),
                updated_at: from_millis(updated),
            },
            session_id,
            shared_with_domain,
            owner_email,
            owner_proven,
        }))
    }

    fn latest(&self, user: Uuid, session: i64) -> Result<Option<Uuid>> {
        self.0
            .prepare_cached(
                "SELECT id FROM conversations WHERE user_id = ?1 AND (temporary = 0 OR session_id = ?2)
                 ORDER BY updated_at DESC LIMIT 1",
            )?
            .query_row(rusqlite::params![user.to_string(), session], |row| {
                row.get::<_, String>(0)
            })
            .optional()?
            .map(uuid)
            .transpose()
    }

    fn list_in(&self, workspace: Uuid, user: Uuid, session: i64) -> Result<Vec<Conversation>> {
        let rows = self
            .0
            .prepare_cached(
                "SELECT id, title, first_query, temporary, created_at, updated_at FROM conversations
                 WHERE workspace_id = ?1 AND user_id = ?2 AND (temporary = 0 OR session_id = ?3)
                 ORDER BY updated_at DESC, rowid DESC",
            )?
            .query_map(
                rusqlite::params![workspace.to_string(), user.to_string(), session],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, Option<String>>(2)?,
                        row.get::<_, bool>(3)?,
                        row.get::<_, i64>(4)?,
                        row.get::<_, i64>(5)?,
                    ))
                },
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(id, title, first_query, temporary, created, updated)| {
                Ok(Conversation {
                    id: uuid(id)?,
                    workspace_id: workspace,
                    user_id: user,
                    title,
                    first_query,
                    temporary,
                    read_only: false,
                    created_at: from_millis(created),
                    updated_at: from_millis(updated),
                })
            })
            .collect()
    }

    fn insert(&self, c: &NewConversationRecord<'_>) -> Result<()> {
        self.0.execute(
            "INSERT INTO conversations (id, workspace_id, user_id, title, first_query, session_id, temporary, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            rusqlite::params![
                c.id.to_string(),
                c.workspace_id.to_string(),
                c.user_id.to_string(),
                c.title,
                c.first_query,
                c.temporary_for,
                c.temporary_for.is_some(),
                c.now
            ],
        )?;
        Ok(())
    }

    fn rename(&self, id: Uuid, title: &str, now: Millis) -> Result<()> {
        self.0.execute(
            "UPDATE conversations SET title = ?1, updated_at = ?2 WHERE id = ?3",
            rusqlite::params![title, now, id.to_string()],
        )?;
        Ok(())
    }

    fn touch(&self, id: Uuid, now: Millis) -> Result<()> {
        self.0.execute(
            "UPDATE conversations SET updated_at = ?1 WHERE id = ?2",
            rusqlite::params![now, id.to_string()],
        )?;
        Ok(())
    }

    fn note_question(&self, id: Uuid, question: &str, now: Millis) -> Result<()> {
        self.0.execute(
            "UPDATE conversations SET updated_at = ?1, first_query = coalesce(first_query, ?2) WHERE id = ?3",
            rusqlite::params![now, question, id.to_string()],
        )?;
        Ok(())
    }

    fn delete(&self, id: Uuid) -> Result<()> {
        self.0
            .execute("DELETE FROM conversations WHERE id = ?1", [id.to_string()])?;
        Ok(())
    }

    fn answer_settings(&self, id: Uuid) -> Result<AnswerSettings> {
        let (workspace_id, system_prompt, collection, top_k, model): (
            String,
            String,
            Option<String>,
            u32,
            Option<String>,
        ) = self.0.query_row(
            "SELECT w.id, w.system_prompt, w.collection, w.top_k, w.model FROM conversations c
                 JOIN workspaces w ON w.id = c.workspace_id WHERE c.id = ?1",
            [id.to_string()],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            },
        )?;
        Ok(AnswerSettings {
            workspace_id: uuid(workspace_id)?,
            system_prompt,
            collection,
            top_k: TopK::parse(top_k)
                .map_err(|_| Error::internal(anyhow::anyhow!("a stored top_k of {top_k}")))?,
            model,
        })
    }
}
