//! Tests for the Markdown reader: front matter, NCI pages, body blocks, inline markup and fuzzing.

use super::*;
use evident_core::{Audience, SourceKind};
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
    // A link to an image is a prompt to view it and goes with the image; other links stay.
    assert_eq!(
        inline(
            "Rest helps.[Enlarge](https://e.org/f/12.JPG)![A knee](https://e.org/f/12-s.jpg) Ice"
        ),
        "Rest helps. Ice"
    );
    assert_eq!(
        inline("see [the chart](/charts/knee.html)"),
        "see the chart"
    );
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
