//! The review queue: articles by state (open ones by default), newest change first.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use evident_core::{ReviewState, Role};
use evident_store::ArticleQuery;
use maud::html;

use super::{need, page};
use crate::error::{AppError, PageError};
use crate::html::{clean, date_time};
use crate::{blocking, AppState, PageUser};

/// The filters above the queue: `?state=` code and label.
const FILTERS: [(&str, &str); 8] = [
    ("queue", "Open (submitted, under review, changes requested)"),
    ("submitted", "Submitted"),
    ("under_review", "Under review"),
    ("changes_requested", "Changes requested"),
    ("approved", "Approved"),
    ("withdrawn", "Withdrawn"),
    ("source_changed", "Source changed"),
    ("all", "All"),
];

pub(super) async fn queue(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    PageUser(user): PageUser,
) -> Result<Response, PageError> {
    let user = match need(user, Role::Reviewer, "/review") {
        Ok(u) => u,
        Err(resp) => return Ok(*resp),
    };
    let filter = q
        .get("state")
        .map(String::as_str)
        .unwrap_or("queue")
        .to_string();
    let mut query = ArticleQuery::queue();
    match filter.as_str() {
        "queue" => {}
        "all" => query.states.clear(),
        "source_changed" => {
            query.states.clear();
            query.source_changed_only = true;
        }
        s => {
            query.states = vec![s
                .parse::<ReviewState>()
                .map_err(|e| AppError::Invalid(e.to_string()))?]
        }
    }
    query.limit = 200;
    let store = state.store();
    let articles = blocking(move || Ok(store.list_articles(&query)?)).await?;
    let body = html! {
        h1 { "Review queue" } "\n"
        nav aria-label="Queue filters" {
            ul.choices {
                @for (code, label) in FILTERS {
                    li {
                        a href={ "/review?state=" (code) }
                            aria-current=[(code == filter).then_some("page")] { (label) }
                    }
                }
            }
        }
        "\n"
        @if articles.is_empty() {
            p.meta { "Nothing here." }
        } @else {
            table {
                thead {
                    tr {
                        th scope="col" { "Question" }
                        th scope="col" { "State" }
                        th scope="col" { "Claimed by" }
                        th scope="col" { "Version" }
                        th scope="col" { "Updated" }
                    }
                }
                tbody {
                    @for a in &articles {
                        tr {
                            td {
                                a href={ "/review/" (a.id) } { (clean(&a.question)) }
                                @if a.source_changed {
                                    " " span.state { "source changed" }
                                }
                            }
                            td { (a.state.label()) }
                            td { (a.claimed_by.as_deref().unwrap_or("—")) }
                            td { (a.current_version) }
                            td { (date_time(a.updated_at)) }
                        }
                    }
                }
            }
        }
    };
    Ok(page(StatusCode::OK, "Review queue", Some(&user), body))
}
