//! Evident's domain types, shared by every other crate.
//!
//! This crate owns what a *source*, a *document*, a *section* and a *passage* are, and the
//! sentence splitter that cuts medical text at true sentence ends. It knows nothing of files,
//! indexes, HTTP or SQL.
//!
//! ```
//! use evident_core::{DocumentBuilder, Source, SourceKind};
//!
//! let mut source = Source::new("example:1", "Gout");
//! source.kind = SourceKind::Guideline;
//! let mut doc = DocumentBuilder::new(source);
//! doc.heading(2, "Treatment");
//! doc.paragraph("Start allopurinol at 100 mg/day or less. Titrate to a urate below 6 mg/dL.");
//! let doc = doc.finish();
//! assert_eq!(doc.sections[0].trail, vec!["Treatment".to_string()]);
//! assert_eq!(evident_core::text::split_sentences(doc.section_text(&doc.sections[0])).len(), 2);
//! ```

pub mod answer;
pub mod error;
pub mod model;
pub mod review;
pub mod text;

pub use answer::{
    Answer, AnswerSection, Citation, GenerationReport, Qualifier, QuestionAnalysis, QuestionKind,
    Statement, SupportCheck, VerifyError, WithheldStatement, ANSWER_SCHEMA_VERSION,
};
pub use error::{BoxError, Error, ErrorCode, ErrorKind, Result};
pub use model::{
    Audience, Document, DocumentBuilder, Passage, Reference, Section, Source, SourceKind,
};
pub use review::{allowed_actions, transition, Action, ReviewState, Role, TransitionError};

/// The longest question, in bytes, that Evident accepts: the composer, the server's forms and the
/// API (its OpenAPI `maxLength`) all enforce this one limit.
pub const MAX_QUESTION_BYTES: usize = 2000;
