//! Account management for admins: users (add, role, disable or enable, sign out, new password)
//! at `/admin/users` and API tokens (issue, revoke) at `/admin/tokens`, the web side of
//! `evident user …` and `evident token …`. The store decides what is allowed (the password
//! policy, admins only, never the last enabled admin); these pages show its answer.
//!
//! Each form posts to its own route and, when the store agrees, redirects back (303) with
//! `?done=` naming what happened. A refusal that is the user's (a weak password, an unknown
//! user, a forbidden change) is the same page again with the store's message and its status
//! (422, 404, 403, 409); internal failures are error pages. A new token's secret is shown on
//! the response to its form only, never put in a URL, and kept nowhere but its hash.

use std::collections::{HashMap, HashSet};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use evident_core::Role;
use evident_store::{ApiToken, User};
use maud::{html, Markup};
use serde::Deserialize;

use super::{csrf, need, page};
use crate::error::{AppError, PageError};
use crate::forms::CsrfForm;
use crate::html::{date_time, url_encode, Clean};
use crate::security::CsrfToken;
use crate::{blocking, AppState, PageUser};

const USERS: &str = "/admin/users";
const TOKENS: &str = "/admin/tokens";

/// What the page says above its tables: the result of the last form.
enum Notice {
    None,
    /// A form succeeded (from `?done=`).
    Done(String),
    /// The store refused a form: its message, shown with the status it maps to.
    Refused {
        status: StatusCode,
        message: String,
    },
}

impl Notice {
    fn status(&self) -> StatusCode {
        match self {
            Notice::Refused { status, .. } => *status,
            _ => StatusCode::OK,
        }
    }

    fn markup(&self) -> Markup {
        html! {
            @match self {
                Notice::None => {}
                Notice::Done(msg) => p.flash role="status" { (msg) },
                Notice::Refused { message, .. } => p.error role="alert" { (message) },
            }
        }
    }

    /// A failed form as a notice when it is the user's mistake; internal failures stay errors
    /// (logged, and answered with the generic error page).
    fn refused(e: AppError) -> Result<Notice, PageError> {
        let (status, _, message) = e.parts();
        if status.is_server_error() {
            return Err(e.into());
        }
        Ok(Notice::Refused { status, message })
    }
}

/// The message for `?done=` on the users page, naming `?user=`.
fn users_done(q: &HashMap<String, String>) -> Notice {
    let name = q.get("user").map(String::as_str).unwrap_or("the user");
    let msg = match q.get("done").map(String::as_str) {
        Some("add") => format!("Added {name}; they can sign in now."),
        Some("role") => match q.get("role").and_then(|r| r.parse::<Role>().ok()) {
            Some(role) => format!("{name} is now {role}."),
            None => format!("Changed the role of {name}."),
        },
        Some("disable") => format!(
            "Disabled {name}: they cannot sign in, and their sessions and API tokens stop working."
        ),
        Some("enable") => format!("Enabled {name}; they can sign in again."),
        Some("logout") => {
            let n: u64 = q.get("n").and_then(|n| n.parse().ok()).unwrap_or(0);
            format!(
                "Ended {n} session{} of {name}.",
                if n == 1 { "" } else { "s" }
            )
        }
        Some("password") => {
            format!("Set a new password for {name}; their sessions are ended.")
        }
        _ => return Notice::None,
    };
    Notice::Done(msg)
}

/// The message for `?done=` on the tokens page.
fn tokens_done(q: &HashMap<String, String>) -> Notice {
    match (q.get("done").map(String::as_str), q.get("id")) {
        (Some("revoke"), Some(id)) => {
            Notice::Done(format!("Revoked token {id}; it no longer opens the API."))
        }
        _ => Notice::None,
    }
}

fn admin_links() -> Markup {
    html! {
        p.meta {
            a href=(USERS) { "Users" } " · " a href=(TOKENS) { "API tokens" } " · "
            a href="/admin/audit" { "Audit log" }
        }
    }
}

fn role_select(name: &str, id: &str, selected: Role) -> Markup {
    html! {
        select name=(name) id=(id) {
            @for role in Role::ALL {
                option value=(role.code()) selected[role == selected] { (role.code()) }
            }
        }
    }
}

/// Every user and whether they are disabled.
async fn users_with_state(state: &AppState) -> Result<Vec<(User, bool)>, PageError> {
    let store = state.store();
    Ok(blocking(move || {
        let users = store.list_users()?;
        users
            .into_iter()
            .map(|u| {
                let disabled = store.is_disabled(&u.username)?;
                Ok((u, disabled))
            })
            .collect()
    })
    .await?)
}

async fn users_page(
    state: &AppState,
    me: &User,
    token: &str,
    notice: Notice,
) -> Result<Response, PageError> {
    let users = users_with_state(state).await?;
    let body = html! {
        h1 { "Users" }
        (admin_links())
        (notice.markup())
        table {
            thead {
                tr {
                    th scope="col" { "User" }
                    th scope="col" { "Role" }
                    th scope="col" { "State" }
                    th scope="col" { "Change" }
                }
            }
            tbody {
                @for (i, (u, disabled)) in users.iter().enumerate() {
                    (user_row(i, u, *disabled, me, token))
                }
            }
        }
        h2 { "Add a user" }
        form method="post" action=(USERS) {
            (csrf(token))
            label for="new-username" { "Username" }
            input type="text" id="new-username" name="username" required
                autocomplete="off";
            label for="new-display" { "Display name (optional; shown to the public on reviews)" }
            input type="text" id="new-display" name="display_name" autocomplete="off";
            label for="new-password" { "Password" }
            input type="password" id="new-password" name="password" required
                autocomplete="new-password";
            p.meta {
                "At least " (evident_store::MIN_PASSWORD_CHARS) " characters, not the username, \
                 not one character repeated and not a common password; a phrase of a few words \
                 is easiest to remember."
            }
            label for="new-role" { "Role" }
            (role_select("role", "new-role", Role::Reviewer))
            p { button.primary type="submit" { "Add user" } }
        }
    };
    Ok(page(notice.status(), "Users", Some(me), body))
}

fn user_row(i: usize, u: &User, disabled: bool, me: &User, token: &str) -> Markup {
    let is_me = u.id == me.id;
    html! {
        tr id={ "user-" (u.username) } {
            td {
                strong { (u.username) }
                @if u.display_name != u.username {
                    br; span.meta { (Clean(&u.display_name)) }
                }
                @if is_me { " " span.state { "you" } }
            }
            td { (u.role.code()) }
            td { @if disabled { "disabled" } @else { "active" } }
            td {
                form method="post" action="/admin/users/role" {
                    (csrf(token))
                    input type="hidden" name="username" value=(u.username);
                    label for={ "role-" (i) } { "Role" }
                    (role_select("role", &format!("role-{i}"), u.role))
                    button type="submit" { "Change role" }
                }
                form method="post" action="/admin/users/disable" {
                    (csrf(token))
                    input type="hidden" name="username" value=(u.username);
                    @if disabled {
                        input type="hidden" name="disabled" value="false";
                        button type="submit" { "Enable" }
                    } @else if !is_me {
                        input type="hidden" name="disabled" value="true";
                        button type="submit" { "Disable" }
                    }
                }
                form method="post" action="/admin/users/logout" {
                    (csrf(token))
                    input type="hidden" name="username" value=(u.username);
                    button type="submit" { "End sessions" }
                }
                form method="post" action="/admin/users/password" {
                    (csrf(token))
                    input type="hidden" name="username" value=(u.username);
                    label for={ "password-" (i) } { "New password" }
                    input type="password" id={ "password-" (i) } name="password" required
                        autocomplete="new-password";
                    button type="submit" { "Set password" }
                }
            }
        }
    }
}

/// The admin behind a request, or the response that sends anyone else away.
macro_rules! admin {
    ($user:expr, $next:expr) => {
        match need($user, Role::Admin, $next) {
            Ok(u) => u,
            Err(resp) => return Ok(*resp),
        }
    };
}

pub(super) async fn users(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    PageUser(user): PageUser,
    Extension(token): Extension<CsrfToken>,
) -> Result<Response, PageError> {
    let me = admin!(user, USERS);
    users_page(&state, &me, &token.0, users_done(&q)).await
}

/// Runs `change` as the store's admin `me`; on success redirects to `done(value)`, on a
/// refusal that is the user's shows the users page with the store's message.
async fn on_users<T: Send + 'static>(
    state: &AppState,
    me: User,
    token: &str,
    change: impl FnOnce(&evident_store::Store, &User) -> evident_store::Result<T> + Send + 'static,
    done: impl FnOnce(T) -> String,
) -> Result<Response, PageError> {
    let store = state.store();
    let actor = me.clone();
    match blocking(move || Ok(change(&store, &actor)?)).await {
        Ok(value) => Ok(Redirect::to(&done(value)).into_response()),
        Err(e) => users_page(state, &me, token, Notice::refused(e)?).await,
    }
}

fn users_url(done: &str, user: &User, extra: &str) -> String {
    format!(
        "{USERS}?done={done}&user={}{extra}#user-{}",
        url_encode(&user.username),
        url_encode(&user.username)
    )
}

/// The users page again, with the message of a role name that is not one.
async fn invalid_role(
    state: &AppState,
    me: &User,
    token: &str,
    message: String,
) -> Result<Response, PageError> {
    let notice = Notice::refused(AppError::Invalid(message))?;
    users_page(state, me, token, notice).await
}

#[derive(Debug, Deserialize)]
pub(super) struct AddUserForm {
    username: String,
    #[serde(default)]
    display_name: String,
    password: String,
    role: String,
}

pub(super) async fn add_user(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Extension(token): Extension<CsrfToken>,
    CsrfForm(form): CsrfForm<AddUserForm>,
) -> Result<Response, PageError> {
    let me = admin!(user, USERS);
    let role = match form.role.parse::<Role>() {
        Ok(role) => role,
        Err(e) => return invalid_role(&state, &me, &token.0, e.to_string()).await,
    };
    on_users(
        &state,
        me,
        &token.0,
        move |store, actor| {
            store.create_user(
                Some(actor),
                &form.username,
                &form.display_name,
                &form.password,
                role,
            )
        },
        |u| users_url("add", &u, ""),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(super) struct RoleForm {
    username: String,
    role: String,
}

pub(super) async fn set_role(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Extension(token): Extension<CsrfToken>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<Response, PageError> {
    let me = admin!(user, USERS);
    let role = match form.role.parse::<Role>() {
        Ok(role) => role,
        Err(e) => return invalid_role(&state, &me, &token.0, e.to_string()).await,
    };
    on_users(
        &state,
        me,
        &token.0,
        move |store, actor| store.set_role(Some(actor), &form.username, role),
        |u| users_url("role", &u, &format!("&role={}", u.role.code())),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(super) struct DisableForm {
    username: String,
    disabled: bool,
}

pub(super) async fn set_disabled(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Extension(token): Extension<CsrfToken>,
    CsrfForm(form): CsrfForm<DisableForm>,
) -> Result<Response, PageError> {
    let me = admin!(user, USERS);
    let disabled = form.disabled;
    on_users(
        &state,
        me,
        &token.0,
        move |store, actor| store.set_disabled(Some(actor), &form.username, disabled),
        move |u| users_url(if disabled { "disable" } else { "enable" }, &u, ""),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(super) struct UserForm {
    username: String,
}

pub(super) async fn end_sessions(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Extension(token): Extension<CsrfToken>,
    CsrfForm(form): CsrfForm<UserForm>,
) -> Result<Response, PageError> {
    let me = admin!(user, USERS);
    on_users(
        &state,
        me,
        &token.0,
        move |store, actor| {
            let ended = store.end_sessions(Some(actor), &form.username)?;
            let target = store.user_by_name(&form.username)?.ok_or_else(|| {
                evident_store::Error::NotFound(format!("user {:?}", form.username))
            })?;
            Ok((target, ended))
        },
        |(u, ended)| users_url("logout", &u, &format!("&n={ended}")),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(super) struct PasswordForm {
    username: String,
    password: String,
}

pub(super) async fn set_password(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Extension(token): Extension<CsrfToken>,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, PageError> {
    let me = admin!(user, USERS);
    on_users(
        &state,
        me,
        &token.0,
        move |store, actor| store.set_password(Some(actor), &form.username, &form.password),
        |u| users_url("password", &u, ""),
    )
    .await
}

async fn tokens_page(
    state: &AppState,
    me: &User,
    token: &str,
    notice: Notice,
) -> Result<Response, PageError> {
    let users = users_with_state(state).await?;
    let store = state.store();
    let tokens: Vec<ApiToken> = blocking(move || Ok(store.list_api_tokens()?)).await?;
    let disabled: HashSet<&str> = users
        .iter()
        .filter(|(_, d)| *d)
        .map(|(u, _)| u.username.as_str())
        .collect();
    let body = html! {
        h1 { "API tokens" }
        (admin_links())
        (notice.markup())
        @if tokens.is_empty() {
            p { "No API tokens are live." }
        } @else {
            table {
                thead {
                    tr {
                        th scope="col" { "Id" }
                        th scope="col" { "User" }
                        th scope="col" { "Label" }
                        th scope="col" { "Created" }
                        th scope="col" { "State" }
                        th scope="col" { span.sr-only { "Revoke" } }
                    }
                }
                tbody {
                    @for t in &tokens {
                        tr id={ "token-" (t.id) } {
                            td { code { (t.id) } }
                            td { (t.username) }
                            td { (Clean(&t.label)) }
                            td { (date_time(t.created_at)) }
                            td {
                                @if disabled.contains(t.username.as_str()) {
                                    "refused while the user is disabled"
                                } @else { "works" }
                            }
                            td {
                                form method="post" action="/admin/tokens/revoke" {
                                    (csrf(token))
                                    input type="hidden" name="id" value=(t.id);
                                    button type="submit" { "Revoke" }
                                }
                            }
                        }
                    }
                }
            }
        }
        p.meta { "Revoked tokens are not listed; the audit log records who issued and revoked each." }
        h2 { "Issue a token" }
        form method="post" action=(TOKENS) {
            (csrf(token))
            label for="token-user" { "For user" }
            select name="username" id="token-user" required {
                @for (u, d) in &users {
                    @if !*d {
                        option value=(u.username) selected[u.id == me.id] { (u.username) " (" (u.role.code()) ")" }
                    }
                }
            }
            label for="token-label" { "Label (what the token is for)" }
            input type="text" id="token-label" name="label" required autocomplete="off";
            p { button.primary type="submit" { "Issue token" } }
        }
    };
    Ok(page(notice.status(), "API tokens", Some(me), body))
}

pub(super) async fn tokens(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    PageUser(user): PageUser,
    Extension(token): Extension<CsrfToken>,
) -> Result<Response, PageError> {
    let me = admin!(user, TOKENS);
    tokens_page(&state, &me, &token.0, tokens_done(&q)).await
}

#[derive(Debug, Deserialize)]
pub(super) struct IssueForm {
    username: String,
    #[serde(default)]
    label: String,
}

/// Issues a token and shows its secret on this response only: it is not redirected to (the
/// secret would have to travel in the URL) and cannot be shown again.
pub(super) async fn issue_token(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Extension(token): Extension<CsrfToken>,
    CsrfForm(form): CsrfForm<IssueForm>,
) -> Result<Response, PageError> {
    let me = admin!(user, TOKENS);
    if form.label.trim().is_empty() {
        let notice = Notice::refused(AppError::Invalid(
            "give the token a label that says what it is for".into(),
        ))?;
        return tokens_page(&state, &me, &token.0, notice).await;
    }
    let store = state.store();
    let actor = me.clone();
    let issued =
        blocking(move || Ok(store.issue_api_token(Some(&actor), &form.username, &form.label)?))
            .await;
    let (listed, secret) = match issued {
        Ok(issued) => issued,
        Err(e) => return tokens_page(&state, &me, &token.0, Notice::refused(e)?).await,
    };
    let body = html! {
        h1 { "API token issued" }
        (admin_links())
        p.flash role="status" {
            "Issued token " code { (listed.id) } " for " (listed.username) " (“"
            (Clean(&listed.label)) "”)."
        }
        p.banner {
            strong { "Copy the token now." }
            " It is shown only this once: Evident keeps only its hash and cannot show it again. \
             If it is lost, revoke it and issue another."
        }
        p { code id="secret" { (secret) } }
        p.meta {
            "Send it as " code { "Authorization: Bearer <token>" } " with API requests."
        }
        p { a href=(TOKENS) { "Back to API tokens" } }
    };
    Ok(page(StatusCode::OK, "API token issued", Some(&me), body))
}

#[derive(Debug, Deserialize)]
pub(super) struct RevokeForm {
    id: String,
}

pub(super) async fn revoke_token(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Extension(token): Extension<CsrfToken>,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> Result<Response, PageError> {
    let me = admin!(user, TOKENS);
    let store = state.store();
    let actor = me.clone();
    match blocking(move || Ok(store.revoke_api_token_by_id(Some(&actor), &form.id)?)).await {
        Ok(t) => Ok(
            Redirect::to(&format!("{TOKENS}?done=revoke&id={}", url_encode(&t.id))).into_response(),
        ),
        Err(e) => tokens_page(&state, &me, &token.0, Notice::refused(e)?).await,
    }
}
