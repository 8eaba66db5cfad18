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
    /// Query-layer weights: title,trail,body,expansion,repeat[,focus[,correction[,filler]]] (the rest
    /// keep their defaults).
    #[arg(long, value_delimiter = ',')]
    pub weights: Option<Vec<f32>>,
    /// How a question becomes a query: `raw` (subject and message as typed), `focused` (the
    /// same words, plus the concept the answer pipeline resolves in them, weighed by `focus`,
    /// and the words it finds no part of what is asked weighed by `filler`), or `both`.
    #[arg(long, default_value = "raw")]
    pub query: QueryForm,
    /// Choose weights by K-fold cross-validation over the judged queries (the grid is --grid):
    /// per fold, the grid point best on the other folds, scored on the held-out one.
    #[arg(long)]
    pub cv: Option<usize>,
    /// Grid for --cv: `name=v1,v2;name=v1,…` over title, trail, body, expansion, repeat,
    /// focus, correction, filler and dense (hybrid fusion's dense weight).
    #[arg(long)]
    pub grid: Option<String>,
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

/// How a benchmark question becomes a query ([`RetrievalArgs::query`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryForm {
    Raw,
    Focused,
    Both,
}

impl QueryForm {
    /// The forms to run: `both` is raw, then focused.
    pub(crate) fn forms(self) -> &'static [QueryForm] {
        match self {
            QueryForm::Both => &[QueryForm::Raw, QueryForm::Focused],
            QueryForm::Raw => &[QueryForm::Raw],
            QueryForm::Focused => &[QueryForm::Focused],
        }
    }
}

/// The rankings `--mode` asks for: one, or `all` three; without it all three when the
/// embedding model is installed, else BM25.
pub(crate) fn modes(data: &Path, mode: Option<&str>) -> Result<Vec<SearchMode>> {
    let all = vec![SearchMode::Bm25, SearchMode::Dense, SearchMode::Hybrid];
    Ok(match mode {
        Some("all") => all,
        Some(m) => vec![m.parse().map_err(anyhow::Error::msg)?],
        None if evident_embed::model_present(&crate::models::model_dir(data)) => all,
        None => vec![SearchMode::Bm25],
    })
}

pub fn retrieval(data: &Path, args: &RetrievalArgs) -> Result<()> {
    let grid = match (&args.grid, args.cv) {
        (Some(g), Some(k)) if k >= 2 => Some(crate::tune::parse_grid(g)?),
        (Some(_), Some(_)) => bail!("--cv needs at least 2 folds"),
        (Some(_), None) => bail!("--grid needs --cv K"),
        (None, Some(_)) => bail!("--cv needs --grid (the weights to choose among)"),
        (None, None) => None,
    };
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
    let modes = modes(data, args.mode.as_deref())?;
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
    for &form in args.query.forms() {
        let prepared = prepare_queries(&lib, &queries, form)?;
        if form == QueryForm::Raw {
            let mut pairs = Vec::new();
            let mut queries_with = 0;
            for q in &prepared.queries {
                let c = lib.corrections(&q.text)?;
                queries_with += usize::from(!c.is_empty());
                pairs.extend(c.into_iter().map(|(from, to)| format!("{from}→{to}")));
            }
            println!(
                "spelling: {} words corrected in {queries_with} of {} queries{}{}",
                pairs.len(),
                prepared.queries.len(),
                if pairs.is_empty() { "" } else { ": " },
                pairs.join(", ")
            );
        }
        if form == QueryForm::Focused {
            println!(
                "focused queries: a concept resolved in {} of {} questions ({:.1} ms per question)",
                prepared.focused,
                prepared.queries.len(),
                prepared.took_ms / prepared.queries.len().max(1) as f64
            );
        }
        for &mode in &modes {
            // Only hybrid mode fuses; the others run once.
            let fusions = if mode == SearchMode::Hybrid {
                &fusions[..]
            } else {
                &fusions[..1]
            };
            for &fusion in fusions {
                let case = Case {
                    lib: &lib,
                    args,
                    queries: &prepared.queries,
                    qrels: &qrels,
                    threshold,
                    mode,
                    form,
                };
                match &grid {
                    Some(axes) => cross_validate(&case, fusion, axes)?,
                    None => run_mode(&case, fusion)?,
                }
            }
        }
    }
    Ok(())
}

/// One query of a benchmark, as searched.
struct Query {
    qid: String,
    text: String,
    focus: evident_index::query::Focus,
}

struct Prepared {
    queries: Vec<Query>,
    /// Questions with a concept resolved.
    focused: usize,
    took_ms: f64,
}

/// The benchmark's questions as queries of `form`: for `focused`, each question's concept as
/// the answer pipeline resolves it (its name and other names, which the query layer weighs by
/// `focus`).
fn prepare_queries(lib: &Library, queries: &[Value], form: QueryForm) -> Result<Prepared> {
    let started = Instant::now();
    let mut out = Vec::new();
    let mut focused = 0;
    for v in queries {
        let Some(qid) = id_of(v, "qid") else { continue };
        let text = query_text(v);
        let mut focus = evident_index::query::Focus::default();
        if form == QueryForm::Focused {
            focus = focus_of(lib, &text)?;
            focused += usize::from(!focus.names.is_empty());
        }
        out.push(Query { qid, text, focus });
    }
    Ok(Prepared {
        queries: out,
        focused,
        took_ms: started.elapsed().as_secs_f64() * 1e3,
    })
}

/// The concept of `question` as the answer pipeline resolves it, as the query layer's focus
/// (its name and other names); empty when the question names none the library covers.
pub(crate) fn focus_of(lib: &Library, question: &str) -> Result<evident_index::query::Focus> {
    let resolved = evident_answer::concepts::resolve(lib, question)?;
    let mut analyzer = lib.analyzer()?;
    let mut filler = Vec::new();
    for w in evident_core::text::words(question) {
        if evident_answer::concepts::is_not_topic(&w.lower) {
            filler.extend(evident_index::query::analyze(&mut analyzer, &w.lower));
        }
    }
    let names: Vec<Vec<String>> = resolved
        .concept
        .map(|c| std::iter::once(c.stems).chain(c.synonyms).collect())
        .unwrap_or_default();
    // A word of the concept's name is never filler.
    filler.retain(|s| !names.iter().flatten().any(|n| n == s));
    filler.sort();
    filler.dedup();
    Ok(evident_index::query::Focus { names, filler })
}

/// What one evaluation runs: a library, its queries and judgements, a mode and query form.
struct Case<'a> {
    lib: &'a Library,
    args: &'a RetrievalArgs,
    queries: &'a [Query],
    qrels: &'a Qrels,
    threshold: i32,
    mode: SearchMode,
    form: QueryForm,
}

impl Case<'_> {
    fn label(&self, fusion: Fusion) -> String {
        let mode_name = format!("{:?}", self.mode).to_lowercase();
        let form = match self.form {
            QueryForm::Focused => " focused",
            _ => "",
        };
        if self.mode == SearchMode::Hybrid {
            format!("{mode_name}{form} {fusion:?}")
        } else {
            format!("{mode_name}{form}")
        }
    }

    /// The search options of this case: evaluation defaults, `--weights`, then `fusion`.
    fn options(&self, fusion: Fusion) -> Result<SearchOptions> {
        let mut opts = SearchOptions {
            k: self.args.k * 4,
            priors: false,
            expand: !self.args.no_expand,
            snippets: false,
            mode: self.mode,
            fusion,
            ids_only: true,
            ..SearchOptions::default()
        };
        if let Some(w) = &self.args.weights {
            if !(5..=8).contains(&w.len()) {
                bail!("--weights takes 5 to 8 numbers: title,trail,body,expansion,repeat[,focus[,correction[,filler]]]");
            }
            let d = QueryWeights::default();
            opts.weights = QueryWeights {
                title: w[0],
                trail: w[1],
                body: w[2],
                expansion: w[3],
                repeat: w[4],
                focus: w.get(5).copied().unwrap_or(d.focus),
                correction: w.get(6).copied().unwrap_or(d.correction),
                filler: w.get(7).copied().unwrap_or(d.filler),
            };
        }
        Ok(opts)
    }

    /// Every query ranked with `opts`, and each query's latency in milliseconds.
    fn run(&self, opts: &SearchOptions) -> Result<(Run, Vec<f64>)> {
        let mut run = Run::new();
        let mut latencies = Vec::new();
        let mut opts = opts.clone();
        for q in self.queries {
            opts.focus.clone_from(&q.focus);
            let t = Instant::now();
            let hits = match self.lib.search(&q.text, &opts) {
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
            ranked.truncate(self.args.k);
            latencies.push(t.elapsed().as_secs_f64() * 1e3);
            run.insert(q.qid.clone(), ranked);
        }
        Ok((run, latencies))
    }
}

/// Chooses among the grid's points by k-fold cross-validation and prints each fold's choice and
/// held-out score, the mean over folds, and the point chosen on all queries.
fn cross_validate(case: &Case, fusion: Fusion, axes: &[crate::tune::Axis]) -> Result<()> {
    use crate::tune;
    let k = case.args.cv.unwrap_or(5);
    let base = case.options(fusion)?;
    let mut points = tune::points(axes);
    // The defaults (with --weights) are always a candidate, and the reference.
    points.insert(0, Vec::new());
    let mut runs = Vec::with_capacity(points.len());
    let mut changes = Vec::with_capacity(points.len());
    for p in &points {
        let mut opts = base.clone();
        tune::apply(p, &mut opts.weights, &mut opts.fusion);
        runs.push(case.run(&opts)?.0);
        changes.push(tune::changes(p));
    }
    let folds = tune::cross_validate(case.qrels, &runs, &changes, 0, k, case.threshold);
    let names: Vec<&str> = axes.iter().map(|a| a.name.as_str()).collect();
    println!(
        "[{} cv] {k} folds; grid over {} ({} points, with the defaults)",
        case.label(fusion),
        names.join(", "),
        points.len()
    );
    let mut test = 0.0;
    let mut baseline = 0.0;
    let mut weight = 0usize;
    for (i, f) in folds.iter().enumerate() {
        let chosen = if points[f.chosen].is_empty() {
            "defaults".to_string()
        } else {
            tune::label(&points[f.chosen])
        };
        println!(
            "fold {}	{} queries	train nDCG@10 {:.4}	test nDCG@10 {:.4}	(defaults {:.4})	{chosen}",
            i + 1,
            f.test_queries,
            f.train,
            f.test.ndcg10,
            f.baseline_test
        );
        test += f.test.ndcg10 * f.test_queries as f64;
        baseline += f.baseline_test * f.test_queries as f64;
        weight += f.test_queries;
    }
    let n = weight.max(1) as f64;
    println!(
        "cv nDCG@10	{:.4}	(defaults {:.4}, {} held-out queries)",
        test / n,
        baseline / n,
        weight
    );
    // The point chosen on all queries, as a fold of one would choose it.
    let all = evident_index::eval::evaluate(case.qrels, &runs[0], case.threshold);
    let scores: Vec<f64> = runs
        .iter()
        .map(|r| evident_index::eval::evaluate(case.qrels, r, case.threshold).ndcg10)
        .collect();
    let best = scores.iter().cloned().fold(f64::MIN, f64::max);
    let chosen = (0..runs.len())
        .filter(|&i| scores[i] >= best - tune::TIE)
        .min_by(|&a, &b| {
            changes[a]
                .cmp(&changes[b])
                .then(scores[b].total_cmp(&scores[a]))
        })
        .unwrap_or(0);
    println!(
        "all queries	defaults nDCG@10 {:.4}	chosen {:.4}	{}",
        all.ndcg10,
        scores[chosen],
        if points[chosen].is_empty() {
            "defaults".to_string()
        } else {
            tune::label(&points[chosen])
        }
    );
    Ok(())
}

/// (passage id, hash of the embedded text, vector), as `LibraryWriter::add_vectors` takes them.
type VectorEntry = (String, u64, Vec<f32>);

/// Vectors for `items` (passage id, text), from the cache file of this corpus where the text is
/// unchanged, else embedded now; the cache is updated.
pub(crate) fn embed_with_cache(
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

fn run_mode(case: &Case, fusion: Fusion) -> Result<()> {
    let (args, mode, threshold) = (case.args, case.mode, case.threshold);
    let (run, mut latencies) = case.run(&case.options(fusion)?)?;
    let qrels = case.qrels;
    let m = evaluate(qrels, &run, threshold);
    let mode_name = format!("{mode:?}").to_lowercase();
    let run_path = args.run.as_ref().map(|p| {
        let many_modes =
            args.mode.as_deref() == Some("all") || args.mode.is_none() && mode != SearchMode::Bm25;
        match (many_modes, args.query == QueryForm::Both) {
            (false, false) => p.clone(),
            (true, false) => p.with_extension(format!("{mode_name}.trec")),
            (_, true) => {
                let form = format!("{:?}", case.form).to_lowercase();
                p.with_extension(format!("{mode_name}.{form}.trec"))
            }
        }
    });
    if let Some(path) = &run_path {
        std::fs::write(path, format_run(&run, &format!("evident-{mode_name}")))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| percentile(&latencies, p);
    let label = case.label(fusion);
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
