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

/// A stand-in query encoder: a fixed direction, so a dense search ranks every passage that has
/// a vector (the model is in `evident-embed`; here only vector bookkeeping matters).
struct Constant;

impl evident_index::QueryEncoder for Constant {
    fn encode(&self, _: &str) -> Option<Vec<f32>> {
        Some(vec![1.0, 0.0, 0.0, 0.0])
    }
}

/// Adds `docs` through `lib` with one vector per passage, and commits.
fn add_with_vectors(lib: &Library, docs: &[Document]) {
    let mut w = lib.writer(30_000_000).unwrap();
    for d in docs {
        let ps = passages(d);
        w.add(d, &ps).unwrap();
        let vectors = ps
            .iter()
            .map(|p| (p.id.clone(), p.ordinal as u64, vec![1.0, 0.1, 0.0, 0.0]))
            .collect();
        w.add_vectors(vectors).unwrap();
    }
    w.commit().unwrap();
}

/// Every vector of the commit `lib` searches names a passage of that same commit, and every
/// passage has its vector: the index and its vectors are never from two different commits.
fn assert_not_torn(lib: &Library) {
    let vectors = lib.vectors();
    let (_, passages) = lib.counts().unwrap();
    assert_eq!(
        vectors.len(),
        passages,
        "vectors and passages of one commit"
    );
    for i in 0..vectors.len() {
        let id = vectors.id(i);
        let source = id.rsplit_once('#').unwrap().0;
        assert!(
            lib.passages_of(source).unwrap().iter().any(|p| p.id == id),
            "vector {id} has no passage in the searched commit"
        );
    }
}

/// Issue 13 (fleet): a running server's library picks up `library add` / `remove` committed by
/// another process — here another `Library` on the same folder — with the vectors of that same
/// commit, without reopening; and a writer opened later starts from the latest commit.
#[test]
fn a_library_picks_up_commits_made_by_another_writer_with_their_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Library::open(dir.path()).unwrap();
    server.set_encoder(std::sync::Arc::new(Constant));
    let cli = Library::open(dir.path()).unwrap();
    add_with_vectors(&cli, &[nam()]);

    assert_eq!(server.counts().unwrap(), (0, 0), "nothing before a refresh");
    assert!(server.refresh().unwrap(), "a newer commit was read");
    assert!(!server.refresh().unwrap(), "and then nothing is newer");
    assert_eq!(server.counts().unwrap(), (1, 2));
    assert_eq!(server.vectors().len(), 2);
    assert_not_torn(&server);
    let dense = SearchOptions {
        mode: evident_index::SearchMode::Dense,
        ..SearchOptions::default()
    };
    let hits = server.search("myopathy", &dense).unwrap();
    assert_eq!(
        hits.len(),
        2,
        "dense hits resolve to passages of the same commit"
    );
    let lexical = server
        .search("glucocorticoids methotrexate", &SearchOptions::default())
        .unwrap();
    assert_eq!(lexical[0].passage.source_id, "t:nam");

    // The server's writer (the starter library, say) starts from the CLI's commit: its
    // sources and vectors are kept, not overwritten by a stale view.
    let other = doc(
        "t:gout",
        "Gout",
        SourceKind::Guideline,
        &[("Treatment", "Colchicine or an NSAID treats a gout flare.")],
    );
    add_with_vectors(&server, std::slice::from_ref(&other));
    assert_eq!(server.counts().unwrap(), (2, 3));
    assert_eq!(server.vectors().len(), 3);
    assert!(cli.refresh().unwrap());
    assert_eq!(cli.vectors().len(), 3);

    let mut w = cli.writer(30_000_000).unwrap();
    w.remove("t:nam").unwrap();
    w.commit().unwrap();
    assert!(server.refresh().unwrap());
    assert!(server.source("t:nam").unwrap().is_none());
    assert_eq!(server.counts().unwrap(), (1, 1));
    assert_eq!(server.vectors().len(), 1);
    assert_not_torn(&server);
    let hits = server.search("myopathy", &dense).unwrap();
    assert!(
        hits.iter().all(|h| h.passage.source_id == "t:gout"),
        "{hits:?}"
    );
    let gone = server
        .search("glucocorticoids methotrexate", &SearchOptions::default())
        .unwrap();
    assert!(gone.iter().all(|h| h.passage.source_id != "t:nam"));
}

/// Issue 13 (fleet): while another writer commits as fast as it can, every refresh lands on
/// one whole commit — its passages with its own vectors — never a torn pair.
#[test]
fn refreshing_during_commits_never_pairs_an_index_with_another_commits_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Library::open(dir.path()).unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let cli = Library::open(dir.path()).unwrap();
            let mut commits = 0;
            for round in 0..40usize {
                // Each commit has a different number of passages, replacing the last.
                let sections: Vec<(String, String)> = (0..1 + round % 5)
                    .map(|i| (format!("Part {i}"), format!("Round {round} text {i}.")))
                    .collect();
                let sections: Vec<(&str, &str)> = sections
                    .iter()
                    .map(|(h, p)| (h.as_str(), p.as_str()))
                    .collect();
                let d = doc("t:moving", "Moving", SourceKind::Guideline, &sections);
                add_with_vectors(&cli, &[d]);
                commits += 1;
            }
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            commits
        });
        let mut seen = 0;
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            if server.refresh().unwrap() {
                seen += 1;
            }
            assert_not_torn(&server);
        }
        assert_eq!(writer.join().unwrap(), 40);
        server.refresh().unwrap();
        assert_not_torn(&server);
        assert_eq!(
            server.counts().unwrap(),
            (1, 5),
            "the last commit: 1 + 39 % 5 parts"
        );
        assert!(seen > 0, "the server saw the commits as they came");
    });
}

/// Issue 13 (fleet): what `/metrics` reports is the commit served, so two processes serving
/// one commit report one number — unlike the searcher generation, counted per process.
#[test]
fn two_libraries_on_one_folder_report_the_same_commit() {
    let dir = tempfile::tempdir().unwrap();
    let server = Library::open(dir.path()).unwrap();
    let cli = Library::open(dir.path()).unwrap();
    assert_eq!(server.commit_opstamp(), cli.commit_opstamp());
    let before = server.commit_opstamp();
    add(&cli, &[nam()]);
    assert!(cli.commit_opstamp() > before, "a commit moves it on");
    assert_eq!(
        server.commit_opstamp(),
        before,
        "not served before a refresh"
    );
    assert!(server.refresh().unwrap());
    assert_eq!(server.commit_opstamp(), cli.commit_opstamp());

    let gout = doc(
        "t:gout",
        "Gout",
        SourceKind::Guideline,
        &[("Treatment", "Colchicine or an NSAID treats a gout flare.")],
    );
    add(&server, &[gout]);
    assert!(cli.refresh().unwrap());
    assert_eq!(server.commit_opstamp(), cli.commit_opstamp());
    let late = Library::open(dir.path()).unwrap();
    assert_eq!(
        late.commit_opstamp(),
        server.commit_opstamp(),
        "and a third, opened later"
    );
}
