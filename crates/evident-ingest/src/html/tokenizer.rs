//! The HTML tokenizer: splits markup into text and tags, skips comments, doctypes and raw-text
//! elements, and parses attributes.

use super::decode_entities;

/// A piece of HTML: text (entities not yet decoded) or a tag with its raw attribute text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    Text(&'a str),
    Start {
        /// Lowercase tag name.
        name: String,
        /// Raw text between the name and `>`; see [`attributes`].
        attrs: &'a str,
        self_closing: bool,
    },
    End {
        name: String,
    },
}

/// Elements whose contents are raw text up to their end tag.
const RAW_TEXT: &[&str] = &["script", "style", "xmp", "textarea", "title"];

/// Splits HTML into tokens. Comments, doctypes and processing instructions are left out. The
/// contents of `script` and `style` are skipped; an unclosed one swallows the rest of the input.
pub(crate) fn tokens(html: &str) -> Vec<Token<'_>> {
    let bytes = html.as_bytes();
    let mut out = Vec::new();
    let mut pos = 0;
    let mut text_start = 0;
    while pos < bytes.len() {
        if bytes[pos] != b'<' {
            pos += 1;
            continue;
        }
        let next = bytes.get(pos + 1).copied();
        let tag_kind = match next {
            Some(c) if c.is_ascii_alphabetic() => 1,
            Some(b'/') => 2,
            Some(b'!') | Some(b'?') => 3,
            _ => 0,
        };
        if tag_kind == 0 {
            pos += 1;
            continue;
        }
        if text_start < pos {
            out.push(Token::Text(&html[text_start..pos]));
        }
        match tag_kind {
            3 => {
                // Comment, doctype, CDATA or processing instruction: skipped.
                let end = if html[pos..].starts_with("<!--") {
                    find_from(html, pos + 4, "-->").map(|i| i + 3)
                } else {
                    find_byte(bytes, pos + 2, b'>').map(|i| i + 1)
                };
                pos = end.unwrap_or(bytes.len());
            }
            2 => {
                let name_start = pos + 2;
                let name_end = scan_name(bytes, name_start);
                let end = find_byte(bytes, name_start, b'>')
                    .map(|i| i + 1)
                    .unwrap_or(bytes.len());
                if name_end > name_start {
                    out.push(Token::End {
                        name: html[name_start..name_end].to_ascii_lowercase(),
                    });
                }
                pos = end;
            }
            _ => {
                let name_start = pos + 1;
                let name_end = scan_name(bytes, name_start);
                let name = html[name_start..name_end].to_ascii_lowercase();
                let Some(close) = find_tag_end(bytes, name_end) else {
                    // Unterminated tag: the rest of the input is inside it.
                    pos = bytes.len();
                    text_start = pos;
                    break;
                };
                let inner = &html[name_end..close];
                let self_closing = inner.trim_end().ends_with('/');
                let attrs = inner.trim_end().trim_end_matches('/');
                pos = close + 1;
                let raw = RAW_TEXT.contains(&name.as_str()) && !self_closing;
                out.push(Token::Start {
                    name: name.clone(),
                    attrs,
                    self_closing,
                });
                if raw {
                    match find_end_tag(html, pos, &name) {
                        Some((content_end, after)) => {
                            if matches!(name.as_str(), "textarea" | "title" | "xmp") {
                                out.push(Token::Text(&html[pos..content_end]));
                            }
                            out.push(Token::End { name });
                            pos = after;
                        }
                        None if matches!(name.as_str(), "script" | "style") => {
                            // An unclosed script or style: drop everything after it.
                            pos = bytes.len();
                        }
                        None => {}
                    }
                }
            }
        }
        text_start = pos;
    }
    if text_start < bytes.len() {
        out.push(Token::Text(&html[text_start..]));
    }
    out
}

fn scan_name(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'/' | b'>') {
        i += 1;
    }
    i
}

fn find_byte(bytes: &[u8], from: usize, b: u8) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&c| c == b)
        .map(|i| i + from)
}

fn find_from(s: &str, from: usize, pat: &str) -> Option<usize> {
    s.get(from..)?.find(pat).map(|i| i + from)
}

/// The `>` that ends a start tag, skipping quoted attribute values.
fn find_tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut quote: Option<u8> = None;
    let mut i = from;
    while i < bytes.len() {
        let c = bytes[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => {
                // A quote only opens a value right after `=` (allowing spaces).
                let mut j = i;
                while j > from && bytes[j - 1].is_ascii_whitespace() {
                    j -= 1;
                }
                if j > from && bytes[j - 1] == b'=' {
                    quote = Some(c);
                }
            }
            None if c == b'>' => return Some(i),
            None => {}
        }
        i += 1;
    }
    None
}

/// Finds `</name` (any case) from `from`; returns (start of the end tag, position after its `>`).
fn find_end_tag(html: &str, from: usize, name: &str) -> Option<(usize, usize)> {
    let bytes = html.as_bytes();
    let mut i = from;
    while let Some(lt) = find_byte(bytes, i, b'<') {
        let after = lt + 2 + name.len();
        if bytes.get(lt + 1) == Some(&b'/')
            && after <= bytes.len()
            && bytes[lt + 2..after].eq_ignore_ascii_case(name.as_bytes())
            && bytes
                .get(after)
                .is_none_or(|c| c.is_ascii_whitespace() || matches!(c, b'>' | b'/'))
        {
            let end = find_byte(bytes, after, b'>').map_or(bytes.len(), |i| i + 1);
            return Some((lt, end));
        }
        i = lt + 1;
    }
    None
}

/// Parses the raw attribute text of a start tag into (lowercase name, decoded value) pairs.
pub(crate) fn attributes(raw: &str) -> Vec<(String, String)> {
    let bytes = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'=' | b'/')
        {
            i += 1;
        }
        if i == start {
            i += 1;
            continue;
        }
        let name = String::from_utf8_lossy(&bytes[start..i]).to_ascii_lowercase();
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if j < bytes.len() && bytes[j] == b'=' {
            j += 1;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            let (value, next) = match bytes.get(j) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let end = find_byte(bytes, j + 1, q).unwrap_or(bytes.len());
                    (
                        String::from_utf8_lossy(&bytes[j + 1..end]).into_owned(),
                        end + 1,
                    )
                }
                _ => {
                    let mut end = j;
                    while end < bytes.len() && !bytes[end].is_ascii_whitespace() {
                        end += 1;
                    }
                    (String::from_utf8_lossy(&bytes[j..end]).into_owned(), end)
                }
            };
            out.push((name, decode_entities(&value)));
            i = next;
        } else {
            out.push((name, String::new()));
        }
    }
    out
}
