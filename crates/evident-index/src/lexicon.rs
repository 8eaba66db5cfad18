//! The medical lexicon: groups of equivalent terms (abbreviations, synonyms, lay words, brand
//! names, UK/US spellings) used to expand queries.
//!
//! The data lives in `lexicon/medical.tsv`, one group per line, terms separated by ` | `, the
//! first the canonical name. A term written `!CAP` matches only when typed in uppercase, for
//! abbreviations that are also ordinary words.
//!
//! Words come from the workspace tokenizer ([`evident_core::text::words`]) and terms are found
//! with its phrase matcher ([`PhraseMatcher`]).

use std::borrow::Cow;
use std::collections::HashMap;

use evident_core::text::{PhraseMatcher, PhraseMatcherBuilder, Slot};

use crate::error::{Error, Result};

pub use evident_core::text::Word;

const BUILTIN: &str = include_str!("../lexicon/medical.tsv");

/// One term of a group, as a sequence of lowercase words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexTerm {
    pub words: Vec<String>,
    /// Match only when the query has the term in uppercase.
    pub case_sensitive: bool,
}

impl LexTerm {
    pub fn text(&self) -> String {
        self.words.join(" ")
    }
}

/// Splits text into words at anything that is not a letter or digit (the workspace tokenizer,
/// apostrophes splitting words).
pub fn words(text: &str) -> Vec<Word> {
    evident_core::text::words(text)
}

/// A lexicon match in a query: which words matched, and the group's other terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    /// Word positions `[start, end)` in the query that matched.
    pub start: usize,
    pub end: usize,
    pub group: usize,
    /// The group's terms other than the one matched.
    pub alternatives: Vec<LexTerm>,
}

#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    groups: Vec<Vec<LexTerm>>,
    /// Every term, with its (group, term index), in that order.
    matcher: PhraseMatcher<(usize, usize)>,
}

/// The matcher key of a word of a case-sensitive term: `!` and the uppercase word, which a
/// query word has only when typed exactly so (no lowercase word contains `!`).
fn shout_key(upper: &str) -> String {
    format!("!{upper}")
}

impl Lexicon {
    /// The lexicon shipped with Evident.
    pub fn builtin() -> &'static Lexicon {
        static LEXICON: std::sync::OnceLock<Lexicon> = std::sync::OnceLock::new();
        LEXICON.get_or_init(|| Lexicon::parse(BUILTIN).expect("the built-in lexicon parses"))
    }

    /// Parses lexicon text; see the module docs for the format.
    pub fn parse(text: &str) -> Result<Lexicon> {
        let mut groups: Vec<Vec<LexTerm>> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut group = Vec::new();
            for raw in line.split('|') {
                let raw = raw.trim();
                let (case_sensitive, term) = match raw.strip_prefix('!') {
                    Some(t) => (true, t),
                    None => (false, raw),
                };
                let ws: Vec<String> = words(term).into_iter().map(|w| w.lower).collect();
                if ws.is_empty() {
                    return Err(Error::Lexicon {
                        line: i + 1,
                        why: format!("empty term in {line:?}"),
                    });
                }
                // A query word matches `!TERM` when it equals the uppercase form, and its
                // lowercase form must then be the term's word again.
                if case_sensitive && ws.iter().any(|w| &w.to_uppercase().to_lowercase() != w) {
                    return Err(Error::Lexicon {
                        line: i + 1,
                        why: format!("{raw:?} has letters without a plain uppercase form"),
                    });
                }
                group.push(LexTerm {
                    words: ws,
                    case_sensitive,
                });
            }
            if group.len() < 2 {
                return Err(Error::Lexicon {
                    line: i + 1,
                    why: "a group needs at least two terms separated by ' | '".into(),
                });
            }
            groups.push(group);
        }
        let matcher = Self::matcher(&groups);
        Ok(Lexicon { groups, matcher })
    }

    /// The phrase matcher over every term. A case-insensitive word matches a query word whose
    /// lowercase form it is; a case-sensitive one only the uppercase form ([`shout_key`]). A
    /// query word typed in uppercase that some case-sensitive term has is given that key, so
    /// case-insensitive words also accept the uppercase keys that lowercase to them.
    fn matcher(groups: &[Vec<LexTerm>]) -> PhraseMatcher<(usize, usize)> {
        let mut upper_of: HashMap<String, Vec<String>> = HashMap::new();
        for term in groups.iter().flatten().filter(|t| t.case_sensitive) {
            for w in &term.words {
                let upper = w.to_uppercase();
                let keys = upper_of.entry(upper.to_lowercase()).or_default();
                if !keys.contains(&shout_key(&upper)) {
                    keys.push(shout_key(&upper));
                }
            }
        }
        let mut builder = PhraseMatcherBuilder::new();
        for (g, group) in groups.iter().enumerate() {
            for (t, term) in group.iter().enumerate() {
                let keys: Vec<Vec<String>> = term
                    .words
                    .iter()
                    .map(|w| {
                        if term.case_sensitive {
                            return vec![shout_key(&w.to_uppercase())];
                        }
                        let mut keys = vec![w.clone()];
                        keys.extend(upper_of.get(w).into_iter().flatten().cloned());
                        keys
                    })
                    .collect();
                builder.add_alternatives(&keys, (g, t));
            }
        }
        builder.build()
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    pub fn group(&self, g: usize) -> &[LexTerm] {
        &self.groups[g]
    }

    /// The canonical (first) term of the group that `term` belongs to, if any.
    pub fn canonical(&self, term: &str) -> Option<String> {
        let ws = words(term);
        let found = self.find(&ws);
        found
            .into_iter()
            .find(|e| e.start == 0 && e.end == ws.len())
            .map(|e| self.groups[e.group][0].text())
    }

    /// Every lexicon term in `query`, longest match first, non-overlapping, left to right.
    /// Among terms of the same length the first in the file wins.
    pub fn find(&self, query: &[Word]) -> Vec<Expansion> {
        let keys: Vec<Cow<str>> = query
            .iter()
            .map(|w| {
                if w.original != w.lower {
                    let shout = shout_key(&w.original);
                    if self.matcher.has_word(&shout) {
                        return Cow::Owned(shout);
                    }
                }
                Cow::Borrowed(w.lower.as_str())
            })
            .collect();
        self.matcher
            .find(keys.iter().map(|k| Slot::Word(k)))
            .into_iter()
            .map(|m| {
                let (g, t) = m.values[0];
                let alternatives = self.groups[g]
                    .iter()
                    .enumerate()
                    .filter(|&(k, _)| k != t)
                    .map(|(_, term)| term.clone())
                    .collect();
                Expansion {
                    start: m.start,
                    end: m.end,
                    group: g,
                    alternatives,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# test\nhypertension | htn | high blood pressure\ncommunity-acquired pneumonia | !CAP\nnon-small cell lung cancer | nsclc\n";

    #[test]
    fn finds_longest_terms_and_respects_case_markers() {
        let lex = Lexicon::parse(SAMPLE).unwrap();
        let q = words("Treatment of high blood pressure with a cap on dose in CAP");
        let found = lex.find(&q);
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].start, found[0].end), (2, 5));
        assert_eq!(found[0].alternatives[0].text(), "hypertension");
        assert_eq!(
            found[1].alternatives[0].text(),
            "community acquired pneumonia"
        );
        assert_eq!(
            lex.canonical("NSCLC").as_deref(),
            Some("non small cell lung cancer")
        );
    }

    #[test]
    fn uppercase_words_match_both_kinds_of_terms() {
        let lex = Lexicon::parse(
            "acute lymphoblastic leukaemia | !ALL | !ALL TYPE B\nall | everything\nall cause | any cause\n",
        )
        .unwrap();
        let spans = |q: &str| -> Vec<(usize, usize, usize)> {
            lex.find(&words(q))
                .iter()
                .map(|e| (e.start, e.end, e.group))
                .collect()
        };
        // Lowercase "all" is the ordinary word; "ALL" the leukaemia (the earlier group of two
        // one-word matches), unless a longer term fits.
        assert_eq!(spans("all of it"), [(0, 1, 1)]);
        assert_eq!(spans("ALL of it"), [(0, 1, 0)]);
        assert_eq!(spans("ALL CAUSE and all cause"), [(0, 2, 2), (3, 5, 2)]);
        assert_eq!(spans("ALL TYPE B, All Type b"), [(0, 3, 0), (3, 4, 1)]);
        assert_eq!(spans("AlL"), [(0, 1, 1)]);
    }

    #[test]
    fn rejects_bad_lines() {
        assert!(matches!(
            Lexicon::parse("only-one-term\n"),
            Err(Error::Lexicon { line: 1, .. })
        ));
        assert!(Lexicon::parse("a | | b").is_err());
        // "ß" has no one-letter uppercase form, so `!ß` could never match as written.
        assert!(Lexicon::parse("x | !ß").is_err());
    }

    #[test]
    fn builtin_lexicon_is_large_and_has_no_term_in_two_groups() {
        let lex = Lexicon::builtin();
        assert!(lex.len() >= 300, "only {} groups", lex.len());
        let mut seen = HashMap::new();
        for (g, group) in lex.groups.iter().enumerate() {
            for term in group {
                let key = (term.text(), term.case_sensitive);
                if let Some(prev) = seen.insert(key.clone(), g) {
                    assert_eq!(prev, g, "{key:?} is in two groups");
                }
            }
        }
        for (abbr, canonical) in [
            ("nsclc", "non small cell lung cancer"),
            ("htn", "hypertension"),
            ("ivig", "intravenous immunoglobulin"),
        ] {
            let found = lex.canonical(abbr).unwrap_or_default();
            assert_eq!(found, canonical, "{abbr}");
        }
    }
}
