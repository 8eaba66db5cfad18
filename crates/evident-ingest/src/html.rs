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
//! - Citation markers in `<sup>` (`<sup>12,13</sup>`) are dropped; exponents such as
//!   `kg/m<sup>2</sup>` are kept as `kg/m^2`.

use evident_core::model::collapse_ws;
use evident_core::DocumentBuilder;

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
                b.paragraph(t);
            }
            Block::ListItem(t) => {
                b.list_item(t);
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
                b.paragraph(&t);
            }
            Block::ListItem(t) => {
                b.list_item(&t);
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

// ---------------------------------------------------------------------------------------------
// Tokenizer

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

// ---------------------------------------------------------------------------------------------
// Blocks

/// Elements whose whole contents are dropped.
const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "head", "title", "svg", "math", "iframe", "object",
    "canvas", "nav", "select", "button", "audio", "video", "map",
];

/// Tags that end the current block (before and after them).
const BLOCK: &[&str] = &[
    "p",
    "div",
    "br",
    "hr",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "caption",
    "blockquote",
    "pre",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "aside",
    "address",
    "figure",
    "figcaption",
    "center",
    "form",
    "fieldset",
    "legend",
    "details",
    "summary",
    "body",
    "html",
    "img",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Paragraph,
    ListItem,
    Heading(u8),
}

#[derive(Debug)]
enum Raw {
    Block(Block),
    /// A bold paragraph used as a heading; its level is set after the whole fragment is read.
    SubHeading(String),
}

#[derive(Debug)]
struct Converter {
    out: Vec<Raw>,
    cur: String,
    kind: Kind,
    /// One entry per open list: whether a list item is open in it.
    lists: Vec<bool>,
    /// A list item outside any list is open.
    loose_li: bool,
    strong: usize,
    has_strong: bool,
    has_plain: bool,
    /// A table cell started after text in this row: the next text is preceded by ` | `.
    pending_cell: bool,
    row: bool,
    skip: Vec<String>,
    sup: Option<String>,
}

impl Default for Converter {
    fn default() -> Self {
        Converter {
            out: Vec::new(),
            cur: String::new(),
            kind: Kind::Paragraph,
            lists: Vec::new(),
            loose_li: false,
            strong: 0,
            has_strong: false,
            has_plain: false,
            pending_cell: false,
            row: false,
            skip: Vec::new(),
            sup: None,
        }
    }
}

impl Converter {
    fn token(&mut self, token: Token<'_>) {
        match token {
            Token::Text(t) => {
                if self.skip.is_empty() {
                    self.text(&decode_entities(t));
                }
            }
            Token::Start {
                name, self_closing, ..
            } => self.start(&name, self_closing),
            Token::End { name } => self.end(&name),
        }
    }

    fn start(&mut self, name: &str, self_closing: bool) {
        if name == "body" {
            // A body start closes an unclosed head.
            if let Some(i) = self.skip.iter().position(|s| s == "head") {
                self.skip.truncate(i);
            }
        }
        if SKIP.contains(&name) {
            if !self_closing {
                self.skip.push(name.to_string());
            }
            return;
        }
        if !self.skip.is_empty() {
            return;
        }
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.flush();
                self.kind = Kind::Heading(name.as_bytes()[1] - b'0');
            }
            "li" => {
                self.flush();
                self.set_li(true);
                self.kind = Kind::ListItem;
            }
            "ul" | "ol" => {
                self.flush();
                self.lists.push(false);
                self.kind = Kind::Paragraph;
            }
            "td" | "th" => {
                self.end_sup();
                if !self.cur.trim().is_empty() {
                    self.pending_cell = true;
                    self.row = true;
                } else if !self.cur.is_empty() {
                    self.cur.push(' ');
                }
            }
            "strong" | "b" if !self_closing => self.strong += 1,
            "sup" if !self_closing => {
                self.end_sup();
                self.sup = Some(String::new());
            }
            _ if BLOCK.contains(&name) => self.flush(),
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        if let Some(i) = self.skip.iter().rposition(|s| s == name) {
            self.skip.truncate(i);
            return;
        }
        if !self.skip.is_empty() {
            return;
        }
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.flush();
                self.kind = self.body_kind();
            }
            "li" => {
                self.flush();
                self.set_li(false);
                self.kind = Kind::Paragraph;
            }
            "ul" | "ol" => {
                self.flush();
                self.lists.pop();
                self.kind = self.body_kind();
            }
            "strong" | "b" => self.strong = self.strong.saturating_sub(1),
            "sup" => self.end_sup(),
            "td" | "th" => self.end_sup(),
            _ if BLOCK.contains(&name) => self.flush(),
            _ => {}
        }
    }

    fn set_li(&mut self, open: bool) {
        match self.lists.last_mut() {
            Some(top) => *top = open,
            None => self.loose_li = open,
        }
    }

    fn body_kind(&self) -> Kind {
        if self.lists.last().copied().unwrap_or(self.loose_li) {
            Kind::ListItem
        } else {
            Kind::Paragraph
        }
    }

    fn text(&mut self, t: &str) {
        if let Some(sup) = self.sup.as_mut() {
            sup.push_str(t);
            return;
        }
        self.push_text(t);
    }

    fn push_text(&mut self, t: &str) {
        if t.trim().is_empty() {
            if !t.is_empty() {
                self.cur.push(' ');
            }
            return;
        }
        if self.pending_cell {
            self.cur.push_str(" | ");
            self.pending_cell = false;
        }
        if self.strong > 0 {
            self.has_strong = true;
        } else {
            self.has_plain = true;
        }
        self.cur.push_str(t);
    }

    /// Ends a `<sup>`: drops citation markers, keeps exponents and other text.
    fn end_sup(&mut self) {
        let Some(sup) = self.sup.take() else { return };
        let content = collapse_ws(&sup);
        if content.is_empty() {
            return;
        }
        let citation_like = content.chars().any(|c| c.is_ascii_digit())
            && content
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ',' | '-' | '–' | '—' | ' '));
        let footnote_letter =
            content.chars().count() == 1 && content.chars().all(|c| c.is_ascii_lowercase());
        if footnote_letter {
            return;
        }
        if citation_like {
            if content.len() == 1 && self.looks_like_base_of_exponent() {
                let t = format!("^{content}");
                self.push_text(&t);
            }
            return;
        }
        self.push_text(&content);
    }

    /// True when the text before a `<sup>` looks like a unit or number (`kg/m`, `mL`, `I`, `10`).
    fn looks_like_base_of_exponent(&self) -> bool {
        if self.cur.ends_with(char::is_whitespace) {
            return false;
        }
        let word = self.cur.split_whitespace().last().unwrap_or("");
        word == "I"
            || word.contains('/')
            || word.ends_with(|c: char| c.is_ascii_digit())
            || ((word.ends_with('m') || word.ends_with('L')) && word.chars().count() <= 3)
    }

    fn flush(&mut self) {
        self.end_sup();
        let text = collapse_ws(&self.cur);
        if !text.is_empty() {
            let raw = match self.kind {
                Kind::Heading(l) => Raw::Block(Block::Heading(l, text)),
                Kind::ListItem => Raw::Block(Block::ListItem(text)),
                Kind::Paragraph
                    if self.has_strong
                        && !self.has_plain
                        && !self.row
                        && text.split_whitespace().count() <= 12
                        && !text.ends_with('.') =>
                {
                    Raw::SubHeading(text)
                }
                Kind::Paragraph => Raw::Block(Block::Paragraph(text)),
            };
            self.out.push(raw);
        }
        self.cur.clear();
        self.has_strong = false;
        self.has_plain = false;
        self.pending_cell = false;
        self.row = false;
    }

    fn finish(mut self) -> Vec<Block> {
        self.flush();
        let min_real = self
            .out
            .iter()
            .filter_map(|r| match r {
                Raw::Block(Block::Heading(l, _)) => Some(*l),
                _ => None,
            })
            .min();
        let mut last_real: Option<u8> = None;
        self.out
            .into_iter()
            .map(|r| match r {
                Raw::Block(Block::Heading(l, t)) => {
                    last_real = Some(l);
                    Block::Heading(l, t)
                }
                Raw::Block(b) => b,
                Raw::SubHeading(t) => {
                    let level = match (last_real, min_real) {
                        (Some(l), _) => l.saturating_add(1),
                        (None, Some(m)) => m,
                        (None, None) => 1,
                    };
                    Block::Heading(level, t)
                }
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Entities

/// Decodes HTML character references: named entities (`&nbsp;`, `&amp;`, `&ndash;`, `&rsquo;`,
/// `&ge;`, `&micro;`, …) and numeric ones (`&#176;`, `&#xB0;`). Unknown or unterminated
/// references are left as they are. `&nbsp;` becomes a plain space; invalid code points become
/// U+FFFD; `&#128;`–`&#159;` are read as Windows-1252, as browsers do.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let semi = after
            .bytes()
            .take(33)
            .position(|b| b == b';')
            .filter(|&i| i > 0);
        let decoded = semi.and_then(|i| {
            let name = &after[..i];
            let value = if let Some(num) = name.strip_prefix('#') {
                decode_numeric(num)
            } else {
                named_entity(name).map(|s| s.to_string())
            };
            value.map(|v| (v, i + 1))
        });
        match decoded {
            Some((v, used)) => {
                out.push_str(&v);
                rest = &after[used..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_numeric(num: &str) -> Option<String> {
    let (digits, radix) = match num.strip_prefix(['x', 'X']) {
        Some(hex) => (hex, 16),
        None => (num, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let code = u32::from_str_radix(digits, radix).unwrap_or(u32::MAX);
    let c = match code {
        0 => '\u{FFFD}',
        0x80..=0x9F => windows_1252(code),
        _ => char::from_u32(code).unwrap_or('\u{FFFD}'),
    };
    Some(c.to_string())
}

fn windows_1252(code: u32) -> char {
    const TABLE: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    TABLE[(code - 0x80) as usize]
}

fn named_entity(name: &str) -> Option<&'static str> {
    let v = match name {
        "nbsp" | "NBSP" | "ensp" | "emsp" | "thinsp" | "numsp" => " ",
        "amp" | "AMP" => "&",
        "lt" | "LT" => "<",
        "gt" | "GT" => ">",
        "quot" | "QUOT" => "\"",
        "apos" => "'",
        "ndash" => "–",
        "mdash" => "—",
        "minus" => "−",
        "hyphen" | "dash" => "‐",
        "lsquo" => "‘",
        "rsquo" => "’",
        "sbquo" => "‚",
        "ldquo" => "“",
        "rdquo" => "”",
        "bdquo" => "„",
        "laquo" => "«",
        "raquo" => "»",
        "lsaquo" => "‹",
        "rsaquo" => "›",
        "hellip" => "…",
        "bull" => "•",
        "middot" => "·",
        "prime" => "′",
        "Prime" => "″",
        "dagger" => "†",
        "Dagger" => "‡",
        "sect" => "§",
        "para" => "¶",
        "copy" => "©",
        "reg" => "®",
        "trade" => "™",
        "deg" => "°",
        "micro" => "µ",
        "times" => "×",
        "divide" => "÷",
        "plusmn" => "±",
        "ge" => "≥",
        "le" => "≤",
        "ne" => "≠",
        "asymp" => "≈",
        "equiv" => "≡",
        "infin" => "∞",
        "sim" => "∼",
        "permil" => "‰",
        "frac12" => "½",
        "frac14" => "¼",
        "frac34" => "¾",
        "sup1" => "¹",
        "sup2" => "²",
        "sup3" => "³",
        "ordf" => "ª",
        "ordm" => "º",
        "larr" => "←",
        "rarr" => "→",
        "uarr" => "↑",
        "darr" => "↓",
        "harr" => "↔",
        "rArr" => "⇒",
        "lArr" => "⇐",
        "cent" => "¢",
        "pound" => "£",
        "euro" => "€",
        "yen" => "¥",
        "curren" => "¤",
        "iexcl" => "¡",
        "iquest" => "¿",
        "not" => "¬",
        "brvbar" => "|",
        "acute" => "´",
        "uml" => "¨",
        "cedil" => "¸",
        "macr" => "¯",
        "shy" | "zwj" | "zwnj" | "lrm" | "rlm" => "",
        "alpha" => "α",
        "beta" => "β",
        "gamma" => "γ",
        "delta" => "δ",
        "epsilon" => "ε",
        "zeta" => "ζ",
        "eta" => "η",
        "theta" => "θ",
        "iota" => "ι",
        "kappa" => "κ",
        "lambda" => "λ",
        "mu" => "μ",
        "nu" => "ν",
        "xi" => "ξ",
        "pi" => "π",
        "rho" => "ρ",
        "sigma" => "σ",
        "tau" => "τ",
        "phi" => "φ",
        "chi" => "χ",
        "psi" => "ψ",
        "omega" => "ω",
        "Gamma" => "Γ",
        "Delta" => "Δ",
        "Theta" => "Θ",
        "Lambda" => "Λ",
        "Pi" => "Π",
        "Sigma" => "Σ",
        "Phi" => "Φ",
        "Psi" => "Ψ",
        "Omega" => "Ω",
        "aacute" => "á",
        "agrave" => "à",
        "acirc" => "â",
        "auml" => "ä",
        "atilde" => "ã",
        "aring" => "å",
        "aelig" => "æ",
        "ccedil" => "ç",
        "eacute" => "é",
        "egrave" => "è",
        "ecirc" => "ê",
        "euml" => "ë",
        "iacute" => "í",
        "igrave" => "ì",
        "icirc" => "î",
        "iuml" => "ï",
        "ntilde" => "ñ",
        "oacute" => "ó",
        "ograve" => "ò",
        "ocirc" => "ô",
        "ouml" => "ö",
        "otilde" => "õ",
        "oslash" => "ø",
        "uacute" => "ú",
        "ugrave" => "ù",
        "ucirc" => "û",
        "uuml" => "ü",
        "yacute" => "ý",
        "yuml" => "ÿ",
        "szlig" => "ß",
        "Aacute" => "Á",
        "Agrave" => "À",
        "Acirc" => "Â",
        "Auml" => "Ä",
        "Aring" => "Å",
        "AElig" => "Æ",
        "Ccedil" => "Ç",
        "Eacute" => "É",
        "Egrave" => "È",
        "Ecirc" => "Ê",
        "Iacute" => "Í",
        "Ntilde" => "Ñ",
        "Oacute" => "Ó",
        "Ouml" => "Ö",
        "Oslash" => "Ø",
        "Uacute" => "Ú",
        "Uuml" => "Ü",
        _ => return None,
    };
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use evident_core::Source;
    use proptest::prelude::*;

    fn p(s: &str) -> Block {
        Block::Paragraph(s.to_string())
    }
    fn li(s: &str) -> Block {
        Block::ListItem(s.to_string())
    }
    fn h(l: u8, s: &str) -> Block {
        Block::Heading(l, s.to_string())
    }

    #[test]
    fn headings_paragraphs_and_lists() {
        let html = "<h1>Gout</h1><p>Uric acid   crystals.</p><h2>Treatment</h2>\
                    <ul><li>Allopurinol</li><li>Colchicine <em>low</em> dose</li></ul><p>End.</p>";
        assert_eq!(
            html_to_blocks(html),
            [
                h(1, "Gout"),
                p("Uric acid crystals."),
                h(2, "Treatment"),
                li("Allopurinol"),
                li("Colchicine low dose"),
                p("End.")
            ]
        );
    }

    #[test]
    fn block_tags_and_br_break_blocks_inline_tags_do_not() {
        let html = "<div>one<br>two</div><div>th<span>re</span>e<br/>four</div>";
        assert_eq!(
            html_to_blocks(html),
            [p("one"), p("two"), p("three"), p("four")]
        );
    }

    #[test]
    fn table_rows_are_blocks_with_cells_joined() {
        let html = "<table><tr><th>Grade</th><th>Meaning</th></tr>\
                    <tr><td>A</td><td>Recommended.</td></tr></table>";
        assert_eq!(
            html_to_blocks(html),
            [p("Grade | Meaning"), p("A | Recommended.")]
        );
    }

    #[test]
    fn list_item_with_paragraphs_and_nested_lists() {
        let html = "<ol><li><p>First step.</p><ul><li>detail</li></ul>more of first</li></ol><p>After.</p>";
        assert_eq!(
            html_to_blocks(html),
            [
                li("First step."),
                li("detail"),
                li("more of first"),
                p("After.")
            ]
        );
    }

    #[test]
    fn unclosed_list_items_do_not_leak_past_the_list() {
        let html = "<ul><li>a<li>b</ul><p>c</p>";
        assert_eq!(html_to_blocks(html), [li("a"), li("b"), p("c")]);
    }

    #[test]
    fn scripts_styles_head_and_comments_are_dropped() {
        let html = "<html><head><title>T</title><style>p{color:red}</style></head><body>\
                    <script>var a = 1 < 2; document.write('<p>evil</p>');</script>\
                    <noscript>enable js</noscript><template><p>tpl</p></template>\
                    <!-- a comment <p>hidden</p> --><p>Visible</p></body></html>";
        assert_eq!(html_to_blocks(html), [p("Visible")]);
    }

    #[test]
    fn implicit_head_close_and_unclosed_script() {
        assert_eq!(
            html_to_blocks("<head><meta charset=utf-8><body><p>Text</p>"),
            [p("Text")]
        );
        assert_eq!(
            html_to_blocks("<p>Before</p><script>alert('x') <p>never"),
            [p("Before")]
        );
    }

    #[test]
    fn attributes_never_become_text() {
        let html = r#"<p onclick="alert('x')">Click <a href="javascript:alert(1)" title="t>t">here</a>
                      <img src=x onerror="steal()" alt="alt text"></p>"#;
        let blocks = html_to_blocks(html);
        assert_eq!(blocks, [p("Click here")]);
    }

    #[test]
    fn unknown_tags_are_stripped() {
        assert_eq!(
            html_to_blocks("<p>a <foo-bar x=1>b</foo-bar> <o:p>c</o:p></p>"),
            [p("a b c")]
        );
    }

    #[test]
    fn short_bold_paragraphs_are_sub_headings() {
        let html = "<p><strong><span>Summary of Recommendations</span></strong></p>\
                    <p>Screen adults.</p>\
                    <p><strong>Note</strong>: not a heading.</p>\
                    <p><b>A bold sentence that ends with a period.</b></p>\
                    <p><strong>one two three four five six seven eight nine ten eleven twelve thirteen</strong></p>";
        assert_eq!(
            html_to_blocks(html),
            [
                h(1, "Summary of Recommendations"),
                p("Screen adults."),
                p("Note: not a heading."),
                p("A bold sentence that ends with a period."),
                p("one two three four five six seven eight nine ten eleven twelve thirteen"),
            ]
        );
    }

    #[test]
    fn sub_heading_levels_follow_real_headings() {
        let html = "<h2>Rationale</h2><h3>Importance</h3><p><b>Detail</b></p><p>x</p>";
        assert_eq!(
            html_to_blocks(html),
            [
                h(2, "Rationale"),
                h(3, "Importance"),
                h(4, "Detail"),
                p("x")
            ]
        );
    }

    #[test]
    fn bold_table_rows_and_list_items_are_not_headings() {
        let html = "<table><tr><td><b>A</b></td><td><b>B</b></td></tr></table><ul><li><b>Item</b></li></ul>";
        assert_eq!(html_to_blocks(html), [p("A | B"), li("Item")]);
    }

    #[test]
    fn citation_superscripts_dropped_exponents_kept() {
        let html = "<p>A review<sup>2</sup> found it.<sup>12,13</sup> BMI 30 kg/m<sup>2</sup>; \
                    <em>I</em><sup>2</sup> = 40%; 10<sup>9</sup> cells; 5<sup>th</sup> day<sup><a href='#n'>a</a></sup>.</p>";
        assert_eq!(
            html_to_blocks(html),
            [p(
                "A review found it. BMI 30 kg/m^2; I^2 = 40%; 10^9 cells; 5th day."
            )]
        );
    }

    #[test]
    fn append_html_relevels_headings() {
        let mut b = DocumentBuilder::new(Source::new("t:1", "T"));
        b.heading(1, "Recommendations");
        b.heading(2, "Major Recommendations");
        append_html(
            &mut b,
            "<p>Intro.</p><p><strong>Screening</strong></p><p>Do it.</p>",
            2,
        );
        append_html(
            &mut b,
            "<h2>Rationale</h2><h3>Importance</h3><p>Big.</p>",
            0,
        );
        let doc = b.finish();
        let trails: Vec<String> = doc.sections.iter().map(|s| s.trail.join(" > ")).collect();
        assert_eq!(
            trails,
            [
                "Recommendations > Major Recommendations",
                "Recommendations > Major Recommendations > Screening",
                "Rationale > Importance"
            ]
        );
    }

    #[test]
    fn append_html_flat_keeps_one_section() {
        let mut b = DocumentBuilder::new(Source::new("t:1", "T"));
        b.heading(1, "Rec");
        append_html_flat(&mut b, "<h2>Odd</h2><p>Text.</p><ul><li>x</li></ul>");
        let doc = b.finish();
        assert_eq!(doc.sections.len(), 1);
        assert_eq!(doc.section_text(&doc.sections[0]), "Odd\n\nText.\n\n- x");
    }

    #[test]
    fn entities_named_and_numeric() {
        assert_eq!(
            decode_entities("a&nbsp;b &amp; &lt;p&gt; &quot;q&quot; &apos;s&apos;"),
            "a b & <p> \"q\" 's'"
        );
        assert_eq!(
            decode_entities("&ndash;&mdash;&rsquo;&lsquo;&ldquo;&rdquo;&hellip;"),
            "–—’‘“”…"
        );
        assert_eq!(
            decode_entities("&ge;&le;&deg;&micro;&times;&plusmn;"),
            "≥≤°µ×±"
        );
        assert_eq!(decode_entities("&#176;&#xB0;&#XB0;&#39;"), "°°°'");
        assert_eq!(decode_entities("&#150;&#146;"), "–’");
        assert_eq!(
            decode_entities("&#0;&#xD800;&#99999999999;"),
            "\u{FFFD}\u{FFFD}\u{FFFD}"
        );
        assert_eq!(
            decode_entities("AT&T &unknown; & ;&#; &#xZZ; &amp"),
            "AT&T &unknown; & ;&#; &#xZZ; &amp"
        );
        assert_eq!(decode_entities("&amp;lt;"), "&lt;");
    }

    #[test]
    fn entities_in_text_become_plain_characters_not_markup() {
        assert_eq!(
            html_to_blocks("<p>&lt;script&gt;alert(1)&lt;/script&gt; &ge; 5</p>"),
            [p("<script>alert(1)</script> ≥ 5")]
        );
    }

    #[test]
    fn attribute_parsing() {
        let Token::Start { attrs, .. } = tokens(
            r#"<meta property="og:url" content='https://x.org/a?b=1&amp;c=2' data-x=y hidden>"#,
        )
        .remove(0) else {
            panic!("expected a start tag")
        };
        assert_eq!(
            attributes(attrs),
            [
                ("property".to_string(), "og:url".to_string()),
                ("content".to_string(), "https://x.org/a?b=1&c=2".to_string()),
                ("data-x".to_string(), "y".to_string()),
                ("hidden".to_string(), String::new()),
            ]
        );
    }

    #[test]
    fn stray_angle_brackets_are_text() {
        assert_eq!(
            html_to_blocks("<p>a < b and c > d, 3<4</p>"),
            [p("a < b and c > d, 3<4")]
        );
        assert_eq!(
            html_to_text("<div>Title <b>here</b></div><p>more</p>"),
            "Title here more"
        );
    }

    #[test]
    fn never_panics_on_edge_cases() {
        for s in [
            "",
            "<",
            "</",
            "<!",
            "<!--",
            "<a",
            "<a href='",
            "</p",
            "<sup>",
            "<sup>1",
            "&",
            "&#",
            "&#x",
            "<script",
            "<script>",
            "<title>",
            "<td>x<td>",
            "é<b>é</b>é",
            "<é>",
            "</é>",
            "<p\u{301}>",
            "<h1><h2>x</h1></h2>",
            "<li></ul></ul></li>",
        ] {
            let _ = html_to_blocks(s);
        }
    }

    fn tag_soup() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("<p>".to_string()),
            Just("</p>".to_string()),
            Just("<li>".to_string()),
            Just("</li>".to_string()),
            Just("<ul>".to_string()),
            Just("</ul>".to_string()),
            Just("<strong>".to_string()),
            Just("</strong>".to_string()),
            Just("<sup>".to_string()),
            Just("</sup>".to_string()),
            Just("<script>".to_string()),
            Just("</script>".to_string()),
            Just("<td>".to_string()),
            Just("<tr>".to_string()),
            Just("<br/>".to_string()),
            Just("<!--".to_string()),
            Just("-->".to_string()),
            Just("<h3>".to_string()),
            Just("</h3>".to_string()),
            Just("<a href=\"".to_string()),
            Just("\">".to_string()),
            Just("&amp;".to_string()),
            Just("&#x".to_string()),
            "[a-z .é<>&;/\"'=-]{0,12}",
        ];
        proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC*") {
            let blocks = html_to_blocks(&s);
            for b in &blocks {
                prop_assert!(!b.text().is_empty());
            }
            let _ = decode_entities(&s);
        }

        #[test]
        fn random_tag_soup_never_panics(s in tag_soup()) {
            let blocks = html_to_blocks(&s);
            let mut b = DocumentBuilder::new(Source::new("t:1", "T"));
            append_blocks(&mut b, &blocks, 0);
            let _ = b.finish();
            for blk in &blocks {
                prop_assert!(!blk.text().trim().is_empty());
            }
        }
    }
}
