//! Sources, documents, sections and passages.
//!
//! A [`Source`] is one named work (a guideline, a recommendation statement, a patient leaflet).
//! Its text becomes one [`Document`] whose [`Section`]s keep the heading trail, and the document is
//! cut into [`Passage`]s, the unit of retrieval and of citation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// What kind of work a source is. The order is the order of preference for clinicians.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Guideline,
    RecommendationStatement,
    ProfessionalSummary,
    PatientInformation,
    ResearchAbstract,
    Other,
}

impl SourceKind {
    pub const ALL: [SourceKind; 6] = [
        SourceKind::Guideline,
        SourceKind::RecommendationStatement,
        SourceKind::ProfessionalSummary,
        SourceKind::PatientInformation,
        SourceKind::ResearchAbstract,
        SourceKind::Other,
    ];

    /// The label shown in reference lists ("Guideline", "Patient information", …).
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Guideline => "Guideline",
            SourceKind::RecommendationStatement => "Recommendation statement",
            SourceKind::ProfessionalSummary => "Professional summary",
            SourceKind::PatientInformation => "Patient information",
            SourceKind::ResearchAbstract => "Research",
            SourceKind::Other => "Other",
        }
    }

    /// A stable small number, used as a fast field in the index.
    pub fn code(self) -> u64 {
        self as u64
    }

    pub fn from_code(code: u64) -> SourceKind {
        SourceKind::ALL
            .get(code as usize)
            .copied()
            .unwrap_or(SourceKind::Other)
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for SourceKind {
    type Err = Error;

    /// Lenient: accepts labels, snake_case and common synonyms ("recommendation", "leaflet").
    fn from_str(s: &str) -> Result<Self, Error> {
        let key: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
            .collect();
        let key = key.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok(match key.as_str() {
            "guideline" | "guidelines" | "clinical practice guideline" => SourceKind::Guideline,
            "recommendation statement" | "recommendation" | "recommendations" => {
                SourceKind::RecommendationStatement
            }
            "professional summary" | "summary" | "health professional" | "hp" => {
                SourceKind::ProfessionalSummary
            }
            "patient information" | "patient" | "patient leaflet" | "leaflet" | "consumer" => {
                SourceKind::PatientInformation
            }
            "research abstract" | "research" | "abstract" => SourceKind::ResearchAbstract,
            "other" => SourceKind::Other,
            _ => return Err(Error::UnknownKind(s.to_string())),
        })
    }
}

/// Who a text is written for, or who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    #[default]
    Clinician,
    Patient,
    Student,
    All,
}

impl Audience {
    pub fn label(self) -> &'static str {
        match self {
            Audience::Clinician => "clinician",
            Audience::Patient => "patient",
            Audience::Student => "student",
            Audience::All => "all",
        }
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Audience {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "clinician" | "professional" | "health professional" | "physician" | "hp" => {
                Audience::Clinician
            }
            "patient" | "caregiver" | "patient or caregiver" | "consumer" | "public" => {
                Audience::Patient
            }
            "student" => Audience::Student,
            "all" | "any" | "general" => Audience::All,
            _ => return Err(Error::UnknownAudience(s.to_string())),
        })
    }
}

/// A work that a source cites or summarises (used by our own starter library).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Reference {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One named work in the library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Stable id, `scheme:local-id` (e.g. `medquad:0000001_1`, `uspstf:182`, `ngc:ngc-9568`).
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// Publication or review date as the source states it (free form, e.g. `2025-12-30`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub kind: SourceKind,
    pub audience: Audience,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    /// Evidence grade or strength of the whole source, where it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
    /// Editorial review state of the source text itself (e.g. `not reviewed` for our own topics).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_status: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// Where it was read from: a path, or `archive.tar.gz!/member/path`.
    #[serde(default)]
    pub origin: String,
}

impl Source {
    /// A source with the given id and title and every other field empty or default.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Source {
        Source {
            id: id.into(),
            title: title.into(),
            publisher: None,
            date: None,
            year: None,
            url: None,
            kind: SourceKind::Other,
            audience: Audience::All,
            licence: None,
            grade: None,
            review_status: None,
            references: Vec::new(),
            origin: String::new(),
        }
    }

    /// The year, taken from `year` or else from the first four-digit number in `date`.
    pub fn effective_year(&self) -> Option<i32> {
        self.year
            .or_else(|| self.date.as_deref().and_then(first_year))
    }
}

/// The first plausible year (1900–2099) in a free-form date.
pub fn first_year(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(3)).find_map(|i| {
        let w = &b[i..i + 4];
        let boundary_before = i == 0 || !b[i - 1].is_ascii_digit();
        let boundary_after = i + 4 == b.len() || !b[i + 4].is_ascii_digit();
        if boundary_before && boundary_after && w.iter().all(u8::is_ascii_digit) {
            let y: i32 = std::str::from_utf8(w).ok()?.parse().ok()?;
            (1900..2100).contains(&y).then_some(y)
        } else {
            None
        }
    })
}

/// A run of a document's text under one heading trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// Headings from the outermost to this section's own (empty for text before any heading).
    pub trail: Vec<String>,
    /// Byte range of the section's body (without its heading) in [`Document::text`].
    pub start: usize,
    pub end: usize,
    /// Evidence grade of this section (e.g. a USPSTF specific recommendation's grade).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
    /// A stable id for this section inside its source (e.g. `uspstf:426`), where it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
}

impl Section {
    /// Nesting depth: 0 for text before any heading, 1 for a top-level section, …
    pub fn depth(&self) -> usize {
        self.trail.len()
    }
}

/// A source's text with its sections, ready to be cut into passages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub source: Source,
    /// The whole text: headings on lines of their own, paragraphs separated by blank lines.
    pub text: String,
    /// Sections in document order; their body ranges do not overlap.
    pub sections: Vec<Section>,
}

impl Document {
    pub fn section_text(&self, section: &Section) -> &str {
        &self.text[section.start..section.end]
    }

    /// Number of words in the document's section bodies.
    pub fn word_count(&self) -> usize {
        self.sections
            .iter()
            .map(|s| self.section_text(s).split_whitespace().count())
            .sum()
    }
}

/// The unit of retrieval and citation: ~60–250 words of one section, cut at sentence ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passage {
    /// `source-id#ordinal`, stable while the source's text is unchanged.
    pub id: String,
    pub source_id: String,
    pub ordinal: u32,
    pub trail: Vec<String>,
    pub text: String,
    /// Byte range of `text` in the document's text.
    pub start: usize,
    pub end: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
}

/// Builds a [`Document`] from headings, paragraphs and list items, keeping the heading trail.
///
/// Readers call it in document order; it normalises whitespace inside each block and records
/// section ranges, so every reader produces the same shape of document.
#[derive(Debug)]
pub struct DocumentBuilder {
    source: Source,
    text: String,
    sections: Vec<Section>,
    /// (level, heading) of the open headings, outermost first.
    stack: Vec<(u8, String)>,
    open: Option<Section>,
}

impl DocumentBuilder {
    pub fn new(source: Source) -> DocumentBuilder {
        DocumentBuilder {
            source,
            text: String::new(),
            sections: Vec::new(),
            stack: Vec::new(),
            open: None,
        }
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    pub fn source_mut(&mut self) -> &mut Source {
        &mut self.source
    }

    /// Opens a section at `level` (1 = outermost). Headings at the same or a deeper level close.
    pub fn heading(&mut self, level: u8, heading: &str) -> &mut Self {
        let heading = collapse_ws(heading);
        if heading.is_empty() {
            return self;
        }
        self.close_section();
        while self.stack.last().is_some_and(|(l, _)| *l >= level) {
            self.stack.pop();
        }
        self.stack.push((level, heading.clone()));
        self.push_block(&heading);
        self
    }

    /// Sets the grade of the section opened by the last heading.
    pub fn grade(&mut self, grade: &str) -> &mut Self {
        let grade = collapse_ws(grade);
        if !grade.is_empty() {
            self.section_mut().grade = Some(grade);
        }
        self
    }

    /// Sets the anchor (stable id inside the source) of the current section.
    pub fn anchor(&mut self, anchor: &str) -> &mut Self {
        self.section_mut().anchor = Some(anchor.to_string());
        self
    }

    /// Appends a paragraph of body text to the current section.
    pub fn paragraph(&mut self, text: &str) -> &mut Self {
        let text = collapse_ws(text);
        if text.is_empty() {
            return self;
        }
        self.section_mut();
        self.push_block(&text);
        let end = self.text.len();
        self.open.as_mut().expect("section is open").end = end;
        self
    }

    /// Appends a list item ("- text") to the current section.
    pub fn list_item(&mut self, text: &str) -> &mut Self {
        let text = collapse_ws(text);
        if text.is_empty() {
            return self;
        }
        self.paragraph(&format!("- {text}"))
    }

    pub fn finish(mut self) -> Document {
        self.close_section();
        Document {
            source: self.source,
            text: self.text,
            sections: self.sections,
        }
    }

    /// True when no body text has been added yet.
    pub fn is_empty(&self) -> bool {
        self.sections.is_empty() && self.open.as_ref().is_none_or(|s| s.start == s.end)
    }

    fn section_mut(&mut self) -> &mut Section {
        if self.open.is_none() {
            let start = self.text.len() + if self.text.is_empty() { 0 } else { 2 };
            self.open = Some(Section {
                trail: self.stack.iter().map(|(_, h)| h.clone()).collect(),
                start,
                end: start,
                grade: None,
                anchor: None,
            });
        }
        self.open.as_mut().expect("section was just opened")
    }

    fn close_section(&mut self) {
        if let Some(section) = self.open.take() {
            if section.end > section.start {
                self.sections.push(section);
            }
        }
    }

    fn push_block(&mut self, block: &str) {
        if !self.text.is_empty() {
            self.text.push_str("\n\n");
        }
        self.text.push_str(block);
    }
}

/// Collapses every run of whitespace to one space and trims the ends.
pub fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_keeps_heading_trail_and_ranges() {
        let mut b = DocumentBuilder::new(Source::new("t:1", "T"));
        b.paragraph("Intro text.");
        b.heading(2, "Treatment");
        b.paragraph("First   line\n therapy.");
        b.heading(3, "Children");
        b.list_item("Lower doses.");
        b.heading(2, "Monitoring");
        b.paragraph("Check CK.");
        let doc = b.finish();
        let trails: Vec<_> = doc.sections.iter().map(|s| s.trail.join(" > ")).collect();
        assert_eq!(
            trails,
            ["", "Treatment", "Treatment > Children", "Monitoring"]
        );
        let bodies: Vec<_> = doc.sections.iter().map(|s| doc.section_text(s)).collect();
        assert_eq!(
            bodies,
            [
                "Intro text.",
                "First line therapy.",
                "- Lower doses.",
                "Check CK."
            ]
        );
    }

    #[test]
    fn empty_sections_are_dropped() {
        let mut b = DocumentBuilder::new(Source::new("t:1", "T"));
        b.heading(1, "Empty");
        b.heading(1, "Full");
        b.paragraph("Text.");
        let doc = b.finish();
        assert_eq!(doc.sections.len(), 1);
        assert_eq!(doc.sections[0].trail, ["Full"]);
    }

    #[test]
    fn kinds_parse_leniently_and_round_trip_codes() {
        assert_eq!(
            "Recommendation Statement".parse::<SourceKind>().unwrap(),
            SourceKind::RecommendationStatement
        );
        assert_eq!(
            "patient_information".parse::<SourceKind>().unwrap(),
            SourceKind::PatientInformation
        );
        assert!("blog".parse::<SourceKind>().is_err());
        for k in SourceKind::ALL {
            assert_eq!(SourceKind::from_code(k.code()), k);
        }
    }

    #[test]
    fn year_from_free_form_dates() {
        assert_eq!(first_year("1996 (revised 2013 Mar 19)"), Some(1996));
        assert_eq!(first_year("'2025-12-30'"), Some(2025));
        assert_eq!(first_year("12345"), None);
        assert_eq!(first_year(""), None);
    }
}
