//! Sign-in and the reviewer workspace over HTTP: sessions, roles, review actions with the
//! version the reviewer saw, conflicts, marks, comments, revisions, history, the audit log.

use evident_core::{ReviewState, Role};
use serde_json::json;

use crate::support::{spawn_app, Client, TestApp, NAM};

pub const PASSWORD: &str = "a long test password";

/// Signs `username` in (with [`PASSWORD`]) from a fresh client; the client and the reply.
pub fn sign_in(
    app: &TestApp,
    username: &str,
    headers: &[(&str, &str)],
) -> (Client, crate::support::Resp) {
    let mut c = Client::new();
    c.headers = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    c.get(&app.url("/login"));
    let csrf = c.csrf();
    let body = format!(
        "username={username}&password={}&csrf={csrf}",
        crate::support::enc(PASSWORD)
    );
    let r = c.post_raw(
        &app.url("/login"),
        "application/x-www-form-urlencoded",
        &body,
        &[],
    );
    (c, r)
}

/// The `rev` of article `id` as a page loaded now shows it (the forms' hidden field).
fn rev(app: &TestApp, id: i64) -> String {
    app.store.article(id).unwrap().unwrap().rev.to_string()
}

fn article(app: &TestApp) -> evident_store::Article {
    let r = Client::new().post_json(&app.url("/api/v1/ask"), &json!({"question": NAM}));
    assert_eq!(r.status, 201, "{}", r.body);
    app.store
        .article(r.json()["id"].as_i64().unwrap())
        .unwrap()
        .unwrap()
}

#[test]
fn sign_in_sets_a_session_and_wrong_passwords_are_refused() {
    let app = spawn_app();
    app.store
        .create_user(None, "rita", "Rita", PASSWORD, Role::Reviewer)
        .unwrap();
    // Wrong password: 401 and the form again, no session.
    let mut c = Client::new();
    c.get(&app.url("/login"));
    let csrf = c.csrf();
    let r = c.post_form(
        &app.url("/login"),
        &[("username", "rita"), ("password", "nope"), ("csrf", &csrf)],
    );
    assert_eq!(r.status, 401);
    assert!(r.body.contains("Wrong username or password."));
    assert!(!c.cookies.contains_key("evident_session"));
    // Anonymous visitors are sent to sign in.
    let r = c.get(&app.url("/review"));
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/login?next=%2Freview"));

    // Behind TLS the session cookie is Secure and `__Host-` prefixed; always HttpOnly and
    // SameSite=Lax.
    let (mut c, r) = sign_in(&app, "rita", &[("X-Forwarded-Proto", "https")]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/review"));
    let cookie = r
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("__Host-evident_session="))
        .unwrap_or_else(|| panic!("{:?}", r.headers))
        .1
        .clone();
    for attr in ["HttpOnly", "SameSite=Lax", "Secure"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let r = c.get(&app.url("/review"));
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Sign out <span class=\"user\">rita</span>"));

    // Signing out ends the session.
    let csrf = c.csrf();
    let r = c.post_form(&app.url("/logout"), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    assert_eq!(c.get(&app.url("/review")).status, 303);

    // A plain HTTP sign-in gets no Secure flag.
    let (_, r) = sign_in(&app, "rita", &[]);
    let cookie = r
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("evident_session="))
        .unwrap()
        .1
        .clone();
    assert!(!cookie.contains("Secure"), "{cookie}");
}

#[test]
fn reviewers_claim_mark_comment_and_approve_with_conflicts_refused() {
    let app = spawn_app();
    let a = article(&app);
    app.store
        .create_user(None, "rita", "Rita", PASSWORD, Role::Reviewer)
        .unwrap();
    app.store
        .create_user(None, "cleo", "Cleo", PASSWORD, Role::Clinician)
        .unwrap();
    let (mut c, _) = sign_in(&app, "rita", &[]);
    let queue = c.get(&app.url("/review?state=submitted")).body;
    assert!(queue.contains(&format!("href=\"/review/{}\"", a.id)));
    let page = c.get(&app.url(&format!("/review/{}", a.id))).body;
    // Only the allowed actions are offered: a submitted article can be claimed, not approved.
    assert!(page.contains("value=\"claim\""));
    assert!(!page.contains("value=\"approve\""));
    assert!(page.contains("Cited passages"));
    let csrf = c.csrf();
    let id = a.id;
    let action = app.url(&format!("/review/{id}/action"));
    let r = c.post_form(
        &action,
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("rev", &rev(&app, id)),
            ("action", "claim"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    // Claiming again: the article is under review now (409, a clear message).
    let r = c.post_form(
        &action,
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("rev", &rev(&app, id)),
            ("action", "claim"),
        ],
    );
    assert_eq!(r.status, 409);
    assert!(
        r.body.contains("data-code=\"illegal_transition\""),
        "{}",
        r.body
    );
    // A stale version number: 409 with "reload".
    let r = c.post_form(
        &action,
        &[
            ("csrf", &csrf),
            ("version", "7"),
            ("rev", &rev(&app, id)),
            ("action", "approve"),
        ],
    );
    assert_eq!(r.status, 409);
    assert!(
        r.body.contains("someone else changed this article; reload"),
        "{}",
        r.body
    );

    let r = c.post_form(
        &app.url(&format!("/review/{id}/mark")),
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("statement", "lead.0"),
            ("mark", "confirmed"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = c.post_form(
        &app.url(&format!("/review/{id}/comment")),
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("target", "s0.1"),
            ("body", "Check the <b>CK</b> threshold."),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = c.get(&app.url(&format!("/review/{id}"))).body;
    assert!(page.contains("data-mark=\"confirmed\""));
    assert!(page.contains("Check the &lt;b&gt;CK&lt;/b&gt; threshold."));
    assert!(page.contains("value=\"approve\""));

    let r = c.post_form(
        &action,
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("rev", &rev(&app, id)),
            ("action", "approve"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let approved = app.store.article(id).unwrap().unwrap();
    assert_eq!(approved.state, ReviewState::Approved);
    assert_eq!(approved.approved_by.as_deref(), Some("rita"));

    // A clinician may not open the workspace; a reviewer may not read the audit log.
    let (mut cleo, _) = sign_in(&app, "cleo", &[]);
    assert_eq!(cleo.get(&app.url("/review")).status, 403);
    assert_eq!(c.get(&app.url("/admin/audit")).status, 403);
}

#[test]
fn editors_revise_with_citations_and_admins_read_history_and_audit() {
    let app = spawn_app();
    let a = article(&app);
    app.store
        .create_user(None, "ed", "Ed", PASSWORD, Role::Editor)
        .unwrap();
    app.store
        .create_user(None, "ada", "Ada", PASSWORD, Role::Admin)
        .unwrap();
    let (mut c, _) = sign_in(&app, "ed", &[]);
    let page = c.get(&app.url(&format!("/review/{}", a.id))).body;
    assert!(page.contains("name=\"text.lead.0\""), "the revise form");
    let csrf = c.csrf();
    let revise = app.url(&format!("/review/{}/revise", a.id));
    // A statement must still cite a passage.
    let r = c.post_form(
        &revise,
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("rev", &rev(&app, a.id)),
            ("text.lead.0", "Reworded."),
            ("cites.lead.0", ""),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("must still cite at least one passage"),
        "{}",
        r.body
    );
    let r = c.post_form(
        &revise,
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("rev", &rev(&app, a.id)),
            ("text.lead.0", "Reworded."),
            ("cites.lead.0", "99"),
        ],
    );
    assert_eq!(r.status, 422);
    let r = c.post_form(
        &revise,
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("rev", &rev(&app, a.id)),
            ("audience", "clinician"),
            ("text.lead.0", "Start two agents together, says the editor."),
            ("cites.lead.0", "1"),
            ("note", "plainer lead"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let now = app.store.article(a.id).unwrap().unwrap();
    assert_eq!(now.current_version, 2);
    let public = c.get(&app.url(&format!("/a/{}", a.slug))).body;
    assert!(public.contains("says the editor.</strong><span class=\"editor-written\""));

    let (mut admin, _) = sign_in(&app, "ada", &[]);
    let history = admin
        .get(&app.url(&format!("/review/{}/history", a.id)))
        .body;
    assert!(history.contains("plainer lead"));
    assert!(
        history.contains("class=\"added\"") && history.contains("class=\"removed\""),
        "{history}"
    );
    let audit = admin.get(&app.url("/admin/audit"));
    assert_eq!(audit.status, 200);
    assert!(
        audit.body.contains("<td>revise</td>") || audit.body.contains(">revise<"),
        "{}",
        audit.body
    );
}

#[test]
fn review_forms_are_parsed_then_checked_for_the_token() {
    let app = spawn_app();
    let a = article(&app);
    app.store
        .create_user(None, "rita", "Rita", PASSWORD, Role::Reviewer)
        .unwrap();
    let (mut c, _) = sign_in(&app, "rita", &[]);
    let csrf = c.csrf();
    let action = app.url(&format!("/review/{}/action", a.id));
    // A wrong token: refused before the handler runs, nothing changes.
    let wrong = "0".repeat(64);
    let r = c.post_form(
        &action,
        &[
            ("csrf", &wrong),
            ("version", "1"),
            ("rev", &rev(&app, a.id)),
            ("action", "claim"),
        ],
    );
    assert_eq!(r.status, 403);
    assert!(r.body.contains("data-code=\"csrf_failed\""), "{}", r.body);
    // A form that does not parse (the version is a number) is refused as such.
    let r = c.post_form(
        &action,
        &[
            ("csrf", &csrf),
            ("version", "one"),
            ("rev", &rev(&app, a.id)),
            ("action", "claim"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let state = app.store.article(a.id).unwrap().unwrap().state;
    assert_eq!(state, ReviewState::Submitted);
    // The right token with numeric fields: the action is taken.
    let r = c.post_form(
        &action,
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("rev", &rev(&app, a.id)),
            ("action", "claim"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let state = app.store.article(a.id).unwrap().unwrap().state;
    assert_eq!(state, ReviewState::UnderReview);
}

/// Signs rita in from a fresh client with the form's `next` field set to `next` (URL-encoded).
fn sign_in_with_next(app: &TestApp, next: &str) -> crate::support::Resp {
    let mut c = Client::new();
    c.get(&app.url("/login"));
    let csrf = c.csrf();
    let body = format!(
        "username=rita&password={}&csrf={csrf}&next={next}",
        crate::support::enc(PASSWORD)
    );
    c.post_raw(
        &app.url("/login"),
        "application/x-www-form-urlencoded",
        &body,
        &[],
    )
}

#[test]
fn sign_in_never_redirects_off_site_whatever_next_holds() {
    let app = spawn_app();
    app.store
        .create_user(None, "rita", "Rita", PASSWORD, Role::Reviewer)
        .unwrap();
    // Encoded tab, newline, space, backslash and double slash: each falls back to the queue.
    for next in [
        "%2F%09%2Fevil.example",
        "%2F%0A",
        "%2F%0D%0ALocation%3A%20%2F%2Fevil.example",
        "%2F%2Fevil.example",
        "%2F%5Cevil.example",
        "%2F%20%2Fevil.example",
    ] {
        let r = sign_in_with_next(&app, next);
        assert_eq!(r.status, 303, "next={next}: {}", r.body);
        assert_eq!(r.header("location"), Some("/review"), "next={next}");
    }
    // A local path is kept.
    let r = sign_in_with_next(&app, "%2Freview%3Fstate%3Dsubmitted");
    assert_eq!(r.header("location"), Some("/review?state=submitted"));
}
