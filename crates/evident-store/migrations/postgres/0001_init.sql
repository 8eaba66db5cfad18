-- Evident store, initial schema (PostgreSQL). Keep the same logical schema as
-- ../sqlite/0001_init.sql: backups move between the two.

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT NOT NULL,
    -- lower-cased username: logins are case-insensitive
    username_key  TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

-- Only SHA-256 hashes of tokens are stored: a leaked database does not leak live sessions.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    label      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE login_failures (
    id           BIGSERIAL PRIMARY KEY,
    username_key TEXT NOT NULL,
    client       TEXT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX login_failures_username ON login_failures (username_key, at);
CREATE INDEX login_failures_client ON login_failures (client, at);

CREATE TABLE articles (
    id                  BIGSERIAL PRIMARY KEY,
    slug                TEXT NOT NULL UNIQUE,
    question            TEXT NOT NULL,
    normalized_question TEXT NOT NULL,
    focus               TEXT,
    kind                TEXT NOT NULL,
    analysis            TEXT NOT NULL,
    state               TEXT NOT NULL,
    current_version     BIGINT NOT NULL,
    published_version   BIGINT,
    claimed_by          TEXT,
    approved_by         TEXT,
    approved_at         BIGINT,
    parent_id           BIGINT REFERENCES articles(id),
    source_changed      BIGINT NOT NULL DEFAULT 0,
    merged_into         TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    rev                 BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX articles_normalized_question ON articles (normalized_question);
CREATE INDEX articles_focus_kind ON articles (focus, kind);
CREATE INDEX articles_updated ON articles (updated_at);
CREATE INDEX articles_parent ON articles (parent_id);

CREATE TABLE versions (
    article_id  BIGINT NOT NULL REFERENCES articles(id),
    number      BIGINT NOT NULL,
    -- JSON array of evident_core::Answer, one per audience
    answers     TEXT NOT NULL,
    author      TEXT,
    note        TEXT,
    created_at  BIGINT NOT NULL,
    approved_by TEXT,
    approved_at BIGINT,
    PRIMARY KEY (article_id, number)
);

-- The passages each version cites, so a changed source finds its articles.
CREATE TABLE article_citations (
    article_id BIGINT NOT NULL REFERENCES articles(id),
    version    BIGINT NOT NULL,
    source_id  TEXT NOT NULL,
    passage_id TEXT NOT NULL,
    PRIMARY KEY (article_id, version, passage_id)
);
CREATE INDEX article_citations_source ON article_citations (source_id);

CREATE TABLE comments (
    id         BIGSERIAL PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles(id),
    version    BIGINT NOT NULL,
    target     TEXT,
    body       TEXT NOT NULL,
    by_user    TEXT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX comments_article ON comments (article_id);

CREATE TABLE marks (
    article_id BIGINT NOT NULL REFERENCES articles(id),
    version    BIGINT NOT NULL,
    statement  TEXT NOT NULL,
    mark       TEXT NOT NULL,
    by_user    TEXT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (article_id, version, statement)
);

CREATE TABLE audit_log (
    id         BIGSERIAL PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor      TEXT,
    action     TEXT NOT NULL,
    article_id BIGINT,
    version    BIGINT,
    detail     TEXT NOT NULL
);
CREATE INDEX audit_log_article ON audit_log (article_id);

-- The audit log is append-only, whatever code or person holds the connection.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
