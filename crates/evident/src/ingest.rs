//! `evident library add`: walk paths, read items, chunk, index; progress and a summary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use evident_embed::Embedder;
use evident_index::vectors::text_hash;
use evident_index::{AddOutcome, Library, LibraryWriter};
use evident_ingest::{chunk, ChunkOptions, Document, Item, Passage, WalkOptions};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Args, Clone)]
pub struct AddArgs {
    /// Files, folders or archives to add.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Skip items larger than this many megabytes (after decompression).
    #[arg(long, default_value_t = 32, env = "EVIDENT_MAX_FILE_MB")]
    pub max_file_mb: u64,
    /// Memory for the index writer, in megabytes.
    #[arg(long, default_value_t = 256, env = "EVIDENT_INDEX_HEAP_MB")]
    pub heap_mb: usize,
    /// Do not draw a progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Counts gathered while adding.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub items: u64,
    pub bytes: u64,
    pub new: u64,
    pub replaced: u64,
    /// Sources re-added with different content (their articles need re-review).
    pub replaced_ids: Vec<String>,
    pub unchanged: u64,
    pub passages: u64,
    /// (item path, reason)
    pub skipped: Vec<(String, String)>,
    pub elapsed: Duration,
    /// Passages embedded (not found in the embedding cache), and the time spent embedding.
    pub embedded: u64,
    pub reused: u64,
    pub embed_time: Duration,
}

impl Report {
    pub fn sources(&self) -> u64 {
        self.new + self.replaced + self.unchanged
    }

    pub fn passages_per_sec(&self) -> f64 {
        self.passages as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// `library add`; then articles citing sources whose content changed are flagged in the
/// article store at `db_url` (when one exists).
pub fn add(data: &Path, db_url: Option<&str>, args: &AddArgs) -> Result<()> {
    let lib = crate::open_library(data)?;
    let embedder = crate::models::load(data)?;
    let report = add_to(&lib, args, embedder.as_deref())?;
    print_report(&report, &lib)?;
    crate::admin::flag_changed_sources(data, db_url, &report.replaced_ids)
}

/// What the reader thread sends: one item's documents with their passages, or why it was
/// skipped.
enum Parsed {
    Docs {
        bytes: u64,
        docs: Vec<(Document, Vec<Passage>)>,
    },
    Skipped {
        path: String,
        reason: String,
    },
}

/// Adds every path to `lib` and commits once at the end, so an interrupted run changes nothing.
pub fn add_to(lib: &Library, args: &AddArgs, embedder: Option<&Embedder>) -> Result<Report> {
    let started = Instant::now();
    let bar = progress_bar(args.quiet);
    let mut report = Report::default();
    let mut writer = lib.writer(args.heap_mb * 1_000_000)?;
    for path in &args.paths {
        if !path.exists() {
            anyhow::bail!("cannot read {}: no such file or folder", path.display());
        }
    }

    // Reading and parsing run on their own thread, indexing on this one (tantivy adds its own
    // threads), so both cores stay busy. The channel is bounded to keep memory flat.
    let (tx, rx) = mpsc::sync_channel::<Parsed>(64);
    let paths = args.paths.clone();
    let walk_opts = WalkOptions {
        max_item_bytes: args.max_file_mb * 1024 * 1024,
    };
    let reader_thread = std::thread::spawn(move || -> Result<()> {
        let readers = evident_ingest::readers();
        let chunk_opts = ChunkOptions::default();
        for path in &paths {
            let mut visit = |item: evident_ingest::Result<Item>| {
                let msg = match item {
                    Err(e) => Parsed::Skipped {
                        path: error_path(&e),
                        reason: e.to_string(),
                    },
                    Ok(item) => match evident_ingest::read_with(&readers, &item) {
                        Ok(docs) => Parsed::Docs {
                            bytes: item.bytes.len() as u64,
                            docs: docs
                                .into_iter()
                                .map(|d| {
                                    let ps = chunk(&d, &chunk_opts);
                                    (d, ps)
                                })
                                .collect(),
                        },
                        Err(e) => Parsed::Skipped {
                            path: item.path.clone(),
                            reason: e.to_string(),
                        },
                    },
                };
                let _ = tx.send(msg);
            };
            evident_ingest::walk(path, &walk_opts, &mut visit)
                .with_context(|| format!("cannot read {}", path.display()))?;
        }
        Ok(())
    });

    let mut pending: Vec<(String, Passage)> = Vec::new();
    for msg in rx {
        report.items += 1;
        match msg {
            Parsed::Docs { bytes, docs } => {
                report.bytes += bytes;
                for (doc, passages) in docs {
                    let outcome = writer.add(&doc, &passages)?;
                    match outcome {
                        AddOutcome::New => report.new += 1,
                        AddOutcome::Replaced => {
                            report.replaced += 1;
                            report.replaced_ids.push(doc.source.id.clone());
                        }
                        AddOutcome::Unchanged => report.unchanged += 1,
                    }
                    report.passages += passages.len() as u64;
                    if outcome != AddOutcome::Unchanged && embedder.is_some() {
                        let title = doc.source.title.clone();
                        pending.retain(|(_, p)| p.source_id != doc.source.id);
                        pending.extend(passages.into_iter().map(|p| (title.clone(), p)));
                        if pending.len() >= EMBED_BATCH {
                            embed_pending(lib, embedder, &mut writer, &mut pending, &mut report)?;
                        }
                    }
                }
            }
            Parsed::Skipped { path, reason } => report.skipped.push((path, reason)),
        }
        if report.items % 64 == 0 {
            let secs = started.elapsed().as_secs_f64().max(1e-9);
            let embedded = if embedder.is_some() {
                format!(", {} embedded", report.embedded + report.reused)
            } else {
                String::new()
            };
            bar.set_message(format!(
                "{} items, {} sources, {} passages ({:.0}/s){embedded}, {} skipped",
                report.items,
                report.sources(),
                report.passages,
                report.passages as f64 / secs,
                report.skipped.len()
            ));
        }
    }
    reader_thread
        .join()
        .map_err(|_| anyhow::anyhow!("the reader thread panicked"))??;
    embed_pending(lib, embedder, &mut writer, &mut pending, &mut report)?;
    bar.set_message("committing…");
    writer.commit()?;
    bar.finish_and_clear();
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The text a passage is embedded as: its source title and heading trail give the model the
/// context a reader has. Its hash is the embedding cache key.
pub fn embedding_text(title: &str, p: &Passage) -> String {
    let mut out = String::from(title);
    for h in &p.trail {
        if h != title {
            out.push_str(" — ");
            out.push_str(h);
        }
    }
    out.push_str(": ");
    out.push_str(&p.text);
    out
}

/// Passages embedded per model call batch.
const EMBED_BATCH: usize = 256;

/// Embeds the pending passages (reusing vectors of identical text already in the library) and
/// hands the vectors to the writer.
fn embed_pending(
    lib: &Library,
    embedder: Option<&Embedder>,
    writer: &mut LibraryWriter<'_>,
    pending: &mut Vec<(String, Passage)>,
    report: &mut Report,
) -> Result<()> {
    let Some(embedder) = embedder else {
        pending.clear();
        return Ok(());
    };
    if pending.is_empty() {
        return Ok(());
    }
    let store = lib.vectors();
    let texts: Vec<String> = pending
        .iter()
        .map(|(title, p)| embedding_text(title, p))
        .collect();
    let hashes: Vec<u64> = texts.iter().map(|t| text_hash(t)).collect();
    let mut vectors: Vec<Option<Vec<f32>>> = hashes
        .iter()
        .map(|&h| store.by_text_hash(h).map(<[f32]>::to_vec))
        .collect();
    let missing: Vec<usize> = (0..pending.len())
        .filter(|&i| vectors[i].is_none())
        .collect();
    report.reused += (pending.len() - missing.len()) as u64;
    if !missing.is_empty() {
        let started = Instant::now();
        let batch: Vec<&str> = missing.iter().map(|&i| texts[i].as_str()).collect();
        let embedded = embedder
            .embed(&batch)
            .context("embedding passages failed")?;
        report.embed_time += started.elapsed();
        report.embedded += missing.len() as u64;
        for (i, v) in missing.into_iter().zip(embedded) {
            vectors[i] = Some(v);
        }
    }
    let entries = pending
        .iter()
        .zip(hashes)
        .zip(vectors)
        .map(|(((_, p), h), v)| (p.id.clone(), h, v.unwrap_or_default()))
        .collect();
    writer.add_vectors(entries)?;
    pending.clear();
    Ok(())
}

fn error_path(e: &evident_ingest::Error) -> String {
    use evident_ingest::Error::*;
    match e {
        Unsupported { path, .. }
        | Malformed { path, .. }
        | TooLarge { path, .. }
        | Empty { path, .. }
        | Io { path, .. } => path.clone(),
    }
}

fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
            .expect("valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Progress of a step that repeats ("embedded 512/17908 passages"). On a terminal each step
/// replaces the last on one line; in a pipe or a log file, where `\r` would glue the steps
/// into one long line, each step is a line of its own.
pub struct StepProgress<W: std::io::Write> {
    out: W,
    overwrite: bool,
    drawn: bool,
}

impl StepProgress<std::io::Stderr> {
    /// Progress on standard error, overwriting in place only when it is a terminal.
    pub fn stderr() -> Self {
        use std::io::IsTerminal;
        let err = std::io::stderr();
        let overwrite = err.is_terminal();
        StepProgress::new(err, overwrite)
    }
}

impl<W: std::io::Write> StepProgress<W> {
    pub fn new(out: W, overwrite: bool) -> Self {
        StepProgress {
            out,
            overwrite,
            drawn: false,
        }
    }

    /// Shows one step. Progress is a courtesy: a closed stderr does not stop the work.
    pub fn step(&mut self, message: &str) {
        let _ = if self.overwrite {
            write!(self.out, "\r{message}\x1b[K")
        } else {
            writeln!(self.out, "{message}")
        };
        let _ = self.out.flush();
        self.drawn = true;
    }

    /// Ends the line the steps were drawn on, if any.
    pub fn finish(&mut self) {
        if self.overwrite && self.drawn {
            let _ = writeln!(self.out);
        }
        self.drawn = false;
    }
}

/// Prints the summary: sources, passages, rate, and every skipped item with its reason.
/// Many items skipped for the same reason are grouped, with a few of their paths.
pub fn print_report(r: &Report, lib: &Library) -> Result<()> {
    println!(
        "Read {} items ({:.1} MB) in {:.1} s: {} sources ({} new, {} replaced, {} unchanged), {} passages ({:.0} passages/s).",
        r.items,
        r.bytes as f64 / 1e6,
        r.elapsed.as_secs_f64(),
        r.sources(),
        r.new,
        r.replaced,
        r.unchanged,
        r.passages,
        r.passages_per_sec()
    );
    if !r.skipped.is_empty() {
        println!("Skipped {} items:", r.skipped.len());
        // Group by the reason without its path, so 4,000 empty MedQuAD files read as one line.
        let mut groups: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (path, reason) in &r.skipped {
            let generic = reason
                .strip_prefix(path.as_str())
                .map(|s| s.trim_start_matches(':').trim().to_string())
                .unwrap_or_else(|| reason.clone());
            groups.entry(generic).or_default().push(path);
        }
        for (reason, paths) in &groups {
            if paths.len() <= 5 {
                for p in paths {
                    println!("  - {p}: {reason}");
                }
            } else {
                println!(
                    "  - {} items: {reason} (e.g. {})",
                    paths.len(),
                    paths[..3].join(", ")
                );
            }
        }
    }
    if r.embedded + r.reused > 0 {
        println!(
            "Embedded {} passages in {:.1} s ({:.0} passages/s); {} reused from the cache.",
            r.embedded,
            r.embed_time.as_secs_f64(),
            r.embedded as f64 / r.embed_time.as_secs_f64().max(1e-9),
            r.reused
        );
    }
    let (sources, passages) = lib.counts()?;
    println!("The library now holds {sources} sources and {passages} passages.");
    if let Some(mb) = crate::peak_rss_mb() {
        println!("Peak memory: {mb:.0} MB.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Progress under a pipe (issue 13): steps written with `\r` ran together into one line.
    #[test]
    fn steps_are_lines_of_their_own_off_a_terminal() {
        let mut out = Vec::new();
        let mut p = StepProgress::new(&mut out, false);
        p.step("embedded 512/1000 passages");
        p.step("embedded 1000/1000 passages");
        p.finish();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "embedded 512/1000 passages\nembedded 1000/1000 passages\n"
        );

        let mut out = Vec::new();
        let mut p = StepProgress::new(&mut out, true);
        p.step("embedded 512/1000 passages");
        p.step("embedded 1000/1000 passages");
        p.finish();
        let shown = String::from_utf8(out).unwrap();
        assert_eq!(shown.matches('\r').count(), 2, "{shown:?}");
        assert!(shown.ends_with("1000/1000 passages\x1b[K\n"), "{shown:?}");
    }
}
