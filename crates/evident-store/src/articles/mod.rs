//! Articles, versions and the review lifecycle as stored. Which transitions are legal and who
//! may take them is decided by [`evident_core::transition`] alone; the [`review`] module loads
//! the article, checks what the actor saw ([`crate::Seen`]), asks, and writes the outcome with
//! the `rev` check, all in one transaction.
//!
//! This module owns the article rows and the helpers every part shares (row decoding, codes,
//! the audit log, writing a version), creating, finding and listing articles, merging, and the
//! "source changed" flags. Reading versions is in [`versions`].

use std::collections::BTreeSet;

use evident_core::{Answer, QuestionKind, ReviewState, Role};
use serde_json::json;

use crate::db::{Db, Mode, Row, Tx, Value};
use crate::{now, Article, ArticleQuery, AuditEntry, Error, NewArticle, Result, Seen, User};

mod review;
mod versions;

pub(crate) use review::{
    approve, claim, comment, comments, mark_statement, marks, reopen, request_changes, revise,
    withdraw,
};
pub(crate) use versions::{approvals, load_version, version, versions};

/// The columns [`article_from_row`] reads, for `SELECT … FROM articles`: the row, then the
/// display names of the claimant and the approver.
pub(crate) const ARTICLE_COLUMNS: &str = "id, slug, question, normalized_question, focus, kind, \
    state, current_version, published_version, claimed_by, approved_by, approved_at, parent_id, \
    source_changed, merged_into, created_at, updated_at, rev, \
    (SELECT display_name FROM users WHERE users.username = articles.claimed_by), \
    (SELECT display_name FROM users WHERE users.username = articles.approved_by)";

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
        claimed_by_name: row.opt_text(18)?,
        approved_by_name: row.opt_text(19)?,
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
        .map_err(|e| Error::internal_from(format!("corrupt code {code:?}"), e))
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

/// Refuses an action chosen on a state the article is no longer in: another version is
/// [`Error::Stale`], any other change since (a claim, an approval, a comment) [`Error::Changed`].
/// Call it in the transaction that writes, on the row read there.
fn check_seen(article: &Article, seen: Seen) -> Result<()> {
    if seen.version != article.current_version {
        return Err(Error::Stale {
            seen: seen.version,
            current: article.current_version,
        });
    }
    if seen.rev != article.rev {
        return Err(Error::Changed {
            state: article.state,
            version: article.current_version,
        });
    }
    Ok(())
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
    serde_json::to_string(answers).map_err(|e| Error::internal_from("answers to JSON", e))
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

fn signed_in<'a>(actor: Option<&'a User>, what: &str) -> Result<&'a User> {
    actor.ok_or_else(|| Error::Unauthenticated(what.to_string()))
}

pub(crate) fn create(db: &Db, actor: Option<&User>, new: NewArticle) -> Result<Article> {
    let json = check_answers(&new.answers)?;
    let normalized = crate::normalize_question(&new.question);
    if normalized.is_empty() {
        return Err(Error::Invalid("the question is empty".into()));
    }
    let analysis = serde_json::to_string(&new.analysis)
        .map_err(|e| Error::internal_from("analysis to JSON", e))?;
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
    if q.nothing {
        return Ok(Vec::new());
    }
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

pub(crate) fn merge(
    db: &Db,
    actor: Option<&User>,
    from: i64,
    seen: Seen,
    into: i64,
) -> Result<Article> {
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
    // One transaction: the source as the editor saw it, the target live and public, both
    // written with their `rev` checked.
    db.run(Mode::Write, |tx| {
        let source = require_article(tx, from)?;
        check_seen(&source, seen)?;
        if let Some(slug) = &source.merged_into {
            return Err(Error::Invalid(format!(
                "article {from} is already merged into {slug}"
            )));
        }
        let target = require_article(tx, into)?;
        if let Some(slug) = &target.merged_into {
            return Err(Error::Invalid(format!(
                "article {into} is itself merged into {slug}; merge into that one"
            )));
        }
        if !crate::visible(target.state, None) {
            return Err(Error::Invalid(format!(
                "article {into} is {}: merge into an article the public can see",
                target.state.label().to_lowercase()
            )));
        }
        // Bumping the target's `rev` makes a withdrawal of it racing this merge fail its own
        // check, so a merged article never redirects to a withdrawn one.
        let target_kept = tx.execute(
            "UPDATE articles SET rev = rev + 1 WHERE id = ? AND rev = ?",
            &[target.id.into(), target.rev.into()],
        )?;
        let changed = tx.execute(
            "UPDATE articles SET merged_into = ?, updated_at = ?, rev = rev + 1 \
             WHERE id = ? AND rev = ?",
            &[
                target.slug.as_str().into(),
                now().into(),
                source.id.into(),
                seen.rev.into(),
            ],
        )?;
        if changed == 0 || target_kept == 0 {
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
