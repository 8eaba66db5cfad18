//! `evident eval answers`: answer quality on the K-QA dev set and the clinician dev set.
//!
//! The clinician dev figures are the shared scorers' (`shared/tools/score_*.py`), computed in
//! process by [`scores`] exactly as the scripts define them, overall and per category.

pub mod scores;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use evident_answer::{render, AskRequest, Composer};
use evident_core::{Answer, Audience};
use evident_index::eval::percentile;
use evident_index::Library;
use serde_json::Value;

/// Which library an evaluation answers from.
#[derive(Args)]
pub struct LibraryArgs {
    /// Sources to load into a scratch index. Default: the four shared corpora.
    pub paths: Vec<PathBuf>,
    /// Answer from the library already in the data folder (as `library add` built it, with
    /// hybrid search when the embedding model is installed) instead of a scratch index.
    #[arg(long, conflicts_with = "paths")]
    pub indexed: bool,
}

/// The library to evaluate: the data folder's (`--indexed`), or the paths (default: the four
/// shared corpora) ingested into a scratch index, BM25 only, removed when this is dropped.
pub struct EvalLibrary {
    // Declared before the scratch folder, so the index closes before its folder is removed.
    pub lib: Library,
    _scratch: Option<Scratch>,
}

/// A scratch folder, removed on drop (also when the evaluation fails).
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl EvalLibrary {
    pub fn open(data: &Path, args: &LibraryArgs, label: &str) -> Result<EvalLibrary> {
        if args.indexed {
            let lib = crate::models::open_with_encoder(data)?;
            let (sources, passages) = lib.counts()?;
            if sources == 0 {
                anyhow::bail!(
                    "the library in {} is empty: add sources with `evident library add`, or leave out --indexed to ingest the shared corpora",
                    data.display()
                );
            }
            println!(
                "Library: {sources} sources, {passages} passages (the data folder {}, {} search)",
                data.display(),
                format!("{:?}", lib.effective_mode(evident_index::SearchMode::Auto)).to_lowercase()
            );
            return Ok(EvalLibrary {
                lib,
                _scratch: None,
            });
        }
        let scratch =
            std::env::temp_dir().join(format!("evident-eval-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&scratch);
        let scratch = Scratch(scratch);
        let lib = Library::open(&scratch.0)?;
        let paths = if args.paths.is_empty() {
            crate::bench::shared_corpus_paths()?
        } else {
            args.paths.clone()
        };
        let add = crate::ingest::AddArgs {
            paths,
            max_file_mb: 32,
            heap_mb: 256,
            quiet: true,
        };
        let report = crate::ingest::add_to(&lib, &add, None)?;
        println!(
            "Library: {} sources, {} passages (ingested in {:.1} s)",
            report.sources(),
            report.passages,
            report.elapsed.as_secs_f64()
        );
        Ok(EvalLibrary {
            lib,
            _scratch: Some(scratch),
        })
    }
}

#[derive(Args)]
pub struct AnswersArgs {
    #[command(flatten)]
    pub library: LibraryArgs,
    /// Clinician dev set (JSON Lines with question, audience, in_library, must_have).
    #[arg(
        long,
        default_value = "../shared/data/eval/clinical-dev/questions.jsonl"
    )]
    pub clinical: PathBuf,
    /// K-QA dev set (JSON Lines with Question and Must_have).
    #[arg(long, default_value = "../shared/data/eval/kqa/dev.jsonl")]
    pub kqa: PathBuf,
    /// Write each clinical answer as <id>.md and <id>.json here, for the shared scorers.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write every figure (overall and per category, K-QA, latency) to this JSON file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Print the Markdown of one treatment, one screening and one patient answer.
    #[arg(long)]
    pub examples: bool,
    /// A K-QA must-have statement is covered when one answer statement holds at least this
    /// share of its content terms (stemmed, lexicon synonyms merged).
    #[arg(long, default_value_t = 0.5)]
    pub kqa_threshold: f32,
    /// Composer tuning: passages retrieved per question.
    #[arg(long)]
    pub pool: Option<usize>,
    /// Composer tuning: statements per answer body.
    #[arg(long)]
    pub max_statements: Option<usize>,
    /// Composer tuning: abstain below this best-sentence support.
    #[arg(long)]
    pub min_support: Option<f32>,
    /// Composer tuning: stop adding statements below this share of the first one's score.
    #[arg(long)]
    pub stop_ratio: Option<f32>,
    /// Composer tuning: score lost per unit of overlap with the statements already chosen.
    #[arg(long)]
    pub overlap_penalty: Option<f32>,
    /// Composer tuning: statements per section at most.
    #[arg(long)]
    pub section_cap: Option<usize>,
    /// Answer only the first N clinician dev questions (a generative run on a laptop CPU takes
    /// about a minute per answer).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Leave out the K-QA set.
    #[arg(long)]
    pub skip_kqa: bool,
    #[command(flatten)]
    pub composer: crate::generation::ComposerArgs,
}

/// What the generative composer did over a run.
#[derive(Default)]
struct GenerativeStats {
    answers: usize,
    fallbacks: usize,
    proposed: u64,
    published: u64,
    /// Published model sentences that fail the support check when checked again: must be 0.
    failing: usize,
    prompt_tps: Vec<f64>,
    write_tps: Vec<f64>,
    first_sentence_s: Vec<f64>,
    elapsed_s: Vec<f64>,
}

impl GenerativeStats {
    fn add(&mut self, a: &Answer) {
        let Some(g) = &a.generation else { return };
        self.answers += 1;
        self.fallbacks += g.fallback.is_some() as usize;
        self.proposed += u64::from(g.proposed);
        self.published += u64::from(g.published);
        self.prompt_tps.extend(g.prompt_tokens_per_second);
        self.write_tps.extend(g.tokens_per_second);
        self.first_sentence_s
            .extend(g.first_sentence_ms.map(|ms| ms / 1e3));
        self.elapsed_s.push(g.elapsed_ms / 1e3);
        for s in a.statements().filter(|s| s.model_written) {
            let passages: Vec<&str> = a
                .citations
                .iter()
                .filter(|c| s.citations.contains(&c.number))
                .map(|c| c.passage.as_str())
                .collect();
            if !evident_answer::check_claim(&s.text, &passages).supported {
                self.failing += 1;
            }
        }
    }

    fn report(&mut self) -> Value {
        for v in [
            &mut self.prompt_tps,
            &mut self.write_tps,
            &mut self.first_sentence_s,
            &mut self.elapsed_s,
        ] {
            v.sort_by(f64::total_cmp);
        }
        let share = self.published as f64 / self.proposed.max(1) as f64;
        println!(
            "Generative: {} answers written by the model, {} served grounded instead (fallback); model sentences passed {}/{} ({:.3}); published sentences failing the check again: {}",
            self.answers - self.fallbacks,
            self.fallbacks,
            self.published,
            self.proposed,
            share,
            self.failing
        );
        println!(
            "Generation speed: prompt p50 {:.1} tokens/s, writing p50 {:.1} tokens/s; first published sentence p50 {:.1} s, p90 {:.1} s; per answer p50 {:.1} s",
            percentile(&self.prompt_tps, 0.5),
            percentile(&self.write_tps, 0.5),
            percentile(&self.first_sentence_s, 0.5),
            percentile(&self.first_sentence_s, 0.9),
            percentile(&self.elapsed_s, 0.5)
        );
        serde_json::json!({
            "answers": self.answers,
            "fallbacks": self.fallbacks,
            "proposed": self.proposed,
            "published": self.published,
            "passed_share": share,
            "published_failing_check": self.failing,
            "prompt_tokens_per_second_p50": percentile(&self.prompt_tps, 0.5),
            "tokens_per_second_p50": percentile(&self.write_tps, 0.5),
            "first_sentence_s_p50": percentile(&self.first_sentence_s, 0.5),
            "first_sentence_s_p90": percentile(&self.first_sentence_s, 0.9),
            "answer_s_p50": percentile(&self.elapsed_s, 0.5),
        })
    }
}

/// Content "concepts" of a text: stems, with single-word lexicon synonyms merged into their
/// group's canonical term.
fn concepts(lib: &Library, text: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    for w in evident_core::text::words(text) {
        if evident_core::text::is_stopword(&w.lower) {
            continue;
        }
        if let Some(c) = lib.lexicon().canonical(&w.lower) {
            out.insert(c);
            continue;
        }
        for s in lib.stems(&w.lower).unwrap_or_default() {
            out.insert(s);
        }
    }
    out
}

pub fn run(data: &Path, args: &AnswersArgs) -> Result<()> {
    let library = EvalLibrary::open(data, &args.library, "answers")?;
    let lib = &library.lib;
    let mut report = serde_json::Map::new();
    let mut opts = evident_answer::ComposeOptions::default();
    if let Some(p) = args.pool {
        opts.pool = p;
    }
    if let Some(r) = args.stop_ratio {
        opts.stop_ratio = r;
    }
    if let Some(p) = args.overlap_penalty {
        opts.overlap_penalty = p;
    }
    if let Some(c) = args.section_cap {
        opts.section_cap = c;
    }
    if let Some(m) = args.max_statements {
        opts.max_statements = m;
    }
    if let Some(m) = args.min_support {
        opts.min_support = m;
    }
    let composer = Composer::with_options(lib, opts);
    let generator = args.composer.generator(data)?;
    let generative = args.composer.options();
    let mut stats = GenerativeStats::default();
    let mut latencies = Vec::new();
    let mut grades = Vec::new();
    let mut lengths = Vec::new();
    let mut unverified = 0;

    let mut ask = |q: &str, audience: Audience| -> Result<Answer> {
        let mut a = composer.answer(&AskRequest {
            question: q,
            audience,
            parent: None,
        })?;
        if let Some(generator) = &generator {
            let started = std::time::Instant::now();
            a = evident_answer::generative::compose_generative(
                &a,
                generator.as_ref(),
                &generative,
                &mut |_| {},
            );
            a.took_ms += started.elapsed().as_secs_f64() * 1e3;
            stats.add(&a);
        }
        if a.verify().is_err() {
            unverified += 1;
        }
        latencies.push(a.took_ms);
        if !a.abstained {
            lengths.push(a.statements().count() as f64);
            if audience == Audience::Patient {
                if let Some(g) = a.reading_grade {
                    grades.push(g as f64);
                }
            }
        }
        Ok(a)
    };

    // Clinician dev set, scored by the rules of the shared scorers (`scores`).
    let mut examples: Vec<(&str, String)> = Vec::new();
    if args.clinical.exists() {
        let mut qs = crate::eval::read_jsonl(&args.clinical)?;
        if let Some(n) = args.limit {
            qs.truncate(n);
        }
        if let Some(out) = &args.out {
            std::fs::create_dir_all(out)
                .with_context(|| format!("cannot create {}", out.display()))?;
        }
        let mut files = Vec::with_capacity(qs.len());
        for q in &qs {
            let id = q["id"].as_str().unwrap_or("q");
            let audience = match q["audience"].as_str() {
                Some("patient") => Audience::Patient,
                _ => Audience::Clinician,
            };
            let a = ask(q["question"].as_str().unwrap_or(""), audience)?;
            let md = render::markdown(&a);
            if let Some(out) = &args.out {
                for (ext, text) in [
                    ("md", md.clone()),
                    ("json", serde_json::to_string_pretty(&a)?),
                ] {
                    let path = out.join(format!("{id}.{ext}"));
                    std::fs::write(&path, text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
            }
            files.push(scores::AnswerFiles::of(&a, &md));
            let kind = q["type"].as_str().unwrap_or("");
            let slot = match (kind, audience) {
                (_, Audience::Patient) => "patient",
                ("treatment", _) => "treatment",
                ("screening", _) => "screening",
                _ => "",
            };
            if !slot.is_empty() && !a.abstained && !examples.iter().any(|(s, _)| *s == slot) {
                examples.push((slot, md));
            }
        }
        let all = scores::score(&qs, &files);
        let by_category = scores::by_category(&qs, &files);
        let c = &all.clinical;
        println!(
            "Clinician dev ({}): coverage {:.3} ({}/{} must-have facts in the answer body), out-of-library abstained {}/{}, in-library abstained {}",
            args.clinical.display(),
            c.coverage(),
            c.covered,
            c.facts,
            c.abstain_ok,
            c.out_of_library,
            c.false_abstain
        );
        print_scorer_lines(&all);
        print_table(&all, &by_category);
        let categories: Vec<Value> = by_category
            .iter()
            .map(|(name, f)| {
                let mut v = f.to_json();
                v["category"] = Value::from(name.as_str());
                v
            })
            .collect();
        report.insert(
            "clinical_dev".into(),
            serde_json::json!({
                "questions": args.clinical.display().to_string(),
                "overall": all.to_json(),
                "by_category": categories,
            }),
        );
    } else {
        println!(
            "skipping the clinician dev set: {} not found",
            args.clinical.display()
        );
    }

    // K-QA dev: patient questions with physicians' must-have statements.
    if args.skip_kqa {
        println!("skipping K-QA (--skip-kqa)");
    } else if args.kqa.exists() {
        let qs = crate::eval::read_jsonl(&args.kqa)?;
        let (mut covered, mut total, mut abstained) = (0, 0, 0);
        for q in &qs {
            let a = ask(q["Question"].as_str().unwrap_or(""), Audience::Patient)?;
            abstained += a.abstained as usize;
            let stmts: Vec<HashSet<String>> = if a.abstained {
                Vec::new()
            } else {
                a.statements().map(|s| concepts(lib, &s.text)).collect()
            };
            for m in q["Must_have"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                let want = concepts(lib, m);
                if want.is_empty() {
                    continue;
                }
                total += 1;
                let best = stmts
                    .iter()
                    .map(|s| want.intersection(s).count() as f32 / want.len() as f32)
                    .fold(0.0, f32::max);
                if best >= args.kqa_threshold {
                    covered += 1;
                }
            }
        }
        println!(
            "K-QA dev ({}): must-have coverage {:.3} ({covered}/{total}; covered = one statement holds >= {:.0}% of the statement's content terms, stemmed, lexicon synonyms merged), abstained {abstained}/{} ({:.1}%)",
            args.kqa.display(),
            covered as f64 / total.max(1) as f64,
            args.kqa_threshold * 100.0,
            qs.len(),
            100.0 * abstained as f64 / qs.len().max(1) as f64
        );
        report.insert(
            "kqa".into(),
            serde_json::json!({
                "questions": args.kqa.display().to_string(),
                "coverage": covered as f64 / total.max(1) as f64,
                "covered": covered,
                "must_have": total,
                "threshold": args.kqa_threshold,
                "abstained": abstained,
                "answers": qs.len(),
            }),
        );
    } else {
        println!("skipping K-QA: {} not found", args.kqa.display());
    }

    latencies.sort_by(f64::total_cmp);
    lengths.sort_by(f64::total_cmp);
    grades.sort_by(f64::total_cmp);
    println!(
        "Latency per answer: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms ({} answers)",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.95),
        percentile(&latencies, 0.99),
        latencies.len()
    );
    println!(
        "Statements per answer (answered): p25 {:.0}, median {:.0}, p75 {:.0}",
        percentile(&lengths, 0.25),
        percentile(&lengths, 0.5),
        percentile(&lengths, 0.75)
    );
    if !grades.is_empty() {
        println!(
            "Reading grade of patient answers (Flesch-Kincaid): min {:.1}, p25 {:.1}, median {:.1}, p75 {:.1}, max {:.1}",
            grades[0],
            percentile(&grades, 0.25),
            percentile(&grades, 0.5),
            percentile(&grades, 0.75),
            grades[grades.len() - 1]
        );
    }
    println!("Answers failing verify(): {unverified}");
    if args.examples {
        for (slot, md) in &examples {
            println!("\n----- example: {slot} -----\n{md}");
        }
    }
    report.insert(
        "latency_ms".into(),
        serde_json::json!({
            "p50": percentile(&latencies, 0.5),
            "p95": percentile(&latencies, 0.95),
            "p99": percentile(&latencies, 0.99),
            "answers": latencies.len(),
        }),
    );
    report.insert(
        "statements_per_answer".into(),
        serde_json::json!({
            "p25": percentile(&lengths, 0.25),
            "median": percentile(&lengths, 0.5),
            "p75": percentile(&lengths, 0.75),
        }),
    );
    if !grades.is_empty() {
        report.insert(
            "reading_grade".into(),
            serde_json::json!({"median": percentile(&grades, 0.5)}),
        );
    }
    report.insert("unverified".into(), unverified.into());
    if generator.is_some() {
        report.insert("generative".into(), stats.report());
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("Figures written to {}", path.display());
    }
    drop(library);
    if unverified > 0 {
        anyhow::bail!("{unverified} answers failed verification");
    }
    Ok(())
}

/// The three scripts' own lines, so a run reads like theirs.
fn print_scorer_lines(f: &scores::Figures) {
    println!("  score_clinical.py   {}", f.clinical.line());
    println!("  score_precision.py  {}", f.precision.line());
    println!("  score_article.py    {}", f.article.line());
}

/// One row per category (and one for all): the scorers' figures and ours, compactly.
fn print_table(all: &scores::Figures, by_category: &[(String, scores::Figures)]) {
    println!(
        "{:<15} {:>3} {:>8} {:>7} {:>5} {:>7} {:>4} {:>5} {:>4} {:>6} {:>7} {:>6} {:>5} {:>6} {:>6} {:>6} {:>6}",
        "category", "n", "coverage", "abstain", "false", "on_src", "off", "stmts", "srcs",
        "lead", "lint", "pat_cl", "f/10", "named", "refs", "p50ms", "p99ms"
    );
    let row = |name: &str, f: &scores::Figures| {
        let (c, p, a, e) = (&f.clinical, &f.precision, &f.article, &f.extra);
        println!(
            "{:<15} {:>3} {:>8.3} {:>7} {:>5} {:>7.3} {:>4} {:>5} {:>4} {:>6} {:>7} {:>6.3} {:>5.2} {:>6} {:>6} {:>6.1} {:>6.1}",
            name,
            f.questions,
            c.coverage(),
            format!("{}/{}", c.abstain_ok, c.out_of_library),
            c.false_abstain,
            p.share(),
            p.offtopic.len(),
            p.median_statements,
            p.median_sources,
            format!("{}/{}", a.lead_hit, a.lead_answers),
            format!("{}/{}", a.lint, a.statements),
            a.patient_in_clinician(),
            a.facts_per_10_statements(),
            format!("{}/{}", e.named_and_listed, e.abstained),
            format!("{}/{}", e.refs_per_source, e.answered),
            e.latency(0.5),
            e.latency(0.99),
        );
    };
    row("all", all);
    for (name, f) in by_category {
        row(name, f);
    }
    println!(
        "  coverage, abstain (out-of-library abstained), false (in-library abstained): score_clinical.py; \
         on_src, off (off-topic answers), stmts and srcs (medians): score_precision.py; \
         lead, lint, pat_cl (clinician statements citing patient information), f/10 (facts per 10 statements): score_article.py; \
         named: abstentions naming a topic word of the question and listing nearest topics; \
         refs: answers with one reference per distinct source; p50ms/p99ms: composition time"
    );
}
