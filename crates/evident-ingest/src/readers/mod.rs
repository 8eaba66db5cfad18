//! One module per source format, each a [`Reader`](crate::Reader).

pub mod html_page;
pub mod jsonl;
pub mod markdown;
pub mod medquad;
pub mod ngc;
pub mod pdf;
pub mod text;
pub mod uspstf;

use crate::Reader;

/// Every reader. Order breaks ties between equal confidences: more specific formats first.
pub fn all() -> Vec<Box<dyn Reader>> {
    vec![
        Box::new(medquad::MedQuad),
        Box::new(ngc::Ngc),
        Box::new(uspstf::Uspstf),
        Box::new(pdf::Pdf),
        Box::new(markdown::Markdown),
        Box::new(jsonl::JsonLines),
        Box::new(html_page::HtmlPage),
        Box::new(text::PlainText),
    ]
}
