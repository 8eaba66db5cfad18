//! Index errors: the caller's mistakes apart from internal failures.

use evident_core::{ErrorCode, ErrorKind};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No source with this id is in the library.
    #[error("no source with id {0:?} in the library; `evident library list` shows the ids")]
    SourceNotFound(String),
    /// The query has no searchable words.
    #[error("the query {0:?} has no searchable words")]
    EmptyQuery(String),
    /// The lexicon data has a bad line.
    #[error("lexicon line {line}: {why}")]
    Lexicon { line: usize, why: String },
    /// A qrels or run file is malformed.
    #[error("{path}:{line}: {why}")]
    EvalInput {
        path: String,
        line: usize,
        why: String,
    },
    /// The index folder exists but is not an Evident index (or was written by another version).
    #[error("{path} is not an Evident index ({why}); choose another --data folder or remove it")]
    NotAnIndex { path: String, why: String },
    /// Tantivy failed (disk, corruption, locking).
    #[error("index failure: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("index failure: {0}")]
    OpenDirectory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("i/o failure on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The vector file is corrupt or a vector has the wrong size.
    #[error("passage vectors: {0}")]
    Vectors(String),
    #[error("corrupt stored record: {0}")]
    Json(#[from] serde_json::Error),
}

impl ErrorCode for Error {
    fn code(&self) -> &'static str {
        match self {
            Error::SourceNotFound(_) => "source_not_found",
            // The server answers a search without searchable words with this code.
            Error::EmptyQuery(_) => "invalid_query",
            Error::Lexicon { .. } => "invalid_lexicon",
            Error::EvalInput { .. } => "invalid_eval_input",
            Error::NotAnIndex { .. } => "not_an_index",
            Error::Tantivy(_) | Error::OpenDirectory(_) => "index_failure",
            Error::Io { .. } => "io_failure",
            Error::Vectors(_) => "corrupt_vectors",
            Error::Json(_) => "corrupt_record",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Error::SourceNotFound(_)
            | Error::EmptyQuery(_)
            | Error::EvalInput { .. }
            | Error::NotAnIndex { .. } => ErrorKind::BadInput,
            // The lexicon ships with the binary: a bad line is our bug.
            Error::Lexicon { .. }
            | Error::Tantivy(_)
            | Error::OpenDirectory(_)
            | Error::Io { .. }
            | Error::Vectors(_)
            | Error::Json(_) => ErrorKind::Internal,
        }
    }
}

impl Error {
    /// True when the error is the caller's doing (bad id, bad query, bad file), not ours
    /// (the same as [`ErrorCode::is_user`]).
    pub fn is_user_error(&self) -> bool {
        self.is_user()
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
