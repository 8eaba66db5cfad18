//! The article store: every answer Evident gives is an article that the medical advisory board
//! can review, correct and approve.
//!
//! This crate owns articles and their versions, the review lifecycle as stored (the rules
//! themselves are [`evident_core::review::transition`]), statement marks and comments, users,
//! sessions and API tokens, the append-only audit log, question reuse, and "source changed"
//! flags. It runs on SQLite (default: one file in the data folder, WAL, foreign keys) or
//! PostgreSQL (`postgres://…`), with the same migrations (`migrations/`) and the same test suite.
//! It knows nothing of HTTP: the server calls it from blocking tasks.
//!
//! Concurrency: every article row carries `rev`, bumped by every change. A review action names
//! what the actor [`Seen`] (the version and the `rev`); one transaction checks it against the
//! row and writes with `UPDATE … WHERE id = ? AND rev = ?`, so an action chosen on a state that
//! has since changed is refused ([`Error::Stale`] for another version, [`Error::Changed`] for
//! anything else) and of two actors acting on the same state exactly one wins.
//!
//! Visibility: [`visible`] is the one rule for who may see an article in a state; the server's
//! pages and API both ask it (through [`Article::visible_to`] and [`ArticleQuery::visible_to`]).
//!
//! ```no_run
//! use evident_store::Store;
//! let store = Store::open("/var/lib/evident/evident.db")?; // or "postgres://…"
//! let queue = store.list_articles(&evident_store::ArticleQuery::queue())?;
//! # Ok::<(), evident_store::Error>(())
//! ```

mod articles;
mod auth;
mod backup;
mod db;
pub mod diff;
mod error;
pub mod reuse;

pub use auth::{
    check_password, ApiToken, DISABLED_MARK, FAILURE_WINDOW_MS, FIRST_DELAY_MS, FREE_FAILURES,
    MAX_DELAY_MS, MAX_FAILURES_PER_CLIENT, MIN_PASSWORD_CHARS, SESSION_TTL_MS,
};
pub use error::{Error, Result};

use std::path::Path;

use evident_core::{Answer, Audience, QuestionAnalysis, QuestionKind, ReviewState, Role};
use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC. Every time in the store is one of these.
pub type Millis = i64;

/// A registered user. Anonymous visitors have no `User`; they are readers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    /// Login name, unique, case-insensitive.
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: Millis,
}

/// A new article: the question and its composed answers, one per audience.
#[derive(Debug, Clone)]
pub struct NewArticle {
    pub question: String,
    /// The question analysis (kind, focus) used for reuse matching.
    pub analysis: QuestionAnalysis,
    /// Composed answers, one per audience; the first is the default rendering.
    pub answers: Vec<Answer>,
    /// The article this one follows up (a thread), if any.
    pub parent_id: Option<i64>,
}

/// An article as stored: one question, its review state and its versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    pub id: i64,
    /// URL slug, unique (`/a/<slug>`), made from the question.
    pub slug: String,
    pub question: String,
    /// Lower-cased, punctuation-free, whitespace-collapsed question (see [`normalize_question`]).
    pub normalized_question: String,
    pub focus: Option<String>,
    pub kind: QuestionKind,
    pub state: ReviewState,
    /// The latest version's number (1-based).
    pub current_version: u32,
    /// The approved version shown to the public, if any. Stays published while a newer
    /// version is under review.
    pub published_version: Option<u32>,
    /// Username of the reviewer who claimed it, while under review.
    pub claimed_by: Option<String>,
    /// Username of the reviewer who approved the published version.
    pub approved_by: Option<String>,
    /// Display names of `claimed_by` and `approved_by`: what the public is shown (login names
    /// stay internal).
    pub claimed_by_name: Option<String>,
    pub approved_by_name: Option<String>,
    pub approved_at: Option<Millis>,
    pub parent_id: Option<i64>,
    /// Set when a cited source was re-ingested with different content or removed.
    pub source_changed: bool,
    /// The slug of the article this one was merged into (the server redirects there).
    pub merged_into: Option<String>,
    pub created_at: Millis,
    /// Time of the latest version or transition.
    pub updated_at: Millis,
    /// Optimistic-concurrency counter, bumped by every change.
    pub rev: i64,
}

impl Article {
    /// The version the public sees: the published (approved) one, else the current one.
    pub fn shown_version(&self) -> u32 {
        self.published_version.unwrap_or(self.current_version)
    }

    /// What a user who loaded this article saw: name it when acting on it.
    pub fn seen(&self) -> Seen {
        Seen {
            version: self.current_version,
            rev: self.rev,
        }
    }

    /// Whether `viewer` (`None`: an anonymous visitor) may see this article: [`visible`].
    pub fn visible_to(&self, viewer: Option<&User>) -> bool {
        visible(self.state, viewer)
    }
}

/// Who may see an article in `state`: everyone while it is in a public state (Submitted, Under
/// review, Changes requested, Approved), otherwise (Withdrawn) only signed-in reviewers, editors
/// and admins. The one visibility rule: pages, the API and follow-ups all ask it, so a state
/// hidden from the public pages is hidden everywhere.
pub fn visible(state: ReviewState, viewer: Option<&User>) -> bool {
    let public = match state {
        ReviewState::Submitted
        | ReviewState::UnderReview
        | ReviewState::ChangesRequested
        | ReviewState::Approved => true,
        ReviewState::Withdrawn => false,
    };
    public || viewer.is_some_and(|u| u.role >= Role::Reviewer)
}

/// Why `user` may not approve the current version of `article`, whose author is `author`
/// (`None`: Evident composed it), whatever their role: another reviewer claimed the article
/// ([`Error::ClaimedByOther`]), or they wrote that version ([`Error::SelfApproval`]). The store
/// refuses with it; the review page asks it to leave the approve button out.
pub fn approval_refusal(article: &Article, author: Option<&str>, user: &User) -> Option<Error> {
    // Usernames are unique whatever their case; compare them so.
    let same = |name: &str| name.to_lowercase() == user.username.to_lowercase();
    if let Some(claimant) = article.claimed_by.as_deref().filter(|c| !same(c)) {
        let name = article.claimed_by_name.as_deref().unwrap_or(claimant);
        return Some(Error::ClaimedByOther {
            claimant: name.to_string(),
        });
    }
    author.filter(|a| same(a)).map(|_| Error::SelfApproval {
        version: article.current_version,
    })
}

/// The state of an article as the actor saw it when choosing a review action. The store acts
/// only if the article is still exactly so (same version, same `rev`), checked in the
/// transaction that writes the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// The current version the actor saw (another is [`Error::Stale`]).
    pub version: u32,
    /// The article's [`Article::rev`] the actor saw (another is [`Error::Changed`]).
    pub rev: i64,
}

/// One version of an article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub article_id: i64,
    pub number: u32,
    /// One answer per audience (same as [`NewArticle::answers`] or a revision's).
    pub answers: Vec<Answer>,
    /// Username of the editor who wrote it; `None` when Evident composed it.
    pub author: Option<String>,
    pub note: Option<String>,
    pub created_at: Millis,
}

impl Version {
    /// The rendering for `audience`, falling back to the first (default) one.
    pub fn answer(&self, audience: Audience) -> &Answer {
        self.answers
            .iter()
            .find(|a| a.audience == audience)
            .unwrap_or(&self.answers[0])
    }
}

/// A line of a diff between two versions (statements and headings of the first rendering).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub change: Change,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Same,
    Added,
    Removed,
}

/// A reviewer's verdict on one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    Confirmed,
    Flagged,
}

/// A statement's key within a version: `lead.<i>` or `s<section>.<i>` (0-based); marks and
/// comments store its text form.
pub use evident_core::review::StatementKey;

/// Removes invisible Unicode (bidirectional overrides, zero-width characters) from text that
/// people type into the store: questions, editors' revisions, comments. Ingested sources are
/// cleaned at ingest; this covers what arrives through the server and the API.
fn clean(text: &mut String) {
    if let std::borrow::Cow::Owned(cleaned) = evident_core::text::strip_invisible(text) {
        *text = cleaned;
    }
}

/// [`clean`] on every text of an answer a person may have written or edited: title, headings,
/// statements and the note fields around them.
fn clean_answer(answer: &mut Answer) {
    clean(&mut answer.question);
    clean(&mut answer.title);
    for statement in answer.lead.iter_mut() {
        clean(&mut statement.text);
    }
    for section in answer.sections.iter_mut() {
        clean(&mut section.heading);
        for statement in section.statements.iter_mut() {
            clean(&mut statement.text);
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementMark {
    pub version: u32,
    /// A [`StatementKey`], as text.
    pub statement: String,
    pub mark: Mark,
    pub by: String,
    pub at: Millis,
}

/// A review comment on a version, on the whole article, a section (`s<i>`) or a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: i64,
    pub version: u32,
    /// `None` for the whole article, else a section key `s<i>` or a [`StatementKey`].
    pub target: Option<String>,
    pub body: String,
    pub by: String,
    pub at: Millis,
}

/// A comment to attach when requesting changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewComment {
    pub target: Option<String>,
    pub body: String,
}

/// An editor's revision: the full new answers (one per audience). Every statement must still
/// cite a passage that is in the answer's citations ([`Answer::verify`] must pass; statements
/// an editor wrote carry `editor_written`).
#[derive(Debug, Clone)]
pub struct Revision {
    pub answers: Vec<Answer>,
    pub note: Option<String>,
}

/// One entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Millis,
    /// Username, or `None` for anonymous/system actions.
    pub actor: Option<String>,
    /// What happened: `create`, a review action code, `mark`, `comment`, `merge`,
    /// `source_changed`, `user_add`, `login_failed`, …
    pub action: String,
    pub article_id: Option<i64>,
    pub version: Option<u32>,
    /// JSON with the details (from/to state, comment ids, …).
    pub detail: String,
}

/// Which articles to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct ArticleQuery {
    /// Only these states (empty: any).
    pub states: Vec<ReviewState>,
    /// Words that must all occur in the question.
    pub text: Option<String>,
    /// Only articles with a published (approved) version.
    pub published_only: bool,
    /// Only articles flagged "source changed".
    pub source_changed_only: bool,
    /// Hide merged articles (default for every public list).
    pub include_merged: bool,
    pub limit: usize,
    pub offset: usize,
    /// Match no article at all (set by [`ArticleQuery::visible_to`] when none of the asked
    /// states is visible: an empty `states` would mean any).
    pub nothing: bool,
}

impl ArticleQuery {
    /// This query narrowed to the articles `viewer` may see ([`visible`]): states the viewer
    /// may not see are dropped from `states` (all states when it was empty), so limits and
    /// offsets count only visible articles.
    pub fn visible_to(mut self, viewer: Option<&User>) -> ArticleQuery {
        let wanted: &[ReviewState] = if self.states.is_empty() {
            &ReviewState::ALL
        } else {
            &self.states
        };
        let states: Vec<ReviewState> = wanted
            .iter()
            .copied()
            .filter(|&s| visible(s, viewer))
            .collect();
        self.nothing = states.is_empty();
        self.states = states;
        self
    }

    /// The review queue: Submitted, Under review and Changes requested.
    pub fn queue() -> ArticleQuery {
        ArticleQuery {
            states: vec![
                ReviewState::Submitted,
                ReviewState::UnderReview,
                ReviewState::ChangesRequested,
            ],
            limit: 100,
            ..ArticleQuery::default()
        }
    }
}

/// Lower-case, drop punctuation, collapse whitespace: "What is the treatment for NAM?" →
/// "what is the treatment for nam".
pub fn normalize_question(question: &str) -> String {
    evident_core::text::fold_words(question)
}

/// A URL slug from a question: at most 8 words, ASCII letters and digits, hyphen-joined.
pub fn slugify(question: &str) -> String {
    let slug = normalize_question(question)
        .split(' ')
        .filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric()))
        .take(8)
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() {
        "article".to_string()
    } else {
        slug
    }
}

/// The article store. Cheap to clone; safe to share between threads. Blocking: call it from
/// `spawn_blocking` in async code.
#[derive(Clone)]
pub struct Store {
    db: db::Db,
}

/// Who approved a version, and when (see [`Store::approvals`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub version: u32,
    pub by: String,
    pub at: Millis,
}

/// Now, in epoch milliseconds.
pub(crate) fn now() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Millis)
}

impl Store {
    /// Opens (creating and migrating) the store: a `postgres://` or `postgresql://` URL, or a
    /// SQLite file path (optionally `sqlite://` + path).
    pub fn open(url_or_path: &str) -> Result<Store> {
        let rest = url_or_path.trim();
        if rest.starts_with("postgres://") || rest.starts_with("postgresql://") {
            return Store::open_postgres(rest, None);
        }
        let path = rest.strip_prefix("sqlite://").unwrap_or(rest);
        Store::open_sqlite(Path::new(path))
    }

    /// Opens a SQLite file, creating and migrating it.
    pub fn open_sqlite(path: &Path) -> Result<Store> {
        let db = db::Db::Sqlite(std::sync::Arc::new(db::SqliteDb::open(path)?));
        db::migrate(&db)?;
        Ok(Store { db })
    }

    /// Connects to PostgreSQL and migrates. `schema`: use (and create) this schema instead of
    /// `public` — tests give each run its own.
    pub fn open_postgres(url: &str, schema: Option<&str>) -> Result<Store> {
        let db = db::Db::Postgres(std::sync::Arc::new(db::PostgresDb::open(url, schema)?));
        db::migrate(&db)?;
        Ok(Store { db })
    }

    /// "sqlite" or "postgres".
    pub fn backend(&self) -> &'static str {
        self.db.backend()
    }

    /// Applies migrations not yet applied (opening does this too); how many ran.
    pub fn migrate(&self) -> Result<usize> {
        db::migrate(&self.db)
    }

    /// Checks the database files (SQLite's `PRAGMA integrity_check`; on PostgreSQL, that the
    /// server answers). `Error::Internal` names the problem.
    pub fn check_integrity(&self) -> Result<()> {
        self.db.check_integrity()
    }

    // ---- users, sessions, tokens -------------------------------------------------------

    /// Adds a user; the password is hashed with argon2id. Usernames are unique
    /// (case-insensitive): a taken one is [`Error::Duplicate`].
    ///
    /// `actor`: the signed-in user adding someone, who must be an admin; `None` means the
    /// operator at the command line (`evident user add`), who already holds the database
    /// and so needs no further permission — never pass `None` for a web request.
    pub fn create_user(
        &self,
        actor: Option<&User>,
        username: &str,
        display_name: &str,
        password: &str,
        role: Role,
    ) -> Result<User> {
        auth::create_user(&self.db, actor, username, display_name, password, role)
    }

    /// Checks a username and password. Unknown user and wrong password give the same
    /// [`Error::InvalidCredentials`]. A client that has failed for this username more than
    /// [`FREE_FAILURES`] times waits between tries (doubling from [`FIRST_DELAY_MS`] up to
    /// [`MAX_DELAY_MS`]), and one with [`MAX_FAILURES_PER_CLIENT`] failures in the window waits
    /// for them to age out: [`Error::RateLimited`] with the wait, without checking the
    /// password. Other clients are not affected.
    pub fn authenticate(&self, username: &str, password: &str, client: &str) -> Result<User> {
        auth::authenticate(&self.db, username, password, client)
    }

    /// Starts a login session; returns the opaque token for the session cookie.
    pub fn create_session(&self, user: &User) -> Result<String> {
        auth::create_session(&self.db, user)
    }

    /// The user of a live session token, if any (expired or unknown tokens: `None`).
    pub fn session_user(&self, token: &str) -> Result<Option<User>> {
        auth::session_user(&self.db, token)
    }

    pub fn end_session(&self, token: &str) -> Result<()> {
        auth::end_session(&self.db, token)
    }

    /// Issues an API token (shown once; only its hash is stored).
    pub fn create_api_token(&self, user: &User, label: &str) -> Result<String> {
        auth::create_api_token(&self.db, user, label)
    }

    /// The user an API token belongs to, if any.
    pub fn token_user(&self, token: &str) -> Result<Option<User>> {
        auth::token_user(&self.db, token)
    }

    /// Revokes an API token; false when it was unknown or already revoked.
    pub fn revoke_api_token(&self, token: &str) -> Result<bool> {
        auth::revoke_api_token(&self.db, token)
    }

    /// Issues an API token for `username` (see [`Store::create_user`] for `actor`; a user may
    /// also issue their own): the listed form and the secret, which is shown only this once.
    pub fn issue_api_token(
        &self,
        actor: Option<&User>,
        username: &str,
        label: &str,
    ) -> Result<(ApiToken, String)> {
        auth::issue_api_token(&self.db, actor, username, label)
    }

    /// The API tokens not revoked, oldest first; never their secrets.
    pub fn list_api_tokens(&self) -> Result<Vec<ApiToken>> {
        auth::list_api_tokens(&self.db)
    }

    /// Revokes the live API token with this [`ApiToken::id`] ([`Error::NotFound`] if none).
    pub fn revoke_api_token_by_id(&self, actor: Option<&User>, id: &str) -> Result<ApiToken> {
        auth::revoke_api_token_by_id(&self.db, actor, id)
    }

    /// Sets a user's password (checked by [`check_password`]) and ends all their sessions.
    pub fn set_password(
        &self,
        actor: Option<&User>,
        username: &str,
        password: &str,
    ) -> Result<User> {
        auth::set_password(&self.db, actor, username, password)
    }

    /// Gives a user another role (admins only); it applies to their sessions at once.
    pub fn set_role(&self, actor: Option<&User>, username: &str, role: Role) -> Result<User> {
        auth::set_role(&self.db, actor, username, role)
    }

    /// Disables or enables a user (admins only). A disabled user cannot sign in, their
    /// sessions end and their API tokens are refused until they are enabled again.
    pub fn set_disabled(
        &self,
        actor: Option<&User>,
        username: &str,
        disabled: bool,
    ) -> Result<User> {
        auth::set_disabled(&self.db, actor, username, disabled)
    }

    /// Whether a user is disabled.
    pub fn is_disabled(&self, username: &str) -> Result<bool> {
        auth::is_disabled(&self.db, username)
    }

    /// Ends every session of a user (signs them out everywhere); how many there were.
    pub fn end_sessions(&self, actor: Option<&User>, username: &str) -> Result<u64> {
        auth::end_sessions(&self.db, actor, username)
    }

    pub fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        auth::user_by_name(&self.db, username)
    }

    pub fn list_users(&self) -> Result<Vec<User>> {
        auth::list_users(&self.db)
    }

    // ---- articles -------------------------------------------------------------------------

    /// An existing article that answers this question: the same normalised question, or the
    /// same focus and kind with a highly similar question. Approved articles first; merged and
    /// withdrawn ones never.
    pub fn find_reusable(
        &self,
        question: &str,
        analysis: &QuestionAnalysis,
    ) -> Result<Option<Article>> {
        reuse::find_reusable(&self.db, question, analysis)
    }

    /// Stores a new article in state Submitted with version 1 (audit: `create`).
    /// Anyone may create (anonymous readers ask questions too).
    pub fn create_article(&self, actor: Option<&User>, mut new: NewArticle) -> Result<Article> {
        clean(&mut new.question);
        new.answers.iter_mut().for_each(clean_answer);
        articles::create(&self.db, actor, new)
    }

    pub fn article(&self, id: i64) -> Result<Option<Article>> {
        self.db
            .run(db::Mode::Read, |tx| articles::load_article(tx, id))
    }

    /// By slug, including merged articles (check [`Article::merged_into`] to redirect).
    pub fn article_by_slug(&self, slug: &str) -> Result<Option<Article>> {
        articles::by_slug(&self.db, slug)
    }

    pub fn list_articles(&self, query: &ArticleQuery) -> Result<Vec<Article>> {
        articles::list(&self.db, query)
    }

    /// Follow-ups of an article, oldest first.
    pub fn children(&self, article_id: i64) -> Result<Vec<Article>> {
        articles::children(&self.db, article_id)
    }

    pub fn version(&self, article_id: i64, number: u32) -> Result<Version> {
        articles::version(&self.db, article_id, number)
    }

    /// Every version, oldest first.
    /// Who approved which version and when, oldest first (the published version is the
    /// latest of these).
    pub fn approvals(&self, article_id: i64) -> Result<Vec<Approval>> {
        articles::approvals(&self.db, article_id)
    }

    pub fn versions(&self, article_id: i64) -> Result<Vec<Version>> {
        articles::versions(&self.db, article_id)
    }

    /// Line diff of the default rendering between two versions.
    pub fn diff(&self, article_id: i64, from: u32, to: u32) -> Result<Vec<DiffLine>> {
        let (old, new) = self.db.run(db::Mode::Read, |tx| {
            Ok((
                articles::load_version(tx, article_id, from)?,
                articles::load_version(tx, article_id, to)?,
            ))
        })?;
        Ok(diff::diff_lines(
            &diff::lines(&old.answers[0]),
            &diff::lines(&new.answers[0]),
        ))
    }

    // ---- review ---------------------------------------------------------------------------
    // Each takes what the actor saw ([`Seen`]): another version is `Error::Stale`, any other
    // change since is `Error::Changed`, a concurrent change in the same moment is
    // `Error::Conflict`. The check and the write are one transaction. Nothing changes on any
    // error.

    /// Submitted → Under review; the reviewer becomes the claimant.
    pub fn claim(&self, actor: Option<&User>, article_id: i64, seen: Seen) -> Result<Article> {
        articles::claim(&self.db, actor, article_id, seen)
    }

    /// Under review → Approved; that version becomes the published one, with who and when.
    /// Only the claimant may approve ([`Error::ClaimedByOther`]), and never the author of the
    /// version ([`Error::SelfApproval`]), whatever their role.
    pub fn approve(&self, actor: Option<&User>, article_id: i64, seen: Seen) -> Result<Article> {
        articles::approve(&self.db, actor, article_id, seen)
    }

    /// Under review → Changes requested, with comments.
    pub fn request_changes(
        &self,
        actor: Option<&User>,
        article_id: i64,
        seen: Seen,
        mut comments: Vec<NewComment>,
    ) -> Result<Article> {
        comments.iter_mut().for_each(|c| clean(&mut c.body));
        articles::request_changes(&self.db, actor, article_id, seen, comments)
    }

    /// Saves a new version (editors): Changes requested → Under review, Approved → Submitted
    /// (the approved version stays published), otherwise the state stays. The revision's
    /// answers must verify.
    pub fn revise(
        &self,
        actor: Option<&User>,
        article_id: i64,
        seen: Seen,
        mut revision: Revision,
    ) -> Result<Article> {
        revision.answers.iter_mut().for_each(clean_answer);
        if let Some(note) = revision.note.as_mut() {
            clean(note);
        }
        articles::revise(&self.db, actor, article_id, seen, revision)
    }

    pub fn withdraw(&self, actor: Option<&User>, article_id: i64, seen: Seen) -> Result<Article> {
        articles::withdraw(&self.db, actor, article_id, seen)
    }

    pub fn reopen(&self, actor: Option<&User>, article_id: i64, seen: Seen) -> Result<Article> {
        articles::reopen(&self.db, actor, article_id, seen)
    }

    /// A reviewer marks one statement of a version confirmed or flagged (latest mark wins).
    pub fn mark_statement(
        &self,
        actor: Option<&User>,
        article_id: i64,
        version: u32,
        statement: &str,
        mark: Mark,
    ) -> Result<()> {
        articles::mark_statement(&self.db, actor, article_id, version, statement, mark)
    }

    pub fn marks(&self, article_id: i64, version: u32) -> Result<Vec<StatementMark>> {
        articles::marks(&self.db, article_id, version)
    }

    /// A reviewer or editor comments on a version.
    pub fn comment(
        &self,
        actor: Option<&User>,
        article_id: i64,
        version: u32,
        mut comment: NewComment,
    ) -> Result<Comment> {
        clean(&mut comment.body);
        articles::comment(&self.db, actor, article_id, version, comment)
    }

    pub fn comments(&self, article_id: i64) -> Result<Vec<Comment>> {
        articles::comments(&self.db, article_id)
    }

    /// Editors merge a duplicate into another article: `from` (as the editor saw it) redirects
    /// to `into` and leaves every list. `into` must be live: not merged itself, and in a state
    /// everyone may see ([`visible`]), so the redirect never ends at a 404.
    pub fn merge(&self, actor: Option<&User>, from: i64, seen: Seen, into: i64) -> Result<Article> {
        articles::merge(&self.db, actor, from, seen, into)
    }

    // ---- library changes, audit, backup ----------------------------------------------------

    /// Flags every article citing one of these sources (re-ingested with new content or
    /// removed) "source changed — needs re-review". Returns how many were flagged.
    pub fn sources_changed(&self, source_ids: &[String]) -> Result<usize> {
        articles::sources_changed(&self.db, source_ids)
    }

    /// The audit log, newest first (admins only).
    pub fn audit_log(&self, actor: Option<&User>, limit: usize) -> Result<Vec<AuditEntry>> {
        articles::audit_log(&self.db, actor, limit)
    }

    /// Writes a consistent backup of the whole store to `path` (a JSON Lines dump that
    /// [`Store::restore`] reads, for either backend).
    pub fn backup(&self, path: &Path) -> Result<()> {
        backup::backup(&self.db, path)
    }

    /// Loads a backup into this store, which must be empty.
    pub fn restore(&self, path: &Path) -> Result<()> {
        backup::restore(&self.db, path)
    }
}

// The server shares one store between request threads.
const _: () = {
    const fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<Store>();
};
