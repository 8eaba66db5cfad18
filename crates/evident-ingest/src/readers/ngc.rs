//! TODO: reader for ngc-xml.

use crate::{Confidence, Document, Item, Reader, Result};

pub struct Ngc;

impl Reader for Ngc {
    fn name(&self) -> &'static str {
        "ngc-xml"
    }

    fn sniff(&self, _item: &Item) -> Confidence {
        Confidence::No
    }

    fn read(&self, _item: &Item) -> Result<Vec<Document>> {
        Ok(Vec::new())
    }
}
