//! Answers: a lead, sections of statements, and numbered references to the sources they quote.
//!
//! A statement cites *references*, one per source, numbered by first use in reading order. The
//! answer keeps one [`Citation`] per quoted passage, carrying its source's reference number, so
//! the reference list ([`Answer::references`]: each source once, its quoted passages under it)
//! and each statement's exact passage are derived from the citations, never stored twice, and
//! [`Answer::verify`] proves both.
//!
//! The JSON form of [`Answer`] is a public, versioned schema (see `docs/answer-schema.md`):
//! fields are only added, never renamed or removed, within a [`ANSWER_SCHEMA_VERSION`]. It adds
//! the derived `references` list to the stored fields, and reading a schema-1 answer (one
//! number per passage) renumbers it by source ([`Answer::renumber`]).

use std::collections::HashMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{Audience, SourceKind};
use crate::review::StatementKey;

mod references;

pub use references::{CitedSource, QuotedPassage};

/// Version of the answer JSON schema. 2: citation numbers are per source (one reference per
/// source, its passages listed under it); 1: one number per passage.
pub const ANSWER_SCHEMA_VERSION: u32 = 2;

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

/// One statement: text taken from a passage of a cited source, with its reference numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub text: String,
    /// Reference numbers (1-based): each names one source, whose quoted passages are the
    /// entries of [`Answer::citations`] with that number. The exact passage a quoted statement
    /// comes from is the first of them that holds its text ([`Answer::references`]).
    pub citations: Vec<u32>,
    /// Plain-language glosses shown beside the text for patients: (term, plain words).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub glosses: Vec<(String, String)>,
    /// Written or reworded by an editor during review, not quoted from the source. It must still
    /// cite a passage, but [`Answer::verify`] does not require its words to occur there; pages
    /// mark it as editor-written.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub editor_written: bool,
    /// Written by the generative composer's model from the passages it cites, not quoted.
    /// [`Answer::verify`] requires such a statement to carry a [`SupportCheck`] that passed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub model_written: bool,
    /// The support check of a statement not quoted word for word (a model's sentence, or an
    /// editor's revision): whether the passages it cites support it, and why not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<SupportCheck>,
}

/// Whether a statement's cited passages support it, as the support checker judged it
/// (`evident_answer::check`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportCheck {
    pub supported: bool,
    /// A short code for why not (`number`, `name`, `negation`, `direction`, `absolute`,
    /// `coverage`, `no_passage`), when unsupported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    /// The reason in words ("5 mg is not in the cited passage").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A model-written sentence that failed the support check: kept for reviewers (shown struck
/// through with its reason), never published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithheldStatement {
    pub text: String,
    /// The passages the sentence cited (ids as indexed); empty when it cited none that exist.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passage_ids: Vec<String>,
    pub check: SupportCheck,
}

/// How a generative answer was written: the model, its speed, what passed the check, and
/// whether the grounded article was served instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct GenerationReport {
    /// The backend and model, as the generator describes itself (no secrets).
    pub model: String,
    /// Sentences the model wrote (with a citation or not).
    pub proposed: u32,
    /// Sentences that passed the check and were published.
    pub published: u32,
    /// Sentences that failed the check, for reviewers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<WithheldStatement>,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_per_second: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_per_second: Option<f64>,
    /// From the start of generation to the first token, and to the first sentence that passed.
    pub first_token_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_sentence_ms: Option<f64>,
    pub elapsed_ms: f64,
    /// When set, the model's article was not served and this says why (the grounded article
    /// is served instead, with this note shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
}

/// A section of the answer article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerSection {
    pub heading: String,
    pub statements: Vec<Statement>,
}

/// One quoted passage and its source. Passages of one source are listed together and share the
/// source's reference number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    /// The reference number of the passage's source.
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
///
/// Its serde forms are written below: the derived ones (`remote = "Self"` makes them inherent
/// functions) plus the derived reference list on output and the schema-1 upgrade on input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
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
    /// The quoted passages, grouped by source in reference order (numbers 1, 1, 2, 3, 3, …).
    pub citations: Vec<Citation>,
    /// For patients: questions to bring to a clinician. Our own prompts, not source statements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions_to_ask: Vec<String>,
    /// Flesch–Kincaid grade of the statements, where measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reading_grade: Option<f32>,
    pub disclaimer: String,
    pub composer: String,
    /// For the generative composer: how the article was written and checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<GenerationReport>,
    #[serde(default)]
    pub took_ms: f64,
}

impl Serialize for Answer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        references::serialize(self, serializer)
    }
}

impl<'de> Deserialize<'de> for Answer {
    /// Reads an answer; a schema-1 answer (a number per passage) is renumbered by source.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut answer = Answer::deserialize(deserializer)?;
        if answer.schema_version < PER_SOURCE_SCHEMA {
            answer.renumber();
            answer.schema_version = PER_SOURCE_SCHEMA;
        }
        Ok(answer)
    }
}

/// The first schema whose citation numbers are per source.
const PER_SOURCE_SCHEMA: u32 = 2;

/// Why an answer failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("statement {statement:?} cites [{number}], which is not in the reference list")]
    UnresolvedCitation { statement: String, number: u32 },
    #[error("statement {statement:?} has no citation")]
    Uncited { statement: String },
    #[error("statement {statement:?} does not occur in the passage(s) it cites")]
    Unsupported { statement: String },
    #[error("model-written statement {statement:?} carries no passed support check")]
    Unchecked { statement: String },
    #[error("citation {number} is numbered out of order")]
    Numbering { number: u32 },
    #[error(
        "statement {statement:?} cites reference [{number}] before [{expected}] is first cited"
    )]
    FirstUse {
        statement: String,
        number: u32,
        expected: u32,
    },
    #[error("reference {number} holds passages of more than one source")]
    MixedSources { number: u32 },
    #[error("source {source_id:?} is split over references {first} and {again}")]
    SplitSource {
        source_id: String,
        first: u32,
        again: u32,
    },
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

    /// Proves the answer is grounded and numbered as its reference list shows it:
    ///
    /// - the citations run in reference order 1..n, each number naming one source and each
    ///   source one number, a source's passages together;
    /// - references are first cited in order: a statement cites \[k\] only once 1..k-1 have
    ///   been cited (references no statement cites come last);
    /// - every statement cites at least one reference, every number resolves, and the
    ///   statement's text occurs (after case and whitespace folding, with bracketed reference
    ///   numbers such as "\[2-4\]" removed from both) in a passage of a reference it cites —
    ///   unless an editor wrote it ([`Statement::editor_written`]), when it need only cite one;
    /// - a statement the model wrote ([`Statement::model_written`]) need not occur word for word,
    ///   but must carry a support check that passed ([`Statement::check`]).
    ///
    /// An abstention has no statements to check beyond its citations' numbering.
    pub fn verify(&self) -> Result<(), Vec<VerifyError>> {
        let mut errors = Vec::new();
        self.verify_numbering(&mut errors);
        let passages = references::normalized_passages(self);
        let mut first_cited = 0;
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
            let needle = references::needle(s);
            let (mut resolved, mut supported) = (false, false);
            for &n in &s.citations {
                let mut quoted = self
                    .citations
                    .iter()
                    .zip(&passages)
                    .filter(|(c, _)| c.number == n)
                    .map(|(_, p)| p)
                    .peekable();
                if n == 0 || quoted.peek().is_none() {
                    errors.push(VerifyError::UnresolvedCitation {
                        statement: s.text.clone(),
                        number: n,
                    });
                    continue;
                }
                resolved = true;
                supported = supported || quoted.any(|p| p.contains(&needle));
                if n > first_cited {
                    if n != first_cited + 1 {
                        errors.push(VerifyError::FirstUse {
                            statement: s.text.clone(),
                            number: n,
                            expected: first_cited + 1,
                        });
                    }
                    first_cited = n;
                }
            }
            if s.model_written && !s.editor_written {
                if !s.check.as_ref().is_some_and(|c| c.supported) {
                    errors.push(VerifyError::Unchecked {
                        statement: s.text.clone(),
                    });
                }
            } else if !s.editor_written && resolved && !supported {
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

    /// Citations numbered 1..n in order, one source per number and one number per source.
    fn verify_numbering(&self, errors: &mut Vec<VerifyError>) {
        let mut number_of: HashMap<&str, u32> = HashMap::new();
        let mut last = 0;
        let mut group_source = "";
        let mut mixed_reported = false;
        for c in &self.citations {
            if last > 0 && c.number == last {
                if c.source_id != group_source && !mixed_reported {
                    errors.push(VerifyError::MixedSources { number: last });
                    mixed_reported = true;
                }
                continue;
            }
            if c.number != last + 1 {
                errors.push(VerifyError::Numbering { number: c.number });
            }
            last = c.number;
            group_source = &c.source_id;
            mixed_reported = false;
            match number_of.get(c.source_id.as_str()) {
                Some(&first) => errors.push(VerifyError::SplitSource {
                    source_id: c.source_id.clone(),
                    first,
                    again: c.number,
                }),
                None => {
                    number_of.insert(&c.source_id, c.number);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// A passage of its own source `s<number>`.
    fn citation(number: u32, passage: &str) -> Citation {
        quoted(number, &format!("s{number}"), passage)
    }

    /// A passage of `source` under reference `number`; its id is unique per text.
    fn quoted(number: u32, source: &str, passage: &str) -> Citation {
        Citation {
            number,
            passage_id: format!("{source}#{}", passage.len()),
            source_id: source.into(),
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
            generation: None,
            took_ms: 0.0,
        }
    }

    fn st(text: &str, citations: Vec<u32>) -> Statement {
        Statement {
            text: text.into(),
            citations,
            glosses: vec![],
            editor_written: false,
            model_written: false,
            check: None,
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
    fn verify_accepts_a_list_quoted_on_one_line_but_not_other_words() {
        let passage = "Drugs\n\n- For adults, offer one of the following:\n\n- Alphamab\n\n- Betaprine\n\n- (Strong For)";
        let whole = "For adults, offer one of the following: Alphamab; Betaprine (Strong For)";
        let a = answer(vec![st(whole, vec![1])], vec![citation(1, passage)]);
        assert_eq!(a.verify(), Ok(()));
        for wrong in [
            "For adults, offer one of the following: Betaprine; Alphamab.",
            "For adults, offer one of the following: Alphamab; Gammazol.",
            "For adults, offer both of the following: Alphamab; Betaprine.",
        ] {
            let a = answer(vec![st(wrong, vec![1])], vec![citation(1, passage)]);
            assert!(a.verify().is_err(), "{wrong}");
        }
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

    /// Two sources: A quoted from two passages, B from one.
    fn two_sources() -> Answer {
        let mut a = answer(
            vec![
                st("Give IVIG.", vec![1]),
                st("Check CK monthly.", vec![2]),
                st("Add methotrexate.", vec![1, 2]),
            ],
            vec![
                quoted(1, "a", "Give IVIG. Repeat it."),
                quoted(1, "a", "Add methotrexate."),
                quoted(2, "b", "Check CK monthly."),
            ],
        );
        a.lead = vec![st("Repeat it.", vec![1])];
        a
    }

    #[test]
    fn verify_accepts_several_passages_of_one_source_under_one_number() {
        assert_eq!(two_sources().verify(), Ok(()));
    }

    #[test]
    fn verify_rejects_split_mixed_and_misordered_references() {
        // The second passage of source a numbered as a reference of its own.
        let mut a = two_sources();
        a.citations[1].number = 2;
        a.citations[2].number = 3;
        assert!(a.verify().unwrap_err().contains(&VerifyError::SplitSource {
            source_id: "a".into(),
            first: 1,
            again: 2
        }));
        // Two sources under one number.
        let mut a = two_sources();
        a.citations[2].number = 1;
        a.sections[0].statements[1].citations = vec![1];
        a.sections[0].statements[2].citations = vec![1];
        assert_eq!(
            a.verify(),
            Err(vec![VerifyError::MixedSources { number: 1 }])
        );
        // A source's passages apart.
        let mut a = two_sources();
        a.citations.swap(1, 2);
        let errors = a.verify().unwrap_err();
        assert!(
            errors.contains(&VerifyError::Numbering { number: 1 }),
            "{errors:?}"
        );
        // Reference 2 cited before reference 1.
        let mut a = two_sources();
        a.lead[0].citations = vec![2, 1];
        a.lead[0].text = "Check CK monthly.".into();
        assert_eq!(
            a.verify(),
            Err(vec![VerifyError::FirstUse {
                statement: "Check CK monthly.".into(),
                number: 2,
                expected: 1
            }])
        );
        // A statement only in another source's passage.
        let mut a = two_sources();
        a.sections[0].statements[1].citations = vec![1];
        assert!(matches!(
            a.verify().unwrap_err()[..],
            [VerifyError::Unsupported { .. }]
        ));
    }

    /// A passage label and the keys of the statements quoting it.
    type Labelled<'a> = (&'a str, Vec<String>);

    #[test]
    fn references_list_each_source_once_with_the_passage_each_statement_quotes() {
        let a = two_sources();
        let refs = a.references();
        let shape: Vec<(u32, &str, Vec<Labelled>)> = refs
            .iter()
            .map(|r| {
                let passages = r
                    .passages
                    .iter()
                    .map(|p| {
                        let keys = p.statements.iter().map(ToString::to_string).collect();
                        (p.label.as_str(), keys)
                    })
                    .collect();
                (r.number, r.source().source_id.as_str(), passages)
            })
            .collect();
        assert_eq!(
            shape,
            [
                (
                    1,
                    "a",
                    vec![
                        ("1a", vec!["lead.0".to_string(), "s0.0".to_string()]),
                        ("1b", vec!["s0.2".to_string()])
                    ]
                ),
                (2, "b", vec![("2a", vec!["s0.1".to_string()])]),
            ]
        );
        assert_eq!(
            refs[0]
                .passage_of(StatementKey::Lead(0))
                .map(|p| p.label.as_str()),
            Some("1a")
        );
        // "Add methotrexate." cites [1, 2] but only reference 1 holds it.
        let key = StatementKey::Section {
            section: 0,
            index: 2,
        };
        assert!(refs[1].passage_of(key).is_none());
        // An editor's words in no passage cite the reference, no passage of it.
        let mut a = two_sources();
        a.sections[0].statements[1].text = "Editor's words.".into();
        a.sections[0].statements[1].editor_written = true;
        assert_eq!(a.verify(), Ok(()));
        assert!(a.references()[1].passages[0].statements.is_empty());
    }

    #[test]
    fn passage_letters_run_past_z() {
        let mut a = answer(vec![], vec![]);
        a.citations = (0..28)
            .map(|i| quoted(1, "a", &"x".repeat(i + 1)))
            .collect();
        let labels: Vec<String> = a.references()[0]
            .passages
            .iter()
            .map(|p| p.label.clone())
            .collect();
        assert_eq!(labels[..3], ["1a", "1b", "1c"]);
        assert_eq!(labels[25..], ["1z", "1aa", "1ab"]);
    }

    #[test]
    fn json_adds_the_reference_list_and_reads_back_the_same_answer() {
        let a = two_sources();
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["schema_version"], 2);
        assert_eq!(json["citations"].as_array().unwrap().len(), 3);
        assert_eq!(json["citations"][1]["number"], 1);
        let refs = json["references"].as_array().unwrap();
        assert_eq!(refs.len(), 2);
        assert_eq!(refs[0]["number"], 1);
        assert_eq!(refs[0]["source_id"], "a");
        assert_eq!(refs[0]["kind"], "guideline");
        assert_eq!(refs[0]["passages"][1]["label"], "1b");
        assert_eq!(
            refs[0]["passages"][1]["passage_id"],
            a.citations[1].passage_id
        );
        assert_eq!(
            refs[0]["passages"][0]["statements"],
            serde_json::json!(["lead.0", "s0.0"])
        );
        assert!(
            refs[0].get("publisher").is_none(),
            "empty fields are left out"
        );
        let back: Answer = serde_json::from_value(json).unwrap();
        assert_eq!(back, a);
    }

    /// A schema-1 answer as the review workflow stored it: one number per passage, two of
    /// them from source a.
    const SCHEMA_1: &str = r#"{
        "schema_version": 1, "id": "a", "question": "q", "audience": "clinician",
        "analysis": {"kind": "treatment", "query": "q"}, "abstained": false, "title": "q",
        "lead": [{"text": "Give IVIG.", "citations": [1]}],
        "sections": [{"heading": "H", "statements": [
            {"text": "Check CK monthly.", "citations": [2]},
            {"text": "Add methotrexate.", "citations": [3]},
            {"text": "An editor's words.", "citations": [3, 1], "editor_written": true}
        ]}],
        "citations": [
            {"number": 1, "passage_id": "a#1", "source_id": "a", "title": "A", "kind": "guideline",
             "kind_label": "Guideline", "passage": "Give IVIG."},
            {"number": 2, "passage_id": "b#1", "source_id": "b", "title": "B", "kind": "guideline",
             "kind_label": "Guideline", "passage": "Check CK monthly."},
            {"number": 3, "passage_id": "a#2", "source_id": "a", "title": "A", "kind": "guideline",
             "kind_label": "Guideline", "passage": "Add methotrexate."}
        ],
        "disclaimer": "", "composer": "grounded"
    }"#;

    #[test]
    fn schema_1_answers_are_renumbered_by_source_when_read() {
        let a: Answer = serde_json::from_str(SCHEMA_1).unwrap();
        assert_eq!(a.schema_version, 2);
        assert_eq!(a.verify(), Ok(()));
        let numbers: Vec<Vec<u32>> = a.statements().map(|s| s.citations.clone()).collect();
        assert_eq!(numbers, [vec![1], vec![2], vec![1], vec![1]]);
        let citations: Vec<(u32, &str)> = a
            .citations
            .iter()
            .map(|c| (c.number, c.passage_id.as_str()))
            .collect();
        assert_eq!(citations, [(1, "a#1"), (1, "a#2"), (2, "b#1")]);
        let refs = a.references();
        assert_eq!(refs.len(), 2);
        let key = StatementKey::Section {
            section: 0,
            index: 1,
        };
        assert_eq!(refs[0].passage_of(key).unwrap().citation.passage_id, "a#2");
        // Read again, a schema-2 answer is left as it is.
        let again: Answer = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(again, a);
    }

    #[test]
    fn renumbering_follows_first_use_and_puts_uncited_sources_last() {
        let mut a = answer(
            vec![
                st("Check CK monthly.", vec![3]),
                st("Give IVIG.", vec![1, 3]),
            ],
            vec![
                citation(1, "Give IVIG."),
                citation(2, "Never cited."),
                citation(3, "Check CK monthly."),
            ],
        );
        a.renumber();
        let numbers: Vec<Vec<u32>> = a.statements().map(|s| s.citations.clone()).collect();
        assert_eq!(numbers, [vec![1], vec![2, 1]]);
        let sources: Vec<(u32, &str)> = a
            .citations
            .iter()
            .map(|c| (c.number, c.source_id.as_str()))
            .collect();
        assert_eq!(sources, [(1, "s3"), (2, "s1"), (3, "s2")]);
        assert_eq!(a.verify(), Ok(()));
        let before = a.clone();
        a.renumber();
        assert_eq!(a, before, "a numbered answer stays as it is");
    }

    proptest::proptest! {
        /// Schema-1 answers of random shape (statements quoting passages of a few sources) read
        /// as verified schema-2 answers with one reference per source, and every statement
        /// still linked to the very passage it quoted.
        #[test]
        fn renumbered_answers_verify_and_keep_each_statement_on_its_passage(
            sources in proptest::collection::vec(0usize..4, 1..8),
            quotes in proptest::collection::vec((0usize..8, proptest::bool::ANY), 0..12),
        ) {
            let citations: Vec<Citation> = sources
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let mut c = quoted(i as u32 + 1, &format!("src{s}"), &format!("Fact {i}."));
                    c.passage_id = format!("src{s}#{i}");
                    c
                })
                .collect();
            let statements: Vec<Statement> = quotes
                .iter()
                .map(|&(p, lead)| {
                    let p = p % sources.len();
                    let mut s = st(&format!("Fact {p}."), vec![p as u32 + 1]);
                    s.glosses = vec![(lead.to_string(), String::new())];
                    s
                })
                .collect();
            let mut v1 = answer(statements, citations);
            v1.schema_version = 1;
            let json = serde_json::to_string(&v1).unwrap();
            let a: Answer = serde_json::from_str(&json).unwrap();
            proptest::prop_assert_eq!(a.verify(), Ok(()));
            let distinct: HashSet<&str> = a.citations.iter().map(|c| c.source_id.as_str()).collect();
            let refs = a.references();
            proptest::prop_assert_eq!(refs.len(), distinct.len());
            for (key, s) in a.keyed_statements() {
                let passage = refs
                    .iter()
                    .find_map(|r| r.passage_of(key))
                    .map(|p| p.citation.passage.as_str());
                proptest::prop_assert_eq!(passage, Some(s.text.as_str()));
            }
        }
    }
}
