//! Reading guideline sources into Evident [`Document`]s and cutting them into [`Passage`]s.
//!
//! Every format is one small module under [`readers`] behind the [`Reader`] trait. A reader is
//! picked by content first and extension second ([`Reader::sniff`]), so a `.txt` holding XML
//! or an extension-less PDF still reads correctly. [`walk`] turns a path — a file, a folder or an
//! archive (`.tar.gz`, `.tar.xz`, `.zip`, `.gz`) — into [`Item`]s without unpacking to disk.
//!
//! This crate knows nothing of indexes or storage.
//!
//! ```
//! use evident_ingest::{read_item, chunk, Item, ChunkOptions};
//!
//! let item = Item::new("notes/gout.md", b"---\ntitle: Gout\n---\n# Gout\n\n## Treatment\n\nAllopurinol is first line. Start low.".to_vec());
//! let docs = read_item(&item).unwrap();
//! let passages = chunk(&docs[0], &ChunkOptions::default());
//! assert_eq!(passages[0].trail, ["Gout", "Treatment"]);
//! ```

pub mod chunk;
mod clean;
pub mod error;
pub mod html;
pub mod readers;
pub mod walk;

pub use chunk::{chunk, ChunkOptions};
pub use error::{Error, Result};
pub use evident_core::{Document, Passage};
pub use walk::{walk, WalkOptions};

/// One unit of input: a file, or a member of an archive, read into memory.
#[derive(Debug, Clone)]
pub struct Item {
    /// Display path: `dir/file.xml` or `archive.tar.gz!/member/file.xml`.
    pub path: String,
    pub bytes: Vec<u8>,
}

impl Item {
    pub fn new(path: impl Into<String>, bytes: Vec<u8>) -> Item {
        Item {
            path: path.into(),
            bytes,
        }
    }

    /// Lowercase extension of the path's file name (`"xml"`, `"md"`), or `""`.
    pub fn extension(&self) -> String {
        let name = self.file_name();
        match name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
            _ => String::new(),
        }
    }

    /// The last component of the path.
    pub fn file_name(&self) -> &str {
        self.path
            .rsplit(['/', '\\', '!'])
            .next()
            .unwrap_or(&self.path)
    }

    /// The file name without its extension.
    pub fn stem(&self) -> &str {
        let name = self.file_name();
        name.rsplit_once('.').map_or(name, |(stem, _)| stem)
    }

    /// The first bytes, lossily decoded and with a UTF-8 BOM and leading whitespace removed.
    pub fn head(&self, n: usize) -> String {
        let bytes = &self.bytes[..self.bytes.len().min(n)];
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        String::from_utf8_lossy(bytes).trim_start().to_string()
    }

    /// The whole item as UTF-8 text, or a [`Error::Malformed`] naming the format expected.
    pub fn text(&self, format: &'static str) -> Result<&str> {
        let bytes = self
            .bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&self.bytes);
        std::str::from_utf8(bytes).map_err(|e| {
            Error::malformed(
                &self.path,
                format,
                format!("not UTF-8 text: invalid byte at offset {}", e.valid_up_to()),
            )
        })
    }
}

/// How sure a reader is that it can read an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Confidence {
    No = 0,
    /// Only the extension fits; used when nothing recognises the content.
    Extension = 1,
    /// The content looks like this format.
    Content = 2,
    /// The content has this format's unmistakable marks (a root element, a magic number).
    Certain = 3,
}

/// A source format.
pub trait Reader: Send + Sync {
    /// Short name shown in reports ("medquad-xml", "pdf", …).
    fn name(&self) -> &'static str;

    /// How sure this reader is that `item` is its format. Must be cheap: look at the head.
    fn sniff(&self, item: &Item) -> Confidence;

    /// Reads the item into documents (most formats give one; USPSTF JSON and JSON Lines many).
    fn read(&self, item: &Item) -> Result<Vec<Document>>;
}

/// Every reader, most specific first.
pub fn readers() -> Vec<Box<dyn Reader>> {
    readers::all()
}

/// The reader that fits `item` best, if any.
pub fn detect<'r>(readers: &'r [Box<dyn Reader>], item: &Item) -> Option<&'r dyn Reader> {
    let mut best: Option<(&dyn Reader, Confidence)> = None;
    for reader in readers {
        let c = reader.sniff(item);
        if c > Confidence::No && best.is_none_or(|(_, b)| c > b) {
            best = Some((reader.as_ref(), c));
        }
    }
    best.map(|(r, _)| r)
}

/// Detects the format of `item` and reads it.
pub fn read_item(item: &Item) -> Result<Vec<Document>> {
    read_with(&readers(), item)
}

/// Like [`read_item`], with a reader list built once by the caller.
pub fn read_with(readers: &[Box<dyn Reader>], item: &Item) -> Result<Vec<Document>> {
    let Some(reader) = detect(readers, item) else {
        return Err(Error::Unsupported {
            path: item.path.clone(),
            why: describe_unknown(item),
        });
    };
    let docs = reader.read(item)?;
    let docs: Vec<Document> = docs
        .into_iter()
        .map(clean::strip_invisible_doc)
        .filter(|d| !d.sections.is_empty())
        .collect();
    if docs.is_empty() {
        return Err(Error::empty(
            &item.path,
            format!("read as {}", reader.name()),
        ));
    }
    Ok(docs)
}

/// A short description of content no reader recognised, for the skip reason.
fn describe_unknown(item: &Item) -> String {
    if item.bytes.is_empty() {
        return "empty file".to_string();
    }
    let sample = &item.bytes[..item.bytes.len().min(1024)];
    let binary = sample
        .iter()
        .filter(|&&b| b == 0 || (b < 0x09) || (0x0e..0x20).contains(&b))
        .count();
    if binary > 0 {
        let magic: String = sample
            .iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        return format!("binary content, starts with bytes {magic}");
    }
    let ext = item.extension();
    if ext.is_empty() {
        "text with no recognisable structure and no extension".to_string()
    } else {
        format!("no reader for .{ext} files")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_paths() {
        let item = Item::new("corpus.tar.gz!/summaries/ngc-9568.xml", vec![]);
        assert_eq!(item.file_name(), "ngc-9568.xml");
        assert_eq!(item.extension(), "xml");
        assert_eq!(item.stem(), "ngc-9568");
        assert_eq!(Item::new(".bashrc", vec![]).extension(), "");
    }

    #[test]
    fn binary_content_is_unsupported_with_reason() {
        let item = Item::new("blob.bin", vec![0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]);
        let err = read_item(&item).unwrap_err().to_string();
        assert!(err.contains("binary content"), "{err}");
        assert!(err.contains("blob.bin"), "{err}");
    }

    /// Finding 11 of issue 13: bidi controls and zero-width characters in source text reached
    /// titles, heading trails and passage text unchanged.
    #[test]
    fn invisible_unicode_is_stripped_from_titles_and_text() {
        let md = "---\nid: t-rlo\ntitle: \"Gout \u{202E}fdp.exe\u{202C}\"\npublisher: \"N\u{200B}HS\"\n---\n\n\
                  # Gout\u{2066} care\u{2069}\n\n## Treat\u{200D}ment\n\n\
                  Allo\u{200B}purinol is \u{FEFF}first line.\u{200F} \u{061C}Start low \u{2060}(高血压).\n\n\
                  \u{200B}\u{200E}\n";
        let docs = read_item(&Item::new("notes/rlo.md", md.as_bytes().to_vec())).unwrap();
        let doc = &docs[0];
        assert_eq!(doc.source.title, "Gout fdp.exe");
        assert_eq!(doc.source.publisher.as_deref(), Some("NHS"));
        let passages = chunk(doc, &ChunkOptions::default());
        assert_eq!(passages[0].trail, ["Gout care", "Treatment"]);
        assert_eq!(
            passages[0].text,
            "Allopurinol is first line. Start low (高血压)."
        );
        assert!(!doc.text.chars().any(evident_core::text::is_invisible));
        for s in &doc.sections {
            assert!(!doc.section_text(s).trim().is_empty(), "{s:?}");
        }
    }
}
