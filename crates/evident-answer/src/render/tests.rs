//! Tests of the three renderings on a small sample answer, an abstention and hostile text.

use super::markdown::MD_QUOTE_CHARS;
use super::text::{wrap, TEXT_QUOTE_CHARS};
use super::*;
use evident_core::{
    Answer, AnswerSection, Audience, Citation, QuestionAnalysis, SourceKind, Statement,
    ANSWER_SCHEMA_VERSION,
};
use proptest::prelude::*;

fn st(text: &str, citations: &[u32]) -> Statement {
    Statement {
        text: text.into(),
        citations: citations.to_vec(),
        glosses: vec![],
        editor_written: false,
        model_written: false,
        check: None,
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
        generation: None,
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
        "\n1. NAM guideline. Example Society, 2021. Guideline. https://example.org/nam\n    - 1a. Section: Treatment › First line.\n      > NAM needs"
    ));
    assert!(md.contains("\n2. Myositis review. Example Society, 2022. Guideline.\n    - 2a. Section: Treatment › First line.\n      > "));
    assert!(
        md.ends_with("\n\nFor education only; not a substitute for professional advice.\n")
            || md.ends_with("\n\nFor education only; not a substitute for professional advice.")
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
        .find(|l| l.starts_with("      > Line one."))
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
    assert!(h.contains("<p class=\"lead\"><strong>NAM needs several immunosuppressive agents.</strong><sup><a href=\"#ref-1\" id=\"cite-1-1\" class=\"citation\" title=\"Passage 1a\">1</a>,<a href=\"#ref-2\" id=\"cite-2-1\" class=\"citation\" title=\"Passage 2a\">2</a></sup>"));
    assert!(h.contains("<section><h2>First-line therapy</h2><ul><li>Statin myopathy needs combined therapy.<sup><a href=\"#ref-1\" id=\"cite-1-2\""));
    assert!(h.contains(" <span class=\"gloss\">(myopathy: muscle disease)</span></li>"));
    assert!(h.contains("<section class=\"references\"><h2>References</h2><ol>"));
    assert!(h.contains("<li id=\"ref-1\" value=\"1\"><span class=\"kind\">Guideline</span> <cite>NAM guideline</cite>, <span class=\"publisher\">Example Society</span>, <span class=\"year\">2021</span>, <a href=\"https://example.org/nam\" rel=\"noopener nofollow\">link</a>"));
    assert!(h.contains("<ol class=\"passages\" type=\"a\"><li id=\"ref-1a\"><span class=\"trail\">Treatment › First line</span> ↩ <a href=\"#cite-1-1\" class=\"backlink\" aria-label=\"Back to statement 1 of 3 quoting passage 1a\">1</a> <a href=\"#cite-1-2\" class=\"backlink\" aria-label=\"Back to statement 2 of 3 quoting passage 1a\">2</a> <a href=\"#cite-1-3\" class=\"backlink\" aria-label=\"Back to statement 3 of 3 quoting passage 1a\">3</a><details>"), "{h}");
    assert!(h.contains("<details><summary>Supporting passage</summary><blockquote>NAM needs"));
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
    assert!(t.contains("\nReferences\n----------\n[1] NAM guideline. Example Society, 2021. Guideline.\n    https://example.org/nam\n    1a. Section: Treatment › First line.\n        \"x x"));
    assert!(t.contains(
        "[2] Myositis review. Example Society, 2022. Guideline.\n    2a. Section: Treatment › First line.\n        \"NAM needs"
    ));
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
        .filter(|l| l.starts_with("        \"x") || l.starts_with("        x"))
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

#[test]
fn html_page_frame_shows_review_marks_labels_and_grade() {
    let mut a = sample();
    a.sections[1].statements[0].editor_written = true;
    a.reading_grade = Some(8.2);
    let h = html::answer(&a, &HtmlOptions::PAGE).into_string();
    assert!(h.starts_with(
        "<div class=\"answer\" data-audience=\"patient\" data-abstained=\"false\">\n<p class=\"urgent\" role=\"alert\"><strong>Urgent:</strong> Call"
    ), "{h}");
    assert!(
        !h.contains("<h1") && !h.contains("class=\"disclaimer\""),
        "the page shows these"
    );
    assert!(h.contains("<p class=\"lead\"><strong>NAM needs several immunosuppressive agents.</strong><sup class=\"cites\"><a href=\"#ref-1\" id=\"cite-1-1\" class=\"citation\" aria-label=\"Reference 1\" title=\"Passage 1a\">1</a>,"));
    assert!(h.contains("<section class=\"answer-section\"><h2>Refractory disease</h2><ul><li>Consider rituximab.<span class=\"editor-written\" title=\"Written by an editor during review, not quoted from the source\">editor-written</span><sup class=\"cites\">"));
    assert!(h.contains("<p class=\"meta reading-grade\">Reading level: about grade 8</p>\n"));
    assert!(h.contains("<section class=\"references\" aria-labelledby=\"references-h\"><h2 id=\"references-h\">References</h2><ol>\n<li id=\"ref-1\" value=\"1\">"));
    assert!(h.contains(", <a class=\"source-link\" href=\"https://example.org/nam\" rel=\"noopener noreferrer nofollow\">https://example.org/nam</a> <a href=\"#cite-1-1\" class=\"backlink\" aria-label=\"Back to the first citation of reference 1\">↩</a>"));
    assert!(h.ends_with("</ol></section>\n</div>\n"), "{h}");
    assert_well_nested(&h);
    // The standalone fragment has none of the page's marks.
    let standalone = html(&a);
    assert!(!standalone.contains("editor-written") && !standalone.contains("Reading level"));
}

#[test]
fn html_marks_model_written_statements_and_says_why_the_model_article_was_not_used() {
    let mut a = sample();
    a.lead[0].model_written = true;
    a.lead[0].check = Some(evident_core::SupportCheck {
        supported: true,
        reason_code: None,
        reason: None,
    });
    let h = html::answer(&a, &HtmlOptions::PAGE).into_string();
    assert!(h.contains("<strong>NAM needs several immunosuppressive agents.</strong><span class=\"model-written\" title=\"Written by a language model from the cited passages and checked against them, not quoted\">model-written</span><sup class=\"cites\">"), "{h}");
    assert_eq!(h.matches("class=\"model-written\"").count(), 1);
    assert!(!h.contains("generation-fallback"));
    assert!(
        html(&a).contains("class=\"model-written\""),
        "standalone too"
    );

    a.lead[0].model_written = false;
    a.generation = Some(evident_core::GenerationReport {
        model: "openai:m".into(),
        fallback: Some(
            "the model failed (the server at http://10.0.0.7/v1 answered 503 (busy)); the quoted article is shown"
                .into(),
        ),
        ..Default::default()
    });
    let h = html::answer(&a, &HtmlOptions::PAGE).into_string();
    assert!(h.contains("<p class=\"urgent\" role=\"alert\">"), "{h}");
    assert!(h.contains("<p class=\"notice generation-fallback\" role=\"note\"><strong>The model-written article could not be used:</strong> the model failed; the quoted article is shown.</p>\n<p class=\"lead\">"), "{h}");
    assert!(
        !h.contains("10.0.0.7"),
        "the page leaves the backend's details out"
    );
    let standalone = html(&a);
    assert!(standalone.contains("the model failed (the server at http://10.0.0.7/v1 answered 503 (busy)); the quoted article is shown."), "{standalone}");
    // A reason that does not say what is shown is completed.
    a.generation.as_mut().unwrap().fallback = Some("the model timed out.".into());
    let h = html::answer(&a, &HtmlOptions::PAGE).into_string();
    assert!(
        h.contains("</strong> the model timed out; the quoted statements are shown.</p>"),
        "{h}"
    );
    // Hostile reasons are escaped.
    a.generation.as_mut().unwrap().fallback = Some("<script>x</script>".into());
    let h = html::answer(&a, &HtmlOptions::PAGE).into_string();
    assert!(
        !h.contains("<script") && h.contains("&lt;script&gt;"),
        "{h}"
    );
}

#[test]
fn public_fallback_drops_nested_details() {
    assert_eq!(
        html::public_fallback("the model failed (a (b) c); the quoted article is shown"),
        "the model failed; the quoted article is shown"
    );
    assert_eq!(
        html::public_fallback("only 1 of the model's 4 sentences passed"),
        "only 1 of the model's 4 sentences passed"
    );
    assert_eq!(html::public_fallback("odd ) (unclosed"), "odd )");
}

#[test]
fn html_page_abstention_gives_the_reason_and_links_topics() {
    let h = html::answer(&abstention(), &HtmlOptions::PAGE).into_string();
    assert!(h.contains("data-abstained=\"true\""));
    assert!(h.contains("<p class=\"lead abstention\">The library does not contain"));
    assert!(h.contains("<p class=\"notice abstention-reason\"><strong>Why there is no answer:</strong> no passage addresses nirsevimab</p>"));
    assert!(h.contains("<ul><li><a href=\"/?q=Bronchiolitis%20in%20infants\">Bronchiolitis in infants</a></li><li><a href=\"/?q=RSV%20vaccination\">RSV vaccination</a></li></ul>"));
    let standalone = html(&abstention());
    assert!(!standalone.contains("Why there is no answer") && !standalone.contains("href=\"/?q="));
}

#[test]
fn html_heading_level_moves_every_heading() {
    let o = HtmlOptions {
        heading_level: 3,
        ..HtmlOptions::STANDALONE
    };
    let h = html::answer(&sample(), &o).into_string();
    assert!(h.contains("<h2>What is the treatment for NAM?</h2>"), "{h}");
    assert!(h.contains("<section><h3>First-line therapy</h3>"));
    assert!(h.contains("<h3>References</h3>"));
    assert!(!h.contains("<h1") && !h.contains("<h2>References"));
}

#[test]
fn html_page_frame_is_safe_against_hostile_text() {
    for abstained in [false, true] {
        let mut a = hostile();
        a.abstained = abstained;
        a.abstention_reason = a.disclaimer.clone().into();
        let h = html::answer(&a, &HtmlOptions::PAGE).into_string();
        assert!(!h.to_lowercase().contains("<script"), "{h}");
        assert!(
            !h.contains("rel=\"noopener"),
            "neither URL is safe to link: {h}"
        );
        assert_no_script_in_tags(&h);
        assert_well_nested(&h);
    }
}

#[test]
fn url_encode_keeps_only_unreserved_characters() {
    assert_eq!(url_encode("a b&c"), "a%20b%26c");
    assert_eq!(url_encode("A-z_0.9~"), "A-z_0.9~");
    assert_eq!(url_encode("é/?#"), "%C3%A9%2F%3F%23");
}

#[test]
fn clean_folds_whitespace_and_control_characters() {
    assert_eq!(clean("  a \t\n b\u{1b}[0m c\u{2028}d  "), "a b [0m c d");
    assert_eq!(clean("\u{0}\u{7f}"), "");
}

/// The plain definitions the fast `clean`, `escape` and `Clean` must agree with.
fn clean_reference(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn escape_reference(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

proptest! {
    #[test]
    fn clean_and_escape_match_their_definitions(
        s in "([ \t\r\n\u{0}\u{1b}\u{7f}\u{85}\u{a0}\u{2028}\u{2029}\u{3000}&<>\"'a-zé€🙂]|[^\u{0}]){0,40}"
    ) {
        prop_assert_eq!(clean(&s), clean_reference(&s));
        prop_assert_eq!(escape(&s), escape_reference(&s));
        let mut spliced = String::new();
        maud::Render::render_to(&super::Clean(&s), &mut spliced);
        prop_assert_eq!(spliced, escape_reference(&clean_reference(&s)));
    }
}

/// The sample with "Consider rituximab." quoted from a second passage of the NAM guideline:
/// reference 1 has passages 1a and 1b, reference 2 one passage.
fn two_passages() -> Answer {
    let mut a = sample();
    let mut second = citation(1, "NAM guideline", Some("https://example.org/nam"), "");
    second.passage_id = "s1#2".into();
    second.trail = vec!["Treatment".into(), "Refractory disease".into()];
    second.passage = "Consider rituximab. Consider cyclophosphamide.".into();
    a.citations[0].passage = "NAM needs several immunosuppressive agents. Statin myopathy needs \
                              combined therapy."
        .into();
    a.citations.insert(1, second);
    assert_eq!(a.verify(), Ok(()));
    a
}

#[test]
fn a_source_quoted_twice_is_one_reference_with_both_passages_under_it() {
    let a = two_passages();
    let md = markdown(&a);
    assert_eq!(md.matches("NAM guideline.").count(), 1, "{md}");
    assert!(md.contains(
        "\n1. NAM guideline. Example Society, 2021. Guideline. https://example.org/nam\n    \
         - 1a. Section: Treatment › First line.\n      > NAM needs several immunosuppressive \
         agents. Statin myopathy needs combined therapy.\n    - 1b. Section: Treatment › \
         Refractory disease.\n      > Consider rituximab. Consider cyclophosphamide.\n\n2. \
         Myositis review."
    ));
    assert!(md.contains("\n- Consider rituximab. [1]\n"));

    let t = text(&a);
    assert_eq!(t.matches("NAM guideline.").count(), 1, "{t}");
    assert!(t.contains(
        "[1] NAM guideline. Example Society, 2021. Guideline.\n    https://example.org/nam\n    \
         1a. Section: Treatment › First line.\n        \"NAM needs several immunosuppressive \
         agents. Statin myopathy needs combined therapy.\"\n    1b. Section: Treatment › \
         Refractory disease.\n        \"Consider rituximab. Consider cyclophosphamide.\"\n\n[2] \
         Myositis review."
    ));

    let h = html(&a);
    assert_eq!(h.matches("<cite>NAM guideline</cite>").count(), 1, "{h}");
    // The marker links to the reference and names the exact passage; the passage links back.
    assert!(h.contains("<li>Consider rituximab.<sup><a href=\"#ref-1\" id=\"cite-1-3\" class=\"citation\" title=\"Passage 1b\">1</a></sup></li>"), "{h}");
    let one_b = h.split("<li id=\"ref-1b\">").nth(1).unwrap();
    let one_b = one_b.split("</li>").next().unwrap();
    assert!(one_b.starts_with("<span class=\"trail\">Treatment › Refractory disease</span> <a href=\"#cite-1-3\" class=\"backlink\" aria-label=\"Back to the statement quoting passage 1b\">↩</a><details>"), "{one_b}");
    assert!(
        one_b.contains("<blockquote>Consider rituximab. Consider cyclophosphamide.</blockquote>")
    );
    let one_a = h.split("<li id=\"ref-1a\">").nth(1).unwrap();
    let one_a = one_a.split("<details>").next().unwrap();
    assert_eq!(
        one_a.matches("class=\"backlink\"").count(),
        2,
        "the lead and the first-line statement quote 1a: {one_a}"
    );
    for id in ["ref-1", "ref-1a", "ref-1b", "ref-2", "ref-2a"] {
        assert_eq!(h.matches(&format!(" id=\"{id}\"")).count(), 1, "{id}");
    }
    assert_well_nested(&h);
}

#[test]
fn editor_words_cite_the_reference_without_naming_a_passage() {
    let mut a = two_passages();
    a.sections[1].statements[0].text = "Rituximab, in the editor's words.".into();
    a.sections[1].statements[0].editor_written = true;
    let h = html::answer(&a, &HtmlOptions::PAGE).into_string();
    assert!(h.contains("<a href=\"#ref-1\" id=\"cite-1-3\" class=\"citation\" aria-label=\"Reference 1\">1</a>"), "{h}");
    let one_b = h.split("<li id=\"ref-1b\">").nth(1).unwrap();
    assert!(
        one_b.starts_with("<span class=\"trail\">Treatment › Refractory disease</span><details>"),
        "{one_b}"
    );
}

#[test]
fn a_stored_schema_1_answer_renders_one_reference_per_source() {
    // As the review workflow stored it before version 2: a number per passage.
    let mut v1 = serde_json::to_value(two_passages()).unwrap();
    v1["schema_version"] = 1.into();
    for (i, c) in v1["citations"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        c["number"] = (i + 1).into();
    }
    v1["sections"][1]["statements"][0]["citations"] = serde_json::json!([2]);
    v1["lead"][0]["citations"] = serde_json::json!([1, 3]);
    v1["lead"][1]["citations"] = serde_json::json!([3]);
    v1["sections"][0]["statements"][1]["citations"] = serde_json::json!([3]);
    let a: Answer = serde_json::from_value(v1).unwrap();
    assert_eq!(a, two_passages());
    let md = markdown(&a);
    assert_eq!(md.matches("NAM guideline.").count(), 1, "{md}");
    assert!(md.contains("\n- Consider rituximab. [1]\n"));
}
