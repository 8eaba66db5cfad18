//! The Markdown rendering of an [`Answer`]: a `#` title, `##` sections of `- ` statements with
//! `[n]` reference markers, then the numbered references, one per source, each with its quoted
//! passages as sub-items ("2a. Section: …" and the quote). Each field is kept to one line and
//! escaped so that no field can forge Markdown structure.

use std::fmt::Write as _;

use evident_core::text::truncate_words;
use evident_core::{Answer, Statement};

use super::{
    clean, glosses, nonempty, passage_line, push_markers, reference_line, NEAREST_HEADING,
    QUESTIONS_HEADING,
};

/// How much of each passage the Markdown rendering quotes.
pub(crate) const MD_QUOTE_CHARS: usize = 600;

/// The answer as a Markdown article.
pub fn markdown(a: &Answer) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", md_inline(&a.title));
    if let Some(notice) = nonempty(a.urgent_notice.as_deref()) {
        let _ = writeln!(out, "> **Urgent:** {}\n", md_inline(notice));
    }
    if a.abstained {
        let lead: Vec<String> = a.lead.iter().map(|s| md_statement(s, false)).collect();
        let lead = lead.join(" ");
        if !lead.is_empty() {
            let _ = writeln!(out, "{}\n", md_block_start(&lead));
        }
        if !a.nearest_topics.is_empty() {
            let _ = writeln!(out, "## {NEAREST_HEADING}\n");
            for topic in &a.nearest_topics {
                let _ = writeln!(out, "- {}", md_inline(topic));
            }
            out.push('\n');
        }
    } else {
        let lead: Vec<String> = a
            .lead
            .iter()
            .filter(|s| !clean(&s.text).is_empty())
            .map(|s| md_statement(s, true))
            .collect();
        if !lead.is_empty() {
            let _ = writeln!(out, "{}\n", lead.join(" "));
        }
        for section in &a.sections {
            let _ = writeln!(out, "## {}\n", md_inline(&section.heading));
            for s in &section.statements {
                let _ = writeln!(out, "- {}", md_statement(s, false));
            }
            out.push('\n');
        }
        if !a.questions_to_ask.is_empty() {
            let _ = writeln!(out, "## {QUESTIONS_HEADING}\n");
            for q in &a.questions_to_ask {
                let _ = writeln!(out, "- {}", md_inline(q));
            }
            out.push('\n');
        }
    }
    let references = a.references();
    if !references.is_empty() {
        out.push_str("## References\n\n");
        for r in &references {
            let line = md_inline(&reference_line(r.source(), true));
            let _ = writeln!(out, "{}. {line}", r.number);
            // Sub-items indented past any "n. " marker; their quotes past the "- ".
            for p in &r.passages {
                let _ = writeln!(out, "    - {}", md_inline(&passage_line(p)));
                let passage = truncate_words(&clean(&p.citation.passage), MD_QUOTE_CHARS);
                if !passage.is_empty() {
                    let _ = writeln!(out, "      > {}", md_inline(&passage));
                }
            }
            out.push('\n');
        }
    }
    if let Some(disclaimer) = nonempty(Some(&a.disclaimer)) {
        let _ = writeln!(out, "{}", md_block_start(&md_inline(disclaimer)));
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// "**text** [1][2] _(term: plain)_" (bold for the lead), or "text [1] _(…)_".
fn md_statement(s: &Statement, bold: bool) -> String {
    let text = md_inline(&s.text);
    let mut out = if bold && !text.is_empty() {
        format!("**{text}**")
    } else {
        text
    };
    push_markers(&mut out, &s.citations);
    if let Some(g) = glosses(s) {
        let _ = write!(out, " _({})_", md_inline(&g));
    }
    out
}

/// One line of Markdown inline text: whitespace and control characters folded to single
/// spaces; `\` and `*` backslash-escaped, and a `<` that could open an HTML tag written
/// `&lt;`.
fn md_inline(s: &str) -> String {
    let s = clean(s);
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '*' => {
                out.push('\\');
                out.push(c);
            }
            '<' if chars
                .peek()
                .is_some_and(|&d| d.is_ascii_alphabetic() || matches!(d, '/' | '!' | '?')) =>
            {
                out.push_str("&lt;");
            }
            _ => out.push(c),
        }
    }
    out
}

/// Escapes a character at the start of a paragraph that would make it a heading, quote, list
/// item or rule.
fn md_block_start(s: &str) -> String {
    let first = s.chars().next();
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    if matches!(
        first,
        Some('#' | '>' | '-' | '+' | '=' | '|' | '_' | '~' | '`')
    ) {
        format!("\\{s}")
    } else if digits > 0 && matches!(s[digits..].chars().next(), Some('.' | ')')) {
        format!("{}\\{}", &s[..digits], &s[digits..])
    } else {
        s.to_string()
    }
}
