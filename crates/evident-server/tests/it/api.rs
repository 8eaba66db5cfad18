//! The JSON API: success, every error code with its JSON body, limits, and the OpenAPI
//! document.

use evident_server::AppConfig;
use serde_json::{json, Value};

use crate::support::{spawn_app, spawn_app_with, Client, NAM};

fn assert_error(resp: &crate::support::Resp, status: u16, code: &str) {
    assert_eq!(resp.status, status, "{}", resp.body);
    assert!(
        resp.header("content-type")
            .unwrap_or("")
            .starts_with("application/json"),
        "{:?}",
        resp.headers
    );
    let body = resp.json();
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(
        body.as_object().unwrap().len(),
        2,
        "only code and message: {body}"
    );
}

/// The article JSON without ids, times and the composer's timing, for a stable comparison.
fn redacted_shape(v: &Value) -> Value {
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    keys.sort();
    json!(keys)
}

#[test]
fn ask_get_follow_up_list_and_search() {
    let app = spawn_app();
    let mut c = Client::new();
    let r = c.post_json(&app.url("/api/v1/ask"), &json!({"question": NAM}));
    assert_eq!(r.status, 201, "{}", r.body);
    let a = r.json();
    assert_eq!(
        redacted_shape(&a),
        json!([
            "answer",
            "approved_at",
            "approved_by",
            "claimed_by",
            "created_at",
            "current_version",
            "follow_ups",
            "id",
            "last_updated",
            "merged_into",
            "parent_id",
            "public_state",
            "published_version",
            "question",
            "reused",
            "rev",
            "shown_version",
            "slug",
            "source_changed",
            "state",
            "updated_at",
            "url"
        ])
    );
    assert_eq!(a["state"], "submitted");
    assert_eq!(a["reused"], false);
    assert_eq!(a["question"], NAM);
    assert_eq!(a["answer"]["audience"], "clinician");
    assert_eq!(a["answer"]["abstained"], false);
    assert!(!a["answer"]["citations"].as_array().unwrap().is_empty());
    let id = a["id"].as_i64().unwrap();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/articles/{id}").as_str())
    );

    // The same question again reuses the article.
    let r = c.post_json(
        &app.url("/api/v1/ask"),
        &json!({"question": NAM, "audience": "patient"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let again = r.json();
    assert_eq!(again["id"], id);
    assert_eq!(again["reused"], true);
    assert_eq!(again["answer"]["audience"], "patient");

    // Each audience has its own rendering of the same article.
    let r = c.get(&app.url(&format!("/api/v1/articles/{id}?audience=student")));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["answer"]["audience"], "student");

    // A follow-up links to its parent and inherits its context.
    let r = c.post_json(
        &app.url(&format!("/api/v1/articles/{id}/follow-ups")),
        &json!({"question": "what about anti-SRP positive patients?"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let child = r.json();
    assert_eq!(child["parent_id"], id);
    assert_eq!(
        child["answer"]["analysis"]["follows"], NAM,
        "the follow-up continues its parent: {}",
        child["answer"]["analysis"]
    );
    let parent = c.get(&app.url(&format!("/api/v1/articles/{id}"))).json();
    assert_eq!(parent["follow_ups"][0]["id"], child["id"]);

    let r = c.get(&app.url("/api/v1/articles?query=necrotizing"));
    assert_eq!(r.status, 200);
    let list = r.json();
    assert!(list["articles"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["id"] == id));
    assert!(
        list["articles"][0].get("answer").is_none(),
        "lists carry no answers"
    );

    let r = c.get(&app.url("/api/v1/search?q=IVIG%20anti-HMGCR&k=3"));
    assert_eq!(r.status, 200, "{}", r.body);
    let s = r.json();
    let hits = s["hits"].as_array().unwrap();
    assert!(!hits.is_empty() && hits.len() <= 3);
    assert!(hits[0]["passage"]["text"].as_str().is_some());
    assert!(hits[0]["source"]["title"].as_str().is_some());
}

#[test]
fn every_error_is_json_with_a_stable_code() {
    let app = spawn_app();
    let mut c = Client::new();
    let ask = app.url("/api/v1/ask");
    // 400: not JSON at all.
    assert_error(
        &c.post_raw(&ask, "application/json", "{\"question\": ", &[]),
        400,
        "malformed_request",
    );
    // 422: JSON, but the question is missing / of the wrong type / an unknown audience.
    assert_error(
        &c.post_json(&ask, &json!({"q": "x"})),
        422,
        "invalid_request",
    );
    assert_error(
        &c.post_json(&ask, &json!({"question": 3})),
        422,
        "invalid_request",
    );
    assert_error(
        &c.post_json(&ask, &json!({"question": "x", "audience": "robot"})),
        422,
        "invalid_request",
    );
    // 422: an empty question.
    assert_error(
        &c.post_json(&ask, &json!({"question": "   "})),
        422,
        "empty_question",
    );
    // 415: not JSON content (a cross-site form cannot send application/json).
    assert_error(
        &c.post_raw(&ask, "text/plain", "{\"question\":\"x\"}", &[]),
        415,
        "unsupported_media_type",
    );
    // 413: a body over 16 KiB.
    let big = json!({"question": "a ".repeat(10_000)});
    assert_error(&c.post_json(&ask, &big), 413, "payload_too_large");
    // 404: an unknown article, an unknown parent, an unknown route.
    assert_error(
        &c.get(&app.url("/api/v1/articles/999999")),
        404,
        "not_found",
    );
    assert_error(
        &c.post_json(
            &app.url("/api/v1/articles/999999/follow-ups"),
            &json!({"question": "and in children?"}),
        ),
        404,
        "not_found",
    );
    assert_error(&c.get(&app.url("/api/v1/nothing-here")), 404, "not_found");
    // 400: a path or query parameter of the wrong type.
    assert_error(
        &c.get(&app.url("/api/v1/articles/abc")),
        400,
        "malformed_request",
    );
    assert_error(
        &c.get(&app.url("/api/v1/search?q=gout&k=many")),
        400,
        "malformed_request",
    );
    // 422: values out of range.
    assert_error(
        &c.get(&app.url("/api/v1/search?q=gout&k=500")),
        422,
        "invalid_request",
    );
    assert_error(
        &c.get(&app.url("/api/v1/search?q=")),
        422,
        "invalid_request",
    );
    assert_error(
        &c.get(&app.url("/api/v1/articles?state=lost")),
        422,
        "invalid_request",
    );
    // 405: a known route, another method.
    assert_error(&c.get(&ask), 405, "method_not_allowed");
    // 401: a bearer token that belongs to nobody.
    let r = c.post_raw(
        &ask,
        "application/json",
        "{\"question\":\"gout\"}",
        &[("Authorization", "Bearer not-a-token")],
    );
    assert_error(&r, 401, "unauthenticated");
}

#[test]
fn asking_is_rate_limited_per_client_with_retry_after() {
    let app = spawn_app_with(
        AppConfig {
            ask_rate_per_minute: 2,
            ..AppConfig::default()
        },
        &[],
    );
    let mut c = Client::new();
    let ask = app.url("/api/v1/ask");
    for q in ["What is the treatment for gout?", "How is asthma treated?"] {
        let r = c.post_json(&ask, &json!({"question": q}));
        assert!(r.status == 201 || r.status == 200, "{}", r.body);
    }
    let r = c.post_json(
        &ask,
        &json!({"question": "Which adults should be screened for colorectal cancer?"}),
    );
    assert_error(&r, 429, "rate_limited");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Reading is not limited.
    assert_eq!(c.get(&app.url("/api/v1/articles")).status, 200);
}

#[test]
fn a_valid_api_token_acts_as_its_user() {
    let app = spawn_app();
    let user = app
        .store
        .create_user(
            None,
            "api-editor",
            "API Editor",
            "correct horse battery",
            evident_core::Role::Editor,
        )
        .unwrap();
    let token = app.store.create_api_token(&user, "tests").unwrap();
    let mut c = Client::new();
    let auth = format!("Bearer {token}");
    let r = c.post_raw(
        &app.url("/api/v1/ask"),
        "application/json",
        "{\"question\":\"What is the treatment for gout?\"}",
        &[("Authorization", auth.as_str())],
    );
    assert!(r.status == 201 || r.status == 200, "{}", r.body);
}

#[test]
fn review_actions_need_a_token_the_right_role_and_the_current_version() {
    let app = spawn_app();
    let mut c = Client::new();
    let id = c
        .post_json(&app.url("/api/v1/ask"), &json!({"question": NAM}))
        .json()["id"]
        .as_i64()
        .unwrap();
    let review = app.url(&format!("/api/v1/articles/{id}/review"));
    // The article's `rev` as a client reading it now sees it.
    let rev = || app.store.article(id).unwrap().map_or(0, |a| a.rev);
    let token = |name: &str, role: evident_core::Role| {
        let u = app
            .store
            .create_user(None, name, name, "correct horse battery", role)
            .unwrap();
        format!(
            "Bearer {}",
            app.store.create_api_token(&u, "tests").unwrap()
        )
    };
    let reviewer = token("rev", evident_core::Role::Reviewer);
    let clinician = token("doc", evident_core::Role::Clinician);
    let post = |c: &mut Client, auth: Option<&str>, body: Value| {
        let headers: Vec<(&str, &str)> =
            auth.map(|a| vec![("Authorization", a)]).unwrap_or_default();
        c.post_raw(&review, "application/json", &body.to_string(), &headers)
    };
    // 401: anonymous.
    assert_error(
        &post(
            &mut c,
            None,
            json!({"action": "claim", "version": 1, "rev": rev()}),
        ),
        401,
        "unauthenticated",
    );
    // 403: a clinician may not claim.
    assert_error(
        &post(
            &mut c,
            Some(&clinician),
            json!({"action": "claim", "version": 1, "rev": rev()}),
        ),
        403,
        "forbidden",
    );
    // 422: an unknown action.
    assert_error(
        &post(
            &mut c,
            Some(&reviewer),
            json!({"action": "bless", "version": 1, "rev": rev()}),
        ),
        422,
        "invalid_request",
    );
    // 409: a stale version.
    assert_error(
        &post(
            &mut c,
            Some(&reviewer),
            json!({"action": "claim", "version": 2, "rev": rev()}),
        ),
        409,
        "stale_version",
    );
    // 200: claim, then 409: claiming again is illegal.
    let r = post(
        &mut c,
        Some(&reviewer),
        json!({"action": "claim", "version": 1, "rev": rev()}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["state"], "under_review");
    assert_eq!(r.json()["claimed_by"], "rev");
    assert_error(
        &post(
            &mut c,
            Some(&reviewer),
            json!({"action": "claim", "version": 1, "rev": rev()}),
        ),
        409,
        "illegal_transition",
    );
    let r = post(
        &mut c,
        Some(&reviewer),
        json!({"action": "approve", "version": 1, "rev": rev()}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let a = r.json();
    assert_eq!(a["state"], "approved");
    assert_eq!(a["published_version"], 1);
    assert_eq!(a["last_updated"], a["approved_at"]);
    // 404: no such article.
    let r = c.post_raw(
        &app.url("/api/v1/articles/424242/review"),
        "application/json",
        &json!({"action": "claim", "version": 1, "rev": rev()}).to_string(),
        &[("Authorization", reviewer.as_str())],
    );
    assert_error(&r, 404, "not_found");
}

#[test]
fn openapi_document_lists_every_route_and_is_valid() {
    let app = spawn_app();
    let mut c = Client::new();
    let r = c.get(&app.url("/api/openapi.json"));
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let paths = doc["paths"].as_object().unwrap();
    // Every documented operation is served (not the router's fallback), and every route of the
    // table is documented.
    for r in evident_server::api::ROUTES {
        let method = r.method.as_str().to_ascii_lowercase();
        assert!(
            paths[r.path][&method].is_object(),
            "{method} {} undocumented",
            r.path
        );
    }
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            assert!(op["responses"].as_object().is_some_and(|m| !m.is_empty()));
            let concrete = path.replace("{id}", "1");
            let resp = match method.as_str() {
                "get" => c.get(&app.url(&concrete)),
                "post" => c.post_json(&app.url(&concrete), &json!({})),
                other => panic!("unexpected method {other}"),
            };
            if resp.status == 404 || resp.status == 405 {
                let code = resp.json()["code"].clone();
                assert_eq!(
                    code, "not_found",
                    "{method} {path} is not routed: {}",
                    resp.body
                );
                assert!(
                    !resp.body.contains("no page or endpoint"),
                    "{method} {path} is not routed"
                );
            }
        }
    }
    assert_eq!(operations, evident_server::api::ROUTES.len());

    // The official validator, where installed (CI installs it).
    let have_validator = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .status()
        .is_ok_and(|s| s.success());
    if !have_validator {
        assert!(
            std::env::var("EVIDENT_REQUIRE_OPENAPI_VALIDATOR").as_deref() != Ok("1"),
            "EVIDENT_REQUIRE_OPENAPI_VALIDATOR=1 but python3 cannot import openapi_spec_validator"
        );
        eprintln!(
            "skipping openapi-spec-validator: `pip install openapi-spec-validator` to run it"
        );
        return;
    }
    let file = app.dir.path().join("openapi.json");
    std::fs::write(&file, &r.body).unwrap();
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import json,sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print('valid')",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator rejected the document:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
