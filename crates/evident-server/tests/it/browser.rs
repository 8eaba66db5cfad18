//! End to end in headless Chromium: ask from the home page, read the article, follow a
//! citation, switch audience, ask a follow-up; then sign in as a reviewer, claim and approve,
//! and see the public page approved. Screenshots go to `target/screenshots/`.

use evident_core::Role;

use crate::support::{screenshot_dir, spawn_app, NAM};
use crate::webdriver::{chromedriver, Browser};

#[test]
fn ask_read_personalize_follow_up_and_approve_in_a_browser() {
    let Some(driver) = chromedriver() else {
        assert!(
            std::env::var("EVIDENT_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "EVIDENT_REQUIRE_BROWSER=1 but chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        eprintln!("SKIPPED browser test: chromedriver not found (apt-get install chromium chromium-driver, or set CHROMEDRIVER)");
        return;
    };
    let app = spawn_app();
    let shots = screenshot_dir();
    let b = Browser::start(&driver);

    // Ask from the home page.
    b.goto(&app.url("/"));
    let q = b.find("textarea#question");
    b.send_keys(&q, NAM);
    b.screenshot(&shots.join("01-home.png"));
    b.click(&b.find("form.ask button[type=submit]"));
    b.wait_until("the article page", |b| b.url().contains("/a/"));
    // Without the query (?audience= from the ask form), so the cookie decides below.
    let article_url = b.url().split(['?', '#']).next().unwrap().to_string();

    // The article: title, status, banner, lead, sections, citations, references.
    assert_eq!(b.text(&b.find("h1")), NAM);
    assert_eq!(b.text(&b.find(".steps li[aria-current=step]")), "Submitted");
    assert!(b
        .text(&b.find("#caution"))
        .contains("Educational purpose only"));
    assert!(b.text(&b.find(".board")).contains("Medical Advisory Board"));
    assert!(!b.text(&b.find(".answer p.lead")).is_empty());
    assert!(b.find_all(".answer-section h2").len() >= 3);
    assert!(b.text(&b.find(".updated")).starts_with("Last updated:"));
    let clinician_text = b.text(&b.find(".answer"));
    b.screenshot(&shots.join("02-article-clinician.png"));

    let cite = b.find("a.citation");
    let href = b.attr(&cite, "href").unwrap();
    assert!(href.ends_with("#ref-1"), "{href}");
    b.click(&cite);
    b.wait_until("the reference fragment", |b| b.url().ends_with("#ref-1"));
    let reference = b.find("li#ref-1");
    let ref_text = b.text(&reference);
    assert!(!ref_text.is_empty());
    assert!(
        !b.find_all("li#ref-1 details summary").is_empty(),
        "an expandable quote"
    );
    b.click(&b.find("li#ref-1 details summary"));
    assert!(!b.text(&b.find("li#ref-1 blockquote")).is_empty());
    b.screenshot(&shots.join("03-reference.png"));

    // Personalize: patient.
    b.goto(&article_url);
    b.click(&b.find("button[name=audience][value=patient]"));
    b.wait_until("the patient rendering", |b| {
        b.find_all(".audience-marker[data-audience=patient]").len() == 1
    });
    let patient_text = b.text(&b.find(".answer"));
    assert_ne!(patient_text, clinician_text, "the patient wording differs");
    assert_eq!(
        b.attr(&b.find(".answer"), "data-audience").as_deref(),
        Some("patient")
    );
    b.screenshot(&shots.join("04-article-patient.png"));
    // The choice is remembered.
    b.goto(&article_url);
    assert_eq!(
        b.find_all(".audience-marker[data-audience=patient]").len(),
        1
    );

    // A follow-up opens a new article linked to its parent.
    let parent_path = article_url
        .split_once("/a/")
        .map(|(_, s)| format!("/a/{}", s.split(['?', '#']).next().unwrap()))
        .unwrap();
    b.send_keys(
        &b.find("textarea#followup-q"),
        "what about anti-SRP positive patients?",
    );
    b.click(&b.find("section.followup button[type=submit]"));
    b.wait_until("the follow-up article", |b| {
        b.url().contains("/a/") && !b.url().contains(&parent_path)
    });
    let back = b.find("a.parent-link");
    assert_eq!(
        b.attr(&back, "href")
            .as_deref()
            .map(|h| h.ends_with(&parent_path)),
        Some(true)
    );
    b.screenshot(&shots.join("05-follow-up.png"));
    b.click(&back);
    b.wait_until("the parent again", |b| b.url().contains(&parent_path));
    assert!(
        !b.find_all("a.child-link").is_empty(),
        "the parent lists its follow-up"
    );

    // Issue 5: a reviewer signs in, claims and approves.
    app.store
        .create_user(
            None,
            "rita",
            "Rita Reviewer",
            "a long reviewer password",
            Role::Reviewer,
        )
        .unwrap();
    b.goto(&app.url("/login"));
    b.send_keys(&b.find("input#username"), "rita");
    b.send_keys(&b.find("input#password"), "a long reviewer password");
    b.click(&b.find("form.login button[type=submit]"));
    b.wait_until("the review queue", |b| b.url().ends_with("/review"));
    b.screenshot(&shots.join("06-review-queue.png"));
    let slug = parent_path.trim_start_matches("/a/").to_string();
    let article = app.store.article_by_slug(&slug).unwrap().unwrap();
    b.click(&b.find(&format!("a[href='/review/{}']", article.id)));
    b.wait_until("the review page", |b| {
        b.url().contains(&format!("/review/{}", article.id))
    });
    b.click(&b.find("button[name=action][value=claim]"));
    b.wait_until("the claimed article", |b| {
        b.find_all("button[name=action][value=approve]").len() == 1
    });
    b.screenshot(&shots.join("07-review-claimed.png"));
    b.click(&b.find("button[name=action][value=approve]"));
    b.wait_until("the approval", |b| {
        b.find_all(".review-state[data-state=approved]").len() == 1
    });

    let approved = app.store.article(article.id).unwrap().unwrap();
    assert_eq!(approved.state, evident_core::ReviewState::Approved);
    b.goto(&app.url(&parent_path));
    assert_eq!(b.text(&b.find(".steps li[aria-current=step]")), "Approved");
    assert!(
        b.find_all("#caution").is_empty(),
        "no caution banner once approved"
    );
    let updated = b.text(&b.find(".updated time"));
    assert_eq!(
        updated,
        evident_server::html::long_date(approved.approved_at.unwrap())
    );
    b.screenshot(&shots.join("08-article-approved.png"));
}
