//! The workspace's one word tokenizer: words as runs of letters and digits, with their byte
//! spans in the text and their lowercase form.
//!
//! Callers differ only in what an apostrophe does, so that is the one parameter
//! ([`Apostrophes`]): the lexicon and the search query split "Crohn's" into "Crohn" and "s", the
//! glossary keeps "Crohn's" whole, and safety rules read "don't" as "dont".

use std::ops::Range;

/// What an apostrophe does to a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Apostrophes {
    /// Ends the word like any other punctuation: "Crohn's" → "Crohn", "s". Used by the lexicon,
    /// the query layer and the question normaliser.
    #[default]
    Split,
    /// `'` or `’` between a word and a letter or digit stays inside the word: "Crohn's". Used
    /// by the glossary.
    Inner,
    /// `'`, `’`, `‘` and `` ` `` are part of the word wherever they stand but dropped from its
    /// lowercase form: "Don't" → "dont", "'tis" → "tis".
    Drop,
}

impl Apostrophes {
    fn is_dropped(c: char) -> bool {
        matches!(c, '\'' | '’' | '‘' | '`')
    }
}

/// A word of a text: where it stands, as written, and lowercased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Byte range of the word in the text it came from.
    pub span: Range<usize>,
    /// The word as written.
    pub original: String,
    /// The word lowercased (`str::to_lowercase`; for [`Apostrophes::Drop`] without apostrophes).
    pub lower: String,
}

/// Byte ranges of the words of `text`, in order.
pub fn word_spans(text: &str, apostrophes: Apostrophes) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    // For `Drop`: whether the current run has a letter or digit yet (a lone `'` is no word).
    let mut has_alnum = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let in_word = c.is_alphanumeric()
            || match apostrophes {
                Apostrophes::Split => false,
                Apostrophes::Inner => {
                    matches!(c, '\'' | '’')
                        && start.is_some()
                        && chars.peek().is_some_and(|&(_, d)| d.is_alphanumeric())
                }
                Apostrophes::Drop => Apostrophes::is_dropped(c),
            };
        if in_word {
            start.get_or_insert(i);
            has_alnum |= c.is_alphanumeric();
        } else if let Some(s) = start.take() {
            if has_alnum {
                out.push(s..i);
            }
            has_alnum = false;
        }
    }
    if let Some(s) = start {
        if has_alnum {
            out.push(s..text.len());
        }
    }
    out
}

/// The words of `text`, apostrophes splitting words ([`Apostrophes::Split`]).
pub fn words(text: &str) -> Vec<Word> {
    words_with(text, Apostrophes::Split)
}

/// The words of `text` under the given apostrophe rule.
pub fn words_with(text: &str, apostrophes: Apostrophes) -> Vec<Word> {
    word_spans(text, apostrophes)
        .into_iter()
        .map(|span| {
            let original = &text[span.clone()];
            let lower = if apostrophes == Apostrophes::Drop {
                original
                    .chars()
                    .filter(|&c| !Apostrophes::is_dropped(c))
                    .collect::<String>()
                    .to_lowercase()
            } else {
                original.to_lowercase()
            };
            Word {
                original: original.to_string(),
                lower,
                span,
            }
        })
        .collect()
}

/// The text lowercased, then its words ([`Apostrophes::Split`]) joined by single spaces:
/// "What is the treatment for NAM?" → "what is the treatment for nam".
///
/// This is the key under which a question is stored and reused, so it must never change: the
/// whole text is lowercased before it is split (which differs from lowercasing word by word for
/// a few characters, such as "İ", whose lowercase form has a combining mark).
pub fn fold_words(text: &str) -> String {
    let lower = text.to_lowercase();
    let mut out = String::with_capacity(lower.len());
    for span in word_spans(&lower, Apostrophes::Split) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&lower[span]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lower(text: &str, a: Apostrophes) -> Vec<String> {
        words_with(text, a).into_iter().map(|w| w.lower).collect()
    }

    #[test]
    fn words_have_spans_and_lowercase_forms() {
        let ws = words("Non-small cell  (NSCLC), 2nd-line");
        let got: Vec<(&str, &str, usize)> = ws
            .iter()
            .map(|w| (w.original.as_str(), w.lower.as_str(), w.span.start))
            .collect();
        assert_eq!(
            got,
            [
                ("Non", "non", 0),
                ("small", "small", 4),
                ("cell", "cell", 10),
                ("NSCLC", "nsclc", 17),
                ("2nd", "2nd", 25),
                ("line", "line", 29)
            ]
        );
    }

    #[test]
    fn apostrophe_rules() {
        let text = "Crohn's ’renal’ don’t 'tis x' `y`";
        assert_eq!(
            lower(text, Apostrophes::Split),
            ["crohn", "s", "renal", "don", "t", "tis", "x", "y"]
        );
        assert_eq!(
            lower(text, Apostrophes::Inner),
            ["crohn's", "renal", "don’t", "tis", "x", "y"]
        );
        assert_eq!(
            lower(text, Apostrophes::Drop),
            ["crohns", "renal", "dont", "tis", "x", "y"]
        );
        assert!(words_with("' ’ `", Apostrophes::Drop).is_empty());
    }

    #[test]
    fn fold_words_is_the_question_key() {
        assert_eq!(
            fold_words("What is the treatment for NAM?"),
            "what is the treatment for nam"
        );
        assert_eq!(fold_words("  --  "), "");
        // Whole-text lowercasing: "İ" becomes "i" and a combining dot, which splits the word.
        assert_eq!(fold_words("İstanbul"), "i stanbul");
    }

    proptest! {
        #[test]
        fn spans_are_alphanumeric_runs(s in "\\PC{0,80}") {
            for a in [Apostrophes::Split, Apostrophes::Inner, Apostrophes::Drop] {
                let mut last = 0;
                for w in words_with(&s, a) {
                    prop_assert!(w.span.start >= last && w.span.start < w.span.end);
                    prop_assert_eq!(&s[w.span.clone()], w.original.as_str());
                    prop_assert!(w.original.chars().any(char::is_alphanumeric));
                    last = w.span.end;
                }
            }
            let split: Vec<&str> = s
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            let ours: Vec<String> = words(&s).into_iter().map(|w| w.original).collect();
            prop_assert_eq!(ours, split);
        }
    }
}
