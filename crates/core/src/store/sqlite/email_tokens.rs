use rusqlite::OptionalExtension as _;
use uuid::Uuid;

use super::{uuid, SqliteTx};
use crate::domain::TokenHash;
use crate::error::Result;
use crate::store::email_tokens::{
    EmailTokens, LiveCode, LiveToken, NewToken, Purpose, RequestCounts,
};
use crate::store::{hash32, Millis};

fn live_token(id: i64, email: String, user_id: Option<String>) -> Result<LiveToken> {
    Ok(LiveToken {
        id,
        email,
        user_id: user_id.map(uuid).transpose()?,
    })
}

impl EmailTokens for SqliteTx<'_> {
    fn issue(&self, token: &NewToken<'_>) -> Result<i64> {
        self.0.execute(
            "UPDATE email_tokens SET used_at = ?1 WHERE purpose = ?2 AND email = ?3 AND used_at IS NULL",
            rusqlite::params![token.now, token.purpose.as_str(), token.email],
        )?;
        self.0.execute(
            "INSERT INTO email_tokens (purpose, email, user_id, token_hash, code_hash, created_at, expires_at)
             VALUES (?1, ?2, (SELECT id FROM users WHERE email = ?2), ?3, ?4, ?5, ?6)",
            rusqlite::params![
                token.purpose.as_str(),
                token.email,
                &token.token_hash.0[..],
                token.code_hash.as_ref().map(|hash| &hash[..]),
                token.now,
                token.expires_at
            ],
        )?;
        Ok(self.0.last_insert_rowid())
    }

    fn live_by_hash(
        &self,
        purpose: Purpose,
        hash: &TokenHash,
        now: Millis,
    ) -> Result<Option<LiveToken>> {
        self.0
            .prepare_cached(
                "SELECT id, email, user_id FROM email_tokens WHERE token_hash = ?1
                 AND purpose = ?2 AND used_at IS NULL AND expires_at > ?3",
            )?
            .query_row(
                rusqlite::params![&hash.0[..], purpose.as_str(), now],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?
            .map(|(id, email, user_id)| live_token(id, email, user_id))
            .transpose()
    }

    fn newest_live(&self, purpose: Purpose, email: &str, now: Millis) -> Result<Option<LiveCode>> {
        let row = self
            .0
            .prepare_cached(
                "SELECT id, email, user_id, token_hash, code_hash, code_failures FROM email_tokens
                 WHERE purpose = ?1 AND email = ?2 AND used_at IS NULL AND expires_at > ?3
                 ORDER BY created_at DESC, id DESC LIMIT 1",
            )?
            .query_row(rusqlite::params![purpose.as_str(), email, now], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, Vec<u8>>(3)?,
                    row.get::<_, Option<Vec<u8>>>(4)?,
                    row.get::<_, i64>(5)?,
                ))
            })
            .optional()?;
        row.map(|(id, email, user_id, token_hash, code_hash, failures)| {
            Ok(LiveCode {
                token: live_token(id, email, user_id)?,
                token_hash: TokenHash(hash32(token_hash)?),
                code_hash: code_hash.map(hash32).transpose()?,
                failures,
            })
        })
        .transpose()
    }

    fn count_code_failure(&self, id: i64) -> Result<()> {
        self.0.execute(
            "UPDATE email_tokens SET code_failures = code_failures + 1 WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }

    fn claim(&self, id: i64, now: Millis) -> Result<bool> {
        Ok(self.0.execute(
            "UPDATE email_tokens SET used_at = ?1 WHERE id = ?2 AND used_at IS NULL AND expires_at > ?1",
            [now, id],
        )? == 1)
    }

    fn void_for_account(&self, purpose: Purpose, user_id: Uuid, now: Millis) -> Result<()> {
        self.0.execute(
            "UPDATE email_tokens SET used_at = ?1 WHERE purpose = ?2 AND user_id = ?3 AND used_at IS NULL",
            rusqlite::params![now, purpose.as_str(), user_id.to_string()],
        )?;
        Ok(())
    }

    fn delete_expired(&self, now: Millis) -> Result<usize> {
        Ok(self
            .0
            .execute("DELETE FROM email_tokens WHERE expires_at <= ?1", [now])?)
    }

    fn requests(
        &self,
        purpose: Purpose,
        email: &str,
        client: &str,
        since: Millis,
    ) -> Result<RequestCounts> {
        Ok(self.0.query_row(
            "SELECT count(*) FILTER (WHERE client = ?3), max(requested_at) FILTER (WHERE client = ?3), count(*)
             FROM email_requests WHERE purpose = ?1 AND email = ?2 AND requested_at > ?4",
            rusqlite::params![purpose.as_str(), email, client, since],
            |row| {
                Ok(RequestCounts {
                    by_client: row.get(0)?,
                    newest_by_client: row.get(1)?,
                    by_anyone: row.get(2)?,
                })
            },
        )?)
    }

    fn record_request(
        &self,
        purpose: Purpose,
        email: &str,
        client: &str,
        now: Millis,
    ) -> Result<()> {
        self.0.execute(
            "INSERT INTO email_requests (purpose, email, client, requested_at) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![purpose.as_str(), email, client, now],
        )?;
        Ok(())
    }

    fn delete_requests_before(&self, cutoff: Millis) -> Result<usize> {
        Ok(self.0.execute(
            "DELETE FROM email_requests WHERE requested_at <= ?1",
            [cutoff],
        )?)
    }
}
