//! Candidate statements and their scores: every quotable sentence of the retrieved passages,
//! scored by how much of the question it covers plus named bonuses ([`SentenceWeights`]).
//!
//! The question's side of the scoring ([`QueryTerms`]: its stems, their IDF weights, lexicon
//! synonyms, the focus) depends on the question only, so it is built once per question and
//! shared by every audience.

use std::collections::{HashMap, HashSet};

use evident_core::text::words;
use evident_core::text::{split_sentences, strip_reference_markers};
use evident_core::{Audience, QuestionAnalysis};
use evident_index::query::{self, is_stopword};
use evident_index::{Hit, Library};

use crate::concepts::{title_populations, Concept, TitlePopulation};
use crate::error::Result;

/// Weights of a sentence's score. Support (the IDF-weighted share of the question's terms a
/// sentence covers, in `0..=1`) is the base; the rest are bonuses and penalties on that scale.
/// The values were set by hand when the composer was written; none was tuned on an eval one by
/// one (only `ComposeOptions::min_support` was calibrated, see `docs/answers.md`), and every one
/// changes answers, so a change belongs with `evident eval answers` figures before and after.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SentenceWeights {
    /// Smallest IDF a question term weighs, so a term found in every passage still counts a
    /// little rather than not at all.
    pub idf_floor: f32,
    /// Weight of question terms found in the passage's headings (not the sentence) within
    /// support: context counts, but less than the sentence saying it.
    pub heading_support: f32,
    /// Bonus when the sentence or its headings name the question's focus: keeps statements on
    /// the topic rather than on a neighbouring condition that shares words.
    pub focus: f32,
    /// Bonus per cue word of the question's kind in the sentence ("dose", "mg" for a dosing
    /// question), up to `cue_cap` cues: favours sentences of the kind asked.
    pub cue: f32,
    /// Most cue words that count; more would reward lists of keywords over statements.
    pub cue_cap: f32,
    /// Bonus when a kind cue is in the passage's headings (a "Dosage" section).
    pub heading_cue: f32,
    /// Bonus for a sentence with a digit: doses, intervals, grades are what clinicians look for.
    pub number: f32,
    /// Weight of the passage's retrieval rank, `1 / (1 + rank / rank_decay)`: trusts the
    /// ranking a little without letting it override what the sentence says.
    pub rank: f32,
    /// Rank at which the rank bonus has halved.
    pub rank_decay: f32,
    /// Weight of the source's summed retrieval score relative to the best source's: keeps an
    /// answer on the sources most about the question.
    pub source: f32,
    /// Sentences of fewer words are penalised by `short_penalty` (fragments, captions).
    pub short_words: f32,
    /// What a too-short sentence loses: enough to prefer a full statement of equal support.
    pub short_penalty: f32,
    /// Sentences of more words are penalised by `long_penalty` (run-on list items, tables).
    pub long_words: f32,
    /// What a too-long sentence loses; smaller than `short_penalty`, since long sentences are
    /// often complete, just hard to read.
    pub long_penalty: f32,
    /// Multiply each sentence's score by the source-kind prior for the audience
    /// ([`evident_index::kind_prior`]), although retrieval already applied it to the passage
    /// scores. Deliberate, for now: retrieval's prior reaches a sentence only through `rank` and
    /// `source` (at most half a point), while support, cues and focus ignore the source's kind,
    /// so without this a patient leaflet's sentence can outrank a guideline's for a clinician
    /// whenever it covers the question as well. The second application therefore decides which source's
    /// wording leads and fills the sections; turning it off changes answers, and whether the
    /// prior should act once (on passages) or on sentences only belongs to the answer-fidelity
    /// issue, with the dev-set figures in hand.
    pub sentence_kind_prior: bool,
    /// Passages on the topic from the audience's own kind of source (professional sources for
    /// clinicians, patient information for patients) from which the other kind is left out.
    pub own_kind_passages: usize,
    /// Factor on the score of sentences from sources other than the main one (the best source
    /// on the concept): an article reads from one source first, others add what it lacks.
    pub other_source: f32,
    /// How much a source's title matching the question (the IDF-weighted share of question
    /// terms it holds) adds to its retrieval strength when sources on the topic are ranked.
    pub title_match: f32,
    /// Factor on the weight of question words that only describe the case (a vignette's
    /// sentences before the one that asks): what is asked decides what answers it.
    pub case_terms: f32,
    /// Bonus when the passage's own heading names at least [`ASK_HEADING_TERMS`] of the
    /// question's words outside its focus: the source's section on exactly what is asked.
    pub asked_heading: f32,
    /// Bonus for a sentence that tells the reader what to do or not to do ("should be
    /// stopped", "must not", "avoid"): the actions a clinician comes for.
    pub directive: f32,
    /// Bonus for a sentence with any cue word of the kind asked, beside `cue` per cue: what
    /// answers the kind of question outranks context that only shares its topic (a
    /// diagnostic detail in a treatment answer).
    pub on_kind: f32,
}

impl Default for SentenceWeights {
    fn default() -> Self {
        SentenceWeights {
            idf_floor: 0.1,
            heading_support: 0.5,
            focus: 0.15,
            cue: 0.08,
            cue_cap: 3.0,
            heading_cue: 0.1,
            number: 0.05,
            rank: 0.2,
            rank_decay: 10.0,
            source: 0.3,
            short_words: 8.0,
            short_penalty: 0.15,
            long_words: 60.0,
            long_penalty: 0.1,
            sentence_kind_prior: true,
            own_kind_passages: 3,
            other_source: 0.85,
            title_match: 2.0,
            case_terms: 0.5,
            asked_heading: 0.4,
            directive: 0.05,
            on_kind: 0.1,
        }
    }
}

/// Question words outside the focus that a heading must name to be about what is asked: one
/// ("treatment") is what most headings of a summary share; two say what the question asks.
pub(crate) const ASK_HEADING_TERMS: usize = 2;

/// Words a quotable sentence has, at least and at most: shorter is a fragment or a heading,
/// longer a table or a run-on list flattened into one "sentence".
const STATEMENT_WORDS: std::ops::RangeInclusive<usize> = 5..=90;

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
    // Guideline summaries' furniture: how the guideline was made, what it considered, its
    // flowcharts and who funded it, not what it recommends.
    "methodology",
    "description of method",
    "interventions and practices considered",
    "clinical algorithm",
    "rating scheme",
    "guideline objective",
    "implementation of the guideline",
    "funding source",
    "disclosure",
    "composition of group",
    "guideline developer",
    "guideline endorser",
    "date released",
    "adaptation",
];

/// Words of page navigation and calls to action: a sentence holding one is about the page, not
/// the topic.
const NAVIGATION: &[&str] = &[
    "click",
    "watch the video",
    "video",
    "learn more",
    "see also",
    "call 1-800",
    "visit our website",
    "visit the website",
    "this page",
];

/// First words of a sentence that stands on a previous one ("This treatment…", "These drugs…"):
/// quoted alone it does not say what it is about.
const LEANING_STARTS: &[&str] = &[
    "this",
    "these",
    "those",
    "such",
    "they",
    "their",
    "both",
    "either",
    "neither",
    "he",
    "she",
    "his",
    "her",
    "its",
    "them",
    "another",
    "the latter",
    "the former",
    "however",
    "otherwise",
    "instead",
    "in this",
    "in these",
    "in such",
    "of these",
    "of those",
    "for these",
    "for this",
];

/// Whether a sentence directs an action: a modal of obligation or a prohibition.
fn directs(text: &str) -> bool {
    let lower = text.to_lowercase();
    ["should", "must", "avoid", "never", "do not"]
        .iter()
        .any(|d| contains_words(&lower, d))
}

/// Whether `text` starts with a word (or words) that lean on the sentence before.
fn leans_on_previous(text: &str) -> bool {
    let ws = words(text);
    // "To address these concerns, …", "To reduce this risk, …": a purpose clause about what
    // the sentence before named.
    let demonstrative = |w: &str| matches!(w, "this" | "these" | "those");
    if ws.len() > 3 && ws[0].lower == "to" && demonstrative(&ws[2].lower) {
        return true;
    }
    LEANING_STARTS.iter().any(|start| {
        let parts: Vec<&str> = start.split(' ').collect();
        ws.len() > parts.len() && parts.iter().zip(&ws).all(|(p, w)| w.lower == *p)
    })
}

/// Whether a run of two to six capitalised words opens `text` before a capitalised word that
/// starts a sentence: a heading fused onto the sentence it heads ("If You Suspect Widgets If
/// you…").
fn fused_heading(text: &str) -> bool {
    const OPENERS: &[&str] = &[
        "If",
        "The",
        "A",
        "An",
        "People",
        "Your",
        "You",
        "Most",
        "Some",
        "This",
        "These",
        "Treatment",
        "Doctors",
        "It",
        "There",
        "When",
        "Many",
        "In",
        "Symptoms",
        "Signs",
    ];
    let toks: Vec<&str> = text.split_whitespace().collect();
    let capital = |t: &str| t.chars().next().is_some_and(char::is_uppercase);
    let mut run = 0;
    while run < toks.len() && run <= 6 && capital(toks[run]) {
        run += 1;
        if run >= 3 {
            let next = toks[run - 1].trim_matches(|c: char| !c.is_alphanumeric());
            if OPENERS.contains(&next) {
                return true;
            }
        }
    }
    false
}

/// Whether `phrase` occurs in `lower` as whole words.
fn contains_words(lower: &str, phrase: &str) -> bool {
    lower.match_indices(phrase).any(|(i, _)| {
        let before = lower[..i].chars().next_back();
        let after = lower[i + phrase.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// A sentence that could become a statement.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub text: String,
    /// Index of its passage in the hits.
    pub hit: usize,
    pub stems: HashSet<String>,
    pub score: f32,
    /// The share of the question it covers (see [`SentenceWeights`]).
    pub support: f32,
    /// The share of the question the sentence's own words cover, headings left out: how
    /// directly it answers, for the lead.
    pub own: f32,
    /// Whether it says something of the kind asked (a cue word of the kind in the sentence).
    pub on_kind: bool,
}

/// The scored candidates of one ranking, best first, and the stems of the headings of each
/// passage that has candidates (by hit index), for arranging them into sections.
pub(crate) struct Scored {
    pub candidates: Vec<Candidate>,
    /// The best-retrieved source admitted by the topic gate: where the lead comes from.
    pub main_source: Option<String>,
    pub trails: HashMap<usize, HashSet<String>>,
}

/// The question's terms as scoring needs them; the same for every audience.
pub(crate) struct QueryTerms {
    /// IDF weight of each question stem.
    weights: HashMap<String, f32>,
    /// One group per question stem: the stem first, then single-word lexicon synonyms.
    groups: Vec<Vec<String>>,
    /// Sum of the weights (never zero).
    total: f32,
    focus: HashSet<String>,
}

impl QueryTerms {
    /// Question stems with IDF weights; lexicon expansions count for their group.
    pub fn new(lib: &Library, analysis: &QuestionAnalysis, w: &SentenceWeights) -> Result<Self> {
        let mut weights: HashMap<String, f32> = HashMap::new();
        let mut groups: Vec<Vec<String>> = Vec::new();
        let ws = words(&analysis.query);
        let asked = ask_stems(lib, &analysis.query)?;
        let focus: HashSet<String> = analysis
            .focus
            .as_deref()
            .map(|f| lib.stems(f).unwrap_or_default().into_iter().collect())
            .unwrap_or_default();
        for word in &ws {
            if is_stopword(&word.lower) {
                continue;
            }
            for stem in lib.stems(&word.lower)? {
                let (df, n) = lib.doc_freq(&stem)?;
                let mut idf = ((n as f32 + 1.0) / (df as f32 + 1.0)).ln().max(w.idf_floor);
                // A word of the case described, not of what is asked about it (nor the focus).
                if asked.as_ref().is_some_and(|a| !a.contains(&stem)) && !focus.contains(&stem) {
                    idf *= w.case_terms;
                }
                weights.insert(stem.clone(), idf);
                groups.push(vec![stem]);
            }
        }
        for found in lib.lexicon().find(&ws) {
            let matched: Vec<String> = ws[found.start..found.end]
                .iter()
                .flat_map(|w| lib.stems(&w.lower).unwrap_or_default())
                .collect();
            for alt in &found.alternatives {
                let alt_stems = lib.stems(&alt.text())?;
                if alt_stems.len() == 1 {
                    for g in groups.iter_mut() {
                        if matched.contains(&g[0]) {
                            g.push(alt_stems[0].clone());
                        }
                    }
                }
            }
        }
        // Summed in question order, not the map's (random) order, so that the total — and every
        // score divided by it — is the same to the last bit from one run to the next.
        let mut seen = HashSet::new();
        let total: f32 = groups
            .iter()
            .filter(|g| seen.insert(g[0].as_str()))
            .map(|g| weights[&g[0]])
            .sum::<f32>()
            .max(1e-6);
        Ok(QueryTerms {
            weights,
            groups,
            total,
            focus,
        })
    }

    /// Summed weight of the question's term groups that `stems` contains.
    fn covered(&self, stems: &HashSet<String>) -> f32 {
        self.groups
            .iter()
            .filter(|g| g.iter().any(|s| stems.contains(s)))
            .map(|g| self.weights.get(&g[0]).copied().unwrap_or(0.0))
            .sum()
    }

    /// How many of the question's term groups outside its focus a heading's `stems` name and
    /// its source's `title` does not: the words of what the question asks ("prepare",
    /// "medically"), beyond what the question and the source are about.
    pub(crate) fn ask_groups(&self, stems: &HashSet<String>, title: &HashSet<String>) -> usize {
        let mut seen = HashSet::new();
        self.groups
            .iter()
            .filter(|g| !self.focus.contains(&g[0]) && seen.insert(g[0].as_str()))
            .filter(|g| g.iter().any(|s| stems.contains(s) && !title.contains(s)))
            .count()
    }
}

/// The stems of the sentence that asks, when a question first describes a case ("A 58-year-old
/// with … now has …. When is treatment indicated?"): its last sentence with a question mark.
/// `None` for a one-sentence question, whose every word is part of what it asks.
fn ask_stems(lib: &Library, question: &str) -> Result<Option<HashSet<String>>> {
    let sentences: Vec<&str> = split_sentences(question)
        .into_iter()
        .map(|r| question[r].trim())
        .filter(|s| !s.is_empty())
        .collect();
    if sentences.len() < 2 {
        return Ok(None);
    }
    let Some(ask) = sentences.iter().rev().find(|s| s.ends_with('?')) else {
        return Ok(None);
    };
    Ok(Some(lib.stems(ask)?.into_iter().collect()))
}

/// Whether a heading trail (lowercased) is page furniture rather than clinical content.
pub(crate) fn noise_trail(trail_lower: &str) -> bool {
    NOISE_HEADINGS.iter().any(|n| trail_lower.contains(n))
}

/// Whom the question is about, as far as source titles can tell it apart.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Population {
    pub children: bool,
    pub pregnancy: bool,
}

/// What one ranking is scored with.
pub(crate) struct Scoring<'s> {
    pub terms: &'s QueryTerms,
    /// The concept the answer must stay on (the topic gate), if the question names one.
    pub concept: Option<&'s Concept>,
    pub population: Population,
    /// Rank recommendation statements and guidelines on the topic first.
    pub prefer_recommendations: bool,
    pub cues: &'s [String],
    pub weights: &'s SentenceWeights,
    pub audience: Audience,
    /// Sources an answer draws on at most.
    pub max_sources: usize,
}

/// The topic gate over passages: which are about the concept (their title or heading trail
/// names it), which sources are on the topic at all, and which of those fit the population and
/// the audience. `None` for a passage means its source is not admitted.
struct Gate {
    /// Per hit: whether its title, trail or text names the concept (always true without one).
    about: Vec<bool>,
    /// Sources admitted (at most `max_sources`).
    allowed: HashSet<String>,
    /// The best retrieved of them.
    main: Option<String>,
    /// Each admitted source's retrieval strength relative to the best admitted one.
    strength: HashMap<String, f32>,
    /// Each retrieved source's title, stemmed (a passage's context for support).
    title_stems: HashMap<String, HashSet<String>>,
}

/// A source's retrieval strength is the summed score of at most this many of its best passages
/// on the topic: what it says best about the question, not how long it is (a long guideline
/// that touches the question in many passages would otherwise outweigh the one the question
/// names, and more so the more passages are retrieved).
const SOURCE_PASSAGES: usize = 5;

/// Adds a hit's score to its source's strength unless [`SOURCE_PASSAGES`] are summed already.
fn add_best<'h>(
    strength: &mut HashMap<&'h str, f32>,
    summed: &mut HashMap<&'h str, usize>,
    id: &'h str,
    score: f32,
) {
    let n = summed.entry(id).or_default();
    if *n < SOURCE_PASSAGES {
        *n += 1;
        *strength.entry(id).or_default() += score;
    }
}

/// Whether `new` supersedes `old`: both guidance (a guideline or recommendation statement) of
/// the same publisher, `new` of a later year, and every word of `new`'s title (stemmed) in
/// `old`'s ("Breast Cancer: Screening" of 2024 and "Screening for breast cancer: …
/// recommendation statement" of 2016). A title word short of that is a different topic
/// ("Syphilis Infection in … Adults: Screening" does not supersede "Hepatitis C Virus
/// Infection in … Adults: Screening").
fn supersedes(
    new: &evident_index::SourceBrief,
    old: &evident_index::SourceBrief,
    new_title: &HashSet<String>,
    old_title: &HashSet<String>,
) -> bool {
    use evident_core::SourceKind::{Guideline, RecommendationStatement};
    let guidance =
        |b: &evident_index::SourceBrief| matches!(b.kind, Guideline | RecommendationStatement);
    let publisher = |b: &evident_index::SourceBrief| {
        b.publisher
            .as_deref()
            .map(|p| p.trim().to_lowercase())
            .filter(|p| !p.is_empty())
    };
    let (Some(y_new), Some(y_old)) = (new.year, old.year) else {
        return false;
    };
    if new.id == old.id || !guidance(new) || !guidance(old) || y_new <= y_old {
        return false;
    }
    if publisher(new).is_none() || publisher(new) != publisher(old) || new_title.is_empty() {
        return false;
    }
    new_title.is_subset(old_title)
}

fn gate(analyzer: &mut query::TextAnalyzer, s: &Scoring<'_>, hits: &[Hit]) -> Gate {
    let mut about = vec![true; hits.len()];
    // Per source: summed score of its hits that are on the topic.
    let mut on_topic: HashMap<&str, f32> = HashMap::new();
    // Per source: how many of its hits are summed so far (hits come best first).
    let mut summed: HashMap<&str, usize> = HashMap::new();

    let mut title_stems: HashMap<&str, HashSet<String>> = HashMap::new();
    // Sources whose title names the concept: they come before sources that only mention it.
    let mut named_by_title: HashSet<&str> = HashSet::new();
    for (i, h) in hits.iter().enumerate() {
        let title = title_stems.entry(h.source.id.as_str()).or_insert_with(|| {
            query::analyze(analyzer, &h.source.title)
                .into_iter()
                .collect()
        });
        let Some(concept) = s.concept else {
            add_best(&mut on_topic, &mut summed, h.source.id.as_str(), h.score);
            continue;
        };
        let mut context = title.clone();
        context.extend(query::analyze(analyzer, &h.passage.trail.join(" ")));
        // A passage is a section of its source: it is about the concept when its title or
        // headings name it, or its own text does.
        let titled = concept.named_in(title);
        if titled {
            named_by_title.insert(h.source.id.as_str());
        }
        about[i] = titled || concept.named_in(&context) || {
            let body: HashSet<String> = query::analyze(analyzer, &h.passage.text)
                .into_iter()
                .collect();
            concept.named_in(&body)
        };
        if about[i] {
            add_best(&mut on_topic, &mut summed, h.source.id.as_str(), h.score);
        }
    }
    // Population: a source written for children (or pregnancy) answers only a question about
    // them, unless no other source on the topic is left.
    // Each retrieved source, looked up by id once rather than searched for in the hits.
    let mut sources: HashMap<&str, &evident_index::SourceBrief> = HashMap::new();
    for h in hits {
        sources.entry(h.source.id.as_str()).or_insert(&h.source);
    }
    let brief = |id: &str| *sources.get(id).expect("a hit's source");
    let fits = |id: &str| {
        let title = &brief(id).title;
        // A title for children *and* adults ("… in Adolescents and Adults") fits adults too.
        let adults = words(title)
            .iter()
            .any(|w| w.lower == "adult" || w.lower == "adults");
        title_populations(title).iter().all(|p| match p {
            TitlePopulation::Children => s.population.children || adults,
            TitlePopulation::Pregnancy => s.population.pregnancy,
        })
    };
    let mut ranked: Vec<(&str, f32)> = on_topic.iter().map(|(k, v)| (*k, *v)).collect();
    // Ties (the same text under two source ids) go to the smaller id, whatever the map's order.
    // For a screening or prevention question, a recommendation statement or guideline on the
    // topic is the strongest evidence there is: it leads.
    let recommends = |id: &str| {
        s.prefer_recommendations
            && matches!(
                brief(id).kind,
                evident_core::SourceKind::RecommendationStatement
                    | evident_core::SourceKind::Guideline
            )
    };
    // A recommendation on the topic leads even when its title names the condition a test is
    // for rather than the test ("Prostate Cancer: Screening" for a question on PSA screening),
    // as long as its title shares a word of the question: a recommendation on something else
    // that mentions the concept in passing does not.
    // Each source title's match with the question: the IDF-weighted share of its terms.
    let title_share: HashMap<&str, f32> = title_stems
        .iter()
        .map(|(id, stems)| (*id, s.terms.covered(stems) / s.terms.total))
        .collect();
    let share = |id: &str| title_share.get(id).copied().unwrap_or(0.0);
    let leading: HashSet<&str> = on_topic
        .keys()
        .copied()
        .filter(|id| recommends(id) && (named_by_title.contains(id) || share(id) > 0.0))
        .collect();
    // Among sources equally on the topic, the one whose title says more of the question (the
    // guideline the question names, "per the VA/DoD…") ranks higher.
    let matched = |id: &str, strength: f32| strength * (1.0 + s.weights.title_match * share(id));
    // Recommendations that lead: those whose titles match the question best (in steps of a
    // quarter of its terms' weight) first, and of those the newest, the current guidance.
    let leading_key = |id: &str| {
        if !leading.contains(id) {
            return (false, 0, 0);
        }
        let year = brief(id).year.unwrap_or(0);
        (true, (share(id) * 4.0).round() as i32, year)
    };
    ranked.sort_by(|a, b| {
        let titled = |id: &str| named_by_title.contains(id);
        leading_key(b.0)
            .cmp(&leading_key(a.0))
            .then_with(|| titled(b.0).cmp(&titled(a.0)))
            .then(matched(b.0, b.1).total_cmp(&matched(a.0, a.1)))
            .then_with(|| a.0.cmp(b.0))
    });
    if ranked.iter().any(|(id, _)| fits(id)) {
        ranked.retain(|(id, _)| fits(id));
    }
    // Current guidance only: a guideline superseded by a newer one of its publisher on the
    // same topic is not quoted beside it.
    let superseded: HashSet<&str> = ranked
        .iter()
        .filter(|(old, _)| {
            ranked.iter().any(|(new, _)| {
                supersedes(brief(new), brief(old), &title_stems[new], &title_stems[old])
            })
        })
        .map(|(id, _)| *id)
        .collect();
    ranked.retain(|(id, _)| !superseded.contains(id));
    // Audience: the audience's own kind of source first; the other only when its own kind
    // has too little on the topic.
    let preferred = |id: &str| {
        let patient = brief(id).kind == evident_core::SourceKind::PatientInformation;
        patient == (s.audience == Audience::Patient)
    };
    let preferred_hits = hits
        .iter()
        .enumerate()
        .filter(|(i, h)| {
            about[*i] && ranked.iter().any(|(id, _)| *id == h.source.id) && preferred(&h.source.id)
        })
        .count();
    // A source of the audience's own kind whose title names the concept is enough on its own:
    // a clinician's guideline on hypertension outranks any number of leaflets on it.
    let preferred_titled = ranked
        .iter()
        .any(|(id, _)| preferred(id) && named_by_title.contains(id));
    if preferred_hits >= s.weights.own_kind_passages || preferred_titled {
        ranked.retain(|(id, _)| preferred(id));
    }
    ranked.truncate(s.max_sources);
    // Strength relative to the main source (the first): it is 1, the others at most 1.
    let best = ranked.first().map_or(1.0, |r| r.1).max(1e-6);
    Gate {
        about,
        main: ranked.first().map(|(id, _)| id.to_string()),
        allowed: ranked.iter().map(|(id, _)| id.to_string()).collect(),
        strength: ranked
            .iter()
            .map(|(id, v)| (id.to_string(), (v / best).min(1.0)))
            .collect(),
        title_stems: title_stems
            .into_iter()
            .map(|(id, stems)| (id.to_string(), stems))
            .collect(),
    }
}

/// Every usable sentence of the passages of the best-retrieved sources on the question's
/// concept, scored, best first.
pub(crate) fn candidates(lib: &Library, s: &Scoring<'_>, hits: &[Hit]) -> Result<Scored> {
    let w = s.weights;
    let cues = s.cues;
    // One analyzer for every sentence: this loop is the composer's hot path.
    let mut analyzer = lib.analyzer()?;
    let gate = gate(&mut analyzer, s, hits);
    let mut out = Vec::new();
    let mut trails = HashMap::new();
    for (i, hit) in hits.iter().enumerate() {
        if !gate.allowed.contains(hit.source.id.as_str()) {
            continue;
        }
        let trail = hit.passage.trail.join(" ");
        let trail_lower = trail.to_lowercase();
        if noise_trail(&trail_lower) {
            continue;
        }
        let trail_stems: HashSet<String> =
            query::analyze(&mut analyzer, &trail).into_iter().collect();
        let rel_source = gate.strength[hit.source.id.as_str()];
        let rank_prior = 1.0 / (1.0 + i as f32 / w.rank_decay);
        // A passage's context is its source's title and its headings.
        let title = &gate.title_stems[hit.source.id.as_str()];
        let in_context = s
            .terms
            .covered(&trail_stems.union(title).cloned().collect());
        let focus_in_trail = s.terms.focus.iter().any(|f| trail_stems.contains(f));
        // The passage's own heading names what the question asks ("Preoperative Medical
        // Preparation" for "how should I prepare her medically…").
        let asked_heading = hit.passage.trail.len() >= 2
            && hit.passage.trail.last().is_some_and(|h| {
                let stems: HashSet<String> = query::analyze(&mut analyzer, h).into_iter().collect();
                s.terms.ask_groups(&stems, title) >= ASK_HEADING_TERMS
            });
        let trail_cue = cues.iter().any(|c| trail_stems.contains(c));
        let prior = if w.sentence_kind_prior {
            evident_index::kind_prior(s.audience, hit.source.kind)
        } else {
            1.0
        };
        let text = &hit.passage.text;
        for sentence in passage_statements(text) {
            let stems: HashSet<String> = query::analyze(&mut analyzer, &sentence)
                .into_iter()
                .collect();
            // The topic gate: the passage is about the concept, or the sentence names it.
            if !gate.about[i] && !s.concept.is_some_and(|c| c.named_in(&stems)) {
                continue;
            }
            let covered = s.terms.covered(&stems);
            let support = ((covered + w.heading_support * in_context) / s.terms.total).min(1.0);
            let focus_hit = !s.terms.focus.is_empty()
                && (focus_in_trail || s.terms.focus.iter().any(|f| stems.contains(f)));
            let cue_hits = cues.iter().filter(|c| stems.contains(*c)).count() as f32;
            let has_number = sentence.chars().any(|c| c.is_ascii_digit());
            let directive = directs(&sentence);
            let n_words = sentence.split_whitespace().count() as f32;
            let length_penalty = if n_words < w.short_words {
                w.short_penalty
            } else if n_words > w.long_words {
                w.long_penalty
            } else {
                0.0
            };
            let mut score = support
                + w.focus * focus_hit as u8 as f32
                + w.cue * cue_hits.min(w.cue_cap)
                + w.heading_cue * trail_cue as u8 as f32
                + w.asked_heading * asked_heading as u8 as f32
                + w.number * has_number as u8 as f32
                + w.directive * directive as u8 as f32
                + w.on_kind * (cue_hits > 0.0) as u8 as f32
                + w.rank * rank_prior
                + w.source * rel_source
                - length_penalty;
            score *= prior;
            if gate.main.as_deref() != Some(hit.source.id.as_str()) {
                score *= w.other_source;
            }
            out.push(Candidate {
                text: sentence,
                hit: i,
                stems,
                score,
                support,
                own: covered / s.terms.total,
                on_kind: cue_hits > 0.0,
            });
        }
        trails.insert(i, trail_stems);
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok(Scored {
        candidates: out,
        main_source: gate.main,
        trails,
    })
}

/// Items a list may have to be quoted whole after its lead-in sentence, and words per item.
const LIST_ITEMS: std::ops::RangeInclusive<usize> = 2..=12;
const LIST_ITEM_WORDS: usize = 25;

/// The quotable statements of a passage: its sentences made fit to quote ([`statement_text`]),
/// and each short list quoted whole with the sentence that introduces it ("…recommends one of
/// the following: A; B; C."), since its items alone are fragments and its lead-in alone says
/// nothing. Guidelines put their drug choices in such lists.
fn passage_statements(text: &str) -> Vec<String> {
    let sentences: Vec<&str> = split_sentences(text)
        .into_iter()
        .map(|r| &text[r])
        .collect();
    let mut out = Vec::new();
    for (i, sentence) in sentences.iter().enumerate() {
        if let Some(s) = statement_text(sentence) {
            out.push(s);
            continue;
        }
        if let Some(s) = list_statement(sentence, &sentences[i + 1..]) {
            out.push(s);
        }
    }
    out
}

/// `intro` (ending with a colon) and the short list items that follow it, as one statement:
/// items joined with "; " (or with the source's own "; or"), a closing grade in parentheses
/// kept. `None` when `intro` does not introduce such a list.
fn list_statement(intro: &str, rest: &[&str]) -> Option<String> {
    fn marker(s: &str) -> Option<&str> {
        let t = s.trim_start();
        ["- ", "* ", "• "]
            .iter()
            .find_map(|m| t.strip_prefix(m))
            .map(str::trim)
    }
    // The source's reference numbers go ("…include:[11]"), so that its colon shows.
    let intro = strip_reference_markers(intro);
    let head = marker(&intro).unwrap_or(intro.trim()).trim();
    // A lead-in says something ("…recommends one of the following:"), a label does not
    // ("Evidence (surgery):").
    if !head.ends_with(':') || head.ends_with("::") || head.split_whitespace().count() < 4 {
        return None;
    }
    let mut items: Vec<&str> = Vec::new();
    let mut grade: Option<&str> = None;
    let rest: Vec<String> = rest.iter().map(|s| strip_reference_markers(s)).collect();
    for s in &rest {
        let Some(item) = marker(s) else { break };
        let grade_like = item.starts_with('(') && item.ends_with(')') && !items.is_empty();
        if grade_like && item.split_whitespace().count() <= 8 {
            grade = Some(item);
            break;
        }
        let n_words = item.split_whitespace().count();
        // A long item that is a sentence of its own is quoted on its own.
        let sentence = item.ends_with('.') && n_words > LIST_ITEM_WORDS * 3 / 4;
        if item.ends_with(':') || n_words > LIST_ITEM_WORDS || sentence {
            break;
        }
        items.push(item);
        if items.len() > *LIST_ITEMS.end() {
            return None;
        }
    }
    if !LIST_ITEMS.contains(&items.len()) {
        return None;
    }
    let mut text = format!("{head} ");
    for (k, item) in items.iter().enumerate() {
        let last = k + 1 == items.len();
        let joined = ["; or", "; and", ", or", ", and"]
            .iter()
            .any(|j| item.ends_with(j));
        if joined && !last {
            text.push_str(item);
            text.push(' ');
            continue;
        }
        let item = item.trim_end_matches([';', ',', '.']);
        text.push_str(item);
        if !last {
            text.push_str("; ");
        }
    }
    match grade {
        Some(g) => {
            text.push(' ');
            text.push_str(g);
        }
        None => text.push('.'),
    }
    // The whole must pass as a statement (no navigation, a sensible length, …).
    statement_text(&text)
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
    let ends_well = s.ends_with(['.', ')']) || s.ends_with(".\"");
    let starts_well = s
        .chars()
        .next()
        .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || matches!(c, '(' | '"' | '“'));
    if !starts_well
        || leans_on_previous(&s)
        || fused_heading(&s)
        || NAVIGATION.iter().any(|n| contains_words(&lower, n))
        || !STATEMENT_WORDS.contains(&n_words)
        || !ends_well
        || s.ends_with('?')
        || s.contains(" | ")
        || lower.contains("http")
        || lower.starts_with("go to")
        || lower.starts_with("see ")
        || lower.starts_with("for more information")
        || lower.starts_with("click")
        || lower.contains("this summary")
        || lower.contains("guideline clearinghouse")
        || lower.contains("original guideline document")
        || lower.contains("pdq")
        || lower.starts_with("table ")
        || lower.starts_with("figure ")
    {
        return None;
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_are_told_from_descriptions() {
        assert!(directs("Any statin should be stopped."));
        assert!(directs("Do not use benzodiazepines."));
        assert!(directs("Avoid live vaccines during treatment."));
        assert!(!directs("Relapse is common during tapering."));
        assert!(!directs("Patients do better with early therapy."));
    }

    #[test]
    fn the_sentence_that_asks_is_told_from_the_case() {
        let lib = Library::in_memory().unwrap();
        let asked = ask_stems(
            &lib,
            "My patient has an adrenal tumour and is scheduled for surgery. How should I prepare her?",
        )
        .unwrap()
        .expect("a case, then a question");
        assert!(asked.contains("prepar"), "{asked:?}");
        assert!(!asked.contains("adren"), "{asked:?}");
        // One sentence: every word is part of what is asked.
        assert!(ask_stems(&lib, "How is gout treated?").unwrap().is_none());
        // No sentence asks: nothing is set apart.
        assert!(ask_stems(&lib, "Gout. Treatment options.")
            .unwrap()
            .is_none());
    }

    fn brief(
        id: &str,
        publisher: &str,
        year: i32,
        kind: evident_core::SourceKind,
    ) -> evident_index::SourceBrief {
        evident_index::SourceBrief {
            id: id.to_string(),
            title: String::new(),
            publisher: Some(publisher.to_string()),
            year: Some(year),
            url: None,
            kind,
            audience: Audience::Clinician,
        }
    }

    #[test]
    fn a_newer_guideline_of_the_same_publisher_on_the_same_topic_supersedes_the_older() {
        use evident_core::SourceKind::{Guideline, PatientInformation, RecommendationStatement};
        let set = |w: &[&str]| -> HashSet<String> { w.iter().map(|s| s.to_string()).collect() };
        let new = brief("a", "Task Force", 2024, RecommendationStatement);
        let old = brief("b", "Task Force", 2016, Guideline);
        let topic = set(&["breast", "cancer", "screen"]);
        let older_title = set(&["screen", "breast", "cancer", "recommend", "statement"]);
        assert!(supersedes(&new, &old, &topic, &older_title));
        // Not the other way round, nor across publishers, kinds or topics.
        assert!(!supersedes(&old, &new, &older_title, &topic));
        let other = brief("c", "Another Society", 2016, Guideline);
        assert!(!supersedes(&new, &other, &topic, &older_title));
        let leaflet = brief("d", "Task Force", 2016, PatientInformation);
        assert!(!supersedes(&new, &leaflet, &topic, &older_title));
        let syphilis = set(&["syphili", "infect", "adult", "screen"]);
        let hepatitis = set(&["hepat", "c", "virus", "infect", "adult", "screen"]);
        assert!(!supersedes(&new, &old, &syphilis, &hepatitis));
        // The same year is no newer.
        let same_year = brief("e", "Task Force", 2024, Guideline);
        assert!(!supersedes(&new, &same_year, &topic, &older_title));
    }

    #[test]
    fn statements_that_stand_alone_are_kept_and_the_rest_rejected() {
        for ok in [
            "Rituximab is the main option for refractory widget disease in adults.",
            "A common regimen is 1 g IV given twice, two weeks apart.",
            "In General Practice the dose is 10 mg daily for adults.",
        ] {
            assert!(statement_text(ok).is_some(), "{ok}");
        }
        for bad in [
            "these drugs are given twice a day for a week.",
            "This treatment is given twice a day for a week.",
            "To address these concerns, a new widget staging system was developed.",
            "If You Suspect Widgets If you suspect widgets, see a doctor soon.",
            "Watch the video to learn more about widget disease treatment.",
            "Widget disease is treated with rest and fluids",
        ] {
            assert!(statement_text(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_short_list_is_quoted_whole_with_its_lead_in() {
        let passage = "Drugs\n\n- For adults with widget disorder, the group recommends one of the following:\n\n- Alphamab\n\n- Betaprine- oral or injected\n\n- (Strong For; Reviewed)\n\n- Gammazol is an option when these fail.";
        let got = passage_statements(passage);
        assert_eq!(
            got[0],
            "For adults with widget disorder, the group recommends one of the following: Alphamab; Betaprine- oral or injected (Strong For; Reviewed)"
        );
        // A lead-in with one item, or with long items, is not a list to quote.
        let one = "- The options are:\n\n- Alphamab\n\nDone here.";
        assert!(passage_statements(one).is_empty());
        // The source's reference numbers after the colon or an item do not hide the list.
        let cited = "Poor signs of widget disease include:[11]\n\n- Age over 60 years.\n\n- A raised widget level.[12]\n\nLater text follows.";
        assert_eq!(
            passage_statements(cited)[0],
            "Poor signs of widget disease include: Age over 60 years; A raised widget level."
        );
        let no_grade = "Use one of these drugs:\n- Alphamab;\n- Betaprine; or\n- Gammazol.\n";
        assert_eq!(
            passage_statements(no_grade),
            vec!["Use one of these drugs: Alphamab; Betaprine; or Gammazol."]
        );
    }
}
