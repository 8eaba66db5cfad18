//! Evident's on-disk passage index: tantivy BM25 over title, heading trail and body, with a
//! medical query layer (stopwords, lexicon expansion of abbreviations and synonyms) and
//! source-kind priors.
//!
//! One tantivy index holds a record per source (its metadata and content hash) and a record per
//! passage. Adding a source deletes any record with its id first, in the same commit, so
//! re-adding replaces and a crash mid-ingest leaves the last commit intact.
//!
//! This crate knows nothing of answers or HTTP.
//!
//! ```
//! use evident_core::{DocumentBuilder, Source, SourceKind};
//! use evident_index::{Library, SearchOptions};
//!
//! let lib = Library::in_memory().unwrap();
//! let mut source = Source::new("demo:htn", "Hypertension");
//! source.kind = SourceKind::Guideline;
//! let mut b = DocumentBuilder::new(source);
//! b.heading(2, "Treatment");
//! b.paragraph("Thiazide diuretics are a first-line treatment for high blood pressure.");
//! let doc = b.finish();
//! let passages = vec![evident_core::Passage {
//!     id: "demo:htn#0".into(), source_id: "demo:htn".into(), ordinal: 0,
//!     trail: vec!["Treatment".into()], text: doc.section_text(&doc.sections[0]).into(),
//!     start: doc.sections[0].start, end: doc.sections[0].end, grade: None, anchor: None,
//! }];
//! let mut w = lib.writer(50_000_000).unwrap();
//! w.add(&doc, &passages).unwrap();
//! w.commit().unwrap();
//! // "HTN" is expanded to "hypertension" and "high blood pressure" by the lexicon.
//! let hits = lib.search("HTN first line drug", &SearchOptions::default()).unwrap();
//! assert_eq!(hits[0].source.id, "demo:htn");
//! ```

pub mod error;
pub mod eval;
pub mod lexicon;
pub mod library;
pub mod query;
pub mod schema;
pub mod spelling;
pub mod vectors;

pub use error::{Error, Result};
pub use lexicon::Lexicon;
pub use library::{
    fuse, kind_prior, AddOutcome, Fusion, Hit, Library, LibraryWriter, PhraseCounts, SearchMode,
    SearchOptions, SourceBrief, SourceRecord,
};
pub use query::QueryWeights;
pub use vectors::{QueryEncoder, VectorStore};
