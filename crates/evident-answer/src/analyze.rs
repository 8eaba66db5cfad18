//! Question analysis: the kind of question, its focus, population qualifiers, and what a
//! follow-up inherits from the question it follows.
//!
//! [`analyze`] splits the question into words once; each step reads the same words.

use evident_core::text::is_stopword;
use evident_core::{Qualifier, QuestionAnalysis, QuestionKind};
use evident_index::lexicon::{words, Lexicon, Word};

/// Cue words and phrases per kind (lowercase; a phrase matches consecutive words; a cue ending
/// in `*` matches any word starting with it). Order matters for ties: earlier kinds win.
const KIND_CUES: &[(QuestionKind, &[&str])] = &[
    (
        QuestionKind::SideEffects,
        &[
            "side effect*",
            "adverse",
            "toxicit*",
            "safe to take",
            "interaction*",
        ],
    ),
    (
        QuestionKind::Dosing,
        &[
            "dose*",
            "dosage*",
            "dosing",
            "how much",
            "mg",
            "mcg",
            "how many milligrams",
        ],
    ),
    (QuestionKind::Screening, &["screen*"]),
    (
        QuestionKind::Prevention,
        &[
            "prevent*",
            "prophyla*",
            "reduce the risk",
            "keep from getting",
            "avoid getting",
        ],
    ),
    (
        QuestionKind::Diagnosis,
        &[
            "diagnos*",
            "test for",
            "tested",
            "workup",
            "work up",
            "staging",
            "evaluation",
            "evaluate",
            "imaging",
            "confirm",
            "how do doctors test",
            "biopsy",
        ],
    ),
    (
        QuestionKind::Monitoring,
        &[
            "monitor*",
            "follow up",
            "surveillance",
            "how often",
            "blood tests",
        ],
    ),
    (
        QuestionKind::Prognosis,
        &[
            "prognos*",
            "outlook",
            "survival",
            "life expectancy",
            "go back to normal",
            "recover*",
            "how long will",
            "chance of",
        ],
    ),
    (
        QuestionKind::Treatment,
        &[
            "treat*",
            "therap*",
            "manag*",
            "drug*",
            "medication*",
            "medicine*",
            "regimen*",
            "first line",
            "second line",
            "get rid of",
            "cure",
            "surgery",
            "operation",
            "prescri*",
            "take",
        ],
    ),
    (QuestionKind::Causes, &["cause*", "why do", "risk factor*"]),
    (QuestionKind::Symptoms, &["symptom*", "signs"]),
    (
        QuestionKind::Comparison,
        &[
            "vs",
            "versus",
            "compared",
            "difference between",
            "better than",
        ],
    ),
];

/// Population qualifiers: (kind, cues).
const QUALIFIER_CUES: &[(&str, &[&str])] = &[
    (
        "pregnancy",
        &[
            "pregnan*",
            "breastfeed*",
            "lactat*",
            "postpartum",
            "could become pregnant",
        ],
    ),
    (
        "children",
        &[
            "child*",
            "pediatric",
            "paediatric",
            "infant*",
            "newborn*",
            "adolescen*",
            "teen*",
            "kids",
        ],
    ),
    (
        "older_adults",
        &["older adult*", "elderly", "aged 65", "over 75", "frail"],
    ),
    ("renal", &["renal", "kidney", "ckd", "dialysis", "egfr"]),
    ("hepatic", &["hepatic", "liver", "cirrhosis"]),
    (
        "subgroup",
        &[
            "anti hmgcr",
            "anti srp",
            "seronegative",
            "seropositive",
            "positive",
            "negative",
        ],
    ),
    ("stage", &["stage"]),
];

/// Words that say what is asked rather than what about; never part of a focus.
const GENERIC: &[&str] = &[
    "adult",
    "adults",
    "best",
    "current",
    "doctor",
    "doctors",
    "first",
    "guideline",
    "guidelines",
    "line",
    "man",
    "new",
    "old",
    "option",
    "options",
    "patient",
    "patients",
    "per",
    "recommend",
    "recommendation",
    "recommendations",
    "recommended",
    "second",
    "should",
    "standard",
    "start",
    "starting",
    "treatment",
    "treatments",
    "therapy",
    "woman",
    "women",
    "year",
    "years",
    "management",
    "manage",
    "initial",
    "approach",
    "usual",
    "used",
    "use",
];

fn cue_matches(cue: &str, ws: &[Word], i: usize) -> Option<usize> {
    let parts: Vec<&str> = cue.split(' ').collect();
    if i + parts.len() > ws.len() {
        return None;
    }
    for (k, part) in parts.iter().enumerate() {
        let w = &ws[i + k].lower;
        let ok = match part.strip_suffix('*') {
            Some(prefix) => w.starts_with(prefix),
            None => w == part,
        };
        if !ok {
            return None;
        }
    }
    Some(parts.len())
}

/// Counts cue hits in `ws`; returns matched word positions too.
fn count_cues(cues: &[&str], ws: &[Word]) -> (usize, Vec<(usize, usize)>) {
    let mut n = 0;
    let mut spans = Vec::new();
    for i in 0..ws.len() {
        for cue in cues {
            if let Some(len) = cue_matches(cue, ws, i) {
                n += 1;
                spans.push((i, i + len));
                break;
            }
        }
    }
    (n, spans)
}

/// The kind of question, by cue counts (ties go to the earlier kind in [`KIND_CUES`]).
pub fn question_kind(question: &str) -> QuestionKind {
    kind_of(&words(question))
}

fn kind_of(ws: &[Word]) -> QuestionKind {
    let mut best = (0, QuestionKind::General);
    for (kind, cues) in KIND_CUES {
        let (n, _) = count_cues(cues, ws);
        if n > best.0 {
            best = (n, *kind);
        }
    }
    best.1
}

/// Population qualifiers named in the question.
pub fn qualifiers(question: &str) -> Vec<Qualifier> {
    qualifiers_of(&words(question))
}

fn qualifiers_of(ws: &[Word]) -> Vec<Qualifier> {
    let mut out: Vec<Qualifier> = Vec::new();
    for (kind, cues) in QUALIFIER_CUES {
        let (_, spans) = count_cues(cues, ws);
        if let Some(&(s, e)) = spans.first() {
            let mut end = e;
            // "stage I", "stage 3": keep the stage number with it.
            if *kind == "stage" && end < ws.len() {
                end += 1;
            }
            // "anti-HMGCR positive": keep the word before "positive"/"negative".
            let start = if *kind == "subgroup" && e - s == 1 && s > 0 {
                s - 1
            } else {
                s
            };
            let text = ws[start..end]
                .iter()
                .map(|w| w.original.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            if !out.iter().any(|q| q.kind == *kind) {
                out.push(Qualifier {
                    kind: kind.to_string(),
                    text,
                });
            }
        }
    }
    out
}

/// The focus: the longest lexicon term in the question, else the longest run of content words
/// that are neither stopwords, kind cues, qualifiers nor generic words.
pub fn focus(question: &str, lexicon: &Lexicon) -> Option<String> {
    focus_of(&words(question), lexicon)
}

fn focus_of(ws: &[Word], lexicon: &Lexicon) -> Option<String> {
    let mut excluded = vec![false; ws.len()];
    let cue_lists = KIND_CUES
        .iter()
        .map(|(_, c)| *c)
        .chain(QUALIFIER_CUES.iter().map(|(_, c)| *c));
    for cues in cue_lists {
        let (_, spans) = count_cues(cues, ws);
        for (s, e) in spans {
            for x in excluded.iter_mut().take(e).skip(s) {
                *x = true;
            }
        }
    }
    let found = lexicon.find(ws);
    if let Some(best) = found
        .iter()
        .filter(|f| !(f.start..f.end).all(|i| excluded[i]))
        .max_by_key(|f| {
            let canonical = &lexicon.group(f.group)[0];
            (canonical.words.len(), f.end - f.start)
        })
    {
        let typed: Vec<&str> = ws[best.start..best.end]
            .iter()
            .map(|w| w.original.as_str())
            .collect();
        let canonical = lexicon.group(best.group)[0].text();
        let typed = typed.join(" ");
        return Some(if typed.to_lowercase() == canonical {
            canonical
        } else {
            format!("{canonical} ({typed})")
        });
    }
    let content = |i: usize| {
        let w = &ws[i].lower;
        !excluded[i]
            && !is_stopword(w)
            && !crate::concepts::is_not_topic(w)
            && !GENERIC.contains(&w.as_str())
            && !w.chars().all(|c| c.is_ascii_digit())
            && w.chars().count() > 1
    };
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < ws.len() {
        if content(i) {
            let s = i;
            while i < ws.len() && content(i) {
                i += 1;
            }
            if best.is_none_or(|(bs, be)| i - s > be - bs) {
                best = Some((s, i));
            }
        } else {
            i += 1;
        }
    }
    best.map(|(s, e)| {
        ws[s..e]
            .iter()
            .map(|w| w.original.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// Whether `word` (lowercase) says what kind of answer is wanted or for whom — a cue of a
/// question kind or population, or a generic word — rather than naming the topic.
pub fn is_question_word(word: &str) -> bool {
    let ws = words(word);
    if GENERIC.contains(&word) {
        return true;
    }
    KIND_CUES
        .iter()
        .map(|(_, c)| *c)
        .chain(QUALIFIER_CUES.iter().map(|(_, c)| *c))
        .any(|cues| cues.iter().any(|cue| cue_matches(cue, &ws, 0) == Some(1)))
}

/// Whether `word` (lowercase) names a population qualifier ("kidney", "pregnancy"): such words
/// can also be part of a name ("kidney disease").
pub fn is_qualifier_word(word: &str) -> bool {
    let ws = words(word);
    QUALIFIER_CUES
        .iter()
        .any(|(_, cues)| cues.iter().any(|cue| cue_matches(cue, &ws, 0) == Some(1)))
}

/// Whether a question reads as a follow-up that leans on its parent: short, or starting with
/// "and", "what about", "how about", "in …", or without a focus of its own. `ws` are the
/// question's words.
fn leans_on_parent(question: &str, ws: &[Word], own_focus: Option<&str>) -> bool {
    let q = question.trim().to_lowercase();
    let starts = [
        "and ",
        "what about",
        "how about",
        "in ",
        "for ",
        "what if",
        "also",
        "but ",
    ];
    own_focus.is_none() || starts.iter().any(|s| q.starts_with(s)) || lowercase_words(ws) <= 4
}

/// How many words the lowercased question has: its word count, unless lowercasing splits a
/// word (a few letters lowercase to a letter and a combining mark, as "İ" does).
fn lowercase_words(ws: &[Word]) -> usize {
    ws.iter()
        .map(|w| {
            if w.lower.chars().all(char::is_alphanumeric) {
                1
            } else {
                words(&w.lower).len()
            }
        })
        .sum()
}

/// The analysis of a follow-up that leans on its parent: it inherits what it leaves out (the
/// focus, the kind when its own is general, earlier qualifiers), and its query leads with the
/// parent's focus. `own` is the follow-up's analysis on its own.
pub fn lean_on_parent(
    question: &str,
    own: QuestionAnalysis,
    parent_q: &str,
    parent_a: &QuestionAnalysis,
) -> QuestionAnalysis {
    let kind = if own.kind == QuestionKind::General {
        parent_a.kind
    } else {
        own.kind
    };
    let mut quals = own.qualifiers;
    for q in &parent_a.qualifiers {
        if !quals.iter().any(|mine| mine.kind == q.kind) {
            quals.push(q.clone());
        }
    }
    let focus = parent_a.focus.clone().or(own.focus);
    let query = format!(
        "{} {}",
        focus.as_deref().unwrap_or(parent_q),
        question.trim()
    );
    QuestionAnalysis {
        kind,
        focus,
        qualifiers: quals,
        query,
        follows: Some(parent_q.to_string()),
    }
}

/// Analyses `question`; for a follow-up, `parent` is the question it follows and its analysis.
pub fn analyze(
    question: &str,
    parent: Option<(&str, &QuestionAnalysis)>,
    lexicon: &Lexicon,
) -> QuestionAnalysis {
    let ws = words(question);
    let own_kind = kind_of(&ws);
    let own_focus = focus_of(&ws, lexicon);
    let quals = qualifiers_of(&ws);
    let Some((parent_q, parent_a)) = parent else {
        return QuestionAnalysis {
            kind: own_kind,
            focus: own_focus,
            qualifiers: quals,
            query: question.to_string(),
            follows: None,
        };
    };
    if !leans_on_parent(question, &ws, own_focus.as_deref()) {
        return QuestionAnalysis {
            kind: own_kind,
            focus: own_focus,
            qualifiers: quals,
            query: question.to_string(),
            follows: Some(parent_q.to_string()),
        };
    }
    lean_on_parent(
        question,
        QuestionAnalysis {
            kind: own_kind,
            focus: own_focus,
            qualifiers: quals,
            query: question.to_string(),
            follows: None,
        },
        parent_q,
        parent_a,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex() -> &'static Lexicon {
        Lexicon::builtin()
    }

    #[test]
    fn kinds_of_common_questions() {
        let cases = [
            (
                "What is the treatment for necrotizing autoimmune myopathy?",
                QuestionKind::Treatment,
            ),
            (
                "Who should be screened for hepatitis C?",
                QuestionKind::Screening,
            ),
            (
                "What dose of folic acid should be recommended?",
                QuestionKind::Dosing,
            ),
            (
                "How do doctors test for celiac disease?",
                QuestionKind::Diagnosis,
            ),
            (
                "What is the prognosis of primary CNS lymphoma?",
                QuestionKind::Prognosis,
            ),
            (
                "What are the side effects of metformin?",
                QuestionKind::SideEffects,
            ),
            ("How can I prevent falls?", QuestionKind::Prevention),
            ("What causes gout?", QuestionKind::Causes),
            ("Tell me about Lexapro", QuestionKind::General),
        ];
        for (q, want) in cases {
            assert_eq!(question_kind(q), want, "{q}");
        }
    }

    #[test]
    fn focus_prefers_lexicon_terms_and_keeps_what_was_typed() {
        assert_eq!(
            focus(
                "What is the treatment for necrotizing autoimmune myopathy?",
                lex()
            )
            .as_deref(),
            Some("necrotizing autoimmune myopathy")
        );
        let f = focus("first-line treatment of stage I NSCLC", lex()).unwrap();
        assert!(f.starts_with("non small cell lung cancer"), "{f}");
        assert_eq!(
            focus(
                "What is the recommended dose of nirsevimab for infants?",
                lex()
            )
            .as_deref(),
            Some("nirsevimab")
        );
    }

    #[test]
    fn qualifiers_are_found() {
        let q = qualifiers("Treatment of anti-SRP positive NAM in pregnancy, stage II");
        let kinds: Vec<&str> = q.iter().map(|q| q.kind.as_str()).collect();
        assert_eq!(kinds, ["pregnancy", "subgroup", "stage"]);
        assert_eq!(q[1].text, "anti SRP");
        assert_eq!(q[2].text, "stage II");
    }

    #[test]
    fn a_follow_up_inherits_focus_and_kind() {
        let parent_q = "What is the treatment for necrotizing autoimmune myopathy?";
        let parent = analyze(parent_q, None, lex());
        let child = analyze("and in pregnancy?", Some((parent_q, &parent)), lex());
        assert_eq!(child.kind, QuestionKind::Treatment);
        assert_eq!(child.focus, parent.focus);
        assert_eq!(child.qualifiers[0].kind, "pregnancy");
        assert!(child.query.contains("necrotizing autoimmune myopathy"));
        assert_eq!(child.follows.as_deref(), Some(parent_q));
        // A new topic does not inherit.
        let other = analyze(
            "Who should be screened for hepatitis C in adults?",
            Some((parent_q, &parent)),
            lex(),
        );
        assert_eq!(other.kind, QuestionKind::Screening);
        assert!(!other.query.contains("myopathy"));
    }
}
