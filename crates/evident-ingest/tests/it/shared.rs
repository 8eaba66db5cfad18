//! The four shared corpora, read straight from their archives. Skipped (with a message) when
//! `../shared/data` is not next to the project, as in a fresh clone; failed instead when
//! `EVIDENT_REQUIRE_SHARED_DATA=1` (as `.ci/run` sets it where the data is present).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use evident_core::text::sentences;
use evident_ingest::{chunk, read_with, readers, walk, ChunkOptions, Error, WalkOptions};

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
    // A few pages hold nothing but an image and its "View and Print" link: no text.
    let imageless: Vec<&(String, Error)> = tally
        .errors
        .iter()
        .filter(|(p, e)| p.contains("!/en/") && matches!(e, Error::Empty { .. }))
        .collect();
    assert!(imageless.len() <= 5, "{} empty pages", imageless.len());
    assert_eq!(pages.len() + imageless.len(), 1_433);
    let nci = pages
        .iter()
        .flat_map(|(_, ids)| ids)
        .filter(|id| id.starts_with("nci:"))
        .count();
    assert!(nci >= 1_425, "{nci} pages with nci: ids");
    // The archive also holds a README (Markdown, read) and a JSON manifest (no reader).
    for (p, e) in &tally.errors {
        assert!(
            p.ends_with("manifest.json") || matches!(e, Error::Empty { .. }),
            "unexpected error: {e}"
        );
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

/// Passage sentences that would read badly when quoted, counted as the article scorer
/// (`../shared/tools/score_article.py`) and a reader would see them.
#[derive(Debug, Default)]
struct Lint {
    sentences: usize,
    /// A Title Case run of two to six words fused onto a sentence ("Risk Factors The risk …").
    fused_headings: usize,
    /// A sentence end glued to the next sentence ("itch.Rest"); web addresses
    /// ("www.Example.gov") and protein notation ("p.Arg12Cys") are counted too.
    glued: usize,
    /// Video and link prompts ("Watch the video …", "click here", "Learn more about …").
    prompts: usize,
    examples: Vec<String>,
}

fn lint_corpus(path: &Path) -> Lint {
    let readers = readers();
    let mut lint = Lint::default();
    walk(path, &WalkOptions::default(), &mut |item| {
        let Ok(docs) = item.and_then(|item| read_with(&readers, &item)) else {
            return;
        };
        for doc in &docs {
            for p in chunk(doc, &ChunkOptions::default()) {
                for s in sentences(&p.text) {
                    let s = s.strip_prefix("- ").unwrap_or(s);
                    lint.sentences += 1;
                    let (f, g, n) = (fused_heading(s), glued(s), prompt(s));
                    lint.fused_headings += f as usize;
                    lint.glued += g;
                    lint.prompts += n as usize;
                    if (f || g > 0 || n) && lint.examples.len() < 12 {
                        lint.examples.push(s.chars().take(100).collect());
                    }
                }
            }
        }
    })
    .unwrap();
    lint
}

/// The scorer's fused-heading pattern, `^(?:[A-Z][\w'-]*\s){2,6}(?:If|The|…|Doctors)\b`, on
/// what it would otherwise pass as a statement: five words or more, ending as a sentence.
fn fused_heading(s: &str) -> bool {
    if s.split_whitespace().count() < 5
        || !s.ends_with(['.', '!', '?', ')', ']', '"', '”', ':', ';'])
    {
        return false;
    }
    const STARTS: &[&str] = &[
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
    ];
    let words: Vec<&str> = s.split(' ').collect();
    let capitalised = |w: &str| {
        w.starts_with(|c: char| c.is_ascii_uppercase())
            && w.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '\'' | '-'))
    };
    (2..=6.min(words.len().saturating_sub(1))).any(|k| {
        words[..k].iter().all(|w| capitalised(w))
            && STARTS.iter().any(|st| {
                words[k].starts_with(st)
                    && !words[k][st.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
            })
    })
}

/// Occurrences of `[a-z)][.?!][A-Z][a-z]`.
fn glued(s: &str) -> usize {
    s.as_bytes()
        .windows(4)
        .filter(|w| {
            (w[0].is_ascii_lowercase() || w[0] == b')')
                && matches!(w[1], b'.' | b'?' | b'!')
                && w[2].is_ascii_uppercase()
                && w[3].is_ascii_lowercase()
        })
        .count()
}

fn prompt(s: &str) -> bool {
    let lower = s.to_lowercase();
    let lower = lower.trim_start_matches(['(', ' ']);
    lower.contains("watch the video")
        || lower.contains("click here")
        || lower.starts_with("learn more")
        || lower.starts_with("to learn more")
}

#[test]
fn medquad_passages_read_as_clean_sentences() {
    let Some(path) = corpus("medquad-xml.tar.gz") else {
        return;
    };
    let lint = lint_corpus(&path);
    println!("MedQuAD passage sentences: {lint:#?}");
    // Before ingest cleaned answers (sub-headings found, spaces restored, prompts dropped):
    // 174 fused headings, 161 glued sentence ends, 316 prompts in 206,238 sentences.
    assert!(lint.sentences > 200_000, "{lint:?}");
    assert!(lint.fused_headings <= 60, "{lint:#?}");
    assert!(lint.glued <= 40, "{lint:#?}");
    assert!(lint.prompts <= 20, "{lint:#?}");
}

#[test]
fn nci_passages_have_few_glued_sentences() {
    let Some(path) = corpus("nci-cancergov-md.tar.xz") else {
        return;
    };
    let lint = lint_corpus(&path);
    println!("NCI passage sentences: {lint:#?}");
    // Before: 384 glued sentence ends (most an image's "Enlarge" link), 1,312 prompts.
    assert!(lint.glued <= 80, "{lint:#?}");
    assert!(lint.prompts <= 20, "{lint:#?}");
}
