//! `spawn_app`: the server in-process on 127.0.0.1:0 over a fresh temp data folder, and a small
//! HTTP client that keeps cookies.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use evident_index::Library;
use evident_ingest::{chunk, read_item, walk, ChunkOptions, Item, WalkOptions};
use evident_server::{AppConfig, AppState};
use evident_store::Store;

pub const NAM: &str = "What is the treatment for necrotizing autoimmune myopathy?";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where screenshots go: `$CARGO_TARGET_DIR/screenshots` or `<workspace>/target/screenshots`.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub store: Store,
    pub dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Indexes the starter library and `extra` (name, bytes) files into `<dir>/index`.
fn index(dir: &Path, extra: &[(&str, &[u8])]) -> Library {
    let lib = Library::open(&dir.join("index")).unwrap();
    let mut w = lib.writer(50_000_000).unwrap();
    let mut add = |item: Item| {
        for doc in read_item(&item).unwrap() {
            let ps = chunk(&doc, &ChunkOptions::default());
            w.add(&doc, &ps).unwrap();
        }
    };
    walk(
        &repo_root().join("library"),
        &WalkOptions::default(),
        &mut |item| add(item.unwrap()),
    )
    .unwrap();
    for (name, bytes) in extra {
        add(Item::new(*name, bytes.to_vec()));
    }
    w.commit().unwrap();
    lib
}

pub fn spawn_app() -> TestApp {
    spawn_app_with(
        AppConfig {
            ask_rate_per_minute: 0,
            // Debug builds on a busy machine may compose slowly: the tests of the quick path
            // redirect whatever the time taken (the streamed path has its own test).
            ask_progress_after: std::time::Duration::from_secs(120),
            ..AppConfig::default()
        },
        &[],
    )
}

pub fn spawn_app_with(config: AppConfig, extra: &[(&str, &[u8])]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let library = Arc::new(index(dir.path(), extra));
    let store = Store::open_sqlite(&dir.path().join("evident.db")).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(config, library, store.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            evident_server::serve_on(listener, state, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
    });
    TestApp {
        addr,
        store,
        dir,
        shutdown: Some(tx),
        thread: Some(thread),
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// An HTTP client that never follows redirects, never turns statuses into errors, and keeps
/// cookies like a browser (by name, for one server).
pub struct Client {
    agent: ureq::Agent,
    pub cookies: BTreeMap<String, String>,
    /// Headers sent with every request (`X-Forwarded-Proto: https` for a client behind TLS).
    pub headers: Vec<(String, String)>,
    /// Scheme and host of the last request, for [`Client::csrf`].
    base: String,
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

impl Client {
    pub fn new() -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .new_agent();
        Client {
            agent,
            cookies: BTreeMap::new(),
            headers: Vec::new(),
            base: String::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Remembers where `url` goes and adds the cookies and the client's own headers.
    fn prepare<B>(
        &mut self,
        url: &str,
        mut req: ureq::RequestBuilder<B>,
    ) -> ureq::RequestBuilder<B> {
        if let Some(end) = url
            .find("://")
            .and_then(|i| url[i + 3..].find('/').map(|j| i + 3 + j))
        {
            self.base = url[..end].to_string();
        }
        req = req.header("Cookie", self.cookie_header());
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        req
    }

    fn finish(&mut self, resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Resp {
        let mut resp = resp.expect("request failed");
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        for (k, v) in &headers {
            if k.eq_ignore_ascii_case("set-cookie") {
                let pair = v.split(';').next().unwrap_or("");
                if let Some((name, value)) = pair.split_once('=') {
                    if v.contains("Max-Age=0") {
                        self.cookies.remove(name.trim());
                    } else {
                        self.cookies
                            .insert(name.trim().to_string(), value.trim().to_string());
                    }
                }
            }
        }
        let body = resp
            .body_mut()
            .with_config()
            .limit(50_000_000)
            .read_to_string()
            .unwrap_or_default();
        Resp {
            status,
            headers,
            body,
        }
    }

    pub fn get(&mut self, url: &str) -> Resp {
        self.get_with(url, &[])
    }

    /// A GET with extra headers (`Authorization`, …).
    pub fn get_with(&mut self, url: &str, headers: &[(&str, &str)]) -> Resp {
        let req = self.agent.get(url);
        let mut req = self.prepare(url, req);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = req.call();
        self.finish(r)
    }

    /// Posts a form; `fields` are URL-encoded.
    pub fn post_form(&mut self, url: &str, fields: &[(&str, &str)]) -> Resp {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let req = self.agent.post(url);
        let r = self
            .prepare(url, req)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(body);
        self.finish(r)
    }

    /// Posts a raw body with a content type (and extra headers).
    pub fn post_raw(
        &mut self,
        url: &str,
        content_type: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> Resp {
        let req = self.agent.post(url);
        let mut req = self.prepare(url, req).header("Content-Type", content_type);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = req.send(body);
        self.finish(r)
    }

    pub fn post_json(&mut self, url: &str, body: &serde_json::Value) -> Resp {
        self.post_raw(url, "application/json", &body.to_string(), &[])
    }

    /// The CSRF token the server binds to this client's session now, as its sign-in form
    /// carries it (after any request to the server, whose address it remembers).
    pub fn csrf(&mut self) -> String {
        assert!(!self.base.is_empty(), "no request yet: load a page first");
        let url = format!("{}/login", self.base);
        let page = self.get(&url);
        csrf_field(&page.body).expect("the sign-in form has a csrf field")
    }
}

/// The value of the first `csrf` field in `page`.
pub fn csrf_field(page: &str) -> Option<String> {
    let start = page.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let len = page[start..].find('"')?;
    Some(page[start..start + len].to_string())
}

pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
