//! Unit tests of placeholder numbering, migration splitting and URL redaction.

use super::migrations::{split_statements, MIGRATIONS};
use super::*;

#[test]
fn placeholders_are_numbered() {
    assert_eq!(
        numbered("SELECT a FROM t WHERE b = ? AND c = ?"),
        "SELECT a FROM t WHERE b = $1 AND c = $2"
    );
}

#[test]
fn migrations_split_into_whole_statements() {
    for &(_, _, sqlite, postgres) in MIGRATIONS {
        let s = split_statements(sqlite);
        assert!(
            s.iter()
                .any(|st| st.starts_with("CREATE TRIGGER audit_log_no_update")
                    && st.ends_with("END;"))
        );
        let p = split_statements(postgres);
        assert!(p
            .iter()
            .any(|st| st.starts_with("CREATE FUNCTION") && st.ends_with("$$;")));
        // Same logical schema: the same tables on both.
        let tables = |v: &[String]| {
            v.iter()
                .filter_map(|st| st.strip_prefix("CREATE TABLE "))
                .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(tables(&s), tables(&p));
    }
}

#[test]
fn urls_lose_their_password() {
    assert_eq!(
        redact("postgres://u:secret@h:5432/db"),
        "postgres://u@h:5432/db"
    );
    assert_eq!(redact("postgres://h/db"), "postgres://h/db");
}

/// Finding 13 of issue 13: the folder and the SQLite file (password hashes, the audit log) were
/// created readable by every user of the machine.
#[cfg(unix)]
#[test]
fn a_new_sqlite_store_and_its_folder_are_the_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("new/data/evident.db");
    let store = crate::Store::open_sqlite(&path).unwrap();
    assert_eq!(mode(&tmp.path().join("new")), 0o700);
    assert_eq!(mode(&tmp.path().join("new/data")), 0o700);
    assert_eq!(mode(&path), 0o600);
    let wal = tmp.path().join("new/data/evident.db-wal");
    let shm = tmp.path().join("new/data/evident.db-shm");
    assert!(wal.exists() && shm.exists());
    assert_eq!((mode(&wal), mode(&shm)), (0o600, 0o600));
    drop(store);
}

/// Finding 13 of issue 13: an existing store readable by others is tightened on open; a folder
/// that exists keeps its mode, and nothing is loosened.
#[cfg(unix)]
#[test]
fn an_existing_readable_store_is_tightened_and_nothing_loosened() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let set = |p: &std::path::Path, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
    };
    let tmp = tempfile::tempdir().unwrap();
    set(tmp.path(), 0o755);
    let path = tmp.path().join("evident.db");
    drop(crate::Store::open_sqlite(&path).unwrap());
    set(&path, 0o644);
    drop(crate::Store::open_sqlite(&path).unwrap());
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(tmp.path()), 0o755);
    // Stricter than ours stays so.
    set(&path, 0o400);
    assert!(ensure_private_file(&path).is_ok());
    assert_eq!(mode(&path), 0o400);
    // Not files: in-memory databases.
    assert!(ensure_private_file(std::path::Path::new(":memory:")).is_ok());
}
