//! The library on disk: adding, replacing, removing and listing sources, and searching passages.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use evident_core::text::{split_sentences, truncate_words};
use evident_core::{Audience, Document, Passage, Source, SourceKind};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::error::{Error, Result};
use crate::lexicon::Lexicon;
use crate::query::{self, QueryWeights};
use crate::schema::{self, Fields, RECORD_PASSAGE, RECORD_SOURCE, SCHEMA_VERSION};
use crate::vectors::{QueryEncoder, VectorStore};

const MARKER_FILE: &str = "evident-index.json";

/// What the library keeps about a source.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SourceRecord {
    pub source: Source,
    pub passages: u32,
    pub words: u64,
    /// Hash of the source's metadata and text; changes when the source changes.
    pub content_hash: String,
}

/// The source fields a search hit carries, so a hit is complete without a second lookup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SourceBrief {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub kind: SourceKind,
    pub audience: Audience,
}

impl SourceBrief {
    fn of(s: &Source) -> SourceBrief {
        SourceBrief {
            id: s.id.clone(),
            title: s.title.clone(),
            publisher: s.publisher.clone(),
            year: s.effective_year(),
            url: s.url.clone(),
            kind: s.kind,
            audience: s.audience,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct PassageMeta {
    ordinal: u32,
    start: usize,
    end: usize,
    trail: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    grade: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    anchor: Option<String>,
    source: SourceBrief,
}

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

/// Outcome of adding one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    New,
    /// A source with the same id but different content was replaced.
    Replaced,
    /// The same id with the same content is already there; nothing was written.
    Unchanged,
}

/// The passage index. Cheap to search from many threads; one [`LibraryWriter`] at a time.
pub struct Library {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    lexicon: &'static Lexicon,
    path: Option<PathBuf>,
    /// Passage embeddings of the committed index, and the file they were read from.
    vectors: RwLock<(Arc<VectorStore>, Option<String>)>,
    encoder: RwLock<Option<Arc<dyn QueryEncoder>>>,
    /// Ranked candidates of recent searches, before the audience's priors: off unless
    /// [`Library::cache_results`] turned it on (a server composing one answer per audience
    /// searches the same question three times).
    results: Mutex<ResultCache>,
}

/// Candidates of one search, best first, before priors: (score, passage, source).
type Ranked = Arc<Vec<(f32, Passage, SourceBrief)>>;

/// Recent rankings by query and options; emptied whenever the index or encoder changes.
#[derive(Default)]
struct ResultCache {
    capacity: usize,
    entries: HashMap<String, Ranked>,
    order: std::collections::VecDeque<String>,
}

impl ResultCache {
    fn get(&self, key: &str) -> Option<Ranked> {
        self.entries.get(key).cloned()
    }

    fn put(&mut self, key: String, ranked: Ranked) {
        if self.capacity == 0 || self.entries.contains_key(&key) {
            return;
        }
        if self.entries.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.entries.remove(&old);
            }
        }
        self.order.push_back(key.clone());
        self.entries.insert(key, ranked);
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
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
    /// Opens the index in `dir`, creating it (and the folder) when absent.
    pub fn open(dir: &Path) -> Result<Library> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let marker = dir.join(MARKER_FILE);
        let has_index = dir.join("meta.json").exists();
        if has_index {
            let version = std::fs::read_to_string(&marker)
                .ok()
                .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
                .and_then(|v| v["schema_version"].as_u64());
            if version != Some(SCHEMA_VERSION as u64) {
                return Err(Error::NotAnIndex {
                    path: dir.display().to_string(),
                    why: format!("schema version {version:?}, this build reads {SCHEMA_VERSION}"),
                });
            }
            let index = Index::open_in_dir(dir)?;
            Library::with_index(index, Some(dir.to_path_buf()))
        } else {
            let (schema, _) = schema::build();
            let index = Index::create_in_dir(dir, schema)?;
            let marker_json = serde_json::json!({ "schema_version": SCHEMA_VERSION });
            std::fs::write(&marker, marker_json.to_string()).map_err(|source| Error::Io {
                path: marker.display().to_string(),
                source,
            })?;
            Library::with_index(index, Some(dir.to_path_buf()))
        }
    }

    /// An index held in memory, for evaluations and tests.
    pub fn in_memory() -> Result<Library> {
        let (schema, _) = schema::build();
        Library::with_index(Index::create_in_ram(schema), None)
    }

    fn with_index(index: Index, path: Option<PathBuf>) -> Result<Library> {
        let fields = schema::fields_of(&index.schema()).ok_or_else(|| Error::NotAnIndex {
            path: path
                .as_ref()
                .map_or("memory".into(), |p| p.display().to_string()),
            why: "fields missing".into(),
        })?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        // The committed payload names the vector file of this commit.
        let file = index
            .load_metas()?
            .payload
            .and_then(|p| serde_json::from_str::<serde_json::Value>(&p).ok())
            .and_then(|v| v["vectors"].as_str().map(String::from));
        let store = match (&path, &file) {
            (Some(dir), Some(f)) => VectorStore::load(&dir.join(f))?,
            _ => VectorStore::default(),
        };
        Ok(Library {
            index,
            reader,
            fields,
            lexicon: Lexicon::builtin(),
            path,
            vectors: RwLock::new((Arc::new(store), file)),
            encoder: RwLock::new(None),
            results: Mutex::new(ResultCache::default()),
        })
    }

    /// The passage embeddings of the committed index (empty when none were added).
    pub fn vectors(&self) -> Arc<VectorStore> {
        self.vectors.read().expect("vectors lock").0.clone()
    }

    /// Sets the encoder that turns queries into embeddings for dense and hybrid search.
    pub fn set_encoder(&self, encoder: Arc<dyn QueryEncoder>) {
        *self.encoder.write().expect("encoder lock") = Some(encoder);
        self.results.lock().expect("result cache").clear();
    }

    /// Remembers the rankings of the last `capacity` searches (0 turns it off, the default).
    /// The audience's priors, the cut to `k` and the snippets are still applied per search, so
    /// the same question asked for three audiences ranks once. Benchmarks leave it off.
    pub fn cache_results(&self, capacity: usize) {
        let mut cache = self.results.lock().expect("result cache");
        cache.clear();
        cache.capacity = capacity;
    }

    /// The mode `Auto` resolves to now.
    pub fn effective_mode(&self, mode: SearchMode) -> SearchMode {
        let dense_ready =
            !self.vectors().is_empty() && self.encoder.read().expect("encoder lock").is_some();
        match mode {
            SearchMode::Auto if dense_ready => SearchMode::Hybrid,
            SearchMode::Auto => SearchMode::Bm25,
            SearchMode::Dense | SearchMode::Hybrid if !dense_ready => SearchMode::Bm25,
            m => m,
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn lexicon(&self) -> &Lexicon {
        self.lexicon
    }

    /// A writer using `heap_bytes` of indexing memory (at least 15 MB per thread).
    pub fn writer(&self, heap_bytes: usize) -> Result<LibraryWriter<'_>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let heap = heap_bytes.max(threads * 16_000_000);
        let writer = self.index.writer_with_num_threads(threads, heap)?;
        Ok(LibraryWriter {
            lib: self,
            writer,
            batch: HashMap::new(),
            removed: HashSet::new(),
            new_vectors: Vec::new(),
        })
    }

    /// Number of sources and passages in the committed index.
    pub fn counts(&self) -> Result<(usize, usize)> {
        let searcher = self.reader.searcher();
        let count = |record: &str| {
            searcher.search(
                &TermQuery::new(
                    Term::from_field_text(self.fields.record, record),
                    IndexRecordOption::Basic,
                ),
                &Count,
            )
        };
        Ok((count(RECORD_SOURCE)?, count(RECORD_PASSAGE)?))
    }

    /// Every source, sorted by id.
    pub fn sources(&self) -> Result<Vec<SourceRecord>> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(
            Term::from_field_text(self.fields.record, RECORD_SOURCE),
            IndexRecordOption::Basic,
        );
        let mut out = Vec::new();
        for addr in searcher.search(&q, &DocSetCollector)? {
            let doc: TantivyDocument = searcher.doc(addr)?;
            out.push(self.source_record(&doc)?);
        }
        out.sort_by(|a, b| a.source.id.cmp(&b.source.id));
        Ok(out)
    }

    /// The source with this id, if present.
    pub fn source(&self, id: &str) -> Result<Option<SourceRecord>> {
        let searcher = self.reader.searcher();
        let term = |field, text: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, text),
                IndexRecordOption::Basic,
            ))
        };
        let q = BooleanQuery::new(vec![
            (Occur::Must, term(self.fields.source_id, id)),
            (Occur::Must, term(self.fields.record, RECORD_SOURCE)),
        ]);
        match searcher.search(&q, &TopDocs::with_limit(1))?.first() {
            Some(&(_, addr)) => Ok(Some(self.source_record(&searcher.doc(addr)?)?)),
            None => Ok(None),
        }
    }

    /// The passages of a source, in order.
    pub fn passages_of(&self, source_id: &str) -> Result<Vec<Passage>> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(
            Term::from_field_text(self.fields.source_id, source_id),
            IndexRecordOption::Basic,
        );
        let mut out = Vec::new();
        for addr in searcher.search(&q, &DocSetCollector)? {
            let doc: TantivyDocument = searcher.doc(addr)?;
            if text_of(&doc, self.fields.passage_id).is_some() {
                out.push(self.passage_of(&doc)?.0);
            }
        }
        out.sort_by_key(|p| p.ordinal);
        Ok(out)
    }

    fn source_record(&self, doc: &TantivyDocument) -> Result<SourceRecord> {
        let meta = text_of(doc, self.fields.meta).unwrap_or("{}");
        Ok(serde_json::from_str(meta)?)
    }

    fn passage_of(&self, doc: &TantivyDocument) -> Result<(Passage, SourceBrief)> {
        let meta: PassageMeta =
            serde_json::from_str(text_of(doc, self.fields.meta).unwrap_or("{}"))?;
        let passage = Passage {
            id: text_of(doc, self.fields.passage_id)
                .unwrap_or_default()
                .to_string(),
            source_id: meta.source.id.clone(),
            ordinal: meta.ordinal,
            trail: meta.trail,
            text: text_of(doc, self.fields.body)
                .unwrap_or_default()
                .to_string(),
            start: meta.start,
            end: meta.end,
            grade: meta.grade,
            anchor: meta.anchor,
        };
        Ok((passage, meta.source))
    }

    fn build_query(
        &self,
        analyzer: &mut TextAnalyzer,
        text: &str,
        weights: &QueryWeights,
        expand: bool,
    ) -> Result<query::BuiltQuery> {
        query::build(text, &self.fields, analyzer, self.lexicon, weights, expand)
            .ok_or_else(|| Error::EmptyQuery(text.to_string()))
    }

    /// The index's text analyzer (tokenise, lowercase, stem), for callers that stem many texts:
    /// reuse one with [`query::analyze`] instead of calling [`Library::stems`] in a loop.
    pub fn analyzer(&self) -> Result<TextAnalyzer> {
        Ok(self.index.tokenizer_for_field(self.fields.body)?)
    }

    /// The ranked passages for `text`.
    pub fn search(&self, text: &str, opts: &SearchOptions) -> Result<Vec<Hit>> {
        let mut analyzer = self.analyzer()?;
        let built = self.build_query(&mut analyzer, text, &opts.weights, opts.expand);
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
            "{}\u{1f}{mode:?}\u{1f}{pool}\u{1f}{:?}\u{1f}{}\u{1f}{:?}\u{1f}{text}",
            searcher.generation().generation_id(),
            opts.fusion,
            opts.expand,
            opts.weights
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
        let hit = |(score, passage, source): (f32, Passage, SourceBrief)| Hit {
            rank: 0,
            score: if opts.priors {
                score * kind_prior(opts.audience, source.kind)
            } else {
                score
            },
            passage,
            source,
            snippet: String::new(),
        };
        // Owned unless the cache keeps a copy.
        let mut hits: Vec<Hit> = match Arc::try_unwrap(ranked) {
            Ok(owned) => owned.into_iter().map(hit).collect(),
            Err(shared) => shared.iter().cloned().map(hit).collect(),
        };
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits.truncate(opts.k);
        let stems = built.map(|b| b.stems).unwrap_or_default();
        for (i, hit) in hits.iter_mut().enumerate() {
            hit.rank = i + 1;
            if opts.snippets {
                hit.snippet = snippet(&mut analyzer, &hit.passage.text, &stems);
            }
        }
        Ok(hits)
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

    /// Explains how a query is expanded: (stems, lexicon additions).
    pub fn explain(&self, text: &str) -> Result<(Vec<String>, Vec<String>)> {
        let mut analyzer = self.analyzer()?;
        let built = self.build_query(&mut analyzer, text, &QueryWeights::default(), true)?;
        Ok((
            built.stems.into_iter().map(|(s, _)| s).collect(),
            built.expansions,
        ))
    }

    fn reload(&self) -> Result<()> {
        self.reader.reload()?;
        self.results.lock().expect("result cache").clear();
        Ok(())
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

fn text_of(doc: &TantivyDocument, field: tantivy::schema::Field) -> Option<&str> {
    doc.get_first(field).and_then(|v| v.as_str())
}

/// Stable 64-bit FNV-1a, printed as hex: the content hash of a source.
fn fnv64(parts: &[&[u8]]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Adds and removes sources; nothing is visible to searches until [`LibraryWriter::commit`].
/// Dropping the writer without committing discards its changes.
pub struct LibraryWriter<'a> {
    lib: &'a Library,
    writer: IndexWriter,
    /// Content hashes of sources added in this batch.
    batch: HashMap<String, String>,
    /// Sources whose earlier vectors are dropped at commit (replaced or removed).
    removed: HashSet<String>,
    /// Vectors added in this batch: (passage id, text hash, vector).
    new_vectors: Vec<(String, u64, Vec<f32>)>,
}

impl LibraryWriter<'_> {
    /// Adds `doc` with its `passages`, replacing any source with the same id.
    pub fn add(&mut self, doc: &Document, passages: &[Passage]) -> Result<AddOutcome> {
        let f = &self.lib.fields;
        let source = &doc.source;
        let mut for_hash = source.clone();
        for_hash.origin.clear();
        let meta_json = serde_json::to_vec(&for_hash)?;
        let hash = fnv64(&[&meta_json, doc.text.as_bytes()]);

        let previous = match self.batch.get(&source.id) {
            Some(h) => Some(h.clone()),
            None => self.lib.source(&source.id)?.map(|r| r.content_hash),
        };
        if previous.as_deref() == Some(hash.as_str()) {
            return Ok(AddOutcome::Unchanged);
        }
        if previous.is_some() {
            self.writer
                .delete_term(Term::from_field_text(f.source_id, &source.id));
            self.removed.insert(source.id.clone());
            self.new_vectors
                .retain(|(id, _, _)| id.rsplit_once('#').map(|(s, _)| s) != Some(&source.id));
        }
        self.batch.insert(source.id.clone(), hash.clone());

        let record = SourceRecord {
            source: source.clone(),
            passages: passages.len() as u32,
            words: doc.word_count() as u64,
            content_hash: hash,
        };
        self.writer.add_document(doc!(
            f.record => RECORD_SOURCE,
            f.source_id => source.id.as_str(),
            f.kind => source.kind.code(),
            f.audience => source.audience as u64,
            f.meta => serde_json::to_string(&record)?,
        ))?;
        let brief = SourceBrief::of(source);
        for p in passages {
            let meta = PassageMeta {
                ordinal: p.ordinal,
                start: p.start,
                end: p.end,
                trail: p.trail.clone(),
                grade: p.grade.clone(),
                anchor: p.anchor.clone(),
                source: brief.clone(),
            };
            self.writer.add_document(doc!(
                f.record => RECORD_PASSAGE,
                f.source_id => source.id.as_str(),
                f.passage_id => p.id.as_str(),
                f.title => source.title.as_str(),
                f.trail => p.trail.join(" > "),
                f.body => p.text.as_str(),
                f.kind => source.kind.code(),
                f.audience => source.audience as u64,
                f.meta => serde_json::to_string(&meta)?,
            ))?;
        }
        Ok(if previous.is_some() {
            AddOutcome::Replaced
        } else {
            AddOutcome::New
        })
    }

    /// Removes the source with this id (and its passages); an unknown id is an error.
    pub fn remove(&mut self, source_id: &str) -> Result<()> {
        let known = self.batch.remove(source_id).is_some() || self.lib.source(source_id)?.is_some();
        if !known {
            return Err(Error::SourceNotFound(source_id.to_string()));
        }
        self.writer
            .delete_term(Term::from_field_text(self.lib.fields.source_id, source_id));
        self.removed.insert(source_id.to_string());
        self.new_vectors
            .retain(|(id, _, _)| id.rsplit_once('#').map(|(s, _)| s) != Some(source_id));
        Ok(())
    }

    /// Adds passage embeddings, to be committed with the passages: (passage id, hash of the text
    /// that was embedded — the cache key — and the vector). Call it after
    /// [`LibraryWriter::add`] for the same passages.
    pub fn add_vectors(&mut self, entries: Vec<(String, u64, Vec<f32>)>) -> Result<()> {
        self.new_vectors.extend(entries);
        Ok(())
    }

    /// Makes every change visible at once, atomically: a crash before this returns leaves the
    /// previous commit, and its vectors, as they were.
    pub fn commit(mut self) -> Result<()> {
        let (old_store, old_file) = {
            let v = self.lib.vectors.read().expect("vectors lock");
            (v.0.clone(), v.1.clone())
        };
        let vectors_changed =
            !self.new_vectors.is_empty() || (!old_store.is_empty() && !self.removed.is_empty());
        let mut new_state = None;
        let mut file = old_file.clone();
        if vectors_changed {
            let mut store = old_store.without_sources(&self.removed);
            for (id, hash, v) in &self.new_vectors {
                store.push(id.clone(), *hash, v)?;
            }
            if let Some(dir) = &self.lib.path {
                let name = format!(
                    "vectors-{}.bin",
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_nanos())
                );
                store.save(&dir.join(&name))?;
                file = Some(name);
            }
            new_state = Some(store);
        }
        let mut prepared = self.writer.prepare_commit()?;
        if let Some(f) = &file {
            prepared.set_payload(&serde_json::json!({ "vectors": f }).to_string());
        }
        prepared.commit()?;
        self.writer.wait_merging_threads()?;
        if let Some(store) = new_state {
            *self.lib.vectors.write().expect("vectors lock") = (Arc::new(store), file.clone());
            // Only now is the old file unreferenced.
            if let (Some(dir), Some(old)) = (&self.lib.path, old_file) {
                if file.as_deref() != Some(old.as_str()) {
                    let _ = std::fs::remove_file(dir.join(old));
                }
            }
        }
        self.lib.reload()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fusion_rewards_agreement_and_keeps_score_gaps() {
        let list = |xs: &[(&str, f32)]| -> Vec<(String, f32)> {
            xs.iter().map(|(id, s)| (id.to_string(), *s)).collect()
        };
        let lexical = list(&[("a", 9.0), ("b", 8.0), ("c", 1.0)]);
        let dense = list(&[("b", 0.8), ("d", 0.79), ("a", 0.2)]);
        let rrf = fuse(&lexical, &dense, "rrf:60".parse().unwrap());
        assert_eq!(rrf[0].0, "b");
        let convex = fuse(&lexical, &dense, "convex:0.5".parse().unwrap());
        assert_eq!(convex[0].0, "b");
        // "d" is nearly as close as "b" in the dense list; "c" is far behind in BM25.
        let pos = |id: &str| convex.iter().position(|x| x.0 == id).unwrap();
        assert!(pos("d") < pos("c"));
        assert!("convex:1.5".parse::<Fusion>().is_err());
        assert!("mean".parse::<Fusion>().is_err());
    }
}
