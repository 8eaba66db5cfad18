//! Users, passwords, sessions and API tokens.

use evident_core::Role;
use evident_store::{Error, FREE_FAILURES};

use crate::common::{Backend, TestDb, PASSWORD};

both_backends!(
    passwords_are_argon2id_and_logins_do_not_enumerate,
    repeated_failures_are_rate_limited,
    sessions_and_tokens_resolve_and_end,
    only_admins_add_users,
);

fn stored_hash(db: &TestDb, username: &str) -> String {
    match &db.kind {
        Backend::Sqlite(path) => rusqlite::Connection::open(path)
            .unwrap()
            .query_row(
                "SELECT password_hash FROM users WHERE username_key = ?1",
                [username],
                |r| r.get(0),
            )
            .unwrap(),
        Backend::Postgres(schema) => {
            let mut c =
                ::postgres::Client::connect(&crate::common::pg_url(), ::postgres::NoTls).unwrap();
            c.query_one(
                &format!("SELECT password_hash FROM \"{schema}\".users WHERE username_key = $1"),
                &[&username],
            )
            .unwrap()
            .get(0)
        }
    }
}

fn passwords_are_argon2id_and_logins_do_not_enumerate(db: &TestDb) {
    let store = &db.store;
    let ana = store
        .create_user(None, "Ana", "Dr Ana", "s3cret passphrase", Role::Reviewer)
        .unwrap();
    assert_eq!(
        (ana.username.as_str(), ana.display_name.as_str(), ana.role),
        ("Ana", "Dr Ana", Role::Reviewer)
    );
    let hash = stored_hash(db, "ana");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("s3cret"));

    // Case-insensitive usernames, for login and for uniqueness.
    assert_eq!(
        store
            .authenticate("ANA", "s3cret passphrase", "10.0.0.1")
            .unwrap(),
        ana
    );
    assert!(matches!(
        store.create_user(None, "ana", "", PASSWORD, Role::Reader),
        Err(Error::Duplicate(_))
    ));
    assert_eq!(store.user_by_name("aNa").unwrap(), Some(ana.clone()));
    assert!(matches!(
        store.create_user(None, "bad name!", "", PASSWORD, Role::Reader),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        store.create_user(None, "empty", "", "", Role::Reader),
        Err(Error::Invalid(_))
    ));

    let wrong = store
        .authenticate("ana", "s3cret passphrasE", "10.0.0.1")
        .unwrap_err();
    let unknown = store
        .authenticate("nobody", "s3cret passphrase", "10.0.0.1")
        .unwrap_err();
    assert!(matches!(wrong, Error::InvalidCredentials));
    assert!(matches!(unknown, Error::InvalidCredentials));
    assert_eq!(wrong.to_string(), unknown.to_string());
    assert_eq!(wrong.code(), unknown.code());
    assert_eq!(store.list_users().unwrap(), vec![ana]);
}

fn repeated_failures_are_rate_limited(db: &TestDb) {
    let store = &db.store;
    store
        .create_user(None, "bo", "Bo", PASSWORD, Role::Editor)
        .unwrap();
    for _ in 0..FREE_FAILURES {
        assert!(matches!(
            store.authenticate("bo", "wrong", "client-1"),
            Err(Error::InvalidCredentials)
        ));
    }
    // Now even the right password is refused from that client, without being checked.
    assert!(matches!(
        store.authenticate("BO", PASSWORD, "client-1"),
        Err(Error::RateLimited { .. })
    ));
    // Another user is not slowed down by bo's failures.
    store
        .create_user(None, "cy", "Cy", PASSWORD, Role::Reader)
        .unwrap();
    assert!(store.authenticate("cy", PASSWORD, "client-1").is_ok());
    // One client guessing many usernames is limited too.
    let mut limited = false;
    for i in 0..40 {
        match store.authenticate(&format!("guess{i}"), PASSWORD, "client-9") {
            Err(Error::RateLimited { .. }) => {
                limited = true;
                break;
            }
            Err(Error::InvalidCredentials) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(limited, "a client guessing usernames is never limited");
}

fn sessions_and_tokens_resolve_and_end(db: &TestDb) {
    let store = &db.store;
    let dee = store
        .create_user(None, "dee", "Dee", PASSWORD, Role::Clinician)
        .unwrap();
    let token = store.create_session(&dee).unwrap();
    assert_eq!(token.len(), 64);
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(
        token,
        store.create_session(&dee).unwrap(),
        "tokens are random"
    );
    assert_eq!(store.session_user(&token).unwrap(), Some(dee.clone()));
    assert_eq!(store.session_user("f00d").unwrap(), None);
    store.end_session(&token).unwrap();
    assert_eq!(store.session_user(&token).unwrap(), None);

    let api = store.create_api_token(&dee, "ci").unwrap();
    assert_eq!(store.token_user(&api).unwrap(), Some(dee.clone()));
    assert_eq!(
        store.session_user(&api).unwrap(),
        None,
        "an API token is not a session"
    );
    assert!(store.revoke_api_token(&api).unwrap());
    assert_eq!(store.token_user(&api).unwrap(), None);
    assert!(!store.revoke_api_token(&api).unwrap());

    // Sessions end by themselves when they expire.
    let old = store.create_session(&dee).unwrap();
    assert_eq!(
        db.raw_execute("UPDATE sessions SET expires_at = 1")
            .unwrap(),
        2
    );
    assert_eq!(store.session_user(&old).unwrap(), None);

    // Only hashes are stored: the token itself appears nowhere in a backup.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.jsonl");
    let live = store.create_session(&dee).unwrap();
    store.backup(&file).unwrap();
    let dump = std::fs::read_to_string(&file).unwrap();
    assert!(!dump.contains(&live) && !dump.contains(&api));
    // Another connection (another server process) resolves the same session.
    assert_eq!(db.reopen().session_user(&live).unwrap(), Some(dee));
}

fn only_admins_add_users(db: &TestDb) {
    let store = &db.store;
    let admin = store
        .create_user(None, "root", "Root", PASSWORD, Role::Admin)
        .unwrap();
    let editor = store
        .create_user(Some(&admin), "ed", "Ed", PASSWORD, Role::Editor)
        .unwrap();
    assert_eq!(
        store
            .create_user(Some(&editor), "eve", "Eve", PASSWORD, Role::Admin)
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert!(store.user_by_name("eve").unwrap().is_none());
    let log = store.audit_log(Some(&admin), 0).unwrap();
    let adds: Vec<(Option<&str>, &str)> = log
        .iter()
        .filter(|e| e.action == "user_add")
        .map(|e| (e.actor.as_deref(), e.detail.as_str()))
        .collect();
    assert_eq!(adds.len(), 2);
    assert_eq!(adds[0].0, Some("root"));
    assert!(adds[0].1.contains("\"ed\""));
    assert_eq!(adds[1].0, None, "the operator (CLI) has no user");
}
