-- One-time tokens sent by email (password reset, passwordless sign-in), the outbox of
-- emails to send, and the record of email requests used for rate limiting.
CREATE TABLE email_tokens (
    id            INTEGER PRIMARY KEY,
    purpose       TEXT NOT NULL CHECK (purpose IN ('reset', 'login')),
    email         TEXT NOT NULL,
    user_id       TEXT REFERENCES users(id) ON DELETE CASCADE,  -- NULL: sign-in that will create the account
    token_hash    BLOB NOT NULL UNIQUE,       -- SHA-256 of the token; the token is never stored
    code_hash     BLOB,                       -- sign-in only: SHA-256 of token_hash || code
    code_failures INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER                     -- set once: redeemed, or voided
) STRICT;
CREATE INDEX email_tokens_by_email ON email_tokens(purpose, email, created_at);
CREATE INDEX email_tokens_by_expiry ON email_tokens(expires_at);

CREATE TABLE email_requests (
    purpose      TEXT NOT NULL,
    email        TEXT NOT NULL,
    requested_at INTEGER NOT NULL
) STRICT;
CREATE INDEX email_requests_by_email ON email_requests(purpose, email, requested_at);

-- Written in the same transaction as the token it carries. The bodies hold the one-time link
-- until the email is sent or its token ends; then they are blanked (secure_delete is on).
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,            -- reset, login, password_changed
    token_id        INTEGER REFERENCES email_tokens(id) ON DELETE SET NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'void')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,         -- also a lease: a sender moves it ahead before sending
    finished_at     INTEGER
) STRICT;
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
