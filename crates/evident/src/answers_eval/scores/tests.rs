use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

/// Our own answers to our own questions (tests/fixtures/answers-eval): every rule of the three
/// scripts has a case there — a fact after the references heading, CRLF line ends, a Markdown
/// answer without JSON, a missing answer, gold matched by URL, by the ngc rule, inside a passage
/// id and in a heading trail, each lint reason, a dotless i and U+001F whitespace.
fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/answers-eval")
}

fn load(dir: &Path) -> (Vec<Value>, Vec<AnswerFiles>) {
    let qs = crate::eval::read_jsonl(&dir.join("questions.jsonl")).expect("fixture questions");
    let answers = qs
        .iter()
        .map(|q| AnswerFiles::read(&dir.join("answers"), str_field(q, "id")))
        .collect();
    (qs, answers)
}

/// The lines the scripts print for the fixture, as run once by hand:
/// `python3 ../shared/tools/score_{clinical,precision,article}.py questions.jsonl answers`.
#[test]
fn the_fixture_scores_as_the_scripts_printed() {
    let (qs, answers) = load(&fixture());
    let f = score(&qs, &answers);
    assert_eq!(
        f.clinical.line(),
        "missing=1 coverage=0.769 (10/13) abstain_ok=2/3 false_abstain=2"
    );
    assert_eq!(
        f.precision.line(),
        "on_source=0.700 (14/20) offtopic=1 [f02] median_statements=4 median_sources=2"
    );
    assert_eq!(
        f.article.line(),
        "lead_hit=4/4 lint=8/23 {'short': 1, 'lowercase start': 1, 'no end': 1, 'navigation': 3, 'fused heading': 2} patient_in_clinician=0.300 facts_per_10_statements=4.50"
    );
    let per_q: Vec<(&str, usize, usize)> = f
        .precision
        .per_question
        .iter()
        .map(|(id, on, n)| (id.as_str(), *on, *n))
        .collect();
    assert_eq!(
        per_q,
        [("f01", 7, 9), ("f02", 1, 4), ("f03", 3, 4), ("f10", 3, 3)]
    );
}

#[test]
fn the_fixture_has_the_extra_figures_worked_out_by_hand() {
    let (qs, answers) = load(&fixture());
    let e = score(&qs, &answers).extra;
    // f04 (generic reason, topics), f06 (names "zorblatide", topics), f08 (generic, none).
    assert_eq!(
        (e.abstained, e.named, e.listed, e.named_and_listed),
        (3, 1, 2, 1)
    );
    // f02's reference list repeats a source; f01, f07 and f10 have none (distinct sources).
    assert_eq!((e.answered, e.refs_per_source), (5, 4));
    assert_eq!(e.latencies_ms.len(), 8);
    assert_eq!((e.latency(0.5), e.latency(0.99)), (8.25, 30.0));
}

#[test]
fn categories_keep_their_order_and_partition_the_questions() {
    let (qs, answers) = load(&fixture());
    let cats = by_category(&qs, &answers);
    let names: Vec<&str> = cats.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        names,
        [
            "cancer",
            "chronic",
            "screening",
            "consumer",
            "not_in_library",
            "near_miss"
        ]
    );
    let n: usize = cats.iter().map(|(_, f)| f.questions).sum();
    assert_eq!(n, qs.len());
    let near = &cats.iter().find(|(c, _)| c == "near_miss").unwrap().1;
    assert_eq!(
        (near.clinical.abstain_ok, near.clinical.out_of_library),
        (1, 2)
    );
    let all = score(&qs, &answers);
    let facts: usize = cats.iter().map(|(_, f)| f.clinical.facts).sum();
    assert_eq!(facts, all.clinical.facts);
}

/// The shared scripts, where this checkout has them beside it.
fn tools() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools");
    dir.join("score_article.py").is_file().then_some(dir)
}

fn python(script: &Path, questions: &Path, answers: &Path) -> Option<String> {
    let out = Command::new("python3")
        .arg(script)
        .arg(questions)
        .arg(answers)
        .env_remove("PER_Q")
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

/// Runs the three scripts on `questions` and `dir` and compares their lines with ours;
/// `None` when python3 or the scripts are absent.
pub(crate) fn compare_with_python(
    questions: &[Value],
    answers_dir: &Path,
    figures: &Figures,
) -> Option<()> {
    let tools = tools()?;
    let scratch = tempfile::tempdir().unwrap();
    let qpath = scratch.path().join("questions.jsonl");
    let lines: Vec<String> = questions.iter().map(Value::to_string).collect();
    std::fs::write(&qpath, lines.join("\n") + "\n").unwrap();
    let run = |name: &str| python(&tools.join(name), &qpath, answers_dir);
    assert_eq!(run("score_clinical.py")?, figures.clinical.line());
    assert_eq!(run("score_precision.py")?, figures.precision.line());
    assert_eq!(run("score_article.py")?, figures.article.line());
    Some(())
}

#[test]
fn the_fixture_scores_as_the_python_scripts_do_overall_and_by_category() {
    let (qs, answers) = load(&fixture());
    let dir = fixture().join("answers");
    if compare_with_python(&qs, &dir, &score(&qs, &answers)).is_none() {
        eprintln!("skipping: python3 or ../shared/tools/score_*.py not found");
        return;
    }
    for (category, figures) in by_category(&qs, &answers) {
        let subset: Vec<Value> = qs
            .iter()
            .filter(|q| super::category(q) == category)
            .cloned()
            .collect();
        compare_with_python(&subset, &dir, &figures).expect("python ran a moment ago");
    }
}

#[test]
fn lint_gives_the_first_failing_reason() {
    assert_eq!(lint("Too short to count."), Some("short"));
    assert_eq!(
        lint("  spaces\u{1f}between\u{1f}words count as Python splits."),
        Some("lowercase start")
    );
    assert_eq!(
        lint("Take\u{1f}the\u{1f}tablet daily now."),
        None,
        "U+001F splits words for Python"
    );
    assert_eq!(
        lint("A sentence that never comes to an end"),
        Some("no end")
    );
    assert_eq!(lint("“Quoted openings are fine when they end well.”"), None);
    assert_eq!(
        lint("Please watch the video before the visit."),
        Some("navigation")
    );
    assert_eq!(
        lint("Visit our website for the full leaflet today."),
        Some("navigation")
    );
    assert_eq!(
        lint("Call 1-800 numbers for advice at any hour."),
        Some("navigation")
    );
    assert_eq!(
        lint("Videos of the exercises are not navigation text."),
        None,
        "\\b after video"
    );
    assert_eq!(
        lint("The ſee alſo marker folds to see also for Python."),
        Some("navigation")
    );
    assert_eq!(
        lint("Side Effects These are usually mild and pass."),
        Some("fused heading")
    );
    assert_eq!(lint("Side Effects Thesecond word is not a cue word."), None);
    assert_eq!(
        lint("Kidney Disease And Diet Plans Today The list goes on and on."),
        Some("fused heading"),
        "six capitalised words, then a cue"
    );
    assert_eq!(
        lint("One Two Three Four Five Six Seven The cue comes too late."),
        None
    );
    assert_eq!(
        lint("Dose  The double space breaks the heading pattern here."),
        None
    );
}

#[test]
fn the_body_ends_at_the_first_references_or_sources_heading() {
    assert_eq!(body("A b.\n\n## References\n\nC d."), "a b.");
    assert_eq!(body("A b.\n**Sources**\nC d."), "a b.");
    assert_eq!(body("A b.\n   # \n references: x"), "a b.");
    assert_eq!(body("A b.\nSources of funding vary.\nC"), "a b.");
    assert_eq!(
        body("A b.\nSourcesless text.\nResources for families.\nC"),
        "a b. sourcesless text. resources for families. c"
    );
    assert_eq!(
        body("A b. References follow.\nC"),
        "a b. references follow. c"
    );
    assert_eq!(body("A b.\r\rREFERENCES\r\nC"), "a b.");
    assert_eq!(
        body("A\u{1f}B\nſources\nC"),
        "a b",
        "long s is an s to Python"
    );
}

#[test]
fn abstention_follows_the_json_field_then_the_phrases() {
    let yes = json!({"abstained": true});
    let zero = json!({"abstained": 0, "lead": []});
    let nested = json!({"abstained": false, "x": [{"did_abstain": "yes"}]});
    assert!(clinical_abstained(Some(&yes), "an answer"));
    assert!(!clinical_abstained(Some(&zero), "no evidence at all"));
    assert!(clinical_abstained(Some(&nested), ""));
    assert!(clinical_abstained(None, "we could not find it"));
    assert!(!clinical_abstained(
        Some(&json!({"title": "x"})),
        "an answer"
    ));
    assert!(clinical_abstained(
        Some(&json!({"title": "x"})),
        "no evidence"
    ));
}

#[test]
fn an_abstention_names_a_topic_word_or_the_focus() {
    let q = "What is the dose of zorblatide for thingamajig fever?";
    assert!(names_missing_concept(
        q,
        "The library does not mention \"zorblatide\".",
        None
    ));
    assert!(!names_missing_concept(
        q,
        "The library has no passage that matches this question.",
        None
    ));
    assert!(names_missing_concept(
        "How is it treated?",
        "Nothing on whatsit encephalopathy here.",
        Some("whatsit encephalopathy (WE)")
    ));
}
