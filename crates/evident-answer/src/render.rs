//! Renderings of an [`Answer`]: Markdown, an HTML fragment, and plain terminal text.
//!
//! All three show the same parts in the same order: title, urgent notice, lead, sections of
//! cited statements (with plain-language glosses for patients), or for an abstention the notice
//! and the nearest topics; then the numbered references with their supporting passages, and the
//! disclaimer. Nothing but the answer's own parts stands before the references, so the body of
//! the article can be read (and evaluated) on its own.
//!
//! Every field may hold hostile text (sources are third-party documents): the HTML rendering
//! escapes everything and links only `http(s)` URLs; the Markdown and text renderings keep each
//! field on one line so no field can forge structure.

use std::collections::HashMap;
use std::fmt::Write as _;

use evident_core::text::truncate_words;
use evident_core::{Answer, Citation, Statement};

/// Wrap width of the text rendering.
pub const TEXT_WIDTH: usize = 96;

/// How much of a passage the Markdown rendering quotes.
const MD_QUOTE_CHARS: usize = 600;

/// How much of a passage the text rendering quotes.
const TEXT_QUOTE_CHARS: usize = 200;

const NEAREST_HEADING: &str = "Nearest topics in the library";

/// Heading of the patient section of questions to bring to an appointment (our own prompts,
/// not statements from a source).
pub const QUESTIONS_HEADING: &str = "Questions to ask your clinician";

// ---------------------------------------------------------------------------------------------
// Markdown

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
    if !a.citations.is_empty() {
        out.push_str("## References\n\n");
        for c in &a.citations {
            let _ = writeln!(out, "{}. {}", c.number, md_inline(&reference_line(c, true)));
            let passage = truncate_words(&clean(&c.passage), MD_QUOTE_CHARS);
            if !passage.is_empty() {
                let _ = writeln!(out, "    > {}", md_inline(&passage));
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
    let markers = markers(&s.citations);
    if !markers.is_empty() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&markers);
    }
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

// ---------------------------------------------------------------------------------------------
// HTML

/// The answer as an HTML fragment (`<article class="evident-answer">…</article>`), every field
/// escaped; only `http://` and `https://` URLs become links.
pub fn html(a: &Answer) -> String {
    let mut out = String::new();
    let mut seen: HashMap<u32, u32> = HashMap::new();
    out.push_str("<article class=\"evident-answer\">\n");
    let _ = writeln!(out, "<h1>{}</h1>", escape(&clean(&a.title)));
    if let Some(notice) = nonempty(a.urgent_notice.as_deref()) {
        let _ = writeln!(
            out,
            "<aside class=\"urgent\" role=\"alert\"><strong>Urgent:</strong> {}</aside>",
            escape(&clean(notice))
        );
    }
    if a.abstained {
        let lead: Vec<String> = a
            .lead
            .iter()
            .map(|s| html_statement(s, false, &mut seen))
            .collect();
        if !lead.is_empty() {
            let _ = writeln!(out, "<p class=\"lead abstention\">{}</p>", lead.join(" "));
        }
        if !a.nearest_topics.is_empty() {
            let _ = write!(
                out,
                "<section class=\"nearest-topics\"><h2>{NEAREST_HEADING}</h2><ul>"
            );
            for topic in &a.nearest_topics {
                let _ = write!(out, "<li>{}</li>", escape(&clean(topic)));
            }
            out.push_str("</ul></section>\n");
        }
    } else {
        let lead: Vec<String> = a
            .lead
            .iter()
            .map(|s| html_statement(s, true, &mut seen))
            .collect();
        if !lead.is_empty() {
            let _ = writeln!(out, "<p class=\"lead\">{}</p>", lead.join(" "));
        }
        for section in &a.sections {
            let _ = write!(
                out,
                "<section><h2>{}</h2><ul>",
                escape(&clean(&section.heading))
            );
            for s in &section.statements {
                let _ = write!(out, "<li>{}</li>", html_statement(s, false, &mut seen));
            }
            out.push_str("</ul></section>\n");
        }
        if !a.questions_to_ask.is_empty() {
            let _ = write!(
                out,
                "<section class=\"questions\"><h2>{}</h2><ul>",
                escape(QUESTIONS_HEADING)
            );
            for q in &a.questions_to_ask {
                let _ = write!(out, "<li>{}</li>", escape(&clean(q)));
            }
            out.push_str("</ul></section>\n");
        }
    }
    if !a.citations.is_empty() {
        out.push_str("<section class=\"references\"><h2>References</h2><ol>\n");
        for c in &a.citations {
            html_reference(&mut out, c, seen.contains_key(&c.number));
        }
        out.push_str("</ol></section>\n");
    }
    if let Some(disclaimer) = nonempty(Some(&a.disclaimer)) {
        let _ = writeln!(
            out,
            "<p class=\"disclaimer\">{}</p>",
            escape(&clean(disclaimer))
        );
    }
    out.push_str("</article>\n");
    out
}

fn html_statement(s: &Statement, bold: bool, seen: &mut HashMap<u32, u32>) -> String {
    let text = escape(&clean(&s.text));
    let mut out = if bold && !text.is_empty() {
        format!("<strong>{text}</strong>")
    } else {
        text
    };
    if !s.citations.is_empty() {
        out.push_str("<sup>");
        for (i, &n) in s.citations.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let k = seen.entry(n).or_insert(0);
            *k += 1;
            let _ = write!(
                out,
                "<a href=\"#ref-{n}\" id=\"cite-{n}-{k}\" class=\"citation\">{n}</a>"
            );
        }
        out.push_str("</sup>");
    }
    if let Some(g) = glosses(s) {
        let _ = write!(out, " <span class=\"gloss\">({})</span>", escape(&g));
    }
    out
}

fn html_reference(out: &mut String, c: &Citation, cited: bool) {
    let n = c.number;
    let _ = write!(out, "<li id=\"ref-{n}\" value=\"{n}\">");
    let kind = clean(&c.kind_label);
    let kind = if kind.is_empty() {
        c.kind.label().to_string()
    } else {
        kind
    };
    let _ = write!(
        out,
        "<span class=\"kind\">{}</span> <cite>{}</cite>",
        escape(&kind),
        escape(&clean(&c.title))
    );
    if let Some(p) = nonempty(c.publisher.as_deref()) {
        let _ = write!(
            out,
            ", <span class=\"publisher\">{}</span>",
            escape(&clean(p))
        );
    }
    if let Some(y) = c.year {
        let _ = write!(out, ", <span class=\"year\">{y}</span>");
    }
    if let Some(g) = nonempty(c.grade.as_deref()) {
        let _ = write!(
            out,
            ", <span class=\"grade\">grade {}</span>",
            escape(&clean(g))
        );
    }
    if let Some(url) = c.url.as_deref().and_then(safe_url) {
        let _ = write!(
            out,
            ", <a href=\"{}\" rel=\"noopener nofollow\">link</a>",
            escape(url)
        );
    }
    if cited {
        let _ = write!(
            out,
            " <a href=\"#cite-{n}-1\" class=\"backlink\" aria-label=\"Back to citation {n}\">↩</a>"
        );
    }
    out.push_str("<details><summary>Supporting passage</summary>");
    let trail: Vec<String> = c
        .trail
        .iter()
        .map(|t| clean(t))
        .filter(|t| !t.is_empty())
        .collect();
    if !trail.is_empty() {
        let _ = write!(out, "<p class=\"trail\">{}</p>", escape(&trail.join(" › ")));
    }
    let passage = c
        .passage
        .trim()
        .lines()
        .map(|l| escape(&clean(l)))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("<br>");
    let _ = writeln!(out, "<blockquote>{passage}</blockquote></details></li>");
}

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The URL, trimmed, when it is a plain `http(s)` URL safe to put in an `href`.
fn safe_url(url: &str) -> Option<&str> {
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

// ---------------------------------------------------------------------------------------------
// Text

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
    if !a.citations.is_empty() {
        heading(&mut out, "References");
        for c in &a.citations {
            let label = format!("[{}] ", c.number);
            let indent = " ".repeat(label.chars().count());
            let _ = writeln!(
                out,
                "{}",
                wrap(&reference_line(c, false), TEXT_WIDTH, &label, &indent)
            );
            if let Some(url) = c.url.as_deref().and_then(safe_url) {
                let _ = writeln!(out, "{indent}{url}");
            }
            let passage = truncate_words(&clean(&c.passage), TEXT_QUOTE_CHARS);
            if !passage.is_empty() {
                let quoted = format!("\"{passage}\"");
                let _ = writeln!(out, "{}", wrap(&quoted, TEXT_WIDTH, &indent, &indent));
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
    let markers = markers(&s.citations);
    if !markers.is_empty() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&markers);
    }
    if let Some(g) = glosses(s) {
        let _ = write!(out, " ({g})");
    }
    out
}

/// Greedy word wrap: the first line starts with `first`, the others with `rest`. A word
/// longer than the width stands alone on its line.
fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
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

// ---------------------------------------------------------------------------------------------
// Shared

/// "Title. Publisher, 2020. Guideline." plus " https://…" when `with_url` and the URL is http(s).
fn reference_line(c: &Citation, with_url: bool) -> String {
    let mut out = String::new();
    let title = clean(&c.title);
    out.push_str(&title);
    if !title.is_empty() && !title.ends_with(['.', '?', '!']) {
        out.push('.');
    }
    // Where in the source: the last headings of the passage's trail, so several passages of
    // one source are told apart.
    let trail: Vec<String> = c
        .trail
        .iter()
        .map(|t| clean(t))
        .filter(|t| !t.is_empty() && !title.starts_with(t.as_str()) && !t.starts_with(&title))
        .collect();
    if !trail.is_empty() {
        let tail = &trail[trail.len().saturating_sub(2)..];
        let _ = write!(out, " Section: {}.", tail.join(" › "));
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
    let kind = clean(&c.kind_label);
    let kind = if kind.is_empty() {
        c.kind.label().to_string()
    } else {
        kind
    };
    let _ = write!(out, " {kind}.");
    if with_url {
        if let Some(url) = c.url.as_deref().and_then(safe_url) {
            let _ = write!(out, " {url}");
        }
    }
    out.trim().to_string()
}

/// "[1][2]".
fn markers(citations: &[u32]) -> String {
    citations.iter().map(|n| format!("[{n}]")).collect()
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

/// One line: every run of whitespace or control characters becomes one space; trimmed.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            pending_space = true;
        } else {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    out
}

fn nonempty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use evident_core::{
        AnswerSection, Audience, QuestionAnalysis, SourceKind, ANSWER_SCHEMA_VERSION,
    };
    use proptest::prelude::*;

    fn st(text: &str, citations: &[u32]) -> Statement {
        Statement {
            text: text.into(),
            citations: citations.to_vec(),
            glosses: vec![],
            editor_written: false,
        }
    }

    fn citation(number: u32, title: &str, url: Option<&str>, passage: &str) -> Citation {
        Citation {
            number,
            passage_id: format!("s{number}#1"),
            source_id: format!("s{number}"),
            title: title.into(),
            publisher: Some("Example Society".into()),
            year: Some(2020 + number as i32),
            kind: SourceKind::Guideline,
            kind_label: "Guideline".into(),
            url: url.map(String::from),
            trail: vec!["Treatment".into(), "First line".into()],
            grade: None,
            passage: passage.into(),
        }
    }

    /// A small answer: a two-statement lead, two sections, two references.
    fn sample() -> Answer {
        let mut glossed = st("Statin myopathy needs combined therapy.", &[1]);
        glossed.glosses = vec![("myopathy".into(), "muscle disease".into())];
        Answer {
            schema_version: ANSWER_SCHEMA_VERSION,
            id: "ans-1".into(),
            question: "What is the treatment for NAM?".into(),
            audience: Audience::Patient,
            analysis: QuestionAnalysis::default(),
            abstained: false,
            abstention_reason: None,
            nearest_topics: vec![],
            urgent_notice: Some("Call your local emergency number now.".into()),
            title: "What is the treatment for NAM?".into(),
            lead: vec![
                st("NAM needs several immunosuppressive agents.", &[1, 2]),
                st("Steroids alone rarely suffice.", &[2]),
            ],
            sections: vec![
                AnswerSection {
                    heading: "First-line therapy".into(),
                    statements: vec![glossed, st("Add methotrexate early.", &[2])],
                },
                AnswerSection {
                    heading: "Refractory disease".into(),
                    statements: vec![st("Consider rituximab.", &[1])],
                },
            ],
            citations: vec![
                citation(
                    1,
                    "NAM guideline",
                    Some("https://example.org/nam"),
                    "NAM needs several immunosuppressive agents. Statin myopathy needs combined \
                     therapy. Consider rituximab.",
                ),
                citation(
                    2,
                    "Myositis review",
                    None,
                    "NAM needs several immunosuppressive agents. Steroids alone rarely suffice. \
                     Add methotrexate early.",
                ),
            ],
            questions_to_ask: vec![],
            reading_grade: Some(9.5),
            disclaimer: "For education only; not a substitute for professional advice.".into(),
            composer: "grounded".into(),
            took_ms: 1.0,
        }
    }

    fn abstention() -> Answer {
        let mut a = sample();
        a.abstained = true;
        a.abstention_reason = Some("no passage addresses nirsevimab".into());
        a.urgent_notice = None;
        a.lead = vec![st(
            "The library does not contain enough evidence to answer this question.",
            &[],
        )];
        a.sections.clear();
        a.citations.clear();
        a.nearest_topics = vec!["Bronchiolitis in infants".into(), "RSV vaccination".into()];
        a
    }

    /// Everything of `md` before the "## References" heading.
    fn md_body(md: &str) -> &str {
        md.split("## References").next().unwrap()
    }

    #[test]
    fn markdown_structure() {
        let md = markdown(&sample());
        assert!(
            md.starts_with("# What is the treatment for NAM?\n\n"),
            "{md}"
        );
        assert!(md.contains("\n> **Urgent:** Call your local emergency number now.\n"));
        assert!(md.contains(
            "**NAM needs several immunosuppressive agents.** [1][2] **Steroids alone rarely \
             suffice.** [2]\n"
        ));
        assert!(md.contains("\n## First-line therapy\n\n- Statin myopathy needs combined therapy. [1] _(myopathy: muscle disease)_\n- Add methotrexate early. [2]\n"));
        assert!(md.contains("\n## Refractory disease\n\n- Consider rituximab. [1]\n"));
        assert!(md.contains(
            "\n1. NAM guideline. Section: Treatment › First line. Example Society, 2021. Guideline. https://example.org/nam\n    > NAM needs"
        ));
        assert!(md.contains("\n2. Myositis review. Section: Treatment › First line. Example Society, 2022. Guideline.\n    > "));
        assert!(
            md.ends_with("\n\nFor education only; not a substitute for professional advice.\n")
                || md
                    .ends_with("\n\nFor education only; not a substitute for professional advice.")
        );
        // Order: notice, lead, sections, references, disclaimer.
        let at = |s: &str| md.find(s).unwrap();
        assert!(at("Urgent") < at("**NAM"));
        assert!(at("**NAM") < at("## First-line"));
        assert!(at("## Refractory") < at("## References"));
        assert!(at("## References") < at("For education only"));
    }

    #[test]
    fn markdown_body_holds_only_the_answer_parts() {
        let a = sample();
        let mut body = md_body(&markdown(&a)).to_string();
        let mut parts: Vec<String> = vec![a.title.clone(), a.urgent_notice.clone().unwrap()];
        for s in a.statements() {
            parts.push(s.text.clone());
            parts.extend(s.glosses.iter().map(|(t, p)| format!("{t}: {p}")));
        }
        parts.extend(a.sections.iter().map(|s| s.heading.clone()));
        parts.push("Urgent:".into());
        parts.sort_by_key(|p| std::cmp::Reverse(p.len()));
        for p in parts {
            body = body.replace(&p, "");
        }
        let leftover: String = body
            .chars()
            .filter(|c| !c.is_whitespace() && !"#>*-_()[]0123456789".contains(*c))
            .collect();
        assert_eq!(leftover, "", "{body}");
    }

    #[test]
    fn markdown_quotes_are_one_line_and_trimmed() {
        let mut a = sample();
        a.citations[0].passage = format!("Line one.\n\n# Not a heading\n{}", "word ".repeat(300));
        let md = markdown(&a);
        let quote = md
            .lines()
            .find(|l| l.starts_with("    > Line one."))
            .expect("quote line");
        assert!(quote.contains("Line one. # Not a heading word"));
        assert!(quote.ends_with('…'), "{quote}");
        assert!(quote.chars().count() < MD_QUOTE_CHARS + 20);
        assert!(!md.lines().any(|l| l.starts_with("# Not a heading")));
    }

    #[test]
    fn markdown_fields_cannot_forge_structure() {
        let mut a = sample();
        a.title = "Title\n## Fake section\n<script>x</script>".into();
        a.sections[0].statements[1].text = "text\n\n## References\n1. fake".into();
        a.disclaimer = "# not a heading".into();
        let md = markdown(&a);
        assert_eq!(md.matches("## References").count(), 2, "{md}"); // the real one + inline text
        assert!(
            md.lines()
                .filter(|l| l.starts_with("## References"))
                .count()
                == 1
        );
        assert!(!md.lines().any(|l| l.starts_with("## Fake")));
        assert!(!md.contains("<script"));
        assert!(md.contains("\\# not a heading"));
    }

    #[test]
    fn markdown_abstention_lists_nearest_topics_and_no_sections() {
        let md = markdown(&abstention());
        assert!(md.contains("The library does not contain enough evidence"));
        assert!(md.contains(
            "## Nearest topics in the library\n\n- Bronchiolitis in infants\n- RSV vaccination\n"
        ));
        assert!(!md.contains("## First-line"));
        assert!(!md.contains("## References"));
        assert!(!md.contains("**The library"), "abstention lead is not bold");
    }

    #[test]
    fn html_structure_and_links() {
        let h = html(&sample());
        assert!(h.starts_with(
            "<article class=\"evident-answer\">\n<h1>What is the treatment for NAM?</h1>"
        ));
        assert!(h.contains("<aside class=\"urgent\" role=\"alert\"><strong>Urgent:</strong> Call"));
        assert!(h.contains("<p class=\"lead\"><strong>NAM needs several immunosuppressive agents.</strong><sup><a href=\"#ref-1\" id=\"cite-1-1\" class=\"citation\">1</a>,<a href=\"#ref-2\" id=\"cite-2-1\" class=\"citation\">2</a></sup>"));
        assert!(h.contains("<section><h2>First-line therapy</h2><ul><li>Statin myopathy needs combined therapy.<sup><a href=\"#ref-1\" id=\"cite-1-2\""));
        assert!(h.contains(" <span class=\"gloss\">(myopathy: muscle disease)</span></li>"));
        assert!(h.contains("<section class=\"references\"><h2>References</h2><ol>"));
        assert!(h.contains("<li id=\"ref-1\" value=\"1\"><span class=\"kind\">Guideline</span> <cite>NAM guideline</cite>, <span class=\"publisher\">Example Society</span>, <span class=\"year\">2021</span>, <a href=\"https://example.org/nam\" rel=\"noopener nofollow\">link</a>"));
        assert!(h.contains("<details><summary>Supporting passage</summary><p class=\"trail\">Treatment › First line</p><blockquote>NAM needs"));
        assert!(h.contains("<p class=\"disclaimer\">For education only;"));
        assert!(h.trim_end().ends_with("</article>"));
        // Every citation link points at a reference that exists, and ids are unique.
        let hrefs: Vec<&str> = h
            .split("href=\"#ref-")
            .skip(1)
            .map(|s| s.split('"').next().unwrap())
            .collect();
        assert_eq!(hrefs.len(), 6);
        for n in hrefs {
            assert!(h.contains(&format!("<li id=\"ref-{n}\"")), "{n}");
        }
        let ids: Vec<&str> = h
            .split(" id=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap())
            .collect();
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{ids:?}");
        assert_well_nested(&h);
        // The reference without a URL has no external link.
        let ref2 = h.split("<li id=\"ref-2\"").nth(1).unwrap();
        assert!(!ref2.contains("rel=\"noopener"));
    }

    #[test]
    fn html_abstention() {
        let h = html(&abstention());
        assert!(h.contains("<p class=\"lead abstention\">The library does not contain"));
        assert!(h.contains("<h2>Nearest topics in the library</h2><ul><li>Bronchiolitis in infants</li><li>RSV vaccination</li></ul>"));
        assert!(!h.contains("class=\"references\""));
        assert_well_nested(&h);
    }

    fn hostile() -> Answer {
        let x = "<script>alert('x')</script> \" onmouseover=\"alert(1)\" javascript:alert(1) &amp;";
        let mut a = sample();
        a.title = x.into();
        a.urgent_notice = Some(x.into());
        a.lead[0].text = x.into();
        a.lead[0].glosses = vec![(x.into(), x.into())];
        a.sections[0].heading = x.into();
        a.sections[0].statements[0].text = x.into();
        a.nearest_topics = vec![x.into()];
        a.disclaimer = x.into();
        for c in &mut a.citations {
            c.title = x.into();
            c.publisher = Some(x.into());
            c.kind_label = x.into();
            c.passage = x.into();
            c.grade = Some(x.into());
            c.trail = vec![x.into()];
        }
        a.citations[0].url = Some("javascript:alert(document.cookie)".into());
        a.citations[1].url = Some("https://ok.example/\"><script>alert(1)</script>".into());
        a
    }

    #[test]
    fn html_is_safe_against_hostile_text() {
        for a in [hostile(), {
            let mut a = hostile();
            a.abstained = true;
            a
        }] {
            let h = html(&a);
            assert!(!h.to_lowercase().contains("<script"), "{h}");
            assert!(!h.contains("onmouseover=\""), "{h}");
            assert!(!h.contains("href=\"javascript"), "{h}");
            assert!(
                !h.contains("rel=\"noopener"),
                "neither URL is safe to link: {h}"
            );
            assert!(h.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
            assert!(h.contains("&amp;amp;"));
            assert_no_script_in_tags(&h);
            assert_well_nested(&h);
        }
        let md = markdown(&hostile());
        assert!(!md.contains("<script"), "{md}");
        assert!(!md.contains("javascript:alert(document"), "{md}");
        let t = text(&hostile());
        assert!(!t.contains("javascript:alert(document.cookie)\n"), "{t}");
    }

    #[test]
    fn safe_url_accepts_only_plain_http() {
        assert_eq!(
            safe_url(" https://a.org/x?y=1#z "),
            Some("https://a.org/x?y=1#z")
        );
        assert_eq!(safe_url("HTTP://A.ORG"), Some("HTTP://A.ORG"));
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,<script>",
            "vbscript:x",
            "//evil.example",
            "https://",
            "https://a.org/\"onclick=x",
            "https://a.org/ x",
            "https://a.org/?javascript:x",
            "ftp://a.org",
            "",
        ] {
            assert_eq!(safe_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn escape_all_five() {
        assert_eq!(
            escape("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
    }

    #[test]
    fn text_rendering() {
        let mut a = sample();
        a.sections[0].statements[1].text =
            format!("Add methotrexate early. {}", "More words here. ".repeat(20));
        a.citations[0].passage = "x ".repeat(500);
        let t = text(&a);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "What is the treatment for NAM?");
        assert_eq!(lines[1], "=".repeat(lines[0].chars().count()));
        assert!(t.contains("\nURGENT: Call your local emergency number now.\n"));
        assert!(t.contains(
            "NAM needs several immunosuppressive agents. [1][2] Steroids alone rarely suffice. [2]"
        ));
        assert!(t.contains("\nFirst-line therapy\n------------------\n  - Statin myopathy needs combined therapy. [1] (myopathy: muscle disease)\n"));
        assert!(t.contains("\nReferences\n----------\n[1] NAM guideline. Section: Treatment › First line. Example Society, 2021. Guideline.\n    https://example.org/nam\n    \"x x"));
        assert!(
            t.contains("[2] Myositis review. Section: Treatment › First line. Example Society, 2022. Guideline.\n    \"NAM needs")
        );
        assert!(t
            .trim_end()
            .ends_with("not a substitute for professional advice."));
        for l in &lines {
            assert!(l.chars().count() <= TEXT_WIDTH, "{l:?}");
        }
        // The long bullet wraps with a hanging indent.
        let i = lines
            .iter()
            .position(|l| l.starts_with("  - Add methotrexate early."))
            .unwrap();
        assert!(lines[i + 1].starts_with("    ") && !lines[i + 1].starts_with("     "));
        // The passage is cut to about 200 characters.
        let quote: String = lines
            .iter()
            .filter(|l| l.starts_with("    \"x") || l.starts_with("    x"))
            .copied()
            .collect();
        assert!(quote.chars().count() < TEXT_QUOTE_CHARS + 30, "{quote}");
        assert!(!t.contains('\u{1b}'));
    }

    #[test]
    fn text_strips_terminal_escapes_and_renders_abstentions() {
        let mut a = abstention();
        a.title = "Bad \u{1b}[31mred\u{1b}[0m title".into();
        let t = text(&a);
        assert!(!t.contains('\u{1b}'));
        assert!(t.contains("Nearest topics in the library\n-----------------------------\n  - Bronchiolitis in infants\n  - RSV vaccination"));
        assert!(!t.contains("References"));
    }

    #[test]
    fn wrap_keeps_long_words_whole() {
        assert_eq!(wrap("a bb ccc", 4, "", ""), "a bb\nccc");
        assert_eq!(wrap("abcdefgh ij", 4, "- ", "  "), "- abcdefgh\n  ij");
        assert_eq!(wrap("", 10, "- ", "  "), "-");
    }

    /// Every tag opened is closed in order (void elements aside).
    fn assert_well_nested(h: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = h;
        while let Some(i) = rest.find('<') {
            let j = rest[i..].find('>').expect("tag closes") + i;
            let tag = &rest[i + 1..j];
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if name == "br" {
            } else if tag.starts_with('/') {
                assert_eq!(stack.pop().as_deref(), Some(name.as_str()), "{h}");
            } else {
                stack.push(name);
            }
            rest = &rest[j + 1..];
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
    }

    /// No tag (its name and attributes) contains `<script` or `javascript:`.
    fn assert_no_script_in_tags(h: &str) {
        let lower = h.to_lowercase();
        assert!(!lower.contains("<script"));
        let mut rest = lower.as_str();
        while let Some(i) = rest.find('<') {
            let j = rest[i..].find('>').map_or(rest.len(), |j| j + i);
            let tag = &rest[i..j];
            assert!(!tag.contains("javascript:"), "{tag}");
            assert!(
                !tag.split_whitespace().skip(1).any(|a| a.starts_with("on")),
                "{tag}"
            );
            rest = &rest[j.min(rest.len())..];
            if rest.is_empty() {
                break;
            }
            rest = &rest[1..];
        }
    }

    fn arb_answer() -> impl Strategy<Value = Answer> {
        let s = || {
            "\\PC{0,40}|<script>|javascript:alert\\(1\\)|\"[a-z]*=\"|https?://[a-z\"'<>: ]{0,12}|&#?[a-z0-9]{0,5};?"
        };
        (
            prop::collection::vec(s(), 12),
            any::<bool>(),
            prop::collection::vec(0u32..4, 0..4),
        )
            .prop_map(|(f, abstained, nums)| {
                let mut a = sample();
                a.abstained = abstained;
                a.title = f[0].clone();
                a.urgent_notice = Some(f[1].clone());
                a.lead[0].text = f[2].clone();
                a.lead[0].citations = nums.clone();
                a.lead[1].glosses = vec![(f[3].clone(), f[4].clone())];
                a.sections[0].heading = f[5].clone();
                a.sections[1].statements[0].text = f[6].clone();
                a.nearest_topics = vec![f[7].clone()];
                a.disclaimer = f[8].clone();
                let c = &mut a.citations[0];
                c.title = f[9].clone();
                c.publisher = Some(f[10].clone());
                c.kind_label = f[10].clone();
                c.url = Some(f[11].clone());
                c.passage = f[11].clone();
                c.trail = vec![f[9].clone()];
                a.citations[1].url = Some(format!("https://x.org/{}", f[2]));
                a
            })
    }

    proptest! {
        #[test]
        fn renderings_never_panic_and_html_stays_safe(a in arb_answer()) {
            let h = html(&a);
            prop_assert!(!h.to_lowercase().contains("<script"));
            assert_no_script_in_tags(&h);
            assert_well_nested(&h);
            let md = markdown(&a);
            prop_assert!(!md.contains("<script"));
            let _ = text(&a);
        }
    }
}
