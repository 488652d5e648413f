-- An address counts only once it is proven: by an emailed sign-in, a password reset, or the
-- confirmation link sent at password registration. NULL: not proven (yet).
ALTER TABLE users ADD COLUMN email_verified_at INTEGER;
-- Accounts without a password were made by an emailed sign-in, which proved the address.
-- Password accounts made so far proved nothing; they prove it at their next emailed step.
UPDATE users SET email_verified_at = created_at WHERE password_hash IS NULL;

-- Email tokens gain the purpose 'verify' (confirming a password account's address), and a
-- sign-in code can be used up (code_failures) without voiding its link. SQLite cannot change a
-- CHECK constraint, so the table is rebuilt; the migration runs with foreign keys off, so the
-- outbox rows that point at tokens keep them.
CREATE TABLE email_tokens_new (
    id            INTEGER PRIMARY KEY,
    purpose       TEXT NOT NULL CHECK (purpose IN ('reset', 'login', 'verify')),
    email         TEXT NOT NULL,
    user_id       TEXT REFERENCES users(id) ON DELETE CASCADE,  -- NULL: sign-in that will create the account
    token_hash    BLOB NOT NULL UNIQUE,       -- SHA-256 of the token; the token is never stored
    code_hash     BLOB,                       -- sign-in and verify: SHA-256 of token_hash || code
    code_failures INTEGER NOT NULL DEFAULT 0, -- wrong codes; at the limit the code is void, the link not
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER                     -- set once: redeemed, or voided by a newer email
) STRICT;
INSERT INTO email_tokens_new (id, purpose, email, user_id, token_hash, code_hash, code_failures,
                              created_at, expires_at, used_at)
SELECT id, purpose, email, user_id, token_hash, code_hash, code_failures, created_at, expires_at, used_at
FROM email_tokens;
DROP TABLE email_tokens;
ALTER TABLE email_tokens_new RENAME TO email_tokens;
CREATE INDEX email_tokens_by_email ON email_tokens(purpose, email, created_at);
CREATE INDEX email_tokens_by_expiry ON email_tokens(expires_at);

-- The email allowance is kept per address and per requesting client, so that a stranger's
-- requests for someone else's address use up only the stranger's share.
ALTER TABLE email_requests ADD COLUMN client TEXT NOT NULL DEFAULT '';
CREATE INDEX email_requests_by_client ON email_requests(purpose, email, client, requested_at);

-- login_failures now also holds attempts reserved before their password is checked: a row is
-- written before the hash is verified and removed when the password was right.
