//! A BERT encoder forward pass for inference on the CPU, written for throughput.
//!
//! candle-transformers' `BertModel` (kept as the reference: a test checks that both agree)
//! spends about half its time outside matrix products: GELU calls `erf` per element, softmax
//! makes five passes with a fresh tensor each, and every sequence is padded to the longest of
//! its batch. Here:
//! - sequences are **packed** (no padding): the dense layers run on all tokens of a batch as one
//!   matrix, and attention runs per sequence over exactly its own tokens, so no mask is needed;
//! - matrix products go straight to `gemm` (the kernels candle itself uses), one thread each
//!   for a batch of texts; one short text (a query) shares its products and its attention heads
//!   among the pool's threads;
//! - GELU and softmax are single passes with polynomial `exp` and `erf` that the compiler
//!   vectorises (errors of a few units in the last place, far below the model's own noise).
//!
//! The weights are read with candle's safetensors loader. For queries, where latency is one
//! short text, the dense layers can run on int8 copies of the weights instead
//! ([`Precision::Int8`], see [`int8`]).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};

use crate::error::{Error, Result};

mod crew;
mod int8;

use crew::Crew;
use int8::{QuantDense, QuantScratch};

/// How the dense layers compute their products.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// f32 weights and products: the model as trained (passages, and the reference).
    F32,
    /// int8 weights, i16 inputs, exact integer sums: a quarter of the weight bytes, for the
    /// latency of one query (its embedding stays within about 1% of the f32 one in cosine).
    Int8,
}

/// The hyper-parameters we need from `config.json`.
#[derive(Debug, Clone)]
pub struct Shape {
    pub hidden: usize,
    pub heads: usize,
    pub intermediate: usize,
    pub layers: usize,
    pub max_positions: usize,
    pub eps: f32,
}

struct Dense {
    /// Row-major (in × out): stored (out × in) in the file, transposed once at load, so that
    /// the products read it row by row.
    weight: Vec<f32>,
    bias: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

struct Layer {
    /// Query, key and value stacked: one product gives all three.
    qkv: Dense,
    attn_out: Dense,
    attn_norm: Norm,
    up: Dense,
    down: Dense,
    out_norm: Norm,
}

/// A layer's four products with int8 weights (its biases and norms are the f32 layer's).
struct QuantLayer {
    qkv: QuantDense,
    attn_out: QuantDense,
    up: QuantDense,
    down: QuantDense,
}

pub struct Bert {
    shape: Shape,
    word: Vec<f32>,
    position: Vec<f32>,
    token_type: Vec<f32>,
    embed_norm: Norm,
    layers: Vec<Layer>,
    /// The same layers with int8 weights, for [`Precision::Int8`].
    quant: Vec<QuantLayer>,
    vocab: usize,
}

struct Weights {
    tensors: HashMap<String, Tensor>,
    prefix: &'static str,
    path: String,
}

impl Weights {
    fn get(&self, name: &str, len: usize) -> Result<Vec<f32>> {
        let full = format!("{}{name}", self.prefix);
        let bad = |why: String| Error::Config {
            path: self.path.clone(),
            why,
        };
        let t = self
            .tensors
            .get(&full)
            .ok_or_else(|| bad(format!("tensor {full} is missing")))?;
        let v = t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
        if v.len() != len {
            return Err(bad(format!(
                "tensor {full} has {} values, expected {len}",
                v.len()
            )));
        }
        Ok(v)
    }

    fn dense(&self, name: &str, inputs: usize, outputs: usize) -> Result<Dense> {
        Ok(Dense {
            weight: self.get(&format!("{name}.weight"), inputs * outputs)?,
            bias: self.get(&format!("{name}.bias"), outputs)?,
            inputs,
            outputs,
        })
    }

    /// A dense layer, its weight transposed to (in × out).
    fn linear(&self, name: &str, inputs: usize, outputs: usize) -> Result<Dense> {
        Ok(self.dense(name, inputs, outputs)?.transposed())
    }

    fn norm(&self, name: &str, hidden: usize) -> Result<Norm> {
        Ok(Norm {
            gamma: self.get(&format!("{name}.weight"), hidden)?,
            beta: self.get(&format!("{name}.bias"), hidden)?,
        })
    }
}

impl Dense {
    /// (out × in) → (in × out).
    fn transposed(mut self) -> Dense {
        let mut t = vec![0.0f32; self.weight.len()];
        for o in 0..self.outputs {
            for i in 0..self.inputs {
                t[i * self.outputs + o] = self.weight[o * self.inputs + i];
            }
        }
        self.weight = t;
        self
    }
}

/// Stacks (out × in) layers that share their input into one.
fn stack(parts: [Dense; 3]) -> Dense {
    let inputs = parts[0].inputs;
    let mut weight = Vec::new();
    let mut bias = Vec::new();
    let mut outputs = 0;
    for p in parts {
        weight.extend(p.weight);
        bias.extend(p.bias);
        outputs += p.outputs;
    }
    Dense {
        weight,
        bias,
        inputs,
        outputs,
    }
}

impl Bert {
    pub fn load(
        weights_path: &Path,
        shape: Shape,
        vocab: usize,
        type_vocab: usize,
    ) -> Result<Bert> {
        let tensors = candle_core::safetensors::load(weights_path, &Device::Cpu)?;
        let prefix = if tensors.contains_key("embeddings.word_embeddings.weight") {
            ""
        } else {
            "bert."
        };
        let w = Weights {
            tensors,
            prefix,
            path: weights_path.display().to_string(),
        };
        let h = shape.hidden;
        let mut layers = Vec::with_capacity(shape.layers);
        for i in 0..shape.layers {
            let p = format!("encoder.layer.{i}");
            layers.push(Layer {
                qkv: stack([
                    w.dense(&format!("{p}.attention.self.query"), h, h)?,
                    w.dense(&format!("{p}.attention.self.key"), h, h)?,
                    w.dense(&format!("{p}.attention.self.value"), h, h)?,
                ])
                .transposed(),
                attn_out: w.linear(&format!("{p}.attention.output.dense"), h, h)?,
                attn_norm: w.norm(&format!("{p}.attention.output.LayerNorm"), h)?,
                up: w.linear(&format!("{p}.intermediate.dense"), h, shape.intermediate)?,
                down: w.linear(&format!("{p}.output.dense"), shape.intermediate, h)?,
                out_norm: w.norm(&format!("{p}.output.LayerNorm"), h)?,
            });
        }
        let quant = layers
            .iter()
            .map(|l| QuantLayer {
                qkv: QuantDense::new(&l.qkv),
                attn_out: QuantDense::new(&l.attn_out),
                up: QuantDense::new(&l.up),
                down: QuantDense::new(&l.down),
            })
            .collect();
        Ok(Bert {
            quant,
            word: w.get("embeddings.word_embeddings.weight", vocab * h)?,
            position: w.get(
                "embeddings.position_embeddings.weight",
                shape.max_positions * h,
            )?,
            token_type: w.get("embeddings.token_type_embeddings.weight", type_vocab * h)?,
            embed_norm: w.norm("embeddings.LayerNorm", h)?,
            layers,
            vocab,
            shape,
        })
    }

    /// Mean-pooled, L2-normalised embeddings of token-id sequences (token type 0 throughout).
    pub fn embed(&self, sequences: &[&[u32]], precision: Precision) -> Vec<Vec<f32>> {
        let h = self.shape.hidden;
        let total: usize = sequences.iter().map(|s| s.len()).sum();
        let mut x = vec![0.0f32; total * h];
        let mut row = 0;
        for seq in sequences {
            for (t, &id) in seq.iter().enumerate() {
                let id = (id as usize).min(self.vocab - 1);
                let t = t.min(self.shape.max_positions - 1);
                let out = &mut x[row * h..(row + 1) * h];
                let word = &self.word[id * h..(id + 1) * h];
                let pos = &self.position[t * h..(t + 1) * h];
                for i in 0..h {
                    out[i] = word[i] + pos[i] + self.token_type[i];
                }
                row += 1;
            }
        }
        layer_norm(&mut x, &self.embed_norm, h, self.shape.eps);

        let lens: Vec<usize> = sequences.iter().map(|s| s.len()).collect();
        let mut pass = |crew: Option<&Crew>| {
            let mut scratch = Scratch::default();
            for (layer, quant) in self.layers.iter().zip(&self.quant) {
                let int8 = crew.map(|crew| (quant, crew));
                self.layer(layer, int8, &mut x, &lens, &mut scratch);
            }
        };
        match precision {
            // The int8 weights serve queries, one short text per pass: the pool's threads are
            // held for the whole pass and share its products and attention heads without
            // sleeping between them (see `crew`).
            Precision::Int8 => crew::with_crew(|crew| pass(Some(crew))),
            Precision::F32 => pass(None),
        }

        let mut out = Vec::with_capacity(sequences.len());
        let mut start = 0;
        for &len in &lens {
            let mut mean = vec![0.0f32; h];
            for r in start..start + len {
                for (m, v) in mean.iter_mut().zip(&x[r * h..(r + 1) * h]) {
                    *m += v;
                }
            }
            let n = len.max(1) as f32;
            mean.iter_mut().for_each(|m| *m /= n);
            let norm = mean.iter().map(|m| m * m).sum::<f32>().sqrt().max(1e-12);
            mean.iter_mut().for_each(|m| *m /= norm);
            out.push(mean);
            start += len;
        }
        out
    }

    fn layer(
        &self,
        layer: &Layer,
        int8: Option<(&QuantLayer, &Crew)>,
        x: &mut [f32],
        lens: &[usize],
        s: &mut Scratch,
    ) {
        let h = self.shape.hidden;
        let rows = x.len() / h;
        let heads = self.shape.heads;
        let head = h / heads;
        let scale = 1.0 / (head as f32).sqrt();

        let q = &mut s.quant;
        product(
            x,
            rows,
            &layer.qkv,
            int8.map(|(l, crew)| (&l.qkv, crew)),
            None,
            &mut s.qkv,
            q,
        );
        // Every row of every head is gathered into it below: only new length is zeroed.
        s.ctx.truncate(rows * h);
        s.ctx.resize(rows * h, 0.0);
        let stride = 3 * h;
        let mut start = 0;
        for &len in lens {
            if len == 0 {
                continue;
            }
            let qkv = &s.qkv[start * stride..(start + len) * stride];
            // Each head's scores (len × len) and context (len × head) in its own block, so
            // that the heads can run on different threads. `attend` writes every value of its
            // blocks before reading any, so the buffers are not cleared.
            grow(&mut s.scores, heads * len * len);
            grow(&mut s.heads, heads * len * head);
            let scores = &mut s.scores[..heads * len * len];
            let contexts = &mut s.heads[..heads * len * head];
            let task = |(hd, (scores, ctx)): (usize, (&mut [f32], &mut [f32]))| {
                attend(qkv, h, hd * head, head, len, scale, scores, ctx);
            };
            let parallel = 2 * len * len * h >= ATTEND_PARALLEL_MIN;
            if let (Some((_, crew)), true) = (int8, parallel) {
                crew.run_chunks(scores, len * len, contexts, len * head, |hd, s, c| {
                    task((hd, (s, c)))
                });
            } else if rows < FEW_ROWS && parallel {
                // One short text: its heads share the pool, as its products do.
                use rayon::prelude::*;
                scores
                    .par_chunks_mut(len * len)
                    .zip(contexts.par_chunks_mut(len * head))
                    .enumerate()
                    .for_each(task);
            } else {
                scores
                    .chunks_mut(len * len)
                    .zip(contexts.chunks_mut(len * head))
                    .enumerate()
                    .for_each(task);
            }
            // The heads' contexts side by side: row t of the sequence is head 0's row t, then
            // head 1's, …
            for (hd, block) in contexts.chunks_exact(len * head).enumerate() {
                for (t, part) in block.chunks_exact(head).enumerate() {
                    let at = (start + t) * h + hd * head;
                    s.ctx[at..at + head].copy_from_slice(part);
                }
            }
            start += len;
        }

        let q = &mut s.quant;
        let attn_out = int8.map(|(l, crew)| (&l.attn_out, crew));
        product(&s.ctx, rows, &layer.attn_out, attn_out, None, &mut s.tmp, q);
        add_assign(x, &s.tmp);
        layer_norm(x, &layer.attn_norm, h, self.shape.eps);

        let up = int8.map(|(l, crew)| (&l.up, crew));
        product(x, rows, &layer.up, up, Some(gelu_all), &mut s.up, q);
        product(
            &s.up,
            rows,
            &layer.down,
            int8.map(|(l, crew)| (&l.down, crew)),
            None,
            &mut s.tmp,
            q,
        );
        add_assign(x, &s.tmp);
        layer_norm(x, &layer.out_norm, h, self.shape.eps);
    }
}

/// Buffers reused from layer to layer.
#[derive(Default)]
struct Scratch {
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    scores: Vec<f32>,
    /// Per head, its context rows (heads × len × head).
    heads: Vec<f32>,
    up: Vec<f32>,
    tmp: Vec<f32>,
    quant: QuantScratch,
}

/// Attention of one head over one sequence: `scores` (len × len) = softmax(Q·Kᵀ · scale),
/// `ctx` (len × head) = scores · V, with Q, K and V this head's columns (from `col`) of the
/// sequence's stacked query/key/value rows (`qkv`, len × 3h).
#[allow(clippy::too_many_arguments)]
fn attend(
    qkv: &[f32],
    h: usize,
    col: usize,
    head: usize,
    len: usize,
    scale: f32,
    scores: &mut [f32],
    ctx: &mut [f32],
) {
    let stride = 3 * h;
    assert!(qkv.len() >= len * stride && col + head <= h);
    assert!(scores.len() >= len * len && ctx.len() >= len * head);
    let q = &qkv[col..];
    let k = &qkv[h + col..];
    let v = &qkv[2 * h + col..];
    // SAFETY: the strides reach rows 0..len of qkv (checked above), columns col..col+head of
    // each of its three parts, and the len × len and len × head blocks of scores and ctx.
    unsafe {
        gemm::gemm(
            len,
            len,
            head,
            scores.as_mut_ptr(),
            1,
            len as isize,
            false,
            q.as_ptr(),
            1,
            stride as isize,
            k.as_ptr(),
            stride as isize,
            1,
            0.0,
            scale,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
    softmax_rows(&mut scores[..len * len], len);
    // SAFETY: as above.
    unsafe {
        gemm::gemm(
            len,
            head,
            len,
            ctx.as_mut_ptr(),
            1,
            head as isize,
            false,
            scores.as_ptr(),
            1,
            len as isize,
            v.as_ptr(),
            1,
            stride as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// `linear` with the f32 weight, or with its int8 copy and the crew that shares its blocks when
/// they are given, then `post` on every output (the int8 product applies it block by block on
/// the threads that computed them).
fn product(
    x: &[f32],
    rows: usize,
    d: &Dense,
    int8: Option<(&QuantDense, &Crew)>,
    post: Option<fn(&mut [f32])>,
    out: &mut Vec<f32>,
    s: &mut QuantScratch,
) {
    match int8 {
        Some((q, crew)) => int8::linear(x, rows, q, &d.bias, post, out, s, crew),
        None => {
            linear(x, rows, d, out);
            if let Some(post) = post {
                post(out);
            }
        }
    }
}

/// Makes `v` at least `len` long, keeping what it holds (a scratch buffer whose values are all
/// written before they are read, so it need not be cleared between uses).
fn grow<T: Copy + Default>(v: &mut Vec<T>, len: usize) {
    if v.len() < len {
        v.resize(len, T::default());
    }
}

/// Below this many rows (a query, a short text) [`linear`] computes the transposed product,
/// and attention shares its heads among the pool's threads.
const FEW_ROWS: usize = 128;

/// Attention below this many multiply-adds per layer stays on one thread.
const ATTEND_PARALLEL_MIN: usize = 1 << 18;

/// out (rows × outputs) = x (rows × inputs) · W (inputs × outputs) + b
fn linear(x: &[f32], rows: usize, d: &Dense, out: &mut Vec<f32>) {
    out.clear();
    out.reserve(rows * d.outputs);
    for _ in 0..rows {
        out.extend_from_slice(&d.bias);
    }
    if rows < FEW_ROWS {
        // outᵀ (outputs × rows) = Wᵀ (outputs × inputs) · xᵀ (inputs × rows): with few rows,
        // the weight as the left operand is read in place, contiguous along the long side that
        // gemm's kernels vectorise over, instead of in strided slivers with most of each
        // kernel's rows empty (a one-question embedding took about 3× longer that way).
        // SAFETY: the same three row-major matrices as below, addressed through their
        // transposes: element (j, r) of outᵀ is out[r·outputs + j], (j, i) of Wᵀ is
        // W[i·outputs + j], (i, r) of xᵀ is x[r·inputs + i].
        unsafe {
            gemm::gemm(
                d.outputs,
                rows,
                d.inputs,
                out.as_mut_ptr(),
                d.outputs as isize,
                1,
                true,
                d.weight.as_ptr(),
                d.outputs as isize,
                1,
                x.as_ptr(),
                d.inputs as isize,
                1,
                1.0,
                1.0,
                false,
                false,
                false,
                // One text is one batch on one thread: let the pool's other threads share its
                // products (a batch of many texts keeps every thread busy on its own).
                gemm::Parallelism::Rayon(0),
            );
        }
        return;
    }
    // SAFETY: x is rows × inputs, the weight inputs × outputs, out rows × outputs; all
    // row-major.
    unsafe {
        gemm::gemm(
            rows,
            d.outputs,
            d.inputs,
            out.as_mut_ptr(),
            1,
            d.outputs as isize,
            true,
            x.as_ptr(),
            1,
            d.inputs as isize,
            d.weight.as_ptr(),
            1,
            d.outputs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Runs `$body` compiled for AVX-512 or AVX2+FMA when the CPU has them (the loops below are
/// written so that the compiler vectorises them at the width the features allow), else for the
/// baseline.
macro_rules! dispatch {
    ($name:ident ( $($arg:ident : $ty:ty),* ) $body:block) => {
        fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn body($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                unsafe fn avx512($($arg: $ty),*) {
                    body($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2($($arg: $ty),*) {
                    body($($arg),*)
                }
                if std::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU supports the features the function is compiled for.
                    return unsafe { avx512($($arg),*) };
                }
                if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                    // SAFETY: as above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}

/// Lanes of the partial sums in reductions: wide enough for AVX-512, and the order of
/// additions no longer forbids vectorising.
const LANES: usize = 16;

#[inline(always)]
fn sum(v: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let chunks = v.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..LANES {
            acc[i] += c[i];
        }
    }
    acc.iter().sum::<f32>() + rest.iter().sum::<f32>()
}

#[inline(always)]
fn max(v: &[f32]) -> f32 {
    let mut acc = [f32::MIN; LANES];
    let chunks = v.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..LANES {
            acc[i] = if c[i] > acc[i] { c[i] } else { acc[i] };
        }
    }
    acc.iter()
        .chain(rest)
        .fold(f32::MIN, |m, &x| if x > m { x } else { m })
}

dispatch!(add_assign(x: &mut [f32], y: &[f32]) {
    for (a, b) in x.iter_mut().zip(y) {
        *a += b;
    }
});

dispatch!(gelu_all(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v = gelu(*v);
    }
});

dispatch!(layer_norm_rows(x: &mut [f32], gamma: &[f32], beta: &[f32], h: usize, eps: f32) {
    for row in x.chunks_exact_mut(h) {
        let mean = sum(row) / h as f32;
        let mut acc = [0.0f32; LANES];
        let chunks = row.chunks_exact(LANES);
        let rest = chunks.remainder();
        for c in chunks {
            for i in 0..LANES {
                acc[i] += (c[i] - mean) * (c[i] - mean);
            }
        }
        let var = (acc.iter().sum::<f32>()
            + rest.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>())
            / h as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
            *v = (*v - mean) * inv * g + b;
        }
    }
});

fn layer_norm(x: &mut [f32], n: &Norm, h: usize, eps: f32) {
    layer_norm_rows(x, &n.gamma, &n.beta, h, eps);
}

dispatch!(softmax_rows(scores: &mut [f32], len: usize) {
    for row in scores.chunks_exact_mut(len) {
        let m = max(row);
        for v in row.iter_mut() {
            *v = exp(*v - m);
        }
        let inv = 1.0 / sum(row);
        row.iter_mut().for_each(|v| *v *= inv);
    }
});

/// GELU, the exact (erf) form BERT was trained with.
#[inline(always)]
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// eˣ for f32 without branches or calls, so loops of it vectorise: x = n·ln2 + r with
/// |r| ≤ ln2/2, eʳ by a degree-6 Taylor polynomial (relative error < 2e-7), 2ⁿ built in the
/// exponent bits. Inputs below -87 give 0 (softmax feeds only x ≤ 0).
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    // Round to nearest by the 1.5·2²³ trick (|x·log2 e| < 2²²): `f32::round` is a libm call
    // that keeps the loop scalar.
    const MAGIC: f32 = 12_582_912.0;
    let n = (x * std::f32::consts::LOG2_E + MAGIC) - MAGIC;
    // Cody–Waite reduction: ln 2 split in a high part exact in f32 and a low remainder.
    let r = (x - n * 0.693_145_75) - n * 1.428_606_8e-6;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// erf(x) for f32: Abramowitz & Stegun 7.1.26 with our polynomial `exp` (the formula's own
/// absolute error is below 1.5e-7; with f32 rounding the total stays below 1e-6), branch-free.
#[inline(always)]
pub(crate) fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152_1 + t * 1.061_405_4))));
    let y = 1.0 - poly * exp(-a * a);
    y.copysign(x)
}

#[cfg(test)]
mod tests;
