//! Question reuse, merging, and "source changed" flags.

use evident_core::{QuestionKind, ReviewState};
use evident_store::{ArticleQuery, Error};

use crate::common::{analysis, claim_and_approve, new_article, seen, Cast, TestDb};

both_backends!(
    finds_reusable_articles,
    merges_duplicates,
    flags_articles_whose_sources_changed
);

fn finds_reusable_articles(db: &TestDb) {
    let store = &db.store;
    let cast = Cast::new(store);
    let treat = analysis("drug x", QuestionKind::Treatment);
    assert_eq!(
        store
            .find_reusable("What is the treatment with drug X?", &treat)
            .unwrap(),
        None
    );

    let first = store
        .create_article(None, new_article("What is the treatment with drug X?"))
        .unwrap();
    // Same normalised question.
    let found = store
        .find_reusable("what is the TREATMENT with drug x", &treat)
        .unwrap();
    assert_eq!(found.map(|a| a.id), Some(first.id));
    // Same focus and kind, similar words.
    let found = store.find_reusable("treatment drug X", &treat).unwrap();
    assert_eq!(found.map(|a| a.id), Some(first.id));
    // Same focus, other kind: not the same question.
    let dosing = analysis("drug x", QuestionKind::Dosing);
    assert_eq!(
        store.find_reusable("treatment drug X", &dosing).unwrap(),
        None
    );
    // Same focus and kind, different words.
    assert_eq!(
        store
            .find_reusable(
                "Is drug X treatment safe for kidneys in older adults?",
                &treat
            )
            .unwrap(),
        None
    );

    // An approved duplicate is preferred to a newer unreviewed one.
    let second = store
        .create_article(None, new_article("Treatment with drug X"))
        .unwrap();
    assert_eq!(
        store
            .find_reusable("treatment drug X", &treat)
            .unwrap()
            .map(|a| a.id),
        Some(second.id)
    );
    store
        .claim(Some(&cast.reviewer), first.id, seen(store, first.id))
        .unwrap();
    store
        .approve(Some(&cast.reviewer), first.id, seen(store, first.id))
        .unwrap();
    assert_eq!(
        store
            .find_reusable("treatment drug X", &treat)
            .unwrap()
            .map(|a| a.id),
        Some(first.id)
    );

    // Withdrawn and merged articles are never reused.
    store
        .merge(
            Some(&cast.editor),
            second.id,
            seen(store, second.id),
            first.id,
        )
        .unwrap();
    store
        .withdraw(Some(&cast.editor), first.id, seen(store, first.id))
        .unwrap();
    assert_eq!(
        store.find_reusable("treatment drug X", &treat).unwrap(),
        None
    );
}

fn merges_duplicates(db: &TestDb) {
    let store = &db.store;
    let cast = Cast::new(store);
    let keep = store
        .create_article(None, new_article("Treatment of condition M"))
        .unwrap();
    let dup = store
        .create_article(None, new_article("How is condition M treated"))
        .unwrap();
    let other = store
        .create_article(None, new_article("Condition N"))
        .unwrap();

    assert_eq!(
        store
            .merge(None, dup.id, seen(store, dup.id), keep.id)
            .unwrap_err()
            .code(),
        "unauthenticated"
    );
    assert_eq!(
        store
            .merge(Some(&cast.reviewer), dup.id, seen(store, dup.id), keep.id)
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert!(matches!(
        store.merge(Some(&cast.editor), dup.id, seen(store, dup.id), dup.id),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        store.merge(Some(&cast.editor), dup.id, seen(store, dup.id), 99_999),
        Err(Error::NotFound(_))
    ));

    let merged = store
        .merge(Some(&cast.editor), dup.id, seen(store, dup.id), keep.id)
        .unwrap();
    assert_eq!(merged.merged_into.as_deref(), Some(keep.slug.as_str()));
    // Gone from lists, still found by slug (for the redirect).
    let ids = |include_merged| {
        store
            .list_articles(&ArticleQuery {
                include_merged,
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(false), [other.id, keep.id]);
    assert_eq!(ids(true).len(), 3);
    assert_eq!(
        store
            .article_by_slug(&dup.slug)
            .unwrap()
            .unwrap()
            .merged_into,
        Some(keep.slug.clone())
    );
    // No chains: merging again, or into a merged article, is refused.
    assert!(matches!(
        store.merge(Some(&cast.admin), dup.id, seen(store, dup.id), other.id),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        store.merge(Some(&cast.admin), other.id, seen(store, other.id), dup.id),
        Err(Error::Invalid(_))
    ));
    let log = store.audit_log(Some(&cast.admin), 0).unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "merge").count(), 1);
}

fn flags_articles_whose_sources_changed(db: &TestDb) {
    let store = &db.store;
    let cast = Cast::new(store);
    let a = store
        .create_article(None, new_article("Treatment of condition S"))
        .unwrap();
    let mut other = new_article("Condition R");
    for answer in &mut other.answers {
        // Cites only passage A's source, renamed.
        answer.sections.truncate(1);
        answer.citations.truncate(1);
        answer.citations[0].source_id = "test:c".into();
    }
    let b = store.create_article(None, other).unwrap();
    let a = claim_and_approve(store, &cast.reviewer, a.id);
    assert!(!a.source_changed);

    assert_eq!(store.sources_changed(&[]).unwrap(), 0);
    assert_eq!(store.sources_changed(&["test:unknown".into()]).unwrap(), 0);
    assert_eq!(
        store
            .sources_changed(&["test:b".into(), "test:zzz".into()])
            .unwrap(),
        1
    );
    let a = store.article(a.id).unwrap().unwrap();
    assert!(a.source_changed);
    assert_eq!(
        a.state,
        ReviewState::Approved,
        "the flag asks for re-review; it does not unpublish"
    );
    assert!(!store.article(b.id).unwrap().unwrap().source_changed);
    assert_eq!(
        store
            .sources_changed(&["test:c".into(), "test:a".into()])
            .unwrap(),
        2
    );
    let flagged = store
        .list_articles(&ArticleQuery {
            source_changed_only: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(flagged.len(), 2);
    let log = store.audit_log(Some(&cast.admin), 0).unwrap();
    assert_eq!(
        log.iter().filter(|e| e.action == "source_changed").count(),
        3
    );
    assert!(log[0].detail.contains("test:"));

    // A new approved version clears the flag.
    let a = store
        .revise(
            Some(&cast.editor),
            a.id,
            seen(store, a.id),
            evident_store::Revision {
                answers: new_article("x").answers,
                note: None,
            },
        )
        .unwrap();
    assert!(a.source_changed, "still flagged until approved");
    let a = claim_and_approve(store, &cast.reviewer, a.id);
    assert!(!a.source_changed);
}
