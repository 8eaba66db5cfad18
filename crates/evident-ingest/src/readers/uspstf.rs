//! USPSTF recommendations API JSON (the `uspstf-*.json` dump of the Prevention TaskForce API).
//!
//! ```json
//! { "specificRecommendations": [ {"id": 426, "title": "…", "grade": "A", "gradeVer": 1,
//!       "sex": "female", "ageRange": [21, 65], "text": "<p>…</p>", "riskText": "…",
//!       "general": "389"} ],
//!   "grades": { "A": ["definition (version 0)", "definition (version 1)"] },
//!   "generalRecommendations": { "389": {"title": "…", "topicYear": 2018, "uspstfAlias": "…",
//!       "specific": [426], "rationale": "<h2>…</h2>…", "clinical": "<h2>…</h2>…", "pubDate": "…"} } }
//! ```
//!
//! One document per topic (`uspstf:topic-{id}`): first each specific recommendation as a
//! level-1 section "Recommendation: {title} (Grade {grade})" with its grade and the anchor
//! `uspstf:{id}`, then the topic's rationale and clinical considerations.

use std::collections::{BTreeMap, HashSet};

use evident_core::model::collapse_ws;
use evident_core::{Audience, DocumentBuilder, Source, SourceKind};
use serde_json::{Map, Value};

use crate::html::{append_blocks, append_html_flat, html_to_blocks, html_to_text, Block};
use crate::{Confidence, Document, Error, Item, Reader, Result};

const FORMAT: &str = "USPSTF JSON";

type Record = Map<String, Value>;

/// A topic id, the topic (absent when only its recommendations name it) and its recommendations.
type Planned<'a> = (String, Option<&'a Record>, Vec<&'a Record>);

pub struct Uspstf;

impl Reader for Uspstf {
    fn name(&self) -> &'static str {
        "uspstf-json"
    }

    fn sniff(&self, item: &Item) -> Confidence {
        let head = item.head(8192);
        if head.starts_with('{')
            && (head.contains("\"specificRecommendations\"")
                || head.contains("\"generalRecommendations\""))
        {
            Confidence::Certain
        } else {
            Confidence::No
        }
    }

    fn read(&self, item: &Item) -> Result<Vec<Document>> {
        let text = item.text(FORMAT)?;
        let root: Value =
            serde_json::from_str(text).map_err(|e| Error::malformed(&item.path, FORMAT, e))?;
        let Some(root) = root.as_object() else {
            return Err(Error::malformed(
                &item.path,
                FORMAT,
                "top level is not a JSON object",
            ));
        };
        let empty = Map::new();
        let topics = root
            .get("generalRecommendations")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let specifics: Vec<&Map<String, Value>> = root
            .get("specificRecommendations")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_object).collect())
            .unwrap_or_default();
        if topics.is_empty() && specifics.is_empty() {
            return Err(Error::malformed(
                &item.path,
                FORMAT,
                "neither generalRecommendations nor specificRecommendations holds any records",
            ));
        }
        let grades = root.get("grades").and_then(Value::as_object);
        let by_id: BTreeMap<String, &Map<String, Value>> = specifics
            .iter()
            .filter_map(|s| Some((string(s.get("id")?)?, *s)))
            .collect();

        // Topics in numeric order of their ids.
        let mut topic_ids: Vec<&String> = topics.keys().collect();
        topic_ids.sort_by_key(|k| (k.parse::<u64>().unwrap_or(u64::MAX), k.to_string()));

        // Each specific recommendation goes to one topic: the first that lists it, or else the
        // topic its `general` field names.
        let mut placed: HashSet<String> = HashSet::new();
        let mut plan: Vec<Planned> = Vec::new();
        for tid in &topic_ids {
            let topic = topics[tid.as_str()].as_object();
            let mut recs = Vec::new();
            if let Some(list) = topic
                .and_then(|t| t.get("specific"))
                .and_then(Value::as_array)
            {
                for sid in list.iter().filter_map(string) {
                    if let Some(s) = by_id.get(&sid) {
                        if placed.insert(sid) {
                            recs.push(*s);
                        }
                    }
                }
            }
            plan.push((tid.to_string(), topic, recs));
        }
        for s in &specifics {
            let Some(sid) = s.get("id").and_then(string) else {
                continue;
            };
            if placed.contains(&sid) {
                continue;
            }
            placed.insert(sid);
            let general = s.get("general").and_then(string).unwrap_or_default();
            match plan.iter_mut().find(|(tid, _, _)| *tid == general) {
                Some(entry) => entry.2.push(s),
                None => plan.push((general, None, vec![s])),
            }
        }

        let mut docs = Vec::new();
        for (tid, topic, recs) in plan {
            let doc = topic_document(item, &tid, topic, &recs, grades);
            if !doc.sections.is_empty() {
                docs.push(doc);
            }
        }
        if docs.is_empty() {
            return Err(Error::empty(
                &item.path,
                "no USPSTF topic has recommendation text",
            ));
        }
        Ok(docs)
    }
}

fn topic_document(
    item: &Item,
    tid: &str,
    topic: Option<&Map<String, Value>>,
    recs: &[&Map<String, Value>],
    grades: Option<&Map<String, Value>>,
) -> Document {
    let field = |k: &str| topic.and_then(|t| t.get(k)).and_then(string);
    let title = field("title")
        .or_else(|| field("topic"))
        .map(|t| html_to_text(&t))
        .filter(|t| !t.is_empty())
        .or_else(|| {
            // A recommendation without its topic: "Topic: Screening -- Adults" → "Topic: Screening".
            let t = recs.first()?.get("title").and_then(string)?;
            Some(collapse_ws(t.split(" -- ").next().unwrap_or(&t)))
        })
        .unwrap_or_else(|| format!("USPSTF topic {tid}"));
    let mut source = Source::new(format!("uspstf:topic-{tid}"), title);
    source.publisher = Some("U.S. Preventive Services Task Force".to_string());
    source.year = field("topicYear").and_then(|y| y.trim().parse().ok());
    source.date = field("pubDate").filter(|d| !d.trim().is_empty());
    source.url = field("uspstfAlias")
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .map(|a| {
            format!("https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/{a}")
        });
    source.kind = SourceKind::RecommendationStatement;
    source.audience = Audience::Clinician;
    source.licence = Some("US government work (AHRQ), public domain".to_string());
    let rec_grades: Vec<String> = recs
        .iter()
        .filter_map(|r| r.get("grade").and_then(string))
        .map(|g| g.trim().to_string())
        .collect();
    if let Some(first) = rec_grades.first() {
        if !first.is_empty() && rec_grades.iter().all(|g| g == first) {
            source.grade = Some(first.clone());
        }
    }
    source.origin = item.path.clone();

    let mut b = DocumentBuilder::new(source);
    for rec in recs {
        let get = |k: &str| rec.get(k).and_then(string);
        let rtitle = get("title")
            .map(|t| html_to_text(&t.replace(" -- ", " — ")))
            .unwrap_or_default();
        let grade = get("grade")
            .map(|g| g.trim().to_string())
            .unwrap_or_default();
        let heading = match (rtitle.is_empty(), grade.is_empty()) {
            (false, false) => format!("Recommendation: {rtitle} (Grade {grade})"),
            (false, true) => format!("Recommendation: {rtitle}"),
            (true, false) => format!("Recommendation (Grade {grade})"),
            (true, true) => "Recommendation".to_string(),
        };
        b.heading(1, &heading);
        if !grade.is_empty() {
            b.grade(&grade);
        }
        if let Some(id) = get("id") {
            b.anchor(&format!("uspstf:{}", id.trim()));
        }
        if let Some(text) = get("text") {
            append_html_flat(&mut b, &text);
        }
        if let Some(pop) = population(rec) {
            b.paragraph(&pop);
        }
        if let Some(risk) = get("riskText") {
            append_html_flat(&mut b, &risk);
        }
        if let Some(def) = grade_definition(grades, &grade, rec.get("gradeVer")) {
            b.paragraph(&format!("Grade {grade}: {def}"));
        }
    }
    for (key, fallback) in [
        ("rationale", "Rationale"),
        ("clinical", "Clinical Considerations"),
    ] {
        let Some(html) = field(key) else { continue };
        let blocks = html_to_blocks(&html);
        if blocks.is_empty() {
            continue;
        }
        if !matches!(blocks.first(), Some(Block::Heading(..))) {
            b.heading(1, fallback);
            append_blocks(&mut b, &blocks, 1);
        } else {
            // The fragment's own top heading ("<h2>Rationale</h2>") becomes level 1.
            append_blocks(&mut b, &blocks, 0);
        }
    }
    b.finish()
}

/// "Population: female, aged 21 to 65 years."
fn population(rec: &Map<String, Value>) -> Option<String> {
    let sex = rec
        .get("sex")
        .or_else(|| rec.get("gender"))
        .and_then(string)
        .map(|s| collapse_ws(&s).to_lowercase())
        .filter(|s| !s.is_empty());
    let sex = sex.map(|s| match s.as_str() {
        "men and women" | "male and female" | "all" | "both" => "any sex".to_string(),
        _ => s,
    });
    let ages = rec.get("ageRange").and_then(Value::as_array).and_then(|a| {
        let lo = a.first().and_then(number)?;
        let hi = a.get(1).and_then(number)?;
        Some(match (lo, hi) {
            (0, h) if h >= 100 => "all ages".to_string(),
            (l, h) if h >= 100 => format!("aged {l} years or older"),
            (l, h) if l == h => format!("aged {l} years"),
            (l, h) => format!("aged {l} to {h} years"),
        })
    });
    match (sex, ages) {
        (Some(s), Some(a)) => Some(format!("Population: {s}, {a}.")),
        (Some(s), None) => Some(format!("Population: {s}.")),
        (None, Some(a)) => Some(format!("Population: {a}.")),
        (None, None) => None,
    }
}

/// The definition of a grade letter, in the version the recommendation uses.
fn grade_definition(
    grades: Option<&Map<String, Value>>,
    grade: &str,
    version: Option<&Value>,
) -> Option<String> {
    let entry = grades?.get(grade)?;
    let text = match entry {
        Value::Array(versions) => {
            let v = version.and_then(number).unwrap_or(0).max(0) as usize;
            versions
                .get(v)
                .or_else(|| versions.last())
                .and_then(string)?
        }
        other => string(other)?,
    };
    let text = html_to_text(&text);
    (!text.is_empty()).then_some(text)
}

/// A string or number as a string.
fn string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fixture() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/uspstf-mini.json"
        ))
        .unwrap()
    }

    #[test]
    fn one_document_per_topic_with_recommendation_sections() {
        let item = Item::new("uspstf-mini.json", fixture());
        assert_eq!(Uspstf.sniff(&item), Confidence::Certain);
        let docs = Uspstf.read(&item).unwrap();
        let ids: Vec<&str> = docs.iter().map(|d| d.source.id.as_str()).collect();
        assert_eq!(
            ids,
            ["uspstf:topic-7", "uspstf:topic-12", "uspstf:topic-99"]
        );

        let d = &docs[0];
        let s = &d.source;
        assert_eq!(s.title, "Widget Deficiency: Screening");
        assert_eq!(
            s.publisher.as_deref(),
            Some("U.S. Preventive Services Task Force")
        );
        assert_eq!(s.year, Some(2021));
        assert_eq!(s.date.as_deref(), Some("2021-03-02"));
        assert_eq!(
            s.url.as_deref(),
            Some("https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/widget-deficiency-screening")
        );
        assert_eq!(s.kind, SourceKind::RecommendationStatement);
        assert_eq!(s.audience, Audience::Clinician);
        assert_eq!(s.grade, None, "two different grades");

        let trails: Vec<String> = d.sections.iter().map(|s| s.trail.join(" > ")).collect();
        assert_eq!(
            trails,
            [
                "Recommendation: Widget Deficiency: Screening — Adults aged 40 to 70 years (Grade B)",
                "Recommendation: Widget Deficiency: Screening — Children (Grade I)",
                "Rationale > Importance",
                "Rationale > Benefits of Screening",
                "Clinical Considerations > Patient Population Under Consideration",
            ]
        );
        let first = &d.sections[0];
        assert_eq!(first.grade.as_deref(), Some("B"));
        assert_eq!(first.anchor.as_deref(), Some("uspstf:501"));
        assert_eq!(
            d.section_text(first),
            "The USPSTF recommends screening adults for widget deficiency.\n\n\
             Population: any sex, aged 40 to 70 years.\n\n\
             Adults with a family history are at higher risk.\n\n\
             Grade B: Recommended; the net benefit is moderate."
        );
        let second = &d.sections[1];
        assert_eq!(second.grade.as_deref(), Some("I"));
        assert!(d
            .section_text(second)
            .contains("Population: female, aged 0 to 17 years."));
        assert!(d
            .section_text(second)
            .contains("Grade I: Evidence is insufficient."));
        assert!(!d.text.contains("alert"));

        // A topic whose rationale has no heading of its own gets one.
        let d = &docs[1];
        assert_eq!(d.source.grade.as_deref(), Some("D"));
        assert_eq!(d.source.url, None);
        let trails: Vec<String> = d.sections.iter().map(|s| s.trail.join(" > ")).collect();
        assert_eq!(
            trails,
            [
                "Recommendation: Gadget Use: Counseling (Grade D)",
                "Rationale"
            ]
        );
        // A recommendation whose topic is missing still gets a document.
        let d = &docs[2];
        assert_eq!(d.source.title, "Orphan Topic: Screening");
        assert_eq!(d.sections[0].anchor.as_deref(), Some("uspstf:900"));
    }

    #[test]
    fn every_specific_recommendation_appears_once() {
        let docs = Uspstf.read(&Item::new("u.json", fixture())).unwrap();
        let mut anchors: Vec<&str> = docs
            .iter()
            .flat_map(|d| &d.sections)
            .filter_map(|s| s.anchor.as_deref())
            .collect();
        anchors.sort();
        assert_eq!(
            anchors,
            ["uspstf:501", "uspstf:502", "uspstf:503", "uspstf:900"]
        );
    }

    #[test]
    fn malformed_json_is_reported_with_position() {
        let bytes = fixture();
        let cut = bytes[..bytes.len() / 2].to_vec();
        let err = Uspstf.read(&Item::new("u.json", cut)).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::Malformed { .. }), "{msg}");
        assert!(msg.contains("USPSTF JSON") && msg.contains("line"), "{msg}");

        let err = Uspstf
            .read(&Item::new("u.json", b"[1, 2]".to_vec()))
            .unwrap_err();
        assert!(err.to_string().contains("not a JSON object"), "{err}");
        let err = Uspstf
            .read(&Item::new(
                "u.json",
                b"{\"specificRecommendations\": []}".to_vec(),
            ))
            .unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }), "{err}");
    }

    #[test]
    fn sniff_needs_uspstf_keys() {
        let other = Item::new("x.json", b"{\"title\": \"x\"}".to_vec());
        assert_eq!(Uspstf.sniff(&other), Confidence::No);
    }

    #[test]
    fn populations() {
        let rec = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            population(&rec(
                serde_json::json!({"sex": "male", "ageRange": [65, 100]})
            ))
            .as_deref(),
            Some("Population: male, aged 65 years or older.")
        );
        assert_eq!(
            population(&rec(
                serde_json::json!({"sex": "men and women", "ageRange": [0, 100]})
            ))
            .as_deref(),
            Some("Population: any sex, all ages.")
        );
        assert_eq!(population(&rec(serde_json::json!({}))), None);
    }

    proptest! {
        #[test]
        fn read_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = Uspstf.read(&Item::new("p.json", bytes));
        }

        #[test]
        fn read_never_panics_on_odd_shapes(
            spec in "[\\[\\]{}\",:0-9a-z ]{0,40}",
            general in "[\\[\\]{}\",:0-9a-z ]{0,40}",
        ) {
            let s = format!(
                "{{\"specificRecommendations\": [{{\"id\": 1, \"grade\": \"A\", \"ageRange\": {spec}}}], \
                 \"generalRecommendations\": {{\"1\": {general}}}, \"grades\": {{\"A\": {spec}}}}}"
            );
            let _ = Uspstf.read(&Item::new("p.json", s.into_bytes()));
        }
    }
}
