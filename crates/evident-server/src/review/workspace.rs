//! The review page of one article: its state, the actions open to this user, the statements
//! beside their cited passages with their marks, comments, the editor's revise form and the
//! merge form. The forms are handled in [`super::actions`].

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use evident_answer::render::html::fallback_note;
use evident_core::answer::CitedSource;
use evident_core::review::StatementKey;
use evident_core::{allowed_actions, Action, Answer, Audience, Role, SupportCheck};
use evident_store::{Article, Comment, Mark, User};
use maud::{html, Markup};

use super::{csrf, need, page, PageId};
use crate::error::{AppError, PageError};
use crate::html::{clean, date_time};
use crate::pages::audience_label;
use crate::security::CsrfToken;
use crate::service::{page_audience, AUDIENCES};
use crate::{blocking, AppState, PageUser};

/// The message shown after a form of this page succeeded (`?done=`).
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

/// The audience of a `?audience=` value, clinician when absent or unknown.
pub(super) fn audience(value: Option<&String>) -> Audience {
    value
        .and_then(|a| a.parse::<Audience>().ok())
        .map(page_audience)
        .unwrap_or(Audience::Clinician)
}

pub(super) async fn review_page(
    State(state): State<AppState>,
    PageId(id): PageId,
    Query(q): Query<HashMap<String, String>>,
    PageUser(user): PageUser,
    Extension(token): Extension<CsrfToken>,
) -> Result<Response, PageError> {
    let user = match need(user, Role::Reviewer, &format!("/review/{id}")) {
        Ok(u) => u,
        Err(resp) => return Ok(*resp),
    };
    let audience = audience(q.get("audience"));
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
    let marks: HashMap<&str, Mark> = marks
        .iter()
        .map(|m| (m.statement.as_str(), m.mark))
        .collect();
    let view = View {
        id,
        version: version.number,
        rev: article.rev,
        author: version.author.as_deref(),
        token: &token.0,
        user: &user,
        article: &article,
    };
    let references = version.answer(audience).references();
    let body = html! {
        (view.header(audience, flash(q.get("done"))))
        (view.actions())
        (generation(version.answer(audience)))
        div.review-grid {
            (view.statements(version.answer(audience), &references, &marks))
            (view.passages(&references))
        }
        "\n"
        (view.comments(&comments))
        @if user.role >= Role::Editor { (view.merge()) }
    };
    Ok(page(StatusCode::OK, "Review", Some(&user), body))
}

/// What every part of the review page needs.
struct View<'a> {
    id: i64,
    /// The current version and the article's `rev`: every form names the version, and the
    /// review actions, the revise and merge forms the `rev` too.
    version: u32,
    rev: i64,
    /// Who wrote the current version (`None`: Evident composed it).
    author: Option<&'a str>,
    token: &'a str,
    user: &'a User,
    article: &'a Article,
}

impl View<'_> {
    /// The title, the state line, the flash message and the links to other renderings.
    fn header(&self, audience: Audience, flash: Option<&str>) -> Markup {
        let (id, a) = (self.id, self.article);
        html! {
            h1 { "Review: " (clean(&a.question)) } "\n"
            p.review-state data-state=(a.state.code()) {
                "State: " strong { (a.state.label()) } " · version " (self.version) " · "
                @match &a.claimed_by {
                    Some(c) => { "claimed by " (c) },
                    None => "not claimed",
                }
                @if let (Some(by), Some(at)) = (&a.approved_by, a.approved_at) {
                    " · approved by " (by) " on " (date_time(at))
                }
            }
            "\n"
            @if let Some(msg) = flash {
                p.flash role="status" { (msg) }
            }
            @if a.source_changed {
                p.notice { "Source changed — needs re-review." }
            }
            p {
                a href={ "/a/" (a.slug) } { "Public page" } " · "
                a href={ "/review/" (id) "/history" } { "History and changes" } " · Rendering: "
                @for other in AUDIENCES {
                    @if other == audience {
                        strong { (audience_label(other)) } " "
                    } @else {
                        a href={ "/review/" (id) "?audience=" (other.label()) } {
                            (audience_label(other))
                        }
                        " "
                    }
                }
            }
            "\n"
        }
    }

    /// The review actions open to this user in this state (revise has its own form).
    fn actions(&self) -> Markup {
        let state = self.article.state;
        let open = allowed_actions(state, self.user.role);
        // The store refuses these approvals too; the page says why instead of offering them.
        let barred = open
            .contains(&Action::Approve)
            .then(|| evident_store::approval_refusal(self.article, self.author, self.user))
            .flatten()
            .map(|refusal| refusal.to_string());
        let actions: Vec<Action> = open
            .into_iter()
            .filter(|a| *a != Action::Revise)
            .filter(|a| !(*a == Action::Approve && barred.is_some()))
            .collect();
        html! {
            section aria-labelledby="actions-h" {
                h2 id="actions-h" { "Review actions" }
                @if let Some(why) = &barred {
                    p.notice.approval-barred { (why) }
                }
                @if actions.is_empty() {
                    p.meta {
                        "No review action is open to a " (self.user.role)
                        " on an article that is " (state.label().to_lowercase()) "."
                    }
                }
                @for a in &actions {
                    @let label = match a {
                        Action::Claim => "Claim for review",
                        Action::Approve => "Approve this version",
                        Action::RequestChanges => "Request changes",
                        Action::Withdraw => "Withdraw",
                        Action::Reopen => "Reopen",
                        Action::Revise => continue,
                    };
                    form method="post" action={ "/review/" (self.id) "/action" } class="action" {
                        (csrf(self.token))
                        input type="hidden" name="version" value=(self.version);
                        input type="hidden" name="rev" value=(self.rev);
                        @if *a == Action::RequestChanges {
                            label for="changes-comment" { "What needs to change" }
                            textarea id="changes-comment" name="comment" rows="3" required {}
                        }
                        p {
                            button type="submit" name="action" value=(a.code())
                                class=[(*a == Action::Approve).then_some("primary")] { (label) }
                        }
                    }
                }
            }
            "\n"
        }
    }

    /// Each statement with its key, citations and mark, the mark buttons for reviewers and the
    /// edit fields for editors.
    fn statements(
        &self,
        answer: &Answer,
        references: &[CitedSource<'_>],
        marks: &HashMap<&str, Mark>,
    ) -> Markup {
        let role = self.user.role;
        let can_mark = role == Role::Reviewer || role == Role::Admin;
        let can_revise = allowed_actions(self.article.state, role).contains(&Action::Revise);
        html! {
            section aria-labelledby="statements-h" {
                h2 id="statements-h" { "Statements" }
                @if can_revise {
                    form method="post" action={ "/review/" (self.id) "/revise" } id="revise" {
                        (csrf(self.token))
                        input type="hidden" name="version" value=(self.version);
                        input type="hidden" name="rev" value=(self.rev);
                        input type="hidden" name="audience" value=(answer.audience.label());
                    }
                }
                @for (key, s) in answer.keyed_statements() {
                    (self.statement(key, s, references, marks.get(key.to_string().as_str()).copied(), can_mark, can_revise))
                }
                @if can_revise {
                    label for="revise-note" { "Note for this revision" }
                    input form="revise" type="text" id="revise-note" name="note";
                    p { button form="revise" type="submit" class="primary" { "Save revision" } }
                    p.meta {
                        "A statement whose text you change is marked editor-written and checked \
                         against the passages it cites (the result is shown beside it); every \
                         statement must still cite at least one reference (its number, one per \
                         source), and the references are renumbered by first use. Clearing a \
                         statement's text removes it."
                    }
                }
            }
        }
    }

    fn statement(
        &self,
        key: StatementKey,
        s: &evident_core::Statement,
        references: &[CitedSource<'_>],
        mark: Option<Mark>,
        can_mark: bool,
        can_revise: bool,
    ) -> Markup {
        html! {
            div.stmt id={ "st-" (key) } data-key=(key) {
                p {
                    span.state { (key) } " " (clean(&s.text))
                    @if s.editor_written {
                        span.editor-written { "editor-written" }
                    } @else if s.model_written {
                        span.model-written { "model-written" }
                    }
                    " "
                    sup {
                        "["
                        @for (i, n) in s.citations.iter().enumerate() {
                            @if i > 0 { ", " }
                            // The exact passage it quotes ("1b"), else the reference.
                            @match quoted(references, key, *n) {
                                Some(label) => a href={ "#p-" (label) } { (label) },
                                None => a href={ "#p-" (n) } { (n) },
                            }
                        }
                        "]"
                    }
                    " "
                    @match mark {
                        Some(Mark::Confirmed) => {
                            strong.mark data-mark="confirmed" { "✔ confirmed" }
                        },
                        Some(Mark::Flagged) => strong.mark data-mark="flagged" { "⚑ flagged" },
                        None => {},
                    }
                }
                @if let Some(c) = &s.check {
                    (check_line(c))
                }
                @if can_mark {
                    @for (m, label) in [("confirmed", "Confirm"), ("flagged", "Flag")] {
                        form method="post" action={ "/review/" (self.id) "/mark" } {
                            (csrf(self.token))
                            input type="hidden" name="version" value=(self.version);
                            input type="hidden" name="statement" value=(key);
                            button type="submit" name="mark" value=(m)
                                aria-label={ (label) " statement " (key) } { (label) }
                        }
                        " "
                    }
                }
                @if can_revise {
                    details {
                        summary { "Edit" }
                        label for={ "text-" (key) } { "Text of " (key) }
                        textarea form="revise" id={ "text-" (key) } name={ "text." (key) } rows="3" {
                            (s.text)
                        }
                        label for={ "cites-" (key) } { "Citation numbers of " (key) }
                        input form="revise" type="text" id={ "cites-" (key) } name={ "cites." (key) }
                            value=(s.citations.iter().map(u32::to_string).collect::<Vec<_>>().join(", "));
                    }
                }
            }
        }
    }

    /// The reference list, one entry per source, each of its quoted passages whole under it.
    fn passages(&self, references: &[CitedSource<'_>]) -> Markup {
        html! {
            section aria-labelledby="passages-h" {
                h2 id="passages-h" { "Cited passages" }
                ol {
                    @for r in references {
                        @let c = r.source();
                        li id={ "p-" (r.number) } value=(r.number) {
                            span.kind { (clean(&c.kind_label)) } " "
                            cite { (clean(&c.title)) }
                            ol type="a" {
                                @for p in &r.passages {
                                    li id={ "p-" (clean(&p.label)) } {
                                        @if !p.citation.trail.is_empty() {
                                            span.meta { (clean(&p.citation.trail.join(" › "))) }
                                        }
                                        blockquote {
                                            @for (i, line) in p.citation.passage.trim().lines().enumerate() {
                                                @if i > 0 { br; }
                                                (clean(line))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The comments so far and the form for a new one.
    fn comments(&self, comments: &[Comment]) -> Markup {
        html! {
            section aria-labelledby="comments-h" {
                h2 id="comments-h" { "Comments" }
                @if comments.is_empty() {
                    p.meta { "No comments yet." }
                } @else {
                    ul.cards {
                        @for c in comments {
                            li {
                                strong { (c.by) } " on version " (c.version)
                                @if let Some(t) = &c.target { " (" (t) ")" }
                                " · " (date_time(c.at))
                                br;
                                (c.body)
                            }
                        }
                    }
                }
                form method="post" action={ "/review/" (self.id) "/comment" } {
                    (csrf(self.token))
                    input type="hidden" name="version" value=(self.version);
                    label for="comment-target" {
                        "On (optional: a statement key such as lead.0 or s1.2)"
                    }
                    input type="text" id="comment-target" name="target";
                    label for="comment-body" { "Comment" }
                    textarea id="comment-body" name="body" rows="3" required {}
                    p { button type="submit" { "Add comment" } }
                }
            }
        }
    }

    /// For editors: merge this article into another one.
    fn merge(&self) -> Markup {
        html! {
            section aria-labelledby="merge-h" {
                h2 id="merge-h" { "Merge into another article" }
                form method="post" action={ "/review/" (self.id) "/merge" } {
                    (csrf(self.token))
                    input type="hidden" name="version" value=(self.version);
                    input type="hidden" name="rev" value=(self.rev);
                    label for="merge-into" { "Slug or id of the article to keep" }
                    input type="text" id="merge-into" name="into" required;
                    p { button type="submit" { "Merge this duplicate" } }
                }
            }
        }
    }
}

/// Whether the cited passages support a statement, as the support check found.
fn check_line(c: &SupportCheck) -> Markup {
    html! {
        @if c.supported {
            p.check.supported data-check="supported" { "✔ supported by the cited passage" }
        } @else {
            p.check.unsupported data-check="unsupported" {
                "✘ not supported: "
                (clean(c.reason.as_deref().or(c.reason_code.as_deref()).unwrap_or("the cited passage does not support it")))
            }
        }
    }
}

/// How the model wrote this rendering: the model, what passed the check, the note when the
/// quoted article is shown instead, and the withheld sentences struck through with the reason
/// (reviewers only: they never reach the public page or the public API).
fn generation(answer: &Answer) -> Markup {
    let Some(g) = &answer.generation else {
        return html! {};
    };
    html! {
        section.generation aria-labelledby="generation-h" {
            h2 id="generation-h" { "Written by the model" }
            p.meta {
                (clean(&g.model)) ": " (g.published) " of " (g.proposed)
                " sentences passed the support check and were published"
                @if let Some(ms) = g.first_sentence_ms {
                    "; the first after " (format!("{:.1}", ms / 1e3)) " s"
                }
                "."
            }
            @if let Some(why) = g.fallback.as_deref().filter(|w| !w.trim().is_empty()) {
                (fallback_note(why))
            }
            @if !g.withheld.is_empty() {
                h3 id="withheld-h" { "Withheld sentences (not published)" }
                ul.withheld aria-labelledby="withheld-h" {
                    @for w in &g.withheld {
                        li data-reason=[w.check.reason_code.as_deref()] {
                            del { (clean(&w.text)) }
                            " — "
                            span.check.unsupported {
                                (clean(w.check.reason.as_deref().or(w.check.reason_code.as_deref()).unwrap_or("not supported")))
                            }
                            @if !w.passage_ids.is_empty() {
                                " " span.meta { "(cited " (clean(&w.passage_ids.join(", "))) ")" }
                            }
                        }
                    }
                }
            }
        }
        "\n"
    }
}

/// The label of the passage of reference `n` that statement `key` quotes, if it quotes one.
fn quoted<'r>(references: &'r [CitedSource<'_>], key: StatementKey, n: u32) -> Option<&'r str> {
    let r = references.iter().find(|r| r.number == n)?;
    r.passage_of(key).map(|p| p.label.as_str())
}
