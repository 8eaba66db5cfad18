//! The review guards of issue 13: nobody approves their own text (finding 5), and every review
//! action and merge is checked against the state the actor saw, in the same transaction that
//! writes it (finding 7).

use std::sync::{Arc, Barrier};

use evident_core::{Audience, ReviewState};
use evident_store::{ArticleQuery, Error, Revision, Seen};

use crate::common::{answer, new_article, one_winner, seen, snapshot, Cast, TestDb, PASSWORD};

both_backends!(
    nobody_approves_their_own_version,
    an_action_on_a_state_not_seen_is_refused,
    only_the_claimant_approves,
    merges_check_the_target_and_the_version,
    approve_and_withdraw_on_one_seen_state_one_wins,
    lists_show_withdrawn_articles_to_staff_only,
);

fn revision(question: &str) -> Revision {
    Revision {
        answers: vec![answer(
            question,
            Audience::Clinician,
            Some("Review after four weeks."),
        )],
        note: Some("reworded".into()),
    }
}

/// Finding 5: an admin revised a lead and approved that version. The author of the version
/// being approved is refused (403 `self_approval`), whatever the role, and nothing changes;
/// another reviewer may approve it, and the admin may approve a version someone else wrote.
fn nobody_approves_their_own_version(db: &TestDb) {
    let store = &db.store;
    let cast = Cast::new(store);
    let q = "How is condition S treated?";
    let a = store.create_article(None, new_article(q)).unwrap();
    let a = store
        .revise(Some(&cast.admin), a.id, a.seen(), revision(q))
        .unwrap();
    assert_eq!(a.current_version, 2);
    let a = store.claim(Some(&cast.admin), a.id, a.seen()).unwrap();
    let before = snapshot(store, &cast.admin, a.id);
    let err = store
        .approve(Some(&cast.admin), a.id, a.seen())
        .unwrap_err();
    assert_eq!(err.code(), "self_approval", "{err:?}");
    assert_eq!(
        evident_core::ErrorCode::kind(&err),
        evident_core::ErrorKind::Forbidden
    );
    assert!(err.to_string().contains("version 2"), "{err}");
    assert_eq!(snapshot(store, &cast.admin, a.id), before);

    // A version Evident composed, or another editor wrote, the admin may approve.
    let b = store
        .create_article(None, new_article("How is condition T treated?"))
        .unwrap();
    let b = store.claim(Some(&cast.admin), b.id, b.seen()).unwrap();
    let b = store.approve(Some(&cast.admin), b.id, b.seen()).unwrap();
    assert_eq!(b.state, ReviewState::Approved);
    let b = store
        .revise(
            Some(&cast.editor),
            b.id,
            b.seen(),
            revision("How is condition T treated?"),
        )
        .unwrap();
    let b = store.claim(Some(&cast.admin), b.id, b.seen()).unwrap();
    assert_eq!(
        store
            .approve(Some(&cast.admin), b.id, b.seen())
            .unwrap()
            .state,
        ReviewState::Approved
    );
}

/// Finding 7: an approve and a withdraw on the same version both succeeded. The withdraw was
/// chosen on an article under review; once it is approved, the editor's withdraw is refused
/// (409 `changed`) and the article stays approved.
fn an_action_on_a_state_not_seen_is_refused(db: &TestDb) {
    let store = &db.store;
    let cast = Cast::new(store);
    let a = store
        .create_article(None, new_article("How is condition U treated?"))
        .unwrap();
    let a = store.claim(Some(&cast.reviewer), a.id, a.seen()).unwrap();
    // Both the reviewer and the editor now look at version 1, under review.
    let both_saw = a.seen();
    store.approve(Some(&cast.reviewer), a.id, both_saw).unwrap();
    let before = snapshot(store, &cast.admin, a.id);
    let err = store
        .withdraw(Some(&cast.editor), a.id, both_saw)
        .unwrap_err();
    assert_eq!(err.code(), "changed", "{err:?}");
    assert!(err.to_string().contains("approved"), "{err}");
    assert_eq!(snapshot(store, &cast.admin, a.id), before);
    assert_eq!(
        store.article(a.id).unwrap().unwrap().state,
        ReviewState::Approved
    );
}

/// Finding 7: a reviewer could approve an article another reviewer had claimed.
fn only_the_claimant_approves(db: &TestDb) {
    let store = &db.store;
    let cast = Cast::new(store);
    let a = store
        .create_article(None, new_article("How is condition V treated?"))
        .unwrap();
    let a = store.claim(Some(&cast.reviewer), a.id, a.seen()).unwrap();
    let before = snapshot(store, &cast.admin, a.id);
    for other in [&cast.reviewer2, &cast.admin] {
        let err = store.approve(Some(other), a.id, a.seen()).unwrap_err();
        assert_eq!(err.code(), "claimed_by_other", "{err:?}");
        assert!(err.to_string().contains("rosa"), "{err}");
        assert_eq!(snapshot(store, &cast.admin, a.id), before);
    }
    let a = store.approve(Some(&cast.reviewer), a.id, a.seen()).unwrap();
    assert_eq!(a.state, ReviewState::Approved);
}

/// Finding 7: merge checked neither version nor state, so an approved article was merged into
/// a withdrawn one and its URL redirected to a 404.
fn merges_check_the_target_and_the_version(db: &TestDb) {
    let store = &db.store;
    let cast = Cast::new(store);
    let keep = store
        .create_article(None, new_article("How is condition M treated?"))
        .unwrap();
    let dup = store
        .create_article(None, new_article("Treatment of condition M"))
        .unwrap();
    let dup = store
        .claim(Some(&cast.reviewer), dup.id, dup.seen())
        .unwrap();
    let dup = store
        .approve(Some(&cast.reviewer), dup.id, dup.seen())
        .unwrap();
    let withdrawn = store
        .withdraw(Some(&cast.editor), keep.id, keep.seen())
        .unwrap();

    // Into a withdrawn article: refused, nothing changed.
    let before = snapshot(store, &cast.admin, dup.id);
    let err = store
        .merge(Some(&cast.editor), dup.id, dup.seen(), keep.id)
        .unwrap_err();
    assert_eq!(err.code(), "invalid", "{err:?}");
    assert!(err.to_string().contains("withdrawn"), "{err}");
    assert_eq!(snapshot(store, &cast.admin, dup.id), before);

    // Chosen on a state that has changed since: refused, for a later version or rev alike.
    let keep = store
        .reopen(Some(&cast.editor), keep.id, withdrawn.seen())
        .unwrap();
    let before = snapshot(store, &cast.admin, dup.id);
    let stale_views = [
        Seen {
            version: 2,
            ..dup.seen()
        },
        Seen {
            rev: dup.rev - 1,
            ..dup.seen()
        },
    ];
    for (stale, code) in stale_views.into_iter().zip(["stale_version", "changed"]) {
        let err = store
            .merge(Some(&cast.editor), dup.id, stale, keep.id)
            .unwrap_err();
        assert_eq!(err.code(), code, "{err:?}");
        assert_eq!(snapshot(store, &cast.admin, dup.id), before);
    }
    // As it is now: merged, and the kept article's `rev` moves too.
    let merged = store
        .merge(Some(&cast.editor), dup.id, seen(store, dup.id), keep.id)
        .unwrap();
    assert_eq!(merged.merged_into.as_deref(), Some(keep.slug.as_str()));
    assert!(seen(store, keep.id).rev > keep.rev);
    // A withdrawal chosen before the merge now fails: the redirect never ends at a 404.
    let err = store
        .withdraw(Some(&cast.editor), keep.id, keep.seen())
        .unwrap_err();
    assert_eq!(err.code(), "changed", "{err:?}");
}

/// Finding 7, the race: an approve and a withdraw chosen on the same state, on two threads
/// with their own connections. Exactly one succeeds; the other is refused and changes nothing.
fn approve_and_withdraw_on_one_seen_state_one_wins(db: &TestDb) {
    let store = &db.store;
    let cast = Cast::new(store);
    for round in 0..6 {
        let a = store
            .create_article(None, new_article(&format!("Condition R round {round}")))
            .unwrap();
        let a = store.claim(Some(&cast.reviewer), a.id, a.seen()).unwrap();
        let both_saw = a.seen();
        let audit_before = store.audit_log(Some(&cast.admin), 0).unwrap().len();
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = [(cast.reviewer.clone(), true), (cast.editor.clone(), false)]
            .into_iter()
            .map(|(user, approves)| {
                let (store, barrier) = (store.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    if approves {
                        store.approve(Some(&user), a.id, both_saw).map(|a| a.state)
                    } else {
                        store.withdraw(Some(&user), a.id, both_saw).map(|a| a.state)
                    }
                })
            })
            .collect();
        let results: Vec<Result<ReviewState, Error>> =
            handles.into_iter().map(|h| h.join().unwrap()).collect();
        let (winner, loser) = one_winner(&results, round);
        assert!(
            matches!(loser.code(), "changed" | "conflict"),
            "round {round}: {loser:?}"
        );
        let after = store.article(a.id).unwrap().unwrap();
        assert_eq!(after.state, winner);
        let audit = store.audit_log(Some(&cast.admin), 0).unwrap();
        assert_eq!(audit.len(), audit_before + 1, "round {round}");
    }
}

/// Finding 4 (the store's half): one rule, [`evident_store::visible`], for a single article and
/// for lists, so `?state=withdrawn` lists nothing for the public and limits count only what the
/// viewer may see. Finding 3: the article carries the reviewers' display names for the public.
fn lists_show_withdrawn_articles_to_staff_only(db: &TestDb) {
    let store = &db.store;
    let cast = Cast::new(store);
    let shown = store
        .create_article(None, new_article("How is condition P treated?"))
        .unwrap();
    let hidden = store
        .create_article(None, new_article("How is condition Q treated?"))
        .unwrap();
    let hidden = store
        .withdraw(Some(&cast.editor), hidden.id, hidden.seen())
        .unwrap();
    let ids = |query: ArticleQuery| -> Vec<i64> {
        store
            .list_articles(&query)
            .unwrap()
            .iter()
            .map(|a| a.id)
            .collect()
    };
    let withdrawn = || ArticleQuery {
        states: vec![ReviewState::Withdrawn],
        ..ArticleQuery::default()
    };
    let one = || ArticleQuery {
        limit: 1,
        ..ArticleQuery::default()
    };
    for viewer in [None, Some(&cast.reader), Some(&cast.clinician)] {
        assert!(!hidden.visible_to(viewer) && shown.visible_to(viewer));
        assert_eq!(ids(withdrawn().visible_to(viewer)), Vec::<i64>::new());
        // The newest article is the withdrawn one: a limit of 1 still finds the shown one.
        assert_eq!(ids(one().visible_to(viewer)), [shown.id]);
    }
    for viewer in [&cast.reviewer, &cast.editor, &cast.admin] {
        assert!(hidden.visible_to(Some(viewer)));
        assert_eq!(ids(withdrawn().visible_to(Some(viewer))), [hidden.id]);
        assert_eq!(ids(one().visible_to(Some(viewer))), [hidden.id]);
    }

    let dr = store
        .create_user(
            None,
            "drlogin",
            "Dr Display",
            PASSWORD,
            evident_core::Role::Reviewer,
        )
        .unwrap();
    let a = store.claim(Some(&dr), shown.id, shown.seen()).unwrap();
    assert_eq!(
        (a.claimed_by.as_deref(), a.claimed_by_name.as_deref()),
        (Some("drlogin"), Some("Dr Display"))
    );
    let a = store.approve(Some(&dr), a.id, a.seen()).unwrap();
    let listed = store.list_articles(&one()).unwrap();
    assert_eq!(listed[0].id, a.id);
    assert_eq!(listed[0].approved_by_name.as_deref(), Some("Dr Display"));
    assert_eq!(listed[0].claimed_by_name, None);
}
