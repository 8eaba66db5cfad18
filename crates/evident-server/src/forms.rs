//! The one extractor for HTML forms that change something: [`CsrfForm`] parses the body into
//! the handler's type and checks the form's `csrf` field against the token bound to the
//! request's session (see [`crate::security`]) before the handler runs. Form types need no CSRF field of their own and no trait.
//!
//! The body is parsed twice, once into the handler's type and once for the token alone, rather
//! than into one struct with `#[serde(flatten)]`: flattening makes serde buffer the fields as
//! strings, and urlencoded numbers (`version=3`) then fail to parse as numbers.

use axum::body::Body;
use axum::extract::{Form, FromRequest, RawForm, Request};
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::{AppError, PageError};
use crate::security::{check_csrf, CsrfToken};
use crate::AppState;

/// A urlencoded form body whose rejections are answered as pages; the form must carry a `csrf`
/// field equal to the request's bound CSRF token. A body that does not parse as `T` is refused as
/// such before the token is looked at.
pub struct CsrfForm<T>(pub T);

/// The token field every state-changing form carries (see [`crate::html::csrf_field`]).
#[derive(Deserialize)]
struct Token {
    #[serde(default)]
    csrf: String,
}

impl<T> FromRequest<AppState> for CsrfForm<T>
where
    T: DeserializeOwned + Send,
{
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let expected = req.extensions().get::<CsrfToken>().cloned();
        let extensions = req.extensions().clone();
        let RawForm(bytes) = RawForm::from_request(req, state)
            .await
            .map_err(|rej| form_rejection(rej.status(), rej.body_text(), state))?;
        // The body is read and its content type checked; what is left is deserialization, done
        // by axum's own `Form` so that its messages stay the same.
        let parse = |bytes| {
            let mut req = Request::new(Body::from(bytes));
            *req.method_mut() = axum::http::Method::POST;
            *req.extensions_mut() = extensions.clone();
            req.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            req
        };
        let Form(value) = Form::<T>::from_request(parse(bytes.clone()), state)
            .await
            .map_err(|rej| form_rejection(rej.status(), rej.body_text(), state))?;
        // Only a duplicated `csrf` field fails here, refused as a bad form like any other.
        let Form(token) = Form::<Token>::from_request(parse(bytes), state)
            .await
            .map_err(|rej| form_rejection(rej.status(), rej.body_text(), state))?;
        check_csrf(expected.as_ref(), &token.csrf)?;
        Ok(CsrfForm(value))
    }
}

/// A form body axum refused, as the page error that says why.
fn form_rejection(status: StatusCode, text: String, state: &AppState) -> AppError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge {
            limit: state.config().max_form_bytes,
        },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType(
            "send the form as application/x-www-form-urlencoded".into(),
        ),
        StatusCode::UNPROCESSABLE_ENTITY => AppError::Invalid(text),
        _ => AppError::Malformed(text),
    }
}
