//! An article's history: every version with its author and note, and the line diff between
//! two versions (the previous and the current one unless `?from=&to=` say otherwise).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use evident_core::Role;
use evident_store::Change;
use maud::html;

use super::{need, page, PageId};
use crate::error::{AppError, PageError};
use crate::html::{clean, date_time};
use crate::{blocking, AppState, PageUser};

pub(super) async fn history(
    State(state): State<AppState>,
    PageId(id): PageId,
    Query(q): Query<HashMap<String, String>>,
    PageUser(user): PageUser,
) -> Result<Response, PageError> {
    let user = match need(user, Role::Reviewer, &format!("/review/{id}/history")) {
        Ok(u) => u,
        Err(resp) => return Ok(*resp),
    };
    let from: Option<u32> = q.get("from").and_then(|v| v.parse().ok());
    let to: Option<u32> = q.get("to").and_then(|v| v.parse().ok());
    let store = state.store();
    let (article, versions, diff, range) = blocking(move || {
        let article = store
            .article(id)?
            .ok_or_else(|| AppError::NotFound(format!("article {id} not found")))?;
        let versions = store.versions(id)?;
        let to = to.unwrap_or(article.current_version);
        let from = from.unwrap_or(to.saturating_sub(1).max(1));
        let diff = if from != to {
            Some(store.diff(id, from, to)?)
        } else {
            None
        };
        Ok((article, versions, diff, (from, to)))
    })
    .await?;
    let body = html! {
        h1 { "History: " (clean(&article.question)) } "\n"
        p { a href={ "/review/" (id) } { "Back to the review" } } "\n"
        h2 { "Versions" }
        table {
            thead {
                tr {
                    th scope="col" { "Version" }
                    th scope="col" { "Author" }
                    th scope="col" { "Note" }
                    th scope="col" { "Created" }
                    th scope="col" { "Compare" }
                }
            }
            tbody {
                @for v in &versions {
                    tr {
                        td {
                            (v.number)
                            @if Some(v.number) == article.published_version { " (published)" }
                        }
                        td { (v.author.as_deref().unwrap_or("Evident (composed)")) }
                        td { (v.note.as_deref().unwrap_or("")) }
                        td { (date_time(v.created_at)) }
                        td {
                            @if v.number > 1 {
                                a href={
                                    "/review/" (id) "/history?from=" (v.number - 1) "&to=" (v.number)
                                } { "changes from " (v.number - 1) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(diff) = diff {
            h2 { "Changes from version " (range.0) " to " (range.1) }
            ul.diff.cards {
                @for line in &diff {
                    @let (class, sign) = match line.change {
                        Change::Same => ("same", " "),
                        Change::Added => ("added", "+"),
                        Change::Removed => ("removed", "−"),
                    };
                    li class=(class) {
                        span aria-hidden="true" { (sign) }
                        " "
                        span.sr-only { (class) ":" }
                        " " (line.text)
                    }
                }
            }
        }
    };
    Ok(page(StatusCode::OK, "History", Some(&user), body))
}
