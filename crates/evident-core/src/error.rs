//! Errors raised by the domain layer.

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

pub type Result<T, E = Error> = std::result::Result<T, E>;
