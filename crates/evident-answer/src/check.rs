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
//!    cited passage (in some form: "radiographs" for "radiography"), or a lexicon synonym of it
//!    ([`evident_index::Lexicon`]), or an acronym the passage spells out; so must the words
//!    that say which condition or test ("*ovarian* cancer", "*Coombs* test") and a letter after
//!    a name ("hepatitis *B*").
//! 3. **Focus**: the cited sentence the claim is about (the one that states most of its numbers
//!    and names, counting what an earlier sentence of its passage states) must not give another
//!    grade or stage, nor contrast the claim's population ("women" for "men"); no claim word
//!    may stand where that sentence has a name the claim lacks (a swap: "screening for asthma
//!    in…" for "screening for COPD in…").
//! 4. **Negation and direction**: each recommending clause of the sentence must recommend the
//!    way the focus sentence's clause does ("recommends" / "recommends against", "should not",
//!    "avoid"; "evidence is insufficient" recommends neither way), and each negation must bear
//!    on the same word as one of the passage's ("no family history", "unless the father…";
//!    "without symptoms" is "asymptomatic").
//! 5. **Absolutes**: "always", "never", "all", "only", "guaranteed", "cure"… in the sentence must
//!    be in a cited passage ("every" and "all" state each other).
//! 6. **Coverage**: at least [`MIN_COVERAGE`] of the sentence's content words (stemmed with the
//!    index's own analyzer, stopwords out) must be in the best-covering sentence (a word only
//!    another cited sentence has counts half), and a clause of the sentence with three content
//!    words or more must have [`MIN_CLAUSE_COVERAGE`] of them in the passages.
//!
//! Words come from the workspace tokenizer ([`evident_core::text::words`]), stopwords from its
//! one list, sentences from its medical sentence splitter, condition words from
//! [`crate::concepts`]. The checker is deterministic and takes a fraction of a millisecond.
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
/// reworded paraphrases. On `eval/support/dev.jsonl` every value from 0.45 to 0.60 gives the
/// same verdicts (no paraphrase fails on coverage, every `added_fact` pair is caught); 0.65
/// fails a paraphrase. 0.55 is the middle of that range (docs/support-check.md).
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
    for (p, passage) in passages.iter().enumerate() {
        for s in sentences(passage) {
            let t = Text::new(s);
            if !t.words.is_empty() {
                cited.passage_of.push(p);
                cited.quantities_of.push(quantities(s, &[], true));
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
        .map(|s| (s, coverage(&claim_text, &content, s, &cited)))
        .fold(None::<(&Text, f32)>, |acc, (s, c)| match acc {
            Some((_, best)) if best >= c => acc,
            _ => Some((s, c)),
        })
    else {
        return Verdict::fails(Reason::NoPassage);
    };
    let focus = focus_sentence(&claim_text, &content, &cited);
    if let Some(reason) = check_focus(&claim_text, focus, numbers_sentence(&claim_text, &cited))
        .or_else(|| check_substitution(&claim_text, &[focus, best], &cited))
        .or_else(|| check_polarity(&claim_text, &content, focus, &cited))
        .or_else(|| check_absolutes(&claim_text, &cited))
    {
        return Verdict::fails(reason);
    }
    if share + 1e-6 < MIN_COVERAGE {
        return Verdict::fails(Reason::Coverage {
            percent: (share * 100.0).round() as u32,
        });
    }
    if let Some(percent) = uncovered_clause(&claim_text, &content, &cited) {
        return Verdict::fails(Reason::Coverage { percent });
    }
    Verdict::supported()
}

/// The least share of a claim clause's content words (three or more) that the cited passages
/// must hold: an added fact often comes as a clause of its own ("…, and it should be combined
/// with trigger point injections") that the sentence's overall coverage hides.
pub const MIN_CLAUSE_COVERAGE: f32 = 0.34;

/// The coverage, in percent, of the first claim clause the cited passages hold too little of.
fn uncovered_clause(claim: &Text, content: &[usize], cited: &Cited) -> Option<u32> {
    let clauses = polarity(claim).clauses;
    if clauses.len() < 2 {
        return None;
    }
    clauses.iter().find_map(|c| {
        let inside: Vec<usize> = content
            .iter()
            .copied()
            .filter(|i| (c.start..c.end).contains(i))
            .collect();
        if inside.len() < 3 {
            return None;
        }
        let held = inside.iter().filter(|&&i| cited.names(claim, i)).count();
        let share = held as f32 / inside.len() as f32;
        (share + 1e-6 < MIN_CLAUSE_COVERAGE).then(|| (share * 100.0).round() as u32)
    })
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

    /// Indexes of the content words: not stopwords, no digits, not generic, not units, not the
    /// words of a recommendation (its direction is checked on its own).
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
                    && !FOR.contains(&w.as_str())
                    && !AGAINST.contains(&w.as_str())
                    && !NEGATIONS.contains(&w.as_str())
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
    /// The quantities of each sentence, in the order of `sentences`.
    quantities_of: Vec<Vec<Quantity>>,
    /// The passage of each sentence (its index in the cited passages).
    passage_of: Vec<usize>,
}

impl Cited<'_> {
    /// Whether some passage sentence spells `acronym` with the initials of consecutive words.
    fn spells(&self, acronym: &str) -> bool {
        self.sentences.iter().any(|s| spells(acronym, &s.words))
    }

    /// Whether some passage word is `lower` (stemmed `stem`) or a form of it ([`related`]).
    fn has(&self, lower: &str, stem: &str) -> bool {
        self.lower.contains(lower)
            || self.stems.contains(stem)
            || self.lower.iter().any(|p| related(lower, p))
    }

    /// Whether the passages name what claim word `i` names: the word or a form of it, its
    /// lexicon group, the words its acronym spells, or a word of its population class.
    fn names(&self, claim: &Text, i: usize) -> bool {
        let w = &claim.words[i];
        self.has(&w.lower, &claim.stems[i])
            || claim
                .term_of(i)
                .is_some_and(|t| self.groups.contains(&t.group))
            || is_acronym(&w.original) && self.spells(&w.original)
            || population_class(&w.lower).is_some_and(|class| {
                class
                    .iter()
                    .any(|m| self.lower.contains(*m) || self.stems.contains(&stem(m)))
            })
    }
}

/// Endings that make two forms of one word: "radiograph"/"radiography", "treated"/"treatment",
/// "diabetic"/"diabetes", "symptoms"/"symptomatic".
const FORM_ENDINGS: &[&str] = &[
    "", "s", "es", "e", "ed", "ing", "y", "ies", "ic", "ics", "ical", "al", "ally", "ation",
    "ations", "ion", "ions", "ment", "ments", "er", "ers", "ive", "atic", "ity",
];

/// Whether two lowercase words are forms of one word: they share a beginning of five letters
/// or more and each ends in a [`FORM_ENDINGS`] ending after it.
fn related(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if !a.is_ascii() || !b.is_ascii() {
        return false;
    }
    // A record and its technique: "mammogram"/"mammography", "radiograph"/"radiography".
    let graph = |w: &str| -> Option<String> {
        ["grams", "gram", "graphs", "graphy", "graphic", "graph"]
            .iter()
            .find_map(|e| w.strip_suffix(e))
            .filter(|base| base.len() >= 3)
            .map(|base| format!("{base}graph"))
    };
    if graph(a).is_some() && graph(a) == graph(b) {
        return true;
    }
    let common = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    (5..=common)
        .rev()
        .any(|cut| FORM_ENDINGS.contains(&&a[cut..]) && FORM_ENDINGS.contains(&&b[cut..]))
}

/// An acronym: two or more letters, all capitals and digits ("LDCT", "HT3"), or capitals with
/// some small letters inside ("HBsAg", "HbA1c", "eGFR").
fn is_acronym(original: &str) -> bool {
    let upper = original.chars().filter(char::is_ascii_uppercase).count();
    let alnum = original.chars().all(|c| c.is_ascii_alphanumeric());
    alnum
        && original.chars().count() >= 2
        && (upper == original.chars().filter(|c| !c.is_ascii_digit()).count()
            || upper >= 2 && original.chars().count() <= 8)
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

/// Whether "once" at word `i` joins a clause ("once a woman reaches 41 weeks", "once the
/// teeth erupt") rather than counting ("once a year", "once daily").
fn conjunction(ws: &[Word], i: usize) -> bool {
    let word = |k: usize| ws.get(k).map(|w| w.lower.as_str()).unwrap_or("");
    ws[i].lower == "once"
        && match word(i + 1) {
            "a" | "an" => unit_word(word(i + 2)).is_none(),
            "the" | "this" | "that" | "these" | "those" | "he" | "she" | "they" | "it" | "you"
            | "we" | "there" | "his" | "her" | "their" | "its" | "our" | "your" => true,
            _ => false,
        }
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
            // "two screenings": a count of something, unit or not ("one" is too often no
            // number: "one of", "the one that").
            let counts = value >= 2.0
                && ws.get(i + 1).is_some_and(|n| {
                    matches!(&text[w.span.end..n.span.start], " " | "-")
                        && n.lower.chars().all(char::is_alphabetic)
                        && !is_stopword(&n.lower)
                });
            if unit.is_some() || generous || counts {
                let end = ws[after.max(i + 1) - 1].span.end;
                out.push((Quantity { value, unit, at }, Some(end)));
            }
            i = after.max(i + 1);
            continue;
        }
        if let Some((value, unit)) = interval_word(&w.lower).filter(|_| !conjunction(&ws, i)) {
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
                // "a day" is a rate after "once"/"twice", and anywhere in a passage ("4 grams of
                // acetaminophen a day").
                if w.lower != "a"
                    || generous
                    || i > 0 && matches!(ws[i - 1].lower.as_str(), "once" | "twice")
                {
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
    "faxine",
    "pram",
    "tropium",
    "vudine",
    "morphone",
    "peridine",
    "pitant",
    "relin",
    "relix",
    "sonide",
    "pamil",
    "tiazem",
    "osin",
    "asteride",
    "fibrate",
    "quine",
    "fungin",
    "penem",
    "bactam",
    "tecan",
    "poside",
    "ciclib",
    "parib",
    "lisib",
    "degib",
    "poetin",
    "grastim",
    "kinra",
    "limus",
    "zodone",
    "etamine",
    "pidem",
    "oxicam",
    "curium",
    "uronium",
    "flurane",
    "tadine",
    "sterone",
    "gestrel",
    "estradiol",
    "thyroxine",
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
    "task",
    "force",
    "panel",
    "guideline",
    "guidelines",
    "committee",
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
    is_acronym(&w.original)
        || is_drug_word(l)
        || is_test_word(l)
        || population_class(l).is_some()
        || is_condition_word(l)
}

/// Names of drug classes: "an appetite suppressant", "a beta blocker".
const DRUG_CLASSES: &[&str] = &[
    "suppressant",
    "inhibitor",
    "blocker",
    "agonist",
    "antagonist",
    "diuretic",
    "anticoagulant",
    "antiplatelet",
    "antidepressant",
    "antipsychotic",
    "anticonvulsant",
    "antiepileptic",
    "antiemetic",
    "antihistamine",
    "antiviral",
    "antifungal",
    "analgesic",
    "steroid",
    "corticosteroid",
    "stimulant",
    "sedative",
    "laxative",
];

/// A drug name: listed, or with an INN ending ("-mab", "-pril"…), or a sulfonylurea ("gli-…-ide"),
/// or a drug class ("suppressant", "inhibitors").
fn is_drug_word(l: &str) -> bool {
    DRUGS.contains(&l)
        || DRUG_CLASSES
            .iter()
            .any(|c| l == *c || l.strip_suffix('s') == Some(c))
        || DRUG_SUFFIXES
            .iter()
            .any(|s| l.len() > s.len() + 2 && l.ends_with(s))
        || (l.starts_with("gli") || l.starts_with("gly")) && l.ends_with("ide") && l.len() >= 8
}

/// A test name: listed (any form: "radiographs"), or with a test ending ("-graphy", "-scopy",
/// "-centesis"…).
fn is_test_word(l: &str) -> bool {
    TESTS
        .iter()
        .any(|t| *t == l || t.len() >= 5 && related(l, t) || l.strip_suffix('s') == Some(t))
        || [
            "graphy", "scopy", "gram", "grams", "metry", "opsy", "centesis",
        ]
        .iter()
        .any(|s| l.len() > s.len() + 2 && l.ends_with(s))
}

/// Head words of a test ("Coombs test", "urine drug screen", "HBsAg concentration"): the
/// words before them name which test.
const TEST_HEADS: &[&str] = &[
    "test",
    "tests",
    "testing",
    "screen",
    "screens",
    "screening",
    "screenings",
    "scan",
    "scans",
    "assay",
    "assays",
    "panel",
    "examination",
    "examinations",
    "exam",
    "exams",
    "imaging",
    "concentration",
    "concentrations",
    "level",
    "levels",
    "measurement",
    "count",
];

/// Words before a condition or test head that qualify it without naming another one.
const GENERIC_MODIFIERS: &[&str] = &[
    "routine",
    "regular",
    "periodic",
    "universal",
    "general",
    "standard",
    "physical",
    "clinical",
    "formal",
    "full",
    "complete",
    "additional",
    "repeat",
    "repeated",
    "initial",
    "follow",
    "early",
    "late",
    "severe",
    "mild",
    "moderate",
    "acute",
    "chronic",
    "active",
    "known",
    "suspected",
    "possible",
    "new",
    "current",
    "previous",
    "prior",
    "related",
    "associated",
    "induced",
    "risk",
    "high",
    "low",
    "average",
    "increased",
    "elevated",
    "abnormal",
    "positive",
    "negative",
    "primary",
    "secondary",
    "recurrent",
    "persistent",
    "overall",
    "total",
    "simple",
    "single",
    "first",
    "second",
    "targeted",
    "selective",
    "appropriate",
    "type",
    "based",
];

/// Verbs that come before a name without qualifying it ("undergo colorectal cancer screening").
const VERBS: &[&str] = &[
    "undergo",
    "undergoes",
    "begin",
    "begins",
    "start",
    "starts",
    "have",
    "has",
    "receive",
    "receives",
    "get",
    "gets",
    "perform",
    "performs",
    "order",
    "orders",
    "use",
    "uses",
    "need",
    "needs",
    "require",
    "requires",
    "consider",
    "considers",
    "continue",
    "continues",
    "include",
    "includes",
    "provide",
    "provides",
    "obtain",
    "obtains",
    "prompt",
    "prompts",
    "add",
    "adds",
    "choose",
    "prefer",
    "prefers",
    "detect",
    "detects",
    "confirm",
    "confirms",
    "treat",
    "treats",
    "reduce",
    "reduces",
    "prevent",
    "prevents",
    "lower",
    "lowers",
    "cause",
    "causes",
    "rule",
    "exclude",
    "excludes",
    "do",
    "does",
    "take",
    "takes",
    "give",
    "gives",
    "done",
    "avoid",
];

/// Whether claim word `i` heads a condition or test name: "cancer", "stenosis", "syndrome",
/// "infection", "test", "screening", "radiographs".
fn is_head(claim: &Text, i: usize) -> bool {
    let l = claim.words[i].lower.as_str();
    is_condition_word(l) || TEST_HEADS.contains(&l) || is_test_word(l)
}

/// The words that qualify the head at claim word `i`: up to three words right before it, in
/// the same phrase (only spaces or hyphens between), back to a stopword, number, unit or
/// recommending word; generic qualifiers and population words are skipped.
fn modifiers(claim: &Text, i: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut j = i;
    while j > 0 && i - j < 3 {
        let (a, b) = (&claim.words[j - 1], &claim.words[j]);
        if !matches!(claim.raw.get(a.span.end..b.span.start), Some(" " | "-")) {
            break;
        }
        let l = a.lower.as_str();
        if is_stopword(l)
            || l.chars().any(|c| c.is_ascii_digit())
            || l.chars().count() < 2
            || unit_word(l).is_some()
            || number_word(l).is_some()
            || interval_word(l).is_some()
            || FOR.contains(&l)
            || AGAINST.contains(&l)
            || NEGATIONS.contains(&l)
            || label_kind(l).is_some()
            || VERBS.contains(&l)
            || l.len() > 5
                && (l.ends_with("ed") || l.ends_with("ing"))
                && !GENERIC_MODIFIERS.contains(&l)
        {
            break;
        }
        if !GENERIC_MODIFIERS.contains(&l) && !GENERIC.contains(&l) && population_class(l).is_none()
        {
            out.push(j - 1);
        }
        j -= 1;
    }
    out
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
            is_stopword(l) || cited.has(l, &claim.stems[i])
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
        if cited.has(l, &claim.stems[i]) {
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
    // The words that say which condition or test ("ovarian" cancer, "renal" artery stenosis,
    // "Coombs" test) must be in a cited passage too.
    for i in 0..claim.words.len() {
        if !is_head(claim, i) {
            continue;
        }
        if let Some(&j) = modifiers(claim, i)
            .iter()
            .find(|&&j| !cited.names(claim, j))
        {
            let (a, b) = (claim.words[j].span.start, claim.words[i].span.end);
            return Some(Reason::Entity {
                name: claim.raw[a..b].to_string(),
            });
        }
    }
    // A letter after a name is part of it: "hepatitis B", "vitamin D" must be said so.
    for i in 1..claim.words.len() {
        let (prev, w) = (&claim.words[i - 1], &claim.words[i]);
        let letter = w.original.len() == 1 && w.original.chars().all(|c| c.is_ascii_uppercase());
        if !letter
            || label_kind(&prev.lower).is_some()
            || !is_name_word(prev)
            || !matches!(claim.raw.get(prev.span.end..w.span.start), Some(" " | "-"))
        {
            continue;
        }
        let in_known_term = claim
            .term_of(i)
            .is_some_and(|t| t.start < i && cited.groups.contains(&t.group));
        let said = cited.sentences.iter().any(|s| {
            s.words.windows(2).any(|p| {
                p[1].original == w.original
                    && (p[0].lower == prev.lower || related(&p[0].lower, &prev.lower))
            })
        });
        if !said && !in_known_term {
            return Some(Reason::Entity {
                name: format!("{} {}", prev.original, w.original),
            });
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// 3. Negation and direction; 5. coverage.

/// Negation words.
const NEGATIONS: &[&str] = &[
    "not", "no", "never", "without", "cannot", "nor", "neither", "none", "nothing", "dont",
    "doesnt", "isnt", "arent", "shouldnt", "wont", "t", "unless", "non",
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

/// Words that say the evidence decides nothing: a sentence with one makes no recommendation.
const UNCERTAIN: &[&str] = &["insufficient", "inconclusive", "uncertain", "unclear"];

/// Words after "no"/"not" that make a bound, not a negation: "no more than 3 days".
const BOUNDS: &[&str] = &[
    "more",
    "less",
    "fewer",
    "later",
    "earlier",
    "sooner",
    "only",
    "above",
    "below",
    "over",
    "under",
    "exceeding",
];

/// Time words a negation can bear on: "not before age 18", "not during pregnancy".
const TIME_WORDS: &[&str] = &["before", "after", "during", "until", "within"];

/// Words that end the scope of a negation (besides punctuation).
const SCOPE_ENDS: &[&str] = &[
    "and", "or", "but", "even", "while", "whereas", "although", "though", "because", "then", "if",
    "unless", "except",
];

/// Words that open a condition: a cue after one says when, not which way.
const CONDITIONS: &[&str] = &["if", "when", "whenever", "unless", "where", "whom"];

/// Words that start a new clause (besides punctuation).
const CLAUSE_STARTS: &[&str] = &["but", "however", "although", "though", "whereas", "while"];

/// Words that may stand between a negation and the recommending word it negates: "not
/// routinely recommended", "cannot be recommended".
const NEGATION_FILLERS: &[&str] = &[
    "be",
    "been",
    "generally",
    "routinely",
    "currently",
    "usually",
];

/// Prefixes that negate the word they start: "asymptomatic", "uncomplicated", "nonpregnant".
const NEGATIVE_PREFIXES: &[&str] = &["non", "un", "in", "im", "dis", "an", "a"];

/// Whether the text between words `k` and `k + 1` ends a clause (a comma, semicolon, colon or
/// dash).
fn clause_break(t: &Text, k: usize) -> bool {
    match (t.words.get(k), t.words.get(k + 1)) {
        (Some(a), Some(b)) => t
            .raw
            .get(a.span.end..b.span.start)
            .is_some_and(|gap| gap.contains([',', ';', ':', '—', '–'])),
        _ => false,
    }
}

/// Whether word `i` negates: a negation word, except "with or without", "whether or not", a
/// bound ("no more than"), and "t" outside "don't".
fn negates_at(ws: &[&str], i: usize) -> bool {
    let w = ws[i];
    let prev = |k: usize| i.checked_sub(k).map(|j| ws[j]);
    let next = ws.get(i + 1).copied();
    if !NEGATIONS.contains(&w) {
        return false;
    }
    match w {
        "t" => matches!(
            prev(1),
            Some(
                "don"
                    | "doesn"
                    | "isn"
                    | "aren"
                    | "shouldn"
                    | "won"
                    | "can"
                    | "didn"
                    | "wasn"
                    | "weren"
                    | "mustn"
                    | "couldn"
                    | "wouldn"
            )
        ),
        "without" => !(prev(1) == Some("or") && prev(2) == Some("with")),
        "not" if prev(1) == Some("or") && prev(2) == Some("whether") => false,
        "no" | "not" => !next.is_some_and(|n| BOUNDS.contains(&n)),
        _ => true,
    }
}

/// One negation of a text: the content words it negates (up to three, to the end of its
/// clause).
struct Negation {
    scope: Vec<usize>,
}

/// One clause's recommendation.
struct Clause {
    start: usize,
    end: usize,
    stance: Stance,
    uncertain: bool,
}

/// How a text recommends and what it negates.
struct Polarity {
    clauses: Vec<Clause>,
    /// Negations that are not part of a recommendation ("should not" is a direction).
    negations: Vec<Negation>,
}

/// A text's recommendation, clause by clause, and its other negations.
fn polarity(t: &Text) -> Polarity {
    let ws: Vec<&str> = t.words.iter().map(|w| w.lower.as_str()).collect();
    let n = ws.len();
    let negating: Vec<bool> = (0..n).map(|i| negates_at(&ws, i)).collect();
    // Negations that make a recommendation "against", and the recommending words they take.
    let mut used = vec![false; n];
    let mut taken = vec![false; n];
    let mut cues: Vec<(usize, Stance)> = Vec::new();
    let boundary_before = |k: usize| k == 0 || clause_break(t, k - 1);
    for i in 0..n {
        if !negating[i] || matches!(ws[i], "without" | "unless" | "no") {
            continue;
        }
        let filler = |k: usize| {
            ws.get(k)
                .is_some_and(|w| NEGATION_FILLERS.contains(w) || w.len() > 4 && w.ends_with("ly"))
        };
        let is_for = |k: usize| ws.get(k).is_some_and(|w| FOR.contains(w));
        // "is not recommended", "not routinely recommended", "cannot be recommended"; never
        // across a comma ("recommended, not discouraged").
        let forward = if is_for(i + 1) && !clause_break(t, i) {
            Some(i + 1)
        } else if filler(i + 1) && is_for(i + 2) && !clause_break(t, i) && !clause_break(t, i + 1) {
            Some(i + 2)
        } else {
            None
        };
        // "should not", "must not", "shouldn't".
        let back = match ws[i] {
            "t" => matches!(ws[i - 1], "shouldn" | "mustn").then_some(i - 1),
            _ => (i > 0 && is_for(i - 1) && !clause_break(t, i - 1)).then(|| i - 1),
        };
        // "Do not screen": an imperative at the start of a clause.
        let imperative =
            ws[i] != "t" && i > 0 && matches!(ws[i - 1], "do" | "don") && boundary_before(i - 1)
                || ws[i] == "t" && i > 0 && ws[i - 1] == "don" && boundary_before(i - 1);
        // "should not take more than 4 grams": a limit, which recommends (the bound).
        let limit =
            (i + 1..(i + 4).min(n)).any(|k| BOUNDS.contains(&ws[k]) || ws[k].starts_with("exceed"));
        if limit && (forward.is_some() || back.is_some()) {
            used[i] = true;
            continue;
        }
        if let Some(k) = forward.or(back) {
            taken[k] = true;
        }
        if forward.is_some() || back.is_some() || imperative {
            used[i] = true;
            cues.push((i, Stance::Against));
        }
    }
    let mut uncertain_at: Vec<usize> = Vec::new();
    for i in 0..n {
        let w = ws[i];
        // "insufficient", "not enough evidence", "too little evidence", "recommend for or
        // against".
        let little_evidence = w == "evidence"
            && (i.saturating_sub(2)..i)
                .any(|k| matches!(ws[k], "enough" | "little" | "limited" | "lack" | "no"));
        let either_way =
            w == "for" && ws.get(i + 1) == Some(&"or") && ws.get(i + 2) == Some(&"against");
        if UNCERTAIN.contains(&w) || little_evidence || either_way {
            uncertain_at.push(i);
        }
        // "makes no recommendation".
        if w == "no" && ws.get(i + 1).is_some_and(|x| FOR.contains(x)) {
            used[i] = true;
            taken[i + 1] = true;
            uncertain_at.push(i);
        }
        // A negated cue is no cue: "no contraindication", "unless contraindicated", "not
        // discouraged"; nor is one in a condition ("when first-line drugs are
        // contraindicated").
        let conditional = (0..i)
            .rev()
            .take_while(|&k| !clause_break(t, k))
            .any(|k| CONDITIONS.contains(&ws[k]));
        let negated = (i.saturating_sub(2)..i).any(|k| negating[k] && !used[k])
            || AGAINST.contains(&w) && conditional;
        let either_way = w == "against" && i >= 2 && ws[i - 1] == "or" && ws[i - 2] == "for";
        if AGAINST.contains(&w) && !negated && !either_way {
            cues.push((i, Stance::Against));
        } else if FOR.contains(&w) && !taken[i] && !negated {
            cues.push((i, Stance::For));
        }
    }
    // Clauses: at punctuation, at "but"/"although"…, and at "and"/"or" before a new cue ("…
    // and should avoid…").
    let cue_at = |k: usize| cues.iter().any(|&(c, _)| c == k);
    let mut starts = vec![0];
    for (k, w) in ws.iter().enumerate().skip(1) {
        let split = clause_break(t, k - 1)
            || CLAUSE_STARTS.contains(w)
            || matches!(*w, "and" | "or") && (cue_at(k + 1) || cue_at(k + 2));
        if split {
            starts.push(k);
        }
    }
    let clauses = starts
        .iter()
        .enumerate()
        .map(|(c, &start)| {
            let end = starts.get(c + 1).copied().unwrap_or(n);
            let inside = |k: &usize| (start..end).contains(k);
            let stance = if cues.iter().any(|(k, s)| inside(k) && *s == Stance::Against) {
                Stance::Against
            } else if cues.iter().any(|(k, _)| inside(k)) {
                Stance::For
            } else {
                Stance::Neutral
            };
            Clause {
                start,
                end,
                stance,
                uncertain: uncertain_at.iter().any(inside),
            }
        })
        .collect();
    let negations = (0..n)
        .filter(|&i| negating[i] && !used[i])
        .map(|i| {
            let mut scope = Vec::new();
            for (k, &w) in ws.iter().enumerate().take(i + 9).skip(i + 1) {
                if clause_break(t, k - 1) || SCOPE_ENDS.contains(&w) || scope.len() == 3 {
                    break;
                }
                // "not before age 18": a time word right after the negation is what it negates.
                let timed = k == i + 1 && TIME_WORDS.contains(&w);
                if timed || !is_stopword(w) && !w.chars().any(|c| c.is_ascii_digit()) && w.len() > 1
                {
                    scope.push(k);
                }
            }
            Negation { scope }
        })
        .collect();
    Polarity { clauses, negations }
}

impl Polarity {
    /// The text's recommendation and whether it says the evidence decides nothing. When its
    /// clauses differ, the clause that holds most of the claim's words `words` decides.
    fn stance(&self, t: &Text, claim: &Text, words: &[usize]) -> (Stance, bool) {
        let marked: Vec<&Clause> = self
            .clauses
            .iter()
            .filter(|c| c.stance != Stance::Neutral || c.uncertain)
            .collect();
        let Some(first) = marked.first() else {
            return (Stance::Neutral, false);
        };
        if marked
            .iter()
            .all(|c| c.stance == first.stance && c.uncertain == first.uncertain)
        {
            return (first.stance, first.uncertain);
        }
        let mut best = (first, held(t, first, claim, words));
        for c in &marked[1..] {
            let h = held(t, c, claim, words);
            if h > best.1 {
                best = (c, h);
            }
        }
        (best.0.stance, best.0.uncertain)
    }

    /// The recommendation a claim that recommends nothing is compared with: that of the clause
    /// holding most of its words `words`, a clause that recommends winning ties. "The risks
    /// outweigh the advantages" rests on that clause of "…the risks outweigh the advantages,
    /// so the method is not recommended…", not on its recommendation.
    fn stated(&self, t: &Text, claim: &Text, words: &[usize]) -> (Stance, bool) {
        let marked = |c: &Clause| c.stance != Stance::Neutral || c.uncertain;
        let best = self
            .clauses
            .iter()
            .fold(None::<(&Clause, usize)>, |acc, c| {
                let h = held(t, c, claim, words);
                match acc {
                    Some((b, bh)) if bh > h || bh == h && (marked(b) || !marked(c)) => acc,
                    _ => Some((c, h)),
                }
            });
        match best {
            Some((c, _)) if !marked(c) => (Stance::Neutral, false),
            _ => self.stance(t, claim, words),
        }
    }
}

/// How many of the claim's words `words` clause `c` of `t` holds.
fn held(t: &Text, c: &Clause, claim: &Text, words: &[usize]) -> usize {
    words
        .iter()
        .filter(|&&i| {
            (c.start..c.end).any(|k| {
                t.stems[k] == claim.stems[i] || related(&t.words[k].lower, &claim.words[i].lower)
            })
        })
        .count()
}

/// Whether some word of `t` carries a negative prefix before a form of `word`: "asymptomatic"
/// for "symptoms", "uncomplicated" for "complications".
fn prefix_negates(t: &Text, word: &str) -> bool {
    t.words.iter().any(|w| {
        NEGATIVE_PREFIXES.iter().any(|p| {
            w.lower
                .strip_prefix(p)
                .is_some_and(|rest| rest.len() >= 5 && related(rest, word))
        })
    })
}

/// Whether a negation of `a` and one of `b` negate a common word.
fn same_scope(a: &Text, na: &Negation, b: &Text, nb: &Negation) -> bool {
    na.scope.iter().any(|&i| {
        nb.scope
            .iter()
            .any(|&k| a.stems[i] == b.stems[k] || related(&a.words[i].lower, &b.words[k].lower))
    })
}

fn check_polarity(claim: &Text, content: &[usize], focus: &Text, cited: &Cited) -> Option<Reason> {
    let cp = polarity(claim);
    let fp = polarity(focus);
    // Each recommending clause of the claim against the focus sentence's clause that holds its
    // words ("X is not recommended, but Y is suggested" has two); a claim that recommends
    // nothing against the whole sentence.
    let marked: Vec<&Clause> = cp
        .clauses
        .iter()
        .filter(|c| c.stance != Stance::Neutral || c.uncertain)
        .collect();
    let mut pairs: Vec<((Stance, bool), Vec<usize>)> = marked
        .iter()
        .map(|c| {
            let inside: Vec<usize> = content
                .iter()
                .copied()
                .filter(|i| (c.start..c.end).contains(i))
                .collect();
            let words = if inside.is_empty() || marked.len() == 1 {
                content.to_vec()
            } else {
                inside
            };
            ((c.stance, c.uncertain), words)
        })
        .collect();
    if pairs.is_empty() {
        pairs.push(((Stance::Neutral, false), content.to_vec()));
    }
    for ((cs, cu), words) in pairs {
        let (ps, pu) = if (cs, cu) == (Stance::Neutral, false) {
            fp.stated(focus, claim, &words)
        } else {
            fp.stance(focus, claim, &words)
        };
        let differs = match (cu, pu) {
            // The passage decides nothing: the claim may not recommend either way.
            (false, true) => cs != Stance::Neutral,
            // The claim says nothing is decided where the passage recommends.
            (true, false) => ps != Stance::Neutral,
            _ => matches!(
                (cs, ps),
                (Stance::For, Stance::Against)
                    | (Stance::Against, Stance::For)
                    | (Stance::Against, Stance::Neutral)
                    | (Stance::Neutral, Stance::Against)
            ),
        };
        if differs {
            let passage = if pu { Stance::Neutral } else { ps };
            return Some(Reason::Direction { passage });
        }
    }
    // Each negation of the claim must be in a cited sentence: one that negates a word it
    // negates, or a word with a negative prefix ("without symptoms" for "asymptomatic").
    let cited_polarity: Vec<(&Text, Polarity)> =
        cited.sentences.iter().map(|s| (s, polarity(s))).collect();
    for n in &cp.negations {
        let stated = if n.scope.is_empty() {
            !fp.negations.is_empty()
        } else {
            cited_polarity.iter().any(|(s, p)| {
                p.negations.iter().any(|m| same_scope(claim, n, s, m))
                    || n.scope
                        .iter()
                        .any(|&i| prefix_negates(s, &claim.words[i].lower))
                    // "cannot be judged" for "the evidence is insufficient to judge".
                    || p.clauses.iter().any(|c| c.uncertain)
                        && n.scope.iter().any(|&i| sentence_names(claim, i, s))
            })
        };
        if !stated {
            return Some(Reason::Negation {
                claim_negated: true,
            });
        }
    }
    // What the focus sentence negates, the claim may not affirm: a word the focus sentence
    // negates (first of its scope), or one it says with a negative prefix, that the claim
    // says outside every negation of its own.
    let claim_negated = |i: usize| cp.negations.iter().any(|n| n.scope.contains(&i));
    let affirmed = |word: &str, word_stem: &str| {
        let hits: Vec<usize> = (0..claim.words.len())
            .filter(|&i| claim.stems[i] == word_stem || related(&claim.words[i].lower, word))
            .collect();
        !hits.is_empty() && !hits.iter().any(|&i| claim_negated(i)) && !prefix_negates(claim, word)
    };
    for m in &fp.negations {
        if let Some(&k) = m.scope.first() {
            if affirmed(&focus.words[k].lower, &focus.stems[k]) {
                return Some(Reason::Negation {
                    claim_negated: false,
                });
            }
        }
    }
    for w in &focus.words {
        for p in NEGATIVE_PREFIXES {
            if let Some(rest) = w.lower.strip_prefix(p) {
                if rest.len() >= 5
                    && !claim.words.iter().any(|c| c.lower == w.lower)
                    && affirmed(rest, &stem(rest))
                {
                    return Some(Reason::Negation {
                        claim_negated: false,
                    });
                }
            }
        }
    }
    None
}

/// Whether passage sentence `s` names what claim word `i` names: by stem or form, by a lexicon
/// term of the same group, as an acronym it spells, or by a word of its population class.
fn sentence_names(claim: &Text, i: usize, s: &Text) -> bool {
    let w = &claim.words[i];
    s.has_stem(&claim.stems[i])
        || s.words.iter().any(|p| related(&w.lower, &p.lower))
        || claim
            .term_of(i)
            .is_some_and(|t| s.groups.iter().any(|g| g.group == t.group))
        || is_acronym(&w.original) && spells(&w.original, &s.words)
        || population_class(&w.lower)
            .is_some_and(|class| class.iter().any(|m| s.has_stem(&stem(m))))
        || prefix_negates(s, &w.lower)
}

/// The share of the claim's content words (`content`, word indexes) that `s` holds
/// ([`sentence_names`]); a word that only another cited sentence holds counts half (the
/// sentence's subject, said in the sentence before: "The certificate is valid…" after "…yellow
/// fever vaccine…").
fn coverage(claim: &Text, content: &[usize], s: &Text, cited: &Cited) -> f32 {
    let covered: f32 = content
        .iter()
        .map(|&i| {
            if sentence_names(claim, i, s) {
                1.0
            } else if cited.names(claim, i) {
                0.5
            } else {
                0.0
            }
        })
        .sum();
    covered / content.len().max(1) as f32
}

// ---------------------------------------------------------------------------------------------
// The focus sentence: what the claim is about.

/// The cited sentence the claim is about: the one that states most of its numbers and names
/// (then most of its content words). Its direction, negations, labels and populations are the
/// ones the claim must keep: in "Women 65 and older should be screened. In men, the evidence
/// is insufficient.", a claim about screening men at 65 rests on the first sentence.
fn focus_sentence<'c, 'a>(claim: &Text, content: &[usize], cited: &'c Cited<'a>) -> &'c Text<'a> {
    let claim_quantities = quantities(claim.raw, &[], false);
    // Names, a lexicon term once. A population word counts only where the passage contrasts
    // it ("men" in a passage that also speaks of women): elsewhere it is the setting of every
    // sentence more than the subject of one.
    let contrasted = |l: &str| {
        CONTRASTS.iter().any(|&(a, b)| {
            [(a, b), (b, a)].iter().any(|&(mine, other)| {
                population_class(l).is_some_and(|c| c.contains(&mine))
                    && population_class(other)
                        .is_some_and(|c| c.iter().any(|m| cited.lower.contains(*m)))
            })
        })
    };
    let mut seen = HashSet::new();
    let names: Vec<usize> = (0..claim.words.len())
        .filter(|&i| {
            let l = claim.words[i].lower.as_str();
            let key = match claim.term_of(i) {
                Some(t) => format!("#{}", t.group),
                None if is_name_word(&claim.words[i])
                    && (population_class(l).is_none() || contrasted(l)) =>
                {
                    claim.stems[i].clone()
                }
                None => return false,
            };
            seen.insert(key)
        })
        .collect();
    // Each number and name the claim says: which sentences state it.
    let mut items: Vec<Vec<bool>> = Vec::new();
    for q in &claim_quantities {
        items.push(
            cited
                .quantities_of
                .iter()
                .map(|qs| qs.iter().any(|p| q.stated_by(p)))
                .collect(),
        );
    }
    for &i in &names {
        items.push(
            cited
                .sentences
                .iter()
                .map(|s| sentence_names(claim, i, s))
                .collect(),
        );
    }
    // A sentence also holds what an earlier sentence of its passage states: "Adults aged 45 to
    // 49 years should also be screened" is about the cancer the sentence before it names.
    // Sentences that hold as many items are told apart by the content words they hold.
    let mut best: Option<(&Text, (f32, usize))> = None;
    for (k, s) in cited.sentences.iter().enumerate() {
        let score: f32 = items
            .iter()
            .map(|at| {
                let inherited = (0..k).any(|j| at[j] && cited.passage_of[j] == cited.passage_of[k]);
                if at[k] || inherited {
                    1.0
                } else {
                    0.0
                }
            })
            .sum();
        let covered = content
            .iter()
            .filter(|&&i| sentence_names(claim, i, s))
            .count();
        let better = match best {
            None => true,
            Some((_, (bs, bc))) => score > bs + 1e-6 || (score - bs).abs() <= 1e-6 && covered > bc,
        };
        if better {
            best = Some((s, (score, covered)));
        }
    }
    best.map(|(s, _)| s).unwrap_or(&cited.sentences[0])
}

/// The cited sentence that states most of the claim's numbers itself, if it states any.
fn numbers_sentence<'c, 'a>(claim: &Text, cited: &'c Cited<'a>) -> Option<&'c Text<'a>> {
    let qs = quantities(claim.raw, &[], false);
    let mut best: Option<(&Text, usize)> = None;
    for (k, s) in cited.sentences.iter().enumerate() {
        let n = qs
            .iter()
            .filter(|q| cited.quantities_of[k].iter().any(|p| q.stated_by(p)))
            .count();
        if n > 0 && best.is_none_or(|(_, b)| n > b) {
            best = Some((s, n));
        }
    }
    best.map(|(s, _)| s)
}

/// Populations that exclude each other: a claim about one rests on a sentence about the other
/// only by mistake.
const CONTRASTS: &[(&str, &str)] = &[
    ("women", "men"),
    ("girls", "boys"),
    ("postmenopausal", "premenopausal"),
    ("adults", "children"),
    ("adults", "infants"),
    ("older", "younger"),
];

/// Labels and populations against the focus sentence: a label the focus sentence states
/// differently ("grade C" there, "grade B" in the claim, though the other sentence has B), a
/// population it contrasts ("men" where it says "women"), there or in the sentence that states
/// the claim's numbers (`numbers`: "Women 40 or older… every 5 years. For men, no interval is
/// given." does not give men every 5 years).
fn check_focus(claim: &Text, focus: &Text, numbers: Option<&Text>) -> Option<Reason> {
    for l in &claim.labels {
        let kind = l.key.split(' ').next().unwrap_or("");
        let named = claim
            .in_term(l.span.start)
            .is_some_and(|t| focus.groups.iter().any(|g| g.group == t.group));
        let same_kind: Vec<&Label> = focus
            .labels
            .iter()
            .filter(|f| f.key.split(' ').next() == Some(kind))
            .collect();
        if !named && !same_kind.is_empty() && !same_kind.iter().any(|f| f.key == l.key) {
            return Some(Reason::Label {
                label: l.key.clone(),
            });
        }
    }
    let class_in = |t: &Text, word: &str| {
        population_class(word)
            .is_some_and(|class| t.words.iter().any(|w| class.contains(&w.lower.as_str())))
    };
    for w in &claim.words {
        for &(a, b) in CONTRASTS {
            for (mine, other) in [(a, b), (b, a)] {
                let is_mine = population_class(&w.lower).is_some_and(|class| class.contains(&mine));
                let contrasts = |s: &Text| !class_in(s, mine) && class_in(s, other);
                if is_mine && (contrasts(focus) || numbers.is_some_and(contrasts)) {
                    return Some(Reason::Entity {
                        name: w.original.clone(),
                    });
                }
            }
        }
    }
    None
}

/// A name swapped for another: a run of claim words that no cited passage has, standing where
/// a sentence (the focus sentence or the best-covering one) has other words between the same
/// neighbours, one side of the swap a name ("Screening for asthma in…" where the passage says
/// "Screening for COPD in…"; "Citalopram at 75 mg…" for "Venlafaxine at 75 mg…").
fn check_substitution(claim: &Text, sentences: &[&Text], cited: &Cited) -> Option<Reason> {
    let n = claim.words.len();
    let foreign: Vec<bool> = (0..n)
        .map(|i| {
            let l = &claim.words[i].lower;
            !is_stopword(l) && !l.chars().any(|c| c.is_ascii_digit()) && !cited.names(claim, i)
        })
        .collect();
    let claim_has = |w: &Word, st: &str| {
        claim
            .words
            .iter()
            .zip(&claim.stems)
            .any(|(c, cs)| cs == st || related(&c.lower, &w.lower))
    };
    let mut i = 0;
    while i < n {
        if !foreign[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i < n && foreign[i] {
            i += 1;
        }
        let end = i;
        let left = start.checked_sub(1);
        let right = (end < n).then_some(end);
        if left.is_none() && right.is_none() {
            continue;
        }
        let run_named =
            (start..end).any(|k| claim.term_of(k).is_some() || is_name_word(&claim.words[k]));
        let same = |s: &Text, k: usize, c: usize| {
            s.stems[k] == claim.stems[c] || s.words[k].lower == claim.words[c].lower
        };
        for s in sentences {
            let m = s.words.len();
            // Positions of the left neighbour in `s` (-1: the start) and of the right (m: the
            // end).
            let lefts: Vec<isize> = match left {
                Some(c) => (0..m)
                    .filter(|&k| same(s, k, c))
                    .map(|k| k as isize)
                    .collect(),
                None => vec![-1],
            };
            let rights: Vec<usize> = match right {
                Some(c) => (0..m).filter(|&k| same(s, k, c)).collect(),
                None => vec![m],
            };
            for &a in &lefts {
                for &b in &rights {
                    let from = (a + 1) as usize;
                    if b <= from || b - from > 6 {
                        continue;
                    }
                    let gap = from..b;
                    let content: Vec<usize> = gap
                        .clone()
                        .filter(|&k| {
                            let l = &s.words[k].lower;
                            !is_stopword(l) && !l.chars().any(|c| c.is_ascii_digit())
                        })
                        .collect();
                    let unsaid = !content.is_empty()
                        && content
                            .iter()
                            .all(|&k| !claim_has(&s.words[k], &s.stems[k]));
                    let gap_named = content
                        .iter()
                        .any(|&k| s.term_of(k).is_some() || is_name_word(&s.words[k]));
                    if unsaid && (gap_named || run_named) {
                        let (x, y) = (claim.words[start].span.start, claim.words[end - 1].span.end);
                        return Some(Reason::Entity {
                            name: claim.raw[x..y].to_string(),
                        });
                    }
                }
            }
        }
    }
    None
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

/// Words that say "every one of them": a claim's "every pregnant woman" is stated by "all
/// pregnant women", its "anyone planning a pregnancy" by "everyone who is planning".
const UNIVERSALS: &[&str] = &[
    "all",
    "every",
    "each",
    "everyone",
    "everybody",
    "anyone",
    "anybody",
];

/// Whether `"every"` at word `i` of `t` starts an interval ("every 3 years", "every year").
fn every_interval(t: &Text, i: usize) -> bool {
    let next = t.words.get(i + 1).map(|n| n.lower.as_str()).unwrap_or("");
    t.words[i].lower == "every"
        && (next.starts_with(|c: char| c.is_ascii_digit())
            || unit_word(next).is_some()
            || number_word(next).is_some()
            || next == "other")
}

fn check_absolutes(claim: &Text, cited: &Cited) -> Option<Reason> {
    let universal_cited = cited.sentences.iter().any(|s| {
        (0..s.words.len())
            .any(|k| UNIVERSALS.contains(&s.words[k].lower.as_str()) && !every_interval(s, k))
    });
    for (i, w) in claim.words.iter().enumerate() {
        let l = w.lower.as_str();
        if !ABSOLUTES.contains(&l) || l == "100" {
            continue;
        }
        // "every 3 years", "every year": an interval, checked as a number.
        if every_interval(claim, i) {
            continue;
        }
        // "ALL" (the leukaemia) is a name.
        if w.original.chars().all(|c| c.is_ascii_uppercase()) && w.original.len() > 1 {
            continue;
        }
        if cited.lower.contains(l)
            || cited.stems.contains(&claim.stems[i])
            || UNIVERSALS.contains(&l) && universal_cited
        {
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
            "Women aged 21 to 29 years should have cytology every 3 years, together with \
             counselling about diet, exercise and sleeping habits.",
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

    fn supported(claim: &str, passage: &str) {
        let v = check_claim(claim, &[passage]);
        assert!(
            v.supported,
            "{claim}: {:?}",
            v.reason.map(|r| r.to_string())
        );
    }

    #[test]
    fn forms_of_a_word_are_the_same_name() {
        // "radiographs"/"radiography", "mammograms"/"mammography", "treated"/"treatment".
        supported(
            "Knee pain in older adults should be assessed with radiography.",
            "Older adults with knee pain should be assessed with radiographs.",
        );
        supported(
            "Women aged 50 to 74 years should have screening mammograms every 2 years.",
            "Women aged 50 to 74 years should have screening mammography every 2 years.",
        );
        assert!(related("treated", "treatment") && related("symptoms", "symptomatic"));
        assert!(!related("gastritis", "gastric") && !related("hepatitis", "hepatic"));
    }

    #[test]
    fn the_other_sentence_of_the_passage_lends_its_subject_at_half_weight() {
        let passage = "Travellers to areas where typhoid is common should get the oral \
                       vaccine. The course protects for 5 years.";
        // "typhoid vaccine" comes from the first sentence, the rest from the second.
        supported(
            "The oral typhoid vaccine course protects for 5 years.",
            passage,
        );
    }

    #[test]
    fn a_condition_or_test_must_keep_the_words_that_say_which() {
        let passage = "Women previously treated for breast cancer may take letrozole for 5 \
                       years. A bone density scan is advised before starting.";
        assert_eq!(
            reason(
                "Women previously treated for endometrial cancer may take letrozole for 5 \
                 years.",
                passage
            )
            .as_deref(),
            Some("names 'endometrial cancer', not in the cited passage")
        );
        assert_eq!(
            reason(
                "A liver function test is advised before starting letrozole.",
                passage
            )
            .as_deref(),
            Some("names 'liver function test', not in the cited passage")
        );
        // A verb before the name is no part of it.
        supported(
            "Before starting, women should undergo a bone density scan.",
            passage,
        );
        // A letter after a name is part of it.
        assert_eq!(
            reason(
                "Adults with hepatitis B infection should be vaccinated.",
                "Adults with hepatitis C infection should be vaccinated (grade B)."
            )
            .as_deref(),
            Some("names 'hepatitis B', not in the cited passage")
        );
    }

    #[test]
    fn a_name_swapped_for_another_in_the_same_place_fails() {
        let passage = "Screening for glaucoma in adults without symptoms is not recommended.";
        assert_eq!(
            reason(
                "Screening for keratoconus in adults without symptoms is not recommended.",
                passage
            )
            .as_deref(),
            Some("names 'keratoconus', not in the cited passage")
        );
        assert_eq!(
            reason(
                "Sumatriptan at 50 mg relieves a migraine attack.",
                "Naproxen at 50 mg relieves a migraine attack."
            )
            .as_deref(),
            Some("names 'Sumatriptan', not in the cited passage")
        );
    }

    #[test]
    fn new_drug_names_and_acronyms_are_names() {
        for w in [
            "lamivudine",
            "citalopram",
            "tiotropium",
            "hydromorphone",
            "glimepiride",
            "aprepitant",
            "inhibitors",
        ] {
            assert!(is_drug_word(w), "{w}");
        }
        assert!(is_acronym("HBsAg") && is_acronym("eGFR") && !is_acronym("Rh"));
        assert_eq!(
            reason(
                "A nurse with an HBsAg level of 10 mIU/mL is protected.",
                "A nurse with an anti-HBs level of 10 mIU/mL is protected."
            )
            .as_deref(),
            Some("names 'HBsAg', not in the cited passage")
        );
    }

    #[test]
    fn the_focus_sentence_is_the_one_the_claim_is_about() {
        // Direction: the sentence that names the drug, not the one that holds the setting.
        let falls = "In adults aged 65 years or older who have fallen before, balance training \
                     is recommended. Vitamin D supplements are advised against in this group.";
        assert_eq!(
            reason(
                "Vitamin D supplements are recommended for adults aged 65 years or older who \
                 have fallen before.",
                falls
            )
            .as_deref(),
            Some("direction differs: passage recommends against")
        );
        supported(
            "Vitamin D supplements are advised against in adults 65 or older who have fallen \
             before.",
            falls,
        );
        // Labels: the grade of the sentence with the claim's ages, not the other sentence's.
        let grades = "Screening for hepatitis B is recommended in adults aged 18 to 69 years \
                      (grade A). Adults aged 70 years or older may also be screened (grade C).";
        assert_eq!(
            reason(
                "Screening adults aged 70 years or older for hepatitis B is a grade A \
                 recommendation.",
                grades
            )
            .as_deref(),
            Some("grade A not in the cited passage")
        );
        // Populations: "men" where the sentence about the claim says "women".
        assert_eq!(
            reason(
                "Men aged 40 years or older should have a thyroid panel every 5 years.",
                "Women aged 40 years or older should have a thyroid panel every 5 years. For \
                 men, no interval is given."
            )
            .as_deref(),
            Some("names 'Men', not in the cited passage")
        );
    }

    #[test]
    fn a_recommendation_is_negated_only_by_a_negation_of_its_own_word() {
        // "no contraindications should" is no "should not".
        supported(
            "Children who have no contraindications should get the nasal vaccine each autumn.",
            "Children without contraindications should get the nasal vaccine each autumn.",
        );
        // Not across a comma: "recommended, not discouraged" recommends.
        assert_eq!(
            reason(
                "Sunscreen is recommended, not discouraged, for infants under 6 months.",
                "Sunscreen is discouraged for infants under 6 months."
            )
            .as_deref(),
            Some("direction differs: passage recommends against")
        );
        // "do not" is a direction only as an order; "does not prolong" is a negation.
        assert_eq!(
            reason(
                "High doses of haloperidol do not prolong the QT interval.",
                "High doses of haloperidol prolong the QT interval."
            )
            .as_deref(),
            Some("negation differs: the sentence negates, the passage does not")
        );
        // A cue inside a condition says when, not which way; a limit recommends.
        supported(
            "If metformin is contraindicated, a sulfonylurea can be offered.",
            "A sulfonylurea may be offered when metformin is contraindicated.",
        );
        supported(
            "The daily dose of ibuprofen should stay at or below 3200 mg.",
            "Adults should not take more than 3200 mg of ibuprofen a day, the daily dose limit.",
        );
    }

    #[test]
    fn insufficient_evidence_is_no_recommendation() {
        let passage = "For adults with tinnitus, there is insufficient evidence to recommend for \
                       or against sound therapy.";
        assert_eq!(
            reason(
                "Sound therapy is recommended for adults with tinnitus.",
                passage
            )
            .as_deref(),
            Some("direction differs: passage makes no recommendation")
        );
        supported(
            "There is not enough evidence to recommend for or against sound therapy in adults \
             with tinnitus.",
            passage,
        );
        assert_eq!(
            reason(
                "Evidence is insufficient on sound therapy for adults with tinnitus.",
                "Sound therapy is recommended for adults with tinnitus."
            )
            .as_deref(),
            Some("direction differs: passage recommends for")
        );
    }

    #[test]
    fn each_recommending_clause_of_a_claim_is_checked() {
        assert_eq!(
            reason(
                "For chronic neck pain, yoga is not recommended, but massage is suggested.",
                "For chronic neck pain, yoga is recommended and massage is suggested."
            )
            .as_deref(),
            Some("direction differs: passage recommends for")
        );
        // A claim that recommends nothing rests on the clause that holds its words.
        supported(
            "In a level 3 condition, the risks of the device usually outweigh its benefits.",
            "In a level 3 condition, the risks of the device usually outweigh its benefits, so \
             the device is usually not recommended.",
        );
    }

    #[test]
    fn negations_are_compared_word_by_word() {
        let passage = "Adults who have never smoked and have no family history of lung disease \
                       need no spirometry.";
        // The passage negates "family history"; the claim affirms it.
        assert_eq!(
            reason(
                "Adults who have never smoked, even with a family history of lung disease, \
                 need no spirometry.",
                passage
            )
            .as_deref(),
            Some("negation differs: the passage negates, the sentence does not")
        );
        supported(
            "Adults with no family history of lung disease who have never smoked need no \
             spirometry.",
            passage,
        );
        // "unless" negates; "even when" does not.
        assert_eq!(
            reason(
                "Pregnant women should have a repeat ultrasound at 32 weeks even when the \
                 placenta has moved.",
                "Pregnant women should have a repeat ultrasound at 32 weeks, unless the \
                 placenta has moved."
            )
            .as_deref(),
            Some("negation differs: the passage negates, the sentence does not")
        );
        // "with or without" negates nothing.
        supported(
            "Before surgery, patients get cefazolin, optionally with vancomycin.",
            "Before surgery, patients get cefazolin with or without vancomycin.",
        );
        // Negative prefixes: "without symptoms" is "asymptomatic", "non-radiating" is "does
        // not radiate".
        supported(
            "Adults without symptoms should not be screened for bladder cancer.",
            "Screening asymptomatic adults for bladder cancer is not recommended.",
        );
        supported(
            "Routine imaging is not recommended for non-radiating neck pain.",
            "For neck pain that does not radiate, imaging should not be obtained routinely.",
        );
        // "not before age 18": the claim may not say "before 18".
        assert_eq!(
            reason(
                "Surveillance may start before age 21 years.",
                "Surveillance may start at, but not before, age 21 years."
            )
            .as_deref(),
            Some("negation differs: the passage negates, the sentence does not")
        );
    }

    #[test]
    fn every_universal_word_states_the_others() {
        supported(
            "Every adult with diabetes should have a yearly eye examination.",
            "All adults with diabetes should have a yearly eye examination.",
        );
        assert_eq!(
            reason(
                "Every adult should have a yearly eye examination.",
                "Adults with diabetes should have a yearly eye examination."
            )
            .as_deref(),
            Some("adds an absolute ('every')")
        );
    }

    #[test]
    fn counted_things_and_conjunctions() {
        // "two screenings": a count, though "screenings" is no unit.
        assert_eq!(
            reason(
                "Adults aged 70 years should have two screenings for hearing loss.",
                "Adults aged 70 years should have one-time screening for hearing loss."
            )
            .as_deref(),
            Some("number 2 not in the cited passage")
        );
        // "once a child starts school" is no interval.
        supported(
            "Vision should be checked once a child starts school.",
            "Vision should be checked when a child starts school.",
        );
    }

    #[test]
    fn an_added_clause_that_no_passage_holds_fails() {
        let r = reason(
            "Adults with chronic neck pain should be offered yoga, and it should be combined \
             with dry needling sessions.",
            "Adults with chronic neck pain should be offered yoga as part of a supervised \
             exercise programme.",
        )
        .unwrap_or_default();
        assert!(
            r.starts_with("too little of the sentence is covered"),
            "{r}"
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

    /// Figures on the eval files, for the development loop: `cargo test --release -p
    /// evident-answer --lib check -- --ignored --nocapture`.
    #[test]
    #[ignore = "prints figures on eval/support/*.jsonl"]
    fn figures_on_the_eval_files() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../eval/support");
        let extra = std::env::var("SUPPORT_EXTRA").unwrap_or_default();
        let files = ["dev.jsonl", "heldout.jsonl"]
            .iter()
            .map(|n| dir.join(n))
            .chain(extra.split(':').filter(|p| !p.is_empty()).map(Into::into));
        for path in files {
            let name = path.display().to_string();
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let mut per: std::collections::BTreeMap<String, (u32, u32)> = Default::default();
            let (mut right, mut n) = (0, 0);
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let passages: Vec<String> = match &v["passage"] {
                    serde_json::Value::Array(a) => a
                        .iter()
                        .filter_map(|p| p.as_str().map(str::to_string))
                        .collect(),
                    p => vec![p.as_str().unwrap_or_default().to_string()],
                };
                let refs: Vec<&str> = passages.iter().map(String::as_str).collect();
                let verdict = check_claim(v["claim"].as_str().unwrap_or_default(), &refs);
                let supported = v["label"] == "supported";
                let ok = verdict.supported == supported;
                let e = per
                    .entry(v["change"].as_str().unwrap_or("?").to_string())
                    .or_default();
                e.0 += u32::from(ok);
                e.1 += 1;
                right += u32::from(ok);
                n += 1;
                if !ok {
                    println!(
                        "  MISS {} {}: {} -- {:?}",
                        v["id"],
                        v["change"],
                        v["claim"],
                        verdict.reason.map(|r| r.to_string())
                    );
                }
            }
            println!("{name}: accuracy {right}/{n}");
            for (k, (a, b)) in per {
                println!("  {k}: {a}/{b}");
            }
        }
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
