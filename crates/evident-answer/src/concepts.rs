//! Concepts, not words: the names in a question (conditions, drugs, tests, procedures), checked
//! against what the library itself names.
//!
//! A question is split into *name phrases*: runs of topic words between function words, kind
//! cues ("treatment", "dose"), punctuation and the verbs of asking. A lexicon term is one name
//! (its synonyms and abbreviations come with it), and a name defined with its abbreviation —
//! "posterior reversible encephalopathy syndrome (PRES)", "DRESS (drug reaction with …)" — is one
//! name with the abbreviation as a synonym.
//!
//! A name is *covered* when the library has it as a phrase (in a title, heading or passage), or
//! has a shorter name ending in the same head word and says every dropped modifier together with
//! it somewhere ("adrenal pheochromocytoma": the library's pheochromocytoma passages say
//! "adrenal"). A name whose modifiers the library never says with its head names a condition the
//! library lacks ("anti-NMDA receptor encephalitis" against a library that has encephalitis but
//! never NMDA with it): when such a name is a *condition* — its head word is a disease word, or
//! its lexicon name is — the answer must abstain and say which concept is missing.
//!
//! The library's own names are its source titles, MedQuAD focus names and heading trails, all
//! indexed at ingest (the `title` and `trail` fields): [`Library::phrase_counts`] and
//! [`Library::phrase_with`] ask them.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use evident_core::text::{is_stopword, words, Word};
use evident_index::Library;

use crate::analyze::{is_qualifier_word, is_question_word};
use crate::error::Result;

const DATA: &str = include_str!("../data/concepts.txt");

/// The word lists of `data/concepts.txt`.
struct Lists {
    condition_heads: HashSet<String>,
    condition_suffixes: Vec<String>,
    not_conditions: HashSet<String>,
    generic_heads: HashSet<String>,
    generic_modifiers: HashSet<String>,
    not_topic: HashSet<String>,
    child_titles: HashSet<String>,
    pregnancy_titles: HashSet<String>,
    /// Head words that name the same class ("carcinoma" and "cancer"), both ways.
    head_equivalents: Vec<(String, String)>,
}

fn lists() -> &'static Lists {
    static LISTS: OnceLock<Lists> = OnceLock::new();
    LISTS.get_or_init(|| parse_lists(DATA))
}

fn parse_lists(text: &str) -> Lists {
    let mut sections: HashMap<String, Vec<String>> = HashMap::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.to_string();
            continue;
        }
        sections
            .entry(current.clone())
            .or_default()
            .push(line.to_lowercase());
    }
    let mut take = |name: &str| -> Vec<String> {
        sections
            .remove(name)
            .unwrap_or_else(|| panic!("data/concepts.txt has no [{name}] list"))
    };
    let heads = take("condition heads");
    let (suffixes, heads): (Vec<String>, Vec<String>) =
        heads.into_iter().partition(|h| h.starts_with('-'));
    Lists {
        condition_heads: heads.into_iter().collect(),
        condition_suffixes: suffixes
            .into_iter()
            .map(|s| s.trim_start_matches('-').to_string())
            .collect(),
        not_conditions: take("not conditions").into_iter().collect(),
        generic_heads: take("generic heads").into_iter().collect(),
        generic_modifiers: take("generic modifiers").into_iter().collect(),
        not_topic: take("not topic").into_iter().collect(),
        child_titles: take("child titles").into_iter().collect(),
        pregnancy_titles: take("pregnancy titles").into_iter().collect(),
        head_equivalents: take("head equivalents")
            .iter()
            .filter_map(|l| l.split_once(' '))
            .flat_map(|(a, b)| {
                let (a, b) = (a.trim().to_string(), b.trim().to_string());
                [(a.clone(), b.clone()), (b, a)]
            })
            .collect(),
    }
}

/// Checks the word lists (at composer creation, so a bad edit fails at start, not mid-answer).
pub fn init() {
    let _ = lists();
}

/// Whether `word` (lowercase) is a disease word: a question whose name ends in it asks about a
/// condition.
pub fn is_condition_word(word: &str) -> bool {
    let l = lists();
    !l.not_conditions.contains(word)
        && (l.condition_heads.contains(word)
            || l.condition_suffixes
                .iter()
                .any(|s| word.len() > s.len() + 2 && word.ends_with(s.as_str())))
}

/// Whether `word` (lowercase) is never part of a name: a verb of asking or telling, a vague
/// noun, a person ("doctor", "son").
pub fn is_not_topic(word: &str) -> bool {
    lists().not_topic.contains(word)
}

/// A population a source title is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TitlePopulation {
    Children,
    Pregnancy,
}

/// The populations a source title names ("Childhood …", "… in Pregnancy").
pub fn title_populations(title: &str) -> Vec<TitlePopulation> {
    let l = lists();
    let mut out = Vec::new();
    for w in words(title) {
        if l.child_titles.contains(&w.lower) && !out.contains(&TitlePopulation::Children) {
            out.push(TitlePopulation::Children);
        }
        if l.pregnancy_titles.contains(&w.lower) && !out.contains(&TitlePopulation::Pregnancy) {
            out.push(TitlePopulation::Pregnancy);
        }
    }
    out
}

/// A named concept of the question, as the library's analyzer stems it.
#[derive(Debug, Clone, PartialEq)]
pub struct Concept {
    /// As the question names it.
    pub name: String,
    /// Stems of its topic words (function words left out), in order.
    pub stems: Vec<String>,
    /// Stems of each other name for it (lexicon synonyms, its abbreviation or long form).
    pub synonyms: Vec<Vec<String>>,
    /// Whether it names a condition (see the module doc).
    pub condition: bool,
}

impl Concept {
    /// Whether `stems` holds every topic stem of this concept, or of one of its other names.
    pub fn named_in(&self, stems: &HashSet<String>) -> bool {
        let all = |v: &Vec<String>| !v.is_empty() && v.iter().all(|s| stems.contains(s));
        all(&self.stems) || self.synonyms.iter().any(all)
    }
}

/// A condition the question names and the library does not cover.
#[derive(Debug, Clone, PartialEq)]
pub struct Missing {
    /// The name as the question has it.
    pub name: String,
    /// The nearest name the library does cover (the name without the modifiers it never says
    /// with it), if any.
    pub nearest: Option<String>,
}

/// What the question is about, checked against the library.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Focus {
    /// The concept the answer must stay on: the first covered condition, else the first
    /// covered lexicon term; `None` when the question names neither.
    pub concept: Option<Concept>,
    /// The first condition named but not covered: the answer abstains.
    pub missing: Option<Missing>,
}

/// A phrase of the question that may name a concept: a word range, and other names for it.
#[derive(Debug, Clone)]
struct NamePhrase {
    start: usize,
    end: usize,
    /// Lexicon matches inside it: (start, end, other names) — never split.
    lexicon: Vec<(usize, usize, Vec<String>)>,
    /// For an abbreviation defined in the question: the other form's text.
    defined: Option<String>,
}

/// The question with a name said as a predicate put in its usual order, when the lexicon
/// knows it that way: "my thyroid is underactive" → "my underactive thyroid", "the bladder is
/// overactive" → "the overactive bladder". `None` when there is no such phrase.
pub fn predicate_names(lib: &Library, question: &str) -> Option<String> {
    let ws = words(question);
    for i in 1..ws.len().saturating_sub(1) {
        if !matches!(
            ws[i].lower.as_str(),
            "is" | "are" | "was" | "seems" | "became"
        ) {
            continue;
        }
        let (noun, adjective) = (&ws[i - 1], &ws[i + 1]);
        let name = format!("{} {}", adjective.lower, noun.lower);
        let named = words(&name);
        if lib
            .lexicon()
            .find(&named)
            .iter()
            .any(|f| f.start == 0 && f.end == 2)
        {
            return Some(format!(
                "{}{name}{}",
                &question[..noun.span.start],
                &question[adjective.span.end..]
            ));
        }
    }
    None
}

/// Finds the question's concepts and checks each against the library.
pub fn resolve(lib: &Library, question: &str) -> Result<Focus> {
    let ws = words(question);
    let phrases = name_phrases(lib, question, &ws);
    let mut checker = Checker {
        lib,
        counts: HashMap::new(),
        about_counts: HashMap::new(),
    };
    let mut focus = Focus::default();
    let mut lexicon_concept: Option<Concept> = None;
    let l = lists();
    for p in &phrases {
        // Only generic words ("disease", "type"): no name at all.
        if p.defined.is_none()
            && ws[p.start..p.end].iter().all(|w| {
                l.generic_heads.contains(&w.lower) || l.generic_modifiers.contains(&w.lower)
            })
        {
            continue;
        }
        let head = &ws[p.end - 1].lower;
        let head_lex = p.lexicon.iter().find(|(_, e, _)| *e == p.end);
        let lex_condition = head_lex.is_some_and(|(_, _, names)| {
            names
                .iter()
                .any(|n| n.split_whitespace().last().is_some_and(is_condition_word))
        });
        // A name defined with its abbreviation is a term of art: one specific concept.
        let condition = is_condition_word(head) || lex_condition || p.defined.is_some();
        let checked = checker.check(&ws, p)?;
        match checked {
            Check::Covered(concept) => {
                let concept = Concept {
                    condition,
                    ..concept
                };
                if condition && focus.concept.as_ref().is_none_or(|c| !c.condition) {
                    focus.concept = Some(concept);
                } else if !p.lexicon.is_empty() && lexicon_concept.is_none() {
                    lexicon_concept = Some(concept);
                }
            }
            Check::Missing(missing) => {
                if condition && focus.missing.is_none() {
                    focus.missing = Some(missing);
                }
            }
        }
    }
    if focus.concept.is_none() {
        focus.concept = lexicon_concept;
    }
    Ok(focus)
}

enum Check {
    Covered(Concept),
    Missing(Missing),
}

/// Asks the library about phrases, each once.
struct Checker<'l> {
    lib: &'l Library,
    counts: HashMap<Vec<String>, u64>,
    about_counts: HashMap<Vec<String>, u64>,
}

impl Checker<'_> {
    fn mentioned(&mut self, stems: &[String]) -> Result<bool> {
        if let Some(&n) = self.counts.get(stems) {
            return Ok(n > 0);
        }
        let n = self.lib.phrase_counts(stems)?.mentioned;
        self.counts.insert(stems.to_vec(), n);
        Ok(n > 0)
    }

    /// The names of the phrase's ending at word `j`: its stems, then its other names' stems
    /// (lexicon synonyms of a term that spans it, the same name with an equivalent head word).
    fn names(&self, ws: &[Word], p: &NamePhrase, j: usize) -> Result<Vec<Vec<String>>> {
        let words: Vec<&str> = ws[j..p.end].iter().map(|w| w.original.as_str()).collect();
        let mut out = vec![self.lib.stems(&words.join(" "))?];
        if let Some((_, _, names)) = p.lexicon.iter().find(|&&(s, e, _)| s == j && e == p.end) {
            for n in names {
                out.push(self.lib.stems(n)?);
            }
        }
        let head = ws[p.end - 1].lower.as_str();
        for (a, b) in &lists().head_equivalents {
            if head == a {
                let mut other: Vec<&str> = words[..words.len() - 1].to_vec();
                other.push(b);
                out.push(self.lib.stems(&other.join(" "))?);
            }
        }
        Ok(out)
    }

    fn about(&mut self, stems: &[String]) -> Result<bool> {
        if let Some(&n) = self.about_counts.get(stems) {
            return Ok(n > 0);
        }
        let n = self.lib.phrase_counts(stems)?.about;
        self.about_counts.insert(stems.to_vec(), n);
        Ok(n > 0)
    }

    /// The concept an answer stays on, for a phrase covered from word `k`: the longest ending
    /// that some source title or heading names (so that sources *about* it can be found), else
    /// the covered ending itself. A lone class word ("carcinoma", "lymphoma") is too broad
    /// to stay on when the question said which one.
    fn gate_concept(&mut self, ws: &[Word], p: &NamePhrase, k: usize) -> Result<Concept> {
        let l = lists();
        let mut chosen = k;
        for j in k..p.end {
            if p.lexicon.iter().any(|&(s, e, _)| s < j && j < e) {
                continue;
            }
            let rest = &ws[j..p.end];
            let specific = rest.iter().any(|w| {
                !l.generic_heads.contains(&w.lower) && !l.generic_modifiers.contains(&w.lower)
            });
            let lone_class = rest.len() == 1 && l.condition_heads.contains(&rest[0].lower);
            if !specific || (lone_class && j > p.start) {
                continue;
            }
            let mut named = false;
            for n in self.names(ws, p, j)? {
                if self.about(&n)? {
                    named = true;
                    break;
                }
            }
            if named {
                chosen = j;
                break;
            }
        }
        let names = self.names(ws, p, chosen)?;
        let name = name_text(&ws[chosen..p.end]);
        let stems = topic_stems(&names[0]);
        // A synonym that stems to part of the name says less than the name ("alcoholism" stems
        // to "alcohol", which every title on alcohol names): it would let in any neighbour.
        let synonyms = names[1..]
            .iter()
            .map(|s| topic_stems(s))
            .filter(|s| {
                let part_of_name = s.len() < stems.len() && s.iter().all(|x| stems.contains(x));
                !s.is_empty() && !part_of_name
            })
            .collect();
        Ok(Concept {
            name,
            stems,
            synonyms,
            condition: false,
        })
    }

    /// Covered: the longest ending of the phrase that the library has, with every modifier
    /// left out said together with it somewhere; missing otherwise.
    fn check(&mut self, ws: &[Word], p: &NamePhrase) -> Result<Check> {
        let l = lists();
        let text = |s: usize, e: usize| -> String { name_text(&ws[s..e]) };
        let full = text(p.start, p.end);
        // An abbreviation defined in the question: the long form decides (the short one is
        // often an ordinary word, "DRESS").
        if let Some(long) = &p.defined {
            let long_stems = self.lib.stems(long)?;
            let short_stems: Vec<String> = self.lib.stems(&full)?;
            let (name, stems, other) = if long_stems.len() >= short_stems.len() {
                (long.clone(), long_stems, short_stems)
            } else {
                (full.clone(), short_stems, long_stems)
            };
            return Ok(if self.mentioned(&stems)? {
                Check::Covered(Concept {
                    name,
                    stems: topic_stems(&stems),
                    synonyms: vec![other],
                    condition: false,
                })
            } else {
                Check::Missing(Missing {
                    name: format!("{name} ({})", if name == full { long } else { &full }),
                    nearest: None,
                })
            });
        }
        for k in p.start..p.end {
            // Never split a lexicon term.
            if p.lexicon.iter().any(|&(s, e, _)| s < k && k < e) {
                continue;
            }
            let specific = ws[k..p.end].iter().any(|w| {
                !l.generic_heads.contains(&w.lower) && !l.generic_modifiers.contains(&w.lower)
            });
            if !specific {
                continue;
            }
            let stems = self.lib.stems(&text(k, p.end))?;
            let lex = p
                .lexicon
                .iter()
                .find(|&&(s, e, _)| s == k && e == p.end)
                .map(|(_, _, names)| names.clone())
                .unwrap_or_default();
            let mut synonyms = Vec::new();
            for n in &lex {
                synonyms.push(self.lib.stems(n)?);
            }
            let mut found = self.mentioned(&stems)?;
            for syn in &synonyms {
                if found {
                    break;
                }
                found = self.mentioned(syn)?;
            }
            if !found {
                continue;
            }
            let mut unsaid = None;
            for w in &ws[p.start..k] {
                if !meaningful(&w.lower) {
                    continue;
                }
                let mut said = false;
                'stems: for m in self.lib.stems(&w.original)? {
                    for name in std::iter::once(&stems).chain(&synonyms) {
                        if self.lib.phrase_with(name, &m)? {
                            said = true;
                            break 'stems;
                        }
                    }
                }
                if !said {
                    unsaid = Some(());
                    break;
                }
            }
            if unsaid.is_some() {
                return Ok(Check::Missing(Missing {
                    name: full,
                    nearest: Some(text(k, p.end)),
                }));
            }
            return self.gate_concept(ws, p, k).map(Check::Covered);
        }
        Ok(Check::Missing(Missing {
            name: full,
            nearest: None,
        }))
    }
}

/// Stems without the function words (a concept is named by its topic words; the index's
/// stemmer leaves the stopwords as they are).
fn topic_stems(stems: &[String]) -> Vec<String> {
    stems.iter().filter(|s| !is_stopword(s)).cloned().collect()
}

/// Whether a modifier word narrows a name (and so must be said with it).
fn meaningful(lower: &str) -> bool {
    let l = lists();
    lower.chars().filter(|c| c.is_alphabetic()).count() >= 3
        && !is_stopword(lower)
        && !l.generic_modifiers.contains(lower)
        && !l.not_topic.contains(lower)
        && !lower.chars().all(|c| c.is_ascii_digit())
        // Adverbs and participles describe a case ("biochemically confirmed", "enlarging"),
        // they do not name a kind of the condition.
        && !["ly", "ed", "ing"].iter().any(|e| lower.ends_with(e))
}

/// Whether word `i` can be part of a name.
fn topic_word(w: &Word) -> bool {
    let l = lists();
    let lower = w.lower.as_str();
    !is_stopword(lower)
        && (!is_question_word(lower) || is_condition_word(lower) || is_qualifier_word(lower))
        && !l.not_topic.contains(lower)
        && lower.chars().any(char::is_alphabetic)
        && lower.chars().count() != 1
        && !year_old(lower)
}

fn year_old(lower: &str) -> bool {
    lower == "year" || lower == "old" || lower == "years"
}

/// Whether the text between two words breaks a name (punctuation other than a hyphen, slash or
/// apostrophe).
fn breaks(between: &str) -> bool {
    between
        .chars()
        .any(|c| !c.is_whitespace() && !matches!(c, '-' | '/' | '\'' | '’'))
}

/// A name as the question wrote it: its words with spaces, a possessive's "s" after an
/// apostrophe ("Bell's palsy").
fn name_text(ws: &[Word]) -> String {
    let mut out = String::new();
    for (k, w) in ws.iter().enumerate() {
        if k > 0 {
            out.push_str(if w.lower == "s" { "'" } else { " " });
        }
        out.push_str(&w.original);
    }
    out
}

/// Whether word `i` is the "s" of a possessive ("Bell's palsy", "Hashimoto's thyroiditis"):
/// part of an eponym's name, not a word of its own.
fn possessive(question: &str, ws: &[Word], i: usize) -> bool {
    i > 0
        && ws[i].lower == "s"
        && matches!(
            question[ws[i - 1].span.end..ws[i].span.start].trim(),
            "'" | "’"
        )
}

/// The question's name phrases, in order.
fn name_phrases(lib: &Library, question: &str, ws: &[Word]) -> Vec<NamePhrase> {
    let lexicon = lib.lexicon();
    let found = lexicon.find(ws);
    let mut in_lex = vec![false; ws.len()];
    for f in &found {
        for x in in_lex.iter_mut().take(f.end).skip(f.start) {
            *x = true;
        }
    }
    let mut out: Vec<NamePhrase> = Vec::new();
    let mut i = 0;
    while i < ws.len() {
        if !(in_lex[i] || topic_word(&ws[i])) {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        while i < ws.len()
            && (in_lex[i] || topic_word(&ws[i]) || possessive(question, ws, i))
            && !breaks(&question[ws[i - 1].span.end..ws[i].span.start])
        {
            i += 1;
        }
        // A possessive closes a name only with a word after it ("Bell's palsy", not "Bell's").
        while i > start + 1 && possessive(question, ws, i - 1) {
            i -= 1;
        }
        // A lexicon term is never cut by the run's end: a run ending inside one stops before it.
        let lex: Vec<(usize, usize, Vec<String>)> = found
            .iter()
            .filter(|f| f.start >= start && f.end <= i)
            .map(|f| {
                (
                    f.start,
                    f.end,
                    f.alternatives.iter().map(|t| t.text()).collect(),
                )
            })
            .collect();
        // Words after the run's last lexicon term that are no disease word are a name of
        // their own ("hepatitis C" | "guidance"): the term is the name.
        let mut end = i;
        if let Some(last) = lex.iter().map(|&(_, e, _)| e).max() {
            if last < i && !ws[last..i].iter().any(|w| is_condition_word(&w.lower)) {
                end = last;
                i = last;
            }
        }
        out.push(NamePhrase {
            start,
            end,
            lexicon: lex,
            defined: None,
        });
    }
    define_abbreviations(question, ws, &mut out);
    out
}

/// "long form (ABBR)" and "ABBR (long form)": the abbreviation's phrase gets the long form.
fn define_abbreviations(question: &str, ws: &[Word], phrases: &mut Vec<NamePhrase>) {
    let mut search = 0;
    while let Some(open) = question[search..].find('(').map(|o| o + search) {
        let Some(close) = question[open..].find(')').map(|c| c + open) else {
            break;
        };
        search = close + 1;
        let inside: Vec<usize> = (0..ws.len())
            .filter(|&k| ws[k].span.start > open && ws[k].span.end <= close)
            .collect();
        let before: Vec<usize> = (0..ws.len()).filter(|&k| ws[k].span.end <= open).collect();
        if inside.is_empty() || before.is_empty() {
            continue;
        }
        let inner_text = &question[open + 1..close];
        if let Some(abbr) = abbreviation(inner_text) {
            // Long form before the bracket: the earliest start within eight words that spells it.
            let last = *before.last().expect("not empty");
            let from = last.saturating_sub(7);
            let Some(s) = (from..=last)
                .rev()
                .find(|&s| topic_word(&ws[s]) && spells(&abbr, &ws[s..=last]) && last > s)
            else {
                continue;
            };
            let long = question[ws[s].span.start..ws[last].span.end].to_string();
            let (start, end) = (inside[0], inside[inside.len() - 1] + 1);
            phrases.retain(|p| p.end <= s || p.start > last);
            phrases.retain(|p| p.end <= start || p.start >= end);
            phrases.push(NamePhrase {
                start,
                end,
                lexicon: Vec::new(),
                defined: Some(long),
            });
        } else {
            let last = *before.last().expect("not empty");
            let Some(abbr) = abbreviation(&ws[last].original) else {
                continue;
            };
            if inside.len() < 2
                || !spells(
                    &abbr,
                    &inside.iter().map(|&k| ws[k].clone()).collect::<Vec<_>>(),
                )
            {
                continue;
            }
            let long = inner_text.trim().to_string();
            phrases.retain(|p| p.end <= inside[0] || p.start > inside[inside.len() - 1]);
            phrases.retain(|p| !(p.start <= last && last < p.end));
            phrases.push(NamePhrase {
                start: last,
                end: last + 1,
                lexicon: Vec::new(),
                defined: Some(long),
            });
        }
    }
    phrases.sort_by_key(|p| p.start);
}

/// The letters of an abbreviation ("PRES", "MIS-C"), or `None` when `text` is not one.
fn abbreviation(text: &str) -> Option<String> {
    let t = text.trim();
    let letters: String = t.chars().filter(|c| c.is_alphanumeric()).collect();
    let upper = letters.chars().filter(|c| c.is_uppercase()).count();
    let ok = t.split_whitespace().count() == 1
        && letters.chars().count() >= 2
        && upper >= 2
        && upper * 2 >= letters.chars().filter(|c| c.is_alphabetic()).count()
        && t.chars().all(|c| c.is_alphanumeric() || c == '-');
    ok.then(|| letters.to_lowercase())
}

/// Whether `words` spell `abbr`: its first letter starts the first word and its letters come in
/// order in the words' letters.
fn spells(abbr: &str, words: &[Word]) -> bool {
    let letters: String = words.iter().map(|w| w.lower.as_str()).collect();
    let mut a = abbr.chars();
    let Some(first) = a.next() else { return false };
    if !letters.starts_with(first) {
        return false;
    }
    let mut rest = letters.chars().skip(1);
    a.all(|c| rest.any(|l| l == c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_eponym_keeps_its_possessive() {
        let q = "Will my face recover from Bell's palsy?";
        let ws = words(q);
        let k = ws.iter().position(|w| w.lower == "s").unwrap();
        assert!(possessive(q, &ws, k));
        assert_eq!(name_text(&ws[k - 1..k + 2]), "Bell's palsy");
        // A lone "s" after a space is no possessive.
        let q = "vitamin s palsy";
        let ws = words(q);
        assert!(!possessive(q, &ws, 1));
    }

    #[test]
    fn the_word_lists_parse_and_classify() {
        for w in [
            "syndrome",
            "encephalitis",
            "glaucoma",
            "leukemia",
            "neuropathy",
        ] {
            assert!(is_condition_word(w), "{w}");
        }
        for w in ["receptor", "spleen", "dose", "osis", "itis"] {
            assert!(!is_condition_word(w), "{w}");
        }
        assert_eq!(
            title_populations("Childhood Widget Tumor Treatment"),
            [TitlePopulation::Children]
        );
        assert!(title_populations("Widget Tumor Treatment").is_empty());
    }

    #[test]
    fn abbreviations_are_recognised_and_spelled() {
        assert_eq!(abbreviation("PRES").as_deref(), Some("pres"));
        assert_eq!(abbreviation("MIS-C").as_deref(), Some("misc"));
        assert_eq!(abbreviation("Beyfortus"), None);
        assert_eq!(abbreviation("a drug"), None);
        let ws = words("posterior reversible encephalopathy syndrome");
        assert!(spells("pres", &ws));
        assert!(!spells("pres", &ws[1..]));
        let ws = words("widget oscillation gland antibody disease");
        assert!(spells("wogad", &ws));
    }
}
