//! The sign-in limit under concurrency and per client (issue 13, findings 2 and 3).

use std::sync::Barrier;
use std::time::{Duration, Instant};

use evident_core::Role;
use evident_store::{Error, Store, MAX_FAILURES_PER_CLIENT};

use crate::common::{TestDb, PASSWORD};

both_backends!(
    parallel_wrong_passwords_for_one_user_stay_within_the_limit,
    parallel_guesses_from_one_client_stay_within_the_limit,
    failures_from_one_client_do_not_lock_out_another,
    the_wait_doubles_after_the_free_failures,
);

/// Sends `n` sign-ins at once, each from its own thread; the results in thread order, and
/// how long the burst took.
fn burst(
    store: &Store,
    n: usize,
    attempt: impl Fn(&Store, usize) -> Result<(), Error> + Sync,
) -> (Vec<Result<(), Error>>, Duration) {
    let gate = Barrier::new(n);
    let started = Instant::now();
    let results = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (gate, attempt) = (&gate, &attempt);
                s.spawn(move || {
                    gate.wait();
                    attempt(store, i)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    (results, started.elapsed())
}

fn checked(results: &[Result<(), Error>]) -> usize {
    for r in results {
        assert!(
            matches!(
                r,
                Err(Error::InvalidCredentials | Error::RateLimited { .. })
            ),
            "{r:?}"
        );
    }
    results
        .iter()
        .filter(|r| matches!(r, Err(Error::InvalidCredentials)))
        .count()
}

/// Finding 2: 30 wrong passwords sent at once for one user all got 401 (each was checked),
/// because counting and recording failures were separate transactions.
fn parallel_wrong_passwords_for_one_user_stay_within_the_limit(db: &TestDb) {
    db.store
        .create_user(None, "ida", "Ida", PASSWORD, Role::Reviewer)
        .unwrap();
    let (results, took) = burst(&db.store, 30, |store, _| {
        store
            .authenticate("ida", "wrong", "203.0.113.7")
            .map(|_| ())
    });
    // The free tries, plus at most one more for each first-delay interval the burst lasted
    // (the delay doubles after that, so this bound is generous).
    let allowed = evident_store::FREE_FAILURES as usize
        + (took.as_millis() / evident_store::FIRST_DELAY_MS as u128) as usize;
    let checked = checked(&results);
    assert!(
        checked <= allowed.min(5),
        "{checked} of 30 parallel wrong passwords were checked (limit {allowed}, burst {took:?})"
    );
}

/// Finding 2: the per-client limit, guessing many usernames at once from one address.
fn parallel_guesses_from_one_client_stay_within_the_limit(db: &TestDb) {
    let (results, _) = burst(&db.store, 30, |store, i| {
        store
            .authenticate(&format!("guess{i}"), PASSWORD, "203.0.113.8")
            .map(|_| ())
    });
    let checked = checked(&results);
    assert!(
        checked <= MAX_FAILURES_PER_CLIENT as usize,
        "{checked} of 30 parallel guesses from one client were checked (limit {MAX_FAILURES_PER_CLIENT})"
    );
}

/// Finding 3: anyone could lock a reviewer out: after 5 wrong passwords from anywhere, the
/// right one was refused from everywhere for 15 minutes.
fn failures_from_one_client_do_not_lock_out_another(db: &TestDb) {
    let store = &db.store;
    store
        .create_user(None, "jo", "Jo", PASSWORD, Role::Reviewer)
        .unwrap();
    for _ in 0..10 {
        let _ = store.authenticate("jo", "wrong", "198.51.100.1");
    }
    match store.authenticate("jo", PASSWORD, "198.51.100.1") {
        Err(Error::RateLimited { retry_after_secs }) => assert!(retry_after_secs >= 1),
        other => panic!("the guessing client is not slowed down: {other:?}"),
    }
    let jo = store
        .authenticate("JO", PASSWORD, "198.51.100.2")
        .expect("the right password from another client signs in");
    assert_eq!(jo.username, "jo");
    // The attacker's wait is not reset by jo's success elsewhere.
    assert!(matches!(
        store.authenticate("jo", PASSWORD, "198.51.100.1"),
        Err(Error::RateLimited { .. })
    ));
}

/// Finding 3: a progressive delay rather than a lockout: free tries, then a wait that doubles
/// after each further failure.
fn the_wait_doubles_after_the_free_failures(db: &TestDb) {
    let store = &db.store;
    store
        .create_user(None, "kai", "Kai", PASSWORD, Role::Editor)
        .unwrap();
    let client = "192.0.2.5";
    for _ in 0..evident_store::FREE_FAILURES {
        assert!(matches!(
            store.authenticate("kai", "wrong", client),
            Err(Error::InvalidCredentials)
        ));
    }
    let first = evident_store::FIRST_DELAY_MS / 1000;
    let wait = |expected: u64| match store.authenticate("kai", PASSWORD, client) {
        Err(Error::RateLimited { retry_after_secs }) => {
            assert!(
                (1..=expected).contains(&retry_after_secs),
                "waits {retry_after_secs} s, expected at most {expected}"
            );
            retry_after_secs
        }
        other => panic!("expected a wait of {expected} s, got {other:?}"),
    };
    wait(first as u64);
    std::thread::sleep(Duration::from_millis(
        evident_store::FIRST_DELAY_MS as u64 + 100,
    ));
    assert!(matches!(
        store.authenticate("kai", "wrong", client),
        Err(Error::InvalidCredentials)
    ));
    assert!(
        wait(2 * first as u64) > first as u64,
        "the wait did not grow"
    );
}
