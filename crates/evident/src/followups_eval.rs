//! `evident eval followups`: does a follow-up stay on its parent's topic and answer what is new?
//!
//! Each pair (JSON Lines, `eval/followups.jsonl`; design rules in `eval/README.md`) is a parent
//! question and a follow-up that leans on it ("Which test should be used, and how often?").
//! The parent is answered on its own, then the follow-up with the parent's answer as its
//! parent — the path the server takes for a follow-up (`AskRequest { parent: Some(..) }`).
//! Measured per pair, never tuned on:
//!
//! - **stays_on_concept**: the follow-up answered, and its title, its lead or a cited source's
//!   title contains one of the pair's `parent_concept.any_of` strings;
//! - **names_new_focus**: the follow-up answered, and its title or lead contains one of the
//!   pair's `new_focus.any_of` strings;
//! - **lead_differs**: the follow-up's lead text is not the parent's;
//! - **repeats**: follow-up statements whose text is also a statement of the parent;
//! - **abstained**: the follow-up abstained.
//!
//! Strings match as lowercase substrings of the lowercased, whitespace-folded text.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use evident_answer::{render, AskRequest, Composer};
use evident_core::text::normalize_for_match;
use evident_core::{Answer, Audience};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::answers_eval::{EvalLibrary, LibraryArgs};

#[derive(Args)]
pub struct FollowupsArgs {
    #[command(flatten)]
    pub library: LibraryArgs,
    /// Parent/follow-up pairs, JSON Lines (see eval/README.md).
    #[arg(long, default_value = "eval/followups.jsonl")]
    pub pairs: PathBuf,
    /// Write each pair's answers here: <id>-parent.{md,json} and <id>-followup.{md,json}.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write the figures, per pair and in total, to this JSON file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Strings one of which must occur.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnyOf {
    pub any_of: Vec<String>,
}

impl AnyOf {
    fn found_in<'a>(&self, texts: impl IntoIterator<Item = &'a str> + Clone) -> bool {
        self.any_of.iter().any(|want| {
            let want = normalize_for_match(want);
            texts.clone().into_iter().any(|t| t.contains(&want))
        })
    }
}

/// One parent question and its follow-up.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    pub id: String,
    /// What the follow-up adds: test, dose, population, complication, next_step.
    #[serde(default)]
    pub kind: String,
    pub parent: String,
    pub follow_up: String,
    #[serde(default)]
    pub audience: Audience,
    pub parent_concept: AnyOf,
    pub new_focus: AnyOf,
}

/// Reads and checks the pairs: every field present, ids unique, no empty `any_of`.
pub fn read_pairs(path: &Path) -> Result<Vec<Pair>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut pairs: Vec<Pair> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", path.display(), i + 1);
        let pair: Pair = serde_json::from_str(line)
            .with_context(|| format!("{}: not a follow-up pair", at()))?;
        if pair.parent.trim().is_empty() || pair.follow_up.trim().is_empty() {
            bail!(
                "{}: pair {} needs a parent and a follow_up question",
                at(),
                pair.id
            );
        }
        for (name, any) in [
            ("parent_concept", &pair.parent_concept),
            ("new_focus", &pair.new_focus),
        ] {
            if any.any_of.iter().all(|s| s.trim().is_empty()) {
                bail!("{}: pair {}: {name}.any_of is empty", at(), pair.id);
            }
        }
        if pairs.iter().any(|p| p.id == pair.id) {
            bail!("{}: pair id {} is used twice", at(), pair.id);
        }
        pairs.push(pair);
    }
    if pairs.is_empty() {
        bail!("{} holds no pairs", path.display());
    }
    Ok(pairs)
}

/// What one pair measured.
#[derive(Debug, Clone, PartialEq)]
pub struct PairResult {
    pub parent_abstained: bool,
    pub abstained: bool,
    pub stays_on_concept: bool,
    pub names_new_focus: bool,
    pub lead_differs: bool,
    /// Follow-up statements also in the parent, and all follow-up statements.
    pub repeats: usize,
    pub statements: usize,
}

fn lead_text(a: &Answer) -> String {
    let lead: Vec<&str> = a.lead.iter().map(|s| s.text.as_str()).collect();
    normalize_for_match(&lead.join(" "))
}

/// The statements an answer claims from its sources (an abstention has none).
fn claimed(a: &Answer) -> Vec<String> {
    if a.abstained {
        return Vec::new();
    }
    a.statements()
        .map(|s| normalize_for_match(&s.text))
        .collect()
}

/// Measures a follow-up answer against its pair and its parent's answer.
pub fn measure(pair: &Pair, parent: &Answer, follow: &Answer) -> PairResult {
    let title = normalize_for_match(&follow.title);
    let lead = lead_text(follow);
    let sources: Vec<String> = follow
        .citations
        .iter()
        .map(|c| normalize_for_match(&c.title))
        .collect();
    let answered = !follow.abstained;
    let mut on_concept = vec![title.as_str(), lead.as_str()];
    on_concept.extend(sources.iter().map(String::as_str));
    let parent_statements: HashSet<String> = claimed(parent).into_iter().collect();
    let own = claimed(follow);
    PairResult {
        parent_abstained: parent.abstained,
        abstained: follow.abstained,
        stays_on_concept: answered && pair.parent_concept.found_in(on_concept),
        names_new_focus: answered && pair.new_focus.found_in([title.as_str(), lead.as_str()]),
        lead_differs: lead != lead_text(parent),
        repeats: own
            .iter()
            .filter(|s| parent_statements.contains(*s))
            .count(),
        statements: own.len(),
    }
}

/// Sums of [`PairResult`]s.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    pub pairs: usize,
    pub parent_abstained: usize,
    pub abstained: usize,
    pub stays_on_concept: usize,
    pub names_new_focus: usize,
    pub lead_differs: usize,
    pub repeats: usize,
    pub pairs_with_repeats: usize,
    pub statements: usize,
}

impl Totals {
    pub fn add(&mut self, r: &PairResult) {
        self.pairs += 1;
        self.parent_abstained += r.parent_abstained as usize;
        self.abstained += r.abstained as usize;
        self.stays_on_concept += r.stays_on_concept as usize;
        self.names_new_focus += r.names_new_focus as usize;
        self.lead_differs += r.lead_differs as usize;
        self.repeats += r.repeats;
        self.pairs_with_repeats += (r.repeats > 0) as usize;
        self.statements += r.statements;
    }

    fn line(&self) -> String {
        format!(
            "stays_on_concept {}/{}, names_new_focus {}/{}, lead_differs {}/{}, repeats {}/{} statements ({} pairs with any), abstained {}/{} (parents abstained {})",
            self.stays_on_concept,
            self.pairs,
            self.names_new_focus,
            self.pairs,
            self.lead_differs,
            self.pairs,
            self.repeats,
            self.statements,
            self.pairs_with_repeats,
            self.abstained,
            self.pairs,
            self.parent_abstained
        )
    }

    fn to_json(&self) -> Value {
        json!({
            "pairs": self.pairs,
            "stays_on_concept": self.stays_on_concept,
            "names_new_focus": self.names_new_focus,
            "lead_differs": self.lead_differs,
            "repeats": self.repeats,
            "pairs_with_repeats": self.pairs_with_repeats,
            "statements": self.statements,
            "abstained": self.abstained,
            "parent_abstained": self.parent_abstained,
        })
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn write_answer(dir: &Path, name: &str, a: &Answer) -> Result<()> {
    for (ext, text) in [
        ("md", render::markdown(a)),
        ("json", serde_json::to_string_pretty(a)?),
    ] {
        let path = dir.join(format!("{name}.{ext}"));
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

pub fn run(data: &Path, args: &FollowupsArgs) -> Result<()> {
    let pairs = read_pairs(&args.pairs)?;
    let library = EvalLibrary::open(data, &args.library, "followups")?;
    let composer = Composer::new(&library.lib);
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    }
    println!(
        "Follow-ups ({}): {} pairs",
        args.pairs.display(),
        pairs.len()
    );
    println!(
        "{:<6} {:<12} {:>6} {:>6} {:>7} {:>5} {:>5} {:>7}  follow-up title",
        "id", "kind", "p.abst", "abst", "concept", "focus", "lead≠", "repeats"
    );
    let mut total = Totals::default();
    let mut by_kind: Vec<(String, Totals)> = Vec::new();
    let mut rows = Vec::new();
    for pair in &pairs {
        let parent = composer
            .answer(&AskRequest {
                question: &pair.parent,
                audience: pair.audience,
                parent: None,
            })
            .with_context(|| format!("pair {}: cannot answer the parent", pair.id))?;
        let follow = composer
            .answer(&AskRequest {
                question: &pair.follow_up,
                audience: pair.audience,
                parent: Some(&parent),
            })
            .with_context(|| format!("pair {}: cannot answer the follow-up", pair.id))?;
        if let Some(out) = &args.out {
            write_answer(out, &format!("{}-parent", pair.id), &parent)?;
            write_answer(out, &format!("{}-followup", pair.id), &follow)?;
        }
        let r = measure(pair, &parent, &follow);
        total.add(&r);
        match by_kind.iter_mut().find(|(k, _)| *k == pair.kind) {
            Some((_, t)) => t.add(&r),
            None => {
                let mut t = Totals::default();
                t.add(&r);
                by_kind.push((pair.kind.clone(), t));
            }
        }
        println!(
            "{:<6} {:<12} {:>6} {:>6} {:>7} {:>5} {:>5} {:>7}  {}",
            pair.id,
            pair.kind,
            yes(r.parent_abstained),
            yes(r.abstained),
            yes(r.stays_on_concept),
            yes(r.names_new_focus),
            yes(r.lead_differs),
            format!("{}/{}", r.repeats, r.statements),
            evident_core::text::truncate_words(&follow.title, 60)
        );
        rows.push(json!({
            "id": pair.id,
            "kind": pair.kind,
            "audience": pair.audience,
            "parent": { "question": pair.parent, "title": parent.title, "abstained": parent.abstained },
            "follow_up": {
                "question": pair.follow_up,
                "title": follow.title,
                "abstained": follow.abstained,
                "focus": follow.analysis.focus,
                "took_ms": follow.took_ms,
            },
            "stays_on_concept": r.stays_on_concept,
            "names_new_focus": r.names_new_focus,
            "lead_differs": r.lead_differs,
            "repeats": r.repeats,
            "statements": r.statements,
        }));
    }
    println!("Total: {}", total.line());
    for (kind, t) in &by_kind {
        println!("  {kind:<12} {}", t.line());
    }
    if let Some(path) = &args.json {
        let kinds: Vec<Value> = by_kind
            .iter()
            .map(|(k, t)| {
                let mut v = t.to_json();
                v["kind"] = Value::from(k.as_str());
                v
            })
            .collect();
        let report = json!({
            "pairs_file": args.pairs.display().to_string(),
            "total": total.to_json(),
            "by_kind": kinds,
            "pairs": rows,
        });
        std::fs::write(path, serde_json::to_string_pretty(&report)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("Figures written to {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use evident_core::{Citation, SourceKind, Statement};

    fn answer(title: &str, lead: &[&str], body: &[&str], abstained: bool) -> Answer {
        let st = |t: &&str| Statement {
            text: t.to_string(),
            citations: vec![1],
            glosses: Vec::new(),
            editor_written: false,
            model_written: false,
            check: None,
        };
        Answer {
            schema_version: 1,
            id: "ans-test".into(),
            question: title.into(),
            audience: Audience::Clinician,
            analysis: Default::default(),
            abstained,
            abstention_reason: None,
            nearest_topics: Vec::new(),
            urgent_notice: None,
            title: title.into(),
            lead: lead.iter().map(st).collect(),
            sections: vec![evident_core::AnswerSection {
                heading: "More".into(),
                statements: body.iter().map(st).collect(),
            }],
            citations: vec![Citation {
                number: 1,
                passage_id: "x#1".into(),
                source_id: "x".into(),
                title: "Widget Disease Guideline".into(),
                publisher: None,
                year: None,
                kind: SourceKind::Guideline,
                kind_label: "Guideline".into(),
                url: None,
                trail: Vec::new(),
                grade: None,
                passage: String::new(),
            }],
            questions_to_ask: Vec::new(),
            reading_grade: None,
            disclaimer: String::new(),
            composer: "grounded".into(),
            generation: None,
            took_ms: 1.0,
        }
    }

    fn pair() -> Pair {
        serde_json::from_str(
            r#"{"id": "t1", "kind": "test", "parent": "How is widget disease managed?",
                "follow_up": "Which test confirms it?",
                "parent_concept": {"any_of": ["widget disease"]},
                "new_focus": {"any_of": ["Blood  Test"]}}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_follow_up_on_topic_with_its_new_focus_counts_both() {
        let parent = answer(
            "Treatment: widget disease",
            &["Rest helps most people."],
            &["Fluids help too."],
            false,
        );
        let follow = answer(
            "Diagnosis: widget disease",
            &["A blood test confirms the diagnosis."],
            &["Fluids help too.", "Imaging is rarely needed."],
            false,
        );
        let r = measure(&pair(), &parent, &follow);
        assert!(r.stays_on_concept && r.names_new_focus && r.lead_differs);
        assert_eq!((r.repeats, r.statements), (1, 3));
        assert!(!r.abstained && !r.parent_abstained);
    }

    #[test]
    fn the_concept_may_come_from_a_cited_source_but_the_focus_not() {
        let parent = answer("Treatment", &["Rest helps most people."], &[], false);
        let follow = answer(
            "Diagnosis",
            &["Rest helps most people."],
            &["A blood test is used."],
            false,
        );
        let r = measure(&pair(), &parent, &follow);
        assert!(r.stays_on_concept, "the cited guideline's title names it");
        assert!(!r.names_new_focus, "the focus is only in the body");
        assert!(!r.lead_differs);
        assert_eq!(r.repeats, 1);
    }

    #[test]
    fn an_abstained_follow_up_is_neither_on_concept_nor_on_focus() {
        let parent = answer("Widget disease", &["Rest helps most people."], &[], false);
        let follow = answer(
            "Widget disease blood test",
            &["The library does not cover this."],
            &[],
            true,
        );
        let r = measure(&pair(), &parent, &follow);
        assert!(r.abstained && !r.stays_on_concept && !r.names_new_focus);
        assert_eq!((r.repeats, r.statements), (0, 0));
    }

    #[test]
    fn the_repository_pairs_parse_and_cover_every_kind() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../eval/followups.jsonl");
        let pairs = read_pairs(&path).unwrap();
        assert!(pairs.len() >= 20, "{} pairs", pairs.len());
        for kind in ["test", "dose", "population", "complication", "next_step"] {
            assert!(pairs.iter().any(|p| p.kind == kind), "no {kind} follow-up");
        }
        for p in &pairs {
            assert!(
                ["test", "dose", "population", "complication", "next_step"]
                    .contains(&p.kind.as_str()),
                "{}: unknown kind {:?}",
                p.id,
                p.kind
            );
            for s in p.parent_concept.any_of.iter().chain(&p.new_focus.any_of) {
                assert_eq!(
                    s,
                    &s.to_lowercase(),
                    "{}: any_of strings are lowercase",
                    p.id
                );
            }
        }
        let has = |parent_word: &str, follow: &str| {
            pairs
                .iter()
                .any(|p| p.parent.to_lowercase().contains(parent_word) && p.follow_up == follow)
        };
        assert!(pairs
            .iter()
            .any(|p| p.parent == "Who should be screened for lung cancer?"
                && p.follow_up == "Which test should be used, and how often?"));
        assert!(has("copd", "How should an exacerbation be treated?"));
        assert!(has(
            "hypertension",
            "What about patients who also have diabetes?"
        ));
    }

    #[test]
    fn bad_pairs_files_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pairs.jsonl");
        std::fs::write(&path, "{\"id\": \"a\"}\n").unwrap();
        let err = format!("{:#}", read_pairs(&path).unwrap_err());
        assert!(err.contains("pairs.jsonl:1"), "{err}");
        let good = r#"{"id": "a", "parent": "p?", "follow_up": "f?", "parent_concept": {"any_of": ["x"]}, "new_focus": {"any_of": ["y"]}}"#;
        std::fs::write(&path, format!("{good}\n\n{good}\n")).unwrap();
        let err = format!("{:#}", read_pairs(&path).unwrap_err());
        assert!(
            err.contains("pairs.jsonl:3") && err.contains("twice"),
            "{err}"
        );
        let empty = good.replace(r#"["y"]"#, "[]");
        std::fs::write(&path, format!("{empty}\n")).unwrap();
        let err = format!("{:#}", read_pairs(&path).unwrap_err());
        assert!(err.contains("new_focus.any_of is empty"), "{err}");
    }
}
