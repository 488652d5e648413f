use tokio_postgres::Row;
use uuid::Uuid;

use super::PgTx;
use crate::domain::TokenHash;
use crate::error::Result;
use crate::store::email_tokens::{
    EmailTokens, LiveCode, LiveToken, NewToken, Purpose, RequestCounts,
};
use crate::store::{hash32, Millis};

fn live_token(row: &Row) -> LiveToken {
    LiveToken {
        id: row.get(0),
        email: row.get(1),
        user_id: row.get(2),
    }
}

impl EmailTokens for PgTx<'_> {
    fn issue(&self, token: &NewToken<'_>) -> Result<i64> {
        self.execute(
            "UPDATE email_tokens SET used_at = $1 WHERE purpose = $2 AND email = $3 AND used_at IS NULL",
            &[&token.now, &token.purpose.as_str(), &token.email],
        )?;
        let code_hash = token.code_hash.as_ref().map(|hash| &hash[..]);
        Ok(self
            .query_one(
                "INSERT INTO email_tokens (purpose, email, user_id, token_hash, code_hash, created_at, expires_at)
                 VALUES ($1, $2, (SELECT id FROM users WHERE email = $2), $3, $4, $5, $6)
                 RETURNING id",
                &[
                    &token.purpose.as_str(),
                    &token.email,
                    &&token.token_hash.0[..],
                    &code_hash,
                    &token.now,
                    &token.expires_at,
                ],
            )?
            .get(0))
    }

    fn live_by_hash(
        &self,
        purpose: Purpose,
        hash: &TokenHash,
        now: Millis,
    ) -> Result<Option<LiveToken>> {
        Ok(self
            .query_opt(
                "SELECT id, email, user_id FROM email_tokens WHERE token_hash = $1
                 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
                &[&&hash.0[..], &purpose.as_str(), &now],
            )?
            .as_ref()
            .map(live_token))
    }

    fn newest_live(&self, purpose: Purpose, email: &str, now: Millis) -> Result<Option<LiveCode>> {
        self.query_opt(
            "SELECT id, email, user_id, token_hash, code_hash, code_failures
             FROM email_tokens
             WHERE purpose = $1 AND email = $2 AND used_at IS NULL AND expires_at > $3
             ORDER BY created_at DESC, id DESC LIMIT 1",
            &[&purpose.as_str(), &email, &now],
        )?
        .map(|row| {
            Ok(LiveCode {
                token: live_token(&row),
                token_hash: TokenHash(hash32(row.get(3))?),
                code_hash: row.get::<_, Option<Vec<u8>>>(4).map(hash32).transpose()?,
                failures: row.get(5),
            })
        })
        .transpose()
    }

    fn count_code_failure(&self, id: i64) -> Result<()> {
        self.execute(
            "UPDATE email_tokens SET code_failures = code_failures + 1 WHERE id = $1",
            &[&id],
        )?;
        Ok(())
    }

    fn claim(&self, id: i64, now: Millis) -> Result<bool> {
        Ok(self.execute(
            "UPDATE email_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1",
            &[&now, &id],
        )? == 1)
    }

    fn void_for_account(&self, purpose: Purpose, user_id: Uuid, now: Millis) -> Result<()> {
        self.execute(
            "UPDATE email_tokens SET used_at = $1 WHERE purpose = $2 AND user_id = $3 AND used_at IS NULL",
            &[&now, &purpose.as_str(), &user_id],
        )?;
        Ok(())
    }

    fn delete_expired(&self, now: Millis) -> Result<usize> {
        Ok(self.execute("DELETE FROM email_tokens WHERE expires_at <= $1", &[&now])? as usize)
    }

    fn requests(
        &self,
        purpose: Purpose,
        email: &str,
        client: &str,
        since: Millis,
    ) -> Result<RequestCounts> {
        let row = self.query_one(
            "SELECT count(*) FILTER (WHERE client = $3), max(requested_at) FILTER (WHERE client = $3), count(*)
             FROM email_requests WHERE purpose = $1 AND email = $2 AND requested_at > $4",
            &[&purpose.as_str(), &email, &client, &since],
        )?;
        Ok(RequestCounts {
            by_client: row.get(0),
            newest_by_client: row.get(1),
            by_anyone: row.get(2),
        })
    }

    fn record_request(
        &self,
        purpose: Purpose,
        email: &str,
        client: &str,
        now: Millis,
    ) -> Result<()> {
        self.execute(
            "INSERT INTO email_requests (purpose, email, client, requested_at) VALUES ($1, $2, $3, $4)",
            &[&purpose.as_str(), &email, &client, &now],
        )?;
        Ok(())
    }

    fn delete_requests_before(&self, cutoff: Millis) -> Result<usize> {
        Ok(self.execute(
            "DELETE FROM email_requests WHERE requested_at <= $1",
            &[&cutoff],
        )? as usize)
    }
}
