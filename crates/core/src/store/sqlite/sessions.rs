use rusqlite::OptionalExtension as _;
use uuid::Uuid;

use super::{uuid, SqliteTx};
use crate::domain::TokenHash;
use crate::error::Result;
use crate::store::sessions::{Session, Sessions};
use crate::store::Millis;

impl Sessions for SqliteTx<'_> {
    fn insert(
        &self,
        token: &TokenHash,
        user_id: Uuid,
        now: Millis,
        expires_at: Millis,
    ) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at)
                 VALUES (?1, ?2, ?3, ?4, ?3)",
            )?
            .execute(rusqlite::params![
                &token.0[..],
                user_id.to_string(),
                now,
                expires_at
            ])?;
        Ok(())
    }

    fn by_token(&self, token: &TokenHash) -> Result<Option<Session>> {
        let row = self
            .0
            .prepare_cached(
                "SELECT s.id, s.user_id, s.expires_at, s.last_seen_at, u.email,
                        u.email_verified_at IS NOT NULL
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = ?1",
            )?
            .query_row([&token.0[..]], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, bool>(5)?,
                ))
            })
            .optional()?;
        row.map(
            |(id, user_id, expires_at, last_seen_at, email, email_verified)| {
                Ok(Session {
                    id,
                    user_id: uuid(user_id)?,
                    expires_at,
                    last_seen_at,
                    email,
                    email_verified,
                })
            },
        )
        .transpose()
    }

    fn touch(&self, id: i64, now: Millis) -> Result<()> {
        self.0
            .prepare_cached("UPDATE sessions SET last_seen_at = ?1 WHERE id = ?2")?
            .execute([now, id])?;
        Ok(())
    }

    fn delete(&self, id: i64) -> Result<()> {
        self.0
            .prepare_cached("DELETE FROM sessions WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    fn delete_for_account(&self, user_id: Uuid) -> Result<usize> {
        Ok(self.0.execute(
            "DELETE FROM sessions WHERE user_id = ?1",
            [user_id.to_string()],
        )?)
    }

    fn delete_expired(&self, now: Millis, idle_cutoff: Millis) -> Result<usize> {
        Ok(self.0.execute(
            "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?2",
            [now, idle_cutoff],
        )?)
    }
}
