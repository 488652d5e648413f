-- Accounts and sessions. Instants are INTEGER milliseconds since the Unix epoch, UTC.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,          -- UUID v4
    email         TEXT NOT NULL UNIQUE,      -- trimmed, lower-case
    password_hash TEXT,                      -- argon2id PHC string; NULL: passwordless account
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   BLOB NOT NULL UNIQUE,       -- SHA-256 of the token; the token is never stored
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,           -- absolute end of life
    last_seen_at INTEGER NOT NULL            -- written at most once a minute
) STRICT;
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);
CREATE INDEX sessions_by_last_seen ON sessions(last_seen_at);

-- Failed sign-ins, per email (known or not, so throttling reveals nothing).
CREATE TABLE login_failures (
    email     TEXT NOT NULL,
    failed_at INTEGER NOT NULL
) STRICT;
CREATE INDEX login_failures_by_email ON login_failures(email, failed_at);
