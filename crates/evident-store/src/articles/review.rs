//! The review lifecycle: claim, approve, request changes, revise, withdraw and reopen (each
//! one transaction that checks what the actor saw, then writes with the `rev` check), and the
//! marks and comments reviewers attach to a version.

use evident_core::{Action, Role, TransitionError};
use serde_json::json;

use super::{
    audit, check_answers, check_seen, code, from_code, insert_version, load_article, load_version,
    require_article, signed_in, VersionRow,
};
use crate::db::{Db, Mode, Tx};
use crate::{
    now, Article, Comment, Error, Mark, NewComment, Result, ReviewState, Revision, Seen,
    StatementMark, User,
};

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

/// One review action, in one write transaction: sign-in, then the row as it is now, then
/// [`evident_core::transition`]'s permission check, then what the actor saw ([`Seen`]: the
/// version and `rev`), then legality, the claimant and the version's author, and last the write,
/// `UPDATE … WHERE rev = seen.rev`. So an action chosen on a state that has changed since is
/// refused, and of two actors acting on the same state exactly one wins.
fn act(
    db: &Db,
    actor: Option<&User>,
    article_id: i64,
    seen: Seen,
    effect: Effect,
) -> Result<Article> {
    let action = effect.action();
    let user = signed_in(actor, &format!("{action} an article"))?;
    let by = user.username.as_str();
    db.run(Mode::Write, |tx| {
        let article = load_article(tx, article_id)?
            .ok_or_else(|| Error::NotFound(format!("article {article_id}")))?;
        let next = evident_core::transition(article.state, action, user.role);
        if let Err(e @ TransitionError::Forbidden { .. }) = next {
            return Err(e.into());
        }
        check_seen(&article, seen)?;
        let next = next?;
        if let Effect::Approve = effect {
            check_approver(tx, &article, user)?;
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
                seen.rev.into(),
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
                insert_version(
                    tx,
                    VersionRow {
                        article_id: article.id,
                        number: current,
                        answers: &revision.answers,
                        json: answers_json.unwrap_or_default(),
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

/// [`crate::approval_refusal`] for the current version, its author read in the same transaction.
fn check_approver(tx: &mut dyn Tx, article: &Article, user: &User) -> Result<()> {
    let author = tx
        .query_one(
            "SELECT author FROM versions WHERE article_id = ? AND number = ?",
            &[article.id.into(), article.current_version.into()],
        )?
        .opt_text(0)?;
    match crate::approval_refusal(article, author.as_deref(), user) {
        Some(refusal) => Err(refusal),
        None => Ok(()),
    }
}

pub(crate) fn claim(db: &Db, actor: Option<&User>, id: i64, v: Seen) -> Result<Article> {
    act(db, actor, id, v, Effect::Claim)
}
pub(crate) fn approve(db: &Db, actor: Option<&User>, id: i64, v: Seen) -> Result<Article> {
    act(db, actor, id, v, Effect::Approve)
}
pub(crate) fn request_changes(
    db: &Db,
    actor: Option<&User>,
    id: i64,
    v: Seen,
    comments: Vec<NewComment>,
) -> Result<Article> {
    act(db, actor, id, v, Effect::RequestChanges(comments))
}
pub(crate) fn revise(
    db: &Db,
    actor: Option<&User>,
    id: i64,
    v: Seen,
    revision: Revision,
) -> Result<Article> {
    act(db, actor, id, v, Effect::Revise(revision))
}
pub(crate) fn withdraw(db: &Db, actor: Option<&User>, id: i64, v: Seen) -> Result<Article> {
    act(db, actor, id, v, Effect::Withdraw)
}
pub(crate) fn reopen(db: &Db, actor: Option<&User>, id: i64, v: Seen) -> Result<Article> {
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
            let known = statement
                .parse::<crate::StatementKey>()
                .is_ok_and(|key| version.answers.iter().any(|a| a.statement(key).is_some()));
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
