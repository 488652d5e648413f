-- Docent's schema on PostgreSQL: the same tables as SQLite's migrations 1 to 5 reach, in
-- PostgreSQL's types. Instants are BIGINT milliseconds since the Unix epoch, UTC; ids are UUIDs
-- (rows only the store refers to have an identity column); hashes are BYTEA. Lists in the order
-- rows were made break ties of equal instants by `seq`, as SQLite's by rowid.

CREATE TABLE users (
    id                UUID PRIMARY KEY,
    email             TEXT NOT NULL UNIQUE,        -- trimmed, lower-case
    password_hash     TEXT,                        -- argon2id PHC string; NULL: passwordless account
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    email_verified_at BIGINT                       -- NULL: the address is not proven (yet)
);

CREATE TABLE sessions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   BYTEA NOT NULL UNIQUE,            -- SHA-256 of the token; the token is never stored
    user_id      UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,                  -- absolute end of life
    last_seen_at BIGINT NOT NULL                   -- written at most once a minute
);
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);
CREATE INDEX sessions_by_last_seen ON sessions(last_seen_at);

-- Failed sign-ins and sign-ins under way (reserved before the password is checked), per email,
-- known or not, so throttling reveals nothing.
CREATE TABLE login_failures (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email     TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX login_failures_by_email ON login_failures(email, failed_at);

CREATE TABLE email_tokens (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    purpose       TEXT NOT NULL CHECK (purpose IN ('reset', 'login', 'verify')),
    email         TEXT NOT NULL,
    user_id       UUID REFERENCES users(id) ON DELETE CASCADE,  -- NULL: sign-in that will create the account
    token_hash    BYTEA NOT NULL UNIQUE,           -- SHA-256 of the token; the token is never stored
    code_hash     BYTEA,                           -- sign-in and verify: SHA-256 of token_hash || code
    code_failures BIGINT NOT NULL DEFAULT 0,       -- wrong codes; at the limit the code is void, the link not
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT                           -- set once: redeemed, or voided by a newer email
);
CREATE INDEX email_tokens_by_email ON email_tokens(purpose, email, created_at);
CREATE INDEX email_tokens_by_expiry ON email_tokens(expires_at);

-- Email requests, per address and per requesting client, for the email allowance.
CREATE TABLE email_requests (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    purpose      TEXT NOT NULL,
    email        TEXT NOT NULL,
    client       TEXT NOT NULL DEFAULT '',
    requested_at BIGINT NOT NULL
);
CREATE INDEX email_requests_by_email ON email_requests(purpose, email, requested_at);
CREATE INDEX email_requests_by_client ON email_requests(purpose, email, client, requested_at);

-- Written in the same transaction as the token it carries. The bodies hold the one-time link
-- until the email is sent or its token ends; then they are blanked.
CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT NOT NULL,                 -- reset, login, verify, password_changed
    token_id        BIGINT REFERENCES email_tokens(id) ON DELETE SET NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'void')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,               -- also a lease: a sender moves it ahead before sending
    finished_at     BIGINT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

CREATE TABLE workspaces (
    seq                BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id                 UUID PRIMARY KEY,
    owner_id           UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    system_prompt      TEXT NOT NULL DEFAULT '',
    collection         TEXT,
    top_k              INTEGER NOT NULL DEFAULT 5,
    model              TEXT,
    shared_with_domain BOOLEAN NOT NULL DEFAULT FALSE,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX workspaces_by_owner ON workspaces(owner_id, created_at);

CREATE TABLE conversations (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id      UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title        TEXT NOT NULL,
    first_query  TEXT,
    session_id   BIGINT REFERENCES sessions(id) ON DELETE CASCADE,
    temporary    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX conversations_by_user ON conversations(user_id, temporary, updated_at DESC);
CREATE INDEX conversations_by_workspace ON conversations(workspace_id, updated_at DESC);

CREATE TABLE messages (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id              UUID PRIMARY KEY,
    conversation_id UUID NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('complete', 'streaming', 'stopped', 'failed')),
    error_code      TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX messages_by_conversation ON messages(conversation_id, created_at);

CREATE TABLE citations (
    message_id  UUID NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    chunk_id    TEXT NOT NULL,
    source      TEXT NOT NULL,
    title       TEXT,
    url         TEXT,
    page        INTEGER,
    snippet     TEXT NOT NULL,
    document_id UUID,                              -- kept when the document is deleted
    PRIMARY KEY (message_id, idx)
);

CREATE TABLE document_folders (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    path         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (workspace_id, path)
);

CREATE TABLE documents (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id            UUID PRIMARY KEY,
    workspace_id  UUID NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    format        TEXT NOT NULL CHECK (format IN ('pdf', 'docx', 'markdown', 'html', 'text')),
    bytes         BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('queued', 'indexing', 'ready', 'failed')),
    pages         INTEGER,                         -- known once extraction has counted them
    pages_done    INTEGER NOT NULL DEFAULT 0,
    chunks        INTEGER NOT NULL DEFAULT 0,
    error_code    TEXT,
    error_message TEXT,
    -- An indexing job is claimed until this instant; past it, another worker may take it over.
    claimed_until BIGINT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    -- Kept in sync from a folder on the desktop: the folder, and the file's path inside it.
    folder_id     UUID REFERENCES document_folders(id) ON DELETE CASCADE,
    folder_path   TEXT,
    created_at    BIGINT NOT NULL,
    indexed_at    BIGINT,
    UNIQUE (workspace_id, sha256)
);
CREATE INDEX documents_by_workspace ON documents(workspace_id, created_at);
CREATE INDEX documents_to_index ON documents(status, created_at) WHERE status IN ('queued', 'indexing');
CREATE INDEX documents_by_sha256 ON documents(sha256);
CREATE INDEX documents_by_folder ON documents(folder_id, folder_path);

CREATE TABLE passages (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id UUID NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    page        INTEGER,
    heading     TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL
);
CREATE INDEX passages_by_document ON passages(document_id, seq);
