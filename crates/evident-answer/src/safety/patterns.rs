//! The small word-pattern language of the warning-sign rules: parsing a pattern such as
//! `trouble|difficulty .. breath*` and finding it in a question's words.
//!
//! The syntax is described in `data/warning-signs.yaml`. This module knows nothing of signs or
//! notices; the words that shape a match (where a gap stops, what cancels it) come from the
//! table, as a [`Grammar`]. Neither a gap nor a negation reaches across a clause break.

use super::CLAUSE_BREAK;

/// A `..` gap skips at most this many words.
const MAX_GAP: usize = 5;

/// A match this many words after a negation does not count.
const NEGATION_REACH: usize = 3;

/// A match this many words after a hypothetical ("if") does not count: "what should I do if
/// someone is having a heart attack" reaches "having" in three words.
const HYPOTHETICAL_REACH: usize = 6;

/// The words that shape matching, from the table's `words`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grammar<'a> {
    /// Words a gap does not cross ("and", "but").
    pub gap_stops: &'a [String],
    /// Words that cancel a match right after them ("no", "denies").
    pub negations: &'a [String],
    /// Words that make what follows a supposition ("if", "ever"); empty for rules whose signs
    /// count even so.
    pub hypotheticals: &'a [String],
    /// Words before a hypothetical that make it a doubt about now ("not sure if", "wondering
    /// if"); "know" counts when negated ("I don't know if").
    pub doubts: &'a [String],
}

impl Grammar<'_> {
    /// Whether the hypothetical word at `i` of `tokens` makes a supposition.
    fn supposes(&self, tokens: &[String], i: usize) -> bool {
        let before = |k: usize| i.checked_sub(k).map_or("", |j| tokens[j].as_str());
        let doubt = self.doubts.iter().any(|d| d == before(1))
            || before(1) == "know" && self.negations.iter().any(|n| n == before(2));
        self.hypotheticals.contains(&tokens[i]) && !doubt
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Slot {
    /// Up to [`MAX_GAP`] words, none of them a gap stop.
    Gap,
    /// One word: alternatives, each exact or a prefix (`true`).
    Word(Vec<(String, bool)>),
    /// One word that is a number in this range, ends included ("38.5" for `#38-43`).
    Number(f64, f64),
}

/// A parsed pattern: a sequence of slots.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pattern(Vec<Slot>);

/// `<38+>` (38 or more) or `<38-43>`.
fn parse_number(slot: &str) -> Option<Slot> {
    let range = slot.strip_prefix('<')?.strip_suffix('>')?;
    let (low, high) = match range.strip_suffix('+') {
        Some(l) => (l.parse().ok()?, f64::INFINITY),
        None => {
            let (l, h) = range.split_once('-')?;
            (l.parse().ok()?, h.parse().ok()?)
        }
    };
    (low <= high).then_some(Slot::Number(low, high))
}

/// Whether `w` could be one of a question's words: lowercase letters and digits only (the
/// question is lowercased, apostrophes dropped and everything else is a word break).
pub(crate) fn is_token(w: &str) -> bool {
    !w.is_empty() && w.chars().all(|c| c.is_alphanumeric() && !c.is_uppercase())
}

impl Pattern {
    /// Parses a pattern; the error says which slot is wrong and why.
    pub fn parse(p: &str) -> Result<Pattern, String> {
        let mut slots = Vec::new();
        for slot in p.split_whitespace() {
            if slot == ".." {
                if matches!(slots.last(), None | Some(Slot::Gap)) {
                    return Err(format!("{p:?}: a `..` gap must come between two words"));
                }
                slots.push(Slot::Gap);
                continue;
            }
            if slot.starts_with('<') {
                slots.push(parse_number(slot).ok_or_else(|| {
                    format!(
                        "{p:?}: {slot:?} is not a number slot; write `<38+>` (38 or more) or \
                         `<38-43>`"
                    )
                })?);
                continue;
            }
            let mut alts = Vec::new();
            for alt in slot.split('|') {
                let (word, prefix) = match alt.strip_suffix('*') {
                    Some(stem) => (stem, true),
                    None => (alt, false),
                };
                if !is_token(word) {
                    return Err(format!(
                        "{p:?}: {alt:?} in {slot:?} can never match; write lowercase letters and \
                         digits, apostrophes dropped (\"cant\"), `*` only at the end, `|` between \
                         alternatives"
                    ));
                }
                alts.push((word.to_string(), prefix));
            }
            slots.push(Slot::Word(alts));
        }
        match slots.last() {
            None => Err("an empty pattern would match every question".to_string()),
            Some(Slot::Gap) => Err(format!("{p:?}: a `..` gap must come between two words")),
            Some(_) => Ok(Pattern(slots)),
        }
    }

    /// Whether the pattern occurs in `tokens` at a place not cancelled by a negation or a
    /// hypothetical in the same clause.
    pub fn find(&self, tokens: &[String], grammar: Grammar<'_>) -> bool {
        (0..tokens.len()).any(|start| {
            self.matches_from(tokens, 0, start, grammar)
                && !tokens[start.saturating_sub(NEGATION_REACH)..start]
                    .iter()
                    .rev()
                    .take_while(|w| *w != CLAUSE_BREAK)
                    .any(|w| grammar.negations.contains(w))
                && !(start.saturating_sub(HYPOTHETICAL_REACH)..start)
                    .rev()
                    .take_while(|&i| tokens[i] != CLAUSE_BREAK)
                    .any(|i| grammar.supposes(tokens, i))
        })
    }

    fn matches_from(&self, tokens: &[String], slot: usize, pos: usize, grammar: Grammar) -> bool {
        let Some(s) = self.0.get(slot) else {
            return true;
        };
        match s {
            Slot::Gap => {
                for skip in 0..=MAX_GAP {
                    if skip > 0 {
                        match tokens.get(pos + skip - 1) {
                            Some(w) if w != CLAUSE_BREAK && !grammar.gap_stops.contains(w) => {}
                            _ => return false,
                        }
                    }
                    if self.matches_from(tokens, slot + 1, pos + skip, grammar) {
                        return true;
                    }
                }
                false
            }
            Slot::Number(low, high) => {
                tokens
                    .get(pos)
                    .and_then(|w| w.parse::<f64>().ok())
                    .is_some_and(|n| (*low..=*high).contains(&n))
                    && self.matches_from(tokens, slot + 1, pos + 1, grammar)
            }
            Slot::Word(alts) => {
                let Some(w) = tokens.get(pos) else {
                    return false;
                };
                alts.iter().any(|(a, prefix)| {
                    if *prefix {
                        w.starts_with(a.as_str())
                    } else {
                        w == a
                    }
                }) && self.matches_from(tokens, slot + 1, pos + 1, grammar)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::safety::{rules, Reading};

    fn find(pattern: &str, question: &str) -> bool {
        let stops = ["and".to_string()];
        let negations = ["no".to_string(), "dont".to_string()];
        let hypotheticals = ["if".to_string()];
        let doubts = ["sure".to_string()];
        let grammar = Grammar {
            gap_stops: &stops,
            negations: &negations,
            hypotheticals: &hypotheticals,
            doubts: &doubts,
        };
        Pattern::parse(pattern)
            .unwrap()
            .find(&Reading::new(question, rules::builtin()).all, grammar)
    }

    #[test]
    fn slots_match_as_documented() {
        let cases = [
            ("trouble .. breath*", "trouble breathing", true),
            ("trouble .. breath*", "Trouble catching my breath", true),
            (
                "trouble .. breath*",
                "trouble sleeping and breathing",
                false,
            ),
            ("trouble .. breath*", "no trouble breathing", false),
            (
                "trouble .. breath*",
                "no, it is not that, trouble breathing",
                true,
            ),
            (
                "trouble .. breath*",
                "trouble one two three four five breathing",
                true,
            ),
            (
                "trouble .. breath*",
                "trouble one two three four five six breathing",
                false,
            ),
            ("cant|unable breathe", "I cannot breathe", true),
            ("cant|unable breathe", "unable breathe", true),
            ("cant|unable breathe", "I can breathe", false),
            ("chest pain*", "chest pains", true),
            ("chest pain", "chest pains", false),
            ("temp <38-43>", "temp 38.5", true),
            ("temp <38-43>", "temp 37.9", false),
            ("temp <38+>", "temp 104", true),
            ("temp <38+>", "temp high", false),
            ("took <10+> pills", "took 20 pills", true),
            ("took <10+> pills", "took 2 pills", false),
            (
                "chest pain",
                "what should I do if someone has chest pain",
                false,
            ),
            ("chest pain", "if I ever get chest pain", false),
            ("chest pain", "not sure if this chest pain", true),
            (
                "chest pain",
                "I don't know if this chest pain is serious",
                true,
            ),
            (
                "chest pain",
                "how do I know if this chest pain is serious",
                false,
            ),
            (
                "chest pain",
                "if one two three four five six chest pain",
                true,
            ),
            ("chest pain", "if I lie down. Chest pain", true),
        ];
        for (pattern, question, expected) in cases {
            assert_eq!(
                find(pattern, question),
                expected,
                "{pattern:?} in {question:?}"
            );
        }
    }

    #[test]
    fn malformed_patterns_say_why() {
        let cases = [
            ("", "empty pattern"),
            (".. chest", "between two words"),
            ("chest ..", "between two words"),
            ("chest .. .. pain", "between two words"),
            ("can't breathe", "\"can't\" in \"can't\" can never match"),
            ("Chest pain", "\"Chest\""),
            ("chest pain||ache", "\"\" in \"pain||ache\""),
            ("*pain", "\"*pain\""),
            ("pain**", "\"pain**\""),
            ("temp <38>", "\"<38>\" is not a number slot"),
            ("temp <43-38>", "\"<43-38>\" is not a number slot"),
            ("temp <a+>", "\"<a+>\" is not a number slot"),
        ];
        for (pattern, expected) in cases {
            let err = Pattern::parse(pattern).expect_err(pattern);
            assert!(err.contains(expected), "{pattern:?}: {err}");
        }
    }
}
