//! Answers: a lead, sections of statements, and numbered citations to exact passages.
//!
//! The JSON form of [`Answer`] is a public, versioned schema (see `docs/answer-schema.md`):
//! fields are only added, never renamed or removed, within a [`ANSWER_SCHEMA_VERSION`].

use serde::{Deserialize, Serialize};

use crate::model::{Audience, SourceKind};
use crate::review::StatementKey;
use crate::text::{normalize_for_match, strip_reference_markers};

/// Version of the answer JSON schema.
pub const ANSWER_SCHEMA_VERSION: u32 = 1;

/// What a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    Treatment,
    Diagnosis,
    Screening,
    Prevention,
    Dosing,
    Monitoring,
    Prognosis,
    Causes,
    Symptoms,
    SideEffects,
    Comparison,
    #[default]
    General,
}

impl QuestionKind {
    pub fn label(self) -> &'static str {
        match self {
            QuestionKind::Treatment => "treatment",
            QuestionKind::Diagnosis => "diagnosis",
            QuestionKind::Screening => "screening",
            QuestionKind::Prevention => "prevention",
            QuestionKind::Dosing => "dosing",
            QuestionKind::Monitoring => "monitoring",
            QuestionKind::Prognosis => "prognosis",
            QuestionKind::Causes => "causes",
            QuestionKind::Symptoms => "symptoms",
            QuestionKind::SideEffects => "side effects",
            QuestionKind::Comparison => "comparison",
            QuestionKind::General => "general information",
        }
    }
}

/// A population qualifier found in a question ("in pregnancy", "anti-SRP positive").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Qualifier {
    /// Category: `pregnancy`, `children`, `older_adults`, `renal`, `hepatic`, `subgroup`, `stage`.
    pub kind: String,
    /// The words of the question that named it.
    pub text: String,
}

/// What the question analysis found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct QuestionAnalysis {
    pub kind: QuestionKind,
    /// The condition, drug, test or procedure in focus, as named by the library or lexicon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub qualifiers: Vec<Qualifier>,
    /// The search query built from the question (and, for a follow-up, its parent).
    pub query: String,
    /// For a follow-up: the question it continues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows: Option<String>,
}

/// One statement: text taken from the cited passage(s), with its citation numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub text: String,
    /// Citation numbers (1-based) into [`Answer::citations`].
    pub citations: Vec<u32>,
    /// Plain-language glosses shown beside the text for patients: (term, plain words).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub glosses: Vec<(String, String)>,
    /// Written or reworded by an editor during review, not quoted from the source. It must still
    /// cite a passage, but [`Answer::verify`] does not require its words to occur there; pages
    /// mark it as editor-written.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub editor_written: bool,
}

/// A section of the answer article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerSection {
    pub heading: String,
    pub statements: Vec<Statement>,
}

/// A numbered reference: the source and the exact passage quoted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    pub number: u32,
    pub passage_id: String,
    pub source_id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    pub kind: SourceKind,
    /// "Guideline", "Patient information", …
    pub kind_label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Heading trail of the passage inside its source.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trail: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
    /// The whole supporting passage, exactly as indexed.
    pub passage: String,
}

/// A composed answer article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub schema_version: u32,
    /// Stable id: the same question, audience and library give the same id.
    pub id: String,
    pub question: String,
    pub audience: Audience,
    pub analysis: QuestionAnalysis,
    /// True when the library does not cover the question; `lead` then says so.
    pub abstained: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abstention_reason: Option<String>,
    /// When abstaining: the nearest topics the library does have.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nearest_topics: Vec<String>,
    /// Shown first when the question describes emergency warning signs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgent_notice: Option<String>,
    pub title: String,
    pub lead: Vec<Statement>,
    pub sections: Vec<AnswerSection>,
    pub citations: Vec<Citation>,
    /// For patients: questions to bring to a clinician. Our own prompts, not source statements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions_to_ask: Vec<String>,
    /// Flesch–Kincaid grade of the statements, where measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reading_grade: Option<f32>,
    pub disclaimer: String,
    pub composer: String,
    #[serde(default)]
    pub took_ms: f64,
}

/// Why an answer failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("statement {statement:?} cites [{number}], which is not in the reference list")]
    UnresolvedCitation { statement: String, number: u32 },
    #[error("statement {statement:?} has no citation")]
    Uncited { statement: String },
    #[error("statement {statement:?} does not occur in the passage(s) it cites")]
    Unsupported { statement: String },
    #[error("citation {number} is numbered out of order")]
    Numbering { number: u32 },
}

impl Answer {
    /// Every statement, lead first, in reading order.
    pub fn statements(&self) -> impl Iterator<Item = &Statement> {
        self.lead
            .iter()
            .chain(self.sections.iter().flat_map(|s| s.statements.iter()))
    }

    /// Every statement with its key, lead first, in reading order.
    pub fn keyed_statements(&self) -> impl Iterator<Item = (StatementKey, &Statement)> {
        let lead = self
            .lead
            .iter()
            .enumerate()
            .map(|(i, s)| (StatementKey::Lead(i), s));
        let sections = self.sections.iter().enumerate().flat_map(|(section, s)| {
            s.statements
                .iter()
                .enumerate()
                .map(move |(index, s)| (StatementKey::Section { section, index }, s))
        });
        lead.chain(sections)
    }

    /// The statement at `key`, if this rendering has one there.
    pub fn statement(&self, key: StatementKey) -> Option<&Statement> {
        match key {
            StatementKey::Lead(i) => self.lead.get(i),
            StatementKey::Section { section, index } => {
                self.sections.get(section)?.statements.get(index)
            }
        }
    }

    /// Proves the answer is grounded: every statement cites at least one passage, every
    /// citation number resolves, citations are numbered 1..n, and each statement's text
    /// occurs (after case and whitespace folding, with bracketed reference numbers such as
    /// "[2-4]" removed from both) in one of the passages it cites — unless an editor wrote it
    /// ([`Statement::editor_written`]), when it need only cite a passage.
    /// An abstention has no statements to check beyond its citations' numbering.
    pub fn verify(&self) -> Result<(), Vec<VerifyError>> {
        let mut errors = Vec::new();
        for (i, c) in self.citations.iter().enumerate() {
            if c.number as usize != i + 1 {
                errors.push(VerifyError::Numbering { number: c.number });
            }
        }
        let passages: Vec<String> = self
            .citations
            .iter()
            .map(|c| normalize_for_match(&strip_reference_markers(&c.passage)))
            .collect();
        for s in self.statements() {
            if self.abstained && s.citations.is_empty() {
                continue; // the abstention notice is ours, not a claim from a source
            }
            if s.citations.is_empty() {
                errors.push(VerifyError::Uncited {
                    statement: s.text.clone(),
                });
                continue;
            }
            let mut resolved = Vec::new();
            for &n in &s.citations {
                match passages.get((n as usize).wrapping_sub(1)) {
                    Some(p) if n > 0 => resolved.push(p),
                    _ => errors.push(VerifyError::UnresolvedCitation {
                        statement: s.text.clone(),
                        number: n,
                    }),
                }
            }
            let needle = normalize_for_match(&strip_reference_markers(&s.text));
            if !s.editor_written
                && !resolved.is_empty()
                && !resolved.iter().any(|p| p.contains(&needle))
            {
                errors.push(VerifyError::Unsupported {
                    statement: s.text.clone(),
                });
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn citation(number: u32, passage: &str) -> Citation {
        Citation {
            number,
            passage_id: format!("s#{number}"),
            source_id: "s".into(),
            title: "S".into(),
            publisher: None,
            year: None,
            kind: SourceKind::Guideline,
            kind_label: "Guideline".into(),
            url: None,
            trail: vec![],
            grade: None,
            passage: passage.into(),
        }
    }

    fn answer(statements: Vec<Statement>, citations: Vec<Citation>) -> Answer {
        Answer {
            schema_version: ANSWER_SCHEMA_VERSION,
            id: "a".into(),
            question: "q".into(),
            audience: Audience::Clinician,
            analysis: QuestionAnalysis::default(),
            abstained: false,
            abstention_reason: None,
            nearest_topics: vec![],
            urgent_notice: None,
            title: "q".into(),
            lead: vec![],
            sections: vec![AnswerSection {
                heading: "H".into(),
                statements,
            }],
            citations,
            questions_to_ask: vec![],
            reading_grade: None,
            disclaimer: String::new(),
            composer: "grounded".into(),
            took_ms: 0.0,
        }
    }

    fn st(text: &str, citations: Vec<u32>) -> Statement {
        Statement {
            text: text.into(),
            citations,
            glosses: vec![],
            editor_written: false,
        }
    }

    #[test]
    fn verify_accepts_quoted_text_with_different_spacing_and_case() {
        let a = answer(
            vec![st("give  IVIG 2 g/kg", vec![1])],
            vec![citation(1, "Clinicians give IVIG 2 g/kg monthly.")],
        );
        assert_eq!(a.verify(), Ok(()));
    }

    #[test]
    fn statements_are_keyed_in_reading_order() {
        let mut a = answer(
            vec![st("one", vec![1]), st("two", vec![1])],
            vec![citation(1, "one two")],
        );
        a.lead = vec![st("lead", vec![1])];
        let keys: Vec<(String, &str)> = a
            .keyed_statements()
            .map(|(k, s)| (k.to_string(), s.text.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                ("lead.0".to_string(), "lead"),
                ("s0.0".to_string(), "one"),
                ("s0.1".to_string(), "two")
            ]
        );
        for (key, s) in a.keyed_statements() {
            assert_eq!(a.statement(key), Some(s));
        }
        assert_eq!(a.statement(StatementKey::Lead(1)), None);
        assert_eq!(
            a.statement(StatementKey::Section {
                section: 1,
                index: 0
            }),
            None
        );
    }

    #[test]
    fn verify_rejects_unsupported_uncited_and_dangling() {
        let a = answer(
            vec![
                st("give rituximab", vec![1]),
                st("no citation", vec![]),
                st("dangling", vec![2]),
            ],
            vec![citation(1, "Clinicians give IVIG.")],
        );
        let errors = a.verify().unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(matches!(errors[0], VerifyError::Unsupported { .. }));
        assert!(matches!(errors[1], VerifyError::Uncited { .. }));
        assert!(matches!(
            errors[2],
            VerifyError::UnresolvedCitation { number: 2, .. }
        ));
    }
}
