//! An article through every transition; every illegal or unauthorised action refused with a
//! clear error and nothing changed.

use evident_core::{Audience, ReviewState, TransitionError};
use evident_store::{ArticleQuery, Change, Error, Mark, NewComment, Revision, Seen, Store, User};

use crate::common::{
    answer, claim_and_approve, new_article, seen, snapshot, statement, Cast, TestDb, PASSWORD,
};

both_backends!(
    walks_every_transition,
    refusals_change_nothing,
    published_version_stays_until_the_new_one_is_approved,
    marks_comments_and_diffs,
    lists_children_and_audit_access,
    audit_log_is_append_only,
    migrations_apply_once,
    concurrent_opens_migrate_once,
    invisible_characters_are_removed_from_what_people_type,
);

/// Two servers starting together on a new database: both open it, the schema is made once.
fn concurrent_opens_migrate_once(db: &TestDb) {
    let fresh = match &db.kind {
        crate::common::Backend::Sqlite(path) => {
            path.with_file_name("fresh.db").display().to_string()
        }
        crate::common::Backend::Postgres(_) => crate::common::unique_schema(),
    };
    let postgres = db.is_postgres();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(3));
    let openers: Vec<_> = (0..3)
        .map(|_| {
            let (fresh, barrier) = (fresh.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                if postgres {
                    Store::open_postgres(&crate::common::pg_url(), Some(&fresh))
                } else {
                    Store::open(&fresh)
                }
            })
        })
        .collect();
    let stores: Vec<Store> = openers
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();
    for store in &stores {
        assert_eq!(store.migrate().unwrap(), 0);
    }
    let user = stores[0]
        .create_user(None, "una", "", PASSWORD, evident_core::Role::Reader)
        .unwrap();
    assert_eq!(stores[2].user_by_name("una").unwrap(), Some(user));
    drop(stores);
    if postgres {
        let mut client =
            ::postgres::Client::connect(&crate::common::pg_url(), ::postgres::NoTls).unwrap();
        client
            .batch_execute(&format!("DROP SCHEMA \"{fresh}\" CASCADE"))
            .unwrap();
    }
}

fn migrations_apply_once(db: &TestDb) {
    assert_eq!(
        db.store.migrate().unwrap(),
        0,
        "opening applied every migration"
    );
    let again = db.reopen();
    assert_eq!(again.migrate().unwrap(), 0);
    assert_eq!(
        db.raw_execute("UPDATE schema_migrations SET name = name WHERE version = 1")
            .unwrap(),
        1,
        "migration 1 is recorded"
    );
    again.check_integrity().unwrap();
}

fn revision(question: &str, extra: &str) -> Revision {
    Revision {
        answers: vec![answer(question, Audience::Clinician, Some(extra))],
        note: Some(format!("added: {extra}")),
    }
}

fn walks_every_transition(db: &TestDb) {
    let store = &db.store;
    let cast = Cast::new(store);
    let q = "What is the treatment for condition Y?";
    let a = store.create_article(None, new_article(q)).unwrap();
    assert_eq!(a.state, ReviewState::Submitted);
    assert_eq!(a.slug, "what-is-the-treatment-for-condition-y");
    assert_eq!((a.current_version, a.published_version), (1, None));
    assert_eq!(store.version(a.id, 1).unwrap().answers.len(), 2);

    let a = store
        .claim(Some(&cast.reviewer), a.id, seen(store, a.id))
        .unwrap();
    assert_eq!(a.state, ReviewState::UnderReview);
    assert_eq!(a.claimed_by.as_deref(), Some("rosa"));

    let a = store
        .request_changes(
            Some(&cast.reviewer),
            a.id,
            seen(store, a.id),
            vec![
                NewComment {
                    target: Some("s0.0".into()),
                    body: "Give the dose range.".into(),
                },
                NewComment {
                    target: None,
                    body: "Add monitoring.".into(),
                },
            ],
        )
        .unwrap();
    assert_eq!(a.state, ReviewState::ChangesRequested);
    let comments = store.comments(a.id).unwrap();
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0].target.as_deref(), Some("s0.0"));
    assert_eq!(comments[0].by, "rosa");

    let a = store
        .revise(
            Some(&cast.editor),
            a.id,
            seen(store, a.id),
            revision(q, "Review after four weeks."),
        )
        .unwrap();
    assert_eq!(a.state, ReviewState::UnderReview);
    assert_eq!(a.current_version, 2);
    let v2 = store.version(a.id, 2).unwrap();
    assert_eq!(v2.author.as_deref(), Some("eddie"));
    assert_eq!(v2.note.as_deref(), Some("added: Review after four weeks."));

    let a = store
        .approve(Some(&cast.reviewer), a.id, seen(store, a.id))
        .unwrap();
    assert_eq!(a.state, ReviewState::Approved);
    assert_eq!(a.published_version, Some(2));
    assert_eq!(a.approved_by.as_deref(), Some("rosa"));
    assert!(a.approved_at.is_some_and(|t| t >= a.created_at));
    assert_eq!(a.claimed_by, None);
    let approvals = store.approvals(a.id).unwrap();
    assert_eq!(approvals.len(), 1);
    assert_eq!(
        (approvals[0].version, approvals[0].by.as_str()),
        (2, "rosa")
    );

    let a = store
        .withdraw(Some(&cast.editor), a.id, seen(store, a.id))
        .unwrap();
    assert_eq!(a.state, ReviewState::Withdrawn);
    let a = store
        .reopen(Some(&cast.editor), a.id, seen(store, a.id))
        .unwrap();
    assert_eq!(a.state, ReviewState::Submitted);
    // Admins may take every action.
    let a = store
        .claim(Some(&cast.admin), a.id, seen(store, a.id))
        .unwrap();
    assert_eq!(a.state, ReviewState::UnderReview);

    let actions: Vec<String> = store
        .audit_log(Some(&cast.admin), 0)
        .unwrap()
        .into_iter()
        .filter(|e| e.article_id == Some(a.id))
        .rev()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "create",
            "claim",
            "request_changes",
            "revise",
            "approve",
            "withdraw",
            "reopen",
            "claim"
        ]
    );
    let versions = store.versions(a.id).unwrap();
    assert_eq!(
        versions.iter().map(|v| v.number).collect::<Vec<_>>(),
        [1, 2]
    );
    assert!(a.updated_at >= versions[1].created_at);
}

/// Each refusal: the error it must be, and proof that nothing changed.
fn refused(
    store: &Store,
    admin: &User,
    id: i64,
    result: Result<impl std::fmt::Debug, Error>,
    ok: fn(&Error) -> bool,
    before: &crate::common::Snapshot,
) {
    let err = result.expect_err("this action must be refused");
    assert!(ok(&err), "unexpected error: {err:?} ({err})");
    assert!(!err.to_string().is_empty());
    assert_eq!(
        &snapshot(store, admin, id),
        before,
        "a refused action changed something: {err}"
    );
}

fn refusals_change_nothing(db: &TestDb) {
    let store = &db.store;
    let cast = Cast::new(store);
    let q = "How is condition Z treated?";
    let a = store
        .create_article(Some(&cast.clinician), new_article(q))
        .unwrap();
    let id = a.id;
    let admin = &cast.admin;

    // Submitted: approving is illegal, for a reviewer too.
    let before = snapshot(store, admin, id);
    refused(
        store,
        admin,
        id,
        store.approve(Some(&cast.reviewer), id, seen(store, id)),
        |e| matches!(e, Error::Transition(TransitionError::Illegal { .. })),
        &before,
    );
    // Anonymous actions: sign in first.
    refused(
        store,
        admin,
        id,
        store.claim(None, id, seen(store, id)),
        |e| matches!(e, Error::Unauthenticated(_)),
        &before,
    );
    refused(
        store,
        admin,
        id,
        store.revise(
            None,
            id,
            seen(store, id),
            revision(q, "Review after four weeks."),
        ),
        |e| matches!(e, Error::Unauthenticated(_)),
        &before,
    );
    // Wrong roles.
    refused(
        store,
        admin,
        id,
        store.claim(Some(&cast.clinician), id, seen(store, id)),
        |e| matches!(e, Error::Transition(TransitionError::Forbidden { .. })),
        &before,
    );
    refused(
        store,
        admin,
        id,
        store.withdraw(Some(&cast.reviewer), id, seen(store, id)),
        |e| matches!(e, Error::Transition(TransitionError::Forbidden { .. })),
        &before,
    );
    refused(
        store,
        admin,
        id,
        store.merge(Some(&cast.reviewer), id, seen(store, id), id),
        |e| e.code() == "forbidden",
        &before,
    );
    // Stale version numbers.
    refused(
        store,
        admin,
        id,
        store.claim(
            Some(&cast.reviewer),
            id,
            Seen {
                version: 2,
                ..seen(store, id)
            },
        ),
        |e| {
            matches!(
                e,
                Error::Stale {
                    seen: 2,
                    current: 1
                }
            )
        },
        &before,
    );
    // An unverifiable revision.
    let mut bad = revision(q, "Review after four weeks.");
    bad.answers[0].sections[0]
        .statements
        .push(statement("Give drug Q instead.", vec![1]));
    refused(
        store,
        admin,
        id,
        store.revise(Some(&cast.editor), id, seen(store, id), bad),
        |e| matches!(e, Error::Invalid(m) if m.contains("does not verify")),
        &before,
    );
    // Unknown article.
    assert!(matches!(
        store.claim(Some(&cast.reviewer), 999_999, Seen { version: 1, rev: 0 }),
        Err(Error::NotFound(_))
    ));

    store
        .claim(Some(&cast.reviewer), id, seen(store, id))
        .unwrap();
    let before = snapshot(store, admin, id);
    // A clinician approving.
    refused(
        store,
        admin,
        id,
        store.approve(Some(&cast.clinician), id, seen(store, id)),
        |e| {
            matches!(e, Error::Transition(TransitionError::Forbidden { .. }))
                && e.to_string().contains("reviewer or admin")
        },
        &before,
    );
    // An editor approving (editors revise; reviewers approve).
    refused(
        store,
        admin,
        id,
        store.approve(Some(&cast.editor), id, seen(store, id)),
        |e| e.code() == "forbidden",
        &before,
    );
    // Claiming twice.
    refused(
        store,
        admin,
        id,
        store.claim(Some(&cast.reviewer2), id, seen(store, id)),
        |e| e.code() == "illegal_transition",
        &before,
    );
    // Reopening what is not withdrawn.
    refused(
        store,
        admin,
        id,
        store.reopen(Some(&cast.editor), id, seen(store, id)),
        |e| e.code() == "illegal_transition",
        &before,
    );
    // Marks and comments need the right role and a current version.
    refused(
        store,
        admin,
        id,
        store.mark_statement(Some(&cast.clinician), id, 1, "lead.0", Mark::Confirmed),
        |e| e.code() == "forbidden",
        &before,
    );
    refused(
        store,
        admin,
        id,
        store.mark_statement(Some(&cast.reviewer), id, 1, "s9.9", Mark::Confirmed),
        |e| e.code() == "not_found",
        &before,
    );
    refused(
        store,
        admin,
        id,
        store.comment(
            None,
            id,
            1,
            NewComment {
                target: None,
                body: "x".into(),
            },
        ),
        |e| e.code() == "unauthenticated",
        &before,
    );

    // Approve v1 then revise: a reviewer approving with the now-stale version 1.
    store
        .approve(Some(&cast.reviewer), id, seen(store, id))
        .unwrap();
    let a = store
        .revise(
            Some(&cast.editor),
            id,
            seen(store, id),
            revision(q, "Review after four weeks."),
        )
        .unwrap();
    assert_eq!((a.state, a.current_version), (ReviewState::Submitted, 2));
    store
        .claim(Some(&cast.reviewer), id, seen(store, id))
        .unwrap();
    let before = snapshot(store, admin, id);
    refused(
        store,
        admin,
        id,
        store.approve(
            Some(&cast.reviewer),
            id,
            Seen {
                version: 1,
                ..seen(store, id)
            },
        ),
        |e| {
            matches!(
                e,
                Error::Stale {
                    seen: 1,
                    current: 2
                }
            )
        },
        &before,
    );
    refused(
        store,
        admin,
        id,
        store.request_changes(
            Some(&cast.reviewer),
            id,
            seen(store, id),
            vec![NewComment {
                target: None,
                body: "  ".into(),
            }],
        ),
        |e| e.code() == "invalid",
        &before,
    );
    assert_eq!(
        store.article(id).unwrap().unwrap().published_version,
        Some(1)
    );
}

fn published_version_stays_until_the_new_one_is_approved(db: &TestDb) {
    let store = &db.store;
    let cast = Cast::new(store);
    let q = "Treatment of condition W";
    let a = store.create_article(None, new_article(q)).unwrap();
    let a = claim_and_approve(store, &cast.reviewer, a.id);
    assert_eq!(a.shown_version(), 1);
    let a = store
        .revise(
            Some(&cast.editor),
            a.id,
            seen(store, a.id),
            revision(q, "Review after four weeks."),
        )
        .unwrap();
    assert_eq!(a.state, ReviewState::Submitted);
    assert_eq!(
        (a.current_version, a.published_version, a.shown_version()),
        (2, Some(1), 1)
    );
    assert_eq!(
        a.approved_by.as_deref(),
        Some("rosa"),
        "the published version keeps its approval"
    );
    let listed = store
        .list_articles(&ArticleQuery {
            published_only: true,
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(listed.iter().map(|x| x.id).collect::<Vec<_>>(), [a.id]);
    store
        .claim(Some(&cast.reviewer2), a.id, seen(store, a.id))
        .unwrap();
    let a = store
        .approve(Some(&cast.reviewer2), a.id, seen(store, a.id))
        .unwrap();
    assert_eq!(
        (a.published_version, a.approved_by.as_deref()),
        (Some(2), Some("ravi"))
    );
    let approvals = store.approvals(a.id).unwrap();
    assert_eq!(
        approvals
            .iter()
            .map(|x| (x.version, x.by.as_str()))
            .collect::<Vec<_>>(),
        [(1, "rosa"), (2, "ravi")]
    );
}

fn marks_comments_and_diffs(db: &TestDb) {
    let store = &db.store;
    let cast = Cast::new(store);
    let q = "Treatment of condition V";
    let a = store.create_article(None, new_article(q)).unwrap();
    store
        .claim(Some(&cast.reviewer), a.id, seen(store, a.id))
        .unwrap();
    store
        .mark_statement(Some(&cast.reviewer), a.id, 1, "s0.0", Mark::Flagged)
        .unwrap();
    store
        .mark_statement(Some(&cast.reviewer2), a.id, 1, "s0.0", Mark::Confirmed)
        .unwrap();
    store
        .mark_statement(Some(&cast.reviewer), a.id, 1, "lead.0", Mark::Confirmed)
        .unwrap();
    let marks = store.marks(a.id, 1).unwrap();
    assert_eq!(marks.len(), 2);
    let s00 = marks.iter().find(|m| m.statement == "s0.0").unwrap();
    assert_eq!(
        (s00.mark, s00.by.as_str()),
        (Mark::Confirmed, "ravi"),
        "the latest mark wins"
    );
    let c = store
        .comment(
            Some(&cast.editor),
            a.id,
            1,
            NewComment {
                target: Some("s1".into()),
                body: "Cite the label.".into(),
            },
        )
        .unwrap();
    assert_eq!(store.comments(a.id).unwrap(), vec![c]);

    store
        .request_changes(Some(&cast.reviewer), a.id, seen(store, a.id), vec![])
        .unwrap();
    store
        .revise(
            Some(&cast.editor),
            a.id,
            seen(store, a.id),
            revision(q, "Review after four weeks."),
        )
        .unwrap();
    let diff = store.diff(a.id, 1, 2).unwrap();
    let added: Vec<&str> = diff
        .iter()
        .filter(|l| l.change == Change::Added)
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(added, ["Review after four weeks. [1]"]);
    assert!(diff.iter().all(|l| l.change != Change::Removed), "{diff:?}");
    assert!(diff
        .iter()
        .any(|l| l.change == Change::Same && l.text == "## Treatment"));
    assert_eq!(
        store
            .diff(a.id, 2, 1)
            .unwrap()
            .iter()
            .filter(|l| l.change == Change::Removed)
            .count(),
        1
    );
    assert!(matches!(store.diff(a.id, 1, 3), Err(Error::NotFound(_))));
    let audit = store.audit_log(Some(&cast.admin), 0).unwrap();
    assert_eq!(audit.iter().filter(|e| e.action == "mark").count(), 3);
    assert_eq!(audit.iter().filter(|e| e.action == "comment").count(), 1);
}

fn lists_children_and_audit_access(db: &TestDb) {
    let store = &db.store;
    let cast = Cast::new(store);
    let parent = store
        .create_article(None, new_article("Treatment of condition U"))
        .unwrap();
    let mut follow = new_article("And in pregnancy?");
    follow.parent_id = Some(parent.id);
    let child = store.create_article(None, follow).unwrap();
    let mut orphan = new_article("Orphan question");
    orphan.parent_id = Some(424_242);
    assert!(matches!(
        store.create_article(None, orphan),
        Err(Error::NotFound(_))
    ));
    assert_eq!(store.children(parent.id).unwrap(), vec![child.clone()]);
    // Same question again: a different slug.
    let again = store
        .create_article(None, new_article("Treatment of condition U"))
        .unwrap();
    assert_eq!(again.slug, format!("{}-2", parent.slug));
    assert_eq!(
        store.article_by_slug(&again.slug).unwrap().unwrap().id,
        again.id
    );

    store
        .claim(Some(&cast.reviewer), child.id, seen(store, child.id))
        .unwrap();
    let queue = store
        .list_articles(&evident_store::ArticleQuery::queue())
        .unwrap();
    assert_eq!(queue.len(), 3);
    let under = store
        .list_articles(&ArticleQuery {
            states: vec![ReviewState::UnderReview],
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(under.iter().map(|a| a.id).collect::<Vec<_>>(), [child.id]);
    let text = store
        .list_articles(&ArticleQuery {
            text: Some("CONDITION u".into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(text.len(), 2);
    let page = store
        .list_articles(&ArticleQuery {
            limit: 1,
            offset: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.len(), 1);

    assert!(matches!(
        store.audit_log(None, 10),
        Err(Error::Unauthenticated(_))
    ));
    for user in [&cast.reader, &cast.clinician, &cast.reviewer, &cast.editor] {
        assert_eq!(
            store.audit_log(Some(user), 10).unwrap_err().code(),
            "forbidden"
        );
    }
    let log = store.audit_log(Some(&cast.admin), 2).unwrap();
    assert_eq!(log.len(), 2);
    assert!(log[0].id > log[1].id, "newest first");
    assert_eq!(log[0].action, "claim");
    assert_eq!(log[0].actor.as_deref(), Some("rosa"));
}

fn audit_log_is_append_only(db: &TestDb) {
    let store = &db.store;
    store
        .create_article(None, new_article("Treatment of condition T"))
        .unwrap();
    // Straight to the database, as an operator with a SQL shell would.
    let refused = match &db.kind {
        crate::common::Backend::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).unwrap();
            let update = conn.execute("UPDATE audit_log SET actor = 'mallory'", []);
            let delete = conn.execute("DELETE FROM audit_log", []);
            vec![
                update.map_err(|e| e.to_string()),
                delete.map_err(|e| e.to_string()),
            ]
        }
        crate::common::Backend::Postgres(schema) => {
            let mut client =
                ::postgres::Client::connect(&crate::common::pg_url(), ::postgres::NoTls).unwrap();
            client
                .batch_execute(&format!("SET search_path TO \"{schema}\""))
                .unwrap();
            let mut out = Vec::new();
            for sql in [
                "UPDATE audit_log SET actor = 'mallory'",
                "DELETE FROM audit_log",
                "TRUNCATE audit_log",
            ] {
                out.push(client.execute(sql, &[]).map(|n| n as usize).map_err(|e| {
                    e.as_db_error()
                        .map(|d| d.message().to_string())
                        .unwrap_or(e.to_string())
                }));
            }
            out
        }
    };
    for r in refused {
        let err = r.expect_err("the audit log must refuse changes");
        assert!(err.contains("append-only"), "{err}");
    }
    let admin = store
        .create_user(None, "root", "Root", PASSWORD, evident_core::Role::Admin)
        .unwrap();
    assert_eq!(store.audit_log(Some(&admin), 0).unwrap().len(), 2);
}

/// Questions, comments and revisions arrive through the server and the API, not through ingest:
/// the store removes bidirectional overrides and zero-width characters from them (finding 11).
fn invisible_characters_are_removed_from_what_people_type(db: &TestDb) {
    let store = &db.store;
    let cast = Cast::new(store);
    let a = store
        .create_article(None, new_article("Treatment of \u{202E}condition W"))
        .unwrap();
    assert_eq!(a.question, "Treatment of condition W");
    let c = store
        .comment(
            Some(&cast.editor),
            a.id,
            1,
            NewComment {
                target: None,
                body: "Cite\u{200B} the \u{2066}label\u{2069}.".into(),
            },
        )
        .unwrap();
    assert_eq!(c.body, "Cite the label.");
    store
        .claim(Some(&cast.reviewer), a.id, seen(store, a.id))
        .unwrap();
    store
        .request_changes(
            Some(&cast.reviewer),
            a.id,
            seen(store, a.id),
            vec![NewComment {
                target: None,
                body: "Say\u{200D} when.".into(),
            }],
        )
        .unwrap();
    assert!(store
        .comments(a.id)
        .unwrap()
        .iter()
        .all(|c| !c.body.chars().any(evident_core::text::is_invisible)));
    // An editor's wording with a zero-width space (the fixture verifies its own answers, so the
    // character goes in afterwards).
    let mut typed = revision("Treatment of condition W", "Review after four weeks.");
    for section in typed.answers[0].sections.iter_mut() {
        for st in section.statements.iter_mut() {
            st.text = st.text.replace("after four", "after\u{200B} four");
        }
    }
    let revised = store
        .revise(Some(&cast.editor), a.id, seen(store, a.id), typed)
        .unwrap();
    let version = store.version(a.id, revised.current_version).unwrap();
    let text: Vec<String> = version.answers[0]
        .sections
        .iter()
        .flat_map(|s| s.statements.iter().map(|st| st.text.clone()))
        .collect();
    assert!(
        text.iter().any(|t| t == "Review after four weeks."),
        "{text:?}"
    );
}
