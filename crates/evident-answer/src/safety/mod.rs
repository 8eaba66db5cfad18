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
//! `patterns` matches one pattern, `case` decides whether a case is described, and `notice`
//! holds the notice's wording.

mod case;
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
    let tokens = normalize(question);
    if tokens.is_empty() {
        return Vec::new();
    }
    let table = rules::builtin();
    let grammar = table.words.grammar();
    let describes = case::describes_a_case(&tokens, audience, &table.words);
    let mut found: Vec<&'static Rule> = Vec::new();
    for rule in &table.rules {
        if (rule.personal || describes)
            && rule.matches(&tokens, grammar)
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

/// The question as the patterns see it: lowercase words, apostrophes dropped (the workspace
/// tokenizer with [`Apostrophes::Drop`]), negated contractions joined ("can not" → "cant"), at
/// most [`MAX_WORDS`]. Only the first `MAX_WORDS * 12` bytes are read, so that a huge input costs
/// no more than a long question.
fn normalize(question: &str) -> Vec<String> {
    let mut cap = question.len().min(MAX_WORDS * 12);
    while !question.is_char_boundary(cap) {
        cap -= 1;
    }
    let mut out: Vec<String> = Vec::new();
    for word in words_with(&question[..cap], Apostrophes::Drop)
        .into_iter()
        .take(MAX_WORDS)
    {
        let word = word.lower;
        let joined = match (out.last().map(String::as_str), word.as_str()) {
            (Some("can"), "not") => Some("cant"),
            (Some("could"), "not") => Some("couldnt"),
            (Some("will"), "not") => Some("wont"),
            (Some("does"), "not") => Some("doesnt"),
            (Some("do"), "not") => Some("dont"),
            (Some("is"), "not") => Some("isnt"),
            _ => None,
        };
        if let Some(j) = joined {
            *out.last_mut().expect("checked") = j.to_string();
        } else if word == "cannot" {
            out.push("cant".to_string());
        } else {
            out.push(word);
        }
    }
    out
}
