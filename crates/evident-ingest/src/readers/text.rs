//! TODO: reader for text.

use crate::{Confidence, Document, Item, Reader, Result};

pub struct PlainText;

impl Reader for PlainText {
    fn name(&self) -> &'static str {
        "text"
    }

    fn sniff(&self, _item: &Item) -> Confidence {
        Confidence::No
    }

    fn read(&self, _item: &Item) -> Result<Vec<Document>> {
        Ok(Vec::new())
    }
}
