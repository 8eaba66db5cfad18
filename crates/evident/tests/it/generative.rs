//! `evident ask --composer generative` end to end: with the embedded test model (SmolLM2-135M,
//! read from `$EVIDENT_GENERATOR_MODEL_DIR`; skipped when absent unless
//! `EVIDENT_REQUIRE_MODELS=1`), and against a local stand-in for an OpenAI-compatible server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use evident_core::Answer;

use crate::{one_topic_library, stderr, stdout};

const GOUT: &str = "Allopurinol is the first-line urate-lowering drug for gout. Start \
                    allopurinol at 100 mg daily and raise the dose every 2 to 4 weeks until the \
                    serum urate is below 6 mg/dL. Treat a gout flare with colchicine, an NSAID or \
                    a corticosteroid.";

fn gout_library(tmp: &Path) -> std::path::PathBuf {
    let data = tmp.join("data");
    one_topic_library(tmp, &data, "t-gout", "Gout", GOUT);
    data
}

/// Every model-written statement carries a passed check, and the answer verifies.
fn assert_only_checked_sentences_published(a: &Answer) {
    assert_eq!(a.verify(), Ok(()));
    for s in a.statements().filter(|s| s.model_written) {
        let check = s
            .check
            .as_ref()
            .expect("a model sentence carries its check");
        assert!(check.supported, "published but unsupported: {s:?}");
    }
    let g = a
        .generation
        .as_ref()
        .expect("the answer records its generation");
    assert_eq!(
        g.published as usize,
        a.statements().filter(|s| s.model_written).count()
    );
    if a.composer == "generative" {
        assert!(g.fallback.is_none());
        assert!(g.published >= 3);
    } else {
        assert!(
            g.fallback.is_some(),
            "a grounded answer after generation says why"
        );
    }
    for w in &g.withheld {
        assert!(!w.check.supported);
        assert!(w.check.reason.is_some(), "a withheld sentence says why");
    }
}

#[test]
fn the_embedded_model_writes_and_only_checked_sentences_are_published() {
    let Some(dir) = std::env::var_os("EVIDENT_GENERATOR_MODEL_DIR") else {
        assert!(
            std::env::var("EVIDENT_REQUIRE_MODELS").as_deref() != Ok("1"),
            "EVIDENT_REQUIRE_MODELS=1 but EVIDENT_GENERATOR_MODEL_DIR is not set"
        );
        eprintln!("skipping: EVIDENT_GENERATOR_MODEL_DIR is not set; run `evident models fetch --generator smollm2-135m`");
        return;
    };
    if !Path::new(&dir)
        .join("SmolLM2-135M-Instruct-Q4_1.gguf")
        .is_file()
        && std::env::var("EVIDENT_REQUIRE_MODELS").as_deref() != Ok("1")
    {
        eprintln!("skipping: SmolLM2-135M is not in {dir:?}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = gout_library(tmp.path());
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_evident"))
        .arg("--data")
        .arg(&data)
        .args([
            "ask",
            "How is gout treated?",
            "--format",
            "json",
            "--composer",
            "generative",
            "--generator",
            "smollm2-135m",
            "--generator-max-tokens",
            "120",
            "--generator-passages",
            "2",
            "--generator-passage-words",
            "60",
        ])
        .env_remove("EVIDENT_DATA")
        .env("EVIDENT_MODEL_DIR", "/nonexistent/evident-test-model")
        .env("EVIDENT_GENERATOR_MODEL_DIR", &dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let a: Answer = serde_json::from_str(&stdout(&o)).unwrap();
    let g = a.generation.as_ref().expect("generation ran");
    assert!(g.completion_tokens > 0, "the model wrote: {g:?}");
    assert!(g.model.contains("SmolLM2"), "{}", g.model);
    assert_only_checked_sentences_published(&a);
    eprintln!("{}", stderr(&o));
}

/// A stand-in OpenAI-compatible server: answers every request with `status` and, for 200, the
/// content streamed as server-sent events, a few words per event. Records the request heads.
fn stand_in(status: u16, content: &'static str) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&heads);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            seen.lock().unwrap().push(head);
            if status != 200 {
                let body = r#"{"error":{"message":"the stand-in is down"}}"#;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                continue;
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
            );
            let words: Vec<&str> = content.split_inclusive(' ').collect();
            for chunk in words.chunks(3) {
                let piece = chunk.concat();
                let event = serde_json::json!({
                    "choices": [{"index": 0, "delta": {"content": piece}}]
                });
                let _ = write!(stream, "data: {event}\n\n");
            }
            let end = serde_json::json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]});
            let _ = write!(stream, "data: {end}\n\ndata: [DONE]\n\n");
        }
    });
    (base, heads)
}

const WRITTEN: &str = "Allopurinol is the first-line drug to lower urate in gout [1]. \
    Allopurinol is started at 100 mg daily, and the dose is raised every 2 to 4 weeks [1]. \
    The dose is raised until the serum urate is below 6 mg/dL [1]. \
    Allopurinol is started at 300 mg daily [1]. \
    A gout flare is treated with colchicine, an NSAID or a corticosteroid [1].";

fn ask_openai(data: &Path, base: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_evident"))
        .arg("--data")
        .arg(data)
        .args([
            "ask",
            "How is gout treated?",
            "--format",
            "json",
            "--composer",
            "generative",
            "--generator",
            "openai",
            "--openai-base-url",
            base,
            "--openai-model",
            "stand-in",
            "--generator-timeout-s",
            "10",
        ])
        .env_remove("EVIDENT_DATA")
        .env("EVIDENT_MODEL_DIR", "/nonexistent/evident-test-model")
        .env("EVIDENT_OPENAI_API_KEY", "sk-test-0123456789-secret")
        .output()
        .unwrap()
}

#[test]
fn against_an_openai_compatible_server_checked_sentences_are_published_and_the_key_stays_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let data = gout_library(tmp.path());
    let (base, heads) = stand_in(200, WRITTEN);
    let o = ask_openai(&data, &base);
    assert!(o.status.success(), "{}", stderr(&o));
    let a: Answer = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(a.composer, "generative");
    assert_only_checked_sentences_published(&a);
    let g = a.generation.as_ref().unwrap();
    assert_eq!((g.proposed, g.published), (5, 4));
    assert!(g.withheld[0].text.contains("300 mg"));
    let err = stderr(&o);
    assert!(
        err.contains("withheld: Allopurinol is started at 300 mg daily."),
        "{err}"
    );
    assert!(err.contains("4 of 5 model sentences passed"), "{err}");
    // The key went to the server, and nowhere else.
    let heads = heads.lock().unwrap();
    assert!(
        heads[0].contains("Bearer sk-test-0123456789-secret"),
        "{}",
        heads[0]
    );
    assert!(heads[0].starts_with("POST /v1/chat/completions"));
    assert!(!stdout(&o).contains("0123456789-secret") && !err.contains("0123456789-secret"));
}

#[test]
fn a_failing_server_gives_the_grounded_answer_with_a_note_and_no_key_in_the_error() {
    let tmp = tempfile::tempdir().unwrap();
    let data = gout_library(tmp.path());
    let (base, _) = stand_in(500, "");
    let o = ask_openai(&data, &base);
    assert!(o.status.success(), "{}", stderr(&o));
    let a: Answer = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(a.composer, "grounded");
    let note = a.generation.as_ref().unwrap().fallback.as_deref().unwrap();
    assert!(note.contains("the model failed"), "{note}");
    assert!(!a.statements().any(|s| s.model_written));
    assert_eq!(a.verify(), Ok(()));
    let err = stderr(&o);
    assert!(err.contains("note: the model failed"), "{err}");
    assert!(!err.contains("0123456789-secret"));
}

#[test]
fn a_missing_embedded_model_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let data = gout_library(tmp.path());
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_evident"))
        .arg("--data")
        .arg(&data)
        .args(["ask", "How is gout treated?", "--composer", "generative"])
        .args(["--generator", "smollm2-135m"])
        .env("EVIDENT_GENERATOR_MODEL_DIR", tmp.path().join("none"))
        .env("EVIDENT_MODEL_DIR", "/nonexistent/evident-test-model")
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("evident models fetch --generator smollm2-135m"),
        "{err}"
    );
}
