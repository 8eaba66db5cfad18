//! The one HTML rendering of an [`Answer`], written with [`maud`] so every value is escaped:
//! the CLI's `--format html` fragment and the body of the site's article page are both this
//! renderer, told apart by [`HtmlOptions`].
//!
//! Citation markers link to `#ref-N`, each with a unique `cite-N-K` id, and each reference links
//! back to its first citation; only URLs that pass [`safe_url`] become links.

use std::collections::HashMap;

use evident_core::{Answer, Citation, Statement};
use maud::{html, Markup};

use super::{
    clean, glosses, kind_label, nonempty, safe_url, url_encode, Clean, NEAREST_HEADING,
    QUESTIONS_HEADING,
};

/// Where the rendering goes, which decides its frame and the labels it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// A self-contained fragment, `<article class="evident-answer">`, with the title as its
    /// heading and the disclaimer at its end (the CLI's `--format html`).
    Standalone,
    /// The answer inside the site's article page, `<div class="answer" data-audience
    /// data-abstained>`: the page shows the title and the disclaimer itself, and the fragment
    /// carries the classes, ids and accessible labels of the page (`aria-label` on citation
    /// markers, the references landmark, source URLs shown as link text).
    Page,
}

/// What the HTML rendering shows and how.
#[derive(Debug, Clone, Copy)]
pub struct HtmlOptions<'a> {
    pub frame: Frame,
    /// Level of the section headings (2: `<h2>`); a standalone title is one level above.
    pub heading_level: u8,
    /// Marks statements an editor wrote during review ("editor-written").
    pub editor_marks: bool,
    /// Shows why an abstention has no answer.
    pub abstention_reason: bool,
    /// Shows the estimated reading grade.
    pub reading_grade: bool,
    /// Links each nearest topic of an abstention to this prefix followed by the URL-encoded
    /// topic (e.g. `/?q=`, the site's search); plain text when `None`.
    pub topic_search: Option<&'a str>,
}

impl HtmlOptions<'static> {
    /// The CLI's standalone fragment: headings from `<h2>`, no review marks.
    pub const STANDALONE: HtmlOptions<'static> = HtmlOptions {
        frame: Frame::Standalone,
        heading_level: 2,
        editor_marks: false,
        abstention_reason: false,
        reading_grade: false,
        topic_search: None,
    };

    /// The site's article page: headings from `<h2>`, editor-written marks, the abstention
    /// reason, the reading grade and nearest topics linked to the site's search.
    pub const PAGE: HtmlOptions<'static> = HtmlOptions {
        frame: Frame::Page,
        heading_level: 2,
        editor_marks: true,
        abstention_reason: true,
        reading_grade: true,
        topic_search: Some("/?q="),
    };
}

impl Default for HtmlOptions<'static> {
    fn default() -> Self {
        HtmlOptions::STANDALONE
    }
}

/// The answer as a standalone HTML fragment (`<article class="evident-answer">…</article>`),
/// every field escaped; only `http://` and `https://` URLs become links.
pub fn html(a: &Answer) -> String {
    answer(a, &HtmlOptions::STANDALONE).into_string()
}

/// The answer as HTML, shown and framed as `o` says.
pub fn answer(a: &Answer, o: &HtmlOptions<'_>) -> Markup {
    let page = o.frame == Frame::Page;
    let h = o.heading_level.clamp(1, 6);
    let mut seen: HashMap<u32, u32> = HashMap::new();
    let notice = nonempty(a.urgent_notice.as_deref()).map(clean);
    let lead: Vec<Markup> = a
        .lead
        .iter()
        .filter(|s| !clean(&s.text).is_empty())
        .map(|s| statement(s, !a.abstained, &mut seen, o))
        .collect();
    let reason = nonempty(a.abstention_reason.as_deref())
        .filter(|_| o.abstention_reason && a.abstained)
        .map(clean);
    let topics: &[String] = if a.abstained { &a.nearest_topics } else { &[] };
    let sections: Vec<(&str, Vec<Markup>)> = a
        .sections
        .iter()
        .map(|section| {
            let items = section
                .statements
                .iter()
                .map(|s| statement(s, false, &mut seen, o))
                .collect();
            (section.heading.as_str(), items)
        })
        .collect();
    let grade = a.reading_grade.filter(|_| o.reading_grade);
    let disclaimer = nonempty(Some(&a.disclaimer)).filter(|_| !page).map(clean);
    let body = html! {
        @if let Some(notice) = &notice {
            @if page {
                p class="urgent" role="alert" { strong { "Urgent:" } " " (Clean(notice)) }
            } @else {
                aside class="urgent" role="alert" { strong { "Urgent:" } " " (Clean(notice)) }
            }
            "\n"
        }
        @if !lead.is_empty() {
            p class=(if a.abstained { "lead abstention" } else { "lead" }) {
                @for (i, s) in lead.iter().enumerate() {
                    @if i > 0 { " " }
                    (s)
                }
            }
            "\n"
        }
        @if let Some(reason) = &reason {
            p class="notice abstention-reason" {
                strong { "Why there is no answer:" } " " (Clean(reason))
            }
            "\n"
        }
        @if !topics.is_empty() {
            section class="nearest-topics" {
                (heading(h, None, html! { (NEAREST_HEADING) }))
                ul {
                    @for t in topics {
                        li {
                            @if let Some(search) = o.topic_search {
                                a href={ (search) (url_encode(&clean(t))) } { (Clean(t)) }
                            } @else {
                                (Clean(t))
                            }
                        }
                    }
                }
            }
            "\n"
        }
        @for (title, items) in &sections {
            section class=[page.then_some("answer-section")] {
                (heading(h, None, html! { (Clean(title)) }))
                ul { @for s in items { li { (s) } } }
            }
            "\n"
        }
        @if !a.questions_to_ask.is_empty() {
            section class="questions" {
                (heading(h, None, html! { (QUESTIONS_HEADING) }))
                ul { @for q in &a.questions_to_ask { li { (Clean(q)) } } }
            }
            "\n"
        }
        @if let Some(grade) = grade {
            p class="meta reading-grade" { "Reading level: about grade " (format!("{grade:.0}")) }
            "\n"
        }
        @if !a.citations.is_empty() {
            section class="references" aria-labelledby=[page.then_some("references-h")] {
                (heading(h, page.then_some("references-h"), html! { "References" }))
                ol {
                    "\n"
                    @for c in &a.citations {
                        (reference(c, seen.contains_key(&c.number), page))
                    }
                }
            }
            "\n"
        }
        @if let Some(disclaimer) = &disclaimer {
            p class="disclaimer" { (Clean(disclaimer)) }
            "\n"
        }
    };
    if page {
        html! {
            div class="answer" data-audience=(a.audience.label())
                data-abstained=(if a.abstained { "true" } else { "false" }) {
                "\n" (body)
            }
            "\n"
        }
    } else {
        html! {
            article class="evident-answer" {
                "\n" (heading(h.saturating_sub(1).max(1), None, html! { (Clean(&a.title)) })) "\n"
                (body)
            }
            "\n"
        }
    }
}

/// `<hN>` (with an id) around `content`; maud's element names are fixed, hence the match.
fn heading(level: u8, id: Option<&str>, content: Markup) -> Markup {
    match level {
        1 => html! { h1 id=[id] { (content) } },
        2 => html! { h2 id=[id] { (content) } },
        3 => html! { h3 id=[id] { (content) } },
        4 => html! { h4 id=[id] { (content) } },
        5 => html! { h5 id=[id] { (content) } },
        _ => html! { h6 id=[id] { (content) } },
    }
}

/// The statement's text (bold in a lead), its editor mark, its citation markers and glosses.
fn statement(
    s: &Statement,
    bold: bool,
    seen: &mut HashMap<u32, u32>,
    o: &HtmlOptions<'_>,
) -> Markup {
    let page = o.frame == Frame::Page;
    let text = clean(&s.text);
    let cites: Vec<(u32, u32)> = s
        .citations
        .iter()
        .map(|&n| {
            let k = seen.entry(n).or_insert(0);
            *k += 1;
            (n, *k)
        })
        .collect();
    html! {
        @if bold && !text.is_empty() { strong { (Clean(&text)) } } @else { (Clean(&text)) }
        @if o.editor_marks && s.editor_written {
            span class="editor-written"
                title="Written by an editor during review, not quoted from the source" {
                "editor-written"
            }
        }
        @if !cites.is_empty() {
            sup class=[page.then_some("cites")] {
                @for (i, (n, k)) in cites.iter().enumerate() {
                    @if i > 0 { "," }
                    a href={ "#ref-" (n) } id={ "cite-" (n) "-" (k) } class="citation"
                        aria-label=[page.then(|| format!("Reference {n}"))] { (n) }
                }
            }
        }
        @if let Some(g) = glosses(s) {
            " " span class="gloss" { "(" (Clean(&g)) ")" }
        }
    }
}

/// One numbered reference: kind, title, publisher, year, grade, link, a link back to the first
/// citation when it is cited, and the supporting passage in a `<details>`.
fn reference(c: &Citation, cited: bool, page: bool) -> Markup {
    let n = c.number;
    let nonblank = |s: Option<&str>| s.map(clean).filter(|s| !s.is_empty());
    let publisher = nonblank(c.publisher.as_deref());
    let grade = nonblank(c.grade.as_deref());
    let trail: Vec<String> = c
        .trail
        .iter()
        .map(|t| clean(t))
        .filter(|t| !t.is_empty())
        .collect();
    let lines: Vec<String> = c
        .passage
        .trim()
        .lines()
        .map(clean)
        .filter(|l| !l.is_empty())
        .collect();
    html! {
        li id={ "ref-" (n) } value=(n) {
            span class="kind" { (Clean(&kind_label(c))) } " " cite { (Clean(&c.title)) }
            @if let Some(p) = &publisher { ", " span class="publisher" { (Clean(p)) } }
            @if let Some(y) = c.year { ", " span class="year" { (y) } }
            @if let Some(g) = &grade { ", " span class="grade" { "grade " (Clean(g)) } }
            @if let Some(url) = c.url.as_deref().and_then(safe_url) {
                ", "
                @if page {
                    a class="source-link" href=(Clean(url)) rel="noopener noreferrer nofollow" {
                        (Clean(url))
                    }
                } @else {
                    a href=(Clean(url)) rel="noopener nofollow" { "link" }
                }
            }
            @if cited {
                " "
                a href={ "#cite-" (n) "-1" } class="backlink" aria-label=(
                    if page {
                        format!("Back to the first citation of reference {n}")
                    } else {
                        format!("Back to citation {n}")
                    }
                ) { "↩" }
            }
            details {
                summary { "Supporting passage" }
                @if !trail.is_empty() { p class="trail" { (Clean(&trail.join(" › "))) } }
                blockquote {
                    @for (i, l) in lines.iter().enumerate() {
                        @if i > 0 { br; }
                        (Clean(l))
                    }
                }
            }
        }
        "\n"
    }
}
