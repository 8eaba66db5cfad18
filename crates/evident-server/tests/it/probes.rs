//! Issue 13, operations: liveness and readiness probes for a load balancer.

use crate::support::{spawn_app, Client};

/// `/healthz` says the process answers; `/readyz` that the index and the store do, with what
/// is loaded. Neither is cached, and neither needs a session or a CSRF token.
#[test]
fn liveness_and_readiness_answer_without_a_session() {
    let app = spawn_app();
    let mut c = Client::new();
    let live = c.get(&app.url("/healthz"));
    assert_eq!(live.status, 200, "{}", live.body);
    assert_eq!(live.body.trim(), "ok");
    assert_eq!(live.header("cache-control"), Some("no-store"));
    let ready = c.get(&app.url("/readyz"));
    assert_eq!(ready.status, 200, "{}", ready.body);
    let v = ready.json();
    assert_eq!(v["status"], "ready");
    assert!(v["sources"].as_u64().unwrap() > 0, "{v}");
    assert!(v["passages"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["store"], "sqlite");
    assert_eq!(ready.header("cache-control"), Some("no-store"));
    // Probes are read-only: anything else is refused, as on every route.
    let r = c.post_form(&app.url("/healthz"), &[]);
    assert_eq!(r.status, 405, "{}", r.body);
}
