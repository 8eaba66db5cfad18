//! Emergency warning signs in a question.
//!
//! When someone describes chest pain, signs of stroke, trouble breathing, thoughts of suicide and
//! the like, the answer puts an urgent-care notice first. The signs are found with word patterns
//! written for this project (no model, no network), and only when the question describes a
//! person's situation — "I woke up with my face drooping", "68-year-old man presenting with
//! crushing chest pain" — not when it asks about a condition in general ("How is acute chest pain
//! evaluated?"), so clinicians are not shown false alarms.
//!
//! The rules, the pattern syntax and the word lists are data, `data/warning-signs.yaml`, loaded
//! and checked once (`rules`); this module reads a question into words and runs the rules;
//! `patterns` matches one pattern, `case` decides whether a case is described, `notice`
//! holds the notice's wording, and `eval_set` measures the detector on a marked set of
//! questions (`evident eval urgent`).

mod case;
pub mod eval_set;
mod notice;
mod patterns;
mod rules;
#[cfg(test)]
mod tests;

use evident_core::text::{words_with, Apostrophes};
use evident_core::Audience;

use rules::Rule;

/// Questions are read up to this many words.
const MAX_WORDS: usize = 4000;

/// Loads and checks the warning-sign table (`data/warning-signs.yaml`) now rather than at the
/// first question; a composer does this when it is made, so a broken table stops the program at
/// start with a message naming the rule.
pub fn init() {
    rules::builtin();
}

/// Emergency warning signs that `question` describes, as labels ("chest pain or pressure",
/// "face drooping", …), in rule order without repeats. Empty when the question asks about a
/// condition in general rather than describing someone's situation.
pub fn warning_signs(question: &str, audience: Audience) -> Vec<&'static str> {
    detect(question, audience)
        .into_iter()
        .map(|r| r.sign.as_str())
        .collect()
}

/// An urgent-care notice to show first when `question` describes emergency warning signs, in
/// words for `audience`: plain advice to call the emergency number (and, for thoughts of
/// suicide, the 988 crisis line) for patients and the public; one short line for clinicians and
/// students. Names the signs found. `None` when there are none.
pub fn urgent_notice(question: &str, audience: Audience) -> Option<String> {
    let found = detect(question, audience);
    (!found.is_empty()).then(|| notice::compose(&found, audience))
}

/// The rules that fire on `question`, one per sign, less those a more specific one replaces.
fn detect(question: &str, audience: Audience) -> Vec<&'static Rule> {
    let table = rules::builtin();
    let reading = Reading::new(question, table);
    if reading.all.is_empty() {
        return Vec::new();
    }
    let grammar = table.words.grammar();
    let describes = case::describes_a_case(&reading.all, audience, &table.words);
    let mut found: Vec<&'static Rule> = Vec::new();
    for rule in &table.rules {
        if (rule.personal || describes)
            && rule.matches(&reading.live, grammar)
            && !found.iter().any(|r| r.sign == rule.sign)
        {
            found.push(rule);
        }
    }
    let replaced: Vec<&str> = found
        .iter()
        .flat_map(|r| r.replaces.iter().map(String::as_str))
        .collect();
    found.retain(|r| !replaced.contains(&r.sign.as_str()));
    found
}

/// Between clauses in [`Reading`]: no pattern, gap or negation reaches across it, and no word
/// of a question is empty.
pub(crate) const CLAUSE_BREAK: &str = "";

/// A question as the rules see it: its words, clause by clause, with [`CLAUSE_BREAK`] between
/// clauses.
#[derive(Debug)]
pub(crate) struct Reading {
    /// Every clause: whether a case is described is read from the whole question.
    pub all: Vec<String>,
    /// The clauses that are not about a past event or someone's history (the table's `past`
    /// patterns): "I had a stroke two years ago and my speech is still slurred" asks about
    /// what is left, not about an emergency. Signs are looked for here.
    pub live: Vec<String>,
}

impl Reading {
    pub fn new(question: &str, table: &rules::Table) -> Reading {
        let clauses = clauses(question, &table.words);
        let join = |keep: &dyn Fn(&[String]) -> bool| {
            let mut out: Vec<String> = Vec::new();
            for c in clauses.iter().filter(|c| keep(c)) {
                if !out.is_empty() {
                    out.push(CLAUSE_BREAK.to_string());
                }
                out.extend(c.iter().cloned());
            }
            out
        };
        Reading {
            all: join(&|_| true),
            live: join(&|c| !table.is_past(c)),
        }
    }
}

/// The question's words (see [`clauses`]) without the clause breaks.
#[cfg(test)]
fn normalize(question: &str) -> Vec<String> {
    clauses(question, &rules::builtin().words).concat()
}

/// The question as the patterns see it, in clauses: lowercase words, apostrophes dropped (the
/// workspace tokenizer with [`Apostrophes::Drop`]), negated contractions joined ("can not" →
/// "cant"), at most [`MAX_WORDS`]. Only the first `MAX_WORDS * 12` bytes are read, so that a
/// huge input costs no more than a long question.
///
/// A number with a decimal point or a clock time is one word ("38.3", "09:00"). A clause ends
/// at `.`, `;`, `?`, `!`, `:` or a bracket, and before a `clause_breaks` word ("but", "now") unless a `keep_clause` word comes
/// right before it ("right now"). Empty clauses are dropped.
fn clauses(question: &str, words: &rules::Words) -> Vec<Vec<String>> {
    let mut cap = question.len().min(MAX_WORDS * 12);
    while !question.is_char_boundary(cap) {
        cap -= 1;
    }
    let text = &question[..cap];
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    let mut previous_end: Option<usize> = None;
    let mut previous_digit = false;
    for word in words_with(text, Apostrophes::Drop)
        .into_iter()
        .take(MAX_WORDS)
    {
        let digit = word.lower.starts_with(|c: char| c.is_ascii_digit());
        let between = previous_end.map_or("", |end| &text[end..word.span.start]);
        let number_inside = previous_digit && digit && matches!(between, "." | ":");
        if number_inside {
            // "38.3" stays one word, so that `38*` finds it and `3*` does not find "0.3".
            let last = out
                .last_mut()
                .and_then(|c| c.last_mut())
                .expect("a digit came before");
            last.push_str(between);
            last.push_str(&word.lower);
            previous_end = Some(word.span.end);
            continue;
        }
        if between.contains(['.', ';', '?', '!', ':', '(', ')', '[', ']']) {
            out.push(Vec::new());
        }
        previous_end = Some(word.span.end);
        previous_digit = word.lower.ends_with(|c: char| c.is_ascii_digit());
        let clause = out.last_mut().expect("never empty");
        let w = word.lower;
        let joined = match (clause.last().map(String::as_str), w.as_str()) {
            (Some("can"), "not") => Some("cant"),
            (Some("could"), "not") => Some("couldnt"),
            (Some("will"), "not") => Some("wont"),
            (Some("does"), "not") => Some("doesnt"),
            (Some("do"), "not") => Some("dont"),
            (Some("is"), "not") => Some("isnt"),
            _ => None,
        };
        if let Some(j) = joined {
            *clause.last_mut().expect("checked") = j.to_string();
            continue;
        }
        let w = if w == "cannot" { "cant".to_string() } else { w };
        let breaks = words.clause_breaks.contains(&w)
            && !clause.is_empty()
            && !clause.last().is_some_and(|p| words.keep_clause.contains(p));
        if breaks {
            out.push(vec![w]);
        } else {
            clause.push(w);
        }
    }
    out.retain(|c| !c.is_empty());
    out
}
