//! Snapshots of the main public pages and of `/api/openapi.json`: a change to their markup or
//! wording shows up as a reviewed diff. Values that change from run to run (the CSRF token,
//! article ids, dates) are redacted before comparing.

use crate::support::{spawn_app, Client, TestApp, NAM};

/// Asks through the home page form and returns the article's path.
fn ask(app: &TestApp, c: &mut Client, question: &str) -> String {
    c.get(&app.url("/"));
    let csrf = c.csrf();
    let r = c.post_form(
        &app.url("/ask"),
        &[("question", question), ("csrf", csrf.as_str())],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let loc = r.header("location").unwrap();
    loc.split('?').next().unwrap().to_string()
}

/// Replaces the value that follows each `start` up to the next `end` with `with`.
fn redact_between(s: &str, start: &str, end: &str, with: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(start) {
        let from = i + start.len();
        let Some(len) = rest[from..].find(end) else {
            break;
        };
        out.push_str(&rest[..from]);
        out.push_str(with);
        rest = &rest[from + len..];
    }
    out.push_str(rest);
    out
}

/// The page with its CSRF token, article ids and dates replaced by placeholders.
fn redact(page: &str, _c: &Client) -> String {
    let page = redact_between(page, "name=\"csrf\" value=\"", "\"", "[csrf]");
    let page = redact_between(&page, "data-article-id=\"", "\"", "[id]");
    let page = redact_between(&page, "name=\"parent\" value=\"", "\"", "[id]");
    redact_between(&page, "<time datetime=\"", "</time>", "[date]\">[date]")
}

fn get_ok(app: &TestApp, c: &mut Client, path: &str) -> String {
    let r = c.get(&app.url(path));
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r.body
}

#[test]
fn static_pages_and_the_openapi_document() {
    let app = spawn_app();
    let mut c = Client::new();
    let home = get_ok(&app, &mut c, "/");
    insta::assert_snapshot!("home_empty", redact(&home, &c));
    let policy = get_ok(&app, &mut c, "/editorial-policy");
    insta::assert_snapshot!("editorial_policy", redact(&policy, &c));
    let about = get_ok(&app, &mut c, "/about");
    insta::assert_snapshot!("about", redact(&about, &c));
    let openapi: serde_json::Value =
        serde_json::from_str(&get_ok(&app, &mut c, "/api/openapi.json")).unwrap();
    insta::assert_snapshot!(
        "openapi_json",
        serde_json::to_string_pretty(&openapi).unwrap()
    );
}

#[test]
fn an_article_an_abstention_and_the_home_page_listing_them() {
    let app = spawn_app();
    let mut c = Client::new();
    let article = ask(&app, &mut c, NAM);
    let page = get_ok(&app, &mut c, &article);
    insta::assert_snapshot!("article_nam_clinician", redact(&page, &c));
    let page = get_ok(&app, &mut c, &format!("{article}?audience=patient"));
    insta::assert_snapshot!("article_nam_patient", redact(&page, &c));

    let abstention = ask(
        &app,
        &mut c,
        "What is the treatment for quuxitis of the flibbertigibbet?",
    );
    let page = get_ok(&app, &mut c, &format!("{abstention}?audience=clinician"));
    assert!(page.contains("data-abstained=\"true\""), "{page}");
    insta::assert_snapshot!("article_abstention", redact(&page, &c));

    let home = get_ok(&app, &mut c, "/?q=necrotizing");
    insta::assert_snapshot!("home_with_articles", redact(&home, &c));
}
