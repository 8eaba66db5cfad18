//! YAML front matter: splitting it from the body and reading its keys into the source,
//! references and cancer.gov (NCI) ids and audiences.

use evident_core::model::{collapse_ws, first_year};
use evident_core::{Audience, Reference, Source, SourceKind};
use serde_yaml_ng::Value;

use super::Block;
use crate::Item;

/// Splits `---` front matter from the body: `(yaml, body, line number of the first YAML line)`.
/// `Ok(None)` when the text has no front matter; `Err` when it is opened but never closed.
pub(super) fn split_front_matter(
    text: &str,
) -> std::result::Result<Option<(&str, &str, usize)>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(first_end) = text.find('\n') else {
        return Ok(None);
    };
    if text[..first_end].trim_end() != "---" {
        return Ok(None);
    }
    let yaml_start = first_end + 1;
    let mut pos = yaml_start;
    while pos <= text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = text[pos..end].trim_end();
        if line == "---" || line == "..." {
            let body = if end < text.len() {
                &text[end + 1..]
            } else {
                ""
            };
            return Ok(Some((&text[yaml_start..pos], body, 2)));
        }
        if end == text.len() {
            break;
        }
        pos = end + 1;
    }
    Err("front matter opened with --- on line 1 is never closed with ---".to_string())
}

/// Front matter, keys normalised (lowercase, no `_` or `-`).
#[derive(Debug, Default)]
pub(super) struct Meta {
    fields: Vec<(String, Value)>,
}

impl Meta {
    pub(super) fn parse(yaml: &str, first_line: usize) -> std::result::Result<Meta, String> {
        let value: Value = serde_yaml_ng::from_str(yaml).map_err(|e| {
            let message = e.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string();
            match e.location() {
                Some(loc) => format!(
                    "front matter is not valid YAML: line {}, column {}: {message}",
                    loc.line() + first_line - 1,
                    loc.column()
                ),
                None => format!("front matter is not valid YAML: {message}"),
            }
        })?;
        let mapping = match value {
            Value::Null => return Ok(Meta::default()),
            Value::Mapping(m) => m,
            _ => return Err("front matter is not a list of `key: value` lines".to_string()),
        };
        let fields = mapping
            .into_iter()
            .filter_map(|(k, v)| Some((normalise_key(&scalar(&k)?), v)))
            .collect();
        Ok(Meta { fields })
    }

    fn get(&self, keys: &[&str]) -> Option<&Value> {
        keys.iter()
            .find_map(|k| self.fields.iter().find(|(f, _)| f == k).map(|(_, v)| v))
    }

    /// The first of `keys` with a non-empty scalar value.
    fn text(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| {
            self.fields
                .iter()
                .filter(|(f, _)| f == k)
                .find_map(|(_, v)| scalar(v).filter(|s| !s.is_empty()))
        })
    }

    pub(super) fn source(
        &self,
        item: &Item,
        blocks: &[Block],
    ) -> std::result::Result<Source, String> {
        let url = self.text(&["url", "link", "canonical"]);
        let nci_path = url.as_deref().and_then(nci_path);
        let nci = nci_path.is_some();
        let professional = nci_path.as_deref().is_some_and(is_nci_professional);

        let mut title = self
            .text(&["title"])
            .or_else(|| {
                let first_h1 = blocks.iter().find_map(|b| match b {
                    Block::Heading(1, t) => Some(t.clone()),
                    _ => None,
                });
                first_h1.or_else(|| {
                    blocks.iter().find_map(|b| match b {
                        Block::Heading(_, t) => Some(t.clone()),
                        _ => None,
                    })
                })
            })
            .unwrap_or_else(|| item.stem().to_string());
        if nci {
            if let Some(t) = title.strip_suffix(" - NCI") {
                title = t.trim_end().to_string();
            }
        }

        let id = match (self.text(&["id"]), &nci_path) {
            (Some(id), _) => id,
            (None, Some(path)) if !path.is_empty() => format!("nci:{path}"),
            _ => format!("md:{}", item.stem()),
        };

        let mut source = Source::new(id, collapse_ws(&title));
        source.url = url;
        source.publisher = self.text(&["publisher", "organisation", "organization", "source"]);
        source.date = self.text(&[
            "date",
            "lastreviewed",
            "updated",
            "published",
            "datepublished",
        ]);
        source.year = self
            .text(&["year"])
            .and_then(|y| first_year(&y))
            .or_else(|| source.date.as_deref().and_then(first_year));
        source.licence = self.text(&["licence", "license"]);
        source.review_status = self.text(&["reviewstatus"]);
        source.grade = self.text(&["grade"]);

        source.kind = match self.text(&["kind"]) {
            Some(k) => k.parse::<SourceKind>().map_err(|_| {
                format!(
                    "front matter kind '{k}' is not one of guideline, recommendation statement, \
                     professional summary, patient information, research abstract, other"
                )
            })?,
            None if professional => SourceKind::ProfessionalSummary,
            None if nci => match self.text(&["audiencelevel"]).as_deref() {
                Some(a) if a.parse::<Audience>().ok() == Some(Audience::Clinician) => {
                    SourceKind::ProfessionalSummary
                }
                _ => SourceKind::PatientInformation,
            },
            None => SourceKind::Other,
        };
        let audience = match self.text(&["audience"]) {
            Some(a) => Some(a),
            None if professional => Some("clinician".to_string()),
            None => self.text(&["audiencelevel"]),
        };
        source.audience = match audience {
            Some(a) => a.parse::<Audience>().map_err(|_| {
                format!(
                    "front matter audience '{a}' is not one of clinician, patient, student, all"
                )
            })?,
            None => match source.kind {
                SourceKind::PatientInformation => Audience::Patient,
                SourceKind::ProfessionalSummary
                | SourceKind::Guideline
                | SourceKind::RecommendationStatement => Audience::Clinician,
                _ => Audience::All,
            },
        };
        if let Some(Value::Sequence(refs)) = self.get(&["references"]) {
            source.references = refs.iter().filter_map(reference).collect();
        }
        source.origin = item.path.clone();
        Ok(source)
    }
}

fn normalise_key(k: &str) -> String {
    k.chars()
        .filter(|c| *c != '_' && *c != '-' && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A scalar YAML value as trimmed text.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar(&t.value),
        _ => None,
    }
}

fn reference(v: &Value) -> Option<Reference> {
    match v {
        Value::Mapping(m) => {
            let get = |keys: &[&str]| {
                m.iter().find_map(|(k, v)| {
                    let k = normalise_key(&scalar(k)?);
                    if keys.contains(&k.as_str()) {
                        scalar(v).filter(|s| !s.is_empty())
                    } else {
                        None
                    }
                })
            };
            Some(Reference {
                title: get(&["title", "name"])?,
                organisation: get(&["organisation", "organization", "publisher", "source"]),
                year: get(&["year", "date"]).and_then(|y| first_year(&y)),
                url: get(&["url", "link", "doi"]),
            })
        }
        _ => scalar(v).filter(|s| !s.is_empty()).map(|title| Reference {
            title,
            ..Reference::default()
        }),
    }
}

/// The path of a cancer.gov URL (without leading or trailing `/`, query or fragment).
fn nci_path(url: &str) -> Option<String> {
    let rest = url
        .trim()
        .strip_prefix("https://")
        .or_else(|| url.trim().strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    if host != "cancer.gov" && !host.ends_with(".cancer.gov") {
        return None;
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    Some(path.trim_matches('/').to_string())
}

/// Whether a cancer.gov path is a health-professional page.
fn is_nci_professional(path: &str) -> bool {
    path.split('/').any(|seg| {
        seg == "hp" || seg.starts_with("hp-") || seg.ends_with("-hp") || seg.ends_with("-hp-pdq")
    })
}
