//! `eval support` end to end: the sentence-support checker on the dev pairs we wrote
//! (`eval/support/dev.jsonl`), its `--out` verdicts, and a malformed file.

use std::path::{Path, PathBuf};

use crate::{evident, ok, stderr};

/// Accuracy below this on the dev file fails the test. Measured 0.866 (206/238) when the test
/// was written (docs/support-check.md); the floor leaves room for a few pairs either way.
const ACCURACY_FLOOR: f64 = 0.82;

fn dev_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../eval/support/dev.jsonl")
}

/// The figure after `label` ("Accuracy:  0.912 (…)") in the printed summary.
fn figure(printed: &str, label: &str) -> f64 {
    printed
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {label:?} line in:\n{printed}"))
}

#[test]
fn support_eval_on_the_dev_file_beats_its_floor_and_writes_verdicts_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("verdicts.jsonl");
    let file = dev_file();
    let printed = ok(
        &tmp.path().join("data"),
        &[
            "eval",
            "support",
            "--file",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let accuracy = figure(&printed, "Accuracy:");
    assert!(
        accuracy >= ACCURACY_FLOOR,
        "accuracy {accuracy}:\n{printed}"
    );
    for label in ["Precision:", "Recall:"] {
        let v = figure(&printed, label);
        assert!((0.0..=1.0).contains(&v), "{label} {v}");
    }
    for change in ["paraphrase", "number", "negation", "added_fact"] {
        assert!(
            printed.lines().any(|l| l.starts_with(change)),
            "no {change} row:\n{printed}"
        );
    }
    let ids: Vec<String> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
        .collect();
    let verdicts: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("--out writes JSON lines"))
        .collect();
    assert_eq!(verdicts.len(), ids.len());
    assert!(ids.len() >= 160, "{} pairs", ids.len());
    for (v, id) in verdicts.iter().zip(&ids) {
        assert_eq!(&v["id"].to_string(), id);
        let verdict = v["verdict"].as_str().unwrap_or_default();
        assert!(matches!(verdict, "supported" | "unsupported"), "{v}");
        assert_eq!(verdict == "unsupported", v["reason"].is_string(), "{v}");
    }
}

#[test]
fn support_eval_names_the_malformed_line() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("pairs.jsonl");
    std::fs::write(
        &file,
        "{\"id\":\"a\",\"claim\":\"Aspirin helps.\",\"passage\":\"Aspirin helps.\",\"label\":\"supported\"}\n\n{\"id\":\"b\",\"claim\":\"x\"\n",
    )
    .unwrap();
    let o = evident(
        &tmp.path().join("data"),
        &["eval", "support", "--file", file.to_str().unwrap()],
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("pairs.jsonl: line 3: not a claim/passage pair"),
        "{err}"
    );
}
