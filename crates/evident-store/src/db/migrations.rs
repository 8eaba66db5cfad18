//! Schema migrations: the embedded SQL of each backend, applying the ones not yet recorded,
//! and splitting a migration script into statements.

use super::{Db, Mode, Tx};
use crate::error::Result;

/// Migrations, in order: (number, name, SQLite SQL, PostgreSQL SQL). Add a pair of files and a
/// line here; never edit an applied one.
pub(crate) const MIGRATIONS: &[(i64, &str, &str, &str)] = &[(
    1,
    "init",
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/postgres/0001_init.sql"),
)];

/// Advisory lock key for migrations ("evident" in ASCII, as a number).
const MIGRATION_LOCK: i64 = 0x65_7669_6465_6e74;

/// Applies every migration not yet recorded in `schema_migrations`, each in its own
/// transaction with its record.
pub(crate) fn migrate(db: &Db) -> Result<usize> {
    // Two servers starting at once on a new PostgreSQL database must not both create the
    // tables: each migration step holds this lock (SQLite's `BEGIN IMMEDIATE` does the same).
    let serialize = |tx: &mut dyn Tx| -> Result<()> {
        if let Db::Postgres(_) = db {
            tx.execute("SELECT pg_advisory_xact_lock(?)", &[MIGRATION_LOCK.into()])?;
        }
        Ok(())
    };
    db.run(Mode::Write, |tx| {
        serialize(tx)?;
        tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            &[],
        )
    })?;
    let mut applied = 0;
    for &(number, name, sqlite_sql, postgres_sql) in MIGRATIONS {
        let done = db.run(Mode::Write, |tx| {
            serialize(tx)?;
            let seen = tx.query_opt(
                "SELECT version FROM schema_migrations WHERE version = ?",
                &[number.into()],
            )?;
            if seen.is_some() {
                return Ok(false);
            }
            match db {
                Db::Sqlite(_) => batch_sqlite(tx, sqlite_sql)?,
                Db::Postgres(_) => batch_postgres(tx, postgres_sql)?,
            }
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                &[number.into(), name.into(), crate::now().into()],
            )?;
            Ok(true)
        })?;
        applied += usize::from(done);
    }
    Ok(applied)
}

/// The latest migration this build knows.
pub(crate) fn schema_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

// Multi-statement scripts go through each driver's batch call; `Tx` is for single statements,
// so the script is split here. Migrations are ours: statements end with ';' at a line end,
// and the only bodies with inner ';' (triggers, functions) are kept whole.
fn batch_sqlite(tx: &mut dyn Tx, sql: &str) -> Result<()> {
    for stmt in split_statements(sql) {
        tx.execute(&stmt, &[])?;
    }
    Ok(())
}

fn batch_postgres(tx: &mut dyn Tx, sql: &str) -> Result<()> {
    batch_sqlite(tx, sql)
}

/// Splits a migration script into statements: a statement ends at a line ending in ';' unless
/// inside a `BEGIN … END;` trigger body or a `$$ … $$` function body.
pub(super) fn split_statements(sql: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut in_dollar = false;
    let mut in_begin = false;
    for line in sql.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("--") || (trimmed.is_empty() && current.trim().is_empty()) {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if trimmed.matches("$$").count() % 2 == 1 {
            in_dollar = !in_dollar;
        }
        if trimmed == "BEGIN" && !in_dollar {
            in_begin = true;
        }
        let ends = trimmed.ends_with(';') && !in_dollar;
        if ends && in_begin {
            if trimmed == "END;" {
                in_begin = false;
            } else {
                continue;
            }
        }
        if ends {
            statements.push(std::mem::take(&mut current).trim().to_string());
        }
    }
    if !current.trim().is_empty() {
        statements.push(current.trim().to_string());
    }
    statements
}
