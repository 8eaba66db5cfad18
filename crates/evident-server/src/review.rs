//! Sign-in and the reviewer workspace: the queue, the review page (the article beside its cited
//! passages, statement marks, comments, review actions), the editor's revise form, history and
//! diffs, merging, and the audit log for admins.
//!
//! Every form that changes something carries the CSRF token and the version number the user
//! saw; the store refuses a stale version or a concurrent change (409, "reload").

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use evident_core::{allowed_actions, Action, Audience, ReviewState, Role};
use evident_store::{statement_keys, ArticleQuery, Change, Mark, NewComment, Revision, User};
use serde::Deserialize;

use crate::error::{AppError, PageError};
use crate::html::{self, clean, csrf_field, date_time, escape, url_encode};
use crate::pages::{audience_label, CsrfForm, HasCsrf};
use crate::security::{set_cookie, CsrfToken, SESSION_COOKIE};
use crate::service::{page_audience, AUDIENCES};
use crate::{blocking, AppState, ClientIp, PageUser};

pub fn routes(_state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", get(logout_page).post(logout))
        .route("/review", get(queue))
        .route("/review/{id}", get(review_page))
        .route("/review/{id}/action", post(action))
        .route("/review/{id}/mark", post(mark))
        .route("/review/{id}/comment", post(comment))
        .route("/review/{id}/revise", post(revise))
        .route("/review/{id}/merge", post(merge))
        .route("/review/{id}/history", get(history))
        .route("/admin/audit", get(audit))
}

fn page(status: StatusCode, title: &str, user: Option<&User>, body: &str) -> Response {
    (status, Html(html::page(title, user, body))).into_response()
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

/// A local path to return to after signing in (never another site).
fn local_next(next: Option<&str>) -> Option<String> {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .map(str::to_string)
}

// ---------------------------------------------------------------------------------------------
// Sign-in

fn login_body(csrf: &str, next: Option<&str>, error: Option<&str>) -> String {
    let mut out = String::from(
        "<h1>Sign in</h1>\n<p>For members of the Medical Advisory Board and editors.</p>\n",
    );
    if let Some(e) = error {
        let _ = write!(out, "<p class=\"error\" role=\"alert\">{}</p>", escape(e));
    }
    let _ = writeln!(
        out,
        "<form class=\"login\" method=\"post\" action=\"/login\">{}<input type=\"hidden\" name=\"next\" value=\"{}\">\
<label for=\"username\">Username</label><input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" required>\
<label for=\"password\">Password</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\
<p><button class=\"primary\" type=\"submit\">Sign in</button></p></form>",
        csrf_field(csrf),
        escape(next.unwrap_or(""))
    );
    out
}

async fn login_page(
    Query(q): Query<HashMap<String, String>>,
    PageUser(user): PageUser,
    Extension(csrf): Extension<CsrfToken>,
) -> Response {
    let next = local_next(q.get("next").map(String::as_str));
    page(
        StatusCode::OK,
        "Sign in",
        user.as_ref(),
        &login_body(&csrf.0, next.as_deref(), None),
    )
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    csrf: String,
}

impl HasCsrf for LoginForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, PageError> {
    let store = state.store();
    let (username, password) = (form.username.clone(), form.password);
    let client = ip.to_string();
    let result = blocking(move || {
        let user = store.authenticate(&username, &password, &client)?;
        let token = store.create_session(&user)?;
        Ok((user, token))
    })
    .await;
    let next = local_next(form.next.as_deref());
    match result {
        Ok((user, token)) => {
            let target = next.unwrap_or_else(|| {
                if user.role >= Role::Reviewer {
                    "/review".into()
                } else {
                    "/".into()
                }
            });
            let secure = crate::security::secure_request(&state, &headers);
            let max_age = (evident_store::SESSION_TTL_MS / 1000) as u64;
            Ok((
                [(
                    header::SET_COOKIE,
                    set_cookie(SESSION_COOKIE, &token, true, secure, Some(max_age)),
                )],
                Redirect::to(&target),
            )
                .into_response())
        }
        Err(AppError::Store(
            e @ (evident_store::Error::InvalidCredentials | evident_store::Error::RateLimited),
        )) => {
            let status = AppError::Store(e).parts().0;
            let message = if status == StatusCode::TOO_MANY_REQUESTS {
                "Too many failed sign-ins; try again in a few minutes."
            } else {
                "Wrong username or password."
            };
            Ok(page(
                status,
                "Sign in",
                None,
                &login_body(&csrf.0, next.as_deref(), Some(message)),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

async fn logout_page(PageUser(user): PageUser, Extension(csrf): Extension<CsrfToken>) -> Response {
    let body = format!(
        "<h1>Sign out</h1><form method=\"post\" action=\"/logout\">{}<p><button class=\"primary\" type=\"submit\">Sign out</button></p></form>",
        csrf_field(&csrf.0)
    );
    page(StatusCode::OK, "Sign out", user.as_ref(), &body)
}

#[derive(Debug, Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

impl HasCsrf for CsrfOnly {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm(_): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    if let Some(token) = crate::security::cookie(&headers, SESSION_COOKIE).map(str::to_string) {
        let store = state.store();
        blocking(move || Ok(store.end_session(&token)?)).await?;
    }
    let secure = crate::security::secure_request(&state, &headers);
    Ok((
        [(
            header::SET_COOKIE,
            set_cookie(SESSION_COOKIE, "", true, secure, Some(0)),
        )],
        Redirect::to("/"),
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// The queue

async fn queue(
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
    let mut body = String::from(
        "<h1>Review queue</h1>\n<nav aria-label=\"Queue filters\"><ul class=\"choices\">",
    );
    for (code, label) in [
        ("queue", "Open (submitted, under review, changes requested)"),
        ("submitted", "Submitted"),
        ("under_review", "Under review"),
        ("changes_requested", "Changes requested"),
        ("approved", "Approved"),
        ("withdrawn", "Withdrawn"),
        ("source_changed", "Source changed"),
        ("all", "All"),
    ] {
        let current = if code == filter {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(
            body,
            "<li><a href=\"/review?state={code}\"{current}>{label}</a></li>"
        );
    }
    body.push_str("</ul></nav>\n");
    if articles.is_empty() {
        body.push_str("<p class=\"meta\">Nothing here.</p>");
    } else {
        body.push_str("<table><thead><tr><th scope=\"col\">Question</th><th scope=\"col\">State</th><th scope=\"col\">Claimed by</th><th scope=\"col\">Version</th><th scope=\"col\">Updated</th></tr></thead><tbody>");
        for a in &articles {
            let _ = write!(
                body,
                "<tr><td><a href=\"/review/{}\">{}</a>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                a.id,
                escape(&clean(&a.question)),
                if a.source_changed { " <span class=\"state\">source changed</span>" } else { "" },
                escape(a.state.label()),
                escape(a.claimed_by.as_deref().unwrap_or("—")),
                a.current_version,
                date_time(a.updated_at)
            );
        }
        body.push_str("</tbody></table>");
    }
    Ok(page(StatusCode::OK, "Review queue", Some(&user), &body))
}

// ---------------------------------------------------------------------------------------------
// The review page

fn flash(done: Option<&String>) -> Option<&'static str> {
    Some(match done?.as_str() {
        "claim" => "Claimed: the article is under your review.",
        "approve" => "Approved: this version is now published.",
        "request_changes" => "Changes requested: the editors have your comments.",
        "withdraw" => "Withdrawn.",
        "reopen" => "Reopened: the article is back in the queue.",
        "revise" => "Saved as a new version.",
        "mark" => "Mark saved.",
        "comment" => "Comment added.",
        _ => return None,
    })
}

async fn review_page(
    State(state): State<AppState>,
    PageId(id): PageId,
    Query(q): Query<HashMap<String, String>>,
    PageUser(user): PageUser,
    Extension(csrf): Extension<CsrfToken>,
) -> Result<Response, PageError> {
    let user = match need(user, Role::Reviewer, &format!("/review/{id}")) {
        Ok(u) => u,
        Err(resp) => return Ok(*resp),
    };
    let audience = q
        .get("audience")
        .and_then(|a| a.parse::<Audience>().ok())
        .map(page_audience)
        .unwrap_or(Audience::Clinician);
    let store = state.store();
    let (article, version, marks, comments) = blocking(move || {
        let article = store
            .article(id)?
            .ok_or_else(|| AppError::NotFound(format!("article {id} not found")))?;
        let version = store.version(id, article.current_version)?;
        let marks = store.marks(id, article.current_version)?;
        let comments = store.comments(id)?;
        Ok((article, version, marks, comments))
    })
    .await?;
    let v = version.number;
    let answer = version.answer(audience);
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>Review: {}</h1>\n<p class=\"review-state\" data-state=\"{}\">State: <strong>{}</strong> · version {} · {}{}</p>\n",
        escape(&clean(&article.question)),
        article.state.code(),
        escape(article.state.label()),
        v,
        match &article.claimed_by {
            Some(c) => format!("claimed by {}", escape(c)),
            None => "not claimed".into(),
        },
        match (&article.approved_by, article.approved_at) {
            (Some(by), Some(at)) => format!(" · approved by {} on {}", escape(by), date_time(at)),
            _ => String::new(),
        }
    );
    if let Some(msg) = flash(q.get("done")) {
        let _ = write!(body, "<p class=\"flash\" role=\"status\">{msg}</p>");
    }
    if article.source_changed {
        body.push_str("<p class=\"notice\">Source changed — needs re-review.</p>");
    }
    let _ = write!(
        body,
        "<p><a href=\"/a/{}\">Public page</a> · <a href=\"/review/{id}/history\">History and changes</a> · Rendering: ",
        escape(&article.slug)
    );
    for a in AUDIENCES {
        if a == audience {
            let _ = write!(body, "<strong>{}</strong> ", audience_label(a));
        } else {
            let _ = write!(
                body,
                "<a href=\"/review/{id}?audience={}\">{}</a> ",
                a.label(),
                audience_label(a)
            );
        }
    }
    body.push_str("</p>\n");

    // Review actions allowed for this role in this state (revise has its own form below).
    let actions: Vec<Action> = allowed_actions(article.state, user.role)
        .into_iter()
        .filter(|a| *a != Action::Revise)
        .collect();
    body.push_str(
        "<section aria-labelledby=\"actions-h\"><h2 id=\"actions-h\">Review actions</h2>",
    );
    if actions.is_empty() {
        let _ = write!(
            body,
            "<p class=\"meta\">No review action is open to a {} on an article that is {}.</p>",
            user.role,
            article.state.label().to_lowercase()
        );
    }
    for a in &actions {
        let label = match a {
            Action::Claim => "Claim for review",
            Action::Approve => "Approve this version",
            Action::RequestChanges => "Request changes",
            Action::Withdraw => "Withdraw",
            Action::Reopen => "Reopen",
            Action::Revise => continue,
        };
        let _ = write!(
            body,
            "<form method=\"post\" action=\"/review/{id}/action\" class=\"action\">{}<input type=\"hidden\" name=\"version\" value=\"{v}\">",
            csrf_field(&csrf.0)
        );
        if *a == Action::RequestChanges {
            body.push_str("<label for=\"changes-comment\">What needs to change</label><textarea id=\"changes-comment\" name=\"comment\" rows=\"3\" required></textarea>");
        }
        let _ =
            write!(
            body,
            "<p><button type=\"submit\" name=\"action\" value=\"{}\"{}>{label}</button></p></form>",
            a.code(),
            if *a == Action::Approve { " class=\"primary\"" } else { "" }
        );
    }
    body.push_str("</section>\n");

    // The article beside its passages.
    let marks: HashMap<&str, Mark> = marks
        .iter()
        .map(|m| (m.statement.as_str(), m.mark))
        .collect();
    let can_mark = user.role == Role::Reviewer || user.role == Role::Admin;
    let can_revise = allowed_actions(article.state, user.role).contains(&Action::Revise);
    body.push_str("<div class=\"review-grid\"><section aria-labelledby=\"statements-h\"><h2 id=\"statements-h\">Statements</h2>");
    if can_revise {
        let _ = write!(
            body,
            "<form method=\"post\" action=\"/review/{id}/revise\" id=\"revise\">{}<input type=\"hidden\" name=\"version\" value=\"{v}\"><input type=\"hidden\" name=\"audience\" value=\"{}\"></form>",
            csrf_field(&csrf.0),
            audience.label()
        );
    }
    for (key, s) in statement_keys(answer) {
        let mark = marks.get(key.as_str()).copied();
        let _ = write!(
            body,
            "<div class=\"stmt\" id=\"st-{key}\" data-key=\"{key}\"><p><span class=\"state\">{key}</span> {}{} <sup>[{}]</sup> {}</p>",
            escape(&clean(&s.text)),
            if s.editor_written { "<span class=\"editor-written\">editor-written</span>" } else { "" },
            s.citations.iter().map(|n| format!("<a href=\"#p-{n}\">{n}</a>")).collect::<Vec<_>>().join(", "),
            match mark {
                Some(Mark::Confirmed) => "<strong class=\"mark\" data-mark=\"confirmed\">✔ confirmed</strong>",
                Some(Mark::Flagged) => "<strong class=\"mark\" data-mark=\"flagged\">⚑ flagged</strong>",
                None => "",
            }
        );
        if can_mark {
            for (m, label) in [("confirmed", "Confirm"), ("flagged", "Flag")] {
                let _ = write!(
                    body,
                    "<form method=\"post\" action=\"/review/{id}/mark\">{}<input type=\"hidden\" name=\"version\" value=\"{v}\"><input type=\"hidden\" name=\"statement\" value=\"{key}\"><button type=\"submit\" name=\"mark\" value=\"{m}\" aria-label=\"{label} statement {key}\">{label}</button></form> ",
                    csrf_field(&csrf.0)
                );
            }
        }
        if can_revise {
            let cites = s
                .citations
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            let _ = write!(
                body,
                "<details><summary>Edit</summary><label for=\"text-{key}\">Text of {key}</label><textarea form=\"revise\" id=\"text-{key}\" name=\"text.{key}\" rows=\"3\">{}</textarea>\
<label for=\"cites-{key}\">Citation numbers of {key}</label><input form=\"revise\" type=\"text\" id=\"cites-{key}\" name=\"cites.{key}\" value=\"{cites}\"></details>",
                escape(&s.text)
            );
        }
        body.push_str("</div>");
    }
    if can_revise {
        body.push_str("<label for=\"revise-note\">Note for this revision</label><input form=\"revise\" type=\"text\" id=\"revise-note\" name=\"note\">\
<p><button form=\"revise\" type=\"submit\" class=\"primary\">Save revision</button></p>\
<p class=\"meta\">A statement whose text you change is marked editor-written; every statement must still cite at least one passage of the reference list. Clearing a statement's text removes it.</p>");
    }
    body.push_str("</section><section aria-labelledby=\"passages-h\"><h2 id=\"passages-h\">Cited passages</h2><ol>");
    for c in &answer.citations {
        let _ = write!(
            body,
            "<li id=\"p-{}\" value=\"{}\"><span class=\"kind\">{}</span> <cite>{}</cite>{}<blockquote>{}</blockquote></li>",
            c.number,
            c.number,
            escape(&clean(&c.kind_label)),
            escape(&clean(&c.title)),
            if c.trail.is_empty() { String::new() } else { format!(" <span class=\"meta\">{}</span>", escape(&clean(&c.trail.join(" › ")))) },
            c.passage.trim().lines().map(|l| escape(&clean(l))).collect::<Vec<_>>().join("<br>")
        );
    }
    body.push_str("</ol></section></div>\n");

    // Comments.
    body.push_str("<section aria-labelledby=\"comments-h\"><h2 id=\"comments-h\">Comments</h2>");
    if comments.is_empty() {
        body.push_str("<p class=\"meta\">No comments yet.</p>");
    } else {
        body.push_str("<ul class=\"cards\">");
        for c in &comments {
            let _ = write!(
                body,
                "<li><strong>{}</strong> on version {}{} · {}<br>{}</li>",
                escape(&c.by),
                c.version,
                c.target
                    .as_deref()
                    .map(|t| format!(" ({})", escape(t)))
                    .unwrap_or_default(),
                date_time(c.at),
                escape(&c.body)
            );
        }
        body.push_str("</ul>");
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/review/{id}/comment\">{}<input type=\"hidden\" name=\"version\" value=\"{v}\">\
<label for=\"comment-target\">On (optional: a statement key such as lead.0 or s1.2)</label><input type=\"text\" id=\"comment-target\" name=\"target\">\
<label for=\"comment-body\">Comment</label><textarea id=\"comment-body\" name=\"body\" rows=\"3\" required></textarea>\
<p><button type=\"submit\">Add comment</button></p></form></section>",
        csrf_field(&csrf.0)
    );
    if user.role >= Role::Editor {
        let _ = write!(
            body,
            "<section aria-labelledby=\"merge-h\"><h2 id=\"merge-h\">Merge into another article</h2>\
<form method=\"post\" action=\"/review/{id}/merge\">{}<label for=\"merge-into\">Slug or id of the article to keep</label><input type=\"text\" id=\"merge-into\" name=\"into\" required>\
<p><button type=\"submit\">Merge this duplicate</button></p></form></section>",
            csrf_field(&csrf.0)
        );
    }
    Ok(page(StatusCode::OK, "Review", Some(&user), &body))
}

#[derive(Debug, Deserialize)]
struct ActionForm {
    #[serde(default)]
    csrf: String,
    version: u32,
    action: String,
    #[serde(default)]
    comment: Option<String>,
}

impl HasCsrf for ActionForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn action(
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
    let version = form.version;
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
struct MarkForm {
    #[serde(default)]
    csrf: String,
    version: u32,
    statement: String,
    mark: String,
}

impl HasCsrf for MarkForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn mark(
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
struct CommentForm {
    #[serde(default)]
    csrf: String,
    version: u32,
    #[serde(default)]
    target: Option<String>,
    body: String,
}

impl HasCsrf for CommentForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn comment(
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

impl HasCsrf for HashMap<String, String> {
    fn csrf(&self) -> &str {
        self.get("csrf").map_or("", String::as_str)
    }
}

/// Applies the revise form's fields (`text.<key>`, `cites.<key>`) to one rendering.
pub fn apply_edits(
    answer: &mut evident_core::Answer,
    fields: &HashMap<String, String>,
) -> Result<bool, AppError> {
    let n_citations = answer.citations.len() as u32;
    let mut changed = false;
    let mut edit = |key: String, s: &mut evident_core::Statement| -> Result<bool, AppError> {
        if let Some(text) = fields.get(&format!("text.{key}")) {
            let text = text.trim();
            if text.is_empty() {
                return Ok(false); // removed
            }
            if clean(text) != clean(&s.text) {
                s.text = text.to_string();
                s.editor_written = true;
                s.glosses.clear();
                changed = true;
            }
        }
        if let Some(cites) = fields.get(&format!("cites.{key}")) {
            let mut numbers = Vec::new();
            for part in cites.split([',', ' ']).filter(|p| !p.trim().is_empty()) {
                let n: u32 = part.trim().parse().map_err(|_| {
                    AppError::Invalid(format!(
                        "statement {key}: {part:?} is not a citation number"
                    ))
                })?;
                if n == 0 || n > n_citations {
                    return Err(AppError::Invalid(format!(
                        "statement {key} cites [{n}], but the reference list has {n_citations} entries"
                    )));
                }
                if !numbers.contains(&n) {
                    numbers.push(n);
                }
            }
            if numbers.is_empty() {
                return Err(AppError::Invalid(format!(
                    "statement {key} must still cite at least one passage"
                )));
            }
            if numbers != s.citations {
                s.citations = numbers;
                changed = true;
            }
        }
        Ok(true)
    };
    let mut lead = Vec::new();
    for (i, mut s) in std::mem::take(&mut answer.lead).into_iter().enumerate() {
        if edit(format!("lead.{i}"), &mut s)? {
            lead.push(s);
        }
    }
    answer.lead = lead;
    for (si, section) in answer.sections.iter_mut().enumerate() {
        let mut kept = Vec::new();
        for (i, mut s) in std::mem::take(&mut section.statements)
            .into_iter()
            .enumerate()
        {
            if edit(format!("s{si}.{i}"), &mut s)? {
                kept.push(s);
            }
        }
        section.statements = kept;
    }
    answer.sections.retain(|s| !s.statements.is_empty());
    let removed = fields
        .iter()
        .any(|(k, v)| k.starts_with("text.") && v.trim().is_empty());
    Ok(changed || removed)
}

async fn revise(
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
    let audience = fields
        .get("audience")
        .and_then(|a| a.parse::<Audience>().ok())
        .map(page_audience)
        .unwrap_or(Audience::Clinician);
    let note = fields
        .get("note")
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let store = state.store();
    blocking(move || {
        let current = store.version(id, version)?;
        let mut answers = current.answers.clone();
        let index = answers
            .iter()
            .position(|a| a.audience == audience)
            .unwrap_or(0);
        if !apply_edits(&mut answers[index], &fields)? {
            return Err(AppError::Invalid("nothing was changed".into()));
        }
        if let Err(errors) = answers[index].verify() {
            return Err(AppError::Invalid(
                errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
        }
        store.revise(Some(&user), id, version, Revision { answers, note })?;
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
struct MergeForm {
    #[serde(default)]
    csrf: String,
    into: String,
}

impl HasCsrf for MergeForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn merge(
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
        store.merge(Some(&user), id, target.id)?;
        Ok(target.id)
    })
    .await?;
    Ok(Redirect::to(&format!("/review/{target}")).into_response())
}

async fn history(
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
    let mut body = format!(
        "<h1>History: {}</h1>\n<p><a href=\"/review/{id}\">Back to the review</a></p>\n<h2>Versions</h2><table><thead><tr><th scope=\"col\">Version</th><th scope=\"col\">Author</th><th scope=\"col\">Note</th><th scope=\"col\">Created</th><th scope=\"col\">Compare</th></tr></thead><tbody>",
        escape(&clean(&article.question))
    );
    for v in &versions {
        let _ = write!(
            body,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            v.number,
            if Some(v.number) == article.published_version {
                " (published)"
            } else {
                ""
            },
            escape(v.author.as_deref().unwrap_or("Evident (composed)")),
            escape(v.note.as_deref().unwrap_or("")),
            date_time(v.created_at),
            if v.number > 1 {
                format!(
                    "<a href=\"/review/{id}/history?from={}&amp;to={}\">changes from {}</a>",
                    v.number - 1,
                    v.number,
                    v.number - 1
                )
            } else {
                String::new()
            }
        );
    }
    body.push_str("</tbody></table>");
    if let Some(diff) = diff {
        let _ = write!(
            body,
            "<h2>Changes from version {} to {}</h2><ul class=\"diff cards\">",
            range.0, range.1
        );
        for line in &diff {
            let (class, sign) = match line.change {
                Change::Same => ("same", " "),
                Change::Added => ("added", "+"),
                Change::Removed => ("removed", "−"),
            };
            let _ = write!(body, "<li class=\"{class}\"><span aria-hidden=\"true\">{sign}</span> <span class=\"sr-only\">{class}:</span> {}</li>", escape(&line.text));
        }
        body.push_str("</ul>");
    }
    Ok(page(StatusCode::OK, "History", Some(&user), &body))
}

async fn audit(
    State(state): State<AppState>,
    PageUser(user): PageUser,
) -> Result<Response, PageError> {
    let user = match need(user, Role::Admin, "/admin/audit") {
        Ok(u) => u,
        Err(resp) => return Ok(*resp),
    };
    let store = state.store();
    let actor = user.clone();
    let entries = blocking(move || Ok(store.audit_log(Some(&actor), 500)?)).await?;
    let mut body = String::from("<h1>Audit log</h1><table><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Who</th><th scope=\"col\">What</th><th scope=\"col\">Article</th><th scope=\"col\">Version</th><th scope=\"col\">Detail</th></tr></thead><tbody>");
    for e in &entries {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            date_time(e.at),
            escape(e.actor.as_deref().unwrap_or("—")),
            escape(&e.action),
            e.article_id.map(|a| format!("<a href=\"/review/{a}\">{a}</a>")).unwrap_or_default(),
            e.version.map(|v| v.to_string()).unwrap_or_default(),
            escape(&e.detail)
        );
    }
    body.push_str("</tbody></table>");
    Ok(page(StatusCode::OK, "Audit log", Some(&user), &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_always_local() {
        assert_eq!(local_next(Some("/review/3")), Some("/review/3".into()));
        assert_eq!(local_next(Some("//evil.example")), None);
        assert_eq!(local_next(Some("https://evil.example")), None);
        assert_eq!(local_next(Some("/\\evil.example")), None);
    }
}
