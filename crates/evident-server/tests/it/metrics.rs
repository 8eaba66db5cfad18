//! Issue 13, operations: Prometheus metrics at `/metrics`, scraped after real requests.

use std::collections::BTreeMap;

use serde_json::json;

use evident_server::AppConfig;

use crate::support::{spawn_app_with, Client, NAM};

/// One sample line: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the text exposition format (the subset the server writes: no timestamps, label
/// values without escaped quotes). Panics on a line that is not a comment or a sample.
fn parse(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
        let (name, labels) = match series.split_once('{') {
            None => (series.to_string(), BTreeMap::new()),
            Some((name, rest)) => {
                let rest = rest
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("unclosed labels: {line}"));
                let labels = rest
                    .split("\",")
                    .map(|pair| {
                        let (k, v) = pair
                            .split_once("=\"")
                            .unwrap_or_else(|| panic!("bad label in {line}"));
                        (k.to_string(), v.trim_end_matches('"').to_string())
                    })
                    .collect();
                (name.to_string(), labels)
            }
        };
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name in {line}"
        );
        out.push(Sample {
            name,
            labels,
            value,
        });
    }
    out
}

/// The value of the one sample `name` whose labels include every pair of `labels` (0 if none).
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect();
    assert!(found.len() <= 1, "{name} {labels:?} matches {found:?}");
    found.first().map_or(0.0, |s| s.value)
}

#[test]
fn metrics_count_requests_by_route_answers_and_latency() {
    // Two questions a minute: the third is refused, and scraping goes on regardless.
    let app = spawn_app_with(
        AppConfig {
            ask_rate_per_minute: 2,
            ask_progress_after: std::time::Duration::from_secs(120),
            ..AppConfig::default()
        },
        &[],
    );
    let mut c = Client::new();
    let r = c.post_json(&app.url("/api/v1/ask"), &json!({"question": NAM}));
    assert_eq!(r.status, 201, "{}", r.body);
    let slug = r.json()["slug"].as_str().unwrap().to_string();
    let r = c.post_json(&app.url("/api/v1/ask"), &json!({"question": NAM}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["reused"], true);
    let r = c.post_json(&app.url("/api/v1/ask"), &json!({"question": NAM}));
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(c.get(&app.url(&format!("/a/{slug}"))).status, 200);
    for n in 0..5 {
        let r = c.get(&app.url(&format!("/a/no-such-article-{n}?q=secret-{n}")));
        assert_eq!(r.status, 404);
    }
    for n in 0..3 {
        assert_eq!(c.get(&app.url(&format!("/nowhere/{n}"))).status, 404);
    }

    let scraped = c.get(&app.url("/metrics"));
    assert_eq!(scraped.status, 200, "{}", scraped.body);
    assert!(
        scraped
            .header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
        "{:?}",
        scraped.header("content-type")
    );
    assert_eq!(scraped.header("cache-control"), Some("no-store"));
    let text = &scraped.body;
    let s = parse(text);

    let requests = "evident_http_requests_total";
    let ask = [("route", "/api/v1/ask"), ("method", "POST")];
    assert_eq!(
        value(&s, requests, &[ask[0], ask[1], ("status", "201")]),
        1.0
    );
    assert_eq!(
        value(&s, requests, &[ask[0], ask[1], ("status", "200")]),
        1.0
    );
    assert_eq!(
        value(&s, requests, &[ask[0], ask[1], ("status", "429")]),
        1.0
    );
    let article = [("route", "/a/{slug}"), ("method", "GET")];
    assert_eq!(
        value(&s, requests, &[article[0], article[1], ("status", "200")]),
        1.0
    );
    // Five raw paths, one series: labels are route templates, never paths or queries.
    assert_eq!(
        value(&s, requests, &[article[0], article[1], ("status", "404")]),
        5.0
    );
    assert_eq!(
        value(&s, requests, &[("route", "unmatched"), ("status", "404")]),
        3.0
    );
    for leaked in ["no-such-article", "secret", "nowhere"] {
        assert!(!text.contains(leaked), "{leaked} in the metrics:\n{text}");
    }

    assert_eq!(
        value(&s, "evident_answers_total", &[("outcome", "composed")]),
        1.0
    );
    assert_eq!(
        value(&s, "evident_answers_total", &[("outcome", "reused")]),
        1.0
    );
    // The commit served, as any other process on the folder names it (a searcher generation
    // would be this process's count of reloads instead).
    let other = evident_index::Library::open(&app.dir.path().join("index")).unwrap();
    assert!(other.commit_opstamp() > 0);
    assert_eq!(
        value(&s, "evident_index_generation", &[]),
        other.commit_opstamp() as f64,
        "{text}"
    );
    assert!(value(&s, "evident_uptime_seconds", &[]) > 0.0);

    // The histogram of every route: cumulative buckets ending at +Inf == _count, and as many
    // observations as requests counted for that route.
    let routes: std::collections::BTreeSet<&str> = s
        .iter()
        .filter(|x| x.name == requests)
        .map(|x| x.labels["route"].as_str())
        .collect();
    assert!(routes.len() >= 3, "{routes:?}");
    for route in routes {
        let buckets: Vec<&Sample> = s
            .iter()
            .filter(|x| {
                x.name == "evident_http_request_duration_seconds_bucket"
                    && x.labels["route"] == route
            })
            .collect();
        assert!(buckets.len() > 2, "{route}: {buckets:?}");
        for pair in buckets.windows(2) {
            assert!(pair[0].value <= pair[1].value, "{route}: {pair:?}");
            if pair[1].labels["le"] != "+Inf" {
                let (a, b): (f64, f64) = (
                    pair[0].labels["le"].parse().unwrap(),
                    pair[1].labels["le"].parse().unwrap(),
                );
                assert!(a < b, "{route}: bounds in order");
            }
        }
        let last = buckets.last().unwrap();
        assert_eq!(last.labels["le"], "+Inf", "{route}");
        let count = value(
            &s,
            "evident_http_request_duration_seconds_count",
            &[("route", route)],
        );
        assert_eq!(last.value, count, "{route}: +Inf == _count");
        let counted: f64 = s
            .iter()
            .filter(|x| x.name == requests && x.labels["route"] == route)
            .map(|x| x.value)
            .sum();
        assert_eq!(count, counted, "{route}: one observation per request");
        let sum = value(
            &s,
            "evident_http_request_duration_seconds_sum",
            &[("route", route)],
        );
        assert!(sum >= 0.0, "{route}");
    }
    let ask_secs = value(
        &s,
        "evident_http_request_duration_seconds_sum",
        &[("route", "/api/v1/ask")],
    );
    assert!(ask_secs > 0.0, "composing took some time");

    // The scrape itself is counted under its route, and scraping is never rate-limited.
    for _ in 0..40 {
        assert_eq!(c.get(&app.url("/metrics")).status, 200);
    }
    let s = parse(&c.get(&app.url("/metrics")).body);
    assert_eq!(
        value(
            &s,
            requests,
            &[("route", "/metrics"), ("method", "GET"), ("status", "200")]
        ),
        41.0
    );
}
