//! The one HTML rendering of an [`Answer`], written with [`maud`] so every value is escaped:
//! the CLI's `--format html` fragment and the body of the site's article page are both this
//! renderer, told apart by [`HtmlOptions`].
//!
//! References come one per source (`#ref-N`), its quoted passages listed under it (`#ref-Na`,
//! `#ref-Nb`, …, each in a `<details>`). A citation marker links to its reference, with a unique
//! `cite-N-K` id and a title naming the exact passage its statement quotes ("Passage 2b"); each reference links
//! back to its first citation and each passage to every statement quoting it. Only URLs that pass
//! [`safe_url`] become links.
//!
//! A statement a language model wrote is marked "model-written", and an answer whose
//! model-written article could not be used says so and why in a note above the lead
//! ([`HtmlOptions::generation_marks`]; the page leaves out the details in parentheses, see
//! [`public_fallback`]). The Markdown and text renderings, which the answer evaluation reads,
//! show neither; the CLI prints the generation summary beside them.

use std::collections::HashMap;

use evident_core::answer::{CitedSource, QuotedPassage};
use evident_core::review::StatementKey;
use evident_core::{Answer, Statement};
use maud::{html, Markup};

use super::{
    clean, glosses, kind_label, nonempty, passage_trail, safe_url, url_encode, Clean,
    NEAREST_HEADING, QUESTIONS_HEADING,
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
    /// Marks statements a language model wrote ("model-written", see
    /// [`evident_core::Statement::model_written`]) and shows the note of an answer whose
    /// model-written article could not be used ([`evident_core::GenerationReport::fallback`]).
    pub generation_marks: bool,
    /// Shows why an abstention has no answer.
    pub abstention_reason: bool,
    /// Shows the estimated reading grade.
    pub reading_grade: bool,
    /// Links each nearest topic of an abstention to this prefix followed by the URL-encoded
    /// topic (e.g. `/?q=`, the site's search); plain text when `None`.
    pub topic_search: Option<&'a str>,
}

impl HtmlOptions<'static> {
    /// The CLI's standalone fragment: headings from `<h2>`, no review marks (model-written
    /// marks and the fallback note are shown).
    pub const STANDALONE: HtmlOptions<'static> = HtmlOptions {
        frame: Frame::Standalone,
        heading_level: 2,
        editor_marks: false,
        generation_marks: true,
        abstention_reason: false,
        reading_grade: false,
        topic_search: None,
    };

    /// The site's article page: headings from `<h2>`, editor- and model-written marks, the abstention
    /// reason, the reading grade and nearest topics linked to the site's search.
    pub const PAGE: HtmlOptions<'static> = HtmlOptions {
        frame: Frame::Page,
        heading_level: 2,
        editor_marks: true,
        generation_marks: true,
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
    let references = a.references();
    let mut markers = Markers {
        references: &references,
        seen: HashMap::new(),
        quoting: HashMap::new(),
    };
    let notice = nonempty(a.urgent_notice.as_deref()).map(clean);
    let lead: Vec<Markup> = a
        .lead
        .iter()
        .enumerate()
        .filter(|(_, s)| !clean(&s.text).is_empty())
        .map(|(i, s)| statement(StatementKey::Lead(i), s, !a.abstained, &mut markers, o))
        .collect();
    let reason = nonempty(a.abstention_reason.as_deref())
        .filter(|_| o.abstention_reason && a.abstained)
        .map(clean);
    let topics: &[String] = if a.abstained { &a.nearest_topics } else { &[] };
    let sections: Vec<(&str, Vec<Markup>)> = a
        .sections
        .iter()
        .enumerate()
        .map(|(section, part)| {
            let items = part
                .statements
                .iter()
                .enumerate()
                .map(|(index, s)| {
                    let key = StatementKey::Section { section, index };
                    statement(key, s, false, &mut markers, o)
                })
                .collect();
            (part.heading.as_str(), items)
        })
        .collect();
    let grade = a.reading_grade.filter(|_| o.reading_grade);
    let disclaimer = nonempty(Some(&a.disclaimer)).filter(|_| !page).map(clean);
    let fallback = a
        .generation
        .as_ref()
        .and_then(|g| nonempty(g.fallback.as_deref()))
        .filter(|_| o.generation_marks);
    let body = html! {
        @if let Some(notice) = &notice {
            @if page {
                p class="urgent" role="alert" { strong { "Urgent:" } " " (Clean(notice)) }
            } @else {
                aside class="urgent" role="alert" { strong { "Urgent:" } " " (Clean(notice)) }
            }
            "\n"
        }
        @if let Some(why) = fallback {
            @if page {
                (fallback_note(&public_fallback(why)))
            } @else {
                (fallback_note(why))
            }
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
        @if !references.is_empty() {
            section class="references" aria-labelledby=[page.then_some("references-h")] {
                (heading(h, page.then_some("references-h"), html! { "References" }))
                ol {
                    "\n"
                    @for r in &references {
                        (reference(r, &markers, page))
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

/// The note of an answer whose model-written article could not be used: why (as the generative
/// composer recorded it), and that the quoted statements are shown instead.
pub fn fallback_note(why: &str) -> Markup {
    let why = clean(why);
    let why = why.trim_end_matches(['.', ' ']);
    // The composer's reasons end by saying what is shown; others are told here.
    let told = why.ends_with("is shown") || why.ends_with("are shown");
    html! {
        p class="notice generation-fallback" role="note" {
            strong { "The model-written article could not be used:" } " " (Clean(why))
            @if !told { "; the quoted statements are shown" }
            "."
        }
        "\n"
    }
}

/// Why the model-written article could not be used, as the public may read it: without the
/// details in parentheses (a backend's error can name an internal server or model), which
/// reviewers still see.
pub fn public_fallback(why: &str) -> String {
    let mut out = String::with_capacity(why.len());
    let mut depth = 0usize;
    for c in why.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    let out = clean(&out)
        .replace(" ;", ";")
        .replace(" ,", ",")
        .replace(" .", ".");
    out.trim().to_string()
}

/// The mark of a statement a language model wrote from the passages it cites.
pub fn model_mark() -> Markup {
    html! {
        span class="model-written"
            title="Written by a language model from the cited passages and checked against them, not quoted" {
            "model-written"
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

/// The citation markers of the statements rendered so far: how often each reference has been
/// cited (marker ids are `cite-N-K`), and which markers quote each passage, for its backlinks.
struct Markers<'r, 'a> {
    references: &'r [CitedSource<'a>],
    seen: HashMap<u32, u32>,
    /// (reference number, passage index) → the K of each marker quoting it.
    quoting: HashMap<(u32, usize), Vec<u32>>,
}

impl<'r, 'a> Markers<'r, 'a> {
    /// The next marker of reference `n` for statement `key`: its K, and the passage it quotes.
    fn cite(&mut self, key: StatementKey, n: u32) -> (u32, Option<&'r QuotedPassage<'a>>) {
        let k = self.seen.entry(n).or_insert(0);
        *k += 1;
        let k = *k;
        let references = self.references;
        let quoted = references.iter().find(|r| r.number == n).and_then(|r| {
            let j = r
                .passages
                .iter()
                .position(|p| p.statements.contains(&key))?;
            Some((j, &r.passages[j]))
        });
        if let Some((j, _)) = quoted {
            self.quoting.entry((n, j)).or_default().push(k);
        }
        (k, quoted.map(|(_, p)| p))
    }
}

/// "Passage 2b": what a marker's title says of the passage its statement quotes. Only our own
/// words and the label: no source text goes into an attribute.
fn passage_title(p: &QuotedPassage<'_>) -> String {
    format!("Passage {}", p.label)
}

/// The statement's text (bold in a lead), its editor mark, its citation markers and glosses.
fn statement(
    key: StatementKey,
    s: &Statement,
    bold: bool,
    markers: &mut Markers<'_, '_>,
    o: &HtmlOptions<'_>,
) -> Markup {
    let page = o.frame == Frame::Page;
    let text = clean(&s.text);
    let cites: Vec<(u32, u32, Option<String>)> = s
        .citations
        .iter()
        .map(|&n| {
            let (k, quoted) = markers.cite(key, n);
            (n, k, quoted.map(passage_title))
        })
        .collect();
    html! {
        @if bold && !text.is_empty() { strong { (Clean(&text)) } } @else { (Clean(&text)) }
        @if o.editor_marks && s.editor_written {
            span class="editor-written"
                title="Written by an editor during review, not quoted from the source" {
                "editor-written"
            }
        } @else if o.generation_marks && s.model_written {
            (model_mark())
        }
        @if !cites.is_empty() {
            sup class=[page.then_some("cites")] {
                @for (i, (n, k, title)) in cites.iter().enumerate() {
                    @if i > 0 { "," }
                    a href={ "#ref-" (n) } id={ "cite-" (n) "-" (k) } class="citation"
                        aria-label=[page.then(|| format!("Reference {n}"))]
                        title=[title.as_deref().map(Clean)] { (n) }
                }
            }
        }
        @if let Some(g) = glosses(s) {
            " " span class="gloss" { "(" (Clean(&g)) ")" }
        }
    }
}

/// One reference: kind, title, publisher, year, link, a link back to its first citation when
/// it is cited, then its quoted passages, each with its trail, grade, links back to the
/// statements quoting it, and the passage itself in a `<details>`.
fn reference(r: &CitedSource<'_>, markers: &Markers<'_, '_>, page: bool) -> Markup {
    let n = r.number;
    let c = r.source();
    let nonblank = |s: Option<&str>| s.map(clean).filter(|s| !s.is_empty());
    let publisher = nonblank(c.publisher.as_deref());
    let cited = markers.seen.contains_key(&n);
    html! {
        li id={ "ref-" (n) } value=(n) {
            span class="kind" { (Clean(&kind_label(c))) } " " cite { (Clean(&c.title)) }
            @if let Some(p) = &publisher { ", " span class="publisher" { (Clean(p)) } }
            @if let Some(y) = c.year { ", " span class="year" { (y) } }
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
            ol class="passages" type="a" {
                @for (j, p) in r.passages.iter().enumerate() {
                    (passage(n, p, markers.quoting.get(&(n, j)).map_or(&[], Vec::as_slice)))
                }
            }
        }
        "\n"
    }
}

/// One quoted passage of reference `n`, with links back to the markers `quoting` it: "↩" for
/// one, "↩ 1 2 3" for several.
fn passage(n: u32, p: &QuotedPassage<'_>, quoting: &[u32]) -> Markup {
    let trail = passage_trail(p.citation).join(" › ");
    let grade = p
        .citation
        .grade
        .as_deref()
        .map(clean)
        .filter(|g| !g.is_empty());
    let label = clean(&p.label);
    let lines: Vec<String> = p
        .citation
        .passage
        .trim()
        .lines()
        .map(clean)
        .filter(|l| !l.is_empty())
        .collect();
    let several = quoting.len() > 1;
    html! {
        li id={ "ref-" (label) } {
            @if !trail.is_empty() { span class="trail" { (Clean(&trail)) } }
            @if let Some(g) = &grade {
                @if !trail.is_empty() { ", " }
                span class="grade" { "grade " (Clean(g)) }
            }
            @if several { " ↩" }
            @for (i, k) in quoting.iter().enumerate() {
                " "
                a href={ "#cite-" (n) "-" (k) } class="backlink" aria-label=(
                    if several {
                        format!("Back to statement {} of {} quoting passage {label}", i + 1, quoting.len())
                    } else {
                        format!("Back to the statement quoting passage {label}")
                    }
                ) {
                    @if several { (i + 1) } @else { "↩" }
                }
            }
            details {
                summary { "Supporting passage" }
                blockquote {
                    @for (i, l) in lines.iter().enumerate() {
                        @if i > 0 { br; }
                        (Clean(l))
                    }
                }
            }
        }
    }
}
