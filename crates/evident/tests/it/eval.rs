//! `eval answers` and `eval followups` end to end, on the starter library (ours) and questions
//! written here: the figures `eval answers` prints must be the shared scorers' own lines for the
//! folder it writes (checked by running them where python3 and ../shared/tools are present).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{evident, ok, stderr, stdout};

fn starter_library() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../library")
}

const QUESTIONS: &str = r#"{"id": "e01", "question": "How is stable COPD managed with inhalers?", "type": "treatment", "audience": "clinician", "in_library": true, "must_have": [{"fact": "Long-acting bronchodilators are the basis", "any_of": ["bronchodilator"]}, {"fact": "Inhaler technique is checked", "any_of": ["inhaler technique"]}], "gold": ["evident-copd"], "category": "chronic"}
{"id": "e02", "question": "What can I do about my low back pain?", "type": "treatment", "audience": "patient", "in_library": true, "must_have": [{"fact": "Stay active", "any_of": ["active"]}], "gold": ["evident-low-back-pain-patient"], "category": "consumer"}
{"id": "e03", "question": "What is the dose of zorblatide for thingamajig fever?", "type": "dosing", "audience": "clinician", "in_library": false, "must_have": [{"fact": "states that the library lacks evidence", "any_of": ["no evidence"]}], "gold": [], "category": "not_in_library"}
"#;

/// The three scorers' lines for `questions` and `dir`, or `None` without python3 or the scripts.
fn python_lines(questions: &Path, dir: &Path) -> Option<Vec<String>> {
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools");
    if !tools.join("score_article.py").is_file() {
        return None;
    }
    let mut lines = Vec::new();
    for script in [
        "score_clinical.py",
        "score_precision.py",
        "score_article.py",
    ] {
        let out = Command::new("python3")
            .arg(tools.join(script))
            .arg(questions)
            .arg(dir)
            .env_remove("PER_Q")
            .output()
            .ok()?;
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        lines.push(format!(
            "{script}{}",
            String::from_utf8_lossy(&out.stdout).trim_end()
        ));
    }
    Some(lines)
}

#[test]
fn eval_answers_prints_the_shared_scorers_figures_and_writes_them() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let questions = tmp.path().join("questions.jsonl");
    std::fs::write(&questions, QUESTIONS).unwrap();
    let out = tmp.path().join("answers");
    let json = tmp.path().join("figures.json");
    let library = starter_library();
    let printed = ok(
        &data,
        &[
            "eval",
            "answers",
            library.to_str().unwrap(),
            "--clinical",
            questions.to_str().unwrap(),
            "--kqa",
            "/nonexistent/kqa.jsonl",
            "--out",
            out.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ],
    );
    for id in ["e01", "e02", "e03"] {
        assert!(out.join(format!("{id}.md")).is_file() && out.join(format!("{id}.json")).is_file());
    }
    // The out-of-library question abstains, naming the word and listing nearest topics.
    let figures: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let overall = &figures["clinical_dev"]["overall"];
    assert_eq!(overall["clinical"]["abstain_ok"], 1, "{printed}");
    assert_eq!(overall["abstentions"]["named_and_listed"], 1, "{printed}");
    assert_eq!(overall["questions"], 3);
    let categories: Vec<&str> = figures["clinical_dev"]["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["category"].as_str().unwrap())
        .collect();
    assert_eq!(categories, ["chronic", "consumer", "not_in_library"]);
    for row in ["all ", "chronic ", "consumer ", "not_in_library "] {
        assert!(
            printed.lines().any(|l| l.starts_with(row)),
            "no {row}row:\n{printed}"
        );
    }
    let ours: Vec<String> = printed
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("score_"))
        .map(|l| {
            let (script, figures) = l.split_once(".py").unwrap();
            format!("score_{script}.py{}", figures.trim_start())
        })
        .collect();
    assert_eq!(ours.len(), 3, "{printed}");
    match python_lines(&questions, &out) {
        Some(theirs) => {
            let theirs: Vec<String> = theirs
                .iter()
                .map(|l| {
                    let (script, figures) = l.split_once(".py").unwrap();
                    format!("{script}.py{figures}")
                })
                .collect();
            assert_eq!(ours, theirs);
        }
        None => eprintln!("skipping the python cross-check: python3 or ../shared/tools not found"),
    }
}

#[test]
fn eval_followups_answers_the_follow_up_with_its_parent() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let pairs = tmp.path().join("pairs.jsonl");
    std::fs::write(
        &pairs,
        r#"{"id": "c1", "kind": "complication", "parent": "How is stable COPD managed?", "follow_up": "How should an exacerbation be treated?", "audience": "clinician", "parent_concept": {"any_of": ["copd", "chronic obstructive pulmonary disease"]}, "new_focus": {"any_of": ["exacerbation"]}}
"#,
    )
    .unwrap();
    let out = tmp.path().join("out");
    let json = tmp.path().join("followups.json");
    let library = starter_library();
    let printed = ok(
        &data,
        &[
            "eval",
            "followups",
            library.to_str().unwrap(),
            "--pairs",
            pairs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ],
    );
    assert!(printed.contains("Total: stays_on_concept"), "{printed}");
    let follow: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("c1-followup.json")).unwrap())
            .unwrap();
    assert_eq!(
        follow["analysis"]["follows"], "How is stable COPD managed?",
        "answered as a follow-up of its parent"
    );
    let figures: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(figures["total"]["pairs"], 1);
    assert_eq!(figures["pairs"][0]["id"], "c1");
}

#[test]
fn eval_on_an_empty_indexed_library_says_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let pairs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../eval/followups.jsonl");
    let o = evident(
        &tmp.path().join("data"),
        &[
            "eval",
            "followups",
            "--indexed",
            "--pairs",
            pairs.to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("library add"), "{}{err}", stdout(&o));
}
