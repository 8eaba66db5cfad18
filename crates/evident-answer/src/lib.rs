//! Grounded answers: question analysis, evidence selection, composition into a sectioned,
//! cited article, verification, and renderings (Markdown, HTML fragment, terminal text).
//!
//! Every statement is text taken from the passage it cites (a sentence, or a list item of it),
//! so [`evident_core::Answer::verify`] holds by construction; the composer runs it on every
//! answer and never returns one that fails. This crate knows nothing of HTTP or SQL.

pub mod analyze;
pub mod compose;
pub mod error;
pub mod glossary;
pub mod readability;
pub mod render;
pub mod safety;

pub use compose::{answer_id, AskRequest, ComposeOptions, Composer};
pub use error::{Error, Result};
