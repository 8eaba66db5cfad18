//! The forms of the review page: review actions, statement marks, comments, revisions and
//! merging. Each reads its form (CSRF-checked by [`CsrfForm`]) and calls the store; the revise
//! form's edits are applied by [`evident_core::review::apply_edits`], not here, and each
//! statement an editor wrote is then checked against its cited passages
//! ([`evident_answer::generative::check_edited`]) so the workspace can show the result.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use evident_answer::generative::check_edited;
use evident_core::review::{apply_edits, Edits, StatementKey};
use evident_core::Action;
use evident_store::{Mark, NewComment, Revision, Seen};
use serde::Deserialize;

use super::workspace::audience;
use super::PageId;
use crate::error::{AppError, PageError};
use crate::forms::CsrfForm;
use crate::html::url_encode;
use crate::{blocking, AppState, PageUser};

#[derive(Debug, Deserialize)]
pub(super) struct ActionForm {
    version: u32,
    /// The article's `rev` when the page was loaded: the store refuses the action if the
    /// article has changed since.
    rev: i64,
    action: String,
    #[serde(default)]
    comment: Option<String>,
}

pub(super) async fn action(
    State(state): State<AppState>,
    PageId(id): PageId,
    PageUser(user): PageUser,
    CsrfForm(form): CsrfForm<ActionForm>,
) -> Result<Response, PageError> {
    let user = user.ok_or_else(|| AppError::Unauthenticated("review articles".into()))?;
    let action: Action = form
        .action
        .parse()
        .map_err(|e: evident_core::Error| AppError::Invalid(e.to_string()))?;
    let store = state.store();
    let version = Seen {
        version: form.version,
        rev: form.rev,
    };
    let comment = form.comment.filter(|c| !c.trim().is_empty());
    blocking(move || {
        let actor = Some(&user);
        match action {
            Action::Claim => store.claim(actor, id, version)?,
            Action::Approve => store.approve(actor, id, version)?,
            Action::RequestChanges => {
                let comments = comment
                    .map(|body| vec![NewComment { target: None, body }])
                    .unwrap_or_default();
                store.request_changes(actor, id, version, comments)?
            }
            Action::Withdraw => store.withdraw(actor, id, version)?,
            Action::Reopen => store.reopen(actor, id, version)?,
            Action::Revise => return Err(AppError::Invalid("revise with the revise form".into())),
        };
        Ok(())
    })
    .await?;
    Ok(Redirect::to(&format!("/review/{id}?done={}", action.code())).into_response())
}

#[derive(Debug, Deserialize)]
pub(super) struct MarkForm {
    version: u32,
    statement: String,
    mark: String,
}

pub(super) async fn mark(
    State(state): State<AppState>,
    PageId(id): PageId,
    PageUser(user): PageUser,
    CsrfForm(form): CsrfForm<MarkForm>,
) -> Result<Response, PageError> {
    let user = user.ok_or_else(|| AppError::Unauthenticated("mark statements".into()))?;
    let mark = match form.mark.as_str() {
        "confirmed" => Mark::Confirmed,
        "flagged" => Mark::Flagged,
        other => return Err(AppError::Invalid(format!("unknown mark {other:?}")).into()),
    };
    let store = state.store();
    let key = form.statement.clone();
    blocking(move || Ok(store.mark_statement(Some(&user), id, form.version, &key, mark)?)).await?;
    Ok(Redirect::to(&format!(
        "/review/{id}?done=mark#st-{}",
        url_encode(&form.statement)
    ))
    .into_response())
}

#[derive(Debug, Deserialize)]
pub(super) struct CommentForm {
    version: u32,
    #[serde(default)]
    target: Option<String>,
    body: String,
}

pub(super) async fn comment(
    State(state): State<AppState>,
    PageId(id): PageId,
    PageUser(user): PageUser,
    CsrfForm(form): CsrfForm<CommentForm>,
) -> Result<Response, PageError> {
    let user = user.ok_or_else(|| AppError::Unauthenticated("comment".into()))?;
    if form.body.trim().is_empty() {
        return Err(AppError::Invalid("the comment is empty".into()).into());
    }
    let store = state.store();
    let new = NewComment {
        target: form
            .target
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty()),
        body: form.body.trim().to_string(),
    };
    blocking(move || Ok(store.comment(Some(&user), id, form.version, new)?)).await?;
    Ok(Redirect::to(&format!("/review/{id}?done=comment")).into_response())
}

/// The revise form's `text.<key>` and `cites.<key>` fields as edits; other fields, and keys
/// that name no statement position, are not edits.
fn form_edits(fields: &HashMap<String, String>) -> Edits {
    let mut edits = Edits::new();
    for (name, value) in fields {
        let Some((field, key)) = name.split_once('.') else {
            continue;
        };
        let Ok(key) = key.parse::<StatementKey>() else {
            continue;
        };
        match field {
            "text" => edits.entry(key).or_default().text = Some(value.clone()),
            "cites" => edits.entry(key).or_default().citations = Some(value.clone()),
            _ => {}
        }
    }
    edits
}

pub(super) async fn revise(
    State(state): State<AppState>,
    PageId(id): PageId,
    PageUser(user): PageUser,
    CsrfForm(fields): CsrfForm<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let user = user.ok_or_else(|| AppError::Unauthenticated("revise articles".into()))?;
    let version: u32 = fields
        .get("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| AppError::Invalid("the form lacks the version number".into()))?;
    let rev: i64 = fields
        .get("rev")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| AppError::Invalid("the form lacks the article's revision".into()))?;
    let audience = audience(fields.get("audience"));
    let note = fields
        .get("note")
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let edits = form_edits(&fields);
    let store = state.store();
    blocking(move || {
        let mut answers = store.version(id, version)?.answers;
        let index = answers
            .iter()
            .position(|a| a.audience == audience)
            .unwrap_or(0);
        let mut revised =
            apply_edits(&answers[index], &edits).map_err(|e| AppError::Invalid(e.to_string()))?;
        // The workspace shows whether the cited passages support each statement an editor wrote.
        check_edited(&mut revised);
        answers[index] = revised;
        let seen = Seen { version, rev };
        store.revise(Some(&user), id, seen, Revision { answers, note })?;
        Ok(())
    })
    .await?;
    Ok(Redirect::to(&format!(
        "/review/{id}?done=revise&audience={}",
        audience.label()
    ))
    .into_response())
}

#[derive(Debug, Deserialize)]
pub(super) struct MergeForm {
    /// The version and `rev` of this article when the page was loaded.
    version: u32,
    rev: i64,
    into: String,
}

pub(super) async fn merge(
    State(state): State<AppState>,
    PageId(id): PageId,
    PageUser(user): PageUser,
    CsrfForm(form): CsrfForm<MergeForm>,
) -> Result<Response, PageError> {
    let user = user.ok_or_else(|| AppError::Unauthenticated("merge articles".into()))?;
    let store = state.store();
    let into = form.into.trim().trim_start_matches("/a/").to_string();
    let target = blocking(move || {
        let target = match into.parse::<i64>() {
            Ok(n) => store.article(n)?,
            Err(_) => store.article_by_slug(&into)?,
        }
        .ok_or_else(|| AppError::NotFound(format!("no article {into:?} to merge into")))?;
        let seen = Seen {
            version: form.version,
            rev: form.rev,
        };
        store.merge(Some(&user), id, seen, target.id)?;
        Ok(target.id)
    })
    .await?;
    Ok(Redirect::to(&format!("/review/{target}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revise_fields_become_edits_by_key() {
        let fields: HashMap<String, String> = [
            ("csrf", "t"),
            ("version", "2"),
            ("text.lead.0", "New."),
            ("cites.lead.0", "1, 2"),
            ("cites.s1.3", "3"),
            ("text.nonsense", ""),
            ("other.lead.0", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let edits = form_edits(&fields);
        let keys: Vec<String> = edits.keys().map(ToString::to_string).collect();
        assert_eq!(keys, ["lead.0", "s1.3"]);
        let lead = &edits[&StatementKey::Lead(0)];
        assert_eq!(lead.text.as_deref(), Some("New."));
        assert_eq!(lead.citations.as_deref(), Some("1, 2"));
        let s13 = &edits[&StatementKey::Section {
            section: 1,
            index: 3,
        }];
        assert_eq!(
            (s13.text.as_deref(), s13.citations.as_deref()),
            (None, Some("3"))
        );
    }
}
