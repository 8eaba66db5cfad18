//! Question reuse: is there already an article that answers this question?
//!
//! Two questions match when their normalised forms are equal, or when they share focus and
//! kind and their content words overlap enough (Jaccard ≥ [`MIN_SIMILARITY`]) — "treatment of
//! gout" and "how is gout treated" differ in words but not in what they ask only when the
//! analysis says so, which is why focus and kind must agree first.
//!
//! Words and stopwords are the workspace's ([`evident_core::text::fold_words`],
//! [`StopList::Reuse`]).

use std::collections::BTreeSet;

use evident_core::text::{fold_words, StopList};
use evident_core::QuestionAnalysis;

use crate::articles::reuse_candidates;
use crate::db::Db;
use crate::{normalize_question, Article, Result};

/// Content-word overlap needed when the normalised questions differ.
pub const MIN_SIMILARITY: f64 = 0.6;

/// The content words of a question: normalised, stopwords dropped, a plural `s` trimmed so
/// "statins" meets "statin".
pub fn content_words(question: &str) -> BTreeSet<String> {
    fold_words(question)
        .split(' ')
        .filter(|w| !w.is_empty() && !StopList::Reuse.contains(w))
        .map(|w| {
            if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
                w[..w.len() - 1].to_string()
            } else {
                w.to_string()
            }
        })
        .collect()
}

/// Jaccard similarity of the content words of two questions (0 when both have none).
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (content_words(a), content_words(b));
    let union = a.union(&b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / union as f64
}

pub(crate) fn find_reusable(
    db: &Db,
    question: &str,
    analysis: &QuestionAnalysis,
) -> Result<Option<Article>> {
    let normalized = normalize_question(question);
    let candidates = reuse_candidates(db, &normalized, analysis.focus.as_deref(), analysis.kind)?;
    let best = candidates
        .into_iter()
        .filter_map(|article| {
            let score = if article.normalized_question == normalized {
                1.0
            } else {
                similarity(question, &article.question)
            };
            (score >= MIN_SIMILARITY).then_some((article, score))
        })
        // Approved (published) first, then the closer question, then the newer article.
        .max_by(|(a, sa), (b, sb)| {
            (a.published_version.is_some())
                .cmp(&b.published_version.is_some())
                .then(sa.total_cmp(sb))
                .then(a.id.cmp(&b.id))
        });
    Ok(best.map(|(article, _)| article))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_questions_share_content_words() {
        assert!(similarity("What is the treatment for gout?", "treatment of gout") >= 1.0);
        assert!(similarity("Do statins cause muscle pain?", "statin muscle pain") >= 0.6);
        assert!(similarity("gout treatment", "gout diet") < 0.6);
        assert_eq!(similarity("what is", "how"), 0.0);
    }

    /// Reuse keys are persisted (`articles.normalized_question`): these were computed with the
    /// code before the shared tokenizer, and must never change.
    #[test]
    fn reuse_keys_and_content_words_are_stable() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "What is the treatment for NAM?",
                "what is the treatment for nam",
                &["nam", "treatment"],
            ),
            (
                "  How is GOUT treated?? (in adults)  ",
                "how is gout treated in adults",
                &["adult", "gout", "treated"],
            ),
            (
                "Do statins cause muscle pain, e.g. myalgia/myositis?",
                "do statins cause muscle pain e g myalgia myositis",
                &[
                    "cause", "e", "g", "muscle", "myalgia", "myositi", "pain", "statin",
                ],
            ),
            (
                "What's the dose of IVIG — 2 g/kg?",
                "what s the dose of ivig 2 g kg",
                &["2", "dose", "g", "ivig", "kg", "s"],
            ),
            (
                "Crohn's disease: first-line therapy",
                "crohn s disease first line therapy",
                &["crohn", "disease", "first", "line", "s", "therapy"],
            ),
            (
                "Sjögren syndrome vs. İstanbul ΟΔΟΣ ß",
                "sjögren syndrome vs i stanbul οδος ß",
                &["sjögren", "stanbul", "syndrome", "vs", "ß", "οδος"],
            ),
            ("", "", &[]),
            (
                "¿Qué es la diabetes? 糖尿病とは",
                "qué es la diabetes 糖尿病とは",
                &["diabete", "es", "la", "qué", "糖尿病とは"],
            ),
        ];
        for &(question, key, words) in cases {
            assert_eq!(normalize_question(question), key, "{question:?}");
            assert_eq!(fold_words(question), key, "{question:?}");
            let words: BTreeSet<String> = words.iter().map(|w| w.to_string()).collect();
            assert_eq!(content_words(question), words, "{question:?}");
        }
    }
}
