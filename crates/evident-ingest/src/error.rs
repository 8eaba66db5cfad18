//! Why an item could not be read. Each variant names the item and says what is wrong, so the
//! CLI can print it as the reason the item was skipped.

/// An item (file or archive member) that could not be ingested.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No reader recognises the item's content or extension.
    #[error("{path}: unsupported format ({why}); skipped")]
    Unsupported { path: String, why: String },
    /// A reader recognised the format but the content is broken.
    #[error("{path}: not valid {format} ({why}); skipped")]
    Malformed {
        path: String,
        format: &'static str,
        why: String,
    },
    /// The item is larger than the per-item limit.
    #[error("{path}: {size_mb:.1} MB is over the {limit_mb} MB limit per item; skipped")]
    TooLarge {
        path: String,
        size_mb: f64,
        limit_mb: u64,
    },
    /// The item was read but holds no text to index.
    #[error("{path}: no text found ({why}); skipped")]
    Empty { path: String, why: String },
    /// The file system or an archive failed.
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub fn malformed(path: &str, format: &'static str, why: impl ToString) -> Error {
        Error::Malformed {
            path: path.to_string(),
            format,
            why: why.to_string(),
        }
    }

    pub fn empty(path: &str, why: impl ToString) -> Error {
        Error::Empty {
            path: path.to_string(),
            why: why.to_string(),
        }
    }

    pub fn io(path: impl ToString, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_string(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
