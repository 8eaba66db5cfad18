//! Markdown with optional YAML front matter: our starter library (`library/*.md`, see
//! `library/FORMAT.md`), cancer.gov pages as Markdown, and any other notes.
//!
//! Front matter keys (case and `_`/`-` are ignored, so `lastReviewed` = `last_reviewed`):
//! `id`, `title`, `url`, `publisher` / `organisation` / `organization` / `source`, `date` /
//! `lastReviewed` / `updated` / `published`, `year`, `kind`, `audience` / `audienceLevel`,
//! `licence` / `license`, `review_status`, `grade` and `references` (a list of
//! `{title, organisation, year, url}` or of plain titles). `kind` and `audience` must be values
//! [`SourceKind`] and [`Audience`] understand; front matter that is not YAML, or not a mapping,
//! makes the item malformed.
//!
//! [`SourceKind`]: evident_core::SourceKind
//! [`Audience`]: evident_core::Audience
//!
//! Source id: the front matter `id`; else, for a page on cancer.gov, `nci:` + the URL path
//! (`nci:types/skin/hp`); else `md:` + the file stem. A cancer.gov page is a professional
//! summary when its URL marks the health-professional version (a path segment `hp`, `hp-…` or
//! `…-hp-pdq`, as in `/types/skin/hp/melanoma-treatment-pdq`) — the pages' own `audienceLevel`
//! says `patient` on all of them — and patient information otherwise.
//!
//! Body: ATX (`#`) and setext headings keep their levels, and the title becomes a level-1
//! heading when the body has none, so every passage carries the title in its trail. List items
//! (`-`, `*`, `+`, `1.`) are list items, other lines join into paragraphs, fenced code blocks are
//! paragraphs, and each table row is a paragraph of its cells joined by ` ; `. Inline markup is
//! removed: links keep their text (but a link to an image, an "Enlarge" prompt, goes with the
//! image), images and HTML comments and tags are dropped, emphasis markers and code backticks
//! are stripped and common HTML entities decoded. Paragraphs and list items then get
//! [`crate::clean`]'s repairs: a space after a glued sentence end, navigation sentences dropped.

mod blocks;
mod front_matter;
mod inline;

use evident_core::DocumentBuilder;

use blocks::{atx_heading, parse_blocks, Block};
use front_matter::{split_front_matter, Meta};
pub(crate) use inline::inline;

use crate::clean::clean_block;
use crate::{Confidence, Document, Error, Item, Reader, Result};

const FORMAT: &str = "Markdown";

pub struct Markdown;

impl Reader for Markdown {
    fn name(&self) -> &'static str {
        "markdown"
    }

    fn sniff(&self, item: &Item) -> Confidence {
        let head = item.head(8192);
        let ext = matches!(
            item.extension().as_str(),
            "md" | "markdown" | "mdown" | "mkd"
        );
        if let Some((yaml, _, _)) = split_front_matter(&head).ok().flatten() {
            if yaml
                .lines()
                .any(|l| l.trim_start().to_ascii_lowercase().starts_with("title:"))
            {
                return Confidence::Certain;
            }
        }
        if !ext {
            return Confidence::No;
        }
        let has_heading = head
            .lines()
            .any(|l| atx_heading(l.trim_end()).is_some_and(|(_, t)| !t.is_empty()));
        if has_heading {
            Confidence::Content
        } else {
            Confidence::Extension
        }
    }

    fn read(&self, item: &Item) -> Result<Vec<Document>> {
        let text = item.text(FORMAT)?;
        let (meta, body) = match split_front_matter(text) {
            Err(why) => return Err(Error::malformed(&item.path, FORMAT, why)),
            Ok(None) => (Meta::default(), text),
            Ok(Some((yaml, body, first_line))) => {
                let meta = Meta::parse(yaml, first_line)
                    .map_err(|why| Error::malformed(&item.path, FORMAT, why))?;
                (meta, body)
            }
        };
        let blocks = parse_blocks(body);
        let source = meta
            .source(item, &blocks)
            .map_err(|why| Error::malformed(&item.path, FORMAT, why))?;
        let has_h1 = blocks.iter().any(|b| matches!(b, Block::Heading(1, _)));
        let mut b = DocumentBuilder::new(source);
        if !has_h1 {
            let title = b.source().title.clone();
            b.heading(1, &title);
        }
        for block in &blocks {
            match block {
                Block::Heading(level, text) => b.heading(*level, text),
                Block::Paragraph(text) => b.paragraph(&clean_block(text)),
                Block::ListItem(text) => b.list_item(&clean_block(text)),
            };
        }
        Ok(vec![b.finish()])
    }
}

#[cfg(test)]
mod tests;
