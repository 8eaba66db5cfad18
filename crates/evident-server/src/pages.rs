//! The public pages: home (ask, recent and approved articles, search), asking (with a streamed
//! waiting page for slow answers, and with the generative composer a streamed page of the
//! sentences as they pass the support check), the article page (`article`) and the editorial
//! policy and about pages (`policy`). Every page is a maud template inside the layout of `crate::html`; the
//! answer itself is the answer crate's renderer (`evident_answer::render::html`).
//!
//! The article page is streamed: the page head, the site header, the title and the review
//! status go out first, then the body (version, thread, rendering) as soon as it is ready.

use std::collections::HashMap;
use std::convert::Infallible;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use evident_answer::render::html::{fallback_note, model_mark, public_fallback};
use evident_core::{Audience, ReviewState};
use evident_store::{Article, ArticleQuery, User};
use futures_util::StreamExt;
use maud::{html, Markup};
use serde::Deserialize;

use crate::error::{AppError, PageError};
use crate::forms::CsrfForm;
use crate::html::{self, clean, escape, url_encode, Clean};
use crate::security::{CsrfToken, AUDIENCE_COOKIE};
use crate::service::{self, page_audience};
use crate::{blocking, AppState, ClientIp, PageUser};

mod article;
mod policy;

pub use article::{article_body, article_shell, last_updated, ArticleView};

pub fn routes(_state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/ask", post(ask_form))
        .route("/a/{slug}", get(article::article_page))
        .route("/editorial-policy", get(policy::policy))
        .route("/about", get(policy::about))
}

/// The audience of this request: `?audience=` (remembered in a cookie), else the cookie, else
/// clinician. Returns whether the cookie must be set.
pub fn chosen_audience(query: &HashMap<String, String>, headers: &HeaderMap) -> (Audience, bool) {
    if let Some(a) = query
        .get("audience")
        .and_then(|a| a.parse::<Audience>().ok())
    {
        return (page_audience(a), true);
    }
    let from_cookie = crate::security::cookie(headers, AUDIENCE_COOKIE)
        .and_then(|a| a.parse::<Audience>().ok())
        .map(page_audience);
    (from_cookie.unwrap_or(Audience::Clinician), false)
}

pub fn audience_label(a: Audience) -> &'static str {
    match a {
        Audience::Patient => "Patient or caregiver",
        Audience::Student => "Student",
        Audience::Clinician | Audience::All => "Clinician",
    }
}

pub(crate) fn html_response(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

// ---------------------------------------------------------------------------------------------
// Home

async fn home(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    PageUser(user): PageUser,
    Extension(csrf): Extension<CsrfToken>,
) -> Result<Response, PageError> {
    let q = query.get("q").map(|q| clean(q)).filter(|q| !q.is_empty());
    let store = state.store();
    let q2 = q.clone();
    // The home page lists what the public may see, whoever is signed in (merged articles are
    // left out by the query's default).
    let (approved, recent, found) = blocking(move || {
        let public = |q: ArticleQuery| store.list_articles(&q.visible_to(None));
        let approved = public(ArticleQuery {
            published_only: true,
            limit: 10,
            ..ArticleQuery::default()
        })?;
        let recent = public(ArticleQuery {
            limit: 10,
            ..ArticleQuery::default()
        })?;
        let found = match q2 {
            Some(text) => Some(public(ArticleQuery {
                text: Some(text),
                limit: 50,
                ..ArticleQuery::default()
            })?),
            None => None,
        };
        Ok((approved, recent, found))
    })
    .await?;
    let (audience, _) = chosen_audience(&query, &headers);
    let generative = state.config().generator.is_some();
    let body = html! {
        h1 { "Ask a clinical question" } "\n"
        p {
            @if generative {
                "Answers are built only from the sources in this library: a language model writes \
                 them from the passages it cites, a sentence is published only when its cited \
                 passage supports it, and our Medical Advisory Board reviews each article."
            } @else {
                "Answers are built only from the sources in this library; every statement is quoted \
                 from a cited passage, and our Medical Advisory Board reviews each article."
            }
        }
        "\n"
        form class="ask" method="post" action="/ask" {
            (html::csrf_input(&csrf.0))
            label for="question" { "Your question, in plain words" }
            textarea id="question" name="question" rows="3"
                maxlength=(evident_core::MAX_QUESTION_BYTES) required
                placeholder="What is the treatment for …?" {}
            div class="row" {
                div {
                    label for="audience" { "Which best describes you?" }
                    select id="audience" name="audience" {
                        @for a in service::AUDIENCES {
                            option value=(a.label()) selected[a == audience] { (audience_label(a)) }
                        }
                    }
                }
                div { button class="primary" type="submit" { "Ask" } }
            }
        }
        "\n"
        h2 id="search-h" { "Search existing articles" } "\n"
        form role="search" method="get" action="/" aria-labelledby="search-h" {
            label for="q" { "Words in the question" }
            div class="row" {
                div { input type="search" id="q" name="q" value=(Clean(q.as_deref().unwrap_or(""))); }
                div { button type="submit" { "Search" } }
            }
        }
        "\n"
        @if let (Some(q), Some(found)) = (&q, &found) {
            h3 { "Articles matching “" (Clean(q)) "”" } "\n"
            (article_list(found, "No article matches these words yet. Ask the question above."))
        }
        h2 { "Approved articles" } "\n"
        (article_list(&approved, "No article has been approved yet."))
        h2 { "Recent questions" } "\n"
        (article_list(&recent, "No questions yet. Be the first to ask."))
    };
    Ok(html_response(
        StatusCode::OK,
        html::page("Ask", user.as_ref(), &body.into_string()),
    ))
}

fn article_list(articles: &[Article], empty: &str) -> Markup {
    html! {
        @if articles.is_empty() {
            p class="meta" { (Clean(empty)) }
        } @else {
            ul class="cards" {
                @for a in articles {
                    li {
                        a href={ "/a/" (Clean(&a.slug)) } { (Clean(&a.question)) }
                        span class="state" { (shown_state(a).label()) }
                    }
                }
            }
        }
        "\n"
    }
}

/// Article `id` if `viewer` may see it ([`Article::visible_to`], the one visibility rule);
/// otherwise, as when there is no such article, not found — the page, the API and follow-ups
/// alike, so a withdrawn article is neither shown nor quoted.
pub(crate) async fn visible_article(
    state: &AppState,
    viewer: Option<&User>,
    id: i64,
) -> Result<Article, AppError> {
    let store = state.store();
    let article = blocking(move || Ok(store.article(id)?)).await?;
    article
        .filter(|a| a.visible_to(viewer))
        .ok_or_else(|| AppError::NotFound(format!("article {id} not found")))
}

/// The state the public sees: an article with a published version shows as Approved while a
/// revision is reviewed.
pub fn shown_state(a: &Article) -> ReviewState {
    if a.published_version.is_some() && a.state != ReviewState::Withdrawn {
        ReviewState::Approved
    } else {
        a.state
    }
}

// ---------------------------------------------------------------------------------------------
// Asking

#[derive(Debug, Deserialize)]
pub struct AskForm {
    #[serde(default)]
    pub question: String,
    #[serde(default)]
    pub audience: Option<String>,
    #[serde(default)]
    pub parent: Option<String>,
}

async fn ask_form(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    PageUser(user): PageUser,
    CsrfForm(form): CsrfForm<AskForm>,
) -> Result<Response, PageError> {
    state.limiter().check(ip)?;
    let parent = match form
        .parent
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(p) => Some(
            p.parse::<i64>()
                .map_err(|_| AppError::Invalid(format!("parent {p:?} is not an article id")))?,
        ),
        None => None,
    };
    if let Some(parent) = parent {
        visible_article(&state, user.as_ref(), parent).await?;
    }
    let audience = form
        .audience
        .as_deref()
        .and_then(|a| a.parse::<Audience>().ok())
        .map(page_audience);
    let target = move |asked: &service::Asked| {
        let mut target = format!("/a/{}", url_encode(&asked.article.slug));
        if let Some(a) = audience {
            target.push_str("?audience=");
            target.push_str(a.label());
        }
        target
    };
    if state.config().generator.is_some() {
        return generative_ask(state, user, form.question, parent, target).await;
    }
    let asked_question = form.question;
    let question = asked_question.clone();
    let shown_user = user.clone();
    let mut task = tokio::spawn({
        let state = state.clone();
        async move { service::ask(&state, user, asked_question, parent).await }
    });
    // A quick answer: straight to the article.
    if let Ok(r) = tokio::time::timeout(state.config().ask_progress_after, &mut task).await {
        let asked = joined(r)?;
        return Ok(Redirect::to(&target(&asked)).into_response());
    }
    // A slow one: show the question at once, then move to the article when it is ready.
    let mut head = html::page_start(&question, shown_user.as_ref());
    let waiting = html! {
        h1 id="title" { (Clean(&question)) } "\n"
        p class="notice" role="status" id="composing" { "Composing the answer from the library…" }
        "\n"
    };
    head.push_str(&waiting.into_string());
    let rest = async move {
        let mut out = match joined(task.await) {
            Ok(asked) => ready_link(&target(&asked)),
            Err(e) => inline_error("No answer could be composed", &e),
        };
        out.push_str(html::page_end());
        Ok::<String, Infallible>(out)
    };
    Ok(streamed_page(head, rest))
}

/// The result of the composing task.
fn joined(
    r: Result<Result<service::Asked, AppError>, tokio::task::JoinError>,
) -> Result<service::Asked, AppError> {
    r.map_err(|e| AppError::internal("composing task failed", e))?
}

/// The end of a waiting page: a refresh to the article and a link to it.
fn ready_link(target: &str) -> String {
    html! {
        meta http-equiv="refresh" content={ "0; url=" (target) }; "\n"
        p id="ready" { a href=(target) { "The answer is ready: open it" } } "\n"
    }
    .into_string()
}

/// Asking with the generative composer: a reused article (or an error before composing starts)
/// is answered as usual, by a redirect (or an error page); a new article's page is streamed in
/// chunks, the question first, then each clinician sentence as it passes the support check,
/// then the link to the stored article. No script: the sentences are plain HTML chunks.
async fn generative_ask(
    state: AppState,
    user: Option<User>,
    question: String,
    parent: Option<i64>,
    target: impl Fn(&service::Asked) -> String + Send + 'static,
) -> Result<Response, PageError> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let shown_user = user.clone();
    let asked_question = question.clone();
    let mut task = tokio::spawn({
        let state = state.clone();
        async move { service::ask_with_progress(&state, user, asked_question, parent, Some(tx)).await }
    });
    // Composing starts (stream), or the task ends first: reused (redirect), or failed.
    let finished = tokio::select! {
        r = &mut task => Some(joined(r)),
        m = rx.recv() => match m {
            Some(_) => None,
            None => Some(joined((&mut task).await)),
        },
    };
    let finished = match finished {
        Some(Err(e)) => return Err(e.into()),
        Some(Ok(asked)) if asked.reused => return Ok(Redirect::to(&target(&asked)).into_response()),
        other => other,
    };
    let mut head = html::page_start(&question, shown_user.as_ref());
    let waiting = html! {
        h1 id="title" { (Clean(&question)) } "\n"
        p class="notice" role="status" id="composing" {
            "Writing the answer from the library. Each sentence appears here once the passage it \
             cites has been checked to support it."
        }
        "\n"
        (maud::PreEscaped("<ul class=\"streamed\" id=\"sentences\">\n"))
    };
    head.push_str(&waiting.into_string());
    let (chunks, body) = tokio::sync::mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        let _ = chunks.send(head);
        // Until the composing work ends and drops its sender.
        while let Some(p) = rx.recv().await {
            if let service::Progress::Published { text, sources } = p {
                // A closed page (the reader left) does not stop the article being stored.
                let _ = chunks.send(streamed_sentence(&text, &sources));
            }
        }
        let result = match finished {
            Some(r) => r,
            None => joined(task.await),
        };
        let mut out = String::from("</ul>\n");
        match result {
            Ok(asked) => {
                if let Some(why) = &asked.fallback {
                    out.push_str(&fallback_note(&public_fallback(why)).into_string());
                }
                out.push_str(&ready_link(&target(&asked)));
            }
            Err(e) => out.push_str(&inline_error("No answer could be composed", &e)),
        }
        out.push_str(html::page_end());
        let _ = chunks.send(out);
    });
    let stream = futures_util::stream::unfold(body, |mut body| async move {
        body.recv()
            .await
            .map(|chunk| (Ok::<String, Infallible>(chunk), body))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(resp)
}

/// One streamed sentence: its text, marked model-written, and the sources it cites.
fn streamed_sentence(text: &str, sources: &[String]) -> String {
    html! {
        li class="model-sentence" {
            (Clean(text))
            (model_mark())
            @if !sources.is_empty() {
                " " span class="meta sources" {
                    "("
                    @for (i, t) in sources.iter().enumerate() {
                        @if i > 0 { "; " }
                        cite { (Clean(t)) }
                    }
                    ")"
                }
            }
        }
        "\n"
    }
    .into_string()
}

/// An error inside a page already being streamed (its status line has gone out): logged, and
/// shown as an alert paragraph.
pub(crate) fn inline_error(what: &str, e: &AppError) -> String {
    let (_, _, message) = e.parts();
    e.log();
    html! {
        p class="error" role="alert" { (what) ": " (maud::PreEscaped(escape(&message))) } "\n"
    }
    .into_string()
}

/// An HTML response sent in two chunks: `head` at once, then what `rest` yields.
pub(crate) fn streamed_page(
    head: String,
    rest: impl std::future::Future<Output = Result<String, Infallible>> + Send + 'static,
) -> Response {
    let stream = futures_util::stream::once(async move { Ok::<String, Infallible>(head) })
        .chain(futures_util::stream::once(rest));
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}
