//! The OpenAI-compatible backend against the stand-in server: success both ways, every error,
//! retries, timeouts, the concurrency limit and the API key.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use evident_core::ErrorCode;
use evident_generate::{
    Error, Finish, Generation, Generator, OpenAiCompatible, OpenAiConfig, Request,
};
use serde_json::json;

use crate::standin::{self, Reply, StandIn};

/// A config for `server` that retries fast.
fn config(server: &StandIn) -> OpenAiConfig {
    let mut config = OpenAiConfig::new(&server.base_url, "stand-in-model");
    config.backoff_base = Duration::from_millis(5);
    config.read_timeout = Duration::from_secs(5);
    config.max_retries = 2;
    config
}

fn request() -> Request {
    let mut req = Request::new("Cite every sentence.", "What is the first-line drug?", 32);
    req.stop = vec!["\n\n".into()];
    req
}

/// Runs one generation, collecting the streamed pieces.
fn run(client: &OpenAiCompatible) -> (Result<Generation, Error>, Vec<String>) {
    let mut pieces = Vec::new();
    let result = client.generate(&request(), &mut |p| {
        pieces.push(p.to_string());
        ControlFlow::Continue(())
    });
    (result, pieces)
}

#[test]
fn a_streamed_answer_arrives_piece_by_piece_with_usage() {
    let server = StandIn::start(vec![standin::stream(
        &["Metformin", " is first", "-line [1]."],
        Duration::from_millis(1),
    )]);
    let client = OpenAiCompatible::new(config(&server)).unwrap();
    let (g, pieces) = run(&client);
    let g = g.unwrap();
    assert_eq!(pieces, ["Metformin", " is first", "-line [1]."]);
    assert_eq!(g.text, "Metformin is first-line [1].");
    assert_eq!(g.model, "stand-in-model");
    assert_eq!((g.prompt_tokens, g.completion_tokens), (42, 3));
    assert_eq!(g.finish, Finish::Stop);
    assert!(g.time_to_first_token <= g.elapsed);

    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/chat/completions");
    assert_eq!(seen[0].header("content-type"), Some("application/json"));
    assert_eq!(
        seen[0].header("authorization"),
        None,
        "no key configured, none sent"
    );
    let body = &seen[0].body;
    assert_eq!(body["model"], "stand-in-model");
    assert_eq!(body["stream"], true);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(
        body["messages"][1]["content"],
        "What is the first-line drug?"
    );
    assert_eq!(body["max_tokens"], 32);
    assert_eq!(body["stop"], json!(["\n\n"]));
}

#[test]
fn a_whole_answer_is_read_when_streaming_is_off() {
    let server = StandIn::start(vec![Reply::Json {
        status: 200,
        body: json!({
            "id": "c2", "object": "chat.completion", "model": "served-name",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Yes [2]."},
                         "finish_reason": "length"}],
            "usage": {"prompt_tokens": 20, "completion_tokens": 3, "total_tokens": 23}
        }),
        headers: vec![],
    }]);
    let mut config = config(&server);
    config.stream = false;
    let client = OpenAiCompatible::new(config).unwrap();
    let (g, pieces) = run(&client);
    let g = g.unwrap();
    assert_eq!(pieces, ["Yes [2]."]);
    assert_eq!(g.model, "served-name");
    assert_eq!((g.prompt_tokens, g.completion_tokens), (20, 3));
    assert_eq!(g.finish, Finish::Length);
    assert_eq!(server.seen()[0].body["stream"], false);
    assert!(server.seen()[0].body.get("stream_options").is_none());
}

#[test]
fn the_callback_can_stop_the_stream() {
    let server = StandIn::start(vec![standin::stream(
        &["one", " two", " three", " four"],
        Duration::from_millis(1),
    )]);
    let client = OpenAiCompatible::new(config(&server)).unwrap();
    let mut pieces = Vec::new();
    let g = client
        .generate(&request(), &mut |p| {
            pieces.push(p.to_string());
            if pieces.len() == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!(g.finish, Finish::Cancelled);
    assert_eq!(pieces, ["one", " two"]);
}

#[test]
fn unauthorized_is_not_retried_and_names_the_variable() {
    let server = StandIn::start(vec![
        standin::status(401, "invalid api key"),
        standin::stream(&["never"], Duration::ZERO),
    ]);
    let client = OpenAiCompatible::new(config(&server)).unwrap();
    let e = run(&client).0.unwrap_err();
    assert!(matches!(e, Error::Unauthorized { status: 401, .. }), "{e}");
    assert_eq!(e.code(), "generator_unauthorized");
    assert_eq!(server.seen().len(), 1, "401 is final");
}

#[test]
fn an_unknown_model_is_model_not_found() {
    let server = StandIn::start(vec![standin::status(404, "model 'x' not found")]);
    let client = OpenAiCompatible::new(config(&server)).unwrap();
    let e = run(&client).0.unwrap_err();
    assert!(matches!(e, Error::ModelNotFound { .. }), "{e}");
    assert!(e.to_string().contains("\"stand-in-model\""), "{e}");
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn a_bad_request_carries_the_server_message_and_is_final() {
    let server = StandIn::start(vec![standin::status(
        400,
        "prompt is too long: 9000 tokens",
    )]);
    let client = OpenAiCompatible::new(config(&server)).unwrap();
    let e = run(&client).0.unwrap_err();
    assert!(matches!(e, Error::BadRequest { status: 400, .. }), "{e}");
    assert!(e.to_string().contains("9000 tokens"), "{e}");
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn rate_limiting_is_retried_after_the_servers_wait() {
    let server = StandIn::start(vec![
        Reply::Json {
            status: 429,
            body: json!({"error": {"message": "slow down"}}),
            headers: vec![("Retry-After".into(), "1".into())],
        },
        standin::stream(&["ok"], Duration::ZERO),
    ]);
    let client = OpenAiCompatible::new(config(&server)).unwrap();
    let started = Instant::now();
    let g = run(&client).0.unwrap();
    assert_eq!(g.text, "ok");
    assert_eq!(server.seen().len(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured ({:?})",
        started.elapsed()
    );
}

#[test]
fn a_long_retry_after_gives_up_at_once() {
    let server = StandIn::start(vec![Reply::Json {
        status: 429,
        body: json!({"error": "quota"}),
        headers: vec![("Retry-After".into(), "3600".into())],
    }]);
    let client = OpenAiCompatible::new(config(&server)).unwrap();
    let e = run(&client).0.unwrap_err();
    assert!(
        matches!(
            e,
            Error::RateLimited {
                attempts: 1,
                retry_after_s: Some(3600)
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.kind(), evident_core::ErrorKind::RateLimited);
}

#[test]
fn rate_limiting_that_persists_is_rate_limited() {
    let server = StandIn::start(vec![
        standin::status(429, "busy"),
        standin::status(429, "busy"),
        standin::status(429, "busy"),
    ]);
    let client = OpenAiCompatible::new(config(&server)).unwrap();
    let e = run(&client).0.unwrap_err();
    assert!(matches!(e, Error::RateLimited { attempts: 3, .. }), "{e:?}");
}

#[test]
fn server_errors_are_retried_then_reported() {
    let server = StandIn::start(vec![
        standin::status(500, "CUDA out of memory"),
        standin::status(503, "loading"),
        standin::status(502, "bad gateway"),
        standin::stream(&["too late"], Duration::ZERO),
    ]);
    let client = OpenAiCompatible::new(config(&server)).unwrap();
    let e = run(&client).0.unwrap_err();
    match &e {
        Error::Server {
            status, attempts, ..
        } => assert_eq!((*status, *attempts), (502, 3)),
        other => panic!("expected a server error, got {other:?}"),
    }
    assert!(e.to_string().contains("bad gateway"), "{e}");
    assert_eq!(server.seen().len(), 3, "1 attempt + max_retries (2)");
}

#[test]
fn a_server_error_then_success_succeeds() {
    let server = StandIn::start(vec![
        standin::status(503, "warming up"),
        standin::stream(&["fine"], Duration::ZERO),
    ]);
    let client = OpenAiCompatible::new(config(&server)).unwrap();
    assert_eq!(run(&client).0.unwrap().text, "fine");
}

#[test]
fn a_stream_cut_midway_is_stream_closed() {
    let server = StandIn::start(vec![Reply::Stream {
        events: standin::streamed(&["The dose", " is"], 1),
        delay: Duration::ZERO,
        cut_after: Some(2),
    }]);
    let client = OpenAiCompatible::new(config(&server)).unwrap();
    let (result, pieces) = run(&client);
    let e = result.unwrap_err();
    assert!(matches!(e, Error::StreamClosed { .. }), "{e:?}");
    assert_eq!(pieces, ["The dose"], "what arrived was streamed");
    assert_eq!(server.seen().len(), 1, "a started stream is not retried");
}

#[test]
fn a_malformed_chunk_is_reported_with_the_line() {
    let server = StandIn::start(vec![Reply::Stream {
        events: vec![
            standin::delta("ok"),
            "data: {\"choices\": [{\"delta\": ".into(),
        ],
        delay: Duration::ZERO,
        cut_after: None,
    }]);
    let client = OpenAiCompatible::new(config(&server)).unwrap();
    let e = run(&client).0.unwrap_err();
    match &e {
        Error::MalformedChunk { line, why } => {
            assert!(line.starts_with("data: {\"choices\""), "{line}");
            assert!(why.contains("not JSON"), "{why}");
        }
        other => panic!("expected a malformed chunk, got {other:?}"),
    }
    assert_eq!(e.code(), "generator_malformed_chunk");
}

#[test]
fn a_silent_server_times_out() {
    let server = StandIn::start(vec![Reply::Silent(Duration::from_secs(3))]);
    let mut config = config(&server);
    config.read_timeout = Duration::from_millis(300);
    let client = OpenAiCompatible::new(config).unwrap();
    let started = Instant::now();
    let e = run(&client).0.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.seen().len(), 1, "a timeout is not retried");
}

#[test]
fn a_stream_that_stalls_times_out() {
    let server = StandIn::start(vec![Reply::Stream {
        events: standin::streamed(&["slow", " words"], 1),
        delay: Duration::from_millis(1500),
        cut_after: None,
    }]);
    let mut config = config(&server);
    config.read_timeout = Duration::from_millis(300);
    let client = OpenAiCompatible::new(config).unwrap();
    let e = run(&client).0.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
}

#[test]
fn a_closed_port_is_a_connect_error_after_the_retries() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut config = OpenAiConfig::new(format!("http://127.0.0.1:{port}/v1"), "m");
    config.backoff_base = Duration::from_millis(5);
    config.max_retries = 2;
    let client = OpenAiCompatible::new(config).unwrap();
    let e = run(&client).0.unwrap_err();
    assert!(matches!(e, Error::Connect { attempts: 3, .. }), "{e:?}");
    assert_eq!(e.code(), "generator_unreachable");
}

#[test]
fn the_concurrency_limit_holds_across_threads() {
    let replies = (0..6)
        .map(|_| standin::stream(&["a", "b", "c"], Duration::from_millis(40)))
        .collect();
    let server = StandIn::start(replies);
    let mut config = config(&server);
    config.max_concurrent = 2;
    let client = OpenAiCompatible::new(config).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..6).map(|_| s.spawn(|| run(&client).0)).collect();
        for h in handles {
            assert_eq!(h.join().unwrap().unwrap().text, "abc");
        }
    });
    assert_eq!(server.seen().len(), 6);
    assert_eq!(
        server.most_open(),
        2,
        "never more than max_concurrent connections"
    );
}

const KEY_VAR: &str = "EVIDENT_TEST_GENERATOR_KEY";
const KEY: &str = "sk-evident-test-0123456789abcdef";

/// Runs [`api_key_child`] in a child process with the key in its environment: setting a
/// variable in this multi-threaded test process could race with other tests reading theirs.
#[test]
fn the_api_key_is_sent_as_bearer_and_never_shown() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "openai::api_key_child",
            "--ignored",
            "--nocapture",
        ])
        .env(KEY_VAR, KEY)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the child ran: {stdout}");
    assert!(
        !stdout.contains(KEY) && !stderr.contains(KEY),
        "the key was printed"
    );
}

#[test]
#[ignore = "run by the_api_key_is_sent_as_bearer_and_never_shown with the key set"]
fn api_key_child() {
    assert_eq!(
        std::env::var(KEY_VAR).as_deref(),
        Ok(KEY),
        "run from the parent test"
    );
    let server = StandIn::start(vec![
        standin::stream(&["ok"], Duration::ZERO),
        standin::status(401, "bad key"),
        // A server that echoes the key back in its error message.
        standin::status(400, &format!("key {KEY} is not allowed here")),
    ]);
    let mut config = config(&server);
    config.api_key_env = Some(KEY_VAR.into());
    let client = OpenAiCompatible::new(config).unwrap();
    let shown = format!("{client:?} {:?}", client.config());
    assert!(!shown.contains(KEY), "Debug shows the key: {shown}");
    assert!(shown.contains(KEY_VAR), "Debug names the variable: {shown}");

    assert_eq!(run(&client).0.unwrap().text, "ok");
    let seen = server.seen();
    assert_eq!(
        seen[0].header("authorization"),
        Some(&*format!("Bearer {KEY}"))
    );

    for _ in 0..2 {
        let e = run(&client).0.unwrap_err();
        let text = format!("{e} {e:?}");
        assert!(!text.contains(KEY), "an error shows the key: {text}");
        if let Error::Unauthorized { .. } = e {
            assert!(text.contains(KEY_VAR), "{text}");
        }
    }
    // Printed for the parent to check stdout too.
    println!("{client:?}");
}
