//! Integration tests: walking folders and archives and reading every item, on small fixtures
//! built by the tests and (when present) on the shared corpora in `../shared/data`.

mod shared;
mod walk;
