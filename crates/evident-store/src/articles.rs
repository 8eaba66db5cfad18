//! Articles, versions and the review lifecycle as stored. Which transitions are legal and who
//! may take them is decided by [`evident_core::transition`] alone; this module loads the
//! article, asks, and writes the outcome with the optimistic `rev` check.

use std::collections::BTreeSet;

use evident_core::{Action, Answer, QuestionKind, ReviewState, Role};
use serde_json::json;

use crate::db::{Db, Mode, Row, Tx, Value};
use crate::{
    now, Article, ArticleQuery, AuditEntry, Comment, Error, Mark, NewArticle, NewComment, Result,
    Revision, StatementMark, User, Version,
};

pub(crate) const ARTICLE_COLUMNS: &str = "id, slug, question, normalized_question, focus, kind, \
    state, current_version, published_version, claimed_by, approved_by, approved_at, parent_id, \
    source_changed, merged_into, created_at, updated_at, rev";

pub(crate) fn article_from_row(row: &Row) -> Result<Article> {
    Ok(Article {
        id: row.int(0)?,
        slug: row.text(1)?,
        question: row.text(2)?,
        normalized_question: row.text(3)?,
        focus: row.opt_text(4)?,
        kind: from_code(&row.text(5)?)?,
        state: from_code(&row.text(6)?)?,
        current_version: row.u32(7)?,
        published_version: row.opt_u32(8)?,
        claimed_by: row.opt_text(9)?,
        approved_by: row.opt_text(10)?,
        approved_at: row.opt_int(11)?,
        parent_id: row.opt_int(12)?,
        source_changed: row.int(13)? != 0,
        merged_into: row.opt_text(14)?,
        created_at: row.int(15)?,
        updated_at: row.int(16)?,
        rev: row.int(17)?,
    })
}

/// The snake_case code serde gives a unit enum variant (`QuestionKind`, `ReviewState`, …).
pub(crate) fn code<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("not a unit enum variant: {other:?}"),
    }
}

pub(crate) fn from_code<T: serde::de::DeserializeOwned>(code: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(code.to_string()))
        .map_err(|e| Error::Internal(format!("corrupt code {code:?}: {e}")))
}

pub(crate) fn load_article(tx: &mut dyn Tx, id: i64) -> Result<Option<Article>> {
    tx.query_opt(
        &format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?"),
        &[id.into()],
    )?
    .map(|row| article_from_row(&row))
    .transpose()
}

fn require_article(tx: &mut dyn Tx, id: i64) -> Result<Article> {
    load_article(tx, id)?.ok_or_else(|| Error::NotFound(format!("article {id}")))
}

pub(crate) fn audit(
    tx: &mut dyn Tx,
    actor: Option<&str>,
    action: &str,
    article_id: Option<i64>,
    version: Option<u32>,
    detail: serde_json::Value,
) -> Result<()> {
    tx.execute(
        "INSERT INTO audit_log (at, actor, action, article_id, version, detail) \
         VALUES (?, ?, ?, ?, ?, ?)",
        &[
            now().into(),
            actor.into(),
            action.into(),
            article_id.into(),
            version.into(),
            detail.to_string().into(),
        ],
    )?;
    Ok(())
}

fn check_answers(answers: &[Answer]) -> Result<String> {
    if answers.is_empty() {
        return Err(Error::Invalid(
            "an article needs at least one answer".into(),
        ));
    }
    for answer in answers {
        if let Err(errors) = answer.verify() {
            let reasons: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            return Err(Error::Invalid(format!(
                "the {:?} answer does not verify: {}",
                answer.audience,
                reasons.join("; ")
            )));
        }
    }
    serde_json::to_string(answers).map_err(|e| Error::Internal(format!("answers to JSON: {e}")))
}

/// A version row to write, with the answers already verified and serialised.
struct VersionRow<'a> {
    article_id: i64,
    number: u32,
    answers: &'a [Answer],
    json: String,
    author: Option<&'a str>,
    note: Option<&'a str>,
    at: i64,
}

fn insert_version(tx: &mut dyn Tx, v: VersionRow<'_>) -> Result<()> {
    tx.execute(
        "INSERT INTO versions (article_id, number, answers, author, note, created_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
        &[
            v.article_id.into(),
            v.number.into(),
            v.json.into(),
            v.author.into(),
            v.note.into(),
            v.at.into(),
        ],
    )?;
    let cited: BTreeSet<(&str, &str)> = v
        .answers
        .iter()
        .flat_map(|a| a.citations.iter())
        .map(|c| (c.passage_id.as_str(), c.source_id.as_str()))
        .collect();
    for (passage_id, source_id) in cited {
        tx.execute(
            "INSERT INTO article_citations (article_id, version, source_id, passage_id) \
             VALUES (?, ?, ?, ?)",
            &[
                v.article_id.into(),
                v.number.into(),
                source_id.into(),
                passage_id.into(),
            ],
        )?;
    }
    Ok(())
}

pub(crate) fn create(db: &Db, actor: Option<&User>, new: NewArticle) -> Result<Article> {
    let json = check_answers(&new.answers)?;
    let normalized = crate::normalize_question(&new.question);
    if normalized.is_empty() {
        return Err(Error::Invalid("the question is empty".into()));
    }
    let analysis = serde_json::to_string(&new.analysis)
        .map_err(|e| Error::Internal(format!("analysis to JSON: {e}")))?;
    let base = crate::slugify(&new.question);
    let author = actor.map(|u| u.username.as_str());
    // Two PostgreSQL writers may pick the same free slug at once; the loser retries.
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = db.run(Mode::Write, |tx| {
            if let Some(parent) = new.parent_id {
                require_article(tx, parent)?;
            }
            let slug = free_slug(tx, &base)?;
            let at = now();
            let row = tx.query_one(
                "INSERT INTO articles (slug, question, normalized_question, focus, kind, \
                 analysis, state, current_version, parent_id, source_changed, created_at, \
                 updated_at, rev) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, 0, ?, ?, 0) RETURNING id",
                &[
                    slug.into(),
                    new.question.as_str().into(),
                    normalized.as_str().into(),
                    new.analysis.focus.as_deref().into(),
                    code(&new.analysis.kind).into(),
                    analysis.as_str().into(),
                    code(&ReviewState::Submitted).into(),
                    new.parent_id.into(),
                    at.into(),
                    at.into(),
                ],
            )?;
            let id = row.int(0)?;
            insert_version(
                tx,
                VersionRow {
                    article_id: id,
                    number: 1,
                    answers: &new.answers,
                    json: json.clone(),
                    author: None,
                    note: None,
                    at,
                },
            )?;
            audit(
                tx,
                author,
                "create",
                Some(id),
                Some(1),
                json!({ "question": new.question, "state": "submitted" }),
            )?;
            require_article(tx, id)
        });
        match result {
            Err(Error::Duplicate(_)) if attempt < 5 => continue,
            other => return other,
        }
    }
}

fn free_slug(tx: &mut dyn Tx, base: &str) -> Result<String> {
    let mut n = 1;
    loop {
        let candidate = if n == 1 {
            base.to_string()
        } else {
            format!("{base}-{n}")
        };
        if tx
            .query_opt(
                "SELECT 1 FROM articles WHERE slug = ?",
                &[candidate.as_str().into()],
            )?
            .is_none()
        {
            return Ok(candidate);
        }
        n += 1;
    }
}

pub(crate) fn by_slug(db: &Db, slug: &str) -> Result<Option<Article>> {
    db.run(Mode::Read, |tx| {
        tx.query_opt(
            &format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE slug = ?"),
            &[slug.into()],
        )?
        .map(|row| article_from_row(&row))
        .transpose()
    })
}

pub(crate) fn list(db: &Db, q: &ArticleQuery) -> Result<Vec<Article>> {
    let mut sql = format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE 1 = 1");
    let mut params: Vec<Value> = Vec::new();
    if !q.states.is_empty() {
        let marks = vec!["?"; q.states.len()].join(", ");
        sql.push_str(&format!(" AND state IN ({marks})"));
        params.extend(q.states.iter().map(|s| Value::from(code(s))));
    }
    if let Some(text) = &q.text {
        for word in crate::normalize_question(text)
            .split(' ')
            .filter(|w| !w.is_empty())
        {
            sql.push_str(" AND normalized_question LIKE ?");
            params.push(format!("%{word}%").into());
        }
    }
    if q.published_only {
        sql.push_str(" AND published_version IS NOT NULL");
    }
    if q.source_changed_only {
        sql.push_str(" AND source_changed = 1");
    }
    if !q.include_merged {
        sql.push_str(" AND merged_into IS NULL");
    }
    // limit 0 (the Default) means no limit.
    let limit = if q.limit == 0 {
        i64::MAX
    } else {
        q.limit as i64
    };
    sql.push_str(" ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?");
    params.push(limit.into());
    params.push((q.offset as i64).into());
    db.run(Mode::Read, |tx| {
        tx.query(&sql, &params)?
            .iter()
            .map(article_from_row)
            .collect()
    })
}

pub(crate) fn children(db: &Db, article_id: i64) -> Result<Vec<Article>> {
    db.run(Mode::Read, |tx| {
        tx.query(
            &format!(
                "SELECT {ARTICLE_COLUMNS} FROM articles WHERE parent_id = ? \
                 ORDER BY created_at, id"
            ),
            &[article_id.into()],
        )?
        .iter()
        .map(article_from_row)
        .collect()
    })
}

const VERSION_COLUMNS: &str = "article_id, number, answers, author, note, created_at";

fn version_from_row(row: &Row) -> Result<Version> {
    let answers = serde_json::from_str(&row.text(2)?)
        .map_err(|e| Error::Internal(format!("corrupt answers JSON: {e}")))?;
    Ok(Version {
        article_id: row.int(0)?,
        number: row.u32(1)?,
        answers,
        author: row.opt_text(3)?,
        note: row.opt_text(4)?,
        created_at: row.int(5)?,
    })
}

pub(crate) fn load_version(tx: &mut dyn Tx, article_id: i64, number: u32) -> Result<Version> {
    let row = tx
        .query_opt(
            &format!("SELECT {VERSION_COLUMNS} FROM versions WHERE article_id = ? AND number = ?"),
            &[article_id.into(), number.into()],
        )?
        .ok_or_else(|| Error::NotFound(format!("version {number} of article {article_id}")))?;
    version_from_row(&row)
}

pub(crate) fn version(db: &Db, article_id: i64, number: u32) -> Result<Version> {
    db.run(Mode::Read, |tx| load_version(tx, article_id, number))
}

pub(crate) fn versions(db: &Db, article_id: i64) -> Result<Vec<Version>> {
    db.run(Mode::Read, |tx| {
        tx.query(
            &format!("SELECT {VERSION_COLUMNS} FROM versions WHERE article_id = ? ORDER BY number"),
            &[article_id.into()],
        )?
        .iter()
        .map(version_from_row)
        .collect()
    })
}

pub(crate) fn approvals(db: &Db, article_id: i64) -> Result<Vec<crate::Approval>> {
    db.run(Mode::Read, |tx| {
        tx.query(
            "SELECT number, approved_by, approved_at FROM versions \
             WHERE article_id = ? AND approved_by IS NOT NULL ORDER BY number",
            &[article_id.into()],
        )?
        .iter()
        .map(|row| {
            Ok(crate::Approval {
                version: row.u32(0)?,
                by: row.text(1)?,
                at: row.opt_int(2)?.ok_or_else(|| {
                    Error::Internal("approved version without approval time".into())
                })?,
            })
        })
        .collect()
    })
}

// ---- review ---------------------------------------------------------------------------------

/// What a review action writes besides the new state.
enum Effect {
    Claim,
    Approve,
    RequestChanges(Vec<NewComment>),
    Revise(Revision),
    Withdraw,
    Reopen,
}

impl Effect {
    fn action(&self) -> Action {
        match self {
            Effect::Claim => Action::Claim,
            Effect::Approve => Action::Approve,
            Effect::RequestChanges(_) => Action::RequestChanges,
            Effect::Revise(_) => Action::Revise,
            Effect::Withdraw => Action::Withdraw,
            Effect::Reopen => Action::Reopen,
        }
    }
}

fn signed_in<'a>(actor: Option<&'a User>, what: &str) -> Result<&'a User> {
    actor.ok_or_else(|| Error::Unauthenticated(what.to_string()))
}

/// One review action: sign-in, then [`evident_core::transition`] (permission, then legality),
/// then the version check, then one transaction that bumps `rev` only if nobody changed the
/// article since it was read — so of two concurrent actors exactly one wins.
fn act(
    db: &Db,
    actor: Option<&User>,
    article_id: i64,
    seen: u32,
    effect: Effect,
) -> Result<Article> {
    let action = effect.action();
    let user = signed_in(actor, &format!("{action} an article"))?;
    // Read outside the write transaction: the optimistic check below catches whatever
    // happens in between, and readers never queue behind writers.
    let article = db
        .run(Mode::Read, |tx| load_article(tx, article_id))?
        .ok_or_else(|| Error::NotFound(format!("article {article_id}")))?;
    let next = evident_core::transition(article.state, action, user.role)?;
    if seen != article.current_version {
        return Err(Error::Stale {
            seen,
            current: article.current_version,
        });
    }
    let answers_json = match &effect {
        Effect::Revise(revision) => Some(check_answers(&revision.answers)?),
        _ => None,
    };
    if let Effect::RequestChanges(comments) = &effect {
        if comments.iter().any(|c| c.body.trim().is_empty()) {
            return Err(Error::Invalid("a comment needs some text".into()));
        }
    }
    let by = user.username.as_str();
    db.run(Mode::Write, |tx| {
        let at = now();
        let mut current = article.current_version;
        let mut published = article.published_version;
        let mut claimed_by = article.claimed_by.clone();
        let mut approved_by = article.approved_by.clone();
        let mut approved_at = article.approved_at;
        let mut source_changed = article.source_changed;
        match &effect {
            Effect::Claim => claimed_by = Some(by.to_string()),
            Effect::Approve => {
                published = Some(current);
                approved_by = Some(by.to_string());
                approved_at = Some(at);
                claimed_by = None;
                source_changed = false;
            }
            Effect::RequestChanges(_) => {}
            Effect::Revise(_) => {
                current += 1;
                if next == ReviewState::Submitted {
                    claimed_by = None;
                }
            }
            Effect::Withdraw | Effect::Reopen => claimed_by = None,
        }
        let changed = tx.execute(
            "UPDATE articles SET state = ?, current_version = ?, published_version = ?, \
             claimed_by = ?, approved_by = ?, approved_at = ?, source_changed = ?, \
             updated_at = ?, rev = rev + 1 WHERE id = ? AND rev = ?",
            &[
                code(&next).into(),
                current.into(),
                published.into(),
                claimed_by.into(),
                approved_by.into(),
                approved_at.into(),
                source_changed.into(),
                at.into(),
                article.id.into(),
                article.rev.into(),
            ],
        )?;
        if changed == 0 {
            return Err(Error::Conflict);
        }
        let mut detail = json!({ "from": code(&article.state), "to": code(&next) });
        match effect {
            Effect::Approve => {
                tx.execute(
                    "UPDATE versions SET approved_by = ?, approved_at = ? \
                     WHERE article_id = ? AND number = ?",
                    &[by.into(), at.into(), article.id.into(), current.into()],
                )?;
            }
            Effect::RequestChanges(comments) => {
                let mut ids = Vec::new();
                for c in comments {
                    ids.push(insert_comment(tx, article.id, current, &c, by, at)?.id);
                }
                detail["comments"] = json!(ids);
            }
            Effect::Revise(revision) => {
                let json = answers_json.clone().unwrap_or_default();
                insert_version(
                    tx,
                    VersionRow {
                        article_id: article.id,
                        number: current,
                        answers: &revision.answers,
                        json,
                        author: Some(by),
                        note: revision.note.as_deref(),
                        at,
                    },
                )?;
                detail["note"] = json!(revision.note);
            }
            Effect::Claim | Effect::Withdraw | Effect::Reopen => {}
        }
        audit(
            tx,
            Some(by),
            action.code(),
            Some(article.id),
            Some(current),
            detail,
        )?;
        require_article(tx, article.id)
    })
}

pub(crate) fn claim(db: &Db, actor: Option<&User>, id: i64, v: u32) -> Result<Article> {
    act(db, actor, id, v, Effect::Claim)
}
pub(crate) fn approve(db: &Db, actor: Option<&User>, id: i64, v: u32) -> Result<Article> {
    act(db, actor, id, v, Effect::Approve)
}
pub(crate) fn request_changes(
    db: &Db,
    actor: Option<&User>,
    id: i64,
    v: u32,
    comments: Vec<NewComment>,
) -> Result<Article> {
    act(db, actor, id, v, Effect::RequestChanges(comments))
}
pub(crate) fn revise(
    db: &Db,
    actor: Option<&User>,
    id: i64,
    v: u32,
    revision: Revision,
) -> Result<Article> {
    act(db, actor, id, v, Effect::Revise(revision))
}
pub(crate) fn withdraw(db: &Db, actor: Option<&User>, id: i64, v: u32) -> Result<Article> {
    act(db, actor, id, v, Effect::Withdraw)
}
pub(crate) fn reopen(db: &Db, actor: Option<&User>, id: i64, v: u32) -> Result<Article> {
    act(db, actor, id, v, Effect::Reopen)
}

fn insert_comment(
    tx: &mut dyn Tx,
    article_id: i64,
    version: u32,
    c: &NewComment,
    by: &str,
    at: i64,
) -> Result<Comment> {
    let row = tx.query_one(
        "INSERT INTO comments (article_id, version, target, body, by_user, at) \
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        &[
            article_id.into(),
            version.into(),
            c.target.as_deref().into(),
            c.body.as_str().into(),
            by.into(),
            at.into(),
        ],
    )?;
    Ok(Comment {
        id: row.int(0)?,
        version,
        target: c.target.clone(),
        body: c.body.clone(),
        by: by.to_string(),
        at,
    })
}

/// Marks and comments are attached to the current version: the actor must have seen it.
/// They bump `rev` too, so a reviewer's view is never silently out of date.
fn annotate<T>(
    db: &Db,
    actor: Option<&User>,
    article_id: i64,
    seen: u32,
    what: &str,
    roles: &[Role],
    write: impl FnOnce(&mut dyn Tx, &Article, &str, i64) -> Result<(T, serde_json::Value)>,
) -> Result<T> {
    let user = signed_in(actor, what)?;
    if !roles.contains(&user.role) {
        let needed: Vec<&str> = roles.iter().map(|r| r.code()).collect();
        return Err(Error::Forbidden(format!(
            "{} users may not {what} (needs {})",
            user.role,
            needed.join(" or ")
        )));
    }
    let article = db
        .run(Mode::Read, |tx| load_article(tx, article_id))?
        .ok_or_else(|| Error::NotFound(format!("article {article_id}")))?;
    if seen != article.current_version {
        return Err(Error::Stale {
            seen,
            current: article.current_version,
        });
    }
    db.run(Mode::Write, |tx| {
        let at = now();
        let changed = tx.execute(
            "UPDATE articles SET updated_at = ?, rev = rev + 1 WHERE id = ? AND rev = ?",
            &[at.into(), article.id.into(), article.rev.into()],
        )?;
        if changed == 0 {
            return Err(Error::Conflict);
        }
        let (value, detail) = write(tx, &article, &user.username, at)?;
        let action = detail["action"].as_str().unwrap_or(what).to_string();
        audit(
            tx,
            Some(&user.username),
            &action,
            Some(article.id),
            Some(seen),
            detail,
        )?;
        Ok(value)
    })
}

pub(crate) fn mark_statement(
    db: &Db,
    actor: Option<&User>,
    article_id: i64,
    seen: u32,
    statement: &str,
    mark: Mark,
) -> Result<()> {
    annotate(
        db,
        actor,
        article_id,
        seen,
        "mark statements",
        &[Role::Reviewer, Role::Admin],
        |tx, article, by, at| {
            let version = load_version(tx, article.id, seen)?;
            let known = version.answers.iter().any(|answer| {
                crate::statement_keys(answer)
                    .iter()
                    .any(|(key, _)| key == statement)
            });
            if !known {
                return Err(Error::NotFound(format!(
                    "statement {statement} in version {seen}"
                )));
            }
            tx.execute(
                "INSERT INTO marks (article_id, version, statement, mark, by_user, at) \
                 VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (article_id, version, statement) \
                 DO UPDATE SET mark = excluded.mark, by_user = excluded.by_user, at = excluded.at",
                &[
                    article.id.into(),
                    seen.into(),
                    statement.into(),
                    code(&mark).into(),
                    by.into(),
                    at.into(),
                ],
            )?;
            Ok((
                (),
                json!({ "action": "mark", "statement": statement, "mark": code(&mark) }),
            ))
        },
    )
}

pub(crate) fn marks(db: &Db, article_id: i64, version: u32) -> Result<Vec<StatementMark>> {
    db.run(Mode::Read, |tx| {
        tx.query(
            "SELECT version, statement, mark, by_user, at FROM marks \
             WHERE article_id = ? AND version = ? ORDER BY statement",
            &[article_id.into(), version.into()],
        )?
        .iter()
        .map(|row| {
            Ok(StatementMark {
                version: row.u32(0)?,
                statement: row.text(1)?,
                mark: from_code(&row.text(2)?)?,
                by: row.text(3)?,
                at: row.int(4)?,
            })
        })
        .collect()
    })
}

pub(crate) fn comment(
    db: &Db,
    actor: Option<&User>,
    article_id: i64,
    seen: u32,
    c: NewComment,
) -> Result<Comment> {
    if c.body.trim().is_empty() {
        return Err(Error::Invalid("a comment needs some text".into()));
    }
    annotate(
        db,
        actor,
        article_id,
        seen,
        "comment on articles",
        &[Role::Reviewer, Role::Editor, Role::Admin],
        |tx, article, by, at| {
            let comment = insert_comment(tx, article.id, seen, &c, by, at)?;
            let detail = json!({ "action": "comment", "comment": comment.id, "target": c.target });
            Ok((comment, detail))
        },
    )
}

pub(crate) fn comments(db: &Db, article_id: i64) -> Result<Vec<Comment>> {
    db.run(Mode::Read, |tx| {
        tx.query(
            "SELECT id, version, target, body, by_user, at FROM comments \
             WHERE article_id = ? ORDER BY id",
            &[article_id.into()],
        )?
        .iter()
        .map(|row| {
            Ok(Comment {
                id: row.int(0)?,
                version: row.u32(1)?,
                target: row.opt_text(2)?,
                body: row.text(3)?,
                by: row.text(4)?,
                at: row.int(5)?,
            })
        })
        .collect()
    })
}

pub(crate) fn merge(db: &Db, actor: Option<&User>, from: i64, into: i64) -> Result<Article> {
    let user = signed_in(actor, "merge articles")?;
    if !matches!(user.role, Role::Editor | Role::Admin) {
        return Err(Error::Forbidden(format!(
            "{} users may not merge articles (needs editor or admin)",
            user.role
        )));
    }
    if from == into {
        return Err(Error::Invalid("cannot merge an article into itself".into()));
    }
    let (source, target) = db.run(Mode::Read, |tx| {
        Ok((require_article(tx, from)?, require_article(tx, into)?))
    })?;
    if let Some(slug) = &source.merged_into {
        return Err(Error::Invalid(format!(
            "article {from} is already merged into {slug}"
        )));
    }
    if let Some(slug) = &target.merged_into {
        return Err(Error::Invalid(format!(
            "article {into} is itself merged into {slug}; merge into that one"
        )));
    }
    db.run(Mode::Write, |tx| {
        let changed = tx.execute(
            "UPDATE articles SET merged_into = ?, updated_at = ?, rev = rev + 1 \
             WHERE id = ? AND rev = ?",
            &[
                target.slug.as_str().into(),
                now().into(),
                source.id.into(),
                source.rev.into(),
            ],
        )?;
        // The target must not have been merged away in between either.
        let target_live = tx
            .query_opt(
                "SELECT 1 FROM articles WHERE id = ? AND merged_into IS NULL",
                &[target.id.into()],
            )?
            .is_some();
        if changed == 0 || !target_live {
            return Err(Error::Conflict);
        }
        audit(
            tx,
            Some(&user.username),
            "merge",
            Some(source.id),
            Some(source.current_version),
            json!({ "into": target.id, "into_slug": target.slug }),
        )?;
        require_article(tx, source.id)
    })
}

pub(crate) fn sources_changed(db: &Db, source_ids: &[String]) -> Result<usize> {
    if source_ids.is_empty() {
        return Ok(0);
    }
    db.run(Mode::Write, |tx| {
        let marks = vec!["?"; source_ids.len()].join(", ");
        let params: Vec<Value> = source_ids.iter().map(Value::from).collect();
        let rows = tx.query(
            &format!(
                "SELECT article_id, source_id FROM article_citations \
                 WHERE source_id IN ({marks}) ORDER BY article_id, source_id"
            ),
            &params,
        )?;
        let mut by_article: std::collections::BTreeMap<i64, BTreeSet<String>> = Default::default();
        for row in &rows {
            by_article
                .entry(row.int(0)?)
                .or_default()
                .insert(row.text(1)?);
        }
        let at = now();
        for (&id, sources) in &by_article {
            tx.execute(
                "UPDATE articles SET source_changed = 1, updated_at = ?, rev = rev + 1 \
                 WHERE id = ?",
                &[at.into(), id.into()],
            )?;
            let version = require_article(tx, id)?.current_version;
            audit(
                tx,
                None,
                "source_changed",
                Some(id),
                Some(version),
                json!({ "sources": sources }),
            )?;
        }
        Ok(by_article.len())
    })
}

pub(crate) fn audit_log(db: &Db, actor: Option<&User>, limit: usize) -> Result<Vec<AuditEntry>> {
    let user = signed_in(actor, "read the audit log")?;
    if user.role != Role::Admin {
        return Err(Error::Forbidden(format!(
            "{} users may not read the audit log (needs admin)",
            user.role
        )));
    }
    let limit = if limit == 0 { i64::MAX } else { limit as i64 };
    db.run(Mode::Read, |tx| {
        tx.query(
            "SELECT id, at, actor, action, article_id, version, detail FROM audit_log \
             ORDER BY id DESC LIMIT ?",
            &[limit.into()],
        )?
        .iter()
        .map(|row| {
            Ok(AuditEntry {
                id: row.int(0)?,
                at: row.int(1)?,
                actor: row.opt_text(2)?,
                action: row.text(3)?,
                article_id: row.opt_int(4)?,
                version: row.opt_u32(5)?,
                detail: row.text(6)?,
            })
        })
        .collect()
    })
}

/// Candidates for reuse: live articles with the same normalised question, or the same focus
/// and kind (the similarity test is in [`crate::reuse`]).
pub(crate) fn reuse_candidates(
    db: &Db,
    normalized: &str,
    focus: Option<&str>,
    kind: QuestionKind,
) -> Result<Vec<Article>> {
    db.run(Mode::Read, |tx| {
        tx.query(
            &format!(
                "SELECT {ARTICLE_COLUMNS} FROM articles \
                 WHERE merged_into IS NULL AND state <> ? \
                 AND (normalized_question = ? OR (LOWER(focus) = ? AND kind = ?)) \
                 ORDER BY id LIMIT 500"
            ),
            &[
                code(&ReviewState::Withdrawn).into(),
                normalized.into(),
                focus.map(str::to_lowercase).into(),
                code(&kind).into(),
            ],
        )?
        .iter()
        .map(article_from_row)
        .collect()
    })
}
