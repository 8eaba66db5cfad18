//! Acknowledged writes survive SIGKILL: a child process (this test binary, re-run) writes in a
//! loop and prints "ack" after each commit; the parent kills it mid-stream and checks every
//! acknowledged write is there and the database is sound.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use evident_core::{ReviewState, Role};
use evident_store::Store;

use crate::common::{new_article, pg_url, Backend, TestDb, PASSWORD};

both_backends!(acknowledged_writes_survive_sigkill);

const DB_ENV: &str = "EVIDENT_CRASH_SQLITE";
const SCHEMA_ENV: &str = "EVIDENT_CRASH_PG_SCHEMA";

/// The writer run by the parent test; ignored in a normal run.
#[test]
#[ignore = "run by acknowledged_writes_survive_sigkill as a child process"]
fn child_writer() {
    let store = if let Ok(path) = std::env::var(DB_ENV) {
        Store::open_sqlite(std::path::Path::new(&path)).unwrap()
    } else if let Ok(schema) = std::env::var(SCHEMA_ENV) {
        Store::open_postgres(&pg_url(), Some(&schema)).unwrap()
    } else {
        return;
    };
    let reviewer = store
        .user_by_name("rex")
        .unwrap()
        .expect("the parent made rex");
    let mut out = std::io::stdout().lock();
    for i in 0.. {
        let a = store
            .create_article(None, new_article(&format!("Crash question {i}")))
            .unwrap();
        writeln!(out, "ack create {}", a.id).unwrap();
        out.flush().unwrap();
        store.claim(Some(&reviewer), a.id, a.seen()).unwrap();
        writeln!(out, "ack claim {}", a.id).unwrap();
        out.flush().unwrap();
    }
}

fn acknowledged_writes_survive_sigkill(db: &TestDb) {
    db.store
        .create_user(None, "rex", "Rex", PASSWORD, Role::Reviewer)
        .unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args([
            "--exact",
            "crash::child_writer",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    match &db.kind {
        Backend::Sqlite(path) => child.env(DB_ENV, path).env_remove(SCHEMA_ENV),
        Backend::Postgres(schema) => child.env(SCHEMA_ENV, schema).env_remove(DB_ENV),
    };
    let mut child = child.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut created = Vec::new();
    let mut claimed = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let mut words = line.split_whitespace();
        match (
            words.next(),
            words.next(),
            words.next().and_then(|n| n.parse::<i64>().ok()),
        ) {
            (Some("ack"), Some("create"), Some(id)) => created.push(id),
            (Some("ack"), Some("claim"), Some(id)) => claimed.push(id),
            _ => continue,
        }
        if created.len() + claimed.len() >= 41 {
            break;
        }
    }
    // SIGKILL: no destructors, no flushes, no chance to finish the transaction in flight.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(
        created.len() >= 20,
        "the child acknowledged only {created:?}"
    );

    let store = db.reopen();
    store.check_integrity().unwrap();
    for id in &created {
        let a = store
            .article(*id)
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged article {id} lost"));
        assert_eq!(store.versions(*id).unwrap().len(), 1);
        if claimed.contains(id) {
            assert_eq!(
                a.state,
                ReviewState::UnderReview,
                "acknowledged claim of {id} lost"
            );
        }
    }
    // The store still works after the crash.
    let reviewer = store.user_by_name("rex").unwrap().unwrap();
    let a = store
        .create_article(None, new_article("After the crash"))
        .unwrap();
    store.claim(Some(&reviewer), a.id, a.seen()).unwrap();
}
