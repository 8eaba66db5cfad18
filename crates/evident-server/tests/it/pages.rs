//! The HTML pages over HTTP: the article page's elements, asking and follow-ups through forms,
//! CSRF, streaming, redirects, and hostile sources rendered inert.

use crate::support::{spawn_app, spawn_app_with, Client, Resp, TestApp, NAM};
use evident_core::Role;
use evident_server::AppConfig;

/// Asks through the home page form; returns the article path.
fn ask_form(app: &TestApp, c: &mut Client, question: &str, extra: &[(&str, &str)]) -> String {
    let home = c.get(&app.url("/"));
    assert_eq!(home.status, 200);
    let csrf = c.csrf();
    let mut fields = vec![("question", question), ("csrf", csrf.as_str())];
    fields.extend_from_slice(extra);
    let r = c.post_form(&app.url("/ask"), &fields);
    assert_eq!(r.status, 303, "{}", r.body);
    let loc = r.header("location").unwrap().to_string();
    assert!(loc.starts_with("/a/"), "{loc}");
    loc.split('?').next().unwrap().to_string()
}

#[test]
fn a_slow_answer_shows_the_question_at_once_then_moves_to_the_article() {
    // Every answer counts as slow here: the form's reply is the streamed waiting page.
    let app = spawn_app_with(
        AppConfig {
            ask_rate_per_minute: 0,
            ask_progress_after: std::time::Duration::ZERO,
            ..AppConfig::default()
        },
        &[],
    );
    let mut c = Client::new();
    c.get(&app.url("/"));
    let csrf = c.csrf();
    let r = c.post_form(
        &app.url("/ask"),
        &[("question", NAM), ("csrf", csrf.as_str())],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    let b = &r.body;
    let title = b
        .find(&format!("<h1 id=\"title\">{NAM}</h1>"))
        .expect("title first");
    let composing = b.find("Composing the answer").expect("a composing notice");
    let refresh = b
        .find("<meta http-equiv=\"refresh\" content=\"0; url=/a/")
        .expect("then a move to the article");
    assert!(title < composing && composing < refresh);
    let start = refresh + "<meta http-equiv=\"refresh\" content=\"0; url=".len();
    let path = &b[start..start + b[start..].find('"').unwrap()];
    assert!(b.contains(&format!("<a href=\"{path}\">The answer is ready")));
    let page = c.get(&app.url(path));
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&format!("<h1 id=\"title\">{NAM}</h1>")));
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn the_article_page_has_every_element_and_streams() {
    let app = spawn_app();
    let mut c = Client::new();
    let path = ask_form(&app, &mut c, NAM, &[]);
    let r = c.get(&app.url(&path));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("transfer-encoding"),
        Some("chunked"),
        "the page is streamed"
    );
    let csp = r.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let b = &r.body;
    assert!(b.contains("<meta name=\"viewport\""));
    assert_eq!(count(b, "<h1"), 1, "one h1");
    assert!(b.contains(&format!("<h1 id=\"title\">{NAM}</h1>")));
    assert!(b.contains("All articles are reviewed for accuracy by our Medical Advisory Board"));
    assert!(b.contains(
        "Educational purpose only</strong> • Exercise caution as content is pending human review"
    ));
    assert!(
        b.contains("aria-current=\"step\" data-step=\"0\">Submitted</li>"),
        "Submitted is current"
    );
    assert!(b.contains("Under Review") && b.contains(">Approved</li>"));
    assert!(b.contains("Last updated: <time datetime="));
    assert!(b.contains("href=\"/editorial-policy\">View editorial policy</a>"));
    assert!(b.contains("Which best describes you?"));
    for a in ["clinician", "patient", "student"] {
        assert!(
            b.contains(&format!("name=\"audience\" value=\"{a}\"")),
            "{a} button"
        );
    }
    assert!(b.contains("<p class=\"lead\"><strong>"));
    assert!(count(b, "<section class=\"answer-section\"><h2>") >= 3);
    assert!(b.contains("<a href=\"#ref-1\" id=\"cite-1-1\" class=\"citation\""));
    assert!(b.contains("<li id=\"ref-1\" value=\"1\"><span class=\"kind\">"));
    assert!(b.contains("<details><summary>Supporting passage</summary>"));
    assert!(b.contains("Professional medical disclaimer"));
    assert!(b.contains("Have a follow-up question?"));
    for landmark in [
        "<header",
        "<nav",
        "<main id=\"main\"",
        "<footer",
        "class=\"skip\" href=\"#main\"",
    ] {
        assert!(b.contains(landmark), "{landmark}");
    }
    // Every input, select and textarea has a label.
    {
        let id = "followup-q";
        assert!(b.contains(&format!("<label for=\"{id}\">")), "{id}");
    }
    // Headings are in order: no h3 before the first h2, no skipped level.
    let mut last = 1;
    for (i, _) in b.match_indices("<h") {
        if let Some(level) = b[i + 2..].chars().next().and_then(|c| c.to_digit(10)) {
            assert!(level <= last + 1, "heading h{level} after h{last}");
            last = level;
        }
    }
    assert!(b.trim_end().ends_with("</html>"));
    let css = c.get(&app.url("/static/app.css"));
    assert_eq!(css.status, 200);
    assert!(css.body.contains("@media print"));
}

#[test]
fn audience_switch_is_remembered_and_changes_the_wording() {
    let app = spawn_app();
    let mut c = Client::new();
    let path = ask_form(&app, &mut c, NAM, &[]);
    let clinician = c.get(&app.url(&path)).body;
    assert!(clinician.contains("data-audience=\"clinician\""));
    let patient = c.get(&app.url(&format!("{path}?audience=patient")));
    assert!(patient
        .header("set-cookie")
        .is_some_and(|v| v.starts_with("evident_audience=patient")));
    assert!(patient
        .body
        .contains("class=\"meta audience-marker\" data-audience=\"patient\""));
    assert_ne!(clinician, patient.body);
    // The cookie keeps the choice.
    let again = c.get(&app.url(&path)).body;
    assert!(again.contains("class=\"meta audience-marker\" data-audience=\"patient\""));
    assert!(again.contains("aria-pressed=\"true\">Patient or caregiver</button>"));
}

#[test]
fn a_follow_up_links_to_its_parent_and_back() {
    let app = spawn_app();
    let mut c = Client::new();
    let parent_path = ask_form(&app, &mut c, NAM, &[]);
    let parent = app
        .store
        .article_by_slug(parent_path.trim_start_matches("/a/"))
        .unwrap()
        .unwrap();
    let pid = parent.id.to_string();
    let child_path = ask_form(
        &app,
        &mut c,
        "what about anti-SRP positive patients?",
        &[("parent", pid.as_str())],
    );
    assert_ne!(child_path, parent_path);
    let child = c.get(&app.url(&child_path)).body;
    assert!(
        child.contains(&format!(
            "class=\"parent-link\" rel=\"up\" href=\"{parent_path}\""
        )),
        "{child}"
    );
    let parent_page = c.get(&app.url(&parent_path)).body;
    assert!(parent_page.contains(&format!("class=\"child-link\" href=\"{child_path}\"")));
}

#[test]
fn forms_without_the_right_csrf_token_are_refused() {
    let app = spawn_app();
    let mut c = Client::new();
    // No cookie, no token.
    let r = c.post_form(&app.url("/ask"), &[("question", NAM)]);
    assert_eq!(r.status, 403);
    assert!(r.body.contains("data-code=\"csrf_failed\""), "{}", r.body);
    assert!(r.body.contains("reload the page"));
    // A cookie but a wrong token.
    c.get(&app.url("/"));
    let r = c.post_form(
        &app.url("/ask"),
        &[("question", NAM), ("csrf", "0".repeat(64).as_str())],
    );
    assert_eq!(r.status, 403);
    // A token but no cookie (another site's form cannot read ours).
    let token = c.csrf();
    let mut other = Client::new();
    let r = other.post_form(
        &app.url("/ask"),
        &[("question", NAM), ("csrf", token.as_str())],
    );
    assert_eq!(r.status, 403);
    let r = other.post_form(&app.url("/login"), &[("username", "x"), ("password", "y")]);
    assert_eq!(r.status, 403);
    // Nothing was stored.
    assert!(app
        .store
        .list_articles(&evident_store::ArticleQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap()
        .is_empty());
    // The CSRF cookie is HttpOnly and SameSite=Lax.
    let fresh = Client::new().get(&app.url("/"));
    let cookie = fresh.header("set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[test]
fn hostile_sources_render_inert() {
    let fixture = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile-source.md"),
    )
    .unwrap();
    let app = spawn_app_with(
        AppConfig {
            ask_rate_per_minute: 0,
            ask_progress_after: std::time::Duration::from_secs(120),
            ..AppConfig::default()
        },
        &[("hostile-source.md", &fixture)],
    );
    let mut c = Client::new();
    let path = ask_form(&app, &mut c, "What is the treatment for zebrafolia?", &[]);
    let r: Resp = c.get(&app.url(&path));
    assert_eq!(r.status, 200);
    let lower = r.body.to_lowercase();
    assert!(
        lower.contains("zebracillin") || lower.contains("zebrafolia is rest"),
        "the hostile source is cited: {}",
        r.body
    );
    assert!(lower.contains("hostile"), "its publisher is shown");
    for bad in [
        "<script",
        "<img",
        "<iframe",
        "<b ",
        "href=\"javascript:",
        "href='javascript:",
    ] {
        assert!(!lower.contains(bad), "{bad:?} in the page:\n{}", r.body);
    }
    // No tag the page sends carries an event handler or a script URL.
    for tag in lower
        .split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap_or(""))
    {
        let handler = tag.match_indices(" on").any(|(i, _)| {
            let rest = &tag[i + 3..];
            let name_len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
            name_len > 0 && rest[name_len..].trim_start().starts_with('=')
        });
        assert!(!handler, "a tag with an event handler: <{tag}>");
        assert!(!tag.contains("javascript:"), "a script URL in <{tag}>");
    }
    // The text is shown escaped, not dropped.
    assert!(
        lower.contains("&lt;script&gt;") || lower.contains("&lt;img"),
        "{}",
        r.body
    );
    // The API returns the same text as data (JSON-escaped, never interpreted).
    let slug = path.trim_start_matches("/a/");
    let article = app.store.article_by_slug(slug).unwrap().unwrap();
    let api = c.get(&app.url(&format!("/api/v1/articles/{}", article.id)));
    assert_eq!(api.status, 200);
    assert!(api
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
}

#[test]
fn merged_articles_redirect_and_changes_are_marked() {
    let app = spawn_app();
    let mut c = Client::new();
    let a = ask_form(&app, &mut c, NAM, &[]);
    let b = ask_form(&app, &mut c, "How is gout treated?", &[]);
    let editor = app
        .store
        .create_user(None, "ed", "Editor", "correct horse battery", Role::Editor)
        .unwrap();
    let from = app
        .store
        .article_by_slug(b.trim_start_matches("/a/"))
        .unwrap()
        .unwrap();
    let into = app
        .store
        .article_by_slug(a.trim_start_matches("/a/"))
        .unwrap()
        .unwrap();
    app.store
        .merge(Some(&editor), from.id, from.seen(), into.id)
        .unwrap();
    // The merge moved the kept article's `rev`: act on it as it is now.
    let into = app.store.article(into.id).unwrap().unwrap();
    let r = c.get(&app.url(&b));
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some(a.as_str()));

    // An editor's statement is marked; a changed source flags the article.
    let mut version = app.store.version(into.id, into.current_version).unwrap();
    for answer in &mut version.answers {
        answer.lead[0].text =
            "Combination immunotherapy is usually needed, says our editor.".into();
        answer.lead[0].editor_written = true;
    }
    app.store
        .revise(
            Some(&editor),
            into.id,
            into.seen(),
            evident_store::Revision {
                answers: version.answers,
                note: Some("reworded".into()),
            },
        )
        .unwrap();
    app.store
        .sources_changed(&["evident-necrotizing-autoimmune-myopathy".to_string()])
        .unwrap();
    let page = c.get(&app.url(&a)).body;
    assert!(
        page.contains("says our editor.</strong><span class=\"editor-written\""),
        "{page}"
    );
    assert!(page.contains("Source changed — needs re-review."));

    assert_eq!(c.get(&app.url("/a/no-such-article")).status, 404);
    // A withdrawn article leaves the public pages.
    let gout = app
        .store
        .create_article(
            None,
            evident_store::NewArticle {
                question: "Is this withdrawn?".into(),
                analysis: Default::default(),
                answers: app.store.version(into.id, 1).unwrap().answers,
                parent_id: None,
            },
        )
        .unwrap();
    app.store
        .withdraw(Some(&editor), gout.id, gout.seen())
        .unwrap();
    let r = c.get(&app.url(&format!("/a/{}", gout.slug)));
    assert_eq!(r.status, 404);
    assert!(r.body.contains("withdrawn"));
    assert!(!c.get(&app.url("/")).body.contains("Is this withdrawn?"));
    // The home page lists and searches articles; merged ones are gone from the lists.
    let home = c.get(&app.url("/?q=necrotizing")).body;
    assert!(home.contains(&format!("<a href=\"{a}\">")), "{home}");
    assert!(!home.contains(&format!("<a href=\"{b}\">")), "{home}");
    for p in ["/editorial-policy", "/about"] {
        let r = c.get(&app.url(p));
        assert_eq!(r.status, 200);
        assert_eq!(count(&r.body, "<h1"), 1);
    }
}

#[test]
fn an_uncovered_question_shows_the_abstention_and_nearest_topics() {
    let app = spawn_app();
    let mut c = Client::new();
    let path = ask_form(
        &app,
        &mut c,
        "What is the treatment for quuxitis of the flibbertigibbet?",
        &[],
    );
    let page = c.get(&app.url(&path)).body;
    assert!(page.contains("data-abstained=\"true\""), "{page}");
    assert!(
        page.contains("Why there is no answer:") || page.contains("Nearest topics in the library")
    );
    assert!(page.contains("pending human review"));
    // Review pages answer bad ids with a page, not a bare rejection.
    let r = c.get(&app.url("/review/abc"));
    assert!(r.status == 404 || r.status == 303, "{}", r.status);
}
