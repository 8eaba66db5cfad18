//! Store errors. The user's mistakes (not found, forbidden, illegal transition, stale version)
//! are kept apart from internal failures (database, corrupt rows), which are logged, not shown.

use evident_core::TransitionError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found")]
    NotFound(String),
    /// Not signed in where a signed-in user is needed.
    #[error("sign in to {0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The actor acted on a version that is no longer the article's current one.
    #[error(
        "version {seen} is stale: the article is now at version {current}; reload and try again"
    )]
    Stale { seen: u32, current: u32 },
    /// Someone else changed the article at the same moment; nothing was changed.
    #[error("the article was changed by someone else at the same time; reload and try again")]
    Conflict,
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("{0}")]
    Invalid(String),
    /// Same message for unknown user and wrong password (no user enumeration).
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("too many failed sign-ins; try again in a few minutes")]
    RateLimited,
    /// Internal: database failure, corrupt row, IO. Logged; never sent to clients verbatim.
    #[error("store failure: {0}")]
    Internal(String),
}

impl Error {
    /// Stable snake_case code for API bodies.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound(_) => "not_found",
            Error::Unauthenticated(_) => "unauthenticated",
            Error::Forbidden(_) => "forbidden",
            Error::Transition(TransitionError::Forbidden { .. }) => "forbidden",
            Error::Transition(TransitionError::Illegal { .. }) => "illegal_transition",
            Error::Stale { .. } => "stale_version",
            Error::Conflict => "conflict",
            Error::Duplicate(_) => "duplicate",
            Error::Invalid(_) => "invalid",
            Error::InvalidCredentials => "invalid_credentials",
            Error::RateLimited => "rate_limited",
            Error::Internal(_) => "internal",
        }
    }

    /// True for failures that are the caller's to fix (4xx), false for internal ones (5xx).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, Error::Internal(_))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
