//! Sign-in and sign-out: the form, the session cookie, and where to go next (a local path only,
//! never another site).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::Extension;
use evident_core::Role;
use maud::{html, Markup};
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{csrf, page};
use crate::error::{AppError, PageError};
use crate::forms::CsrfForm;
use crate::security::{
    fresh_pre_session_cookie, secure_request, session_cookie_name, session_token, set_cookie,
    CsrfToken,
};
use crate::{blocking, AppState, ClientIp, PageUser};

/// A local path to return to after signing in (never another site): it starts with exactly one
/// `/` and holds no backslash, whitespace or control character. Browsers drop tabs and newlines
/// from a `Location`, so `/\t/evil.example` would become `//evil.example`; and a newline is not
/// a valid header value at all.
fn local_next(next: Option<&str>) -> Option<String> {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n
                .chars()
                .any(|c| c == '\\' || c.is_whitespace() || c.is_control())
    })
    .map(str::to_string)
}

fn login_body(token: &str, next: Option<&str>, error: Option<&str>) -> Markup {
    html! {
        h1 { "Sign in" } "\n"
        p { "For members of the Medical Advisory Board and editors." } "\n"
        @if let Some(e) = error {
            p.error role="alert" { (e) }
        }
        form.login method="post" action="/login" {
            (csrf(token))
            input type="hidden" name="next" value=(next.unwrap_or(""));
            label for="username" { "Username" }
            input type="text" id="username" name="username" autocomplete="username" required;
            label for="password" { "Password" }
            input type="password" id="password" name="password" autocomplete="current-password" required;
            p { button.primary type="submit" { "Sign in" } }
        }
        "\n"
    }
}

pub(super) async fn login_page(
    Query(q): Query<HashMap<String, String>>,
    PageUser(user): PageUser,
    Extension(csrf): Extension<CsrfToken>,
) -> Response {
    let next = local_next(q.get("next").map(String::as_str));
    page(
        StatusCode::OK,
        "Sign in",
        user.as_ref(),
        login_body(&csrf.0, next.as_deref(), None),
    )
}

#[derive(Debug, Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

pub(super) async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, PageError> {
    let store = state.store();
    let (username, password) = (form.username.clone(), form.password);
    let client = ip.to_string();
    let result = blocking(move || {
        let user = store.authenticate(&username, &password, &client)?;
        let token = store.create_session(&user)?;
        Ok((user, token))
    })
    .await;
    let next = local_next(form.next.as_deref());
    match result {
        Ok((user, token)) => {
            let target = next.unwrap_or_else(|| {
                if user.role >= Role::Reviewer {
                    "/review".into()
                } else {
                    "/".into()
                }
            });
            let secure = secure_request(&state, &headers);
            let max_age = (evident_store::SESSION_TTL_MS / 1000) as u64;
            // The new session rotates the CSRF token; the pre-session cookie is renewed too.
            Ok((
                AppendHeaders([
                    (
                        header::SET_COOKIE,
                        set_cookie(
                            session_cookie_name(secure),
                            &token,
                            true,
                            secure,
                            Some(max_age),
                        ),
                    ),
                    (header::SET_COOKIE, fresh_pre_session_cookie(secure)),
                ]),
                Redirect::to(&target),
            )
                .into_response())
        }
        Err(AppError::Store(
            e @ (evident_store::Error::InvalidCredentials
            | evident_store::Error::RateLimited { .. }),
        )) => {
            let retry_after = match &e {
                evident_store::Error::RateLimited { retry_after_secs } => Some(*retry_after_secs),
                _ => None,
            };
            let status = AppError::Store(e).parts().0;
            let message = match retry_after {
                Some(secs) => format!("Too many failed sign-ins; try again in {secs} s."),
                None => "Wrong username or password.".to_string(),
            };
            let mut resp = page(
                status,
                "Sign in",
                None,
                login_body(&csrf.0, next.as_deref(), Some(&message)),
            );
            if let Some(secs) = retry_after {
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
            }
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn logout_page(
    PageUser(user): PageUser,
    Extension(token): Extension<CsrfToken>,
) -> Response {
    let body = html! {
        h1 { "Sign out" }
        form method="post" action="/logout" {
            (csrf(&token.0))
            p { button.primary type="submit" { "Sign out" } }
        }
    };
    page(StatusCode::OK, "Sign out", user.as_ref(), body)
}

pub(super) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm(_): CsrfForm<IgnoredAny>,
) -> Result<Response, PageError> {
    if let Some(token) = session_token(&state, &headers).map(str::to_string) {
        let store = state.store();
        blocking(move || Ok(store.end_session(&token)?)).await?;
    }
    let secure = secure_request(&state, &headers);
    Ok((
        AppendHeaders([
            (
                header::SET_COOKIE,
                set_cookie(session_cookie_name(secure), "", true, secure, Some(0)),
            ),
            (header::SET_COOKIE, fresh_pre_session_cookie(secure)),
        ]),
        Redirect::to("/"),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_always_local() {
        assert_eq!(local_next(Some("/review/3")), Some("/review/3".into()));
        assert_eq!(local_next(Some("//evil.example")), None);
        assert_eq!(local_next(Some("https://evil.example")), None);
        assert_eq!(local_next(Some("/\\evil.example")), None);
        for hostile in [
            "/\t/evil.example",
            "/\n",
            "/\r\n/x",
            "/ /evil.example",
            "/\u{0}/x",
        ] {
            assert_eq!(local_next(Some(hostile)), None, "{hostile:?}");
        }
        assert_eq!(
            local_next(Some("/a/x?audience=patient")),
            Some("/a/x?audience=patient".into())
        );
    }
}
