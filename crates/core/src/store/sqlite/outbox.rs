use super::SqliteTx;
use crate::error::{Error, Result};
use crate::store::outbox::{DueEmail, EmailKind, Finished, NewEmail, Outbox, TokenState};
use crate::store::Millis;

impl Outbox for SqliteTx<'_> {
    fn enqueue(&self, email: &NewEmail<'_>) -> Result<()> {
        self.0.execute(
            "INSERT INTO outbox (kind, token_id, recipient, subject, text_body, html_body, created_at, next_attempt_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            rusqlite::params![
                email.kind.as_str(),
                email.token_id,
                email.recipient,
                email.subject,
                email.text,
                email.html,
                email.now
            ],
        )?;
        Ok(())
    }

    fn claim_due(&self, now: Millis, lease_until: Millis, limit: usize) -> Result<Vec<DueEmail>> {
        let rows = self
            .0
            .prepare_cached(
                "SELECT o.id, o.kind, o.recipient, o.subject, o.text_body, o.html_body, o.attempts, o.created_at,
                        o.token_id, t.id, t.used_at, t.expires_at
                 FROM outbox o LEFT JOIN email_tokens t ON t.id = o.token_id
                 WHERE o.status = 'pending' AND o.next_attempt_at <= ?1
                 ORDER BY o.next_attempt_at LIMIT ?2",
            )?
            .query_map(rusqlite::params![now, limit as i64], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, i64>(6)?,
                    row.get::<_, i64>(7)?,
                    (row.get(8)?, row.get(9)?, row.get(10)?, row.get(11)?),
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut due = Vec::with_capacity(rows.len());
        for (id, kind, recipient, subject, text, html, attempts, created_at, token) in rows {
            let kind = EmailKind::parse(&kind).ok_or_else(|| {
                Error::internal(anyhow::anyhow!("an outbox row of kind {kind:?}"))
            })?;
            let (pointed, found, used_at, expires_at) = token;
            let token = TokenState::of(kind, pointed, found, used_at, expires_at);
            self.0
                .prepare_cached("UPDATE outbox SET next_attempt_at = ?1 WHERE id = ?2")?
                .execute([lease_until, id])?;
            due.push(DueEmail {
                id,
                kind,
                recipient,
                subject,
                text,
                html,
                attempts,
                created_at,
                token,
            });
        }
        Ok(due)
    }

    fn finish(&self, id: i64, how: Finished, now: Millis, error: Option<&str>) -> Result<()> {
        self.0.execute(
            "UPDATE outbox SET status = ?1, finished_at = ?2, text_body = '', html_body = '',
                    attempts = attempts + (?1 <> 'void'), last_error = coalesce(?3, last_error)
             WHERE id = ?4",
            rusqlite::params![how.as_str(), now, error, id],
        )?;
        Ok(())
    }

    fn retry_later(&self, id: i64, attempts: i64, error: &str, next: Millis) -> Result<()> {
        self.0.execute(
            "UPDATE outbox SET attempts = ?1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?4",
            rusqlite::params![attempts, error, next, id],
        )?;
        Ok(())
    }

    fn delete_finished_before(&self, cutoff: Millis) -> Result<usize> {
        Ok(self.0.execute(
            "DELETE FROM outbox WHERE status <> 'pending' AND finished_at <= ?1",
            [cutoff],
        )?)
    }

    #[cfg(any(test, feature = "testing"))]
    fn statuses(&self) -> Result<Vec<String>> {
        Ok(self
            .0
            .prepare_cached("SELECT status FROM outbox ORDER BY id")?
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }
}
