//! The embedder: tokenizer + BERT forward pass + attention-masked mean pooling + L2 norm.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use rayon::prelude::*;
use tokenizers::{Tokenizer, TruncationParams};

use crate::error::{Error, Result};
use crate::model::{verify_model, CONFIG, SAFETENSORS, TOKENIZER};

/// Longest input in tokens, [CLS] and [SEP] included; longer texts are truncated (the model was
/// trained with this limit).
const MAX_TOKENS: usize = 256;
/// Most texts in one forward pass (short texts, such as queries).
const MAX_BATCH: usize = 64;
/// Bytes the largest activations of one forward pass may take: the attention scores,
/// `rows × 12 heads × width² × 4`, or the feed-forward layer, `rows × width × 1536 × 4`. Kept under
/// glibc's 32 MiB mmap ceiling (see [`tune_allocator`]) so that buffers are reused rather than
/// mapped and faulted in afresh for every operation: 256-token texts go 8 to a batch, 128-token
/// texts 32. This is the budget while candle spreads its element-wise operations over the cores
/// itself (the default), where fewer, larger operations contend less with the batches.
const BATCH_BYTES: usize = 24 << 20;
/// The budget when candle runs element-wise operations on the calling thread
/// (`CANDLE_NUM_THREADS=1`): each core then works through its own small batches, which fit its
/// cache better (256-token texts go 2 to a batch, 128-token texts 10).
const BATCH_BYTES_SERIAL_OPS: usize = 8 << 20;

/// all-MiniLM-L6-v2 on the CPU. Share one: `embed` takes `&self` and the type is `Send + Sync`.
///
/// `embed` runs one batch per core in its own thread pool. Candle also spreads element-wise
/// operations over the cores in a pool of its own, which then competes with the batches; a
/// program that mostly embeds should set `CANDLE_NUM_THREADS=1` before its first candle call
/// (e.g. first thing in `main`): 512 passages of 150 words went from ~30 to ~40 per second on a
/// 2-core machine. Candle reads the variable once, when its pool starts.
pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    /// Runs batches side by side, one per core; candle's matrix products run in it too.
    pool: rayon::ThreadPool,
    /// Activation bytes per forward pass: [`BATCH_BYTES`] or [`BATCH_BYTES_SERIAL_OPS`].
    batch_bytes: usize,
    /// The [PAD] token's id (0).
    pad_id: u32,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("model", &crate::MODEL_NAME)
            .finish_non_exhaustive()
    }
}

impl Embedder {
    /// Loads from `dir` after [`verify_model`]; CPU device.
    pub fn load(dir: &Path) -> Result<Embedder> {
        verify_model(dir)?;
        let device = Device::Cpu;

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
        // The shipped tokenizer.json pads every input to 128 tokens and truncates at 128. Turn
        // the tokenizer's padding off, as `embed` pads each batch to its longest text itself
        // (padding the whole input to its longest text would waste memory on large inputs), and
        // truncate at the model's 256.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| tokenizer_error(e.to_string()))?;

        let weights = dir.join(SAFETENSORS);
        // SAFETY: the file was just verified against its pinned checksum and is only read; as with
        // any mmap, it must not be modified while the embedder lives (`evident models fetch`
        // replaces the folder by rename, leaving the mapped file intact).
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, &device)? };
        let model = BertModel::load(vb, &config)?;
        let pad_id = config.pad_token_id as u32;
        let pool = rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("evident-embed-{i}"))
            .build()
            .map_err(|e| Error::Model(candle_core::Error::Msg(format!("thread pool: {e}"))))?;
        tune_allocator();
        let batch_bytes = if candle_core::utils::barrier_pool().n_workers() == 0 {
            BATCH_BYTES_SERIAL_OPS
        } else {
            BATCH_BYTES
        };
        Ok(Embedder {
            model,
            tokenizer,
            device,
            pool,
            batch_bytes,
            pad_id,
        })
    }

    /// L2-normalised mean-pooled embeddings (attention-mask-weighted mean over the last hidden
    /// state), one per text, in order. Texts longer than 256 tokens are truncated.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        // Tokenize everything at once (in parallel), then run the model on batches of texts of
        // similar length so that little compute goes to padding.
        let encodings = self
            .pool
            .install(|| self.tokenizer.encode_batch_fast(texts.to_vec(), true))
            .map_err(|e| Error::Tokenize(e.to_string()))?;
        let lengths: Vec<usize> = encodings.iter().map(|e| e.get_ids().len()).collect();
        // Longest first: the big batches start early and the short ones fill the tail.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(lengths[i]));
        let mut batches: Vec<&[usize]> = Vec::new();
        let mut rest = &order[..];
        while !rest.is_empty() {
            let rows = batch_rows(lengths[rest[0]], self.batch_bytes).min(rest.len());
            let (batch, tail) = rest.split_at(rows);
            batches.push(batch);
            rest = tail;
        }

        let run = |batch: &[usize]| -> Result<Vec<Vec<f32>>> {
            let width = lengths[batch[0]];
            let mut ids = Vec::with_capacity(batch.len() * width);
            let mut mask = Vec::with_capacity(batch.len() * width);
            // Pad on the right to the batch's longest text (the first) with [PAD]; the mask keeps
            // padding out of attention and out of the mean.
            for &i in batch {
                let text_ids = encodings[i].get_ids();
                ids.extend_from_slice(text_ids);
                ids.resize(ids.len() + width - text_ids.len(), self.pad_id);
                mask.resize(mask.len() + text_ids.len(), 1);
                mask.resize(mask.len() + width - text_ids.len(), 0);
            }
            self.forward(ids, mask, batch.len(), width)
        };
        // One batch per core at a time; this keeps both cores busy through the element-wise
        // steps that candle runs on one thread (GELU, softmax), which a single batch cannot.
        let results: Vec<Result<Vec<Vec<f32>>>> = self.pool.install(|| {
            batches
                .par_iter()
                .with_max_len(1)
                .map(|batch| run(batch))
                .collect()
        });

        let mut out = vec![Vec::new(); texts.len()];
        for (batch, rows) in batches.iter().zip(results) {
            for (&i, row) in batch.iter().zip(rows?) {
                out[i] = row;
            }
        }
        Ok(out)
    }

    /// The embedding of one text.
    pub fn embed_one(&self, text: &str) -> Result<Vec<f32>> {
        Ok(self.embed(&[text])?.pop().unwrap_or_default())
    }

    /// One forward pass over a `rows × width` batch of token ids; returns the pooled, normalised
    /// rows.
    fn forward(
        &self,
        ids: Vec<u32>,
        mask: Vec<u32>,
        rows: usize,
        width: usize,
    ) -> Result<Vec<Vec<f32>>> {
        let input_ids = Tensor::from_vec(ids, (rows, width), &self.device)?;
        let token_type_ids = input_ids.zeros_like()?;
        let mask = Tensor::from_vec(mask, (rows, width), &self.device)?;
        let hidden = self
            .model
            .forward(&input_ids, &token_type_ids, Some(&mask))?; // (rows, width, DIM)
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?; // (rows, width, 1)
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?; // (rows, DIM)
        let counts = mask.sum(1)?.clamp(1f32, f32::MAX)?; // (rows, 1)
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean
            .sqr()?
            .sum_keepdim(1)?
            .sqrt()?
            .clamp(1e-12f32, f32::MAX)?;
        Ok(mean.broadcast_div(&norms)?.to_vec2::<f32>()?)
    }
}

/// Texts of `width` tokens per forward pass, within `budget` bytes and [`MAX_BATCH`].
fn batch_rows(width: usize, budget: usize) -> usize {
    let width = width.max(1);
    let attention = 12 * width * width * 4;
    let feed_forward = width * 1536 * 4;
    (budget / attention.max(feed_forward)).clamp(1, MAX_BATCH)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_stay_within_the_activation_budget() {
        assert_eq!(batch_rows(MAX_TOKENS, BATCH_BYTES), 8);
        assert_eq!(batch_rows(128, BATCH_BYTES), 32);
        assert_eq!(batch_rows(MAX_TOKENS, BATCH_BYTES_SERIAL_OPS), 2);
        assert_eq!(batch_rows(128, BATCH_BYTES_SERIAL_OPS), 10);
        assert_eq!(batch_rows(10, BATCH_BYTES), MAX_BATCH);
        assert_eq!(batch_rows(0, BATCH_BYTES), MAX_BATCH);
        for budget in [BATCH_BYTES, BATCH_BYTES_SERIAL_OPS] {
            for width in 1..=MAX_TOKENS {
                let rows = batch_rows(width, budget);
                assert!((1..=MAX_BATCH).contains(&rows));
                assert!(rows * 12 * width * width * 4 <= budget);
                assert!(rows * width * 1536 * 4 <= budget);
            }
        }
    }
}
