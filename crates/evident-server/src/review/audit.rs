//! The audit log for admins: the latest 500 entries, newest first.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use evident_core::Role;
use maud::html;

use super::{need, page};
use crate::error::PageError;
use crate::html::date_time;
use crate::{blocking, AppState, PageUser};

/// How many entries the page shows.
const ENTRIES: usize = 500;

pub(super) async fn audit(
    State(state): State<AppState>,
    PageUser(user): PageUser,
) -> Result<Response, PageError> {
    let user = match need(user, Role::Admin, "/admin/audit") {
        Ok(u) => u,
        Err(resp) => return Ok(*resp),
    };
    let store = state.store();
    let actor = user.clone();
    let entries = blocking(move || Ok(store.audit_log(Some(&actor), ENTRIES)?)).await?;
    let body = html! {
        h1 { "Audit log" }
        table {
            thead {
                tr {
                    th scope="col" { "When" }
                    th scope="col" { "Who" }
                    th scope="col" { "What" }
                    th scope="col" { "Article" }
                    th scope="col" { "Version" }
                    th scope="col" { "Detail" }
                }
            }
            tbody {
                @for e in &entries {
                    tr {
                        td { (date_time(e.at)) }
                        td { (e.actor.as_deref().unwrap_or("—")) }
                        td { (e.action) }
                        td {
                            @if let Some(a) = e.article_id {
                                a href={ "/review/" (a) } { (a) }
                            }
                        }
                        td {
                            @if let Some(v) = e.version { (v) }
                        }
                        td { code { (e.detail) } }
                    }
                }
            }
        }
    };
    Ok(page(StatusCode::OK, "Audit log", Some(&user), body))
}
