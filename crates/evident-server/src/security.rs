//! Cookies, CSRF tokens, security headers, client addresses and the per-client rate limit.
//!
//! CSRF: double-submit. Every page response that lacks the `evident_csrf` cookie sets one (a
//! random token, `SameSite=Lax; HttpOnly`), and every form that changes state carries the same
//! token in a hidden `csrf` field; a POST whose field does not equal its cookie is refused
//! with 403. A cross-site page can make the browser send the cookie but cannot read it, so it
//! cannot fill in the field. JSON API POSTs need `Content-Type: application/json`, which a
//! browser sends cross-site only after a CORS preflight this server never grants.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

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

/// The value of cookie `name`, if sent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// Whether cookies must be `Secure`: configured, or the request came over TLS through a proxy.
pub fn secure_request(state: &AppState, headers: &HeaderMap) -> bool {
    state.config().secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value. `max_age`: seconds, `Some(0)` deletes.
pub fn set_cookie(
    name: &str,
    value: &str,
    http_only: bool,
    secure: bool,
    max_age: Option<u64>,
) -> HeaderValue {
    let mut s = format!("{name}={value}; Path=/; SameSite=Lax");
    if http_only {
        s.push_str("; HttpOnly");
    }
    if secure {
        s.push_str("; Secure");
    }
    if let Some(age) = max_age {
        s.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&s).expect("cookie values are token characters")
}

/// The CSRF token of this request: the cookie's, or a fresh one the middleware will set.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn valid_token(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Constant-time equality of two tokens.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Checks a form's `csrf` field against the request's cookie.
pub fn check_csrf(headers: &HeaderMap, field: &str) -> Result<(), AppError> {
    match cookie(headers, CSRF_COOKIE) {
        Some(c) if valid_token(c) && same(c, field) => Ok(()),
        _ => Err(AppError::Csrf),
    }
}

/// Middleware: gives every request a CSRF token (setting the cookie when it was missing) and
/// every response the security headers.
pub async fn security_layer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let existing = cookie(req.headers(), CSRF_COOKIE)
        .filter(|t| valid_token(t))
        .map(str::to_string);
    let fresh = existing.is_none();
    let token = existing.unwrap_or_else(random_token);
    let secure = secure_request(&state, req.headers());
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if fresh {
        h.append(
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, &token, true, secure, None),
        );
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
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

/// Token buckets keyed by client address: `per_minute` requests a minute with bursts of the
/// same size; 0 means unlimited.
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `ip`, or says in how many seconds one will be available.
    pub fn check(&self, ip: IpAddr) -> Result<(), AppError> {
        self.check_at(ip, Instant::now())
    }

    fn check_at(&self, ip: IpAddr, now: Instant) -> Result<(), AppError> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_sec = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > 100_000 {
            // Forget clients whose bucket has refilled: they lose nothing.
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * per_sec < capacity
            });
        }
        let (tokens, at) = buckets.entry(ip).or_insert((capacity, now));
        *tokens =
            (*tokens + now.saturating_duration_since(*at).as_secs_f64() * per_sec).min(capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let retry_after = ((1.0 - *tokens) / per_sec).ceil().max(1.0) as u64;
            Err(AppError::RateLimited { retry_after })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_refills_over_time() {
        let rl = RateLimiter::new(2);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let t0 = Instant::now();
        assert!(rl.check_at(ip, t0).is_ok());
        assert!(rl.check_at(ip, t0).is_ok());
        match rl.check_at(ip, t0) {
            Err(AppError::RateLimited { retry_after }) => assert_eq!(retry_after, 30),
            other => panic!("{other:?}"),
        }
        // Another client is not affected.
        assert!(rl.check_at("10.0.0.2".parse().unwrap(), t0).is_ok());
        assert!(rl.check_at(ip, t0 + Duration::from_secs(31)).is_ok());
        assert!(RateLimiter::new(0).check_at(ip, t0).is_ok());
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
}
