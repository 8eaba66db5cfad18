//! TODO: reader for html.

use crate::{Confidence, Document, Item, Reader, Result};

pub struct HtmlPage;

impl Reader for HtmlPage {
    fn name(&self) -> &'static str {
        "html"
    }

    fn sniff(&self, _item: &Item) -> Confidence {
        Confidence::No
    }

    fn read(&self, _item: &Item) -> Result<Vec<Document>> {
        Ok(Vec::new())
    }
}
