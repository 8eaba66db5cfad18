//! The Markdown body as blocks: ATX and setext headings, list items, paragraphs, fenced code
//! and table rows.

use super::inline;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Block {
    Heading(u8, String),
    Paragraph(String),
    ListItem(String),
}

/// `(level, text)` of an ATX heading line (`## Text ##`).
pub(super) fn atx_heading(line: &str) -> Option<(u8, &str)> {
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
pub(super) fn parse_blocks(body: &str) -> Vec<Block> {
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
