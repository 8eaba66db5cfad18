//! Every failure the server can answer with, and the one place where each becomes an HTTP
//! status, a stable snake_case code and a message. JSON clients get `{"code", "message"}`;
//! pages get the same message in the site's layout. The library crates' errors say what they are
//! through [`ErrorCode`] (a code and an [`ErrorKind`]); this module only turns a kind into a
//! status. Internal failures are logged with their whole cause chain (`tracing::error!`) and
//! sent as one generic message.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use evident_core::{BoxError, ErrorCode, ErrorKind};
use serde::Serialize;

/// The body of every JSON error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] evident_store::Error),
    #[error(transparent)]
    Answer(#[from] evident_answer::Error),
    #[error(transparent)]
    Index(#[from] evident_index::Error),
    /// No such page, route or resource.
    #[error("{0}")]
    NotFound(String),
    /// The route exists but not for this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The body is not valid JSON (or not a valid form encoding).
    #[error("{0}")]
    Malformed(String),
    /// Well-formed, but a field is missing or of the wrong type, or a value is out of range.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("too many questions from this address; try again in {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// A form that changes state arrived without the token of the page it came from.
    #[error("this form has expired or did not come from this site; reload the page and try again")]
    Csrf,
    #[error("sign in to {0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    /// The request took longer than the server's limit to start its response.
    #[error("the server took longer than {after_secs} s to answer; try again later")]
    Timeout { after_secs: u64 },
    /// Internal failure: logged with its cause, sent as a generic message.
    #[error("{context}")]
    Internal {
        /// What the server was doing ("composing task failed").
        context: String,
        #[source]
        source: BoxError,
    },
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// The generic message sent for internal failures.
pub const INTERNAL_MESSAGE: &str =
    "something went wrong on the server; the error has been logged. Try again later.";

impl AppError {
    /// An internal failure caused by `source` while doing `context`.
    pub fn internal(context: impl Into<String>, source: impl Into<BoxError>) -> AppError {
        AppError::Internal {
            context: context.into(),
            source: source.into(),
        }
    }

    /// Status, code and client-facing message: the one exhaustive mapping.
    pub fn parts(&self) -> (StatusCode, &'static str, String) {
        use evident_store::Error as S;
        let msg = self.to_string();
        match self {
            AppError::Store(e @ (S::Stale { .. } | S::Conflict)) => (
                status_of(e.kind()),
                e.code(),
                format!("someone else changed this article; reload and try again ({e})"),
            ),
            AppError::Store(e) => coded(e),
            AppError::Answer(e) => coded(e),
            AppError::Index(e) => coded(e),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", msg),
            AppError::MethodNotAllowed(_) => {
                (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", msg)
            }
            AppError::Malformed(_) => (StatusCode::BAD_REQUEST, "malformed_request", msg),
            AppError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", msg),
            AppError::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                msg,
            ),
            AppError::PayloadTooLarge { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", msg)
            }
            AppError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited", msg),
            AppError::Csrf => (StatusCode::FORBIDDEN, "csrf_failed", msg),
            AppError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated", msg),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", msg),
            AppError::Timeout { .. } => (StatusCode::SERVICE_UNAVAILABLE, "timeout", msg),
            AppError::Internal { .. } => internal(),
        }
    }

    /// The code of the failure itself, finer than the public `internal`: for logs.
    fn detail_code(&self) -> &'static str {
        match self {
            AppError::Store(e) => e.code(),
            AppError::Answer(e) => e.code(),
            AppError::Index(e) => e.code(),
            _ => self.parts().1,
        }
    }

    /// Logs internal failures with their cause chain (`tracing::error!`).
    pub fn log(&self) {
        let (status, _, _) = self.parts();
        if status.is_server_error() {
            tracing::error!(
                status = status.as_u16(),
                code = self.detail_code(),
                error = %cause_chain(self),
                "internal error"
            );
        }
    }

    fn extra_headers(&self, resp: &mut Response) {
        if let AppError::RateLimited { retry_after } = self {
            if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if let AppError::Store(evident_store::Error::RateLimited { retry_after_secs }) = self {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
    }

    /// The error as a JSON response.
    pub fn into_json(self) -> Response {
        self.log();
        let (status, code, message) = self.parts();
        let body = ErrorBody {
            code: code.to_string(),
            message,
        };
        let mut resp = (status, axum::Json(body)).into_response();
        self.extra_headers(&mut resp);
        resp
    }

    /// The error as an HTML page.
    pub fn into_page(self) -> Response {
        self.log();
        let (status, code, message) = self.parts();
        let title = status.canonical_reason().unwrap_or("Error");
        let body = format!(
            "<h1>{}</h1>\n<p class=\"error\" data-code=\"{}\">{}</p>\n<p><a href=\"/\">Back to the home page</a></p>",
            crate::html::escape(title),
            crate::html::escape(code),
            crate::html::escape(&message)
        );
        let page = crate::html::page(title, None, &body);
        let mut resp = (status, axum::response::Html(page)).into_response();
        self.extra_headers(&mut resp);
        resp
    }
}

/// An error answered as JSON (API routes).
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_json()
    }
}

/// An error answered as an HTML page (site routes).
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0.into_page()
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::internal("blocking task failed", e)
    }
}

/// The status for an error of this kind: the one place a library error's kind meets HTTP.
fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadInput => StatusCode::BAD_REQUEST,
        ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Status, code and message of a library error: its own code and message when it is the
/// user's, the generic internal answer otherwise.
fn coded(e: &impl ErrorCode) -> (StatusCode, &'static str, String) {
    match e.kind() {
        ErrorKind::Internal => internal(),
        kind => (status_of(kind), e.code(), e.to_string()),
    }
}

fn internal() -> (StatusCode, &'static str, String) {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        INTERNAL_MESSAGE.to_string(),
    )
}

/// The error and every cause under it, joined by ": ".
fn cause_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_are_not_leaked() {
        let e = AppError::Store(evident_store::Error::internal_from(
            "backup",
            std::io::Error::other("disk /secret full"),
        ));
        let (status, code, message) = e.parts();
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(code, "internal");
        assert!(!message.contains("secret"));
    }

    #[test]
    fn store_conflicts_are_409_with_a_reload_hint() {
        let (status, code, message) = AppError::Store(evident_store::Error::Conflict).parts();
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(code, "conflict");
        assert!(message.contains("reload"), "{message}");
        let (status, code, _) = AppError::Store(evident_store::Error::Stale {
            seen: 1,
            current: 2,
        })
        .parts();
        assert_eq!((status, code), (StatusCode::CONFLICT, "stale_version"));
    }

    #[test]
    fn library_errors_keep_their_codes_and_statuses() {
        use evident_answer::Error as A;
        let cases = [
            (AppError::from(A::EmptyQuestion), 422, "empty_question"),
            (
                AppError::from(A::QuestionTooLong(2001)),
                422,
                "question_too_long",
            ),
            (
                AppError::from(A::BadParent("x".into())),
                422,
                "invalid_parent",
            ),
            (
                AppError::from(A::Index(evident_index::Error::EmptyQuery("the".into()))),
                400,
                "invalid_query",
            ),
            (
                AppError::from(evident_index::Error::EmptyQuery("the".into())),
                400,
                "invalid_query",
            ),
            (AppError::from(A::Unverified(Vec::new())), 500, "internal"),
            (
                AppError::from(evident_index::Error::Vectors("bad".into())),
                500,
                "internal",
            ),
            (
                AppError::from(evident_store::Error::InvalidCredentials),
                401,
                "invalid_credentials",
            ),
            (
                AppError::from(evident_store::Error::Duplicate("user x".into())),
                409,
                "duplicate",
            ),
            (
                AppError::from(evident_store::Error::Invalid("bad".into())),
                422,
                "invalid",
            ),
            (
                AppError::from(evident_store::Error::RateLimited {
                    retry_after_secs: 300,
                }),
                429,
                "rate_limited",
            ),
        ];
        for (e, status, code) in cases {
            let (s, c, _) = e.parts();
            assert_eq!((s.as_u16(), c), (status, code), "{e}");
        }
    }

    #[test]
    fn internal_errors_log_their_cause_chain() {
        let e = AppError::Store(evident_store::Error::internal_from(
            "cannot open database x.db",
            std::io::Error::other("permission denied"),
        ));
        assert_eq!(
            cause_chain(&e),
            "store failure: cannot open database x.db: permission denied"
        );
        assert_eq!(e.detail_code(), "internal");
        let (_, _, message) = e.parts();
        assert_eq!(message, INTERNAL_MESSAGE);
    }
}
