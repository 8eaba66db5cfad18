//! Store errors. The user's mistakes (not found, forbidden, illegal transition, stale version)
//! are kept apart from internal failures (database, corrupt rows), which are logged, not shown.

use evident_core::{BoxError, ErrorCode, ErrorKind, ReviewState, TransitionError};

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
    /// The article changed since the actor saw it (same version, but claimed, approved,
    /// withdrawn, commented on, …): the action was chosen on a state that is gone.
    #[error(
        "the article has changed since you loaded it: it is now {}, at version {version}; \
         reload it and check before acting again",
        state.label().to_lowercase()
    )]
    Changed { state: ReviewState, version: u32 },
    /// Approving an article another reviewer has claimed.
    #[error(
        "{claimant} has claimed this article; only the reviewer who claimed it may approve it"
    )]
    ClaimedByOther {
        /// The claimant's display name.
        claimant: String,
    },
    /// Approving a version one wrote oneself: every version needs a second pair of eyes.
    #[error(
        "you wrote version {version} of this article, so you may not approve it; \
         another reviewer must"
    )]
    SelfApproval { version: u32 },
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
    /// Too many failed sign-ins for this username from this client (or from this client for
    /// any username); the password was not checked.
    #[error("too many failed sign-ins; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// Internal: database failure, corrupt row, IO. Logged with its cause chain; never sent to
    /// clients verbatim.
    #[error("store failure: {context}")]
    Internal {
        /// What the store was doing, or what it found wrong ("cannot open database x.db").
        context: String,
        /// The underlying failure, when there is one.
        #[source]
        source: Option<BoxError>,
    },
}

impl Error {
    /// An internal failure with no underlying error (a corrupt row, a broken invariant).
    pub fn internal(context: impl Into<String>) -> Error {
        Error::Internal {
            context: context.into(),
            source: None,
        }
    }

    /// An internal failure caused by `source` while doing `context`.
    pub fn internal_from(context: impl Into<String>, source: impl Into<BoxError>) -> Error {
        Error::Internal {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// Stable snake_case code for API bodies (the same as [`ErrorCode::code`]).
    pub fn code(&self) -> &'static str {
        ErrorCode::code(self)
    }

    /// True for failures that are the caller's to fix (4xx), false for internal ones (5xx)
    /// (the same as [`ErrorCode::is_user`]).
    pub fn is_user_error(&self) -> bool {
        self.is_user()
    }
}

impl ErrorCode for Error {
    fn code(&self) -> &'static str {
        match self {
            Error::NotFound(_) => "not_found",
            Error::Unauthenticated(_) => "unauthenticated",
            Error::Forbidden(_) => "forbidden",
            Error::Transition(e) => e.code(),
            Error::Stale { .. } => "stale_version",
            Error::Changed { .. } => "changed",
            Error::ClaimedByOther { .. } => "claimed_by_other",
            Error::SelfApproval { .. } => "self_approval",
            Error::Conflict => "conflict",
            Error::Duplicate(_) => "duplicate",
            Error::Invalid(_) => "invalid",
            Error::InvalidCredentials => "invalid_credentials",
            Error::RateLimited { .. } => "rate_limited",
            Error::Internal { .. } => "internal",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Unauthenticated(_) | Error::InvalidCredentials => ErrorKind::Unauthenticated,
            Error::Forbidden(_) | Error::SelfApproval { .. } => ErrorKind::Forbidden,
            Error::Transition(e) => e.kind(),
            Error::Stale { .. }
            | Error::Changed { .. }
            | Error::ClaimedByOther { .. }
            | Error::Conflict
            | Error::Duplicate(_) => ErrorKind::Conflict,
            Error::Invalid(_) => ErrorKind::Invalid,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::Internal { .. } => ErrorKind::Internal,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
