//! Answer errors: the asker's mistakes apart from internal failures.

use evident_core::VerifyError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the question is empty; ask something in plain words")]
    EmptyQuestion,
    #[error("the question is {0} bytes long; the limit is 2000")]
    QuestionTooLong(usize),
    #[error("the answer to follow up is not valid answer JSON: {0}")]
    BadParent(String),
    #[error(transparent)]
    Index(#[from] evident_index::Error),
    /// A composed answer failed its own citation check: a bug, never shown as an answer.
    #[error("internal error: the composed answer failed verification: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Unverified(Vec<VerifyError>),
}

impl Error {
    /// True when the error is the asker's doing.
    pub fn is_user_error(&self) -> bool {
        match self {
            Error::EmptyQuestion | Error::QuestionTooLong(_) | Error::BadParent(_) => true,
            Error::Index(e) => e.is_user_error(),
            Error::Unverified(_) => false,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
