//! The library on disk: opening the index, the records it keeps per source and passage, and
//! listing sources. Searching is in `search.rs`, adding and removing sources in `writer.rs`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use evident_core::{Audience, Passage, Source, SourceKind};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{Index, IndexReader, ReloadPolicy, Searcher, TantivyDocument, Term};

use crate::error::{Error, Result};
use crate::lexicon::Lexicon;
use crate::schema::{self, Fields, RECORD_PASSAGE, RECORD_SOURCE, SCHEMA_VERSION};
use crate::vectors::{QueryEncoder, VectorStore};

mod search;
mod writer;

pub use search::{fuse, kind_prior, Fusion, Hit, PhraseCounts, SearchMode, SearchOptions};
pub use writer::{AddOutcome, LibraryWriter};

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

/// The passage index. Cheap to search from many threads; one [`LibraryWriter`] at a time
/// (across processes too: tantivy's writer lock). A library opened on a folder that another
/// process writes sees that process's commits after [`Library::refresh`].
pub struct Library {
    index: Index,
    /// The commit searches read: its searcher and its vectors, always together.
    reader: CommittedReader,
    fields: Fields,
    lexicon: &'static Lexicon,
    path: Option<PathBuf>,
    encoder: RwLock<Option<Arc<dyn QueryEncoder>>>,
    /// Ranked candidates of recent searches, before the audience's priors: off unless
    /// [`Library::cache_results`] turned it on (a server composing one answer per audience
    /// searches the same question three times).
    results: Mutex<ResultCache>,
    /// Spelling corrections of query words, for the current commit.
    spellings: Mutex<crate::spelling::Cache>,
}

/// One commit of the index as searches read it: the tantivy searcher and the passage vectors
/// named in the same commit's payload. Swapped whole, so no search pairs the passages of one
/// commit with the vectors of another.
pub(crate) struct Snapshot {
    pub(crate) searcher: Searcher,
    pub(crate) vectors: Arc<VectorStore>,
    /// The vector file of this commit (none in memory, or before any vectors were added).
    file: Option<String>,
    /// The commit's opstamp; a merge rewrites `meta.json` but keeps it (and the payload).
    opstamp: u64,
    /// Where each vector's passage lies in the searcher (by vector row), built on the first
    /// dense search: a dense hit then needs no search for its document.
    pub(crate) vector_addrs: std::sync::OnceLock<Vec<Option<tantivy::DocAddress>>>,
}

/// The index reader, reloaded only by this crate, and the [`Snapshot`] it last produced.
struct CommittedReader {
    index_reader: IndexReader,
    current: RwLock<Arc<Snapshot>>,
    /// One reload at a time (a refresh and this process's own commit).
    reloading: Mutex<()>,
}

impl CommittedReader {
    /// The searcher of the current commit.
    fn searcher(&self) -> Searcher {
        self.snapshot().searcher.clone()
    }

    /// The current commit: its searcher and its vectors.
    fn snapshot(&self) -> Arc<Snapshot> {
        self.current.read().expect("snapshot lock").clone()
    }
}

/// How often [`Library::refresh`] re-reads a commit that moved on while it was being loaded.
const REFRESH_TRIES: usize = 5;

/// The vector file a commit's payload names.
fn vector_file(metas: &tantivy::IndexMeta) -> Option<String> {
    metas
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .and_then(|v| v["vectors"].as_str().map(String::from))
}

/// Candidates of one search, best first, before priors: (score, passage, source).
type Ranked = Arc<Vec<(f32, Passage, SourceBrief)>>;

/// The byte budget of [`Library::cache_results`]: about 380 rankings of 150 passages of
/// 1 kB (some 170 kB each by [`ranked_bytes`]).
pub const RESULT_CACHE_BYTES: usize = 64 << 20;

/// Recent rankings by query and options, bounded by entries and by bytes, least recently used
/// evicted first; emptied whenever the index or encoder changes.
#[derive(Default)]
struct ResultCache {
    /// Most entries kept (0: nothing is cached).
    capacity: usize,
    /// Most bytes kept, by [`ranked_bytes`] (0: nothing is cached).
    max_bytes: usize,
    /// What the entries held now take, by the same estimate.
    bytes: usize,
    /// Each key's ranking, its estimated size, and its last use (a key of `order`).
    entries: HashMap<String, (Ranked, usize, u64)>,
    /// Keys by last use, oldest first.
    order: BTreeMap<u64, String>,
    /// The clock of uses; grows by one each get or put.
    tick: u64,
}

impl ResultCache {
    /// The ranking kept for `key`, marking it the most recently used.
    fn get(&mut self, key: &str) -> Option<Ranked> {
        self.tick += 1;
        let tick = self.tick;
        let (ranked, _, used) = self.entries.get_mut(key)?;
        let key = self
            .order
            .remove(used)
            .expect("every entry is in the order");
        *used = tick;
        self.order.insert(tick, key);
        Some(ranked.clone())
    }

    /// Keeps `ranked`, evicting the least recently used entries until both bounds hold. A
    /// ranking larger than the whole byte budget is not kept (nor does it evict anything).
    fn put(&mut self, key: String, ranked: Ranked) {
        if self.capacity == 0 || self.entries.contains_key(&key) {
            return;
        }
        let size = ranked_bytes(&key, &ranked);
        if size > self.max_bytes {
            return;
        }
        while !self.order.is_empty()
            && (self.entries.len() >= self.capacity || self.bytes + size > self.max_bytes)
        {
            self.evict_oldest();
        }
        self.tick += 1;
        self.order.insert(self.tick, key.clone());
        self.entries.insert(key, (ranked, size, self.tick));
        self.bytes += size;
    }

    fn evict_oldest(&mut self) {
        if let Some((_, key)) = self.order.pop_first() {
            if let Some((_, size, _)) = self.entries.remove(&key) {
                self.bytes -= size;
            }
        }
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
        self.bytes = 0;
    }
}

/// A generous estimate of the heap one cache entry holds: its key (kept twice: in the map and
/// in the order), the map's and the order's slots, and the ranking with every string and vector
/// it owns by capacity. Generous so that the byte bound is never exceeded in fact.
fn ranked_bytes(key: &String, ranked: &Ranked) -> usize {
    use std::mem::size_of;
    let string = |s: &String| s.capacity();
    let option = |s: &Option<String>| s.as_ref().map_or(0, String::capacity);
    let slots = size_of::<(String, (Ranked, usize, u64))>() + size_of::<(u64, String)>();
    // Hash tables and B-tree nodes keep spare room; count each slot twice.
    let overhead = 2 * slots + 2 * size_of::<usize>() /* the Arc's counts */;
    let items: usize = ranked
        .iter()
        .map(|(_, p, s)| {
            string(&p.id)
                + string(&p.source_id)
                + string(&p.text)
                + p.trail.capacity() * size_of::<String>()
                + p.trail.iter().map(string).sum::<usize>()
                + option(&p.grade)
                + option(&p.anchor)
                + string(&s.id)
                + string(&s.title)
                + option(&s.publisher)
                + option(&s.url)
        })
        .sum();
    // The order's copy of the key is a clone: its capacity is its length.
    key.capacity()
        + key.len()
        + overhead
        + size_of::<Vec<(f32, Passage, SourceBrief)>>()
        + ranked.capacity() * size_of::<(f32, Passage, SourceBrief)>()
        + items
}

impl Library {
    /// Opens the index in `dir`, creating it (and the folder) when absent.
    pub fn open(dir: &Path) -> Result<Library> {
        // The data folder also holds the article store (password hashes, the audit log): the
        // folders made here are the owner's only. Folders that exist keep their mode.
        let mut folders = std::fs::DirBuilder::new();
        folders.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut folders, 0o700);
        folders.create(dir).map_err(|source| Error::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let marker = dir.join(MARKER_FILE);
        if !dir.join("meta.json").exists() {
            // The marker goes first, whole: a process opening the index another one is creating
            // (two servers started at once on an empty folder) finds it beside `meta.json`.
            write_marker(&marker)?;
            let (schema, _) = schema::build();
            match Index::create_in_dir(dir, schema) {
                Ok(index) => return Library::with_index(index, Some(dir.to_path_buf())),
                // Created by another process since the check above: open that one.
                Err(tantivy::TantivyError::IndexAlreadyExists) => {}
                Err(e) => return Err(e.into()),
            }
        }
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
        // Reloaded only here (`refresh`, and after this process's own commits), so a reload
        // always comes with the vectors of the same commit.
        let index_reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let snapshot = Self::load_snapshot(&index, &index_reader, path.as_deref(), None)?;
        let snapshot = match snapshot {
            Some(s) => s,
            // Another process committed while this one opened: read that commit instead.
            None => Self::load_latest(&index, &index_reader, path.as_deref())?,
        };
        Ok(Library {
            index,
            reader: CommittedReader {
                index_reader,
                current: RwLock::new(Arc::new(snapshot)),
                reloading: Mutex::new(()),
            },
            fields,
            lexicon: Lexicon::builtin(),
            path,
            encoder: RwLock::new(None),
            results: Mutex::new(ResultCache::default()),
            spellings: Mutex::new(crate::spelling::Cache::default()),
        })
    }

    /// The passage embeddings of the committed index (empty when none were added).
    pub fn vectors(&self) -> Arc<VectorStore> {
        self.reader.snapshot().vectors.clone()
    }

    /// Picks up the latest commit of the index on disk — one made by another process, such as
    /// `evident library add` while a server runs — when it is newer than the one searched now.
    /// The commit's vector file is read first, then the index reader is reloaded, and both are
    /// swapped in at once; when the index moves on meanwhile, the newer commit is read instead.
    /// Cheap when nothing changed (one read of `meta.json`). Returns whether a new commit is
    /// now searched. Never takes the writer lock. An in-memory library has nothing to pick up.
    pub fn refresh(&self) -> Result<bool> {
        if self.path.is_none() {
            return Ok(false);
        }
        let _one = self.reader.reloading.lock().expect("reload lock");
        let current = self.reader.current.read().expect("snapshot lock").opstamp;
        if self.index.load_metas()?.opstamp == current {
            return Ok(false);
        }
        let snapshot =
            Self::load_latest(&self.index, &self.reader.index_reader, self.path.as_deref())?;
        let changed = snapshot.opstamp != current;
        self.install(snapshot);
        Ok(changed)
    }

    /// The commit in `meta.json` now, retried while other processes keep committing (a commit
    /// deletes the previous vector file, which a slow reader may not have read yet).
    fn load_latest(index: &Index, reader: &IndexReader, dir: Option<&Path>) -> Result<Snapshot> {
        let mut last = None;
        for _ in 0..REFRESH_TRIES {
            match Self::load_snapshot(index, reader, dir, None) {
                Ok(Some(s)) => return Ok(s),
                Ok(None) => {}
                Err(e) => last = Some(e),
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        match last {
            Some(e) => Err(e),
            None => Err(Error::Vectors(
                "the index kept changing while it was being read; try again".into(),
            )),
        }
    }

    /// Reads the commit in `meta.json` — its vectors (`known`: already in memory, from this
    /// process's own commit of that opstamp) and then the reloaded reader. `None` when another
    /// commit landed meanwhile, so that the pair would not match.
    fn load_snapshot(
        index: &Index,
        reader: &IndexReader,
        dir: Option<&Path>,
        known: Option<(u64, Arc<VectorStore>, Option<String>)>,
    ) -> Result<Option<Snapshot>> {
        let metas = index.load_metas()?;
        let (vectors, file) = match known {
            Some((opstamp, vectors, file)) if opstamp == metas.opstamp => (vectors, file),
            Some(_) => return Ok(None),
            None => {
                let file = vector_file(&metas);
                let store = match (dir, &file) {
                    (Some(dir), Some(f)) => match VectorStore::load(&dir.join(f)) {
                        Ok(store) => store,
                        // Deleted by a newer commit: that one is read next time round.
                        Err(_) if index.load_metas()?.opstamp != metas.opstamp => return Ok(None),
                        Err(e) => return Err(e),
                    },
                    _ => VectorStore::default(),
                };
                (Arc::new(store), file)
            }
        };
        reader.reload()?;
        let searcher = reader.searcher();
        // The reader read `meta.json` again: the pair matches only if the commit is the same
        // (opstamps only grow, so the same one before and after means none came between).
        if index.load_metas()?.opstamp != metas.opstamp {
            return Ok(None);
        }
        Ok(Some(Snapshot {
            searcher,
            vectors,
            file,
            opstamp: metas.opstamp,
            vector_addrs: std::sync::OnceLock::new(),
        }))
    }

    /// Makes `snapshot` the one searches read, and forgets rankings of the previous one.
    fn install(&self, snapshot: Snapshot) {
        *self.reader.current.write().expect("snapshot lock") = Arc::new(snapshot);
        self.results.lock().expect("result cache").clear();
    }

    /// The vectors of the commit searched now, and the file they were read from.
    fn committed_vectors(&self) -> (Arc<VectorStore>, Option<String>) {
        let s = self.reader.snapshot();
        (s.vectors.clone(), s.file.clone())
    }

    /// Sets the encoder that turns queries into embeddings for dense and hybrid search.
    pub fn set_encoder(&self, encoder: Arc<dyn QueryEncoder>) {
        *self.encoder.write().expect("encoder lock") = Some(encoder);
        self.results.lock().expect("result cache").clear();
    }

    /// Remembers the rankings of the last `capacity` searches used (0 turns it off, the
    /// default), in at most [`RESULT_CACHE_BYTES`]. The audience's priors, the cut to `k` and
    /// the snippets are still applied per search, so the same question asked for three
    /// audiences ranks once. Benchmarks leave it off.
    pub fn cache_results(&self, capacity: usize) {
        self.cache_results_bounded(capacity, RESULT_CACHE_BYTES);
    }

    /// [`Library::cache_results`] within `max_bytes` of heap (estimated generously from the
    /// strings and vectors each ranking owns): the least recently used rankings are dropped
    /// while either bound is passed, and a ranking larger than `max_bytes` is not kept. Either
    /// bound 0 turns the cache off.
    pub fn cache_results_bounded(&self, capacity: usize, max_bytes: usize) {
        let mut cache = self.results.lock().expect("result cache");
        cache.clear();
        cache.capacity = capacity;
        cache.max_bytes = max_bytes;
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

    /// The generation of the searcher now in use: it grows each time this process's reader
    /// loads a new commit. Numbered per process; [`Library::commit_opstamp`] names the commit.
    pub fn generation(&self) -> u64 {
        self.reader.searcher().generation().generation_id()
    }

    /// The opstamp of the commit searches read now, as `meta.json` records it: the same number
    /// in every process that serves that commit (a merge keeps it), so a fleet's servers can be
    /// seen to agree on what they serve. It only grows.
    pub fn commit_opstamp(&self) -> u64 {
        self.reader.snapshot().opstamp
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

    /// After this process's own commit `opstamp`: searches read it, with `vectors` (the ones
    /// it wrote, or the previous commit's when it wrote none). Should another process have
    /// committed since, the latest commit is read from disk instead.
    fn reload(&self, opstamp: u64, vectors: (Arc<VectorStore>, Option<String>)) -> Result<()> {
        let _one = self.reader.reloading.lock().expect("reload lock");
        let (store, file) = vectors;
        let known = Some((opstamp, store, file));
        let snapshot = match Self::load_snapshot(
            &self.index,
            &self.reader.index_reader,
            self.path.as_deref(),
            known,
        )? {
            Some(s) => s,
            None => {
                Self::load_latest(&self.index, &self.reader.index_reader, self.path.as_deref())?
            }
        };
        self.install(snapshot);
        Ok(())
    }
}

/// Writes the schema marker to a file of this process's own, then renames it into place, so
/// that no reader sees it half written.
fn write_marker(marker: &Path) -> Result<()> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| Error::Io { path, source }
    };
    let json = serde_json::json!({ "schema_version": SCHEMA_VERSION }).to_string();
    let part = marker.with_extension(format!("json.{}.part", std::process::id()));
    std::fs::write(&part, json).map_err(io(&part))?;
    std::fs::rename(&part, marker).map_err(io(marker))
}

fn text_of(doc: &TantivyDocument, field: tantivy::schema::Field) -> Option<&str> {
    doc.get_first(field).and_then(|v| v.as_str())
}

#[cfg(test)]
mod tests;
