//! int8 dense layers for query encoding: the latency of one short text.
//!
//! A query is a few dozen tokens, so its forward pass is a handful of narrow products whose
//! cost is reading the weights: 42 MB of f32 per query, more than the L3 cache holds, streamed
//! from memory every time. Here each layer's weight is kept a second time as int8 (one scale
//! per output, symmetric), a quarter of the bytes — 10.6 MB, which stays cached between
//! queries — and each input row is quantised on the fly to i16 (one scale per row, with as
//! many bits as the layer's width allows without overflowing the i32 sums). The products are
//! exact integer dot products (AVX2 `vpmaddwd` where the CPU has it, the same sums in portable
//! code otherwise), scaled back to f32 once per output.
//!
//! The only error is the weights' rounding (below half a step of 1/127 of each output's largest
//! weight); [`crate::Embedder::embed_query`] documents what that does to embeddings.

use super::{grow, Crew, Dense};

/// Inputs are processed in steps of this many (one 256-bit register of i16).
const STEP: usize = 16;
/// Outputs per tile: this many weight rows share each loaded input vector.
const TILE_OUT: usize = 2;
/// Rows per tile: this many input rows share each widened weight vector.
const TILE_ROWS: usize = 6;
/// Products below this many multiply-adds run on the calling thread alone.
const PARALLEL_MIN: usize = 1 << 20;
/// Outputs per parallel task (a multiple of [`TILE_OUT`]).
const TASK_OUT: usize = 64;

/// A dense layer's weight as int8, (outputs × k) row-major, each row zero-padded from `inputs`
/// to `k`, a multiple of [`STEP`].
pub(super) struct QuantDense {
    weight: Vec<i8>,
    /// Per output: the f32 value of one int8 step.
    scales: Vec<f32>,
    inputs: usize,
    k: usize,
    pub(super) outputs: usize,
    /// The largest |code| an input may take: `k · 127 · limit` must fit an i32.
    limit: f32,
}

impl QuantDense {
    /// Quantises a layer whose weight is stored (inputs × outputs) row-major.
    pub(super) fn new(d: &Dense) -> QuantDense {
        let k = d.inputs.div_ceil(STEP) * STEP;
        let mut weight = vec![0i8; d.outputs * k];
        let mut scales = vec![0.0f32; d.outputs];
        for o in 0..d.outputs {
            let column = || (0..d.inputs).map(|i| d.weight[i * d.outputs + o]);
            let max = column().fold(0.0f32, |m, v| m.max(v.abs()));
            let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
            scales[o] = scale;
            for (i, v) in column().enumerate() {
                weight[o * k + i] = (v / scale).round().clamp(-127.0, 127.0) as i8;
            }
        }
        let limit = ((i32::MAX as f64) / (k.max(1) as f64 * 127.0))
            .floor()
            .min(i16::MAX as f64) as f32;
        QuantDense {
            weight,
            scales,
            inputs: d.inputs,
            k,
            outputs: d.outputs,
            limit,
        }
    }
}

/// Buffers reused from product to product.
#[derive(Default)]
pub(super) struct QuantScratch {
    codes: Vec<i16>,
    row_scales: Vec<f32>,
    /// The integer sums, in blocks of [`TASK_OUT`] outputs, each (rows × its outputs).
    sums: Vec<i32>,
    /// The same blocks in f32, scaled, biased and activated.
    blocks: Vec<f32>,
}

/// out (rows × outputs) = post(x (rows × inputs) · W + b), with W the quantised weight and
/// `post` an element-wise activation applied in the same pass (GELU after the up-projection).
/// A large product's blocks are shared among the crew.
#[allow(clippy::too_many_arguments)]
pub(super) fn linear(
    x: &[f32],
    rows: usize,
    d: &QuantDense,
    bias: &[f32],
    post: Option<fn(&mut [f32])>,
    out: &mut Vec<f32>,
    s: &mut QuantScratch,
    crew: &Crew,
) {
    out.clear();
    if rows == 0 {
        return;
    }
    // Each row to i16 codes, one scale per row, zero-padded to k. The buffers keep their
    // largest length from product to product: every value read below is written first, so
    // they are not cleared (zeroing them cost more than the scaling pass).
    let n = rows * d.outputs;
    grow(&mut s.codes, rows * d.k);
    grow(&mut s.sums, n);
    grow(&mut s.blocks, n);
    s.row_scales.clear();
    for r in 0..rows {
        let row = &x[r * d.inputs..(r + 1) * d.inputs];
        let max = row.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let scale = if max > 0.0 { max / d.limit } else { 1.0 };
        let codes = &mut s.codes[r * d.k..(r + 1) * d.k];
        quantise_row(row, 1.0 / scale, d.limit, codes);
        codes[d.inputs..].fill(0);
        s.row_scales.push(scale);
    }

    // Each task owns a block of outputs: their integer sums, then the same block in f32,
    // scaled, biased and activated on the task's own thread.
    let codes = &s.codes[..rows * d.k];
    let row_scales = &s.row_scales[..];
    let task = |(t, (sums, block)): (usize, (&mut [i32], &mut [f32]))| {
        let first = t * TASK_OUT;
        let count = sums.len() / rows;
        sums_into(d, first, count, codes, rows, sums);
        let bias = &bias[first..first + count];
        let scales = &d.scales[first..first + count];
        for ((sums, block), &rs) in sums
            .chunks_exact(count)
            .zip(block.chunks_exact_mut(count))
            .zip(row_scales)
        {
            for (((o, &sum), &b), &ws) in block.iter_mut().zip(sums).zip(bias).zip(scales) {
                *o = b + sum as f32 * (rs * ws);
            }
        }
        if let Some(post) = post {
            post(block);
        }
    };
    let chunk = TASK_OUT * rows;
    if rows * d.outputs * d.k >= PARALLEL_MIN {
        let (sums, blocks) = (&mut s.sums[..n], &mut s.blocks[..n]);
        crew.run_chunks(sums, chunk, blocks, chunk, |t, sums, block| {
            task((t, (sums, block)))
        });
    } else {
        s.sums[..n]
            .chunks_mut(chunk)
            .zip(s.blocks[..n].chunks_mut(chunk))
            .enumerate()
            .for_each(task);
    }

    // The blocks into the row-major output: row r is every block's row r, in block order.
    out.reserve(n);
    for r in 0..rows {
        for block in s.blocks[..n].chunks(chunk) {
            let count = block.len() / rows;
            out.extend_from_slice(&block[r * count..(r + 1) * count]);
        }
    }
}

/// codes = round(row · inv), clamped to ±limit (< 2²²), rounding by the 1.5·2²³ trick
/// (`f32::round` is a libm call that keeps the loop scalar).
fn quantise_row(row: &[f32], inv: f32, limit: f32, codes: &mut [i16]) {
    const MAGIC: f32 = 12_582_912.0;
    for (c, v) in codes.iter_mut().zip(row) {
        *c = (((v * inv).clamp(-limit, limit) + MAGIC) - MAGIC) as i16;
    }
}

/// The integer sums of outputs `first..first + count` against every row, into
/// `sums` ((rows × count), row-major).
fn sums_into(
    d: &QuantDense,
    first: usize,
    count: usize,
    codes: &[i16],
    rows: usize,
    sums: &mut [i32],
) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2; the bounds the kernel relies on are checked inside.
        unsafe { avx2::sums_into::<TILE_OUT, TILE_ROWS>(d, first, count, codes, rows, sums) };
        return;
    }
    portable_sums_into(d, first, count, 0, codes, rows, sums);
}

/// The same sums in plain Rust, of outputs `first + from..first + count`: the reference the
/// AVX2 kernel is tested against, its tail of fewer than a tile of outputs, and the path on
/// other CPUs.
pub(super) fn portable_sums_into(
    d: &QuantDense,
    first: usize,
    count: usize,
    from: usize,
    codes: &[i16],
    rows: usize,
    sums: &mut [i32],
) {
    for o in from..count {
        let w = &d.weight[(first + o) * d.k..(first + o + 1) * d.k];
        for r in 0..rows {
            let x = &codes[r * d.k..(r + 1) * d.k];
            sums[r * count + o] = dot(w, x);
        }
    }
}

fn dot(w: &[i8], x: &[i16]) -> i32 {
    w.iter().zip(x).map(|(&a, &b)| a as i32 * b as i32).sum()
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{QuantDense, STEP};

    /// Tiles of `TILE_OUT` outputs × `TILE_ROWS` rows (then 2, then 1 for the last rows): the
    /// accumulators, the widened weights and one input register fit the sixteen AVX2 has. (On
    /// the 2-core development machine 4 × 2, 2 × 4, 4 × 3 and 1 × 8 tiles measured within
    /// noise of each other.)
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn sums_into<const TILE_OUT: usize, const TILE_ROWS: usize>(
        d: &QuantDense,
        first: usize,
        count: usize,
        codes: &[i16],
        rows: usize,
        sums: &mut [i32],
    ) {
        let k = d.k;
        assert!(codes.len() >= rows * k && sums.len() >= rows * count);
        assert!((first + count) * k <= d.weight.len() && k.is_multiple_of(STEP));
        let tiled = count - count % TILE_OUT;
        // Rows outside, outputs inside: a tile of input rows (TILE_ROWS · k i16, a few KB)
        // stays in L1 while the block's weight rows stream past it, instead of every input row
        // coming back from L2 for each pair of outputs.
        let mut r = 0;
        while r < rows {
            let x = codes.as_ptr().add(r * k);
            let step = if rows - r >= TILE_ROWS {
                TILE_ROWS
            } else if rows - r >= 2 {
                2
            } else {
                1
            };
            let mut o = 0;
            while o < tiled {
                let w = d.weight.as_ptr().add((first + o) * k);
                if step == TILE_ROWS {
                    store(&tile::<TILE_OUT, TILE_ROWS>(w, k, x), sums, count, r, o);
                } else if step == 2 {
                    store(&tile::<TILE_OUT, 2>(w, k, x), sums, count, r, o);
                } else {
                    store(&tile::<TILE_OUT, 1>(w, k, x), sums, count, r, o);
                }
                o += TILE_OUT;
            }
            r += step;
        }
        // Fewer than a tile of outputs left: plain dot products.
        super::portable_sums_into(d, first, count, tiled, codes, rows, sums);
    }

    /// A tile's sums into rows r.. and outputs o.. of `sums` (rows × count).
    #[inline(always)]
    fn store<const O: usize, const R: usize>(
        t: &[[i32; R]; O],
        sums: &mut [i32],
        count: usize,
        r: usize,
        o: usize,
    ) {
        for (j, row) in t.iter().enumerate() {
            for (i, &v) in row.iter().enumerate() {
                sums[(r + i) * count + o + j] = v;
            }
        }
    }

    /// Σᵢ w[j][i]·x[r][i] for O weight rows j and R input rows r, each k long.
    ///
    /// SAFETY (caller): `w` addresses O·k int8 values and `x` R·k i16 values; k is a multiple
    /// of [`STEP`]; the CPU has AVX2.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn tile<const O: usize, const R: usize>(
        w: *const i8,
        k: usize,
        x: *const i16,
    ) -> [[i32; R]; O] {
        let mut acc = [[_mm256_setzero_si256(); R]; O];
        let mut i = 0;
        while i < k {
            let mut ws = [_mm256_setzero_si256(); O];
            for (j, v) in ws.iter_mut().enumerate() {
                *v = _mm256_cvtepi8_epi16(_mm_loadu_si128(w.add(j * k + i) as *const __m128i));
            }
            for r in 0..R {
                let xv = _mm256_loadu_si256(x.add(r * k + i) as *const __m256i);
                for (a, wv) in acc.iter_mut().zip(&ws) {
                    a[r] = _mm256_add_epi32(a[r], _mm256_madd_epi16(*wv, xv));
                }
            }
            i += STEP;
        }
        // Plain loops: closures (`array::map`) do not inherit the target feature, so they are
        // not inlined and their vectors go through memory.
        let mut out = [[0i32; R]; O];
        for (sums, acc) in out.iter_mut().zip(&acc) {
            for (sum, a) in sums.iter_mut().zip(acc) {
                *sum = hsum(*a);
            }
        }
        out
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn hsum(v: __m256i) -> i32 {
        let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01_00_11_10>(s));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b10_11_00_01>(s));
        _mm_cvtsi128_si32(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `f` with a crew of two threads, as a query's pass has on the 2-core machine.
    fn on_a_crew<R: Send>(f: impl FnOnce(&Crew) -> R + Send) -> R {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a pool");
        pool.install(|| super::super::crew::with_crew(f))
    }

    fn random(n: usize, seed: u64) -> Vec<f32> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
            })
            .collect()
    }

    fn layer(inputs: usize, outputs: usize) -> Dense {
        Dense {
            weight: random(inputs * outputs, 7),
            bias: random(outputs, 11),
            inputs,
            outputs,
        }
    }

    #[test]
    fn kernel_sums_equal_the_portable_sums_exactly() {
        on_a_crew(|crew| {
            // Widths that are and are not multiples of the step and the tile; row counts below,
            // at and past a tile. One scratch serves every product, as in a forward pass, so
            // values left by a larger product must not leak into a smaller one.
            let mut shared = QuantScratch::default();
            for (inputs, outputs) in [(1536, 8), (384, 72), (40, 13)] {
                let d = QuantDense::new(&layer(inputs, outputs));
                for rows in [13, 7, 6, 5, 2, 1] {
                    let x = random(rows * inputs, 3 + rows as u64);
                    let bias = random(outputs, 17);
                    let mut out = Vec::new();
                    linear(&x, rows, &d, &bias, None, &mut out, &mut shared, crew);
                    let s = &shared;
                    let mut want = vec![0; outputs * rows];
                    for (t, chunk) in want.chunks_mut(TASK_OUT * rows).enumerate() {
                        let count = chunk.len() / rows;
                        let codes = &s.codes[..rows * d.k];
                        portable_sums_into(&d, t * TASK_OUT, count, 0, codes, rows, chunk);
                    }
                    assert_eq!(
                        s.sums[..want.len()],
                        want,
                        "{inputs}×{outputs}, {rows} rows"
                    );
                    let mut fresh = Vec::new();
                    let mut scratch = QuantScratch::default();
                    linear(&x, rows, &d, &bias, None, &mut fresh, &mut scratch, crew);
                    assert_eq!(
                        out, fresh,
                        "{inputs}×{outputs}, {rows} rows: reused scratch"
                    );
                }
            }
        });
    }

    #[test]
    fn the_int8_product_is_close_to_the_f32_product() {
        on_a_crew(|crew| {
            // The second is large enough to be shared among threads.
            for (inputs, outputs, rows) in [(384, 96, 3), (384, 1536, 2)] {
                let dense = layer(inputs, outputs);
                let d = QuantDense::new(&dense);
                let x = random(rows * inputs, 5);
                let mut out = Vec::new();
                linear(
                    &x,
                    rows,
                    &d,
                    &dense.bias,
                    None,
                    &mut out,
                    &mut QuantScratch::default(),
                    crew,
                );
                assert_eq!(out.len(), rows * outputs);
                let mut worst = 0.0f32;
                let mut largest = 0.0f32;
                for r in 0..rows {
                    for o in 0..outputs {
                        let want: f32 = dense.bias[o]
                            + (0..inputs)
                                .map(|i| x[r * inputs + i] * dense.weight[i * outputs + o])
                                .sum::<f32>();
                        worst = worst.max((out[r * outputs + o] - want).abs());
                        largest = largest.max(want.abs());
                    }
                }
                // Uniform weights in [-1, 1): each rounds by at most 1/254; over 384 random inputs
                // the errors mostly cancel.
                assert!(
                    worst < 0.01 * largest,
                    "{outputs}: worst {worst}, largest {largest}"
                );
            }
        });
    }

    #[test]
    fn the_input_codes_cannot_overflow_the_sums() {
        for inputs in [16, 384, 1536, 4096] {
            let d = QuantDense::new(&layer(inputs, 4));
            let bound = d.k as f64 * 127.0 * d.limit as f64;
            assert!(bound <= i32::MAX as f64, "{inputs}: {bound}");
            assert!(d.limit >= 1.0);
        }
    }
}
