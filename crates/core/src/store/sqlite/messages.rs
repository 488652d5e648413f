use std::collections::HashMap;

use rusqlite::OptionalExtension as _;
use uuid::Uuid;

use super::{uuid, SqliteTx};
use crate::clock::from_millis;
use crate::domain::chat::{Citation, Message, MessageStatus, Role};
use crate::error::Result;
use crate::store::messages::{FinishedAnswer, Messages, NewMessage};
use crate::store::Millis;

impl Messages for SqliteTx<'_> {
    fn of_conversation(&self, conversation: Uuid) -> Result<Vec<Message>> {
        let conversation = conversation.to_string();
        let mut citations: HashMap<String, Vec<Citation>> = HashMap::new();
        let rows = self
            .0
            .prepare_cached(
                "SELECT c.message_id, c.idx, c.chunk_id, c.source, c.title, c.url, c.page, c.snippet,
                        c.document_id
                 FROM citations c JOIN messages m ON m.id = c.message_id
                 WHERE m.conversation_id = ?1 ORDER BY c.message_id, c.idx",
            )?
            .query_map([&conversation], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    Citation {
                        index: row.get(1)?,
                        chunk_id: row.get(2)?,
                        source: row.get(3)?,
                        title: row.get(4)?,
                        url: row.get(5)?,
                        page: row.get(6)?,
                        snippet: row.get(7)?,
                        document_id: row
                            .get::<_, Option<String>>(8)?
                            .and_then(|id| Uuid::parse_str(&id).ok()),
                    },
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (message_id, citation) in rows {
            citations.entry(message_id).or_default().push(citation);
        }
        let rows = self
            .0
            .prepare_cached(
                "SELECT id, role, content, status, error_code, created_at FROM messages
                 WHERE conversation_id = ?1 ORDER BY created_at, rowid",
            )?
            .query_map([&conversation], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, i64>(5)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(id, role, content, status, error_code, created_at)| {
                Ok(Message {
                    citations: citations.remove(&id).unwrap_or_default(),
                    id: uuid(id)?,
                    role: Role::parse(&role)?,
                    content,
                    status: MessageStatus::parse(&status)?,
                    error_code,
                    created_at: from_millis(created_at),
                })
            })
            .collect()
    }

    fn recent_turns(&self, conversation: Uuid, limit: usize) -> Result<Vec<(Role, String)>> {
        let rows = self
            .0
            .prepare_cached(
                "SELECT role, content FROM messages WHERE conversation_id = ?1
                 AND status IN ('complete', 'stopped') AND content <> ''
                 ORDER BY created_at DESC, rowid DESC LIMIT ?2",
            )?
            .query_map(
                rusqlite::params![conversation.to_string(), limit as i64],
                |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut turns = rows
            .into_iter()
            .map(|(role, content)| Ok((Role::parse(&role)?, content)))
            .collect::<Result<Vec<_>>>()?;
        turns.reverse();
        Ok(turns)
    }

    fn insert(&self, m: &NewMessage<'_>) -> Result<()> {
        self.0.execute(
            "INSERT INTO messages (id, conversation_id, role, content, status, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![
                m.id.to_string(),
                m.conversation_id.to_string(),
                m.role.as_str(),
                m.content,
                m.status.as_str(),
                m.now
            ],
        )?;
        Ok(())
    }

    fn finish(&self, answer: &FinishedAnswer<'_>) -> Result<()> {
        let id = answer.id.to_string();
        self.0.execute(
            "UPDATE messages SET content = ?1, status = ?2, error_code = ?3 WHERE id = ?4",
            rusqlite::params![
                answer.content,
                answer.status.as_str(),
                answer.error_code,
                id
            ],
        )?;
        for c in answer.citations {
            self.0.execute(
                "INSERT INTO citations (message_id, idx, chunk_id, source, title, url, page, snippet,
                                        document_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                rusqlite::params![
                    id,
                    c.index,
                    c.chunk_id,
                    c.source,
                    c.title,
                    c.url,
                    c.page,
                    c.snippet,
                    c.document_id.map(|d| d.to_string())
                ],
            )?;
        }
        self.0.execute(
            "UPDATE conversations SET updated_at = ?1
             WHERE id = (SELECT conversation_id FROM messages WHERE id = ?2)",
            rusqlite::params![answer.now, id],
        )?;
        Ok(())
    }

    fn conversation_of(&self, message: Uuid) -> Result<Option<Uuid>> {
        self.0
            .prepare_cached("SELECT conversation_id FROM messages WHERE id = ?1")?
            .query_row([message.to_string()], |row| row.get::<_, String>(0))
            .optional()?
            .map(uuid)
            .transpose()
    }

    fn clear(&self, conversation: Uuid) -> Result<()> {
        self.0.execute(
            "DELETE FROM messages WHERE conversation_id = ?1",
            [conversation.to_string()],
        )?;
        Ok(())
    }

    fn fail_streaming_before(&self, cutoff: Millis, error_code: &str) -> Result<usize> {
        Ok(self.0.execute(
            "UPDATE messages SET status = 'failed', error_code = ?2
             WHERE status = 'streaming' AND created_at <= ?1",
            rusqlite::params![cutoff, error_code],
        )?)
    }
}
