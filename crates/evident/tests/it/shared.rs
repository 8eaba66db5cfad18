//! Ingests the four shared corpora through the CLI when `../shared/data` is present (required,
//! so a failure rather than a skip, when `EVIDENT_REQUIRE_SHARED_DATA=1`).

use std::path::PathBuf;

use crate::{listed_ids, ok};

/// `../shared/data/corpus`, or `None` (with a message) when it is absent; panics then instead
/// when `EVIDENT_REQUIRE_SHARED_DATA=1`.
fn shared_corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("EVIDENT_REQUIRE_SHARED_DATA").is_none_or(|v| v != "1"),
        "{} not found, and EVIDENT_REQUIRE_SHARED_DATA=1 requires it",
        dir.display()
    );
    eprintln!("skipping: ../shared/data not found");
    None
}

#[test]
fn library_add_ingests_all_four_shared_corpora() {
    let Some(corpus) = shared_corpus() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let files = [
        "medquad-xml.tar.gz",
        "nci-cancergov-md.tar.xz",
        "uspstf-2024-05-02.json",
        "ngc-federal-summaries.tar.xz",
    ];
    let paths: Vec<String> = files
        .iter()
        .map(|f| corpus.join(f).display().to_string())
        .collect();
    let mut args = vec!["library", "add", "--quiet"];
    args.extend(paths.iter().map(String::as_str));
    let out = ok(tmp.path(), &args);
    eprintln!("{out}");
    // Every skipped item is named with a reason; only empty MedQuAD answers, the NCI
    // archive's manifest and a few NCI pages whose only text is an image link (dropped as
    // navigation) are expected.
    let mut empty_pages = 0;
    for line in out.lines().filter(|l| l.starts_with("  - ")) {
        if line.contains("nci-cancergov-md") && line.contains("no text found") {
            empty_pages += 1;
            continue;
        }
        assert!(
            line.contains("MedQuAD") || line.contains("manifest.json"),
            "unexpected skip: {line}"
        );
    }
    assert!(empty_pages <= 5, "{empty_pages} NCI pages with no text");
    let ids = listed_ids(tmp.path());
    let count = |prefix: &str| ids.iter().filter(|id| id.starts_with(prefix)).count();
    assert!(
        count("medquad:") > 5000,
        "{} MedQuAD sources",
        count("medquad:")
    );
    assert!(count("nci:") >= 1400, "{} NCI sources", count("nci:"));
    assert_eq!(count("uspstf:"), 90);
    assert_eq!(count("ngc:"), 106);

    // Grounded answers cite the right sources.
    let cases = [
        (
            "first-line treatment of stage I non-small cell lung cancer",
            "nci:types/lung/hp/non-small-cell-lung-treatment-pdq",
        ),
        ("who should be screened for hepatitis C", "uspstf:topic-423"),
        (
            "management of hypertension in diabetes (VA/DoD)",
            "ngc:ngc-10598",
        ),
    ];
    for (q, source) in cases {
        let json = ok(tmp.path(), &["ask", q, "--format", "json"]);
        let a: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(a["abstained"], false, "{q}");
        assert!(a["sections"].as_array().unwrap().len() >= 2, "{q}");
        let cited: Vec<&str> = a["citations"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["source_id"].as_str())
            .collect();
        assert!(cited.contains(&source), "{q}: {cited:?}");
    }
    let json = ok(
        tmp.path(),
        &[
            "ask",
            "Should I start resmetirom for MASH?",
            "--format",
            "json",
        ],
    );
    assert!(json.contains("\"abstained\": true"), "{json}");

    // Guideline-level questions find the right corpus.
    let hits = ok(
        tmp.path(),
        &[
            "search",
            "screening for hepatitis C in adults",
            "--json",
            "--k",
            "3",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&hits).unwrap();
    let top = v["hits"][0]["source"]["id"].as_str().unwrap();
    assert!(top.starts_with("uspstf:"), "top hit {top}");
}
