//! A small, tolerant HTML to blocks converter (headings, paragraphs, list items).
//!
//! It is not a full HTML parser: it reads tags and text in one pass and keeps only the text
//! structure. It never fails and never panics; broken markup gives best-effort text.
//!
//! - `h1`–`h6` become headings; `p`, `div`, `li`, `tr`, `br` and other block tags end a block;
//!   `li` gives list items; the cells of a table row are joined with ` | `.
//! - The contents of `script`, `style`, `noscript`, `template`, `head`, `title`, `svg`, `nav`
//!   and a few other non-text elements are dropped, as are comments and doctypes.
//! - Unknown tags are stripped; attributes never become text, so links, event handlers and
//!   `javascript:` URLs vanish.
//! - A paragraph made only of bold text, short (at most 12 words) and not ending in a period is
//!   a sub-heading: NGC and USPSTF write headings as `<p><strong>…</strong></p>`.
//! - Paragraphs and list items appended to a document get [`crate::clean`]'s repairs (a space
//!   after a glued sentence end; navigation sentences dropped).
//! - Citation markers in `<sup>` (`<sup>12,13</sup>`) are dropped; exponents such as
//!   `kg/m<sup>2</sup>` are kept as `kg/m^2`.

use evident_core::model::collapse_ws;
use evident_core::DocumentBuilder;

use crate::clean::clean_block;

mod blocks;
mod entities;
mod tokenizer;

use blocks::Converter;
pub use entities::decode_entities;
pub(crate) use entities::{decode_reference, MAX_REFERENCE_BYTES};
pub(crate) use tokenizer::{attributes, tokens, Token};

/// One block of text from an HTML fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A heading with its level (1 = outermost; sub-headings made from bold paragraphs sit one
    /// level below the heading before them).
    Heading(u8, String),
    Paragraph(String),
    ListItem(String),
}

impl Block {
    pub fn text(&self) -> &str {
        match self {
            Block::Heading(_, t) | Block::Paragraph(t) | Block::ListItem(t) => t,
        }
    }
}

/// Converts an HTML document or fragment to blocks of whitespace-normalised text.
pub fn html_to_blocks(html: &str) -> Vec<Block> {
    let mut conv = Converter::default();
    for token in tokens(html) {
        conv.token(token);
    }
    conv.finish()
}

/// Appends an HTML fragment to a document.
///
/// `base_level` is the level of the section the fragment belongs to: the fragment's shallowest
/// heading becomes level `base_level + 1` and deeper headings keep their relative depth (so a
/// fragment whose headings are `h2`/`h3` appended with base level 0 gives levels 1 and 2; bold
/// sub-headings in an NGC field appended with base level 2 give level 3).
pub fn append_html(b: &mut DocumentBuilder, html: &str, base_level: u8) {
    append_blocks(b, &html_to_blocks(html), base_level);
}

/// Appends blocks to a document, headings re-levelled as in [`append_html`].
pub fn append_blocks(b: &mut DocumentBuilder, blocks: &[Block], base_level: u8) {
    let min = blocks
        .iter()
        .filter_map(|blk| match blk {
            Block::Heading(l, _) => Some(*l),
            _ => None,
        })
        .min()
        .unwrap_or(1);
    for blk in blocks {
        match blk {
            Block::Heading(l, t) => {
                let level = base_level
                    .saturating_add(l.saturating_sub(min))
                    .saturating_add(1);
                b.heading(level, t);
            }
            Block::Paragraph(t) => {
                b.paragraph(&clean_block(t));
            }
            Block::ListItem(t) => {
                b.list_item(&clean_block(t));
            }
        }
    }
}

/// Appends an HTML fragment to the current section without opening sections: headings become
/// paragraphs. For short HTML bodies that belong under a heading the caller wrote.
pub fn append_html_flat(b: &mut DocumentBuilder, html: &str) {
    for blk in html_to_blocks(html) {
        match blk {
            Block::Heading(_, t) | Block::Paragraph(t) => {
                b.paragraph(&clean_block(&t));
            }
            Block::ListItem(t) => {
                b.list_item(&clean_block(&t));
            }
        }
    }
}

/// The text of an HTML fragment on one line (blocks joined by spaces), e.g. for titles.
pub fn html_to_text(html: &str) -> String {
    let parts: Vec<String> = html_to_blocks(html)
        .into_iter()
        .map(|b| match b {
            Block::Heading(_, t) | Block::Paragraph(t) | Block::ListItem(t) => t,
        })
        .collect();
    collapse_ws(&parts.join(" "))
}

#[cfg(test)]
mod tests;
