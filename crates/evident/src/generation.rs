//! Choosing the composer: grounded (quotes, the default) or generative (a model writes, every
//! sentence checked against its cited passage), and building the generator the flags name.
//!
//! Shared by `ask`, `serve` and `eval answers`. The generator is an embedded GGUF model
//! (`--generator smollm2-135m|qwen2.5-coder-0.5b|qwen2.5-coder-1.5b`, fetched with `evident models
//! fetch --generator M`) or an OpenAI-compatible server (`--generator openai` with
//! `--openai-base-url` and `--openai-model`; the API key is read from the variable
//! `--openai-api-key-env` names, never from the command line).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use evident_answer::generative::GenerativeOptions;
use evident_generate::{Embedded, Generator, GeneratorModel, OpenAiCompatible, OpenAiConfig};

/// Which composer writes the article.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ComposerKind {
    /// Every statement quoted from its cited passage.
    Grounded,
    /// A language model writes from the selected passages; each sentence is checked against the
    /// passages it cites and only those that pass are published. Falls back to grounded.
    Generative,
}

/// The composer flags.
#[derive(Args, Clone, Debug)]
pub struct ComposerArgs {
    /// grounded (quoted statements) or generative (model-written, every sentence checked).
    #[arg(long, value_enum, default_value = "grounded", env = "EVIDENT_COMPOSER")]
    pub composer: ComposerKind,
    /// For --composer generative: an embedded model (smollm2-135m, qwen2.5-coder-0.5b,
    /// qwen2.5-coder-1.5b) or `openai` for an OpenAI-compatible server.
    #[arg(long, default_value = "qwen2.5-coder-0.5b", env = "EVIDENT_GENERATOR")]
    pub generator: String,
    /// The OpenAI-compatible server's base URL, ending in /v1 (vLLM, llama.cpp, Ollama, …).
    #[arg(long, env = "EVIDENT_OPENAI_BASE_URL")]
    pub openai_base_url: Option<String>,
    /// The model name the server knows.
    #[arg(long, env = "EVIDENT_OPENAI_MODEL")]
    pub openai_model: Option<String>,
    /// The environment variable that holds the API key (default: EVIDENT_OPENAI_API_KEY when
    /// set; none for a local server). The key itself is never logged.
    #[arg(long, env = "EVIDENT_OPENAI_API_KEY_ENV")]
    pub openai_api_key_env: Option<String>,
    /// Seconds the server may take to answer before the grounded article is served.
    #[arg(long, default_value_t = 120, env = "EVIDENT_GENERATOR_TIMEOUT_S")]
    pub generator_timeout_s: u64,
    /// Tokens the model may write per answer.
    #[arg(long, default_value_t = 400, env = "EVIDENT_GENERATOR_MAX_TOKENS")]
    pub generator_max_tokens: u32,
    /// Passages given to the model at most.
    #[arg(long, default_value_t = 6, env = "EVIDENT_GENERATOR_PASSAGES")]
    pub generator_passages: usize,
    /// Words of each passage given to the model at most.
    #[arg(long, default_value_t = 120, env = "EVIDENT_GENERATOR_PASSAGE_WORDS")]
    pub generator_passage_words: usize,
}

impl ComposerArgs {
    /// The generative composer's options from the flags.
    pub fn options(&self) -> GenerativeOptions {
        GenerativeOptions {
            max_passages: self.generator_passages.max(1),
            passage_words: self.generator_passage_words.max(20),
            max_tokens: self.generator_max_tokens.max(16),
            ..GenerativeOptions::default()
        }
    }

    /// The generator, for `--composer generative`; `None` for grounded.
    pub fn generator(&self, data: &Path) -> Result<Option<Arc<dyn Generator>>> {
        if self.composer == ComposerKind::Grounded {
            return Ok(None);
        }
        if self.generator == "openai" {
            let (Some(base), Some(model)) = (&self.openai_base_url, &self.openai_model) else {
                bail!(
                    "--generator openai needs --openai-base-url (EVIDENT_OPENAI_BASE_URL) and --openai-model (EVIDENT_OPENAI_MODEL)"
                );
            };
            let mut config = OpenAiConfig::new(base.clone(), model.clone());
            config.api_key_env = self.openai_api_key_env.clone().or_else(|| {
                std::env::var_os("EVIDENT_OPENAI_API_KEY").map(|_| "EVIDENT_OPENAI_API_KEY".into())
            });
            config.read_timeout = Duration::from_secs(self.generator_timeout_s.max(1));
            let client = OpenAiCompatible::new(config)
                .context("cannot set up the OpenAI-compatible generator")?;
            return Ok(Some(Arc::new(client)));
        }
        let model: GeneratorModel = self.generator.parse().map_err(|e: String| {
            anyhow::anyhow!("--generator: {e} (or `openai` for an OpenAI-compatible server)")
        })?;
        let dir = crate::models::generator_dir(data);
        let path = evident_generate::verify(model, &dir).with_context(|| {
            format!(
                "the generation model {model} is not installed in {}: run `evident models fetch --generator {model}`",
                dir.display()
            )
        })?;
        let embedded =
            Embedded::load(&path).with_context(|| format!("cannot load {}", path.display()))?;
        Ok(Some(Arc::new(embedded)))
    }
}

/// One line on how a generative answer was written (for the terminal and eval logs).
pub fn summary(answer: &evident_core::Answer) -> Option<String> {
    let g = answer.generation.as_ref()?;
    let mut line = format!(
        "{}: {} of {} model sentences passed the support check",
        g.model, g.published, g.proposed
    );
    if let Some(ms) = g.first_sentence_ms {
        line.push_str(&format!(
            "; first published sentence after {:.1} s",
            ms / 1e3
        ));
    }
    if let Some(t) = g.prompt_tokens_per_second {
        line.push_str(&format!(
            "; prompt {} tokens at {t:.1} tokens/s",
            g.prompt_tokens
        ));
    }
    if let Some(t) = g.tokens_per_second {
        line.push_str(&format!(
            "; wrote {} tokens at {t:.1} tokens/s",
            g.completion_tokens
        ));
    }
    line.push_str(&format!("; {:.1} s in all", g.elapsed_ms / 1e3));
    if let Some(note) = &g.fallback {
        line.push_str(&format!("\nnote: {note}"));
    }
    Some(line)
}
