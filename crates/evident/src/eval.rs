//! `evident eval retrieval`: index a benchmark corpus in memory, run its queries, score them.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use evident_core::{DocumentBuilder, Source, SourceKind};
use evident_index::eval::{evaluate, format_run, parse_qrels, percentile, Qrels, Run};
use evident_index::{Fusion, Library, QueryWeights, SearchMode, SearchOptions};
use evident_ingest::{chunk, ChunkOptions};
use serde_json::Value;

#[derive(Args)]
pub struct RetrievalArgs {
    /// Corpus, JSON Lines (optionally .gz): `{id, focus?, question?, text}` records (LiveQA-MedQuAD)
    /// or `{id, sections: [[heading, text], …]}` records (PubMedQA; the conclusion is left out).
    #[arg(long)]
    pub corpus: PathBuf,
    /// Queries, JSON Lines: `{qid, subject, message}` (query = subject + " " + message) or
    /// `{qid, question}`.
    #[arg(long)]
    pub queries: PathBuf,
    /// TREC qrels. Without it, each query's `gold` field is its one relevant document.
    #[arg(long)]
    pub qrels: Option<PathBuf>,
    /// Write the ranking as a TREC run file.
    #[arg(long)]
    pub run: Option<PathBuf>,
    /// Lowest grade that counts as relevant; default 2 when the qrels are graded above 1
    /// (LiveQA-MedQuAD), else 1.
    #[arg(long)]
    pub rel_threshold: Option<i32>,
    /// Documents ranked per query.
    #[arg(long, default_value_t = 100)]
    pub k: usize,
    /// Search the words as typed, without lexicon expansion.
    #[arg(long)]
    pub no_expand: bool,
    /// Index ~150-word passages, a record scoring by its best passage, instead of indexing each
    /// record as one document.
    #[arg(long)]
    pub passages: bool,
    /// Ranking to evaluate: bm25, dense, hybrid, or all three side by side. Default: all when
    /// the embedding model is installed, else bm25.
    #[arg(long)]
    pub mode: Option<String>,
    /// Query-layer weights, for tuning: title,trail,body,expansion,repeat.
    #[arg(long, value_delimiter = ',')]
    pub weights: Option<Vec<f32>>,
    /// How hybrid mode fuses BM25 and dense: `convex:W` or `rrf[:K[:W]]` (W = dense weight).
    /// Several, comma-separated, evaluate each (one embedding pass). Default: the built-in.
    #[arg(long, value_delimiter = ',')]
    pub fusion: Vec<Fusion>,
}

/// Reads a JSON Lines file, gunzipping `.gz`.
pub fn read_jsonl(path: &Path) -> Result<Vec<Value>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut out = Vec::new();
    for (i, line) in BufReader::new(reader).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}: not a JSON object", path.display(), i + 1))?;
        out.push(v);
    }
    Ok(out)
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn id_of(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Builds the evaluation document of one corpus record: the record id is the source id.
fn record_document(v: &Value, whole: bool) -> Option<evident_core::Document> {
    let id = id_of(v, "id")?;
    let mut source = Source::new(id, str_of(v, "focus"));
    if let Some(sections) = v.get("sections").and_then(Value::as_array) {
        source.kind = SourceKind::ResearchAbstract;
        source.title = str_of(v, "title").to_string();
        let mut b = DocumentBuilder::new(source);
        for s in sections {
            let heading = s.get(0).and_then(Value::as_str).unwrap_or("");
            let text = s.get(1).and_then(Value::as_str).unwrap_or("");
            if whole {
                // One section, so the abstract is scored as one document.
                b.paragraph(&format!("{heading}: {text}"));
            } else {
                b.heading(1, heading);
                b.paragraph(text);
            }
        }
        return Some(b.finish());
    }
    let mut b = DocumentBuilder::new(source);
    b.heading(1, str_of(v, "question"));
    for para in str_of(v, "text").split("\n\n") {
        b.paragraph(para);
    }
    Some(b.finish())
}

fn query_text(v: &Value) -> String {
    if v.get("subject").is_some() || v.get("message").is_some() {
        format!("{} {}", str_of(v, "subject"), str_of(v, "message"))
    } else {
        str_of(v, "question").to_string()
    }
}

pub fn retrieval(data: &Path, args: &RetrievalArgs) -> Result<()> {
    let started = Instant::now();
    let records = read_jsonl(&args.corpus)?;
    let queries = read_jsonl(&args.queries)?;
    let qrels: Qrels = match &args.qrels {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            parse_qrels(&p.display().to_string(), &text)?
        }
        None => {
            let mut q = Qrels::new();
            for v in &queries {
                let (Some(qid), Some(gold)) = (id_of(v, "qid"), id_of(v, "gold")) else {
                    bail!("no --qrels given and the queries have no `gold` field");
                };
                q.entry(qid).or_default().insert(gold, 1);
            }
            q
        }
    };
    let threshold = args.rel_threshold.unwrap_or_else(|| {
        let graded = qrels.values().flat_map(|j| j.values()).any(|&g| g > 1);
        if graded {
            2
        } else {
            1
        }
    });

    let lib = Library::in_memory()?;
    let mut writer = lib.writer(200_000_000)?;
    let chunk_opts = if !args.passages {
        ChunkOptions {
            target_words: usize::MAX / 4,
            max_words: usize::MAX / 4,
            min_words: 0,
        }
    } else {
        ChunkOptions::default()
    };
    let modes: Vec<SearchMode> = match args.mode.as_deref() {
        Some("all") => vec![SearchMode::Bm25, SearchMode::Dense, SearchMode::Hybrid],
        Some(m) => vec![m.parse().map_err(anyhow::Error::msg)?],
        None if evident_embed::model_present(&crate::models::model_dir(data)) => {
            vec![SearchMode::Bm25, SearchMode::Dense, SearchMode::Hybrid]
        }
        None => vec![SearchMode::Bm25],
    };
    let needs_model = modes.iter().any(|m| *m != SearchMode::Bm25);
    let embedder = if needs_model {
        match crate::models::load(data)? {
            Some(e) => Some(e),
            None => {
                bail!("dense and hybrid modes need the embedding model: run `evident models fetch`")
            }
        }
    } else {
        None
    };
    let mut passages = 0;
    let mut to_embed: Vec<(String, String)> = Vec::new(); // (passage id, text)
    for v in &records {
        if let Some(doc) = record_document(v, !args.passages) {
            let ps = chunk(&doc, &chunk_opts);
            passages += ps.len();
            writer.add(&doc, &ps)?;
            if embedder.is_some() {
                for p in &ps {
                    to_embed.push((
                        p.id.clone(),
                        crate::ingest::embedding_text(&doc.source.title, p),
                    ));
                }
            }
        }
    }
    let mut embed_note = String::new();
    if let Some(embedder) = &embedder {
        let (entries, note) = embed_with_cache(data, &args.corpus, embedder, &to_embed)?;
        writer.add_vectors(entries)?;
        lib.set_encoder(std::sync::Arc::new(crate::models::ModelEncoder(
            embedder.clone(),
        )));
        embed_note = note;
    }
    writer.commit()?;
    let indexed = started.elapsed();

    println!(
        "corpus {}: {} records, {passages} passages, indexed in {:.1} s{embed_note}",
        args.corpus.display(),
        records.len(),
        indexed.as_secs_f64()
    );
    let fusions = if args.fusion.is_empty() {
        vec![Fusion::default()]
    } else {
        args.fusion.clone()
    };
    for mode in modes {
        // Only hybrid mode fuses; the others run once.
        let fusions = if mode == SearchMode::Hybrid {
            &fusions[..]
        } else {
            &fusions[..1]
        };
        for &fusion in fusions {
            run_mode(&lib, args, &queries, &qrels, threshold, mode, fusion)?;
        }
    }
    Ok(())
}

/// (passage id, hash of the embedded text, vector), as `LibraryWriter::add_vectors` takes them.
type VectorEntry = (String, u64, Vec<f32>);

/// Vectors for `items` (passage id, text), from the cache file of this corpus where the text is
/// unchanged, else embedded now; the cache is updated.
fn embed_with_cache(
    data: &Path,
    corpus: &Path,
    embedder: &evident_embed::Embedder,
    items: &[(String, String)],
) -> Result<(Vec<VectorEntry>, String)> {
    use evident_index::vectors::text_hash;
    let dir = data.join("cache");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // The parent folder names the benchmark: two corpora are both called corpus.jsonl.gz.
    let file = corpus
        .file_name()
        .map_or("corpus".into(), |n| n.to_string_lossy());
    let name = match corpus.parent().and_then(|p| p.file_name()) {
        Some(dir) => format!("{}-{file}", dir.to_string_lossy()),
        None => file.into_owned(),
    };
    let path = dir.join(format!("{name}.{}.vec", evident_embed::MODEL_NAME));
    let cache = evident_index::VectorStore::load(&path).unwrap_or_default();
    let hashes: Vec<u64> = items.iter().map(|(_, t)| text_hash(t)).collect();
    let missing: Vec<usize> = (0..items.len())
        .filter(|&i| cache.by_text_hash(hashes[i]).is_none())
        .collect();
    let started = Instant::now();
    let mut fresh: std::collections::HashMap<usize, Vec<f32>> = std::collections::HashMap::new();
    let mut progress = crate::ingest::StepProgress::stderr();
    for chunk in missing.chunks(512) {
        let texts: Vec<&str> = chunk.iter().map(|&i| items[i].1.as_str()).collect();
        for (&i, v) in chunk.iter().zip(embedder.embed(&texts)?) {
            fresh.insert(i, v);
        }
        progress.step(&format!(
            "embedded {}/{} passages",
            fresh.len(),
            missing.len()
        ));
    }
    progress.finish();
    let took = started.elapsed().as_secs_f64();
    let mut out = Vec::with_capacity(items.len());
    let mut updated = evident_index::VectorStore::new(0);
    for (i, (id, _)) in items.iter().enumerate() {
        let v = match fresh.remove(&i) {
            Some(v) => v,
            None => cache
                .by_text_hash(hashes[i])
                .map(<[f32]>::to_vec)
                .unwrap_or_default(),
        };
        updated.push(id.clone(), hashes[i], &v)?;
        out.push((id.clone(), hashes[i], v));
    }
    if !missing.is_empty() {
        updated.save(&path)?;
    }
    let note = if missing.is_empty() {
        format!(
            "; {} vectors from the cache {}",
            items.len(),
            path.display()
        )
    } else {
        format!(
            "; embedded {} passages in {:.1} s ({:.0} passages/s), {} from the cache",
            missing.len(),
            took,
            missing.len() as f64 / took.max(1e-9),
            items.len() - missing.len()
        )
    };
    Ok((out, note))
}

fn run_mode(
    lib: &Library,
    args: &RetrievalArgs,
    queries: &[Value],
    qrels: &Qrels,
    threshold: i32,
    mode: SearchMode,
    fusion: Fusion,
) -> Result<()> {
    let mut opts = SearchOptions {
        k: args.k * 4,
        priors: false,
        expand: !args.no_expand,
        snippets: false,
        mode,
        fusion,
        ids_only: true,
        ..SearchOptions::default()
    };
    if let Some(w) = &args.weights {
        if w.len() != 5 {
            bail!("--weights takes 5 numbers: title,trail,body,expansion,repeat");
        }
        opts.weights = QueryWeights {
            title: w[0],
            trail: w[1],
            body: w[2],
            expansion: w[3],
            repeat: w[4],
            ..QueryWeights::default()
        };
    }
    let mut run = Run::new();
    let mut latencies = Vec::new();
    for v in queries {
        let Some(qid) = id_of(v, "qid") else { continue };
        let t = Instant::now();
        let hits = match lib.search(&query_text(v), &opts) {
            Ok(h) => h,
            Err(evident_index::Error::EmptyQuery(_)) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        // A record scores by its best passage.
        let mut best: HashMap<String, f32> = HashMap::new();
        for h in hits {
            let e = best.entry(h.passage.source_id).or_insert(f32::MIN);
            *e = e.max(h.score);
        }
        let mut ranked: Vec<(String, f32)> = best.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
        ranked.truncate(args.k);
        latencies.push(t.elapsed().as_secs_f64() * 1e3);
        run.insert(qid, ranked);
    }
    let m = evaluate(qrels, &run, threshold);
    let mode_name = format!("{mode:?}").to_lowercase();
    let run_path = args.run.as_ref().map(|p| {
        if args.mode.as_deref() == Some("all") || args.mode.is_none() && mode != SearchMode::Bm25 {
            p.with_extension(format!("{mode_name}.trec"))
        } else {
            p.clone()
        }
    });
    if let Some(path) = &run_path {
        std::fs::write(path, format_run(&run, &format!("evident-{mode_name}")))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| percentile(&latencies, p);
    let label = if mode == SearchMode::Hybrid {
        format!("{mode_name} {fusion:?}")
    } else {
        mode_name.clone()
    };
    println!(
        "[{label}] queries {}: {} run, {} judged (relevant = grade >= {threshold}); expansion {}",
        args.queries.display(),
        run.len(),
        m.queries,
        if args.no_expand { "off" } else { "on" }
    );
    println!("nDCG@10\t{:.4}", m.ndcg10);
    println!("R@10\t{:.4}", m.recall10);
    println!("R@100\t{:.4}", m.recall100);
    println!("MRR@10\t{:.4}", m.mrr10);
    println!("judged@10\t{:.4}", m.judged10);
    if !latencies.is_empty() {
        println!(
            "latency ms\tp50 {:.2}\tp95 {:.2}\tp99 {:.2}",
            pct(0.5),
            pct(0.95),
            pct(0.99)
        );
    }
    if let Some(path) = &run_path {
        println!("run written to {}", path.display());
    }
    Ok(())
}
