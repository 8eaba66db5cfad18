//! Plain text: `.txt` files, and any other text no more specific reader claims.
//!
//! The reader only ever claims an item at [`Confidence::Extension`], so every other reader
//! that recognises the content wins. Binary content (NUL bytes, or more than a few control
//! characters) is not claimed, so it is reported as unsupported. Text that is not UTF-8 is
//! decoded as Windows-1252 (a superset of Latin-1); UTF-16 with a byte-order mark is decoded too.
//!
//! The title is the first line when it is short, else the file stem; it is the level-1 heading
//! of the document. Paragraphs are separated by blank lines. Source id: `txt:{stem}`.

use evident_core::{DocumentBuilder, Source};

use crate::{Confidence, Document, Error, Item, Reader, Result};

const FORMAT: &str = "text";

/// Bytes sampled to decide whether an item is text.
const SAMPLE: usize = 8192;

/// The longest first line taken as a title.
const MAX_TITLE_CHARS: usize = 100;

pub struct PlainText;

impl Reader for PlainText {
    fn name(&self) -> &'static str {
        "text"
    }

    fn sniff(&self, item: &Item) -> Confidence {
        let binary = utf16_bom(&item.bytes).is_none() && looks_binary(&item.bytes);
        if item.bytes.is_empty() || binary {
            return Confidence::No;
        }
        let ext = item.extension();
        if !matches!(ext.as_str(), "txt" | "text") {
            // Structured text (markup, JSON) that no reader claimed is better reported as
            // unsupported than indexed with its syntax.
            let head = item.head(64);
            if head.starts_with(['<', '{', '[']) {
                return Confidence::No;
            }
        }
        Confidence::Extension
    }

    fn read(&self, item: &Item) -> Result<Vec<Document>> {
        let text = decode(&item.bytes).ok_or_else(|| {
            Error::malformed(&item.path, FORMAT, "binary content (NUL or control bytes)")
        })?;
        let text = text.replace("\r\n", "\n").replace(['\r', '\x0c'], "\n");
        let mut lines = text.lines().peekable();
        while lines.peek().is_some_and(|l| l.trim().is_empty()) {
            lines.next();
        }
        let first = lines
            .peek()
            .map(|l| l.trim().to_string())
            .unwrap_or_default();
        // A one-line file is all body: its line is its title and its text.
        let has_body = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .nth(1)
            .is_some();
        let first_is_title =
            has_body && !first.is_empty() && first.chars().count() <= MAX_TITLE_CHARS;
        let title = if first_is_title {
            lines.next();
            first
        } else if !has_body && !first.is_empty() && first.chars().count() <= MAX_TITLE_CHARS {
            first
        } else {
            item.stem().to_string()
        };
        let mut source = Source::new(format!("txt:{}", item.stem()), title.clone());
        source.origin = item.path.clone();
        let mut b = DocumentBuilder::new(source);
        b.heading(1, &title);
        let mut para = String::new();
        for line in lines {
            if line.trim().is_empty() {
                b.paragraph(&para);
                para.clear();
            } else {
                para.push(' ');
                para.push_str(line);
            }
        }
        b.paragraph(&para);
        Ok(vec![b.finish()])
    }
}

/// The item as text: UTF-8 (BOM stripped), UTF-16 with a BOM, or Windows-1252; `None` when
/// the bytes look binary.
fn decode(bytes: &[u8]) -> Option<String> {
    if let Some(big_endian) = utf16_bom(bytes) {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| {
                if big_endian {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            })
            .collect();
        return Some(String::from_utf16_lossy(&units));
    }
    if looks_binary(bytes) {
        return None;
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(s) => Some(s.to_string()),
        Err(_) => Some(body.iter().map(|&b| windows_1252(b)).collect()),
    }
}

/// `Some(true)` for a UTF-16 big-endian BOM, `Some(false)` for little-endian.
fn utf16_bom(bytes: &[u8]) -> Option<bool> {
    match bytes {
        [0xFE, 0xFF, ..] => Some(true),
        [0xFF, 0xFE, ..] => Some(false),
        _ => None,
    }
}

/// NUL bytes, or more than 1 in 100 bytes being control characters other than whitespace.
fn looks_binary(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(SAMPLE)];
    if sample.contains(&0) {
        return true;
    }
    let control = sample
        .iter()
        .filter(|&&b| b < 0x09 || (0x0e..0x20).contains(&b) || b == 0x7f)
        .count();
    control * 100 > sample.len()
}

/// A Windows-1252 byte as a character (Latin-1, with the printable 0x80–0x9f extras).
fn windows_1252(b: u8) -> char {
    const EXTRAS: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => EXTRAS[(b - 0x80) as usize],
        _ => b as char,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &str, bytes: &[u8]) -> Document {
        PlainText
            .read(&Item::new(path, bytes.to_vec()))
            .unwrap()
            .remove(0)
    }

    #[test]
    fn title_and_paragraphs() {
        let doc = read(
            "notes/gout.txt",
            b"Gout notes\r\n\r\nFirst line\r\nwraps.\r\n\r\n\r\nSecond.\n",
        );
        assert_eq!(doc.source.id, "txt:gout");
        assert_eq!(doc.source.title, "Gout notes");
        assert_eq!(doc.sections.len(), 1);
        assert_eq!(doc.sections[0].trail, ["Gout notes"]);
        assert_eq!(
            doc.section_text(&doc.sections[0]),
            "First line wraps.\n\nSecond."
        );
    }

    #[test]
    fn long_first_line_is_text_and_stem_is_title() {
        let long = "word ".repeat(40);
        let doc = read("a/b.txt", long.as_bytes());
        assert_eq!(doc.source.title, "b");
        assert_eq!(doc.word_count(), 40);
    }

    #[test]
    fn latin1_and_utf16() {
        let doc = read("l.txt", b"Caf\xe9 \x93quoted\x94\n\nBody.");
        assert_eq!(doc.source.title, "Café “quoted”");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "Title\n\nBody."
                    .encode_utf16()
                    .flat_map(|u| u.to_le_bytes()),
            )
            .collect();
        assert_eq!(
            PlainText.sniff(&Item::new("u.txt", utf16.clone())),
            Confidence::Extension
        );
        let doc = read("u.txt", &utf16);
        assert_eq!(doc.source.title, "Title");
    }

    #[test]
    fn sniffing() {
        let yes = |p: &str, b: &[u8]| PlainText.sniff(&Item::new(p, b.to_vec()));
        assert_eq!(yes("a.txt", b"hello"), Confidence::Extension);
        assert_eq!(yes("README", b"hello"), Confidence::Extension);
        assert_eq!(yes("a.bin", b"\x7fELF\x00\x01"), Confidence::No);
        assert_eq!(yes("a.xml", b"<x/>"), Confidence::No);
        assert_eq!(yes("a.txt", b""), Confidence::No);
        assert!(PlainText.read(&Item::new("a.bin", vec![0, 1, 2])).is_err());
    }

    #[test]
    fn a_one_line_file_is_indexed_as_its_own_text() {
        let item = Item::new(
            "note.txt",
            b"Check potassium after starting spironolactone.\n".to_vec(),
        );
        let docs = PlainText.read(&item).unwrap();
        assert_eq!(docs[0].sections.len(), 1);
        assert!(docs[0].text.contains("potassium"));
    }
}
