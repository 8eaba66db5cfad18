//! Tests of parsing, streaming, checking and arranging, with a scripted generator standing in for
//! the model (the embedded model itself is exercised by `crates/evident/tests/it/generative.rs`).

use std::ops::ControlFlow;
use std::sync::Mutex;
use std::time::Duration;

use evident_core::{
    Answer, AnswerSection, Audience, Citation, QuestionAnalysis, SourceKind, Statement,
    ANSWER_SCHEMA_VERSION,
};
use evident_generate::{Finish, Generation, Generator, Request};

use super::*;

/// Streams a fixed text in pieces of `piece` bytes (at char boundaries), or fails.
struct Scripted {
    text: String,
    piece: usize,
    fail: bool,
    seen: Mutex<Option<Request>>,
}

impl Scripted {
    fn new(text: &str, piece: usize) -> Scripted {
        Scripted {
            text: text.into(),
            piece,
            fail: false,
            seen: Mutex::new(None),
        }
    }
}

impl Generator for Scripted {
    fn generate(
        &self,
        req: &Request,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> evident_generate::Result<Generation> {
        *self.seen.lock().unwrap() = Some(req.clone());
        if self.fail {
            return Err(evident_generate::Error::Timeout {
                url: "http://127.0.0.1:9/v1".into(),
                after_ms: 5,
            });
        }
        let mut finish = Finish::Stop;
        let mut sent = String::new();
        let mut rest = self.text.as_str();
        while !rest.is_empty() {
            let mut cut = self.piece.min(rest.len());
            while !rest.is_char_boundary(cut) {
                cut += 1;
            }
            let (piece, tail) = rest.split_at(cut);
            sent.push_str(piece);
            rest = tail;
            if on_text(piece).is_break() {
                finish = Finish::Cancelled;
                break;
            }
        }
        Ok(Generation {
            text: sent,
            model: "scripted".into(),
            prompt_tokens: 100,
            completion_tokens: 40,
            time_to_first_token: Duration::from_millis(10),
            elapsed: Duration::from_millis(50),
            finish,
        })
    }

    fn describe(&self) -> String {
        "scripted".into()
    }
}

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

fn citation(number: u32, source: &str, passage: &str) -> Citation {
    Citation {
        number,
        passage_id: format!("{source}#{}", passage.len()),
        source_id: source.into(),
        title: format!("Guideline {source}"),
        publisher: None,
        year: None,
        kind: SourceKind::Guideline,
        kind_label: "Guideline".into(),
        url: None,
        trail: vec![],
        grade: None,
        passage: passage.into(),
    }
}

const GOUT: &str = "Allopurinol is the first-line urate-lowering drug for gout. \
                    Start allopurinol at 100 mg daily and raise the dose every 2 to 4 weeks.";
const FLARE: &str = "Treat a gout flare with colchicine, an NSAID or a corticosteroid. \
                     Low-dose colchicine is 1.2 mg followed by 0.6 mg an hour later.";

/// A grounded answer about gout quoting two sources.
fn grounded() -> Answer {
    Answer {
        schema_version: ANSWER_SCHEMA_VERSION,
        id: "a1".into(),
        question: "How is gout treated?".into(),
        audience: Audience::Clinician,
        analysis: QuestionAnalysis::default(),
        abstained: false,
        abstention_reason: None,
        nearest_topics: vec![],
        urgent_notice: None,
        title: "Gout: treatment".into(),
        lead: vec![st(
            "Allopurinol is the first-line urate-lowering drug for gout.",
            &[1],
        )],
        sections: vec![
            AnswerSection {
                heading: "Urate-lowering therapy".into(),
                statements: vec![st(
                    "Start allopurinol at 100 mg daily and raise the dose every 2 to 4 weeks.",
                    &[1],
                )],
            },
            AnswerSection {
                heading: "Flares".into(),
                statements: vec![st(
                    "Treat a gout flare with colchicine, an NSAID or a corticosteroid.",
                    &[2],
                )],
            },
        ],
        citations: vec![citation(1, "acr", GOUT), citation(2, "eular", FLARE)],
        questions_to_ask: vec![],
        reading_grade: None,
        disclaimer: String::new(),
        composer: "grounded".into(),
        generation: None,
        took_ms: 1.0,
    }
}

const WRITTEN: &str =
    "- Guideline acr: **Allopurinol** is the first-line drug to lower urate in gout [1].\n\
    Allopurinol is started at 100 mg daily, and the dose is raised every 2 to 4 weeks. [1]\n\
    Allopurinol is started at 300 mg daily [1].\n\
    A gout flare is treated with colchicine, an NSAID or a corticosteroid [2]. \
    Low-dose colchicine is 1.2 mg, then 0.6 mg an hour later [2][1].\n\
    Febuxostat is always safe in heart disease.\n\
    Colchicine cures gout in most people [7].";

#[test]
fn sentences_that_pass_are_published_and_the_rest_withheld_with_their_reason() {
    let g = grounded();
    let model = Scripted::new(WRITTEN, 7);
    let mut streamed = Vec::new();
    let a = compose_generative(&g, &model, &GenerativeOptions::default(), &mut |s| {
        streamed.push(s.text.clone())
    });
    assert_eq!(a.composer, COMPOSER);
    assert_eq!(a.verify(), Ok(()));
    let report = a.generation.as_ref().unwrap();
    assert_eq!(report.fallback, None);
    let published: Vec<&str> = a.statements().map(|s| s.text.as_str()).collect();
    assert_eq!(published.len(), 4, "{published:?}");
    assert_eq!(streamed, published, "published in the order streamed");
    assert_eq!(
        published[0],
        "Allopurinol is the first-line drug to lower urate in gout."
    );
    assert!(a
        .statements()
        .all(|s| s.model_written && s.check.as_ref().is_some_and(|c| c.supported)));
    assert_eq!((report.proposed, report.published), (7, 4));
    let reasons: Vec<(&str, &str)> = report
        .withheld
        .iter()
        .map(|w| (w.text.as_str(), w.check.reason_code.as_deref().unwrap()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("Allopurinol is started at 300 mg daily.", "number"),
            ("Febuxostat is always safe in heart disease.", "no_citation"),
            ("Colchicine cures gout in most people.", "no_citation"),
        ]
    );
    assert!(report.withheld[0]
        .check
        .reason
        .as_deref()
        .unwrap()
        .contains("300 mg"));
    assert_eq!(
        report.withheld[0].passage_ids,
        [g.citations[0].passage_id.clone()]
    );
    // The flare sentences go under the section quoting their passage.
    let flares = a.sections.iter().find(|s| s.heading == "Flares").unwrap();
    assert_eq!(flares.statements.len(), 2);
    assert_eq!(flares.statements[1].citations, [2, 1]);
    assert!(report.first_sentence_ms.is_some());
}

#[test]
fn the_prompt_numbers_the_quoted_passages_and_names_the_audience_and_plan() {
    let model = Scripted::new(WRITTEN, 1000);
    compose_generative(
        &grounded(),
        &model,
        &GenerativeOptions::default(),
        &mut |_| {},
    );
    let req = model.seen.lock().unwrap().clone().unwrap();
    assert!(req.user.contains("Question: How is gout treated?"));
    assert!(req
        .user
        .contains("[1] Guideline acr: Allopurinol is the first-line"));
    assert!(req.user.contains("[2] Guideline eular: Treat a gout flare"));
    assert!(req.user.contains("Urate-lowering therapy; Flares"));
    assert!(req.user.contains("a clinician"));
    assert!(req.system.contains("square brackets"));
}

#[test]
fn streaming_piece_by_piece_gives_the_same_article_as_one_piece() {
    let g = grounded();
    let whole = compose_generative(
        &g,
        &Scripted::new(WRITTEN, 10_000),
        &GenerativeOptions::default(),
        &mut |_| {},
    );
    for piece in [1, 2, 3, 5, 13] {
        let a = compose_generative(
            &g,
            &Scripted::new(WRITTEN, piece),
            &GenerativeOptions::default(),
            &mut |_| {},
        );
        assert_eq!(a.lead, whole.lead, "pieces of {piece}");
        assert_eq!(a.sections, whole.sections, "pieces of {piece}");
    }
}

#[test]
fn too_few_passing_sentences_or_a_failing_model_serve_the_grounded_article_with_a_note() {
    let g = grounded();
    let weak = Scripted::new(
        "Allopurinol is started at 300 mg daily [1]. Gout is a rare disease of the young [1].",
        4,
    );
    let a = compose_generative(&g, &weak, &GenerativeOptions::default(), &mut |_| {});
    assert_eq!(a.composer, "grounded");
    assert_eq!((&a.lead, &a.sections), (&g.lead, &g.sections));
    let note = a.generation.as_ref().unwrap().fallback.as_deref().unwrap();
    assert!(note.contains("0 of the model's 2 sentences"), "{note}");
    assert_eq!(a.verify(), Ok(()));

    let mut broken = Scripted::new(WRITTEN, 4);
    broken.fail = true;
    let a = compose_generative(&g, &broken, &GenerativeOptions::default(), &mut |_| {});
    assert_eq!(a.composer, "grounded");
    let note = a.generation.as_ref().unwrap().fallback.as_deref().unwrap();
    assert!(note.starts_with("the model failed"), "{note}");
}

#[test]
fn generation_stops_once_enough_sentences_are_published() {
    let opts = GenerativeOptions {
        max_statements: 3,
        ..GenerativeOptions::default()
    };
    let a = compose_generative(&grounded(), &Scripted::new(WRITTEN, 3), &opts, &mut |_| {});
    assert_eq!(a.statements().count(), 3);
    assert!(a.generation.unwrap().proposed <= 4);
}

#[test]
fn abstentions_are_returned_unchanged() {
    let mut g = grounded();
    g.abstained = true;
    let model = Scripted::new(WRITTEN, 3);
    let a = compose_generative(&g, &model, &GenerativeOptions::default(), &mut |_| {});
    assert_eq!(a, g);
    assert!(
        model.seen.lock().unwrap().is_none(),
        "the model is not called"
    );
}

#[test]
fn a_model_sentence_without_a_passed_check_fails_verification() {
    let model = Scripted::new(WRITTEN, 50);
    let mut a = compose_generative(
        &grounded(),
        &model,
        &GenerativeOptions::default(),
        &mut |_| {},
    );
    a.lead[0].check.as_mut().unwrap().supported = false;
    assert!(matches!(
        a.verify().unwrap_err()[0],
        evident_core::VerifyError::Unchecked { .. }
    ));
    a.lead[0].check = None;
    assert!(a.verify().is_err());
}

#[test]
fn fragments_are_withheld_even_when_their_words_are_in_the_passage() {
    let g = grounded();
    let written = "Allopurinol is the first-line drug to lower urate in gout [1].\n\
        Allopurinol is started at 100 mg daily [1].\n\
        Treat a gout flare with colchicine [2].\n\
        Allopurinol is first-line [1].\n\
        and the dose is raised every 2 to 4 weeks [1].\n\
        Urate-lowering therapy: - Start allopurinol at 100 mg daily [1].\n\
        The dose of allopurinol is raised every 2 to 4 weeks for [1].\n\
        Guideline acr: - Start allopurinol at 100 mg daily [1].\n\
        Prostate-specific antigen (PSA) testing [1].";
    let model = Scripted::new(written, 11);
    let a = compose_generative(&g, &model, &GenerativeOptions::default(), &mut |_| {});
    assert_eq!(a.verify(), Ok(()));
    let report = a.generation.as_ref().unwrap();
    let published: Vec<&str> = a.statements().map(|s| s.text.as_str()).collect();
    // Three words are no sentence at all; a lower-case start is a sentence capitalised.
    assert_eq!(
        (report.proposed, report.published),
        (8, 6),
        "{published:?} {report:?}"
    );
    assert!(published.contains(&"And the dose is raised every 2 to 4 weeks."));
    // A list item run into its lead-in is joined to it.
    assert!(
        published.contains(&"Urate-lowering therapy: Start allopurinol at 100 mg daily."),
        "{published:?}"
    );
    // An echoed title's list mark goes with it.
    assert!(
        published.contains(&"Start allopurinol at 100 mg daily."),
        "{published:?}"
    );
    let reasons: Vec<&str> = report
        .withheld
        .iter()
        .map(|w| w.check.reason.as_deref().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "not a whole sentence: it breaks off mid-sentence",
            "not a whole sentence: too short",
        ]
    );
    assert!(report
        .withheld
        .iter()
        .all(|w| w.check.reason_code.as_deref() == Some("fragment")));
}

#[test]
fn parsing_takes_citations_out_and_drops_headings_and_fragments() {
    let p = |s: &str| parse_sentence(s, 3);
    assert_eq!(
        p("1. **Start** allopurinol at 100 mg [1, 3]."),
        Some(Parsed {
            text: "Start allopurinol at 100 mg.".into(),
            cites: vec![0, 2]
        })
    );
    assert_eq!(
        p("Raise the dose every 2 weeks [2-3]").unwrap().cites,
        [1, 2]
    );
    assert_eq!(
        p("Raise the dose every 2 weeks [9]").unwrap().cites,
        Vec::<usize>::new()
    );
    assert_eq!(
        p("Use the [lowest] dose that works [1]").unwrap().text,
        "Use the [lowest] dose that works."
    );
    assert_eq!(p("Treatment:"), None);
    assert_eq!(p("See [1]."), None);
    assert_eq!(p("  "), None);
}

#[test]
fn the_splitter_waits_for_the_end_of_a_citation_group() {
    let mut s = Splitter::default();
    assert!(s.push("Give colchicine [1").is_empty());
    assert!(
        s.push("]").is_empty(),
        "a second group or the full stop may follow"
    );
    assert!(s.push("[2]").is_empty());
    assert_eq!(s.push(". Then"), ["Give colchicine [1][2]. "]);
    assert_eq!(s.push(" rest.\nNext"), ["Then rest.\n"]);
    assert_eq!(s.finish().as_deref(), Some("Next"));
    // Prose without citations ends at each sentence, not at the next citation or line end.
    let mut s = Splitter::default();
    assert_eq!(
        s.push("Gout is a common arthritis. It hurts a lot [1]. More"),
        ["Gout is a common arthritis. ", "It hurts a lot [1]. "]
    );
    // A group that opens a sentence belongs to it; list items end at their full stop.
    let mut s = Splitter::default();
    assert_eq!(
        s.push("[2] Colchicine treats a flare. - Prednisone also treats a flare. Next"),
        [
            "[2] Colchicine treats a flare. ",
            "[2] - Prednisone also treats a flare. "
        ]
    );
    // The line's group ends with the line.
    assert_eq!(
        s.push("\nNo group here at all. And"),
        ["[2] Next\n", "No group here at all. "]
    );
    // A bracket inside the sentence ("[lowest]") is not a citation.
    let mut s = Splitter::default();
    assert_eq!(
        s.push("Use the [lowest] dose [1]. More"),
        ["Use the [lowest] dose [1]. "]
    );
}

#[test]
fn edited_statements_are_checked_against_their_cited_passages() {
    let mut a = grounded();
    a.lead[0].text = "Allopurinol is the first-line drug for gout.".into();
    a.lead[0].editor_written = true;
    a.sections[0].statements[0].text = "Start allopurinol at 200 mg daily.".into();
    a.sections[0].statements[0].editor_written = true;
    check_edited(&mut a);
    assert!(a.lead[0].check.as_ref().unwrap().supported);
    let c = a.sections[0].statements[0].check.as_ref().unwrap();
    assert!(!c.supported);
    assert_eq!(c.reason_code.as_deref(), Some("number"));
    assert_eq!(
        a.sections[1].statements[0].check, None,
        "quoted statements are left alone"
    );
}
