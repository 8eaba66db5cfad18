//! MedQuAD question/answer XML (NIH consumer health sites).
//!
//! ```xml
//! <Document id="0000001_1" source="CancerGov" url="https://…">
//!   <Focus>…</Focus>
//!   <QAPairs><QAPair pid="1"><Question qid="0000001_1-1" qtype="information">…</Question>
//!   <Answer>…</Answer></QAPair>…</QAPairs>
//! </Document>
//! ```
//!
//! One document per file; each answered pair is a section headed by its question, anchored by
//! its `qid`; the answer's own sub-headings, paragraphs and list items are recovered from its
//! spacing (`medquad/answer.rs`). A few NINDS files use an older schema (`<doc docid corpus
//! url>`, `<doctitle-focus>`, `<qaPairs><pair><question><answer>`) and one CDC file a
//! `<DiseaseFile fid …>` root; both are read the same way.
//!
//! Document ids repeat across MedQuAD's sub-collections (GARD, GHR and MedlinePlus all have a
//! `0000003`), so the source id is `medquad:{source}_{id}` (e.g. `medquad:GHR_0000003`), which
//! also matches the `{source}_{id}_Sec{pid}` answer ids of the LiveQA evaluation set. Where
//! several files share one id (`0000013_2.xml`, `0000013_2_1.xml`), the file stem is used.

use evident_core::model::collapse_ws;
use evident_core::{Audience, DocumentBuilder, Source, SourceKind};
use quick_xml::events::{BytesStart, Event};

use crate::html::decode_entities;
use crate::{Confidence, Document, Error, Item, Reader, Result};

mod answer;

use answer::{answer_blocks, AnswerBlock};

const FORMAT: &str = "MedQuAD XML";

pub struct MedQuad;

impl Reader for MedQuad {
    fn name(&self) -> &'static str {
        "medquad-xml"
    }

    fn sniff(&self, item: &Item) -> Confidence {
        let head = item.head(4096);
        let current = (head.contains("<Document") || head.contains("<DiseaseFile"))
            && (head.contains("<QAPairs") || head.contains("<Focus>"));
        let older = head.contains("<doc docid")
            && (head.contains("<qaPairs") || head.contains("<doctitle-focus>"));
        if current || older {
            Confidence::Certain
        } else {
            Confidence::No
        }
    }

    fn read(&self, item: &Item) -> Result<Vec<Document>> {
        let text = item.text(FORMAT)?;
        let parsed = parse(text).map_err(|why| Error::malformed(&item.path, FORMAT, why))?;
        let Some(id) = parsed.id.filter(|s| !s.trim().is_empty()) else {
            return Err(Error::malformed(
                &item.path,
                FORMAT,
                "no <Document id=…> element",
            ));
        };
        if parsed.pairs.is_empty() {
            return Err(Error::empty(
                &item.path,
                "MedQuAD document has no question/answer pairs",
            ));
        }
        if parsed.pairs.iter().all(|p| p.answer.trim().is_empty()) {
            return Err(Error::empty(
                &item.path,
                "MedQuAD answers are empty (answers withheld for this collection)",
            ));
        }
        let collection = parsed.source.as_deref().map(str::trim).unwrap_or("");
        // A few CancerGov files share one Document id (`0000013_2.xml`, `0000013_2_1.xml`, …):
        // the file stem, when it extends the id, tells them apart.
        let id = id.trim();
        let stem = item.stem();
        let local_id = if stem.starts_with(id) && stem.len() > id.len() {
            stem
        } else {
            id
        };
        let local = if collection.is_empty() {
            local_id.to_string()
        } else {
            format!("{collection}_{local_id}")
        };
        let focus = collapse_ws(parsed.focus.as_deref().unwrap_or(""));
        let mut source = Source::new(
            format!("medquad:{local}"),
            if focus.is_empty() {
                format!("MedQuAD {local}")
            } else {
                focus
            },
        );
        source.publisher = publisher(collection);
        source.url = parsed
            .url
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty());
        source.kind = SourceKind::PatientInformation;
        source.audience = Audience::Patient;
        source.licence = Some("CC BY 4.0 (MedQuAD)".to_string());
        source.origin = item.path.clone();

        let mut b = DocumentBuilder::new(source);
        for pair in &parsed.pairs {
            if pair.answer.trim().is_empty() {
                continue;
            }
            let question = tidy_question(&pair.question);
            let heading = if question.is_empty() {
                pair.qtype.clone().unwrap_or_else(|| "Answer".to_string())
            } else {
                question.clone()
            };
            let qid = pair.qid.as_deref().map(str::trim).filter(|q| !q.is_empty());
            b.heading(1, &heading);
            if let Some(qid) = qid {
                b.anchor(qid);
            }
            for block in answer_blocks(&pair.answer, &question) {
                match block {
                    // Sub-headings sit under the question; their sections keep its anchor.
                    AnswerBlock::Heading(depth, t) => {
                        b.heading(1 + depth, &t);
                        if let Some(qid) = qid {
                            b.anchor(qid);
                        }
                    }
                    AnswerBlock::Paragraph(t) => {
                        b.paragraph(&t);
                    }
                    AnswerBlock::Item(t) => {
                        b.list_item(&t);
                    }
                }
            }
        }
        Ok(vec![b.finish()])
    }
}

/// The organisation behind a MedQuAD sub-collection.
fn publisher(collection: &str) -> Option<String> {
    let name = match collection {
        "" => return None,
        "CancerGov" => "National Cancer Institute",
        "GARD" => "Genetic and Rare Diseases Information Center",
        "GHR" => "Genetics Home Reference (NLM)",
        "NIDDK" => "National Institute of Diabetes and Digestive and Kidney Diseases",
        "NINDS" => "National Institute of Neurological Disorders and Stroke",
        "NIHSeniorHealth" => "NIHSeniorHealth (NIH)",
        "NHLBI" => "National Heart, Lung, and Blood Institute",
        "CDC" => "Centers for Disease Control and Prevention",
        "ADAM" => "A.D.A.M. Medical Encyclopedia (MedlinePlus)",
        c if c.starts_with("MPlus") => "MedlinePlus (NLM)",
        other => other,
    };
    Some(name.to_string())
}

/// "What is (are) Gout ?" → "What is (are) Gout?"; "…(AHF)? ?" → "…(AHF)?".
fn tidy_question(q: &str) -> String {
    let mut q = collapse_ws(q);
    while q.ends_with(" ?") {
        q.truncate(q.len() - 2);
        q = q.trim_end().to_string();
        if !q.ends_with('?') {
            q.push('?');
        }
    }
    q
}

#[derive(Debug, Default)]
struct Parsed {
    id: Option<String>,
    source: Option<String>,
    url: Option<String>,
    focus: Option<String>,
    pairs: Vec<Pair>,
}

#[derive(Debug, Default)]
struct Pair {
    qid: Option<String>,
    qtype: Option<String>,
    question: String,
    answer: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Focus,
    Question,
    Answer,
}

/// Parses the XML; the error is quick-xml's message (or a truncation) with its position.
fn parse(text: &str) -> std::result::Result<Parsed, String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut out = Parsed::default();
    let mut stack: Vec<String> = Vec::new();
    let mut field: Option<Field> = None;
    let mut pair: Option<Pair> = None;
    loop {
        let event = reader.read_event().map_err(|e| {
            let pos = reader.error_position() as usize;
            format!("{e} {}", position(text, pos))
        })?;
        match event {
            Event::Start(e) => {
                let name = local_name(&e);
                start(&name, &e, &mut out, &mut pair, &mut field);
                stack.push(name);
            }
            Event::Empty(e) => {
                let name = local_name(&e);
                start(&name, &e, &mut out, &mut pair, &mut field);
                end(&name, &mut out, &mut pair, &mut field);
            }
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase();
                stack.pop();
                end(&name, &mut out, &mut pair, &mut field);
            }
            Event::Text(t) => {
                let raw = String::from_utf8_lossy(&t);
                append(&decode_entities(&raw), field, &mut out, &mut pair);
            }
            Event::CData(t) => {
                let raw = String::from_utf8_lossy(&t);
                append(&raw, field, &mut out, &mut pair);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!(
            "unexpected end of input: <{open}> is not closed {}",
            position(text, text.len())
        ));
    }
    Ok(out)
}

/// "at line 12, byte 345".
pub(crate) fn position(text: &str, byte: usize) -> String {
    let byte = byte.min(text.len());
    let line = text.as_bytes()[..byte]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    format!("at line {line}, byte {byte}")
}

fn local_name(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase()
}

/// An attribute's value with XML (and HTML) entities decoded; None when absent.
pub(crate) fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.html_attributes()
        .flatten()
        .find(|a| {
            a.key
                .local_name()
                .as_ref()
                .eq_ignore_ascii_case(name.as_bytes())
        })
        .map(|a| decode_entities(&String::from_utf8_lossy(&a.value)))
}

fn start(
    name: &str,
    e: &BytesStart<'_>,
    out: &mut Parsed,
    pair: &mut Option<Pair>,
    field: &mut Option<Field>,
) {
    match name {
        "document" | "doc" | "diseasefile" if out.id.is_none() => {
            out.id = attr(e, "id")
                .or_else(|| attr(e, "docid"))
                .or_else(|| attr(e, "fid"));
            out.source = attr(e, "source").or_else(|| attr(e, "corpus"));
            out.url = attr(e, "url");
        }
        "focus" | "doctitle-focus" => {
            out.focus.get_or_insert_with(String::new);
            *field = Some(Field::Focus);
        }
        "qapair" | "pair" => *pair = Some(Pair::default()),
        "question" => {
            let p = pair.get_or_insert_with(Pair::default);
            p.qid = attr(e, "qid");
            p.qtype = attr(e, "qtype");
            *field = Some(Field::Question);
        }
        "answer" => {
            pair.get_or_insert_with(Pair::default);
            *field = Some(Field::Answer);
        }
        _ => {}
    }
}

fn end(name: &str, out: &mut Parsed, pair: &mut Option<Pair>, field: &mut Option<Field>) {
    match name {
        "focus" | "doctitle-focus" | "question" => *field = None,
        "answer" => {
            *field = None;
            // A pair element is optional around question/answer in the older schema.
            if let Some(p) = pair.take() {
                out.pairs.push(p);
            }
        }
        "qapair" | "pair" => {
            if let Some(p) = pair.take() {
                out.pairs.push(p);
            }
        }
        _ => {}
    }
}

fn append(s: &str, field: Option<Field>, out: &mut Parsed, pair: &mut Option<Pair>) {
    match field {
        Some(Field::Focus) => out.focus.get_or_insert_with(String::new).push_str(s),
        Some(Field::Question) => {
            if let Some(p) = pair.as_mut() {
                p.question.push_str(s);
            }
        }
        Some(Field::Answer) => {
            if let Some(p) = pair.as_mut() {
                p.answer.push_str(s);
            }
        }
        None => {}
    }
}

#[cfg(test)]
mod tests;
