//! The small word-pattern language of the warning-sign rules: parsing a pattern such as
//! `trouble|difficulty .. breath*` and finding it in a question's words.
//!
//! The syntax is described in `data/warning-signs.yaml`. This module knows nothing of signs or
//! notices; the words that shape a match (where a gap stops, what cancels it) come from the
//! table, as a [`Grammar`].

/// A `..` gap skips at most this many words.
const MAX_GAP: usize = 5;

/// A match this many words after a negation does not count.
const NEGATION_REACH: usize = 3;

/// The words that shape matching, from the table's `words`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grammar<'a> {
    /// Words a gap does not cross ("and", "but").
    pub gap_stops: &'a [String],
    /// Words that cancel a match right after them ("no", "denies").
    pub negations: &'a [String],
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    /// Up to [`MAX_GAP`] words, none of them a gap stop.
    Gap,
    /// One word: alternatives, each exact or a prefix (`true`).
    Word(Vec<(String, bool)>),
}

/// A parsed pattern: a sequence of slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern(Vec<Slot>);

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
            Some(Slot::Word(_)) => Ok(Pattern(slots)),
        }
    }

    /// Whether the pattern occurs in `tokens` at a place not cancelled by a negation.
    pub fn find(&self, tokens: &[String], grammar: Grammar<'_>) -> bool {
        (0..tokens.len()).any(|start| {
            self.matches_from(tokens, 0, start, grammar)
                && !tokens[start.saturating_sub(NEGATION_REACH)..start]
                    .iter()
                    .any(|w| grammar.negations.contains(w))
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
                            Some(w) if !grammar.gap_stops.contains(w) => {}
                            _ => return false,
                        }
                    }
                    if self.matches_from(tokens, slot + 1, pos + skip, grammar) {
                        return true;
                    }
                }
                false
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
    use crate::safety::normalize;

    fn find(pattern: &str, question: &str) -> bool {
        let stops = ["and".to_string()];
        let negations = ["no".to_string()];
        let grammar = Grammar {
            gap_stops: &stops,
            negations: &negations,
        };
        Pattern::parse(pattern)
            .unwrap()
            .find(&normalize(question), grammar)
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
        ];
        for (pattern, expected) in cases {
            let err = Pattern::parse(pattern).expect_err(pattern);
            assert!(err.contains(expected), "{pattern:?}: {err}");
        }
    }
}
