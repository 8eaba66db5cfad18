//! Tests for the HTML converter: tokenizer, blocks, sub-headings, entities and fuzzing.

use super::*;
use evident_core::Source;
use proptest::prelude::*;

fn p(s: &str) -> Block {
    Block::Paragraph(s.to_string())
}
fn li(s: &str) -> Block {
    Block::ListItem(s.to_string())
}
fn h(l: u8, s: &str) -> Block {
    Block::Heading(l, s.to_string())
}

#[test]
fn headings_paragraphs_and_lists() {
    let html = "<h1>Gout</h1><p>Uric acid   crystals.</p><h2>Treatment</h2>\
                    <ul><li>Allopurinol</li><li>Colchicine <em>low</em> dose</li></ul><p>End.</p>";
    assert_eq!(
        html_to_blocks(html),
        [
            h(1, "Gout"),
            p("Uric acid crystals."),
            h(2, "Treatment"),
            li("Allopurinol"),
            li("Colchicine low dose"),
            p("End.")
        ]
    );
}

#[test]
fn block_tags_and_br_break_blocks_inline_tags_do_not() {
    let html = "<div>one<br>two</div><div>th<span>re</span>e<br/>four</div>";
    assert_eq!(
        html_to_blocks(html),
        [p("one"), p("two"), p("three"), p("four")]
    );
}

#[test]
fn table_rows_are_blocks_with_cells_joined() {
    let html = "<table><tr><th>Grade</th><th>Meaning</th></tr>\
                    <tr><td>A</td><td>Recommended.</td></tr></table>";
    assert_eq!(
        html_to_blocks(html),
        [p("Grade | Meaning"), p("A | Recommended.")]
    );
}

#[test]
fn list_item_with_paragraphs_and_nested_lists() {
    let html =
        "<ol><li><p>First step.</p><ul><li>detail</li></ul>more of first</li></ol><p>After.</p>";
    assert_eq!(
        html_to_blocks(html),
        [
            li("First step."),
            li("detail"),
            li("more of first"),
            p("After.")
        ]
    );
}

#[test]
fn unclosed_list_items_do_not_leak_past_the_list() {
    let html = "<ul><li>a<li>b</ul><p>c</p>";
    assert_eq!(html_to_blocks(html), [li("a"), li("b"), p("c")]);
}

#[test]
fn scripts_styles_head_and_comments_are_dropped() {
    let html = "<html><head><title>T</title><style>p{color:red}</style></head><body>\
                    <script>var a = 1 < 2; document.write('<p>evil</p>');</script>\
                    <noscript>enable js</noscript><template><p>tpl</p></template>\
                    <!-- a comment <p>hidden</p> --><p>Visible</p></body></html>";
    assert_eq!(html_to_blocks(html), [p("Visible")]);
}

#[test]
fn implicit_head_close_and_unclosed_script() {
    assert_eq!(
        html_to_blocks("<head><meta charset=utf-8><body><p>Text</p>"),
        [p("Text")]
    );
    assert_eq!(
        html_to_blocks("<p>Before</p><script>alert('x') <p>never"),
        [p("Before")]
    );
}

#[test]
fn attributes_never_become_text() {
    let html = r#"<p onclick="alert('x')">Click <a href="javascript:alert(1)" title="t>t">here</a>
                      <img src=x onerror="steal()" alt="alt text"></p>"#;
    let blocks = html_to_blocks(html);
    assert_eq!(blocks, [p("Click here")]);
}

#[test]
fn unknown_tags_are_stripped() {
    assert_eq!(
        html_to_blocks("<p>a <foo-bar x=1>b</foo-bar> <o:p>c</o:p></p>"),
        [p("a b c")]
    );
}

#[test]
fn short_bold_paragraphs_are_sub_headings() {
    let html = "<p><strong><span>Summary of Recommendations</span></strong></p>\
                    <p>Screen adults.</p>\
                    <p><strong>Note</strong>: not a heading.</p>\
                    <p><b>A bold sentence that ends with a period.</b></p>\
                    <p><strong>one two three four five six seven eight nine ten eleven twelve thirteen</strong></p>";
    assert_eq!(
        html_to_blocks(html),
        [
            h(1, "Summary of Recommendations"),
            p("Screen adults."),
            p("Note: not a heading."),
            p("A bold sentence that ends with a period."),
            p("one two three four five six seven eight nine ten eleven twelve thirteen"),
        ]
    );
}

#[test]
fn sub_heading_levels_follow_real_headings() {
    let html = "<h2>Rationale</h2><h3>Importance</h3><p><b>Detail</b></p><p>x</p>";
    assert_eq!(
        html_to_blocks(html),
        [
            h(2, "Rationale"),
            h(3, "Importance"),
            h(4, "Detail"),
            p("x")
        ]
    );
}

#[test]
fn bold_table_rows_and_list_items_are_not_headings() {
    let html =
        "<table><tr><td><b>A</b></td><td><b>B</b></td></tr></table><ul><li><b>Item</b></li></ul>";
    assert_eq!(html_to_blocks(html), [p("A | B"), li("Item")]);
}

#[test]
fn citation_superscripts_dropped_exponents_kept() {
    let html = "<p>A review<sup>2</sup> found it.<sup>12,13</sup> BMI 30 kg/m<sup>2</sup>; \
                    <em>I</em><sup>2</sup> = 40%; 10<sup>9</sup> cells; 5<sup>th</sup> day<sup><a href='#n'>a</a></sup>.</p>";
    assert_eq!(
        html_to_blocks(html),
        [p(
            "A review found it. BMI 30 kg/m^2; I^2 = 40%; 10^9 cells; 5th day."
        )]
    );
}

#[test]
fn append_html_relevels_headings() {
    let mut b = DocumentBuilder::new(Source::new("t:1", "T"));
    b.heading(1, "Recommendations");
    b.heading(2, "Major Recommendations");
    append_html(
        &mut b,
        "<p>Intro.</p><p><strong>Screening</strong></p><p>Do it.</p>",
        2,
    );
    append_html(
        &mut b,
        "<h2>Rationale</h2><h3>Importance</h3><p>Big.</p>",
        0,
    );
    let doc = b.finish();
    let trails: Vec<String> = doc.sections.iter().map(|s| s.trail.join(" > ")).collect();
    assert_eq!(
        trails,
        [
            "Recommendations > Major Recommendations",
            "Recommendations > Major Recommendations > Screening",
            "Rationale > Importance"
        ]
    );
}

#[test]
fn append_html_flat_keeps_one_section() {
    let mut b = DocumentBuilder::new(Source::new("t:1", "T"));
    b.heading(1, "Rec");
    append_html_flat(&mut b, "<h2>Odd</h2><p>Text.</p><ul><li>x</li></ul>");
    let doc = b.finish();
    assert_eq!(doc.sections.len(), 1);
    assert_eq!(doc.section_text(&doc.sections[0]), "Odd\n\nText.\n\n- x");
}

#[test]
fn entities_named_and_numeric() {
    assert_eq!(
        decode_entities("a&nbsp;b &amp; &lt;p&gt; &quot;q&quot; &apos;s&apos;"),
        "a b & <p> \"q\" 's'"
    );
    assert_eq!(
        decode_entities("&ndash;&mdash;&rsquo;&lsquo;&ldquo;&rdquo;&hellip;"),
        "–—’‘“”…"
    );
    assert_eq!(
        decode_entities("&ge;&le;&deg;&micro;&times;&plusmn;"),
        "≥≤°µ×±"
    );
    assert_eq!(decode_entities("&#176;&#xB0;&#XB0;&#39;"), "°°°'");
    assert_eq!(decode_entities("&#150;&#146;"), "–’");
    assert_eq!(
        decode_entities("&#0;&#xD800;&#99999999999;"),
        "\u{FFFD}\u{FFFD}\u{FFFD}"
    );
    assert_eq!(
        decode_entities("AT&T &unknown; & ;&#; &#xZZ; &amp"),
        "AT&T &unknown; & ;&#; &#xZZ; &amp"
    );
    assert_eq!(decode_entities("&amp;lt;"), "&lt;");
}

#[test]
fn entities_in_text_become_plain_characters_not_markup() {
    assert_eq!(
        html_to_blocks("<p>&lt;script&gt;alert(1)&lt;/script&gt; &ge; 5</p>"),
        [p("<script>alert(1)</script> ≥ 5")]
    );
}

#[test]
fn attribute_parsing() {
    let Token::Start { attrs, .. } =
        tokens(r#"<meta property="og:url" content='https://x.org/a?b=1&amp;c=2' data-x=y hidden>"#)
            .remove(0)
    else {
        panic!("expected a start tag")
    };
    assert_eq!(
        attributes(attrs),
        [
            ("property".to_string(), "og:url".to_string()),
            ("content".to_string(), "https://x.org/a?b=1&c=2".to_string()),
            ("data-x".to_string(), "y".to_string()),
            ("hidden".to_string(), String::new()),
        ]
    );
}

#[test]
fn stray_angle_brackets_are_text() {
    assert_eq!(
        html_to_blocks("<p>a < b and c > d, 3<4</p>"),
        [p("a < b and c > d, 3<4")]
    );
    assert_eq!(
        html_to_text("<div>Title <b>here</b></div><p>more</p>"),
        "Title here more"
    );
}

#[test]
fn never_panics_on_edge_cases() {
    for s in [
        "",
        "<",
        "</",
        "<!",
        "<!--",
        "<a",
        "<a href='",
        "</p",
        "<sup>",
        "<sup>1",
        "&",
        "&#",
        "&#x",
        "<script",
        "<script>",
        "<title>",
        "<td>x<td>",
        "é<b>é</b>é",
        "<é>",
        "</é>",
        "<p\u{301}>",
        "<h1><h2>x</h1></h2>",
        "<li></ul></ul></li>",
    ] {
        let _ = html_to_blocks(s);
    }
}

fn tag_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<p>".to_string()),
        Just("</p>".to_string()),
        Just("<li>".to_string()),
        Just("</li>".to_string()),
        Just("<ul>".to_string()),
        Just("</ul>".to_string()),
        Just("<strong>".to_string()),
        Just("</strong>".to_string()),
        Just("<sup>".to_string()),
        Just("</sup>".to_string()),
        Just("<script>".to_string()),
        Just("</script>".to_string()),
        Just("<td>".to_string()),
        Just("<tr>".to_string()),
        Just("<br/>".to_string()),
        Just("<!--".to_string()),
        Just("-->".to_string()),
        Just("<h3>".to_string()),
        Just("</h3>".to_string()),
        Just("<a href=\"".to_string()),
        Just("\">".to_string()),
        Just("&amp;".to_string()),
        Just("&#x".to_string()),
        "[a-z .é<>&;/\"'=-]{0,12}",
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC*") {
        let blocks = html_to_blocks(&s);
        for b in &blocks {
            prop_assert!(!b.text().is_empty());
        }
        let _ = decode_entities(&s);
    }

    #[test]
    fn random_tag_soup_never_panics(s in tag_soup()) {
        let blocks = html_to_blocks(&s);
        let mut b = DocumentBuilder::new(Source::new("t:1", "T"));
        append_blocks(&mut b, &blocks, 0);
        let _ = b.finish();
        for blk in &blocks {
            prop_assert!(!blk.text().trim().is_empty());
        }
    }
}
