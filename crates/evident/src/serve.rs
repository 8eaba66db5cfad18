//! `evident serve`: the web app and JSON API over the library and the article store in the
//! data folder. With no flags it listens on 127.0.0.1:8080, keeps articles in
//! `<data>/evident.db` (SQLite; `--database-url` for PostgreSQL), and indexes the bundled
//! starter library when the library is empty.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;

/// Rankings the server remembers (the audiences' priors are applied on each use).
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
}

pub fn run(data: &Path, db_url: Option<&str>, args: &ServeArgs) -> Result<()> {
    // The warning-sign table is data: check it before the first question, not at it.
    evident_answer::safety::init();
    crate::config::create_private_dir(data)?;
    let lib = crate::demo::open_with_starter(
        data,
        args.library.as_deref(),
        crate::demo::Starter::WhenEmpty,
        crate::models::open_with_encoder,
    )?;
    // Each new article is composed for three audiences from the same ranking.
    lib.cache_results(RESULT_CACHE);
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
        request_timeout: std::time::Duration::from_secs(args.request_timeout),
        header_read_timeout: std::time::Duration::from_secs(args.header_timeout),
        body_read_timeout: std::time::Duration::from_secs(args.body_timeout),
        max_connections: args.max_connections,
        ..evident_server::AppConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    println!(
        "Evident is serving on http://{} (articles in {location}); Ctrl-C stops it.",
        args.addr
    );
    runtime
        .block_on(evident_server::serve(config, Arc::new(lib), store))
        .with_context(|| format!("cannot serve on {}", args.addr))?;
    Ok(())
}
