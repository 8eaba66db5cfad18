//! Reading an answer: server-sent events (`data: {chunk}` lines ending in `data: [DONE]`) or
//! one JSON body.
//!
//! Each `data:` line is parsed on its own (every server we know sends one JSON chunk per line);
//! comments (`: keep-alive`) and the `event:`, `id:` and `retry:` fields are skipped. Anything
//! else is [`Error::MalformedChunk`]: a server speaking another protocol should fail loudly, not
//! produce an empty answer.

use std::io::{BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::error::{Error, Result};
use crate::generator::{Finish, Generation, StopScanner};

/// What reading one answer needs to know.
pub(super) struct Reader<'a> {
    /// The model asked for (the server's name for it replaces this when it gives one).
    pub(super) model: &'a str,
    pub(super) url: &'a str,
    pub(super) read_timeout: Duration,
    pub(super) stop: &'a [String],
    pub(super) start: Instant,
}

/// The answer so far.
struct Answer<'a> {
    model: String,
    scanner: StopScanner,
    finish: Option<Finish>,
    usage: Option<(u32, u32)>,
    chunks: u32,
    first_text: Option<Duration>,
    start: Instant,
    on_text: &'a mut dyn FnMut(&str) -> ControlFlow<()>,
}

impl Reader<'_> {
    /// Reads a streamed answer, calling `on_text` as text arrives.
    pub(super) fn stream(
        &self,
        body: impl Read,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Generation> {
        let mut answer = self.answer(on_text);
        let mut body = BufReader::new(body);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = body
                .read_until(b'\n', &mut buf)
                .map_err(|e| self.read_error(e))?;
            if n == 0 {
                if answer.finish.is_some() {
                    // A finish_reason came; only `[DONE]` is missing, and nothing was lost.
                    return Ok(answer.done());
                }
                return Err(Error::StreamClosed {
                    why: format!(
                        "the connection ended after {} chunks without a finish_reason or \
                         data: [DONE]",
                        answer.chunks
                    ),
                });
            }
            if buf.last() != Some(&b'\n') && answer.finish.is_none() {
                return Err(Error::StreamClosed {
                    why: format!(
                        "the connection ended inside a line after {} chunks",
                        answer.chunks
                    ),
                });
            }
            let line = std::str::from_utf8(&buf)
                .map_err(|_| Error::malformed(&String::from_utf8_lossy(&buf), "not UTF-8"))?;
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() || line.starts_with(':') {
                continue;
            }
            let Some(data) = line.strip_prefix("data:") else {
                let field = line.split(':').next().unwrap_or_default();
                if matches!(field, "event" | "id" | "retry") {
                    continue;
                }
                return Err(Error::malformed(
                    line,
                    "not a server-sent event `data:` line",
                ));
            };
            let data = data.strip_prefix(' ').unwrap_or(data);
            if data.trim() == "[DONE]" {
                return Ok(answer.done());
            }
            let chunk: Value = serde_json::from_str(data)
                .map_err(|e| Error::malformed(line, format!("not JSON: {e}")))?;
            if answer.chunk(&chunk, line)?.is_break() {
                return Ok(answer.done());
            }
        }
    }

    /// Reads a whole (non-streamed) answer and hands its text to `on_text` at once.
    pub(super) fn whole(
        &self,
        mut body: impl Read,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Generation> {
        let mut text = String::new();
        body.read_to_string(&mut text)
            .map_err(|e| self.read_error(e))?;
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| Error::malformed(&text, format!("not JSON: {e}")))?;
        let mut answer = self.answer(on_text);
        if let Some(error) = value.get("error") {
            return Err(stream_error(error));
        }
        answer.meta(&value);
        let choice = value
            .get("choices")
            .and_then(|c| c.get(0))
            .ok_or_else(|| Error::malformed(&text, "no choices[0]"))?;
        let content = match choice.get("message").and_then(|m| m.get("content")) {
            Some(Value::String(s)) => s.as_str(),
            Some(Value::Null) => "",
            _ => return Err(Error::malformed(&text, "no choices[0].message.content")),
        };
        answer.finish = Some(finish_of(choice).unwrap_or(Finish::Stop));
        if !content.is_empty() {
            answer.chunks = 1;
            // The stream-wide flow result is irrelevant: there is nothing more to read.
            let _ = answer.text(content);
        }
        Ok(answer.done())
    }

    fn answer<'a>(&self, on_text: &'a mut dyn FnMut(&str) -> ControlFlow<()>) -> Answer<'a> {
        Answer {
            model: self.model.to_string(),
            scanner: StopScanner::new(self.stop),
            finish: None,
            usage: None,
            chunks: 0,
            first_text: None,
            start: self.start,
            on_text,
        }
    }

    fn read_error(&self, e: std::io::Error) -> Error {
        let inner = e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>());
        match inner {
            Some(ureq::Error::Timeout(_)) => Error::Timeout {
                url: self.url.to_string(),
                after_ms: self.read_timeout.as_millis(),
            },
            _ if e.kind() == std::io::ErrorKind::TimedOut => Error::Timeout {
                url: self.url.to_string(),
                after_ms: self.read_timeout.as_millis(),
            },
            Some(ureq::Error::BodyExceedsLimit(limit)) => {
                Error::malformed("", format!("the answer is longer than {limit} bytes"))
            }
            _ => Error::StreamClosed {
                why: format!("reading the answer failed: {e}"),
            },
        }
    }
}

impl Answer<'_> {
    /// Takes in one streamed chunk; `Break` when the answer is over (a stop string, or the
    /// caller cancelled).
    fn chunk(&mut self, chunk: &Value, line: &str) -> Result<ControlFlow<()>> {
        if let Some(error) = chunk.get("error") {
            return Err(stream_error(error));
        }
        self.meta(chunk);
        let choices = match chunk.get("choices") {
            Some(Value::Array(choices)) => choices,
            // The closing usage chunk may have no choices at all.
            None | Some(Value::Null) if chunk.get("usage").is_some_and(Value::is_object) => {
                return Ok(ControlFlow::Continue(()));
            }
            _ => return Err(Error::malformed(line, "no choices array")),
        };
        let Some(choice) = choices.first() else {
            return Ok(ControlFlow::Continue(()));
        };
        let content = match choice.get("delta").and_then(|d| d.get("content")) {
            Some(Value::String(s)) => s.as_str(),
            None | Some(Value::Null) => "",
            Some(_) => return Err(Error::malformed(line, "delta.content is not a string")),
        };
        if let Some(finish) = finish_of(choice) {
            self.finish = Some(finish);
        }
        if content.is_empty() {
            return Ok(ControlFlow::Continue(()));
        }
        self.chunks += 1;
        Ok(self.text(content))
    }

    /// Model name and usage, wherever a chunk carries them.
    fn meta(&mut self, value: &Value) {
        if let Some(model) = value.get("model").and_then(Value::as_str) {
            if !model.is_empty() {
                self.model = model.to_string();
            }
        }
        if let Some(usage) = value.get("usage").filter(|u| u.is_object()) {
            let count = |k: &str| {
                usage
                    .get(k)
                    .and_then(Value::as_u64)
                    .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
            };
            self.usage = Some((count("prompt_tokens"), count("completion_tokens")));
        }
    }

    /// Passes new text through the stop scanner to the caller.
    fn text(&mut self, piece: &str) -> ControlFlow<()> {
        self.first_text.get_or_insert_with(|| self.start.elapsed());
        let (safe, stopped) = self.scanner.push(piece);
        if !safe.is_empty() && (self.on_text)(safe).is_break() {
            self.finish = Some(Finish::Cancelled);
            return ControlFlow::Break(());
        }
        if stopped {
            self.finish = Some(Finish::Stop);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    fn done(mut self) -> Generation {
        if self.finish != Some(Finish::Cancelled) {
            let tail = self.scanner.finish().to_string();
            if !tail.is_empty() && (self.on_text)(&tail).is_break() {
                self.finish = Some(Finish::Cancelled);
            }
        }
        let elapsed = self.start.elapsed();
        let (prompt_tokens, completion_tokens) = self.usage.unwrap_or((0, self.chunks));
        Generation {
            text: self.scanner.text().to_string(),
            model: self.model,
            prompt_tokens,
            completion_tokens,
            time_to_first_token: self.first_text.unwrap_or(elapsed),
            elapsed,
            finish: self.finish.unwrap_or(Finish::Stop),
        }
    }
}

fn finish_of(choice: &Value) -> Option<Finish> {
    match choice.get("finish_reason")?.as_str()? {
        "stop" | "eos" => Some(Finish::Stop),
        "length" => Some(Finish::Length),
        other => Some(Finish::Other(other.to_string())),
    }
}

fn stream_error(error: &Value) -> Error {
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .or_else(|| error.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| error.to_string());
    let mut end = message.len().min(300);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    Error::StreamError {
        message: message[..end].to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str, stop: &[&str]) -> (Result<Generation>, Vec<String>) {
        let stop: Vec<String> = stop.iter().map(|s| s.to_string()).collect();
        let reader = Reader {
            model: "asked",
            url: "http://h/v1/chat/completions",
            read_timeout: Duration::from_secs(1),
            stop: &stop,
            start: Instant::now(),
        };
        let mut seen = Vec::new();
        let result = reader.stream(body.as_bytes(), &mut |t| {
            seen.push(t.to_string());
            ControlFlow::Continue(())
        });
        (result, seen)
    }

    fn chunk(content: &str) -> String {
        format!(
            "data: {}\n\n",
            serde_json::json!({"model": "served", "choices": [{"delta": {"content": content}, "finish_reason": null}]})
        )
    }

    #[test]
    fn comments_event_fields_and_crlf_are_accepted() {
        let body = format!(
            ": keep-alive\r\nevent: message\r\n{}{}data: {{\"choices\":[],\"usage\":{{\"prompt_tokens\":7,\"completion_tokens\":2}}}}\r\n\r\ndata: [DONE]\r\n",
            chunk("Hello").replace('\n', "\r\n"),
            chunk(" world").replace('\n', "\r\n"),
        );
        let (g, seen) = read(&body, &[]);
        let g = g.unwrap();
        assert_eq!(seen, ["Hello", " world"]);
        assert_eq!(g.text, "Hello world");
        assert_eq!(g.model, "served");
        assert_eq!((g.prompt_tokens, g.completion_tokens), (7, 2));
        assert_eq!(g.finish, Finish::Stop);
    }

    #[test]
    fn a_local_stop_string_ends_the_stream() {
        let body = format!("{}{}{}", chunk("One. "), chunk("STOP"), chunk("never"));
        let (g, seen) = read(&body, &["STOP"]);
        let g = g.unwrap();
        assert_eq!(seen.concat(), "One. ");
        assert_eq!(g.text, "One. ");
        assert_eq!(g.finish, Finish::Stop);
        assert_eq!(g.completion_tokens, 2, "chunks counted without usage");
    }

    #[test]
    fn a_finish_reason_without_done_is_a_complete_answer() {
        let body = format!(
            "{}data: {{\"choices\":[{{\"delta\":{{}},\"finish_reason\":\"length\"}}]}}\n\n",
            chunk("Cut")
        );
        let (g, _) = read(&body, &[]);
        assert_eq!(g.unwrap().finish, Finish::Length);
    }

    #[test]
    fn an_error_inside_the_stream_is_reported() {
        let body = format!(
            "{}data: {{\"error\":{{\"message\":\"out of memory\"}}}}\n\n",
            chunk("a")
        );
        let (g, _) = read(&body, &[]);
        let e = g.unwrap_err();
        assert!(matches!(e, Error::StreamError { .. }), "{e}");
        assert!(e.to_string().contains("out of memory"));
    }

    #[test]
    fn a_line_that_is_not_an_event_is_malformed() {
        let (g, _) = read("<html>502 Bad Gateway</html>\n", &[]);
        assert!(matches!(g.unwrap_err(), Error::MalformedChunk { .. }));
        let (g, _) = read("data: {\"choices\": 3}\n", &[]);
        assert!(matches!(g.unwrap_err(), Error::MalformedChunk { .. }));
    }

    #[test]
    fn an_unfinished_stream_is_closed_not_empty() {
        let (g, _) = read(&chunk("half"), &[]);
        assert!(matches!(g.unwrap_err(), Error::StreamClosed { .. }));
        let (g, _) = read("data: {\"choi", &[]);
        assert!(matches!(g.unwrap_err(), Error::StreamClosed { .. }));
    }

    #[test]
    fn a_whole_answer_is_read_with_its_usage() {
        let body = r#"{"model":"m2","choices":[{"message":{"role":"assistant","content":"Yes [1]."},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":4}}"#;
        let reader = Reader {
            model: "asked",
            url: "u",
            read_timeout: Duration::from_secs(1),
            stop: &[],
            start: Instant::now(),
        };
        let mut seen = Vec::new();
        let g = reader
            .whole(body.as_bytes(), &mut |t| {
                seen.push(t.to_string());
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(seen, ["Yes [1]."]);
        assert_eq!(
            (g.model.as_str(), g.prompt_tokens, g.completion_tokens),
            ("m2", 12, 4)
        );
    }
}
