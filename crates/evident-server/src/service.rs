//! Asking: reuse an existing article when one answers the question, else compose the answer for
//! every audience and store it as a new article. Shared by the ask form and the JSON API.
//!
//! The question is analysed once: the same analysis decides reuse and is composed for every
//! audience ([`Composer::prepare`], then [`Composer::compose_all`]). Retrieval ranks once too:
//! `serve` turns on the library's ranking cache, which keeps the ranking before the audience
//! priors, so the three audiences' searches share it.

use evident_answer::Composer;
use evident_core::{Answer, Audience};
use evident_store::{normalize_question, Article, NewArticle, User, Version};

use crate::error::AppError;
use crate::{blocking, AppState};

/// The audiences every article is composed for; the first is the default rendering.
pub const AUDIENCES: [Audience; 3] = [Audience::Clinician, Audience::Patient, Audience::Student];

/// The longest question accepted, in bytes (the composer's own limit).
pub use evident_core::MAX_QUESTION_BYTES;

/// The result of asking.
#[derive(Debug, Clone)]
pub struct Asked {
    pub article: Article,
    /// True when an existing article answered the question.
    pub reused: bool,
}

/// The audience as shown on pages and in the API ("all" reads as clinician).
pub fn page_audience(a: Audience) -> Audience {
    match a {
        Audience::All => Audience::Clinician,
        other => other,
    }
}

/// Answers `question` (a follow-up of `parent_id` when given): reuse or compose, then store.
pub async fn ask(
    state: &AppState,
    user: Option<User>,
    question: String,
    parent_id: Option<i64>,
) -> Result<Asked, AppError> {
    let question = question.trim().to_string();
    if question.is_empty() {
        return Err(evident_answer::Error::EmptyQuestion.into());
    }
    if question.len() > MAX_QUESTION_BYTES {
        return Err(evident_answer::Error::QuestionTooLong(question.len()).into());
    }
    let library = state.library();
    let store = state.store();
    let asked = blocking(move || {
        let parent: Option<(Article, Version)> = match parent_id {
            Some(id) => {
                let article = store
                    .article(id)?
                    .ok_or_else(|| AppError::NotFound(format!("article {id} not found")))?;
                let version = store.version(id, article.shown_version())?;
                Some((article, version))
            }
            None => None,
        };
        let parent_answer = |audience: Audience| -> Option<&Answer> {
            parent.as_ref().map(|(_, v)| v.answer(audience))
        };
        let composer = Composer::new(&library);
        let prepared = composer.prepare(&question, parent_answer(AUDIENCES[0]))?;
        let analysis = prepared.analysis();
        if let Some((parent_article, _)) = &parent {
            // The same follow-up of the same article is the same thread entry.
            let wanted = normalize_question(&question);
            if let Some(existing) = store.children(parent_article.id)?.into_iter().find(|c| {
                c.normalized_question == wanted
                    && c.merged_into.is_none()
                    && c.visible_to(user.as_ref())
            }) {
                return Ok(Asked {
                    article: existing,
                    reused: true,
                });
            }
        } else if let Some(existing) = store.find_reusable(&question, analysis)? {
            return Ok(Asked {
                article: existing,
                reused: true,
            });
        }
        let asks: Vec<(Audience, Option<&Answer>)> =
            AUDIENCES.iter().map(|&a| (a, parent_answer(a))).collect();
        let answers = composer.compose_all(&prepared, &asks)?;
        let new = NewArticle {
            question: question.clone(),
            analysis: answers[0].analysis.clone(),
            answers,
            parent_id,
        };
        let article = store.create_article(user.as_ref(), new)?;
        Ok(Asked {
            article,
            reused: false,
        })
    })
    .await?;
    state.metrics().answered(asked.reused);
    Ok(asked)
}
