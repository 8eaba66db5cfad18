//! `evident ask`: compose a grounded, cited answer and print it.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use evident_answer::{render, AskRequest, Composer};
use evident_core::{Answer, Audience};

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Md,
    Json,
    Html,
}

#[derive(Args)]
pub struct AskArgs {
    /// The question, in plain words.
    pub question: String,
    /// Who is asking: clinician, patient (or caregiver), student.
    #[arg(long, default_value = "clinician", env = "EVIDENT_AUDIENCE")]
    pub audience: Audience,
    /// Output format.
    #[arg(long, value_enum, default_value = "text", env = "EVIDENT_FORMAT")]
    pub format: Format,
    /// Answer this as a follow-up of an earlier answer: its id (answers are kept in
    /// <data>/answers), a path to its JSON, or the JSON itself.
    #[arg(long)]
    pub follow_up_of: Option<String>,
    #[command(flatten)]
    pub composer: crate::generation::ComposerArgs,
}

/// Where answers are kept so follow-ups can name them by id.
fn answers_dir(data: &Path) -> PathBuf {
    data.join("answers")
}

fn load_parent(data: &Path, spec: &str) -> Result<Answer> {
    let text = if spec.trim_start().starts_with('{') {
        spec.to_string()
    } else if Path::new(spec).is_file() {
        std::fs::read_to_string(spec).with_context(|| format!("cannot read {spec}"))?
    } else {
        let path = answers_dir(data).join(format!("{spec}.json"));
        if !path.is_file() {
            bail!(
                "no answer {spec:?}: give an answer id printed by `evident ask`, a path to answer JSON, or the JSON itself"
            );
        }
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?
    };
    serde_json::from_str(&text).context("--follow-up-of is not valid answer JSON")
}

pub fn run(data: &Path, args: &AskArgs) -> Result<()> {
    let lib = crate::models::open_with_encoder(data)?;
    if lib.counts()?.0 == 0 {
        bail!(
            "the library in {} is empty: run `evident demo` to load the starter library, or `evident library add <path>`",
            data.display()
        );
    }
    let parent = match &args.follow_up_of {
        Some(spec) => Some(load_parent(data, spec)?),
        None => None,
    };
    let generator = args.composer.generator(data)?;
    let mut answer = Composer::new(&lib).answer(&AskRequest {
        question: &args.question,
        audience: args.audience,
        parent: parent.as_ref(),
    })?;
    if let Some(generator) = &generator {
        let started = std::time::Instant::now();
        // Each sentence is shown as it passes the check; the article follows.
        answer = evident_answer::generative::compose_generative(
            &answer,
            generator.as_ref(),
            &args.composer.options(),
            &mut |s| eprintln!("  checked: {}", crate::for_terminal(&s.text)),
        );
        answer.took_ms += started.elapsed().as_secs_f64() * 1e3;
        if let Some(g) = &answer.generation {
            for w in &g.withheld {
                eprintln!(
                    "  withheld: {} ({})",
                    crate::for_terminal(&w.text),
                    w.check.reason.as_deref().unwrap_or("unsupported")
                );
            }
        }
        if let Some(line) = crate::generation::summary(&answer) {
            eprintln!("{}", crate::for_terminal(&line));
        }
    }
    let dir = answers_dir(data);
    crate::config::create_private_dir(&dir)?;
    let path = dir.join(format!("{}.json", answer.id));
    std::fs::write(&path, serde_json::to_string_pretty(&answer)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    match args.format {
        Format::Text => {
            print!("{}", crate::for_terminal(&render::text(&answer)));
            eprintln!(
                "answer {} in {:.1} ms; ask a follow-up with --follow-up-of {}",
                answer.id, answer.took_ms, answer.id
            );
        }
        Format::Md => print!("{}", crate::for_terminal(&render::markdown(&answer))),
        Format::Json => println!("{}", serde_json::to_string_pretty(&answer)?),
        Format::Html => print!("{}", crate::for_terminal(&render::html(&answer))),
    }
    Ok(())
}
