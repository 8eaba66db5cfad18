//! Measuring the detector on a set of questions marked as emergencies or look-alikes
//! (`eval/urgent.jsonl`, JSON Lines; the fields are described in `eval/README.md`).
//!
//! The set is read and checked here, and the figures computed here, so that `evident eval
//! urgent` and the test that holds the detector to the set count the same way.

use std::collections::BTreeMap;

use evident_core::Audience;
use serde::{Deserialize, Serialize};

/// One question of the set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrgentQuestion {
    /// Unique within the set.
    pub id: String,
    pub question: String,
    pub audience: Audience,
    /// Whether the question describes an emergency that must get the notice.
    pub urgent: bool,
    /// The red-flag group the question belongs to ("stroke", "sepsis", …), for emergencies
    /// and look-alikes alike.
    pub sign: String,
    /// Why it is or is not an emergency; for the reader, not used.
    #[serde(default)]
    pub note: String,
}

/// Why a set was refused; `line` is 1-based.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    #[error("line {line}: not a question of the urgent set (fields: id, question, audience, urgent, sign, note)")]
    Json {
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("line {line}: question {id:?} has no text, id or sign")]
    Blank { line: usize, id: String },
    #[error("line {line}: id {id:?} is already used on line {first}")]
    DuplicateId {
        line: usize,
        id: String,
        first: usize,
    },
    #[error("the set holds no questions")]
    Empty,
}

/// Reads a set: one question per non-blank line, every field present, ids unique.
pub fn parse_set(text: &str) -> Result<Vec<UrgentQuestion>, SetError> {
    let mut out: Vec<(usize, UrgentQuestion)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let q: UrgentQuestion =
            serde_json::from_str(raw).map_err(|source| SetError::Json { line, source })?;
        if [&q.id, &q.question, &q.sign]
            .iter()
            .any(|s| s.trim().is_empty())
        {
            return Err(SetError::Blank { line, id: q.id });
        }
        if let Some((first, _)) = out.iter().find(|(_, p)| p.id == q.id) {
            return Err(SetError::DuplicateId {
                line,
                id: q.id,
                first: *first,
            });
        }
        out.push((line, q));
    }
    if out.is_empty() {
        return Err(SetError::Empty);
    }
    Ok(out.into_iter().map(|(_, q)| q).collect())
}

/// What the detector said about one question.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub id: String,
    pub sign: String,
    pub audience: Audience,
    pub urgent: bool,
    /// The notice would be shown.
    pub flagged: bool,
    /// The signs it would name.
    pub signs_found: Vec<&'static str>,
}

impl Verdict {
    /// An emergency without a notice.
    pub fn is_miss(&self) -> bool {
        self.urgent && !self.flagged
    }

    /// A look-alike with a notice.
    pub fn is_false_alarm(&self) -> bool {
        !self.urgent && self.flagged
    }
}

/// Flagged out of total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Count {
    pub flagged: usize,
    pub total: usize,
}

impl Count {
    fn add(&mut self, flagged: bool) {
        self.total += 1;
        self.flagged += usize::from(flagged);
    }
}

/// Figures for a whole set.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Emergencies flagged, of all emergencies.
    pub emergencies: Count,
    /// Look-alikes flagged (false alarms), of all look-alikes.
    pub look_alikes: Count,
    /// Per `sign` group: emergencies flagged and look-alikes flagged.
    pub by_sign: BTreeMap<String, (Count, Count)>,
    pub verdicts: Vec<Verdict>,
}

impl Report {
    pub fn misses(&self) -> impl Iterator<Item = &Verdict> {
        self.verdicts.iter().filter(|v| v.is_miss())
    }

    pub fn false_alarms(&self) -> impl Iterator<Item = &Verdict> {
        self.verdicts.iter().filter(|v| v.is_false_alarm())
    }
}

/// Runs the detector on each question of `set`, for its audience.
pub fn measure(set: &[UrgentQuestion]) -> Report {
    let mut report = Report {
        emergencies: Count::default(),
        look_alikes: Count::default(),
        by_sign: BTreeMap::new(),
        verdicts: Vec::with_capacity(set.len()),
    };
    for q in set {
        let signs_found = super::warning_signs(&q.question, q.audience);
        let flagged = !signs_found.is_empty();
        let group = report.by_sign.entry(q.sign.clone()).or_default();
        if q.urgent {
            report.emergencies.add(flagged);
            group.0.add(flagged);
        } else {
            report.look_alikes.add(flagged);
            group.1.add(flagged);
        }
        report.verdicts.push(Verdict {
            id: q.id.clone(),
            sign: q.sign.clone(),
            audience: q.audience,
            urgent: q.urgent,
            flagged,
            signs_found,
        });
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"id":"a","question":"I can't breathe","audience":"patient","urgent":true,"sign":"asthma","note":"now"}

{"id":"b","question":"What is asthma?","audience":"clinician","urgent":false,"sign":"asthma"}
"#;

    #[test]
    fn a_set_is_read_and_measured() {
        let set = parse_set(GOOD).unwrap();
        let report = measure(&set);
        assert_eq!(
            report.emergencies,
            Count {
                flagged: 1,
                total: 1
            }
        );
        assert_eq!(
            report.look_alikes,
            Count {
                flagged: 0,
                total: 1
            }
        );
        assert_eq!(report.by_sign["asthma"].0.flagged, 1);
        assert_eq!(report.misses().count(), 0);
        assert_eq!(report.false_alarms().count(), 0);
        assert_eq!(report.verdicts[0].signs_found, ["trouble breathing"]);
    }

    #[test]
    fn a_broken_set_names_the_line() {
        let cases = [
            (
                GOOD.replace(r#","urgent":false"#, ""),
                "line 3: not a question",
            ),
            (
                GOOD.replace(r#""id":"b""#, r#""id":"a""#),
                "line 3: id \"a\" is already used on line 1",
            ),
            (
                GOOD.replace("What is asthma?", " "),
                "line 3: question \"b\" has no text",
            ),
            (
                GOOD.replace("\"note\":\"now\"", "\"notes\":\"now\""),
                "line 1: not a question",
            ),
            ("\n \n".to_string(), "no questions"),
        ];
        for (text, want) in cases {
            let e = parse_set(&text).unwrap_err().to_string();
            assert!(e.contains(want), "{e}\n{want}");
        }
    }
}
