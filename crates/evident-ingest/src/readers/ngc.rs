//! National Guideline Clearinghouse (NGC) summary XML.
//!
//! ```xml
//! <Version>
//!   <Section SecID="420" Name="Recommendations">
//!     <Field FieldID="151" Name="Major Recommendations" Type="text">
//!       <FieldValue Value="&lt;p&gt;…escaped HTML…&lt;/p&gt;" />
//!     </Field>
//!   </Section>
//! </Version>
//! ```
//!
//! One document per file (`ngc:{file stem}`). Each section is a level-1 heading and each kept
//! field a level-2 heading; a field's HTML keeps its own bold sub-headings (level 3) and tables.
//! Administrative fields (status, disclaimers, funding, committee, availability, …) are left out.

use evident_core::model::{collapse_ws, first_year};
use evident_core::{Audience, DocumentBuilder, Source, SourceKind};
use quick_xml::events::Event;

use super::medquad::{attr, position};
use crate::html::{append_blocks, html_to_blocks, html_to_text, Block};
use crate::{Confidence, Document, Error, Item, Reader, Result};

const FORMAT: &str = "NGC summary XML";

pub struct Ngc;

/// Fields that are metadata of the summary rather than guideline content.
const SKIP_FIELDS: &[&str] = &[
    "Guideline Title",
    "Guideline Status",
    "Date Released",
    "Guideline Developer(s)",
    "Guideline Endorser(s)",
    "Guideline Developer Comment",
    "Source(s) of Funding",
    "Guideline Committee",
    "Composition of Group That Authored the Guideline",
    "Financial Disclosures/Conflicts of Interest",
    "Guideline Availability",
    "Availability of Companion Documents",
    "Patient Resources",
    "NGC Status",
    "Copyright Statement",
    "NGC Disclaimer",
    "Adaptation",
    "Number of Source Documents",
    "IOM Care Need",
    "IOM Domain",
    "Implementation Tools",
];

/// Sections left out as a whole.
const SKIP_SECTIONS: &[&str] = &["Disclaimer", "NEATS Assessment"];

/// Field texts that say nothing.
const EMPTY_TEXTS: &[&str] = &[
    "None available",
    "None available.",
    "Not stated",
    "Not stated.",
];

impl Reader for Ngc {
    fn name(&self) -> &'static str {
        "ngc-xml"
    }

    fn sniff(&self, item: &Item) -> Confidence {
        let head = item.head(4096);
        if (head.contains("<Version") || head.contains("<Section SecID"))
            && head.contains("<FieldValue")
        {
            Confidence::Certain
        } else {
            Confidence::No
        }
    }

    fn read(&self, item: &Item) -> Result<Vec<Document>> {
        let text = item.text(FORMAT)?;
        let sections = parse(text).map_err(|why| Error::malformed(&item.path, FORMAT, why))?;
        if sections.is_empty() {
            return Err(Error::malformed(
                &item.path,
                FORMAT,
                "no <Section> elements",
            ));
        }
        let field = |name: &str| {
            sections
                .iter()
                .flat_map(|s| &s.fields)
                .find(|f| f.name == name && !f.values.iter().all(|v| v.trim().is_empty()))
        };
        let title = field("Guideline Title")
            .map(|f| html_to_text(&f.values.join(" ")))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| format!("NGC summary {}", item.stem()));

        let mut source = Source::new(format!("ngc:{}", item.stem()), title);
        source.publisher = field("Guideline Developer(s)").and_then(|f| {
            let orgs: Vec<String> = f
                .values
                .iter()
                .map(|v| organisation(&html_to_text(v)))
                .filter(|o| !o.is_empty())
                .collect();
            (!orgs.is_empty()).then(|| orgs.join("; "))
        });
        if let Some(date) = field("Date Released").map(|f| html_to_text(&f.values.join(" "))) {
            source.year = latest_year(&date);
            source.date = Some(date).filter(|d| !d.is_empty());
        }
        source.kind = SourceKind::Guideline;
        source.audience = Audience::Clinician;
        source.licence =
            Some("US government work (National Guideline Clearinghouse summary)".into());
        source.origin = item.path.clone();

        let mut b = DocumentBuilder::new(source);
        let mut seen_bibliography = false;
        for section in &sections {
            if SKIP_SECTIONS.contains(&section.name.as_str()) {
                continue;
            }
            let mut section_open = false;
            for f in &section.fields {
                if SKIP_FIELDS.contains(&f.name.as_str()) {
                    continue;
                }
                if f.name == "Bibliographic Source(s)" {
                    if seen_bibliography {
                        continue;
                    }
                    seen_bibliography = true;
                }
                let picklist = f.kind.starts_with("picklist") || f.kind.starts_with("orglist");
                let blocks: Vec<_> = if picklist {
                    f.values
                        .iter()
                        .map(|v| html_to_text(v))
                        .filter(|v| !v.is_empty())
                        .map(Block::ListItem)
                        .collect()
                } else {
                    f.values.iter().flat_map(|v| html_to_blocks(v)).collect()
                };
                let says_nothing = blocks.is_empty()
                    || (blocks.len() == 1 && EMPTY_TEXTS.contains(&blocks[0].text()));
                if says_nothing {
                    continue;
                }
                if !section_open {
                    b.heading(1, &section.name);
                    section_open = true;
                }
                b.heading(2, &f.name);
                // As html::append_html with base level 2: bold sub-headings become level 3.
                append_blocks(&mut b, &blocks, 2);
            }
        }
        Ok(vec![b.finish()])
    }
}

/// "Centers for Disease Control and Prevention - Federal Government Agency [U.S.]" →
/// "Centers for Disease Control and Prevention".
fn organisation(s: &str) -> String {
    let s = collapse_ws(s);
    match s.rsplit_once(" - ") {
        Some((name, kind))
            if [
                "Agency",
                "Panel",
                "Association",
                "Society",
                "Organization",
                "Institution",
            ]
            .iter()
            .any(|k| kind.contains(k))
                || kind.contains('[') =>
        {
            name.trim().to_string()
        }
        _ => s,
    }
}

/// The latest plausible year in a free-form date ("1996 (revised 2013 Mar 19)" → 2013).
fn latest_year(s: &str) -> Option<i32> {
    let mut best = None;
    let mut rest = s;
    while let Some(y) = first_year(rest) {
        best = best.max(Some(y));
        let ys = y.to_string();
        match rest.find(&ys) {
            Some(i) => rest = &rest[i + ys.len()..],
            None => break,
        }
    }
    best
}

#[derive(Debug, Default)]
struct NgcSection {
    name: String,
    fields: Vec<NgcField>,
}

#[derive(Debug, Default)]
struct NgcField {
    name: String,
    kind: String,
    /// HTML (text fields) or plain values (pick lists), entities of the XML layer decoded.
    values: Vec<String>,
}

fn parse(text: &str) -> std::result::Result<Vec<NgcSection>, String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut sections: Vec<NgcSection> = Vec::new();
    let mut depth: Vec<String> = Vec::new();
    loop {
        let event = reader.read_event().map_err(|e| {
            let pos = reader.error_position() as usize;
            format!("{e} {}", position(text, pos))
        })?;
        let (e, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                depth.pop();
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
        match name.as_str() {
            "Section" => sections.push(NgcSection {
                name: collapse_ws(&attr(&e, "Name").unwrap_or_default()),
                fields: Vec::new(),
            }),
            "Field" => {
                if sections.is_empty() {
                    sections.push(NgcSection::default());
                }
                if let Some(s) = sections.last_mut() {
                    s.fields.push(NgcField {
                        name: collapse_ws(&attr(&e, "Name").unwrap_or_default()),
                        kind: attr(&e, "Type").unwrap_or_default(),
                        values: Vec::new(),
                    });
                }
            }
            "FieldValue" => {
                if let Some(f) = sections.last_mut().and_then(|s| s.fields.last_mut()) {
                    if let Some(v) = attr(&e, "Value") {
                        f.values.push(v);
                    }
                }
            }
            _ => {}
        }
        if !empty {
            depth.push(name);
        }
    }
    if let Some(open) = depth.last() {
        return Err(format!(
            "unexpected end of input: <{open}> is not closed {}",
            position(text, text.len())
        ));
    }
    Ok(sections)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fixture() -> String {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/ngc-0001.xml"
        ))
        .unwrap()
    }

    #[test]
    fn reads_sections_fields_and_metadata() {
        let it = Item::new("summaries/ngc-0001.xml", fixture().into_bytes());
        assert_eq!(Ngc.sniff(&it), Confidence::Certain);
        let docs = Ngc.read(&it).unwrap();
        assert_eq!(docs.len(), 1);
        let doc = &docs[0];
        let s = &doc.source;
        assert_eq!(s.id, "ngc:ngc-0001");
        assert_eq!(
            s.title,
            "Screening for widget deficiency: example recommendation statement."
        );
        assert_eq!(
            s.publisher.as_deref(),
            Some("Example Task Force; Department of Examples")
        );
        assert_eq!(s.date.as_deref(), Some("1999 (revised 2014 Mar 3)"));
        assert_eq!(s.year, Some(2014));
        assert_eq!(s.url, None);
        assert_eq!(s.kind, SourceKind::Guideline);
        assert_eq!(s.audience, Audience::Clinician);

        let trails: Vec<String> = doc.sections.iter().map(|s| s.trail.join(" > ")).collect();
        assert_eq!(
            trails,
            [
                "General > Bibliographic Source(s)",
                "Recommendations > Major Recommendations",
                "Recommendations > Major Recommendations > Summary of Recommendations",
                "Recommendations > Major Recommendations > Definitions",
                "Scope > Disease/Condition(s)",
                "Scope > Intended Users",
                "Methodology > Rating Scheme for the Strength of the Recommendations",
            ]
        );
        let body = |i: usize| doc.section_text(&doc.sections[i]);
        assert_eq!(body(1), "The task force grades its recommendations.");
        assert!(body(2).contains("screen adults for widget deficiency (B recommendation)"));
        assert!(body(3).contains("A | Offer the service. | High certainty & substantial benefit."));
        assert_eq!(body(4), "- Widget deficiency");
        assert_eq!(body(5), "- Physicians\n\n- Nurses");
        // Administrative fields and empty or empty-saying fields are left out.
        assert!(!doc.text.contains("Guideline Status"));
        assert!(!doc.text.contains("Clinical Algorithm"));
        assert!(!doc.text.contains("Copyright"));
        assert!(!doc.text.contains("Disclaimer"));
        assert!(!doc.text.contains("alert("));
    }

    #[test]
    fn organisations_and_years() {
        assert_eq!(
            organisation(
                "Centers for Disease Control and Prevention - Federal Government Agency [U.S.]"
            ),
            "Centers for Disease Control and Prevention"
        );
        assert_eq!(
            organisation("Example Task Force - Independent Expert Panel"),
            "Example Task Force"
        );
        assert_eq!(organisation("Smith - Jones Clinic"), "Smith - Jones Clinic");
        assert_eq!(latest_year("1996 (revised 2013 Mar 19)"), Some(2013));
        assert_eq!(latest_year("2015 Jan 20"), Some(2015));
        assert_eq!(latest_year("undated"), None);
    }

    #[test]
    fn truncated_and_broken_xml_are_malformed() {
        let full = fixture();
        let cut = &full[..full.find("Name=\"Scope\"").unwrap()];
        let err = Ngc
            .read(&Item::new("ngc-0001.xml", cut.as_bytes().to_vec()))
            .unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::Malformed { .. }), "{msg}");
        assert!(
            msg.contains("NGC summary XML") && msg.contains("line"),
            "{msg}"
        );

        let broken = full.replacen("</Field>", "</Feld>", 1);
        let err = Ngc
            .read(&Item::new("ngc-0001.xml", broken.into_bytes()))
            .unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }), "{err}");

        let none = "<Version><xmlSource>x</xmlSource></Version>";
        let err = Ngc
            .read(&Item::new("ngc-2.xml", none.as_bytes().to_vec()))
            .unwrap_err();
        assert!(err.to_string().contains("no <Section>"), "{err}");
    }

    #[test]
    fn sniff_needs_ngc_marks() {
        assert_eq!(
            Ngc.sniff(&Item::new(
                "a.xml",
                b"<Document id=\"1\"><Focus>x</Focus>".to_vec()
            )),
            Confidence::No
        );
    }

    proptest! {
        #[test]
        fn read_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = Ngc.read(&Item::new("p.xml", bytes));
        }

        #[test]
        fn read_never_panics_on_mangled_fixture(cut in 0usize..6000, junk in "[<>&/ a-z\"=;-]{0,8}") {
            let full = fixture();
            let at = cut.min(full.len());
            let at = (0..=at).rev().find(|&i| full.is_char_boundary(i)).unwrap_or(0);
            let s = format!("{}{}{}", &full[..at], junk, &full[at..]);
            let _ = Ngc.read(&Item::new("p.xml", s.into_bytes()));
        }
    }
}
