//! Asking: reuse an existing article when one answers the question, else compose the answer for
//! every audience and store it as a new article. Shared by the ask form and the JSON API.
//!
//! The question is analysed once: the same analysis decides reuse and is composed for every
//! audience ([`Composer::prepare`], then [`Composer::compose_all`]). Retrieval ranks once too:
//! `serve` turns on the library's ranking cache, which keeps the ranking before the audience
//! priors, so the three audiences' searches share it.
//!
//! With a generator configured ([`crate::AppConfig::generator`]), each audience's grounded
//! answer is then rewritten by the model ([`compose_generative`]): every sentence is checked
//! against the passages it cites, only those that pass are published, and the stored article
//! records the composer, the model and each sentence's check (the grounded answer, with a note,
//! when the model fails or too few sentences pass). The clinician article is written first,
//! and its sentences are reported as they pass ([`Progress`]), for the ask form's streamed page.

use evident_answer::generative::compose_generative;
use evident_answer::Composer;
use evident_core::{Answer, Audience, Statement};
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
    /// For a new article written with the model: why the clinician's model-written article
    /// could not be used (the grounded one was stored instead), when it could not.
    pub fallback: Option<String>,
}

/// What asking reports while it works, to a page that shows it as it happens.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// No existing article answers the question: a new one is being composed.
    Composing,
    /// A sentence the model wrote for the clinician article passed the support check.
    Published {
        text: String,
        /// The titles of the sources it cites.
        sources: Vec<String>,
    },
}

/// Where [`ask_with_progress`] sends its [`Progress`].
pub type ProgressSender = tokio::sync::mpsc::UnboundedSender<Progress>;

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
    ask_with_progress(state, user, question, parent_id, None).await
}

/// [`ask`], reporting to `progress` when composing starts and each clinician sentence the
/// model wrote as it passes the check. The sender is dropped when the work is done (stored or
/// failed), which closes the channel.
pub async fn ask_with_progress(
    state: &AppState,
    user: Option<User>,
    question: String,
    parent_id: Option<i64>,
    progress: Option<ProgressSender>,
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
    let generator = state.config().generator.clone();
    let options = state.config().generative.clone();
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
                    fallback: None,
                });
            }
        } else if let Some(existing) = store.find_reusable(&question, analysis)? {
            return Ok(Asked {
                article: existing,
                reused: true,
                fallback: None,
            });
        }
        if let Some(tx) = &progress {
            let _ = tx.send(Progress::Composing);
        }
        let asks: Vec<(Audience, Option<&Answer>)> =
            AUDIENCES.iter().map(|&a| (a, parent_answer(a))).collect();
        let mut answers = composer.compose_all(&prepared, &asks)?;
        if let Some(generator) = &generator {
            write_with_model(
                &mut answers,
                generator.as_ref(),
                &options,
                progress.as_ref(),
            );
        }
        let fallback = answers
            .first()
            .and_then(|a| a.generation.as_ref())
            .and_then(|g| g.fallback.clone());
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
            fallback,
        })
    })
    .await?;
    state.metrics().answered(asked.reused);
    Ok(asked)
}

/// Rewrites each grounded answer with the model: the first (the clinician's) with its
/// sentences sent to `progress` as they pass, then the others side by side (a server backend
/// answers them at once; an embedded one takes them in turn behind its own limit).
fn write_with_model(
    answers: &mut [Answer],
    generator: &dyn evident_generate::Generator,
    options: &evident_answer::generative::GenerativeOptions,
    progress: Option<&ProgressSender>,
) {
    let Some((first, rest)) = answers.split_first_mut() else {
        return;
    };
    let grounded = first.clone();
    let mut report = |s: &Statement| {
        if let Some(tx) = progress {
            let _ = tx.send(Progress::Published {
                text: s.text.clone(),
                sources: source_titles(&grounded, &s.citations),
            });
        }
    };
    *first = compose_generative(&grounded, generator, options, &mut report);
    log_generation(first);
    std::thread::scope(|scope| {
        for answer in rest.iter_mut() {
            scope.spawn(move || {
                *answer = compose_generative(answer, generator, options, &mut |_| {});
                log_generation(answer);
            });
        }
    });
}

/// The titles of the sources `numbers` name in `answer`, each once, in that order.
fn source_titles(answer: &Answer, numbers: &[u32]) -> Vec<String> {
    let mut titles: Vec<String> = Vec::new();
    for n in numbers {
        if let Some(c) = answer.citations.iter().find(|c| c.number == *n) {
            if !titles.contains(&c.title) {
                titles.push(c.title.clone());
            }
        }
    }
    titles
}

/// One log line per generated answer: the model, what passed, the speed, and any fallback.
fn log_generation(answer: &Answer) {
    let Some(g) = &answer.generation else {
        return;
    };
    tracing::info!(
        audience = answer.audience.label(),
        model = %g.model,
        proposed = g.proposed,
        published = g.published,
        withheld = g.withheld.len(),
        first_sentence_ms = g.first_sentence_ms.map(|ms| ms.round()),
        elapsed_ms = g.elapsed_ms.round(),
        fallback = g.fallback.as_deref().unwrap_or(""),
        "generated"
    );
}
