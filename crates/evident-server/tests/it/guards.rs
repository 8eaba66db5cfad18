//! The security findings of issue 13 over HTTP: withdrawn articles stay off the public API and
//! pages (finding 4), nobody approves their own text (finding 5), review actions and merges are
//! checked against what the user saw (finding 7), and the public sees reviewers' display names,
//! not their login names (finding 3).

use evident_core::Role;
use serde_json::{json, Value};

use crate::review::{sign_in, PASSWORD};
use crate::support::{spawn_app, Client, Resp, TestApp, NAM};

/// A user of `role` and the `Authorization` header of an API token of theirs.
fn token(app: &TestApp, username: &str, display: &str, role: Role) -> String {
    let u = app
        .store
        .create_user(None, username, display, PASSWORD, role)
        .unwrap();
    format!(
        "Bearer {}",
        app.store.create_api_token(&u, "tests").unwrap()
    )
}

fn get(app: &TestApp, auth: Option<&str>, path: &str) -> Resp {
    let mut c = Client::new();
    match auth {
        Some(a) => c.get_with(&app.url(path), &[("Authorization", a)]),
        None => c.get(&app.url(path)),
    }
}

fn post(app: &TestApp, auth: Option<&str>, path: &str, body: &Value) -> Resp {
    let headers: Vec<(&str, &str)> = auth.map(|a| vec![("Authorization", a)]).unwrap_or_default();
    Client::new().post_raw(
        &app.url(path),
        "application/json",
        &body.to_string(),
        &headers,
    )
}

fn ask(app: &TestApp, question: &str) -> i64 {
    let r = post(app, None, "/api/v1/ask", &json!({ "question": question }));
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

/// What `auth` saw of article `id` when choosing an action: the fields a review action names.
fn seen(app: &TestApp, auth: &str, id: i64) -> Value {
    let a = get(app, Some(auth), &format!("/api/v1/articles/{id}")).json();
    json!({ "version": a["current_version"], "rev": a["rev"] })
}

/// Takes `action` on article `id` as the user of `auth`, naming what they `saw`.
fn act(app: &TestApp, auth: &str, id: i64, action: &str, saw: &Value) -> Resp {
    let mut body = json!({ "action": action, "version": saw["version"] });
    if !saw["rev"].is_null() {
        body["rev"] = saw["rev"].clone();
    }
    post(
        app,
        Some(auth),
        &format!("/api/v1/articles/{id}/review"),
        &body,
    )
}

fn assert_error(resp: &Resp, status: u16, code: &str) {
    assert_eq!(resp.status, status, "{}", resp.body);
    let body = resp.json();
    assert_eq!(body["code"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
}

fn ids(list: &Value) -> Vec<i64> {
    list["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

/// Finding 4: a withdrawn article 404'd as a page but `GET /api/v1/articles/{id}` returned it,
/// `?state=withdrawn` listed it, and an anonymous follow-up to it made a public article quoting
/// it. One rule now decides for pages and API: only signed-in reviewers, editors and admins see
/// a withdrawn article; everyone else gets 404, for follow-ups too.
#[test]
fn withdrawn_articles_are_visible_only_to_reviewers_editors_and_admins() {
    let app = spawn_app();
    let editor = token(&app, "ed", "Ed Itor", Role::Editor);
    let reviewer = token(&app, "rev", "Rev Iewer", Role::Reviewer);
    let reader = token(&app, "reader", "Re Ader", Role::Reader);
    let clinician = token(&app, "doc", "Doc Tor", Role::Clinician);
    let parent = ask(&app, NAM);
    let r = post(
        &app,
        None,
        &format!("/api/v1/articles/{parent}/follow-ups"),
        &json!({ "question": "what about anti-SRP positive patients?" }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let child = r.json()["id"].as_i64().unwrap();
    let r = act(
        &app,
        &editor,
        parent,
        "withdraw",
        &seen(&app, &editor, parent),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = act(
        &app,
        &editor,
        child,
        "withdraw",
        &seen(&app, &editor, child),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let path = format!("/api/v1/articles/{parent}");

    for auth in [None, Some(reader.as_str()), Some(clinician.as_str())] {
        assert_error(&get(&app, auth, &path), 404, "not_found");
        for query in ["state=withdrawn", "state=withdrawn,submitted", "limit=100"] {
            let r = get(&app, auth, &format!("/api/v1/articles?{query}"));
            assert_eq!(r.status, 200, "{}", r.body);
            let listed = ids(&r.json());
            assert!(
                !listed.contains(&parent) && !listed.contains(&child),
                "{query}: {listed:?}"
            );
        }
        let follow = post(
            &app,
            auth,
            &format!("{path}/follow-ups"),
            &json!({ "question": "and what about children?" }),
        );
        assert_error(&follow, 404, "not_found");
        let ask = post(
            &app,
            auth,
            "/api/v1/ask",
            &json!({ "question": "and what about children?", "parent_id": parent }),
        );
        assert_error(&ask, 404, "not_found");
    }
    // The page's follow-up form too.
    let mut c = Client::new();
    c.get(&app.url("/"));
    let csrf = c.csrf();
    let r = c.post_form(
        &app.url("/ask"),
        &[
            ("question", "and what about children?"),
            ("parent", &parent.to_string()),
            ("csrf", &csrf),
        ],
    );
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(
        app.store.children(parent).unwrap().len(),
        1,
        "no follow-up was stored"
    );

    // Reviewers and editors still see it, and list it.
    for auth in [&reviewer, &editor] {
        let r = get(&app, Some(auth), &path);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["state"], "withdrawn");
        let listed = ids(&get(&app, Some(auth), "/api/v1/articles?state=withdrawn").json());
        assert!(listed.contains(&parent), "{listed:?}");
    }

    // A withdrawn follow-up is not listed under a public parent.
    let r = act(
        &app,
        &editor,
        parent,
        "reopen",
        &seen(&app, &editor, parent),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let public = get(&app, None, &path).json();
    assert_eq!(public["follow_ups"], json!([]), "{public}");
    let staff = get(&app, Some(&reviewer), &path).json();
    assert_eq!(staff["follow_ups"][0]["id"], child);
}

/// Finding 3 (second half): `claimed_by` and `approved_by` gave reviewers' login names to
/// anyone. The API shows their display names.
#[test]
fn the_api_shows_reviewers_display_names_not_login_names() {
    let app = spawn_app();
    let reviewer = token(&app, "rlogin", "Dr Rosa Reviewer", Role::Reviewer);
    let id = ask(&app, NAM);
    let r = act(&app, &reviewer, id, "claim", &seen(&app, &reviewer, id));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["claimed_by"], "Dr Rosa Reviewer");
    let public = get(&app, None, &format!("/api/v1/articles/{id}"));
    assert_eq!(public.json()["claimed_by"], "Dr Rosa Reviewer");
    assert!(!public.body.contains("rlogin"), "{}", public.body);
    let r = act(&app, &reviewer, id, "approve", &seen(&app, &reviewer, id));
    assert_eq!(r.status, 200, "{}", r.body);
    for r in [
        get(&app, None, &format!("/api/v1/articles/{id}")),
        get(&app, None, "/api/v1/articles"),
    ] {
        assert!(
            r.body.contains("\"approved_by\":\"Dr Rosa Reviewer\""),
            "{}",
            r.body
        );
        assert!(!r.body.contains("rlogin"), "{}", r.body);
    }
}

/// Finding 5: an admin revised a lead and approved that version. The author of a version may
/// not approve it: 403 `self_approval` in the API, a page saying so, and no approve button.
#[test]
fn nobody_approves_a_version_they_wrote() {
    let app = spawn_app();
    let id = ask(&app, NAM);
    let admin = app
        .store
        .create_user(None, "ada", "Ada Admin", PASSWORD, Role::Admin)
        .unwrap();
    let auth = format!(
        "Bearer {}",
        app.store.create_api_token(&admin, "tests").unwrap()
    );
    let (mut c, _) = sign_in(&app, "ada", &[]);
    c.get(&app.url(&format!("/review/{id}")));
    let csrf = c.csrf();
    let r = c.post_form(
        &app.url(&format!("/review/{id}/revise")),
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("rev", &seen(&app, &auth, id)["rev"].to_string()),
            ("audience", "clinician"),
            ("text.lead.0", "Start two agents together, says the admin."),
            ("cites.lead.0", "1"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = act(&app, &auth, id, "claim", &seen(&app, &auth, id));
    assert_eq!(r.status, 200, "{}", r.body);

    let page = c.get(&app.url(&format!("/review/{id}"))).body;
    assert!(!page.contains("value=\"approve\""), "{page}");
    assert!(
        page.contains("you wrote version 2 of this article"),
        "{page}"
    );

    let r = act(&app, &auth, id, "approve", &seen(&app, &auth, id));
    assert_error(&r, 403, "self_approval");
    assert!(r.json()["message"].as_str().unwrap().contains("version 2"));
    let saw = seen(&app, &auth, id);
    let r = c.post_form(
        &app.url(&format!("/review/{id}/action")),
        &[
            ("csrf", &csrf),
            ("version", "2"),
            ("rev", &saw["rev"].to_string()),
            ("action", "approve"),
        ],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("data-code=\"self_approval\""), "{}", r.body);
    assert!(r.body.contains("another reviewer"), "{}", r.body);
    let a = app.store.article(id).unwrap().unwrap();
    assert_eq!(a.published_version, None);
}

/// Finding 7: only the content version was checked, so an approve and a withdraw on the same
/// version both succeeded, a reviewer approved an article another had claimed, and an approved
/// article was merged into a withdrawn one (its URL then redirected to a 404).
#[test]
fn review_actions_and_merges_check_what_the_user_saw() {
    let app = spawn_app();
    let rosa = token(&app, "rosa", "Rosa", Role::Reviewer);
    let ravi = token(&app, "ravi", "Ravi", Role::Reviewer);
    let editor = token(&app, "ed", "Ed", Role::Editor);
    let id = ask(&app, NAM);
    let r = act(&app, &rosa, id, "claim", &seen(&app, &rosa, id));
    assert_eq!(r.status, 200, "{}", r.body);

    // Another reviewer may not approve what rosa claimed.
    let r = act(&app, &ravi, id, "approve", &seen(&app, &ravi, id));
    assert_error(&r, 409, "claimed_by_other");

    // The editor chooses to withdraw the article under review; rosa approves first.
    let editor_saw = seen(&app, &editor, id);
    let r = act(&app, &rosa, id, "approve", &seen(&app, &rosa, id));
    assert_eq!(r.status, 200, "{}", r.body);
    let r = act(&app, &editor, id, "withdraw", &editor_saw);
    assert_error(&r, 409, "changed");
    let a = app.store.article(id).unwrap().unwrap();
    assert_eq!(a.state, evident_core::ReviewState::Approved);

    // Merging the approved article into a withdrawn one: refused on the page.
    let other = ask(&app, "How is gout treated?");
    let r = act(
        &app,
        &editor,
        other,
        "withdraw",
        &seen(&app, &editor, other),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    app.store
        .create_user(None, "edp", "Ed P", PASSWORD, Role::Editor)
        .unwrap();
    let (mut c, _) = sign_in(&app, "edp", &[]);
    c.get(&app.url(&format!("/review/{id}")));
    let csrf = c.csrf();
    let saw = seen(&app, &editor, id);
    let merge = app.url(&format!("/review/{id}/merge"));
    let r = c.post_form(
        &merge,
        &[
            ("csrf", &csrf),
            ("version", &saw["version"].to_string()),
            ("rev", &saw["rev"].to_string()),
            ("into", &other.to_string()),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("withdrawn"), "{}", r.body);
    // A merge chosen on a version no longer current: refused.
    let live = ask(&app, "What causes gout?");
    let r = c.post_form(
        &merge,
        &[
            ("csrf", &csrf),
            ("version", &saw["version"].to_string()),
            ("rev", &(saw["rev"].as_i64().unwrap() - 1).to_string()),
            ("into", &live.to_string()),
        ],
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(app.store.article(id).unwrap().unwrap().merged_into, None);
}
