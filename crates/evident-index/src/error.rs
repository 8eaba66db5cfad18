//! Index errors: the caller's mistakes apart from internal failures.

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

impl Error {
    /// True when the error is the caller's doing (bad id, bad query, bad file), not ours.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Error::SourceNotFound(_)
                | Error::EmptyQuery(_)
                | Error::EvalInput { .. }
                | Error::NotAnIndex { .. }
        )
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
