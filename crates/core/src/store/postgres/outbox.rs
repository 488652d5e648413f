use super::PgTx;
use crate::error::{Error, Result};
use crate::store::outbox::{DueEmail, EmailKind, Finished, NewEmail, Outbox, TokenState};
use crate::store::Millis;

impl Outbox for PgTx<'_> {
    fn enqueue(&self, email: &NewEmail<'_>) -> Result<()> {
        self.execute(
            "INSERT INTO outbox (kind, token_id, recipient, subject, text_body, html_body, created_at, next_attempt_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            &[
                &email.kind.as_str(),
                &email.token_id,
                &email.recipient,
                &email.subject,
                &email.text,
                &email.html,
                &email.now,
            ],
        )?;
        Ok(())
    }

    // A write transaction holds the store's write lock (mod.rs): two instances never lease the
    // same email, and a lease that ends (its sender crashed) makes it due again for any.
    fn claim_due(&self, now: Millis, lease_until: Millis, limit: usize) -> Result<Vec<DueEmail>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.query(
            "SELECT o.id, o.kind, o.recipient, o.subject, o.text_body, o.html_body, o.attempts, o.created_at,
                    o.token_id, t.id, t.used_at, t.expires_at
             FROM outbox o LEFT JOIN email_tokens t ON t.id = o.token_id
             WHERE o.status = 'pending' AND o.next_attempt_at <= $1
             ORDER BY o.next_attempt_at LIMIT $2",
            &[&now, &limit],
        )?;
        let mut due = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.get(0);
            let kind: String = row.get(1);
            let kind = EmailKind::parse(&kind).ok_or_else(|| {
                Error::internal(anyhow::anyhow!("an outbox row of kind {kind:?}"))
            })?;
            let token = TokenState::of(kind, row.get(8), row.get(9), row.get(10), row.get(11));
            self.execute(
                "UPDATE outbox SET next_attempt_at = $1 WHERE id = $2",
                &[&lease_until, &id],
            )?;
            due.push(DueEmail {
                id,
                kind,
                recipient: row.get(2),
                subject: row.get(3),
                text: row.get(4),
                html: row.get(5),
                attempts: row.get(6),
                created_at: row.get(7),
                token,
            });
        }
        Ok(due)
    }

    fn finish(&self, id: i64, how: Finished, now: Millis, error: Option<&str>) -> Result<()> {
        self.execute(
            "UPDATE outbox SET status = $1, finished_at = $2, text_body = '', html_body = '',
                    attempts = attempts + CASE WHEN $1 <> 'void' THEN 1 ELSE 0 END,
                    last_error = coalesce($3, last_error)
             WHERE id = $4",
            &[&how.as_str(), &now, &error, &id],
        )?;
        Ok(())
    }

    fn retry_later(&self, id: i64, attempts: i64, error: &str, next: Millis) -> Result<()> {
        self.execute(
            "UPDATE outbox SET attempts = $1, last_error = $2, next_attempt_at = $3 WHERE id = $4",
            &[&attempts, &error, &next, &id],
        )?;
        Ok(())
    }

    fn delete_finished_before(&self, cutoff: Millis) -> Result<usize> {
        Ok(self.execute(
            "DELETE FROM outbox WHERE status <> 'pending' AND finished_at <= $1",
            &[&cutoff],
        )? as usize)
    }

    #[cfg(any(test, feature = "testing"))]
    fn statuses(&self) -> Result<Vec<String>> {
        Ok(self
            .query("SELECT status FROM outbox ORDER BY id", &[])?
            .iter()
            .map(|row| row.get(0))
            .collect())
    }
}
