//! The reference list of an answer, derived from its citations: each cited source once, its
//! quoted passages under it (labelled "2a", "2b", …), each passage with the statements quoting
//! it; renumbering by source; and the JSON form, which adds the list to the stored fields.

use std::collections::{HashMap, HashSet};

use serde::{Serialize, Serializer};

use super::{Answer, Citation, Statement};
use crate::model::SourceKind;
use crate::review::StatementKey;
use crate::text::{normalize_for_match, strip_reference_markers};

/// One entry of the reference list: a source, and the passages of it the answer quotes.
#[derive(Debug, Clone, PartialEq)]
pub struct CitedSource<'a> {
    /// The reference number statements cite.
    pub number: u32,
    /// The quoted passages in the order of [`Answer::citations`]; never empty.
    pub passages: Vec<QuotedPassage<'a>>,
}

impl<'a> CitedSource<'a> {
    /// The source's details (id, title, publisher, year, kind, link), as its first passage
    /// carries them.
    pub fn source(&self) -> &'a Citation {
        self.passages[0].citation
    }

    /// The passage of this source that statement `key` quotes, if it quotes one.
    pub fn passage_of(&self, key: StatementKey) -> Option<&QuotedPassage<'a>> {
        self.passages.iter().find(|p| p.statements.contains(&key))
    }
}

/// A quoted passage of a [`CitedSource`].
#[derive(Debug, Clone, PartialEq)]
pub struct QuotedPassage<'a> {
    /// The reference number and the passage's letter within it: "2a", "2b", …, "2z", "2aa".
    pub label: String,
    pub citation: &'a Citation,
    /// The statements quoting this passage, in reading order.
    pub statements: Vec<StatementKey>,
}

impl Answer {
    /// The reference list: one entry per reference number, in the order of the citations, each
    /// with its passages and the statements quoting each. A statement quotes the first passage
    /// of a reference it cites that holds its text, matched as [`Answer::verify`] matches it; an
    /// editor-written statement whose words are in no passage cites its references only.
    pub fn references(&self) -> Vec<CitedSource<'_>> {
        let mut refs: Vec<CitedSource<'_>> = Vec::new();
        let mut texts: Vec<Vec<String>> = Vec::new();
        let mut at: HashMap<u32, usize> = HashMap::new();
        for c in &self.citations {
            let i = *at.entry(c.number).or_insert_with(|| {
                refs.push(CitedSource {
                    number: c.number,
                    passages: Vec::new(),
                });
                texts.push(Vec::new());
                refs.len() - 1
            });
            let passages = &mut refs[i].passages;
            passages.push(QuotedPassage {
                label: format!("{}{}", c.number, letters(passages.len())),
                citation: c,
                statements: Vec::new(),
            });
            texts[i].push(normalized(&c.passage));
        }
        for (key, s) in self.keyed_statements() {
            let needle = needle(s);
            for (k, n) in s.citations.iter().enumerate() {
                let Some(&i) = at.get(n) else { continue };
                if s.citations[..k].contains(n) {
                    continue;
                }
                if let Some(j) = texts[i].iter().position(|t| t.contains(&needle)) {
                    refs[i].passages[j].statements.push(key);
                }
            }
        }
        refs
    }

    /// Numbers the references 1..n by first use in reading order, one per source (sources no
    /// statement cites come last, in citation order), lists each source's passages together in
    /// their order (each passage once), and rewrites the statements' numbers to match. A number
    /// that names no citation becomes 0, which [`Answer::verify`] reports. Reading a schema-1
    /// answer (a number per passage) does this, and so does an editor's revision.
    pub fn renumber(&mut self) {
        let mut source_of: HashMap<u32, String> = HashMap::new();
        for c in &self.citations {
            source_of
                .entry(c.number)
                .or_insert_with(|| c.source_id.clone());
        }
        let mut number_of: HashMap<String, u32> = HashMap::new();
        let mut assign = |source: &str| {
            let next = number_of.len() as u32 + 1;
            number_of.entry(source.to_string()).or_insert(next);
        };
        for s in self.statements() {
            for n in &s.citations {
                if let Some(source) = source_of.get(n) {
                    assign(source);
                }
            }
        }
        for c in &self.citations {
            assign(&c.source_id);
        }
        let mut seen = HashSet::new();
        self.citations
            .retain(|c| seen.insert((c.source_id.clone(), c.passage_id.clone())));
        for c in &mut self.citations {
            c.number = number_of[&c.source_id];
        }
        self.citations.sort_by_key(|c| c.number);
        let statements = self.lead.iter_mut().chain(
            self.sections
                .iter_mut()
                .flat_map(|s| s.statements.iter_mut()),
        );
        for s in statements {
            let mut numbers = Vec::with_capacity(s.citations.len());
            for n in &s.citations {
                let new = source_of.get(n).map_or(0, |source| number_of[source]);
                if !numbers.contains(&new) {
                    numbers.push(new);
                }
            }
            s.citations = numbers;
        }
    }
}

/// The letters of the `i`th passage of a reference (0-based): a … z, aa, ab, …
fn letters(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

/// A passage (or a statement) as statements are matched against passages: lowercased, words
/// single-spaced, the source's reference numbers removed, and list punctuation ignored — bullet
/// markers ("-", "*", "•") and a word's closing ";", "," or "." — so that a list quoted whole on
/// one line ("…the following: A; B; C.") matches the passage that sets it out item by item.
/// Every word, and its order, must still be the source's.
fn normalized(text: &str) -> String {
    let text = normalize_for_match(&strip_reference_markers(text));
    let mut out = String::with_capacity(text.len());
    for word in text.split(' ') {
        let word = word.trim_end_matches([';', ',', '.']);
        if word.is_empty() || matches!(word, "-" | "*" | "•") {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// A statement's text as it is looked for in passages.
pub(super) fn needle(s: &Statement) -> String {
    normalized(&s.text)
}

/// Every citation's passage, as statements are matched against it.
pub(super) fn normalized_passages(a: &Answer) -> Vec<String> {
    a.citations.iter().map(|c| normalized(&c.passage)).collect()
}

/// The JSON form: the stored fields, then `references`, derived from them.
pub(super) fn serialize<S: Serializer>(answer: &Answer, serializer: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Json<'a> {
        #[serde(flatten, serialize_with = "fields")]
        answer: &'a Answer,
        references: Vec<ReferenceJson<'a>>,
    }
    fn fields<S: Serializer>(answer: &&Answer, serializer: S) -> Result<S::Ok, S::Error> {
        Answer::serialize(answer, serializer)
    }
    let list = answer.references();
    let references = list.iter().map(ReferenceJson::new).collect();
    Json { answer, references }.serialize(serializer)
}

/// A reference in the JSON form (`references[]`).
#[derive(Serialize)]
struct ReferenceJson<'a> {
    number: u32,
    source_id: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    publisher: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    year: Option<i32>,
    kind: SourceKind,
    kind_label: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    passages: Vec<PassageJson<'a>>,
}

/// A quoted passage in the JSON form (`references[].passages[]`).
#[derive(Serialize)]
struct PassageJson<'a> {
    label: &'a str,
    passage_id: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    trail: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    grade: Option<&'a str>,
    statements: &'a [StatementKey],
}

impl<'a> ReferenceJson<'a> {
    fn new(r: &'a CitedSource<'a>) -> Self {
        let c = r.source();
        ReferenceJson {
            number: r.number,
            source_id: &c.source_id,
            title: &c.title,
            publisher: c.publisher.as_deref(),
            year: c.year,
            kind: c.kind,
            kind_label: &c.kind_label,
            url: c.url.as_deref(),
            passages: r
                .passages
                .iter()
                .map(|p| PassageJson {
                    label: &p.label,
                    passage_id: &p.citation.passage_id,
                    trail: &p.citation.trail,
                    grade: p.citation.grade.as_deref(),
                    statements: &p.statements,
                })
                .collect(),
        }
    }
}
