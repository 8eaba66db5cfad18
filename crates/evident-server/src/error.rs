//! Every failure the server can answer with, and the one place where each becomes an HTTP
//! status, a stable snake_case code and a message. JSON clients get `{"code", "message"}`;
//! pages get the same message in the site's layout. Internal details are logged to stderr and
//! never sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use evident_core::TransitionError;
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
    /// Internal failure: logged, sent as a generic message.
    #[error("{0}")]
    Internal(String),
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// The generic message sent for internal failures.
pub const INTERNAL_MESSAGE: &str =
    "something went wrong on the server; the error has been logged. Try again later.";

impl AppError {
    /// Status, code and client-facing message: the one exhaustive mapping.
    pub fn parts(&self) -> (StatusCode, &'static str, String) {
        use evident_store::Error as S;
        let msg = self.to_string();
        match self {
            AppError::Store(e) => {
                let status = match e {
                    S::NotFound(_) => StatusCode::NOT_FOUND,
                    S::Unauthenticated(_) | S::InvalidCredentials => StatusCode::UNAUTHORIZED,
                    S::Forbidden(_) | S::Transition(TransitionError::Forbidden { .. }) => {
                        StatusCode::FORBIDDEN
                    }
                    S::Transition(TransitionError::Illegal { .. })
                    | S::Stale { .. }
                    | S::Conflict
                    | S::Duplicate(_) => StatusCode::CONFLICT,
                    S::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                    S::RateLimited => StatusCode::TOO_MANY_REQUESTS,
                    S::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                };
                let message = match e {
                    S::Stale { .. } | S::Conflict => {
                        format!("someone else changed this article; reload and try again ({e})")
                    }
                    S::Internal(_) => INTERNAL_MESSAGE.to_string(),
                    _ => msg,
                };
                debug_assert_eq!(status.is_server_error(), !e.is_user_error());
                (status, e.code(), message)
            }
            AppError::Answer(e) => match e {
                evident_answer::Error::EmptyQuestion => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "empty_question", msg)
                }
                evident_answer::Error::QuestionTooLong(_) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "question_too_long", msg)
                }
                evident_answer::Error::BadParent(_) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "invalid_parent", msg)
                }
                evident_answer::Error::Index(ie) if ie.is_user_error() => {
                    (StatusCode::BAD_REQUEST, "invalid_query", msg)
                }
                evident_answer::Error::Index(_) | evident_answer::Error::Unverified(_) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    INTERNAL_MESSAGE.into(),
                ),
            },
            AppError::Index(e) if e.is_user_error() => {
                (StatusCode::BAD_REQUEST, "invalid_query", msg)
            }
            AppError::Index(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                INTERNAL_MESSAGE.into(),
            ),
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
            AppError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                INTERNAL_MESSAGE.into(),
            ),
        }
    }

    /// Logs internal failures (with their detail) to stderr.
    pub fn log(&self) {
        let (status, code, _) = self.parts();
        if status.is_server_error() {
            eprintln!("evident-server: {code}: {self:?}");
        }
    }

    fn extra_headers(&self, resp: &mut Response) {
        if let AppError::RateLimited { retry_after } = self {
            if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if let AppError::Store(evident_store::Error::RateLimited) = self {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("300"));
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
        AppError::Internal(format!("blocking task failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_are_not_leaked() {
        let e = AppError::Store(evident_store::Error::Internal("disk /secret full".into()));
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
}
