//! Searching the library: options, modes and fusion of BM25 with dense rankings, source-kind
//! priors, the ranking itself, snippets, and the query helpers (stems, known words, explain).

use std::collections::HashMap;
use std::sync::Arc;

use evident_core::text::{split_sentences, truncate_words};
use evident_core::{Audience, Passage, SourceKind};
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{TantivyDocument, Term};

use super::{text_of, Library, Ranked, SourceBrief};
use crate::error::{Error, Result};
use crate::query::{self, QueryWeights};

/// One ranked passage.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub rank: usize,
    pub score: f32,
    pub passage: Passage,
    pub source: SourceBrief,
    /// The passage's best-matching sentence(s), at most ~240 characters.
    pub snippet: String,
}

/// How often a phrase occurs: see [`Library::phrase_counts`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhraseCounts {
    /// Passages whose source title or heading trail names it.
    pub about: u64,
    /// Passages that name it anywhere (title, trail or body).
    pub mentioned: u64,
}

/// How to search.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    pub k: usize,
    /// Who is asking: decides the source-kind priors.
    pub audience: Audience,
    pub priors: bool,
    pub expand: bool,
    pub snippets: bool,
    pub weights: QueryWeights,
    pub mode: SearchMode,
    /// How hybrid mode combines the BM25 and dense rankings.
    pub fusion: Fusion,
    /// The concept the question is about, when the caller resolved one (BM25 weighs it).
    pub focus: query::Focus,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            k: 10,
            audience: Audience::Clinician,
            priors: true,
            expand: true,
            snippets: true,
            weights: QueryWeights::default(),
            mode: SearchMode::Auto,
            fusion: Fusion::default(),
            focus: query::Focus::default(),
        }
    }
}

/// How hybrid search combines the BM25 and the dense ranking of the same query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fusion {
    /// Reciprocal-rank fusion: each list adds `weight / (k + rank)`; the dense list weighs
    /// `dense_weight`, BM25 `1 − dense_weight`.
    Rrf { k: f32, dense_weight: f32 },
    /// Each list's scores min–max normalised over its top candidates (absent = 0), then
    /// `dense_weight · dense + (1 − dense_weight) · bm25`. Keeps how far apart scores are,
    /// which ranks alone lose.
    Convex { dense_weight: f32 },
}

impl Default for Fusion {
    /// Tuned on the LiveQA-MedQuAD dev split (see ARCHITECTURE.md, "Search, step by step").
    fn default() -> Self {
        Fusion::Convex { dense_weight: 0.7 }
    }
}

impl std::str::FromStr for Fusion {
    type Err = String;
    /// `rrf`, `rrf:K`, `rrf:K:W`, `convex:W` (W = the dense list's weight, 0–1).
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let parts: Vec<&str> = s.trim().split(':').collect();
        let num = |i: usize, default: f32| -> std::result::Result<f32, String> {
            match parts.get(i) {
                None => Ok(default),
                Some(p) => p
                    .parse::<f32>()
                    .map_err(|_| format!("fusion {s:?}: {p:?} is not a number")),
            }
        };
        let fusion = match parts[0].to_ascii_lowercase().as_str() {
            "rrf" => Fusion::Rrf {
                k: num(1, 60.0)?,
                dense_weight: num(2, 0.5)?,
            },
            "convex" => Fusion::Convex {
                dense_weight: num(1, 0.7)?,
            },
            _ => {
                return Err(format!(
                    "unknown fusion {s:?}; use rrf[:K[:W]] or convex[:W]"
                ))
            }
        };
        match fusion {
            Fusion::Rrf {
                dense_weight: w, ..
            }
            | Fusion::Convex { dense_weight: w }
                if !(0.0..=1.0).contains(&w) =>
            {
                Err(format!(
                    "fusion {s:?}: the dense weight must be between 0 and 1"
                ))
            }
            f => Ok(f),
        }
    }
}

/// Combines a BM25 and a dense ranking, each `(passage id, score)` best first.
pub fn fuse(
    lexical: &[(String, f32)],
    dense: &[(String, f32)],
    fusion: Fusion,
) -> Vec<(String, f32)> {
    let mut scores: HashMap<&str, f32> = HashMap::new();
    match fusion {
        Fusion::Rrf { k, dense_weight } => {
            for (list, w) in [(lexical, 1.0 - dense_weight), (dense, dense_weight)] {
                for (rank, (id, _)) in list.iter().enumerate() {
                    *scores.entry(id.as_str()).or_default() += w / (k + rank as f32 + 1.0);
                }
            }
        }
        Fusion::Convex { dense_weight } => {
            for (list, w) in [(lexical, 1.0 - dense_weight), (dense, dense_weight)] {
                let max = list.iter().map(|x| x.1).fold(f32::MIN, f32::max);
                let min = list.iter().map(|x| x.1).fold(f32::MAX, f32::min);
                let span = (max - min).max(1e-9);
                for (id, score) in list {
                    *scores.entry(id.as_str()).or_default() += w * (score - min) / span;
                }
            }
        }
    }
    let mut out: Vec<(String, f32)> = scores
        .into_iter()
        .map(|(id, s)| (id.to_string(), s))
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Multiplier on a passage's score by the kind of its source, for the audience asking.
/// Clinicians get guidelines and recommendation statements first and patient leaflets last;
/// patients get patient information first while guideline text stays close behind.
pub fn kind_prior(audience: Audience, kind: SourceKind) -> f32 {
    use SourceKind::*;
    match (audience, kind) {
        (Audience::Patient, PatientInformation) => 1.15,
        (Audience::Patient, Guideline | RecommendationStatement | ProfessionalSummary) => 1.0,
        (Audience::Patient, _) => 0.95,
        (_, Guideline | RecommendationStatement) => 1.15,
        (_, ProfessionalSummary) => 1.08,
        (_, ResearchAbstract) => 1.0,
        (_, PatientInformation) => 0.92,
        (_, Other) => 1.0,
    }
}
/// How to rank passages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchMode {
    /// Hybrid when the library has embeddings and a query encoder, else BM25.
    #[default]
    Auto,
    Bm25,
    Dense,
    /// BM25 and dense rankings combined ([`Fusion`]).
    Hybrid,
}

impl std::str::FromStr for SearchMode {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(SearchMode::Auto),
            "bm25" => Ok(SearchMode::Bm25),
            "dense" => Ok(SearchMode::Dense),
            "hybrid" => Ok(SearchMode::Hybrid),
            _ => Err(format!(
                "unknown mode {s:?}; use bm25, dense, hybrid or auto"
            )),
        }
    }
}
impl Library {
    fn build_query(
        &self,
        analyzer: &mut TextAnalyzer,
        text: &str,
        weights: &QueryWeights,
        expand: bool,
        focus: &query::Focus,
    ) -> Result<query::BuiltQuery> {
        query::build(
            text,
            &self.fields,
            analyzer,
            self.lexicon,
            weights,
            expand,
            focus,
        )
        .ok_or_else(|| Error::EmptyQuery(text.to_string()))
    }

    /// The index's text analyzer (tokenise, lowercase, stem), for callers that stem many texts:
    /// reuse one with [`query::analyze`] instead of calling [`Library::stems`] in a loop.
    pub fn analyzer(&self) -> Result<TextAnalyzer> {
        Ok(self.index.tokenizer_for_field(self.fields.body)?)
    }

    /// The ranked passages for `text`.
    pub fn search(&self, text: &str, opts: &SearchOptions) -> Result<Vec<Hit>> {
        let mut per = self.search_audiences(text, opts, &[opts.audience])?;
        Ok(per.pop().unwrap_or_default())
    }

    /// The ranked passages for `text` for each of `audiences` (`opts.audience` is ignored):
    /// one ranking, then each audience's source-kind priors. The same as calling
    /// [`Library::search`] once per audience, for the cost of one search.
    pub fn search_audiences(
        &self,
        text: &str,
        opts: &SearchOptions,
        audiences: &[Audience],
    ) -> Result<Vec<Vec<Hit>>> {
        let mut analyzer = self.analyzer()?;
        let built = self.build_query(&mut analyzer, text, &opts.weights, opts.expand, &opts.focus);
        let mode = self.effective_mode(opts.mode);
        let built = match (built, mode) {
            (Ok(b), _) => Some(b),
            (Err(Error::EmptyQuery(_)), SearchMode::Dense | SearchMode::Hybrid) => None,
            (Err(e), _) => return Err(e),
        };
        let searcher = self.reader.searcher();
        // Priors can lift a passage a few places, so rank a wider pool before re-ordering.
        let pool = if opts.priors || mode != SearchMode::Bm25 {
            (opts.k * 3).max(30)
        } else {
            opts.k
        };
        let key = format!(
            "{}\u{1f}{mode:?}\u{1f}{pool}\u{1f}{:?}\u{1f}{}\u{1f}{:?}\u{1f}{:?}\u{1f}{text}",
            searcher.generation().generation_id(),
            opts.fusion,
            opts.expand,
            opts.weights,
            opts.focus
        );
        let cached = self.results.lock().expect("result cache").get(&key);
        let ranked = match cached {
            Some(r) => r,
            None => {
                let r: Ranked =
                    Arc::new(self.rank(text, mode, pool, opts.fusion, &built, &searcher)?);
                self.results
                    .lock()
                    .expect("result cache")
                    .put(key, r.clone());
                r
            }
        };
        let stems = built.map(|b| b.stems).unwrap_or_default();
        let mut ranked = Some(ranked);
        let mut out = Vec::with_capacity(audiences.len());
        for (n, &audience) in audiences.iter().enumerate() {
            let hit = |(score, passage, source): (f32, Passage, SourceBrief)| Hit {
                rank: 0,
                score: if opts.priors {
                    score * kind_prior(audience, source.kind)
                } else {
                    score
                },
                passage,
                source,
                snippet: String::new(),
            };
            // The last audience takes the ranking, owned unless the cache keeps a copy.
            let mut hits: Vec<Hit> = if n + 1 == audiences.len() {
                match Arc::try_unwrap(ranked.take().expect("ranking kept for the last audience")) {
                    Ok(owned) => owned.into_iter().map(hit).collect(),
                    Err(shared) => shared.iter().cloned().map(hit).collect(),
                }
            } else {
                let shared = ranked.as_ref().expect("ranking kept for the last audience");
                shared.iter().cloned().map(hit).collect()
            };
            hits.sort_by(|a, b| b.score.total_cmp(&a.score));
            hits.truncate(opts.k);
            for (i, hit) in hits.iter_mut().enumerate() {
                hit.rank = i + 1;
                if opts.snippets {
                    hit.snippet = snippet(&mut analyzer, &hit.passage.text, &stems);
                }
            }
            out.push(hits);
        }
        Ok(out)
    }

    /// The best `pool` candidates for `text` by `mode`, before priors.
    fn rank(
        &self,
        text: &str,
        mode: SearchMode,
        pool: usize,
        fusion: Fusion,
        built: &Option<query::BuiltQuery>,
        searcher: &tantivy::Searcher,
    ) -> Result<Vec<(f32, Passage, SourceBrief)>> {
        let mut out = Vec::with_capacity(pool);
        let mut push = |score: f32, doc: &TantivyDocument| -> Result<()> {
            let (passage, source) = self.passage_of(doc)?;
            out.push((score, passage, source));
            Ok(())
        };
        let bm25 = |n: usize| -> Result<Vec<(f32, tantivy::DocAddress)>> {
            match built {
                Some(b) => Ok(searcher.search(b.query.as_ref(), &TopDocs::with_limit(n.max(1)))?),
                None => Ok(Vec::new()),
            }
        };
        match mode {
            SearchMode::Bm25 | SearchMode::Auto => {
                for (score, addr) in bm25(pool)? {
                    push(score, &searcher.doc(addr)?)?;
                }
            }
            SearchMode::Dense | SearchMode::Hybrid => {
                let encoder = self.encoder.read().expect("encoder lock").clone();
                let qv = encoder.and_then(|e| e.encode(text)).unwrap_or_default();
                let store = self.vectors();
                let depth = pool.max(100);
                let dense: Vec<(String, f32)> = store
                    .search(&qv, depth)
                    .into_iter()
                    .map(|(i, score)| (store.id(i).to_string(), score))
                    .collect();
                let mut docs: HashMap<String, TantivyDocument> = HashMap::new();
                let ranked: Vec<(String, f32)> = if mode == SearchMode::Dense {
                    dense
                } else {
                    let mut lexical = Vec::new();
                    for (score, addr) in bm25(depth)? {
                        let doc: TantivyDocument = searcher.doc(addr)?;
                        let id = text_of(&doc, self.fields.passage_id)
                            .unwrap_or_default()
                            .to_string();
                        lexical.push((id.clone(), score));
                        docs.insert(id, doc);
                    }
                    fuse(&lexical, &dense, fusion)
                };
                for (id, score) in ranked.into_iter().take(pool) {
                    let doc = match docs.remove(&id) {
                        Some(d) => d,
                        None => match self.passage_doc(searcher, &id)? {
                            Some(d) => d,
                            None => continue,
                        },
                    };
                    push(score, &doc)?;
                }
            }
        }
        Ok(out)
    }

    fn passage_doc(
        &self,
        searcher: &tantivy::Searcher,
        passage_id: &str,
    ) -> Result<Option<TantivyDocument>> {
        let q = TermQuery::new(
            Term::from_field_text(self.fields.passage_id, passage_id),
            IndexRecordOption::Basic,
        );
        match searcher.search(&q, &TopDocs::with_limit(1))?.first() {
            Some(&(_, addr)) => Ok(Some(searcher.doc(addr)?)),
            None => Ok(None),
        }
    }

    /// Number of passages whose body holds `stem` (an already-analysed term), and the number of
    /// passages in all: the ingredients of an IDF weight.
    pub fn doc_freq(&self, stem: &str) -> Result<(u64, u64)> {
        let searcher = self.reader.searcher();
        let df = searcher.doc_freq(&Term::from_field_text(self.fields.body, stem))?;
        Ok((df, searcher.num_docs()))
    }

    /// Stems `text` with the index's analyzer.
    pub fn stems(&self, text: &str) -> Result<Vec<String>> {
        let mut analyzer = self.analyzer()?;
        Ok(query::analyze(&mut analyzer, text))
    }

    /// Whether `word` (or a word one edit away from it, a likely typo) occurs anywhere in the
    /// library's titles or text.
    pub fn knows_word(&self, word: &str) -> Result<bool> {
        let searcher = self.reader.searcher();
        for stem in self.stems(word)? {
            for field in [self.fields.body, self.fields.title] {
                let term = Term::from_field_text(field, &stem);
                if searcher.doc_freq(&term)? > 0 {
                    return Ok(true);
                }
                if stem.chars().count() >= 5 {
                    let fuzzy = tantivy::query::FuzzyTermQuery::new(term, 1, true);
                    if searcher.search(&fuzzy, &Count)? > 0 {
                        return Ok(true);
                    }
                }
            }
        }
        Ok(false)
    }

    /// Whether the words of `phrase` occur next to each other in some passage body or title.
    pub fn knows_phrase(&self, phrase: &str) -> Result<bool> {
        let stems = self.stems(phrase)?;
        if stems.len() < 2 {
            return match stems.first() {
                Some(s) => self.knows_word(s),
                None => Ok(true),
            };
        }
        let searcher = self.reader.searcher();
        for field in [self.fields.body, self.fields.title] {
            let terms = stems
                .iter()
                .map(|s| Term::from_field_text(field, s))
                .collect();
            let q = tantivy::query::PhraseQuery::new(terms);
            if searcher.search(&q, &Count)? > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// How many passages name the phrase `stems` (already-analysed terms, in order: adjacent
    /// words) in their source title or heading trail (`about`), and how many anywhere, body
    /// included (`mentioned`). The concept check of question analysis: a library *about* a
    /// condition names it in a title or heading, not only in passing.
    pub fn phrase_counts(&self, stems: &[String]) -> Result<PhraseCounts> {
        if stems.is_empty() {
            return Ok(PhraseCounts::default());
        }
        let searcher = self.reader.searcher();
        let count = |fields: &[tantivy::schema::Field]| -> Result<u64> {
            let q = self.any_field_phrase(stems, fields);
            Ok(searcher.search(&*q, &Count)? as u64)
        };
        let f = &self.fields;
        Ok(PhraseCounts {
            about: count(&[f.title, f.trail])?,
            mentioned: count(&[f.title, f.trail, f.body])?,
        })
    }

    /// Whether some passage holds the phrase `stems` and also the term `with` (both already
    /// analysed), each in its title, trail or body: does the library ever say this modifier
    /// together with this concept?
    pub fn phrase_with(&self, stems: &[String], with: &str) -> Result<bool> {
        if stems.is_empty() {
            return Ok(false);
        }
        let f = &self.fields;
        let fields = [f.title, f.trail, f.body];
        let other: Vec<String> = vec![with.to_string()];
        let q = tantivy::query::BooleanQuery::new(vec![
            (
                tantivy::query::Occur::Must,
                self.any_field_phrase(stems, &fields),
            ),
            (
                tantivy::query::Occur::Must,
                self.any_field_phrase(&other, &fields),
            ),
        ]);
        Ok(self.reader.searcher().search(&q, &Count)? > 0)
    }

    /// `stems` as a phrase (a term when one) in any of `fields`.
    fn any_field_phrase(
        &self,
        stems: &[String],
        fields: &[tantivy::schema::Field],
    ) -> Box<dyn tantivy::query::Query> {
        let clauses = fields
            .iter()
            .map(|&field| {
                let q: Box<dyn tantivy::query::Query> = if stems.len() == 1 {
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, &stems[0]),
                        IndexRecordOption::Basic,
                    ))
                } else {
                    Box::new(tantivy::query::PhraseQuery::new(
                        stems
                            .iter()
                            .map(|s| Term::from_field_text(field, s))
                            .collect(),
                    ))
                };
                (tantivy::query::Occur::Should, q)
            })
            .collect();
        Box::new(tantivy::query::BooleanQuery::new(clauses))
    }

    /// Explains how a query is expanded: (stems, lexicon additions).
    pub fn explain(&self, text: &str) -> Result<(Vec<String>, Vec<String>)> {
        let mut analyzer = self.analyzer()?;
        let built = self.build_query(
            &mut analyzer,
            text,
            &QueryWeights::default(),
            true,
            &query::Focus::default(),
        )?;
        Ok((
            built.stems.into_iter().map(|(s, _)| s).collect(),
            built.expansions,
        ))
    }
}

/// The sentence(s) of `text` that hold the most query stems, cut to about 240 characters.
fn snippet(analyzer: &mut TextAnalyzer, text: &str, stems: &[(String, f32)]) -> String {
    let sentences = split_sentences(text);
    let best = sentences
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let found = query::analyze(analyzer, &text[r.clone()]);
            let score: f32 = stems
                .iter()
                .filter(|(s, _)| found.contains(s))
                .map(|(_, w)| w)
                .sum();
            (i, score)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map_or(0, |(i, _)| i);
    let Some(first) = sentences.get(best) else {
        return truncate_words(text, 240);
    };
    let mut out = text[first.clone()].to_string();
    if let Some(next) = sentences.get(best + 1) {
        if out.len() < 120 {
            out = text[first.start..next.end].to_string();
        }
    }
    truncate_words(&evident_core::model::collapse_ws(&out), 240)
}
