//! The grounded composer: retrieve, pick sentences that answer the question, arrange them
//! under sections chosen by the kind of question, number the citations, verify.
//!
//! Every statement is a sentence (or list item) of a retrieved passage, with the source's own
//! bracketed reference numbers removed; nothing is paraphrased, so doses, grades and numbers stay
//! exactly as the source states them.
//!
//! The flow lives here; the parts are `candidates` (sentences and their scores), `select`
//! (diversity-aware choice), [`sections`] (templates and cues, data stemmed at load) and
//! `arrange` (sections, citation numbers, title). A question is checked and analysed once
//! ([`Composer::prepare`]) and then composed for every audience asked
//! ([`Composer::compose_all`]); [`Composer::answer`] is the one-audience case.

mod arrange;
pub mod candidates;
pub mod sections;
mod select;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use evident_core::text::is_stopword;
use evident_core::text::words;
use evident_core::{
    Answer, Audience, QuestionAnalysis, QuestionKind, Statement, ANSWER_SCHEMA_VERSION,
    MAX_QUESTION_BYTES,
};
use evident_index::{Hit, Library, SearchOptions};

use crate::analyze::{analyze, is_question_word};
use crate::error::{Error, Result};
use crate::{concepts, glossary, readability, safety};
pub use candidates::SentenceWeights;
use candidates::{QueryTerms, Scoring};
use sections::Sections;

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
    /// Below this best-sentence support the evidence is too weak and the answer abstains
    /// (0.35 wrongly abstained on an in-library dev question; lower pads answers with
    /// sentences that barely touch the question).
    pub min_support: f32,
    /// Sources an answer draws on at most: more breadth against more repetition and more
    /// citations to check.
    pub max_sources: usize,
    /// Statements per section at most, so one facet cannot crowd out the rest.
    pub section_cap: usize,
    /// How sentences are scored.
    pub weights: SentenceWeights,
    /// Stem Jaccard above which a sentence repeats a chosen statement and is skipped: lower
    /// drops paraphrases sooner but also distinct statements that share a drug name.
    pub max_overlap: f32,
    /// Score lost per unit of overlap with the chosen statements: how strongly selection
    /// prefers a new point over a better-supported near-repeat.
    pub overlap_penalty: f32,
    /// How much more a section's cue counts in a passage's headings than in the sentence: a
    /// guideline's own structure is the best evidence of what a sentence is about.
    pub heading_section_weight: f32,
    /// Best-scored candidates that are placed in sections and can be selected; the rest are
    /// never chosen (bounds the work per answer).
    pub section_pool: usize,
    /// Topics listed when the answer abstains.
    pub nearest_topics: usize,
    /// Statements (lead included) chosen before selection may stop.
    pub min_statements: usize,
    /// Selection stops when the best remaining candidate scores below this share of the
    /// first statement's: an article ends when it stops adding points, not at a fixed count.
    pub stop_ratio: f32,
    /// Added, per unit of the question a sentence covers in its own words (headings left
    /// out), to its score for a lead place: the lead says the answer itself.
    pub lead_own: f32,
}

impl Default for ComposeOptions {
    fn default() -> Self {
        ComposeOptions {
            pool: 100,
            max_statements: 18,
            lead_statements: 2,
            min_support: 0.25,
            max_sources: 4,
            section_cap: 6,
            weights: SentenceWeights::default(),
            max_overlap: 0.6,
            overlap_penalty: 0.5,
            heading_section_weight: 1.5,
            section_pool: 400,
            nearest_topics: 5,
            min_statements: 8,
            stop_ratio: 0.6,
            lead_own: 0.3,
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
    /// The section table stemmed by this library's analyzer, on first use.
    sections: OnceLock<Sections>,
}

/// A question checked and analysed once, ready to be composed for any audience.
#[derive(Debug, Clone)]
pub struct Prepared {
    question: String,
    analysis: QuestionAnalysis,
    /// The question's concepts checked against the library (for a follow-up that leans on its
    /// parent, the parent's concept).
    focus: concepts::Focus,
    /// For such a follow-up: the new concept or point it asks about.
    new_focus: Option<String>,
    took: Duration,
}

impl Prepared {
    /// The question, trimmed.
    pub fn question(&self) -> &str {
        &self.question
    }

    /// Its analysis, the same for every audience (and what question reuse is decided on).
    pub fn analysis(&self) -> &QuestionAnalysis {
        &self.analysis
    }
}

/// What every audience's answer shares beyond the analysis: computed at most once.
#[derive(Default)]
struct Shared {
    /// The question's words the library does not know, quoted (`Some(None)`: none).
    unknown: Option<Option<String>>,
    terms: Option<QueryTerms>,
}

impl<'a> Composer<'a> {
    pub fn new(lib: &'a Library) -> Composer<'a> {
        Composer::with_options(lib, ComposeOptions::default())
    }

    pub fn with_options(lib: &'a Library, opts: ComposeOptions) -> Composer<'a> {
        safety::init();
        concepts::init();
        Composer {
            lib,
            opts,
            sections: OnceLock::new(),
        }
    }

    /// Answers one question. The result always passes [`Answer::verify`].
    pub fn answer(&self, req: &AskRequest<'_>) -> Result<Answer> {
        let mut answers = self.answer_all(req.question, &[(req.audience, req.parent)])?;
        Ok(answers.remove(0))
    }

    /// Answers one question for each audience, each with the answer it follows up (if any):
    /// analysed once, from the first audience's parent.
    pub fn answer_all(
        &self,
        question: &str,
        audiences: &[(Audience, Option<&Answer>)],
    ) -> Result<Vec<Answer>> {
        let parent = audiences.first().and_then(|(_, p)| *p);
        let prepared = self.prepare(question, parent)?;
        self.compose_all(&prepared, audiences)
    }

    /// Checks and analyses a question (a follow-up of `parent` when given).
    pub fn prepare(&self, question: &str, parent: Option<&Answer>) -> Result<Prepared> {
        let started = Instant::now();
        let question = &*evident_core::text::strip_invisible(question);
        let question = question.trim();
        if question.is_empty() {
            return Err(Error::EmptyQuestion);
        }
        if question.len() > MAX_QUESTION_BYTES {
            return Err(Error::QuestionTooLong(question.len()));
        }
        let parent_pair = parent.map(|p| (p.question.as_str(), &p.analysis));
        let mut analysis = analyze(question, parent_pair, self.lib.lexicon());
        // "My thyroid is underactive" names the underactive thyroid: search and resolve it so.
        let reordered = concepts::predicate_names(self.lib, question);
        if let Some(q) = &reordered {
            if analysis.query == question {
                analysis.query = q.clone();
            }
        }
        let own = concepts::resolve(self.lib, reordered.as_deref().unwrap_or(question))?;
        // A follow-up that leans on its parent stays on the parent's concept and asks about
        // something new within it.
        let mut leans = analysis.follows.is_some() && analysis.query != question;
        // A follow-up that names no concept of its own ("Which test should be used?") leans on
        // its parent too, whatever its length.
        if let (Some(p), false) = (parent, leans) {
            if own.concept.is_none() && own.missing.is_none() && p.analysis.focus.is_some() {
                analysis =
                    crate::analyze::lean_on_parent(question, analysis, &p.question, &p.analysis);
                leans = true;
            }
        }
        let (focus, new_focus) = match (&analysis.focus, leans) {
            (Some(parent_focus), true) if own.missing.is_none() => {
                let inherited = concepts::resolve(self.lib, parent_focus)?;
                let new = own
                    .concept
                    .as_ref()
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| question.trim_end_matches(['?', '.', ' ']).to_string());
                (inherited, Some(new))
            }
            _ => (own, None),
        };
        if new_focus.is_none() {
            if let Some(c) = &focus.concept {
                analysis.focus = Some(c.name.clone());
            }
        }
        Ok(Prepared {
            question: question.to_string(),
            analysis,
            focus,
            new_focus,
            took: started.elapsed(),
        })
    }

    /// Composes a prepared question for each audience (with the answer it follows up, which
    /// gives the answer its id). The question's unknown-word check and its scoring terms are
    /// computed once for all of them; each audience searches with its own source-kind priors
    /// (with [`Library::cache_results`] on, as the server has it, the ranking before priors is
    /// computed once). Every answer passes [`Answer::verify`].
    pub fn compose_all(
        &self,
        prepared: &Prepared,
        audiences: &[(Audience, Option<&Answer>)],
    ) -> Result<Vec<Answer>> {
        let mut shared = Shared::default();
        let mut out = Vec::with_capacity(audiences.len());
        let started = Instant::now();
        let who: Vec<Audience> = audiences.iter().map(|(a, _)| *a).collect();
        // Passages naming the concept rank higher: the answer must stay on it.
        let focus = evident_index::query::Focus {
            names: prepared
                .focus
                .concept
                .iter()
                .flat_map(|c| std::iter::once(&c.stems).chain(&c.synonyms))
                .cloned()
                .collect(),
            ..Default::default()
        };
        let opts = SearchOptions {
            k: self.opts.pool,
            snippets: false,
            focus,
            ..SearchOptions::default()
        };
        let per_audience = match self
            .lib
            .search_audiences(&prepared.analysis.query, &opts, &who)
        {
            Ok(h) => h,
            Err(evident_index::Error::EmptyQuery(_)) => vec![Vec::new(); who.len()],
            Err(e) => return Err(e.into()),
        };
        // The one search is shared: each answer's time is its share of it plus its own.
        let search_share = started.elapsed() / who.len().max(1) as u32;
        for (&(audience, parent), hits) in audiences.iter().zip(per_audience) {
            let started = Instant::now();
            let mut answer = self.compose(prepared, audience, parent, hits, &mut shared)?;
            answer.took_ms = (prepared.took + search_share + started.elapsed()).as_secs_f64() * 1e3;
            out.push(answer);
        }
        Ok(out)
    }

    fn sections(&self) -> Result<&Sections> {
        if let Some(s) = self.sections.get() {
            return Ok(s);
        }
        let stemmed = Sections::stem(self.lib, sections::table())?;
        Ok(self.sections.get_or_init(|| stemmed))
    }

    /// One audience's answer, verified (timing is the caller's).
    fn compose(
        &self,
        prepared: &Prepared,
        audience: Audience,
        parent: Option<&Answer>,
        hits: Vec<Hit>,
        shared: &mut Shared,
    ) -> Result<Answer> {
        let question = prepared.question.as_str();
        let analysis = &prepared.analysis;
        let mut answer = Answer {
            schema_version: ANSWER_SCHEMA_VERSION,
            id: answer_id(question, audience, parent.map(|p| p.id.as_str())),
            question: question.to_string(),
            audience,
            analysis: analysis.clone(),
            abstained: false,
            abstention_reason: None,
            nearest_topics: Vec::new(),
            urgent_notice: safety::urgent_notice(question, audience),
            title: question.to_string(),
            lead: Vec::new(),
            sections: Vec::new(),
            citations: Vec::new(),
            questions_to_ask: Vec::new(),
            reading_grade: None,
            disclaimer: match audience {
                Audience::Patient => DISCLAIMER_PATIENT,
                _ => DISCLAIMER_CLINICIAN,
            }
            .to_string(),
            composer: "grounded".to_string(),
            generation: None,
            took_ms: 0.0,
        };

        if shared.unknown.is_none() {
            shared.unknown = Some(self.unknown_terms(question, analysis)?);
        }
        if let Some(Some(missing)) = &shared.unknown {
            let reason = format!(
                "The library does not mention {missing}, so it has no evidence to answer this question."
            );
            return self.abstain(answer, reason, &hits);
        }
        let focus = &prepared.focus;
        if let Some(missing) = &focus.missing {
            let reason = match &missing.nearest {
                Some(near) => format!(
                    "The library does not cover {}: it has sources on {near}, a different topic, but no evidence on {} itself, so it cannot answer this question.",
                    missing.name, missing.name
                ),
                None => format!(
                    "The library does not cover {}, so it has no evidence to answer this question.",
                    missing.name
                ),
            };
            return self.abstain(answer, reason, &hits);
        }
        if hits.is_empty() {
            let reason = "The library has no passage that matches this question.";
            return self.abstain(answer, reason.to_string(), &hits);
        }

        if shared.terms.is_none() {
            shared.terms = Some(QueryTerms::new(self.lib, analysis, &self.opts.weights)?);
        }
        let terms = shared.terms.as_ref().expect("just computed");
        let sections = self.sections()?;
        let scoring = Scoring {
            terms,
            concept: focus.concept.as_ref(),
            population: population(analysis),
            prefer_recommendations: matches!(
                analysis.kind,
                QuestionKind::Screening | QuestionKind::Prevention
            ),
            cues: sections.kind_cues(analysis.kind),
            weights: &self.opts.weights,
            audience,
            max_sources: self.opts.max_sources,
        };
        let mut scored = candidates::candidates(self.lib, &scoring, &hits)?;
        // A follow-up answers what is new: nothing its parent already said.
        if let Some(p) = parent {
            let said: std::collections::HashSet<String> = p
                .statements()
                .map(|s| evident_core::text::normalize_for_match(&s.text))
                .collect();
            scored
                .candidates
                .retain(|c| !said.contains(&evident_core::text::normalize_for_match(&c.text)));
        }
        let candidates = &scored.candidates;
        if candidates.is_empty() {
            if let Some(c) = &focus.concept {
                let reason = format!(
                    "The library does not contain enough evidence on this question: no passage found on {} addresses it.",
                    c.name
                );
                return self.abstain(answer, reason, &hits);
            }
        }
        let best_support = candidates.iter().map(|c| c.support).fold(0.0, f32::max);
        if best_support < self.opts.min_support {
            let reason = "The library does not contain enough evidence on this question: no passage found addresses it closely.";
            return self.abstain(answer, reason.to_string(), &hits);
        }
        let template = sections.template(analysis.kind, audience);
        let section_of: Vec<usize> = candidates
            .iter()
            .take(self.opts.section_pool)
            .map(|c| {
                let trail = &scored.trails[&c.hit];
                sections::assign_section(
                    &c.stems,
                    trail,
                    &template,
                    self.opts.heading_section_weight,
                )
            })
            .collect();
        let main = scored.main_source.as_deref();
        // The lead comes from the strongest source on the concept and, where it has one, from
        // a sentence of the kind asked.
        let from_main = |c: &candidates::Candidate| main == Some(hits[c.hit].source.id.as_str());
        // When the main source has no sentence of that kind, another source's that answers the
        // kind asked leads rather than the main source's definition.
        let main_on_kind = candidates.iter().any(|c| from_main(c) && c.on_kind);
        let any_on_kind = candidates.iter().any(|c| c.on_kind);
        let lead_ok = |c: &candidates::Candidate| {
            if main_on_kind {
                from_main(c) && c.on_kind
            } else if any_on_kind {
                c.on_kind
            } else {
                from_main(c)
            }
        };
        let chosen = select::select(
            candidates,
            self.opts.max_statements + self.opts.lead_statements,
            self.opts.lead_statements,
            &lead_ok,
            &section_of,
            self.opts.section_cap,
            select::Diversity {
                max_overlap: self.opts.max_overlap,
                overlap_penalty: self.opts.overlap_penalty,
                min_statements: self.opts.min_statements,
                stop_ratio: self.opts.stop_ratio,
                lead_own: self.opts.lead_own,
            },
        );
        let chosen = arrange::Chosen {
            candidates,
            chosen: &chosen.chosen,
            lead: chosen.lead,
            section_of: &section_of,
            template: &template,
        };
        arrange::arrange(&mut answer, analysis, &hits, &chosen);
        if let (Some(new), Some(on)) = (&prepared.new_focus, &analysis.focus) {
            // The follow-up's title names its concept and what is new.
            let title = arrange::capitalise(on.split(" (").next().unwrap_or(on));
            answer.title = format!("{title}: {new}");
        }
        if audience == Audience::Patient {
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
        finish(answer)
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

    /// Turns `answer` into an abstention naming `reason` and the nearest topics retrieved.
    fn abstain(&self, mut answer: Answer, reason: String, hits: &[Hit]) -> Result<Answer> {
        answer.abstained = true;
        let mut topics: Vec<String> = Vec::new();
        for h in hits {
            let t = h.source.title.clone();
            if !topics.contains(&t) {
                topics.push(t);
            }
            if topics.len() == self.opts.nearest_topics {
                break;
            }
        }
        answer.nearest_topics = topics;
        answer.lead = vec![Statement {
            text: reason.clone(),
            citations: Vec::new(),
            glosses: Vec::new(),
            editor_written: false,
            model_written: false,
            check: None,
        }];
        answer.abstention_reason = Some(reason);
        finish(answer)
    }
}

/// Whom the question is about: its population qualifiers, and an age ("a 12-year-old").
fn population(analysis: &QuestionAnalysis) -> candidates::Population {
    let has = |k: &str| analysis.qualifiers.iter().any(|q| q.kind == k);
    let ws = words(&analysis.query);
    let young = ws.windows(3).any(|w| {
        w[1].lower == "year"
            && w[2].lower == "old"
            && w[0].lower.parse::<u32>().is_ok_and(|age| age < 18)
    });
    candidates::Population {
        children: has("children") || young,
        pregnancy: has("pregnancy"),
    }
}

/// Proves the answer grounded; an answer that fails verification is never returned.
fn finish(answer: Answer) -> Result<Answer> {
    answer.verify().map_err(Error::Unverified)?;
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
    format!("ans-{:016x}", evident_core::text::fnv1a64(key.as_bytes()))
}
