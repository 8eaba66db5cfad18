//! Searching the library: options, modes and fusion of BM25 with dense rankings, source-kind
//! priors, the ranking itself, snippets, and the query helpers (stems, known words, explain).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use evident_core::text::{split_sentences, truncate_words};
use evident_core::{Audience, Passage, SourceKind};
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Term};

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
    /// Hits carry only the passage and source ids and the source's kind and audience (no text,
    /// trail, title or snippet), read from the index's id columns instead of the stored
    /// documents: for evaluations, which score rankings by id. Indexes built before the id
    /// columns read the documents anyway.
    pub ids_only: bool,
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
            ids_only: false,
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

/// Combines a BM25 and a dense ranking, each `(key, score)` best first, keyed by passage id or
/// by document: the fused ranking, best first, ties in key order.
pub fn fuse<K: Clone + Eq + Hash + Ord>(
    lexical: &[(K, f32)],
    dense: &[(K, f32)],
    fusion: Fusion,
) -> Vec<(K, f32)> {
    let mut scores: HashMap<&K, f32> = HashMap::with_capacity(lexical.len() + dense.len());
    match fusion {
        Fusion::Rrf { k, dense_weight } => {
            for (list, w) in [(lexical, 1.0 - dense_weight), (dense, dense_weight)] {
                for (rank, (id, _)) in list.iter().enumerate() {
                    *scores.entry(id).or_default() += w / (k + rank as f32 + 1.0);
                }
            }
        }
        Fusion::Convex { dense_weight } => {
            for (list, w) in [(lexical, 1.0 - dense_weight), (dense, dense_weight)] {
                let max = list.iter().map(|x| x.1).fold(f32::MIN, f32::max);
                let min = list.iter().map(|x| x.1).fold(f32::MAX, f32::min);
                let span = (max - min).max(1e-9);
                for (id, score) in list {
                    *scores.entry(id).or_default() += w * (score - min) / span;
                }
            }
        }
    }
    let mut out: Vec<(K, f32)> = scores.into_iter().map(|(id, s)| (id.clone(), s)).collect();
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
        let searcher = self.reader.searcher();
        let generation = searcher.generation().generation_id();
        let known_in = [self.fields.body, self.fields.title, self.fields.trail];
        let mut correct = |stem: &str| {
            if !crate::spelling::correctable(stem) {
                return None;
            }
            let cached = self
                .spellings
                .lock()
                .expect("spelling cache")
                .get(generation, stem);
            if let Some(fix) = cached {
                return fix;
            }
            // A failed dictionary read leaves the word uncorrected rather than failing the search.
            let fix = crate::spelling::correct(&searcher, self.fields.body, &known_in, stem)
                .ok()
                .flatten();
            self.spellings
                .lock()
                .expect("spelling cache")
                .put(generation, stem, fix.clone());
            fix
        };
        query::build(
            text,
            &self.fields,
            analyzer,
            self.lexicon,
            weights,
            expand,
            focus,
            &mut correct,
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
        // The searcher and the vectors of one commit, read together.
        let snapshot = self.reader.snapshot();
        let searcher = &snapshot.searcher;
        // Priors can lift a passage a few places, so rank a wider pool before re-ordering.
        let pool = if opts.priors || mode != SearchMode::Bm25 {
            (opts.k * 3).max(30)
        } else {
            opts.k
        };
        let key = format!(
            "{}\u{1f}{mode:?}\u{1f}{pool}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{:?}\u{1f}{}\u{1f}{:?}\u{1f}{:?}\u{1f}{text}",
            searcher.generation().generation_id(),
            opts.k,
            opts.priors,
            opts.ids_only,
            opts.fusion,
            opts.expand,
            opts.weights,
            opts.focus
        );
        let cached = self.results.lock().expect("result cache").get(&key);
        let ranked = match cached {
            Some(r) => r,
            None => {
                let (candidates, mut columns) =
                    self.rank(text, mode, pool, opts.fusion, &built, &snapshot)?;
                let r: Ranked = Arc::new(self.load(
                    searcher,
                    candidates,
                    opts.k,
                    opts.priors,
                    opts.ids_only,
                    &mut columns,
                )?);
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
                if opts.snippets && !opts.ids_only {
                    hit.snippet = snippet(&mut analyzer, &hit.passage.text, &stems);
                }
            }
            out.push(hits);
        }
        Ok(out)
    }

    /// The best `pool` candidates for `text` by `mode`, before priors, scored from the index
    /// alone: the source kind (for the priors) and, in hybrid mode, the passage ids come from the
    /// `kind` and `passage_id` columns, not from stored documents.
    fn rank(
        &self,
        text: &str,
        mode: SearchMode,
        pool: usize,
        fusion: Fusion,
        built: &Option<query::BuiltQuery>,
        snapshot: &super::Snapshot,
    ) -> Result<(Vec<Candidate>, Columns)> {
        let searcher = &snapshot.searcher;
        let mut columns = Columns::default();
        let bm25 = |n: usize| -> Result<Vec<(f32, DocAddress)>> {
            match built {
                Some(b) => Ok(searcher.search(b.query.as_ref(), &TopDocs::with_limit(n.max(1)))?),
                None => Ok(Vec::new()),
            }
        };
        let mut out = Vec::with_capacity(pool);
        match mode {
            SearchMode::Bm25 | SearchMode::Auto => {
                // Equal scores (a short query, passages of one length) come from the collector
                // in document-address order, which depends on how indexing split the segments:
                // they are put in id order, so a rebuilt index ranks them the same. A run of
                // equal scores across the cut is read whole first (up to a bound), so which of
                // them make the pool does not depend on the segments either.
                let bound = pool.saturating_mul(16).max(1024);
                let mut n = pool + 1;
                let found = loop {
                    let found = bm25(n)?;
                    let crosses =
                        pool > 0 && found.len() == n && found[n - 1].0 == found[pool - 1].0;
                    if !crosses || n >= bound {
                        break found;
                    }
                    n = (n * 4).min(bound);
                };
                let mut ranked: Vec<(DocAddress, f32)> =
                    found.into_iter().map(|(s, a)| (a, s)).collect();
                let len = ranked.len();
                self.order_ties_by_id(&mut ranked, len, searcher, &mut columns)?;
                ranked.truncate(pool);
                for (addr, score) in ranked {
                    let kind = columns.kind(searcher, addr)?;
                    out.push(Candidate { score, addr, kind });
                }
            }
            SearchMode::Dense | SearchMode::Hybrid => {
                let encoder = self.encoder.read().expect("encoder lock").clone();
                let depth = pool.max(100);
                // In hybrid mode the BM25 search needs no embedding: it runs on a thread of its
                // own while the question is embedded, in the gaps the encoder's threads leave.
                let (qv, lexical) = std::thread::scope(|scope| {
                    let lexical = (mode == SearchMode::Hybrid).then(|| scope.spawn(|| bm25(depth)));
                    let qv = encoder.and_then(|e| e.encode(text)).unwrap_or_default();
                    let lexical =
                        lexical.map(|h| h.join().expect("the BM25 search does not panic"));
                    (qv, lexical)
                });
                let store = &snapshot.vectors;
                let table = vector_addrs(snapshot);
                // Both rankings keyed by document, so fusing them needs no passage ids: a dense
                // hit's document comes from the vector-row table (a term search on its id only
                // for indexes built before the id columns).
                let mut dense: Vec<(DocAddress, f32)> = Vec::with_capacity(depth);
                for (i, score) in store.search(&qv, depth) {
                    let addr = match table.get(i) {
                        Some(&Some(addr)) => Some(addr),
                        _ => self.passage_addr(searcher, store.id(i))?,
                    };
                    if let Some(addr) = addr {
                        dense.push((addr, score));
                    }
                }
                let ranked = match lexical {
                    None => dense,
                    Some(lexical) => {
                        let lexical: Vec<(DocAddress, f32)> =
                            lexical?.into_iter().map(|(s, a)| (a, s)).collect();
                        let mut fused = fuse(&lexical, &dense, fusion);
                        self.order_ties_by_id(&mut fused, pool, searcher, &mut columns)?;
                        fused
                    }
                };
                for (addr, score) in ranked.into_iter().take(pool) {
                    let kind = columns.kind(searcher, addr)?;
                    out.push(Candidate { score, addr, kind });
                }
            }
        }
        Ok((out, columns))
    }

    /// Within the first `pool` of a ranking (best first, ties by document address), puts
    /// the passages of equal score in the order of their ids, as the ranking of ids did: an
    /// order that does not change when segments merge. Ties are rare, so few ids are read.
    fn order_ties_by_id(
        &self,
        fused: &mut [(DocAddress, f32)],
        pool: usize,
        searcher: &tantivy::Searcher,
        columns: &mut Columns,
    ) -> Result<()> {
        let mut start = 0;
        while start < fused.len().min(pool) {
            let score = fused[start].1;
            let end = start + fused[start..].iter().take_while(|x| x.1 == score).count();
            if end - start > 1 {
                let mut run = Vec::with_capacity(end - start);
                for &hit in &fused[start..end] {
                    run.push((columns.passage_id(self, searcher, hit.0)?, hit));
                }
                run.sort_by(|a, b| a.0.cmp(&b.0));
                for (slot, (_, hit)) in fused[start..end].iter_mut().zip(run) {
                    *slot = hit;
                }
            }
            start = end;
        }
        Ok(())
    }

    /// The candidates that can be among the first `k` of some audience (every one when `k`
    /// covers them all), in ranking order, with their passages: only these are read from the
    /// stored documents. With priors the first `k` under each audience's priors are kept, so
    /// any audience's ranking of the kept ones is its ranking of the whole pool; without, the
    /// first `k`. `ids_only` (where the index has the id columns) fills in the ids, the kind
    /// and the audience and reads no document.
    fn load(
        &self,
        searcher: &tantivy::Searcher,
        candidates: Vec<Candidate>,
        k: usize,
        priors: bool,
        ids_only: bool,
        columns: &mut Columns,
    ) -> Result<Vec<(f32, Passage, SourceBrief)>> {
        let mut keep = vec![candidates.len() <= k; candidates.len()];
        if !priors {
            keep.iter_mut().take(k).for_each(|x| *x = true);
        } else if candidates.len() > k {
            // The priors tell two audiences apart: patients, and everyone else.
            for audience in [Audience::Clinician, Audience::Patient] {
                let mut order: Vec<(usize, f32)> = candidates
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (i, c.score * kind_prior(audience, c.kind)))
                    .collect();
                order.sort_by(|a, b| b.1.total_cmp(&a.1));
                for &(i, _) in order.iter().take(k) {
                    keep[i] = true;
                }
            }
        }
        let mut out = Vec::with_capacity(k.min(candidates.len()));
        for (c, _) in candidates.into_iter().zip(keep).filter(|(_, keep)| *keep) {
            let loaded = match ids_only {
                true => columns.ids(searcher, c.addr, c.kind)?,
                false => None,
            };
            let (passage, source) = match loaded {
                Some(ids) => ids,
                None => self.passage_of(&searcher.doc(c.addr)?)?,
            };
            out.push((c.score, passage, source));
        }
        Ok(out)
    }

    fn passage_addr(
        &self,
        searcher: &tantivy::Searcher,
        passage_id: &str,
    ) -> Result<Option<DocAddress>> {
        let q = TermQuery::new(
            Term::from_field_text(self.fields.passage_id, passage_id),
            IndexRecordOption::Basic,
        );
        Ok(searcher
            .search(&q, &TopDocs::with_limit(1))?
            .first()
            .map(|&(_, addr)| addr))
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

    /// The words of `text` the library does not know, each with the stem searched instead
    /// (see [`crate::spelling`]), as stems.
    pub fn corrections(&self, text: &str) -> Result<Vec<(String, String)>> {
        let mut analyzer = self.analyzer()?;
        match self.build_query(
            &mut analyzer,
            text,
            &QueryWeights::default(),
            false,
            &query::Focus::default(),
        ) {
            Ok(built) => Ok(built.corrections),
            Err(Error::EmptyQuery(_)) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
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

/// A ranked record before the audience's priors: its score, where it is, its source's kind.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    score: f32,
    addr: DocAddress,
    kind: SourceKind,
}

/// The columns of one segment that rank and identify passages without their stored document.
struct SegmentColumns {
    kind: Option<Column<u64>>,
    audience: Option<Column<u64>>,
    /// Absent in indexes written before the id columns.
    passage_id: Option<(StrColumn, Arc<IdTable>)>,
    source_id: Option<(StrColumn, Arc<IdTable>)>,
}

/// Every string of an id column by its ordinal, decoded once per segment: the column's own
/// dictionary is block-compressed, and looking one id up decompresses a block each time.
struct IdTable {
    text: String,
    /// `ends[ord]` is where the id of ordinal `ord` ends in `text`.
    ends: Vec<usize>,
}

impl IdTable {
    fn of(column: &StrColumn) -> Option<IdTable> {
        let mut stream = column.dictionary().stream().ok()?;
        let mut table = IdTable {
            text: String::new(),
            ends: Vec::with_capacity(column.num_terms()),
        };
        while stream.advance() {
            table.text.push_str(std::str::from_utf8(stream.key()).ok()?);
            table.ends.push(table.text.len());
        }
        Some(table)
    }

    fn get(&self, ord: u64) -> Option<&str> {
        let ord = usize::try_from(ord).ok()?;
        let end = *self.ends.get(ord)?;
        let start = if ord == 0 { 0 } else { self.ends[ord - 1] };
        Some(&self.text[start..end])
    }
}

/// Id tables of recently searched segments, by segment and field. Segments never change, so
/// an entry stays valid until its segment is merged away; the oldest are dropped past
/// [`ID_TABLES_KEPT`].
static ID_TABLES: Mutex<Vec<(tantivy::index::SegmentId, &'static str, Arc<IdTable>)>> =
    Mutex::new(Vec::new());
const ID_TABLES_KEPT: usize = 64;

/// The column `field` of `segment` with its id table, when the index has that column.
fn id_column(
    segment: &tantivy::SegmentReader,
    field: &'static str,
) -> Option<(StrColumn, Arc<IdTable>)> {
    let column = segment.fast_fields().str(field).ok().flatten()?;
    let id = segment.segment_id();
    let cached = ID_TABLES
        .lock()
        .expect("id tables")
        .iter()
        .find(|(s, f, _)| *s == id && *f == field)
        .map(|(_, _, t)| t.clone());
    if let Some(table) = cached {
        return Some((column, table));
    }
    let table = Arc::new(IdTable::of(&column)?);
    let mut tables = ID_TABLES.lock().expect("id tables");
    if tables.len() >= ID_TABLES_KEPT {
        tables.remove(0);
    }
    tables.push((id, field, table.clone()));
    Some((column, table))
}

/// The document of each vector row of the snapshot (`None` where its passage id column is
/// missing, an index from before the columns, or the passage is not in this commit; such a hit
/// falls back to a search by id). Built once per snapshot from the id columns: a few
/// milliseconds for tens of thousands of passages, against a term search for every dense hit.
fn vector_addrs(snapshot: &super::Snapshot) -> &[Option<DocAddress>] {
    snapshot.vector_addrs.get_or_init(|| {
        let store = &snapshot.vectors;
        let rows: HashMap<&str, usize> = (0..store.len()).map(|i| (store.id(i), i)).collect();
        let mut table = vec![None; store.len()];
        for (ord, segment) in snapshot.searcher.segment_readers().iter().enumerate() {
            let Some((column, ids)) = id_column(segment, "passage_id") else {
                continue;
            };
            let alive = segment.alive_bitset();
            for doc in 0..segment.max_doc() {
                if alive.is_some_and(|a| a.is_deleted(doc)) {
                    continue;
                }
                let id = column.term_ords(doc).next().and_then(|o| ids.get(o));
                if let Some(&row) = id.and_then(|id| rows.get(id)) {
                    table[row] = Some(DocAddress::new(ord as u32, doc));
                }
            }
        }
        table
    })
}

/// The columns of a searcher's segments, each opened on first use, for one search.
#[derive(Default)]
struct Columns {
    segments: Vec<Option<SegmentColumns>>,
}

impl Columns {
    fn segment(&mut self, searcher: &tantivy::Searcher, ord: u32) -> &SegmentColumns {
        let ord = ord as usize;
        if self.segments.len() <= ord {
            self.segments.resize_with(ord + 1, || None);
        }
        self.segments[ord].get_or_insert_with(|| {
            let segment = searcher.segment_reader(ord as u32);
            let fast = segment.fast_fields();
            SegmentColumns {
                kind: fast.u64("kind").ok(),
                audience: fast.u64("audience").ok(),
                passage_id: id_column(segment, "passage_id"),
                source_id: id_column(segment, "source_id"),
            }
        })
    }

    fn kind(&mut self, searcher: &tantivy::Searcher, addr: DocAddress) -> Result<SourceKind> {
        let seg = self.segment(searcher, addr.segment_ord);
        Ok(match seg.kind.as_ref().and_then(|c| c.first(addr.doc_id)) {
            Some(code) => SourceKind::from_code(code),
            None => SourceKind::Other,
        })
    }

    /// The passage id of the record at `addr`, from its column, else its stored document.
    fn passage_id(
        &mut self,
        lib: &Library,
        searcher: &tantivy::Searcher,
        addr: DocAddress,
    ) -> Result<String> {
        let seg = self.segment(searcher, addr.segment_ord);
        if let Some(id) = str_at(seg.passage_id.as_ref(), addr.doc_id)? {
            return Ok(id);
        }
        let doc: tantivy::TantivyDocument = searcher.doc(addr)?;
        Ok(text_of(&doc, lib.fields.passage_id)
            .unwrap_or_default()
            .to_string())
    }

    /// The passage and source of the record at `addr` with only their ids, kind and audience
    /// filled in; `None` when the index has no id columns.
    fn ids(
        &mut self,
        searcher: &tantivy::Searcher,
        addr: DocAddress,
        kind: SourceKind,
    ) -> Result<Option<(Passage, SourceBrief)>> {
        let seg = self.segment(searcher, addr.segment_ord);
        let (Some(id), Some(source_id)) = (
            str_at(seg.passage_id.as_ref(), addr.doc_id)?,
            str_at(seg.source_id.as_ref(), addr.doc_id)?,
        ) else {
            return Ok(None);
        };
        let audience = seg
            .audience
            .as_ref()
            .and_then(|c| c.first(addr.doc_id))
            .and_then(|code| {
                [
                    Audience::Clinician,
                    Audience::Patient,
                    Audience::Student,
                    Audience::All,
                ]
                .get(code as usize)
                .copied()
            })
            .unwrap_or_default();
        let passage = Passage {
            id,
            source_id: source_id.clone(),
            ordinal: 0,
            trail: Vec::new(),
            text: String::new(),
            start: 0,
            end: 0,
            grade: None,
            anchor: None,
        };
        let source = SourceBrief {
            id: source_id,
            title: String::new(),
            publisher: None,
            year: None,
            url: None,
            kind,
            audience,
        };
        Ok(Some((passage, source)))
    }
}

/// The id of row `doc` in `column`, if the index has the column and the row has one.
fn str_at(column: Option<&(StrColumn, Arc<IdTable>)>, doc: u32) -> Result<Option<String>> {
    let Some((column, table)) = column else {
        return Ok(None);
    };
    Ok(column
        .term_ords(doc)
        .next()
        .and_then(|ord| table.get(ord))
        .map(str::to_string))
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

#[cfg(test)]
mod tests {
    use evident_core::{Document, DocumentBuilder, Source};

    use super::*;

    /// Sources of every kind whose sections share words in different amounts, so that the
    /// priors reorder the BM25 ranking.
    fn library() -> Library {
        library_of(0..48, 48)
    }

    /// The sources of [`library`] numbered `order`, in that order, committed every `batch`.
    fn library_of(order: impl IntoIterator<Item = usize>, batch: usize) -> Library {
        let words = [
            "asthma", "inhaler", "steroid", "wheeze", "child", "dose", "night",
        ];
        let lib = Library::in_memory().unwrap();
        let mut w = lib.writer(30_000_000).unwrap();
        for (added, n) in order.into_iter().enumerate() {
            if added > 0 && added % batch == 0 {
                w.commit().unwrap();
                w = lib.writer(30_000_000).unwrap();
            }
            let mut source = Source::new(format!("t:{n}"), format!("Topic {n} {}", words[n % 7]));
            source.kind = SourceKind::ALL[n % SourceKind::ALL.len()];
            source.audience = [Audience::Clinician, Audience::Patient][n % 2];
            let mut b = DocumentBuilder::new(source);
            for s in 0..2 {
                b.heading(2, words[(n + s) % 7]);
                let body: Vec<&str> = (0..(n % 5 + 2))
                    .map(|i| words[(n * 3 + i + s) % 7])
                    .collect();
                b.paragraph(&format!("{}.", body.join(" ")));
            }
            let d: Document = b.finish();
            let passages: Vec<Passage> = d
                .sections
                .iter()
                .enumerate()
                .map(|(i, s)| Passage {
                    id: format!("{}#{i}", d.source.id),
                    source_id: d.source.id.clone(),
                    ordinal: i as u32,
                    trail: s.trail.clone(),
                    text: d.section_text(s).to_string(),
                    start: s.start,
                    end: s.end,
                    grade: None,
                    anchor: None,
                })
                .collect();
            w.add(&d, &passages).unwrap();
        }
        w.commit().unwrap();
        lib
    }

    #[test]
    fn a_word_the_library_does_not_know_is_searched_as_its_nearest_spelling() {
        let lib = library();
        let opts = SearchOptions {
            k: 5,
            priors: false,
            ..SearchOptions::default()
        };
        let typed = "asthmaa nigth";
        let hits = lib.search(typed, &opts).unwrap();
        assert!(!hits.is_empty());
        for h in &hits {
            let text = format!("{} {}", h.source.title, h.passage.text).to_lowercase();
            assert!(text.contains("asthma") || text.contains("night"), "{text}");
        }
        let off = SearchOptions {
            weights: QueryWeights {
                correction: 0.0,
                ..QueryWeights::default()
            },
            ..opts.clone()
        };
        assert!(lib.search(typed, &off).unwrap().is_empty());
        let (stems, _) = lib.explain(typed).unwrap();
        assert!(stems.iter().any(|s| s == "asthma"), "{stems:?}");
        assert!(stems.iter().any(|s| s == "night"), "{stems:?}");
        // A word the library knows, and one too short to guess from, stay as typed.
        let (stems, _) = lib.explain("wheeze dos").unwrap();
        assert_eq!(stems.len(), 2, "{stems:?}");
        assert!(!stems.iter().any(|s| s == "dose"), "{stems:?}");
    }

    fn ids(hits: &[Hit]) -> Vec<(String, String, u32, SourceKind)> {
        hits.iter()
            .map(|h| {
                let score = (h.score * 1e4).round() as u32;
                (
                    h.passage.id.clone(),
                    h.source.id.clone(),
                    score,
                    h.source.kind,
                )
            })
            .collect()
    }

    #[test]
    fn reading_only_the_possible_top_k_ranks_as_reading_the_whole_pool() {
        let lib = library();
        let searcher = lib.reader.searcher();
        let snapshot = lib.reader.snapshot();
        for text in ["asthma inhaler at night", "child steroid dose", "wheeze"] {
            for k in [1, 3, 10] {
                let opts = SearchOptions {
                    k,
                    snippets: false,
                    ..SearchOptions::default()
                };
                let mut analyzer = lib.analyzer().unwrap();
                let built = lib
                    .build_query(&mut analyzer, text, &opts.weights, true, &opts.focus)
                    .ok();
                let pool = (k * 3).max(30);
                let (all, mut columns) = lib
                    .rank(text, SearchMode::Bm25, pool, opts.fusion, &built, &snapshot)
                    .unwrap();
                assert!(all.len() > k, "{text}: the pool must be wider than k");
                let n = all.len();
                let every = lib
                    .load(&searcher, all, n, true, false, &mut columns)
                    .unwrap();
                let audiences = [Audience::Clinician, Audience::Patient, Audience::Student];
                let got = lib.search_audiences(text, &opts, &audiences).unwrap();
                for (audience, got) in audiences.iter().zip(&got) {
                    let mut want: Vec<Hit> = every
                        .iter()
                        .cloned()
                        .map(|(score, passage, source)| Hit {
                            rank: 0,
                            score: score * kind_prior(*audience, source.kind),
                            passage,
                            source,
                            snippet: String::new(),
                        })
                        .collect();
                    want.sort_by(|a, b| b.score.total_cmp(&a.score));
                    want.truncate(k);
                    assert_eq!(ids(got), ids(&want), "{text}, k {k}, {audience:?}");
                    assert!(got.iter().all(|h| !h.passage.text.is_empty()));
                }
            }
        }
    }

    #[test]
    fn equal_scores_rank_in_id_order_whatever_the_segments() {
        // Reversed and committed in small batches, the same sources lie in other segments at
        // other addresses; a one-word query scores many passages alike.
        let a = library();
        let b = library_of((0..48).rev(), 5);
        let opts = SearchOptions {
            k: 20,
            priors: false,
            snippets: false,
            mode: SearchMode::Bm25,
            ..SearchOptions::default()
        };
        let (x, y) = (
            a.search("wheeze", &opts).unwrap(),
            b.search("wheeze", &opts).unwrap(),
        );
        assert_eq!(ids(&x), ids(&y));
        let tied: Vec<_> = x.windows(2).filter(|w| w[0].score == w[1].score).collect();
        assert!(!tied.is_empty(), "the query must produce ties");
        for w in tied {
            assert!(
                w[0].passage.id < w[1].passage.id,
                "{} {}",
                w[0].passage.id,
                w[1].passage.id
            );
        }
    }

    #[test]
    fn ids_only_hits_rank_and_identify_as_full_hits() {
        let lib = library();
        for priors in [false, true] {
            let full = SearchOptions {
                k: 12,
                priors,
                snippets: false,
                ..SearchOptions::default()
            };
            let lean = SearchOptions {
                ids_only: true,
                ..full.clone()
            };
            let a = lib.search("asthma steroid inhaler", &full).unwrap();
            let b = lib.search("asthma steroid inhaler", &lean).unwrap();
            assert_eq!(ids(&a), ids(&b));
            assert_eq!(a.len(), 12);
            for (a, b) in a.iter().zip(&b) {
                assert_eq!(a.source.audience, b.source.audience);
                assert!(b.passage.text.is_empty() && b.source.title.is_empty());
            }
        }
    }
}
