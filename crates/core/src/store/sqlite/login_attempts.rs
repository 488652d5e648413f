use super::SqliteTx;
use crate::error::Result;
use crate::store::login_attempts::{AttemptId, LoginAttempts, Reservation};
use crate::store::Millis;

impl LoginAttempts for SqliteTx<'_> {
    // A write transaction holds SQLite's one write lock from its start, so the count and the
    // insert cannot interleave with another's.
    fn reserve(&self, email: &str, since: Millis, max: usize, now: Millis) -> Result<Reservation> {
        let recent: Vec<i64> = self
            .0
            .prepare_cached(
                "SELECT failed_at FROM login_failures WHERE email = ?1 AND failed_at > ?2
                 ORDER BY failed_at DESC LIMIT ?3",
            )?
            .query_map(rusqlite::params![email, since, max as i64], |row| {
                row.get(0)
            })?
            .collect::<rusqlite::Result<_>>()?;
        if recent.len() >= max {
            return Ok(Reservation::Full {
                oldest: recent[max - 1],
            });
        }
        self.0
            .prepare_cached("INSERT INTO login_failures (email, failed_at) VALUES (?1, ?2)")?
            .execute(rusqlite::params![email, now])?;
        Ok(Reservation::Reserved(AttemptId(self.0.last_insert_rowid())))
    }

    fn forget(&self, attempt: AttemptId) -> Result<()> {
        self.0
            .prepare_cached("DELETE FROM login_failures WHERE rowid = ?1")?
            .execute([attempt.0])?;
        Ok(())
    }

    fn clear(&self, email: &str) -> Result<()> {
        self.0
            .prepare_cached("DELETE FROM login_failures WHERE email = ?1")?
            .execute([email])?;
        Ok(())
    }

    fn delete_before(&self, cutoff: Millis) -> Result<usize> {
        Ok(self
            .0
            .execute("DELETE FROM login_failures WHERE failed_at <= ?1", [cutoff])?)
    }
}
