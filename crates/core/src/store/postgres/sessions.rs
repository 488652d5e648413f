use uuid::Uuid;

use super::PgTx;
use crate::domain::TokenHash;
use crate::error::Result;
use crate::store::sessions::{Session, Sessions};
use crate::store::Millis;

impl Sessions for PgTx<'_> {
    fn insert(
        &self,
        token: &TokenHash,
        user_id: Uuid,
        now: Millis,
        expires_at: Millis,
    ) -> Result<()> {
        self.execute(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at)
             VALUES ($1, $2, $3, $4, $3)",
            &[&&token.0[..], &user_id, &now, &expires_at],
        )?;
        Ok(())
    }

    fn by_token(&self, token: &TokenHash) -> Result<Option<Session>> {
        Ok(self
            .query_opt(
                "SELECT s.id, s.user_id, s.expires_at, s.last_seen_at, u.email,
                        u.email_verified_at IS NOT NULL
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = $1",
                &[&&token.0[..]],
            )?
            .map(|row| Session {
                id: row.get(0),
                user_id: row.get(1),
                expires_at: row.get(2),
                last_seen_at: row.get(3),
                email: row.get(4),
                email_verified: row.get(5),
            }))
    }

    fn touch(&self, id: i64, now: Millis) -> Result<()> {
        self.execute(
            "UPDATE sessions SET last_seen_at = $1 WHERE id = $2",
            &[&now, &id],
        )?;
        Ok(())
    }

    fn delete(&self, id: i64) -> Result<()> {
        self.execute("DELETE FROM sessions WHERE id = $1", &[&id])?;
        Ok(())
    }

    fn delete_for_account(&self, user_id: Uuid) -> Result<usize> {
        Ok(self.execute("DELETE FROM sessions WHERE user_id = $1", &[&user_id])? as usize)
    }

    fn delete_expired(&self, now: Millis, idle_cutoff: Millis) -> Result<usize> {
        Ok(self.execute(
            "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
            &[&now, &idle_cutoff],
        )? as usize)
    }
}
