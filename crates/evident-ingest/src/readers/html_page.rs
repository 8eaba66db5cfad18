//! Generic HTML pages.
//!
//! The title is the page's `<title>` (else `og:title`/`citation_title`, else the first `h1`);
//! the url its `<link rel="canonical">` or `og:url` (http and https only); the publisher
//! `og:site_name`, `citation_publisher` or `dc.publisher`; the date `citation_date`,
//! `citation_publication_date`, `article:modified_time`, `article:published_time` or `dc.date`.
//! The body goes through [`crate::html`], so scripts, styles and attributes never become text.

use evident_core::model::collapse_ws;
use evident_core::{Audience, DocumentBuilder, Source, SourceKind};

use crate::html::{
    append_blocks, attributes, decode_entities, html_to_blocks, tokens, Block, Token,
};
use crate::{Confidence, Document, Error, Item, Reader, Result};

pub struct HtmlPage;

impl Reader for HtmlPage {
    fn name(&self) -> &'static str {
        "html"
    }

    fn sniff(&self, item: &Item) -> Confidence {
        let head = item.head(2048);
        let lower = head.to_ascii_lowercase();
        if lower.starts_with('<')
            && (lower.starts_with("<!doctype html")
                || lower.contains("<html")
                || lower.contains("<body"))
        {
            return Confidence::Content;
        }
        match item.extension().as_str() {
            "html" | "htm" | "xhtml" => Confidence::Extension,
            _ => Confidence::No,
        }
    }

    fn read(&self, item: &Item) -> Result<Vec<Document>> {
        let bytes = item
            .bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&item.bytes);
        // Pages that are not UTF-8 are read as Windows-1252/Latin-1, as browsers default to.
        let text = match std::str::from_utf8(bytes) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => std::borrow::Cow::Owned(bytes.iter().map(|&b| latin1(b)).collect()),
        };
        if text.contains('\0') {
            return Err(Error::malformed(
                &item.path,
                "HTML",
                "binary content (NUL bytes)",
            ));
        }
        let meta = page_meta(&text);
        let blocks = html_to_blocks(&text);
        if blocks.is_empty() {
            return Err(Error::empty(
                &item.path,
                "the HTML page has no visible text",
            ));
        }
        let title = meta
            .title
            .clone()
            .or_else(|| {
                blocks.iter().find_map(|b| match b {
                    Block::Heading(1, t) => Some(t.clone()),
                    _ => None,
                })
            })
            .or_else(|| {
                blocks.iter().find_map(|b| match b {
                    Block::Heading(_, t) => Some(t.clone()),
                    _ => None,
                })
            })
            .unwrap_or_else(|| item.stem().to_string());
        let mut source = Source::new(format!("html:{}", local_id(item)), title);
        source.url = meta.url;
        source.publisher = meta.publisher;
        source.date = meta.date;
        source.kind = SourceKind::Other;
        source.audience = Audience::All;
        source.origin = item.path.clone();
        let mut b = DocumentBuilder::new(source);
        append_blocks(&mut b, &blocks, 0);
        Ok(vec![b.finish()])
    }
}

/// The file stem, or `folder/stem` for generic names such as `index.html`.
fn local_id(item: &Item) -> String {
    let stem = item.stem();
    if matches!(
        stem.to_ascii_lowercase().as_str(),
        "index" | "default" | "main" | ""
    ) {
        let parent = item
            .path
            .trim_end_matches(item.file_name())
            .trim_end_matches(['/', '\\', '!'])
            .rsplit(['/', '\\', '!'])
            .next()
            .unwrap_or("");
        if !parent.is_empty() {
            return format!("{parent}/{stem}");
        }
    }
    stem.to_string()
}

fn latin1(b: u8) -> char {
    match b {
        0x80..=0x9F => decode_entities(&format!("&#{b};"))
            .chars()
            .next()
            .unwrap_or('\u{FFFD}'),
        _ => b as char,
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
struct PageMeta {
    title: Option<String>,
    url: Option<String>,
    publisher: Option<String>,
    date: Option<String>,
}

/// Reads `<title>`, `<link rel=canonical>` and `<meta>` tags.
fn page_meta(html: &str) -> PageMeta {
    let mut m = PageMeta::default();
    let mut in_title = false;
    let mut title = String::new();
    let mut in_svg = 0usize;
    // (priority, value): lower priority numbers win.
    let mut url: Option<(u8, String)> = None;
    let mut publisher: Option<(u8, String)> = None;
    let mut date: Option<(u8, String)> = None;
    let mut alt_title: Option<(u8, String)> = None;
    let keep = |slot: &mut Option<(u8, String)>, p: u8, v: String| {
        let v = collapse_ws(&v);
        if !v.is_empty() && slot.as_ref().is_none_or(|(q, _)| p < *q) {
            *slot = Some((p, v));
        }
    };
    for t in tokens(html) {
        match t {
            Token::Start {
                name,
                attrs,
                self_closing,
            } => match name.as_str() {
                "svg" | "math" if !self_closing => in_svg += 1,
                "title" if in_svg == 0 && m.title.is_none() && title.is_empty() => in_title = true,
                "link" => {
                    let a = attributes(attrs);
                    let rel = get(&a, "rel").unwrap_or_default().to_ascii_lowercase();
                    if rel.split_whitespace().any(|r| r == "canonical") {
                        if let Some(href) = get(&a, "href").filter(|h| is_web_url(h)) {
                            keep(&mut url, 0, href);
                        }
                    }
                }
                "meta" => {
                    let a = attributes(attrs);
                    let key = get(&a, "property")
                        .or_else(|| get(&a, "name"))
                        .or_else(|| get(&a, "itemprop"))
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    let Some(content) = get(&a, "content") else {
                        continue;
                    };
                    match key.as_str() {
                        "og:url" if is_web_url(&content) => keep(&mut url, 1, content),
                        "og:site_name" => keep(&mut publisher, 0, content),
                        "citation_publisher" => keep(&mut publisher, 1, content),
                        "dc.publisher" | "dcterms.publisher" => keep(&mut publisher, 2, content),
                        "citation_date" => keep(&mut date, 0, content),
                        "citation_publication_date" => keep(&mut date, 1, content),
                        "article:modified_time" => keep(&mut date, 2, content),
                        "article:published_time" => keep(&mut date, 3, content),
                        "dc.date" | "dcterms.modified" | "dc.date.issued" | "dcterms.issued" => {
                            keep(&mut date, 4, content)
                        }
                        "og:title" => keep(&mut alt_title, 0, content),
                        "citation_title" => keep(&mut alt_title, 1, content),
                        _ => {}
                    }
                }
                _ => {}
            },
            Token::End { name } => match name.as_str() {
                "svg" | "math" => in_svg = in_svg.saturating_sub(1),
                "title" if in_title => {
                    in_title = false;
                    let t = collapse_ws(&title);
                    if !t.is_empty() {
                        m.title = Some(t);
                    }
                    title.clear();
                }
                _ => {}
            },
            Token::Text(t) if in_title => title.push_str(&decode_entities(t)),
            Token::Text(_) => {}
        }
    }
    m.title = m.title.or(alt_title.map(|(_, v)| v));
    m.url = url.map(|(_, v)| v);
    m.publisher = publisher.map(|(_, v)| v);
    m.date = date.map(|(_, v)| v);
    m
}

fn get(attrs: &[(String, String)], name: &str) -> Option<String> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
}

fn is_web_url(s: &str) -> bool {
    let l = s.trim().to_ascii_lowercase();
    (l.starts_with("https://") || l.starts_with("http://"))
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Widget Care &amp; Repair | Example Health</title>
  <link rel="canonical" href="https://example.org/widgets/care">
  <meta property="og:url" content="https://example.org/other">
  <meta property="og:site_name" content="Example Health">
  <meta name="citation_date" content="2024/05/01">
  <style>body { color: red }</style>
  <script>window.secret = "do not index";</script>
</head>
<body onload="steal()">
  <nav><a href="/">Home</a> | <a href="/about">About</a></nav>
  <h1>Widget care</h1>
  <p>Widgets need <b>gentle</b> cleaning.</p>
  <h2>Daily steps</h2>
  <ul><li>Rinse.</li><li>Dry&nbsp;well.</li></ul>
  <p><a href="javascript:alert(document.cookie)" onclick="evil()">Click me</a></p>
  <img src="x" onerror="alert(1)" alt="hidden alt">
  <iframe src="https://evil.example"></iframe>
  <!-- <p>commented out</p> -->
</body>
</html>"#;

    #[test]
    fn reads_metadata_and_body() {
        let item = Item::new("site/widgets/care.html", PAGE.as_bytes().to_vec());
        assert_eq!(HtmlPage.sniff(&item), Confidence::Content);
        let docs = HtmlPage.read(&item).unwrap();
        let d = &docs[0];
        let s = &d.source;
        assert_eq!(s.id, "html:care");
        assert_eq!(s.title, "Widget Care & Repair | Example Health");
        assert_eq!(s.url.as_deref(), Some("https://example.org/widgets/care"));
        assert_eq!(s.publisher.as_deref(), Some("Example Health"));
        assert_eq!(s.date.as_deref(), Some("2024/05/01"));
        assert_eq!(s.kind, SourceKind::Other);
        assert_eq!(s.audience, Audience::All);
        let trails: Vec<String> = d.sections.iter().map(|s| s.trail.join(" > ")).collect();
        assert_eq!(trails, ["Widget care", "Widget care > Daily steps"]);
        assert_eq!(
            d.section_text(&d.sections[0]),
            "Widgets need gentle cleaning."
        );
        // The link's "Click me" is navigation text, dropped from passages.
        assert_eq!(d.section_text(&d.sections[1]), "- Rinse.\n\n- Dry well.");
    }

    #[test]
    fn hostile_page_is_inert() {
        let d = &HtmlPage
            .read(&Item::new("p.html", PAGE.as_bytes().to_vec()))
            .unwrap()[0];
        for bad in [
            "secret",
            "color",
            "javascript",
            "alert",
            "evil",
            "steal",
            "onerror",
            "hidden alt",
            "commented",
            "Home",
            "<",
            ">",
        ] {
            assert!(!d.text.contains(bad), "{bad:?} leaked into {:?}", d.text);
        }
    }

    #[test]
    fn title_falls_back_to_first_h1_and_urls_must_be_web() {
        let html = r#"<html><head><link rel="canonical" href="javascript:alert(1)">
            <meta property="og:url" content="http://example.org/x"></head>
            <body><h2>Sub</h2><h1>Main Title</h1><p>Text.</p></body></html>"#;
        let d = &HtmlPage
            .read(&Item::new("a/index.htm", html.as_bytes().to_vec()))
            .unwrap()[0];
        assert_eq!(d.source.title, "Main Title");
        assert_eq!(d.source.url.as_deref(), Some("http://example.org/x"));
        assert_eq!(d.source.id, "html:a/index");
    }

    #[test]
    fn sniff_by_content_and_extension() {
        let frag = Item::new("notes.htm", b"Just <b>some</b> text".to_vec());
        assert_eq!(HtmlPage.sniff(&frag), Confidence::Extension);
        let md = Item::new("x.md", b"# Heading\n\n<html> in prose".to_vec());
        assert_eq!(HtmlPage.sniff(&md), Confidence::No);
        let body = Item::new("x", b"<body><p>x</p></body>".to_vec());
        assert_eq!(HtmlPage.sniff(&body), Confidence::Content);
    }

    #[test]
    fn empty_and_binary_pages_are_errors() {
        let err = HtmlPage
            .read(&Item::new(
                "e.html",
                b"<html><head><title>T</title></head><body> </body></html>".to_vec(),
            ))
            .unwrap_err();
        assert!(matches!(err, Error::Empty { .. }), "{err}");
        let err = HtmlPage
            .read(&Item::new("b.html", b"<html>\0\0\x01".to_vec()))
            .unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }), "{err}");
    }

    #[test]
    fn latin1_pages_are_decoded() {
        let d = &HtmlPage
            .read(&Item::new(
                "l.html",
                b"<p>Caf\xe9 \x96 10\xb0C</p>".to_vec(),
            ))
            .unwrap()[0];
        assert_eq!(d.section_text(&d.sections[0]), "Café – 10°C");
    }

    #[test]
    fn truncated_page_still_reads_what_is_there() {
        let cut = &PAGE[..PAGE.find("<h2>").unwrap() + 6];
        let d = &HtmlPage
            .read(&Item::new("t.html", cut.as_bytes().to_vec()))
            .unwrap()[0];
        assert_eq!(
            d.section_text(&d.sections[0]),
            "Widgets need gentle cleaning."
        );
    }

    proptest! {
        #[test]
        fn read_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = HtmlPage.read(&Item::new("p.html", bytes));
        }

        #[test]
        fn read_never_panics_on_mangled_page(cut in 0usize..1500, junk in "[<>&/ a-z\"'=;!-]{0,10}") {
            let at = cut.min(PAGE.len());
            let s = format!("{}{}{}", &PAGE[..at], junk, &PAGE[at..]);
            let _ = HtmlPage.read(&Item::new("p.html", s.into_bytes()));
        }
    }
}
