//! Random sequences of operations by random users keep the store's invariants.

use evident_core::{Audience, ReviewState};
use evident_store::{Article, Mark, NewComment, Revision, Seen, Store, User};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::common::{answer, new_article, snapshot, Cast, TestDb};

both_backends!(random_operations_keep_invariants);

#[derive(Debug, Clone)]
enum Op {
    Claim,
    Approve,
    RequestChanges,
    Revise,
    Withdraw,
    Reopen,
    Mark,
    Comment,
    Merge,
}

/// One step: who acts (0 anonymous, 1.. the cast), what, and on what they saw (0 the article
/// as it is; 1 and 2 a later version than the current one; 3 the current version at an
/// earlier `rev`).
fn steps() -> impl Strategy<Value = Vec<(usize, Op, u32)>> {
    let op = prop_oneof![
        Just(Op::Claim),
        Just(Op::Approve),
        Just(Op::RequestChanges),
        Just(Op::Revise),
        Just(Op::Withdraw),
        Just(Op::Reopen),
        Just(Op::Mark),
        Just(Op::Comment),
        Just(Op::Merge),
    ];
    // Stale views in about one step of six.
    let seen = prop_oneof![5 => Just(0u32), 1 => 1u32..4];
    prop::collection::vec((0usize..7, op, seen), 1..25)
}

fn apply(store: &Store, actor: Option<&User>, op: &Op, id: i64, other: i64, seen: Seen) -> bool {
    let q = "Random question";
    let version = seen.version;
    let result = match op {
        Op::Claim => store.claim(actor, id, seen).map(drop),
        Op::Approve => store.approve(actor, id, seen).map(drop),
        Op::RequestChanges => store
            .request_changes(
                actor,
                id,
                seen,
                vec![NewComment {
                    target: Some("lead.0".into()),
                    body: "Why?".into(),
                }],
            )
            .map(drop),
        Op::Revise => store
            .revise(
                actor,
                id,
                seen,
                Revision {
                    answers: vec![answer(
                        q,
                        Audience::Clinician,
                        Some("Review after four weeks."),
                    )],
                    note: None,
                },
            )
            .map(drop),
        Op::Withdraw => store.withdraw(actor, id, seen).map(drop),
        Op::Reopen => store.reopen(actor, id, seen).map(drop),
        Op::Mark => store.mark_statement(actor, id, version, "s0.0", Mark::Flagged),
        Op::Comment => store
            .comment(
                actor,
                id,
                version,
                NewComment {
                    target: None,
                    body: "Note".into(),
                },
            )
            .map(drop),
        Op::Merge => {
            let other_seen = store.article(other).unwrap().unwrap().seen();
            store.merge(actor, other, other_seen, id).map(drop)
        }
    };
    result.is_ok()
}

fn check(store: &Store, a: &Article) -> Result<(), TestCaseError> {
    let versions = store.versions(a.id).unwrap();
    prop_assert_eq!(versions.len() as u32, a.current_version);
    prop_assert!(a
        .published_version
        .is_none_or(|p| p >= 1 && p <= a.current_version));
    if a.state == ReviewState::Approved {
        prop_assert_eq!(a.published_version, Some(a.current_version));
    }
    let approvals = store.approvals(a.id).unwrap();
    match a.published_version {
        None => {
            prop_assert!(approvals.is_empty());
            prop_assert!(a.approved_by.is_none() && a.approved_at.is_none());
        }
        Some(p) => {
            // One published version: the latest approval, with who and when.
            let last = approvals.last().expect("a published version was approved");
            prop_assert_eq!(last.version, p);
            prop_assert_eq!(a.approved_by.as_deref(), Some(last.by.as_str()));
            prop_assert_eq!(a.approved_at, Some(last.at));
            prop_assert!(approvals.windows(2).all(|w| w[0].version < w[1].version));
        }
    }
    if a.state == ReviewState::UnderReview {
        prop_assert!(a.claimed_by.is_some());
    }
    Ok(())
}

fn random_operations_keep_invariants(db: &TestDb) {
    let store = &db.store;
    let cast = Cast::new(store);
    let users = [
        None,
        Some(&cast.reader),
        Some(&cast.clinician),
        Some(&cast.reviewer),
        Some(&cast.reviewer2),
        Some(&cast.editor),
        Some(&cast.admin),
    ];
    let cases = if db.is_postgres() { 8 } else { 32 };
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&steps(), |steps| {
            let a = store
                .create_article(None, new_article("Random question"))
                .unwrap();
            let other = store
                .create_article(None, new_article("Random duplicate"))
                .unwrap();
            for (who, op, offset) in &steps {
                let actor = users[*who];
                let before = snapshot(store, &cast.admin, a.id);
                let now = before.article.as_ref().unwrap().seen();
                let seen = match offset {
                    0 => now,
                    3 => Seen {
                        rev: now.rev - 1,
                        ..now
                    },
                    later => Seen {
                        version: now.version + later,
                        ..now
                    },
                };
                let ok = apply(store, actor, op, a.id, other.id, seen);
                let after = snapshot(store, &cast.admin, a.id);
                if ok {
                    prop_assert_eq!(
                        after.audit.len(),
                        before.audit.len() + 1,
                        "one audit entry per change: {:?}",
                        op
                    );
                    prop_assert!(after.audit[0].actor.is_some());
                    let (b, n) = (
                        before.article.as_ref().unwrap(),
                        after.article.as_ref().unwrap(),
                    );
                    prop_assert!(n.rev > b.rev || matches!(op, Op::Merge));
                } else {
                    // Merge acts on the other article: compare that one too.
                    prop_assert_eq!(&after, &before, "a refused {:?} changed something", op);
                }
                // Merge acts on the other article; marks and comments check the version only.
                let checked = match op {
                    Op::Merge => false,
                    Op::Mark | Op::Comment => *offset != 3,
                    _ => true,
                };
                if *offset != 0 && checked {
                    prop_assert!(!ok, "{:?} on a stale view succeeded", op);
                }
                check(store, after.article.as_ref().unwrap())?;
            }
            Ok(())
        })
        .unwrap();
}
