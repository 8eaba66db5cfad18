//! Unit and property tests for the MedQuAD XML reader.

use super::*;
use proptest::prelude::*;

const GOOD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document id="0000042_1" source="CancerGov" url="https://example.org/widget-syndrome">
<Focus>Widget Syndrome</Focus>
<FocusAnnotations><UMLS><CUIs><CUI>C000</CUI></CUIs></UMLS></FocusAnnotations>
<QAPairs>
	<QAPair pid="1">
		<Question qid="0000042_1-1" qtype="information">What is (are) Widget Syndrome ?</Question>
		<Answer>Key Points
                    - Widget syndrome is a made-up condition.    - It is used only in tests.     - Nobody has it.
                
                    Widget syndrome is a made-up condition.
                    It was invented for this fixture. It has three forms:          -  Mild widgets.    -  Severe widgets.         Most people have the mild form &amp; recover.</Answer>
	</QAPair>
	<QAPair pid="2">
		<Question qid="0000042_1-2" qtype="treatment">What are the treatments for Widget Syndrome ? ?</Question>
		<Answer>Rest is advised.
                
- drink water  - sleep well    Most people recover in a week.</Answer>
	</QAPair>
	<QAPair pid="3">
		<Question qid="0000042_1-3" qtype="outlook">What is the outlook for Widget Syndrome ?</Question>
		<Answer></Answer>
	</QAPair>
</QAPairs>
</Document>
"#;

fn item(path: &str, s: &str) -> Item {
    Item::new(path, s.as_bytes().to_vec())
}

#[test]
fn reads_pairs_as_sections() {
    let it = item("medquad/1_CancerGov_QA/0000042_1.xml", GOOD);
    assert_eq!(MedQuad.sniff(&it), Confidence::Certain);
    let docs = MedQuad.read(&it).unwrap();
    assert_eq!(docs.len(), 1);
    let doc = &docs[0];
    let s = &doc.source;
    assert_eq!(s.id, "medquad:CancerGov_0000042_1");
    assert_eq!(s.title, "Widget Syndrome");
    assert_eq!(s.publisher.as_deref(), Some("National Cancer Institute"));
    assert_eq!(
        s.url.as_deref(),
        Some("https://example.org/widget-syndrome")
    );
    assert_eq!(s.kind, SourceKind::PatientInformation);
    assert_eq!(s.audience, Audience::Patient);
    assert_eq!(s.licence.as_deref(), Some("CC BY 4.0 (MedQuAD)"));
    // The answer's own sub-headings: "Key Points", and the key point repeated before its part.
    assert_eq!(doc.sections.len(), 3);
    assert_eq!(
        doc.sections[0].trail,
        ["What is (are) Widget Syndrome?", "Key Points"]
    );
    assert_eq!(doc.sections[0].anchor.as_deref(), Some("0000042_1-1"));
    assert_eq!(
        doc.section_text(&doc.sections[0]),
        "- Widget syndrome is a made-up condition.\n\n\
             - It is used only in tests.\n\n\
             - Nobody has it."
    );
    assert_eq!(
        doc.sections[1].trail,
        [
            "What is (are) Widget Syndrome?",
            "Widget syndrome is a made-up condition."
        ]
    );
    assert_eq!(doc.sections[1].anchor.as_deref(), Some("0000042_1-1"));
    assert_eq!(
        doc.section_text(&doc.sections[1]),
        "It was invented for this fixture. It has three forms:\n\n\
             - Mild widgets.\n\n\
             - Severe widgets.\n\n\
             Most people have the mild form & recover."
    );
    assert_eq!(
        doc.sections[2].trail,
        ["What are the treatments for Widget Syndrome?"]
    );
    assert_eq!(doc.sections[2].anchor.as_deref(), Some("0000042_1-2"));
    assert_eq!(
        doc.section_text(&doc.sections[2]),
        "Rest is advised.\n\n- drink water\n\n- sleep well\n\nMost people recover in a week."
    );
}

#[test]
fn files_sharing_a_document_id_get_distinct_ids() {
    let doc = &MedQuad.read(&item("q/0000042_1_3.xml", GOOD)).unwrap()[0];
    assert_eq!(doc.source.id, "medquad:CancerGov_0000042_1_3");
    let doc = &MedQuad.read(&item("renamed.xml", GOOD)).unwrap()[0];
    assert_eq!(doc.source.id, "medquad:CancerGov_0000042_1");
}

#[test]
fn publishers_by_collection() {
    assert_eq!(
        publisher("MPlusHealthTopics").as_deref(),
        Some("MedlinePlus (NLM)")
    );
    assert_eq!(
        publisher("GHR").as_deref(),
        Some("Genetics Home Reference (NLM)")
    );
    assert_eq!(publisher("Other").as_deref(), Some("Other"));
    assert_eq!(publisher(""), None);
}

#[test]
fn single_spaced_dashes_stay_prose() {
    assert_eq!(
        answer_blocks("Signs include fever - sometimes high - and rash.", ""),
        [AnswerBlock::Paragraph(
            "Signs include fever - sometimes high - and rash.".to_string()
        )]
    );
}

#[test]
fn withheld_answers_are_empty_with_reason() {
    let xml = r#"<?xml version="1.0"?>
<Document id="0000003" source="ADAM" url="https://example.org/a">
 <!--answers removed-->
<Focus>Test</Focus>
<QAPairs><QAPair pid="1"><Question qid="0000003-1" qtype="information">What is Test ?</Question><Answer></Answer></QAPair></QAPairs>
</Document>"#;
    let err = MedQuad.read(&item("x/0000003.xml", xml)).unwrap_err();
    assert!(matches!(err, Error::Empty { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("MedQuAD answers are empty (answers withheld for this collection)"),
        "{err}"
    );
}

#[test]
fn older_ninds_schema_reads() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<doc docid="0000007" corpus="NINDS" url="https://example.org/n">
<doctitle-focus>Example Palsy</doctitle-focus>
<qaPairs>
<pair pid="1">
<question qid="0000007-1" qtype="information">what is example palsy ?</question>
<answer>Example palsy is fictional.  It has no cure.</answer>
</pair>
</qaPairs>
</doc>"#;
    let it = item("6_NINDS_QA/0000007.xml", xml);
    assert_eq!(MedQuad.sniff(&it), Confidence::Certain);
    let doc = &MedQuad.read(&it).unwrap()[0];
    assert_eq!(doc.source.id, "medquad:NINDS_0000007");
    assert_eq!(doc.source.title, "Example Palsy");
    assert_eq!(doc.sections[0].trail, ["what is example palsy?"]);
    assert_eq!(
        doc.section_text(&doc.sections[0]),
        "Example palsy is fictional. It has no cure."
    );
}

#[test]
fn disease_file_root_reads() {
    let xml = GOOD
        .replace("<Document id=", "<DiseaseFile fid=")
        .replace("</Document>", "</DiseaseFile>");
    let it = item("9_CDC_QA/0000042_1.xml", &xml);
    assert_eq!(MedQuad.sniff(&it), Confidence::Certain);
    let doc = &MedQuad.read(&it).unwrap()[0];
    assert_eq!(doc.source.id, "medquad:CancerGov_0000042_1");
    assert_eq!(doc.sections.len(), 3);
}

#[test]
fn truncated_xml_is_malformed_with_position() {
    let cut = &GOOD[..GOOD.find("<QAPair pid=\"2\">").unwrap()];
    let err = MedQuad.read(&item("t.xml", cut)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Malformed { .. }), "{msg}");
    assert!(msg.contains("not closed") && msg.contains("line"), "{msg}");

    let cut = &GOOD[..GOOD.find("qtype=\"treatment\"").unwrap()];
    let err = MedQuad.read(&item("t.xml", cut)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Malformed { .. }), "{msg}");
    assert!(msg.contains("MedQuAD XML") && msg.contains("byte"), "{msg}");

    let bad = GOOD.replace("</Question>", "</Questio>");
    let err = MedQuad.read(&item("t.xml", &bad)).unwrap_err();
    assert!(matches!(err, Error::Malformed { .. }), "{err}");
}

#[test]
fn sniff_ignores_other_xml() {
    assert_eq!(
        MedQuad.sniff(&item("a.xml", "<Version><Section SecID=\"1\">")),
        Confidence::No
    );
    assert_eq!(MedQuad.sniff(&item("a.md", "# Document\n")), Confidence::No);
}

proptest! {
    #[test]
    fn read_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = MedQuad.read(&Item::new("p.xml", bytes));
    }

    #[test]
    fn read_never_panics_on_mangled_fixture(cut in 0usize..2000, junk in "[<>&/ a-z\"=-]{0,8}") {
        let at = cut.min(GOOD.len());
        let at = (0..=at).rev().find(|&i| GOOD.is_char_boundary(i)).unwrap_or(0);
        let s = format!("{}{}{}", &GOOD[..at], junk, &GOOD[at..]);
        let _ = MedQuad.read(&Item::new("p.xml", s.into_bytes()));
    }
}
