//! Prometheus metrics at `GET /metrics`, in the text exposition format (version 0.0.4),
//! written by hand: requests by route, method and status, a latency histogram by route,
//! answers composed and reused, the index generation, uptime and resident memory.
//!
//! Labels are bounded by construction: the route is the matched route template
//! (`/a/{slug}`, never the raw path or query), or `unmatched` when no route matched; the
//! method is one of the standard ones or `other`; the status is a number. So the series are at
//! most routes × methods × statuses, whatever clients send.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// The label of requests no route matched (404s of the fallback).
pub const UNMATCHED: &str = "unmatched";

/// Upper bounds of the latency histogram's buckets, in seconds: from a cached page (a few
/// milliseconds) to a slow composition (tens of seconds).
pub const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// A latency histogram: per-bucket counts (not cumulative; summed when written), the sum and
/// the count.
#[derive(Debug, Default, Clone)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        if let Some(i) = BUCKETS.iter().position(|&le| secs <= le) {
            self.buckets[i] += 1;
        }
        self.sum += secs;
        self.count += 1;
    }
}

#[derive(Default)]
struct Requests {
    /// (route, method, status) → requests.
    counts: BTreeMap<(String, &'static str, u16), u64>,
    /// route → latency until the response head.
    latency: BTreeMap<String, Histogram>,
}

/// What the server counts. One per [`AppState`]; cheap to update from every request.
pub struct Metrics {
    started: Instant,
    started_unix: f64,
    requests: Mutex<Requests>,
    composed: AtomicU64,
    reused: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics {
            started: Instant::now(),
            started_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
            requests: Mutex::new(Requests::default()),
            composed: AtomicU64::new(0),
            reused: AtomicU64::new(0),
        }
    }

    /// Counts one answered request.
    pub fn record(&self, route: &str, method: &Method, status: u16, secs: f64) {
        let mut r = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *r.counts
            .entry((route.to_string(), method_label(method), status))
            .or_default() += 1;
        match r.latency.get_mut(route) {
            Some(h) => h.observe(secs),
            None => {
                let mut h = Histogram::default();
                h.observe(secs);
                r.latency.insert(route.to_string(), h);
            }
        }
    }

    /// Counts an ask: `reused` when an existing article answered, else a composed one.
    pub fn answered(&self, reused: bool) {
        let counter = if reused { &self.reused } else { &self.composed };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text, with the index generation read by the caller.
    pub fn render(&self, index_generation: u64) -> String {
        let mut out = String::with_capacity(8 * 1024);
        let (counts, latency) = {
            let r = self.requests.lock().unwrap_or_else(|e| e.into_inner());
            (r.counts.clone(), r.latency.clone())
        };

        out.push_str("# HELP evident_http_requests_total HTTP requests answered, by route template, method and status.\n");
        out.push_str("# TYPE evident_http_requests_total counter\n");
        for ((route, method, status), n) in &counts {
            let route = escape(route);
            let _ = writeln!(
                out,
                "evident_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }

        out.push_str("# HELP evident_http_request_duration_seconds Time until the response head, by route template.\n");
        out.push_str("# TYPE evident_http_request_duration_seconds histogram\n");
        for (route, h) in &latency {
            let route = escape(route);
            let mut cumulative = 0;
            for (le, n) in BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "evident_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "evident_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "evident_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "evident_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }

        out.push_str("# HELP evident_answers_total Questions answered: composed anew, or reused from an existing article.\n");
        out.push_str("# TYPE evident_answers_total counter\n");
        let _ = writeln!(
            out,
            "evident_answers_total{{outcome=\"composed\"}} {}",
            self.composed.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "evident_answers_total{{outcome=\"reused\"}} {}",
            self.reused.load(Ordering::Relaxed)
        );

        out.push_str("# HELP evident_index_generation Opstamp of the index commit served (the same on every server serving it; grows with each commit).\n");
        out.push_str("# TYPE evident_index_generation gauge\n");
        let _ = writeln!(out, "evident_index_generation {index_generation}");

        out.push_str("# HELP evident_uptime_seconds Seconds since the server started.\n");
        out.push_str("# TYPE evident_uptime_seconds gauge\n");
        let _ = writeln!(
            out,
            "evident_uptime_seconds {:.3}",
            self.started.elapsed().as_secs_f64()
        );
        out.push_str("# HELP process_start_time_seconds Start time of the server since the Unix epoch, in seconds.\n");
        out.push_str("# TYPE process_start_time_seconds gauge\n");
        let _ = writeln!(out, "process_start_time_seconds {:.3}", self.started_unix);
        if let Some(rss) = resident_bytes() {
            out.push_str(
                "# HELP process_resident_memory_bytes Resident memory of the process, in bytes.\n",
            );
            out.push_str("# TYPE process_resident_memory_bytes gauge\n");
            let _ = writeln!(out, "process_resident_memory_bytes {rss}");
        }
        out
    }
}

/// The standard methods by name, anything else as `other` (a client may send any token).
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A label value escaped as the format asks (backslash, quote, newline).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// VmRSS from `/proc/self/status` (Linux); `None` elsewhere.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Middleware: counts each request under its route template once its response head is ready.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_string(), |p| p.as_str().to_string());
    let method = req.method().clone();
    let started = Instant::now();
    let response = next.run(req).await;
    metrics.record(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`: the exposition, never cached, never rate-limited.
pub async fn scrape(State(state): State<AppState>) -> Response {
    // The commit's opstamp, not the per-process searcher generation: a fleet's servers on one
    // commit report one number.
    let generation = state.library().commit_opstamp();
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        state.metrics().render(generation),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_end_at_the_count() {
        let m = Metrics::new();
        for secs in [0.001, 0.02, 0.02, 3.0, 500.0] {
            m.record("/a/{slug}", &Method::GET, 200, secs);
        }
        m.record("/a/{slug}", &Method::from_bytes(b"BREW").unwrap(), 405, 0.0);
        let text = m.render(7);
        let bucket = |le: &str| {
            let want = format!(
                "evident_http_request_duration_seconds_bucket{{route=\"/a/{{slug}}\",le=\"{le}\"}} "
            );
            text.lines()
                .find_map(|l| l.strip_prefix(&want))
                .unwrap_or_else(|| panic!("no bucket {le} in\n{text}"))
                .parse::<u64>()
                .unwrap()
        };
        assert_eq!(bucket("0.005"), 2);
        assert_eq!(bucket("0.025"), 4);
        assert_eq!(bucket("5"), 5);
        assert_eq!(bucket("120"), 5);
        assert_eq!(bucket("+Inf"), 6);
        assert!(text.contains(
            "evident_http_requests_total{route=\"/a/{slug}\",method=\"other\",status=\"405\"} 1"
        ));
        assert!(text.contains("evident_index_generation 7\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
