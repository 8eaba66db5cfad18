//! A stand-in for an OpenAI-compatible server: HTTP/1.1 on 127.0.0.1, one thread per
//! connection, answering each request with the next scripted [`Reply`] and recording what it
//! was sent and how many connections were open at once.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with these server-sent event lines (each written as `line\n\n`, one chunk each),
    /// `delay` apart; with `cut_after: Some(n)` the connection is dropped after `n` of them,
    /// without the closing chunk.
    Stream {
        events: Vec<String>,
        delay: Duration,
        cut_after: Option<usize>,
    },
    /// This status with a JSON body and extra headers.
    Json {
        status: u16,
        body: Value,
        headers: Vec<(String, String)>,
    },
    /// Read the request, then say nothing for this long and close.
    Silent(Duration),
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Reply>>,
    seen: Mutex<Vec<Seen>>,
    open: AtomicUsize,
    most_open: AtomicUsize,
}

/// A running stand-in; its thread ends with the test process.
pub struct StandIn {
    pub base_url: String,
    shared: Arc<Shared>,
}

impl StandIn {
    /// Starts a server that answers requests with `script`, in order (then 500).
    pub fn start(script: Vec<Reply>) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            script: Mutex::new(script.into()),
            ..Shared::default()
        });
        let for_thread = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&for_thread);
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        StandIn {
            base_url: format!("http://{addr}/v1"),
            shared,
        }
    }

    /// The requests received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// The most connections that were open at the same time.
    pub fn most_open(&self) -> usize {
        self.shared.most_open.load(Ordering::SeqCst)
    }
}

/// Counts a connection as open until [`Open::close`] (or drop), whichever is first.
struct Open<'a>(Option<&'a AtomicUsize>);

impl Open<'_> {
    fn close(&mut self) {
        if let Some(open) = self.0.take() {
            open.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        self.close();
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let now = shared.open.fetch_add(1, Ordering::SeqCst) + 1;
    shared.most_open.fetch_max(now, Ordering::SeqCst);
    let mut open = Open(Some(&shared.open));
    let _ = answer(stream, shared, &mut open);
}

/// Answers one request. The connection stops counting as open just before the last bytes the
/// client waits for are written: the client can only start its next call after reading them, so
/// the count never overlaps two calls of one client.
fn answer(stream: TcpStream, shared: &Shared, open: &mut Open) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared.seen.lock().unwrap().push(Seen {
        path,
        headers,
        body,
    });
    let reply = shared
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Reply::Json {
            status: 500,
            body: json!({"error": {"message": "the stand-in's script is exhausted"}}),
            headers: vec![],
        });
    let mut out = stream;
    match reply {
        Reply::Json {
            status,
            body,
            headers,
        } => {
            let body = body.to_string();
            let mut head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                reason(status),
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            open.close();
            out.write_all(head.as_bytes())?;
            out.write_all(body.as_bytes())?;
        }
        Reply::Stream {
            events,
            delay,
            cut_after,
        } => {
            out.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            )?;
            for (i, event) in events.iter().enumerate() {
                if cut_after == Some(i) {
                    out.flush()?;
                    return Ok(());
                }
                if i + 1 == events.len() {
                    open.close();
                }
                let data = format!("{event}\n\n");
                out.write_all(format!("{:x}\r\n{data}\r\n", data.len()).as_bytes())?;
                out.flush()?;
                if i + 1 < events.len() {
                    std::thread::sleep(delay);
                }
            }
            out.write_all(b"0\r\n\r\n")?;
        }
        Reply::Silent(for_how_long) => std::thread::sleep(for_how_long),
    }
    out.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// `data: {chunk}` for a delta of `content`.
pub fn delta(content: &str) -> String {
    format!(
        "data: {}",
        json!({"id": "c1", "object": "chat.completion.chunk", "model": "stand-in-model",
               "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": null}]})
    )
}

/// The events of a complete streamed answer made of `pieces`, with usage and `[DONE]`.
pub fn streamed(pieces: &[&str], prompt_tokens: u32) -> Vec<String> {
    let mut events = vec![format!(
        "data: {}",
        json!({"model": "stand-in-model", "choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": null}]})
    )];
    events.extend(pieces.iter().map(|p| delta(p)));
    events.push(format!(
        "data: {}",
        json!({"model": "stand-in-model", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    ));
    events.push(format!(
        "data: {}",
        json!({"model": "stand-in-model", "choices": [],
               "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": pieces.len()}})
    ));
    events.push("data: [DONE]".into());
    events
}

/// A streamed answer, `delay` between events.
pub fn stream(pieces: &[&str], delay: Duration) -> Reply {
    Reply::Stream {
        events: streamed(pieces, 42),
        delay,
        cut_after: None,
    }
}

/// An error status with an OpenAI-style error body.
pub fn status(status: u16, message: &str) -> Reply {
    Reply::Json {
        status,
        body: json!({"error": {"message": message, "type": "error"}}),
        headers: vec![],
    }
}
