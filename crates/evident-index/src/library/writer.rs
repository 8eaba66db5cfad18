//! Writing the library: [`LibraryWriter`] adds, replaces and removes sources with their
//! passages and vectors, and commits them atomically; the stored content hash.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use evident_core::{Document, Passage};
use tantivy::{doc, IndexWriter, Term};

use super::{Library, PassageMeta, SourceBrief, SourceRecord};
use crate::error::{Error, Result};
use crate::schema::{RECORD_PASSAGE, RECORD_SOURCE};

/// Outcome of adding one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    New,
    /// A source with the same id but different content was replaced.
    Replaced,
    /// The same id with the same content is already there; nothing was written.
    Unchanged,
}
/// The content hash of a source, as stored in the index: the workspace's FNV-1a over its parts,
/// printed as 16 hex digits. Persisted, so it must not change (see `content_hash_is_stable`).
pub(super) fn content_hash(parts: &[&[u8]]) -> String {
    format!("{:016x}", evident_core::text::fnv1a64_parts(parts))
}

impl Library {
    /// A writer using `heap_bytes` of indexing memory (at least 15 MB per thread).
    pub fn writer(&self, heap_bytes: usize) -> Result<LibraryWriter<'_>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let heap = heap_bytes.max(threads * 16_000_000);
        let writer = self.index.writer_with_num_threads(threads, heap)?;
        // With the writer lock held no other process can commit: start from the latest commit,
        // so that its sources are replaced rather than duplicated and its vectors are kept.
        self.refresh()?;
        Ok(LibraryWriter {
            lib: self,
            writer,
            batch: HashMap::new(),
            removed: HashSet::new(),
            new_vectors: Vec::new(),
        })
    }

    /// [`Library::writer`], waiting up to `wait` while another process holds the writer lock
    /// (tantivy's lock does not block, so it is tried again every [`LOCK_POLL`]). For a
    /// process that may start beside another one that is writing — two servers started at
    /// once on an empty data folder, both about to index the starter library. Past `wait`,
    /// the lock error (see [`Error::is_writer_busy`]).
    pub fn writer_waiting(&self, heap_bytes: usize, wait: Duration) -> Result<LibraryWriter<'_>> {
        let deadline = Instant::now() + wait;
        loop {
            match self.writer(heap_bytes) {
                Err(e) if e.is_writer_busy() && Instant::now() < deadline => {
                    std::thread::sleep(LOCK_POLL.min(deadline - Instant::now()));
                }
                done => return done,
            }
        }
    }
}

/// How often [`Library::writer_waiting`] tries the writer lock again.
const LOCK_POLL: Duration = Duration::from_millis(200);

impl Error {
    /// True when another writer — in this process or another — holds the index's writer lock.
    pub fn is_writer_busy(&self) -> bool {
        matches!(
            self,
            Error::Tantivy(tantivy::TantivyError::LockFailure(
                tantivy::directory::error::LockError::LockBusy,
                _
            ))
        )
    }
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
        let hash = content_hash(&[&meta_json, doc.text.as_bytes()]);

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
        let (old_store, old_file) = self.lib.committed_vectors();
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
        let opstamp = prepared.commit()?;
        self.writer.wait_merging_threads()?;
        let vectors = match new_state {
            Some(store) => {
                // Only now is the old file unreferenced (a server still reading it finds the
                // new commit instead, see `Library::refresh`).
                if let (Some(dir), Some(old)) = (&self.lib.path, &old_file) {
                    if file.as_deref() != Some(old.as_str()) {
                        let _ = std::fs::remove_file(dir.join(old));
                    }
                }
                (Arc::new(store), file)
            }
            None => (old_store, old_file),
        };
        self.lib.reload(opstamp, vectors)
    }
}
