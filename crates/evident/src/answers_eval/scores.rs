//! The shared scorers' figures, computed in process: `shared/tools/score_clinical.py`,
//! `score_precision.py` and `score_article.py`, rule for rule, so `eval answers` prints what
//! the three scripts print for its `--out` folder and a drift between them is a test failure.
//!
//! The scripts read `<id>.md` and `<id>.json`; [`AnswerFiles`] is that pair, read from a folder
//! ([`AnswerFiles::read`]) or made from a composed answer ([`AnswerFiles::of`]), and every rule
//! below works on the JSON as the scripts see it (so fields other crates add, such as a
//! per-source `references` list, count exactly as they would there). Python's text semantics
//! are kept where they differ from Rust's: `str.split`/`strip` whitespace (which includes
//! U+001C–U+001F), `\w` (letters, numbers and `_`), `re.IGNORECASE` (which also folds ı and İ to
//! i, the Kelvin sign to k, long s to s), truthiness, and the upper median
//! `sorted(xs)[len(xs) // 2]`.
//!
//! Beyond the scripts, [`Extra`] counts what they do not: abstentions that name the missing
//! concept and list nearest topics, answers whose reference list has one entry per source, and
//! latency percentiles.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use evident_core::Answer;
use evident_index::eval::percentile;
use regex::Regex;
use serde_json::{json, Value};

/// One question's answer as the scorers read it: the Markdown (`<id>.md`) and the JSON
/// (`<id>.json`), either of which may be absent.
#[derive(Debug, Clone, Default)]
pub struct AnswerFiles {
    pub markdown: Option<String>,
    pub json: Option<Value>,
}

impl AnswerFiles {
    /// A composed answer and its rendered Markdown, as `--out` writes them.
    pub fn of(answer: &Answer, markdown: &str) -> AnswerFiles {
        AnswerFiles {
            markdown: Some(markdown.to_string()),
            json: serde_json::to_value(answer).ok(),
        }
    }

    /// `<id>.md` and `<id>.json` from `dir` (the tests score folders). Invalid UTF-8 is replaced, as the scripts'
    /// `errors="replace"`; JSON that does not parse counts as absent (score_clinical.py's rule).
    #[cfg(test)]
    pub fn read(dir: &std::path::Path, id: &str) -> AnswerFiles {
        let markdown = std::fs::read(dir.join(format!("{id}.md")))
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        let json = std::fs::read(dir.join(format!("{id}.json")))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        AnswerFiles { markdown, json }
    }
}

/// score_clinical.py: coverage of must-have facts in the answer body, and abstentions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Clinical {
    /// Questions without an `<id>.md`.
    pub missing: usize,
    /// Must-have facts of in-library questions found in the body, and all of them.
    pub covered: usize,
    pub facts: usize,
    /// Out-of-library questions that abstained, and all of them.
    pub abstain_ok: usize,
    pub out_of_library: usize,
    /// In-library questions that abstained.
    pub false_abstain: usize,
}

impl Clinical {
    pub fn coverage(&self) -> f64 {
        ratio(self.covered, self.facts)
    }

    /// The script's output line.
    pub fn line(&self) -> String {
        format!(
            "missing={} coverage={:.3} ({}/{}) abstain_ok={}/{} false_abstain={}",
            self.missing,
            self.coverage(),
            self.covered,
            self.facts,
            self.abstain_ok,
            self.out_of_library,
            self.false_abstain
        )
    }
}

/// score_precision.py: statements citing a gold source, over in-library answers that answered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Precision {
    pub on_source: usize,
    pub statements: usize,
    /// Ids of answers where fewer than half the statements cite a gold source.
    pub offtopic: Vec<String>,
    pub median_statements: usize,
    pub median_sources: usize,
    /// Per answer scored: (id, statements on a gold source, statements), as `PER_Q=1` prints.
    pub per_question: Vec<(String, usize, usize)>,
}

impl Precision {
    pub fn share(&self) -> f64 {
        ratio(self.on_source, self.statements)
    }

    pub fn line(&self) -> String {
        format!(
            "on_source={:.3} ({}/{}) offtopic={} [{}] median_statements={} median_sources={}",
            self.share(),
            self.on_source,
            self.statements,
            self.offtopic.len(),
            self.offtopic.join(","),
            self.median_statements,
            self.median_sources
        )
    }
}

/// score_article.py: the shape of answers that answered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Article {
    /// In-library answers whose lead holds a must-have fact, and all in-library answers.
    pub lead_hit: usize,
    pub lead_answers: usize,
    /// Statements that read as fragments, and all statements.
    pub lint: usize,
    pub statements: usize,
    /// Lint reasons with their counts, in the order first seen (the script prints its dict).
    pub reasons: Vec<(&'static str, usize)>,
    /// Clinician-answer statements cited to patient information, and all clinician statements.
    pub patient_cited: usize,
    pub clinician_statements: usize,
    /// Must-have facts covered by in-library statements, and those statements.
    pub facts: usize,
    pub fact_statements: usize,
}

impl Article {
    pub fn patient_in_clinician(&self) -> f64 {
        ratio(self.patient_cited, self.clinician_statements)
    }

    pub fn facts_per_10_statements(&self) -> f64 {
        ratio(10 * self.facts, self.fact_statements)
    }

    pub fn line(&self) -> String {
        let reasons: Vec<String> = self
            .reasons
            .iter()
            .map(|(r, n)| format!("'{r}': {n}"))
            .collect();
        format!(
            "lead_hit={}/{} lint={}/{} {{{}}} patient_in_clinician={:.3} facts_per_10_statements={:.2}",
            self.lead_hit,
            self.lead_answers,
            self.lint,
            self.statements,
            reasons.join(", "),
            self.patient_in_clinician(),
            self.facts_per_10_statements()
        )
    }
}

/// What the scripts do not measure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extra {
    /// Answers with JSON that abstained; of them, those whose `abstention_reason` names a topic
    /// word of the question (or its analysed focus), those that list `nearest_topics`, and both.
    pub abstained: usize,
    pub named: usize,
    pub listed: usize,
    pub named_and_listed: usize,
    /// Answers with JSON that answered; of them, those whose reference list (`references[]`
    /// when the JSON has it, else the distinct `source_id`s of the citations) has as many
    /// entries as the citations have distinct sources.
    pub answered: usize,
    pub refs_per_source: usize,
    /// `took_ms` of every answer with JSON, ascending.
    pub latencies_ms: Vec<f64>,
}

impl Extra {
    pub fn latency(&self, p: f64) -> f64 {
        percentile(&self.latencies_ms, p)
    }
}

/// Every figure of one set of questions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub questions: usize,
    pub clinical: Clinical,
    pub precision: Precision,
    pub article: Article,
    pub extra: Extra,
}

impl Figures {
    /// The figures as `--json` writes them: counts and the shares the scripts print.
    pub fn to_json(&self) -> Value {
        let (c, p, a, e) = (&self.clinical, &self.precision, &self.article, &self.extra);
        let reasons: serde_json::Map<String, Value> = a
            .reasons
            .iter()
            .map(|(r, n)| (r.to_string(), json!(n)))
            .collect();
        json!({
            "questions": self.questions,
            "clinical": {
                "missing": c.missing,
                "coverage": c.coverage(),
                "covered": c.covered,
                "facts": c.facts,
                "abstain_ok": c.abstain_ok,
                "out_of_library": c.out_of_library,
                "false_abstain": c.false_abstain,
            },
            "precision": {
                "on_source": p.share(),
                "on_source_statements": p.on_source,
                "statements": p.statements,
                "offtopic": p.offtopic,
                "median_statements": p.median_statements,
                "median_sources": p.median_sources,
            },
            "article": {
                "lead_hit": a.lead_hit,
                "lead_answers": a.lead_answers,
                "lint": a.lint,
                "lint_statements": a.statements,
                "lint_reasons": reasons,
                "patient_in_clinician": a.patient_in_clinician(),
                "patient_cited": a.patient_cited,
                "clinician_statements": a.clinician_statements,
                "facts_per_10_statements": a.facts_per_10_statements(),
                "facts": a.facts,
                "fact_statements": a.fact_statements,
            },
            "abstentions": {
                "abstained": e.abstained,
                "named": e.named,
                "listed": e.listed,
                "named_and_listed": e.named_and_listed,
            },
            "references_per_source": { "answered": e.answered, "equal": e.refs_per_source },
            "latency_ms": {
                "p50": e.latency(0.5),
                "p99": e.latency(0.99),
                "answers": e.latencies_ms.len(),
            },
        })
    }
}

/// Scores `answers[i]` as the answer to `questions[i]`.
pub fn score(questions: &[Value], answers: &[AnswerFiles]) -> Figures {
    assert_eq!(questions.len(), answers.len(), "one answer per question");
    Figures {
        questions: questions.len(),
        clinical: clinical(questions, answers),
        precision: precision(questions, answers),
        article: article(questions, answers),
        extra: extra(questions, answers),
    }
}

/// The figures of each `category` of the questions, in the order categories first appear
/// (questions without one under "-").
pub fn by_category(questions: &[Value], answers: &[AnswerFiles]) -> Vec<(String, Figures)> {
    let mut order: Vec<String> = Vec::new();
    for q in questions {
        let c = category(q);
        if !order.contains(&c) {
            order.push(c);
        }
    }
    order
        .into_iter()
        .map(|c| {
            let (qs, ans): (Vec<Value>, Vec<AnswerFiles>) = questions
                .iter()
                .zip(answers)
                .filter(|(q, _)| category(q) == c)
                .map(|(q, a)| (q.clone(), a.clone()))
                .unzip();
            let figures = score(&qs, &ans);
            (c, figures)
        })
        .collect()
}

pub fn category(q: &Value) -> String {
    q.get("category")
        .and_then(Value::as_str)
        .unwrap_or("-")
        .to_string()
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

// ---- Python's text semantics ----

/// `str.isspace`: Rust's White_Space plus the information separators U+001C–U+001F.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `" ".join(text.lower().split())`.
fn py_fold(text: &str) -> String {
    text.to_lowercase()
        .split(py_space)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Python truthiness of a JSON value: null, false, 0, "", [] and {} are false. (The same set is
/// `v not in (None, False, "", [], {})`, since `0 == False`.)
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn field<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_object().and_then(|o| o.get(key))
}

fn truthy_field(v: &Value, key: &str) -> bool {
    field(v, key).is_some_and(truthy)
}

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    field(v, key).and_then(Value::as_str).unwrap_or("")
}

/// `v.get(key, [])` (and `v.get(key) or []`, which differ only for null): the array, or none.
fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    field(v, key)
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
}

/// `sorted(xs)[len(xs) // 2] if xs else 0`.
fn upper_median(mut xs: Vec<usize>) -> usize {
    xs.sort_unstable();
    xs.get(xs.len() / 2).copied().unwrap_or(0)
}

/// A dictionary key for a citation number, equal where Python's would be (`1 == 1.0`).
fn number_key(v: &Value) -> String {
    match v.as_f64() {
        Some(x) => format!("{}", x + 0.0),
        None => v.to_string(),
    }
}

/// Python's `\s`.
const PY_SPACE: &str = r"[\s\x1C-\x1F]";
/// Python's `\w` as a class body: letters, numbers and the underscore (checked against
/// CPython's `re` over every code point: exactly categories L*, N* and `_`).
const PY_WORD: &str = r"\p{L}\p{N}_";

/// `word` as a pattern matching what Python's `re.IGNORECASE` matches for it: each ASCII
/// letter in both cases, plus the non-ASCII letters Python also folds to one (ı and İ for i,
/// the Kelvin sign for k, long s for s), not all of which the regex crate's simple case folding
/// covers.
fn py_ignorecase(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            'i' => "[iI\u{131}\u{130}]".to_string(),
            'k' => "[kK\u{212A}]".to_string(),
            's' => "[sS\u{17F}]".to_string(),
            c if c.is_ascii_lowercase() => format!("[{c}{}]", c.to_ascii_uppercase()),
            c => regex::escape(&c.to_string()),
        })
        .collect()
}

/// Python's `\b` after a word character, as a consuming group (the patterns only test for a
/// match, or use the match start).
fn word_end() -> String {
    format!(r"(?:[^{PY_WORD}]|\z)")
}

/// score_clinical.py's `(?im)^\s*(#+\s*|\*\*)?\s*(references|sources)\b`.
fn references_heading() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let s = PY_SPACE;
        let pattern = format!(
            r"(?m)^{s}*(?:#+{s}*|\*\*)?{s}*(?:{}|{}){}",
            py_ignorecase("references"),
            py_ignorecase("sources"),
            word_end()
        );
        Regex::new(&pattern).expect("the references pattern compiles")
    })
}

/// score_article.py's NAV: `\b(click|watch the video|video|learn more|see also|call 1-800|
/// visit (our|the) website|this page)\b`, case-insensitive.
fn navigation() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let i = py_ignorecase;
        let alternatives = [
            i("click"),
            i("watch the video"),
            i("video"),
            i("learn more"),
            i("see also"),
            i("call 1-800"),
            format!(
                "{}(?:{}|{}){}",
                i("visit "),
                i("our"),
                i("the"),
                i(" website")
            ),
            i("this page"),
        ];
        let pattern = format!(
            r"(?:\A|[^{PY_WORD}])(?:{}){}",
            alternatives.join("|"),
            word_end()
        );
        Regex::new(&pattern).expect("the navigation pattern compiles")
    })
}

/// score_article.py's FUSED (case-sensitive): `^(?:[A-Z][\w'-]*\s){2,6}(?:If|The|A|An|People|
/// Your|You|Most|Some|This|These|Treatment|Doctors)\b`.
fn fused_heading() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let pattern = format!(
            r"\A(?:[A-Z][{PY_WORD}'-]*{PY_SPACE}){{2,6}}(?:If|The|A|An|People|Your|You|Most|Some|This|These|Treatment|Doctors){}",
            word_end()
        );
        Regex::new(&pattern).expect("the fused-heading pattern compiles")
    })
}

// ---- score_clinical.py ----

/// The answer body: the Markdown before the references heading, lowercased, whitespace folded.
/// Line ends are read as Python's text mode reads them (`\r\n` and `\r` become `\n`).
pub fn body(markdown: &str) -> String {
    let text = markdown.replace("\r\n", "\n").replace('\r', "\n");
    let cut = references_heading()
        .find(&text)
        .map_or(text.len(), |m| m.start());
    py_fold(&text[..cut])
}

const ABSTENTION_PHRASES: &[&str] = &[
    "no evidence",
    "not covered",
    "does not cover",
    "doesn't cover",
    "does not contain",
    "could not find",
    "couldn't find",
    "insufficient evidence",
    "lacks evidence",
    "not in the library",
    "no information",
    "unable to find",
    "no sources",
    "no matching",
    "not enough evidence",
    "cannot answer",
    "did not find",
];

/// `abstained_json`: some key containing "abstain" (any depth) holds a truthy value.
fn abstained_json(v: &Value) -> bool {
    match v {
        Value::Object(o) => o
            .iter()
            .any(|(k, v)| (k.to_lowercase().contains("abstain") && truthy(v)) || abstained_json(v)),
        Value::Array(a) => a.iter().any(abstained_json),
        _ => false,
    }
}

/// The engine's own abstention field decides when the JSON has one ("abstain" anywhere in
/// it); otherwise an abstention phrase in the body.
fn clinical_abstained(json: Option<&Value>, body: &str) -> bool {
    let has_field = json.is_some_and(|j| j.to_string().to_lowercase().contains("abstain"));
    if has_field {
        json.is_some_and(abstained_json)
    } else {
        ABSTENTION_PHRASES.iter().any(|p| body.contains(p))
    }
}

fn any_of_in(fact: &Value, text: &str) -> bool {
    list(fact, "any_of")
        .iter()
        .filter_map(Value::as_str)
        .any(|a| text.contains(&a.to_lowercase()))
}

fn clinical(questions: &[Value], answers: &[AnswerFiles]) -> Clinical {
    let mut c = Clinical::default();
    for (q, a) in questions.iter().zip(answers) {
        let Some(md) = &a.markdown else {
            c.missing += 1;
            continue;
        };
        let b = body(md);
        let abstained = clinical_abstained(a.json.as_ref(), &b);
        if truthy_field(q, "in_library") {
            c.false_abstain += abstained as usize;
            for f in list(q, "must_have") {
                c.facts += 1;
                c.covered += any_of_in(f, &b) as usize;
            }
        } else {
            c.out_of_library += 1;
            c.abstain_ok += abstained as usize;
        }
    }
    c
}

// ---- score_precision.py ----

/// `(u or "").split("#")[0].rstrip("/").lower()`.
fn norm(v: Option<&Value>) -> String {
    let s = v.and_then(Value::as_str).unwrap_or("");
    s.split('#')
        .next()
        .unwrap_or("")
        .trim_end_matches('/')
        .to_lowercase()
}

/// The statements the scripts score: lead, then each section's.
fn statements(a: &Value) -> Vec<&Value> {
    let mut ss: Vec<&Value> = list(a, "lead").iter().collect();
    for s in list(a, "sections") {
        ss.extend(list(s, "statements"));
    }
    ss
}

fn precision(questions: &[Value], answers: &[AnswerFiles]) -> Precision {
    let mut p = Precision::default();
    let (mut stmts, mut refs) = (Vec::new(), Vec::new());
    for (q, a) in questions.iter().zip(answers) {
        if !truthy_field(q, "in_library") || !truthy_field(q, "gold") {
            continue;
        }
        let Some(a) = &a.json else { continue };
        if truthy_field(a, "abstained") {
            continue;
        }
        let mut gold: BTreeSet<String> = list(q, "gold").iter().map(|g| norm(Some(g))).collect();
        let ngc: Vec<String> = gold
            .iter()
            .filter_map(|g| g.strip_suffix(".xml"))
            .map(|stem| format!("ngc:{stem}"))
            .collect();
        gold.extend(ngc);
        let hit = |c: &Value| -> bool {
            let passage = norm(field(c, "passage_id"));
            let keys = [
                norm(field(c, "url")),
                norm(field(c, "source_id")),
                norm(field(c, "title")),
                passage.clone(),
            ];
            let trail = list(c, "trail")
                .iter()
                .map(|t| t.as_str().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase();
            keys.iter().any(|k| gold.contains(k))
                || gold
                    .iter()
                    .filter(|g| g.contains(':'))
                    .any(|g| trail.contains(g.as_str()) || passage.contains(g.as_str()))
        };
        let mut cites: HashMap<String, bool> = HashMap::new();
        for c in list(a, "citations") {
            cites.insert(
                number_key(field(c, "number").unwrap_or(&Value::Null)),
                hit(c),
            );
        }
        let ss = statements(a);
        let on = ss
            .iter()
            .filter(|s| {
                list(s, "citations")
                    .iter()
                    .any(|n| cites.get(&number_key(n)).copied().unwrap_or(false))
            })
            .count();
        let id = str_field(q, "id").to_string();
        p.on_source += on;
        p.statements += ss.len();
        p.per_question.push((id.clone(), on, ss.len()));
        let sources: BTreeSet<String> = list(a, "citations")
            .iter()
            .map(|c| field(c, "source_id").unwrap_or(&Value::Null).to_string())
            .collect();
        refs.push(sources.len());
        stmts.push(ss.len());
        if !ss.is_empty() && (on as f64) / (ss.len() as f64) < 0.5 {
            p.offtopic.push(id);
        }
    }
    p.median_statements = upper_median(stmts);
    p.median_sources = upper_median(refs);
    p
}

// ---- score_article.py ----

/// Why a statement reads as a fragment, in the script's order of checks.
pub fn lint(text: &str) -> Option<&'static str> {
    let t = text.trim_matches(py_space);
    if t.split(py_space).filter(|w| !w.is_empty()).count() < 5 {
        return Some("short");
    }
    if !t
        .chars()
        .next()
        .is_some_and(|c| matches!(c, 'A'..='Z' | '0'..='9' | '(' | '"' | '\u{201C}'))
    {
        return Some("lowercase start");
    }
    if !t.chars().next_back().is_some_and(|c| {
        matches!(
            c,
            '.' | '!' | '?' | ')' | ']' | '"' | '\u{201D}' | ':' | ';'
        )
    }) {
        return Some("no end");
    }
    if navigation().is_match(t) {
        return Some("navigation");
    }
    if fused_heading().is_match(t) {
        return Some("fused heading");
    }
    None
}

fn folded_texts(ss: &[&Value]) -> String {
    ss.iter()
        .map(|s| py_fold(str_field(s, "text")))
        .collect::<Vec<_>>()
        .join(" ")
}

fn article(questions: &[Value], answers: &[AnswerFiles]) -> Article {
    let mut r = Article::default();
    for (q, a) in questions.iter().zip(answers) {
        let Some(a) = &a.json else { continue };
        if truthy_field(a, "abstained") {
            continue;
        }
        let mut kinds: HashMap<String, Option<&str>> = HashMap::new();
        for c in list(a, "citations") {
            kinds.insert(
                number_key(field(c, "number").unwrap_or(&Value::Null)),
                field(c, "kind").and_then(Value::as_str),
            );
        }
        // `q.get("audience", "clinician") == "clinician"`: absent counts as clinician.
        let clinician = field(q, "audience").is_none_or(|v| v.as_str() == Some("clinician"));
        let lead: Vec<&Value> = list(a, "lead").iter().collect();
        let ss = statements(a);
        for s in &ss {
            r.statements += 1;
            if let Some(reason) = lint(str_field(s, "text")) {
                r.lint += 1;
                match r.reasons.iter_mut().find(|(k, _)| *k == reason) {
                    Some((_, n)) => *n += 1,
                    None => r.reasons.push((reason, 1)),
                }
            }
            if clinician {
                r.clinician_statements += 1;
                let patient = list(s, "citations").iter().any(|n| {
                    kinds.get(&number_key(n)).copied().flatten() == Some("patient_information")
                });
                r.patient_cited += patient as usize;
            }
        }
        if truthy_field(q, "in_library") {
            let lead_text = folded_texts(&lead);
            let body = folded_texts(&ss);
            r.lead_answers += 1;
            let facts = list(q, "must_have");
            if facts.iter().any(|f| any_of_in(f, &lead_text)) {
                r.lead_hit += 1;
            }
            r.facts += facts.iter().filter(|f| any_of_in(f, &body)).count();
            r.fact_statements += ss.len();
        }
    }
    r
}

// ---- beyond the scripts ----

/// Whether an abstention's reason names what the library lacks: a topic word of the question
/// (four letters or more, not a stopword, not a question or population word, no digits — the
/// words the composer checks against the library) occurs in it as a word, or the analysed
/// focus does.
pub fn names_missing_concept(question: &str, reason: &str, focus: Option<&str>) -> bool {
    use evident_core::text::{is_stopword, words};
    let reason_words: BTreeSet<String> = words(reason).into_iter().map(|w| w.lower).collect();
    let topic_word = words(question).into_iter().any(|w| {
        let l = w.lower.as_str();
        l.chars().count() >= 4
            && !is_stopword(l)
            && !evident_answer::analyze::is_question_word(l)
            && !l.chars().any(|c| c.is_ascii_digit())
            && reason_words.contains(l)
    });
    let focus = focus
        .map(|f| f.split(" (").next().unwrap_or(f).trim().to_lowercase())
        .filter(|f| !f.is_empty());
    topic_word || focus.is_some_and(|f| reason.to_lowercase().contains(&f))
}

fn extra(questions: &[Value], answers: &[AnswerFiles]) -> Extra {
    let mut e = Extra::default();
    for (q, a) in questions.iter().zip(answers) {
        let Some(a) = &a.json else { continue };
        if let Some(ms) = field(a, "took_ms").and_then(Value::as_f64) {
            e.latencies_ms.push(ms);
        }
        if truthy_field(a, "abstained") {
            e.abstained += 1;
            let focus = field(a, "analysis")
                .and_then(|an| field(an, "focus"))
                .and_then(Value::as_str);
            let named = names_missing_concept(
                str_field(q, "question"),
                str_field(a, "abstention_reason"),
                focus,
            );
            let listed = list(a, "nearest_topics")
                .iter()
                .any(|t| t.as_str().is_some_and(|t| !t.trim().is_empty()));
            e.named += named as usize;
            e.listed += listed as usize;
            e.named_and_listed += (named && listed) as usize;
            continue;
        }
        e.answered += 1;
        let sources: BTreeSet<String> = list(a, "citations")
            .iter()
            .map(|c| str_field(c, "source_id").to_string())
            .collect();
        let references = match field(a, "references").and_then(Value::as_array) {
            Some(refs) => refs.len(),
            None => sources.len(),
        };
        e.refs_per_source += (references == sources.len()) as usize;
    }
    e.latencies_ms.sort_by(f64::total_cmp);
    e
}

#[cfg(test)]
mod tests;
