-- Searching a workspace's passages: each passage's words as a tsvector of the 'english'
-- configuration (stemmed, as the SQLite index's porter tokenizer), the text weighted A and its
-- heading path B, with a GIN index; and its length in words, for bm25. Both are written with
-- the passage (store/postgres/documents.rs), from the one expression.
ALTER TABLE passages ADD COLUMN words tsvector NOT NULL DEFAULT ''::tsvector;
ALTER TABLE passages ADD COLUMN length INTEGER NOT NULL DEFAULT 0;
CREATE INDEX passages_by_words ON passages USING GIN (words);
