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
