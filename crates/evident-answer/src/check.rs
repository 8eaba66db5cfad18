//! The sentence-support checker: does a sentence say only what the passages it cites say?
//!
//! A sentence written by someone else (a model, an editor) is checked against its cited
//! passages, with no model and no index, in this order; the first check that fails is the
//! [`Reason`]:
//!
//! 1. **Numbers**: every number of the sentence, with its unit ("40 mg", "every 3 years",
//!    "81 mg/day", "65-year-old", "20 pack-year", "50%"), and every grade or stage label
//!    ("grade B", "a B recommendation", "stage II") must be in a cited passage, with the same
//!    unit. Interval words count as numbers: "annual" is every 1 year, "biennial" every 2.
//! 2. **Names**: every drug, condition, test and population the sentence names must be in a
//!    cited passage, or a lexicon synonym of it ([`evident_index::Lexicon`]), or an acronym the
//!    passage spells out.
//! 3. **Negation and direction**: the passage sentence that covers most of the sentence (the
//!    *best* sentence) must recommend the same way ("recommends" / "recommends against",
//!    "should not", "avoid") and negate the same way ("not", "no", "without").
//! 4. **Absolutes**: "always", "never", "all", "only", "guaranteed", "cure"… in the sentence must
//!    be in a cited passage.
//! 5. **Coverage**: at least [`MIN_COVERAGE`] of the sentence's content words (stemmed with the
//!    index's own analyzer, stopwords out) must be in the best sentence.
//!
//! Words come from the workspace tokenizer ([`evident_core::text::words`]), stopwords from its
//! one list, sentences from its medical sentence splitter, condition words from
//! [`crate::concepts`]. The checker is deterministic and takes microseconds.
//!
//! ```
//! use evident_answer::check::check_claim;
//!
//! let passage = "Give 81 mg of aspirin daily after 12 weeks of gestation to pregnant persons at \
//!                high risk of preeclampsia.";
//! assert!(check_claim("Pregnant persons at high risk of preeclampsia should take aspirin 81 mg \
//!                      daily after 12 weeks of gestation.", &[passage]).supported);
//! let v = check_claim("Pregnant persons at high risk of preeclampsia should take aspirin 162 mg \
//!                      daily after 12 weeks of gestation.", &[passage]);
//! assert_eq!(v.reason.unwrap().to_string(), "number 162 mg/day not in the cited passage");
//! ```

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

use evident_core::text::{is_stopword, sentences, words, Word};
use evident_index::query::{analyze, TextAnalyzer};
use evident_index::{Lexicon, Library};

use crate::concepts::is_condition_word;

/// The least share of a sentence's content words that one passage sentence must hold.
///
/// Trades paraphrase against drift: a lower share lets added facts through, a higher one fails
/// reworded paraphrases. 0.55 is a first choice, not yet swept: on `eval/support/dev.jsonl` no
/// paraphrase fails on coverage and every `added_fact` pair is caught (docs/support-check.md).
pub const MIN_COVERAGE: f32 = 0.55;

/// The checker's verdict on one sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the cited passages support the sentence.
    pub supported: bool,
    /// Why not, when not supported.
    pub reason: Option<Reason>,
}

impl Verdict {
    fn supported() -> Verdict {
        Verdict {
            supported: true,
            reason: None,
        }
    }

    fn fails(reason: Reason) -> Verdict {
        Verdict {
            supported: false,
            reason: Some(reason),
        }
    }
}

/// Which way a sentence recommends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stance {
    /// Recommends, advises, should, offer.
    For,
    /// Recommends against, should not, avoid, contraindicated, discourages.
    Against,
    /// Neither.
    Neutral,
}

/// Why a sentence is not supported by its cited passages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// No cited passage, or none with words.
    NoPassage,
    /// The sentence has no word to check.
    Empty,
    /// A number with its unit ("40 mg", "3 year") that no cited passage has.
    Number {
        /// The number and its unit, as the checker read them.
        quantity: String,
    },
    /// A grade or stage label ("grade B", "stage 2") that no cited passage has.
    Label {
        /// The label, as the checker read it.
        label: String,
    },
    /// A drug, condition, test or population that no cited passage names.
    Entity {
        /// The name as the sentence writes it.
        name: String,
    },
    /// The sentence recommends the other way from its best passage sentence.
    Direction {
        /// Which way the passage sentence goes.
        passage: Stance,
    },
    /// The sentence negates where its best passage sentence does not, or the other way round.
    Negation {
        /// Whether the sentence (not the passage) is the negated one.
        claim_negated: bool,
    },
    /// An absolute word ("always", "only") that no cited passage has.
    Absolute {
        /// The word, lowercase.
        word: String,
    },
    /// Too little of the sentence is in any one passage sentence.
    Coverage {
        /// The best sentence's share of the sentence's content words, in percent.
        percent: u32,
    },
}

impl Reason {
    /// A stable snake_case name of the kind of reason, for reports and JSON.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::NoPassage => "no_passage",
            Reason::Empty => "empty",
            Reason::Number { .. } => "number",
            Reason::Label { .. } => "label",
            Reason::Entity { .. } => "entity",
            Reason::Direction { .. } => "direction",
            Reason::Negation { .. } => "negation",
            Reason::Absolute { .. } => "absolute",
            Reason::Coverage { .. } => "coverage",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NoPassage => write!(f, "no cited passage to check against"),
            Reason::Empty => write!(f, "the sentence has no words to check"),
            Reason::Number { quantity } => {
                write!(f, "number {quantity} not in the cited passage")
            }
            Reason::Label { label } => write!(f, "{label} not in the cited passage"),
            Reason::Entity { name } => write!(f, "names '{name}', not in the cited passage"),
            Reason::Direction { passage } => match passage {
                Stance::Against => write!(f, "direction differs: passage recommends against"),
                Stance::For => write!(f, "direction differs: passage recommends for"),
                Stance::Neutral => write!(f, "direction differs: passage makes no recommendation"),
            },
            Reason::Negation { claim_negated } => {
                if *claim_negated {
                    write!(
                        f,
                        "negation differs: the sentence negates, the passage does not"
                    )
                } else {
                    write!(
                        f,
                        "negation differs: the passage negates, the sentence does not"
                    )
                }
            }
            Reason::Absolute { word } => write!(f, "adds an absolute ('{word}')"),
            Reason::Coverage { percent } => write!(
                f,
                "too little of the sentence is covered by one passage sentence ({percent}%)"
            ),
        }
    }
}

/// Checks `claim` against the passages it cites; see the module docs for the checks.
pub fn check_claim(claim: &str, passages: &[&str]) -> Verdict {
    let claim_text = Text::new(claim);
    if claim_text.words.is_empty() {
        return Verdict::fails(Reason::Empty);
    }
    let mut cited = Cited::default();
    for passage in passages {
        for s in sentences(passage) {
            let t = Text::new(s);
            if !t.words.is_empty() {
                cited.sentences.push(t);
            }
        }
        cited.quantities.extend(quantities(passage, &[], true));
    }
    if cited.sentences.is_empty() {
        return Verdict::fails(Reason::NoPassage);
    }
    for s in &cited.sentences {
        cited.stems.extend(s.stems.iter().cloned());
        cited.lower.extend(s.words.iter().map(|w| w.lower.clone()));
        cited.groups.extend(s.groups.iter().map(|m| m.group));
        cited.labels.extend(s.labels.iter().map(|l| l.key.clone()));
    }
    let checks: [CitedCheck; 2] = [&check_numbers, &check_names];
    for check in checks {
        if let Some(reason) = check(&claim_text, &cited) {
            return Verdict::fails(reason);
        }
    }
    let content = claim_text.content();
    if content.is_empty() {
        return Verdict::fails(Reason::Empty);
    }
    let Some((best, share)) = cited
        .sentences
        .iter()
        .map(|s| (s, coverage(&claim_text, &content, s)))
        .fold(None::<(&Text, f32)>, |acc, (s, c)| match acc {
            Some((_, best)) if best >= c => acc,
            _ => Some((s, c)),
        })
    else {
        return Verdict::fails(Reason::NoPassage);
    };
    if let Some(reason) = check_polarity(&claim_text, best) {
        return Verdict::fails(reason);
    }
    if let Some(reason) = check_absolutes(&claim_text, &cited) {
        return Verdict::fails(reason);
    }
    if share + 1e-6 < MIN_COVERAGE {
        return Verdict::fails(Reason::Coverage {
            percent: (share * 100.0).round() as u32,
        });
    }
    Verdict::supported()
}

// ---------------------------------------------------------------------------------------------
// Text as the checks see it.

/// A lexicon term found in a text: its word range and group.
#[derive(Debug, Clone)]
struct Term {
    start: usize,
    end: usize,
    group: usize,
}

/// A grade or stage label and where it stands.
#[derive(Debug, Clone)]
struct Label {
    /// "grade B", "stage 3a": what is compared.
    key: String,
    /// Byte range of the label's value in the text.
    span: std::ops::Range<usize>,
}

/// One sentence (or claim), analysed once.
struct Text<'a> {
    raw: &'a str,
    words: Vec<Word>,
    stems: Vec<String>,
    groups: Vec<Term>,
    labels: Vec<Label>,
}

impl<'a> Text<'a> {
    fn new(raw: &'a str) -> Text<'a> {
        let words = words(raw);
        let stems = words.iter().map(|w| stem(&w.lower)).collect();
        let groups = Lexicon::builtin()
            .find(&words)
            .into_iter()
            .map(|e| Term {
                start: e.start,
                end: e.end,
                group: e.group,
            })
            .collect();
        let labels = labels(&words);
        Text {
            raw,
            words,
            stems,
            groups,
            labels,
        }
    }

    /// The lexicon term that word `i` belongs to, if any.
    fn term_of(&self, i: usize) -> Option<&Term> {
        self.groups.iter().find(|t| t.start <= i && i < t.end)
    }

    /// Whether byte `pos` lies inside a lexicon term.
    fn in_term(&self, pos: usize) -> Option<&Term> {
        self.groups.iter().find(|t| {
            let (a, b) = (
                self.words[t.start].span.start,
                self.words[t.end - 1].span.end,
            );
            a <= pos && pos < b
        })
    }

    /// Indexes of the content words: not stopwords, no digits, not generic.
    fn content(&self) -> Vec<usize> {
        let mut seen = HashSet::new();
        (0..self.words.len())
            .filter(|&i| {
                let w = &self.words[i].lower;
                !is_stopword(w)
                    && !w.chars().any(|c| c.is_ascii_digit())
                    && w.chars().count() > 1
                    && !GENERIC.contains(&w.as_str())
                    && unit_word(w).is_none()
                    && seen.insert(self.stems[i].clone())
            })
            .collect()
    }

    fn has_stem(&self, s: &str) -> bool {
        self.stems.iter().any(|x| x == s)
    }
}

/// What the cited passages hold, all sentences together.
#[derive(Default)]
struct Cited<'a> {
    sentences: Vec<Text<'a>>,
    stems: HashSet<String>,
    lower: HashSet<String>,
    groups: HashSet<usize>,
    labels: HashSet<String>,
    quantities: Vec<Quantity>,
}

impl Cited<'_> {
    /// Whether some passage sentence spells `acronym` with the initials of consecutive words.
    fn spells(&self, acronym: &str) -> bool {
        self.sentences.iter().any(|s| spells(acronym, &s.words))
    }
}

/// Whether the initials of some run of consecutive `words` spell `acronym` (two or more
/// letters): "LDCT" and "low-dose computed tomography".
fn spells(acronym: &str, words: &[Word]) -> bool {
    let letters: Vec<char> = acronym.to_lowercase().chars().collect();
    if letters.len() < 2 || !letters.iter().all(|c| c.is_alphabetic()) {
        return false;
    }
    words.windows(letters.len()).any(|run| {
        run.iter()
            .zip(&letters)
            .all(|(w, c)| w.lower.starts_with(*c))
    })
}

// ---------------------------------------------------------------------------------------------
// Stemming with the index's analyzer.

/// The index's analyzer (`en_stem`), taken once from an in-memory library.
fn analyzer() -> Option<&'static TextAnalyzer> {
    static ANALYZER: OnceLock<Option<TextAnalyzer>> = OnceLock::new();
    ANALYZER
        .get_or_init(|| Library::in_memory().and_then(|l| l.analyzer()).ok())
        .as_ref()
}

thread_local! {
    static STEMMER: RefCell<(Option<TextAnalyzer>, HashMap<String, String>)> =
        RefCell::new((analyzer().cloned(), HashMap::new()));
}

/// Stems of the word cache, at most; the cache is emptied when it grows past this.
const STEM_CACHE: usize = 50_000;

/// The stem of one lowercase word, as the index would stem it (the word itself when the
/// analyzer gives none).
fn stem(word: &str) -> String {
    STEMMER.with(|cell| {
        let mut cell = cell.borrow_mut();
        let (analyzer, cache) = &mut *cell;
        if let Some(s) = cache.get(word) {
            return s.clone();
        }
        let s = analyzer
            .as_mut()
            .and_then(|a| analyze(a, word).into_iter().next())
            .unwrap_or_else(|| word.to_string());
        if cache.len() >= STEM_CACHE {
            cache.clear();
        }
        cache.insert(word.to_string(), s.clone());
        s
    })
}

// ---------------------------------------------------------------------------------------------
// 1. Numbers and labels.

/// A number with its unit, as read from text.
#[derive(Debug, Clone, PartialEq)]
struct Quantity {
    value: f64,
    /// Normalised unit: "mg", "mg/day", "year", "%", "pack-year"; `None` for a bare number.
    unit: Option<String>,
    /// Byte offset of the number in its text.
    at: usize,
}

impl Quantity {
    fn text(&self) -> String {
        let v = if self.value.fract() == 0.0 && self.value.abs() < 1e15 {
            format!("{}", self.value as i64)
        } else {
            format!("{}", self.value)
        };
        match &self.unit {
            Some(u) if u == "%" => format!("{v}%"),
            Some(u) => format!("{v} {u}"),
            None => v,
        }
    }

    /// Whether `other` (from a passage) states this quantity (from a claim).
    fn stated_by(&self, other: &Quantity) -> bool {
        if (self.value - other.value).abs() > 1e-9 {
            return false;
        }
        match (&self.unit, &other.unit) {
            (None, _) | (_, None) => true,
            (Some(a), Some(b)) if a == b => true,
            // "81 mg" and "81 mg/day": the same amount, its rate said elsewhere in words.
            (Some(a), Some(b)) => {
                let base = |u: &str| u.split('/').next().unwrap_or("").to_string();
                let time_rate = |u: &str| {
                    u.split_once('/')
                        .is_some_and(|(_, per)| TIME_UNITS.contains(&per))
                };
                base(a) == base(b)
                    && (a == &base(a) || b == &base(b))
                    && (time_rate(a) || time_rate(b))
            }
        }
    }
}

/// Time units: an interval or rate.
const TIME_UNITS: &[&str] = &["minute", "hour", "day", "week", "month", "year"];

/// The normalised unit a word names, if it is one.
fn unit_word(w: &str) -> Option<&'static str> {
    Some(match w {
        "mg" | "milligram" | "milligrams" => "mg",
        "mcg" | "µg" | "μg" | "ug" | "microgram" | "micrograms" => "mcg",
        "g" | "gram" | "grams" | "gm" => "g",
        "kg" | "kilogram" | "kilograms" => "kg",
        "ml" | "milliliter" | "milliliters" | "millilitre" | "millilitres" | "cc" => "ml",
        "l" | "liter" | "liters" | "litre" | "litres" => "l",
        "iu" => "iu",
        "miu" => "miu",
        "unit" | "units" | "u" => "unit",
        "mmhg" => "mmhg",
        "mme" => "mme",
        "mmol" => "mmol",
        "meq" => "meq",
        "ng" => "ng",
        "dl" => "dl",
        "cm" | "centimeter" | "centimeters" | "centimetre" | "centimetres" => "cm",
        "mm" | "millimeter" | "millimeters" | "millimetre" | "millimetres" => "mm",
        "m2" => "m2",
        "percent" | "pct" => "%",
        "day" | "days" | "d" => "day",
        "week" | "weeks" | "wk" | "wks" => "week",
        "month" | "months" | "mo" | "mos" => "month",
        "year" | "years" | "yr" | "yrs" | "y" => "year",
        "hour" | "hours" | "hr" | "hrs" | "h" => "hour",
        "minute" | "minutes" | "min" | "mins" => "minute",
        "time" | "times" => "time",
        "dose" | "doses" => "dose",
        "pack" | "packs" => "pack",
        "cycle" | "cycles" => "cycle",
        "session" | "sessions" => "session",
        "drink" | "drinks" => "drink",
        "visit" | "visits" => "visit",
        "fraction" | "fractions" => "fraction",
        "gy" => "gy",
        _ => return None,
    })
}

/// Number words read as numbers when a unit follows ("three years", "one-time").
fn number_word(w: &str) -> Option<f64> {
    const WORDS: &[&str] = &[
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ];
    WORDS.iter().position(|x| *x == w).map(|i| i as f64)
}

/// Interval words and what they mean: "annual" is every 1 year.
fn interval_word(w: &str) -> Option<(f64, &'static str)> {
    Some(match w {
        "annual" | "annually" | "yearly" => (1.0, "year"),
        "biennial" | "biennially" => (2.0, "year"),
        "triennial" | "triennially" => (3.0, "year"),
        "daily" | "nightly" => (1.0, "day"),
        "weekly" => (1.0, "week"),
        "biweekly" | "fortnightly" => (2.0, "week"),
        "monthly" => (1.0, "month"),
        "quarterly" => (3.0, "month"),
        "hourly" => (1.0, "hour"),
        "once" => (1.0, "time"),
        "twice" => (2.0, "time"),
        "thrice" => (3.0, "time"),
        _ => return None,
    })
}

/// Words between two numbers that make them a range ("50 to 75 years"): the first takes the
/// second's unit.
const RANGE_WORDS: &[&str] = &["to", "and", "or", "through", "-", "–", "—"];

/// The numbers of `text` with their units, skipping those inside `skip` byte ranges. With
/// `generous` (passages), number words count without a unit and a rate ("mg/day") also states
/// its interval (every 1 day).
fn quantities(text: &str, skip: &[std::ops::Range<usize>], generous: bool) -> Vec<Quantity> {
    let ws = words(text);
    // Each quantity with the byte where its number and unit end (none for interval words).
    let mut out: Vec<(Quantity, Option<usize>)> = Vec::new();
    let mut i = 0;
    while i < ws.len() {
        let w = &ws[i];
        let at = w.span.start;
        if skip.iter().any(|r| r.contains(&at)) {
            i += 1;
            continue;
        }
        // A digit run that starts a token ("81mg", "1-time", "0.4"); not inside a name such as
        // "BRCA1", "COVID-19" or "HbA1c".
        let starts_digit = w.lower.starts_with(|c: char| c.is_ascii_digit());
        if starts_digit && !inside_name(text, at) {
            let digits_end = at + w.lower.chars().take_while(char::is_ascii_digit).count();
            let mut value_text: String = text[at..digits_end].to_string();
            let mut j = i + 1;
            let mut end = digits_end;
            // Thousands separators and decimals: "1,000", "0.4".
            while j < ws.len() && digits_end == w.span.end {
                let gap = &text[end..ws[j].span.start];
                let next = &ws[j].lower;
                let all_digits = next.chars().all(|c| c.is_ascii_digit());
                if gap == "," && all_digits && next.len() == 3 {
                    value_text.push_str(next);
                } else if gap == "." && all_digits {
                    value_text.push('.');
                    value_text.push_str(next);
                } else {
                    break;
                }
                end = ws[j].span.end;
                j += 1;
                if gap == "." {
                    break;
                }
            }
            let Ok(value) = value_text.parse::<f64>() else {
                i += 1;
                continue;
            };
            // A unit glued to the number ("81mg", "2nd" is not one).
            let glued = &w.lower[digits_end - at..];
            let (unit, after) = if !glued.is_empty() && end == w.span.end {
                match unit_word(glued) {
                    Some(u) => read_rate(text, &ws, i + 1, u),
                    None => (None, i + 1),
                }
            } else {
                read_unit(text, &ws, j, end)
            };
            let end = ws[after.max(i + 1) - 1].span.end.max(end);
            out.push((Quantity { value, unit, at }, Some(end)));
            i = after.max(i + 1);
            continue;
        }
        if let Some(value) = number_word(&w.lower) {
            let (unit, after) = read_unit(text, &ws, i + 1, w.span.end);
            if unit.is_some() || generous {
                let end = ws[after.max(i + 1) - 1].span.end;
                out.push((Quantity { value, unit, at }, Some(end)));
            }
            i = after.max(i + 1);
            continue;
        }
        if let Some((value, unit)) = interval_word(&w.lower) {
            out.push((
                Quantity {
                    value,
                    unit: Some(unit.to_string()),
                    at,
                },
                None,
            ));
            i += 1;
            continue;
        }
        // "every year", "each month", "once a week", "per day": one of that unit.
        if matches!(w.lower.as_str(), "every" | "each" | "per" | "a") && i + 1 < ws.len() {
            let next = &ws[i + 1].lower;
            if let Some(u) = unit_word(next).filter(|u| TIME_UNITS.contains(u)) {
                if w.lower != "a" || i > 0 && matches!(ws[i - 1].lower.as_str(), "once" | "twice") {
                    out.push((
                        Quantity {
                            value: 1.0,
                            unit: Some(u.to_string()),
                            at,
                        },
                        None,
                    ));
                }
                i += 2;
                continue;
            }
        }
        i += 1;
    }
    // Ranges: "50 to 75 years", "0.4-0.8 mg": the first number takes the second's unit.
    for k in (0..out.len().saturating_sub(1)).rev() {
        if out[k].0.unit.is_some() || out[k + 1].0.unit.is_none() {
            continue;
        }
        let Some(end) = out[k].1 else { continue };
        let Some(between) = text.get(end..out[k + 1].0.at) else {
            continue;
        };
        let between = between.trim().to_lowercase();
        if between.is_empty() || RANGE_WORDS.contains(&between.as_str()) {
            out[k].0.unit = out[k + 1].0.unit.clone();
        }
    }
    let mut result: Vec<Quantity> = out.into_iter().map(|(q, _)| q).collect();
    if generous {
        let rates: Vec<Quantity> = result
            .iter()
            .filter_map(|q| {
                let per = q.unit.as_deref()?.split_once('/')?.1;
                TIME_UNITS.contains(&per).then(|| Quantity {
                    value: 1.0,
                    unit: Some(per.to_string()),
                    at: q.at,
                })
            })
            .collect();
        result.extend(rates);
    }
    result
}

/// Whether the digit at byte `at` belongs to a name that starts with a letter ("BRCA1/2",
/// "COVID-19", "HbA1c", "IL-6").
fn inside_name(text: &str, at: usize) -> bool {
    let before = &text[..at];
    let token_start = before
        .rfind(|c: char| c.is_whitespace() || matches!(c, '(' | '[' | '"' | '“'))
        .map_or(0, |p| {
            p + before[p..].chars().next().map_or(1, char::len_utf8)
        });
    text[token_start..at]
        .chars()
        .next()
        .is_some_and(char::is_alphabetic)
}

/// The unit after a number ending at byte `end`, whose next word is `ws[j]`: the unit and the
/// index of the word after it. Only a space or a hyphen may stand between.
fn read_unit(text: &str, ws: &[Word], j: usize, end: usize) -> (Option<String>, usize) {
    let Some(w) = ws.get(j) else {
        return (percent_after(text, end), j);
    };
    let gap = &text[end..w.span.start];
    if let Some(p) = percent_after(text, end) {
        return (Some(p), j);
    }
    if !matches!(gap, " " | "-" | "\u{a0}" | "‑") {
        return (None, j);
    }
    match unit_word(&w.lower) {
        Some(u) => read_rate(text, ws, j + 1, u),
        None => (None, j),
    }
}

/// "%" or " percent" right after a number.
fn percent_after(text: &str, end: usize) -> Option<String> {
    let rest = text.get(end..)?;
    rest.trim_start_matches(' ')
        .starts_with('%')
        .then(|| "%".to_string())
}

/// One check of a claim against its cited passages: the reason it fails, if it does.
type CitedCheck<'f> = &'f dyn Fn(&Text, &Cited) -> Option<Reason>;

/// A base unit `base` ending before word `j`, extended by a rate ("/kg/day", "per day",
/// "a day", "daily") or a compound ("pack-year", "-year-old").
fn read_rate(text: &str, ws: &[Word], mut j: usize, base: &str) -> (Option<String>, usize) {
    let mut unit = base.to_string();
    while let Some(w) = ws.get(j) {
        let prev_end = ws[j - 1].span.end;
        let gap = &text[prev_end..w.span.start];
        let lower = w.lower.as_str();
        if gap == "/" {
            if let Some(u) = unit_word(lower) {
                unit.push('/');
                unit.push_str(u);
                j += 1;
                continue;
            }
            break;
        }
        if gap == " " && matches!(lower, "per" | "a" | "an" | "each") {
            if let Some(u) = ws.get(j + 1).and_then(|n| unit_word(&n.lower)) {
                if lower == "per" || TIME_UNITS.contains(&u) {
                    unit.push('/');
                    unit.push_str(u);
                    j += 2;
                    continue;
                }
            }
            break;
        }
        if gap == " " && !unit.contains('/') {
            if let Some((1.0, per)) = interval_word(lower) {
                if per != "time" {
                    unit.push('/');
                    unit.push_str(per);
                    j += 1;
                    continue;
                }
            }
        }
        if unit == "pack" && matches!(gap, "-" | " ") && unit_word(lower) == Some("year") {
            unit = "pack-year".into();
            j += 1;
            continue;
        }
        if unit == "year" && gap == "-" && lower == "old" {
            j += 1;
            continue;
        }
        break;
    }
    (Some(unit), j)
}

/// Words that name a kind of label, and the label's kind.
fn label_kind(w: &str) -> Option<&'static str> {
    Some(match w {
        "grade" | "grades" => "grade",
        "stage" | "stages" => "stage",
        "class" => "class",
        "phase" => "phase",
        "type" => "type",
        "category" => "category",
        "tier" => "tier",
        "level" => "level",
        "step" => "step",
        _ => return None,
    })
}

/// Grade and stage labels: "grade B", "B grade", "a B recommendation", "stage II", "stage 3a".
fn labels(ws: &[Word]) -> Vec<Label> {
    let mut out = Vec::new();
    for (i, w) in ws.iter().enumerate() {
        if let (Some(kind), Some(v)) = (label_kind(&w.lower), ws.get(i + 1)) {
            if let Some(value) = label_value(kind, &v.original) {
                out.push(Label {
                    key: format!("{kind} {value}"),
                    span: v.span.clone(),
                });
                continue;
            }
        }
        // "B recommendation", "an A grade": a capital letter before the word.
        if matches!(w.lower.as_str(), "recommendation" | "grade" | "rating") && i > 0 {
            let v = &ws[i - 1].original;
            if v.len() == 1 && matches!(v.as_str(), "A" | "B" | "C" | "D" | "I") {
                out.push(Label {
                    key: format!("grade {v}"),
                    span: ws[i - 1].span.clone(),
                });
            }
        }
    }
    out
}

/// The normalised value of a label: grades keep their letter, stages and types read roman
/// numerals as numbers ("IIIA" → "3a").
fn label_value(kind: &str, v: &str) -> Option<String> {
    if kind == "grade" && v.len() == 1 && v.chars().all(|c| c.is_ascii_uppercase()) {
        return Some(v.to_string());
    }
    let digits: String = v.chars().take_while(char::is_ascii_digit).collect();
    let rest = &v[digits.len()..];
    if !digits.is_empty() && rest.len() <= 1 && rest.chars().all(|c| c.is_ascii_alphabetic()) {
        return Some(format!("{digits}{}", rest.to_lowercase()));
    }
    let roman_len = v
        .chars()
        .take_while(|c| matches!(c, 'I' | 'V' | 'X'))
        .count();
    let (roman, suffix) = v.split_at(roman_len);
    let n = match roman {
        "I" => 1,
        "II" => 2,
        "III" => 3,
        "IV" => 4,
        "V" => 5,
        "VI" => 6,
        _ => return None,
    };
    if suffix.len() <= 1
        && suffix
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_lowercase())
    {
        return Some(format!("{n}{}", suffix.to_lowercase()));
    }
    None
}

fn check_numbers(claim: &Text, cited: &Cited) -> Option<Reason> {
    // Numbers and labels inside a lexicon term the passage also names ("type 2 diabetes" for
    // "T2DM") are checked as that name.
    let skip: Vec<std::ops::Range<usize>> = claim
        .groups
        .iter()
        .filter(|t| cited.groups.contains(&t.group))
        .map(|t| claim.words[t.start].span.start..claim.words[t.end - 1].span.end)
        .chain(claim.labels.iter().map(|l| l.span.clone()))
        .collect();
    for l in &claim.labels {
        let named = claim
            .in_term(l.span.start)
            .is_some_and(|t| cited.groups.contains(&t.group));
        if !named && !cited.labels.contains(&l.key) {
            return Some(Reason::Label {
                label: l.key.clone(),
            });
        }
    }
    for q in quantities(claim.raw, &skip, false) {
        if !cited.quantities.iter().any(|p| q.stated_by(p)) {
            return Some(Reason::Number { quantity: q.text() });
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// 2. Names: drugs, conditions, tests, populations.

/// Population words, each with the class of words that say the same population.
const POPULATIONS: &[&[&str]] = &[
    &[
        "child",
        "children",
        "childhood",
        "pediatric",
        "paediatric",
        "kids",
    ],
    &[
        "adolescent",
        "adolescents",
        "adolescence",
        "teen",
        "teens",
        "teenager",
        "teenagers",
    ],
    &["adult", "adults"],
    &[
        "infant", "infants", "newborn", "newborns", "neonate", "neonates", "neonatal", "baby",
        "babies",
    ],
    &[
        "pregnant",
        "pregnancy",
        "pregnancies",
        "prenatal",
        "antenatal",
        "expectant",
    ],
    &["woman", "women", "female", "females"],
    &["man", "men", "male", "males"],
    &["girl", "girls"],
    &["boy", "boys"],
    &["older", "elderly", "senior", "seniors", "geriatric"],
    &["younger"],
    &["postmenopausal"],
    &["premenopausal"],
    &["postpartum"],
    &["smoker", "smokers", "smoked", "smoke", "smoking"],
    &["veteran", "veterans"],
];

/// Words that name a test.
const TESTS: &[&str] = &[
    "ultrasound",
    "ultrasonography",
    "mammogram",
    "mammography",
    "cytology",
    "biopsy",
    "culture",
    "ct",
    "mri",
    "pet",
    "colonoscopy",
    "sigmoidoscopy",
    "radiograph",
    "x",
    "ecg",
    "ekg",
    "echocardiogram",
    "spirometry",
    "serology",
    "pcr",
    "electrocardiogram",
    "urinalysis",
];

/// Endings of drug names (international non-proprietary stems).
const DRUG_SUFFIXES: &[&str] = &[
    "mab",
    "nib",
    "pril",
    "sartan",
    "olol",
    "statin",
    "azole",
    "ozole",
    "cillin",
    "mycin",
    "micin",
    "floxacin",
    "cycline",
    "vir",
    "parin",
    "xaban",
    "gatran",
    "gliptin",
    "gliflozin",
    "glutide",
    "tidine",
    "prazole",
    "dipine",
    "semide",
    "thiazide",
    "profen",
    "platin",
    "taxel",
    "rubicin",
    "trexate",
    "lukast",
    "terol",
    "sone",
    "olone",
    "triptan",
    "setron",
    "zepam",
    "zolam",
    "barbital",
    "caine",
    "citabine",
    "fenac",
    "coxib",
    "dronate",
    "oxetine",
    "pramine",
    "triptyline",
    "peridol",
    "apine",
    "codone",
    "orphine",
    "tanyl",
    "afil",
    "mustine",
    "phosphamide",
    "fovir",
    "tegravir",
    "xifen",
    "oxifene",
    "urea",
    "formin",
    "farin",
    "ulin",
    "amide",
];

/// Drug and supplement names without a telling ending.
const DRUGS: &[&str] = &[
    "aspirin",
    "insulin",
    "heparin",
    "tamoxifen",
    "raloxifene",
    "letrozole",
    "anastrozole",
    "exemestane",
    "naloxone",
    "naltrexone",
    "buprenorphine",
    "methadone",
    "acamprosate",
    "disulfiram",
    "varenicline",
    "bupropion",
    "nicotine",
    "acetaminophen",
    "paracetamol",
    "gabapentin",
    "pregabalin",
    "fluoride",
    "folic",
    "folate",
    "iron",
    "calcium",
    "vitamin",
    "penicillin",
    "emtricitabine",
    "tenofovir",
    "levothyroxine",
    "prednisone",
    "lithium",
    "morphine",
    "tramadol",
    "hydroxyurea",
    "estrogen",
    "progestin",
    "testosterone",
    "opioid",
    "opioids",
    "antibiotic",
    "antibiotics",
    "statin",
    "statins",
    "benzodiazepine",
    "benzodiazepines",
    "chemotherapy",
    "radiotherapy",
    "radiation",
    "surgery",
    "transfusion",
];

/// Words of a condition phrase that say what kind of thing it is but not which one.
const GENERIC: &[&str] = &[
    "disease",
    "diseases",
    "disorder",
    "disorders",
    "syndrome",
    "condition",
    "conditions",
    "illness",
    "problem",
    "problems",
    "people",
    "persons",
    "person",
    "individuals",
    "individual",
    "patients",
    "patient",
    "clinicians",
    "clinician",
    "physicians",
    "doctors",
    "providers",
    "infection",
    "infections",
    "injury",
    "failure",
];

/// Whether a claim word names a drug, condition, test or population (checked by name).
fn is_name_word(w: &Word) -> bool {
    let l = w.lower.as_str();
    if l.chars().count() < 3 && !TESTS.contains(&l) || GENERIC.contains(&l) || is_stopword(l) {
        return false;
    }
    if l.chars().any(|c| c.is_ascii_digit()) {
        return l.chars().next().is_some_and(char::is_alphabetic);
    }
    let acronym = w.original.chars().count() >= 2
        && w.original
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    acronym
        || DRUGS.contains(&l)
        || TESTS.contains(&l)
        || population_class(l).is_some()
        || DRUG_SUFFIXES
            .iter()
            .any(|s| l.len() > s.len() + 2 && l.ends_with(s))
        || ["graphy", "scopy", "gram", "metry", "opsy"]
            .iter()
            .any(|s| l.len() > s.len() + 2 && l.ends_with(s))
        || is_condition_word(l)
}

fn population_class(w: &str) -> Option<&'static [&'static str]> {
    POPULATIONS.iter().copied().find(|class| class.contains(&w))
}

fn check_names(claim: &Text, cited: &Cited) -> Option<Reason> {
    // Lexicon terms: the passage has the same group, or every content word of the term.
    for t in &claim.groups {
        if cited.groups.contains(&t.group) {
            continue;
        }
        let all_words = (t.start..t.end).all(|i| {
            let l = &claim.words[i].lower;
            is_stopword(l) || cited.stems.contains(&claim.stems[i]) || cited.lower.contains(l)
        });
        let spelled = t.end - t.start == 1 && cited.spells(&claim.words[t.start].original);
        if !all_words && !spelled {
            let (a, b) = (
                claim.words[t.start].span.start,
                claim.words[t.end - 1].span.end,
            );
            return Some(Reason::Entity {
                name: claim.raw[a..b].to_string(),
            });
        }
    }
    for (i, w) in claim.words.iter().enumerate() {
        if claim.term_of(i).is_some() || !is_name_word(w) {
            continue;
        }
        let l = w.lower.as_str();
        if cited.stems.contains(&claim.stems[i]) || cited.lower.contains(l) {
            continue;
        }
        if let Some(class) = population_class(l) {
            if class
                .iter()
                .any(|m| cited.lower.contains(*m) || cited.stems.contains(&stem(m)))
            {
                continue;
            }
        } else if cited.spells(&w.original) {
            continue;
        }
        return Some(Reason::Entity {
            name: w.original.clone(),
        });
    }
    None
}

// ---------------------------------------------------------------------------------------------
// 3. Negation and direction; 5. coverage.

/// Negation words.
const NEGATIONS: &[&str] = &[
    "not", "no", "never", "without", "cannot", "nor", "neither", "none", "nothing", "dont",
    "doesnt", "isnt", "arent", "shouldnt", "wont", "t",
];

/// Words that recommend against on their own.
const AGAINST: &[&str] = &[
    "against",
    "avoid",
    "avoided",
    "avoiding",
    "discourage",
    "discourages",
    "discouraged",
    "contraindicated",
    "contraindication",
    "refrain",
    "inappropriate",
    "unnecessary",
];

/// Words that recommend.
const FOR: &[&str] = &[
    "recommend",
    "recommends",
    "recommended",
    "recommending",
    "recommendation",
    "advise",
    "advises",
    "advised",
    "should",
    "suggest",
    "suggests",
    "suggested",
    "offer",
    "offered",
    "indicated",
    "encourage",
    "encourages",
    "encouraged",
    "endorse",
    "endorses",
    "must",
];

/// A sentence's stance, and whether it negates anything besides its recommendation.
fn polarity(t: &Text) -> (Stance, bool) {
    let ws: Vec<&str> = t.words.iter().map(|w| w.lower.as_str()).collect();
    let mut stance = Stance::Neutral;
    let mut negated = false;
    let mut used = vec![false; ws.len()];
    for (i, w) in ws.iter().enumerate() {
        if AGAINST.contains(w) {
            stance = Stance::Against;
        }
        if NEGATIONS.contains(w) {
            // "should not", "is not recommended", "do not screen": a negated recommendation.
            let near_for = (i.saturating_sub(2)..(i + 3).min(ws.len()))
                .any(|k| k != i && (FOR.contains(&ws[k]) || matches!(ws[k], "do" | "don")));
            if near_for && *w != "without" {
                stance = Stance::Against;
                used[i] = true;
            }
        }
    }
    if stance == Stance::Neutral && ws.iter().any(|w| FOR.contains(w)) {
        stance = Stance::For;
    }
    for (i, w) in ws.iter().enumerate() {
        if !used[i] && NEGATIONS.contains(w) {
            // "t" only as in "don't".
            if *w == "t"
                && (i == 0
                    || !matches!(
                        ws[i - 1],
                        "don" | "doesn" | "isn" | "aren" | "shouldn" | "won" | "can"
                    ))
            {
                continue;
            }
            negated = true;
        }
    }
    (stance, negated)
}

fn check_polarity(claim: &Text, best: &Text) -> Option<Reason> {
    let (cs, cn) = polarity(claim);
    let (ps, pn) = polarity(best);
    let differs = matches!(
        (cs, ps),
        (Stance::For, Stance::Against)
            | (Stance::Against, Stance::For)
            | (Stance::Against, Stance::Neutral)
            | (Stance::Neutral, Stance::Against)
    );
    if differs {
        return Some(Reason::Direction { passage: ps });
    }
    (cn != pn).then_some(Reason::Negation { claim_negated: cn })
}

/// The share of the claim's content words (`content`, word indexes) that `s` holds: by stem,
/// by a lexicon term of the same group, or as an acronym it spells.
fn coverage(claim: &Text, content: &[usize], s: &Text) -> f32 {
    let groups: HashSet<usize> = s.groups.iter().map(|t| t.group).collect();
    let covered = content
        .iter()
        .filter(|&&i| {
            s.has_stem(&claim.stems[i])
                || claim.term_of(i).is_some_and(|t| groups.contains(&t.group))
                || spells(&claim.words[i].original, &s.words)
                    && claim.words[i]
                        .original
                        .chars()
                        .all(|c| c.is_ascii_uppercase())
                || population_class(&claim.words[i].lower)
                    .is_some_and(|class| class.iter().any(|m| s.has_stem(&stem(m))))
        })
        .count();
    covered as f32 / content.len().max(1) as f32
}

// ---------------------------------------------------------------------------------------------
// 4. Absolutes.

/// Absolute words: a claim that adds one says more than any source.
const ABSOLUTES: &[&str] = &[
    "always",
    "never",
    "all",
    "none",
    "every",
    "only",
    "guaranteed",
    "guarantee",
    "guarantees",
    "cure",
    "cures",
    "cured",
    "curative",
    "completely",
    "entirely",
    "invariably",
    "certainly",
    "definitely",
    "100",
    "everyone",
    "anyone",
    "no one",
    "permanently",
    "eliminates",
];

fn check_absolutes(claim: &Text, cited: &Cited) -> Option<Reason> {
    for (i, w) in claim.words.iter().enumerate() {
        let l = w.lower.as_str();
        if !ABSOLUTES.contains(&l) || l == "100" {
            continue;
        }
        // "every 3 years", "every year": an interval, checked as a number.
        if l == "every" {
            let next = claim
                .words
                .get(i + 1)
                .map(|n| n.lower.as_str())
                .unwrap_or("");
            if next.starts_with(|c: char| c.is_ascii_digit())
                || unit_word(next).is_some()
                || number_word(next).is_some()
                || next == "other"
            {
                continue;
            }
        }
        // "ALL" (the leukaemia) is a name.
        if w.original.chars().all(|c| c.is_ascii_uppercase()) && w.original.len() > 1 {
            continue;
        }
        if cited.lower.contains(l) || cited.stems.contains(&claim.stems[i]) {
            continue;
        }
        return Some(Reason::Absolute {
            word: l.to_string(),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ASPIRIN: &str = "Low-dose aspirin (81 mg/day) is recommended as preventive medication \
        after 12 weeks of gestation in pregnant persons at high risk for preeclampsia.";
    const CERVICAL: &str = "Screening for cervical cancer with cytology alone every 3 years is \
        recommended for women aged 21 to 29 years. Women aged 30 to 65 years may instead be \
        screened every 5 years with high-risk HPV testing.";
    const AGAINST_PSA: &str = "The task force recommends against PSA-based screening for \
        prostate cancer in men 70 years and older.";

    fn reason(claim: &str, passage: &str) -> Option<String> {
        check_claim(claim, &[passage]).reason.map(|r| r.to_string())
    }

    #[test]
    fn a_faithful_paraphrase_is_supported() {
        for (claim, passage) in [
            (
                "In pregnant persons at high risk of preeclampsia, aspirin 81 mg daily is \
                 recommended after 12 weeks of gestation.",
                ASPIRIN,
            ),
            (
                "Women aged 21 to 29 years should have cervical cytology every 3 years.",
                CERVICAL,
            ),
            (
                "PSA-based screening for prostate cancer is not recommended for men aged 70 \
                 years or older.",
                AGAINST_PSA,
            ),
        ] {
            let v = check_claim(claim, &[passage]);
            assert!(
                v.supported,
                "{claim}: {:?}",
                v.reason.map(|r| r.to_string())
            );
        }
    }

    #[test]
    fn a_number_or_unit_not_in_the_passage_fails() {
        assert_eq!(
            reason(
                "Aspirin 162 mg/day is recommended after 12 weeks of gestation in pregnant \
                 persons at high risk for preeclampsia.",
                ASPIRIN
            )
            .as_deref(),
            Some("number 162 mg/day not in the cited passage")
        );
        assert_eq!(
            reason(
                "Aspirin 81 mcg/day is recommended after 12 weeks of gestation in pregnant \
                 persons at high risk for preeclampsia.",
                ASPIRIN
            )
            .as_deref(),
            Some("number 81 mcg/day not in the cited passage")
        );
        // An interval word is a number: annual is every 1 year.
        assert_eq!(
            reason(
                "Women aged 21 to 29 years should have cervical cytology annually.",
                CERVICAL
            )
            .as_deref(),
            Some("number 1 year not in the cited passage")
        );
        // The lower end of a range takes its upper end's unit.
        assert_eq!(
            reason(
                "Women aged 25 to 29 years should have cervical cytology every 3 years.",
                CERVICAL
            )
            .as_deref(),
            Some("number 25 year not in the cited passage")
        );
    }

    #[test]
    fn a_grade_not_in_the_passage_fails() {
        let passage = "Screening for syphilis in pregnant women is a grade A recommendation.";
        assert!(
            check_claim(
                "Syphilis screening in pregnancy is an A recommendation.",
                &[passage]
            )
            .supported
        );
        assert_eq!(
            reason(
                "Screening pregnant women for syphilis has grade B.",
                passage
            )
            .as_deref(),
            Some("grade B not in the cited passage")
        );
        assert_eq!(
            reason(
                "Stage II disease is treated with surgery.",
                "Stage III disease is treated with surgery."
            )
            .as_deref(),
            Some("stage 2 not in the cited passage")
        );
    }

    #[test]
    fn a_name_not_in_the_passage_fails() {
        assert_eq!(
            reason(
                "Low-dose aspirin is recommended after 12 weeks of gestation in children at \
                 high risk for preeclampsia.",
                ASPIRIN
            )
            .as_deref(),
            Some("names 'children', not in the cited passage")
        );
        assert_eq!(
            reason(
                "Low-dose heparin (81 mg/day) is recommended after 12 weeks of gestation in \
                 pregnant persons at high risk for preeclampsia.",
                ASPIRIN
            )
            .as_deref(),
            Some("names 'heparin', not in the cited passage")
        );
        // Lexicon synonyms and spelled-out acronyms are the same name.
        let mi = "Aspirin reduces the risk of a second myocardial infarction.";
        assert!(check_claim("Aspirin reduces the risk of a second MI.", &[mi]).supported);
        let ldct = "Adults who smoke should have yearly low-dose computed tomography.";
        assert!(check_claim("Adults who smoke should have yearly LDCT.", &[ldct]).supported);
    }

    #[test]
    fn direction_and_negation_must_agree() {
        assert_eq!(
            reason(
                "The task force recommends PSA-based screening for prostate cancer in men 70 \
                 years and older.",
                AGAINST_PSA
            )
            .as_deref(),
            Some("direction differs: passage recommends against")
        );
        assert_eq!(
            reason(
                "Women aged 21 to 29 years should not have cytology every 3 years.",
                CERVICAL
            )
            .as_deref(),
            Some("direction differs: passage recommends for")
        );
        assert_eq!(
            reason(
                "Metformin does not lower the risk of diabetes in adults with prediabetes.",
                "Metformin lowers the risk of diabetes in adults with prediabetes."
            )
            .as_deref(),
            Some("negation differs: the sentence negates, the passage does not")
        );
    }

    #[test]
    fn an_added_absolute_fails() {
        assert_eq!(
            reason(
                "Women aged 21 to 29 years should always have cytology every 3 years.",
                CERVICAL
            )
            .as_deref(),
            Some("adds an absolute ('always')")
        );
        // "every" before an interval is no absolute.
        assert!(
            check_claim(
                "Cytology every 3 years is recommended for women aged 21 to 29 years.",
                &[CERVICAL]
            )
            .supported
        );
    }

    #[test]
    fn an_added_fact_is_too_little_covered() {
        let r = reason(
            "Women aged 21 to 29 years should have cytology every 3 years, together with a \
             pelvic examination and counselling about vaccination.",
            CERVICAL,
        )
        .unwrap_or_default();
        assert!(
            r.starts_with("too little of the sentence is covered by one passage sentence"),
            "{r}"
        );
    }

    #[test]
    fn empty_inputs_have_their_own_reasons() {
        assert_eq!(check_claim(" ... ", &[ASPIRIN]).reason, Some(Reason::Empty));
        assert_eq!(
            check_claim("Aspirin helps.", &[]).reason,
            Some(Reason::NoPassage)
        );
        assert_eq!(
            check_claim("Aspirin helps.", &["  "]).reason,
            Some(Reason::NoPassage)
        );
    }

    #[test]
    fn quantities_read_units_rates_and_ranges() {
        let q = |t: &str| -> Vec<String> {
            quantities(t, &[], false)
                .iter()
                .map(Quantity::text)
                .collect()
        };
        assert_eq!(q("0.4 to 0.8 mg of folic acid"), ["0.4 mg", "0.8 mg"]);
        assert_eq!(
            q("15 mg/kg/day, then 20 mg per kg"),
            ["15 mg/kg/day", "20 mg/kg"]
        );
        assert_eq!(
            q("a 65-year-old with a 20 pack-year history"),
            ["65 year", "20 pack-year"]
        );
        assert_eq!(q("1,000 IU daily; 50% of cases"), ["1000 iu/day", "50%"]);
        assert_eq!(q("BRCA1/2 and COVID-19 in HbA1c"), Vec::<String>::new());
        assert_eq!(
            q("three doses, once a year"),
            ["3 dose", "1 time", "1 year"]
        );
    }

    proptest! {
        #[test]
        fn never_panics(claim in "\\PC{0,120}", passage in "\\PC{0,200}") {
            let v = check_claim(&claim, &[&passage]);
            prop_assert_eq!(v.supported, v.reason.is_none());
        }

        #[test]
        fn never_panics_on_numbers_and_units(
            claim in "[0-9a-zA-Z .,/%\\-–]{0,80}",
            passage in "[0-9a-zA-Z .,/%\\-–]{0,120}",
        ) {
            let v = check_claim(&claim, &[&passage]);
            prop_assert_eq!(v.supported, v.reason.is_none());
        }
    }
}
