//! An editor's revision of one rendering of an answer: new wording and citation numbers per
//! statement, applied by one pure function that also proves the result is still grounded.
//!
//! The web form and the store only carry [`Edits`]; the rules live here: a changed wording
//! marks the statement editor-written (and drops its glosses, which explained the old words),
//! cleared wording removes the statement (and a section left empty), every statement keeps at
//! least one citation that resolves (a reference number, as the reference list shows it), the
//! references are renumbered by first use, and the revised answer must pass [`Answer::verify`].

use std::collections::BTreeMap;

use crate::answer::{Answer, Statement, VerifyError};
use crate::review::StatementKey;

/// What an editor typed for one statement; `None` leaves that part as it was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementEdit {
    /// The new wording. Blank (after trimming) removes the statement.
    pub text: Option<String>,
    /// The citation numbers as typed, separated by commas or spaces ("1, 3").
    pub citations: Option<String>,
}

/// The edits of one revision, by statement.
pub type Edits = BTreeMap<StatementKey, StatementEdit>;

/// Why a revision was refused. The messages are shown to the editor as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("statement {key}: {part:?} is not a citation number")]
    NotACitation { key: StatementKey, part: String },
    #[error("statement {key} cites [{number}], but the reference list has {entries} entries")]
    NoSuchCitation {
        key: StatementKey,
        number: u32,
        entries: u32,
    },
    #[error("statement {key} must still cite at least one passage")]
    Uncited { key: StatementKey },
    #[error("nothing was changed")]
    Unchanged,
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Unverified(Vec<VerifyError>),
}

/// `answer` with `edits` applied, or why the revision cannot be saved. Edits of keys the answer
/// lacks change nothing (a blank wording for one still counts as a change, as the form meant a
/// removal). Errors come in reading order, the first one wins.
pub fn apply_edits(answer: &Answer, edits: &Edits) -> Result<Answer, EditError> {
    let mut revised = answer.clone();
    let entries = revised
        .citations
        .iter()
        .map(|c| c.number)
        .max()
        .unwrap_or(0);
    let mut changed = false;
    let mut keep = |key: StatementKey, s: &mut Statement| -> Result<bool, EditError> {
        let Some(edit) = edits.get(&key) else {
            return Ok(true);
        };
        if let Some(text) = &edit.text {
            let text = text.trim();
            if text.is_empty() {
                return Ok(false);
            }
            if !same_words(text, &s.text) {
                s.text = text.to_string();
                s.editor_written = true;
                s.glosses.clear();
                s.check = None; // checked again against the passages it now cites
                changed = true;
            }
        }
        if let Some(cites) = &edit.citations {
            let numbers = citation_numbers(key, cites, entries)?;
            if numbers != s.citations {
                s.citations = numbers;
                s.check = None;
                // A model's sentence moved to other passages is the editor's claim now: it is
                // checked again as one (`check_edited`), not left unchecked.
                if s.model_written {
                    s.editor_written = true;
                }
                changed = true;
            }
        }
        Ok(true)
    };
    let mut lead = Vec::new();
    for (i, mut s) in std::mem::take(&mut revised.lead).into_iter().enumerate() {
        if keep(StatementKey::Lead(i), &mut s)? {
            lead.push(s);
        }
    }
    revised.lead = lead;
    for (section, part) in revised.sections.iter_mut().enumerate() {
        let mut kept = Vec::new();
        for (index, mut s) in std::mem::take(&mut part.statements).into_iter().enumerate() {
            if keep(StatementKey::Section { section, index }, &mut s)? {
                kept.push(s);
            }
        }
        part.statements = kept;
    }
    revised.sections.retain(|s| !s.statements.is_empty());
    let removed = edits
        .values()
        .any(|e| e.text.as_deref().is_some_and(|t| t.trim().is_empty()));
    if !changed && !removed {
        return Err(EditError::Unchanged);
    }
    // A re-cited or removed statement can change which reference is first cited.
    revised.renumber();
    revised.verify().map_err(EditError::Unverified)?;
    Ok(revised)
}

/// The typed citation numbers of `key`: each in 1..=`entries`, duplicates dropped, at least one.
fn citation_numbers(key: StatementKey, typed: &str, entries: u32) -> Result<Vec<u32>, EditError> {
    let mut numbers = Vec::new();
    for part in typed.split([',', ' ']).filter(|p| !p.trim().is_empty()) {
        let number: u32 = part.trim().parse().map_err(|_| EditError::NotACitation {
            key,
            part: part.to_string(),
        })?;
        if number == 0 || number > entries {
            return Err(EditError::NoSuchCitation {
                key,
                number,
                entries,
            });
        }
        if !numbers.contains(&number) {
            numbers.push(number);
        }
    }
    if numbers.is_empty() {
        return Err(EditError::Uncited { key });
    }
    Ok(numbers)
}

/// The same words once runs of whitespace and control characters count as one space: an
/// editor re-wrapping a line has not reworded it.
fn same_words(a: &str, b: &str) -> bool {
    fn words(s: &str) -> impl Iterator<Item = &str> {
        s.split(|c: char| c.is_whitespace() || c.is_control())
            .filter(|w| !w.is_empty())
    }
    words(a).eq(words(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::{AnswerSection, Citation, QuestionAnalysis, ANSWER_SCHEMA_VERSION};
    use crate::model::{Audience, SourceKind};

    fn citation(number: u32, passage: &str) -> Citation {
        Citation {
            number,
            passage_id: format!("p{number}#1"),
            source_id: format!("p{number}"),
            title: "P".into(),
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

    fn st(text: &str, citations: Vec<u32>) -> Statement {
        Statement {
            text: text.into(),
            citations,
            glosses: vec![("IVIG".into(), "antibodies from donors".into())],
            editor_written: false,
            model_written: false,
            check: None,
        }
    }

    /// A lead of one statement and two sections: s0 with two statements, s1 with one.
    fn answer() -> Answer {
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
            lead: vec![st("Give IVIG 2 g/kg.", vec![1])],
            sections: vec![
                AnswerSection {
                    heading: "Treatment".into(),
                    statements: vec![
                        st("Give IVIG 2 g/kg.", vec![1]),
                        st("Add methotrexate.", vec![2]),
                    ],
                },
                AnswerSection {
                    heading: "Monitoring".into(),
                    statements: vec![st("Check CK monthly.", vec![2])],
                },
            ],
            citations: vec![
                citation(1, "Give IVIG 2 g/kg. Repeat monthly."),
                citation(2, "Add methotrexate. Check CK monthly."),
            ],
            questions_to_ask: vec![],
            reading_grade: None,
            disclaimer: String::new(),
            composer: "grounded".into(),
            generation: None,
            took_ms: 0.0,
        }
    }

    fn edits(fields: &[(&str, Option<&str>, Option<&str>)]) -> Edits {
        fields
            .iter()
            .map(|&(key, text, citations)| {
                let edit = StatementEdit {
                    text: text.map(str::to_string),
                    citations: citations.map(str::to_string),
                };
                (key.parse().unwrap(), edit)
            })
            .collect()
    }

    #[test]
    fn rewording_marks_editor_written_and_keeps_the_rest() {
        let before = answer();
        let after = apply_edits(
            &before,
            &edits(&[(
                "lead.0",
                Some("  Start IVIG, says the editor. "),
                Some("1, 2 2"),
            )]),
        )
        .unwrap();
        let lead = &after.lead[0];
        assert_eq!(lead.text, "Start IVIG, says the editor.");
        assert!(lead.editor_written);
        assert!(lead.glosses.is_empty(), "glosses explained the old words");
        assert_eq!(lead.citations, [1, 2]);
        assert_eq!(after.sections, before.sections);
        assert_eq!(
            before.lead[0].text, "Give IVIG 2 g/kg.",
            "the input is untouched"
        );
    }

    #[test]
    fn rewrapping_is_not_rewording() {
        let e = edits(&[("s0.1", Some("Add\n  methotrexate.\t"), Some("2"))]);
        assert_eq!(apply_edits(&answer(), &e), Err(EditError::Unchanged));
        assert_eq!(
            apply_edits(&answer(), &Edits::new()),
            Err(EditError::Unchanged)
        );
        // Only the citations changed: still quoted, not editor-written.
        let e = edits(&[("s0.1", Some("Add methotrexate."), Some("2, 1"))]);
        let after = apply_edits(&answer(), &e).unwrap();
        assert!(!after.sections[0].statements[1].editor_written);
        assert_eq!(after.sections[0].statements[1].citations, [2, 1]);
    }

    #[test]
    fn clearing_removes_statements_and_empty_sections() {
        let e = edits(&[("s1.0", Some("  "), None), ("s0.0", Some(""), Some("x"))]);
        let after = apply_edits(&answer(), &e).unwrap();
        assert_eq!(after.sections.len(), 1);
        assert_eq!(after.sections[0].statements.len(), 1);
        assert_eq!(after.sections[0].statements[0].text, "Add methotrexate.");
        // Reference 2 is the first cited now: it is renumbered 1, the uncited one comes last.
        let e = edits(&[("lead.0", Some(""), None), ("s0.0", Some(""), None)]);
        let after = apply_edits(&answer(), &e).unwrap();
        let numbers = |a: &Answer| {
            a.statements()
                .map(|s| s.citations.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(numbers(&after), [vec![1], vec![1]]);
        let sources: Vec<(u32, &str)> = after
            .citations
            .iter()
            .map(|c| (c.number, c.source_id.as_str()))
            .collect();
        assert_eq!(sources, [(1, "p2"), (2, "p1")]);
    }

    #[test]
    fn citations_must_resolve_and_remain() {
        let cases: [(&str, EditError); 4] = [
            (
                "",
                EditError::Uncited {
                    key: StatementKey::Lead(0),
                },
            ),
            (
                " , ",
                EditError::Uncited {
                    key: StatementKey::Lead(0),
                },
            ),
            (
                "1, x2",
                EditError::NotACitation {
                    key: StatementKey::Lead(0),
                    part: "x2".into(),
                },
            ),
            (
                "3",
                EditError::NoSuchCitation {
                    key: StatementKey::Lead(0),
                    number: 3,
                    entries: 2,
                },
            ),
        ];
        for (typed, expected) in cases {
            let e = edits(&[("lead.0", Some("Reworded."), Some(typed))]);
            assert_eq!(apply_edits(&answer(), &e), Err(expected), "{typed:?}");
        }
        let e = edits(&[("lead.0", None, Some("0"))]);
        assert_eq!(
            apply_edits(&answer(), &e).unwrap_err().to_string(),
            "statement lead.0 cites [0], but the reference list has 2 entries"
        );
        let e = edits(&[("s1.0", None, Some(""))]);
        assert_eq!(
            apply_edits(&answer(), &e).unwrap_err().to_string(),
            "statement s1.0 must still cite at least one passage"
        );
    }

    #[test]
    fn the_first_error_in_reading_order_wins() {
        let e = edits(&[("s1.0", None, Some("9")), ("lead.0", None, Some("nope"))]);
        assert_eq!(
            apply_edits(&answer(), &e).unwrap_err().to_string(),
            "statement lead.0: \"nope\" is not a citation number"
        );
    }

    #[test]
    fn a_quoted_statement_moved_to_a_passage_without_it_fails_verification() {
        let e = edits(&[("s1.0", None, Some("1"))]);
        let err = apply_edits(&answer(), &e).unwrap_err();
        assert!(
            matches!(err, EditError::Unverified(ref v) if v.len() == 1),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "statement \"Check CK monthly.\" does not occur in the passage(s) it cites"
        );
    }

    #[test]
    fn edits_of_missing_statements_change_nothing() {
        let e = edits(&[("s7.0", Some("New."), Some("1"))]);
        assert_eq!(apply_edits(&answer(), &e), Err(EditError::Unchanged));
    }
}
