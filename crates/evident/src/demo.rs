//! `evident demo`: index the bundled starter library and search it, with no flags or network.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Args;
use evident_index::SearchOptions;

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

pub fn run(data: &Path, args: &DemoArgs) -> Result<()> {
    let folder = starter_library(args.library.as_deref())?;
    let lib = crate::open_library(data)?;
    println!(
        "Indexing the starter library in {} into {} …",
        folder.display(),
        data.display()
    );
    let add = crate::ingest::AddArgs {
        paths: vec![folder],
        max_file_mb: 32,
        heap_mb: 64,
        quiet: true,
    };
    let report = crate::ingest::add_to(&lib, &add, None)?;
    crate::ingest::print_report(&report, &lib)?;
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
