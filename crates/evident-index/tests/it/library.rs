use evident_core::{Audience, Document, DocumentBuilder, Passage, Source, SourceKind};
use evident_index::{AddOutcome, Library, SearchOptions};

fn doc(id: &str, title: &str, kind: SourceKind, sections: &[(&str, &str)]) -> Document {
    let mut source = Source::new(id, title);
    source.kind = kind;
    source.year = Some(2024);
    let mut b = DocumentBuilder::new(source);
    for (h, p) in sections {
        b.heading(2, h);
        b.paragraph(p);
    }
    b.finish()
}

/// One passage per section, enough for these tests.
fn passages(d: &Document) -> Vec<Passage> {
    d.sections
        .iter()
        .enumerate()
        .map(|(i, s)| Passage {
            id: format!("{}#{i}", d.source.id),
            source_id: d.source.id.clone(),
            ordinal: i as u32,
            trail: s.trail.clone(),
            text: d.section_text(s).to_string(),
            start: s.start,
            end: s.end,
            grade: s.grade.clone(),
            anchor: s.anchor.clone(),
        })
        .collect()
}

fn add(lib: &Library, docs: &[Document]) -> Vec<AddOutcome> {
    let mut w = lib.writer(30_000_000).unwrap();
    let out = docs
        .iter()
        .map(|d| w.add(d, &passages(d)).unwrap())
        .collect();
    w.commit().unwrap();
    out
}

fn nam() -> Document {
    doc(
        "t:nam",
        "Necrotizing autoimmune myopathy",
        SourceKind::Guideline,
        &[
            (
                "Treatment",
                "Start high-dose glucocorticoids with methotrexate early.",
            ),
            (
                "Refractory disease",
                "Intravenous immunoglobulin is added when weakness persists.",
            ),
        ],
    )
}

#[test]
fn readding_replaces_and_unchanged_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let lib = Library::open(dir.path()).unwrap();
    assert_eq!(add(&lib, &[nam()]), [AddOutcome::New]);
    assert_eq!(add(&lib, &[nam()]), [AddOutcome::Unchanged]);
    assert_eq!(lib.counts().unwrap(), (1, 2));

    let changed = doc(
        "t:nam",
        "Necrotizing autoimmune myopathy",
        SourceKind::Guideline,
        &[(
            "Treatment",
            "Rituximab is an option for refractory anti-SRP disease.",
        )],
    );
    assert_eq!(add(&lib, &[changed]), [AddOutcome::Replaced]);
    assert_eq!(lib.counts().unwrap(), (1, 1), "old passages must be gone");
    let hits = lib
        .search("methotrexate", &SearchOptions::default())
        .unwrap();
    assert!(
        hits.is_empty(),
        "text of the replaced version is still found"
    );
    let hits = lib.search("rituximab", &SearchOptions::default()).unwrap();
    assert_eq!(hits.len(), 1);
}

#[test]
fn the_same_source_twice_in_one_batch_is_stored_once() {
    let lib = Library::in_memory().unwrap();
    let mut second = nam();
    second.text.push(' ');
    let mut w = lib.writer(30_000_000).unwrap();
    w.add(&nam(), &passages(&nam())).unwrap();
    w.add(&second, &passages(&second)).unwrap();
    w.commit().unwrap();
    assert_eq!(lib.counts().unwrap(), (1, 2));
}

#[test]
fn remove_deletes_source_and_passages_and_unknown_ids_are_errors() {
    let lib = Library::in_memory().unwrap();
    let other = doc(
        "t:htn",
        "Hypertension",
        SourceKind::Guideline,
        &[("Drugs", "Thiazides.")],
    );
    add(&lib, &[nam(), other]);
    let mut w = lib.writer(30_000_000).unwrap();
    w.remove("t:nam").unwrap();
    w.commit().unwrap();
    assert_eq!(lib.counts().unwrap(), (1, 1));
    assert!(lib.source("t:nam").unwrap().is_none());
    let mut w = lib.writer(30_000_000).unwrap();
    let err = w.remove("t:nope").unwrap_err();
    assert!(err.is_user_error());
    assert!(err.to_string().contains("t:nope"));
}

#[test]
fn index_persists_and_uncommitted_changes_vanish() {
    let dir = tempfile::tempdir().unwrap();
    {
        let lib = Library::open(dir.path()).unwrap();
        add(&lib, &[nam()]);
        // A writer that never commits, as in a crash mid-ingest.
        let mut w = lib.writer(30_000_000).unwrap();
        let htn = doc(
            "t:htn",
            "Hypertension",
            SourceKind::Guideline,
            &[("Drugs", "Thiazides.")],
        );
        w.add(&htn, &passages(&htn)).unwrap();
        w.remove("t:nam").unwrap();
        drop(w);
    }
    let lib = Library::open(dir.path()).unwrap();
    let ids: Vec<String> = lib
        .sources()
        .unwrap()
        .into_iter()
        .map(|r| r.source.id)
        .collect();
    assert_eq!(ids, ["t:nam"]);
    let record = lib.source("t:nam").unwrap().unwrap();
    assert_eq!(record.passages, 2);
    assert_eq!(record.source.kind, SourceKind::Guideline);
    assert_eq!(
        lib.passages_of("t:nam").unwrap()[1].trail,
        ["Refractory disease"]
    );
}

#[test]
fn a_folder_that_is_not_an_index_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("meta.json"), "{}").unwrap();
    let err = Library::open(dir.path()).err().expect("must refuse");
    assert!(err.to_string().contains("not an Evident index"), "{err}");
}

#[test]
fn abbreviations_and_lay_words_find_the_clinical_terms() {
    let lib = Library::in_memory().unwrap();
    add(
        &lib,
        &[
            nam(),
            doc(
                "t:htn",
                "Hypertension in adults",
                SourceKind::Guideline,
                &[(
                    "First-line drugs",
                    "Thiazide diuretics lower high blood pressure.",
                )],
            ),
        ],
    );
    let top = |q: &str| {
        lib.search(q, &SearchOptions::default()).unwrap()[0]
            .source
            .id
            .clone()
    };
    assert_eq!(top("HTN drugs"), "t:htn");
    assert_eq!(top("IVIG"), "t:nam");
    assert_eq!(top("NAM treatment"), "t:nam");
    // Without expansion, the abbreviation alone finds nothing.
    let plain = SearchOptions {
        expand: false,
        ..SearchOptions::default()
    };
    assert!(lib.search("IVIG", &plain).unwrap().is_empty());
    let (_, added) = lib.explain("HTN").unwrap();
    assert!(added.iter().any(|t| t == "hypertension"), "{added:?}");
}

/// A guideline and a patient leaflet with the same text about gout.
fn gout_library() -> Library {
    let lib = Library::in_memory().unwrap();
    let text = [(
        "Treatment",
        "Gout flares are treated with colchicine or an NSAID.",
    )];
    add(
        &lib,
        &[
            doc("t:leaflet", "Gout", SourceKind::PatientInformation, &text),
            doc("t:guideline", "Gout", SourceKind::Guideline, &text),
        ],
    );
    lib
}

#[test]
fn guidelines_rank_before_leaflets_for_clinicians_and_after_for_patients() {
    let lib = gout_library();
    let first = |audience| {
        let opts = SearchOptions {
            audience,
            ..SearchOptions::default()
        };
        lib.search("gout colchicine", &opts).unwrap()[0]
            .source
            .id
            .clone()
    };
    assert_eq!(first(Audience::Clinician), "t:guideline");
    assert_eq!(first(Audience::Patient), "t:leaflet");
}

#[test]
fn hits_carry_source_trail_and_a_snippet_with_the_query_words() {
    let lib = Library::in_memory().unwrap();
    add(&lib, &[nam()]);
    let hits = lib
        .search("immunoglobulin weakness", &SearchOptions::default())
        .unwrap();
    let h = &hits[0];
    assert_eq!(h.rank, 1);
    assert_eq!(h.passage.trail, ["Refractory disease"]);
    assert_eq!(h.source.title, "Necrotizing autoimmune myopathy");
    assert_eq!(h.source.year, Some(2024));
    assert!(h.snippet.contains("immunoglobulin"), "{}", h.snippet);
    assert!(matches!(
        lib.search("the of and", &SearchOptions::default()),
        Err(evident_index::Error::EmptyQuery(_))
    ));
}

#[test]
fn cached_rankings_keep_per_audience_priors_and_follow_commits() {
    let lib = gout_library();
    let ids = |audience| {
        let opts = SearchOptions {
            audience,
            ..SearchOptions::default()
        };
        lib.search("gout colchicine", &opts)
            .unwrap()
            .into_iter()
            .map(|h| (h.source.id, h.score, h.snippet))
            .collect::<Vec<_>>()
    };
    let uncached = [ids(Audience::Clinician), ids(Audience::Patient)];
    lib.cache_results(16);
    for _ in 0..2 {
        // The first round fills the cache, the second reads it: the same hits either way.
        assert_eq!(ids(Audience::Clinician), uncached[0]);
        assert_eq!(ids(Audience::Patient), uncached[1]);
    }
    assert_eq!(uncached[0][0].0, "t:guideline");
    assert_eq!(uncached[1][0].0, "t:leaflet");
    // A commit changes what the question finds; the cache must not hide it.
    add(
        &lib,
        &[doc(
            "t:summary",
            "Gout colchicine",
            SourceKind::Guideline,
            &[(
                "Colchicine",
                "Colchicine for gout flares: colchicine dosing for gout.",
            )],
        )],
    );
    assert!(ids(Audience::Clinician).iter().any(|h| h.0 == "t:summary"));
}
