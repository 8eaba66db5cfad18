//! The public pages: home (ask, recent and approved articles, search), the article page with
//! every element of a reviewed answer article, the editorial policy and the about page.
//!
//! The article page is streamed: the page head, the site header, the title and the review
//! status go out first, then the body (version, thread, rendering) as soon as it is ready.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt::Write as _;

use axum::body::Body;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use evident_core::{Answer, Audience, Citation, ReviewState, Statement};
use evident_store::{Article, ArticleQuery, User, Version};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::{AppError, PageError};
use crate::html::{self, clean, escape, long_date, safe_url, url_encode};
use crate::security::{check_csrf, set_cookie, CsrfToken, AUDIENCE_COOKIE};
use crate::service::{self, page_audience};
use crate::{blocking, AppState, ClientIp, PageUser};

pub fn routes(_state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/ask", post(ask_form))
        .route("/a/{slug}", get(article_page))
        .route("/editorial-policy", get(policy))
        .route("/about", get(about))
}

/// A form body whose rejections are answered as pages; the form must carry a `csrf` field
/// equal to the request's CSRF cookie.
pub struct CsrfForm<T>(pub T);

/// Forms that change state.
pub trait HasCsrf {
    fn csrf(&self) -> &str;
}

impl<T> FromRequest<AppState> for CsrfForm<T>
where
    T: DeserializeOwned + HasCsrf + Send,
{
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let Form(value) = Form::<T>::from_request(req, state)
            .await
            .map_err(|rej| form_rejection(rej.status(), rej.body_text(), state))?;
        check_csrf(&headers, value.csrf())?;
        Ok(CsrfForm(value))
    }
}

fn form_rejection(status: StatusCode, text: String, state: &AppState) -> AppError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge {
            limit: state.config().max_form_bytes,
        },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType(
            "send the form as application/x-www-form-urlencoded".into(),
        ),
        StatusCode::UNPROCESSABLE_ENTITY => AppError::Invalid(text),
        _ => AppError::Malformed(text),
    }
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

fn html_response(status: StatusCode, body: String) -> Response {
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
    let (approved, recent, found) = blocking(move || {
        let approved = store.list_articles(&ArticleQuery {
            published_only: true,
            limit: 10,
            ..ArticleQuery::default()
        })?;
        let recent = store.list_articles(&ArticleQuery {
            limit: 10,
            ..ArticleQuery::default()
        })?;
        let found = match q2 {
            Some(text) => Some(store.list_articles(&ArticleQuery {
                text: Some(text),
                limit: 50,
                ..ArticleQuery::default()
            })?),
            None => None,
        };
        let public = |list: Vec<Article>| -> Vec<Article> {
            list.into_iter()
                .filter(|a| a.state != ReviewState::Withdrawn && a.merged_into.is_none())
                .collect()
        };
        Ok((public(approved), public(recent), found.map(public)))
    })
    .await?;
    let (audience, _) = chosen_audience(&query, &headers);
    let mut body = String::new();
    body.push_str("<h1>Ask a clinical question</h1>\n<p>Answers are built only from the sources in this library; every statement is quoted from a cited passage, and our Medical Advisory Board reviews each article.</p>\n");
    let _ = writeln!(
        body,
        "<form class=\"ask\" method=\"post\" action=\"/ask\">{}\
<label for=\"question\">Your question, in plain words</label>\
<textarea id=\"question\" name=\"question\" rows=\"3\" maxlength=\"2000\" required placeholder=\"What is the treatment for …?\"></textarea>\
<div class=\"row\"><div><label for=\"audience\">Which best describes you?</label>\
<select id=\"audience\" name=\"audience\">{}</select></div>\
<div><button class=\"primary\" type=\"submit\">Ask</button></div></div></form>",
        html::csrf_field(&csrf.0),
        audience_options(audience)
    );
    let _ = write!(
        body,
        "<h2 id=\"search-h\">Search existing articles</h2>\n<form role=\"search\" method=\"get\" action=\"/\" aria-labelledby=\"search-h\">\
<label for=\"q\">Words in the question</label><div class=\"row\"><div><input type=\"search\" id=\"q\" name=\"q\" value=\"{}\"></div>\
<div><button type=\"submit\">Search</button></div></div></form>\n",
        escape(q.as_deref().unwrap_or(""))
    );
    if let (Some(q), Some(found)) = (&q, &found) {
        let _ = writeln!(body, "<h3>Articles matching “{}”</h3>", escape(q));
        article_list(
            &mut body,
            found,
            "No article matches these words yet. Ask the question above.",
        );
    }
    body.push_str("<h2>Approved articles</h2>\n");
    article_list(&mut body, &approved, "No article has been approved yet.");
    body.push_str("<h2>Recent questions</h2>\n");
    article_list(&mut body, &recent, "No questions yet. Be the first to ask.");
    Ok(html_response(
        StatusCode::OK,
        html::page("Ask", user.as_ref(), &body),
    ))
}

fn audience_options(selected: Audience) -> String {
    let mut out = String::new();
    for a in service::AUDIENCES {
        let _ = write!(
            out,
            "<option value=\"{}\"{}>{}</option>",
            a.label(),
            if a == selected { " selected" } else { "" },
            audience_label(a)
        );
    }
    out
}

fn article_list(out: &mut String, articles: &[Article], empty: &str) {
    if articles.is_empty() {
        let _ = writeln!(out, "<p class=\"meta\">{}</p>", escape(empty));
        return;
    }
    out.push_str("<ul class=\"cards\">");
    for a in articles {
        let _ = write!(
            out,
            "<li><a href=\"/a/{}\">{}</a><span class=\"state\">{}</span></li>",
            escape(&a.slug),
            escape(&clean(&a.question)),
            escape(shown_state(a).label())
        );
    }
    out.push_str("</ul>\n");
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
    #[serde(default)]
    pub csrf: String,
}

impl HasCsrf for AskForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
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
    let audience = form
        .audience
        .as_deref()
        .and_then(|a| a.parse::<Audience>().ok())
        .map(page_audience);
    let asked_question = form.question;
    let question = asked_question.clone();
    let shown_user = user.clone();
    let mut task = tokio::spawn({
        let state = state.clone();
        async move { service::ask(&state, user, asked_question, parent).await }
    });
    let target = move |asked: &service::Asked| {
        let mut target = format!("/a/{}", url_encode(&asked.article.slug));
        if let Some(a) = audience {
            let _ = write!(target, "?audience={}", a.label());
        }
        target
    };
    let joined = |r: Result<Result<service::Asked, AppError>, tokio::task::JoinError>| {
        r.map_err(|e| AppError::Internal(format!("composing task failed: {e}")))?
    };
    // A quick answer: straight to the article.
    if let Ok(r) = tokio::time::timeout(state.config().ask_progress_after, &mut task).await {
        let asked = joined(r)?;
        return Ok(Redirect::to(&target(&asked)).into_response());
    }
    // A slow one: show the question at once, then move to the article when it is ready.
    let mut head = html::page_start(&question, shown_user.as_ref());
    let _ = write!(
        head,
        "<h1 id=\"title\">{}</h1>\n<p class=\"notice\" role=\"status\" id=\"composing\">Composing the answer from the library…</p>\n",
        escape(&clean(&question))
    );
    let rest = async move {
        let mut out = match joined(task.await) {
            Ok(asked) => {
                let t = escape(&target(&asked));
                format!(
                    "<meta http-equiv=\"refresh\" content=\"0; url={t}\">\n<p id=\"ready\"><a href=\"{t}\">The answer is ready: open it</a></p>\n"
                )
            }
            Err(e) => inline_error("No answer could be composed", &e),
        };
        out.push_str(html::page_end());
        Ok::<String, Infallible>(out)
    };
    Ok(streamed_page(head, rest))
}

/// An error inside a page already being streamed (its status line has gone out): logged, and
/// shown as an alert paragraph.
fn inline_error(what: &str, e: &AppError) -> String {
    let (_, _, message) = e.parts();
    e.log();
    format!(
        "<p class=\"error\" role=\"alert\">{what}: {}</p>\n",
        escape(&message)
    )
}

/// An HTML response sent in two chunks: `head` at once, then what `rest` yields.
fn streamed_page(
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

// ---------------------------------------------------------------------------------------------
// The article page

async fn article_page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    PageUser(user): PageUser,
    Extension(csrf): Extension<CsrfToken>,
) -> Result<Response, PageError> {
    let store = state.store();
    let s = slug.clone();
    let article = blocking(move || Ok(store.article_by_slug(&s)?))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no article at /a/{slug}")))?;
    if let Some(target) = &article.merged_into {
        let location = format!("/a/{}", url_encode(target));
        return Ok((
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, location)],
        )
            .into_response());
    }
    // Withdrawn articles are off the public pages; reviewers and editors still see them.
    if article.state == ReviewState::Withdrawn
        && user
            .as_ref()
            .is_none_or(|u| u.role < evident_core::Role::Reviewer)
    {
        return Err(AppError::NotFound(format!(
            "the article at /a/{} has been withdrawn by the editors",
            article.slug
        ))
        .into());
    }
    let (audience, set) = chosen_audience(&query, &headers);
    let shell = article_shell(&article, user.as_ref());
    let store = state.store();
    let rest = async move {
        let a = article.clone();
        let loaded = blocking(move || {
            let version = store.version(a.id, a.shown_version())?;
            let parent = match a.parent_id {
                Some(p) => store.article(p)?,
                None => None,
            };
            let children = store.children(a.id)?;
            Ok((version, parent, children))
        })
        .await;
        let mut out = match loaded {
            Ok((version, parent, children)) => article_body(&ArticleView {
                article: &article,
                version: &version,
                audience,
                parent: parent.as_ref(),
                children: &children,
                csrf: &csrf.0,
            }),
            Err(e) => inline_error("This article could not be loaded", &e),
        };
        out.push_str(html::page_end());
        Ok::<String, Infallible>(out)
    };
    let mut resp = streamed_page(shell, rest);
    if set {
        let secure = crate::security::secure_request(&state, &headers);
        resp.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(
                AUDIENCE_COOKIE,
                audience.label(),
                false,
                secure,
                Some(365 * 86_400),
            ),
        );
    }
    Ok(resp)
}

/// What the article page shows.
pub struct ArticleView<'a> {
    pub article: &'a Article,
    pub version: &'a Version,
    pub audience: Audience,
    pub parent: Option<&'a Article>,
    pub children: &'a [Article],
    pub csrf: &'a str,
}

/// The date shown as "Last updated": the approval for a published version, else the latest
/// change.
pub fn last_updated(a: &Article) -> evident_store::Millis {
    match (a.published_version, a.approved_at) {
        (Some(_), Some(at)) => at,
        _ => a.updated_at,
    }
}

/// The first part of the article page: head, site header, title, board line, caution banner,
/// review status and last-updated line. Needs only the article row.
pub fn article_shell(a: &Article, user: Option<&User>) -> String {
    let mut out = html::page_start(&a.question, user);
    let state = shown_state(a);
    let _ = write!(
        out,
        "<article class=\"answer-article\" data-article-id=\"{}\" data-state=\"{}\">\n<h1 id=\"title\">{}</h1>\n",
        a.id,
        state.code(),
        escape(&clean(&a.question))
    );
    out.push_str("<p class=\"board\">All articles are reviewed for accuracy by our Medical Advisory Board</p>\n");
    if a.published_version.is_none() {
        out.push_str("<p class=\"banner\" role=\"note\" id=\"caution\"><strong>Educational purpose only</strong> • Exercise caution as content is pending human review</p>\n");
    }
    out.push_str("<section class=\"status\" aria-labelledby=\"status-h\"><h2 id=\"status-h\" class=\"sr-only\">Article review status</h2><ol class=\"steps\">");
    let step = state.step();
    for (i, label) in ["Submitted", "Under Review", "Approved"].iter().enumerate() {
        let class = match step {
            Some(s) if i < s => " class=\"done\"",
            _ => "",
        };
        let current = if step == Some(i) {
            " aria-current=\"step\""
        } else {
            ""
        };
        let _ = write!(out, "<li{class}{current} data-step=\"{i}\">{label}</li>");
    }
    out.push_str("</ol>");
    if a.state == ReviewState::Withdrawn {
        out.push_str("<p class=\"notice\" role=\"status\">This article has been withdrawn by the editors and is kept for the record.</p>");
    } else if a.published_version.is_some() && a.current_version > a.shown_version() {
        out.push_str("<p class=\"meta\">A revised version is being reviewed; the approved version is shown.</p>");
    }
    let updated = last_updated(a);
    let _ = writeln!(
        out,
        "<p class=\"meta updated\">Last updated: <time datetime=\"{}\">{}</time> · <a href=\"/editorial-policy\">View editorial policy</a></p></section>",
        html::iso_date(updated),
        long_date(updated)
    );
    out
}

/// The rest of the article page: personalisation, thread, the answer for the audience,
/// references, disclaimer and the follow-up box.
pub fn article_body(v: &ArticleView<'_>) -> String {
    let a = v.article;
    let answer = v.version.answer(v.audience);
    let mut out = String::with_capacity(16 * 1024);
    if a.source_changed {
        out.push_str("<p class=\"notice source-changed\" role=\"status\"><strong>Source changed — needs re-review.</strong> A source this article cites has changed since it was written.</p>\n");
    }
    if let Some(p) = v.parent {
        let _ = writeln!(
            out,
            "<p class=\"thread\">Follow-up to: <a class=\"parent-link\" rel=\"up\" href=\"/a/{}\">{}</a></p>",
            escape(&p.slug),
            escape(&clean(&p.question))
        );
    }
    // Personalise: a GET form, so switching needs no token and works without script.
    let _ = write!(
        out,
        "<section class=\"personalize\" aria-labelledby=\"personalize-h\"><h2 id=\"personalize-h\">Personalize</h2>\
<p>Which best describes you? Your choice helps us use language that's most understandable for you.</p>\
<form method=\"get\" action=\"/a/{}\"><div class=\"choices\" role=\"group\" aria-label=\"Which best describes you?\">",
        escape(&a.slug)
    );
    for aud in service::AUDIENCES {
        let _ = write!(
            out,
            "<button type=\"submit\" name=\"audience\" value=\"{}\" aria-pressed=\"{}\">{}</button>",
            aud.label(),
            aud == v.audience,
            audience_label(aud)
        );
    }
    let _ = writeln!(
        out,
        "</div></form><p class=\"meta audience-marker\" data-audience=\"{}\">Showing the version for: <strong>{}</strong></p></section>",
        v.audience.label(),
        audience_label(v.audience)
    );
    out.push_str(&answer_html(answer, 2));
    // Professional disclaimer: the answer's own, then ours.
    out.push_str("<section class=\"disclaimer\" aria-labelledby=\"disclaimer-h\"><h2 id=\"disclaimer-h\">Professional medical disclaimer</h2>");
    if !answer.disclaimer.trim().is_empty() {
        let _ = write!(out, "<p>{}</p>", escape(&clean(&answer.disclaimer)));
    }
    out.push_str("<p>Evident is for education and for checking the sources. Any medical decision should rest on clinical judgement and independently verified, current information; this content does not replace a clinician's assessment or local guidance. Evident and its reviewers accept no liability for decisions based on it.</p></section>\n");
    if !v.children.is_empty() {
        out.push_str("<section class=\"follow-ups\" aria-labelledby=\"followups-h\"><h2 id=\"followups-h\">Follow-up questions</h2><ul>");
        for c in v.children {
            let _ = write!(
                out,
                "<li><a class=\"child-link\" href=\"/a/{}\">{}</a></li>",
                escape(&c.slug),
                escape(&clean(&c.question))
            );
        }
        out.push_str("</ul></section>\n");
    }
    let _ = write!(
        out,
        "<section class=\"followup\" aria-labelledby=\"followup-h\"><h2 id=\"followup-h\">Have a follow-up question?</h2>\
<p>Ask it here: it is answered in the context of this article, from the same library.</p>\
<form method=\"post\" action=\"/ask\">{}<input type=\"hidden\" name=\"parent\" value=\"{}\"><input type=\"hidden\" name=\"audience\" value=\"{}\">\
<label for=\"followup-q\">Your follow-up question</label><textarea id=\"followup-q\" name=\"question\" rows=\"2\" maxlength=\"2000\" required></textarea>\
<p><button class=\"primary\" type=\"submit\">Ask follow-up</button></p></form></section>\n</article>\n",
        html::csrf_field(v.csrf),
        a.id,
        v.audience.label()
    );
    out
}

/// The answer itself (urgent notice, lead, sections, questions to ask, references), headings
/// starting at level `h`. Every field is escaped; citations link to `#ref-N`.
pub fn answer_html(answer: &Answer, h: u8) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let h2 = h;
    let mut seen: HashMap<u32, u32> = HashMap::new();
    let _ = writeln!(
        out,
        "<div class=\"answer\" data-audience=\"{}\" data-abstained=\"{}\">",
        answer.audience.label(),
        answer.abstained
    );
    if let Some(notice) = answer
        .urgent_notice
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    {
        let _ = writeln!(
            out,
            "<p class=\"urgent\" role=\"alert\"><strong>Urgent:</strong> {}</p>",
            escape(&clean(notice))
        );
    }
    let lead: Vec<String> = answer
        .lead
        .iter()
        .filter(|s| !clean(&s.text).is_empty())
        .map(|s| statement_html(s, !answer.abstained, &mut seen))
        .collect();
    if !lead.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"lead{}\">{}</p>",
            if answer.abstained { " abstention" } else { "" },
            lead.join(" ")
        );
    }
    if answer.abstained {
        if let Some(reason) = answer
            .abstention_reason
            .as_deref()
            .filter(|r| !r.trim().is_empty())
        {
            let _ = writeln!(
                out,
                "<p class=\"notice abstention-reason\"><strong>Why there is no answer:</strong> {}</p>",
                escape(&clean(reason))
            );
        }
        if !answer.nearest_topics.is_empty() {
            let _ = write!(
                out,
                "<section class=\"nearest-topics\"><h{h2}>Nearest topics in the library</h{h2}><ul>"
            );
            for t in &answer.nearest_topics {
                let _ = write!(
                    out,
                    "<li><a href=\"/?q={}\">{}</a></li>",
                    url_encode(&clean(t)),
                    escape(&clean(t))
                );
            }
            let _ = writeln!(out, "</ul></section>");
        }
    }
    for section in &answer.sections {
        let _ = write!(
            out,
            "<section class=\"answer-section\"><h{h2}>{}</h{h2}><ul>",
            escape(&clean(&section.heading))
        );
        for s in &section.statements {
            let _ = write!(out, "<li>{}</li>", statement_html(s, false, &mut seen));
        }
        out.push_str("</ul></section>\n");
    }
    if !answer.questions_to_ask.is_empty() {
        let _ = write!(
            out,
            "<section class=\"questions\"><h{h2}>{}</h{h2}><ul>",
            escape(evident_answer::render::QUESTIONS_HEADING)
        );
        for q in &answer.questions_to_ask {
            let _ = write!(out, "<li>{}</li>", escape(&clean(q)));
        }
        out.push_str("</ul></section>\n");
    }
    if let Some(grade) = answer.reading_grade {
        let _ = writeln!(
            out,
            "<p class=\"meta reading-grade\">Reading level: about grade {grade:.0}</p>"
        );
    }
    if !answer.citations.is_empty() {
        let _ = writeln!(
            out,
            "<section class=\"references\" aria-labelledby=\"references-h\"><h{h2} id=\"references-h\">References</h{h2}><ol>"
        );
        for c in &answer.citations {
            reference_html(&mut out, c, seen.contains_key(&c.number));
        }
        out.push_str("</ol></section>\n");
    }
    out.push_str("</div>\n");
    out
}

fn statement_html(s: &Statement, bold: bool, seen: &mut HashMap<u32, u32>) -> String {
    let text = escape(&clean(&s.text));
    let mut out = if bold && !text.is_empty() {
        format!("<strong>{text}</strong>")
    } else {
        text
    };
    if s.editor_written {
        out.push_str("<span class=\"editor-written\" title=\"Written by an editor during review, not quoted from the source\">editor-written</span>");
    }
    if !s.citations.is_empty() {
        out.push_str("<sup class=\"cites\">");
        for (i, &n) in s.citations.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let k = seen.entry(n).or_insert(0);
            *k += 1;
            let _ = write!(
                out,
                "<a href=\"#ref-{n}\" id=\"cite-{n}-{k}\" class=\"citation\" aria-label=\"Reference {n}\">{n}</a>"
            );
        }
        out.push_str("</sup>");
    }
    let glosses: Vec<String> = s
        .glosses
        .iter()
        .map(|(t, p)| format!("{}: {}", clean(t), clean(p)))
        .filter(|g| g.len() > 2)
        .collect();
    if !glosses.is_empty() {
        let _ = write!(
            out,
            " <span class=\"gloss\">({})</span>",
            escape(&glosses.join("; "))
        );
    }
    out
}

fn reference_html(out: &mut String, c: &Citation, cited: bool) {
    let n = c.number;
    let kind = clean(&c.kind_label);
    let kind = if kind.is_empty() {
        c.kind.label().to_string()
    } else {
        kind
    };
    let _ = write!(
        out,
        "<li id=\"ref-{n}\" value=\"{n}\"><span class=\"kind\">{}</span> <cite>{}</cite>",
        escape(&kind),
        escape(&clean(&c.title))
    );
    if let Some(p) = c.publisher.as_deref().map(clean).filter(|p| !p.is_empty()) {
        let _ = write!(out, ", <span class=\"publisher\">{}</span>", escape(&p));
    }
    if let Some(y) = c.year {
        let _ = write!(out, ", <span class=\"year\">{y}</span>");
    }
    if let Some(g) = c.grade.as_deref().map(clean).filter(|g| !g.is_empty()) {
        let _ = write!(out, ", <span class=\"grade\">grade {}</span>", escape(&g));
    }
    if let Some(url) = c.url.as_deref().and_then(safe_url) {
        let _ = write!(
            out,
            ", <a class=\"source-link\" href=\"{}\" rel=\"noopener noreferrer nofollow\">{}</a>",
            escape(url),
            escape(url)
        );
    }
    if cited {
        let _ = write!(
            out,
            " <a href=\"#cite-{n}-1\" class=\"backlink\" aria-label=\"Back to the first citation of reference {n}\">↩</a>"
        );
    }
    out.push_str("<details><summary>Supporting passage</summary>");
    let trail: Vec<String> = c
        .trail
        .iter()
        .map(|t| clean(t))
        .filter(|t| !t.is_empty())
        .collect();
    if !trail.is_empty() {
        let _ = write!(out, "<p class=\"trail\">{}</p>", escape(&trail.join(" › ")));
    }
    let passage = c
        .passage
        .trim()
        .lines()
        .map(|l| escape(&clean(l)))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("<br>");
    let _ = writeln!(out, "<blockquote>{passage}</blockquote></details></li>");
}

// ---------------------------------------------------------------------------------------------
// Policy and about

async fn policy(PageUser(user): PageUser) -> Response {
    html_response(
        StatusCode::OK,
        html::page("Editorial policy", user.as_ref(), POLICY),
    )
}

async fn about(PageUser(user): PageUser) -> Response {
    html_response(
        StatusCode::OK,
        html::page("About and disclaimer", user.as_ref(), ABOUT),
    )
}

const POLICY: &str = r#"<h1>Editorial policy</h1>
<p>Every answer on this site is an article that starts as software output and becomes approved only when a person on our Medical Advisory Board has checked it. This page says how.</p>
<h2>How answers are written</h2>
<p>Evident answers from the sources in this site's library only: guidelines, recommendation statements, professional summaries and patient information chosen by the people who run this site. With the default composer each statement is a sentence or list item taken from a cited passage, word for word, and software checks that every statement occurs in the passage it cites before the answer is shown. Headings, plain-language glosses for patients, the urgent-care notice and the disclaimers are ours and are never presented as statements from a source. When the library does not cover a question, the article says so and lists the nearest topics instead of guessing.</p>
<h2>The three review steps</h2>
<ol>
<li><strong>Submitted.</strong> A question was asked and the article was composed. It is shown at once, with a caution banner, because it has not yet been checked by a person.</li>
<li><strong>Under Review.</strong> A reviewer has claimed the article and reads each statement beside the passage it cites, confirming or flagging it. A reviewer may send the article back with comments; an editor then revises it, and it returns to review.</li>
<li><strong>Approved.</strong> A reviewer approved this version. The page shows the date of approval as "Last updated" and the caution banner is removed. Reviewers cannot approve their own edits: editors revise, reviewers approve.</li>
</ol>
<h2>Edits by editors</h2>
<p>An editor may reword a statement or change which passages it cites. A statement an editor wrote must still cite a passage, and the page marks it <span class="editor-written">editor-written</span> so readers can tell it apart from text quoted from the source. Every version is kept, and reviewers can compare versions.</p>
<h2>When sources change</h2>
<p>When a source in the library is updated or removed, every article citing it is flagged "source changed — needs re-review" until a reviewer looks at it again. An approved article that is revised stays published in its approved form until the revision is approved.</p>
<h2>Records</h2>
<p>Who claimed, commented, revised, approved, merged or withdrew an article, and when, is written to an audit log that administrators can read. Duplicate questions are merged into one article, and their old addresses redirect to it.</p>
<h2>Corrections</h2>
<p>If you find a statement that its cited passage does not support, or a source that is out of date, please tell the people who run this site; a reviewer will look at it.</p>
"#;

const ABOUT: &str = r#"<h1>About Evident</h1>
<p>Evident is open-source software that answers clinical questions from a library of guidelines and trusted references that the people running this site chose. Each answer is a structured article in which every statement carries a numbered citation to the exact passage of a named source, so that you can check it.</p>
<h2>What it is not</h2>
<p>Evident is not a doctor and does not know your situation. It does not diagnose, and it does not replace a conversation with a clinician who knows you. It quotes its sources; it can still pick a passage that does not fit your case, and a source can be out of date. Articles that have not been approved by a reviewer carry a caution banner.</p>
<h2>Disclaimer</h2>
<p>The content of this site is for education and for finding and checking sources. It is not medical advice. Health professionals should rely on their clinical judgement and verify information against the primary sources and current local guidance before applying it to a patient. Patients and carers should talk with their doctor, nurse or pharmacist about their own situation. <strong>If you think you or someone else has a medical emergency, call your local emergency number now.</strong></p>
<h2>Your data</h2>
<p>Questions you ask become articles that other visitors can read, so do not include names or other personal details. The site stores a cookie for your chosen reading level (clinician, patient or caregiver, student), a security token for its forms, and, for reviewers who sign in, a session cookie. It uses no tracking and loads nothing from other sites.</p>
<h2>Open source</h2>
<p>Evident is licensed under the Apache License 2.0. A JSON API is described by the <a href="/api/openapi.json">OpenAPI document</a>.</p>
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use evident_core::QuestionKind;

    fn article(published: bool) -> Article {
        Article {
            id: 7,
            slug: "what-is-x".into(),
            question: "What is <x>?".into(),
            normalized_question: "what is x".into(),
            focus: None,
            kind: QuestionKind::General,
            state: if published {
                ReviewState::Approved
            } else {
                ReviewState::UnderReview
            },
            current_version: 1,
            published_version: published.then_some(1),
            claimed_by: None,
            approved_by: published.then(|| "rita".to_string()),
            approved_at: published.then_some(1_757_592_000_000),
            parent_id: None,
            source_changed: false,
            merged_into: None,
            created_at: 1_700_000_000_000,
            updated_at: 1_760_000_000_000,
            rev: 3,
        }
    }

    #[test]
    fn the_shell_shows_the_review_status_banner_and_date() {
        let pending = article_shell(&article(false), None);
        assert!(pending.contains("<h1 id=\"title\">What is &lt;x&gt;?</h1>"));
        assert!(pending.contains("id=\"caution\""));
        assert!(pending.contains("<li class=\"done\" data-step=\"0\">Submitted</li><li aria-current=\"step\" data-step=\"1\">Under Review</li>"));
        assert!(pending.contains(&long_date(1_760_000_000_000)));

        let approved = article_shell(&article(true), None);
        assert!(!approved.contains("id=\"caution\""));
        assert!(approved.contains("aria-current=\"step\" data-step=\"2\">Approved</li>"));
        assert!(approved
            .contains("Last updated: <time datetime=\"2025-09-11\">September 11, 2025</time>"));
    }

    #[test]
    fn a_revision_under_review_keeps_the_approved_version_public() {
        let mut a = article(true);
        a.state = ReviewState::Submitted;
        a.current_version = 2;
        assert_eq!(shown_state(&a), ReviewState::Approved);
        let shell = article_shell(&a, None);
        assert!(shell.contains("A revised version is being reviewed"));
        assert!(!shell.contains("id=\"caution\""));
    }
}
