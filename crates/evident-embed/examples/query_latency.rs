//! Query-embedding latency, exact (f32) against int8 weights, and how far apart the two
//! vectors are: `cargo run --release -p evident-embed --example query_latency -- MODEL_DIR
//! QUERIES.jsonl` (one JSON object per line; its `question`, or `subject` + `message`, is the
//! text). Rounds alternate between the two precisions so that a noisy machine hurts both alike.
//! With `--int8` after the queries file only the int8 embeddings are computed, one query after
//! another as search does (the f32 pass in between otherwise pushes the int8 weights out of the
//! cache).

use std::time::Instant;

use evident_embed::Embedder;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (dir, queries, int8_only) = match &args[..] {
        [_, dir, queries] => (dir, queries, false),
        [_, dir, queries, flag] if flag == "--int8" => (dir, queries, true),
        _ => {
            eprintln!("usage: query_latency MODEL_DIR QUERIES.jsonl [--int8]");
            std::process::exit(2);
        }
    };
    let embedder = Embedder::load(std::path::Path::new(dir)).expect("the model loads");
    let texts: Vec<String> = std::fs::read_to_string(queries)
        .expect("the queries file is readable")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
            match v.get("question") {
                Some(_) => s("question"),
                None => format!("{} {}", s("subject"), s("message")),
            }
        })
        .collect();
    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(f64::total_cmp);
        v[((v.len() - 1) as f64 * p).round() as usize]
    };
    let mut exact_ms = Vec::new();
    let mut int8_ms = Vec::new();
    let mut worst = 1.0f32;
    let mut mean = 0.0f64;
    if int8_only {
        for _ in 0..3 {
            for text in &texts {
                let t = Instant::now();
                embedder.embed_query(text).expect("embeds");
                int8_ms.push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
        println!(
            "{} queries × 3: int8 p50 {:.2} ms p90 {:.2} p99 {:.2}",
            texts.len(),
            pct(&mut int8_ms, 0.5),
            pct(&mut int8_ms, 0.9),
            pct(&mut int8_ms, 0.99)
        );
        return;
    }
    for round in 0..3 {
        for text in &texts {
            let t = Instant::now();
            let e = embedder.embed_one(text).expect("embeds");
            let t_exact = t.elapsed().as_secs_f64() * 1e3;
            let t = Instant::now();
            let q = embedder.embed_query(text).expect("embeds");
            let t_int8 = t.elapsed().as_secs_f64() * 1e3;
            exact_ms.push(t_exact);
            int8_ms.push(t_int8);
            if round == 0 {
                let cos: f32 = e.iter().zip(&q).map(|(a, b)| a * b).sum();
                worst = worst.min(cos);
                mean += cos as f64;
            }
        }
    }
    println!(
        "{} queries × 3: exact p50 {:.2} ms p99 {:.2} | int8 p50 {:.2} ms p99 {:.2} | cosine mean {:.5} worst {:.5}",
        texts.len(),
        pct(&mut exact_ms, 0.5),
        pct(&mut exact_ms, 0.99),
        pct(&mut int8_ms, 0.5),
        pct(&mut int8_ms, 0.99),
        mean / texts.len() as f64,
        worst
    );
}
