//! TODO: reader for pdf.

use crate::{Confidence, Document, Item, Reader, Result};

pub struct Pdf;

impl Reader for Pdf {
    fn name(&self) -> &'static str {
        "pdf"
    }

    fn sniff(&self, _item: &Item) -> Confidence {
        Confidence::No
    }

    fn read(&self, _item: &Item) -> Result<Vec<Document>> {
        Ok(Vec::new())
    }
}
