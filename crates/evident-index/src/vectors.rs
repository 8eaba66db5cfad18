//! Passage embeddings beside the tantivy index: an exact (brute-force) dot-product search over
//! L2-normalised vectors, stored as one file per commit.
//!
//! The file is written before the tantivy commit that names it in its payload, and older files
//! are removed only after that commit succeeds, so a crash at any point leaves the last committed
//! index and its vectors readable together.
//!
//! Search is brute force over every row — no approximate index, so no recall lost to one: an
//! int8 pass (a quarter of the memory traffic of f32; the scan is memory-bound) picks a few
//! hundred candidates and exact f32 dot products order them. At 384 dimensions 100,000 passages
//! are 38 MB of int8, a few milliseconds on one core.

use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"EVVEC001";

/// Computes query embeddings; supplied by the binary (the index knows no model).
pub trait QueryEncoder: Send + Sync {
    fn encode(&self, text: &str) -> Option<Vec<f32>>;
}

/// The embedding cache key of a passage text: the workspace's 64-bit FNV-1a
/// ([`evident_core::text::fnv1a64`]). Persisted in vector files, so it must not change.
pub fn text_hash(text: &str) -> u64 {
    evident_core::text::fnv1a64(text.as_bytes())
}

/// Embeddings of passages, row-major.
#[derive(Debug, Clone, Default)]
pub struct VectorStore {
    dim: usize,
    ids: Vec<String>,
    hashes: Vec<u64>,
    data: Vec<f32>,
    by_hash: HashMap<u64, usize>,
    /// int8 copy of `data` (symmetric, one scale per row) for the first pass of search:
    /// a quarter of the memory traffic of the f32 rows.
    quant: Vec<i8>,
    scales: Vec<f32>,
}

impl VectorStore {
    pub fn new(dim: usize) -> VectorStore {
        VectorStore {
            dim,
            ..VectorStore::default()
        }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn id(&self, i: usize) -> &str {
        &self.ids[i]
    }

    pub fn vector(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// The vector stored for a passage with this text hash, if any (the re-ingest cache).
    pub fn by_text_hash(&self, hash: u64) -> Option<&[f32]> {
        self.by_hash.get(&hash).map(|&i| self.vector(i))
    }

    /// Adds one vector; its length must be the store's dimension.
    pub fn push(&mut self, id: String, hash: u64, vector: &[f32]) -> Result<()> {
        if self.dim == 0 && self.ids.is_empty() {
            self.dim = vector.len();
        }
        if vector.len() != self.dim {
            return Err(Error::Vectors(format!(
                "vector for {id} has {} dimensions, the store has {}",
                vector.len(),
                self.dim
            )));
        }
        self.by_hash.insert(hash, self.ids.len());
        self.ids.push(id);
        self.hashes.push(hash);
        self.data.extend_from_slice(vector);
        let scale = quantize_into(vector, &mut self.quant);
        self.scales.push(scale);
        Ok(())
    }

    /// A copy without the passages of the given sources.
    pub fn without_sources(&self, sources: &std::collections::HashSet<String>) -> VectorStore {
        let mut out = VectorStore::new(self.dim);
        for i in 0..self.len() {
            let source = self.ids[i]
                .rsplit_once('#')
                .map_or(self.ids[i].as_str(), |(s, _)| s);
            if !sources.contains(source) {
                out.push(self.ids[i].clone(), self.hashes[i], self.vector(i))
                    .expect("same dimension");
            }
        }
        out
    }

    /// The `k` rows with the highest dot product with `query` (cosine, for unit vectors).
    ///
    /// Two passes: an int8 scan of every row picks `k + max(k/2, 256)` candidates, whose exact
    /// f32 dot products then decide the order. Quantisation error (about 1% of a score) only
    /// matters among near-ties at the candidate cut, far below the top `k`. The candidates'
    /// f32 rows are scattered over a store larger than the caches, so each is prefetched a few
    /// rows ahead of its dot product.
    pub fn search(&self, query: &[f32], k: usize) -> Vec<(usize, f32)> {
        if query.len() != self.dim || self.is_empty() || k == 0 {
            return Vec::new();
        }
        let candidates = k + (k / 2).max(256);
        if self.len() <= candidates {
            return self.search_exact(query, k);
        }
        let mut q = Vec::with_capacity(self.dim);
        let q_scale = quantize_into(query, &mut q);
        let mut rough = self.rough_scores(&q, q_scale);
        top_k(&mut rough, candidates);
        let mut exact: Vec<(usize, f32)> = Vec::with_capacity(rough.len());
        for (n, &(i, _)) in rough.iter().enumerate() {
            if let Some(&(ahead, _)) = rough.get(n + PREFETCH_AHEAD) {
                prefetch(self.vector(ahead));
            }
            exact.push((i, dot(self.vector(i), query)));
        }
        top_k(&mut exact, k);
        exact
    }

    /// Every row's int8 estimate of its dot product with the quantised query `q`. A large
    /// store is scanned in parts on scoped threads (one per core, up to [`SCAN_THREADS`]): the
    /// scan reads every row and is the one step of a search that grows with the library.
    fn rough_scores(&self, q: &[i8], q_scale: f32) -> Vec<(usize, f32)> {
        let threads = scan_threads().min(self.len() / SCAN_ROWS_PER_THREAD).max(1);
        let part = self.len().div_ceil(threads);
        let score = |first: usize| -> Vec<(usize, f32)> {
            let last = (first + part).min(self.len());
            scan_i8(&self.quant[first * self.dim..last * self.dim], q)
                .into_iter()
                .zip(&self.scales[first..last])
                .map(|(d, &scale)| d as f32 * scale * q_scale)
                .enumerate()
                .map(|(i, s)| (first + i, s))
                .collect()
        };
        if threads == 1 {
            return score(0);
        }
        std::thread::scope(|scope| {
            let others: Vec<_> = (1..threads)
                .map(|t| scope.spawn(move || score(t * part)))
                .collect();
            let mut all = score(0);
            for h in others {
                all.extend(h.join().expect("a scan thread does not panic"));
            }
            all
        })
    }

    /// [`VectorStore::search`] with f32 dot products for every row: the reference.
    pub fn search_exact(&self, query: &[f32], k: usize) -> Vec<(usize, f32)> {
        if query.len() != self.dim || self.is_empty() || k == 0 {
            return Vec::new();
        }
        let mut scored: Vec<(usize, f32)> = self
            .data
            .chunks_exact(self.dim)
            .map(|row| dot(row, query))
            .enumerate()
            .collect();
        top_k(&mut scored, k);
        scored
    }

    /// Writes the store to `path` through a temporary file and a rename.
    pub fn save(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("tmp");
        let io = |source| Error::Io {
            path: tmp.display().to_string(),
            source,
        };
        let file = std::fs::File::create(&tmp).map_err(io)?;
        let mut w = BufWriter::new(file);
        w.write_all(MAGIC).map_err(io)?;
        w.write_all(&(self.dim as u32).to_le_bytes()).map_err(io)?;
        w.write_all(&(self.len() as u64).to_le_bytes())
            .map_err(io)?;
        for (id, hash) in self.ids.iter().zip(&self.hashes) {
            w.write_all(&(id.len() as u32).to_le_bytes()).map_err(io)?;
            w.write_all(id.as_bytes()).map_err(io)?;
            w.write_all(&hash.to_le_bytes()).map_err(io)?;
        }
        for x in &self.data {
            w.write_all(&x.to_le_bytes()).map_err(io)?;
        }
        let file = w.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Reads a store written by [`VectorStore::save`].
    pub fn load(path: &Path) -> Result<VectorStore> {
        let bad = |why: &str| Error::Vectors(format!("{}: {why}", path.display()));
        let file = std::fs::File::open(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        let mut r = BufReader::new(file);
        let mut magic = [0u8; 8];
        r.read_exact(&mut magic)
            .map_err(|_| bad("truncated header"))?;
        if &magic != MAGIC {
            return Err(bad("not an Evident vector file"));
        }
        let mut u32b = [0u8; 4];
        let mut u64b = [0u8; 8];
        r.read_exact(&mut u32b)
            .map_err(|_| bad("truncated header"))?;
        let dim = u32::from_le_bytes(u32b) as usize;
        r.read_exact(&mut u64b)
            .map_err(|_| bad("truncated header"))?;
        let n = u64::from_le_bytes(u64b) as usize;
        let mut store = VectorStore::new(dim);
        let mut ids = Vec::with_capacity(n);
        let mut hashes = Vec::with_capacity(n);
        for _ in 0..n {
            r.read_exact(&mut u32b).map_err(|_| bad("truncated ids"))?;
            let len = u32::from_le_bytes(u32b) as usize;
            if len > 1 << 16 {
                return Err(bad("corrupt id length"));
            }
            let mut id = vec![0u8; len];
            r.read_exact(&mut id).map_err(|_| bad("truncated ids"))?;
            ids.push(String::from_utf8(id).map_err(|_| bad("id is not UTF-8"))?);
            r.read_exact(&mut u64b).map_err(|_| bad("truncated ids"))?;
            hashes.push(u64::from_le_bytes(u64b));
        }
        let mut raw = vec![0u8; n * dim * 4];
        r.read_exact(&mut raw)
            .map_err(|_| bad("truncated vectors"))?;
        store.data = raw
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        store.by_hash = hashes.iter().enumerate().map(|(i, &h)| (h, i)).collect();
        if dim > 0 {
            for row in store.data.chunks_exact(dim) {
                let scale = quantize_into(row, &mut store.quant);
                store.scales.push(scale);
            }
        }
        store.ids = ids;
        store.hashes = hashes;
        Ok(store)
    }
}

/// The `k` highest scores, best first (ties by row).
fn top_k(scored: &mut Vec<(usize, f32)>, k: usize) {
    let k = k.min(scored.len());
    if k == 0 {
        scored.clear();
        return;
    }
    let order = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    scored.select_nth_unstable_by(k - 1, order);
    scored.truncate(k);
    scored.sort_by(order);
}

/// At most this many threads scan one store.
const SCAN_THREADS: usize = 4;
/// A store is split only into parts of at least this many rows (a thread costs tens of
/// microseconds to start; this many rows take a few hundred to scan).
const SCAN_ROWS_PER_THREAD: usize = 8192;

fn scan_threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(SCAN_THREADS))
    })
}

/// Appends the int8 quantisation of `v` (symmetric: `x ≈ q · scale`) and returns the scale.
fn quantize_into(v: &[f32], out: &mut Vec<i8>) -> f32 {
    let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
    out.extend(
        v.iter()
            .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8),
    );
    scale
}

/// How many rows ahead of its dot product a candidate's row is prefetched.
const PREFETCH_AHEAD: usize = 4;

/// Asks the CPU to bring `row` into its caches (a hint: no effect on results).
#[inline]
fn prefetch(row: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // One hint per 64-byte line.
        for line in row.chunks(16) {
            // SAFETY: SSE is part of x86_64; the pointer lies inside `row`, and a prefetch
            // neither reads into Rust values nor faults.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr() as *const i8) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

/// Dot product of f32 rows; the AVX2+FMA build is chosen at run time where the CPU has it.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports the features the function is compiled for.
            return unsafe { dot_avx2(a, b) };
        }
    }
    dot_lanes(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    dot_lanes(a, b)
}

/// Eight independent accumulators, which the compiler turns into vector registers.
#[inline(always)]
fn dot_lanes(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ac.zip(bc) {
        for l in 0..8 {
            acc[l] = x[l].mul_add(y[l], acc[l]);
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// The int8 dot product of `q` with every row of `rows` (rows of `q.len()` values), in i32
/// (no overflow: 384 · 127² < 2³¹). The CPU's features are looked up once per scan, not per row.
fn scan_i8(rows: &[i8], q: &[i8]) -> Vec<i32> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports the features the function is compiled for.
            return unsafe { scan_i8_avx2(rows, q) };
        }
    }
    scan_i8_lanes(rows, q)
}

/// Each 16 values of a row are widened to i16 and multiplied by the query's (widened once per
/// scan) with `vpmaddwd`, which also adds neighbouring products into i32: three instructions
/// per 16 products, where the compiler widened to i32 and multiplied with `vpmulld`. Integer
/// sums, so the result is the portable one exactly.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn scan_i8_avx2(rows: &[i8], q: &[i8]) -> Vec<i32> {
    use std::arch::x86_64::*;
    let dim = q.len();
    let blocks = dim / 16;
    if blocks == 0 {
        return scan_i8_lanes(rows, q);
    }
    let wide: Vec<__m256i> = (0..blocks)
        .map(|b| _mm256_cvtepi8_epi16(_mm_loadu_si128(q.as_ptr().add(16 * b) as *const __m128i)))
        .collect();
    let tail = &q[16 * blocks..];
    rows.chunks_exact(dim)
        .map(|row| {
            let p = row.as_ptr();
            let (mut even, mut odd) = (_mm256_setzero_si256(), _mm256_setzero_si256());
            let mut b = 0;
            while b + 1 < blocks {
                let x = _mm256_cvtepi8_epi16(_mm_loadu_si128(p.add(16 * b) as *const __m128i));
                let y = _mm256_cvtepi8_epi16(_mm_loadu_si128(p.add(16 * b + 16) as *const __m128i));
                even = _mm256_add_epi32(even, _mm256_madd_epi16(x, wide[b]));
                odd = _mm256_add_epi32(odd, _mm256_madd_epi16(y, wide[b + 1]));
                b += 2;
            }
            if b < blocks {
                let x = _mm256_cvtepi8_epi16(_mm_loadu_si128(p.add(16 * b) as *const __m128i));
                even = _mm256_add_epi32(even, _mm256_madd_epi16(x, wide[b]));
            }
            let sum = _mm256_add_epi32(even, odd);
            let half = _mm_add_epi32(
                _mm256_castsi256_si128(sum),
                _mm256_extracti128_si256(sum, 1),
            );
            let half = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0b01_00_11_10));
            let half = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0b10_11_00_01));
            _mm_cvtsi128_si32(half) + dot_i8(&row[16 * blocks..], tail)
        })
        .collect()
}

#[inline(always)]
fn scan_i8_lanes(rows: &[i8], q: &[i8]) -> Vec<i32> {
    rows.chunks_exact(q.len().max(1))
        .map(|row| dot_i8(row, q))
        .collect()
}

#[inline(always)]
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    let mut acc = [0i32; 16];
    let (ac, bc) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: i32 = ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .map(|(&x, &y)| x as i32 * y as i32)
        .sum();
    for (x, y) in ac.zip(bc) {
        for l in 0..16 {
            acc[l] += x[l] as i32 * y[l] as i32;
        }
    }
    acc.iter().sum::<i32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn text_hash_is_stable() {
        // The cache key stored in vector files; values computed with the code this replaced.
        assert_eq!(text_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(text_hash("myopathy"), 0xca5a_e96b_6438_d80e);
    }

    #[test]
    fn exact_search_ranks_by_cosine() {
        let mut s = VectorStore::new(3);
        s.push("a#0".into(), 1, &unit(&[1.0, 0.0, 0.0])).unwrap();
        s.push("b#0".into(), 2, &unit(&[0.7, 0.7, 0.0])).unwrap();
        s.push("c#0".into(), 3, &unit(&[0.0, 0.0, 1.0])).unwrap();
        let hits = s.search(&unit(&[1.0, 0.2, 0.0]), 2);
        assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), [0, 1]);
        assert!(s.push("d#0".into(), 4, &[1.0]).is_err());
    }

    #[test]
    fn save_load_round_trip_and_corruption_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = VectorStore::new(0);
        for i in 0..20 {
            let v: Vec<f32> = (0..16).map(|j| ((i * 16 + j) as f32).sin()).collect();
            s.push(format!("src{}#{i}", i % 3), i as u64, &v).unwrap();
        }
        let path = dir.path().join("v.bin");
        s.save(&path).unwrap();
        let back = VectorStore::load(&path).unwrap();
        assert_eq!(back.len(), 20);
        assert_eq!(back.dim(), 16);
        assert_eq!(back.vector(7), s.vector(7));
        assert_eq!(back.by_text_hash(7), Some(s.vector(7)));
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
        assert!(VectorStore::load(&path).is_err());
        let kept = s.without_sources(&["src1".to_string()].into_iter().collect());
        assert!(kept.ids.iter().all(|id| !id.starts_with("src1#")));
        assert_eq!(kept.len(), 13);
    }

    #[test]
    fn quantised_search_agrees_with_exact_search() {
        let dim = 48;
        let mut s = VectorStore::new(dim);
        let mut rng = 7u64;
        let mut next = || {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((rng >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        };
        for i in 0..3000 {
            let v: Vec<f32> = (0..dim).map(|_| next()).collect();
            s.push(format!("s#{i}"), i as u64, &unit(&v)).unwrap();
        }
        for _ in 0..20 {
            let q = unit(&(0..dim).map(|_| next()).collect::<Vec<_>>());
            let fast = s.search(&q, 10);
            let exact = s.search_exact(&q, 10);
            assert_eq!(fast, exact);
        }
        assert_eq!(dot_i8(&[1, -2, 3], &[4, 5, -6]), 4 - 10 - 18);
    }

    #[test]
    fn the_int8_scan_equals_the_portable_sums_for_every_width() {
        let mut rng = 7u64;
        let mut next = || {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (rng >> 56) as u8 as i8
        };
        // Widths below, at and between the kernel's blocks of 16, and the extremes -128/127.
        for dim in [1, 15, 16, 17, 31, 32, 48, 100, 384, 385] {
            let rows = 7;
            let mut data: Vec<i8> = (0..rows * dim).map(|_| next()).collect();
            let mut q: Vec<i8> = (0..dim).map(|_| next().max(-127)).collect();
            data[0] = -128;
            q[0] = -127;
            let want: Vec<i32> = data.chunks_exact(dim).map(|r| dot_i8(r, &q)).collect();
            assert_eq!(scan_i8(&data, &q), want, "dim {dim}");
            assert_eq!(scan_i8_lanes(&data, &q), want, "dim {dim}");
        }
    }

    #[test]
    fn a_large_store_scanned_in_parts_scores_every_row_once_in_order() {
        let dim = 16;
        let rows = 2 * SCAN_ROWS_PER_THREAD + 5;
        let mut s = VectorStore::new(dim);
        for i in 0..rows {
            let v: Vec<f32> = (0..dim)
                .map(|j| ((i * dim + j) as f32 * 0.37).sin())
                .collect();
            s.push(format!("s#{i}"), i as u64, &unit(&v)).unwrap();
        }
        let query = unit(&(0..dim).map(|j| (j as f32).cos()).collect::<Vec<_>>());
        let mut q = Vec::new();
        let q_scale = quantize_into(&query, &mut q);
        let parts = s.rough_scores(&q, q_scale);
        let whole: Vec<(usize, f32)> = scan_i8(&s.quant, &q)
            .into_iter()
            .zip(&s.scales)
            .map(|(d, &scale)| d as f32 * scale * q_scale)
            .enumerate()
            .collect();
        assert_eq!(parts, whole);
    }
}
