use std::collections::HashMap;

use uuid::Uuid;

use super::{read, stored, PgTx};
use crate::clock::from_millis;
use crate::domain::chat::{Citation, Message, MessageStatus, Role};
use crate::error::Result;
use crate::store::messages::{FinishedAnswer, Messages, NewMessage};
use crate::store::Millis;

impl Messages for PgTx<'_> {
    fn of_conversation(&self, conversation: Uuid) -> Result<Vec<Message>> {
        let mut citations: HashMap<Uuid, Vec<Citation>> = HashMap::new();
        for row in self.query(
            "SELECT c.message_id, c.idx, c.chunk_id, c.source, c.title, c.url, c.page, c.snippet,
                    c.document_id
             FROM citations c JOIN messages m ON m.id = c.message_id
             WHERE m.conversation_id = $1 ORDER BY c.message_id, c.idx",
            &[&conversation],
        )? {
            citations.entry(row.get(0)).or_default().push(Citation {
                index: read(row.get(1))?,
                chunk_id: row.get(2),
                source: row.get(3),
                title: row.get(4),
                url: row.get(5),
                page: row.get::<_, Option<i32>>(6).map(read).transpose()?,
                snippet: row.get(7),
                document_id: row.get(8),
            });
        }
        self.query(
            "SELECT id, role, content, status, error_code, created_at FROM messages
             WHERE conversation_id = $1 ORDER BY created_at, seq",
            &[&conversation],
        )?
        .iter()
        .map(|row| {
            let id: Uuid = row.get(0);
            Ok(Message {
                citations: citations.remove(&id).unwrap_or_default(),
                id,
                role: Role::parse(row.get(1))?,
                content: row.get(2),
                status: MessageStatus::parse(row.get(3))?,
                error_code: row.get(4),
                created_at: from_millis(row.get(5)),
            })
        })
        .collect()
    }

    fn recent_turns(&self, conversation: Uuid, limit: usize) -> Result<Vec<(Role, String)>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut turns = self
            .query(
                "SELECT role, content FROM messages WHERE conversation_id = $1
                 AND status IN ('complete', 'stopped') AND content <> ''
                 ORDER BY created_at DESC, seq DESC LIMIT $2",
                &[&conversation, &limit],
            )?
            .iter()
            .map(|row| Ok((Role::parse(row.get(0))?, row.get(1))))
            .collect::<Result<Vec<_>>>()?;
        turns.reverse();
        Ok(turns)
    }

    fn insert(&self, m: &NewMessage<'_>) -> Result<()> {
        self.execute(
            "INSERT INTO messages (id, conversation_id, role, content, status, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &m.id,
                &m.conversation_id,
                &m.role.as_str(),
                &m.content,
                &m.status.as_str(),
                &m.now,
            ],
        )?;
        Ok(())
    }

    fn finish(&self, answer: &FinishedAnswer<'_>) -> Result<()> {
        self.execute(
            "UPDATE messages SET content = $1, status = $2, error_code = $3 WHERE id = $4",
            &[
                &answer.content,
                &answer.status.as_str(),
                &answer.error_code,
                &answer.id,
            ],
        )?;
        for c in answer.citations {
            self.execute(
                "INSERT INTO citations (message_id, idx, chunk_id, source, title, url, page, snippet,
                                        document_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    &answer.id,
                    &stored(c.index)?,
                    &c.chunk_id,
                    &c.source,
                    &c.title,
                    &c.url,
                    &c.page.map(stored).transpose()?,
                    &c.snippet,
                    &c.document_id,
                ],
            )?;
        }
        self.execute(
            "UPDATE conversations SET updated_at = $1
             WHERE id = (SELECT conversation_id FROM messages WHERE id = $2)",
            &[&answer.now, &answer.id],
        )?;
        Ok(())
    }

    fn conversation_of(&self, message: Uuid) -> Result<Option<Uuid>> {
        Ok(self
            .query_opt(
                "SELECT conversation_id FROM messages WHERE id = $1",
                &[&message],
            )?
            .map(|row| row.get(0)))
    }

    fn clear(&self, conversation: Uuid) -> Result<()> {
        self.execute(
            "DELETE FROM messages WHERE conversation_id = $1",
            &[&conversation],
        )?;
        Ok(())
    }

    fn fail_streaming_before(&self, cutoff: Millis, error_code: &str) -> Result<usize> {
        Ok(self.execute(
            "UPDATE messages SET status = 'failed', error_code = $2
             WHERE status = 'streaming' AND created_at <= $1",
            &[&cutoff, &error_code],
        )? as usize)
    }
}
