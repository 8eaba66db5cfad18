//! Arranging chosen statements into an answer: the lead, the template's sections in order
//! ("Other key points" last), references numbered by first use in reading order (one per
//! source, its quoted passages listed under it), the title.

use std::collections::HashMap;

use evident_core::{Answer, AnswerSection, Citation, QuestionAnalysis, QuestionKind, Statement};
use evident_index::Hit;

use super::candidates::Candidate;
use super::sections::{Section, OTHER_HEADING};

/// What was chosen, and where each candidate belongs.
pub(crate) struct Chosen<'c> {
    pub candidates: &'c [Candidate],
    /// Indices into `candidates`, in selection order; the first `lead` open the answer.
    pub chosen: &'c [usize],
    pub lead: usize,
    /// Section (index into `template`, or its length for "Other key points") per candidate.
    pub section_of: &'c [usize],
    pub template: &'c [&'c Section],
}

/// Fills the lead, sections, citations and title of `answer`.
pub(crate) fn arrange(
    answer: &mut Answer,
    analysis: &QuestionAnalysis,
    hits: &[Hit],
    c: &Chosen<'_>,
) {
    let candidates = c.candidates;
    let lead_n = c.lead.min(c.chosen.len());
    let (lead, body) = c.chosen.split_at(lead_n);
    let templ = c.template;
    let mut sections: Vec<(String, Vec<usize>)> = Vec::new();
    for &k in body {
        let heading = templ
            .get(c.section_of[k])
            .map_or(OTHER_HEADING, |s| s.heading.as_str());
        match sections.iter_mut().find(|(h, _)| h == heading) {
            Some((_, v)) => v.push(k),
            None => sections.push((heading.to_string(), vec![k])),
        }
    }
    // Template order, "Other key points" last.
    let order = |h: &str| {
        templ
            .iter()
            .position(|s| s.heading == h)
            .unwrap_or(templ.len())
    };
    sections.sort_by_key(|(h, _)| order(h));

    let mut references = References::new(hits);
    for &k in lead {
        let n = references.cite(candidates[k].hit);
        answer.lead.push(statement(&candidates[k].text, n));
    }
    for (heading, members) in sections {
        let statements = members
            .iter()
            .map(|&k| {
                let n = references.cite(candidates[k].hit);
                statement(&candidates[k].text, n)
            })
            .collect();
        answer.sections.push(AnswerSection {
            heading,
            statements,
        });
    }
    answer.citations = references.citations();
    if let Some(focus) = &analysis.focus {
        answer.title = format!("{}: {}", capitalise(analysis.kind.label()), focus);
        if analysis.kind == QuestionKind::General {
            answer.title = capitalise(focus);
        }
    }
}

/// The reference list as statements are cited in reading order: one reference per source,
/// numbered by first use, and under each the passages quoted from it, in order of first use.
struct References<'h> {
    hits: &'h [Hit],
    /// Reference number of each source id.
    numbers: HashMap<&'h str, u32>,
    /// Per reference (number - 1): its quoted hits.
    passages: Vec<Vec<usize>>,
}

impl<'h> References<'h> {
    fn new(hits: &'h [Hit]) -> Self {
        References {
            hits,
            numbers: HashMap::new(),
            passages: Vec::new(),
        }
    }

    /// The reference number of hit `hit`'s source, which now quotes that passage.
    fn cite(&mut self, hit: usize) -> u32 {
        let source = self.hits[hit].source.id.as_str();
        let next = self.passages.len() as u32 + 1;
        let n = *self.numbers.entry(source).or_insert(next);
        if n == next {
            self.passages.push(Vec::new());
        }
        let quoted = &mut self.passages[n as usize - 1];
        if !quoted.contains(&hit) {
            quoted.push(hit);
        }
        n
    }

    /// The citations: each reference's passages together, in reference order.
    fn citations(self) -> Vec<Citation> {
        let hits = self.hits;
        self.passages
            .iter()
            .zip(1..)
            .flat_map(|(quoted, n)| quoted.iter().map(move |&h| citation(n, &hits[h])))
            .collect()
    }
}

/// A passage of reference `number`: the retrieved passage quoted whole, with its source.
fn citation(number: u32, h: &Hit) -> Citation {
    Citation {
        number,
        passage_id: h.passage.id.clone(),
        source_id: h.source.id.clone(),
        title: h.source.title.clone(),
        publisher: h.source.publisher.clone(),
        year: h.source.year,
        kind: h.source.kind,
        kind_label: h.source.kind.label().to_string(),
        url: h.source.url.clone(),
        trail: h.passage.trail.clone(),
        grade: h.passage.grade.clone(),
        passage: h.passage.text.clone(),
    }
}

pub(super) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn statement(text: &str, citation: u32) -> Statement {
    Statement {
        text: text.to_string(),
        citations: vec![citation],
        glosses: Vec::new(),
        editor_written: false,
        model_written: false,
        check: None,
    }
}
