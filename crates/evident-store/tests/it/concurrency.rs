//! Two reviewers acting on one article at the same moment, on real threads with their own
//! connections: exactly one wins, nothing is lost.

use std::sync::{Arc, Barrier};

use evident_core::ReviewState;
use evident_store::{Error, NewComment};

use crate::common::{new_article, one_winner, Cast, TestDb};

both_backends!(concurrent_reviewers_one_wins);

fn concurrent_reviewers_one_wins(db: &TestDb) {
    let store = &db.store;
    let cast = Cast::new(store);
    let mut conflicts = 0;
    for round in 0..8 {
        let a = store
            .create_article(None, new_article(&format!("Condition C round {round}")))
            .unwrap();
        let a = store.claim(Some(&cast.reviewer), a.id, a.seen()).unwrap();
        // Both reviewers act on the article as it is now.
        let seen = a.seen();
        let audit_before = store.audit_log(Some(&cast.admin), 0).unwrap().len();
        let barrier = Arc::new(Barrier::new(2));
        let racers = [
            (cast.reviewer.clone(), true),
            (cast.reviewer2.clone(), false),
        ];
        let handles: Vec<_> = racers
            .into_iter()
            .map(|(user, approves)| {
                let store = store.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    if approves {
                        store.approve(Some(&user), a.id, seen).map(|a| a.state)
                    } else {
                        let note = NewComment {
                            target: None,
                            body: "Not yet.".into(),
                        };
                        store
                            .request_changes(Some(&user), a.id, seen, vec![note])
                            .map(|a| a.state)
                    }
                })
            })
            .collect();
        let results: Vec<Result<ReviewState, Error>> =
            handles.into_iter().map(|h| h.join().unwrap()).collect();
        let (winner, loser) = one_winner(&results, round);
        assert!(
            matches!(
                loser,
                Error::Conflict | Error::Changed { .. } | Error::Stale { .. }
            ),
            "round {round}: {loser:?}"
        );
        conflicts += usize::from(matches!(loser, Error::Conflict));

        // No lost update: one audit entry, and the state is the winner's.
        let after = store.article(a.id).unwrap().unwrap();
        assert_eq!(after.state, winner);
        let audit = store.audit_log(Some(&cast.admin), 0).unwrap();
        assert_eq!(audit.len(), audit_before + 1, "round {round}");
        let comments = store.comments(a.id).unwrap();
        match after.state {
            ReviewState::Approved => {
                assert_eq!(after.published_version, Some(1));
                assert!(
                    comments.is_empty(),
                    "the loser's comment was kept: {comments:?}"
                );
            }
            ReviewState::ChangesRequested => {
                assert_eq!(after.published_version, None);
                assert_eq!(comments.len(), 1);
            }
            other => panic!("unexpected state {other:?}"),
        }
    }
    eprintln!(
        "{}: {conflicts} of 8 races ended in a rev conflict",
        store.backend()
    );
}
