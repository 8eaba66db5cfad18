//! Repairs to passage text that several readers share, applied to each paragraph and list item
//! before it joins a document: answers quote passage sentences verbatim, so text broken here
//! would be broken in every answer that cites it.
//!
//! - A sentence end glued to the next sentence gets its space back (`itch.Rest` →
//!   `itch. Rest`), but only where [`split_sentences`] then sees a sentence end: never in
//!   "e.g.", "U.S.", "Dr.", decimals, web addresses (`Cancer.Net`, `www.Example.gov`), file
//!   names or single-letter prefixes such as the protein notation `p.Arg12Cys`.
//! - Navigation sentences ("Click here…", "Watch the video…", "Learn more about…") are dropped;
//!   the phrases are data, in `data/navigation.tsv`.
//!
//! Every document a reader returns also loses its invisible Unicode ([`strip_invisible_doc`]):
//! bidirectional controls and zero-width characters, in its text, headings and source fields.

use std::borrow::Cow;
use std::sync::OnceLock;

use evident_core::text::{is_invisible, split_sentences, strip_invisible};
use evident_core::Document;

const NAVIGATION_TSV: &str = include_str!("../data/navigation.tsv");

/// Top-level domains: a capitalised one after a dot is part of a web address (`Cancer.Net`).
const DOMAINS: &[&str] = &[
    "com", "net", "org", "gov", "edu", "int", "mil", "info", "biz", "io", "uk", "us", "ca", "au",
    "eu", "co",
];

/// A paragraph or list item with both repairs: spaces after glued sentence ends, then
/// navigation sentences dropped. Empty when the whole block was navigation.
pub(crate) fn clean_block(text: &str) -> Cow<'_, str> {
    match space_sentence_ends(text) {
        Cow::Borrowed(t) => drop_navigation(t),
        Cow::Owned(t) => Cow::Owned(drop_navigation(&t).into_owned()),
    }
}

/// `doc` without bidirectional controls and zero-width characters (see
/// [`evident_core::text::is_invisible`]) in its text, heading trails and source fields. Section
/// ranges move with the text; a section left with no visible text is dropped.
pub(crate) fn strip_invisible_doc(mut doc: Document) -> Document {
    let source = &mut doc.source;
    for field in [&mut source.id, &mut source.title] {
        strip_field(field);
    }
    for field in [
        &mut source.publisher,
        &mut source.date,
        &mut source.url,
        &mut source.licence,
        &mut source.grade,
        &mut source.review_status,
    ]
    .into_iter()
    .flatten()
    {
        strip_field(field);
    }
    for r in &mut source.references {
        strip_field(&mut r.title);
        for field in [&mut r.organisation, &mut r.url].into_iter().flatten() {
            strip_field(field);
        }
    }
    for section in &mut doc.sections {
        for heading in &mut section.trail {
            strip_field(heading);
        }
        section.trail.retain(|h| !h.is_empty());
        if let Some(grade) = &mut section.grade {
            strip_field(grade);
        }
    }
    if !doc.text.chars().any(is_invisible) {
        return doc;
    }
    // Byte offsets of the removed characters and the bytes removed up to and including each.
    let mut removed: Vec<(usize, usize)> = Vec::new();
    let mut text = String::with_capacity(doc.text.len());
    let mut gone = 0;
    for (i, c) in doc.text.char_indices() {
        if is_invisible(c) {
            gone += c.len_utf8();
            removed.push((i, gone));
        } else {
            text.push(c);
        }
    }
    let moved = |at: usize| {
        let before = removed.partition_point(|&(i, _)| i < at);
        at - before.checked_sub(1).map_or(0, |k| removed[k].1)
    };
    for section in &mut doc.sections {
        section.start = moved(section.start);
        section.end = moved(section.end);
        let body = &text[section.start..section.end];
        section.end = section.start + body.trim_end().len();
        section.start += body.len() - body.trim_start().len();
        section.end = section.end.max(section.start);
    }
    doc.sections.retain(|s| s.end > s.start);
    doc.text = text;
    doc
}

fn strip_field(field: &mut String) {
    if let Cow::Owned(clean) = strip_invisible(field) {
        *field = evident_core::model::collapse_ws(&clean);
    }
}

/// Puts a space after a sentence end that is glued to the next sentence: a `.`, `?` or `!`
/// (and any closing brackets or quotes) after a word, followed at once by a capitalised word.
pub(crate) fn space_sentence_ends(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let mut at: Vec<usize> = Vec::new();
    for i in 1..b.len() {
        if !matches!(b[i], b'.' | b'?' | b'!') {
            continue;
        }
        let prev = b[i - 1];
        if !(prev.is_ascii_lowercase() || prev.is_ascii_digit() || prev == b')') {
            continue;
        }
        let mut next = i + 1;
        while next < b.len() && matches!(b[next], b')' | b']' | b'"' | b'\'') {
            next += 1;
        }
        let word_end = next
            + b[next..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric())
                .count();
        if word_end < next + 2 || !b[next].is_ascii_uppercase() || !b[next + 1].is_ascii_lowercase()
        {
            continue;
        }
        // "Pub.No.", "Think.Test.Treat", "Cancer.Net.": the next word is itself dotted.
        if b.get(word_end) == Some(&b'.') {
            continue;
        }
        if DOMAINS.contains(&text[next..word_end].to_ascii_lowercase().as_str()) {
            continue;
        }
        let start = token_start(text, i);
        if !plain_word(&text[start..i]) {
            continue;
        }
        if splits_when_spaced(text, start, next, word_end) {
            at.push(next);
        }
    }
    if at.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + at.len());
    let mut last = 0;
    for cut in at {
        out.push_str(&text[last..cut]);
        out.push(' ');
        last = cut;
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// Start of the token that ends at `end`: after the last whitespace or opening bracket or quote.
fn token_start(text: &str, end: usize) -> usize {
    text[..end]
        .char_indices()
        .rev()
        .find(|&(_, c)| c.is_whitespace() || matches!(c, '(' | '[' | '"' | '“'))
        .map_or(0, |(k, c)| k + c.len_utf8())
}

/// Whether a token before a period reads as an ordinary word or number, not as part of an
/// address, a file name, a dotted abbreviation or a one-letter prefix (`p.Arg`).
fn plain_word(token: &str) -> bool {
    let b = token.as_bytes();
    if token.contains(['/', '\\', ':', '@', '#', '=', '_', '?', '!']) {
        return false;
    }
    if token.to_ascii_lowercase().starts_with("www") {
        return false;
    }
    // A dot followed by a letter ("e.g", "U.S", "nih.gov"); a decimal point is fine.
    if b.windows(2)
        .any(|w| w[0] == b'.' && w[1].is_ascii_alphabetic())
    {
        return false;
    }
    token.chars().filter(|c| c.is_alphabetic()).count() != 1
}

/// Whether the medical sentence splitter ends a sentence before `text[next..word_end]` once a
/// space is put there: it knows the abbreviations ("Dr.", "vs.") and initials that must not.
fn splits_when_spaced(text: &str, token: usize, next: usize, word_end: usize) -> bool {
    // The word before the token too, for the splitter's initials rule.
    let from = token_start(text, text[..token].trim_end().len());
    let head = &text[from..next];
    let probe = format!("{head} {}", &text[next..word_end]);
    split_sentences(&probe)
        .iter()
        .any(|r| r.start == head.len() + 1)
}

/// Drops the navigation sentences of a paragraph or list item; the other sentences keep their
/// text and order, joined by single spaces.
pub(crate) fn drop_navigation(text: &str) -> Cow<'_, str> {
    let ranges = split_sentences(text);
    if !ranges.iter().any(|r| is_navigation(&text[r.clone()])) {
        return Cow::Borrowed(text);
    }
    let kept: Vec<&str> = ranges
        .into_iter()
        .map(|r| &text[r])
        .filter(|s| !is_navigation(s))
        .collect();
    Cow::Owned(kept.join(" "))
}

/// Whether a sentence points at a link, a page or a video (an entry of `data/navigation.tsv`).
pub(crate) fn is_navigation(sentence: &str) -> bool {
    let s = normalize(sentence);
    navigation().iter().any(|rule| rule.matches(&s))
}

/// Lowercase, whitespace folded, a leading list marker, bracket or quote removed.
fn normalize(sentence: &str) -> String {
    let s = sentence.trim_start();
    let s = s.strip_prefix("- ").unwrap_or(s);
    let s = s.trim_start_matches(['(', '[', '"', '“', '\'', ' ']);
    evident_core::model::collapse_ws(s).to_lowercase()
}

#[derive(Debug)]
struct Navigation {
    phrase: &'static str,
    anywhere: bool,
    with: Vec<&'static str>,
}

impl Navigation {
    fn matches(&self, s: &str) -> bool {
        let found = if self.anywhere {
            find_words(s, self.phrase)
        } else {
            s.starts_with(self.phrase) && boundary_after(s, self.phrase.len())
        };
        found && (self.with.is_empty() || self.with.iter().any(|w| find_words(s, w)))
    }
}

/// Whether `words` occur in `s` at word boundaries.
fn find_words(s: &str, words: &str) -> bool {
    s.match_indices(words).any(|(i, _)| {
        let before = s[..i].chars().next_back();
        before.is_none_or(|c| !c.is_alphanumeric()) && boundary_after(s, i + words.len())
    })
}

fn boundary_after(s: &str, end: usize) -> bool {
    s[end..].chars().next().is_none_or(|c| !c.is_alphanumeric())
}

fn navigation() -> &'static [Navigation] {
    static RULES: OnceLock<Vec<Navigation>> = OnceLock::new();
    RULES.get_or_init(|| {
        parse_navigation(NAVIGATION_TSV)
            .map(|rules| rules.into_iter().map(|(rule, _)| rule).collect())
            .expect("data/navigation.tsv is valid")
    })
}

/// Parses `data/navigation.tsv`: the rules, each with its example.
fn parse_navigation(text: &'static str) -> Result<Vec<(Navigation, &'static str)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = |why: &str| format!("data/navigation.tsv line {}: {why}", i + 1);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [phrase, with, example] = cols[..] else {
            return Err(at(
                "needs three tab-separated columns: phrase, with, example",
            ));
        };
        let (phrase, anywhere) = match phrase.strip_prefix("...") {
            Some(p) => (p, true),
            None => (phrase, false),
        };
        if phrase.is_empty() || phrase != phrase.to_lowercase() || phrase.trim() != phrase {
            return Err(at("the phrase must be lowercase words"));
        }
        let with: Vec<&str> = match with {
            "-" => Vec::new(),
            w => w.split('|').collect(),
        };
        if with
            .iter()
            .any(|w| w.is_empty() || *w != w.to_lowercase() || w.contains(' '))
        {
            return Err(at("`with` must be `-` or lowercase words separated by `|`"));
        }
        if example.trim().is_empty() {
            return Err(at("the example is empty"));
        }
        out.push((
            Navigation {
                phrase,
                anywhere,
                with,
            },
            example,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spaced(s: &str) -> String {
        space_sentence_ends(s).into_owned()
    }

    #[test]
    fn glued_sentence_ends_get_their_space() {
        assert_eq!(
            spaced("Cool packs ease the itch.Treatment starts early."),
            "Cool packs ease the itch. Treatment starts early."
        );
        assert_eq!(
            spaced(
                "How is it treated?Most people need rest. It passes (slowly).Few relapse!Some do."
            ),
            "How is it treated? Most people need rest. It passes (slowly). Few relapse! Some do."
        );
        assert_eq!(
            spaced("The rate rose (from 2 to 3).Later studies agree."),
            "The rate rose (from 2 to 3). Later studies agree."
        );
        assert_eq!(
            spaced("Bright light helps (see below.)Sleep comes sooner."),
            "Bright light helps (see below.) Sleep comes sooner."
        );
    }

    #[test]
    fn look_alikes_keep_their_text() {
        for s in [
            "Drugs approved in the U.S.Some are new.",
            "Take fluids, e.g.Water or broth.",
            "Ask Dr.Jones about it.",
            "The dose is 2.5 mg.",
            "The variant p.Arg12Cys and (p.Gly40Ser) are rare.",
            "Read more at Example.Net or at Smokefree.Gov today.",
            "Visit www.HealthyPlace.gov for a chart.",
            "See example.org/Guide.Pdf for details.",
            "The campaign Think.Test.Treat runs yearly.",
            "NIH Pub.No. 12-345.",
            "The file report.PDF is short.",
            "Mr. Smith and E. Coli.",
        ] {
            assert_eq!(spaced(s), s, "{s}");
        }
        assert!(matches!(
            space_sentence_ends("no change here."),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn navigation_sentences_are_dropped() {
        assert_eq!(
            drop_navigation(
                "Rest helps. (Watch the video to learn about rest. To enlarge the video, \
                 click the corner.) Sleep matters."
            ),
            "Rest helps. Sleep matters."
        );
        assert_eq!(
            drop_navigation("Drink water. Learn more about thirst."),
            "Drink water."
        );
        assert_eq!(drop_navigation("- Click here for clinics."), "");
        assert_eq!(
            drop_navigation(
                "For more information on fees, call the office. For more information, talk \
                 with your nurse."
            ),
            "For more information, talk with your nurse."
        );
    }

    #[test]
    fn advice_that_mentions_links_or_videos_stays() {
        for s in [
            "Talk to your doctor to learn more about your test results.",
            "A small camera sends a video image to a screen.",
            "Watch for signs of infection, such as fever.",
            "Clicking sounds in the jaw are common.",
            "The information on this page is about early-stage disease, which is common.",
            "People who play sports should warm up first.",
            "This page is based on advice from two groups of doctors.",
        ] {
            assert!(!is_navigation(s), "{s}");
            assert!(matches!(drop_navigation(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn clean_block_spaces_then_drops() {
        assert_eq!(
            clean_block("Use a cold pack.Learn more about cold packs."),
            "Use a cold pack."
        );
        assert_eq!(clean_block("Rest.Sleep well."), "Rest. Sleep well.");
    }

    #[test]
    fn every_navigation_entry_catches_its_example() {
        let rules = parse_navigation(NAVIGATION_TSV).unwrap();
        assert!(rules.len() >= 10);
        for (rule, example) in &rules {
            assert!(
                rule.matches(&normalize(example)),
                "{:?} misses its example {example:?}",
                rule.phrase
            );
        }
        assert_eq!(navigation().len(), rules.len());
    }

    #[test]
    fn broken_navigation_tables_name_the_line() {
        let err = parse_navigation("# header\nclick\tonly two\n").unwrap_err();
        assert!(err.contains("line 2") && err.contains("three"), "{err}");
        let err = parse_navigation("Click\t-\tClick it.\n").unwrap_err();
        assert!(err.contains("lowercase"), "{err}");
        let err = parse_navigation("watch\tVideo\tWatch the video.\n").unwrap_err();
        assert!(err.contains("with"), "{err}");
    }
}
