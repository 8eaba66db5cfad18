use std::fs;

use crate::{evident, listed_ids, ok, one_topic_library, stderr, stdout, topic};

#[test]
fn add_list_search_remove_and_replace() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let docs = tmp.path().join("docs");
    fs::create_dir(&docs).unwrap();
    fs::write(
        docs.join("gout.md"),
        topic(
            "t-gout",
            "Gout",
            "Allopurinol is started at 100 mg daily or less.",
        ),
    )
    .unwrap();
    fs::write(
        docs.join("htn.md"),
        topic(
            "t-htn",
            "Hypertension",
            "Thiazide diuretics are a first-line option.",
        ),
    )
    .unwrap();
    // Bad items next to the good ones.
    fs::write(
        docs.join("broken.pdf"),
        b"%PDF-1.7\n garbage without objects",
    )
    .unwrap();
    fs::write(
        docs.join("cut.xml"),
        "<Document id=\"1\"><Focus>X</Focus><QAPairs><QAPair",
    )
    .unwrap();
    fs::write(
        docs.join("blob.bin"),
        [0u8, 159, 146, 150, 0, 1, 2, 3, 0, 0],
    )
    .unwrap();
    // 50 MB, over the 32 MB default limit per item; sparse, so the test stays cheap.
    fs::File::create(docs.join("huge.txt"))
        .unwrap()
        .set_len(50 * 1024 * 1024)
        .unwrap();

    let out = ok(
        &data,
        &["library", "add", docs.to_str().unwrap(), "--quiet"],
    );
    assert!(out.contains("2 sources (2 new"), "{out}");
    assert!(out.contains("Skipped 4 items"), "{out}");
    for bad in ["broken.pdf", "cut.xml", "blob.bin", "huge.txt"] {
        assert!(out.contains(bad), "{bad} not named in:\n{out}");
    }
    assert!(out.contains("binary content"), "{out}");
    assert!(out.contains("over the 32 MB limit"), "{out}");

    let ids = listed_ids(&data);
    assert_eq!(ids, ["t-gout", "t-htn"]);

    // "HTN" is expanded by the lexicon; the JSON carries source, trail, score and snippet.
    let json = ok(&data, &["search", "HTN water pill", "--json", "--k", "1"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let hit = &v["hits"][0];
    assert_eq!(hit["source"]["id"], "t-htn");
    assert_eq!(hit["passage"]["trail"][1], "Treatment");
    assert!(hit["score"].as_f64().unwrap() > 0.0);
    assert!(hit["snippet"].as_str().unwrap().contains("Thiazide"));

    // Re-adding an edited file replaces it: no duplicates, new text found, old text gone.
    fs::write(
        docs.join("gout.md"),
        topic(
            "t-gout",
            "Gout",
            "Febuxostat is an alternative urate-lowering drug.",
        ),
    )
    .unwrap();
    let out = ok(
        &data,
        &[
            "library",
            "add",
            docs.join("gout.md").to_str().unwrap(),
            "--quiet",
        ],
    );
    assert!(out.contains("1 replaced"), "{out}");
    assert!(out.contains("2 sources and"), "{out}");
    let text = ok(&data, &["search", "allopurinol"]);
    assert!(!text.contains("t-gout"), "{text}");
    let text = ok(&data, &["search", "febuxostat"]);
    assert!(text.contains("t-gout#0"), "{text}");

    ok(&data, &["library", "remove", "t-gout"]);
    let list = ok(&data, &["library", "list"]);
    assert!(!list.contains("t-gout") && list.contains("t-htn"), "{list}");
}

#[test]
fn user_mistakes_get_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    let o = evident(data, &["library", "remove", "no-such-id"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no source with id \"no-such-id\""),
        "{}",
        stderr(&o)
    );

    let o = evident(data, &["library", "add", "/no/such/path"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("/no/such/path"), "{}", stderr(&o));

    let o = evident(data, &["search", "the and of"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no searchable words"), "{}", stderr(&o));

    let empty = ok(data, &["library", "list"]);
    assert!(empty.contains("is empty"), "{empty}");
}

#[test]
fn demo_indexes_the_starter_library_and_finds_the_example_topic() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ok(tmp.path(), &["demo"]);
    let line = out
        .lines()
        .find(|l| l.starts_with("Read "))
        .unwrap_or_default();
    let sources: usize = line
        .split(": ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        sources >= 25,
        "starter library has only {sources} topics:\n{out}"
    );
    assert!(
        !out.contains("Skipped"),
        "a starter topic failed to read:\n{out}"
    );
    let answer = out
        .split("=== Answer: What is the treatment for necrotizing autoimmune myopathy?")
        .nth(1)
        .unwrap_or_default();
    assert!(answer.contains("First-line therapy"), "{out}");
    assert!(answer.contains("References"), "{out}");
    assert!(answer.contains("Necrotizing autoimmune myopathy"), "{out}");
    assert!(out.contains("=== Search: "), "{out}");
    // Running it again changes nothing.
    let again = ok(tmp.path(), &["demo", "gout flare"]);
    assert!(again.contains("unchanged)"), "{again}");
    assert!(stdout(&evident(tmp.path(), &["library", "list"])).contains("evident-gout"));
}

#[test]
fn every_starter_topic_is_marked_not_reviewed_and_has_references() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../library");
    let mut n = 0;
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        n += 1;
        let text = fs::read_to_string(&path).unwrap();
        let front = text.split("---").nth(1).unwrap_or_default();
        assert!(
            front.contains("review_status: not reviewed"),
            "{}",
            path.display()
        );
        assert!(
            front.contains("references:") && front.contains("url:"),
            "{}",
            path.display()
        );
    }
    assert!(n >= 25, "only {n} topics");
}

#[test]
fn ask_answers_with_citations_in_every_format_and_follows_up() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    // An empty library is a clear error, not an empty answer.
    let o = evident(data, &["ask", "What is gout?"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("library"), "{}", stderr(&o));

    ok(data, &["demo", "gout"]);
    let q = "What is the treatment for necrotizing autoimmune myopathy?";
    let json = ok(data, &["ask", q, "--format", "json"]);
    let a: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(a["schema_version"], evident_core::ANSWER_SCHEMA_VERSION);
    assert_eq!(a["abstained"], false);
    assert_eq!(a["analysis"]["kind"], "treatment");
    assert!(a["sections"].as_array().unwrap().len() >= 3);
    assert_eq!(
        a["citations"][0]["source_id"],
        "evident-necrotizing-autoimmune-myopathy"
    );
    let id = a["id"].as_str().unwrap().to_string();

    let md = ok(data, &["ask", q, "--format", "md", "--audience", "patient"]);
    assert!(md.starts_with("# "), "{md}");
    assert!(md.contains("## References"), "{md}");
    assert!(
        md.contains("_("),
        "patient answer has no plain-language gloss:\n{md}"
    );

    let html = ok(data, &["ask", q, "--format", "html"]);
    assert!(
        html.contains("<article") && html.contains("href=\"#ref-1\""),
        "{html}"
    );
    let text = ok(data, &["ask", q]);
    assert!(text.contains("References"), "{text}");

    // A follow-up by id inherits the topic.
    let follow = ok(
        data,
        &[
            "ask",
            "and in anti-SRP positive patients?",
            "--follow-up-of",
            &id,
            "--format",
            "json",
        ],
    );
    let f: serde_json::Value = serde_json::from_str(&follow).unwrap();
    assert_eq!(f["analysis"]["follows"], q);
    assert_eq!(f["abstained"], false);

    let o = evident(data, &["ask", "x", "--follow-up-of", "ans-nope"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no answer \"ans-nope\""),
        "{}",
        stderr(&o)
    );
    let o = evident(data, &["ask", "   "]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("empty"), "{}", stderr(&o));

    // Out of the library: an explicit abstention.
    let out = ok(
        data,
        &[
            "ask",
            "What dose of teplizumab delays type 1 diabetes?",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["abstained"], true);
    assert!(v["citations"].as_array().is_none_or(|c| c.is_empty()));
}

/// Finding 11 of issue 13: a right-to-left override or a zero-width space, in a question or in
/// source text, reached the answer's question, titles and statements unchanged.
#[test]
fn invisible_unicode_reaches_neither_answers_nor_search() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    one_topic_library(
        tmp.path(),
        &data,
        "t-gout",
        "Gout \u{202E}fdp.exe\u{202C}",
        "Allo\u{200B}purinol is first line for gout.\u{200F} Start at 100 mg daily.",
    );
    let invisible = |s: &str| s.chars().any(evident_core::text::is_invisible);

    let json = ok(
        &data,
        &[
            "ask",
            "\u{2066}What is the treatment for go\u{200B}ut?\u{202E}\u{FEFF}",
            "--format",
            "json",
        ],
    );
    let a: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(a["question"], "What is the treatment for gout?", "{json}");
    assert!(!invisible(&json), "{json}");
    assert!(json.contains("Allopurinol"), "{json}");
    assert!(json.contains("Gout fdp.exe"), "{json}");

    let text = ok(&data, &["search", "allopurinol"]);
    assert!(text.contains("Gout fdp.exe"), "{text}");
    assert!(!invisible(&text), "{text}");
}

/// Finding 12 of issue 13: escape sequences in source text reached the operator's terminal
/// through `evident search` and `evident ask`.
#[test]
fn escape_codes_in_sources_do_not_reach_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    one_topic_library(
        tmp.path(),
        &data,
        "t-gout",
        "Gout",
        "Allopurinol is first line for gout.\u{1b}[2J\u{1b}]0;pwned\u{7} Start at 100 mg \
         daily.\u{9b}31m Febuxostat\r is an alternative.",
    );
    // The source keeps its text: the JSON output escapes what a terminal would obey.
    let json = ok(&data, &["search", "allopurinol", "--json"]);
    assert!(json.contains("\\u001b[2J"), "{json}");

    let controls = |s: &str| {
        s.chars()
            .filter(|&c| c.is_control() && c != '\n' && c != '\t')
            .collect::<Vec<_>>()
    };
    let text = ok(&data, &["search", "allopurinol"]);
    assert!(text.contains("Allopurinol is first line"), "{text}");
    assert_eq!(controls(&text), [], "{text:?}");
    assert!(!text.contains("pwned"), "{text:?}");

    for format in ["text", "md"] {
        let answer = ok(
            &data,
            &["ask", "What is the treatment for gout?", "--format", format],
        );
        assert!(answer.contains("Allopurinol"), "{answer}");
        assert_eq!(controls(&answer), [], "{format}: {answer:?}");
    }
}

/// Finding 13 of issue 13: the data folder and `evident.db` (password hashes, audit log) were
/// created readable by every user of the machine.
#[cfg(unix)]
#[test]
fn data_folder_and_database_are_private() {
    use std::os::unix::fs::PermissionsExt;
    use std::process::Stdio;

    let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("fresh/data");
    one_topic_library(tmp.path(), &data, "t-gout", "Gout", "Rest helps.");
    assert_eq!(mode(&data), 0o700, "{}", data.display());
    assert_eq!(mode(&data.join("index")), 0o700);
    ok(&data, &["ask", "What is the treatment for gout?"]);
    assert_eq!(mode(&data.join("answers")), 0o700);

    let own = tmp.path().join("store");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_evident"))
        .arg("--data")
        .arg(&own)
        .args(["user", "add", "ada", "--role", "admin"])
        .env_remove("EVIDENT_DATA")
        .env_remove("EVIDENT_DATABASE_URL")
        .env("EVIDENT_PASSWORD", "a long test password")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(child.status.success(), "{}", stderr(&child));
    assert_eq!(mode(&own), 0o700);
    let db = own.join("evident.db");
    assert_eq!(mode(&db), 0o600);
    for side in ["evident.db-wal", "evident.db-shm"] {
        let p = own.join(side);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{side}");
        }
    }
}

/// Progress under a pipe (issue 13): `eval retrieval` printed `\r` fragments glued together
/// ("embedded 512/17908 passagesembedded 1024/17908 …") when standard error was no terminal.
/// Needs the embedding model at `$EVIDENT_MODEL_DIR`, else `<workspace>/target/models`.
#[test]
fn progress_under_a_pipe_is_one_line_per_step() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    fs::create_dir(&docs).unwrap();
    fs::write(docs.join("gout.md"), topic("t-gout", "Gout", "Rest helps.")).unwrap();
    // `library add` draws its bar only on a terminal.
    let o = evident(
        &tmp.path().join("lib"),
        &["library", "add", docs.to_str().unwrap()],
    );
    assert!(
        o.status.success() && !stderr(&o).contains('\r'),
        "{:?}",
        stderr(&o)
    );

    let model = std::env::var_os("EVIDENT_MODEL_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/models/all-MiniLM-L6-v2")
        });
    if !model.join("model.safetensors").exists() {
        eprintln!(
            "skipping: model not found at {}; run `evident models fetch`",
            model.display()
        );
        return;
    }
    let corpus = tmp.path().join("corpus.jsonl");
    let queries = tmp.path().join("queries.jsonl");
    let records: String = (0..5)
        .map(|i| {
            format!(
                "{{\"id\":\"d{i}\",\"focus\":\"Topic {i}\",\"text\":\"Topic {i} is treated with drug {i}.\"}}\n"
            )
        })
        .collect();
    fs::write(&corpus, records).unwrap();
    fs::write(
        &queries,
        "{\"qid\":\"q1\",\"question\":\"drug 3\",\"gold\":\"d3\"}\n",
    )
    .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_evident"))
        .arg("--data")
        .arg(tmp.path().join("data"))
        .args(["eval", "retrieval", "--mode", "dense", "--corpus"])
        .arg(&corpus)
        .arg("--queries")
        .arg(&queries)
        .env_remove("EVIDENT_DATA")
        .env("EVIDENT_MODEL_DIR", &model)
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(o.status.success(), "{}\n{err}", stdout(&o));
    assert!(!err.contains('\r'), "{err:?}");
    let steps: Vec<&str> = err.lines().filter(|l| l.contains("embedded")).collect();
    assert_eq!(steps, ["embedded 5/5 passages"], "{err:?}");
}
