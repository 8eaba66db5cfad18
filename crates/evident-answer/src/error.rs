//! Answer errors: the asker's mistakes apart from internal failures.

use evident_core::{ErrorCode, ErrorKind, VerifyError, MAX_QUESTION_BYTES};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the question is empty; ask something in plain words")]
    EmptyQuestion,
    #[error("the question is {0} bytes long; the limit is {max}", max = MAX_QUESTION_BYTES)]
    QuestionTooLong(usize),
    #[error("the answer to follow up is not valid answer JSON: {0}")]
    BadParent(String),
    #[error(transparent)]
    Index(#[from] evident_index::Error),
    /// A composed answer failed its own citation check: a bug, never shown as an answer.
    #[error("internal error: the composed answer failed verification: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Unverified(Vec<VerifyError>),
}

impl ErrorCode for Error {
    fn code(&self) -> &'static str {
        match self {
            Error::EmptyQuestion => "empty_question",
            Error::QuestionTooLong(_) => "question_too_long",
            Error::BadParent(_) => "invalid_parent",
            Error::Index(e) => e.code(),
            Error::Unverified(_) => "unverified_answer",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Error::EmptyQuestion | Error::QuestionTooLong(_) | Error::BadParent(_) => {
                ErrorKind::Invalid
            }
            Error::Index(e) => e.kind(),
            Error::Unverified(_) => ErrorKind::Internal,
        }
    }
}

impl Error {
    /// True when the error is the asker's doing (the same as [`ErrorCode::is_user`]).
    pub fn is_user_error(&self) -> bool {
        self.is_user()
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
