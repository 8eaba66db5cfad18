//! Any OpenAI-compatible server (vLLM, llama.cpp's `llama-server`, Ollama, LM Studio, a hosted
//! API): `POST {base_url}/chat/completions`, streamed as server-sent events or answered whole.
//!
//! Calls are bounded: at most [`OpenAiConfig::max_concurrent`] at once across threads, a
//! connect and a read timeout, and at most [`OpenAiConfig::max_retries`] retries with
//! exponential backoff on a failed connection, 429 and 5xx. 400, 401 and 404 are never retried:
//! asking again cannot help.

mod stream;

use std::fmt;
use std::ops::ControlFlow;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::generator::{Generation, Generator, Request};
use crate::semaphore::Semaphore;

/// Longest `Retry-After` we wait for; a server asking for more gets [`Error::RateLimited`] at
/// once rather than a stalled answer.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(20);
/// Longest pause between two attempts, however many there were.
const MAX_BACKOFF: Duration = Duration::from_secs(20);
/// Most bytes of an error body we read, and of its message we keep.
const MAX_ERROR_BODY: u64 = 64 * 1024;
const MAX_ERROR_MESSAGE: usize = 300;
/// Most bytes of a whole (non-streamed) answer.
const MAX_ANSWER_BODY: u64 = 16 * 1024 * 1024;

/// Where the server is and how to call it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenAiConfig {
    /// The API root, ending in `/v1`: `http://127.0.0.1:8000/v1` (vLLM),
    /// `http://127.0.0.1:8080/v1` (llama.cpp), `http://127.0.0.1:11434/v1` (Ollama).
    pub base_url: String,
    /// The model name the server knows (`Qwen/Qwen2.5-7B-Instruct`, `qwen2.5:7b`, …).
    pub model: String,
    /// The name of the environment variable that holds the API key, sent as
    /// `Authorization: Bearer …`; `None` sends no key (a local server). The key itself is read
    /// once, when the backend is made, and never logged, shown by `Debug` or put in an error.
    pub api_key_env: Option<String>,
    /// Longest wait for a connection.
    pub connect_timeout: Duration,
    /// Longest silence from the server: before the answer starts, and between two streamed
    /// chunks. A non-streamed answer must be written whole within it.
    pub read_timeout: Duration,
    /// Retries after the first attempt, on a failed connection, 429 and 5xx.
    pub max_retries: u32,
    /// The first pause before a retry; each later pause doubles it (at most 20 s).
    pub backoff_base: Duration,
    /// Most calls in flight at once, across every thread using this backend; the rest wait.
    pub max_concurrent: usize,
    /// Stream the answer (server-sent events); `false` asks for it whole.
    pub stream: bool,
}

impl OpenAiConfig {
    /// A config for `model` at `base_url` with the defaults: no key, connect timeout 5 s, read
    /// timeout 120 s, 3 retries from 500 ms, 4 calls at once, streamed.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> OpenAiConfig {
        OpenAiConfig {
            base_url: base_url.into(),
            model: model.into(),
            api_key_env: None,
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(120),
            max_retries: 3,
            backoff_base: Duration::from_millis(500),
            max_concurrent: 4,
            stream: true,
        }
    }
}

/// An API key: its `Debug` never shows it.
#[derive(Clone)]
struct ApiKey(String);

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// A client of one OpenAI-compatible server and model.
pub struct OpenAiCompatible {
    config: OpenAiConfig,
    /// `{base_url}/chat/completions`.
    url: String,
    key: Option<ApiKey>,
    agent: ureq::Agent,
    limit: Semaphore,
}

impl fmt::Debug for OpenAiCompatible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `config` names only the key's variable; `key` prints redacted.
        f.debug_struct("OpenAiCompatible")
            .field("config", &self.config)
            .field("url", &self.url)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// What one attempt came to, when it did not succeed.
enum Failure {
    /// Worth another attempt, after at least `wait` (a `Retry-After`) or the backoff.
    Retry {
        error: Error,
        wait: Option<Duration>,
    },
    /// Final.
    Fatal(Error),
}

impl OpenAiCompatible {
    /// Checks `config` and reads the API key from its variable.
    pub fn new(config: OpenAiConfig) -> Result<OpenAiCompatible> {
        let base = config.base_url.trim().trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::Config(format!(
                "base_url {:?} must start with http:// or https://",
                config.base_url
            )));
        }
        if base.starts_with("https://") {
            // The workspace builds ureq without TLS; say so rather than fail on first use.
            return Err(Error::Config(format!(
                "base_url {base:?} uses https, which this build cannot speak; put the server \
                 behind a local http proxy or build ureq with TLS"
            )));
        }
        if config.model.trim().is_empty() {
            return Err(Error::Config("the model name is empty".into()));
        }
        if config.max_concurrent == 0 {
            return Err(Error::Config("max_concurrent must be at least 1".into()));
        }
        let key = match &config.api_key_env {
            None => None,
            Some(var) => {
                let key =
                    std::env::var(var).map_err(|_| Error::ApiKeyMissing { var: var.clone() })?;
                if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(Error::Config(format!(
                        "the API key in ${var} is empty or has characters an HTTP header \
                         cannot carry"
                    )));
                }
                Some(ApiKey(key))
            }
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_per_read(Some(config.read_timeout))
            .timeout_recv_response(Some(config.read_timeout))
            .user_agent(concat!("evident/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(OpenAiCompatible {
            url: format!("{base}/chat/completions"),
            limit: Semaphore::new(config.max_concurrent),
            config,
            key,
            agent,
        })
    }

    /// The config this client was made with.
    pub fn config(&self) -> &OpenAiConfig {
        &self.config
    }

    fn body(&self, req: &Request) -> Value {
        let mut messages = Vec::new();
        if !req.system.is_empty() {
            messages.push(json!({"role": "system", "content": req.system}));
        }
        messages.push(json!({"role": "user", "content": req.user}));
        let mut body = json!({
            "model": self.config.model,
            "messages": messages,
            "max_tokens": req.max_tokens,
            "temperature": req.temperature.max(0.0),
            "stream": self.config.stream,
        });
        if self.config.stream {
            body["stream_options"] = json!({"include_usage": true});
        }
        if !req.stop.is_empty() {
            body["stop"] = json!(req.stop);
        }
        body
    }

    /// One attempt: connect, send, and on success read the answer into `on_text`.
    fn attempt(
        &self,
        body: &[u8],
        req: &Request,
        start: Instant,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Generation, Failure> {
        let _permit = self.limit.acquire();
        let mut call = self
            .agent
            .post(&self.url)
            .header("Accept", "text/event-stream, application/json")
            .content_type("application/json");
        if let Some(key) = &self.key {
            call = call.header("Authorization", format!("Bearer {}", key.0));
        }
        let response = call.send(body).map_err(|e| self.transport_failure(e))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            let is_json = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json"));
            let read = stream::Reader {
                model: &self.config.model,
                url: &self.url,
                read_timeout: self.config.read_timeout,
                stop: &req.stop,
                start,
            };
            let body = response.into_body();
            let result = if self.config.stream && !is_json {
                read.stream(body.into_reader(), on_text)
            } else {
                read.whole(
                    body.into_with_config().limit(MAX_ANSWER_BODY).reader(),
                    on_text,
                )
            };
            return result.map_err(|e| Failure::Fatal(self.scrub(e)));
        }
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let message = self.error_message(response.into_body());
        Err(self.status_failure(status, message, retry_after))
    }

    /// Classifies a failure before any answer arrived.
    fn transport_failure(&self, e: ureq::Error) -> Failure {
        match e {
            ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => {
                Failure::Retry {
                    error: self.connect_error(1, "connection timed out".into()),
                    wait: None,
                }
            }
            ureq::Error::Timeout(_) => Failure::Fatal(self.timeout()),
            // A generation has no side effect: any failure to get an answer may be retried.
            ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => {
                Failure::Retry {
                    error: self.connect_error(1, self.scrub_text(&e.to_string())),
                    wait: None,
                }
            }
            other => Failure::Fatal(Error::Http(Box::new(other))),
        }
    }

    fn status_failure(&self, status: u16, message: String, retry_after: Option<u64>) -> Failure {
        match status {
            401 | 403 => Failure::Fatal(Error::Unauthorized {
                url: self.url.clone(),
                status,
                key_env: self
                    .config
                    .api_key_env
                    .clone()
                    .unwrap_or_else(|| "(no api_key_env set)".into()),
            }),
            404 => Failure::Fatal(Error::ModelNotFound {
                url: self.url.clone(),
                model: self.config.model.clone(),
            }),
            400 | 413 | 422 => Failure::Fatal(Error::BadRequest { status, message }),
            429 => {
                let error = Error::RateLimited {
                    attempts: 1,
                    retry_after_s: retry_after,
                };
                match retry_after.map(Duration::from_secs) {
                    Some(wait) if wait > MAX_RETRY_AFTER => Failure::Fatal(error),
                    wait => Failure::Retry { error, wait },
                }
            }
            500..=599 => Failure::Retry {
                error: Error::Server {
                    status,
                    attempts: 1,
                    message,
                },
                wait: None,
            },
            _ => Failure::Fatal(Error::UnexpectedStatus { status, message }),
        }
    }

    /// The `message` of an error body (`{"error": {"message": …}}`, `{"error": "…"}`,
    /// `{"message": …}` or plain text), cut short, with the key scrubbed.
    fn error_message(&self, body: ureq::Body) -> String {
        let text = body
            .into_with_config()
            .limit(MAX_ERROR_BODY)
            .read_to_string()
            .unwrap_or_default();
        let from_json = serde_json::from_str::<Value>(&text).ok().and_then(|v| {
            let error = v.get("error").unwrap_or(&v);
            error
                .get("message")
                .and_then(Value::as_str)
                .or_else(|| error.as_str())
                .map(str::to_string)
        });
        let message = from_json.unwrap_or(text);
        let message = message.trim();
        let message = if message.is_empty() {
            "no message"
        } else {
            message
        };
        let mut end = message.len().min(MAX_ERROR_MESSAGE);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        self.scrub_text(&message[..end])
    }

    fn connect_error(&self, attempts: u32, why: String) -> Error {
        Error::Connect {
            url: self.url.clone(),
            attempts,
            why,
        }
    }

    fn timeout(&self) -> Error {
        Error::Timeout {
            url: self.url.clone(),
            after_ms: self.config.read_timeout.as_millis(),
        }
    }

    /// `text` with the API key replaced, should a server ever echo it.
    fn scrub_text(&self, text: &str) -> String {
        match &self.key {
            Some(key) => text.replace(&key.0, "<redacted>"),
            None => text.to_string(),
        }
    }

    fn scrub(&self, e: Error) -> Error {
        match e {
            Error::MalformedChunk { line, why } => Error::MalformedChunk {
                line: self.scrub_text(&line),
                why,
            },
            Error::StreamError { message } => Error::StreamError {
                message: self.scrub_text(&message),
            },
            other => other,
        }
    }

    /// The pause before attempt `attempt + 1`: the server's `Retry-After` when it gave one,
    /// else `backoff_base · 2^(attempt-1)` plus up to a quarter more, so that clients that
    /// failed together do not retry together.
    fn backoff(&self, attempt: u32, asked: Option<Duration>) -> Duration {
        if let Some(wait) = asked {
            return wait;
        }
        let doubled = self
            .config
            .backoff_base
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(MAX_BACKOFF);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        doubled + doubled.mul_f64(f64::from(nanos % 1000) / 4000.0)
    }
}

/// Sets the attempt count in a final error.
fn with_attempts(e: Error, n: u32) -> Error {
    match e {
        Error::RateLimited { retry_after_s, .. } => Error::RateLimited {
            attempts: n,
            retry_after_s,
        },
        Error::Server {
            status, message, ..
        } => Error::Server {
            status,
            attempts: n,
            message,
        },
        Error::Connect { url, why, .. } => Error::Connect {
            url,
            attempts: n,
            why,
        },
        other => other,
    }
}

impl Generator for OpenAiCompatible {
    fn generate(
        &self,
        req: &Request,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Generation> {
        let start = Instant::now();
        let body = self.body(req).to_string().into_bytes();
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.attempt(&body, req, start, on_text) {
                Ok(generation) => return Ok(generation),
                Err(Failure::Fatal(e)) => return Err(with_attempts(e, attempt)),
                Err(Failure::Retry { error, wait }) => {
                    if attempt > self.config.max_retries {
                        return Err(with_attempts(error, attempt));
                    }
                    std::thread::sleep(self.backoff(attempt, wait));
                }
            }
        }
    }

    fn describe(&self) -> String {
        format!("openai:{}", self.config.model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_is_the_base_plus_chat_completions() {
        let c = OpenAiCompatible::new(OpenAiConfig::new("http://127.0.0.1:8000/v1/", "m")).unwrap();
        assert_eq!(c.url, "http://127.0.0.1:8000/v1/chat/completions");
    }

    #[test]
    fn bad_configs_are_refused_with_the_reason() {
        let bad = |base: &str, model: &str, n: usize| {
            let mut config = OpenAiConfig::new(base, model);
            config.max_concurrent = n;
            OpenAiCompatible::new(config).unwrap_err().to_string()
        };
        assert!(bad("127.0.0.1:8000", "m", 1).contains("http://"));
        assert!(bad("https://api.example/v1", "m", 1).contains("https"));
        assert!(bad("http://h/v1", " ", 1).contains("model name"));
        assert!(bad("http://h/v1", "m", 0).contains("max_concurrent"));
    }

    #[test]
    fn an_unset_key_variable_is_named() {
        let mut config = OpenAiConfig::new("http://127.0.0.1:1/v1", "m");
        config.api_key_env = Some("EVIDENT_TEST_NO_SUCH_KEY_VARIABLE".into());
        let e = OpenAiCompatible::new(config).unwrap_err();
        assert!(matches!(e, Error::ApiKeyMissing { .. }), "{e}");
        assert!(
            e.to_string().contains("$EVIDENT_TEST_NO_SUCH_KEY_VARIABLE"),
            "{e}"
        );
    }

    #[test]
    fn the_body_has_the_messages_limits_and_stops() {
        let c = OpenAiCompatible::new(OpenAiConfig::new("http://h/v1", "qwen")).unwrap();
        let mut req = Request::new("", "What is the dose?", 64);
        let body = c.body(&req);
        assert_eq!(
            body["messages"].as_array().unwrap().len(),
            1,
            "no empty system message"
        );
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert!(body.get("stop").is_none());
        req.system = "Cite every sentence.".into();
        req.stop = vec!["\n\n".into()];
        let body = c.body(&req);
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][1]["content"], "What is the dose?");
        assert_eq!(body["max_tokens"], 64);
        assert_eq!(body["stop"][0], "\n\n");
    }

    #[test]
    fn backoff_doubles_and_honours_retry_after() {
        let mut config = OpenAiConfig::new("http://h/v1", "m");
        config.backoff_base = Duration::from_millis(100);
        let c = OpenAiCompatible::new(config).unwrap();
        let first = c.backoff(1, None);
        let third = c.backoff(3, None);
        assert!(first >= Duration::from_millis(100) && first <= Duration::from_millis(125));
        assert!(third >= Duration::from_millis(400) && third <= Duration::from_millis(500));
        assert!(c.backoff(40, None) <= MAX_BACKOFF + MAX_BACKOFF / 4);
        assert_eq!(
            c.backoff(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
    }
}
