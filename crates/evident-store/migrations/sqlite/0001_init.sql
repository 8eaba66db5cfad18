-- Evident store, initial schema (SQLite). Keep the same logical schema as
-- ../postgres/0001_init.sql: backups move between the two.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL,
    -- lower-cased username: logins are case-insensitive
    username_key  TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

-- Only SHA-256 hashes of tokens are stored: a leaked database does not leak live sessions.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    label      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE login_failures (
    id           INTEGER PRIMARY KEY,
    username_key TEXT NOT NULL,
    client       TEXT NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX login_failures_username ON login_failures (username_key, at);
CREATE INDEX login_failures_client ON login_failures (client, at);

CREATE TABLE articles (
    id                  INTEGER PRIMARY KEY,
    slug                TEXT NOT NULL UNIQUE,
    question            TEXT NOT NULL,
    normalized_question TEXT NOT NULL,
    focus               TEXT,
    kind                TEXT NOT NULL,
    analysis            TEXT NOT NULL,
    state               TEXT NOT NULL,
    current_version     INTEGER NOT NULL,
    published_version   INTEGER,
    claimed_by          TEXT,
    approved_by         TEXT,
    approved_at         INTEGER,
    parent_id           INTEGER REFERENCES articles(id),
    source_changed      INTEGER NOT NULL DEFAULT 0,
    merged_into         TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    rev                 INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX articles_normalized_question ON articles (normalized_question);
CREATE INDEX articles_focus_kind ON articles (focus, kind);
CREATE INDEX articles_updated ON articles (updated_at);
CREATE INDEX articles_parent ON articles (parent_id);

CREATE TABLE versions (
    article_id  INTEGER NOT NULL REFERENCES articles(id),
    number      INTEGER NOT NULL,
    -- JSON array of evident_core::Answer, one per audience
    answers     TEXT NOT NULL,
    author      TEXT,
    note        TEXT,
    created_at  INTEGER NOT NULL,
    approved_by TEXT,
    approved_at INTEGER,
    PRIMARY KEY (article_id, number)
);

-- The passages each version cites, so a changed source finds its articles.
CREATE TABLE article_citations (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    version    INTEGER NOT NULL,
    source_id  TEXT NOT NULL,
    passage_id TEXT NOT NULL,
    PRIMARY KEY (article_id, version, passage_id)
);
CREATE INDEX article_citations_source ON article_citations (source_id);

CREATE TABLE comments (
    id         INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id),
    version    INTEGER NOT NULL,
    target     TEXT,
    body       TEXT NOT NULL,
    by_user    TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX comments_article ON comments (article_id);

CREATE TABLE marks (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    version    INTEGER NOT NULL,
    statement  TEXT NOT NULL,
    mark       TEXT NOT NULL,
    by_user    TEXT NOT NULL,
    at         INTEGER NOT NULL,
    PRIMARY KEY (article_id, version, statement)
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor      TEXT,
    action     TEXT NOT NULL,
    article_id INTEGER,
    version    INTEGER,
    detail     TEXT NOT NULL
);
CREATE INDEX audit_log_article ON audit_log (article_id);

-- The audit log is append-only, whatever code or person holds the connection.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
