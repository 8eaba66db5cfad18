//! Errors raised by the domain layer, and the one trait every crate's errors implement.
//!
//! [`ErrorCode`] (meilisearch's idea) lets each error say what it is — a stable snake_case
//! [`code`](ErrorCode::code) and an [`ErrorKind`] saying whose fault it is — so the server maps
//! any crate's error to HTTP in one place without knowing that crate's variants.

use crate::TransitionError;

/// A boxed cause, kept so that an internal error logs its whole chain.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Whose fault an error is and what sort it is. The user's mistakes are told apart by what the
/// user can do about them; everything else is [`ErrorKind::Internal`]: logged, never shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The input cannot be used at all (a search with no searchable words, a bad file).
    BadInput,
    /// The input is well-formed but breaks a rule (empty, too long, a bad value).
    Invalid,
    /// The thing asked for does not exist.
    NotFound,
    /// The user must sign in first (or signed in with wrong credentials).
    Unauthenticated,
    /// The user is signed in but may not do this.
    Forbidden,
    /// The action clashes with the current state (a stale version, a duplicate, an illegal
    /// transition); reloading and trying again may help.
    Conflict,
    /// Too many attempts; try again later.
    RateLimited,
    /// Our failure (database, disk, a broken invariant), not the user's.
    Internal,
}

/// What an error is: a stable code for machines and whether the user caused it.
pub trait ErrorCode: std::error::Error {
    /// A stable snake_case code, sent as `code` in API error bodies.
    fn code(&self) -> &'static str;

    /// Whose fault the error is and what sort it is.
    fn kind(&self) -> ErrorKind;

    /// True when the error is the user's to fix; false for internal failures.
    fn is_user(&self) -> bool {
        self.kind() != ErrorKind::Internal
    }
}

/// A value that does not fit the domain model (an unknown kind, an empty id, …).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unknown source kind {0:?}; expected one of: guideline, recommendation statement, professional summary, patient information, research abstract, other")]
    UnknownKind(String),
    #[error("unknown audience {0:?}; expected clinician, patient, student or all")]
    UnknownAudience(String),
    #[error("{0}")]
    Invalid(String),
}

impl ErrorCode for Error {
    fn code(&self) -> &'static str {
        match self {
            Error::UnknownKind(_) => "unknown_source_kind",
            Error::UnknownAudience(_) => "unknown_audience",
            Error::Invalid(_) => "invalid",
        }
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }
}

impl ErrorCode for TransitionError {
    fn code(&self) -> &'static str {
        match self {
            TransitionError::Forbidden { .. } => "forbidden",
            TransitionError::Illegal { .. } => "illegal_transition",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            TransitionError::Forbidden { .. } => ErrorKind::Forbidden,
            TransitionError::Illegal { .. } => ErrorKind::Conflict,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
