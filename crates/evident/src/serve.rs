//! `evident serve`: the web app and JSON API over the library and the article store in the
//! data folder. With no flags it listens on 127.0.0.1:8080, keeps articles in
//! `<data>/evident.db` (SQLite; `--database-url` for PostgreSQL), and indexes the bundled
//! starter library when the library is empty. With `--composer generative` a language model
//! writes each new article (every sentence checked against its cited passage) and the ask form
//! streams the sentences as they pass.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;

/// Rankings the server remembers at most (the audiences' priors are applied on each use);
/// `--result-cache-mb` bounds their bytes.
const RESULT_CACHE: usize = 256;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "EVIDENT_ADDR")]
    pub addr: SocketAddr,
    /// Questions that compose an answer, per client address per minute (0 = unlimited).
    #[arg(long, default_value_t = 30, env = "EVIDENT_ASK_RATE")]
    pub ask_rate: u32,
    /// Mark cookies Secure (set this when serving over HTTPS; they are also Secure when a proxy
    /// sends X-Forwarded-Proto: https).
    #[arg(long, env = "EVIDENT_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Take the client address from X-Forwarded-For (only behind a reverse proxy you run).
    #[arg(long, env = "EVIDENT_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// Starter library folder to index when the library is empty.
    #[arg(long, env = "EVIDENT_STARTER_LIBRARY")]
    pub library: Option<PathBuf>,
    /// Seconds a request may take before its response starts (then 503).
    #[arg(long, default_value_t = 300, env = "EVIDENT_REQUEST_TIMEOUT")]
    pub request_timeout: u64,
    /// Seconds a connection may take to send a request head, after it opens or while it waits
    /// kept alive between requests (then it is closed).
    #[arg(long, default_value_t = 10, env = "EVIDENT_HEADER_TIMEOUT")]
    pub header_timeout: u64,
    /// Seconds a request body may take to arrive whole (then the request fails).
    #[arg(long, default_value_t = 30, env = "EVIDENT_BODY_TIMEOUT")]
    pub body_timeout: u64,
    /// Connections served at once; more wait in the listen queue.
    #[arg(long, default_value_t = 1024, env = "EVIDENT_MAX_CONNECTIONS")]
    pub max_connections: usize,
    /// Seconds in-flight requests may take to finish after SIGTERM or Ctrl-C (new connections
    /// are refused at once); past it the server exits anyway.
    #[arg(long, default_value_t = 30, env = "EVIDENT_DRAIN_TIMEOUT")]
    pub drain_timeout: u64,
    /// Megabytes (MiB) of recent rankings the server keeps, least recently used dropped first
    /// (0 turns the cache off).
    #[arg(long, default_value_t = 64, env = "EVIDENT_RESULT_CACHE_MB")]
    pub result_cache_mb: usize,
    /// The composer of new articles (grounded, the default, or generative) and its model.
    #[command(flatten)]
    pub composer: crate::generation::ComposerArgs,
}

pub fn run(data: &Path, db_url: Option<&str>, args: &ServeArgs) -> Result<()> {
    // The warning-sign table is data: check it before the first question, not at it.
    evident_answer::safety::init();
    crate::config::create_private_dir(data)?;
    // The model is loaded (or the server's settings checked) before the library is opened: a
    // missing model stops the start at once, with the command that installs it.
    let generator = args
        .composer
        .generator(data)
        .context("cannot start with --composer generative")?;
    if let Some(g) = &generator {
        tracing::info!(model = %g.describe(), "new articles are written by the generative composer");
    }
    let lib = crate::demo::open_with_starter(
        data,
        args.library.as_deref(),
        crate::demo::Starter::WhenEmpty,
        crate::models::open_with_encoder,
    )?;
    // Each new article is composed for three audiences from the same ranking.
    lib.cache_results_bounded(RESULT_CACHE, args.result_cache_mb.saturating_mul(1 << 20));
    // Commits of other processes (`library add`, other servers) are served within a second.
    let lib = Arc::new(lib);
    evident_server::spawn_library_refresh(&lib, Duration::from_secs(1))?;
    let store = crate::admin::open_store(data, db_url)?;
    let location = match store.backend() {
        "postgres" => "PostgreSQL".to_string(),
        _ => crate::admin::database_location(data, db_url),
    };
    let config = evident_server::AppConfig {
        addr: args.addr,
        ask_rate_per_minute: args.ask_rate,
        secure_cookies: args.secure_cookies,
        trust_proxy: args.trust_proxy,
        request_timeout: Duration::from_secs(args.request_timeout),
        header_read_timeout: Duration::from_secs(args.header_timeout),
        body_read_timeout: Duration::from_secs(args.body_timeout),
        max_connections: args.max_connections,
        // Shared by every server on this data folder, so forms work across a fleet.
        csrf_key: Some(evident_server::security::CsrfKey::for_server(
            data,
            std::env::var("EVIDENT_SECRET_KEY").ok().as_deref(),
        )?),
        generator,
        generative: args.composer.options(),
        ..evident_server::AppConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let drain = Duration::from_secs(args.drain_timeout);
    let state = evident_server::AppState::new(config, lib, store);
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(args.addr))
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    println!(
        "Evident is serving on http://{} (articles in {location}); Ctrl-C or SIGTERM stops it.",
        args.addr
    );
    let drained = runtime
        .block_on(serve_until_signal(listener, state, drain))
        .with_context(|| format!("cannot serve on {}", args.addr))?;
    // Work still running in blocking threads (a composition) is not waited for past the drain.
    runtime.shutdown_timeout(Duration::from_secs(1));
    if drained {
        tracing::info!("stopped: every in-flight request finished");
    } else {
        tracing::warn!(
            drain_secs = drain.as_secs(),
            "stopped: requests still in flight after the drain timeout were cut"
        );
    }
    Ok(())
}

/// Serves until SIGTERM or Ctrl-C, then stops accepting and gives the open connections `drain`
/// to finish their requests. True when they all finished in time.
async fn serve_until_signal(
    listener: tokio::net::TcpListener,
    state: evident_server::AppState,
    drain: Duration,
) -> std::io::Result<bool> {
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<&'static str>();
    let shutdown = async move {
        let name = stop_signal().await;
        let _ = signalled_tx.send(name);
    };
    let serving = evident_server::serve_on(listener, state, shutdown);
    let mut serving = std::pin::pin!(serving);
    tokio::select! {
        served = &mut serving => served.map(|()| true),
        Ok(name) = signalled_rx => {
            tracing::info!(
                signal = name,
                drain_secs = drain.as_secs(),
                "shutting down: no new connections; waiting for in-flight requests"
            );
            match tokio::time::timeout(drain, serving).await {
                Ok(served) => served.map(|()| true),
                Err(_) => Ok(false),
            }
        }
    }
}

/// Resolves on the first SIGTERM or SIGINT (Ctrl-C), naming it.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "SIGINT",
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
