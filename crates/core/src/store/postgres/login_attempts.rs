use super::PgTx;
use crate::error::Result;
use crate::store::login_attempts::{AttemptId, LoginAttempts, Reservation};
use crate::store::Millis;

impl LoginAttempts for PgTx<'_> {
    // A write transaction holds the store's write lock (mod.rs), so the count and the insert
    // cannot interleave with another's, on this instance or another.
    fn reserve(&self, email: &str, since: Millis, max: usize, now: Millis) -> Result<Reservation> {
        let limit = i64::try_from(max).unwrap_or(i64::MAX);
        let recent: Vec<i64> = self
            .query(
                "SELECT failed_at FROM login_failures WHERE email = $1 AND failed_at > $2
                 ORDER BY failed_at DESC LIMIT $3",
                &[&email, &since, &limit],
            )?
            .iter()
            .map(|row| row.get(0))
            .collect();
        if recent.len() >= max {
            return Ok(Reservation::Full {
                oldest: recent[max - 1],
            });
        }
        let id: i64 = self
            .query_one(
                "INSERT INTO login_failures (email, failed_at) VALUES ($1, $2) RETURNING id",
                &[&email, &now],
            )?
            .get(0);
        Ok(Reservation::Reserved(AttemptId(id)))
    }

    fn forget(&self, attempt: AttemptId) -> Result<()> {
        self.execute("DELETE FROM login_failures WHERE id = $1", &[&attempt.0])?;
        Ok(())
    }

    fn clear(&self, email: &str) -> Result<()> {
        self.execute("DELETE FROM login_failures WHERE email = $1", &[&email])?;
        Ok(())
    }

    fn delete_before(&self, cutoff: Millis) -> Result<usize> {
        Ok(self.execute(
            "DELETE FROM login_failures WHERE failed_at <= $1",
            &[&cutoff],
        )? as usize)
    }
}
