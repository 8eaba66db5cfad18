//! Cookies, CSRF tokens, security headers, client addresses and the per-client rate limit.
//!
//! CSRF: double-submit. Every page response that lacks the `evident_csrf` cookie sets one (a
//! random token, `SameSite=Lax; HttpOnly`), and every form that changes state carries the same
//! token in a hidden `csrf` field; a POST whose field does not equal its cookie is refused
//! with 403. A cross-site page can make the browser send the cookie but cannot read it, so it
//! cannot fill in the field. JSON API POSTs need `Content-Type: application/json`, which a
//! browser sends cross-site only after a CORS preflight this server never grants.
//!
//! The plumbing is maintained crates: `cookie` parses and writes cookies, `subtle` compares
//! tokens in constant time, `tower-http` sets the headers and `governor` keeps the rate limit.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use cookie::{Cookie, SameSite};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::Quota;
use subtle::ConstantTimeEq;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::AppError;
use crate::AppState;

pub const CSRF_COOKIE: &str = "evident_csrf";
pub const SESSION_COOKIE: &str = "evident_session";
pub const AUDIENCE_COOKIE: &str = "evident_audience";

/// The Content-Security-Policy of every response: no script at all, styles from this origin,
/// forms post only here, no framing.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// A random 256-bit token, hex-encoded.
pub fn random_token() -> String {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).expect("the operating system's random source failed");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// The value of cookie `name`, if sent (the first one, across every `Cookie` header).
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .and_then(|c| c.value_raw())
}

/// Whether cookies must be `Secure`: configured, or the request came over TLS through a proxy.
pub fn secure_request(state: &AppState, headers: &HeaderMap) -> bool {
    state.config().secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value for the whole site (`Path=/; SameSite=Lax`). `max_age`: seconds,
/// `Some(0)` deletes.
pub fn set_cookie(
    name: &str,
    value: &str,
    http_only: bool,
    secure: bool,
    max_age: Option<u64>,
) -> HeaderValue {
    let mut c = Cookie::build((name, value))
        .path("/")
        .same_site(SameSite::Lax)
        .http_only(http_only)
        .secure(secure);
    if let Some(age) = max_age {
        let secs = i64::try_from(age).unwrap_or(i64::MAX);
        c = c.max_age(time::Duration::seconds(secs));
    }
    HeaderValue::from_str(&c.build().to_string()).expect("cookie values are token characters")
}

/// The CSRF token of this request: the cookie's, or a fresh one the middleware will set.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn valid_token(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks a form's `csrf` field against the request's cookie, in constant time.
pub fn check_csrf(headers: &HeaderMap, field: &str) -> Result<(), AppError> {
    match cookie(headers, CSRF_COOKIE) {
        Some(c) if valid_token(c) && bool::from(c.as_bytes().ct_eq(field.as_bytes())) => Ok(()),
        _ => Err(AppError::Csrf),
    }
}

/// Middleware: gives every request a CSRF token, setting the cookie when it was missing.
pub async fn csrf_cookie(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), CSRF_COOKIE)
        .filter(|t| valid_token(t))
        .map(str::to_string);
    let fresh = existing.is_none();
    let token = existing.unwrap_or_else(random_token);
    let secure = secure_request(&state, req.headers());
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut resp = next.run(req).await;
    if fresh {
        resp.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, &token, true, secure, None),
        );
    }
    resp
}

/// The headers every response carries, whatever a handler set.
const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CSP),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
];

/// Adds the security headers to every response of `router`, and `Cache-Control: no-store`
/// to those that say nothing about caching (pages are personal: audience, CSRF token).
pub fn security_headers<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ));
    SECURITY_HEADERS
        .into_iter()
        .fold(router, |router, (name, value)| {
            router.layer(SetResponseHeaderLayer::overriding(
                name,
                HeaderValue::from_static(value),
            ))
        })
}

/// The client's address: the first `X-Forwarded-For` hop when the server trusts a proxy, else
/// the peer address.
pub fn client_ip(
    state: &AppState,
    req_headers: &HeaderMap,
    peer: Option<&ConnectInfo<SocketAddr>>,
) -> IpAddr {
    if state.config().trust_proxy {
        if let Some(ip) = req_headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
        {
            return ip;
        }
    }
    peer.map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// Clients remembered before the limiter forgets those whose allowance has refilled (they
/// lose nothing by it): bounds the memory a flood of addresses can take.
const MAX_TRACKED_CLIENTS: usize = 100_000;

type Keyed<C> = governor::RateLimiter<
    IpAddr,
    DashMapStateStore<IpAddr>,
    C,
    NoOpMiddleware<<C as Clock>::Instant>,
>;

/// The per-client limit on questions: `per_minute` a minute with bursts of the same size (a
/// token bucket, as GCRA); 0 means unlimited.
pub struct RateLimiter<C: Clock = DefaultClock> {
    keyed: Option<Keyed<C>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter::with_clock(per_minute, DefaultClock::default())
    }
}

impl<C: Clock> RateLimiter<C> {
    fn with_clock(per_minute: u32, clock: C) -> RateLimiter<C> {
        let keyed = std::num::NonZeroU32::new(per_minute)
            .map(|n| governor::RateLimiter::dashmap_with_clock(Quota::per_minute(n), clock));
        RateLimiter { keyed }
    }

    /// Takes a token for `ip`, or says in how many seconds one will be available.
    pub fn check(&self, ip: IpAddr) -> Result<(), AppError> {
        let Some(keyed) = &self.keyed else {
            return Ok(());
        };
        if keyed.len() > MAX_TRACKED_CLIENTS {
            keyed.retain_recent();
            keyed.shrink_to_fit();
        }
        keyed.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(keyed.clock().now());
            AppError::RateLimited {
                retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use std::time::Duration;

    #[test]
    fn bucket_refills_over_time() {
        let clock = FakeRelativeClock::default();
        let rl = RateLimiter::with_clock(2, clock.clone());
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(rl.check(ip).is_ok());
        assert!(rl.check(ip).is_ok());
        match rl.check(ip) {
            Err(AppError::RateLimited { retry_after }) => assert_eq!(retry_after, 30),
            other => panic!("{other:?}"),
        }
        // Another client is not affected.
        assert!(rl.check("10.0.0.2".parse().unwrap()).is_ok());
        clock.advance(Duration::from_secs(31));
        assert!(rl.check(ip).is_ok());
        assert!(RateLimiter::new(0).check(ip).is_ok());
    }

    #[test]
    fn csrf_needs_the_matching_cookie() {
        let t = random_token();
        let mut h = HeaderMap::new();
        assert!(check_csrf(&h, &t).is_err());
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; {CSRF_COOKIE}={t}")).unwrap(),
        );
        assert!(check_csrf(&h, &t).is_ok());
        assert!(check_csrf(&h, &random_token()).is_err());
        assert!(check_csrf(&h, "").is_err());
    }

    #[test]
    fn cookies_are_found_by_name_across_headers() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; b = 2"));
        h.append(header::COOKIE, HeaderValue::from_static("broken; c=3"));
        assert_eq!(cookie(&h, "a"), Some("1"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "c"), Some("3"));
        assert_eq!(cookie(&h, "d"), None);
    }

    #[test]
    fn set_cookie_keeps_the_site_attributes() {
        let v = set_cookie(SESSION_COOKIE, "t0k", true, true, Some(0));
        let v = v.to_str().unwrap();
        assert!(v.starts_with("evident_session=t0k"), "{v}");
        for attr in ["Path=/", "SameSite=Lax", "HttpOnly", "Secure", "Max-Age=0"] {
            assert!(v.contains(attr), "{attr} missing from {v}");
        }
        let v = set_cookie(AUDIENCE_COOKIE, "patient", false, false, None);
        assert_eq!(
            v.to_str().unwrap(),
            "evident_audience=patient; SameSite=Lax; Path=/"
        );
    }
}
