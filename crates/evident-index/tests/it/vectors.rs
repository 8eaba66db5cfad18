//! Passage vectors: committed with the index, replaced with their source, searched densely.

use std::sync::Arc;

use evident_core::{DocumentBuilder, Passage, Source, SourceKind};
use evident_index::{Library, QueryEncoder, SearchMode, SearchOptions};

/// A deterministic toy encoder for tests: hashed bag of lowercase words, L2-normalised.
/// (The real encoder is the MiniLM model in `evident-embed`; the index only needs vectors.)
struct BagOfWords;

impl QueryEncoder for BagOfWords {
    fn encode(&self, text: &str) -> Option<Vec<f32>> {
        Some(bag(text))
    }
}

fn bag(text: &str) -> Vec<f32> {
    let mut v = vec![0.0f32; 64];
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let h = w
            .to_lowercase()
            .bytes()
            .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
        v[(h % 64) as usize] += 1.0;
    }
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
    v.iter().map(|x| x / n).collect()
}

fn add(lib: &Library, id: &str, text: &str) {
    let mut s = Source::new(id, id);
    s.kind = SourceKind::Guideline;
    let mut b = DocumentBuilder::new(s);
    b.paragraph(text);
    let doc = b.finish();
    let p = Passage {
        id: format!("{id}#0"),
        source_id: id.into(),
        ordinal: 0,
        trail: vec![],
        text: doc.section_text(&doc.sections[0]).into(),
        start: doc.sections[0].start,
        end: doc.sections[0].end,
        grade: None,
        anchor: None,
    };
    let mut w = lib.writer(30_000_000).unwrap();
    w.add(&doc, std::slice::from_ref(&p)).unwrap();
    w.add_vectors(vec![(p.id.clone(), 0, bag(&p.text))])
        .unwrap();
    w.commit().unwrap();
}

#[test]
fn vectors_persist_replace_and_survive_an_uncommitted_writer() {
    let dir = tempfile::tempdir().unwrap();
    {
        let lib = Library::open(dir.path()).unwrap();
        add(&lib, "a", "water pill lowers pressure");
        add(&lib, "b", "inhaled steroid for asthma");
        assert_eq!(lib.vectors().len(), 2);
        add(&lib, "a", "thiazide diuretic for hypertension");
        assert_eq!(
            lib.vectors().len(),
            2,
            "the replaced source's old vector is gone"
        );
        // Uncommitted changes, as in a crash.
        let mut w = lib.writer(30_000_000).unwrap();
        w.remove("b").unwrap();
        drop(w);
    }
    let lib = Library::open(dir.path()).unwrap();
    let store = lib.vectors();
    assert_eq!(store.len(), 2);
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("vectors-"))
        .collect();
    assert_eq!(files.len(), 1, "old vector files are cleaned up");

    // Dense search needs an encoder; without one, Auto stays BM25.
    assert_eq!(lib.effective_mode(SearchMode::Auto), SearchMode::Bm25);
    lib.set_encoder(Arc::new(BagOfWords));
    assert_eq!(lib.effective_mode(SearchMode::Auto), SearchMode::Hybrid);
    let dense = SearchOptions {
        mode: SearchMode::Dense,
        ..SearchOptions::default()
    };
    let hits = lib.search("thiazide hypertension", &dense).unwrap();
    assert_eq!(hits[0].source.id, "a");
    let hybrid = SearchOptions {
        mode: SearchMode::Hybrid,
        ..SearchOptions::default()
    };
    let hits = lib.search("asthma steroid", &hybrid).unwrap();
    assert_eq!(hits[0].source.id, "b");

    let mut w = lib.writer(30_000_000).unwrap();
    w.remove("a").unwrap();
    w.commit().unwrap();
    assert_eq!(lib.vectors().len(), 1);
}
