//! Embeds 512 passages of about 150 words and prints passages per second.
//!
//! `cargo run --release -p evident-embed --example throughput [MODEL_DIR]`; the model folder
//! defaults to `$EVIDENT_MODEL_DIR`, else `target/models/all-MiniLM-L6-v2`. Try it with
//! `CANDLE_NUM_THREADS=1` too (see `Embedder`).

use std::path::PathBuf;
use std::time::Instant;

const WORDS: &[&str] = &[
    "patients",
    "with",
    "hypertension",
    "should",
    "receive",
    "a",
    "thiazide",
    "diuretic",
    "or",
    "an",
    "ACE",
    "inhibitor",
    "as",
    "first-line",
    "therapy",
    "unless",
    "contraindicated",
    "blood",
    "pressure",
    "targets",
    "below",
    "130/80",
    "mmHg",
    "reduce",
    "cardiovascular",
    "events",
    "in",
    "adults",
    "monitor",
    "serum",
    "potassium",
    "and",
    "creatinine",
    "after",
    "starting",
    "treatment",
    "the",
    "dose",
    "may",
    "be",
    "increased",
    "every",
    "two",
    "to",
    "four",
    "weeks",
    "lifestyle",
    "changes",
    "including",
    "sodium",
    "restriction",
    "weight",
    "loss",
    "exercise",
    "are",
    "recommended",
    "for",
    "all",
    "randomised",
    "trials",
    "showed",
    "benefit",
    "of",
    "metformin",
    "type",
    "2",
    "diabetes",
    "HbA1c",
    "screening",
    "is",
    "advised",
    "every",
    "year",
];

fn passage(seed: usize) -> String {
    // A deterministic pseudo-random walk over the word list: ~150 words, sentences of 12–20.
    let mut state = seed as u64 * 6364136223846793005 + 1442695040888963407;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let n_words = 140 + next() % 21;
    let mut out = String::new();
    let mut in_sentence = 0;
    let mut sentence_len = 12 + next() % 9;
    for _ in 0..n_words {
        let word = WORDS[next() % WORDS.len()];
        if in_sentence == 0 {
            let mut chars = word.chars();
            let first = chars.next().unwrap().to_uppercase().collect::<String>();
            out.push_str(&first);
            out.push_str(chars.as_str());
        } else {
            out.push(' ');
            out.push_str(word);
        }
        in_sentence += 1;
        if in_sentence == sentence_len {
            out.push_str(". ");
            in_sentence = 0;
            sentence_len = 12 + next() % 9;
        }
    }
    out.push('.');
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args_os()
        .nth(1)
        .or_else(|| std::env::var_os("EVIDENT_MODEL_DIR"))
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/models")
                .join(evident_embed::MODEL_NAME)
        });
    let started = Instant::now();
    let embedder = evident_embed::Embedder::load(&dir)?;
    println!(
        "loaded {} from {} in {:.2} s (checksums included)",
        evident_embed::MODEL_NAME,
        dir.display(),
        started.elapsed().as_secs_f64()
    );

    let passages: Vec<String> = (0..512).map(passage).collect();
    let refs: Vec<&str> = passages.iter().map(String::as_str).collect();
    let words: usize = passages.iter().map(|p| p.split_whitespace().count()).sum();
    embedder.embed(&refs[..32])?; // warm-up

    let started = Instant::now();
    let vectors = embedder.embed(&refs)?;
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(vectors.len(), passages.len());
    println!(
        "{} passages ({:.0} words each on average) in {:.2} s: {:.1} passages/s",
        passages.len(),
        words as f64 / passages.len() as f64,
        secs,
        passages.len() as f64 / secs
    );

    let query = "what is the first-line treatment for high blood pressure";
    let mut times: Vec<f64> = (0..50)
        .map(|_| {
            let started = Instant::now();
            embedder
                .embed_one(query)
                .map(|_| started.elapsed().as_secs_f64())
        })
        .collect::<Result<_, _>>()?;
    times.sort_by(f64::total_cmp);
    println!(
        "one query: median {:.1} ms, slowest {:.1} ms (50 runs)",
        times[times.len() / 2] * 1e3,
        times[times.len() - 1] * 1e3
    );
    Ok(())
}
