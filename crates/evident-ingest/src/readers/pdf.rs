//! PDF: text extracted with `pdf-extract`.
//!
//! The title is the document information dictionary's `/Title` when it has one, else the first
//! line of text (when short), else the file stem; it is the level-1 heading. Text is split into
//! paragraphs at blank lines, without page numbers and running heads (short lines repeated on
//! three or more pages); lines that look like headings — short, without a final period, and
//! numbered (`2.1 Treatment`), in capitals (`TREATMENT`) or, alone between blank lines, in Title
//! Case — become headings. Words hyphenated across lines are joined. Source id: `pdf:{stem}`.
//!
//! `pdf-extract` panics on some malformed or unusual files; those panics are caught (and kept
//! off stderr) and reported as a malformed item, like its errors. Scanned PDFs without a text
//! layer have no text and are reported as empty.

use std::cell::Cell;
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use evident_core::{DocumentBuilder, Source};
use pdf_extract::{Dictionary, Object};

use crate::{Confidence, Document, Error, Item, Reader, Result};

const FORMAT: &str = "PDF";

/// Where the `%PDF-` header may be (some writers put junk before it).
const HEADER_WINDOW: usize = 1024;

/// The longest first line taken as a title.
const MAX_TITLE_CHARS: usize = 150;

/// A short line seen this many times is a running head or foot, and dropped.
const RUNNING_LINE_REPEATS: usize = 3;

pub struct Pdf;

impl Reader for Pdf {
    fn name(&self) -> &'static str {
        "pdf"
    }

    fn sniff(&self, item: &Item) -> Confidence {
        if header_offset(&item.bytes).is_some() {
            Confidence::Certain
        } else if item.extension() == "pdf" {
            Confidence::Extension
        } else {
            Confidence::No
        }
    }

    fn read(&self, item: &Item) -> Result<Vec<Document>> {
        let malformed = |why: String| Error::malformed(&item.path, FORMAT, why);
        if header_offset(&item.bytes).is_none() {
            return Err(malformed(format!(
                "not a PDF: no %PDF- header in the first {HEADER_WINDOW} bytes; {}",
                describe_start(&item.bytes)
            )));
        }
        let (info_title, text) = match quietly(|| extract(&item.bytes)) {
            Ok(Ok(extracted)) => extracted,
            Ok(Err(why)) => return Err(malformed(why)),
            Err(why) => return Err(malformed(format!("the PDF could not be parsed ({why})"))),
        };
        Ok(vec![build(item, info_title, &text)])
    }
}

fn header_offset(bytes: &[u8]) -> Option<usize> {
    let window = &bytes[..bytes.len().min(HEADER_WINDOW)];
    window.windows(5).position(|w| w == b"%PDF-")
}

fn describe_start(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "the file is empty".to_string();
    }
    let head = &bytes[..bytes.len().min(16)];
    if head.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("it starts with {:?}", String::from_utf8_lossy(head))
    } else {
        let hex: Vec<String> = head.iter().take(4).map(|b| format!("{b:02x}")).collect();
        format!("it starts with bytes {}", hex.join(" "))
    }
}

/// The Info dictionary's title and the text of every page.
fn extract(bytes: &[u8]) -> std::result::Result<(Option<String>, String), String> {
    let mut doc = pdf_extract::Document::load_mem(bytes).map_err(|e| e.to_string())?;
    if doc.is_encrypted() {
        doc.decrypt("")
            .map_err(|e| format!("encrypted and cannot be opened without a password ({e})"))?;
    }
    let title = info_title(&doc);
    let mut text = String::new();
    let mut output = pdf_extract::PlainTextOutput::new(&mut text);
    pdf_extract::output_doc(&doc, &mut output).map_err(|e| e.to_string())?;
    Ok((title, text))
}

fn info_title(doc: &pdf_extract::Document) -> Option<String> {
    let deref = |o: &Object| -> Option<Object> {
        match o {
            Object::Reference(id) => doc.get_object(*id).ok().cloned(),
            other => Some(other.clone()),
        }
    };
    let info: Dictionary = match deref(doc.trailer.get(b"Info").ok()?)? {
        Object::Dictionary(d) => d,
        _ => return None,
    };
    let title = match deref(info.get(b"Title").ok()?)? {
        Object::String(bytes, _) => decode_pdf_string(&bytes),
        _ => return None,
    };
    let title = title.trim();
    let title = title
        .strip_prefix("Microsoft Word - ")
        .unwrap_or(title)
        .trim();
    let junk = title.is_empty()
        || title.eq_ignore_ascii_case("untitled")
        || [".doc", ".docx", ".pdf", ".indd", ".rtf"]
            .iter()
            .any(|ext| title.to_ascii_lowercase().ends_with(ext));
    (!junk).then(|| title.to_string())
}

/// A PDF text string: UTF-16BE with a byte-order mark, UTF-8 with one, or PDFDocEncoding
/// (read as Latin-1).
fn decode_pdf_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest).into_owned();
    }
    bytes.iter().map(|&b| b as char).collect()
}

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, turning a panic into `Err(message)` without printing it. Other threads' panics
/// still go to the panic hook that was installed before.
fn quietly<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result.map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "unsupported or damaged structure".to_string());
        format!("pdf-extract failed: {message}")
    })
}

fn build(item: &Item, info_title: Option<String>, text: &str) -> Document {
    let text = text.replace("\r\n", "\n").replace(['\r', '\x0c'], "\n");
    let mut lines: Vec<&str> = text.lines().map(str::trim).collect();
    let first = lines.iter().position(|l| !l.is_empty());
    let title = match (info_title, first) {
        (Some(t), _) => t,
        (None, Some(i)) if lines[i].chars().count() <= MAX_TITLE_CHARS => {
            let t = lines[i].to_string();
            lines.drain(..=i);
            t
        }
        _ => item.stem().to_string(),
    };
    // Running heads and feet (a line repeated on many pages) and page numbers are not text.
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for line in lines
        .iter()
        .filter(|l| !l.is_empty() && l.chars().count() <= 80)
    {
        *counts.entry(*line).or_default() += 1;
    }
    lines.retain(|l| {
        let page_number = !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit());
        let running = counts.get(l).is_some_and(|&n| n >= RUNNING_LINE_REPEATS);
        !(page_number || running || *l == title)
    });
    let mut source = Source::new(format!("pdf:{}", item.stem()), title.clone());
    source.origin = item.path.clone();
    let mut b = DocumentBuilder::new(source);
    b.heading(1, &title);

    for block in lines.split(|l| l.is_empty()).filter(|b| !b.is_empty()) {
        if let [line] = block {
            if let Some(level) = heading_level(line, true) {
                b.heading(level, line);
                continue;
            }
        }
        let mut para = String::new();
        for line in block {
            if let Some(level) = heading_level(line, false) {
                b.paragraph(&para);
                para.clear();
                b.heading(level, line);
                continue;
            }
            join_line(&mut para, line);
        }
        b.paragraph(&para);
    }
    b.finish()
}

/// Appends a line to a paragraph, joining a word hyphenated across the line break.
fn join_line(para: &mut String, line: &str) {
    let hyphenated = para.ends_with('-')
        && para[..para.len() - 1]
            .chars()
            .next_back()
            .is_some_and(char::is_alphabetic)
        && line.chars().next().is_some_and(char::is_lowercase);
    if hyphenated {
        para.pop();
    } else if !para.is_empty() {
        para.push(' ');
    }
    para.push_str(line);
}

/// The heading level of a line that looks like a heading. Title Case lines count only when
/// `alone` (a block of their own), as they are common inside running text and tables.
fn heading_level(line: &str, alone: bool) -> Option<u8> {
    let t = line.trim();
    let n = t.chars().count();
    let ends_well = t
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || matches!(c, ')' | '?' | '®' | '’' | '"'));
    if !(3..=80).contains(&n) || !ends_well {
        return None;
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    if words.len() > 12 || t.chars().filter(|c| c.is_alphabetic()).count() < 3 {
        return None;
    }
    // Numbered: `2 Methods`, `2.1 Treatment`, `3.2.1. Doses`.
    let number = words[0].trim_end_matches('.');
    if words.len() > 1
        && !number.is_empty()
        && number
            .split('.')
            .all(|p| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        let rest_starts_upper = words[1].chars().next().is_some_and(char::is_uppercase);
        return rest_starts_upper.then(|| (number.split('.').count() + 1).min(6) as u8);
    }
    let letters: Vec<char> = t.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.iter().all(|c| c.is_uppercase()) {
        return Some(2);
    }
    let title_case = words[0].chars().next().is_some_and(char::is_uppercase)
        && words.iter().all(|w| {
            let letters = w.chars().filter(|c| c.is_alphabetic()).count();
            letters < 4 || w.chars().next().is_some_and(|c| !c.is_lowercase())
        });
    (alone && title_case).then_some(3)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use lopdf::content::{Content, Operation};
    use lopdf::{dictionary, Object, Stream};

    /// A one-page PDF with Helvetica text: each of `lines` on a line of its own, and an Info
    /// dictionary with `title` when given.
    pub(crate) fn one_page_pdf(lines: &[&str], title: Option<&str>) -> Vec<u8> {
        pdf_with_encoding(lines, title, "WinAnsiEncoding")
    }

    fn pdf_with_encoding(lines: &[&str], title: Option<&str>, encoding: &str) -> Vec<u8> {
        let mut doc = lopdf::Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font_id = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => "Helvetica",
            "Encoding" => Object::Name(encoding.as_bytes().to_vec()),
        });
        let resources_id = doc.add_object(dictionary! {
            "Font" => dictionary! { "F1" => font_id },
        });
        let mut operations = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 12.into()]),
            Operation::new("TL", vec![24.into()]),
            Operation::new("Td", vec![72.into(), 720.into()]),
        ];
        for line in lines {
            operations.push(Operation::new("Tj", vec![Object::string_literal(*line)]));
            operations.push(Operation::new("T*", vec![]));
        }
        operations.push(Operation::new("ET", vec![]));
        let content = Content { operations };
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        });
        let pages = dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page_id.into()],
            "Count" => 1,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        };
        doc.objects.insert(pages_id, Object::Dictionary(pages));
        let catalog_id = doc.add_object(dictionary! {
            "Type" => "Catalog",
            "Pages" => pages_id,
        });
        doc.trailer.set("Root", catalog_id);
        if let Some(title) = title {
            let info_id = doc.add_object(dictionary! {
                "Title" => Object::string_literal(title),
            });
            doc.trailer.set("Info", info_id);
        }
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        bytes
    }

    #[test]
    fn extracts_text_and_info_title() {
        let bytes = one_page_pdf(
            &[
                "Gout treatment is urate lowering.",
                "Allopurinol is the first choice.",
            ],
            Some("Gout Handout"),
        );
        let item = Item::new("docs/gout-handout.pdf", bytes);
        assert_eq!(Pdf.sniff(&item), Confidence::Certain);
        let doc = Pdf.read(&item).unwrap().remove(0);
        assert_eq!(doc.source.id, "pdf:gout-handout");
        assert_eq!(doc.source.title, "Gout Handout");
        let body: String = doc.sections.iter().map(|s| doc.section_text(s)).collect();
        assert!(
            body.contains("Gout treatment is urate lowering."),
            "{body:?}"
        );
        assert!(
            body.contains("Allopurinol is the first choice."),
            "{body:?}"
        );
        assert_eq!(doc.sections[0].trail, ["Gout Handout"]);
    }

    #[test]
    fn first_line_is_the_title_without_info() {
        let bytes = one_page_pdf(&["Widget Care", "", "Widgets need care."], None);
        let doc = Pdf.read(&Item::new("w.pdf", bytes)).unwrap().remove(0);
        assert_eq!(doc.source.title, "Widget Care");
    }

    #[test]
    fn corrupt_pdfs_are_malformed_not_panics() {
        let good = one_page_pdf(&["Some text here."], None);
        for bytes in [
            good[..good.len() / 2].to_vec(),
            b"%PDF-1.7\n\x00\x01garbage garbage\n%%EOF".to_vec(),
            b"%PDF-".to_vec(),
        ] {
            let item = Item::new("bad.pdf", bytes);
            match Pdf.read(&item) {
                Err(e @ Error::Malformed { .. }) => {
                    assert!(e.to_string().contains("bad.pdf"), "{e}")
                }
                Err(other) => panic!("expected malformed, got {other}"),
                Ok(docs) => panic!("expected malformed, got {docs:?}"),
            }
        }
        let err = Pdf
            .read(&Item::new("fake.pdf", b"<html>no</html>".to_vec()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("fake.pdf") && err.contains("not a PDF") && err.contains("<html>"),
            "{err}"
        );
    }

    #[test]
    fn panics_inside_pdf_extract_become_malformed() {
        // pdf-extract panics on font encodings it does not know.
        let bytes = pdf_with_encoding(&["Text."], None, "BogusEncoding");
        let err = Pdf.read(&Item::new("odd.pdf", bytes)).unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }), "{err}");
        assert!(err.to_string().contains("pdf-extract failed"), "{err}");
        assert_eq!(quietly(|| 7), Ok(7));
    }

    #[test]
    fn headings_from_lines() {
        assert_eq!(heading_level("2.1 Treatment", false), Some(3));
        assert_eq!(heading_level("3 Methods", false), Some(2));
        assert_eq!(heading_level("RECOMMENDATIONS", false), Some(2));
        assert_eq!(heading_level("Clinical Considerations", true), Some(3));
        assert_eq!(heading_level("Clinical Considerations", false), None);
        assert_eq!(heading_level("This is a sentence.", true), None);
        assert_eq!(heading_level("12.5 mg daily", true), None);
        assert_eq!(heading_level("DEFINITIONS TAGS ::=", true), None);
        assert_eq!(heading_level("What Is Gout?", true), Some(3));
        let mut p = String::new();
        join_line(&mut p, "treat-");
        join_line(&mut p, "ment of pre-");
        join_line(&mut p, "Eclampsia");
        assert_eq!(p, "treatment of pre- Eclampsia");
    }
}
