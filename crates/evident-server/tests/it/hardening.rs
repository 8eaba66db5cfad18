//! Issue 13, findings 3, 6 and 8 over HTTP: sign-in slowed per client with `Retry-After`, CSRF
//! tokens bound to the session and cross-site requests refused, slow clients timed out.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use evident_core::Role;
use evident_server::AppConfig;

use crate::review::{sign_in, PASSWORD};
use crate::support::{csrf_field, spawn_app, spawn_app_with, Client, NAM};

fn failed_sign_in(
    c: &mut Client,
    app: &crate::support::TestApp,
    password: &str,
) -> crate::support::Resp {
    let csrf = c.csrf();
    c.post_form(
        &app.url("/login"),
        &[
            ("username", "rita"),
            ("password", password),
            ("csrf", &csrf),
        ],
    )
}

/// Finding 3: after 5 wrong passwords the right one got 429 from everywhere for 15 minutes,
/// with no `Retry-After`.
#[test]
fn wrong_passwords_slow_that_client_only_and_say_how_long() {
    let app = spawn_app_with(
        AppConfig {
            trust_proxy: true,
            ask_rate_per_minute: 0,
            ..AppConfig::default()
        },
        &[],
    );
    app.store
        .create_user(None, "rita", "Rita", PASSWORD, Role::Reviewer)
        .unwrap();
    let mut attacker = Client::new();
    attacker.headers = vec![("X-Forwarded-For".into(), "198.51.100.9".into())];
    attacker.get(&app.url("/login"));
    let mut last = None;
    for _ in 0..6 {
        last = Some(failed_sign_in(&mut attacker, &app, "guess"));
    }
    let r = last.unwrap();
    assert_eq!(r.status, 429, "{}", r.body);
    let wait: u64 = r
        .header("retry-after")
        .expect("a 429 says when to try again")
        .parse()
        .unwrap();
    assert!(wait >= 1, "{wait}");
    // The reviewer, elsewhere, signs in.
    let (_, r) = sign_in(&app, "rita", &[("X-Forwarded-For", "203.0.113.20")]);
    assert_eq!(r.status, 303, "{}", r.body);
}

/// Finding 6: any 64-hex value passed when cookie and field matched.
#[test]
fn csrf_tokens_are_bound_to_the_session_not_to_any_matching_cookie() {
    let app = spawn_app();
    app.store
        .create_user(None, "rita", "Rita", PASSWORD, Role::Reviewer)
        .unwrap();
    // An attacker's own value, planted as the cookie and sent as the field.
    let planted = "ab".repeat(32);
    let mut c = Client::new();
    c.cookies.insert("evident_csrf".into(), planted.clone());
    let r = c.post_form(
        &app.url("/login"),
        &[
            ("username", "rita"),
            ("password", PASSWORD),
            ("csrf", &planted),
        ],
    );
    assert_eq!(r.status, 403, "a planted cookie and field pass: {}", r.body);
    // The token rotates at sign-in: the signed-out one no longer passes afterwards.
    let mut c = Client::new();
    c.get(&app.url("/login"));
    let before = c.csrf();
    let r = c.post_form(
        &app.url("/login"),
        &[
            ("username", "rita"),
            ("password", PASSWORD),
            ("csrf", &before),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let after = c.csrf();
    assert_ne!(before, after, "the token did not rotate at sign-in");
    assert_eq!(
        c.post_form(&app.url("/logout"), &[("csrf", &before)])
            .status,
        403
    );
    // Another session's token does not pass either.
    let (mut other, _) = sign_in(&app, "rita", &[]);
    let theirs = other.csrf();
    assert_ne!(theirs, after);
    assert_eq!(
        c.post_form(&app.url("/logout"), &[("csrf", &theirs)])
            .status,
        403
    );
    assert_eq!(
        c.post_form(&app.url("/logout"), &[("csrf", &after)]).status,
        303
    );
}

/// Finding 6: a valid token passed even with `Origin: http://evil.example` or
/// `Sec-Fetch-Site: cross-site`, and with two CSRF cookies the first won.
#[test]
fn cross_site_requests_and_doubled_cookies_are_refused() {
    let app = spawn_app();
    let mut c = Client::new();
    let page = c.get(&app.url("/")).body;
    let token = csrf_field(&page).unwrap();
    let form = format!("question={}&csrf={token}", crate::support::enc("x"));
    let post = |c: &mut Client, headers: &[(&str, &str)]| {
        c.post_raw(
            &app.url("/ask"),
            "application/x-www-form-urlencoded",
            &form,
            headers,
        )
    };
    for headers in [
        &[("Origin", "http://evil.example")][..],
        &[("Origin", "null")],
        &[("Sec-Fetch-Site", "cross-site")],
        &[("Sec-Fetch-Site", "same-site")],
    ] {
        let r = post(&mut c, headers);
        assert_eq!(r.status, 403, "{headers:?}: {}", r.body);
        assert!(r.body.contains("csrf_failed"), "{}", r.body);
    }
    // Two CSRF cookies: refused, whichever comes first.
    let own = c.cookies["evident_csrf"].clone();
    let doubled = format!("evident_csrf={own}; evident_csrf={}", "cd".repeat(32));
    let r = c.post_raw(
        &app.url("/ask"),
        "application/x-www-form-urlencoded",
        &form,
        &[("Cookie", &doubled)],
    );
    assert_eq!(r.status, 403, "two CSRF cookies: {}", r.body);
    // The same form from this site goes through (an answer is composed: 303 to it).
    let origin = format!("http://{}", app.addr);
    let r = post(
        &mut c,
        &[("Origin", &origin), ("Sec-Fetch-Site", "same-origin")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    // The JSON API with a bearer token needs no CSRF token, whatever the Origin.
    let user = app
        .store
        .create_user(None, "ed", "Ed", PASSWORD, Role::Editor)
        .unwrap();
    let bearer = format!("Bearer {}", app.store.create_api_token(&user, "t").unwrap());
    let r = Client::new().post_raw(
        &app.url("/api/v1/ask"),
        "application/json",
        &serde_json::json!({ "question": NAM }).to_string(),
        &[
            ("Authorization", &bearer),
            ("Origin", "http://evil.example"),
        ],
    );
    assert!(
        r.status == 201 || r.status == 200,
        "{}: {}",
        r.status,
        r.body
    );
}

/// Finding 8: 50 connections sending a byte at a time stayed open 40 s.
#[test]
fn a_client_that_sends_its_request_slowly_is_cut_off() {
    let app = spawn_app_with(
        AppConfig {
            header_read_timeout: Duration::from_millis(800),
            ..AppConfig::default()
        },
        &[],
    );
    let mut tcp = std::net::TcpStream::connect(app.addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let started = Instant::now();
    let request = b"GET / HTTP/1.1\r\nHost: x\r\n";
    let mut closed = false;
    for i in 0..100 {
        // The request line and a header that never ends.
        let b = request.get(i).copied().unwrap_or(b'a');
        if tcp.write_all(&[b]).is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 512];
        match tcp.read(&mut buf) {
            Ok(0) | Ok(_) => {
                closed = true;
                break;
            }
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let took = started.elapsed();
    assert!(closed, "the slow client was never cut off ({took:?})");
    assert!(took < Duration::from_secs(5), "cut off only after {took:?}");
}

/// Finding 8, the idle half: a connection that opens and sends nothing, and a keep-alive
/// connection left idle after its response, are both closed at the header timeout instead of
/// holding a slot of the connection cap for ever.
#[test]
fn idle_connections_are_closed() {
    let app = spawn_app_with(
        AppConfig {
            header_read_timeout: Duration::from_millis(800),
            ..AppConfig::default()
        },
        &[],
    );
    // Reads until the server closes the connection (or 5 s pass); returns how long it took.
    let closed_after = |tcp: &mut std::net::TcpStream| {
        tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let started = Instant::now();
        let mut buf = [0u8; 4096];
        loop {
            match tcp.read(&mut buf) {
                Ok(0) => return Some(started.elapsed()),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    return Some(started.elapsed())
                }
                Err(_) => return None,
            }
        }
    };

    let mut silent = std::net::TcpStream::connect(app.addr).unwrap();
    let took = closed_after(&mut silent);
    assert!(
        took.is_some_and(|t| t < Duration::from_secs(4)),
        "a connection that sent nothing stayed open ({took:?})"
    );

    let mut idle = std::net::TcpStream::connect(app.addr).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut head = [0u8; 12];
    idle.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200", "the request itself is answered");
    let took = closed_after(&mut idle);
    assert!(
        took.is_some_and(|t| t < Duration::from_secs(4)),
        "an idle keep-alive connection stayed open ({took:?})"
    );
}
