//! Grounded answers: question analysis, evidence selection, composition into a sectioned,
//! cited article, verification, and renderings (Markdown, HTML fragment, terminal text).
//!
//! Every statement is text taken from the passage it cites (a sentence, or a list item of it),
//! so [`evident_core::Answer::verify`] holds by construction; the composer runs it on every
//! answer and never returns one that fails. The [`generative`] composer lets a model reword that
//! evidence and publishes only the sentences the support checker ([`check`]) finds in the
//! passages they cite. This crate knows nothing of HTTP or SQL.
//!
//! One question for several audiences is analysed once and composed for each:
//!
//! ```no_run
//! # fn demo(lib: &evident_index::Library) -> evident_answer::Result<()> {
//! use evident_answer::Composer;
//! use evident_core::Audience;
//!
//! let composer = Composer::new(lib);
//! let answers = composer.answer_all(
//!     "What is the treatment for gout?",
//!     &[(Audience::Clinician, None), (Audience::Patient, None)],
//! )?;
//! assert_eq!(answers.len(), 2);
//! # Ok(())
//! # }
//! ```

pub mod analyze;
pub mod check;
pub mod compose;
pub mod concepts;
pub mod error;
pub mod generative;
pub mod glossary;
pub mod readability;
pub mod render;
pub mod safety;

pub use check::{check_claim, Reason, Stance, Verdict};
pub use compose::{answer_id, AskRequest, ComposeOptions, Composer, Prepared, SentenceWeights};
pub use error::{Error, Result};
