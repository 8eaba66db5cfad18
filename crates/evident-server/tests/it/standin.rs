//! A stand-in language model behind an OpenAI-compatible server on 127.0.0.1 (the idea of
//! `evident-generate`'s own test stand-in): HTTP/1.1, one thread per connection, answering
//! `/v1/chat/completions` with server-sent events.
//!
//! It writes like a careful model would, from the prompt alone: it reads the numbered passages
//! the generative composer gave it and copies sentences of them, each ending with the passage's
//! number; asked to, it also writes one sentence with a number the passage does not state.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evident_generate::{OpenAiCompatible, OpenAiConfig};
use serde_json::{json, Value};

/// The number the wrong sentence states (in no passage of the starter library).
pub const WRONG_NUMBER: &str = "737";

/// How the stand-in answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Sentences copied from the passages, each citing its passage.
    Faithful,
    /// As `Faithful`, with one sentence whose number is changed to [`WRONG_NUMBER`] (second in
    /// the stream).
    OneWrongNumber,
    /// Every request answered 404 "model not found".
    Fail,
}

#[derive(Debug)]
struct Shared {
    behaviour: Behaviour,
    requests: AtomicUsize,
}

/// A running stand-in; its thread ends with the test process.
pub struct StandIn {
    pub base_url: String,
    shared: Arc<Shared>,
}

impl StandIn {
    pub fn start(behaviour: Behaviour) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            behaviour,
            requests: AtomicUsize::new(0),
        });
        let for_thread = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&for_thread);
                std::thread::spawn(move || {
                    let _ = answer(stream, &shared);
                });
            }
        });
        StandIn {
            base_url: format!("http://{addr}/v1"),
            shared,
        }
    }

    /// Chat completion requests received so far.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// The generator that talks to this stand-in: no retries, a short timeout.
    pub fn generator(&self) -> OpenAiCompatible {
        let mut config = OpenAiConfig::new(&self.base_url, "stand-in-model");
        config.max_retries = 0;
        config.backoff_base = Duration::from_millis(5);
        config.read_timeout = Duration::from_secs(20);
        OpenAiCompatible::new(config).unwrap()
    }
}

fn answer(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let mut out = stream;
    if shared.behaviour == Behaviour::Fail || !request_line.contains("/chat/completions") {
        let body = json!({"error": {"message": "model not found", "type": "error"}}).to_string();
        out.write_all(
            format!(
                "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )?;
        return out.flush();
    }
    let user = body["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default();
    let text = write(user, shared.behaviour == Behaviour::OneWrongNumber);
    out.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    )?;
    let mut events = vec![event(json!({"role": "assistant"}), None)];
    // Pieces of a few characters, as a model streams tokens.
    let chars: Vec<char> = text.chars().collect();
    for piece in chars.chunks(12) {
        events.push(event(
            json!({"content": piece.iter().collect::<String>()}),
            None,
        ));
    }
    events.push(event(json!({}), Some("stop")));
    events.push(format!(
        "data: {}",
        json!({"model": "stand-in-model", "choices": [],
               "usage": {"prompt_tokens": user.len() / 4, "completion_tokens": events.len()}})
    ));
    events.push("data: [DONE]".into());
    for e in &events {
        let data = format!("{e}\n\n");
        out.write_all(format!("{:x}\r\n{data}\r\n", data.len()).as_bytes())?;
        out.flush()?;
        std::thread::sleep(Duration::from_millis(2));
    }
    out.write_all(b"0\r\n\r\n")?;
    out.flush()
}

fn event(delta: Value, finish: Option<&str>) -> String {
    format!(
        "data: {}",
        json!({"id": "c1", "object": "chat.completion.chunk", "model": "stand-in-model",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    )
}

/// The answer to a prompt: up to two sentences of each numbered passage, six at most, each
/// ending with its passage's number; with `wrong`, the first sentence holding a number is
/// repeated with that number changed (second in the answer).
pub fn write(prompt: &str, wrong: bool) -> String {
    let mut copied: Vec<(String, usize)> = Vec::new();
    for (number, passage) in passages(prompt) {
        for s in sentences(&passage).into_iter().take(2) {
            if copied.len() < 6 {
                copied.push((s, number));
            }
        }
    }
    let mut lines: Vec<String> = copied
        .iter()
        .map(|(s, n)| format!("{} [{n}].", s.trim_end_matches('.')))
        .collect();
    if wrong {
        let with_number = copied
            .iter()
            .find(|(s, _)| s.chars().any(|c| c.is_ascii_digit()));
        let changed = match with_number {
            Some((s, n)) => {
                let start = s.find(|c: char| c.is_ascii_digit()).unwrap();
                let end = s[start..]
                    .find(|c: char| !c.is_ascii_digit())
                    .map_or(s.len(), |e| start + e);
                let s = format!("{}{WRONG_NUMBER}{}", &s[..start], &s[end..]);
                format!("{} [{n}].", s.trim_end_matches('.'))
            }
            None if copied.is_empty() => String::new(),
            None => {
                let (s, n) = &copied[0];
                format!(
                    "{} at a dose of {WRONG_NUMBER} mg [{n}].",
                    s.trim_end_matches('.')
                )
            }
        };
        lines.insert(1.min(lines.len()), changed);
    }
    lines.join("\n")
}

/// The numbered passages of the prompt, the text after the title: lines `Passage n (Title):
/// text`, or `[n] Title: text`.
fn passages(prompt: &str) -> Vec<(usize, String)> {
    let Some((_, after)) = prompt.split_once("Passages:\n") else {
        return Vec::new();
    };
    after
        .lines()
        .filter_map(|line| {
            let rest = line
                .strip_prefix("Passage ")
                .or_else(|| line.strip_prefix('['))?;
            let digits = rest.find(|c: char| !c.is_ascii_digit())?;
            let n: usize = rest[..digits].parse().ok()?;
            let rest = rest[digits..].trim_start_matches(']').trim_start();
            let text = if rest.starts_with('(') {
                // The title in parentheses, which may hold parentheses and colons of its own.
                let mut depth = 0;
                let close = rest.char_indices().find_map(|(i, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    (depth == 0).then_some(i)
                })?;
                rest[close + 1..].trim_start_matches(':').trim()
            } else {
                rest.split_once(": ")?.1
            };
            Some((n, text.to_string()))
        })
        .collect()
}

/// Sentences of a passage a test may copy: 6 to 40 words, no brackets or colons (so that no
/// part of a title or a reference mark comes with them).
pub fn sentences(passage: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = passage.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let end_here = matches!(b, b'.' | b'!' | b'?')
            && (i + 1 == bytes.len() || bytes[i + 1] == b' ' || bytes[i + 1] == b'\n');
        if end_here {
            out.push(passage[start..=i].trim().to_string());
            start = i + 1;
        }
    }
    out.retain(|s| {
        let words = s.split_whitespace().count();
        (6..=40).contains(&words) && !s.contains(['[', ']', ':', '\n'])
    });
    out
}
