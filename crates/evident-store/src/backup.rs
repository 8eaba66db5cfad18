//! Logical backups: JSON Lines, one object per row, in an order that restores without
//! breaking a foreign key. The same file restores into SQLite or PostgreSQL.
//!
//! ```text
//! {"evident_backup":1,"schema_version":1,"backend":"sqlite","created_at":…}
//! {"table":"users","row":{"id":1,"username":"ana",…}}
//! …
//! {"end":true,"rows":42}
//! ```
//! The last line proves the file is whole: a truncated backup is refused.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use serde_json::{json, Map, Value as Json};

use crate::db::{schema_version, Db, Mode, Value};
use crate::{now, Error, Result};

/// Every table, parents before children, with its columns and whether `id` is a generated key
/// (PostgreSQL's sequence must move past restored ids).
const TABLES: &[(&str, &[&str], bool)] = &[
    (
        "users",
        &[
            "id",
            "username",
            "username_key",
            "display_name",
            "role",
            "password_hash",
            "created_at",
        ],
        true,
    ),
    (
        "sessions",
        &["token_hash", "user_id", "created_at", "expires_at"],
        false,
    ),
    (
        "api_tokens",
        &["token_hash", "user_id", "label", "created_at", "revoked_at"],
        false,
    ),
    (
        "login_failures",
        &["id", "username_key", "client", "at"],
        true,
    ),
    (
        "articles",
        &[
            "id",
            "slug",
            "question",
            "normalized_question",
            "focus",
            "kind",
            "analysis",
            "state",
            "current_version",
            "published_version",
            "claimed_by",
            "approved_by",
            "approved_at",
            "parent_id",
            "source_changed",
            "merged_into",
            "created_at",
            "updated_at",
            "rev",
        ],
        true,
    ),
    (
        "versions",
        &[
            "article_id",
            "number",
            "answers",
            "author",
            "note",
            "created_at",
            "approved_by",
            "approved_at",
        ],
        false,
    ),
    (
        "article_citations",
        &["article_id", "version", "source_id", "passage_id"],
        false,
    ),
    (
        "comments",
        &[
            "id",
            "article_id",
            "version",
            "target",
            "body",
            "by_user",
            "at",
        ],
        true,
    ),
    (
        "marks",
        &[
            "article_id",
            "version",
            "statement",
            "mark",
            "by_user",
            "at",
        ],
        false,
    ),
    (
        "audit_log",
        &[
            "id",
            "at",
            "actor",
            "action",
            "article_id",
            "version",
            "detail",
        ],
        true,
    ),
];

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::internal_from(path.display().to_string(), e)
}

pub(crate) fn backup(db: &Db, path: &Path) -> Result<()> {
    // Written beside the target and renamed: a failed backup never leaves a half file under
    // the name the operator asked for.
    let partial = path.with_extension("partial");
    let file = std::fs::File::create(&partial).map_err(|e| io(&partial, e))?;
    let mut out = BufWriter::new(file);
    let header = json!({
        "evident_backup": 1,
        "schema_version": schema_version(),
        "backend": db.backend(),
        "created_at": now(),
    });
    writeln!(out, "{header}").map_err(|e| io(&partial, e))?;
    // One snapshot for every table: the dump is consistent even while others write.
    let rows = db.run(Mode::Snapshot, |tx| {
        let mut rows = 0usize;
        for &(table, columns, _) in TABLES {
            let sql = format!("SELECT {} FROM {table} ORDER BY 1", columns.join(", "));
            for row in tx.query(&sql, &[])? {
                let mut object = Map::new();
                for (name, value) in columns.iter().zip(row.0) {
                    object.insert(
                        name.to_string(),
                        match value {
                            Value::Null => Json::Null,
                            Value::Int(v) => json!(v),
                            Value::Text(v) => json!(v),
                        },
                    );
                }
                let line = json!({ "table": table, "row": object });
                writeln!(out, "{line}").map_err(|e| io(&partial, e))?;
                rows += 1;
            }
        }
        Ok(rows)
    })?;
    writeln!(out, "{}", json!({ "end": true, "rows": rows })).map_err(|e| io(&partial, e))?;
    let file = out.into_inner().map_err(|e| io(&partial, e.into_error()))?;
    file.sync_all().map_err(|e| io(&partial, e))?;
    std::fs::rename(&partial, path).map_err(|e| io(path, e))?;
    Ok(())
}

pub(crate) fn restore(db: &Db, path: &Path) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| io(path, e))?;
    let mut lines = BufReader::new(file).lines();
    let bad =
        |line: usize, why: &str| Error::Invalid(format!("{} line {line}: {why}", path.display()));
    let header: Json = match lines.next() {
        Some(line) => serde_json::from_str(&line.map_err(|e| io(path, e))?)
            .map_err(|e| bad(1, &format!("not JSON ({e})")))?,
        None => return Err(bad(1, "empty file; not an Evident backup")),
    };
    if header["evident_backup"] != json!(1) {
        return Err(bad(
            1,
            "not an Evident backup (no \"evident_backup\": 1 header)",
        ));
    }
    if header["schema_version"] != json!(schema_version()) {
        return Err(bad(
            1,
            &format!(
                "backup has schema version {}, this build has {}; restore with a matching \
                 version of Evident",
                header["schema_version"],
                schema_version()
            ),
        ));
    }
    db.run(Mode::Write, |tx| {
        for &(table, _, _) in TABLES {
            if tx
                .query_opt(&format!("SELECT 1 FROM {table} LIMIT 1"), &[])?
                .is_some()
            {
                return Err(Error::Invalid(format!(
                    "the store is not empty (table {table} has rows); restore into a new \
                     database"
                )));
            }
        }
        let mut rows = 0usize;
        let mut ended = false;
        for (i, line) in lines.enumerate() {
            let n = i + 2;
            let line = line.map_err(|e| io(path, e))?;
            if line.trim().is_empty() {
                continue;
            }
            let record: Json =
                serde_json::from_str(&line).map_err(|e| bad(n, &format!("not JSON ({e})")))?;
            if record["end"] == json!(true) {
                if record["rows"] != json!(rows) {
                    return Err(bad(n, "row count does not match; the backup is damaged"));
                }
                ended = true;
                break;
            }
            let table = record["table"].as_str().unwrap_or_default();
            let Some(&(table, columns, _)) = TABLES.iter().find(|t| t.0 == table) else {
                return Err(bad(n, &format!("unknown table {table:?}")));
            };
            let row = record["row"]
                .as_object()
                .ok_or_else(|| bad(n, "no \"row\" object"))?;
            let mut params = Vec::with_capacity(columns.len());
            for column in columns {
                params.push(match row.get(*column) {
                    None | Some(Json::Null) => Value::Null,
                    Some(Json::Number(v)) => Value::Int(
                        v.as_i64()
                            .ok_or_else(|| bad(n, &format!("{column}: not an integer")))?,
                    ),
                    Some(Json::String(v)) => Value::Text(v.clone()),
                    Some(_) => return Err(bad(n, &format!("{column}: not a scalar"))),
                });
            }
            let marks = vec!["?"; columns.len()].join(", ");
            tx.execute(
                &format!(
                    "INSERT INTO {table} ({}) VALUES ({marks})",
                    columns.join(", ")
                ),
                &params,
            )?;
            rows += 1;
        }
        if !ended {
            return Err(Error::Invalid(format!(
                "{}: the backup ends early (no end line); it is incomplete",
                path.display()
            )));
        }
        if let Db::Postgres(_) = db {
            for &(table, _, _) in TABLES.iter().filter(|t| t.2) {
                tx.query(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                         (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                    ),
                    &[],
                )?;
            }
        }
        Ok(())
    })
}
