//! The reviewer workspace and sign-in, one file per concern: sign-in and out ([`signin`]),
//! the queue ([`queue`]), the review page ([`workspace`]) and its forms ([`actions`]), history
//! and diffs ([`history`]) and the audit log for admins ([`audit`]). This module holds the
//! routes and what they share: the role gate, the article id in the path and the page response.
//!
//! Every form that changes something carries the CSRF token (checked by
//! [`crate::forms::CsrfForm`]) and the version number the user saw; the store refuses a stale
//! version or a concurrent change (409, "reload").

mod accounts;
mod actions;
mod audit;
mod history;
mod queue;
mod signin;
mod workspace;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use evident_core::Role;
use evident_store::User;
use maud::{Markup, PreEscaped};

use crate::error::{AppError, PageError};
use crate::html::{self, url_encode};
use crate::AppState;

pub fn routes(_state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/login", get(signin::login_page).post(signin::login))
        .route("/logout", get(signin::logout_page).post(signin::logout))
        .route("/review", get(queue::queue))
        .route("/review/{id}", get(workspace::review_page))
        .route("/review/{id}/action", post(actions::action))
        .route("/review/{id}/mark", post(actions::mark))
        .route("/review/{id}/comment", post(actions::comment))
        .route("/review/{id}/revise", post(actions::revise))
        .route("/review/{id}/merge", post(actions::merge))
        .route("/review/{id}/history", get(history::history))
        .route("/admin/audit", get(audit::audit))
        .route(
            "/admin/users",
            get(accounts::users).post(accounts::add_user),
        )
        .route("/admin/users/role", post(accounts::set_role))
        .route("/admin/users/disable", post(accounts::set_disabled))
        .route("/admin/users/logout", post(accounts::end_sessions))
        .route("/admin/users/password", post(accounts::set_password))
        .route(
            "/admin/tokens",
            get(accounts::tokens).post(accounts::issue_token),
        )
        .route("/admin/tokens/revoke", post(accounts::revoke_token))
}

/// A whole page in the site layout around `body`.
fn page(status: StatusCode, title: &str, user: Option<&User>, body: Markup) -> Response {
    (status, Html(html::page(title, user, &body.into_string()))).into_response()
}

/// The hidden CSRF field of a form, as markup.
fn csrf(token: &str) -> Markup {
    PreEscaped(html::csrf_field(token))
}

/// The signed-in user with at least `min` role; anonymous visitors are sent to sign in.
fn need(user: Option<User>, min: Role, next: &str) -> Result<User, Box<Response>> {
    match user {
        None => Err(Box::new(
            Redirect::to(&format!("/login?next={}", url_encode(next))).into_response(),
        )),
        Some(u) if u.role >= min => Ok(u),
        Some(u) => Err(Box::new(
            AppError::Forbidden(format!(
                "{} users cannot open this page; it needs the {min} role or higher",
                u.role
            ))
            .into_page(),
        )),
    }
}

/// An article id in the path; anything else is a "not found" page.
pub struct PageId(pub i64);

impl FromRequestParts<AppState> for PageId {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Path::<i64>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(PageId(id)),
            Err(_) => Err(AppError::NotFound("no article with this id".into()).into()),
        }
    }
}
