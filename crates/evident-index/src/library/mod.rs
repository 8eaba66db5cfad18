//! The library on disk: opening the index, the records it keeps per source and passage, and
//! listing sources. Searching is in `search.rs`, adding and removing sources in `writer.rs`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use evident_core::{Audience, Passage, Source, SourceKind};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

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

    fn reload(&self) -> Result<()> {
        self.reader.reload()?;
        self.results.lock().expect("result cache").clear();
        Ok(())
    }
}

fn text_of(doc: &TantivyDocument, field: tantivy::schema::Field) -> Option<&str> {
    doc.get_first(field).and_then(|v| v.as_str())
}

#[cfg(test)]
mod tests;
