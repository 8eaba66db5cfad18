//! `evident serve` as a process: clients that hang up mid-page must not take the server down.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An address on a port the kernel had free a moment ago: a child process cannot be handed
/// our listener, so it binds the port itself.
pub(crate) fn free_addr() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

/// `evident serve` on `addr` with its own data folder, no ask limit, and none of the caller's
/// data, store or model settings.
fn serve_command(data: &std::path::Path, addr: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_evident"));
    c.arg("--data")
        .arg(data)
        .args(["serve", "--addr", addr, "--ask-rate", "0"])
        .env_remove("EVIDENT_DATA")
        .env_remove("EVIDENT_DATABASE_URL")
        .env("EVIDENT_MODEL_DIR", "/nonexistent/evident-test-model");
    c
}

/// Waits until the server answers (indexing the starter library comes first).
fn wait_until_serving(addr: &str) {
    let started = Instant::now();
    while request(addr, "GET /about HTTP/1.1", "").is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends one raw HTTP/1.1 request and reads the whole response.
fn request(addr: &str, head: &str, body: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "{head}\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

#[test]
fn a_client_that_hangs_up_mid_page_does_not_stop_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let mut server = Server(
        serve_command(&tmp.path().join("data"), &addr)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until_serving(&addr);
    let asked = request(
        &addr,
        "POST /api/v1/ask HTTP/1.1\r\nContent-Type: application/json",
        r#"{"question":"What is the treatment for gout?"}"#,
    )
    .unwrap();
    let slug = asked
        .split("\"slug\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no slug in {asked}"))
        .to_string();

    // Clients that ask for pages and hang up at once, or after the first bytes: the kernel
    // answers the server's next write with a reset, and the one after with EPIPE (SIGPIPE).
    for i in 0..60 {
        let mut s = TcpStream::connect(&addr).unwrap();
        for _ in 0..3 {
            write!(s, "GET /a/{slug} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
        }
        if i % 2 == 1 {
            let mut first = [0u8; 64];
            let _ = s.read(&mut first);
        }
        drop(s);
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        server.0.try_wait().unwrap().is_none(),
        "the server exited: {:?}",
        server.0.try_wait()
    );
    let page = request(&addr, &format!("GET /a/{slug} HTTP/1.1"), "").unwrap();
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
}

/// SIGTERM stops `evident serve` gracefully: it refuses new connections at once, lets the
/// request in flight finish with a whole response, and then exits 0 saying so. The request in
/// flight is one whose body is still arriving when the signal comes.
#[cfg(unix)]
#[test]
fn sigterm_lets_the_request_in_flight_finish_then_exits_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let mut server = Server(
        serve_command(&tmp.path().join("data"), &addr)
            .args(["--drain-timeout", "60", "--log-level", "info"])
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // Drain stderr as it comes (a full pipe would block the server's logging).
    let mut stderr = server.0.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    wait_until_serving(&addr);

    // The head and half the body, then the signal.
    let body = r#"{"question":"What is the treatment for gout?"}"#;
    let (first, rest) = body.split_at(body.len() / 2);
    let mut in_flight = TcpStream::connect(&addr).unwrap();
    in_flight
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        in_flight,
        "POST /api/v1/ask HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    in_flight.flush().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let pid = libc::pid_t::try_from(server.0.id()).unwrap();
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);

    // New connections are refused while the request is still in flight.
    let signalled = Instant::now();
    while TcpStream::connect(&addr).is_ok() {
        assert!(
            signalled.elapsed() < Duration::from_secs(10),
            "still accepting connections after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        server.0.try_wait().unwrap().is_none(),
        "the server exited before its request in flight finished"
    );

    // The rest of the body: the request completes with a whole response.
    in_flight.write_all(rest.as_bytes()).unwrap();
    let mut response = String::new();
    in_flight.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    let (_, json) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no body in {response}"));
    let answered: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("not whole JSON ({e}): {json}"));
    assert!(answered["slug"].is_string(), "{answered}");

    // Then the process exits, successfully.
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(60),
            "the server did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = log.join().unwrap();
    assert!(status.success(), "exit status {status:?}\n{log}");
    assert!(log.contains("shutting down"), "{log}");
    assert!(log.contains("every in-flight request finished"), "{log}");
}
