//! Spelling correction against the index's own vocabulary.
//!
//! Consumer questions misspell the very words that matter ("citrobactor", "arrhthmia",
//! "sydrome"); a stem the library has never seen cannot match anything. For such a stem (no
//! passage holds it in any field) the nearest stem the library does hold is searched for
//! instead: within one edit (two for words of eight letters or more, a swap of neighbours
//! counting as one), starting with the same letter, held by at least two passages; the closest
//! wins, then the most common. A stem the library knows is never corrected, so a correctly
//! spelled word keeps its meaning; an unknown word with no close neighbour is left alone.

use std::collections::HashMap;
use std::sync::OnceLock;

use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder, DFA};
use tantivy::schema::Field;
use tantivy::{Searcher, Term};
use tantivy_fst::Automaton;

use crate::error::Result;

/// Shortest stem that is corrected: shorter words have too many neighbours to guess from.
pub const MIN_LEN: usize = 5;
/// From this length on, two edits are allowed.
pub const TWO_EDITS_FROM: usize = 8;
/// A correction must be held by at least this many passages.
pub const MIN_DOC_FREQ: u64 = 2;

/// A stem worth correcting: long enough and made of letters only (numbers, doses and codes are
/// left as typed).
pub fn correctable(stem: &str) -> bool {
    stem.chars().count() >= MIN_LEN && stem.chars().all(|c| c.is_alphabetic())
}

/// The edits allowed for a stem of this many characters.
pub fn max_edits(len: usize) -> u8 {
    if len >= TWO_EDITS_FROM {
        2
    } else {
        1
    }
}

fn builder(edits: u8) -> &'static LevenshteinAutomatonBuilder {
    static ONE: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    static TWO: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    let cell = if edits <= 1 { &ONE } else { &TWO };
    cell.get_or_init(|| LevenshteinAutomatonBuilder::new(edits.max(1), true))
}

/// A Levenshtein automaton as an FST automaton (the term dictionary walks it).
struct Dfa(DFA);

impl Automaton for Dfa {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != levenshtein_automata::SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

/// Whether some passage holds `stem` in one of `fields` (looked up in order, first hit wins).
pub fn known(searcher: &Searcher, fields: &[Field], stem: &str) -> Result<bool> {
    for &field in fields {
        if searcher.doc_freq(&Term::from_field_text(field, stem))? > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Corrections already looked up, for one index generation (a commit empties it): queries
/// repeat words, and a dictionary walk costs more than a map lookup.
#[derive(Debug, Default)]
pub struct Cache {
    generation: u64,
    map: HashMap<String, Option<String>>,
}

impl Cache {
    /// Stems kept before the cache starts over.
    pub const CAPACITY: usize = 50_000;

    fn for_generation(&mut self, generation: u64) -> &mut HashMap<String, Option<String>> {
        if self.generation != generation {
            self.generation = generation;
            self.map.clear();
        }
        &mut self.map
    }

    /// The correction found for `stem` in `generation`, if it was looked up.
    pub fn get(&mut self, generation: u64, stem: &str) -> Option<Option<String>> {
        self.for_generation(generation).get(stem).cloned()
    }

    pub fn put(&mut self, generation: u64, stem: &str, fix: Option<String>) {
        let map = self.for_generation(generation);
        if map.len() >= Self::CAPACITY {
            map.clear();
        }
        map.insert(stem.to_string(), fix);
    }
}

/// The library's nearest stem to `stem` in `field`'s vocabulary, when `stem` is unknown to every
/// one of `known_in` and a close, common enough neighbour exists.
pub fn correct(
    searcher: &Searcher,
    field: Field,
    known_in: &[Field],
    stem: &str,
) -> Result<Option<String>> {
    if !correctable(stem) || known(searcher, known_in, stem)? {
        return Ok(None);
    }
    let chars: Vec<char> = stem.chars().collect();
    let edits = max_edits(chars.len());
    let first = chars[0];
    let mut lo = [0u8; 4];
    let lo = first.encode_utf8(&mut lo).as_bytes().to_vec();
    // Every stem starting with the same letter: the range [first, first + 1).
    let hi = char::from_u32(first as u32 + 1).map(|c| c.to_string().into_bytes());
    let mut freq: HashMap<String, u64> = HashMap::new();
    // Built once (tens of microseconds for two edits), walked over every segment's dictionary.
    let dfa = Dfa(builder(edits).build_dfa(stem));
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let dict = inverted.terms();
        let mut range = dict.search(&dfa).ge(&lo);
        if let Some(hi) = &hi {
            range = range.lt(hi);
        }
        let mut stream = range.into_stream().map_err(tantivy::TantivyError::from)?;
        while stream.advance() {
            let Ok(term) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            *freq.entry(term.to_string()).or_default() += u64::from(stream.value().doc_freq);
        }
    }
    let best = freq
        .into_iter()
        .filter(|(term, df)| *df >= MIN_DOC_FREQ && term != stem)
        .map(|(term, df)| (edit_distance(&chars, &term), df, term))
        .filter(|(d, _, _)| *d <= usize::from(edits))
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    Ok(best.map(|(_, _, term)| term))
}

/// Edit distance with adjacent swaps counting as one edit (optimal string alignment), the
/// distance the automaton accepts by.
pub fn edit_distance(a: &[char], b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(a: &str, b: &str) -> usize {
        edit_distance(&a.chars().collect::<Vec<_>>(), b)
    }

    #[test]
    fn distance_counts_a_swap_of_neighbours_as_one_edit() {
        assert_eq!(dist("sydrome", "syndrome"), 1);
        assert_eq!(dist("arrhthmia", "arrhythmia"), 1);
        assert_eq!(dist("diognosis", "diagnosis"), 1);
        assert_eq!(dist("ab", "ba"), 1);
        assert_eq!(dist("kitten", "sitting"), 3);
        assert_eq!(dist("same", "same"), 0);
    }

    #[test]
    fn the_cache_forgets_at_a_new_generation() {
        let mut c = Cache::default();
        c.put(1, "sydrom", Some("syndrom".into()));
        assert_eq!(c.get(1, "sydrom"), Some(Some("syndrom".into())));
        assert_eq!(c.get(1, "other"), None);
        assert_eq!(c.get(2, "sydrom"), None);
    }

    #[test]
    fn only_long_alphabetic_stems_are_corrected() {
        assert!(correctable("citrobactor"));
        assert!(!correctable("gout"));
        assert!(!correctable("h1n1x"));
        assert!(!correctable("500mg"));
        assert_eq!(max_edits(7), 1);
        assert_eq!(max_edits(8), 2);
    }
}
