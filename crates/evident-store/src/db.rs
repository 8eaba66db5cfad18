//! The two backends behind one small interface: a transaction that executes SQL with `?`
//! placeholders and returns rows of integers, text and nulls. Everything above this module is
//! written once; the SQL differs between SQLite and PostgreSQL only in the migrations.
//! The migrations themselves, and applying them, are in [`migrations`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::{Error, Result};

mod migrations;

pub(crate) use migrations::{migrate, schema_version};

/// A column value. The schema uses only 64-bit integers and text (booleans are 0/1, times
/// are epoch milliseconds, structured data is JSON text), so both backends agree exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Value {
        Value::Int(v.into())
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Int(v.into())
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// One result row; getters name the column index and fail as [`Error::Internal`] on a type
/// the schema does not allow there (a corrupt row).
#[derive(Debug, Clone)]
pub(crate) struct Row(pub Vec<Value>);

impl Row {
    pub fn int(&self, i: usize) -> Result<i64> {
        match self.0.get(i) {
            Some(Value::Int(v)) => Ok(*v),
            other => Err(corrupt(i, "an integer", other)),
        }
    }
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.0.get(i) {
            Some(Value::Null) => Ok(None),
            _ => self.int(i).map(Some),
        }
    }
    pub fn text(&self, i: usize) -> Result<String> {
        match self.0.get(i) {
            Some(Value::Text(v)) => Ok(v.clone()),
            other => Err(corrupt(i, "text", other)),
        }
    }
    pub fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.0.get(i) {
            Some(Value::Null) => Ok(None),
            _ => self.text(i).map(Some),
        }
    }
    pub fn u32(&self, i: usize) -> Result<u32> {
        let v = self.int(i)?;
        u32::try_from(v).map_err(|_| Error::internal(format!("column {i}: {v} is not a u32")))
    }
    pub fn opt_u32(&self, i: usize) -> Result<Option<u32>> {
        match self.0.get(i) {
            Some(Value::Null) => Ok(None),
            _ => self.u32(i).map(Some),
        }
    }
}

fn corrupt(i: usize, wanted: &str, got: Option<&Value>) -> Error {
    Error::internal(format!("column {i}: expected {wanted}, found {got:?}"))
}

/// A transaction on either backend. Statements use `?` placeholders (rewritten to `$n` for
/// PostgreSQL); nothing in our SQL puts a `?` inside a string literal.
pub(crate) trait Tx {
    /// Runs one statement; the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64>;
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>>;

    fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
    fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row> {
        self.query_opt(sql, params)?
            .ok_or_else(|| Error::internal(format!("no row from {sql}")))
    }
}

/// How a unit of work uses its transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Reads only; may run beside writers.
    Read,
    /// Reads that must see one snapshot of every table (backups).
    Snapshot,
    /// Changes: SQLite takes the write lock up front (`BEGIN IMMEDIATE`), so two writers never
    /// deadlock upgrading a read lock; PostgreSQL relies on row locks and the `rev` check.
    Write,
}

/// Connections kept for reuse; a thread that finds none opens its own, so concurrent callers
/// really run concurrently (each on its own connection).
const POOL_KEEP: usize = 8;

struct Pool<C> {
    idle: Mutex<Vec<C>>,
}

impl<C> Pool<C> {
    fn take(&self) -> Option<C> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop()
    }
    fn give(&self, conn: C) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < POOL_KEEP {
            idle.push(conn);
        }
    }
}

#[derive(Clone)]
pub(crate) enum Db {
    Sqlite(Arc<SqliteDb>),
    Postgres(Arc<PostgresDb>),
}

impl Db {
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Runs `work` in one transaction: committed when it returns `Ok`, rolled back otherwise.
    pub fn run<T>(&self, mode: Mode, work: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        match self {
            Db::Sqlite(db) => db.run(mode, work),
            Db::Postgres(db) => db.run(mode, work),
        }
    }

    /// SQLite's `PRAGMA integrity_check`; PostgreSQL checks its own pages, so there only a
    /// round trip.
    pub fn check_integrity(&self) -> Result<()> {
        match self {
            Db::Sqlite(db) => {
                let conn = db.conn()?;
                let verdict: Result<String> = conn
                    .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                    .map_err(Error::from);
                db.pool.give(conn);
                match verdict? {
                    ok if ok == "ok" => Ok(()),
                    problem => Err(Error::internal(format!("integrity check: {problem}"))),
                }
            }
            Db::Postgres(_) => self.run(Mode::Read, |tx| tx.query_one("SELECT 1", &[]).map(|_| ())),
        }
    }
}

// ---- SQLite -------------------------------------------------------------------------------

/// The SQLite file holds password hashes and the audit log, so it is the owner's only: a new
/// file is created with mode 0600 (SQLite gives its `-wal` and `-shm` files the mode of the
/// database file), and an existing one that the group or others may read or write loses those
/// bits, with a warning. Nothing is loosened. In-memory and URI databases are left alone.
#[cfg(unix)]
fn ensure_private_file(path: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let name = path.as_os_str().to_string_lossy();
    if name.is_empty() || name == ":memory:" || name.starts_with("file:") {
        return Ok(());
    }
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match created {
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(Error::internal_from(
                format!("cannot create database {}", path.display()),
                e,
            ))
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let file = std::path::Path::new(&file);
        let Ok(meta) = std::fs::metadata(file) else {
            continue;
        };
        let mode = meta.permissions().mode();
        if mode & 0o077 == 0 || !meta.is_file() {
            continue;
        }
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode & !0o077)).map_err(
            |e| {
                Error::internal_from(
                    format!(
                        "{} is readable by other users (mode {:o}) and cannot be restricted to its owner",
                        file.display(),
                        mode & 0o777
                    ),
                    e,
                )
            },
        )?;
        // No logger in this crate: the operator must see this whatever the log setup.
        eprintln!(
            "warning: {} was readable by other users (mode {:o}); it holds password hashes and the audit log, so it is now {:o}",
            file.display(),
            mode & 0o777,
            mode & 0o700
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn ensure_private_file(_path: &std::path::Path) -> Result<()> {
    Ok(())
}

pub(crate) struct SqliteDb {
    path: std::path::PathBuf,
    pool: Pool<rusqlite::Connection>,
}

impl SqliteDb {
    pub fn open(path: &std::path::Path) -> Result<SqliteDb> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            // Folders made here are the owner's only; folders that exist keep their mode.
            let mut folders = std::fs::DirBuilder::new();
            folders.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut folders, 0o700);
            folders.create(parent).map_err(|e| {
                Error::internal_from(format!("cannot create folder {}", parent.display()), e)
            })?;
        }
        ensure_private_file(path)?;
        let db = SqliteDb {
            path: path.to_path_buf(),
            pool: Pool {
                idle: Mutex::new(Vec::new()),
            },
        };
        let conn = db.conn()?;
        db.pool.give(conn);
        Ok(db)
    }

    fn conn(&self) -> Result<rusqlite::Connection> {
        if let Some(conn) = self.pool.take() {
            return Ok(conn);
        }
        let conn = rusqlite::Connection::open(&self.path).map_err(|e| {
            Error::internal_from(format!("cannot open database {}", self.path.display()), e)
        })?;
        conn.busy_timeout(Duration::from_secs(10))?;
        // WAL: readers never block the writer. synchronous=FULL syncs the log at every commit,
        // so an acknowledged approval survives a killed process and a power cut alike; review
        // actions are few, so the fsync costs nothing that matters.
        let setup =
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";
        // Switching a new file to WAL while another process opens it can fail as "locked"
        // without SQLite calling the busy handler; such a race passes in milliseconds.
        let mut attempts = 0;
        loop {
            match conn.execute_batch(setup) {
                Ok(()) => return Ok(conn),
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if attempts < 200
                        && matches!(
                            e.code,
                            rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                        ) =>
                {
                    attempts += 1;
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn run<T>(&self, mode: Mode, work: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        let mut conn = self.conn()?;
        let result = (|| {
            let behavior = match mode {
                Mode::Write => rusqlite::TransactionBehavior::Immediate,
                Mode::Read | Mode::Snapshot => rusqlite::TransactionBehavior::Deferred,
            };
            let tx = conn.transaction_with_behavior(behavior)?;
            let mut wrapped = SqliteTx { tx: &tx };
            let value = work(&mut wrapped)?;
            tx.commit()?;
            Ok(value)
        })();
        // A failed transaction was rolled back when dropped; the connection is fine to reuse.
        self.pool.give(conn);
        result
    }
}

struct SqliteTx<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
        })
    }
}

impl Tx for SqliteTx<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let mut stmt = self.tx.prepare_cached(sql)?;
        Ok(stmt.execute(rusqlite::params_from_iter(params.iter()))? as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        use rusqlite::types::ValueRef;
        let mut stmt = self.tx.prepare_cached(sql)?;
        let columns = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Text(v) => Value::Text(String::from_utf8_lossy(v).into_owned()),
                    other => {
                        return Err(Error::internal(format!(
                            "column {i} of {sql}: unexpected {:?}",
                            other.data_type()
                        )))
                    }
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        if let rusqlite::Error::SqliteFailure(code, ref message) = e {
            // 2067 SQLITE_CONSTRAINT_UNIQUE, 1555 SQLITE_CONSTRAINT_PRIMARYKEY
            if matches!(code.extended_code, 2067 | 1555) {
                return Error::Duplicate(message.clone().unwrap_or_else(|| "row".into()));
            }
        }
        Error::internal_from("sqlite", e)
    }
}

// ---- PostgreSQL ---------------------------------------------------------------------------

pub(crate) struct PostgresDb {
    url: String,
    schema: Option<String>,
    pool: Pool<postgres::Client>,
}

impl PostgresDb {
    pub fn open(url: &str, schema: Option<&str>) -> Result<PostgresDb> {
        if let Some(schema) = schema {
            let valid = !schema.is_empty()
                && schema.len() <= 63
                && schema
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !schema.starts_with(|c: char| c.is_ascii_digit());
            if !valid {
                return Err(Error::Invalid(format!(
                    "schema name {schema:?}: use letters, digits and '_' (not first a digit)"
                )));
            }
        }
        let db = PostgresDb {
            url: url.to_string(),
            schema: schema.map(str::to_string),
            pool: Pool {
                idle: Mutex::new(Vec::new()),
            },
        };
        let mut conn = db.conn()?;
        if let Some(schema) = &db.schema {
            // `IF NOT EXISTS` is not atomic: a server opening the same new schema at the same
            // moment may win the race, and then the schema is there, which is all we need.
            match conn.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"")) {
                Ok(()) => {}
                Err(e) => match Error::from(e) {
                    Error::Duplicate(_) => {}
                    other => return Err(other),
                },
            }
        }
        db.pool.give(conn);
        Ok(db)
    }

    fn conn(&self) -> Result<postgres::Client> {
        if let Some(conn) = self.pool.take() {
            return Ok(conn);
        }
        let mut client = postgres::Client::connect(&self.url, postgres::NoTls).map_err(|e| {
            Error::internal_from(
                format!("cannot connect to PostgreSQL at {}", redact(&self.url)),
                e,
            )
        })?;
        if let Some(schema) = &self.schema {
            // The name was checked in `open`: letters, digits and '_' only.
            client.batch_execute(&format!("SET search_path TO \"{schema}\""))?;
        }
        Ok(client)
    }

    fn run<T>(&self, mode: Mode, work: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        let mut client = self.conn()?;
        let result = (|| {
            let mut builder = client.build_transaction();
            builder = match mode {
                Mode::Snapshot => builder
                    .isolation_level(postgres::IsolationLevel::RepeatableRead)
                    .read_only(true),
                Mode::Read | Mode::Write => builder,
            };
            let tx = builder.start()?;
            let mut wrapped = PostgresTx { tx };
            let value = work(&mut wrapped)?;
            wrapped.tx.commit()?;
            Ok(value)
        })();
        // A broken connection (server restart) is dropped rather than pooled.
        if !client.is_closed() {
            self.pool.give(client);
        }
        result
    }
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

struct PostgresTx<'a> {
    tx: postgres::Transaction<'a>,
}

impl postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>
    {
        match self {
            Value::Null => Ok(postgres::types::IsNull::Yes),
            Value::Int(v) => v.to_sql(ty, out),
            Value::Text(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(ty: &postgres::types::Type) -> bool {
        use postgres::types::Type;
        [Type::INT8, Type::TEXT, Type::VARCHAR].contains(ty)
    }

    postgres::types::to_sql_checked!();
}

/// `?` placeholders to PostgreSQL's `$1, $2, …`.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

impl PostgresTx<'_> {
    fn params(params: &[Value]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
        params
            .iter()
            .map(|p| p as &(dyn postgres::types::ToSql + Sync))
            .collect()
    }
}

impl Tx for PostgresTx<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let stmt = self.tx.prepare(&numbered(sql))?;
        Ok(self.tx.execute(&stmt, &Self::params(params))?)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        use postgres::types::Type;
        let stmt = self.tx.prepare(&numbered(sql))?;
        let rows = self.tx.query(&stmt, &Self::params(params))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut values = Vec::with_capacity(row.len());
            for (i, column) in row.columns().iter().enumerate() {
                let ty = column.type_();
                let value = if *ty == Type::INT8 {
                    row.try_get::<_, Option<i64>>(i)?.map(Value::Int)
                } else if *ty == Type::INT4 {
                    row.try_get::<_, Option<i32>>(i)?
                        .map(|v| Value::Int(v.into()))
                } else if *ty == Type::BOOL {
                    row.try_get::<_, Option<bool>>(i)?
                        .map(|v| Value::Int(v.into()))
                } else if *ty == Type::TEXT || *ty == Type::VARCHAR || *ty == Type::NAME {
                    row.try_get::<_, Option<String>>(i)?.map(Value::Text)
                } else {
                    return Err(Error::internal(format!(
                        "column {} of {sql}: unexpected type {ty}",
                        column.name()
                    )));
                };
                values.push(value.unwrap_or(Value::Null));
            }
            out.push(Row(values));
        }
        Ok(out)
    }
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Error {
        match e.as_db_error() {
            Some(db) if *db.code() == postgres::error::SqlState::UNIQUE_VIOLATION => {
                Error::Duplicate(db.message().to_string())
            }
            // The database error (message, detail, hint) is the cause; the SQLSTATE is kept
            // in the context because the cause's message does not show it.
            Some(db) => {
                let context = format!("postgres ({})", db.code().code());
                Error::internal_from(context, e)
            }
            None => Error::internal_from("postgres", e),
        }
    }
}

#[cfg(test)]
mod tests;
