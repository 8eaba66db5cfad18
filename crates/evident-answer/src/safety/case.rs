//! Whether a question describes a person's situation ("my son has…", "68-year-old presenting
//! with…", "I can't breathe") rather than asking about a condition in general ("How is chest
//! pain evaluated?"). Only then do most warning signs count, so clinicians asking about a
//! condition are not shown false alarms.
//!
//! The grammar is here; the word lists are the table's (`data/warning-signs.yaml`, `words`).

use evident_core::Audience;

use super::rules::Words;

/// Whether the question's words `t` describe a case, for `audience`: patients and the public
/// describe their own situation in more ways than clinicians do.
pub(crate) fn describes_a_case(t: &[String], audience: Audience, words: &Words) -> bool {
    let lay = matches!(audience, Audience::Patient | Audience::All);
    let statement = !looks_general(t, words);
    let at = |i: usize| t.get(i).map(String::as_str).unwrap_or("");
    let prev = |i: usize| if i == 0 { "" } else { at(i - 1) };
    for i in 0..t.len() {
        let w = at(i);
        let next = at(i + 1);
        // An age alone ("a febrile 10-week-old") can stand for a kind of patient in a
        // clinician's general question; it needs another marker there.
        let age_only = !lay && !statement;
        if (is_age_and_sex(w) || is_obstetric_history(w)) && !age_only {
            return true;
        }
        // "HR 125", "temperature of 39.2", "sats were 91"
        let value = if matches!(next, "of" | "is" | "was" | "were" | "at" | "now") {
            at(i + 2)
        } else {
            next
        };
        if words.measures.contains(w) && value.starts_with(|c: char| c.is_ascii_digit()) {
            return true;
        }
        if statement && (words.statement_markers.contains(w) || words.persons.contains(w)) {
            return true;
        }
        let marker = match w {
            "i" if words.numeral_before.contains(prev(i)) => false,
            "i" | "id" => {
                lay || !words.clinical_verbs.contains(next) && !words.modals.contains(next)
            }
            "im" | "ive" => {
                lay || !(next == "a" || next == "an") || !words.professions.contains(at(i + 2))
            }
            "me" => lay || !words.asks_for.contains(prev(i)),
            "my" | "our" => {
                (lay || w == "my") && !words.workplace.contains(next)
                    || words.relations.any_prefix_of(next)
            }
            "we" | "us" => lay,
            "he" | "she" | "hes" | "shes" => {
                matches!(w, "hes" | "shes") || words.third_person_verbs.contains(next)
            }
            "his" | "her" | "their" if is_decade(next) => true,
            "his" | "her" => words.relations.any_prefix_of(next) || words.body.contains(next),
            "now" => words.third_person_verbs.contains(next),
            "old" => {
                !age_only
                    && matches!(
                        prev(i),
                        "year" | "month" | "week" | "day" | "years" | "months" | "weeks" | "days"
                    )
            }
            "came" | "comes" | "brought" => next == "in",
            "patient" => {
                matches!(prev(i), "my" | "this" | "the")
                    || matches!(
                        next,
                        "is" | "has"
                            | "had"
                            | "was"
                            | "cant"
                            | "reports"
                            | "complains"
                            | "developed"
                    )
            }
            "right" | "just" => next == "now",
            "this" => matches!(next, "morning" | "afternoon" | "evening"),
            "last" => next == "night",
            "woke" | "waking" => next == "up",
            "help" => i == 0 || prev(i) == "please",
            _ => words.case_markers.contains(w),
        };
        if marker {
            return true;
        }
    }
    // For patients, a statement of symptoms that is not phrased as a general question.
    lay && !looks_general(t, words)
}

/// "54m", "72f", "6yo", "3mo": a clinician's shorthand for a person's age and sex.
fn is_age_and_sex(w: &str) -> bool {
    let digits = w.chars().take_while(char::is_ascii_digit).count();
    (1..=3).contains(&digits)
        && matches!(
            &w[digits..],
            "m" | "f" | "yo" | "yom" | "yof" | "mo" | "y" | "yr"
        )
}

/// "g2p1": gravidity and parity.
fn is_obstetric_history(w: &str) -> bool {
    let Some(rest) = w.strip_prefix('g') else {
        return false;
    };
    let g = rest.chars().take_while(char::is_ascii_digit).count();
    g > 0 && rest[g..].starts_with('p') && rest[g + 1..].starts_with(|c: char| c.is_ascii_digit())
}

/// "60s", as in "in his 60s".
fn is_decade(w: &str) -> bool {
    w.len() == 3 && w.ends_with("0s") && w.starts_with(|c: char| c.is_ascii_digit())
}

/// Phrased as a general question: starts with a question word, or asks about treatment, causes,
/// signs, guidelines and the like.
fn looks_general(t: &[String], words: &Words) -> bool {
    t.first().is_some_and(|w| words.general_starts.contains(w))
        || t.iter().any(|w| words.general_words.contains(w))
}
