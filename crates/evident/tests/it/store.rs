//! `evident user …`, `evident db …`, and library changes flagging stored articles.

use std::fs;
use std::io::Write;
use std::process::{Command, Stdio};

use evident_core::{
    Answer, AnswerSection, Audience, Citation, QuestionAnalysis, SourceKind, Statement,
    ANSWER_SCHEMA_VERSION,
};
use evident_store::{NewArticle, Store};

use crate::{evident, listed_ids, ok, stderr, stdout, topic};

/// Runs `evident` with `input` on stdin.
fn with_stdin(data: &std::path::Path, args: &[&str], input: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_evident"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("EVIDENT_DATA")
        .env_remove("EVIDENT_DATABASE_URL")
        .env_remove("EVIDENT_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that has read what it needs (or refused before reading) may exit before the
    // input is written: a broken pipe is its answer, not the test's failure.
    match child.stdin.take().unwrap().write_all(input.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("stdin: {e}"),
        _ => {}
    }
    child.wait_with_output().unwrap()
}

/// Issue 13, finding 10: tokens had to be inserted into SQLite by hand, users could not be
/// disabled nor passwords changed, and a one-character admin password was accepted.
#[test]
fn accounts_and_tokens_are_managed_from_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let add = ["user", "add", "root", "--role", "admin", "--password-stdin"];
    let o = with_stdin(&data, &add, "a\n");
    assert!(!o.status.success());
    assert!(stderr(&o).contains("at least 12"), "{}", stderr(&o));
    let o = with_stdin(&data, &add, "root's long passphrase\n");
    assert!(o.status.success(), "{}", stderr(&o));

    // A token: the secret once on stdout, listed by id (never the secret), revoked by id.
    let o = evident(&data, &["token", "create", "ROOT", "--label", "nightly"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let secret = stdout(&o).trim().to_string();
    assert!(secret.starts_with("evt_"), "{secret}");
    let store = Store::open(&data.join("evident.db").display().to_string()).unwrap();
    assert_eq!(store.token_user(&secret).unwrap().unwrap().username, "root");
    let listed = ok(&data, &["token", "list", "--json"]);
    assert!(!listed.contains(&secret[4..]), "{listed}");
    let tokens: Vec<serde_json::Value> = listed
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(tokens.len(), 1, "{listed}");
    assert_eq!(
        (&tokens[0]["username"], &tokens[0]["label"]),
        (&"root".into(), &"nightly".into())
    );
    let id = tokens[0]["id"].as_str().unwrap();
    assert!(stderr(&o).contains(id), "{}", stderr(&o));
    assert!(ok(&data, &["token", "list"]).contains(id));
    assert!(ok(&data, &["token", "revoke", id]).contains("revoked"));
    assert_eq!(store.token_user(&secret).unwrap(), None);
    assert_eq!(ok(&data, &["token", "list", "--json"]), "");
    let o = evident(&data, &["token", "revoke", id]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not found"), "{}", stderr(&o));

    // Password, role, disable, enable, logout.
    let session = {
        let root = store.user_by_name("root").unwrap().unwrap();
        store.create_session(&root).unwrap()
    };
    let passwd = ["user", "passwd", "root", "--password-stdin"];
    let o = with_stdin(&data, &passwd, "short\n");
    assert!(!o.status.success());
    assert!(stderr(&o).contains("at least 12"), "{}", stderr(&o));
    let o = with_stdin(&data, &passwd, "root's next passphrase\n");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(store.session_user(&session).unwrap(), None);
    assert!(store
        .authenticate("root", "root's next passphrase", "cli-test")
        .is_ok());
    assert!(ok(&data, &["user", "role", "root", "editor"]).contains("root is now editor"));
    ok(&data, &["user", "disable", "root"]);
    assert!(ok(&data, &["user", "list"]).contains("disabled"));
    assert!(store
        .authenticate("root", "root's next passphrase", "cli-test-2")
        .is_err());
    ok(&data, &["user", "enable", "root"]);
    assert!(!ok(&data, &["user", "list"]).contains("disabled"));
    let root = store
        .authenticate("root", "root's next passphrase", "cli-test-3")
        .unwrap();
    store.create_session(&root).unwrap();
    assert!(ok(&data, &["user", "logout", "root"]).contains("ended 1 session of root"));
    let o = evident(&data, &["user", "disable", "nobody"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("nobody"), "{}", stderr(&o));
}

#[test]
fn user_add_list_backup_and_restore() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let args = [
        "user",
        "add",
        "Ana",
        "--role",
        "reviewer",
        "--display-name",
        "Dr Ana",
        "--password-stdin",
    ];
    let o = with_stdin(&data, &args, "hunter2 and more\n");
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("added Ana (reviewer)"),
        "{}",
        stdout(&o)
    );
    assert!(
        data.join("evident.db").exists(),
        "the default store is <data>/evident.db"
    );

    // An empty password, a taken name, a bad role: refused with a reason.
    let o = with_stdin(&data, &["user", "add", "bo", "--password-stdin"], "\n");
    assert!(!o.status.success());
    assert!(stderr(&o).contains("password is empty"), "{}", stderr(&o));
    let o = with_stdin(
        &data,
        &["user", "add", "ana", "--password-stdin"],
        "a long enough password\n",
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    let o = with_stdin(
        &data,
        &["user", "add", "cy", "--role", "boss", "--password-stdin"],
        "x\n",
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("unknown role"), "{}", stderr(&o));
    let o = evident(&data, &["user", "add", "dee"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("EVIDENT_PASSWORD"), "{}", stderr(&o));

    let listed = ok(&data, &["user", "list", "--json"]);
    let users: Vec<serde_json::Value> = listed
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["username"], "Ana");
    assert_eq!(users[0]["role"], "reviewer");
    assert_eq!(users[0]["display_name"], "Dr Ana");

    let backup = tmp.path().join("backup.jsonl");
    let out = ok(&data, &["db", "backup", backup.to_str().unwrap()]);
    assert!(out.contains("backed up"), "{out}");
    // Restore into another data folder, given by --database-url.
    let other = tmp.path().join("other.db");
    let restored = ok(
        &data,
        &[
            "--database-url",
            other.to_str().unwrap(),
            "db",
            "restore",
            backup.to_str().unwrap(),
        ],
    );
    assert!(restored.contains("restored"), "{restored}");
    let store = Store::open(other.to_str().unwrap()).unwrap();
    assert_eq!(
        store
            .authenticate("ana", "hunter2 and more", "test")
            .unwrap()
            .display_name,
        "Dr Ana"
    );
    drop(store);
    // Never over existing data.
    let o = evident(
        &data,
        &[
            "--database-url",
            other.to_str().unwrap(),
            "db",
            "restore",
            backup.to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not empty"), "{}", stderr(&o));
    assert!(ok(&data, &["db", "migrate"]).contains("up to date"));
}

fn answer_citing(source_id: &str, passage: &str, sentence: &str) -> Answer {
    let statement = Statement {
        text: sentence.into(),
        citations: vec![1],
        glosses: vec![],
        editor_written: false,
        model_written: false,
        check: None,
    };
    Answer {
        schema_version: ANSWER_SCHEMA_VERSION,
        id: "test".into(),
        question: "Gout treatment".into(),
        audience: Audience::Clinician,
        analysis: QuestionAnalysis::default(),
        abstained: false,
        abstention_reason: None,
        nearest_topics: vec![],
        urgent_notice: None,
        title: "Gout treatment".into(),
        lead: vec![],
        sections: vec![AnswerSection {
            heading: "Treatment".into(),
            statements: vec![statement],
        }],
        citations: vec![Citation {
            number: 1,
            passage_id: format!("{source_id}#0"),
            source_id: source_id.into(),
            title: "Gout".into(),
            publisher: None,
            year: None,
            kind: SourceKind::Guideline,
            kind_label: "Guideline".into(),
            url: None,
            trail: vec![],
            grade: None,
            passage: passage.into(),
        }],
        questions_to_ask: vec![],
        reading_grade: None,
        disclaimer: String::new(),
        composer: "test".into(),
        generation: None,
        took_ms: 0.0,
    }
}

#[test]
fn changed_and_removed_sources_flag_their_articles() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let docs = tmp.path().join("docs");
    fs::create_dir(&docs).unwrap();
    let body = "Allopurinol is started at 100 mg daily or less.";
    fs::write(docs.join("gout.md"), topic("t-gout", "Gout", body)).unwrap();
    fs::write(
        docs.join("asthma.md"),
        topic("t-asthma", "Asthma", "Inhaled corticosteroids."),
    )
    .unwrap();
    ok(
        &data,
        &["library", "add", docs.to_str().unwrap(), "--quiet"],
    );
    assert!(
        !data.join("evident.db").exists(),
        "library add must not create a store"
    );

    let ids = listed_ids(&data);
    let gout = ids.iter().find(|id| id.contains("gout")).unwrap().clone();
    let asthma = ids.iter().find(|id| id.contains("asthma")).unwrap().clone();
    let store = Store::open_sqlite(&data.join("evident.db")).unwrap();
    let cites = |source: &str, q: &str| NewArticle {
        question: q.into(),
        analysis: QuestionAnalysis::default(),
        answers: vec![answer_citing(source, body, body)],
        parent_id: None,
    };
    let a = store
        .create_article(None, cites(&gout, "Gout treatment"))
        .unwrap();
    let b = store
        .create_article(None, cites(&asthma, "Asthma treatment"))
        .unwrap();
    drop(store);

    // Same content again: nothing flagged. New content: its article is.
    let out = ok(
        &data,
        &["library", "add", docs.to_str().unwrap(), "--quiet"],
    );
    assert!(!out.contains("flagged"), "{out}");
    fs::write(
        docs.join("gout.md"),
        topic("t-gout", "Gout", "Febuxostat is an alternative."),
    )
    .unwrap();
    let out = ok(
        &data,
        &["library", "add", docs.to_str().unwrap(), "--quiet"],
    );
    assert!(
        out.contains("1 article cites changed or removed sources and is flagged"),
        "{out}"
    );
    let store = Store::open_sqlite(&data.join("evident.db")).unwrap();
    assert!(store.article(a.id).unwrap().unwrap().source_changed);
    assert!(!store.article(b.id).unwrap().unwrap().source_changed);

    let out = ok(&data, &["library", "remove", &asthma]);
    assert!(out.contains("1 article cites"), "{out}");
    assert!(store.article(b.id).unwrap().unwrap().source_changed);
}
