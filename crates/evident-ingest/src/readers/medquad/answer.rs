//! A MedQuAD answer into sub-headings, paragraphs and list items.
//!
//! The answers are plain text cut from web pages, and the pages' structure survives only as
//! spacing: a line break or a run of spaces where a heading, a paragraph or a list item ended,
//! and sometimes nothing at all. Read line by line:
//!
//! - Bullets are `- ` at the start of a line or after a run of two or more spaces; a list may
//!   also open with a single-spaced dash before its first spaced bullet (`…include - one  -
//!   two`). A bullet ends at the next bullet, or where a run of three or more spaces is
//!   followed by a capital or a digit (prose after the list). Where the list's items are
//!   repeated after it as one run of text, the copy is dropped.
//! - A sub-heading is a short Title Case phrase without end punctuation: a line of its own
//!   before body text, a run of text before two or more spaces and a paragraph (`Knee Pain
//!   Treatment of …`), a label before ` : ` at the start of a line, or a Title Case run at the
//!   start of a sentence glued to the sentence by one space (`Knee Care The doctor may …`,
//!   told apart from a sentence that opens with a name by the word that starts the sentence).
//!   A line that repeats an earlier list item (CancerGov's key points, each repeated before its
//!   part) heads the text after it. Headings that follow each other with no text between nest.
//! - After a line ending in `:` (or in an open word, "include"), short lines without end
//!   punctuation are list items whose bullets were lost — unless a Title Case one names the
//!   paragraph after it, which makes it the next heading.
//! - A table flattened onto one line — a header ending in `)`, then rows of a name and a
//!   frequency (`Fever 90%`, `Rash 1/5`, or `-` for none) — becomes its header and one item
//!   per row.
//! - An answer that opens by repeating its question drops the copy.
//!
//! Paragraphs and items then get [`clean_block`]: missing spaces after sentence ends restored
//! and navigation sentences dropped.

use evident_core::model::collapse_ws;
use evident_core::text::split_sentences;

use crate::clean::{clean_block, is_navigation};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum AnswerBlock {
    /// A sub-heading and its depth under the question: 1, or one more than the heading it
    /// directly follows.
    Heading(u8, String),
    Paragraph(String),
    Item(String),
}

/// The longest sub-heading, and the longest line read as an unmarked list item, in words.
const MAX_HEADING_WORDS: usize = 12;

/// Sub-headings nest at most this deep under the question.
const MAX_DEPTH: u8 = 4;

/// Words that Title Case leaves in lowercase.
const FUNCTION_WORDS: &[&str] = &[
    "a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "nor", "of", "on",
    "or", "per", "the", "to", "via", "vs", "with",
];

/// Words that start a sentence and cannot end a heading, so that in a Title Case run they
/// mark where a fused heading stops and its sentence begins.
const SENTENCE_STARTS: &[&str] = &[
    "A", "About", "After", "All", "Also", "Although", "An", "Any", "As", "At", "Because", "Before",
    "Both", "By", "Certain", "Doctors", "During", "Each", "Even", "Every", "For", "However", "If",
    "In", "It", "Its", "Many", "Most", "On", "Once", "Our", "People", "Several", "Since", "Some",
    "The", "Their", "There", "These", "They", "This", "Those", "Unless", "Until", "When", "While",
    "With", "You", "Your",
];

/// Nouns named by a letter ("Part A", "Type A", "Vitamin A"): an "A" after them is part of the
/// name, not the start of a sentence.
const LETTER_NAMES: &[&str] = &[
    "appendix",
    "category",
    "class",
    "factor",
    "figure",
    "grade",
    "group",
    "hepatitis",
    "level",
    "option",
    "part",
    "phase",
    "plan",
    "schedule",
    "section",
    "stage",
    "step",
    "strain",
    "table",
    "type",
    "vitamin",
    "zone",
];

/// Of [`SENTENCE_STARTS`], the determiners that may come before a capitalised name ("The Food
/// and Drug Administration …"); the others must be followed by a lowercase word.
const BEFORE_NAMES: &[&str] = &[
    "The", "These", "This", "Those", "Your", "Its", "Their", "Our",
];

/// Splits an answer into sub-headings, paragraphs and list items (see the module doc).
/// `question` is the pair's question, tidied.
pub(super) fn answer_blocks(answer: &str, question: &str) -> Vec<AnswerBlock> {
    let answer = strip_question(answer, question);
    let mut pro = Vec::new();
    for line in answer.lines() {
        let line = line.trim();
        if !line.is_empty() {
            line_blocks(line, &mut pro);
        }
    }
    resolve(pro)
}

/// Blocks before their context is known.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pro {
    Heading(String),
    /// `line`: the paragraph is a whole line of the answer.
    Para {
        text: String,
        line: bool,
    },
    Item(String),
    /// A whole line, short and without end punctuation: a heading, a list item or a
    /// paragraph, as the lines around it say. `title`: it is in Title Case.
    Lone {
        text: String,
        title: bool,
    },
}

/// The answer without a leading copy of its question.
fn strip_question<'a>(answer: &'a str, question: &str) -> &'a str {
    let words: Vec<&str> = question.split_whitespace().collect();
    let trimmed = answer.trim_start();
    match match_words(trimmed, &words) {
        Some(len) if words.len() >= 3 && trimmed[len..].starts_with(char::is_whitespace) => {
            &trimmed[len..]
        }
        _ => answer,
    }
}

/// The byte length of the start of `hay` that is `words` (compared case-insensitively) with any
/// whitespace between them, ending at a word boundary.
fn match_words(hay: &str, words: &[&str]) -> Option<usize> {
    let mut at = 0;
    for (k, w) in words.iter().enumerate() {
        let rest = &hay[at..];
        let trimmed = rest.trim_start();
        if k > 0 && trimmed.len() == rest.len() {
            return None;
        }
        at += rest.len() - trimmed.len();
        let end = at + w.len();
        if !hay.is_char_boundary(end.min(hay.len()))
            || end > hay.len()
            || !hay[at..end].eq_ignore_ascii_case(w)
        {
            return None;
        }
        at = end;
    }
    let whole = !hay[at..].starts_with(char::is_alphanumeric);
    (!words.is_empty() && whole).then_some(at)
}

fn line_blocks(line: &str, out: &mut Vec<Pro>) {
    let starts = bullet_starts(line);
    let first = starts.first().copied().unwrap_or(line.len());
    text_blocks(&line[..first], starts.is_empty(), !starts.is_empty(), out);
    let raw: Vec<&str> = starts
        .iter()
        .enumerate()
        .map(|(k, &s)| line[s + 1..starts.get(k + 1).copied().unwrap_or(line.len())].trim())
        .collect();
    // A line may hold several lists, each ended by prose after its last item.
    let mut list_start = 0;
    for (k, &item) in raw.iter().enumerate() {
        let mut rest = "";
        let mut item = item;
        if let Some((len, copy_end)) = repeated_items(&raw[list_start..k], item) {
            rest = &item[copy_end..];
            item = &item[..len];
            list_start = k + 1;
        }
        match item_end(item) {
            Some(cut) => {
                out.push(Pro::Item(item[..cut].to_string()));
                text_blocks(&item[cut..], false, false, out);
                list_start = k + 1;
            }
            None => out.push(Pro::Item(item.to_string())),
        }
        text_blocks(rest, false, false, out);
    }
}

/// Byte offsets of the `-` of each bullet in a trimmed line.
fn bullet_starts(line: &str) -> Vec<usize> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    for i in 0..b.len() {
        if b[i] != b'-' || !b.get(i + 1).is_some_and(|c| c.is_ascii_whitespace()) {
            continue;
        }
        if i == 0 || spaces_before(b, i) >= 2 {
            out.push(i);
        }
    }
    // Each list may open with a single-spaced dash: the line's first list, or one after prose
    // that follows an earlier list's last item.
    let mut leads = Vec::new();
    for (k, &spaced) in out.iter().enumerate() {
        let prev = if k == 0 { None } else { Some(out[k - 1]) };
        if let Some(lead) = single_spaced_lead(line, prev, spaced) {
            leads.push(lead);
        }
    }
    out.extend(leads);
    out.sort_unstable();
    out
}

fn spaces_before(b: &[u8], i: usize) -> usize {
    b[..i]
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_whitespace())
        .count()
}

/// A list opened with a single-spaced dash before the spaced bullet at `spaced` (`…include -
/// one  - two`): the earliest such dash after a sentence end, a colon or a lowercase word, with
/// no sentence end between it and the spaced bullet. A dash inside prose (`too - they are …`)
/// has a sentence end after it, so it stays. After an earlier bullet (`prev`), the dash must
/// also follow prose that ended that bullet's item (`- last item. Prose. It includes - one`),
/// so that a dash inside an item (`- Age - the chance rises …  - Genes`) stays.
fn single_spaced_lead(line: &str, prev: Option<usize>, spaced: usize) -> Option<usize> {
    let b = line.as_bytes();
    let from = prev.map_or(1, |p| p + 2);
    (from..spaced).find(|&i| {
        b[i] == b'-'
            && b[i + 1] == b' '
            && spaces_before(b, i) == 1
            && line[..i - 1]
                .trim_end()
                .ends_with(|c: char| matches!(c, '.' | ':' | '?' | '!') || c.is_lowercase())
            && split_sentences(&line[i + 1..spaced]).len() <= 1
            && prev.is_none_or(|p| split_sentences(&line[p + 1..i]).len() >= 2)
    })
}

/// Where a list's items are repeated after its last item as one run of text (`- one  - two.
/// one two. Prose …`): the length of the last item proper and the end of the copy, in bytes of
/// `last`. `before` are the list's items before the last. The copy may leave items out or
/// change their order; at least two of them (all, for a list of two) must be there.
fn repeated_items(before: &[&str], last: &str) -> Option<(usize, usize)> {
    if before.is_empty() {
        return None;
    }
    let word_starts = last
        .char_indices()
        .filter(|&(i, c)| i > 0 && !c.is_whitespace() && last[..i].ends_with(char::is_whitespace));
    for (p, _) in word_starts {
        let own = last[..p].trim_end();
        let items: Vec<Vec<&str>> = before
            .iter()
            .chain(std::iter::once(&own))
            .map(|t| t.split_whitespace().collect())
            .collect();
        let mut at = p;
        let mut found = 0;
        while let Some(len) = items.iter().find_map(|w| match_words(&last[at..], w)) {
            at += len;
            found += 1;
        }
        if found >= 2 {
            return Some((own.len(), at));
        }
    }
    None
}

/// Where prose resumes inside a bullet's text: a run of at least three spaces followed by a
/// capital letter or digit (`- Weight loss    Tests that examine …`).
fn item_end(item: &str) -> Option<usize> {
    let b = item.as_bytes();
    let mut run = 0;
    for (i, &c) in b.iter().enumerate() {
        if c.is_ascii_whitespace() {
            run += 1;
            continue;
        }
        if run >= 3 && (c.is_ascii_uppercase() || c.is_ascii_digit()) {
            return Some(i);
        }
        run = 0;
    }
    None
}

/// Text of a line outside its bullets, with its runs of spaces: headings found in it, the
/// rest as paragraphs. `whole_line`: the text is all of its line; `then_item`: a list item
/// follows on the line.
fn text_blocks(raw: &str, whole_line: bool, then_item: bool, out: &mut Vec<Pro>) {
    let segments = segments(raw);
    // The text before a line's bullets also starts its line.
    let line_start = whole_line || then_item;
    let mut para = Para::default();
    for (k, &seg) in segments.iter().enumerate() {
        let mut seg = seg;
        if k == 0 && line_start {
            if let Some((label, rest)) = label(seg) {
                out.push(Pro::Heading(label.to_string()));
                seg = rest;
            }
        }
        let last = k + 1 == segments.len();
        if heading_like(seg, true) {
            if is_navigation(seg) {
                continue;
            }
            let heads = if last {
                then_item
            } else {
                paragraph_start(segments[k + 1])
            };
            if heads {
                para.flush(out);
                out.push(Pro::Heading(seg.to_string()));
                continue;
            }
            if last {
                para.flush(out);
                out.push(Pro::Lone {
                    text: seg.to_string(),
                    title: true,
                });
                continue;
            }
        } else if last && segments.len() == 1 && whole_line && short_fragment(seg) {
            out.push(Pro::Lone {
                text: seg.to_string(),
                title: false,
            });
            continue;
        }
        inline_blocks(seg, &mut para, out);
    }
    para.line = whole_line && segments.len() == 1 && !para.split;
    para.flush(out);
}

/// A paragraph being gathered from the segments of a line.
#[derive(Default)]
struct Para {
    text: String,
    /// A heading or a table was taken out of it.
    split: bool,
    line: bool,
}

impl Para {
    fn push(&mut self, s: &str) {
        let s = s.trim();
        if s.is_empty() {
            return;
        }
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        self.text.push_str(s);
    }

    fn flush(&mut self, out: &mut Vec<Pro>) {
        let text = collapse_ws(&std::mem::take(&mut self.text));
        if !text.is_empty() {
            out.push(Pro::Para {
                text,
                line: self.line,
            });
        }
        self.line = false;
    }
}

/// The parts of a line between runs of two or more whitespace characters.
fn segments(raw: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut run_start = None;
    for (i, c) in raw.char_indices() {
        if c.is_whitespace() {
            run_start.get_or_insert(i);
            continue;
        }
        if let Some(rs) = run_start.take() {
            if raw[rs..i].chars().count() >= 2 {
                out.push(raw[start..rs].trim());
                start = i;
            }
        }
    }
    out.push(raw[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

/// `Summary : text` at the start of a line: the label and the text.
fn label(seg: &str) -> Option<(&str, &str)> {
    let (label, rest) = seg.split_once(" : ")?;
    let words = label.split_whitespace().count();
    ((1..=4).contains(&words) && heading_like(label, false) && !rest.trim().is_empty())
        .then_some((label.trim(), rest.trim_start()))
}

/// A segment's sentences, with fused headings and flattened tables taken out.
fn inline_blocks(seg: &str, para: &mut Para, out: &mut Vec<Pro>) {
    let mut rest = seg;
    'scan: loop {
        for r in split_sentences(rest) {
            let s = &rest[r.start..];
            if let Some(len) = fused_heading(s) {
                para.push(&rest[..r.start]);
                para.split = true;
                para.flush(out);
                out.push(Pro::Heading(s[..len].trim().to_string()));
                rest = &s[len..];
                continue 'scan;
            }
            if let Some(table) = frequency_table(s) {
                para.push(&rest[..r.start]);
                para.push(table.header);
                para.split = true;
                para.flush(out);
                out.extend(table.rows.into_iter().map(Pro::Item));
                rest = &s[table.end..];
                continue 'scan;
            }
        }
        para.push(rest);
        return;
    }
}

/// Word spans of `s`: (start, word).
fn words(s: &str) -> Vec<(usize, &str)> {
    s.split_whitespace()
        .map(|w| (w.as_ptr() as usize - s.as_ptr() as usize, w))
        .collect()
}

/// A Title Case heading fused onto the sentence that starts `s` by one space (`Knee Care
/// The doctor may …`): the heading's length in bytes. The sentence must start with a
/// word of [`SENTENCE_STARTS`], followed by a lowercase word (a determiner may also come
/// before a name), and the heading must be two or more words that could end a heading.
fn fused_heading(s: &str) -> Option<usize> {
    let ws = words(s);
    let run = ws
        .iter()
        .enumerate()
        .take_while(|&(k, &(_, w))| title_word(w, k == 0, false))
        .count();
    for j in 2..run.min(MAX_HEADING_WORDS + 1) {
        let start = ws[j].1;
        if !SENTENCE_STARTS.contains(&start) {
            continue;
        }
        if !starts_sentence(&ws[j + 1..], BEFORE_NAMES.contains(&start)) {
            continue;
        }
        let heading: Vec<&str> = ws[..j].iter().map(|&(_, w)| w).collect();
        let content = heading.iter().filter(|w| !is_function_word(w)).count();
        let article = matches!(start, "A" | "An");
        let letter_name = LETTER_NAMES.contains(&heading[j - 1].to_lowercase().as_str());
        if !is_function_word(heading[j - 1])
            && heading[j - 1].chars().any(char::is_alphanumeric)
            && (!article || (content >= 2 && !is_function_word(heading[0]) && !letter_name))
            && !ws[j..].iter().all(|&(_, w)| title_word(w, false, false))
        {
            return Some(ws[j].0);
        }
    }
    None
}

/// Whether the words after a sentence's first word go on as a sentence: a lowercase word next
/// ("If you …", "The doctor …", "In the early …"; but not "of", which continues a name:
/// "Friends of Widgets"), or, after a determiner (`names`), a lowercase word within six words of Title Case
/// without punctuation ("The Food and Drug Administration has …").
fn starts_sentence(after: &[(usize, &str)], names: bool) -> bool {
    let lowercase = |w: &str| {
        w.trim_start_matches(['"', '“', '\'', '('])
            .starts_with(char::is_lowercase)
    };
    let Some(&(_, first)) = after.first() else {
        return false;
    };
    if first == "of" {
        return false;
    }
    // Past lowercase function words ("With a …", "You and your …"), the next word must be
    // lowercase too: "With a Doctor" goes on as a title.
    let skip = after
        .iter()
        .take_while(|&&(_, w)| lowercase(w) && is_function_word(w))
        .count();
    if skip > 0 {
        return after
            .get(skip)
            .is_some_and(|&(_, w)| lowercase(w) || w.starts_with(|c: char| c.is_ascii_digit()));
    }
    if lowercase(first) || first.starts_with(|c: char| c.is_ascii_digit()) {
        return true;
    }
    names
        && after
            .iter()
            .take(6)
            .take_while(|&&(_, w)| !lowercase(w))
            .all(|&(_, w)| title_word(w, false, false))
        && after.iter().take(6).any(|&(_, w)| lowercase(w))
}

/// A table flattened into a sentence.
struct Table<'a> {
    header: &'a str,
    rows: Vec<String>,
    /// Byte offset just after the last row.
    end: usize,
}

/// A table at the start of `s`: a header of up to [`MAX_HEADING_WORDS`] words ending in `)`,
/// then rows of capitalised names of up to ten words, each ending in a frequency or `-`, then
/// the end or a capitalised word; one row is enough when the text after it starts a sentence,
/// else two are needed.
fn frequency_table(s: &str) -> Option<Table<'_>> {
    let ws = words(s);
    let head = ws
        .iter()
        .take(MAX_HEADING_WORDS)
        .position(|&(_, w)| w.ends_with(')'))?;
    if ws[..=head]
        .iter()
        .any(|&(_, w)| w.ends_with(['.', '?', '!', ':', ';']))
    {
        return None;
    }
    let header_end = ws[head].0 + ws[head].1.len();
    let mut rows = Vec::new();
    let mut k = head + 1;
    let mut end = header_end;
    while k < ws.len() {
        let name_ok = |w: &str| !is_frequency(w) && !w.ends_with(['.', '?', '!', ':', ';']);
        if !ws[k].1.starts_with(char::is_uppercase) {
            break;
        }
        let Some(len) = ws[k..].iter().take(11).position(|&(_, w)| is_frequency(w)) else {
            break;
        };
        if len == 0 || !ws[k..k + len].iter().all(|&(_, w)| name_ok(w)) {
            break;
        }
        let value = ws[k + len];
        let name = &s[ws[k].0..ws[k + len - 1].0 + ws[k + len - 1].1.len()];
        rows.push(if value.1 == "-" {
            name.to_string()
        } else {
            format!("{name} {}", value.1)
        });
        end = value.0 + value.1.len();
        k += len + 1;
    }
    let next_starts = ws
        .get(k)
        .is_none_or(|&(_, w)| w.starts_with(char::is_uppercase));
    (rows.len() >= 2 || (rows.len() == 1 && next_starts && k < ws.len())).then(|| Table {
        header: &s[..header_end],
        rows,
        end,
    })
}

/// `90%`, `7.5%`, `25/25`, or `-` (no figure).
fn is_frequency(w: &str) -> bool {
    if w == "-" {
        return true;
    }
    let digits = |t: &str| {
        !t.is_empty()
            && t.chars().all(|c| c.is_ascii_digit() || c == '.')
            && t.starts_with(|c: char| c.is_ascii_digit())
    };
    if let Some(p) = w.strip_suffix('%') {
        return digits(p);
    }
    w.split_once('/')
        .is_some_and(|(a, b)| digits(a) && digits(b) && !a.contains('.') && !b.contains('.'))
}

fn is_function_word(w: &str) -> bool {
    let w = w
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    FUNCTION_WORDS.contains(&w.as_str())
}

/// A word of a Title Case phrase: capitalised or a number, or a lowercase function word after
/// the first; symbols such as `&` join. `commas`: a trailing comma may end the word (a whole-line
/// heading such as "Heart, Lung, and Blood Diseases"); otherwise any trailing punctuation but a
/// closing bracket or quote ends the phrase.
fn title_word(w: &str, first: bool, commas: bool) -> bool {
    let core = w.trim_start_matches(['(', '[', '"', '“', '\'']);
    let body = core.trim_end_matches([')', ']', '"', '”', '\'']);
    let body = if commas {
        body.strip_suffix(',').unwrap_or(body)
    } else {
        body
    };
    if body.ends_with(['.', ',', ':', ';', '?', '!']) && !is_dotted(body) {
        return false;
    }
    match body.chars().next() {
        Some(c) if c.is_uppercase() || c.is_ascii_digit() => true,
        Some(c) if c.is_lowercase() => !first && is_function_word(body),
        Some(_) => !first && !body.chars().any(char::is_alphanumeric),
        None => false,
    }
}

/// "U.S.", "vs.": a word whose final period belongs to it.
fn is_dotted(w: &str) -> bool {
    w.strip_suffix('.')
        .is_some_and(|inner| inner.contains('.') || inner.eq_ignore_ascii_case("vs"))
}

/// A short Title Case phrase with no end punctuation and no web address: a possible heading.
fn heading_like(s: &str, commas: bool) -> bool {
    let ws: Vec<&str> = s.split_whitespace().collect();
    let Some(&last) = ws.last() else {
        return false;
    };
    if ws.len() > MAX_HEADING_WORDS
        || s.len() > 100
        || s.ends_with(['.', '!', '?', ':', ';', ',', '-'])
    {
        return false;
    }
    let lower = s.to_lowercase();
    if lower.contains("http") || lower.contains("www.") || s.contains('@') {
        return false;
    }
    ws.iter()
        .enumerate()
        .all(|(k, w)| title_word(w, k == 0, commas))
        && !is_function_word(last)
        && ws
            .iter()
            .any(|w| !is_function_word(w) && w.chars().any(char::is_alphabetic))
}

/// A short line that starts with a capital and has no end punctuation ("Kidney disease").
fn short_fragment(s: &str) -> bool {
    s.split_whitespace().count() <= MAX_HEADING_WORDS
        && s.starts_with(char::is_uppercase)
        && !s.ends_with(['.', '!', '?', ':', ';', ','])
        && !s.to_lowercase().contains("http")
}

/// Text that reads as a paragraph rather than a label: four words or more, or a sentence end.
fn prose_like(s: &str) -> bool {
    s.split_whitespace().count() >= 4 || s.trim_end().ends_with(['.', '!', '?', ':'])
}

/// Text after a run of spaces that starts a paragraph, so that a Title Case run before it is its
/// heading: a capital or digit first, four words or more, and a sentence end in it (a run of
/// names such as a flattened list of drugs has none).
fn paragraph_start(s: &str) -> bool {
    let s = s.trim();
    s.starts_with(|c: char| c.is_uppercase() || c.is_ascii_digit())
        && s.split_whitespace().count() >= 4
        && (s.ends_with(['.', '!', '?', ':']) || split_sentences(s).len() >= 2)
}

/// Whether a paragraph ends so that a list must follow: a colon, or an open word ("include").
fn opens_list(p: &str) -> bool {
    p.ends_with(':')
        || p.split_whitespace()
            .next_back()
            .is_some_and(|w| w.starts_with(char::is_lowercase) && w.ends_with(char::is_alphabetic))
}

/// Lowercase content words, a final plural `s` dropped.
fn content_words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3 && !is_function_word(w))
        .map(|w| {
            let w = w.to_lowercase();
            match w.strip_suffix('s') {
                Some(stem) if stem.len() >= 3 => stem.to_string(),
                _ => w,
            }
        })
        .collect()
}

/// Whether a heading names the paragraph after it: they share a content word.
fn names(heading: &str, para: &str) -> bool {
    let para = content_words(para);
    content_words(heading).iter().any(|w| para.contains(w))
}

fn normalized(s: &str) -> String {
    collapse_ws(s).to_lowercase()
}

/// Decides each line's part from the lines around it, nests headings and cleans the text.
fn resolve(pro: Vec<Pro>) -> Vec<AnswerBlock> {
    // leads[k]: block k, as a heading, would have body text under it.
    let mut leads = vec![false; pro.len()];
    for k in (0..pro.len()).rev() {
        leads[k] = match pro.get(k + 1) {
            None => false,
            Some(Pro::Para { text, .. }) => prose_like(text),
            Some(Pro::Item(_)) => true,
            Some(Pro::Lone { title: false, .. }) => false,
            Some(Pro::Heading(_) | Pro::Lone { title: true, .. }) => leads[k + 1],
        };
    }
    let mut out = Vec::new();
    let mut items: Vec<String> = Vec::new();
    let mut in_list = false;
    let mut depth = 0u8;
    let heading = |out: &mut Vec<AnswerBlock>, depth: &mut u8, text: &str| {
        *depth = (*depth + 1).min(MAX_DEPTH);
        out.push(AnswerBlock::Heading(*depth, collapse_ws(text)));
    };
    for (k, block) in pro.iter().enumerate() {
        match block {
            Pro::Heading(t) => {
                heading(&mut out, &mut depth, t);
                in_list = false;
            }
            Pro::Para { text, line } => {
                if *line && leads[k] && items.contains(&normalized(text)) {
                    heading(&mut out, &mut depth, text);
                    in_list = false;
                } else {
                    in_list = opens_list(text);
                    push_body(&mut out, &mut depth, AnswerBlock::Paragraph, text);
                }
            }
            Pro::Item(t) => {
                items.push(normalized(t));
                in_list = false;
                push_body(&mut out, &mut depth, AnswerBlock::Item, t);
            }
            Pro::Lone { text, title } => {
                let next_para = match pro.get(k + 1) {
                    Some(Pro::Para { text, .. }) if prose_like(text) => Some(text.as_str()),
                    _ => None,
                };
                if in_list {
                    if *title && next_para.is_some_and(|p| names(text, p)) {
                        heading(&mut out, &mut depth, text);
                        in_list = false;
                    } else {
                        push_body(&mut out, &mut depth, AnswerBlock::Item, text);
                    }
                } else if *title && leads[k] {
                    heading(&mut out, &mut depth, text);
                } else {
                    push_body(&mut out, &mut depth, AnswerBlock::Paragraph, text);
                }
            }
        }
    }
    out
}

/// Pushes a paragraph or item, cleaned; body text ends a run of nested headings.
fn push_body(
    out: &mut Vec<AnswerBlock>,
    depth: &mut u8,
    make: fn(String) -> AnswerBlock,
    text: &str,
) {
    let text = collapse_ws(&clean_block(&collapse_ws(text)));
    if !text.is_empty() {
        out.push(make(text));
        *depth = 0;
    }
}

#[cfg(test)]
mod tests;
