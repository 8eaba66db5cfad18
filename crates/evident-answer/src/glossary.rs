//! Plain-language glosses for patients: "myopathy" → "muscle disease".
//!
//! The built-in glossary is `data/plain-language.tsv` (written for this project), one
//! `term<TAB>plain words` a line, `#` for comments. Statements keep the source's exact words (they
//! are quotes); a patient answer shows the glosses beside them instead of rewriting them.
//!
//! Words come from the workspace tokenizer ([`evident_core::text::word_spans`], apostrophes
//! kept inside words: "Crohn's") and terms are found with its phrase matcher.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::OnceLock;

use evident_core::text::{word_spans, Apostrophes, PhraseMatcher, PhraseMatcherBuilder, Slot};

/// The glossary shipped with Evident.
pub const BUILTIN_TSV: &str = include_str!("../data/plain-language.tsv");

/// At most this many glosses are returned for one text.
pub const MAX_GLOSSES: usize = 4;

#[derive(Debug, Clone)]
struct Entry {
    /// The term as written in the glossary ("myocardial infarction").
    term: String,
    /// Its words, lowercase ("myocardial", "infarction").
    words: Vec<String>,
    plain: String,
}

/// A list of medical terms with plain-language explanations.
#[derive(Debug, Clone, Default)]
pub struct Glossary {
    entries: Vec<Entry>,
    /// Words (lowercase) → the entry with exactly those words.
    by_words: HashMap<Vec<String>, usize>,
    /// Every entry by index; the last word also in its plural forms ([`plural_forms`]).
    matcher: PhraseMatcher<usize>,
}

/// The built-in glossary, parsed once.
pub fn builtin() -> &'static Glossary {
    static GLOSSARY: OnceLock<Glossary> = OnceLock::new();
    GLOSSARY.get_or_init(|| Glossary::from_tsv(BUILTIN_TSV))
}

impl Glossary {
    /// Parses `term<TAB>plain words` lines; blank lines, `#` comments and lines without a tab
    /// or with an empty side are skipped. A later line for the same term replaces an earlier one.
    pub fn from_tsv(tsv: &str) -> Glossary {
        let mut g = Glossary::default();
        for line in tsv.lines() {
            let line = line.trim_end_matches('\r');
            if line.trim_start().starts_with('#') {
                continue;
            }
            let Some((term, plain)) = line.split_once('\t') else {
                continue;
            };
            let (term, plain) = (term.trim(), plain.trim());
            let words: Vec<String> = words(term)
                .into_iter()
                .map(|r| term[r].to_lowercase())
                .collect();
            if words.is_empty() || plain.is_empty() {
                continue;
            }
            let entry = Entry {
                term: term.to_string(),
                words: words.clone(),
                plain: plain.to_string(),
            };
            match g.by_words.get(&words) {
                Some(&i) => g.entries[i] = entry,
                None => {
                    g.by_words.insert(words, g.entries.len());
                    g.entries.push(entry);
                }
            }
        }
        let mut builder = PhraseMatcherBuilder::new();
        for (i, e) in g.entries.iter().enumerate() {
            let mut keys: Vec<Vec<String>> = e.words.iter().map(|w| vec![w.clone()]).collect();
            let last = keys.last_mut().expect("entries have words");
            let plurals = plural_forms(&last[0]);
            last.extend(plurals);
            builder.add_alternatives(&keys, i);
        }
        g.matcher = builder.build();
        g
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The plain words for a term (case-insensitive, exact term).
    pub fn lookup(&self, term: &str) -> Option<&str> {
        let words: Vec<String> = words(term)
            .into_iter()
            .map(|r| term[r].to_lowercase())
            .collect();
        self.by_words
            .get(&words)
            .map(|&i| self.entries[i].plain.as_str())
    }

    /// Glosses for the glossary terms found in `text`: (the term as it appears in the text,
    /// plain words).
    ///
    /// Terms match case-insensitively at word boundaries, with any run of spaces or hyphens
    /// between their words, and a simple plural of the last word ("myopathies", "ulcers").
    /// Where terms overlap the longest wins ("myocardial infarction" over "infarction"). Each
    /// term is glossed once; a term already explained in the text — followed or preceded by its
    /// plain words, as in "hypertension (high blood pressure)" — is skipped. When more than
    /// [`MAX_GLOSSES`] terms are found, the longest terms are kept. Results are in text order.
    pub fn glosses(&self, text: &str) -> Vec<(String, String)> {
        let tokens = words(text);
        let lower: Vec<String> = tokens
            .iter()
            .map(|r| text[r.clone()].to_lowercase())
            .collect();
        // (byte range in text, entry index)
        let mut found: Vec<(Range<usize>, usize)> = Vec::new();
        let mut used: HashSet<usize> = HashSet::new();
        // Words of one term may be joined only by spaces and hyphens.
        let mut slots = Vec::with_capacity(tokens.len() * 2);
        for (k, word) in lower.iter().enumerate() {
            if k > 0 && !only_joiners(&text[tokens[k - 1].end..tokens[k].start]) {
                slots.push(Slot::Break);
            }
            slots.push(Slot::Word(word.as_str()));
        }
        for m in self.matcher.find(slots) {
            let entry = self.preferred(&lower[m.start], m.values);
            let range = tokens[m.start].start..tokens[m.end - 1].end;
            if used.insert(entry) && !already_explained(text, &range, &self.entries[entry].plain) {
                found.push((range, entry));
            }
        }
        if found.len() > MAX_GLOSSES {
            // Keep the longest (most technical) terms; ties keep the earlier one.
            let mut order: Vec<usize> = (0..found.len()).collect();
            order.sort_by(|&a, &b| {
                let la = self.entries[found[a].1].term.chars().count();
                let lb = self.entries[found[b].1].term.chars().count();
                lb.cmp(&la).then(a.cmp(&b))
            });
            let keep: HashSet<usize> = order.into_iter().take(MAX_GLOSSES).collect();
            found = found
                .into_iter()
                .enumerate()
                .filter(|(k, _)| keep.contains(k))
                .map(|(_, f)| f)
                .collect();
        }
        found
            .into_iter()
            .map(|(range, entry)| (text[range].to_string(), self.entries[entry].plain.clone()))
            .collect()
    }

    /// Which of the entries matching the same words wins: those whose first word is the
    /// text's word as written, the term written longest first, then those whose (one) word is
    /// a singular of it, in the order of [`singular_forms`]; earlier entries first.
    fn preferred(&self, first: &str, candidates: &[usize]) -> usize {
        let singulars = singular_forms(first);
        let rank = |&i: &usize| {
            let e = &self.entries[i];
            let list = if e.words[0] == first {
                0
            } else {
                1 + singulars
                    .iter()
                    .position(|s| *s == e.words[0])
                    .unwrap_or(singulars.len())
            };
            (list, std::cmp::Reverse(e.term.len()), i)
        };
        *candidates
            .iter()
            .min_by_key(|i| rank(i))
            .expect("a match has an entry")
    }
}

/// Byte ranges of the words of `text`: runs of letters and digits, with an apostrophe inside
/// a word kept ("Crohn's").
fn words(text: &str) -> Vec<Range<usize>> {
    word_spans(text, Apostrophes::Inner)
}

/// Whether the text between two words may sit inside one term: spaces and hyphens only.
fn only_joiners(between: &str) -> bool {
    !between.is_empty()
        && between
            .chars()
            .all(|c| c.is_whitespace() || matches!(c, '-' | '‐' | '‑' | '–'))
}

/// `token` is a simple English plural of `word`: +s, +es, y→ies, is→es.
fn is_plural_of(token: &str, word: &str) -> bool {
    singular_forms(token).iter().any(|s| s == word)
}

/// The words whose [`singular_forms`] include `word`: the plurals a term's last word matches.
fn plural_forms(word: &str) -> Vec<String> {
    let mut out = vec![format!("{word}es")];
    if !word.ends_with('s') {
        out.insert(0, format!("{word}s"));
    }
    if let Some(stem) = word.strip_suffix('y') {
        out.push(format!("{stem}ies"));
    }
    if let Some(stem) = word.strip_suffix("is") {
        out.push(format!("{stem}es"));
    }
    out.retain(|p| is_plural_of(p, word));
    out
}

fn singular_forms(token: &str) -> Vec<String> {
    let mut out = Vec::new();
    if token.chars().count() < 4 {
        return out;
    }
    if let Some(stem) = token.strip_suffix("ies") {
        out.push(format!("{stem}y"));
    }
    if let Some(stem) = token.strip_suffix("es") {
        out.push(stem.to_string());
        out.push(format!("{stem}is")); // metastases → metastasis
    }
    if let Some(stem) = token.strip_suffix('s') {
        if !stem.ends_with('s') {
            out.push(stem.to_string());
        }
    }
    out
}

/// Lowercase words of a text joined by single spaces, punctuation dropped.
fn folded(text: &str) -> String {
    words(text)
        .into_iter()
        .map(|r| text[r].to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether the plain words already stand right after the term ("hypertension (high blood
/// pressure)", "hypertension, or high blood pressure") or right before it ("high blood pressure
/// (hypertension)").
fn already_explained(text: &str, term: &Range<usize>, plain: &str) -> bool {
    let plain = folded(plain);
    if plain.is_empty() {
        return false;
    }
    let n = plain.split(' ').count();
    let fillers = [
        "or", "ie", "i", "e", "meaning", "that", "is", "also", "called", "known", "as", "a", "an",
    ];
    let after: Vec<String> = words(&text[term.end..])
        .into_iter()
        .take(n + 4)
        .map(|r| text[term.end..][r].to_lowercase())
        .collect();
    let skip = after
        .iter()
        .take_while(|w| fillers.contains(&w.as_str()))
        .count();
    let after = after[skip..]
        .iter()
        .take(n)
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    if after == plain {
        return true;
    }
    let before_words: Vec<String> = words(&text[..term.start])
        .into_iter()
        .map(|r| text[r].to_lowercase())
        .collect();
    let mut before: &[String] = &before_words;
    while let Some((last, rest)) = before.split_last() {
        if fillers.contains(&last.as_str()) {
            before = rest;
        } else {
            break;
        }
    }
    before.len() >= n && before[before.len() - n..].join(" ") == plain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(text: &str) -> Vec<(String, String)> {
        builtin().glosses(text)
    }

    #[test]
    fn builtin_glossary_has_the_core_terms() {
        let b = builtin();
        assert!((150..=300).contains(&b.len()), "{}", b.len());
        assert_eq!(b.lookup("myopathy"), Some("muscle disease"));
        assert_eq!(b.lookup("Hypertension"), Some("high blood pressure"));
        assert_eq!(b.lookup("myocardial infarction"), Some("heart attack"));
        assert_eq!(b.lookup("intravenous"), Some("into a vein"));
        assert_eq!(b.lookup("subcutaneous"), Some("under the skin"));
        assert_eq!(b.lookup("not a term"), None);
        for e in &b.entries {
            assert!(!e.plain.contains('\t') && !e.term.contains('\t'));
            assert!(e.plain.len() < 80, "gloss too long: {}", e.term);
        }
    }

    #[test]
    fn finds_terms_case_insensitively_at_word_boundaries() {
        assert_eq!(
            g("Statin-associated Myopathy needs IVIG."),
            vec![
                (
                    "Statin".to_string(),
                    "cholesterol-lowering medicine".to_string()
                ),
                ("Myopathy".to_string(), "muscle disease".to_string()),
            ]
        );
        // "renal" is not glossed inside "adrenal", nor "oral" inside "moral" or "coral".
        assert!(g("The adrenal glands; a moral choice; coral reefs.").is_empty());
    }

    #[test]
    fn longest_match_wins_and_each_term_once() {
        let out = g("After a myocardial infarction, a second myocardial infarction or infarction elsewhere.");
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(
            out[0],
            ("myocardial infarction".into(), "heart attack".into())
        );
        assert_eq!(out[1].0, "infarction");
        let out = g("Give intravenous immunoglobulin, then intravenous fluids.");
        assert_eq!(
            out,
            vec![
                (
                    "intravenous immunoglobulin".into(),
                    "antibodies from donated blood, given into a vein".into()
                ),
                ("intravenous".into(), "into a vein".into()),
            ]
        );
    }

    #[test]
    fn multiword_terms_allow_line_breaks_and_hyphens_but_not_punctuation() {
        assert_eq!(g("myocardial\n  infarction").len(), 1);
        assert_eq!(
            g("non small cell lung cancer")[0].0,
            "non small cell lung cancer"
        );
        assert_eq!(
            g("Non-small-cell lung cancer")[0].0,
            "Non-small-cell lung cancer"
        );
        let out = g("myocardial. Infarction");
        assert_eq!(
            out,
            vec![(
                "Infarction".into(),
                "tissue death from a blocked blood supply".into()
            )]
        );
    }

    #[test]
    fn plurals_match() {
        let out = g("Myopathies and ulcers; metastases were found.");
        let terms: Vec<&str> = out.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(terms, ["Myopathies", "ulcers", "metastases"]);
    }

    #[test]
    fn a_word_as_written_beats_its_singulars_which_keep_their_order() {
        let g = Glossary::from_tsv("ulcer\tsore\nulcers\tsores\nmetastasis\tspread\nmetastas\tx\n");
        assert_eq!(g.glosses("ulcers"), vec![("ulcers".into(), "sores".into())]);
        // "metastases" is "metastas" + "es" before it is "metastasis" with "is" → "es".
        assert_eq!(
            g.glosses("Metastases"),
            vec![("Metastases".into(), "x".into())]
        );
        assert_eq!(g.glosses("an ulcer"), vec![("ulcer".into(), "sore".into())]);
    }

    #[test]
    fn already_explained_terms_are_skipped() {
        assert!(g("Treat hypertension (high blood pressure) first.").is_empty());
        assert!(g("High blood pressure (hypertension) is common.").is_empty());
        assert!(g("hypertension, or high blood pressure, is common").is_empty());
        assert_eq!(g("hypertension is common").len(), 1);
    }

    #[test]
    fn at_most_four_keeping_the_longest_in_text_order() {
        let text = "Oral glucocorticoid and intravenous immunosuppressive therapy for renal \
                    myopathy with hypertension.";
        let out = g(text);
        assert_eq!(out.len(), MAX_GLOSSES);
        let terms: Vec<&str> = out.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            terms,
            [
                "glucocorticoid",
                "intravenous",
                "immunosuppressive",
                "hypertension"
            ]
        );
    }

    #[test]
    fn custom_glossary_parsing() {
        let g = Glossary::from_tsv(
            "# comment\nfoo bar\tthing\n\nno tab line\nbaz\t\nfoo bar\tnewer\r\n",
        );
        assert_eq!(g.len(), 1);
        assert_eq!(g.lookup("FOO  bar"), Some("newer"));
        assert_eq!(
            g.glosses("a foo-bar here"),
            vec![("foo-bar".into(), "newer".into())]
        );
        assert!(Glossary::default().glosses("anything").is_empty());
    }

    #[test]
    fn empty_and_odd_text() {
        assert!(g("").is_empty());
        assert!(g("   ,,, ").is_empty());
        let _ = g("ésophage ß İstanbul ’renal’ renal’s");
    }
}
