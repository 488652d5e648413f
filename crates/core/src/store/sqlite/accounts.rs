use rusqlite::OptionalExtension as _;
use uuid::Uuid;

use super::{is_unique_violation, uuid, SqliteTx};
use crate::error::Result;
use crate::store::accounts::{Account, Accounts, NewAccount};
use crate::store::Millis;

const COLUMNS: &str = "id, email, password_hash, email_verified_at IS NOT NULL";

fn account(row: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, Option<String>, bool)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn finish(found: Option<(String, String, Option<String>, bool)>) -> Result<Option<Account>> {
    found
        .map(|(id, email, password_hash, email_verified)| {
            Ok(Account {
                id: uuid(id)?,
                email,
                password_hash,
                email_verified,
            })
        })
        .transpose()
}

impl Accounts for SqliteTx<'_> {
    fn email_taken(&self, email: &str) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached("SELECT 1 FROM users WHERE email = ?1")?
            .exists([email])?)
    }

    fn insert(&self, account: &NewAccount<'_>) -> Result<bool> {
        let inserted = self.0.execute(
            "INSERT INTO users (id, email, password_hash, created_at, updated_at, email_verified_at)
             VALUES (?1, ?2, ?3, ?4, ?4, CASE WHEN ?5 THEN ?4 END)",
            rusqlite::params![
                account.id.to_string(),
                account.email,
                account.password_hash,
                account.now,
                account.email_verified
            ],
        );
        match inserted {
            Ok(_) => Ok(true),
            Err(err) if is_unique_violation(&err) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }

    fn by_email(&self, email: &str) -> Result<Option<Account>> {
        finish(
            self.0
                .prepare_cached(&format!("SELECT {COLUMNS} FROM users WHERE email = ?1"))?
                .query_row([email], account)
                .optional()?,
        )
    }

    fn by_id(&self, id: Uuid) -> Result<Option<Account>> {
        finish(
            self.0
                .prepare_cached(&format!("SELECT {COLUMNS} FROM users WHERE id = ?1"))?
                .query_row([id.to_string()], account)
                .optional()?,
        )
    }

    fn set_password_hash(&self, id: Uuid, hash: Option<&str>, now: Millis) -> Result<()> {
        self.0.execute(
            "UPDATE users SET password_hash = ?1, updated_at = ?2 WHERE id = ?3",
            rusqlite::params![hash, now, id.to_string()],
        )?;
        Ok(())
    }

    fn prove_address(&self, id: Uuid, now: Millis) -> Result<()> {
        self.0.execute(
            "UPDATE users SET email_verified_at = coalesce(email_verified_at, ?1) WHERE id = ?2",
            rusqlite::params![now, id.to_string()],
        )?;
        Ok(())
    }
}
