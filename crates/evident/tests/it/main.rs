//! End-to-end tests of the `evident` binary: each runs it as a child process on a fresh data dir.

mod cli;
mod crash;
mod eval;
mod fleet;
mod generative;
mod serve;
mod shared;
mod store;
mod support;

use std::path::Path;
use std::process::{Command, Output};

pub fn evident(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evident"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("EVIDENT_DATA")
        // BM25 only: embedding whole corpora in a debug build would take hours; the embedder has
        // its own tests in evident-embed.
        .env("EVIDENT_MODEL_DIR", "/nonexistent/evident-test-model")
        .output()
        .expect("the evident binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and asserts success, returning stdout.
pub fn ok(data: &Path, args: &[&str]) -> String {
    let o = evident(data, args);
    assert!(
        o.status.success(),
        "evident {args:?} failed:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// A Markdown topic with front matter.
pub fn topic(id: &str, title: &str, body: &str) -> String {
    format!("---\nid: {id}\ntitle: \"{title}\"\nkind: guideline\nyear: 2024\n---\n\n# {title}\n\n## Treatment\n\n{body}\n")
}

/// A library of one topic in `data`, its Markdown written to `<tmp>/docs/<id>.md` and added
/// with `library add --quiet`.
pub fn one_topic_library(tmp: &Path, data: &Path, id: &str, title: &str, body: &str) {
    let docs = tmp.join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(docs.join(format!("{id}.md")), topic(id, title, body)).unwrap();
    ok(data, &["library", "add", docs.to_str().unwrap(), "--quiet"]);
}

/// The source ids `evident library list --json` prints, in order.
pub fn listed_ids(data: &Path) -> Vec<String> {
    ok(data, &["library", "list", "--json"])
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("list --json prints JSON");
            v["source"]["id"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}
