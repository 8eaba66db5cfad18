//! Server tests: the real router on a random port over a fresh data folder per app (the starter
//! library indexed into a temp index, a temp SQLite store), driven by an HTTP client and, for the
//! end-to-end flow, by headless Chromium over WebDriver.

mod accounts;
mod api;
mod browser;
mod generative;
mod guards;
mod hardening;
mod metrics;
mod pages;
mod probes;
mod review;
mod snapshots;
mod standin;
mod support;
mod webdriver;
