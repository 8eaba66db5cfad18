//! `evident demo`: index the bundled starter library and search it, with no flags or network.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Args;
use evident_index::{Library, SearchOptions};

#[derive(Args)]
pub struct DemoArgs {
    /// Question to answer; without one, the example question is answered and two more searched.
    pub question: Option<String>,
    /// Folder of the starter library.
    #[arg(long, env = "EVIDENT_STARTER_LIBRARY")]
    pub library: Option<PathBuf>,
    /// Passages to show per question.
    #[arg(long, short, default_value_t = 3)]
    pub k: usize,
}

const EXAMPLES: &[&str] = &[
    "What is the treatment for necrotizing autoimmune myopathy?",
    "first-line drug for HTN in a patient with CKD",
    "anticoagulation dose of apixaban in AF",
];

/// The starter library: the flag, `./library`, or the one beside this crate's source.
pub(crate) fn starter_library(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    let candidates = [
        PathBuf::from("library"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../library"),
    ];
    for c in candidates {
        if c.is_dir() {
            return Ok(c);
        }
    }
    bail!("cannot find the starter library folder; pass --library <folder>")
}

/// When [`open_with_starter`] indexes the starter library.
pub(crate) enum Starter {
    /// Every time (`demo`): unchanged sources are skipped, so a second run is quick.
    Always,
    /// Only into an empty library (`serve`): an operator's own library is left alone.
    WhenEmpty,
}

/// Opens the data folder's library with `open` and indexes the starter library (`flag`,
/// `./library`, or the bundled one) into it as `library add` would, printing its report.
///
/// `WhenEmpty` on a library another process is writing (two servers started at once on an
/// empty folder) waits for that writer, up to a minute, and indexes nothing when it finds the
/// library filled after it.
pub(crate) fn open_with_starter(
    data: &Path,
    flag: Option<&Path>,
    when: Starter,
    open: fn(&Path) -> Result<Library>,
) -> Result<Library> {
    /// How long a server waits for another process's writer before giving up.
    const WRITER_WAIT: std::time::Duration = std::time::Duration::from_secs(60);
    let lib = open(data)?;
    if matches!(when, Starter::WhenEmpty) && lib.counts()?.0 > 0 {
        return Ok(lib);
    }
    let folder = starter_library(flag)?;
    match when {
        Starter::Always => println!(
            "Indexing the starter library in {} into {} …",
            folder.display(),
            data.display()
        ),
        Starter::WhenEmpty => println!(
            "The library is empty: indexing the starter library in {} …",
            folder.display()
        ),
    }
    let add = crate::ingest::AddArgs {
        paths: vec![folder],
        max_file_mb: 32,
        heap_mb: 64,
        quiet: true,
    };
    let deadline = std::time::Instant::now() + WRITER_WAIT;
    loop {
        let busy = match crate::ingest::add_to(&lib, &add, None) {
            Ok(report) => {
                crate::ingest::print_report(&report, &lib)?;
                return Ok(lib);
            }
            Err(e) => match e.downcast_ref::<evident_index::Error>() {
                Some(i) if i.is_writer_busy() && matches!(when, Starter::WhenEmpty) => e,
                _ => return Err(e),
            },
        };
        println!(
            "Another process is writing the library (another server starting?): waiting for it …"
        );
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        // Taking the writer reads the latest commit: the other process's, once it let go.
        let writer = match lib.writer_waiting(add.heap_mb * 1_000_000, left) {
            Ok(w) => w,
            Err(e) if e.is_writer_busy() => {
                return Err(busy.context(format!(
                    "another process held the library's writer lock for {} s; start again once \
                     it has finished (is `evident library add` running on {}?)",
                    WRITER_WAIT.as_secs(),
                    data.display()
                )))
            }
            Err(e) => return Err(e.into()),
        };
        let (sources, passages) = lib.counts()?;
        drop(writer);
        if sources > 0 {
            println!(
                "Another process indexed the library meanwhile: it holds {sources} sources and {passages} passages."
            );
            return Ok(lib);
        }
    }
}

pub fn run(data: &Path, args: &DemoArgs) -> Result<()> {
    let lib = open_with_starter(
        data,
        args.library.as_deref(),
        Starter::Always,
        crate::open_library,
    )?;
    let question = args.question.as_deref().unwrap_or(EXAMPLES[0]);
    println!("\n=== Answer: {question}\n");
    let answer = evident_answer::Composer::new(&lib).answer(&evident_answer::AskRequest {
        question,
        audience: evident_core::Audience::Clinician,
        parent: None,
    })?;
    print!("{}", evident_answer::render::text(&answer));
    if args.question.is_none() {
        for q in &EXAMPLES[1..] {
            println!("\n=== Search: {q}\n");
            let opts = SearchOptions {
                k: args.k,
                ..SearchOptions::default()
            };
            crate::print_hits(&lib.search(q, &opts)?);
        }
    }
    println!(
        "\nNext: `evident ask \"<question>\" [--audience patient] [--format md|json|html]`, `evident search \"<words>\"`, or add your own sources with `evident library add <path>`."
    );
    Ok(())
}
