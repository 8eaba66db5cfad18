//! The generative composer in the server, with an OpenAI-compatible stand-in model
//! ([`crate::standin`]): what is stored and published, what is withheld and who sees it, the
//! fallback to the quoted article, the streamed ask page, and the check of an editor's wording.

use std::sync::Arc;
use std::time::Duration;

use evident_core::{Answer, Audience, Role};
use evident_server::AppConfig;
use serde_json::json;

use crate::review::{sign_in, PASSWORD};
use crate::standin::{sentences, Behaviour, StandIn, WRONG_NUMBER};
use crate::support::{csrf_field, spawn_app_with, Client, TestApp, NAM};

fn spawn(behaviour: Behaviour) -> (TestApp, StandIn) {
    let model = StandIn::start(behaviour);
    let app = spawn_app_with(
        AppConfig {
            ask_rate_per_minute: 0,
            ask_progress_after: Duration::from_secs(120),
            generator: Some(Arc::new(model.generator())),
            ..AppConfig::default()
        },
        &[],
    );
    (app, model)
}

/// Asks `question` anonymously through the API; the article id and the response body.
fn ask(app: &TestApp, question: &str) -> (i64, serde_json::Value) {
    let r = Client::new().post_json(&app.url("/api/v1/ask"), &json!({"question": question}));
    assert_eq!(r.status, 201, "{}", r.body);
    let body = r.json();
    (body["id"].as_i64().unwrap(), body)
}

/// The stored answer of article `id`'s current version for `audience`.
fn stored(app: &TestApp, id: i64, audience: Audience) -> Answer {
    let a = app.store.article(id).unwrap().unwrap();
    let v = app.store.version(id, a.current_version).unwrap();
    v.answer(audience).clone()
}

fn slug(app: &TestApp, id: i64) -> String {
    app.store.article(id).unwrap().unwrap().slug
}

#[test]
fn a_model_written_article_publishes_only_sentences_that_passed_the_check() {
    let (app, model) = spawn(Behaviour::OneWrongNumber);
    let (id, body) = ask(&app, NAM);
    assert!(model.requests() >= 3, "one request per audience");
    let answer = stored(&app, id, Audience::Clinician);
    assert_eq!(answer.composer, "generative", "{answer:#?}");
    let g = answer.generation.as_ref().expect("the generation report");
    assert!(g.model.contains("stand-in-model"), "{}", g.model);
    assert_eq!(g.fallback, None);
    assert!(g.published >= 3 && g.proposed > g.published, "{g:#?}");
    // Every published statement was written by the model and passed the check.
    let statements: Vec<_> = answer.statements().collect();
    assert_eq!(statements.len() as u32, g.published);
    for s in &statements {
        assert!(s.model_written, "{s:?}");
        let check = s.check.as_ref().expect("a check");
        assert!(check.supported, "{s:?}");
        assert!(!s.text.contains(WRONG_NUMBER), "{s:?}");
    }
    answer.verify().expect("the stored article verifies");
    // The other audiences were written by the model too.
    for audience in [Audience::Patient, Audience::Student] {
        let a = stored(&app, id, audience);
        assert!(a.generation.is_some(), "{audience:?}");
        a.verify().unwrap();
    }

    // The wrong-number sentence is withheld, with why.
    let wrong = g
        .withheld
        .iter()
        .find(|w| w.text.contains(WRONG_NUMBER))
        .unwrap_or_else(|| panic!("withheld: {:#?}", g.withheld));
    assert!(!wrong.check.supported);
    assert_eq!(
        wrong.check.reason_code.as_deref(),
        Some("number"),
        "{wrong:?}"
    );
    assert!(!wrong.passage_ids.is_empty());
    // The anonymous API answer: model sentences with their checks, nothing withheld.
    let api = &body["answer"];
    assert_eq!(api["composer"], "generative");
    assert!(
        api["generation"]["withheld"].is_null(),
        "{}",
        api["generation"]
    );
    assert_eq!(api["lead"][0]["model_written"], true);
    assert_eq!(api["lead"][0]["check"]["supported"], true);
    // (The sentence's words, not the bare number: random ids and tokens may hold any digits.)
    let withheld_json = serde_json::to_string(&wrong.text).unwrap();
    let withheld_json = withheld_json.trim_matches('"');
    assert!(!body.to_string().contains(withheld_json));
    let again = Client::new().get(&app.url(&format!("/api/v1/articles/{id}")));
    assert!(!again.body.contains(withheld_json), "{}", again.body);

    // The public page: model-written marks, never the withheld sentence.
    let page = Client::new().get(&app.url(&format!("/a/{}", slug(&app, id))));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("class=\"model-written\""),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains(&clean_escape(&wrong.text)),
        "{}",
        page.body
    );
    assert!(!page.body.contains(&maud_escape(&wrong.text)));
    assert!(!page.body.contains("generation-fallback"));

    // A reviewer sees the withheld sentence struck through with its reason, and every
    // published sentence's check; the reviewer's API answer lists it too.
    let user = app
        .store
        .create_user(None, "rita", "Rita", PASSWORD, Role::Reviewer)
        .unwrap();
    let (mut c, _) = sign_in(&app, "rita", &[]);
    let workspace = c.get(&app.url(&format!("/review/{id}"))).body;
    let struck = format!("<del>{}</del>", maud_escape(&wrong.text));
    assert!(workspace.contains(&struck), "{workspace}");
    let reason = maud_escape(wrong.check.reason.as_deref().unwrap());
    assert!(workspace.contains(&reason), "{reason} in {workspace}");
    assert_eq!(
        workspace.matches("data-check=\"supported\"").count() as u32,
        g.published,
        "{workspace}"
    );
    assert!(workspace.contains("class=\"model-written\""));
    let token = app.store.create_api_token(&user, "tests").unwrap();
    let auth = format!("Bearer {token}");
    let reviewer_api = c.get_with(
        &app.url(&format!("/api/v1/articles/{id}")),
        &[("Authorization", auth.as_str())],
    );
    assert!(
        reviewer_api.json()["answer"]["generation"]["withheld"]
            .as_array()
            .is_some_and(|w| !w.is_empty()),
        "{}",
        reviewer_api.body
    );
}

#[test]
fn a_failing_model_gives_the_quoted_article_with_a_note() {
    let (app, model) = spawn(Behaviour::Fail);
    let (id, body) = ask(&app, NAM);
    assert!(model.requests() >= 1);
    let answer = stored(&app, id, Audience::Clinician);
    assert_eq!(answer.composer, "grounded");
    let why = answer
        .generation
        .as_ref()
        .and_then(|g| g.fallback.clone())
        .expect("the fallback says why");
    assert!(why.contains("model"), "{why}");
    assert!(answer.statements().all(|s| !s.model_written));
    assert!(answer.statements().count() > 0);
    answer.verify().unwrap();
    // The public reads why without the backend's details (its address, here).
    assert!(why.contains("127.0.0.1"), "{why}");
    let public = body["answer"]["generation"]["fallback"].as_str().unwrap();
    assert_eq!(public, "the model failed; the quoted article is shown");

    let page = Client::new()
        .get(&app.url(&format!("/a/{}", slug(&app, id))))
        .body;
    assert!(
        page.contains(
            "<p class=\"notice generation-fallback\" role=\"note\"><strong>The model-written \
             article could not be used:</strong> the model failed; the quoted article is shown.</p>"
        ),
        "{page}"
    );
    assert!(!page.contains("127.0.0.1"));
    assert!(!page.contains("class=\"model-written\""));

    // Reviewers see the whole reason in the workspace.
    app.store
        .create_user(None, "rita", "Rita", PASSWORD, Role::Reviewer)
        .unwrap();
    let (mut c, _) = sign_in(&app, "rita", &[]);
    let workspace = c.get(&app.url(&format!("/review/{id}"))).body;
    assert!(workspace.contains("generation-fallback"), "{workspace}");
    assert!(workspace.contains("127.0.0.1"), "{workspace}");
}

#[test]
fn the_ask_form_streams_each_checked_sentence_then_the_link() {
    let (app, _model) = spawn(Behaviour::OneWrongNumber);
    let mut c = Client::new();
    let home = c.get(&app.url("/"));
    assert!(
        home.body.contains("a language model writes"),
        "the home page says so"
    );
    let csrf = csrf_field(&home.body).unwrap();
    let r = c.post_form(
        &app.url("/ask"),
        &[
            ("csrf", &csrf),
            ("question", NAM),
            ("audience", "clinician"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert!(!r.body.contains("<script"), "no script");
    let page = &r.body;
    let title = page.find("<h1 id=\"title\">").expect("the question first");
    let first = page
        .find("<li class=\"model-sentence\">")
        .expect("a sentence");
    let ready = page.find("<p id=\"ready\">").expect("then the link");
    assert!(title < first && first < ready, "{page}");
    assert!(page.contains("<meta http-equiv=\"refresh\" content=\"0; url=/a/"));
    // Every streamed sentence is one the stored clinician article publishes (the arrangement
    // only orders them).
    let id = app
        .store
        .article_by_slug(
            page[page.find("url=/a/").unwrap() + 7..]
                .split(['?', '"'])
                .next()
                .unwrap(),
        )
        .unwrap()
        .expect("the stored article")
        .id;
    let answer = stored(&app, id, Audience::Clinician);
    let withheld = &answer.generation.as_ref().unwrap().withheld;
    assert!(!withheld.is_empty());
    for w in withheld {
        assert!(
            !page.contains(&clean_escape(&w.text)),
            "withheld sentences are not streamed: {page}"
        );
    }
    let streamed = page.matches("<li class=\"model-sentence\">").count();
    assert_eq!(
        streamed as u32,
        answer.generation.as_ref().unwrap().published
    );
    for s in answer.statements() {
        assert!(
            page.contains(&clean_escape(&s.text)),
            "{} in {page}",
            s.text
        );
    }
    // The same question again: the stored article answers it, by a redirect.
    let again = c.post_form(
        &app.url("/ask"),
        &[
            ("csrf", &csrf),
            ("question", NAM),
            ("audience", "clinician"),
        ],
    );
    assert_eq!(again.status, 303, "{}", again.body);
}

#[test]
fn an_editors_wording_is_checked_against_its_cited_passage() {
    let (app, _model) = spawn(Behaviour::Faithful);
    let (id, _) = ask(&app, NAM);
    let answer = stored(&app, id, Audience::Clinician);
    assert!(answer.lead.len() >= 2, "{answer:#?}");
    // lead.0 becomes another sentence of a passage it cites (supported); lead.1 gains a dose
    // its passage does not state (not supported).
    let cited = |i: usize| -> Vec<String> {
        let s = &answer.lead[i];
        answer
            .citations
            .iter()
            .filter(|c| s.citations.contains(&c.number))
            .flat_map(|c| sentences(&c.passage))
            .collect()
    };
    let other = cited(0)
        .into_iter()
        .find(|t| t.trim_end_matches('.') != answer.lead[0].text.trim_end_matches('.'))
        .expect("another sentence of the cited passage");
    let wrong = format!(
        "{} at a dose of {WRONG_NUMBER} mg.",
        answer.lead[1].text.trim_end_matches('.')
    );
    app.store
        .create_user(None, "ed", "Ed", PASSWORD, Role::Editor)
        .unwrap();
    let (mut c, _) = sign_in(&app, "ed", &[]);
    let csrf = c.csrf();
    let rev = app.store.article(id).unwrap().unwrap().rev.to_string();
    let cites = |i: usize| {
        answer.lead[i]
            .citations
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (c0, c1) = (cites(0), cites(1));
    let r = c.post_form(
        &app.url(&format!("/review/{id}/revise")),
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("rev", &rev),
            ("audience", "clinician"),
            ("text.lead.0", &other),
            ("cites.lead.0", &c0),
            ("text.lead.1", &wrong),
            ("cites.lead.1", &c1),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let revised = stored(&app, id, Audience::Clinician);
    let (l0, l1) = (&revised.lead[0], &revised.lead[1]);
    assert!(l0.editor_written && l1.editor_written);
    assert_eq!(l0.check.as_ref().map(|c| c.supported), Some(true), "{l0:?}");
    assert_eq!(
        l1.check.as_ref().map(|c| c.supported),
        Some(false),
        "{l1:?}"
    );

    let page = c.get(&app.url(&format!("/review/{id}"))).body;
    let block = |key: &str| {
        let start = page
            .find(&format!("id=\"st-{key}\""))
            .unwrap_or_else(|| panic!("{key} in {page}"));
        let end = page[start..]
            .find("<details>")
            .map_or(page.len(), |e| start + e);
        page[start..end].to_string()
    };
    let b0 = block("lead.0");
    assert!(
        b0.contains("data-check=\"supported\">✔ supported by the cited passage"),
        "{b0}"
    );
    let b1 = block("lead.1");
    assert!(
        b1.contains("data-check=\"unsupported\">✘ not supported: "),
        "{b1}"
    );
    let reason = &b1[b1.find("data-check=\"unsupported\"").unwrap()..];
    let reason = &reason[..reason.find("</p>").unwrap()];
    assert!(
        reason.contains(WRONG_NUMBER),
        "the reason names the dose: {reason}"
    );
}

/// Text as maud escapes it (`&`, `<`, `>`, `"`).
fn maud_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Text as the answer renderer's `Clean` escapes it (maud's, and `'`).
fn clean_escape(s: &str) -> String {
    maud_escape(s).replace('\'', "&#39;")
}
