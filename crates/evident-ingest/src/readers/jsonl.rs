//! JSON Lines: one record per line, each a JSON object with an `id` (string or number) and
//! its text, giving one document per record. Generic, and fits the evaluation corpora:
//!
//! * `{id, source, url, focus, question, qtype, text}` (LiveQA-Med answers from MedQuAD): the
//!   question is a heading above the text;
//! * `{id, year, meshes, sections: [[heading, text], …], conclusion}` (PubMedQA abstracts): each
//!   section is a heading and its text, the `conclusion` is not indexed, and the record is a
//!   research abstract.
//!
//! Text comes from `text`, `answer`, `abstract`, `body` or `content` (a string, or a list of
//! strings), `sections` (a list of `[heading, text]` pairs or `{heading|title, text}` objects)
//! and `contexts` (a list of strings). Metadata: `title` (else `focus`, else `question`, else
//! the first sentence or words of the text), `url`, `year` / `date`, `source` / `publisher`, `kind`,
//! `audience`, `licence` / `license`, `grade`.
//!
//! Source id: `{scheme}:{id}`, where the scheme is the record's `source` in lowercase (letters,
//! digits and `-` only), else `jsonl`; an `id` that already has a scheme (`pubmed:123`) is kept
//! as it is. The part after the first `:` is always the record's own `id`.
//!
//! Lines that are not JSON objects with an id are skipped. When more than half of the non-blank
//! lines are bad the whole item is malformed, and the error names the first bad line.

use evident_core::model::first_year;
use evident_core::{Audience, DocumentBuilder, Source, SourceKind};
use serde_json::{Map, Value};

use crate::{Confidence, Document, Error, Item, Reader, Result};

const FORMAT: &str = "JSON Lines";

/// Fields that hold a record's text.
const TEXT_FIELDS: &[&str] = &["text", "answer", "abstract", "body", "content"];

/// Words of the text used as a title when a record has none (a first sentence may have twice
/// as many).
const TITLE_WORDS: usize = 12;

pub struct JsonLines;

impl Reader for JsonLines {
    fn name(&self) -> &'static str {
        "jsonl"
    }

    fn sniff(&self, item: &Item) -> Confidence {
        let ext = matches!(item.extension().as_str(), "jsonl" | "ndjson" | "jsonlines");
        let bytes = item
            .bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&item.bytes);
        let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
        let Some(start) = start.filter(|&s| bytes[s] == b'{') else {
            return if ext {
                Confidence::Extension
            } else {
                Confidence::No
            };
        };
        // The first record only, and at most 4 MB of it.
        let rest = &bytes[start..bytes.len().min(start + (4 << 20))];
        let line = rest.split(|&b| b == b'\n').next().unwrap_or(rest);
        match serde_json::from_slice::<Value>(line) {
            Ok(Value::Object(obj)) if record_id(&obj).is_some() => {
                let texty = TEXT_FIELDS
                    .iter()
                    .chain(&["sections", "contexts"])
                    .any(|f| obj.contains_key(*f));
                if texty && ext {
                    Confidence::Certain
                } else {
                    Confidence::Content
                }
            }
            _ if ext => Confidence::Extension,
            _ => Confidence::No,
        }
    }

    fn read(&self, item: &Item) -> Result<Vec<Document>> {
        let text = item.text(FORMAT)?;
        let mut docs = Vec::new();
        let mut total = 0usize;
        let mut bad = 0usize;
        let mut first_bad: Option<(usize, String)> = None;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            total += 1;
            let problem = match serde_json::from_str::<Value>(line) {
                Ok(Value::Object(obj)) => match record(item, &obj) {
                    Some(doc) => {
                        docs.push(doc);
                        continue;
                    }
                    None => "no `id` (a string or a number)".to_string(),
                },
                Ok(_) => "not a JSON object".to_string(),
                Err(e) => e.to_string(),
            };
            bad += 1;
            first_bad.get_or_insert((n + 1, problem));
        }
        if total > 0 && bad * 2 > total {
            let (line, why) = first_bad.unwrap_or_default();
            return Err(Error::malformed(
                &item.path,
                FORMAT,
                format!("{bad} of {total} lines are not records; the first is line {line}: {why}"),
            ));
        }
        Ok(docs)
    }
}

/// The record's id as text.
fn record_id(obj: &Map<String, Value>) -> Option<String> {
    match obj.get("id")? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A non-empty string field, or a number as text.
fn text_field(obj: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match obj.get(*k)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// A URL-safe scheme made of a record's `source`.
fn scheme(source: &str) -> String {
    let mut out = String::new();
    for c in source.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

fn has_scheme(id: &str) -> bool {
    id.split_once(':').is_some_and(|(s, rest)| {
        !s.is_empty()
            && !rest.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    })
}

/// Paragraphs of a text value: a string split at blank lines, or a list of strings.
fn paragraphs(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => s
            .replace("\r\n", "\n")
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        Value::Array(items) => items.iter().flat_map(paragraphs).collect(),
        _ => Vec::new(),
    }
}

/// `(heading, text)` pairs of a `sections` value.
fn sections(v: &Value) -> Vec<(String, &Value)> {
    let Value::Array(items) = v else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|s| match s {
            Value::Array(pair) if pair.len() == 2 => {
                let heading = pair[0].as_str().unwrap_or_default().trim().to_string();
                Some((heading, &pair[1]))
            }
            Value::Object(o) => {
                let heading = ["heading", "title", "label", "name"]
                    .iter()
                    .find_map(|k| o.get(*k)?.as_str())
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                let text = ["text", "body", "content"].iter().find_map(|k| o.get(*k))?;
                Some((heading, text))
            }
            Value::String(_) => Some((String::new(), s)),
            _ => None,
        })
        .collect()
}

fn record(item: &Item, obj: &Map<String, Value>) -> Option<Document> {
    let id = record_id(obj)?;
    let publisher = text_field(
        obj,
        &["source", "publisher", "organisation", "organization"],
    );
    let source_id = if has_scheme(&id) {
        id.clone()
    } else {
        match publisher.as_deref().map(scheme).filter(|s| !s.is_empty()) {
            Some(s) => format!("{s}:{id}"),
            None => format!("jsonl:{id}"),
        }
    };

    let body = TEXT_FIELDS.iter().find_map(|k| obj.get(*k));
    let body_paragraphs = body.map(paragraphs).unwrap_or_default();
    let section_list = obj.get("sections").map(sections).unwrap_or_default();
    let contexts = obj.get("contexts").map(paragraphs).unwrap_or_default();
    let question = text_field(obj, &["question"]);

    let title = text_field(obj, &["title", "focus"])
        .or_else(|| question.clone())
        .or_else(|| {
            let first = body_paragraphs
                .first()
                .cloned()
                .or_else(|| section_list.iter().flat_map(|(_, t)| paragraphs(t)).next())
                .or_else(|| contexts.first().cloned())?;
            let words: Vec<&str> = first.split_whitespace().collect();
            // The first sentence when it is short, else the first words.
            let sentence_end = words
                .iter()
                .take(2 * TITLE_WORDS)
                .position(|w| w.ends_with(['.', '?', '!']));
            if let Some(end) = sentence_end {
                return Some(words[..=end].join(" "));
            }
            let mut t = words[..words.len().min(TITLE_WORDS)].join(" ");
            if words.len() > TITLE_WORDS {
                t.push('…');
            }
            Some(t)
        })
        .unwrap_or_else(|| id.clone());

    let mut source = Source::new(source_id, title.clone());
    source.publisher = publisher;
    source.url = text_field(obj, &["url", "link"]);
    source.date = text_field(obj, &["date", "pub_date", "published"]);
    source.year = text_field(obj, &["year"])
        .and_then(|y| first_year(&y))
        .or_else(|| source.date.as_deref().and_then(first_year));
    source.licence = text_field(obj, &["licence", "license"]);
    source.grade = text_field(obj, &["grade"]);
    source.kind = match text_field(obj, &["kind"]).and_then(|k| k.parse().ok()) {
        Some(kind) => kind,
        None if obj.contains_key("sections") && obj.contains_key("meshes") => {
            SourceKind::ResearchAbstract
        }
        None => SourceKind::Other,
    };
    if let Some(audience) = text_field(obj, &["audience"]).and_then(|a| a.parse().ok()) {
        source.audience = audience;
    } else if source.kind == SourceKind::ResearchAbstract {
        source.audience = Audience::Clinician;
    }
    source.origin = item.path.clone();

    let mut b = DocumentBuilder::new(source);
    b.heading(1, &title);
    let mut level = 2;
    if let Some(q) = question.filter(|q| *q != title) {
        if body.is_some() || !section_list.is_empty() {
            b.heading(2, &q);
            level = 3;
        }
    }
    for p in &body_paragraphs {
        b.paragraph(p);
    }
    for (heading, text) in &section_list {
        if !heading.is_empty() {
            b.heading(level, &sentence_case_label(heading));
        }
        for p in paragraphs(text) {
            b.paragraph(&p);
        }
    }
    for p in &contexts {
        b.paragraph(p);
    }
    Some(b.finish())
}

/// `"METHODS"` → `"Methods"`; headings in mixed case are kept.
fn sentence_case_label(heading: &str) -> String {
    let has_lower = heading.chars().any(char::is_lowercase);
    if has_lower {
        return heading.to_string();
    }
    let lower = heading.to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn read(path: &str, text: &str) -> Result<Vec<Document>> {
        JsonLines.read(&Item::new(path, text.as_bytes().to_vec()))
    }

    fn trails(doc: &Document) -> Vec<String> {
        doc.sections.iter().map(|s| s.trail.join(" > ")).collect()
    }

    #[test]
    fn abstract_records_index_sections_not_conclusion() {
        let line = r#"{"id": "123", "year": "1999", "meshes": ["Humans"], "sections": [["BACKGROUND", "Why we looked."], ["RESULTS", "What we found."]], "conclusion": "SECRET conclusion."}"#;
        let docs = read("corpus.jsonl", line).unwrap();
        let d = &docs[0];
        assert_eq!(d.source.id, "jsonl:123");
        assert_eq!(d.source.kind, SourceKind::ResearchAbstract);
        assert_eq!(d.source.year, Some(1999));
        assert_eq!(d.source.title, "Why we looked.");
        assert_eq!(
            trails(d),
            ["Why we looked. > Background", "Why we looked. > Results"]
        );
        assert!(!d.text.contains("SECRET"));
    }

    #[test]
    fn answer_records_put_the_question_above_the_text() {
        let line = r#"{"id": "X_1_Sec1", "source": "GARD", "url": "https://e.org/1", "focus": "", "question": "What is widget disease?", "text": "Summary : It is rare.\n\nCauses : Unknown."}"#;
        let d = &read("c.jsonl", line).unwrap()[0];
        assert_eq!(d.source.id, "gard:X_1_Sec1");
        assert_eq!(d.source.title, "What is widget disease?");
        assert_eq!(d.source.publisher.as_deref(), Some("GARD"));
        assert_eq!(d.source.url.as_deref(), Some("https://e.org/1"));
        assert_eq!(trails(d), ["What is widget disease?"]);
        assert_eq!(
            d.section_text(&d.sections[0]),
            "Summary : It is rare.\n\nCauses : Unknown."
        );
        let line = r#"{"id": 7, "title": "Widgets", "question": "How common?", "answer": "Rare.", "kind": "patient information"}"#;
        let d = &read("c.jsonl", line).unwrap()[0];
        assert_eq!(d.source.id, "jsonl:7");
        assert_eq!(d.source.kind, SourceKind::PatientInformation);
        assert_eq!(trails(d), ["Widgets > How common?"]);
    }

    #[test]
    fn bad_lines_are_skipped_unless_most_are_bad() {
        let text = "{\"id\":1,\"text\":\"One.\"}\nnot json\n\n{\"id\":2,\"text\":\"Two.\"}\n";
        assert_eq!(read("a.jsonl", text).unwrap().len(), 2);
        let text = "{\"id\":1,\"text\":\"One.\"}\n[1]\n{\"text\":\"no id\"}\n";
        let err = read("a.jsonl", text).unwrap_err().to_string();
        assert!(err.contains("a.jsonl") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn sniffing() {
        let s = |p: &str, t: &str| JsonLines.sniff(&Item::new(p, t.as_bytes().to_vec()));
        assert_eq!(
            s("a.jsonl", "{\"id\":1,\"text\":\"x\"}\n"),
            Confidence::Certain
        );
        assert_eq!(
            s("a.json", "{\"id\":1,\"text\":\"x\"}\n"),
            Confidence::Content
        );
        assert_eq!(s("a.jsonl", "{\"x\":1}\n"), Confidence::Extension);
        assert_eq!(s("a.json", "{\n  \"id\": 1\n}"), Confidence::No);
        assert_eq!(s("a.txt", "hello"), Confidence::No);
    }

    proptest! {
        #[test]
        fn never_panics(lines in proptest::collection::vec(
            "\\{(\"(id|text|title|sections|question|source|year|kind)\": ?(\"[a-z :]{0,8}\"|[0-9]{1,3}|\\[\\[\"[A-Z]{0,4}\", ?\"[a-z ]{0,6}\"\\]\\]|null|\\{\\}),? ?){0,5}\\}?|[^\n]{0,20}",
            0..6,
        )) {
            let text = lines.join("\n");
            let item = Item::new("p.jsonl", text.into_bytes());
            let _ = JsonLines.sniff(&item);
            let _ = JsonLines.read(&item);
        }
    }
}
