//! Account management (issue 13, finding 10): the password policy, password and role changes,
//! disabling users, signing them out, and API tokens issued, listed and revoked by id.

use std::sync::{Arc, Barrier};

use evident_core::Role;
use evident_store::{Error, MIN_PASSWORD_CHARS};

use crate::common::{TestDb, PASSWORD};

both_backends!(
    weak_passwords_are_refused_with_the_rule,
    a_password_change_ends_sessions,
    roles_change_for_live_sessions_and_only_admins_change_them,
    disabled_users_cannot_sign_in_and_their_sessions_and_tokens_stop,
    logout_ends_every_session_of_that_user,
    tokens_are_issued_listed_and_revoked_by_id,
    the_last_enabled_admin_is_neither_demoted_nor_disabled,
    two_admins_demoting_each_other_at_once_leave_one_admin,
);

fn invalid(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::Invalid(why)) => why,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn weak_passwords_are_refused_with_the_rule(db: &TestDb) {
    let store = &db.store;
    let why = invalid(store.create_user(None, "root", "", "a", Role::Admin));
    assert!(
        why.contains(&format!("at least {MIN_PASSWORD_CHARS}")),
        "{why}"
    );
    let why = invalid(store.create_user(
        None,
        "margaret.hamilton",
        "",
        "Margaret.Hamilton",
        Role::Admin,
    ));
    assert!(why.contains("username"), "{why}");
    let why = invalid(store.create_user(None, "root", "", "password1234", Role::Admin));
    assert!(why.contains("common"), "{why}");
    assert!(
        store.list_users().unwrap().is_empty(),
        "a refused user was added"
    );

    store
        .create_user(None, "root", "", PASSWORD, Role::Admin)
        .unwrap();
    let why = invalid(store.set_password(None, "root", "short"));
    assert!(why.contains("too short"), "{why}");
    // The refused change left the old password in place.
    store.authenticate("root", PASSWORD, "c1").unwrap();
}

fn a_password_change_ends_sessions(db: &TestDb) {
    let store = &db.store;
    let ana = store
        .create_user(None, "ana", "Ana", PASSWORD, Role::Reviewer)
        .unwrap();
    let session = store.create_session(&ana).unwrap();
    let token = store.create_api_token(&ana, "ci").unwrap();

    store
        .set_password(None, "ANA", "a brand new passphrase")
        .unwrap();
    assert_eq!(store.session_user(&session).unwrap(), None);
    assert!(matches!(
        store.authenticate("ana", PASSWORD, "c1"),
        Err(Error::InvalidCredentials)
    ));
    assert_eq!(
        store
            .authenticate("ana", "a brand new passphrase", "c2")
            .unwrap(),
        ana
    );
    // API tokens are revoked one by one, not by a password change.
    assert_eq!(store.token_user(&token).unwrap(), Some(ana.clone()));

    // A user may change their own password, not someone else's.
    let bo = store
        .create_user(None, "bo", "Bo", PASSWORD, Role::Editor)
        .unwrap();
    store
        .set_password(Some(&bo), "bo", "bo's own new passphrase")
        .unwrap();
    assert_eq!(
        store
            .set_password(Some(&bo), "ana", "taken over by bo!")
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(
        store
            .set_password(None, "nobody", PASSWORD)
            .unwrap_err()
            .code(),
        "not_found"
    );
}

fn roles_change_for_live_sessions_and_only_admins_change_them(db: &TestDb) {
    let store = &db.store;
    let admin = store
        .create_user(None, "root", "Root", PASSWORD, Role::Admin)
        .unwrap();
    let cy = store
        .create_user(None, "cy", "Cy", PASSWORD, Role::Reader)
        .unwrap();
    let session = store.create_session(&cy).unwrap();

    let changed = store.set_role(Some(&admin), "cy", Role::Reviewer).unwrap();
    assert_eq!(changed.role, Role::Reviewer);
    assert_eq!(
        store.session_user(&session).unwrap().unwrap().role,
        Role::Reviewer
    );
    assert_eq!(
        store.user_by_name("cy").unwrap().unwrap().role,
        Role::Reviewer
    );

    assert_eq!(
        store
            .set_role(Some(&cy), "cy", Role::Admin)
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(
        store.user_by_name("cy").unwrap().unwrap().role,
        Role::Reviewer
    );
    let log = store.audit_log(Some(&admin), 0).unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "user_role" && e.actor.as_deref() == Some("root")),
        "{log:?}"
    );
}

fn disabled_users_cannot_sign_in_and_their_sessions_and_tokens_stop(db: &TestDb) {
    let store = &db.store;
    let admin = store
        .create_user(None, "root", "Root", PASSWORD, Role::Admin)
        .unwrap();
    let dee = store
        .create_user(None, "dee", "Dee", PASSWORD, Role::Clinician)
        .unwrap();
    let session = store.create_session(&dee).unwrap();
    let token = store.create_api_token(&dee, "ci").unwrap();

    store.set_disabled(Some(&admin), "dee", true).unwrap();
    assert!(store.is_disabled("dee").unwrap());
    assert!(matches!(
        store.authenticate("dee", PASSWORD, "c1"),
        Err(Error::InvalidCredentials)
    ));
    assert_eq!(store.session_user(&session).unwrap(), None);
    assert_eq!(store.token_user(&token).unwrap(), None);
    assert!(store.issue_api_token(None, "dee", "more").is_err());
    // A password change does not enable them.
    store
        .set_password(None, "dee", "dee's next passphrase")
        .unwrap();
    assert!(store.is_disabled("dee").unwrap());
    assert!(store
        .authenticate("dee", "dee's next passphrase", "c2")
        .is_err());
    // Nobody disables themselves, and only admins disable anyone.
    assert_eq!(
        store
            .set_disabled(Some(&admin), "root", true)
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(
        store
            .set_disabled(Some(&dee), "root", true)
            .unwrap_err()
            .code(),
        "forbidden"
    );

    store.set_disabled(None, "dee", false).unwrap();
    assert!(!store.is_disabled("dee").unwrap());
    assert_eq!(
        store
            .authenticate("dee", "dee's next passphrase", "c3")
            .unwrap(),
        dee
    );
    assert_eq!(store.token_user(&token).unwrap(), Some(dee.clone()));
    assert_eq!(
        store.session_user(&session).unwrap(),
        None,
        "the sessions ended when disabled stay ended"
    );
    // The state survives a backup and restore (it is kept with the password hash).
    store.set_disabled(None, "dee", true).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.jsonl");
    store.backup(&file).unwrap();
    let target = TestDb::sqlite();
    target.store.restore(&file).unwrap();
    assert!(target.store.is_disabled("dee").unwrap());
    assert!(!target.store.is_disabled("root").unwrap());
}

fn logout_ends_every_session_of_that_user(db: &TestDb) {
    let store = &db.store;
    let eve = store
        .create_user(None, "eve", "Eve", PASSWORD, Role::Editor)
        .unwrap();
    let fay = store
        .create_user(None, "fay", "Fay", PASSWORD, Role::Editor)
        .unwrap();
    let eve_sessions = [
        store.create_session(&eve).unwrap(),
        store.create_session(&eve).unwrap(),
    ];
    let fay_session = store.create_session(&fay).unwrap();

    assert_eq!(store.end_sessions(None, "eve").unwrap(), 2);
    for s in &eve_sessions {
        assert_eq!(store.session_user(s).unwrap(), None);
    }
    assert_eq!(store.session_user(&fay_session).unwrap(), Some(fay.clone()));
    assert_eq!(
        store.end_sessions(Some(&eve), "fay").unwrap_err().code(),
        "forbidden"
    );
    assert_eq!(store.end_sessions(Some(&fay), "fay").unwrap(), 1);
}

fn tokens_are_issued_listed_and_revoked_by_id(db: &TestDb) {
    let store = &db.store;
    let admin = store
        .create_user(None, "root", "Root", PASSWORD, Role::Admin)
        .unwrap();
    let gus = store
        .create_user(None, "gus", "Gus", PASSWORD, Role::Clinician)
        .unwrap();

    let (listed, secret) = store.issue_api_token(None, "GUS", " nightly ").unwrap();
    assert!(secret.starts_with("evt_") && secret.len() == 68, "{secret}");
    assert_eq!(store.token_user(&secret).unwrap(), Some(gus.clone()));
    assert_eq!(
        (listed.username.as_str(), listed.label.as_str()),
        ("gus", "nightly")
    );
    assert_eq!(listed.id.len(), 12);
    assert!(
        !secret.contains(&listed.id),
        "the id gives away part of the secret"
    );
    let (own, own_secret) = store.issue_api_token(Some(&gus), "gus", "laptop").unwrap();
    assert_eq!(
        store
            .issue_api_token(Some(&gus), "root", "mine now")
            .unwrap_err()
            .code(),
        "forbidden"
    );

    let mut tokens = store.list_api_tokens().unwrap();
    tokens.sort_by(|a, b| a.label.cmp(&b.label));
    assert_eq!(tokens, vec![own.clone(), listed.clone()]);
    let json = serde_json::to_string(&tokens).unwrap();
    assert!(
        !json.contains(&secret) && !json.contains(&own_secret),
        "{json}"
    );

    // Only its owner or an admin revokes a token; by the id the list shows.
    let other = store
        .create_user(None, "hal", "Hal", PASSWORD, Role::Editor)
        .unwrap();
    assert_eq!(
        store
            .revoke_api_token_by_id(Some(&other), &listed.id)
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(
        store
            .revoke_api_token_by_id(Some(&admin), &listed.id.to_uppercase())
            .unwrap(),
        listed
    );
    assert_eq!(store.token_user(&secret).unwrap(), None);
    assert_eq!(store.list_api_tokens().unwrap(), vec![own.clone()]);
    assert_eq!(
        store
            .revoke_api_token_by_id(None, &listed.id)
            .unwrap_err()
            .code(),
        "not_found"
    );
    assert!(invalid(store.revoke_api_token_by_id(None, "evt_123")).contains("12 hex digits"));
    store.revoke_api_token_by_id(Some(&gus), &own.id).unwrap();
    assert_eq!(store.token_user(&own_secret).unwrap(), None);
    assert!(store.list_api_tokens().unwrap().is_empty());
    let log = store.audit_log(Some(&admin), 0).unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "api_token_revoke")
            .count(),
        2
    );
}

fn forbidden(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::Forbidden(why)) => why,
        other => panic!("expected Forbidden, got {other:?}"),
    }
}

fn role_of(db: &TestDb, username: &str) -> Role {
    db.store.user_by_name(username).unwrap().unwrap().role
}

fn the_last_enabled_admin_is_neither_demoted_nor_disabled(db: &TestDb) {
    let store = &db.store;
    let root = store
        .create_user(None, "root", "Root", PASSWORD, Role::Admin)
        .unwrap();
    let why = forbidden(store.set_role(Some(&root), "root", Role::Editor));
    assert!(
        why.contains("root is the last enabled admin") && why.contains("another user admin"),
        "{why}"
    );
    assert_eq!(role_of(db, "root"), Role::Admin);
    // Promoting an admin to admin is no demotion.
    store.set_role(Some(&root), "root", Role::Admin).unwrap();

    // With a second admin, one of them may step down.
    let ann = store
        .create_user(None, "ann", "Ann", PASSWORD, Role::Admin)
        .unwrap();
    store.set_role(Some(&root), "root", Role::Editor).unwrap();
    assert_eq!(role_of(db, "root"), Role::Editor);
    // `root` as the page saw them before the demotion (a request already past the role gate):
    // the store still refuses to leave nobody in charge.
    let why = forbidden(store.set_role(Some(&root), "ann", Role::Reader));
    assert!(why.contains("ann is the last enabled admin"), "{why}");
    let why = forbidden(store.set_disabled(Some(&root), "ann", true));
    assert!(why.contains("ann is the last enabled admin"), "{why}");
    assert!(!store.is_disabled("ann").unwrap());
    assert_eq!(role_of(db, "ann"), Role::Admin);

    // A disabled admin is no admin to fall back on; demoting one is allowed.
    store
        .create_user(None, "bea", "Bea", PASSWORD, Role::Admin)
        .unwrap();
    store.set_disabled(Some(&ann), "bea", true).unwrap();
    forbidden(store.set_role(Some(&ann), "ann", Role::Editor));
    store.set_role(Some(&ann), "bea", Role::Reviewer).unwrap();
    store.set_role(Some(&ann), "bea", Role::Admin).unwrap();
    store.set_disabled(Some(&ann), "bea", false).unwrap();
    let bea = store.user_by_name("bea").unwrap().unwrap();
    store.set_role(Some(&bea), "ann", Role::Editor).unwrap();
    assert_eq!(role_of(db, "ann"), Role::Editor);

    // The operator at the command line is not held back: they can always add an admin again.
    store.set_role(None, "bea", Role::Reader).unwrap();
    assert!(store
        .list_users()
        .unwrap()
        .iter()
        .all(|u| u.role != Role::Admin));
    // `bea` as signed in before the change: the log is for admins.
    let log = store.audit_log(Some(&bea), 0).unwrap();
    assert_eq!(
        log.iter().filter(|e| e.action == "user_role").count(),
        6,
        "a refused change was logged: {log:?}"
    );
}

/// Two admins each demoting (or disabling) the other at the same moment, on their own
/// connections: one change passes, the other is refused, and an enabled admin remains.
fn two_admins_demoting_each_other_at_once_leave_one_admin(db: &TestDb) {
    let store = &db.store;
    for round in 0..6 {
        let names = [format!("a{round}"), format!("b{round}")];
        let admins: Vec<_> = names
            .iter()
            .map(|n| {
                store
                    .create_user(None, n, n, PASSWORD, Role::Admin)
                    .unwrap()
            })
            .collect();
        let barrier = Arc::new(Barrier::new(2));
        let disable = round % 2 == 1;
        let handles: Vec<_> = (0..2)
            .map(|i| {
                let store = store.clone();
                let barrier = barrier.clone();
                let actor = admins[i].clone();
                let target = names[1 - i].clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    if disable {
                        store.set_disabled(Some(&actor), &target, true).map(|_| ())
                    } else {
                        store
                            .set_role(Some(&actor), &target, Role::Editor)
                            .map(|_| ())
                    }
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let passed = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(passed, 1, "round {round}: {results:?}");
        assert!(
            results.iter().any(
                |r| matches!(r, Err(Error::Forbidden(why)) if why.contains("last enabled admin"))
            ),
            "round {round}: {results:?}"
        );
        let enabled_admins = names
            .iter()
            .filter(|n| role_of(db, n) == Role::Admin && !store.is_disabled(n).unwrap())
            .count();
        assert_eq!(enabled_admins, 1, "round {round}");
        // Out of the way for the next round.
        for n in &names {
            store.set_role(None, n, Role::Reader).unwrap();
        }
    }
}
