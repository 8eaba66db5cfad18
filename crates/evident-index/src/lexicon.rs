//! The medical lexicon: groups of equivalent terms (abbreviations, synonyms, lay words, brand
//! names, UK/US spellings) used to expand queries.
//!
//! The data lives in `lexicon/medical.tsv`, one group per line, terms separated by ` | `, the
//! first the canonical name. A term written `!CAP` matches only when typed in uppercase, for
//! abbreviations that are also ordinary words.

use std::collections::HashMap;

use crate::error::{Error, Result};

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

/// A word of a query, as typed and lowercased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub original: String,
    pub lower: String,
}

/// Splits text into words at anything that is not a letter or digit.
pub fn words(text: &str) -> Vec<Word> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| Word {
            original: w.to_string(),
            lower: w.to_lowercase(),
        })
        .collect()
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
    /// First word (lowercase) → (group, term index) of every term starting with it.
    by_first_word: HashMap<String, Vec<(usize, usize)>>,
}

impl Lexicon {
    /// The lexicon shipped with Evident.
    pub fn builtin() -> &'static Lexicon {
        static LEXICON: std::sync::OnceLock<Lexicon> = std::sync::OnceLock::new();
        LEXICON.get_or_init(|| Lexicon::parse(BUILTIN).expect("the built-in lexicon parses"))
    }

    /// Parses lexicon text; see the module docs for the format.
    pub fn parse(text: &str) -> Result<Lexicon> {
        let mut lex = Lexicon::default();
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
            let g = lex.groups.len();
            for (t, term) in group.iter().enumerate() {
                lex.by_first_word
                    .entry(term.words[0].clone())
                    .or_default()
                    .push((g, t));
            }
            lex.groups.push(group);
        }
        Ok(lex)
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
    pub fn find(&self, query: &[Word]) -> Vec<Expansion> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < query.len() {
            let mut best: Option<(usize, usize, usize)> = None; // (len, group, term)
            if let Some(cands) = self.by_first_word.get(&query[i].lower) {
                for &(g, t) in cands {
                    let term = &self.groups[g][t];
                    let n = term.words.len();
                    if i + n > query.len() || best.is_some_and(|(l, _, _)| l >= n) {
                        continue;
                    }
                    let matches = term.words.iter().zip(&query[i..i + n]).all(|(tw, qw)| {
                        if term.case_sensitive {
                            qw.original == tw.to_uppercase() && qw.original != qw.lower
                        } else {
                            &qw.lower == tw
                        }
                    });
                    if matches {
                        best = Some((n, g, t));
                    }
                }
            }
            match best {
                Some((n, g, t)) => {
                    let alternatives = self.groups[g]
                        .iter()
                        .enumerate()
                        .filter(|&(k, _)| k != t)
                        .map(|(_, term)| term.clone())
                        .collect();
                    out.push(Expansion {
                        start: i,
                        end: i + n,
                        group: g,
                        alternatives,
                    });
                    i += n;
                }
                None => i += 1,
            }
        }
        out
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
    fn rejects_bad_lines() {
        assert!(matches!(
            Lexicon::parse("only-one-term\n"),
            Err(Error::Lexicon { line: 1, .. })
        ));
        assert!(Lexicon::parse("a | | b").is_err());
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
