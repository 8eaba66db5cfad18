//! The grounded composer: retrieve, pick sentences that answer the question, arrange them
//! under sections chosen by the kind of question, number the citations, verify.
//!
//! Every statement is a sentence (or list item) of a retrieved passage, with the source's own
//! bracketed reference numbers removed; nothing is paraphrased, so doses, grades and numbers stay
//! exactly as the source states them.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use evident_core::text::{split_sentences, strip_reference_markers};
use evident_core::{
    Answer, AnswerSection, Audience, Citation, QuestionAnalysis, QuestionKind, Statement,
    ANSWER_SCHEMA_VERSION,
};
use evident_index::lexicon::words;
use evident_index::query::{self, is_stopword};
use evident_index::{Hit, Library, SearchOptions};

use crate::analyze::{analyze, is_question_word};
use crate::error::{Error, Result};
use crate::{glossary, readability, safety};

/// Tuning of the grounded composer. The defaults are fixed once and documented in
/// `docs/answers.md`; the abstention threshold was calibrated on the clinical dev set.
#[derive(Debug, Clone)]
pub struct ComposeOptions {
    /// Passages retrieved per question.
    pub pool: usize,
    /// Statements in the body (the lead comes on top).
    pub max_statements: usize,
    /// Statements in the lead.
    pub lead_statements: usize,
    /// Below this best-sentence support the evidence is too weak and the answer abstains.
    pub min_support: f32,
    /// Sources an answer draws on at most.
    pub max_sources: usize,
    /// Statements per section at most.
    pub section_cap: usize,
}

impl Default for ComposeOptions {
    fn default() -> Self {
        ComposeOptions {
            pool: 50,
            max_statements: 22,
            lead_statements: 2,
            min_support: 0.25,
            max_sources: 4,
            section_cap: 6,
        }
    }
}

/// A question to answer.
#[derive(Debug, Clone)]
pub struct AskRequest<'a> {
    pub question: &'a str,
    pub audience: Audience,
    /// The answer this question follows up, if any.
    pub parent: Option<&'a Answer>,
}

pub const DISCLAIMER_CLINICIAN: &str = "For health professionals. Every statement above is quoted from the cited source passage; check the sources and use clinical judgement before applying them to a patient. Evident does not replace professional judgement or current local guidance.";
pub const DISCLAIMER_PATIENT: &str = "This information is for learning, not a diagnosis or a treatment plan. Talk with your doctor, nurse or pharmacist about your own situation. If you think you have an emergency, call your local emergency number.";

/// Composes grounded answers from a library.
pub struct Composer<'a> {
    lib: &'a Library,
    opts: ComposeOptions,
}

/// A sentence that could become a statement.
#[derive(Debug, Clone)]
struct Candidate {
    text: String,
    hit: usize,
    stems: HashSet<String>,
    score: f32,
    support: f32,
}

/// A section template: heading and the stems that pull a sentence into it.
type Template = &'static [(&'static str, &'static [&'static str])];

const TREATMENT: Template = &[
    (
        "Confirming the diagnosis and initial assessment",
        &[
            "diagnos", "biopsi", "confirm", "antibodi", "assess", "evalu", "workup", "imag", "mri",
            "stage", "test", "screen",
        ],
    ),
    (
        "First-line therapy",
        &[
            "first", "initi", "standard", "prefer", "start", "begin", "induct", "frontlin",
        ],
    ),
    (
        "Second-line and add-on therapy",
        &[
            "second", "add", "addit", "altern", "inadequ", "switch", "combin", "escal",
        ],
    ),
    (
        "Refractory or relapsed disease",
        &[
            "refractori",
            "relaps",
            "resist",
            "persist",
            "fail",
            "salvag",
            "recurr",
        ],
    ),
    (
        "Considerations by subgroup",
        &[
            "pregnanc", "pregnant", "child", "pediatr", "older", "elder", "renal", "kidney",
            "hepat", "liver", "posit", "negat", "seroneg", "women", "men",
        ],
    ),
    (
        "Monitoring and maintenance",
        &[
            "monitor", "follow", "mainten", "maintain", "taper", "durat", "long", "surveil",
            "check", "month",
        ],
    ),
    (
        "Prognosis and outcomes",
        &[
            "prognosi", "surviv", "outcom", "mortal", "predict", "respons", "remiss",
        ],
    ),
    (
        "Cautions and pitfalls",
        &[
            "avoid",
            "caution",
            "risk",
            "advers",
            "side",
            "toxic",
            "contraind",
            "warn",
            "harm",
            "infect",
            "complic",
        ],
    ),
];

const SCREENING: Template = &[
    (
        "Who should be screened",
        &[
            "recommend",
            "adult",
            "age",
            "ag",
            "aged",
            "women",
            "men",
            "risk",
            "popul",
            "pregnant",
            "adolesc",
        ],
    ),
    (
        "How and how often",
        &[
            "interv",
            "everi",
            "year",
            "test",
            "method",
            "annual",
            "cytolog",
            "mammographi",
            "colonoscopi",
            "frequenc",
            "schedul",
        ],
    ),
    (
        "When to stop or not screen",
        &[
            "stop",
            "older",
            "discontinu",
            "against",
            "not",
            "75",
            "85",
            "65",
        ],
    ),
    (
        "Evidence, benefits and harms",
        &[
            "grade",
            "evid",
            "certainti",
            "benefit",
            "harm",
            "insuffici",
            "net",
        ],
    ),
];

const DIAGNOSIS: Template = &[
    (
        "Clinical features",
        &["symptom", "sign", "present", "histori", "examin", "clinic"],
    ),
    (
        "Tests and work-up",
        &[
            "test",
            "biopsi",
            "imag",
            "ct",
            "mri",
            "laboratori",
            "blood",
            "antibodi",
            "stage",
            "scan",
            "serolog",
            "measur",
            "level",
            "ultrasound",
        ],
    ),
    (
        "Interpreting results and pitfalls",
        &[
            "fals",
            "posit",
            "negat",
            "mislead",
            "differenti",
            "exclud",
            "before",
            "gluten",
            "repeat",
        ],
    ),
];

const DOSING: Template = &[
    (
        "Dose and schedule",
        &[
            "mg", "dose", "daili", "week", "dosag", "kg", "mcg", "µg", "schedul", "twice", "once",
        ],
    ),
    (
        "Duration",
        &[
            "durat", "month", "year", "continu", "stop", "until", "period",
        ],
    ),
    (
        "Adjustments and special populations",
        &[
            "adjust", "renal", "kidney", "hepat", "pregnan", "child", "older", "reduc", "genotyp",
            "mutat",
        ],
    ),
    (
        "Cautions",
        &[
            "avoid",
            "caution",
            "risk",
            "advers",
            "side",
            "toxic",
            "contraind",
            "warn",
            "interact",
        ],
    ),
];

const MONITORING: Template = &[
    (
        "What to monitor",
        &[
            "monitor", "measur", "check", "assess", "level", "test", "symptom", "respons",
        ],
    ),
    (
        "How often",
        &[
            "week", "month", "year", "everi", "interv", "frequenc", "regular",
        ],
    ),
    (
        "When to change treatment",
        &[
            "chang", "switch", "adjust", "increas", "add", "inadequ", "remiss", "continu", "durat",
        ],
    ),
];

const PROGNOSIS: Template = &[
    (
        "Outlook",
        &[
            "prognosi", "surviv", "recov", "outcom", "cure", "most", "rate", "percent",
        ],
    ),
    (
        "Factors that affect the outlook",
        &[
            "factor", "predict", "associ", "wors", "poor", "age", "stage", "depend",
        ],
    ),
    (
        "Course and recovery",
        &[
            "week", "month", "year", "recoveri", "improv", "time", "perman",
        ],
    ),
];

const PREVENTION: Template = &[
    (
        "Recommended measures",
        &[
            "recommend",
            "take",
            "use",
            "exercis",
            "supplement",
            "vaccin",
            "avoid",
            "intervent",
        ],
    ),
    (
        "Who benefits",
        &[
            "women", "men", "adult", "age", "risk", "popul", "pregnant", "child",
        ],
    ),
    (
        "Evidence, benefits and harms",
        &["grade", "evid", "benefit", "harm", "insuffici", "against"],
    ),
];

const GENERAL: Template = &[
    (
        "What it is",
        &["is", "defin", "type", "condit", "diseas", "disord", "class"],
    ),
    (
        "Causes and risk factors",
        &["caus", "risk", "factor", "gene", "inherit", "mutat"],
    ),
    (
        "Signs and symptoms",
        &["symptom", "sign", "pain", "fever", "feel"],
    ),
    (
        "Treatment",
        &["treat", "therapi", "drug", "medic", "surgeri", "manag"],
    ),
];

/// Extra section for patients: sentences that say when to get help.
const SEEK_CARE: (&str, &[&str]) = (
    "When to seek care",
    &[
        "call", "doctor", "emerg", "urgent", "immedi", "right", "away", "911", "seek", "hospit",
    ],
);

/// Trail headings whose text is not clinical content (reference lists, page furniture).
const NOISE_HEADINGS: &[&str] = &[
    "references",
    "about this pdq summary",
    "latest updates",
    "permission to use",
    "disclaimer",
    "contact us",
    "current clinical trials",
    "reviewers and updates",
    "purpose of this summary",
    "levels of evidence",
    "more information",
    "bibliographic source",
    "guideline status",
    "guideline availability",
    "availability of companion documents",
    "copyright statement",
];

fn template(kind: QuestionKind) -> Template {
    match kind {
        QuestionKind::Treatment => TREATMENT,
        QuestionKind::Screening => SCREENING,
        QuestionKind::Diagnosis => DIAGNOSIS,
        QuestionKind::Dosing | QuestionKind::SideEffects => DOSING,
        QuestionKind::Monitoring => MONITORING,
        QuestionKind::Prognosis => PROGNOSIS,
        QuestionKind::Prevention => PREVENTION,
        _ => GENERAL,
    }
}

/// Stems that show a sentence is about the kind of thing asked.
fn kind_cues(kind: QuestionKind) -> &'static [&'static str] {
    match kind {
        QuestionKind::Treatment => &[
            "treat",
            "therapi",
            "recommend",
            "standard",
            "regimen",
            "option",
            "first",
            "line",
            "dose",
            "mg",
            "indic",
            "surgeri",
            "resect",
        ],
        QuestionKind::Screening => &[
            "screen",
            "recommend",
            "grade",
            "interv",
            "everi",
            "year",
            "age",
            "aged",
            "test",
        ],
        QuestionKind::Diagnosis => &[
            "diagnos", "test", "biopsi", "imag", "confirm", "stage", "workup", "evalu", "antibodi",
        ],
        QuestionKind::Dosing => &[
            "mg", "dose", "daili", "kg", "mcg", "µg", "week", "durat", "year", "month",
        ],
        QuestionKind::Monitoring => &[
            "monitor", "measur", "check", "week", "month", "interv", "follow", "respons", "test",
        ],
        QuestionKind::Prognosis => &[
            "prognosi", "surviv", "outcom", "factor", "predict", "recov", "rate", "year",
        ],
        QuestionKind::Prevention => &[
            "prevent",
            "recommend",
            "reduc",
            "risk",
            "supplement",
            "exercis",
            "vaccin",
        ],
        QuestionKind::SideEffects => &["side", "effect", "advers", "risk", "toxic", "warn"],
        QuestionKind::Causes => &["caus", "risk", "factor"],
        QuestionKind::Symptoms => &["symptom", "sign"],
        _ => &[],
    }
}

impl<'a> Composer<'a> {
    pub fn new(lib: &'a Library) -> Composer<'a> {
        Composer {
            lib,
            opts: ComposeOptions::default(),
        }
    }

    pub fn with_options(lib: &'a Library, opts: ComposeOptions) -> Composer<'a> {
        Composer { lib, opts }
    }

    /// Answers one question. The result always passes [`Answer::verify`].
    pub fn answer(&self, req: &AskRequest<'_>) -> Result<Answer> {
        let started = Instant::now();
        let question = req.question.trim();
        if question.is_empty() {
            return Err(Error::EmptyQuestion);
        }
        if question.len() > 2000 {
            return Err(Error::QuestionTooLong(question.len()));
        }
        let parent = req.parent.map(|p| (p.question.as_str(), &p.analysis));
        let analysis = analyze(question, parent, self.lib.lexicon());
        let urgent = safety::urgent_notice(question, req.audience);
        let mut answer = Answer {
            schema_version: ANSWER_SCHEMA_VERSION,
            id: answer_id(question, req.audience, req.parent.map(|p| p.id.as_str())),
            question: question.to_string(),
            audience: req.audience,
            analysis: analysis.clone(),
            abstained: false,
            abstention_reason: None,
            nearest_topics: Vec::new(),
            urgent_notice: urgent,
            title: question.to_string(),
            lead: Vec::new(),
            sections: Vec::new(),
            citations: Vec::new(),
            questions_to_ask: Vec::new(),
            reading_grade: None,
            disclaimer: match req.audience {
                Audience::Patient => DISCLAIMER_PATIENT,
                _ => DISCLAIMER_CLINICIAN,
            }
            .to_string(),
            composer: "grounded".to_string(),
            took_ms: 0.0,
        };

        let hits = match self.lib.search(
            &analysis.query,
            &SearchOptions {
                k: self.opts.pool,
                audience: req.audience,
                snippets: false,
                ..SearchOptions::default()
            },
        ) {
            Ok(h) => h,
            Err(evident_index::Error::EmptyQuery(_)) => Vec::new(),
            Err(e) => return Err(e.into()),
        };

        if let Some(missing) = self.unknown_terms(question, &analysis)? {
            abstain(
                &mut answer,
                format!("The library does not mention {missing}, so it has no evidence to answer this question."),
                &hits,
            );
            return finish(answer, started);
        }
        if hits.is_empty() {
            abstain(
                &mut answer,
                "The library has no passage that matches this question.".to_string(),
                &hits,
            );
            return finish(answer, started);
        }

        let candidates = self.candidates(&analysis, &hits, req.audience)?;
        let best_support = candidates.iter().map(|c| c.support).fold(0.0, f32::max);
        if best_support < self.opts.min_support {
            abstain(
                &mut answer,
                "The library does not contain enough evidence on this question: no passage found addresses it closely.".to_string(),
                &hits,
            );
            return finish(answer, started);
        }
        let templ = section_template(analysis.kind, req.audience);
        let mut trail_cache: HashMap<usize, HashSet<String>> = HashMap::new();
        let mut section_of = Vec::new();
        for c in candidates.iter().take(400) {
            let trail = match trail_cache.entry(c.hit) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let stems = self.lib.stems(&hits[c.hit].passage.trail.join(" "))?;
                    e.insert(stems.into_iter().collect())
                }
            };
            section_of.push(assign_section(&c.stems, trail, &templ));
        }
        let chosen = select(
            &candidates,
            self.opts.max_statements + self.opts.lead_statements,
            self.opts.lead_statements,
            &section_of,
            self.opts.section_cap,
        );
        self.arrange(
            &mut answer,
            &analysis,
            &hits,
            &candidates,
            &chosen,
            &section_of,
        )?;
        if req.audience == Audience::Patient {
            answer.questions_to_ask = questions_to_ask(analysis.kind, analysis.focus.as_deref());
            let g = glossary::builtin();
            for s in answer.lead.iter_mut().chain(
                answer
                    .sections
                    .iter_mut()
                    .flat_map(|s| s.statements.iter_mut()),
            ) {
                s.glosses = g.glosses(&s.text);
            }
        }
        let all_text: Vec<&str> = answer.statements().map(|s| s.text.as_str()).collect();
        answer.reading_grade = Some(readability::flesch_kincaid_grade(&all_text.join(" ")));
        finish(answer, started)
    }

    /// Words of the question that the library never mentions (nor anything one typo away):
    /// names of drugs or conditions it does not cover. Returns them quoted, for the notice.
    fn unknown_terms(&self, question: &str, analysis: &QuestionAnalysis) -> Result<Option<String>> {
        let mut missing = Vec::new();
        // Hyphenated names ("alpha-gal") must occur as a phrase.
        for token in question.split_whitespace() {
            let t = token.trim_matches(|c: char| !c.is_alphanumeric());
            if t.contains('-') && t.chars().filter(|c| c.is_alphabetic()).count() >= 6 {
                let parts: Vec<&str> = t.split('-').filter(|p| !p.is_empty()).collect();
                let all_alpha = parts.iter().all(|p| p.chars().all(char::is_alphabetic));
                if all_alpha && parts.len() >= 2 && !self.lib.knows_phrase(&parts.join(" "))? {
                    missing.push(t.to_string());
                }
            }
        }
        let source = if analysis.follows.is_some() {
            analysis.query.as_str()
        } else {
            question
        };
        for w in words(source) {
            let lower = w.lower.as_str();
            if lower.chars().count() < 4
                || is_stopword(lower)
                || is_question_word(lower)
                || lower.chars().any(|c| c.is_ascii_digit())
            {
                continue;
            }
            if !self.lib.knows_word(lower)? {
                missing.push(w.original.clone());
            }
        }
        missing.dedup();
        Ok((!missing.is_empty()).then(|| {
            missing
                .iter()
                .map(|m| format!("\"{m}\""))
                .collect::<Vec<_>>()
                .join(", ")
        }))
    }

    /// Every usable sentence of the retrieved passages, scored.
    fn candidates(
        &self,
        analysis: &QuestionAnalysis,
        hits: &[Hit],
        audience: Audience,
    ) -> Result<Vec<Candidate>> {
        // Question stems with IDF weights; lexicon expansions count for their group.
        let mut q_weights: HashMap<String, f32> = HashMap::new();
        let mut groups: Vec<Vec<String>> = Vec::new();
        let ws = words(&analysis.query);
        for w in &ws {
            if is_stopword(&w.lower) {
                continue;
            }
            for stem in self.lib.stems(&w.lower)? {
                let (df, n) = self.lib.doc_freq(&stem)?;
                let idf = ((n as f32 + 1.0) / (df as f32 + 1.0)).ln().max(0.1);
                q_weights.insert(stem.clone(), idf);
                groups.push(vec![stem]);
            }
        }
        for found in self.lib.lexicon().find(&ws) {
            let matched: Vec<String> = ws[found.start..found.end]
                .iter()
                .flat_map(|w| self.lib.stems(&w.lower).unwrap_or_default())
                .collect();
            for alt in &found.alternatives {
                let alt_stems = self.lib.stems(&alt.text())?;
                if alt_stems.len() == 1 {
                    for g in groups.iter_mut() {
                        if matched.contains(&g[0]) {
                            g.push(alt_stems[0].clone());
                        }
                    }
                }
            }
        }
        let total: f32 = q_weights.values().sum::<f32>().max(1e-6);
        let focus_stems: HashSet<String> = analysis
            .focus
            .as_deref()
            .map(|f| self.lib.stems(f).unwrap_or_default().into_iter().collect())
            .unwrap_or_default();
        let cues = kind_cues(analysis.kind);

        // How strongly each source is retrieved, relative to the best.
        let mut source_score: HashMap<&str, f32> = HashMap::new();
        for h in hits {
            *source_score.entry(h.source.id.as_str()).or_default() += h.score;
        }
        let best_source = source_score.values().copied().fold(0.0, f32::max).max(1e-6);
        let mut ranked_sources: Vec<(&str, f32)> =
            source_score.iter().map(|(k, v)| (*k, *v)).collect();
        ranked_sources.sort_by(|a, b| b.1.total_cmp(&a.1));
        let allowed: HashSet<&str> = ranked_sources
            .iter()
            .take(self.opts.max_sources)
            .map(|(k, _)| *k)
            .collect();

        // One analyzer for every sentence: this loop is the composer's hot path.
        let mut analyzer = self.lib.analyzer()?;
        let mut out = Vec::new();
        for (i, hit) in hits.iter().enumerate() {
            if !allowed.contains(hit.source.id.as_str()) {
                continue;
            }
            let trail_lower = hit.passage.trail.join(" ").to_lowercase();
            if NOISE_HEADINGS.iter().any(|n| trail_lower.contains(n)) {
                continue;
            }
            let trail_stems: HashSet<String> =
                query::analyze(&mut analyzer, &hit.passage.trail.join(" "))
                    .into_iter()
                    .collect();
            let rel_source = source_score[hit.source.id.as_str()] / best_source;
            let rank_prior = 1.0 / (1.0 + i as f32 / 10.0);
            let text = &hit.passage.text;
            for r in split_sentences(text) {
                let Some(sentence) = statement_text(&text[r]) else {
                    continue;
                };
                let stems: HashSet<String> = query::analyze(&mut analyzer, &sentence)
                    .into_iter()
                    .collect();
                let covered: f32 = groups
                    .iter()
                    .filter(|g| g.iter().any(|s| stems.contains(s)))
                    .map(|g| q_weights.get(&g[0]).copied().unwrap_or(0.0))
                    .sum();
                let in_context: f32 = groups
                    .iter()
                    .filter(|g| g.iter().any(|s| trail_stems.contains(s)))
                    .map(|g| q_weights.get(&g[0]).copied().unwrap_or(0.0))
                    .sum();
                let support = ((covered + 0.5 * in_context) / total).min(1.0);
                let focus_hit = !focus_stems.is_empty()
                    && focus_stems
                        .iter()
                        .any(|f| stems.contains(f) || trail_stems.contains(f));
                let cue_hits = cues.iter().filter(|c| stems.contains(**c)).count() as f32;
                let trail_cue = cues.iter().any(|c| trail_stems.contains(*c));
                let has_number = sentence.chars().any(|c| c.is_ascii_digit());
                let n_words = sentence.split_whitespace().count() as f32;
                let length_penalty = if n_words < 8.0 {
                    0.15
                } else if n_words > 60.0 {
                    0.1
                } else {
                    0.0
                };
                let mut score = support
                    + 0.15 * focus_hit as u8 as f32
                    + 0.08 * cue_hits.min(3.0)
                    + 0.1 * trail_cue as u8 as f32
                    + 0.05 * has_number as u8 as f32
                    + 0.2 * rank_prior
                    + 0.3 * rel_source
                    - length_penalty;
                score *= evident_index::kind_prior(audience, hit.source.kind);
                out.push(Candidate {
                    text: sentence,
                    hit: i,
                    stems,
                    score,
                    support,
                });
            }
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(out)
    }

    /// Lead, sections, citations.
    fn arrange(
        &self,
        answer: &mut Answer,
        analysis: &QuestionAnalysis,
        hits: &[Hit],
        candidates: &[Candidate],
        chosen: &[usize],
        section_of: &[usize],
    ) -> Result<()> {
        let lead_n = self.opts.lead_statements.min(chosen.len());
        let (lead, body) = chosen.split_at(lead_n);
        let templ = section_template(analysis.kind, answer.audience);
        let other = "Other key points";
        let mut sections: Vec<(String, Vec<usize>)> = Vec::new();
        for &c in body {
            let heading = templ.get(section_of[c]).map_or(other, |(h, _)| *h);
            match sections.iter_mut().find(|(h, _)| h == heading) {
                Some((_, v)) => v.push(c),
                None => sections.push((heading.to_string(), vec![c])),
            }
        }
        // Template order, "Other key points" last.
        let order = |h: &str| {
            templ
                .iter()
                .position(|(t, _)| *t == h)
                .unwrap_or(templ.len())
        };
        sections.sort_by_key(|(h, _)| order(h));

        // Citations numbered by first use, in reading order.
        let mut numbers: HashMap<usize, u32> = HashMap::new();
        let mut cite = |hit: usize, citations: &mut Vec<Citation>| -> u32 {
            *numbers.entry(hit).or_insert_with(|| {
                let h = &hits[hit];
                let n = citations.len() as u32 + 1;
                citations.push(Citation {
                    number: n,
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
                });
                n
            })
        };
        let mut citations = Vec::new();
        for &c in lead {
            let n = cite(candidates[c].hit, &mut citations);
            answer.lead.push(statement(&candidates[c].text, n));
        }
        for (heading, members) in sections {
            let statements = members
                .iter()
                .map(|&c| {
                    let n = cite(candidates[c].hit, &mut citations);
                    statement(&candidates[c].text, n)
                })
                .collect();
            answer.sections.push(AnswerSection {
                heading,
                statements,
            });
        }
        answer.citations = citations;
        if let Some(focus) = &analysis.focus {
            answer.title = format!("{}: {}", capitalise(analysis.kind.label()), focus);
            if analysis.kind == QuestionKind::General {
                answer.title = capitalise(focus);
            }
        }
        Ok(())
    }
}

fn capitalise(s: &str) -> String {
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
    }
}

/// A passage sentence made fit to quote: list marker and the source's reference numbers
/// removed; `None` for fragments, headings, questions, tables and navigation text.
fn statement_text(sentence: &str) -> Option<String> {
    let s = sentence.trim();
    let s = s
        .strip_prefix("- ")
        .or_else(|| s.strip_prefix("* "))
        .or_else(|| s.strip_prefix("• "))
        .unwrap_or(s)
        .trim();
    let s = strip_reference_markers(s);
    let s = evident_core::model::collapse_ws(&s);
    let n_words = s.split_whitespace().count();
    let lower = s.to_lowercase();
    let ends_well = s.ends_with(['.', ')', '%']) || s.ends_with(".\"");
    if !(5..=90).contains(&n_words)
        || !ends_well
        || s.ends_with('?')
        || s.contains(" | ")
        || lower.contains("http")
        || lower.starts_with("go to")
        || lower.starts_with("see ")
        || lower.starts_with("for more information")
        || lower.starts_with("click")
        || lower.contains("this summary")
        || lower.contains("pdq")
        || lower.starts_with("table ")
        || lower.starts_with("figure ")
    {
        return None;
    }
    Some(s)
}

/// Greedy selection with diversity: each pick is the best-scoring candidate after a penalty
/// for overlap with what is already chosen, so no two statements say the same thing; after the
/// lead, no section takes more than `cap` statements, so one facet cannot crowd out the rest.
fn select(
    candidates: &[Candidate],
    n: usize,
    lead: usize,
    section_of: &[usize],
    cap: usize,
) -> Vec<usize> {
    let pool = candidates.len().min(section_of.len());
    let candidates = &candidates[..pool];
    // Texts lowercased once, and stems as sorted ids, so that the overlaps below are merges of
    // integer lists rather than hash lookups of strings.
    let lower: Vec<String> = candidates.iter().map(|c| c.text.to_lowercase()).collect();
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let stems: Vec<Vec<u32>> = candidates
        .iter()
        .map(|c| {
            let mut v: Vec<u32> = c
                .stems
                .iter()
                .map(|s| {
                    let next = ids.len() as u32;
                    *ids.entry(s.as_str()).or_insert(next)
                })
                .collect();
            v.sort_unstable();
            v
        })
        .collect();
    let mut chosen: Vec<usize> = Vec::new();
    let mut taken = vec![false; pool];
    // The largest overlap of each candidate with anything chosen so far.
    let mut overlap = vec![0.0f32; pool];
    let mut per_section: HashMap<usize, usize> = HashMap::new();
    let mut seen_text: HashSet<&str> = HashSet::new();
    while chosen.len() < n {
        let mut best: Option<(f32, usize)> = None;
        for (i, c) in candidates.iter().enumerate() {
            if taken[i] || overlap[i] > 0.6 || seen_text.contains(lower[i].as_str()) {
                continue;
            }
            let full = per_section.get(&section_of[i]).copied().unwrap_or(0) >= cap;
            if chosen.len() >= lead && full {
                continue;
            }
            let s = c.score - 0.5 * overlap[i];
            if best.is_none_or(|(b, _)| s > b) {
                best = Some((s, i));
            }
        }
        let Some((_, k)) = best else { break };
        seen_text.insert(lower[k].as_str());
        if chosen.len() >= lead {
            *per_section.entry(section_of[k]).or_default() += 1;
        }
        chosen.push(k);
        taken[k] = true;
        for i in 0..pool {
            if !taken[i] && overlap[i] <= 0.6 {
                overlap[i] = overlap[i].max(jaccard_sorted(&stems[i], &stems[k]));
            }
        }
    }
    chosen
}

/// Jaccard similarity of two sorted, duplicate-free id lists.
fn jaccard_sorted(a: &[u32], b: &[u32]) -> f32 {
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f32 / union as f32
    }
}

/// The sections of an answer to this kind of question, for this audience.
fn section_template(
    kind: QuestionKind,
    audience: Audience,
) -> Vec<(&'static str, &'static [&'static str])> {
    let mut templ: Vec<(&str, &[&str])> = template(kind).to_vec();
    if audience == Audience::Patient {
        templ.push(SEEK_CARE);
    }
    templ
}

/// The template section a sentence belongs in (`templ.len()` for "Other key points"): the one
/// whose cue stems it and its passage's headings share most; headings weigh more, since a
/// guideline's own structure is the best evidence of what a sentence is about.
fn assign_section(
    stems: &HashSet<String>,
    trail_stems: &HashSet<String>,
    templ: &[(&str, &[&str])],
) -> usize {
    let mut best = (0.0, templ.len());
    for (k, (_, cues)) in templ.iter().enumerate() {
        let s: f32 = cues
            .iter()
            .map(|cue| {
                stems.contains(*cue) as u8 as f32 + 1.5 * trail_stems.contains(*cue) as u8 as f32
            })
            .sum();
        if s > best.0 {
            best = (s, k);
        }
    }
    best.1
}

fn abstain(answer: &mut Answer, reason: String, hits: &[Hit]) {
    answer.abstained = true;
    let mut topics: Vec<String> = Vec::new();
    for h in hits {
        let t = h.source.title.clone();
        if !topics.contains(&t) {
            topics.push(t);
        }
        if topics.len() == 5 {
            break;
        }
    }
    answer.nearest_topics = topics;
    answer.lead = vec![Statement {
        text: reason.clone(),
        citations: Vec::new(),
        glosses: Vec::new(),
        editor_written: false,
    }];
    answer.abstention_reason = Some(reason);
}

/// Times the answer and proves it grounded; an answer that fails verification is never returned.
fn finish(mut answer: Answer, started: Instant) -> Result<Answer> {
    answer.verify().map_err(Error::Unverified)?;
    answer.took_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(answer)
}

/// Questions a patient can bring to an appointment, by kind of question. They are prompts we
/// write, shown under their own heading, never presented as statements from a source.
fn questions_to_ask(kind: QuestionKind, focus: Option<&str>) -> Vec<String> {
    let topic = focus
        .map(|f| f.split(" (").next().unwrap_or(f).to_string())
        .unwrap_or_else(|| "this".to_string());
    let mut out: Vec<String> = match kind {
        QuestionKind::Treatment => vec![
            format!("Which treatment do you recommend for my {topic}, and why?"),
            "What side effects should I watch for, and what should I do if they happen?".into(),
            "How will we know whether the treatment is working?".into(),
        ],
        QuestionKind::Screening | QuestionKind::Prevention => vec![
            "Do I need this test or measure, and how often?".into(),
            "What happens if a result is not normal?".into(),
        ],
        QuestionKind::Diagnosis => vec![
            "Which tests do I need, and what will they show?".into(),
            "Do I need to do anything to prepare for a test?".into(),
        ],
        QuestionKind::Dosing | QuestionKind::SideEffects => vec![
            "What dose should I take, for how long, and what if I miss a dose?".into(),
            "Could this medicine interact with anything else I take?".into(),
        ],
        QuestionKind::Monitoring => vec!["How often do I need check-ups or blood tests?".into()],
        QuestionKind::Prognosis => {
            vec!["What can I expect over the coming weeks and months?".into()]
        }
        _ => vec![format!("What does {topic} mean for me?")],
    };
    out.push("When should I call you, and when should I seek urgent care?".into());
    out
}

/// Stable id: the same question, audience and parent give the same id.
pub fn answer_id(question: &str, audience: Audience, parent: Option<&str>) -> String {
    let key = format!(
        "{}\u{1f}{}\u{1f}{}",
        evident_core::text::normalize_for_match(question),
        audience.label(),
        parent.unwrap_or("")
    );
    format!("ans-{:016x}", evident_index::vectors::text_hash(&key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaccard_of_sorted_ids_matches_the_set_definition() {
        let cases: [(&[u32], &[u32], f32); 5] = [
            (&[], &[], 0.0),
            (&[1, 2, 3], &[], 0.0),
            (&[1, 2, 3], &[1, 2, 3], 1.0),
            (&[1, 3, 5, 7], &[2, 3, 7, 8, 9], 2.0 / 7.0),
            (&[0, 10], &[5], 0.0),
        ];
        for (a, b, want) in cases {
            assert!((jaccard_sorted(a, b) - want).abs() < 1e-6, "{a:?} {b:?}");
            assert!((jaccard_sorted(b, a) - want).abs() < 1e-6, "{b:?} {a:?}");
        }
    }

    fn candidate(text: &str, score: f32) -> Candidate {
        Candidate {
            text: text.to_string(),
            hit: 0,
            stems: text.split_whitespace().map(str::to_lowercase).collect(),
            score,
            support: 0.0,
        }
    }

    #[test]
    fn selection_skips_repeats_and_near_duplicates_and_caps_sections() {
        let c = [
            candidate("alpha beta gamma delta", 1.0),
            candidate("Alpha beta gamma delta", 0.95), // the same text: never twice
            candidate("alpha beta gamma delta epsilon", 0.9), // overlap 0.8: a near duplicate
            candidate("zeta eta theta", 0.5),
            candidate("iota kappa lambda", 0.4),
            candidate("mu nu xi", 0.3),
        ];
        // Lead 1, then at most one per section; candidates 3 and 4 share section 1.
        let chosen = select(&c, 5, 1, &[0, 0, 0, 1, 1, 2], 1);
        assert_eq!(chosen, vec![0, 3, 5]);
    }
}
