//! The plain-text rendering of an [`Answer`] for a terminal: underlined headings, wrapped at
//! [`TEXT_WIDTH`] columns with hanging indents, no colours; control characters (terminal
//! escapes) are folded to spaces. References come one per source, its quoted passages indented
//! under it.

use std::fmt::Write as _;

use evident_core::text::truncate_words;
use evident_core::{Answer, Statement};

use super::{
    clean, glosses, nonempty, passage_line, push_markers, reference_line, safe_url,
    NEAREST_HEADING, QUESTIONS_HEADING,
};

/// Wrap width of the text rendering.
pub const TEXT_WIDTH: usize = 96;

/// How much of each passage the text rendering quotes.
pub(crate) const TEXT_QUOTE_CHARS: usize = 200;

/// The answer as plain text for a terminal: wrapped at [`TEXT_WIDTH`] columns, no colours.
pub fn text(a: &Answer) -> String {
    let mut out = String::new();
    let title = wrap(&clean(&a.title), TEXT_WIDTH, "", "");
    let underline = title.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    let _ = writeln!(out, "{title}\n{}\n", "=".repeat(underline.max(1)));
    if let Some(notice) = nonempty(a.urgent_notice.as_deref()) {
        let _ = writeln!(
            out,
            "{}\n",
            wrap(
                &format!("URGENT: {}", clean(notice)),
                TEXT_WIDTH,
                "",
                "        "
            )
        );
    }
    if a.abstained {
        let lead: Vec<String> = a.lead.iter().map(text_statement).collect();
        if !lead.is_empty() {
            let _ = writeln!(out, "{}\n", wrap(&lead.join(" "), TEXT_WIDTH, "", ""));
        }
        if !a.nearest_topics.is_empty() {
            heading(&mut out, NEAREST_HEADING);
            for topic in &a.nearest_topics {
                let _ = writeln!(out, "{}", wrap(&clean(topic), TEXT_WIDTH, "  - ", "    "));
            }
            out.push('\n');
        }
    } else {
        let lead: Vec<String> = a
            .lead
            .iter()
            .filter(|s| !clean(&s.text).is_empty())
            .map(text_statement)
            .collect();
        if !lead.is_empty() {
            let _ = writeln!(out, "{}\n", wrap(&lead.join(" "), TEXT_WIDTH, "", ""));
        }
        for section in &a.sections {
            heading(&mut out, &clean(&section.heading));
            for s in &section.statements {
                let _ = writeln!(
                    out,
                    "{}",
                    wrap(&text_statement(s), TEXT_WIDTH, "  - ", "    ")
                );
            }
            out.push('\n');
        }
        if !a.questions_to_ask.is_empty() {
            heading(&mut out, QUESTIONS_HEADING);
            for q in &a.questions_to_ask {
                let _ = writeln!(out, "{}", wrap(&clean(q), TEXT_WIDTH, "  - ", "    "));
            }
            out.push('\n');
        }
    }
    let references = a.references();
    if !references.is_empty() {
        heading(&mut out, "References");
        for r in &references {
            let source = r.source();
            let label = format!("[{}] ", r.number);
            let indent = " ".repeat(label.chars().count());
            let _ = writeln!(
                out,
                "{}",
                wrap(&reference_line(source, false), TEXT_WIDTH, &label, &indent)
            );
            if let Some(url) = source.url.as_deref().and_then(safe_url) {
                let _ = writeln!(out, "{indent}{url}");
            }
            // Each passage under its source: its label and section, then the quote below it.
            let quote_indent = format!("{indent}    ");
            for p in &r.passages {
                let _ = writeln!(
                    out,
                    "{}",
                    wrap(&passage_line(p), TEXT_WIDTH, &indent, &quote_indent)
                );
                let passage = truncate_words(&clean(&p.citation.passage), TEXT_QUOTE_CHARS);
                if !passage.is_empty() {
                    let quoted = format!("\"{passage}\"");
                    let _ = writeln!(
                        out,
                        "{}",
                        wrap(&quoted, TEXT_WIDTH, &quote_indent, &quote_indent)
                    );
                }
            }
            out.push('\n');
        }
    }
    if let Some(disclaimer) = nonempty(Some(&a.disclaimer)) {
        let _ = writeln!(out, "{}", wrap(&clean(disclaimer), TEXT_WIDTH, "", ""));
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn heading(out: &mut String, h: &str) {
    let h = wrap(h, TEXT_WIDTH, "", "");
    let width = h.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    let _ = writeln!(out, "{h}\n{}", "-".repeat(width.max(1)));
}

/// "text [1][2] (term: plain)".
fn text_statement(s: &Statement) -> String {
    let mut out = clean(&s.text);
    push_markers(&mut out, &s.citations);
    if let Some(g) = glosses(s) {
        let _ = write!(out, " ({g})");
    }
    out
}

/// Greedy word wrap: the first line starts with `first`, the others with `rest`. A word
/// longer than the width stands alone on its line.
pub(crate) fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(first);
    let mut line_len = first.chars().count();
    let mut line_has_word = false;
    for word in text.split_whitespace() {
        let wlen = word.chars().count();
        if line_has_word && line_len + 1 + wlen > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(rest);
            line_len = rest.chars().count();
            line_has_word = false;
        }
        if line_has_word {
            line.push(' ');
            line_len += 1;
        }
        line.push_str(word);
        line_len += wlen;
        line_has_word = true;
    }
    out.push_str(line.trim_end());
    out
}
