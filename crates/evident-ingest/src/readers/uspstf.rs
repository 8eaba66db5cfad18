//! TODO: reader for uspstf-json.

use crate::{Confidence, Document, Item, Reader, Result};

pub struct Uspstf;

impl Reader for Uspstf {
    fn name(&self) -> &'static str {
        "uspstf-json"
    }

    fn sniff(&self, _item: &Item) -> Confidence {
        Confidence::No
    }

    fn read(&self, _item: &Item) -> Result<Vec<Document>> {
        Ok(Vec::new())
    }
}
