//! Our forward pass for the two families we run: Qwen2 (biases on the query, key and value
//! projections, NEOX rotary pairs) and Llama (no biases, interleaved rotary pairs), both with
//! grouped-query attention, RMSNorm, a SiLU-gated MLP and a tied or separate output head.
//!
//! Why not candle's models: reading a prompt is a matrix-matrix product, which candle's
//! quantized kernels do at a quarter of the speed of a plain f32 gemm; writing the answer is a
//! matrix-vector product, bound by memory, where the 4–8 bit weights win by reading less. So
//! each linear layer keeps its quantized weights and, when the budget allows, an f32 copy:
//! chunks of more than [`DENSE_ROWS`] rows use the copy, single tokens the quantized weights.
//!
//! The attention needs no cached masks: the causal limit of each row is applied in the
//! softmax itself, and grouped queries share their key/value head without copying it.

use std::sync::Arc;

use candle_core::quantized::{gguf_file, QMatMul, QTensor};
use candle_core::{bail, Device, Module, Result, Tensor};
use candle_transformers::quantized_nn::RmsNorm;

/// A chunk of more rows than this multiplies with the f32 copies (when there are any): below
/// it the quantized kernels, which read 4–6× fewer bytes, are as fast or faster.
pub const DENSE_ROWS: usize = 8;

/// The seven matrices of a block that get f32 copies.
const LINEAR: [&str; 7] = [
    "attn_q",
    "attn_k",
    "attn_v",
    "attn_output",
    "ffn_gate",
    "ffn_up",
    "ffn_down",
];

/// Score entries above which the softmax is split across threads.
const PARALLEL_SCORES: usize = 1 << 16;

/// A linear layer `x · Wᵀ (+ b)`.
struct Linear {
    quantized: QMatMul,
    /// The same weights dequantized, for chunks of many rows.
    dense: Option<Tensor>,
    bias: Option<Tensor>,
}

impl Linear {
    /// `x` is (rows, in), contiguous.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = match &self.dense {
            Some(w) if x.dim(0)? > DENSE_ROWS => x.matmul(&w.t()?)?,
            _ => self.quantized.forward(x)?,
        };
        match &self.bias {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }
}

struct Block {
    attn_norm: RmsNorm,
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
    ffn_norm: RmsNorm,
    gate: Linear,
    up: Linear,
    down: Linear,
    /// Keys and values of the tokens read so far, (kv heads, tokens, head dim) each.
    cache: Option<(Tensor, Tensor)>,
}

/// The token table: rows read straight from the quantized tensor when its blocks fit a row,
/// otherwise a dequantized copy.
enum Embeddings {
    Quantized(Arc<QTensor>),
    Dense(Tensor),
}

impl Embeddings {
    fn lookup(&self, ids: &Tensor) -> Result<Tensor> {
        match self {
            Embeddings::Quantized(t) => t.embedding(ids),
            Embeddings::Dense(t) => t.index_select(ids, 0),
        }
    }
}

/// Rotary position tables: cos and sin of position × frequency, `dims / 2` per position.
struct Rope {
    cos: Vec<f32>,
    sin: Vec<f32>,
    /// Leading dimensions of each head that rotate (the rest pass through).
    dims: usize,
    /// Llama pairs dimensions (2i, 2i+1); Qwen2 (NEOX) pairs (i, i + dims/2).
    interleaved: bool,
    positions: usize,
}

impl Rope {
    fn new(dims: usize, base: f32, positions: usize, interleaved: bool) -> Rope {
        let half = dims / 2;
        let freqs: Vec<f32> = (0..half)
            .map(|i| 1.0 / base.powf((2 * i) as f32 / dims as f32))
            .collect();
        let mut cos = Vec::with_capacity(positions * half);
        let mut sin = Vec::with_capacity(positions * half);
        for p in 0..positions {
            for f in &freqs {
                let angle = p as f32 * f;
                cos.push(angle.cos());
                sin.push(angle.sin());
            }
        }
        Rope {
            cos,
            sin,
            dims,
            interleaved,
            positions,
        }
    }

    /// Rotates `x`, (tokens, heads × head_dim) for positions `first..`, and returns it
    /// head-major: (heads, tokens, head_dim).
    fn rotate(&self, x: &Tensor, heads: usize, head_dim: usize, first: usize) -> Result<Tensor> {
        let tokens = x.dim(0)?;
        let src = x.flatten_all()?.to_vec1::<f32>()?;
        let mut dst = vec![0f32; src.len()];
        let half = self.dims / 2;
        for t in 0..tokens {
            let at = (first + t) * half;
            let (cos, sin) = (&self.cos[at..at + half], &self.sin[at..at + half]);
            for h in 0..heads {
                let from = &src[(t * heads + h) * head_dim..][..head_dim];
                let to = &mut dst[(h * tokens + t) * head_dim..][..head_dim];
                to[self.dims..].copy_from_slice(&from[self.dims..]);
                for i in 0..half {
                    let (a, b) = if self.interleaved {
                        (2 * i, 2 * i + 1)
                    } else {
                        (i, i + half)
                    };
                    to[a] = from[a] * cos[i] - from[b] * sin[i];
                    to[b] = from[a] * sin[i] + from[b] * cos[i];
                }
            }
        }
        Tensor::from_vec(dst, (heads, tokens, head_dim), x.device())
    }
}

/// A decoder-only chat model with its key/value cache.
pub struct Model {
    embeddings: Embeddings,
    blocks: Vec<Block>,
    norm: RmsNorm,
    head: QMatMul,
    rope: Rope,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    /// Tokens in the cache.
    len: usize,
    device: Device,
}

impl Model {
    /// Bytes the f32 copies of the file's linear layers would take.
    pub fn dense_bytes(content: &gguf_file::Content) -> usize {
        content
            .tensor_infos
            .iter()
            .filter(|(name, _)| is_linear(name))
            .map(|(_, info)| info.shape.elem_count() * 4)
            .sum()
    }

    /// Builds the model from `content` (Llama or Qwen2), with rotary tables for `positions`
    /// tokens and f32 copies of the linear layers when they take at most `dense_budget` bytes.
    pub fn from_gguf<R: std::io::Read + std::io::Seek>(
        content: &gguf_file::Content,
        reader: &mut R,
        positions: usize,
        dense_budget: usize,
        device: &Device,
    ) -> Result<Model> {
        let arch = match content.metadata.get("general.architecture") {
            Some(gguf_file::Value::String(a)) => a.clone(),
            _ => bail!("general.architecture is missing"),
        };
        let interleaved = match arch.as_str() {
            "llama" => true,
            "qwen2" => false,
            other => bail!("architecture {other:?} is not supported (llama or qwen2)"),
        };
        let meta = |key: &str| {
            content
                .metadata
                .get(&format!("{arch}.{key}"))
                .ok_or_else(|| candle_core::Error::Msg(format!("{arch}.{key} is missing")))
        };
        let heads = meta("attention.head_count")?.to_u32()? as usize;
        let kv_heads = meta("attention.head_count_kv")?.to_u32()? as usize;
        let hidden = meta("embedding_length")?.to_u32()? as usize;
        let blocks = meta("block_count")?.to_u32()? as usize;
        let eps = f64::from(meta("attention.layer_norm_rms_epsilon")?.to_f32()?);
        let base = meta("rope.freq_base")
            .and_then(|v| v.to_f32())
            .unwrap_or(10_000.0);
        if heads == 0
            || kv_heads == 0
            || !hidden.is_multiple_of(heads)
            || !heads.is_multiple_of(kv_heads)
        {
            bail!("{heads} heads, {kv_heads} key/value heads and width {hidden} do not fit");
        }
        let head_dim = hidden / heads;
        let rope_dims = meta("rope.dimension_count")
            .and_then(|v| v.to_u32())
            .map_or(head_dim, |n| n as usize);
        if rope_dims > head_dim || !rope_dims.is_multiple_of(2) {
            bail!("{rope_dims} rotary dimensions do not fit heads of {head_dim}");
        }
        let dense = Model::dense_bytes(content) <= dense_budget;

        let mut read = |name: &str| content.tensor(reader, name, device);
        let token_table = Arc::new(read("token_embd.weight")?);
        let embeddings = if hidden.is_multiple_of(token_table.dtype().block_size()) {
            Embeddings::Quantized(token_table.clone())
        } else {
            Embeddings::Dense(token_table.dequantize(device)?)
        };
        let norm = RmsNorm::from_qtensor(read("output_norm.weight")?, eps)?;
        let head = if content.tensor_infos.contains_key("output.weight") {
            QMatMul::from_qtensor(read("output.weight")?)?
        } else {
            QMatMul::from_arc(token_table)?
        };
        let mut layers = Vec::with_capacity(blocks);
        for i in 0..blocks {
            let p = format!("blk.{i}");
            layers.push(Block {
                q: linear(content, reader, &format!("{p}.attn_q"), dense, device)?,
                k: linear(content, reader, &format!("{p}.attn_k"), dense, device)?,
                v: linear(content, reader, &format!("{p}.attn_v"), dense, device)?,
                out: linear(content, reader, &format!("{p}.attn_output"), dense, device)?,
                gate: linear(content, reader, &format!("{p}.ffn_gate"), dense, device)?,
                up: linear(content, reader, &format!("{p}.ffn_up"), dense, device)?,
                down: linear(content, reader, &format!("{p}.ffn_down"), dense, device)?,
                attn_norm: RmsNorm::from_qtensor(
                    content.tensor(reader, &format!("{p}.attn_norm.weight"), device)?,
                    eps,
                )?,
                ffn_norm: RmsNorm::from_qtensor(
                    content.tensor(reader, &format!("{p}.ffn_norm.weight"), device)?,
                    eps,
                )?,
                cache: None,
            });
        }
        Ok(Model {
            embeddings,
            blocks: layers,
            norm,
            head,
            rope: Rope::new(rope_dims, base, positions, interleaved),
            heads,
            kv_heads,
            head_dim,
            len: 0,
            device: device.clone(),
        })
    }

    /// Whether the linear layers have f32 copies for reading prompts.
    #[cfg(test)]
    pub fn has_dense(&self) -> bool {
        self.blocks.iter().all(|b| b.q.dense.is_some())
    }

    /// Drops the key/value cache: the next [`forward`](Self::forward) starts a new text.
    pub fn clear(&mut self) {
        self.len = 0;
        for block in &mut self.blocks {
            block.cache = None;
        }
    }

    /// Reads `tokens` after those in the cache and returns the logits (vocabulary,) that
    /// predict the token after the last of them.
    pub fn forward(&mut self, tokens: &[u32]) -> Result<Tensor> {
        let count = tokens.len();
        if count == 0 {
            bail!("no tokens to read");
        }
        if self.len + count > self.rope.positions {
            bail!(
                "{} tokens pass the {} positions of the rotary tables",
                self.len + count,
                self.rope.positions
            );
        }
        let ids = Tensor::new(tokens, &self.device)?;
        let mut x = self.embeddings.lookup(&ids)?;
        for i in 0..self.blocks.len() {
            let h = self.blocks[i].attn_norm.forward(&x)?;
            let h = self.attend(i, &h)?;
            x = (x + h)?;
            let block = &self.blocks[i];
            let h = block.ffn_norm.forward(&x)?;
            let h = (block.gate.forward(&h)?.silu()? * block.up.forward(&h)?)?;
            x = (x + block.down.forward(&h)?)?;
        }
        self.len += count;
        let last = self.norm.forward(&x.narrow(0, count - 1, 1)?)?;
        self.head.forward(&last)?.squeeze(0)
    }

    /// Self-attention of block `i` over the cache and `x` (tokens, width); stores the keys
    /// and values of `x` in the cache.
    fn attend(&mut self, i: usize, x: &Tensor) -> Result<Tensor> {
        let (heads, kv_heads, head_dim) = (self.heads, self.kv_heads, self.head_dim);
        let tokens = x.dim(0)?;
        let block = &mut self.blocks[i];
        let q = self
            .rope
            .rotate(&block.q.forward(x)?, heads, head_dim, self.len)?;
        let k = self
            .rope
            .rotate(&block.k.forward(x)?, kv_heads, head_dim, self.len)?;
        let v = block
            .v
            .forward(x)?
            .reshape((tokens, kv_heads, head_dim))?
            .transpose(0, 1)?
            .contiguous()?;
        let (k, v) = match block.cache.take() {
            Some((ck, cv)) => (Tensor::cat(&[&ck, &k], 1)?, Tensor::cat(&[&cv, &v], 1)?),
            None => (k, v),
        };
        block.cache = Some((k.clone(), v.clone()));
        let keys = k.dim(1)?;
        // The query heads of one group, stacked, meet their shared key/value head at once.
        let group = heads / kv_heads;
        let q = q.reshape((kv_heads, group * tokens, head_dim))?;
        let scores = q.matmul(&k.t()?)?;
        let mut scores = scores.flatten_all()?.to_vec1::<f32>()?;
        causal_softmax(&mut scores, keys, tokens, 1.0 / (head_dim as f32).sqrt());
        let weights = Tensor::from_vec(scores, (kv_heads, group * tokens, keys), &self.device)?;
        let y = weights
            .matmul(&v)?
            .reshape((heads, tokens, head_dim))?
            .transpose(0, 1)?
            .contiguous()?
            .reshape((tokens, heads * head_dim))?;
        block.out.forward(&y)
    }
}

/// The linear layer `name` (`blk.N.attn_q`, ...): its weight, with an f32 copy when `dense`
/// and the weight is quantized, and its bias if the file has one.
fn linear<R: std::io::Read + std::io::Seek>(
    content: &gguf_file::Content,
    reader: &mut R,
    name: &str,
    dense: bool,
    device: &Device,
) -> Result<Linear> {
    let quantized =
        QMatMul::from_qtensor(content.tensor(reader, &format!("{name}.weight"), device)?)?;
    // Float weights (or CANDLE_DEQUANTIZE_ALL) are already dense.
    let dense = match &quantized {
        QMatMul::QTensor(w) if dense => Some(w.dequantize(device)?),
        _ => None,
    };
    let bias_name = format!("{name}.bias");
    let bias = if content.tensor_infos.contains_key(&bias_name) {
        Some(
            content
                .tensor(reader, &bias_name, device)?
                .dequantize(device)?,
        )
    } else {
        None
    };
    Ok(Linear {
        quantized,
        dense,
        bias,
    })
}

fn is_linear(name: &str) -> bool {
    name.strip_prefix("blk.")
        .and_then(|rest| rest.split_once('.'))
        .and_then(|(_, rest)| rest.strip_suffix(".weight"))
        .is_some_and(|kind| LINEAR.contains(&kind))
}

/// Softmax of `scale × scores` along rows of `keys`, each row limited to the keys its query
/// may see: the rows are (group, query) with `queries` queries, the last of which sees every
/// key. Hidden keys get weight 0.
fn causal_softmax(scores: &mut [f32], keys: usize, queries: usize, scale: f32) {
    let past = keys - queries;
    let rows = scores.len() / keys;
    let threads = if scores.len() < PARALLEL_SCORES {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(rows))
    };
    let per = rows.div_ceil(threads);
    let run = |first: usize, chunk: &mut [f32]| {
        for (r, row) in chunk.chunks_mut(keys).enumerate() {
            let seen = past + (first + r) % queries + 1;
            softmax_row(row, seen, scale);
        }
    };
    if threads == 1 {
        run(0, scores);
        return;
    }
    std::thread::scope(|scope| {
        for (n, chunk) in scores.chunks_mut(per * keys).enumerate() {
            scope.spawn(move || run(n * per, chunk));
        }
    });
}

fn softmax_row(row: &mut [f32], seen: usize, scale: f32) {
    let (live, hidden) = row.split_at_mut(seen);
    let max = live
        .iter()
        .fold(f32::NEG_INFINITY, |m, &x| m.max(x * scale));
    let mut sum = 0.0;
    for x in live.iter_mut() {
        *x = (*x * scale - max).exp();
        sum += *x;
    }
    for x in live.iter_mut() {
        *x /= sum;
    }
    hidden.fill(0.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_names_are_the_block_matrices() {
        assert!(is_linear("blk.0.attn_q.weight"));
        assert!(is_linear("blk.23.ffn_down.weight"));
        assert!(!is_linear("blk.0.attn_q.bias"));
        assert!(!is_linear("blk.0.attn_norm.weight"));
        assert!(!is_linear("token_embd.weight"));
        assert!(!is_linear("output.weight"));
    }

    #[test]
    fn the_causal_softmax_hides_later_keys_and_sums_to_one() {
        // Two groups of three queries over five keys (two already cached).
        let mut scores: Vec<f32> = (0..30).map(|i| (i % 7) as f32).collect();
        causal_softmax(&mut scores, 5, 3, 0.5);
        for (r, row) in scores.chunks(5).enumerate() {
            let seen = 2 + r % 3 + 1;
            assert!(row[seen..].iter().all(|&w| w == 0.0), "row {r}: {row:?}");
            let sum: f32 = row.iter().sum();
            assert!((sum - 1.0).abs() < 1e-6, "row {r} sums to {sum}");
        }
        // A row's weights follow its scores.
        let mut one = vec![0.0, 2.0_f32.ln() / 0.5];
        causal_softmax(&mut one, 2, 1, 0.5);
        assert!((one[1] / one[0] - 2.0).abs() < 1e-5, "{one:?}");
    }

    #[test]
    fn rotation_turns_pairs_by_the_position_angle() {
        let rope = Rope::new(4, 10_000.0, 8, false);
        // One token at position 3, one head of 4: pairs (0, 2) and (1, 3).
        let x = Tensor::new(&[[1f32, 0.0, 0.0, 1.0]], &Device::Cpu).unwrap();
        let y = rope.rotate(&x, 1, 4, 3).unwrap().flatten_all().unwrap();
        let y = y.to_vec1::<f32>().unwrap();
        let (a0, a1) = (3.0f32, 3.0 * 10_000f32.powf(-0.5));
        let want = [a0.cos(), -a1.sin(), a0.sin(), a1.cos()];
        for (got, want) in y.iter().zip(want) {
            assert!((got - want).abs() < 1e-6, "{y:?}");
        }
        // Interleaved pairs (0, 1) and (2, 3).
        let rope = Rope::new(4, 10_000.0, 8, true);
        let y = rope.rotate(&x, 1, 4, 3).unwrap().flatten_all().unwrap();
        let y = y.to_vec1::<f32>().unwrap();
        let want = [a0.cos(), a0.sin(), -a1.sin(), a1.cos()];
        for (got, want) in y.iter().zip(want) {
            assert!((got - want).abs() < 1e-6, "{y:?}");
        }
    }

    /// Our forward pass against candle's `quantized_qwen2` / `quantized_llama` on the same
    /// (requantized) weights, on the pinned models in `$EVIDENT_GENERATOR_MODEL_DIR`.
    mod against_candle {
        use std::path::PathBuf;

        use candle_transformers::models::{quantized_llama, quantized_qwen2};

        use super::*;
        use crate::embedded::chat::ChatMl;
        use crate::embedded::tokenizer::GgufTokenizer;
        use crate::embedded::{read_content, with_fast_types, PROMPT_CHUNK};
        use crate::{GeneratorModel, Request};

        enum Reference {
            Llama(quantized_llama::ModelWeights),
            Qwen2(quantized_qwen2::ModelWeights),
        }

        impl Reference {
            fn forward(&mut self, tokens: &[u32], position: usize) -> Tensor {
                let input = Tensor::new(tokens, &Device::Cpu)
                    .unwrap()
                    .unsqueeze(0)
                    .unwrap();
                let logits = match self {
                    Reference::Llama(m) => m.forward(&input, position),
                    Reference::Qwen2(m) => m.forward(&input, position),
                };
                logits.unwrap().squeeze(0).unwrap()
            }
        }

        fn model_path(which: GeneratorModel) -> Option<PathBuf> {
            let Some(dir) = std::env::var_os("EVIDENT_GENERATOR_MODEL_DIR") else {
                eprintln!("skipping: EVIDENT_GENERATOR_MODEL_DIR is not set");
                return None;
            };
            let path = which.path(std::path::Path::new(&dir));
            if !path.is_file() {
                eprintln!("skipping: {} is absent", path.display());
                return None;
            }
            Some(path)
        }

        /// Largest difference from the reference, relative to the reference's largest logit.
        fn relative_diff(ours: &Tensor, reference: &Tensor) -> f32 {
            let a = ours.to_vec1::<f32>().unwrap();
            let b = reference.to_vec1::<f32>().unwrap();
            assert_eq!(a.len(), b.len());
            let scale = b.iter().fold(0f32, |m, x| m.max(x.abs()));
            let diff = a
                .iter()
                .zip(&b)
                .fold(0f32, |m, (x, y)| m.max((x - y).abs()));
            diff / scale
        }

        fn max_abs_diff(ours: &Tensor, reference: &Tensor) -> f32 {
            let diff = (ours - reference).unwrap().abs().unwrap();
            diff.max(0).unwrap().to_scalar::<f32>().unwrap()
        }

        fn logit(logits: &Tensor, token: u32) -> f32 {
            logits
                .get(token as usize)
                .unwrap()
                .to_scalar::<f32>()
                .unwrap()
        }

        fn argmax(logits: &Tensor) -> u32 {
            let v = logits.to_vec1::<f32>().unwrap();
            let best = (0..v.len()).max_by(|&i, &j| v[i].total_cmp(&v[j])).unwrap();
            best as u32
        }

        /// A made-up text of about 300 tokens, in ChatML.
        fn prompt(tokenizer: &GgufTokenizer, chat: &ChatMl) -> Vec<u32> {
            let mut user = String::new();
            for i in 0..12 {
                user.push_str(&format!(
                    "Visit {i}: the nurse measured the blood pressure twice, wrote both \
                     readings down and asked about dizziness. "
                ));
            }
            user.push_str("Summarise what happens at each visit in two sentences.");
            let req = Request::new("You are a careful clinical writer.", user, 32);
            chat.prompt(tokenizer, &req).unwrap()
        }

        /// Reads the prompt in chunks with candle's model and ours (with and without the f32
        /// copies), then takes 32 greedy steps, comparing the logits all along.
        fn matches_candle(which: GeneratorModel) {
            let Some(path) = model_path(which) else {
                return;
            };
            let device = Device::Cpu;
            let (content, mut file) = read_content(&path, which.name()).unwrap();
            let tokenizer = GgufTokenizer::from_metadata(&content.metadata, &path).unwrap();
            let chat = ChatMl::of(&tokenizer, &path).unwrap();
            let (content, mut data) = with_fast_types(content, &mut file, &device).unwrap();
            let mut dense =
                Model::from_gguf(&content, &mut data, 4096, usize::MAX, &device).unwrap();
            let mut quantized = Model::from_gguf(&content, &mut data, 4096, 0, &device).unwrap();
            assert!(dense.has_dense() && !quantized.has_dense());
            let mut reference = match &content.metadata["general.architecture"] {
                gguf_file::Value::String(a) if a == "qwen2" => Reference::Qwen2(
                    quantized_qwen2::ModelWeights::from_gguf(content, &mut data, &device).unwrap(),
                ),
                _ => Reference::Llama(
                    quantized_llama::ModelWeights::from_gguf(content, &mut data, &device).unwrap(),
                ),
            };

            let prompt = prompt(&tokenizer, &chat);
            // A few tokens, where the sums are short enough to be added in the same order:
            // all but equal.
            let few = &prompt[..6];
            let d = relative_diff(&quantized.forward(few).unwrap(), &reference.forward(few, 0));
            assert!(d < 1e-4, "{which}: {} tokens differ by {d}", few.len());
            for (i, &token) in prompt[6..9].iter().enumerate() {
                let ours = quantized.forward(&[token]).unwrap();
                let d = relative_diff(&ours, &reference.forward(&[token], 6 + i));
                assert!(
                    d < 1e-4,
                    "{which}: step {i} after {} tokens differs by {d}",
                    few.len()
                );
            }
            quantized.clear();

            assert!(
                prompt.len() > PROMPT_CHUNK + DENSE_ROWS,
                "{} prompt tokens",
                prompt.len()
            );
            let (mut ours_dense, mut ours_quantized, mut theirs) = (None, None, None);
            for (i, chunk) in prompt.chunks(PROMPT_CHUNK).enumerate() {
                ours_dense = Some(dense.forward(chunk).unwrap());
                ours_quantized = Some(quantized.forward(chunk).unwrap());
                theirs = Some(reference.forward(chunk, i * PROMPT_CHUNK));
            }
            let (mut ours_dense, mut ours_quantized, mut theirs) = (
                ours_dense.unwrap(),
                ours_quantized.unwrap(),
                theirs.unwrap(),
            );
            let mut written = Vec::new();
            let mut near_ties = 0;
            for step in 0..32 {
                let d = relative_diff(&ours_dense, &theirs);
                let q = relative_diff(&ours_quantized, &theirs);
                eprintln!(
                    "{which} step {step}: relative difference f32 {d:.2e}, quantized {q:.2e}"
                );
                // The prompt and four single tokens: the logits agree within the noise of
                // candle's quantized kernels, which round each row of activations to 8 bits:
                // candle itself moves by 1.5-2e-2 when the same prompt is read in chunks of
                // 100 instead of 256.
                if step <= 4 {
                    assert!(d < 5e-2, "{which} step {step}: f32 copies differ by {d}");
                    assert!(q < 5e-2, "{which} step {step}: quantized differs by {q}");
                }
                let token = argmax(&theirs);
                for (ours, label) in [(&ours_dense, "f32 copies"), (&ours_quantized, "quantized")] {
                    let choice = argmax(ours);
                    if choice != token {
                        // Only a near tie may go the other way: the reference's own logits of
                        // the two tokens are closer than the two passes differ.
                        let gap = logit(&theirs, token) - logit(&theirs, choice);
                        let noise = max_abs_diff(ours, &theirs);
                        eprintln!("{which} step {step} ({label}): {choice} for {token}, a gap of {gap} under noise {noise}");
                        assert!(gap < noise, "{which} step {step} ({label}): {choice} for {token}, gap {gap}, noise {noise}");
                        near_ties += 1;
                    }
                }
                written.push(token);
                let position = prompt.len() + step;
                ours_dense = dense.forward(&[token]).unwrap();
                ours_quantized = quantized.forward(&[token]).unwrap();
                theirs = reference.forward(&[token], position);
            }
            assert!(
                near_ties <= 4,
                "{which}: {near_ties} near ties in 32 steps of two passes"
            );
            eprintln!(
                "{which} wrote: {:?}",
                tokenizer.decode(&written).unwrap_or_default()
            );
        }

        #[test]
        fn qwen2_matches_candle_on_a_chunked_prompt_and_greedy_steps() {
            matches_candle(GeneratorModel::QwenCoder0_5b);
        }

        #[test]
        fn llama_matches_candle_on_a_chunked_prompt_and_greedy_steps() {
            matches_candle(GeneratorModel::SmolLm2_135m);
        }
    }
}
