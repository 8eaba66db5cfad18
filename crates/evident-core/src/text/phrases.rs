//! The workspace's one phrase matcher: finds known multi-word phrases in a sequence of words,
//! leftmost-longest and never across a word boundary. The lexicon and the glossary use it.
//!
//! A phrase is a sequence of word *keys* (usually lowercase words); each position may accept
//! several keys (a plural, an uppercase form), and many phrases may share a key sequence, so a
//! match returns every value added for it, in the order added, and the caller picks one.
//!
//! How it works: every distinct key gets a number, each word of the text becomes four bytes
//! (`0xff` and three base-255 digits of its number), and an [`aho_corasick`] automaton built
//! with `MatchKind::LeftmostLongest` over the phrases' byte strings scans the text's. Because
//! `0xff` starts every word and appears nowhere else, matches start and end on word boundaries
//! by construction; unknown words and breaks get a number no phrase has.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};

/// Bytes per word in the automaton's alphabet.
const WIDTH: usize = 4;
/// Word numbers are three base-255 digits; the largest is kept for words no phrase has.
const NONE: u32 = 255 * 255 * 255 - 1;

/// One item of the text given to [`PhraseMatcher::find`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot<'a> {
    /// A word, by its key.
    Word(&'a str),
    /// A boundary no phrase may span (punctuation, say); not counted as a word.
    Break,
}

/// A phrase found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhraseMatch<'m, V> {
    /// Word positions `[start, end)` (breaks not counted).
    pub start: usize,
    pub end: usize,
    /// The values of every phrase with exactly these keys, in the order they were added.
    pub values: &'m [V],
}

/// Collects phrases; [`PhraseMatcherBuilder::build`] makes the matcher.
#[derive(Debug, Clone)]
pub struct PhraseMatcherBuilder<V> {
    vocab: HashMap<String, u32>,
    patterns: HashMap<Vec<u32>, usize>,
    sequences: Vec<Vec<u32>>,
    values: Vec<Vec<V>>,
}

impl<V> Default for PhraseMatcherBuilder<V> {
    fn default() -> Self {
        PhraseMatcherBuilder {
            vocab: HashMap::new(),
            patterns: HashMap::new(),
            sequences: Vec::new(),
            values: Vec::new(),
        }
    }
}

impl<V: Clone> PhraseMatcherBuilder<V> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a phrase whose words are `words` (keys), with `value`. An empty phrase is ignored.
    pub fn add<S: AsRef<str>>(&mut self, words: &[S], value: V) {
        let alternatives: Vec<Vec<&str>> = words.iter().map(|w| vec![w.as_ref()]).collect();
        self.add_alternatives(&alternatives, value);
    }

    /// Adds a phrase where position `k` may be any of `words[k]` (every combination is a
    /// phrase with `value`). A phrase with no words, or a position with no keys, is ignored.
    pub fn add_alternatives<S: AsRef<str>>(&mut self, words: &[Vec<S>], value: V) {
        if words.is_empty() || words.iter().any(Vec::is_empty) {
            return;
        }
        let ids: Vec<Vec<u32>> = words
            .iter()
            .map(|alts| {
                let mut ids: Vec<u32> = Vec::with_capacity(alts.len());
                for key in alts {
                    let id = self.id(key.as_ref());
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                ids
            })
            .collect();
        // Every combination, in order (odometer over the positions).
        let mut pick = vec![0usize; ids.len()];
        loop {
            let seq: Vec<u32> = pick.iter().zip(&ids).map(|(&p, alts)| alts[p]).collect();
            let next = self.sequences.len();
            let at = *self.patterns.entry(seq.clone()).or_insert(next);
            if at == next {
                self.sequences.push(seq);
                self.values.push(Vec::new());
            }
            self.values[at].push(value.clone());
            let Some(k) = (0..pick.len()).rev().find(|&k| pick[k] + 1 < ids[k].len()) else {
                break;
            };
            pick[k] += 1;
            pick[k + 1..].iter_mut().for_each(|p| *p = 0);
        }
    }

    fn id(&mut self, key: &str) -> u32 {
        let next = self.vocab.len() as u32;
        let id = *self.vocab.entry(key.to_string()).or_insert(next);
        assert!(id < NONE, "too many distinct phrase words");
        id
    }

    pub fn build(self) -> PhraseMatcher<V> {
        let patterns: Vec<Vec<u8>> = self
            .sequences
            .iter()
            .map(|seq| {
                let mut bytes = Vec::with_capacity(seq.len() * WIDTH);
                seq.iter().for_each(|&id| push_word(&mut bytes, id));
                bytes
            })
            .collect();
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .expect("a phrase automaton within aho-corasick's size limits");
        PhraseMatcher {
            automaton,
            vocab: self.vocab,
            values: self.values,
        }
    }
}

fn push_word(bytes: &mut Vec<u8>, id: u32) {
    bytes.extend([
        0xff,
        (id / (255 * 255)) as u8,
        (id / 255 % 255) as u8,
        (id % 255) as u8,
    ]);
}

/// Finds phrases in word sequences; see the module docs.
#[derive(Debug, Clone)]
pub struct PhraseMatcher<V> {
    automaton: AhoCorasick,
    vocab: HashMap<String, u32>,
    values: Vec<Vec<V>>,
}

impl<V: Clone> Default for PhraseMatcher<V> {
    /// A matcher with no phrases.
    fn default() -> Self {
        PhraseMatcherBuilder::new().build()
    }
}

impl<V> PhraseMatcher<V> {
    /// Whether some phrase has the word `key`.
    pub fn has_word(&self, key: &str) -> bool {
        self.vocab.contains_key(key)
    }

    /// Number of distinct key sequences.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Every phrase in `slots`, leftmost-longest, non-overlapping, left to right: at each word
    /// the longest phrase starting there wins, and the search goes on after it.
    pub fn find<'a>(&self, slots: impl IntoIterator<Item = Slot<'a>>) -> Vec<PhraseMatch<'_, V>> {
        let mut haystack = Vec::new();
        // Word position of each slot (a break gets the position of the next word).
        let mut position = Vec::new();
        let mut words = 0;
        for slot in slots {
            position.push(words);
            let id = match slot {
                Slot::Word(key) => {
                    words += 1;
                    self.vocab.get(key).copied().unwrap_or(NONE)
                }
                Slot::Break => NONE,
            };
            push_word(&mut haystack, id);
        }
        self.automaton
            .find_iter(&haystack)
            .map(|m| {
                let (first, last) = (m.start() / WIDTH, m.end() / WIDTH - 1);
                PhraseMatch {
                    start: position[first],
                    end: position[last] + 1,
                    values: &self.values[m.pattern().as_usize()],
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(phrases: &[&str]) -> PhraseMatcher<usize> {
        let mut b = PhraseMatcherBuilder::new();
        for (i, p) in phrases.iter().enumerate() {
            b.add(&p.split(' ').collect::<Vec<_>>(), i);
        }
        b.build()
    }

    fn found(m: &PhraseMatcher<usize>, text: &str) -> Vec<(usize, usize, Vec<usize>)> {
        let slots = text.split(' ').map(|w| match w {
            "|" => Slot::Break,
            w => Slot::Word(w),
        });
        m.find(slots)
            .into_iter()
            .map(|f| (f.start, f.end, f.values.to_vec()))
            .collect()
    }

    #[test]
    fn leftmost_longest_on_word_boundaries() {
        let m = matcher(&["a b c", "a b", "b c d", "c", "renal"]);
        assert_eq!(found(&m, "x a b c d"), [(1, 4, vec![0])]);
        assert_eq!(found(&m, "a b x c"), [(0, 2, vec![1]), (3, 4, vec![3])]);
        assert_eq!(found(&m, "b c d c"), [(0, 3, vec![2]), (3, 4, vec![3])]);
        // Words are whole keys: "adrenal" is not "renal".
        assert!(found(&m, "adrenal renals").is_empty());
    }

    #[test]
    fn breaks_stop_phrases_and_do_not_count_as_words() {
        let m = matcher(&["a b", "b"]);
        assert_eq!(found(&m, "a | b"), [(1, 2, vec![1])]);
        assert_eq!(found(&m, "| | a b"), [(0, 2, vec![0])]);
    }

    #[test]
    fn shared_sequences_keep_every_value_in_order() {
        let mut b = PhraseMatcherBuilder::new();
        b.add(&["x"], 'p');
        b.add_alternatives(&[vec!["ulcer", "ulcers"]], 'q');
        b.add(&["ulcers"], 'r');
        b.add_alternatives(&[vec!["y", "z"], vec!["w"]], 's');
        let m = b.build();
        let got: Vec<Vec<char>> = m
            .find(["ulcers", "ulcer", "z", "w"].map(Slot::Word))
            .into_iter()
            .map(|f| f.values.to_vec())
            .collect();
        assert_eq!(got, [vec!['q', 'r'], vec!['q'], vec!['s']]);
        assert!(m.has_word("w") && !m.has_word("v"));
    }

    #[test]
    fn empty_matcher_and_text() {
        let m = PhraseMatcher::<u8>::default();
        assert!(m.is_empty());
        assert!(m.find(["a"].map(Slot::Word)).is_empty());
        assert!(matcher(&["a"]).find([]).is_empty());
    }

    #[test]
    fn word_numbers_use_all_three_digits() {
        // Enough words that numbers need the middle digit; each still matches only itself.
        let words: Vec<String> = (0..66_000).map(|i| format!("w{i}")).collect();
        let mut b = PhraseMatcherBuilder::new();
        for (i, w) in words.iter().enumerate() {
            b.add(&[w.as_str()], i);
        }
        let m = b.build();
        for i in [0, 254, 255, 256, 65_024, 65_025, 65_999] {
            let f = m.find([Slot::Word(&words[i])]);
            assert_eq!(f[0].values, [i]);
        }
    }
}
