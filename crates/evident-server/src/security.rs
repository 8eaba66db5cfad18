//! Cookies, CSRF tokens, security headers, client addresses and the per-client rate limit.
//!
//! CSRF, three checks on every state-changing request (any method but GET, HEAD, OPTIONS):
//! - its `Origin`, when sent, must be this server's own (scheme and host), and its
//!   `Sec-Fetch-Site`, when sent, must not be `cross-site` or `same-site`;
//! - it must not carry two session or two pre-session cookies (a sibling site could have
//!   planted the second, and which one wins would be up to us);
//! - a form's `csrf` field must equal the token bound to the request's session: an HMAC, with
//!   the servers' shared key ([`CsrfKey`]), of the session cookie when signed in, else of a
//!   random pre-session cookie (`evident_csrf`, `HttpOnly`) that the first page sets. A value
//!   another site invents or plants in a cookie does not verify, and signing in rotates the
//!   token (a new session, and a fresh pre-session cookie).
//!
//! Requests with `Authorization: Bearer` (the JSON API's clients) are not cookie-authenticated
//! and skip these checks; other JSON API POSTs need `Content-Type: application/json`, which a
//! browser sends cross-site only after a CORS preflight this server never grants.
//!
//! Cookies are `__Host-` prefixed when they are `Secure` (over HTTPS or behind a TLS proxy), so
//! neither a sibling subdomain nor plain HTTP can set them.
//!
//! The plumbing is maintained crates: `cookie` parses and writes cookies, `hmac` and `sha2`
//! bind the token, `subtle` compares tokens in constant time, `tower-http` sets the headers and
//! `governor` keeps the rate limit.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use cookie::{Cookie, SameSite};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::Quota;
use hmac::{KeyInit, Mac};
use subtle::ConstantTimeEq;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::AppError;
use crate::AppState;

/// The pre-session cookie the signed-out CSRF token is bound to.
pub const CSRF_COOKIE: &str = "evident_csrf";
pub const SESSION_COOKIE: &str = "evident_session";
/// [`CSRF_COOKIE`] when cookies are `Secure`.
pub const HOST_CSRF_COOKIE: &str = "__Host-evident_csrf";
/// [`SESSION_COOKIE`] when cookies are `Secure`.
pub const HOST_SESSION_COOKIE: &str = "__Host-evident_session";
pub const AUDIENCE_COOKIE: &str = "evident_audience";

/// The Content-Security-Policy of every response: no script at all, styles from this origin,
/// forms post only here, no framing.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// A random 256-bit token, hex-encoded.
pub fn random_token() -> String {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).expect("the operating system's random source failed");
    hex(&buf)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every value of cookie `name` the request sent, across every `Cookie` header.
fn cookie_values<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(move |c| c.name() == name)
        .filter_map(|c| c.value_raw())
}

/// The value of cookie `name`, if sent exactly once (two of one name are ambiguous: neither
/// is used, and a state-changing request carrying them is refused).
pub fn cookie<'a>(headers: &'a HeaderMap, name: &'a str) -> Option<&'a str> {
    let mut values = cookie_values(headers, name);
    let first = values.next()?;
    values.next().is_none().then_some(first)
}

/// Whether cookies must be `Secure`: configured, or the request came over TLS through a proxy.
pub fn secure_request(state: &AppState, headers: &HeaderMap) -> bool {
    state.config().secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The session cookie's name for this request: `__Host-` prefixed when cookies are `Secure`.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        HOST_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The pre-session cookie's name for this request.
pub fn csrf_cookie_name(secure: bool) -> &'static str {
    if secure {
        HOST_CSRF_COOKIE
    } else {
        CSRF_COOKIE
    }
}

/// The request's session token, if it sent exactly one session cookie.
pub fn session_token<'a>(state: &AppState, headers: &'a HeaderMap) -> Option<&'a str> {
    cookie(headers, session_cookie_name(secure_request(state, headers)))
}

/// A `Set-Cookie` value for the whole site (`Path=/; SameSite=Lax`, no `Domain`, so a `__Host-`
/// name is valid when `secure`). `max_age`: seconds, `Some(0)` deletes.
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

/// A fresh pre-session cookie (sign-in and sign-out set one, so the token rotates).
pub fn fresh_pre_session_cookie(secure: bool) -> HeaderValue {
    set_cookie(
        csrf_cookie_name(secure),
        &random_token(),
        true,
        secure,
        None,
    )
}

/// The CSRF token of this request: the one its forms must carry back.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// The key CSRF tokens are bound with. Servers that share a store (a fleet behind one address)
/// must share it too, or a form rendered by one fails on the next: `evident serve` takes it
/// from `EVIDENT_SECRET_KEY`, else from [`SECRET_KEY_FILE`] in the data folder, made once
/// (owner-only) by the first server ([`CsrfKey::for_server`]). [`CsrfKey::random`] serves one
/// process alone. Changing the key makes open forms ask for a reload, which is all it costs.
#[derive(Clone)]
pub struct CsrfKey([u8; 32]);

/// The file in the data folder that keeps the servers' shared key: 64 hex digits.
pub const SECRET_KEY_FILE: &str = "secret.key";

/// The shortest `EVIDENT_SECRET_KEY` accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 32;

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey(…)")
    }
}

impl CsrfKey {
    pub fn random() -> CsrfKey {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the operating system's random source failed");
        CsrfKey(key)
    }

    /// The key of a server on `data`: derived from `secret` (the operator's
    /// `EVIDENT_SECRET_KEY`, at least [`MIN_SECRET_LEN`] bytes) when given, else the data
    /// folder's key file, made when absent. Servers started on one folder at the same moment
    /// agree: the file is created whole or not at all.
    pub fn for_server(data: &std::path::Path, secret: Option<&str>) -> std::io::Result<CsrfKey> {
        match secret.filter(|s| !s.is_empty()) {
            Some(s) if s.len() < MIN_SECRET_LEN => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "EVIDENT_SECRET_KEY is {} bytes; use at least {MIN_SECRET_LEN} random ones",
                    s.len()
                ),
            )),
            Some(s) => {
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(s.as_bytes())
                    .expect("HMAC takes keys of any length");
                mac.update(b"evident csrf key\0");
                Ok(CsrfKey(mac.finalize().into_bytes().into()))
            }
            None => CsrfKey::from_file(&data.join(SECRET_KEY_FILE)),
        }
    }

    /// Reads the key file at `path`, or makes it (mode 0600): written whole to a file of its
    /// own, then linked into place, which fails when another process was first — and
    /// then its key is read.
    fn from_file(path: &std::path::Path) -> std::io::Result<CsrfKey> {
        let bad = |why: &str| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {why}; delete it to make a new key", path.display()),
            )
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let text = text.trim();
                if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad("not 64 hex digits"));
                }
                let mut key = [0u8; 32];
                for (i, byte) in key.iter_mut().enumerate() {
                    *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
                        .map_err(|_| bad("not 64 hex digits"))?;
                }
                Ok(CsrfKey(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = CsrfKey::random();
                // A name no other process or thread uses, so no one else writes or removes it.
                let tmp = path.with_extension(format!("{}.tmp", &random_token()[..16]));
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create(true).truncate(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let written = (|| {
                    use std::io::Write as _;
                    let mut file = options.open(&tmp)?;
                    writeln!(file, "{}", hex(&key.0))?;
                    file.sync_all()
                })();
                let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
                let _ = std::fs::remove_file(&tmp);
                match linked {
                    Ok(()) => Ok(key),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        CsrfKey::from_file(path)
                    }
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The token for a session (`signed_in`) or a pre-session cookie value.
    fn token(&self, signed_in: bool, value: &str) -> String {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.0)
            .expect("HMAC takes keys of any length");
        mac.update(if signed_in {
            b"session\0"
        } else {
            b"pre-session\0"
        });
        mac.update(value.as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

fn valid_pre_session(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks a form's `csrf` field against the request's bound token, in constant time.
pub fn check_csrf(expected: Option<&CsrfToken>, field: &str) -> Result<(), AppError> {
    match expected {
        Some(t) if bool::from(t.0.as_bytes().ct_eq(field.as_bytes())) => Ok(()),
        _ => Err(AppError::Csrf),
    }
}

fn safe_method(m: &Method) -> bool {
    matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

fn bearer(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start().len() > 7 && v.trim_start()[..7].eq_ignore_ascii_case("bearer ")
        })
}

/// Why a state-changing request is refused before its handler, if it is: another site's
/// `Origin` or `Sec-Fetch-Site`, or a doubled cookie.
fn cross_site_refusal(req: &Request, secure: bool) -> Option<&'static str> {
    let headers = req.headers();
    let fetch_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if fetch_site.eq_ignore_ascii_case("cross-site") || fetch_site.eq_ignore_ascii_case("same-site")
    {
        return Some("Sec-Fetch-Site says another site sent it");
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| req.uri().authority().map(|a| a.as_str()));
        let scheme = if secure { "https" } else { "http" };
        let own = host.is_some_and(|host| {
            origin
                .to_str()
                .is_ok_and(|o| o.eq_ignore_ascii_case(&format!("{scheme}://{host}")))
        });
        if !own {
            return Some("its Origin is another site");
        }
    }
    for name in [session_cookie_name(secure), csrf_cookie_name(secure)] {
        if cookie_values(headers, name).nth(1).is_some() {
            return Some("it carries two cookies of one name");
        }
    }
    None
}

/// Middleware: refuses cross-site state-changing requests, and gives every request its CSRF
/// token, setting the pre-session cookie when it was missing.
pub async fn csrf_cookie(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let secure = secure_request(&state, req.headers());
    if !safe_method(req.method()) && !bearer(req.headers()) {
        if let Some(why) = cross_site_refusal(&req, secure) {
            tracing::info!(why, "state-changing request refused as cross-site");
            let err = AppError::Csrf;
            return if req.uri().path().starts_with("/api/") {
                err.into_json()
            } else {
                err.into_page()
            };
        }
    }
    let key = state.csrf_key();
    let (token, fresh) = match session_token(&state, req.headers()) {
        Some(session) => (key.token(true, session), None),
        None => {
            match cookie(req.headers(), csrf_cookie_name(secure)).filter(|t| valid_pre_session(t)) {
                Some(pre) => (key.token(false, pre), None),
                None => {
                    let pre = random_token();
                    (key.token(false, &pre), Some(pre))
                }
            }
        }
    };
    req.extensions_mut().insert(CsrfToken(token));
    let mut resp = next.run(req).await;
    // A handler that set a pre-session cookie of its own (sign-in, sign-out) rotates it.
    let handler_set = resp.headers().get_all(header::SET_COOKIE).iter().any(|v| {
        v.as_bytes()
            .starts_with(format!("{}=", csrf_cookie_name(secure)).as_bytes())
    });
    if let (Some(pre), false) = (fresh, handler_set) {
        resp.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(csrf_cookie_name(secure), &pre, true, secure, None),
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

/// Clients the limiter remembers at most. Past it, it forgets those whose allowance has
/// refilled (they lose nothing by it); if more than half are still recent (a flood of
/// addresses), it forgets them all, so the flood cannot take memory without bound, and each
/// pruning is paid for by at least as many new clients as it leaves room for.
const MAX_TRACKED_CLIENTS: usize = 100_000;

type Keyed<C> = governor::RateLimiter<
    IpAddr,
    DashMapStateStore<IpAddr>,
    C,
    NoOpMiddleware<<C as Clock>::Instant>,
>;

/// The per-client limit on questions: `per_minute` a minute with bursts of the same size (a
/// token bucket, as GCRA); 0 means unlimited. An IPv6 client is its /64 network (one host
/// usually holds a whole /64), an IPv4-mapped IPv6 address its IPv4 address.
pub struct RateLimiter<C: Clock = DefaultClock> {
    quota: Option<Quota>,
    clock: C,
    max_clients: usize,
    keyed: Option<std::sync::RwLock<Keyed<C>>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter::with_clock(per_minute, DefaultClock::default(), MAX_TRACKED_CLIENTS)
    }
}

impl<C: Clock + Clone> RateLimiter<C> {
    fn with_clock(per_minute: u32, clock: C, max_clients: usize) -> RateLimiter<C> {
        let quota = std::num::NonZeroU32::new(per_minute).map(Quota::per_minute);
        let keyed = quota.map(|q| {
            std::sync::RwLock::new(governor::RateLimiter::dashmap_with_clock(q, clock.clone()))
        });
        RateLimiter {
            quota,
            clock,
            max_clients: max_clients.max(1),
            keyed,
        }
    }

    /// Clients remembered now.
    pub fn tracked(&self) -> usize {
        self.keyed
            .as_ref()
            .map_or(0, |k| k.read().unwrap_or_else(|e| e.into_inner()).len())
    }

    /// Takes a token for `ip`, or says in how many seconds one will be available.
    pub fn check(&self, ip: IpAddr) -> Result<(), AppError> {
        let (Some(lock), Some(quota)) = (&self.keyed, self.quota) else {
            return Ok(());
        };
        let key = client_key(ip);
        {
            let keyed = lock.read().unwrap_or_else(|e| e.into_inner());
            if keyed.len() < self.max_clients {
                return take(&keyed, key);
            }
        }
        let mut keyed = lock.write().unwrap_or_else(|e| e.into_inner());
        if keyed.len() >= self.max_clients {
            keyed.retain_recent();
            if keyed.len() > self.max_clients / 2 {
                *keyed = governor::RateLimiter::dashmap_with_clock(quota, self.clock.clone());
            }
            keyed.shrink_to_fit();
        }
        take(&keyed, key)
    }
}

fn take<C: Clock>(keyed: &Keyed<C>, key: IpAddr) -> Result<(), AppError> {
    keyed.check_key(&key).map_err(|not_until| {
        let wait = not_until.wait_time_from(keyed.clock().now());
        AppError::RateLimited {
            retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
        }
    })
}

/// The client a limit applies to: an IPv4 address, or an IPv6 /64 network.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(
                u128::from(v6) & !((1u128 << 64) - 1),
            )),
        },
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
        let rl = RateLimiter::with_clock(2, clock.clone(), MAX_TRACKED_CLIENTS);
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
    fn a_flood_of_addresses_cannot_grow_the_limiter_without_bound() {
        let clock = FakeRelativeClock::default();
        // One a minute: every client stays "recent" for the whole flood.
        let rl = RateLimiter::with_clock(1, clock.clone(), 100);
        for n in 0..1_000u32 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + n));
            assert!(rl.check(ip).is_ok(), "a new client has its allowance");
            assert!(rl.tracked() <= 100, "{} clients after {n}", rl.tracked());
        }
        // Clients whose allowance refilled are forgotten first; the recent ones keep theirs.
        let rl = RateLimiter::with_clock(60, clock.clone(), 100);
        for n in 0..99u32 {
            rl.check(IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + n)))
                .unwrap();
        }
        clock.advance(Duration::from_secs(2));
        let hot: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..60 {
            rl.check(hot).unwrap();
        }
        assert!(rl.tracked() <= 100);
        assert!(rl.check(hot).is_err(), "the busy client is still limited");
        assert!(rl.tracked() <= 2, "the refilled ones were forgotten");
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64() {
        let clock = FakeRelativeClock::default();
        let rl = RateLimiter::with_clock(1, clock, MAX_TRACKED_CLIENTS);
        assert!(rl.check("2001:db8::1".parse().unwrap()).is_ok());
        assert!(
            rl.check("2001:db8::ffff:1234".parse().unwrap()).is_err(),
            "another address of the same /64"
        );
        assert!(rl.check("2001:db8:0:1::1".parse().unwrap()).is_ok());
        assert!(rl.check("10.1.1.1".parse().unwrap()).is_ok());
        assert!(
            rl.check("::ffff:10.1.1.1".parse().unwrap()).is_err(),
            "IPv4-mapped is the IPv4 client"
        );
    }

    #[test]
    fn csrf_tokens_are_bound_to_what_they_were_made_for() {
        let key = CsrfKey::random();
        let pre = random_token();
        let t = key.token(false, &pre);
        assert_eq!(t.len(), 64);
        assert_eq!(t, key.token(false, &pre));
        assert_ne!(t, pre, "the token is not the cookie");
        assert_ne!(
            t,
            key.token(true, &pre),
            "a session and a pre-session differ"
        );
        assert_ne!(
            t,
            CsrfKey::random().token(false, &pre),
            "another server's key"
        );
        assert!(check_csrf(Some(&CsrfToken(t.clone())), &t).is_ok());
        assert!(check_csrf(Some(&CsrfToken(t.clone())), &pre).is_err());
        assert!(check_csrf(Some(&CsrfToken(t)), "").is_err());
        assert!(check_csrf(None, "").is_err());
    }

    #[test]
    fn servers_on_one_data_folder_share_one_csrf_key() {
        let dir = tempfile::tempdir().unwrap();
        let pre = random_token();
        let a = CsrfKey::for_server(dir.path(), None).unwrap();
        let b = CsrfKey::for_server(dir.path(), None).unwrap();
        assert_eq!(
            a.token(false, &pre),
            b.token(false, &pre),
            "the second reads the file"
        );
        let file = dir.path().join(SECRET_KEY_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the key file is the owner's only");
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
        // Started at the same moment on a new folder, servers still agree.
        let fresh = tempfile::tempdir().unwrap();
        let tokens: Vec<String> = std::thread::scope(|scope| {
            let racers: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| CsrfKey::for_server(fresh.path(), None).unwrap()))
                .collect();
            racers
                .into_iter()
                .map(|r| r.join().unwrap().token(false, &pre))
                .collect()
        });
        assert!(tokens.windows(2).all(|w| w[0] == w[1]), "{tokens:?}");

        // An operator's secret wins over the file, and is the same key on every server.
        let secret = "an operator's secret of at least 32 bytes";
        let s1 = CsrfKey::for_server(dir.path(), Some(secret)).unwrap();
        let s2 = CsrfKey::for_server(fresh.path(), Some(secret)).unwrap();
        assert_eq!(s1.token(true, &pre), s2.token(true, &pre));
        assert_ne!(s1.token(true, &pre), a.token(true, &pre));
        let short = CsrfKey::for_server(dir.path(), Some("short")).unwrap_err();
        assert!(short.to_string().contains("at least 32"), "{short}");
        std::fs::write(&file, "not a key\n").unwrap();
        let broken = CsrfKey::for_server(dir.path(), None).unwrap_err();
        assert!(broken.to_string().contains("secret.key"), "{broken}");
        assert_eq!(format!("{a:?}"), "CsrfKey(…)", "the key is never logged");
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
        h.append(header::COOKIE, HeaderValue::from_static("a=2"));
        assert_eq!(cookie(&h, "a"), None, "two of one name are ambiguous");
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
