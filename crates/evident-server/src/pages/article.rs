//! The article page: streamed in two parts, the shell (head, site header, title, review status)
//! from the article row alone, then the body (personalisation, thread, the answer for the
//! audience, disclaimer, follow-ups) once the version is loaded.

use std::collections::HashMap;
use std::convert::Infallible;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use evident_answer::render::html::{answer as answer_html, HtmlOptions};
use evident_core::{Audience, ReviewState};
use evident_store::{Article, User, Version};
use maud::{html, PreEscaped};

use super::{audience_label, chosen_audience, inline_error, shown_state, streamed_page};
use crate::error::{AppError, PageError};
use crate::html::{self, escape, long_date, url_encode, Clean};
use crate::security::{set_cookie, CsrfToken, AUDIENCE_COOKIE};
use crate::service;
use crate::{blocking, AppState, PageUser};

pub(super) async fn article_page(
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
    if !article.visible_to(user.as_ref()) {
        return Err(AppError::NotFound(format!(
            "the article at /a/{} has been withdrawn by the editors",
            article.slug
        ))
        .into());
    }
    let (audience, set) = chosen_audience(&query, &headers);
    let shell = article_shell(&article, user.as_ref());
    let store = state.store();
    let viewer = user.clone();
    let rest = async move {
        let a = article.clone();
        let loaded = blocking(move || {
            let version = store.version(a.id, a.shown_version())?;
            // The thread shows only what this visitor may see.
            let parent = match a.parent_id {
                Some(p) => store.article(p)?,
                None => None,
            }
            .filter(|p| p.visible_to(viewer.as_ref()));
            let mut children = store.children(a.id)?;
            children.retain(|c| c.visible_to(viewer.as_ref()));
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
/// review status and last-updated line. Needs only the article row. It opens the `<article>`
/// that [`article_body`] closes.
pub fn article_shell(a: &Article, user: Option<&User>) -> String {
    let mut out = html::page_start(&a.question, user);
    let state = shown_state(a);
    let step = state.step();
    let updated = last_updated(a);
    let shell = html! {
        (PreEscaped(format!(
            "<article class=\"answer-article\" data-article-id=\"{}\" data-state=\"{}\">\n",
            a.id,
            escape(state.code())
        )))
        h1 id="title" { (Clean(&a.question)) } "\n"
        p class="board" { "All articles are reviewed for accuracy by our Medical Advisory Board" } "\n"
        @if a.published_version.is_none() {
            p class="banner" role="note" id="caution" {
                strong { "Educational purpose only" }
                " • Exercise caution as content is pending human review"
            }
            "\n"
        }
        section class="status" aria-labelledby="status-h" {
            h2 id="status-h" class="sr-only" { "Article review status" }
            ol class="steps" {
                @for (i, label) in ["Submitted", "Under Review", "Approved"].iter().enumerate() {
                    li class=[step.filter(|&s| i < s).map(|_| "done")]
                        aria-current=[(step == Some(i)).then_some("step")]
                        data-step=(i) { (label) }
                }
            }
            @if a.state == ReviewState::Withdrawn {
                p class="notice" role="status" {
                    "This article has been withdrawn by the editors and is kept for the record."
                }
            } @else if a.published_version.is_some() && a.current_version > a.shown_version() {
                p class="meta" { "A revised version is being reviewed; the approved version is shown." }
            }
            p class="meta updated" {
                "Last updated: "
                time datetime=(html::iso_date(updated)) { (long_date(updated)) }
                " · "
                a href="/editorial-policy" { "View editorial policy" }
            }
        }
        "\n"
    };
    out.push_str(&shell.into_string());
    out
}

/// The rest of the article page: personalisation, thread, the answer for the audience,
/// references, disclaimer and the follow-up box; closes the `<article>`.
pub fn article_body(v: &ArticleView<'_>) -> String {
    let a = v.article;
    let answer = v.version.answer(v.audience);
    let body = html! {
        @if a.source_changed {
            p class="notice source-changed" role="status" {
                strong { "Source changed — needs re-review." }
                " A source this article cites has changed since it was written."
            }
            "\n"
        }
        @if let Some(p) = v.parent {
            p class="thread" {
                "Follow-up to: "
                a class="parent-link" rel="up" href={ "/a/" (Clean(&p.slug)) } { (Clean(&p.question)) }
            }
            "\n"
        }
        // Personalise: a GET form, so switching needs no token and works without script.
        section class="personalize" aria-labelledby="personalize-h" {
            h2 id="personalize-h" { "Personalize" }
            p { "Which best describes you? Your choice helps us use language that's most understandable for you." }
            form method="get" action={ "/a/" (Clean(&a.slug)) } {
                div class="choices" role="group" aria-label="Which best describes you?" {
                    @for aud in service::AUDIENCES {
                        button type="submit" name="audience" value=(aud.label())
                            aria-pressed=(if aud == v.audience { "true" } else { "false" }) {
                            (audience_label(aud))
                        }
                    }
                }
            }
            p class="meta audience-marker" data-audience=(v.audience.label()) {
                "Showing the version for: " strong { (audience_label(v.audience)) }
            }
        }
        "\n"
        (answer_html(answer, &HtmlOptions::PAGE))
        // Professional disclaimer: the answer's own, then ours.
        section class="disclaimer" aria-labelledby="disclaimer-h" {
            h2 id="disclaimer-h" { "Professional medical disclaimer" }
            @if !answer.disclaimer.trim().is_empty() {
                p { (Clean(&answer.disclaimer)) }
            }
            p {
                "Evident is for education and for checking the sources. Any medical decision \
                 should rest on clinical judgement and independently verified, current \
                 information; this content does not replace a clinician's assessment or local \
                 guidance. Evident and its reviewers accept no liability for decisions based on it."
            }
        }
        "\n"
        @if !v.children.is_empty() {
            section class="follow-ups" aria-labelledby="followups-h" {
                h2 id="followups-h" { "Follow-up questions" }
                ul {
                    @for c in v.children {
                        li { a class="child-link" href={ "/a/" (Clean(&c.slug)) } { (Clean(&c.question)) } }
                    }
                }
            }
            "\n"
        }
        section class="followup" aria-labelledby="followup-h" {
            h2 id="followup-h" { "Have a follow-up question?" }
            p { "Ask it here: it is answered in the context of this article, from the same library." }
            form method="post" action="/ask" {
                (html::csrf_input(v.csrf))
                input type="hidden" name="parent" value=(a.id);
                input type="hidden" name="audience" value=(v.audience.label());
                label for="followup-q" { "Your follow-up question" }
                textarea id="followup-q" name="question" rows="2"
                    maxlength=(evident_core::MAX_QUESTION_BYTES) required {}
                p { button class="primary" type="submit" { "Ask follow-up" } }
            }
        }
        "\n"
        (PreEscaped("</article>\n"))
    };
    body.into_string()
}

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
            claimed_by_name: None,
            approved_by_name: published.then(|| "Rita R.".to_string()),
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
