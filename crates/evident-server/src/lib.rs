//! The web app and JSON API: article pages, asking, follow-ups, personalisation, the reviewer
//! workspace. It knows nothing of SQL: articles come from `evident-store`, answers from
//! `evident-answer`, passages from `evident-index`.
//!
//! ```no_run
//! # async fn run(library: std::sync::Arc<evident_index::Library>, store: evident_store::Store) -> std::io::Result<()> {
//! let config = evident_server::AppConfig::default(); // 127.0.0.1:8080
//! evident_server::serve(config, library, store).await
//! # }
//! ```
//!
//! Layout: [`pages`] (server-rendered HTML, no JavaScript), [`api`] (the JSON API under
//! `/api/v1` and its OpenAPI document, both built from one route table), [`review`] (sign-in and
//! the reviewer workspace), [`service`] (asking: reuse or compose, then store), [`error`] (the one
//! error → HTTP mapping), [`security`] (CSRF, cookies, headers, rate limit), [`html`] (escape,
//! layout, stylesheet). Library and store calls block, so they run in `spawn_blocking`.
//!
//! Every request runs in a `tracing` span with its method, path (never the query: it may hold a
//! question) and request id (`X-Request-Id`, made when the client sent none and echoed in the
//! response); its status and latency are logged when the response starts. The subscriber is the
//! binary's business.

pub mod api;
pub mod error;
pub mod forms;
pub mod html;
pub mod metrics;
pub mod pages;
pub mod refresh;
pub mod review;
pub mod security;
pub mod service;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use evident_answer::generative::GenerativeOptions;
use evident_generate::Generator;
use evident_index::Library;
use evident_store::{Store, User};
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use error::{ApiError, AppError, ErrorBody, PageError};
pub use refresh::spawn_library_refresh;
use security::RateLimiter;

/// Server settings. `Default` is what `evident serve` uses without flags.
#[derive(Clone)]
pub struct AppConfig {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Questions (composing requests) per client address per minute; 0 = unlimited.
    pub ask_rate_per_minute: u32,
    /// Largest JSON request body, in bytes (larger: 413).
    pub max_json_bytes: usize,
    /// Largest form body, in bytes (larger: 413).
    pub max_form_bytes: usize,
    /// Always mark cookies `Secure` (they are also when `X-Forwarded-Proto: https`).
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy you run).
    pub trust_proxy: bool,
    /// When composing an answer for the ask form takes longer than this, the page starts at once
    /// (the question and a "composing" notice, streamed) and moves to the article when it is
    /// ready; quicker answers redirect straight to the article.
    pub ask_progress_after: Duration,
    /// A request whose response has not started after this long is answered 503 (a bound on
    /// stuck work; the streamed part of a page is not counted).
    pub request_timeout: Duration,
    /// A connection that has not sent a whole request head this long after it opened, or after
    /// its previous response (an idle keep-alive connection), is closed.
    pub header_read_timeout: Duration,
    /// A request whose body has not arrived whole this long after its head is refused (the
    /// body's reader fails; the connection is then closed).
    pub body_read_timeout: Duration,
    /// Connections served at once; more wait in the listen queue.
    pub max_connections: usize,
    /// The key CSRF tokens are bound with; servers sharing a store must share it
    /// ([`security::CsrfKey::for_server`]). `None`: a random key for this process alone.
    pub csrf_key: Option<security::CsrfKey>,
    /// The generative composer's model: when set, every new article is written by it from the
    /// grounded composer's evidence, each sentence checked against the passages it cites
    /// ([`evident_answer::generative`]), and the ask form streams the sentences as they pass.
    /// `None` (the default): the grounded composer alone.
    pub generator: Option<Arc<dyn Generator>>,
    /// The generative composer's tuning (used only with a `generator`).
    pub generative: GenerativeOptions,
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("addr", &self.addr)
            .field("ask_rate_per_minute", &self.ask_rate_per_minute)
            .field("max_json_bytes", &self.max_json_bytes)
            .field("max_form_bytes", &self.max_form_bytes)
            .field("secure_cookies", &self.secure_cookies)
            .field("trust_proxy", &self.trust_proxy)
            .field("ask_progress_after", &self.ask_progress_after)
            .field("request_timeout", &self.request_timeout)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("max_connections", &self.max_connections)
            .field("csrf_key", &self.csrf_key)
            .field("generator", &self.generator.as_ref().map(|g| g.describe()))
            .field("generative", &self.generative)
            .finish()
    }
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            ask_rate_per_minute: 30,
            max_json_bytes: 16 * 1024,
            max_form_bytes: 256 * 1024,
            secure_cookies: false,
            trust_proxy: false,
            ask_progress_after: Duration::from_millis(400),
            request_timeout: Duration::from_secs(300),
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 1024,
            csrf_key: None,
            generator: None,
            generative: GenerativeOptions::default(),
        }
    }
}

struct Shared {
    config: AppConfig,
    library: Arc<Library>,
    store: Store,
    limiter: RateLimiter,
    csrf_key: security::CsrfKey,
    metrics: Arc<metrics::Metrics>,
}

/// What every handler shares: the configuration, the library, the store and the rate limiter.
/// Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(config: AppConfig, library: Arc<Library>, store: Store) -> AppState {
        let limiter = RateLimiter::new(config.ask_rate_per_minute);
        let csrf_key = config
            .csrf_key
            .clone()
            .unwrap_or_else(security::CsrfKey::random);
        AppState(Arc::new(Shared {
            config,
            library,
            store,
            limiter,
            csrf_key,
            metrics: Arc::new(metrics::Metrics::new()),
        }))
    }

    pub fn config(&self) -> &AppConfig {
        &self.0.config
    }

    pub fn library(&self) -> Arc<Library> {
        self.0.library.clone()
    }

    pub fn store(&self) -> Store {
        self.0.store.clone()
    }

    pub fn limiter(&self) -> &RateLimiter {
        &self.0.limiter
    }

    /// What `/metrics` reports.
    pub fn metrics(&self) -> &metrics::Metrics {
        &self.0.metrics
    }

    /// The key CSRF tokens are bound with.
    pub fn csrf_key(&self) -> &security::CsrfKey {
        &self.0.csrf_key
    }
}

/// Runs blocking work (library, store) off the async threads.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
{
    tokio::task::spawn_blocking(f).await?
}

/// The user behind a request: an API token (`Authorization: Bearer …`) or a session cookie.
/// A bearer token that matches no user is an error; a stale session cookie is ignored.
pub(crate) async fn resolve_user(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<User>, AppError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "))
        .map(|v| v[7..].trim().to_string());
    let session = security::session_token(state, headers).map(str::to_string);
    if bearer.is_none() && session.is_none() {
        return Ok(None);
    }
    let store = state.store();
    blocking(move || {
        if let Some(token) = bearer {
            return match store.token_user(&token)? {
                Some(u) => Ok(Some(u)),
                None => Err(AppError::Unauthenticated(
                    "use a valid API token (this one is unknown or revoked)".into(),
                )),
            };
        }
        match session {
            Some(token) => Ok(store.session_user(&token)?),
            None => Ok(None),
        }
    })
    .await
}

/// The signed-in user of a page request, if any (errors answered as a page).
pub struct PageUser(pub Option<User>);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(PageUser(resolve_user(state, &parts.headers).await?))
    }
}

/// The user of an API request, if any (errors answered as JSON).
pub struct ApiUser(pub Option<User>);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ApiUser(resolve_user(state, &parts.headers).await?))
    }
}

/// The client's address, for rate limiting.
pub struct ClientIp(pub std::net::IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>();
        Ok(ClientIp(security::client_ip(state, &parts.headers, peer)))
    }
}

/// Answers `503 timeout` (our JSON body on `/api/`, an error page elsewhere) when a handler has
/// not started its response within `limit`; a streamed page that has started is not cut.
async fn time_limit(
    axum::extract::State(limit): axum::extract::State<Duration>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let api = req.uri().path().starts_with("/api/");
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            let err = AppError::Timeout {
                after_secs: limit.as_secs(),
            };
            if api {
                err.into_json()
            } else {
                err.into_page()
            }
        }
    }
}

async fn fallback(req: Request) -> Response {
    let path = req.uri().path().to_string();
    let err = AppError::NotFound(format!("no page or endpoint at {path}"));
    if path.starts_with("/api/") {
        err.into_json()
    } else {
        err.into_page()
    }
}

async fn method_not_allowed(req: Request) -> Response {
    let err = AppError::MethodNotAllowed(format!(
        "{} is not allowed on {}",
        req.method(),
        req.uri().path()
    ));
    if req.uri().path().starts_with("/api/") {
        err.into_json()
    } else {
        err.into_page()
    }
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        html::CSS,
    )
        .into_response()
}

/// Liveness for a load balancer or orchestrator: the process answers. Touches nothing else,
/// so a slow store cannot make a healthy process look dead.
async fn healthz() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        "ok\n",
    )
        .into_response()
}

/// Readiness: the index and the article store both answer. 200 with what is loaded, or 503
/// with the part that does not answer (JSON, like every error), so traffic goes elsewhere.
async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    let lib = state.library();
    let store = state.store();
    let checked = tokio::task::spawn_blocking(move || {
        let (sources, passages) = lib
            .counts()
            .map_err(|e| format!("the index does not answer: {e}"))?;
        store
            .user_by_name("")
            .map_err(|e| format!("the article store does not answer: {e}"))?;
        Ok::<_, String>(serde_json::json!({
            "status": "ready",
            "sources": sources,
            "passages": passages,
            "store": store.backend(),
        }))
    })
    .await
    .unwrap_or_else(|e| Err(format!("the readiness check failed: {e}")));
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    match checked {
        Ok(body) => (no_store, axum::Json(body)).into_response(),
        Err(message) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            no_store,
            axum::Json(serde_json::json!({"code": "not_ready", "message": message})),
        )
            .into_response(),
    }
}

/// Compresses only bodies whose size is known: a streamed page (the article, the ask
/// progress page) must reach the browser chunk by chunk, and a compressor would hold its first
/// chunk back until more came.
#[derive(Debug, Clone, Copy)]
struct WholeBodies;

impl Predicate for WholeBodies {
    fn should_compress<B>(&self, response: &axum::http::Response<B>) -> bool
    where
        B: axum::body::HttpBody,
    {
        response.body().size_hint().exact().is_some()
    }
}

/// The whole application: pages, the review workspace, the JSON API and its OpenAPI document,
/// with the security headers and CSRF cookie on every response; compressed when the client
/// accepts it, time-bounded, traced, each request with an id.
pub fn router(state: AppState) -> Router {
    let timeout = state.config().request_timeout;
    let counted = state.0.metrics.clone();
    let app = Router::new()
        .merge(pages::routes(&state))
        .merge(review::routes(&state))
        .merge(api::routes(&state))
        .route("/static/app.css", get(stylesheet))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::scrape))
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::csrf_cookie,
        ))
        .layer(axum::middleware::from_fn_with_state(timeout, time_limit))
        .layer(CompressionLayer::new().compress_when(DefaultPredicate::new().and(WholeBodies)))
        .with_state(state);
    // Layers wrap what is above them: the id is set first, so the span and the response see it.
    security::security_headers(app)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_response)
                .on_failure(()),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::from_fn_with_state(
            counted,
            metrics::track,
        ))
}

fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = %id
    )
}

fn log_response(
    resp: &axum::http::Response<axum::body::Body>,
    latency: Duration,
    span: &tracing::Span,
) {
    tracing::info!(
        parent: span,
        status = resp.status().as_u16(),
        latency_ms = (latency.as_secs_f64() * 1e6).round() / 1e3,
        "response"
    );
}

/// Serves on an already bound listener until `shutdown` resolves (tests bind 127.0.0.1:0),
/// with the connection limits of [`AppConfig`]: at most `max_connections` at once, each closed
/// when its request head is slower than `header_read_timeout` (hyper's timer, which also runs
/// while a kept-alive connection waits for its next request) and its body slower than
/// `body_read_timeout`.
pub async fn serve_on<F>(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: F,
) -> std::io::Result<()>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt as _;

    let config = state.config().clone();
    let app = router(state).layer(axum::middleware::from_fn_with_state(
        config.body_read_timeout,
        body_deadline,
    ));
    let slots = Arc::new(tokio::sync::Semaphore::new(config.max_connections.max(1)));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout);
    let (closing_tx, closing_rx) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    // Each connection's task holds a clone: the count of open connections.
    let connections = Arc::new(());
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait, as axum::serve does.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Pages go out in chunks (the shell first): without TCP_NODELAY, Nagle's algorithm
        // holds the later chunk back until the client's delayed ACK, about 40 ms per page.
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                app.clone().oneshot(req.map(axum::body::Body::new))
            });
        let conn = http.serve_connection(TokioIo::new(tcp), service);
        let mut closing = closing_rx.clone();
        let done = connections.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let _done = done;
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = closing.wait_for(|c| *c) => {}
            }
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        });
    }
    // Stop listening at once: new connections are refused while the open ones finish.
    drop(listener);
    let _ = closing_tx.send(true);
    drop(closing_rx);
    // Wait for the open connections to finish their responses.
    let tracker = connections;
    while Arc::strong_count(&tracker) > 1 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Bounds how long a request body may take to arrive: past `limit` from the request head its
/// stream fails, and the extractor reading it answers with an error.
async fn body_deadline(
    axum::extract::State(limit): axum::extract::State<Duration>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    use futures_util::StreamExt as _;
    if axum::body::HttpBody::is_end_stream(req.body()) {
        return next.run(req).await;
    }
    let deadline = tokio::time::Instant::now() + limit;
    let (parts, body) = req.into_parts();
    let stream = body.into_data_stream();
    let timed = futures_util::stream::unfold(Some(stream), move |stream| async move {
        let mut stream = stream?;
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(item)) => Some((item, Some(stream))),
            Ok(None) => None,
            Err(_) => Some((
                Err(axum::Error::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the request body arrived too slowly",
                ))),
                None,
            )),
        }
    });
    next.run(Request::from_parts(
        parts,
        axum::body::Body::from_stream(timed),
    ))
    .await
}

/// Binds `config.addr` and serves until Ctrl-C.
pub async fn serve(config: AppConfig, library: Arc<Library>, store: Store) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let state = AppState::new(config, library, store);
    serve_on(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    fn app(dir: &std::path::Path) -> Router {
        let library = Arc::new(Library::open(&dir.join("index")).unwrap());
        let store = Store::open_sqlite(&dir.join("evident.db")).unwrap();
        router(AppState::new(AppConfig::default(), library, store))
    }

    #[tokio::test]
    async fn a_slow_handler_gets_the_timeout_error_body() {
        let slow = Router::new()
            .route(
                "/api/v1/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            )
            .route("/fast", get(|| async { "on time" }))
            .layer(axum::middleware::from_fn_with_state(
                Duration::from_millis(50),
                time_limit,
            ));
        let resp = slow
            .clone()
            .oneshot(Request::get("/api/v1/slow").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["code"], "timeout", "{json}");
        let resp = slow
            .oneshot(Request::get("/fast").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn responses_carry_a_request_id_and_the_security_headers() {
        let dir = tempfile::tempdir().unwrap();
        let resp = app(dir.path())
            .oneshot(
                Request::get("/static/app.css")
                    .header("accept-encoding", "gzip")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let h = resp.headers();
        assert_eq!(h["content-encoding"], "gzip");
        assert_eq!(h["cache-control"], "public, max-age=3600");
        assert_eq!(h["content-security-policy"], security::CSP);
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["x-request-id"].len(), 36, "a fresh UUID");
        assert!(h.contains_key("set-cookie"), "the CSRF cookie");

        let resp = app(dir.path())
            .oneshot(
                Request::get("/no/such/page")
                    .header("x-request-id", "req-42")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        assert_eq!(resp.headers()["x-request-id"], "req-42");
        assert_eq!(resp.headers()["cache-control"], "no-store");
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    }

    #[test]
    fn streamed_bodies_are_not_compressed() {
        let stream = futures_util::stream::once(async { Ok::<_, std::io::Error>("<html>") });
        let streamed = axum::http::Response::new(Body::from_stream(stream));
        assert!(!WholeBodies.should_compress(&streamed));
        let whole = axum::http::Response::new(Body::from("<html>".repeat(100)));
        assert!(WholeBodies.should_compress(&whole));
    }
}
