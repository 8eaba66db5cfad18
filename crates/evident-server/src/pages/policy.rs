//! The editorial policy and the about page: our own prose, the same for every visitor.

use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};

use super::html_response;
use crate::html;
use crate::PageUser;

pub(super) async fn policy(PageUser(user): PageUser) -> Response {
    html_response(
        StatusCode::OK,
        html::page(
            "Editorial policy",
            user.as_ref(),
            &policy_body().into_string(),
        ),
    )
}

pub(super) async fn about(PageUser(user): PageUser) -> Response {
    html_response(
        StatusCode::OK,
        html::page(
            "About and disclaimer",
            user.as_ref(),
            &about_body().into_string(),
        ),
    )
}

fn policy_body() -> Markup {
    html! {
        h1 { "Editorial policy" } "\n"
        p {
            "Every answer on this site is an article that starts as software output and becomes \
             approved only when a person on our Medical Advisory Board has checked it. This page \
             says how."
        } "\n"
        h2 { "How answers are written" } "\n"
        p {
            "Evident answers from the sources in this site's library only: guidelines, \
             recommendation statements, professional summaries and patient information chosen by \
             the people who run this site. With the default composer each statement is a \
             sentence or list item taken from a cited passage, word for word, and software checks \
             that every statement occurs in the passage it cites before the answer is shown. \
             Headings, plain-language glosses for patients, the urgent-care notice and the \
             disclaimers are ours and are never presented as statements from a source. When the \
             library does not cover a question, the article says so and lists the nearest topics \
             instead of guessing."
        } "\n"
        p {
            "A site may instead let a language model write the articles from the same passages. \
             Each sentence the model writes must cite a passage, and software checks it against \
             that passage before anyone sees it: its numbers, doses, intervals and ages, the \
             drugs, conditions and groups it names, and whether it recommends or advises against \
             must all be there. Only sentences that pass are published, marked "
            span class="model-written" { "model-written" }
            "; the others are withheld and shown, struck through with the reason, to reviewers \
             alone. When the model fails or too few of its sentences pass, the quoted article is \
             shown with a note saying so."
        } "\n"
        h2 { "The three review steps" } "\n"
        ol {
            "\n"
            li {
                strong { "Submitted." }
                " A question was asked and the article was composed. It is shown at once, with a \
                 caution banner, because it has not yet been checked by a person."
            } "\n"
            li {
                strong { "Under Review." }
                " A reviewer has claimed the article and reads each statement beside the passage \
                 it cites, confirming or flagging it. A reviewer may send the article back with \
                 comments; an editor then revises it, and it returns to review."
            } "\n"
            li {
                strong { "Approved." }
                " A reviewer approved this version. The page shows the date of approval as \"Last \
                 updated\" and the caution banner is removed. Reviewers cannot approve their own \
                 edits: editors revise, reviewers approve."
            } "\n"
        } "\n"
        h2 { "Edits by editors" } "\n"
        p {
            "An editor may reword a statement or change which passages it cites. A statement an \
             editor wrote must still cite a passage, and the page marks it "
            span class="editor-written" { "editor-written" }
            " so readers can tell it apart from text quoted from the source; reviewers see \
             whether the cited passage supports the new wording. Every version is kept, and \
             reviewers can compare versions."
        } "\n"
        h2 { "When sources change" } "\n"
        p {
            "When a source in the library is updated or removed, every article citing it is \
             flagged \"source changed — needs re-review\" until a reviewer looks at it again. An \
             approved article that is revised stays published in its approved form until the \
             revision is approved."
        } "\n"
        h2 { "Records" } "\n"
        p {
            "Who claimed, commented, revised, approved, merged or withdrew an article, and when, \
             is written to an audit log that administrators can read. Duplicate questions are \
             merged into one article, and their old addresses redirect to it."
        } "\n"
        h2 { "Corrections" } "\n"
        p {
            "If you find a statement that its cited passage does not support, or a source that \
             is out of date, please tell the people who run this site; a reviewer will look at it."
        } "\n"
    }
}

fn about_body() -> Markup {
    html! {
        h1 { "About Evident" } "\n"
        p {
            "Evident is open-source software that answers clinical questions from a library of \
             guidelines and trusted references that the people running this site chose. Each \
             answer is a structured article in which every statement carries a numbered citation \
             to the exact passage of a named source, so that you can check it."
        } "\n"
        h2 { "What it is not" } "\n"
        p {
            "Evident is not a doctor and does not know your situation. It does not diagnose, and \
             it does not replace a conversation with a clinician who knows you. It quotes its \
             sources; it can still pick a passage that does not fit your case, and a source can \
             be out of date. Articles that have not been approved by a reviewer carry a caution \
             banner."
        } "\n"
        h2 { "Disclaimer" } "\n"
        p {
            "The content of this site is for education and for finding and checking sources. It \
             is not medical advice. Health professionals should rely on their clinical judgement \
             and verify information against the primary sources and current local guidance \
             before applying it to a patient. Patients and carers should talk with their doctor, \
             nurse or pharmacist about their own situation. "
            strong {
                "If you think you or someone else has a medical emergency, call your local \
                 emergency number now."
            }
        } "\n"
        h2 { "Your data" } "\n"
        p {
            "Questions you ask become articles that other visitors can read, so do not include \
             names or other personal details. The site stores a cookie for your chosen reading \
             level (clinician, patient or caregiver, student), a security token for its forms, \
             and, for reviewers who sign in, a session cookie. It uses no tracking and loads \
             nothing from other sites."
        } "\n"
        h2 { "Open source" } "\n"
        p {
            "Evident is licensed under the Apache License 2.0. A JSON API is described by the "
            a href="/api/openapi.json" { "OpenAPI document" }
            "."
        } "\n"
    }
}
