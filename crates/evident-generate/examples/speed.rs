//! Measures the embedded backend: `cargo run -p evident-generate --example speed -- MODEL.gguf
//! [PROMPT_WORDS] [MAX_TOKENS]` prints prompt and generation speed and time to first token.
//! `EVIDENT_GENERATOR_PROMPT_F32=0` reads the prompt with the quantized weights only.

use std::ops::ControlFlow;
use std::path::PathBuf;

use evident_generate::{Embedded, EmbeddedOptions, Generator, Request};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(
        args.next()
            .ok_or("usage: speed MODEL.gguf [WORDS] [MAX_TOKENS]")?,
    );
    let words: usize = args.next().map_or(Ok(600), |a| a.parse())?;
    let max_tokens: u32 = args.next().map_or(Ok(64), |a| a.parse())?;
    let loading = std::time::Instant::now();
    let mut options = EmbeddedOptions::default();
    if std::env::var("EVIDENT_GENERATOR_PROMPT_F32").as_deref() == Ok("0") {
        options.prompt_f32_budget = 0;
    }
    let model = Embedded::load_with(&path, options)?;
    eprintln!(
        "loaded {} in {:.2} s",
        path.display(),
        loading.elapsed().as_secs_f64()
    );
    let sentence = "Review the person within three months of starting treatment and check \
                    adherence and side effects at every visit.";
    let mut user = String::new();
    while user.split_whitespace().count() < words {
        user.push_str(sentence);
        user.push(' ');
    }
    user.push_str(
        "\nQuestion: when should the person be reviewed, and what is checked at each visit? \
         Answer in ten numbered sentences.",
    );
    let req = Request::new("You are a careful clinical writer.", user, max_tokens);
    let g = model.generate(&req, &mut |_| ControlFlow::Continue(()))?;
    println!(
        "prompt {} tokens, time to first token {:.2} s ({:.1} tokens/s); generated {} tokens at \
         {:.1} tokens/s; {:.2} s in all; {:?}",
        g.prompt_tokens,
        g.time_to_first_token.as_secs_f64(),
        g.prompt_tokens_per_second().unwrap_or(0.0),
        g.completion_tokens,
        g.tokens_per_second().unwrap_or(0.0),
        g.elapsed.as_secs_f64(),
        g.finish
    );
    Ok(())
}
