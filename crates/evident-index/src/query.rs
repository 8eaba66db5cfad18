//! The medical query layer: turns a question in plain words into a weighted tantivy query.
//!
//! Words are stemmed with the index's own analyzer, stopwords and conversational filler are
//! dropped, repeated words weigh more (as in BM25's query-term frequency), and every lexicon
//! match adds its synonyms and expansions as extra, lighter clauses (phrases for multi-word
//! terms), searched in the title, heading-trail and body fields with their own weights.
//!
//! Words and stopwords are the workspace's ([`evident_core::text::words`], the
//! [`StopList::Search`](evident_core::text::StopList::Search) list).

use std::collections::BTreeMap;

use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
pub use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;

use evident_core::text::words;

use crate::lexicon::Lexicon;
use crate::schema::Fields;

/// Weights of the query layer; the defaults were tuned on the LiveQA-MedQuAD dev split, the
/// later ones (`correction`, `filler`) by 5-fold cross-validation on it (`evident eval retrieval
/// --cv 5 --grid …`).
#[derive(Debug, Clone)]
pub struct QueryWeights {
    pub title: f32,
    pub trail: f32,
    pub body: f32,
    /// Weight of a lexicon expansion relative to a word the user typed.
    pub expansion: f32,
    /// Extra weight per repetition of a word in the query: `1 + repeat * ln(qtf)`.
    pub repeat: f32,
    /// Weight of a passage's title, heading trail or text naming the focus concept (one of
    /// [`Focus`] names as a phrase), relative to a word the user typed.
    pub focus: f32,
    /// Weight of the library's spelling of a word it does not know ("arrhthmia" searched as
    /// "arrhythmia", [`crate::spelling`]), relative to the word as typed; 0 turns correction off.
    pub correction: f32,
    /// Weight of a word [`Focus::filler`] marks as no part of what is asked ("doctor", "told"),
    /// relative to the other words.
    pub filler: f32,
}

/// What a question is about, as the composer resolved it: the names of one concept (its name
/// and synonyms), each as the index's stems in order. Passages naming it rank higher, so that a
/// long question whose other words are common ("medicine", "blood tests") still retrieves the
/// sources on its condition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Focus {
    pub names: Vec<Vec<String>>,
    /// Stems of the question's words that the caller's analysis found to be no part of what
    /// is asked (verbs of asking and telling, people, vague nouns): they weigh
    /// [`QueryWeights::filler`].
    pub filler: Vec<String>,
}

impl Default for QueryWeights {
    fn default() -> Self {
        QueryWeights {
            title: 1.0,
            trail: 1.0,
            body: 1.0,
            expansion: 0.2,
            repeat: 0.5,
            focus: 0.75,
            correction: 1.0,
            filler: 0.25,
        }
    }
}

/// A query ready to run, with the stems it searches for (used for snippets).
pub struct BuiltQuery {
    pub query: Box<dyn Query>,
    /// Stems of the words the user typed, with their weights.
    pub stems: Vec<(String, f32)>,
    /// Lexicon terms added, as text (for explanations).
    pub expansions: Vec<String>,
    /// Words the library does not know, each with the stem searched instead.
    pub corrections: Vec<(String, String)>,
}

/// No spelling correction: for [`build`]'s `correct` when there is no index to correct against.
pub fn no_correction(_stem: &str) -> Option<String> {
    None
}

/// Whether a (lowercase) word is dropped from queries: the workspace's search stopwords.
pub use evident_core::text::is_stopword;

/// Stems `text` with `analyzer`, in order.
pub fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Builds the query for `text`, or `None` when it has no searchable word. `correct` gives the
/// library's spelling of a stem it does not know ([`crate::spelling::correct`]), searched beside
/// the stem as typed at [`QueryWeights::correction`].
#[allow(clippy::too_many_arguments)]
pub fn build(
    text: &str,
    fields: &Fields,
    analyzer: &mut TextAnalyzer,
    lexicon: &Lexicon,
    weights: &QueryWeights,
    expand: bool,
    focus: &Focus,
    correct: &mut dyn FnMut(&str) -> Option<String>,
) -> Option<BuiltQuery> {
    let ws = words(text);
    let mut qtf: BTreeMap<String, u32> = BTreeMap::new();
    for w in &ws {
        if is_stopword(&w.lower) {
            continue;
        }
        for stem in analyze(analyzer, &w.lower) {
            *qtf.entry(stem).or_default() += 1;
        }
    }
    let mut stems: Vec<(String, f32)> = qtf
        .iter()
        .map(|(s, &n)| {
            let w = 1.0 + weights.repeat * (n as f32).ln();
            if focus.filler.contains(s) {
                (s.clone(), w * weights.filler)
            } else {
                (s.clone(), w)
            }
        })
        .collect();
    let mut corrections = Vec::new();
    if weights.correction > 0.0 {
        let mut corrected = Vec::new();
        for (stem, w) in &stems {
            if let Some(fix) = correct(stem) {
                if !qtf.contains_key(&fix) && corrected.iter().all(|(f, _)| f != &fix) {
                    corrections.push((stem.clone(), fix.clone()));
                    corrected.push((fix, w * weights.correction));
                }
            }
        }
        stems.extend(corrected);
    }

    let field_weights = [
        (fields.body, weights.body),
        (fields.title, weights.title),
        (fields.trail, weights.trail),
    ];
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (stem, w) in &stems {
        for &(field, fw) in &field_weights {
            clauses.push((Occur::Should, boosted(term_query(field, stem), w * fw)));
        }
    }

    let mut expansions = Vec::new();
    if expand {
        for found in lexicon.find(&ws) {
            for alt in &found.alternatives {
                let alt_stems = analyze(analyzer, &alt.text());
                if alt_stems.is_empty() || alt_stems.iter().all(|s| qtf.contains_key(s)) {
                    continue;
                }
                expansions.push(alt.text());
                for &(field, fw) in &field_weights[..2] {
                    let q = term_or_phrase(field, &alt_stems, 0);
                    clauses.push((Occur::Should, boosted(q, weights.expansion * fw)));
                }
            }
        }
    }
    if clauses.is_empty() {
        return None;
    }
    // The focus concept, by any of its names, in the title, the trail or the text. Stopwords
    // are not among a name's stems, so a phrase allows a word or two between them ("cancer of
    // the cervix").
    for name in focus.names.iter().filter(|n| !n.is_empty()) {
        for &(field, fw) in &field_weights {
            let q = term_or_phrase(field, name, 2);
            clauses.push((Occur::Should, boosted(q, weights.focus * fw)));
        }
    }
    Some(BuiltQuery {
        query: Box::new(BooleanQuery::new(clauses)),
        stems,
        expansions,
        corrections,
    })
}

/// One stem as a term query, several as a phrase allowing `slop` words between them.
fn term_or_phrase(field: Field, stems: &[String], slop: u32) -> Box<dyn Query> {
    if let [one] = stems {
        return term_query(field, one);
    }
    let terms = stems
        .iter()
        .map(|s| Term::from_field_text(field, s))
        .collect();
    let mut phrase = PhraseQuery::new(terms);
    phrase.set_slop(slop);
    Box::new(phrase)
}

fn term_query(field: Field, stem: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, stem),
        IndexRecordOption::WithFreqs,
    ))
}

fn boosted(q: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if (boost - 1.0).abs() < f32::EPSILON {
        q
    } else {
        Box::new(BoostQuery::new(q, boost))
    }
}
