//! Issue 13, "a fleet, not one process": two `evident serve` processes on one article store
//! and one data folder behave as one service. An article asked on one is reused by the other, a
//! review taken on one (with a form one server rendered and the other received) shows on the
//! other, and a `library add` / `library remove` run by a third process is served by both
//! without a restart.
//!
//! On PostgreSQL when `EVIDENT_TEST_DATABASE_URL` is set (each run in a schema of its own,
//! dropped afterwards; skipped with a message when unset, failed under
//! `EVIDENT_REQUIRE_POSTGRES=1`), and on one SQLite file shared by both processes.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{stderr, stdout, topic};

const PASSWORD: &str = "a long fleet test password";
const GOUT: &str = "What is the treatment for a gout flare?";

/// Where the fleet keeps its articles.
enum Db {
    /// `<data>/evident.db`, the default.
    Sqlite,
    /// A URL whose connections use a schema of this run's own.
    Postgres { url: String, schema: String },
}

impl Db {
    fn url(&self) -> Option<&str> {
        match self {
            Db::Sqlite => None,
            Db::Postgres { url, .. } => Some(url),
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Db::Postgres { schema, .. } = self {
            if let Ok(mut client) = postgres::Client::connect(&pg_base_url(), postgres::NoTls) {
                let _ =
                    client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
            }
        }
    }
}

fn pg_base_url() -> String {
    std::env::var("EVIDENT_TEST_DATABASE_URL").unwrap_or_default()
}

/// A schema of this run's own on the test database, made and migrated, and a URL whose
/// connections use it; `None` (after saying why) when PostgreSQL is not configured.
fn postgres_db() -> Option<Db> {
    let base = pg_base_url();
    let required = std::env::var("EVIDENT_REQUIRE_POSTGRES").as_deref() == Ok("1");
    if base.is_empty() {
        assert!(
            !required,
            "EVIDENT_REQUIRE_POSTGRES=1 but EVIDENT_TEST_DATABASE_URL is unset"
        );
        eprintln!("skipped: set EVIDENT_TEST_DATABASE_URL to run the fleet test on PostgreSQL");
        return None;
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!("fleet_{}_{nanos}", std::process::id());
    if let Err(e) = evident_store::Store::open_postgres(&base, Some(&schema)) {
        assert!(!required, "PostgreSQL at {base} does not answer: {e}");
        eprintln!("skipped: PostgreSQL at {base} does not answer ({e})");
        return None;
    }
    // Every connection of every process starts in the schema (libpq's `options`).
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    Some(Db::Postgres { url, schema })
}

/// `evident` with the fleet's data folder and store, as an operator would run it.
fn command(data: &Path, db: &Db) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_evident"));
    c.arg("--data")
        .arg(data)
        .env_remove("EVIDENT_DATA")
        .env_remove("EVIDENT_DATABASE_URL")
        .env_remove("EVIDENT_SECRET_KEY")
        .env_remove("EVIDENT_CONFIG")
        .env("EVIDENT_MODEL_DIR", "/nonexistent/evident-test-model");
    if let Some(url) = db.url() {
        c.env("EVIDENT_DATABASE_URL", url);
    }
    c
}

fn run(data: &Path, db: &Db, args: &[&str]) -> Output {
    let o = command(data, db)
        .args(args)
        .env("EVIDENT_PASSWORD", PASSWORD)
        .output()
        .expect("the evident binary runs");
    assert!(
        o.status.success(),
        "evident {args:?} failed:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    o
}

/// A topic folder of its own under `tmp`, added with `library add` by a process of its own.
fn add_topic(tmp: &Path, data: &Path, db: &Db, id: &str, title: &str, body: &str) {
    let docs = tmp.join(format!("docs-{id}"));
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(docs.join(format!("{id}.md")), topic(id, title, body)).unwrap();
    run(
        data,
        db,
        &["library", "add", docs.to_str().unwrap(), "--quiet"],
    );
}

/// A running `evident serve`, killed when the test ends; its log is printed if the test fails.
struct Server {
    child: Child,
    addr: String,
    log: PathBuf,
}

impl Server {
    fn start(name: &str, tmp: &Path, data: &Path, db: &Db) -> Server {
        let addr = crate::serve::free_addr();
        let log = tmp.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let child = command(data, db)
            .args(["serve", "--addr", &addr, "--ask-rate", "0"])
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        Server { child, addr, log }
    }

    fn wait_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(r) = http(&self.addr, "GET", "/readyz", &[], "") {
                if r.status == 200 {
                    return;
                }
            }
            assert!(
                self.child.try_wait().unwrap().is_none(),
                "server {} exited",
                self.addr
            );
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "server {} did not get ready",
                self.addr
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn get(&self, path: &str, cookies: &Cookies) -> Resp {
        http(&self.addr, "GET", path, &cookies.header(), "").unwrap()
    }

    fn post_json(&self, path: &str, body: &Value) -> Resp {
        http(
            &self.addr,
            "POST",
            path,
            &[("Content-Type".into(), "application/json".into())],
            &body.to_string(),
        )
        .unwrap()
    }

    fn post_form(&self, path: &str, cookies: &Cookies, fields: &[(&str, &str)]) -> Resp {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect();
        let mut headers = cookies.header();
        headers.push((
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
        http(&self.addr, "POST", path, &headers, &body.join("&")).unwrap()
    }

    /// The ids of the sources `/api/v1/search` finds for `q`.
    fn found(&self, q: &str) -> Vec<String> {
        let r = self.get(&format!("/api/v1/search?q={}", enc(q)), &Cookies::default());
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["source"]["id"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            eprintln!("--- log of the server on {} ---\n{log}", self.addr);
        }
    }
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// The cookies a browser would keep, by name.
#[derive(Default, Clone)]
struct Cookies(HashMap<String, String>);

impl Cookies {
    fn take(&mut self, r: &Resp) {
        for (k, v) in &r.headers {
            if k == "set-cookie" {
                let pair = v.split(';').next().unwrap_or_default();
                if let Some((name, value)) = pair.split_once('=') {
                    self.0.insert(name.trim().into(), value.trim().into());
                }
            }
        }
    }

    fn header(&self) -> Vec<(String, String)> {
        if self.0.is_empty() {
            return Vec::new();
        }
        let all: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        vec![("Cookie".into(), all.join("; "))]
    }
}

/// One HTTP/1.0 exchange (the response ends when the server closes: no chunked bodies).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &str,
) -> std::io::Result<Resp> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(head.as_bytes())?;
    s.write_all(body.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Resp {
        status,
        headers,
        body: body.to_string(),
    })
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The value of the first hidden field `name` in a page.
fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in {page}"))
        + marker.len();
    let len = page[start..].find('"').unwrap();
    page[start..start + len].to_string()
}

/// Waits until `check` holds, for up to ten seconds (a server refreshes its library each second).
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not within 10 s: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn fleet(db: Db) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    add_topic(
        tmp.path(),
        &data,
        &db,
        "evident-gout",
        "Gout",
        "Colchicine, a nonsteroidal anti-inflammatory drug or a corticosteroid treats a gout \
         flare. Start treatment of the flare as early as possible.",
    );
    run(
        &data,
        &db,
        &[
            "user",
            "add",
            "rita",
            "--role",
            "reviewer",
            "--display-name",
            "Rita R",
        ],
    );
    let mut a = Server::start("a", tmp.path(), &data, &db);
    let mut b = Server::start("b", tmp.path(), &data, &db);
    a.wait_ready();
    b.wait_ready();

    // An article asked on A is the article B answers with.
    let asked = a.post_json("/api/v1/ask", &serde_json::json!({ "question": GOUT }));
    assert_eq!(asked.status, 201, "{}", asked.body);
    let article = asked.json();
    assert_eq!(article["reused"], false);
    let id = article["id"].as_i64().unwrap();
    let again = b.post_json("/api/v1/ask", &serde_json::json!({ "question": GOUT }));
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["id"], id, "B reused A's article");
    assert_eq!(again.json()["reused"], true);

    // Signed in on A; the review page is rendered by A and its form is sent to B: the session
    // (in the store) and the CSRF key (shared through the data folder) hold on both.
    let mut browser = Cookies::default();
    let login = a.get("/login", &browser);
    browser.take(&login);
    let signed_in = a.post_form(
        "/login",
        &browser,
        &[
            ("username", "rita"),
            ("password", PASSWORD),
            ("csrf", &field(&login.body, "csrf")),
        ],
    );
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    browser.take(&signed_in);
    assert!(browser.0.contains_key("evident_session"));
    let page = a.get(&format!("/review/{id}"), &browser);
    assert_eq!(page.status, 200, "{}", page.body);
    let claimed = b.post_form(
        &format!("/review/{id}/action"),
        &browser,
        &[
            ("csrf", &field(&page.body, "csrf")),
            ("version", &field(&page.body, "version")),
            ("rev", &field(&page.body, "rev")),
            ("action", "claim"),
        ],
    );
    assert_eq!(claimed.status, 303, "B took A's form: {}", claimed.body);
    let seen = a
        .get(&format!("/api/v1/articles/{id}"), &Cookies::default())
        .json();
    assert_eq!(seen["state"], "under_review", "{seen}");
    assert_eq!(seen["claimed_by"], "Rita R", "{seen}");
    let queue = a.get("/review?state=under_review", &browser);
    assert!(
        queue.body.contains(&format!("href=\"/review/{id}\"")),
        "{}",
        queue.body
    );

    // A third process commits to the library while both serve (neither holds the writer
    // lock): both search it within seconds, and stop finding it once it is removed.
    assert!(!a
        .found("kawasaki")
        .contains(&"evident-kawasaki".to_string()));
    add_topic(
        tmp.path(),
        &data,
        &db,
        "evident-kawasaki",
        "Kawasaki disease",
        "Kawasaki disease in children is treated with intravenous immunoglobulin and aspirin.",
    );
    for s in [&a, &b] {
        eventually(&format!("{} serves the new source", s.addr), || {
            s.found("kawasaki")
                .contains(&"evident-kawasaki".to_string())
        });
    }
    let composed = b.post_json(
        "/api/v1/ask",
        &serde_json::json!({ "question": "How is Kawasaki disease treated?" }),
    );
    assert_eq!(composed.status, 201, "{}", composed.body);
    assert!(
        composed.body.contains("evident-kawasaki"),
        "B's new article cites the new source: {}",
        composed.body
    );
    run(&data, &db, &["library", "remove", "evident-kawasaki"]);
    for s in [&a, &b] {
        eventually(
            &format!("{} stops serving the removed source", s.addr),
            || {
                !s.found("kawasaki")
                    .contains(&"evident-kawasaki".to_string())
            },
        );
    }
    assert!(a.found("gout").contains(&"evident-gout".to_string()));
    assert!(
        data.join("secret.key").exists(),
        "the shared key lives in the data folder"
    );
}

#[test]
fn two_servers_on_one_postgres_and_one_data_folder_act_as_one_service() {
    if let Some(db) = postgres_db() {
        fleet(db);
    }
}

#[test]
fn two_servers_on_one_sqlite_file_and_one_data_folder_act_as_one_service() {
    fleet(Db::Sqlite);
}

/// Waits until `check` holds, for up to a minute (servers starting in a debug build).
fn within_a_minute(what: &str, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not within 60 s: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn log_of(s: &Server) -> String {
    std::fs::read_to_string(&s.log).unwrap_or_default()
}

/// After servers started together on an empty folder: exactly one of them indexed the starter
/// library (printed its report), each of its sources is there once, and both serve it.
fn assert_indexed_once(data: &Path, servers: &[Server]) {
    let logs: Vec<String> = servers.iter().map(log_of).collect();
    let reports: Vec<&str> = logs
        .iter()
        .filter_map(|l| l.split("The library now holds ").nth(1))
        .collect();
    assert_eq!(reports.len(), 1, "one server indexed: {logs:#?}");
    let held: usize = reports[0]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a source count in {}", reports[0]));
    let ids = crate::listed_ids(data);
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no source twice: {ids:?}");
    assert_eq!(ids.len(), held, "{ids:?}");
    let starter = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../library"))
        .unwrap()
        .count();
    assert!(ids.len() >= starter, "every starter file: {ids:?}");
    for s in servers {
        assert!(
            !s.found("gout flare").is_empty(),
            "{} serves the library",
            s.addr
        );
    }
}

/// Issue 13: two servers started at once on an empty data folder. One indexes the starter
/// library; the other finds the writer lock taken (or the library already filled), waits, and
/// serves what the first wrote instead of failing or indexing it again.
#[test]
fn two_servers_started_at_once_on_an_empty_folder_index_the_starter_library_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut servers = [
        Server::start("a", tmp.path(), &data, &Db::Sqlite),
        Server::start("b", tmp.path(), &data, &Db::Sqlite),
    ];
    for s in &mut servers {
        s.wait_ready();
    }
    assert_indexed_once(&data, &servers);
}

/// The same with the writer lock held while both start (as by an `evident library add`), so
/// that both must wait: neither fails nor gets ready while it is held, both do once it is let
/// go, and still only one of them indexes.
#[test]
fn servers_on_an_empty_library_wait_for_the_writer_they_find() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let lib = evident_index::Library::open(&data.join("index")).unwrap();
    let writer = lib.writer(30_000_000).unwrap();
    let mut servers = [
        Server::start("a", tmp.path(), &data, &Db::Sqlite),
        Server::start("b", tmp.path(), &data, &Db::Sqlite),
    ];
    within_a_minute("both servers wait for the writer", || {
        servers
            .iter()
            .all(|s| log_of(s).contains("Another process is writing the library"))
    });
    std::thread::sleep(Duration::from_millis(500));
    for s in &mut servers {
        assert!(
            s.child.try_wait().unwrap().is_none(),
            "{} waits rather than exits",
            s.addr
        );
        assert!(
            http(&s.addr, "GET", "/readyz", &[], "").is_err(),
            "{} does not serve before the library is filled",
            s.addr
        );
    }
    drop(writer);
    for s in &mut servers {
        s.wait_ready();
    }
    assert_indexed_once(&data, &servers);
}
