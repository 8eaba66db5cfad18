//! Integration tests of the on-disk library: replace, remove, persistence, crash safety, ranking.

mod library;
mod vectors;
