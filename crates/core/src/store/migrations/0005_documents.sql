-- A workspace's own documents: the file (its bytes live in the data dir under their SHA-256),
-- its indexing job (the row's status: a restart finds queued and interrupted jobs here), and
-- its passages, searched with FTS5 (bm25).

-- A folder on this machine whose files are kept as a workspace's documents.
CREATE TABLE document_folders (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    path         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (workspace_id, path)
) STRICT;

CREATE TABLE documents (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    format        TEXT NOT NULL CHECK (format IN ('pdf', 'docx', 'markdown', 'html', 'text')),
    bytes         INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('queued', 'indexing', 'ready', 'failed')),
    pages         INTEGER,                    -- known once extraction has counted them
    pages_done    INTEGER NOT NULL DEFAULT 0,
    chunks        INTEGER NOT NULL DEFAULT 0,
    error_code    TEXT,
    error_message TEXT,
    -- An indexing job is claimed until this instant; past it, another worker may take it over
    -- (the one that claimed it stopped: a crash, a restart).
    claimed_until INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    -- Kept in sync from a folder on the desktop: the folder, and the file's path inside it.
    folder_id     TEXT REFERENCES document_folders(id) ON DELETE CASCADE,
    folder_path   TEXT,
    created_at    INTEGER NOT NULL,
    indexed_at    INTEGER,
    UNIQUE (workspace_id, sha256)
) STRICT;
CREATE INDEX documents_by_workspace ON documents(workspace_id, created_at);
CREATE INDEX documents_to_index ON documents(status, created_at) WHERE status IN ('queued', 'indexing');
CREATE INDEX documents_by_sha256 ON documents(sha256);
CREATE INDEX documents_by_folder ON documents(folder_id, folder_path);

-- A passage: a few hundred words of one page, under its heading path. `scope` is one token
-- naming its workspace ("w" and the id's hex), so a search matches it with the words and
-- scores no other workspace's passages.
CREATE TABLE passages (
    id          INTEGER PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    page        INTEGER,
    heading     TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL,
    scope       TEXT NOT NULL
) STRICT;
CREATE INDEX passages_by_document ON passages(document_id, seq);

CREATE VIRTUAL TABLE passages_fts USING fts5(
    text, heading, scope,
    content = 'passages', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER passages_fts_insert AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts (rowid, text, heading, scope)
    VALUES (new.id, new.text, new.heading, new.scope);
END;
CREATE TRIGGER passages_fts_delete AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts (passages_fts, rowid, text, heading, scope)
    VALUES ('delete', old.id, old.text, old.heading, old.scope);
END;

-- A citation of a workspace's own passage names its document (which may be deleted later:
-- the citation keeps the passage as it was).
ALTER TABLE citations ADD COLUMN document_id TEXT;
