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

pub mod api;
pub mod error;
pub mod html;
pub mod pages;
pub mod review;
pub mod security;
pub mod service;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use evident_index::Library;
use evident_store::{Store, User};

pub use error::{ApiError, AppError, ErrorBody, PageError};
use security::RateLimiter;

/// Server settings. `Default` is what `evident serve` uses without flags.
#[derive(Debug, Clone)]
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
    pub ask_progress_after: std::time::Duration,
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
            ask_progress_after: std::time::Duration::from_millis(400),
        }
    }
}

struct Shared {
    config: AppConfig,
    library: Arc<Library>,
    store: Store,
    limiter: RateLimiter,
}

/// What every handler shares: the configuration, the library, the store and the rate limiter.
/// Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(config: AppConfig, library: Arc<Library>, store: Store) -> AppState {
        let limiter = RateLimiter::new(config.ask_rate_per_minute);
        AppState(Arc::new(Shared {
            config,
            library,
            store,
            limiter,
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
    let session = security::cookie(headers, security::SESSION_COOKIE).map(str::to_string);
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

/// The whole application: pages, the review workspace, the JSON API and its OpenAPI document,
/// with the security headers and CSRF cookie on every response.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::routes(&state))
        .merge(review::routes(&state))
        .merge(api::routes(&state))
        .route("/static/app.css", get(stylesheet))
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::security_layer,
        ))
        .with_state(state)
}

/// Serves on an already bound listener until `shutdown` resolves (tests bind 127.0.0.1:0).
pub async fn serve_on<F>(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: F,
) -> std::io::Result<()>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    use axum::serve::ListenerExt;
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    // Pages go out in chunks (the shell first): without TCP_NODELAY, Nagle's algorithm holds
    // the later chunk back until the client's delayed ACK, about 40 ms per page.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
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
