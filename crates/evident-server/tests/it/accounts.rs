//! Issue 13, finding 10, on the site: admins manage users and API tokens at `/admin/users` and
//! `/admin/tokens` (the store's password policy and last-admin guard answered as pages), and
//! nobody else can.

use evident_core::Role;

use crate::review::{sign_in, PASSWORD};
use crate::support::{csrf_field, enc, spawn_app, Client, Resp, TestApp};

/// Signs `username` in with `password` from a fresh client; the client and the reply.
fn sign_in_as(app: &TestApp, username: &str, password: &str) -> (Client, Resp) {
    let mut c = Client::new();
    c.get(&app.url("/login"));
    let csrf = c.csrf();
    let r = c.post_form(
        &app.url("/login"),
        &[
            ("username", username),
            ("password", password),
            ("csrf", &csrf),
        ],
    );
    (c, r)
}

/// An admin `root`, signed in.
fn admin(app: &TestApp) -> Client {
    app.store
        .create_user(None, "root", "Root", PASSWORD, Role::Admin)
        .unwrap();
    let (c, r) = sign_in(app, "root", &[]);
    assert_eq!(r.status, 303, "{}", r.body);
    c
}

/// Loads `page` and posts `fields` to `action` with the CSRF token of the loaded page's forms.
fn submit(
    c: &mut Client,
    app: &TestApp,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> Resp {
    let loaded = c.get(&app.url(page));
    assert_eq!(loaded.status, 200, "{}", loaded.body);
    let csrf = csrf_field(&loaded.body).expect("the page has a form with a csrf field");
    let mut fields = fields.to_vec();
    fields.push(("csrf", &csrf));
    c.post_form(&app.url(action), &fields)
}

/// The redirect of `r` (a 303 to the page named), followed.
fn follow(c: &mut Client, app: &TestApp, r: &Resp, to: &str) -> Resp {
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").unwrap().to_string();
    assert!(location.starts_with(to), "{location}");
    let page = c.get(&app.url(&location));
    assert_eq!(page.status, 200, "{}", page.body);
    page
}

/// The text of the page's error message (`p.error`).
fn error_text(r: &Resp) -> &str {
    let start = r
        .body
        .find("class=\"error\"")
        .unwrap_or_else(|| panic!("no error: {}", r.body));
    let rest = &r.body[start..];
    let open = rest.find('>').unwrap() + 1;
    &rest[open..rest.find("</p>").unwrap()]
}

fn role_of(app: &TestApp, username: &str) -> Role {
    app.store.user_by_name(username).unwrap().unwrap().role
}

#[test]
fn an_admin_adds_a_user_who_then_signs_in_and_weak_passwords_are_refused() {
    let app = spawn_app();
    let mut root = admin(&app);
    let page = root.get(&app.url("/admin/users"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<h1>Users</h1>"), "{}", page.body);
    assert!(page.body.contains("<strong>root</strong>"), "{}", page.body);
    assert!(
        page.body.contains("href=\"/admin/tokens\""),
        "{}",
        page.body
    );

    let add = |c: &mut Client, name: &str, password: &str| {
        submit(
            c,
            &app,
            "/admin/users",
            "/admin/users",
            &[
                ("username", name),
                ("display_name", "Nia <Reviewer>"),
                ("password", password),
                ("role", "reviewer"),
            ],
        )
    };
    let r = add(&mut root, "nia", "short");
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(error_text(&r).contains("too short"), "{}", error_text(&r));
    assert!(error_text(&r).contains("at least 12"), "{}", error_text(&r));
    // The page is shown again, its forms ready for another try.
    assert!(r.body.contains("Add a user") && csrf_field(&r.body).is_some());
    let r = add(&mut root, "nia", "password1234");
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(error_text(&r).contains("common"), "{}", error_text(&r));
    let r = add(&mut root, "nia", "Nia");
    assert_eq!(r.status, 422);
    assert_eq!(
        app.store.user_by_name("nia").unwrap(),
        None,
        "a refused user was added"
    );
    let r = add(&mut root, "bad name!", "nia's long passphrase");
    assert_eq!(r.status, 422);
    assert!(error_text(&r).contains("username"), "{}", error_text(&r));

    let r = add(&mut root, "nia", "nia's long passphrase");
    let listed = follow(&mut root, &app, &r, "/admin/users?done=add");
    assert!(listed.body.contains("Added nia"), "{}", listed.body);
    assert!(
        listed.body.contains("<strong>nia</strong>"),
        "{}",
        listed.body
    );
    // The display name is text, never markup.
    assert!(
        listed.body.contains("Nia &lt;Reviewer&gt;"),
        "{}",
        listed.body
    );
    assert_eq!(role_of(&app, "nia"), Role::Reviewer);
    let (_, r) = sign_in_as(&app, "nia", "nia's long passphrase");
    assert_eq!(r.status, 303, "{}", r.body);

    let r = add(&mut root, "NIA", "another long passphrase");
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        error_text(&r).contains("already exists"),
        "{}",
        error_text(&r)
    );
}

#[test]
fn roles_change_users_are_disabled_and_enabled_signed_out_and_given_passwords() {
    let app = spawn_app();
    let mut root = admin(&app);
    app.store
        .create_user(None, "nia", "Nia", PASSWORD, Role::Reviewer)
        .unwrap();

    let r = submit(
        &mut root,
        &app,
        "/admin/users",
        "/admin/users/role",
        &[("username", "nia"), ("role", "editor")],
    );
    let page = follow(&mut root, &app, &r, "/admin/users?done=role");
    assert!(page.body.contains("nia is now editor"), "{}", page.body);
    assert_eq!(role_of(&app, "nia"), Role::Editor);
    let r = submit(
        &mut root,
        &app,
        "/admin/users",
        "/admin/users/role",
        &[("username", "nia"), ("role", "emperor")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        error_text(&r).contains("unknown role"),
        "{}",
        error_text(&r)
    );
    let r = submit(
        &mut root,
        &app,
        "/admin/users",
        "/admin/users/role",
        &[("username", "nobody"), ("role", "editor")],
    );
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(error_text(&r).contains("nobody"), "{}", error_text(&r));

    // Disabled: the live session stops and signing in fails; enabled: it works again.
    let (mut nia, r) = sign_in(&app, "nia", &[]);
    assert_eq!(r.status, 303);
    assert_eq!(nia.get(&app.url("/review")).status, 200);
    let r = submit(
        &mut root,
        &app,
        "/admin/users",
        "/admin/users/disable",
        &[("username", "nia"), ("disabled", "true")],
    );
    let page = follow(&mut root, &app, &r, "/admin/users?done=disable");
    assert!(page.body.contains("Disabled nia"), "{}", page.body);
    assert!(page.body.contains("<td>disabled</td>"), "{}", page.body);
    assert!(app.store.is_disabled("nia").unwrap());
    assert_eq!(nia.get(&app.url("/review")).status, 303);
    let (_, r) = sign_in(&app, "nia", &[]);
    assert_eq!(r.status, 401, "a disabled user signed in: {}", r.body);
    let r = submit(
        &mut root,
        &app,
        "/admin/users",
        "/admin/users/disable",
        &[("username", "nia"), ("disabled", "false")],
    );
    follow(&mut root, &app, &r, "/admin/users?done=enable");
    let (mut nia, r) = sign_in(&app, "nia", &[]);
    assert_eq!(r.status, 303, "{}", r.body);

    // Ending nia's sessions signs her out.
    let r = submit(
        &mut root,
        &app,
        "/admin/users",
        "/admin/users/logout",
        &[("username", "nia")],
    );
    let page = follow(&mut root, &app, &r, "/admin/users?done=logout");
    assert!(
        page.body.contains("Ended 1 session of nia"),
        "{}",
        page.body
    );
    assert_eq!(nia.get(&app.url("/review")).status, 303);

    // A new password: the policy holds, and the new one signs in.
    let r = submit(
        &mut root,
        &app,
        "/admin/users",
        "/admin/users/password",
        &[("username", "nia"), ("password", "aaaaaaaaaaaaaaaa")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(error_text(&r).contains("repeated"), "{}", error_text(&r));
    let r = submit(
        &mut root,
        &app,
        "/admin/users",
        "/admin/users/password",
        &[("username", "nia"), ("password", "nia's next passphrase")],
    );
    follow(&mut root, &app, &r, "/admin/users?done=password");
    let (_, r) = sign_in_as(&app, "nia", "nia's next passphrase");
    assert_eq!(r.status, 303, "{}", r.body);

    // The last enabled admin keeps the role; with a second admin, root may step down.
    let r = submit(
        &mut root,
        &app,
        "/admin/users",
        "/admin/users/role",
        &[("username", "root"), ("role", "reviewer")],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(
        error_text(&r).contains("last enabled admin"),
        "{}",
        error_text(&r)
    );
    assert_eq!(role_of(&app, "root"), Role::Admin);
    let r = submit(
        &mut root,
        &app,
        "/admin/users",
        "/admin/users/disable",
        &[("username", "root"), ("disabled", "true")],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(!app.store.is_disabled("root").unwrap());
    let r = submit(
        &mut root,
        &app,
        "/admin/users",
        "/admin/users/role",
        &[("username", "nia"), ("role", "admin")],
    );
    follow(&mut root, &app, &r, "/admin/users?done=role");
    let r = submit(
        &mut root,
        &app,
        "/admin/users",
        "/admin/users/role",
        &[("username", "root"), ("role", "reviewer")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(role_of(&app, "root"), Role::Reviewer);
    assert_eq!(root.get(&app.url("/admin/users")).status, 403);
}

#[test]
fn a_token_issued_on_the_page_is_shown_once_works_and_stops_when_revoked() {
    let app = spawn_app();
    let mut root = admin(&app);
    app.store
        .create_user(None, "nia", "Nia", PASSWORD, Role::Reviewer)
        .unwrap();
    let page = root.get(&app.url("/admin/tokens"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("No API tokens are live"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<option value=\"nia\""), "{}", page.body);

    let r = submit(
        &mut root,
        &app,
        "/admin/tokens",
        "/admin/tokens",
        &[("username", "nia"), ("label", "   ")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(app.store.list_api_tokens().unwrap().is_empty());

    let r = submit(
        &mut root,
        &app,
        "/admin/tokens",
        "/admin/tokens",
        &[("username", "nia"), ("label", "nightly <sync>")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("location"), None);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let opening = "<code id=\"secret\">";
    let start = r.body.find(opening).expect("the secret is shown") + opening.len();
    let secret = r.body[start..start + r.body[start..].find('<').unwrap()].to_string();
    assert!(secret.starts_with("evt_") && secret.len() == 68, "{secret}");
    assert!(r.body.contains("Copy the token now"), "{}", r.body);
    assert!(r.body.contains("nightly &lt;sync&gt;"), "{}", r.body);
    let tokens = app.store.list_api_tokens().unwrap();
    assert_eq!(tokens.len(), 1);
    let id = tokens[0].id.clone();
    assert_eq!(
        (tokens[0].username.as_str(), tokens[0].label.as_str()),
        ("nia", "nightly <sync>")
    );

    // Listed by id, never again in full.
    let listed = root.get(&app.url("/admin/tokens"));
    assert!(
        listed.body.contains(&format!("<code>{id}</code>")),
        "{}",
        listed.body
    );
    assert!(
        !listed.body.contains(&secret[4..]),
        "the list shows the secret"
    );

    let bearer = format!("Bearer {secret}");
    let api = |auth: &str| {
        Client::new()
            .get_with(&app.url("/api/v1/articles"), &[("Authorization", auth)])
            .status
    };
    assert_eq!(api(&bearer), 200);
    assert_eq!(api(&format!("Bearer evt_{}", "0".repeat(64))), 401);

    let r = submit(
        &mut root,
        &app,
        "/admin/tokens",
        "/admin/tokens/revoke",
        &[("id", &id)],
    );
    let page = follow(&mut root, &app, &r, "/admin/tokens?done=revoke");
    assert!(
        page.body.contains(&format!("Revoked token {id}")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("No API tokens are live"),
        "{}",
        page.body
    );
    assert_eq!(api(&bearer), 401);

    let r = submit(
        &mut root,
        &app,
        "/admin/tokens",
        "/admin/tokens/revoke",
        &[("id", &id)],
    );
    assert_eq!(r.status, 404, "{}", r.body);
    let r = submit(
        &mut root,
        &app,
        "/admin/tokens",
        "/admin/tokens/revoke",
        &[("id", "evt_123")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        error_text(&r).contains("12 hex digits"),
        "{}",
        error_text(&r)
    );
    let r = submit(
        &mut root,
        &app,
        "/admin/tokens",
        "/admin/tokens",
        &[("username", "nobody"), ("label", "ci")],
    );
    assert_eq!(r.status, 404, "{}", r.body);
}

#[test]
fn only_admins_open_the_account_pages() {
    let app = spawn_app();
    app.store
        .create_user(None, "rita", "Rita", PASSWORD, Role::Reviewer)
        .unwrap();
    for path in ["/admin/users", "/admin/tokens"] {
        let r = Client::new().get(&app.url(path));
        assert_eq!(r.status, 303, "{path}: {}", r.body);
        let location = r.header("location").unwrap();
        assert!(
            location.starts_with("/login?next=") && location.ends_with(&enc(&path[7..])),
            "{location}"
        );
    }
    let (mut rita, _) = sign_in(&app, "rita", &[]);
    for path in ["/admin/users", "/admin/tokens"] {
        let r = rita.get(&app.url(path));
        assert_eq!(r.status, 403, "{path}: {}", r.body);
    }
    // Her forms, with her own valid token, change nothing.
    let csrf = rita.csrf();
    let posts: [(&str, Vec<(&str, &str)>); 4] = [
        (
            "/admin/users",
            vec![
                ("username", "mallory"),
                ("password", "mallory's long passphrase"),
                ("role", "admin"),
            ],
        ),
        (
            "/admin/users/role",
            vec![("username", "rita"), ("role", "admin")],
        ),
        (
            "/admin/tokens",
            vec![("username", "rita"), ("label", "mine")],
        ),
        (
            "/admin/users/password",
            vec![("username", "rita"), ("password", "rita's own passphrase")],
        ),
    ];
    for (action, mut fields) in posts {
        fields.push(("csrf", &csrf));
        let r = rita.post_form(&app.url(action), &fields);
        assert_eq!(r.status, 403, "{action}: {}", r.body);
    }
    assert_eq!(app.store.user_by_name("mallory").unwrap(), None);
    assert_eq!(role_of(&app, "rita"), Role::Reviewer);
    assert!(app.store.list_api_tokens().unwrap().is_empty());
    let (_, r) = sign_in(&app, "rita", &[]);
    assert_eq!(r.status, 303, "her password changed");
}

#[test]
fn account_forms_without_the_sessions_csrf_token_are_refused() {
    let app = spawn_app();
    let mut root = admin(&app);
    let fields = [
        ("username", "mallory"),
        ("password", "mallory's long passphrase"),
        ("role", "admin"),
    ];
    let r = root.post_form(&app.url("/admin/users"), &fields);
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("csrf_failed"), "{}", r.body);
    let mut forged = fields.to_vec();
    let planted = "ab".repeat(32);
    forged.push(("csrf", &planted));
    let r = root.post_form(&app.url("/admin/users"), &forged);
    assert_eq!(r.status, 403, "{}", r.body);
    // Another session's token does not pass either.
    let mut other = Client::new();
    other.get(&app.url("/login"));
    let theirs = other.csrf();
    let mut foreign = fields.to_vec();
    foreign.push(("csrf", &theirs));
    assert_eq!(
        root.post_form(&app.url("/admin/users"), &foreign).status,
        403
    );
    let r = root.post_form(
        &app.url("/admin/users/disable"),
        &[("username", "root"), ("disabled", "true")],
    );
    assert_eq!(r.status, 403);
    assert_eq!(app.store.user_by_name("mallory").unwrap(), None);
    // With the token it goes through.
    let r = submit(&mut root, &app, "/admin/users", "/admin/users", &fields);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(role_of(&app, "mallory"), Role::Admin);
}
