//! TODO: reader for jsonl.

use crate::{Confidence, Document, Item, Reader, Result};

pub struct JsonLines;

impl Reader for JsonLines {
    fn name(&self) -> &'static str {
        "jsonl"
    }

    fn sniff(&self, _item: &Item) -> Confidence {
        Confidence::No
    }

    fn read(&self, _item: &Item) -> Result<Vec<Document>> {
        Ok(Vec::new())
    }
}
