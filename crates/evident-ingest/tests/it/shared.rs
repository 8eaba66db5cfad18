//! The four shared corpora, read straight from their archives. Skipped (with a message) when
//! `../shared/data` is not next to the project, as in a fresh clone; failed instead when
//! `EVIDENT_REQUIRE_SHARED_DATA=1` (as `.ci/run` sets it where the data is present).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use evident_ingest::{read_with, readers, walk, Error, WalkOptions};

/// `../shared/data`, or `None` (with a message) when it is absent; panics then instead when
/// `EVIDENT_REQUIRE_SHARED_DATA=1`.
fn shared_data() -> Option<PathBuf> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if data.is_dir() {
        return Some(data);
    }
    assert!(
        std::env::var_os("EVIDENT_REQUIRE_SHARED_DATA").is_none_or(|v| v != "1"),
        "{} not found, and EVIDENT_REQUIRE_SHARED_DATA=1 requires it",
        data.display()
    );
    println!("skipping: ../shared/data not found");
    None
}

fn corpus(file: &str) -> Option<PathBuf> {
    let data = shared_data()?;
    let path = data.join("corpus").join(file);
    assert!(
        path.is_file(),
        "{} is missing from ../shared/data",
        path.display()
    );
    Some(path)
}

/// Per item: its path and either the source ids of its documents or the error.
struct Tally {
    docs: Vec<(String, Vec<String>)>,
    errors: Vec<(String, Error)>,
}

impl Tally {
    fn doc_count(&self) -> usize {
        self.docs.iter().map(|(_, ids)| ids.len()).sum()
    }
}

fn read_corpus(path: &Path) -> Tally {
    let readers = readers();
    let mut tally = Tally {
        docs: Vec::new(),
        errors: Vec::new(),
    };
    walk(path, &WalkOptions::default(), &mut |item| match item {
        Ok(item) => match read_with(&readers, &item) {
            Ok(docs) => {
                let ids = docs.into_iter().map(|d| d.source.id).collect();
                tally.docs.push((item.path, ids));
            }
            Err(e) => tally.errors.push((item.path, e)),
        },
        Err(e) => tally.errors.push((path.display().to_string(), e)),
    })
    .unwrap();
    tally
}

/// The MedQuAD sub-collection number of a member path (`…!/7_SeniorHealth_QA/x.xml` → 7).
fn collection(path: &str) -> u32 {
    let member = path.split("!/").nth(1).unwrap_or(path);
    member
        .split('_')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn medquad_answers_come_from_collections_1_to_9() {
    let Some(path) = corpus("medquad-xml.tar.gz") else {
        return;
    };
    let tally = read_corpus(&path);
    let mut docs: BTreeMap<u32, usize> = BTreeMap::new();
    for (p, ids) in &tally.docs {
        *docs.entry(collection(p)).or_default() += ids.len();
    }
    for n in 1..=9 {
        assert!(
            docs.get(&n).is_some_and(|&d| d > 0),
            "no documents from collection {n}: {docs:?}"
        );
    }
    for n in 10..=12 {
        assert!(
            !docs.contains_key(&n),
            "collection {n} has empty answers: {docs:?}"
        );
    }
    // Every error is an empty answer: all documents of 10–12 (answers withheld), and a few
    // source files of 1–9 that have no answer text (11 in the 2023 release).
    let mut errors: BTreeMap<u32, usize> = BTreeMap::new();
    for (p, e) in &tally.errors {
        assert!(matches!(e, Error::Empty { .. }), "unexpected error: {e}");
        *errors.entry(collection(p)).or_default() += 1;
    }
    for n in 10..=12 {
        assert!(errors.get(&n).is_some_and(|&e| e > 0), "{errors:?}");
    }
    let empty_in_1_to_9: usize = errors.range(1..=9).map(|(_, e)| e).sum();
    assert!(empty_in_1_to_9 <= 20, "{errors:?}");
    assert_eq!(tally.docs.len() + tally.errors.len(), 11_274);
    println!("MedQuAD documents by collection {docs:?}, empty by collection {errors:?}");
}

#[test]
fn nci_pages_all_read() {
    let Some(path) = corpus("nci-cancergov-md.tar.xz") else {
        return;
    };
    let tally = read_corpus(&path);
    let pages: Vec<&(String, Vec<String>)> = tally
        .docs
        .iter()
        .filter(|(p, _)| p.contains("!/en/"))
        .collect();
    assert_eq!(pages.len(), 1_433);
    let nci = pages
        .iter()
        .flat_map(|(_, ids)| ids)
        .filter(|id| id.starts_with("nci:"))
        .count();
    assert!(nci >= 1_430, "{nci} pages with nci: ids");
    // The archive also holds a README (Markdown, read) and a JSON manifest (no reader).
    for (p, e) in &tally.errors {
        assert!(p.ends_with("manifest.json"), "unexpected error: {e}");
    }
    println!(
        "NCI: {} documents, {} errors",
        tally.doc_count(),
        tally.errors.len()
    );
}

#[test]
fn uspstf_has_90_topics() {
    let Some(path) = corpus("uspstf-2024-05-02.json") else {
        return;
    };
    let tally = read_corpus(&path);
    assert!(tally.errors.is_empty(), "{}", tally.errors[0].1);
    assert_eq!(tally.doc_count(), 90);
}

#[test]
fn ngc_has_106_summaries() {
    let Some(path) = corpus("ngc-federal-summaries.tar.xz") else {
        return;
    };
    let tally = read_corpus(&path);
    assert!(tally.errors.is_empty(), "{}", tally.errors[0].1);
    assert_eq!(tally.doc_count(), 106);
}
