//! Text utilities that understand medical writing, and the workspace's shared text tools.
//!
//! This module owns the sentence splitter (it does not break at "e.g.", "i.v.", "Dr.", "vs.",
//! "1.5 mg" or "mg/kg") and normalisation for matching quotes, and the one copy of each tool
//! that several crates need:
//!
//! - [`tokenize`]: the word tokenizer ([`words`], [`word_spans`], [`fold_words`]);
//! - [`stopwords`]: the stopword list and its named subsets ([`StopList`]);
//! - [`phrases`]: the phrase matcher of the lexicon and the glossary ([`PhraseMatcher`]);
//! - [`hash`]: the content hash ([`fnv1a64`]), whose values are persisted;
//! - [`invisible`]: removal of invisible Unicode ([`strip_invisible`]) and of what a terminal
//!   would obey ([`strip_terminal_controls`]).
//!
//! ```
//! use evident_core::text::{fold_words, words, StopList};
//!
//! let ws = words("Treating NSCLC");
//! assert_eq!((ws[1].original.as_str(), ws[1].lower.as_str()), ("NSCLC", "nsclc"));
//! assert_eq!(fold_words("What is NAM?"), "what is nam");
//! assert!(StopList::Search.contains("please"));
//! ```

use std::ops::Range;

pub mod hash;
pub mod invisible;
pub mod phrases;
pub mod stopwords;
pub mod tokenize;

pub use hash::{fnv1a64, fnv1a64_parts, Fnv1a64};
pub use invisible::{is_invisible, strip_invisible, strip_terminal_controls};
pub use phrases::{PhraseMatch, PhraseMatcher, PhraseMatcherBuilder, Slot};
pub use stopwords::{is_stopword, StopList};
pub use tokenize::{fold_words, word_spans, words, words_with, Apostrophes, Word};

/// Words that end in a period without ending a sentence (compared lowercase, without the final
/// period). Dotted forms such as "i.v." and "e.g." are caught by the internal-period rule.
const ABBREVIATIONS: &[&str] = &[
    "al", "approx", "apr", "aug", "ca", "cf", "co", "corp", "dec", "dept", "dr", "ed", "eds", "eq",
    "esp", "est", "feb", "fig", "figs", "gen", "hon", "inc", "incl", "jan", "jr", "jul", "jun",
    "lt", "ltd", "mar", "max", "min", "mr", "mrs", "ms", "mt", "no", "nos", "nov", "oct", "op",
    "p", "pp", "prof", "ref", "refs", "rev", "sec", "sen", "sep", "sept", "sr", "st", "supp",
    "tab", "univ", "viz", "vol", "vols", "vs",
];

/// Splits text into sentences, returned as byte ranges into `text`, trimmed of whitespace.
///
/// A blank line, or a line break before a list marker, always ends a sentence. Inside a
/// paragraph a sentence ends at `.`, `!` or `?` followed by whitespace and a word that does not
/// start in lowercase, unless the period belongs to an abbreviation, an initial or a list number.
/// Every non-whitespace character of `text` lies in exactly one returned range.
pub fn split_sentences(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for block in blocks(text) {
        split_block(text, block, &mut out);
    }
    out
}

/// The sentences of `text` as string slices.
pub fn sentences(text: &str) -> Vec<&str> {
    split_sentences(text)
        .into_iter()
        .map(|r| &text[r])
        .collect()
}

/// Byte ranges of paragraphs and list items: split at blank lines and before list markers.
fn blocks(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            let rest = &text[i + 1..];
            let blank_line = rest.trim_start_matches([' ', '\t', '\r']).starts_with('\n');
            if blank_line || starts_with_list_marker(rest.trim_start_matches([' ', '\t'])) {
                out.push(start..i);
                start = i + 1;
            }
        }
        i += 1;
    }
    out.push(start..text.len());
    out
}

/// "- ", "* ", "• ", "1. ", "12) ", "a) " at the start of a line.
fn starts_with_list_marker(line: &str) -> bool {
    if line.starts_with("- ") || line.starts_with("* ") || line.starts_with("• ") {
        return true;
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &line[digits..];
    if (1..=3).contains(&digits) && (rest.starts_with(". ") || rest.starts_with(") ")) {
        return true;
    }
    let mut chars = line.chars();
    matches!(
        (chars.next(), chars.next(), chars.next()),
        (Some(c), Some(')'), Some(' ')) if c.is_ascii_lowercase()
    )
}

fn split_block(text: &str, block: Range<usize>, out: &mut Vec<Range<usize>>) {
    let s = &text[block.clone()];
    let mut sentence_start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if !matches!(c, '.' | '!' | '?' | '…') {
            continue;
        }
        // Swallow further terminators and closing quotes/brackets: `?!`, `."`, `.)`.
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = iter.peek() {
            if matches!(
                d,
                '.' | '!' | '?' | '"' | '\'' | ')' | ']' | '”' | '’' | '»'
            ) {
                end = j + d.len_utf8();
                iter.next();
            } else {
                break;
            }
        }
        // Reference numbers after the stop belong to the sentence: "rituximab.[2]-[4] However".
        end += reference_marker_len(&s[end..]);
        let after = &s[end..];
        if !after.starts_with(char::is_whitespace) {
            continue; // "1.5", "mg/kg.", "U.S.A" inside a token
        }
        let next = after.trim_start().chars().next();
        let Some(next) = next else { continue };
        if next.is_lowercase() {
            continue;
        }
        if c == '.' && !ends_sentence(&s[sentence_start..i], next) {
            continue;
        }
        push_trimmed(text, block.start + sentence_start, block.start + end, out);
        sentence_start = end;
    }
    push_trimmed(text, block.start + sentence_start, block.end, out);
}

/// Length of a run of bracketed reference numbers at the start of `s` ("[2]", "[2-4]",
/// "[2]-[4]", "[3,5]"), or 0.
fn reference_marker_len(s: &str) -> usize {
    let mut len = 0;
    loop {
        let rest = &s[len..];
        let (skip, rest) = match rest.strip_prefix('-').or_else(|| rest.strip_prefix('–')) {
            Some(r) if len > 0 => (rest.len() - r.len(), r),
            _ => (0, rest),
        };
        let Some(inner) = rest.strip_prefix('[') else {
            return len;
        };
        let Some(close) = inner.find(']') else {
            return len;
        };
        let body = &inner[..close];
        let is_marker = body.chars().any(|c| c.is_ascii_digit())
            && body
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ',' | '-' | '–' | ' '));
        if !is_marker {
            return len;
        }
        len += skip + 1 + close + 1;
    }
}

/// Whether the period after `before` (the sentence so far) ends the sentence.
fn ends_sentence(before: &str, next: char) -> bool {
    let word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(' || c == '[' || c == '/')
        .next()
        .unwrap_or("");
    let word = word.trim_start_matches(|c: char| !c.is_alphanumeric());
    if word.is_empty() {
        return true;
    }
    let lower = word.to_lowercase();
    if ABBREVIATIONS.contains(&lower.as_str()) {
        return false;
    }
    // Dotted abbreviations: "e.g", "i.v", "b.i.d", "U.S".
    if word.contains('.') && word.chars().filter(|c| c.is_alphabetic()).count() <= 4 {
        return false;
    }
    // A list number at the start of a block: "1. Take …".
    if word.chars().all(|c| c.is_ascii_digit()) && before.trim().len() == word.len() {
        return false;
    }
    // An initial inside a name: "John F. Kennedy", "Smith J. Brown".
    let mut chars = word.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_uppercase() && next.is_uppercase() {
            let prev = before[..before.len() - word.len()]
                .split_whitespace()
                .next_back()
                .unwrap_or("");
            let prev_is_name = prev.chars().next().is_some_and(char::is_uppercase)
                && !prev.ends_with(['.', ',', ':', ';']);
            if prev_is_name || prev.ends_with('.') && prev.chars().count() <= 2 {
                return false;
            }
        }
    }
    true
}

fn push_trimmed(text: &str, start: usize, end: usize, out: &mut Vec<Range<usize>>) {
    let slice = &text[start..end];
    let lead = slice.len() - slice.trim_start().len();
    let trail = slice.len() - slice.trim_end().len();
    if lead < slice.len() {
        out.push(start + lead..end - trail);
    }
}

/// Number of whitespace-separated words.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Lowercases and folds whitespace, so a quote can be found in its passage whatever the spacing.
pub fn normalize_for_match(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// Removes bracketed reference numbers such as `[2]`, `[2-4]` or `[3,5]` that sources put
/// after claims (they would read as our own citation numbers), and folds the space they leave.
pub fn strip_reference_markers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let close = after.find(']');
        let is_marker = close.is_some_and(|c| {
            let inner = &after[..c];
            inner.chars().any(|ch| ch.is_ascii_digit())
                && inner
                    .chars()
                    .all(|ch| ch.is_ascii_digit() || matches!(ch, ',' | '-' | '–' | ' '))
        });
        match (is_marker, close) {
            (true, Some(c)) => {
                out.push_str(rest[..open].trim_end_matches(' '));
                rest = &after[c + 1..];
            }
            _ => {
                out.push_str(&rest[..open + 1]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Cuts `text` to at most `max_chars` characters at a word boundary, adding "…" when cut.
pub fn truncate_words(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut = text
        .char_indices()
        .nth(max_chars)
        .map(|(i, _)| i)
        .unwrap_or(text.len());
    let head = &text[..cut];
    let head = head.rfind(char::is_whitespace).map_or(head, |i| &head[..i]);
    format!("{}…", head.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn split(s: &str) -> Vec<&str> {
        sentences(s)
    }

    #[test]
    fn medical_abbreviations_do_not_end_sentences() {
        assert_eq!(
            split("Give 15 mg/kg i.v. once daily, e.g. with food. Then review."),
            [
                "Give 15 mg/kg i.v. once daily, e.g. with food.",
                "Then review."
            ]
        );
        assert_eq!(
            split("Dr. Smith compared drug A vs. placebo. The dose was 1.5 mg."),
            [
                "Dr. Smith compared drug A vs. placebo.",
                "The dose was 1.5 mg."
            ]
        );
        assert_eq!(
            split("Approx. 55% relapse (Allenbach et al. 2018). Most need two agents."),
            [
                "Approx. 55% relapse (Allenbach et al. 2018).",
                "Most need two agents."
            ]
        );
        assert_eq!(
            split("The U.S. Preventive Services Task Force recommends it. Grade B."),
            [
                "The U.S. Preventive Services Task Force recommends it.",
                "Grade B."
            ]
        );
        assert_eq!(
            split("Take 500 mg b.i.d. for 5 days. Stop if rash."),
            ["Take 500 mg b.i.d. for 5 days.", "Stop if rash."]
        );
    }

    #[test]
    fn sentence_ends_and_quotes() {
        assert_eq!(
            split("Is it safe? Yes!  \"It is.\" Done."),
            ["Is it safe?", "Yes!", "\"It is.\"", "Done."]
        );
        assert_eq!(
            split("This is grade A. The next"),
            ["This is grade A.", "The next"]
        );
        assert_eq!(
            split("Named after John F. Kennedy. Next."),
            ["Named after John F. Kennedy.", "Next."]
        );
    }

    #[test]
    fn list_items_and_blank_lines_are_boundaries() {
        assert_eq!(
            split("Options include:\n- methotrexate\n- azathioprine\n\nHeading\n1. First step"),
            [
                "Options include:",
                "- methotrexate",
                "- azathioprine",
                "Heading",
                "1. First step"
            ]
        );
        // A hard-wrapped line is not a boundary.
        assert_eq!(
            split("The dose is\nweight based. Next."),
            ["The dose is\nweight based.", "Next."]
        );
    }

    #[test]
    fn numbered_list_number_is_not_a_sentence() {
        assert_eq!(
            split("1. Take aspirin. 2. Rest."),
            ["1. Take aspirin.", "2. Rest."]
        );
    }

    #[test]
    fn reference_numbers_after_a_stop_stay_with_their_sentence() {
        assert_eq!(
            split("Give cladribine.[2]-[4] However, infections rose.[5] Next."),
            [
                "Give cladribine.[2]-[4]",
                "However, infections rose.[5]",
                "Next."
            ]
        );
        assert_eq!(
            split("See [Table 1]. Then stop."),
            ["See [Table 1].", "Then stop."]
        );
    }

    #[test]
    fn reference_markers_are_removed() {
        assert_eq!(
            strip_reference_markers(
                "given daily for 5 days.[2-4] However [see Table 1], rituximab [4] works."
            ),
            "given daily for 5 days. However [see Table 1], rituximab works."
        );
        assert_eq!(strip_reference_markers("a [b] [12,13]"), "a [b]");
    }

    #[test]
    fn truncation_at_word_boundary() {
        assert_eq!(truncate_words("alpha beta gamma", 100), "alpha beta gamma");
        assert_eq!(truncate_words("alpha beta gamma", 12), "alpha beta…");
    }

    proptest! {
        #[test]
        fn split_covers_all_text_in_order(s in "(?s)[a-zA-Z0-9 .,!?;:()\"'/\n\t-éµ≥…]{0,300}") {
            let ranges = split_sentences(&s);
            let mut last = 0;
            let mut covered = String::new();
            for r in &ranges {
                prop_assert!(r.start >= last && r.start < r.end);
                prop_assert!(s.is_char_boundary(r.start) && s.is_char_boundary(r.end));
                prop_assert_eq!(s[r.clone()].trim(), &s[r.clone()]);
                covered.push_str(&s[r.clone()]);
                last = r.end;
            }
            let strip = |t: &str| t.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            prop_assert_eq!(strip(&covered), strip(&s));
        }

        #[test]
        fn normalize_is_idempotent(s in "\\PC{0,100}") {
            let once = normalize_for_match(&s);
            prop_assert_eq!(normalize_for_match(&once), once.clone());
        }
    }
}
