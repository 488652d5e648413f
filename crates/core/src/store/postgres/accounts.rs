use tokio_postgres::Row;
use uuid::Uuid;

use super::PgTx;
use crate::error::Result;
use crate::store::accounts::{Account, Accounts, NewAccount};
use crate::store::Millis;

const COLUMNS: &str = "id, email, password_hash, email_verified_at IS NOT NULL";

fn account(row: &Row) -> Account {
    Account {
        id: row.get(0),
        email: row.get(1),
        password_hash: row.get(2),
        email_verified: row.get(3),
    }
}

impl Accounts for PgTx<'_> {
    fn email_taken(&self, email: &str) -> Result<bool> {
        Ok(self
            .query_opt("SELECT 1 FROM users WHERE email = $1", &[&email])?
            .is_some())
    }

    fn insert(&self, account: &NewAccount<'_>) -> Result<bool> {
        // A failed statement would end the whole transaction: a taken email inserts nothing.
        let verified_at = account.email_verified.then_some(account.now);
        let inserted = self.execute(
            "INSERT INTO users (id, email, password_hash, created_at, updated_at, email_verified_at)
             VALUES ($1, $2, $3, $4, $4, $5) ON CONFLICT (email) DO NOTHING",
            &[
                &account.id,
                &account.email,
                &account.password_hash,
                &account.now,
                &verified_at,
            ],
        )?;
        Ok(inserted == 1)
    }

    fn by_email(&self, email: &str) -> Result<Option<Account>> {
        Ok(self
            .query_opt(
                &format!("SELECT {COLUMNS} FROM users WHERE email = $1"),
                &[&email],
            )?
            .as_ref()
            .map(account))
    }

    fn by_id(&self, id: Uuid) -> Result<Option<Account>> {
        Ok(self
            .query_opt(
                &format!("SELECT {COLUMNS} FROM users WHERE id = $1"),
                &[&id],
            )?
            .as_ref()
            .map(account))
    }

    fn set_password_hash(&self, id: Uuid, hash: Option<&str>, now: Millis) -> Result<()> {
        self.execute(
            "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3",
            &[&hash, &now, &id],
        )?;
        Ok(())
    }

    fn prove_address(&self, id: Uuid, now: Millis) -> Result<()> {
        self.execute(
            "UPDATE users SET email_verified_at = coalesce(email_verified_at, $1) WHERE id = $2",
            &[&now, &id],
        )?;
        Ok(())
    }
}
