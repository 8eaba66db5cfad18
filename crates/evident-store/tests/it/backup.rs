//! Backups restore whole, into the same or the other backend.

use evident_core::Role;
use evident_store::{Error, Mark, NewComment, Store};

use crate::common::{new_article, seen, Cast, TestDb, PASSWORD};

both_backends!(backup_restores_into_a_fresh_store);

/// Every table with rows, as the store shows them.
fn contents(store: &Store, admin: &evident_store::User) -> String {
    let mut out = String::new();
    let all = store
        .list_articles(&evident_store::ArticleQuery {
            include_merged: true,
            ..Default::default()
        })
        .unwrap();
    for a in &all {
        out += &format!(
            "{a:?}\n{:?}\n{:?}\n{:?}\n{:?}\n",
            store.versions(a.id).unwrap(),
            store.comments(a.id).unwrap(),
            store.marks(a.id, 1).unwrap(),
            store.approvals(a.id).unwrap()
        );
    }
    out += &format!(
        "{:?}\n{:?}\n",
        store.list_users().unwrap(),
        store.audit_log(Some(admin), 0).unwrap()
    );
    out
}

fn fill(store: &Store) -> Cast {
    let cast = Cast::new(store);
    let a = store
        .create_article(None, new_article("Treatment of condition B"))
        .unwrap();
    let b = store
        .create_article(
            Some(&cast.clinician),
            new_article("Condition B in children"),
        )
        .unwrap();
    store
        .claim(Some(&cast.reviewer), a.id, seen(store, a.id))
        .unwrap();
    store
        .mark_statement(Some(&cast.reviewer), a.id, 1, "lead.0", Mark::Confirmed)
        .unwrap();
    store
        .request_changes(
            Some(&cast.reviewer),
            a.id,
            seen(store, a.id),
            vec![NewComment {
                target: Some("s0".into()),
                body: "More.".into(),
            }],
        )
        .unwrap();
    store
        .merge(Some(&cast.editor), b.id, seen(store, b.id), a.id)
        .unwrap();
    store.sources_changed(&["test:a".into()]).unwrap();
    cast
}

fn backup_restores_into_a_fresh_store(db: &TestDb) {
    let cast = fill(&db.store);
    let session = db.store.create_session(&cast.editor).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("evident.jsonl");
    db.store.backup(&file).unwrap();
    let expected = contents(&db.store, &cast.admin);

    let mut targets = vec![db.sibling()];
    // Across backends: SQLite → PostgreSQL and back.
    if db.is_postgres() {
        targets.push(TestDb::sqlite());
    } else if let Some(pg) = TestDb::postgres() {
        targets.push(pg);
    }
    for target in &targets {
        target.store.restore(&file).unwrap();
        assert_eq!(
            contents(&target.store, &cast.admin),
            expected,
            "restored into {}",
            target.store.backend()
        );
        assert_eq!(
            target.store.session_user(&session).unwrap(),
            Some(cast.editor.clone())
        );
        assert_eq!(
            target.store.authenticate("rosa", PASSWORD, "t").unwrap(),
            cast.reviewer
        );
        // Ids continue after the restored ones.
        let next = target
            .store
            .create_article(None, new_article("After restore"))
            .unwrap();
        assert!(next.id > 2, "{}", next.id);
        target
            .store
            .create_user(None, "newbie", "", PASSWORD, Role::Reader)
            .unwrap();
        // Not into a store that has data.
        assert!(
            matches!(target.store.restore(&file), Err(Error::Invalid(m)) if m.contains("not empty"))
        );
    }

    // A cut file is refused and leaves the store empty.
    let text = std::fs::read_to_string(&file).unwrap();
    let cut = dir.path().join("cut.jsonl");
    let keep = text.lines().count() - 3;
    std::fs::write(&cut, text.lines().take(keep).collect::<Vec<_>>().join("\n")).unwrap();
    let empty = db.sibling();
    assert!(
        matches!(empty.store.restore(&cut), Err(Error::Invalid(m)) if m.contains("incomplete"))
    );
    assert!(empty.store.list_users().unwrap().is_empty());
}
