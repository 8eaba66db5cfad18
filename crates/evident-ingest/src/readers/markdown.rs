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
//! removed: links keep their text, images and HTML comments and tags are dropped, emphasis
//! markers and code backticks are stripped and common HTML entities decoded.

use evident_core::model::{collapse_ws, first_year};
use evident_core::{Audience, DocumentBuilder, Reference, Source, SourceKind};
use serde_yaml_ng::Value;

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
                Block::Paragraph(text) => b.paragraph(text),
                Block::ListItem(text) => b.list_item(text),
            };
        }
        Ok(vec![b.finish()])
    }
}

/// Splits `---` front matter from the body: `(yaml, body, line number of the first YAML line)`.
/// `Ok(None)` when the text has no front matter; `Err` when it is opened but never closed.
fn split_front_matter(text: &str) -> std::result::Result<Option<(&str, &str, usize)>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(first_end) = text.find('\n') else {
        return Ok(None);
    };
    if text[..first_end].trim_end() != "---" {
        return Ok(None);
    }
    let yaml_start = first_end + 1;
    let mut pos = yaml_start;
    while pos <= text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = text[pos..end].trim_end();
        if line == "---" || line == "..." {
            let body = if end < text.len() {
                &text[end + 1..]
            } else {
                ""
            };
            return Ok(Some((&text[yaml_start..pos], body, 2)));
        }
        if end == text.len() {
            break;
        }
        pos = end + 1;
    }
    Err("front matter opened with --- on line 1 is never closed with ---".to_string())
}

/// Front matter, keys normalised (lowercase, no `_` or `-`).
#[derive(Debug, Default)]
struct Meta {
    fields: Vec<(String, Value)>,
}

impl Meta {
    fn parse(yaml: &str, first_line: usize) -> std::result::Result<Meta, String> {
        let value: Value = serde_yaml_ng::from_str(yaml).map_err(|e| {
            let message = e.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string();
            match e.location() {
                Some(loc) => format!(
                    "front matter is not valid YAML: line {}, column {}: {message}",
                    loc.line() + first_line - 1,
                    loc.column()
                ),
                None => format!("front matter is not valid YAML: {message}"),
            }
        })?;
        let mapping = match value {
            Value::Null => return Ok(Meta::default()),
            Value::Mapping(m) => m,
            _ => return Err("front matter is not a list of `key: value` lines".to_string()),
        };
        let fields = mapping
            .into_iter()
            .filter_map(|(k, v)| Some((normalise_key(&scalar(&k)?), v)))
            .collect();
        Ok(Meta { fields })
    }

    fn get(&self, keys: &[&str]) -> Option<&Value> {
        keys.iter()
            .find_map(|k| self.fields.iter().find(|(f, _)| f == k).map(|(_, v)| v))
    }

    /// The first of `keys` with a non-empty scalar value.
    fn text(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| {
            self.fields
                .iter()
                .filter(|(f, _)| f == k)
                .find_map(|(_, v)| scalar(v).filter(|s| !s.is_empty()))
        })
    }

    fn source(&self, item: &Item, blocks: &[Block]) -> std::result::Result<Source, String> {
        let url = self.text(&["url", "link", "canonical"]);
        let nci_path = url.as_deref().and_then(nci_path);
        let nci = nci_path.is_some();
        let professional = nci_path.as_deref().is_some_and(is_nci_professional);

        let mut title = self
            .text(&["title"])
            .or_else(|| {
                let first_h1 = blocks.iter().find_map(|b| match b {
                    Block::Heading(1, t) => Some(t.clone()),
                    _ => None,
                });
                first_h1.or_else(|| {
                    blocks.iter().find_map(|b| match b {
                        Block::Heading(_, t) => Some(t.clone()),
                        _ => None,
                    })
                })
            })
            .unwrap_or_else(|| item.stem().to_string());
        if nci {
            if let Some(t) = title.strip_suffix(" - NCI") {
                title = t.trim_end().to_string();
            }
        }

        let id = match (self.text(&["id"]), &nci_path) {
            (Some(id), _) => id,
            (None, Some(path)) if !path.is_empty() => format!("nci:{path}"),
            _ => format!("md:{}", item.stem()),
        };

        let mut source = Source::new(id, collapse_ws(&title));
        source.url = url;
        source.publisher = self.text(&["publisher", "organisation", "organization", "source"]);
        source.date = self.text(&[
            "date",
            "lastreviewed",
            "updated",
            "published",
            "datepublished",
        ]);
        source.year = self
            .text(&["year"])
            .and_then(|y| first_year(&y))
            .or_else(|| source.date.as_deref().and_then(first_year));
        source.licence = self.text(&["licence", "license"]);
        source.review_status = self.text(&["reviewstatus"]);
        source.grade = self.text(&["grade"]);

        source.kind = match self.text(&["kind"]) {
            Some(k) => k.parse::<SourceKind>().map_err(|_| {
                format!(
                    "front matter kind '{k}' is not one of guideline, recommendation statement, \
                     professional summary, patient information, research abstract, other"
                )
            })?,
            None if professional => SourceKind::ProfessionalSummary,
            None if nci => match self.text(&["audiencelevel"]).as_deref() {
                Some(a) if a.parse::<Audience>().ok() == Some(Audience::Clinician) => {
                    SourceKind::ProfessionalSummary
                }
                _ => SourceKind::PatientInformation,
            },
            None => SourceKind::Other,
        };
        let audience = match self.text(&["audience"]) {
            Some(a) => Some(a),
            None if professional => Some("clinician".to_string()),
            None => self.text(&["audiencelevel"]),
        };
        source.audience = match audience {
            Some(a) => a.parse::<Audience>().map_err(|_| {
                format!(
                    "front matter audience '{a}' is not one of clinician, patient, student, all"
                )
            })?,
            None => match source.kind {
                SourceKind::PatientInformation => Audience::Patient,
                SourceKind::ProfessionalSummary
                | SourceKind::Guideline
                | SourceKind::RecommendationStatement => Audience::Clinician,
                _ => Audience::All,
            },
        };
        if let Some(Value::Sequence(refs)) = self.get(&["references"]) {
            source.references = refs.iter().filter_map(reference).collect();
        }
        source.origin = item.path.clone();
        Ok(source)
    }
}

fn normalise_key(k: &str) -> String {
    k.chars()
        .filter(|c| *c != '_' && *c != '-' && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A scalar YAML value as trimmed text.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar(&t.value),
        _ => None,
    }
}

fn reference(v: &Value) -> Option<Reference> {
    match v {
        Value::Mapping(m) => {
            let get = |keys: &[&str]| {
                m.iter().find_map(|(k, v)| {
                    let k = normalise_key(&scalar(k)?);
                    if keys.contains(&k.as_str()) {
                        scalar(v).filter(|s| !s.is_empty())
                    } else {
                        None
                    }
                })
            };
            Some(Reference {
                title: get(&["title", "name"])?,
                organisation: get(&["organisation", "organization", "publisher", "source"]),
                year: get(&["year", "date"]).and_then(|y| first_year(&y)),
                url: get(&["url", "link", "doi"]),
            })
        }
        _ => scalar(v).filter(|s| !s.is_empty()).map(|title| Reference {
            title,
            ..Reference::default()
        }),
    }
}

/// The path of a cancer.gov URL (without leading or trailing `/`, query or fragment).
fn nci_path(url: &str) -> Option<String> {
    let rest = url
        .trim()
        .strip_prefix("https://")
        .or_else(|| url.trim().strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    if host != "cancer.gov" && !host.ends_with(".cancer.gov") {
        return None;
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    Some(path.trim_matches('/').to_string())
}

/// Whether a cancer.gov path is a health-professional page.
fn is_nci_professional(path: &str) -> bool {
    path.split('/').any(|seg| {
        seg == "hp" || seg.starts_with("hp-") || seg.ends_with("-hp") || seg.ends_with("-hp-pdq")
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Block {
    Heading(u8, String),
    Paragraph(String),
    ListItem(String),
}

/// `(level, text)` of an ATX heading line (`## Text ##`).
fn atx_heading(line: &str) -> Option<(u8, &str)> {
    let trimmed = line.trim_start();
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let level = trimmed.bytes().take_while(|&b| b == b'#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &trimmed[level..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let mut text = rest.trim();
    // A closing run of `#` preceded by a space (or making up the whole text) is not text.
    let without = text.trim_end_matches('#');
    if without.is_empty() || without.ends_with([' ', '\t']) {
        text = without.trim_end();
    }
    Some((level as u8, text))
}

fn is_thematic_break(line: &str) -> bool {
    let t = line.trim();
    let Some(c) = t.chars().next() else {
        return false;
    };
    matches!(c, '-' | '*' | '_')
        && t.chars().filter(|&x| x == c).count() >= 3
        && t.chars().all(|x| x == c || x == ' ' || x == '\t')
}

/// The text of a list item line (`- text`, `* text`, `+ text`, `1. text`, `1) text`).
fn list_item(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let bytes = t.as_bytes();
    let marker_len = match bytes.first()? {
        b'-' | b'*' | b'+' => 1,
        b'0'..=b'9' => {
            let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits > 9 || !matches!(bytes.get(digits), Some(b'.') | Some(b')')) {
                return None;
            }
            digits + 1
        }
        _ => return None,
    };
    let rest = &t[marker_len..];
    if rest.is_empty() {
        return Some("");
    }
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let rest = rest.trim_start();
    // Task lists: `- [ ] text`, `- [x] text`.
    let rest = ["[ ] ", "[x] ", "[X] "]
        .iter()
        .find_map(|p| rest.strip_prefix(p))
        .unwrap_or(rest);
    Some(rest)
}

/// The fence (run of ``` or ~~~) opening a code block.
fn fence(line: &str) -> Option<&str> {
    let t = line.trim_start();
    for c in ['`', '~'] {
        let n = t.chars().take_while(|&x| x == c).count();
        if n >= 3 && !(c == '`' && t[n..].contains('`')) {
            return Some(&t[..n]);
        }
    }
    None
}

fn table_cells(row: &str) -> Vec<String> {
    let row = row.trim();
    let row = row.strip_prefix('|').unwrap_or(row);
    let row = row.strip_suffix('|').unwrap_or(row);
    let row = row.replace("\\|", "\u{0}");
    row.split('|')
        .map(|c| c.replace('\u{0}', "|").trim().to_string())
        .collect()
}

fn is_table_separator(row: &str) -> bool {
    let t = row.trim();
    t.contains('-')
        && (t.contains('|') || t.starts_with(':') || t.starts_with('-'))
        && table_cells(t).iter().all(|c| {
            let c = c.trim();
            let c = c.strip_prefix(':').unwrap_or(c);
            let c = c.strip_suffix(':').unwrap_or(c);
            !c.is_empty() && c.chars().all(|x| x == '-')
        })
}

/// Removes `<!-- … -->` comments (an unclosed one runs to the end).
fn strip_comments(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("<!--") {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start + 4..].find("-->") {
            Some(end) => rest = &rest[start + 4 + end + 3..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out.into()
}

/// The body as headings, paragraphs and list items, inline markup removed.
fn parse_blocks(body: &str) -> Vec<Block> {
    let body = strip_comments(body);
    let lines: Vec<&str> = body.lines().collect();
    let mut blocks = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let mut item: Option<Vec<&str>> = None;

    fn flush(blocks: &mut Vec<Block>, para: &mut Vec<&str>, item: &mut Option<Vec<&str>>) {
        if !para.is_empty() {
            blocks.push(Block::Paragraph(inline(&para.join(" "))));
            para.clear();
        }
        if let Some(lines) = item.take() {
            blocks.push(Block::ListItem(inline(&lines.join(" "))));
        }
    }

    let mut i = 0;
    while i < lines.len() {
        let line = unquote(lines[i].trim_end());
        i += 1;
        let trimmed = line.trim_start();

        if let Some(open) = fence(line) {
            flush(&mut blocks, &mut para, &mut item);
            let mut code = Vec::new();
            while i < lines.len() {
                let l = unquote(lines[i].trim_end());
                i += 1;
                let t = l.trim_start();
                if t.starts_with(open) && t.trim_end_matches(&open[..1]).trim().is_empty() {
                    break;
                }
                code.push(l);
            }
            blocks.push(Block::Paragraph(code.join("\n")));
            continue;
        }
        if trimmed.is_empty() {
            flush(&mut blocks, &mut para, &mut item);
            continue;
        }
        if let Some((level, text)) = atx_heading(line) {
            flush(&mut blocks, &mut para, &mut item);
            blocks.push(Block::Heading(level, inline(text)));
            continue;
        }
        // Setext headings: one short line underlined with `===` or `---`.
        let underline = trimmed.trim_end();
        let setext =
            |c: char| underline.len() >= 2 && underline.chars().all(|x| x == c) && item.is_none();
        if para.len() == 1 && para[0].len() <= 120 && (setext('=') || setext('-')) {
            let level = if underline.starts_with('=') { 1 } else { 2 };
            blocks.push(Block::Heading(level, inline(para[0].trim())));
            para.clear();
            continue;
        }
        if is_thematic_break(line) {
            flush(&mut blocks, &mut para, &mut item);
            continue;
        }
        if is_reference_definition(trimmed) {
            continue;
        }
        let next = lines.get(i).map(|l| unquote(l.trim_end()));
        let table_start = trimmed.starts_with('|')
            || (trimmed.contains('|') && next.is_some_and(is_table_separator));
        if table_start {
            flush(&mut blocks, &mut para, &mut item);
            let mut row = line;
            loop {
                if !is_table_separator(row) {
                    let cells: Vec<String> = table_cells(row)
                        .iter()
                        .map(|c| inline(c))
                        .filter(|c| !c.trim().is_empty())
                        .collect();
                    if !cells.is_empty() {
                        blocks.push(Block::Paragraph(cells.join(" ; ")));
                    }
                }
                match lines.get(i).map(|l| unquote(l.trim_end())) {
                    Some(l) if !l.trim().is_empty() && l.contains('|') => {
                        row = l;
                        i += 1;
                    }
                    _ => break,
                }
            }
            continue;
        }
        if let Some(text) = list_item(line) {
            flush(&mut blocks, &mut para, &mut item);
            item = Some(vec![text]);
            continue;
        }
        match item.as_mut() {
            Some(lines) => lines.push(trimmed),
            None => para.push(trimmed),
        }
    }
    flush(&mut blocks, &mut para, &mut item);
    blocks
}

/// A line without its blockquote markers (`> `).
fn unquote(line: &str) -> &str {
    let mut l = line;
    loop {
        let t = l.trim_start();
        match t.strip_prefix('>') {
            Some(rest) if l.len() - t.len() <= 3 => l = rest.strip_prefix(' ').unwrap_or(rest),
            _ => return l,
        }
    }
}

/// `[label]: url` lines, which define link targets and are not text.
fn is_reference_definition(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('[') else {
        return false;
    };
    match rest.find("]:") {
        Some(end) => {
            let label = &rest[..end];
            !label.is_empty() && !label.contains('[') && !rest[end + 2..].trim().is_empty()
        }
        None => false,
    }
}

/// Inline Markdown to plain text.
pub(crate) fn inline(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    inline_into(&chars, &mut out);
    out
}

fn inline_into(chars: &[char], out: &mut String) {
    let n = chars.len();
    let mut i = 0;
    while i < n {
        let c = chars[i];
        match c {
            '\\' if i + 1 < n && chars[i + 1].is_ascii_punctuation() => {
                out.push(chars[i + 1]);
                i += 2;
            }
            '`' => {
                let run = run_len(chars, i, '`');
                match find_run(chars, i + run, '`', run) {
                    Some(close) => {
                        let code: String = chars[i + run..close].iter().collect();
                        out.push_str(code.trim());
                        i = close + run;
                    }
                    None => i += run,
                }
            }
            '!' if chars.get(i + 1) == Some(&'[') => match link(chars, i + 1) {
                Some((_, end)) => i = end, // images are dropped, alt text and all
                None => {
                    out.push('!');
                    i += 1;
                }
            },
            '[' => {
                if chars.get(i + 1) == Some(&'^') {
                    if let Some(close) = chars[i..].iter().position(|&x| x == ']') {
                        i += close + 1; // footnote reference
                        continue;
                    }
                }
                match link(chars, i) {
                    Some(((s, e), end)) => {
                        inline_into(&chars[s..e], out);
                        i = end;
                    }
                    // A `[` never closed opens a link whose text runs over several paragraphs
                    // (cards on cancer.gov pages): drop it, as its `](url)` end is dropped below.
                    None if matching(chars, i, '[', ']').is_none() => i += 1,
                    None => {
                        out.push('[');
                        i += 1;
                    }
                }
            }
            ']' if chars.get(i + 1) == Some(&'(') => match matching(chars, i + 1, '(', ')') {
                Some(end) if !chars[i + 2..end - 1].iter().any(|c| c.is_whitespace()) => i = end,
                _ => {
                    out.push(']');
                    i += 1;
                }
            },
            '<' => match angle(chars, i) {
                Some((end, keep)) => {
                    match keep {
                        Angle::Autolink(s, e) => out.extend(&chars[s..e]),
                        Angle::InlineTag => {}
                        Angle::BlockTag => out.push(' '),
                    }
                    i = end;
                }
                None => {
                    out.push('<');
                    i += 1;
                }
            },
            '&' => match entity(chars, i) {
                Some((decoded, end)) => {
                    out.push(decoded);
                    i = end;
                }
                None => {
                    out.push('&');
                    i += 1;
                }
            },
            '*' | '_' | '~' => {
                let run = run_len(chars, i, c);
                let prev = i.checked_sub(1).map(|p| chars[p]);
                let next = chars.get(i + run).copied();
                let opens = next.is_some_and(|x| !x.is_whitespace())
                    && prev.is_none_or(|x| !x.is_alphanumeric());
                let closes = prev.is_some_and(|x| !x.is_whitespace())
                    && next.is_none_or(|x| !x.is_alphanumeric());
                // `**` also works inside words (`**Bold**text`), single `*` and `_` do not.
                let intraword = c == '*'
                    && run >= 2
                    && prev.is_some_and(|x| !x.is_whitespace())
                    && next.is_some_and(|x| !x.is_whitespace());
                let strip = (opens || closes || intraword) && (c != '~' || run >= 2);
                if !strip {
                    out.extend(std::iter::repeat_n(c, run));
                }
                i += run;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
}

fn run_len(chars: &[char], i: usize, c: char) -> usize {
    chars[i..].iter().take_while(|&&x| x == c).count()
}

/// The start of the next run of exactly `len` `c`s at or after `from`.
fn find_run(chars: &[char], from: usize, c: char, len: usize) -> Option<usize> {
    let mut j = from;
    while j < chars.len() {
        if chars[j] == c {
            let run = run_len(chars, j, c);
            if run == len {
                return Some(j);
            }
            j += run;
        } else {
            j += 1;
        }
    }
    None
}

/// The index just after the bracket matching the opener at `i` (`[`/`]` or `(`/`)`).
fn matching(chars: &[char], i: usize, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    while j < chars.len() {
        let c = chars[j];
        if c == '\\' {
            j += 2;
            continue;
        }
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return Some(j + 1);
            }
        }
        j += 1;
    }
    None
}

/// A link `[text](url)` or `[text][ref]` starting at `i`: the text's range and the end.
fn link(chars: &[char], i: usize) -> Option<((usize, usize), usize)> {
    let after_text = matching(chars, i, '[', ']')?;
    let text = (i + 1, after_text - 1);
    match chars.get(after_text) {
        Some('(') => Some((text, matching(chars, after_text, '(', ')')?)),
        Some('[') => Some((text, matching(chars, after_text, '[', ']')?)),
        _ => None,
    }
}

enum Angle {
    Autolink(usize, usize),
    InlineTag,
    BlockTag,
}

/// `<https://…>` autolinks and HTML tags starting at `i`.
fn angle(chars: &[char], i: usize) -> Option<(usize, Angle)> {
    let close = i + 1 + chars[i + 1..].iter().take(2000).position(|&x| x == '>')?;
    let inner: String = chars[i + 1..close].iter().collect();
    if inner.contains('<') || inner.is_empty() {
        return None;
    }
    let lower = inner.to_ascii_lowercase();
    if ["http://", "https://", "ftp://", "mailto:"]
        .iter()
        .any(|p| lower.starts_with(p))
        || (inner.contains('@') && !inner.contains(char::is_whitespace))
    {
        if inner.contains(char::is_whitespace) {
            return None;
        }
        return Some((close + 1, Angle::Autolink(i + 1, close)));
    }
    let name: String = lower
        .trim_start_matches('/')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let first = lower.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '/' || first == '!') {
        return None;
    }
    if name.is_empty() && first != '!' {
        return None;
    }
    const INLINE: &[&str] = &[
        "a", "abbr", "b", "cite", "code", "em", "i", "mark", "small", "span", "strong", "sub",
        "sup", "u", "s", "del", "ins", "kbd", "var", "font",
    ];
    let kind = if INLINE.contains(&name.as_str()) {
        Angle::InlineTag
    } else {
        Angle::BlockTag
    };
    Some((close + 1, kind))
}

/// An HTML entity starting at `i`: the character and the index after the `;`.
fn entity(chars: &[char], i: usize) -> Option<(char, usize)> {
    let semi = i + 1 + chars[i + 1..].iter().take(12).position(|&x| x == ';')?;
    let name: String = chars[i + 1..semi].iter().collect();
    let c = if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        char::from_u32(code)?
    } else {
        match name.as_str() {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => ' ',
            "ndash" => '–',
            "mdash" => '—',
            "hellip" => '…',
            "reg" => '®',
            "copy" => '©',
            "trade" => '™',
            "deg" => '°',
            "plusmn" => '±',
            "times" => '×',
            "micro" => 'µ',
            "le" => '≤',
            "ge" => '≥',
            "lsquo" => '‘',
            "rsquo" => '’',
            "ldquo" => '“',
            "rdquo" => '”',
            "bull" => '•',
            "middot" => '·',
            _ => return None,
        }
    };
    Some((c, semi + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn read(path: &str, text: &str) -> Document {
        let item = Item::new(path, text.as_bytes().to_vec());
        let mut docs = Markdown.read(&item).unwrap();
        assert_eq!(docs.len(), 1);
        docs.remove(0)
    }

    fn bodies(doc: &Document) -> Vec<(String, String)> {
        doc.sections
            .iter()
            .map(|s| (s.trail.join(" > "), doc.section_text(s).to_string()))
            .collect()
    }

    const LIBRARY: &str = "---\nid: evident-test-topic\ntitle: \"Test topic: care\"\npublisher: Evident starter library\nkind: professional summary\naudience: clinician\nyear: 2026\nreview_status: not reviewed\nlicence: \"CC BY 4.0\"\nreferences:\n  - title: \"A guideline\"\n    organisation: \"A society\"\n    year: 2020\n    url: \"https://example.org/g\"\n  - Another paper\n---\n\n# Test topic\n\nIntro line one\ncontinues here.\n\n## Treatment\n\n- First **bold** item\n  wraps on.\n* Second with [a link](https://x.org/a_(b)) and `code`.\n1. Numbered _one_.\n\n### Doses\n\n| Drug | Dose |\n|---|:--:|\n| A \\| B | 5 mg |\n\n```\nlet x = 1;\n```\n";

    #[test]
    fn library_topic_front_matter_and_body() {
        let doc = read("library/test-topic.md", LIBRARY);
        let s = &doc.source;
        assert_eq!(s.id, "evident-test-topic");
        assert_eq!(s.title, "Test topic: care");
        assert_eq!(s.kind, SourceKind::ProfessionalSummary);
        assert_eq!(s.audience, Audience::Clinician);
        assert_eq!(s.year, Some(2026));
        assert_eq!(s.review_status.as_deref(), Some("not reviewed"));
        assert_eq!(s.licence.as_deref(), Some("CC BY 4.0"));
        assert_eq!(s.publisher.as_deref(), Some("Evident starter library"));
        assert_eq!(s.references.len(), 2);
        assert_eq!(s.references[0].organisation.as_deref(), Some("A society"));
        assert_eq!(s.references[0].year, Some(2020));
        assert_eq!(s.references[1].title, "Another paper");
        assert_eq!(
            bodies(&doc),
            [
                ("Test topic".into(), "Intro line one continues here.".into()),
                (
                    "Test topic > Treatment".into(),
                    "- First bold item wraps on.\n\n- Second with a link and code.\n\n- Numbered one."
                        .into()
                ),
                (
                    "Test topic > Treatment > Doses".into(),
                    "Drug ; Dose\n\nA | B ; 5 mg\n\nlet x = 1;".into()
                ),
            ]
        );
    }

    #[test]
    fn nci_pages_get_ids_kinds_and_clean_titles() {
        let page = "---\r\naudienceLevel: patient\r\nlastReviewed: '2025-12-30'\r\nlicense: public_domain\r\nsource: NCI\r\ntitle: Widget Cancer Treatment (PDQ®) - NCI\r\nurl: https://www.cancer.gov/types/widget/hp/widget-treatment-pdq\r\n---\r\n\r\n# Widget Cancer Treatment (PDQ®) - NCI\r\n\r\n# Widget Cancer Treatment (PDQ®)–Health Professional Version\r\n\r\n[Go to Patient Version](/types/widget/patient/widget-treatment-pdq)\r\n\r\n## General Information\r\n\r\nSome ![pic](/x.jpg)text <!-- hidden --> here &amp; there.<sup>[1]</sup>\r\n";
        let doc = read("en/widget-hp.md", page);
        let s = &doc.source;
        assert_eq!(s.id, "nci:types/widget/hp/widget-treatment-pdq");
        assert_eq!(s.title, "Widget Cancer Treatment (PDQ®)");
        assert_eq!(s.kind, SourceKind::ProfessionalSummary);
        assert_eq!(s.audience, Audience::Clinician);
        assert_eq!(s.year, Some(2025));
        assert_eq!(s.date.as_deref(), Some("2025-12-30"));
        assert_eq!(s.publisher.as_deref(), Some("NCI"));
        assert_eq!(
            bodies(&doc),
            [
                (
                    "Widget Cancer Treatment (PDQ®)–Health Professional Version".into(),
                    "Go to Patient Version".into()
                ),
                (
                    "Widget Cancer Treatment (PDQ®)–Health Professional Version > General Information"
                        .into(),
                    "Some text here & there.[1]".into()
                ),
            ]
        );
        let patient = page
            .replace("/hp/widget-treatment-pdq", "/patient/widget-treatment-pdq")
            .replace("–Health Professional", "–Patient");
        let doc = read("en/widget.md", &patient);
        assert_eq!(doc.source.kind, SourceKind::PatientInformation);
        assert_eq!(doc.source.audience, Audience::Patient);
    }

    #[test]
    fn no_front_matter_uses_stem_and_adds_title_heading() {
        let doc = read("notes/my-notes.md", "Some text.\n\nMore *text*.\n");
        assert_eq!(doc.source.id, "md:my-notes");
        assert_eq!(doc.source.title, "my-notes");
        assert_eq!(doc.source.kind, SourceKind::Other);
        assert_eq!(doc.sections[0].trail, ["my-notes"]);
        let doc = read("n.md", "---\ntitle: T\n---\n## Part\n\nText.\n");
        assert_eq!(doc.sections[0].trail, ["T", "Part"]);
        let doc = read("n.md", "Setext Title\n===\n\nBody.\n\nSub\n---\nMore.\n");
        assert_eq!(doc.source.title, "Setext Title");
        assert_eq!(doc.sections[1].trail, ["Setext Title", "Sub"]);
    }

    #[test]
    fn bad_front_matter_is_malformed_with_line() {
        let item = Item::new(
            "bad.md",
            b"---\ntitle: ok\nlist: [a, b\n---\n# X\n".to_vec(),
        );
        let err = Markdown.read(&item).unwrap_err().to_string();
        assert!(
            err.contains("bad.md") && err.contains("not valid YAML: line"),
            "{err}"
        );
        let item = Item::new("open.md", b"---\ntitle: x\n# X\n".to_vec());
        let err = Markdown.read(&item).unwrap_err().to_string();
        assert!(err.contains("never closed"), "{err}");
        let item = Item::new(
            "kind.md",
            b"---\ntitle: x\nkind: blog\n---\ntext\n".to_vec(),
        );
        let err = Markdown.read(&item).unwrap_err().to_string();
        assert!(err.contains("kind 'blog'"), "{err}");
    }

    #[test]
    fn inline_markup() {
        assert_eq!(inline("**Age 40-49:** start"), "Age 40-49: start");
        assert_eq!(
            inline("snake_case and 5 * 3 and a*b"),
            "snake_case and 5 * 3 and a*b"
        );
        assert_eq!(inline("[![alt](i.png)](/l) x"), " x");
        assert_eq!(
            inline("see <https://a.org/x> now"),
            "see https://a.org/x now"
        );
        assert_eq!(inline("p <0.05 and <em>x</em>"), "p <0.05 and x");
        assert_eq!(inline("~~gone~~ ~5 mg \\*lit\\*"), "gone ~5 mg *lit*");
        assert_eq!(inline("note[^1] [sic]"), "note [sic]");
        assert_eq!(inline("**Whole body**treats 2*3"), "Whole bodytreats 2*3");
        assert_eq!(inline("[![img](/i.jpg)"), "");
        assert_eq!(
            inline("card text.](/news/x) [a] b](c d)"),
            "card text. [a] b](c d)"
        );
    }

    #[test]
    fn sniffing() {
        let fm = Item::new("x.txt", b"---\ntitle: X\n---\nbody".to_vec());
        assert_eq!(Markdown.sniff(&fm), Confidence::Certain);
        let h = Item::new("x.md", b"# X\nbody".to_vec());
        assert_eq!(Markdown.sniff(&h), Confidence::Content);
        let e = Item::new("x.markdown", b"body".to_vec());
        assert_eq!(Markdown.sniff(&e), Confidence::Extension);
        assert_eq!(
            Markdown.sniff(&Item::new("x.txt", b"# X".to_vec())),
            Confidence::No
        );
    }

    proptest! {
        #[test]
        fn never_panics(text in "(?s)(---\n)?[-#*_`|\\[\\]()!<>&;:a-z0-9 \n\\\\~=>]{0,400}") {
            let item = Item::new("p.md", text.into_bytes());
            let _ = Markdown.sniff(&item);
            let _ = Markdown.read(&item);
        }

        #[test]
        fn never_panics_on_any_text(text in any::<String>()) {
            let item = Item::new("p.md", text.into_bytes());
            let _ = Markdown.sniff(&item);
            let _ = Markdown.read(&item);
        }
    }
}
