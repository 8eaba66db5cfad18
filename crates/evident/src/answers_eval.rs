//! `evident eval answers`: answer quality on the K-QA dev set and the clinician dev set.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use evident_answer::{render, AskRequest, Composer};
use evident_core::{Answer, Audience};
use evident_index::eval::percentile;
use evident_index::Library;
use serde_json::Value;

#[derive(Args)]
pub struct AnswersArgs {
    /// Sources to load into a scratch index. Default: the four shared corpora.
    pub paths: Vec<PathBuf>,
    /// Clinician dev set (JSON Lines with question, audience, in_library, must_have).
    #[arg(
        long,
        default_value = "../shared/data/eval/clinical-dev/questions.jsonl"
    )]
    pub clinical: PathBuf,
    /// K-QA dev set (JSON Lines with Question and Must_have).
    #[arg(long, default_value = "../shared/data/eval/kqa/dev.jsonl")]
    pub kqa: PathBuf,
    /// Write each clinical answer as <id>.md and <id>.json here, for score_clinical.py.
    #[arg(long)]
    pub out: Option<PathBuf>,
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
}

/// The answer body as score_clinical.py reads it: Markdown before the references heading,
/// lowercased, whitespace folded.
fn body(markdown: &str) -> String {
    let cut = markdown
        .lines()
        .scan(0usize, |pos, line| {
            let start = *pos;
            *pos += line.len() + 1;
            Some((start, line))
        })
        .find(|(_, line)| {
            let l = line
                .trim_start()
                .trim_start_matches('#')
                .trim_start_matches("**")
                .trim()
                .to_lowercase();
            l.starts_with("references") || l.starts_with("sources")
        })
        .map_or(markdown.len(), |(start, _)| start);
    evident_core::text::normalize_for_match(&markdown[..cut])
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

pub fn run(args: &AnswersArgs) -> Result<()> {
    let scratch = std::env::temp_dir().join(format!("evident-eval-answers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let lib = Library::open(&scratch)?;
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
    let mut opts = evident_answer::ComposeOptions::default();
    if let Some(p) = args.pool {
        opts.pool = p;
    }
    if let Some(m) = args.max_statements {
        opts.max_statements = m;
    }
    if let Some(m) = args.min_support {
        opts.min_support = m;
    }
    let composer = Composer::with_options(&lib, opts);
    let mut latencies = Vec::new();
    let mut grades = Vec::new();
    let mut lengths = Vec::new();
    let mut unverified = 0;

    let mut ask = |q: &str, audience: Audience| -> Result<Answer> {
        let a = composer.answer(&AskRequest {
            question: q,
            audience,
            parent: None,
        })?;
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

    // Clinician dev set, scored by the rules of shared/tools/score_clinical.py.
    let mut examples: Vec<(&str, String)> = Vec::new();
    if args.clinical.exists() {
        let qs = crate::eval::read_jsonl(&args.clinical)?;
        if let Some(out) = &args.out {
            std::fs::create_dir_all(out)
                .with_context(|| format!("cannot create {}", out.display()))?;
        }
        let (mut hit, mut all, mut abst_ok, mut abst_all, mut false_abst) = (0, 0, 0, 0, 0);
        for q in &qs {
            let id = q["id"].as_str().unwrap_or("q");
            let audience = match q["audience"].as_str() {
                Some("patient") => Audience::Patient,
                _ => Audience::Clinician,
            };
            let a = ask(q["question"].as_str().unwrap_or(""), audience)?;
            let md = render::markdown(&a);
            if let Some(out) = &args.out {
                std::fs::write(out.join(format!("{id}.md")), &md)?;
                std::fs::write(
                    out.join(format!("{id}.json")),
                    serde_json::to_string_pretty(&a)?,
                )?;
            }
            let b = body(&md);
            if q["in_library"].as_bool().unwrap_or(true) {
                false_abst += a.abstained as usize;
                for f in q["must_have"].as_array().into_iter().flatten() {
                    all += 1;
                    let any = f["any_of"].as_array().into_iter().flatten();
                    if any
                        .filter_map(Value::as_str)
                        .any(|s| b.contains(&s.to_lowercase()))
                    {
                        hit += 1;
                    }
                }
            } else {
                abst_all += 1;
                abst_ok += a.abstained as usize;
            }
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
        println!(
            "Clinician dev ({}): coverage {:.3} ({hit}/{all} must-have facts in the answer body), out-of-library abstained {abst_ok}/{abst_all}, in-library abstained {false_abst}",
            args.clinical.display(),
            hit as f64 / all.max(1) as f64
        );
    } else {
        println!(
            "skipping the clinician dev set: {} not found",
            args.clinical.display()
        );
    }

    // K-QA dev: patient questions with physicians' must-have statements.
    if args.kqa.exists() {
        let qs = crate::eval::read_jsonl(&args.kqa)?;
        let (mut covered, mut total, mut abstained) = (0, 0, 0);
        for q in &qs {
            let a = ask(q["Question"].as_str().unwrap_or(""), Audience::Patient)?;
            abstained += a.abstained as usize;
            let stmts: Vec<HashSet<String>> = if a.abstained {
                Vec::new()
            } else {
                a.statements().map(|s| concepts(&lib, &s.text)).collect()
            };
            for m in q["Must_have"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                let want = concepts(&lib, m);
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
    drop(lib);
    let _ = std::fs::remove_dir_all(&scratch);
    if unverified > 0 {
        anyhow::bail!("{unverified} answers failed verification");
    }
    Ok(())
}
