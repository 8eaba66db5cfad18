//! Renderings of an [`Answer`]: Markdown ([`markdown`]), HTML ([`html`], the one HTML renderer of
//! an answer, used by the CLI and the web pages alike) and plain terminal text ([`text`]), and the
//! small tools every rendering shares: the one HTML [`escape`], the [`safe_url`] rule for links,
//! the one-line [`clean`], and [`url_encode`].
//!
//! All renderings show the same parts in the same order: title, urgent notice, lead, sections of
//! cited statements (with plain-language glosses for patients), or for an abstention the notice
//! and the nearest topics; then the references, one per source (title, publisher, year, kind,
//! link) with the quoted passages it supports listed under it ("2a", "2b", each with its section
//! trail), and the disclaimer. Statements carry their sources' reference numbers. Nothing but the
//! answer's own parts stands before the references, so the body of the article can be read (and
//! evaluated) on its own.
//!
//! Every field may hold hostile text (sources are third-party documents): the HTML rendering
//! escapes everything and links only `http(s)` URLs; the Markdown and text renderings keep each
//! field on one line so no field can forge structure.

use std::fmt::Write as _;

use evident_core::answer::QuotedPassage;
use evident_core::{Citation, Statement};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

pub mod html;
pub mod markdown;
pub mod text;

pub use self::html::{html, Frame, HtmlOptions};
pub use self::markdown::markdown;
pub use self::text::{text, TEXT_WIDTH};

#[cfg(test)]
mod tests;

pub(crate) const NEAREST_HEADING: &str = "Nearest topics in the library";

/// Heading of the patient section of questions to bring to an appointment (our own prompts,
/// not statements from a source).
pub const QUESTIONS_HEADING: &str = "Questions to ask your clinician";

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    escape_into(&mut out, s);
    out
}

/// [`escape`], appending to `out`. Runs between the five special characters (all ASCII, so
/// never inside a multi-byte character) are copied whole: pages quote long passages.
pub fn escape_into(out: &mut String, s: &str) {
    let mut from = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&s[from..i]);
        out.push_str(entity);
        from = i + 1;
    }
    out.push_str(&s[from..]);
}

/// A value spliced into a [`maud`] template as one line of text: folded by [`clean`] and escaped
/// by [`escape`]. (maud's own escaping, used for everything else, leaves `'` as it is.)
pub struct Clean<'a>(pub &'a str);

impl maud::Render for Clean<'_> {
    fn render_to(&self, buffer: &mut String) {
        escape_into(buffer, &clean(self.0));
    }
}

/// The URL, trimmed, when it is a plain `http(s)` URL safe to put in an `href`: a host follows
/// the scheme, and it holds no whitespace, control character, quote, angle bracket, backtick,
/// backslash or `javascript:`.
pub fn safe_url(url: &str) -> Option<&str> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
    let chars_ok = !url.chars().any(|c| {
        c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '`' | '\\')
    });
    let host = lower.split_once("://").map_or("", |(_, rest)| rest);
    let host_ok = host.chars().next().is_some_and(|c| c != '/');
    (scheme_ok && chars_ok && host_ok && !lower.contains("javascript:")).then_some(url)
}

/// Every byte but the unreserved characters of RFC 3986 (`A-Z a-z 0-9 - _ . ~`).
const QUERY_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a value for a URL path segment or query component (`a b&c` → `a%20b%26c`).
pub fn url_encode(s: &str) -> String {
    utf8_percent_encode(s, QUERY_COMPONENT).to_string()
}

/// One line: every run of whitespace or control characters becomes one space; trimmed.
/// (Unlike `evident_core::model::collapse_ws`, control characters such as terminal escapes
/// count as spaces here.)
pub fn clean(s: &str) -> String {
    // Text is copied in runs: a run goes on through single ASCII spaces between words and ends
    // only where something must change (a longer gap, a newline, a control character), so a
    // long passage is a few `push_str`s rather than a push per character.
    let bytes = s.as_bytes();
    let n = bytes.len();
    let mut out = String::with_capacity(n);
    let mut i = skip_gaps(s, 0);
    let mut start = i;
    while i < n {
        let b = bytes[i];
        if b > b' ' && b < 0x7f {
            i += 1;
            continue;
        }
        match gap_len(s, i) {
            0 => i += s[i..].chars().next().map_or(1, char::len_utf8),
            _ if b == b' ' && i + 1 < n && gap_len(s, i + 1) == 0 => i += 1,
            _ => {
                out.push_str(&s[start..i]);
                i = skip_gaps(s, i);
                if i < n {
                    out.push(' ');
                }
                start = i;
            }
        }
    }
    out.push_str(&s[start..]);
    out
}

/// The byte length of the character at `i` when [`clean`] folds it into a space (whitespace,
/// U+2028 and U+2029 included, or a control character), else 0. `i` is a character boundary.
fn gap_len(s: &str, i: usize) -> usize {
    let b = s.as_bytes()[i];
    if b < 0x80 {
        return (b <= b' ' || b == 0x7f) as usize;
    }
    match s[i..].chars().next() {
        Some(c) if c.is_whitespace() || c.is_control() => c.len_utf8(),
        _ => 0,
    }
}

/// The first position at or after `i` that is not a gap.
fn skip_gaps(s: &str, mut i: usize) -> usize {
    while i < s.len() {
        match gap_len(s, i) {
            0 => break,
            g => i += g,
        }
    }
    i
}

/// The reference line of a source: "Title. Publisher, 2020. Guideline." plus " https://…" when
/// `with_url` and the URL is http(s).
fn reference_line(c: &Citation, with_url: bool) -> String {
    let mut out = String::new();
    let title = clean(&c.title);
    out.push_str(&title);
    if !title.is_empty() && !title.ends_with(['.', '?', '!']) {
        out.push('.');
    }
    let publisher = nonempty(c.publisher.as_deref()).map(clean);
    match (publisher, c.year) {
        (Some(p), Some(y)) => {
            let _ = write!(out, " {p}, {y}.");
        }
        (Some(p), None) => {
            let _ = write!(out, " {p}{}", if p.ends_with('.') { "" } else { "." });
        }
        (None, Some(y)) => {
            let _ = write!(out, " {y}.");
        }
        (None, None) => {}
    }
    let _ = write!(out, " {}.", kind_label(c));
    if with_url {
        if let Some(url) = c.url.as_deref().and_then(safe_url) {
            let _ = write!(out, " {url}");
        }
    }
    out.trim().to_string()
}

/// The line naming one quoted passage under its reference: "2b. Section: Dosing › Adults."
/// (the last two headings of its [`passage_trail`]), or "2b." without them.
fn passage_line(p: &QuotedPassage<'_>) -> String {
    let trail = passage_trail(p.citation);
    let label = clean(&p.label);
    if trail.is_empty() {
        format!("{label}.")
    } else {
        let tail = &trail[trail.len().saturating_sub(2)..];
        format!("{label}. Section: {}.", tail.join(" › "))
    }
}

/// Where in its source a passage is: the headings of its trail, cleaned, without those that
/// repeat the source's title (shown once, on the reference).
fn passage_trail(c: &Citation) -> Vec<String> {
    let title = clean(&c.title);
    c.trail
        .iter()
        .map(|t| clean(t))
        .filter(|t| !t.is_empty() && !title.starts_with(t.as_str()) && !t.starts_with(&title))
        .collect()
}

/// The source's own label for its kind ("Practice guideline"), else ours.
fn kind_label(c: &Citation) -> String {
    let kind = clean(&c.kind_label);
    if kind.is_empty() {
        c.kind.label().to_string()
    } else {
        kind
    }
}

/// "[1][2]".
fn markers(citations: &[u32]) -> String {
    citations.iter().map(|n| format!("[{n}]")).collect()
}

/// Appends the `[n]` markers of `citations` to a statement's text, after a space.
fn push_markers(out: &mut String, citations: &[u32]) {
    let markers = markers(citations);
    if !markers.is_empty() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&markers);
    }
}

/// "term: plain; term: plain", or None without glosses.
fn glosses(s: &Statement) -> Option<String> {
    let parts: Vec<String> = s
        .glosses
        .iter()
        .map(|(t, p)| (clean(t), clean(p)))
        .filter(|(t, p)| !t.is_empty() && !p.is_empty())
        .map(|(t, p)| format!("{t}: {p}"))
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn nonempty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.trim().is_empty())
}
