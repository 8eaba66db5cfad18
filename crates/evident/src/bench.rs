//! `evident bench`: the whole pipeline on real corpora — ingest rate, search latency, memory.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use evident_index::{Library, SearchOptions};

#[derive(Args)]
pub struct BenchArgs {
    /// Files, folders or archives to ingest. Default: every file in ../shared/data/corpus.
    pub paths: Vec<PathBuf>,
    /// Query files (JSON Lines with `question`, or `subject` + `message`). Default: the shared
    /// LiveQA dev queries and clinical dev questions.
    #[arg(long)]
    pub queries: Vec<PathBuf>,
    /// Scratch folder for the index (removed afterwards unless --keep).
    #[arg(long)]
    pub scratch: Option<PathBuf>,
    /// Keep the scratch index.
    #[arg(long)]
    pub keep: bool,
    /// Times each query is run.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Also embed every passage (needs `evident models fetch`) and time hybrid search.
    #[arg(long)]
    pub embed: bool,
}

const SHARED: &str = "../shared/data";

/// The four shared corpora, read from `../shared/data/corpus`.
pub fn shared_corpus_paths() -> Result<Vec<PathBuf>> {
    let corpus = Path::new(SHARED).join("corpus");
    if !corpus.is_dir() {
        bail!("no paths given and {} not found", corpus.display());
    }
    Ok([
        "medquad-xml.tar.gz",
        "nci-cancergov-md.tar.xz",
        "uspstf-2024-05-02.json",
        "ngc-federal-summaries.tar.xz",
    ]
    .iter()
    .map(|name| corpus.join(name))
    .collect())
}

pub fn run(data: &Path, args: &BenchArgs) -> Result<()> {
    let paths = if args.paths.is_empty() {
        shared_corpus_paths()?
    } else {
        args.paths.clone()
    };
    let mut query_files = args.queries.clone();
    if query_files.is_empty() {
        for q in [
            "eval/liveqa-medquad/queries-dev.jsonl",
            "eval/clinical-dev/questions.jsonl",
        ] {
            let p = Path::new(SHARED).join(q);
            if p.exists() {
                query_files.push(p);
            }
        }
    }
    let scratch = args.scratch.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("evident-bench-{}", std::process::id()))
    });
    if scratch.exists() && !args.keep {
        std::fs::remove_dir_all(&scratch).ok();
    }
    let lib = Library::open(&scratch)
        .with_context(|| format!("cannot create a scratch index in {}", scratch.display()))?;
    let add = crate::ingest::AddArgs {
        paths,
        max_file_mb: 32,
        heap_mb: 256,
        quiet: false,
    };
    let embedder = if args.embed {
        match crate::models::load(data)? {
            Some(e) => Some(e),
            None => bail!("--embed needs the embedding model: run `evident models fetch`"),
        }
    } else {
        None
    };
    let report = crate::ingest::add_to(&lib, &add, embedder.as_deref())?;
    if let Some(e) = &embedder {
        lib.set_encoder(std::sync::Arc::new(crate::models::ModelEncoder(e.clone())));
    }
    crate::ingest::print_report(&report, &lib)?;

    let mut questions = Vec::new();
    for f in &query_files {
        for v in crate::eval::read_jsonl(f)? {
            let q = match v.get("question").and_then(|q| q.as_str()) {
                Some(q) => q.to_string(),
                None => format!(
                    "{} {}",
                    v.get("subject").and_then(|s| s.as_str()).unwrap_or(""),
                    v.get("message").and_then(|s| s.as_str()).unwrap_or("")
                ),
            };
            questions.push(q);
        }
    }
    if questions.is_empty() {
        bail!("no queries to time");
    }
    let mut modes = vec![evident_index::SearchMode::Bm25];
    if embedder.is_some() {
        modes.push(evident_index::SearchMode::Hybrid);
    }
    for mode in modes {
        let opts = SearchOptions {
            mode,
            ..SearchOptions::default()
        };
        // One warm-up pass, so the figures are for a warm index as a server would have it.
        for q in &questions {
            let _ = lib.search(q, &opts);
        }
        let mut ms = Vec::with_capacity(questions.len() * args.repeat);
        for _ in 0..args.repeat {
            for q in &questions {
                let t = Instant::now();
                let _ = lib.search(q, &opts);
                ms.push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
        ms.sort_by(f64::total_cmp);
        let pct = |p: f64| evident_index::eval::percentile(&ms, p);
        println!(
            "Search latency, {mode:?}, over {} queries x {} (k=10, snippets, priors, expansion): p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            questions.len(),
            args.repeat,
            pct(0.5),
            pct(0.95),
            pct(0.99),
            ms[ms.len() - 1]
        );
    }
    if !args.keep {
        drop(lib);
        std::fs::remove_dir_all(&scratch).ok();
    } else {
        println!("index kept in {}", scratch.display());
    }
    Ok(())
}
