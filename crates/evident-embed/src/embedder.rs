//! The embedder: tokenizer + BERT forward pass + attention-masked mean pooling + L2 norm.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use rayon::prelude::*;
use tokenizers::{Tokenizer, TruncationParams};

use crate::bert::{Bert, Precision, Shape};
use crate::error::{Error, Result};
use crate::model::{verify_model, CONFIG, SAFETENSORS, TOKENIZER};

/// Longest input in tokens, [CLS] and [SEP] included; longer texts are truncated (the model was
/// trained with this limit).
const MAX_TOKENS: usize = 256;
/// Tokens per forward pass. Sequences are packed without padding, so a batch is any run of
/// texts up to this many tokens: 16 passages of 256 tokens, or hundreds of short queries. The
/// largest buffer, the feed-forward activations, is then 2048 × 1536 × 4 bytes = 12 MiB, under
/// glibc's 32 MiB mmap ceiling (see [`tune_allocator`]), so buffers are reused between passes.
const BATCH_TOKENS: usize = 2048;

/// all-MiniLM-L6-v2 on the CPU. Share one: `embed` takes `&self` and the type is `Send + Sync`.
///
/// The forward pass is our own packed encoder ([`crate::bert`]); candle loads the weights, and
/// candle-transformers' `BertModel` is kept as the reference it is tested against
/// ([`Embedder::embed_reference`]). `embed` runs one batch per core in its own thread pool.
pub struct Embedder {
    bert: Bert,
    tokenizer: Tokenizer,
    dir: std::path::PathBuf,
    config: Config,
    /// Runs batches side by side, one per core.
    pool: rayon::ThreadPool,
    /// candle-transformers' model, loaded on first use of [`Embedder::embed_reference`].
    reference: std::sync::OnceLock<BertModel>,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("model", &crate::MODEL_NAME)
            .finish_non_exhaustive()
    }
}

impl Embedder {
    /// Loads from `dir` after [`verify_model`].
    pub fn load(dir: &Path) -> Result<Embedder> {
        verify_model(dir)?;
        let config_path = dir.join(CONFIG);
        let bytes = std::fs::read(&config_path).map_err(|e| Error::io(&config_path, e))?;
        let config: Config = serde_json::from_slice(&bytes).map_err(|e| Error::Config {
            path: config_path.display().to_string(),
            why: e.to_string(),
        })?;

        let tokenizer_path = dir.join(TOKENIZER);
        let tokenizer_error = |why: String| Error::TokenizerLoad {
            path: tokenizer_path.display().to_string(),
            why,
        };
        let mut tokenizer =
            Tokenizer::from_file(&tokenizer_path).map_err(|e| tokenizer_error(e.to_string()))?;
        // The shipped tokenizer.json pads every input to 128 tokens; we pack instead.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| tokenizer_error(e.to_string()))?;

        let shape = Shape {
            hidden: config.hidden_size,
            heads: config.num_attention_heads,
            intermediate: config.intermediate_size,
            layers: config.num_hidden_layers,
            max_positions: config.max_position_embeddings,
            eps: config.layer_norm_eps as f32,
        };
        if shape.heads == 0 || !shape.hidden.is_multiple_of(shape.heads) {
            return Err(Error::Config {
                path: config_path.display().to_string(),
                why: "hidden_size is not a multiple of num_attention_heads".into(),
            });
        }
        let bert = Bert::load(
            &dir.join(SAFETENSORS),
            shape,
            config.vocab_size,
            config.type_vocab_size,
        )?;
        let pool = rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("evident-embed-{i}"))
            .build()
            .map_err(|e| Error::Model(candle_core::Error::Msg(format!("thread pool: {e}"))))?;
        tune_allocator();
        Ok(Embedder {
            bert,
            tokenizer,
            dir: dir.to_path_buf(),
            config,
            pool,
            reference: std::sync::OnceLock::new(),
        })
    }

    /// L2-normalised mean-pooled embeddings (mean over the text's tokens of the last hidden
    /// state), one per text, in order. Texts longer than 256 tokens are truncated.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.embed_with(texts, Precision::F32)
    }

    /// The embedding of a query, computed with int8 copies of the dense layers' weights: about
    /// twice as fast for a short text (the weights then stay in the CPU's cache), and within
    /// about 1% of [`Embedder::embed`]'s vector in cosine, which moves retrieval scores by less
    /// than the gaps that order them (the figures are in ARCHITECTURE.md). Passages are embedded
    /// with `embed`, so the index itself is exact.
    pub fn embed_query(&self, text: &str) -> Result<Vec<f32>> {
        Ok(self
            .embed_with(&[text], Precision::Int8)?
            .pop()
            .unwrap_or_default())
    }

    fn embed_with(&self, texts: &[&str], precision: Precision) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = match texts {
            // One text (a query) on the calling thread: handing it to the pool and back costs
            // two thread wake-ups, more than tokenising it.
            [text] => self.tokenizer.encode_fast(*text, true).map(|e| vec![e]),
            _ => self
                .pool
                .install(|| self.tokenizer.encode_batch_fast(texts.to_vec(), true)),
        }
        .map_err(|e| Error::Tokenize(e.to_string()))?;
        let ids: Vec<&[u32]> = encodings.iter().map(|e| e.get_ids()).collect();
        // Consecutive runs of texts up to BATCH_TOKENS tokens each; at least as many runs as
        // the pool has threads when there is enough work, so every core gets some.
        let total: usize = ids.iter().map(|s| s.len()).sum();
        let per_batch = BATCH_TOKENS.min(total.div_ceil(self.pool.current_num_threads()).max(1));
        let mut batches: Vec<std::ops::Range<usize>> = Vec::new();
        let mut start = 0;
        let mut tokens = 0;
        for (i, seq) in ids.iter().enumerate() {
            if tokens > 0 && tokens + seq.len() > per_batch {
                batches.push(start..i);
                start = i;
                tokens = 0;
            }
            tokens += seq.len();
        }
        batches.push(start..ids.len());
        let results: Vec<Vec<Vec<f32>>> = self.pool.install(|| {
            batches
                .par_iter()
                .with_max_len(1)
                .map(|r| self.bert.embed(&ids[r.clone()], precision))
                .collect()
        });
        Ok(results.into_iter().flatten().collect())
    }

    /// The embedding of one text.
    pub fn embed_one(&self, text: &str) -> Result<Vec<f32>> {
        Ok(self.embed(&[text])?.pop().unwrap_or_default())
    }

    /// The same embeddings computed by candle-transformers' `BertModel` (one text per forward
    /// pass, no padding): the reference our encoder is tested against. Slow.
    pub fn embed_reference(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let model = match self.reference.get() {
            Some(m) => m,
            None => {
                let weights = self.dir.join(SAFETENSORS);
                // SAFETY: the file was verified against its pinned sha256 at load and is not
                // modified while mapped.
                let vb = unsafe {
                    VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, &Device::Cpu)?
                };
                let model = BertModel::load(vb, &self.config)?;
                let _ = self.reference.set(model);
                self.reference.get().expect("just set")
            }
        };
        let mut out = Vec::with_capacity(texts.len());
        for text in texts {
            let enc = self
                .tokenizer
                .encode_fast(*text, true)
                .map_err(|e| Error::Tokenize(e.to_string()))?;
            let ids = enc.get_ids().to_vec();
            let n = ids.len();
            let input = Tensor::from_vec(ids, (1, n), &Device::Cpu)?;
            let types = input.zeros_like()?;
            let hidden = model.forward(&input, &types, None)?; // (1, n, DIM)
            let mean = hidden.mean(1)?;
            let norm = mean
                .sqr()?
                .sum_keepdim(1)?
                .sqrt()?
                .clamp(1e-12f32, f32::MAX)?;
            out.push(mean.broadcast_div(&norm)?.squeeze(0)?.to_vec1::<f32>()?);
        }
        Ok(out)
    }
}

/// Makes glibc keep freed activation buffers for reuse. By default it serves every allocation
/// over 128 KiB with a fresh mmap and gives it back on free (and trims the heap top eagerly), so
/// each of the hundreds of tensors of a forward pass is page-faulted in anew: that costs more
/// than a third of the run time. Raising the thresholds (process-wide, once, and only where the
/// user has not tuned malloc through `GLIBC_TUNABLES`) took 512 passages from ~13 to ~28 per
/// second on a 2-core machine at no cost in peak memory.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::raw::c_int;
        extern "C" {
            fn mallopt(param: c_int, value: c_int) -> c_int;
        }
        const M_TRIM_THRESHOLD: c_int = -1;
        const M_MMAP_THRESHOLD: c_int = -3;
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            if std::env::var_os("GLIBC_TUNABLES").is_some() {
                return;
            }
            // SAFETY: mallopt is glibc's documented, thread-safe tuning call; these parameters
            // only change when memory is returned to the kernel. 32 MiB is the largest mmap
            // threshold glibc accepts.
            unsafe {
                mallopt(M_MMAP_THRESHOLD, 32 << 20);
                mallopt(M_TRIM_THRESHOLD, 512 << 20);
            }
        });
    }
}
