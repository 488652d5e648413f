-- Searching history by words: conversation titles and message contents as tsvectors of the
-- 'simple' configuration (lower-cased words, no stemming: as SQLite's FTS5 tables of them), kept
-- by PostgreSQL itself, each with a GIN index.
ALTER TABLE conversations
    ADD COLUMN title_words tsvector GENERATED ALWAYS AS (to_tsvector('simple', title)) STORED;
CREATE INDEX conversations_by_title_words ON conversations USING GIN (title_words);

ALTER TABLE messages
    ADD COLUMN content_words tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED;
CREATE INDEX messages_by_content_words ON messages USING GIN (content_words);
