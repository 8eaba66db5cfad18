//! The JSON API under `/api/v1` and its OpenAPI 3 document.
//!
//! One route table, [`ROUTES`], builds both the router and the document, so a route cannot be
//! served without being documented. Every error body is `{"code", "message"}` (see
//! [`crate::error`]); extractor rejections (malformed JSON, missing fields, bad query strings,
//! oversized bodies) are turned into the same body by [`ApiJson`], [`ApiQuery`] and [`ApiPath`].

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use evident_core::{Answer, Audience, ReviewState, MAX_QUESTION_BYTES};
use evident_index::SearchOptions;
use evident_store::{Article, ArticleQuery, Seen, User};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ApiError, AppError};
use crate::pages::{last_updated, shown_state, visible_article};
use crate::service::{self, page_audience};
use crate::{blocking, ApiUser, AppState, ClientIp};

mod openapi;
mod routes;

pub use openapi::openapi;
pub use routes::{routes, ApiRoute, Param, ROUTES};

// ---------------------------------------------------------------------------------------------
// Extractors whose rejections are our JSON errors

/// A JSON body (`Content-Type: application/json`, at most `max_json_bytes`).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(ApiError(match rej.status() {
                StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge {
                    limit: state.config().max_json_bytes,
                },
                StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType(
                    "send the body as JSON with Content-Type: application/json".into(),
                ),
                StatusCode::UNPROCESSABLE_ENTITY => AppError::Invalid(rej.body_text()),
                _ => AppError::Malformed(rej.body_text()),
            })),
        }
    }
}

/// A query string.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(rej) => Err(ApiError(AppError::Malformed(rej.body_text()))),
        }
    }
}

/// Path parameters.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(rej) => Err(ApiError(AppError::Malformed(format!(
                "invalid path parameter: {}",
                rej.body_text()
            )))),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Bodies

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AskBody {
    pub question: String,
    #[serde(default)]
    pub audience: Option<Audience>,
    #[serde(default)]
    pub parent_id: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpBody {
    pub question: String,
    #[serde(default)]
    pub audience: Option<Audience>,
}

/// An article as the API shows it.
#[derive(Debug, Serialize)]
pub struct ArticleJson {
    pub id: i64,
    pub slug: String,
    /// The article page, relative to this server.
    pub url: String,
    pub question: String,
    /// Review state of the latest version.
    pub state: ReviewState,
    /// What the public page shows: `approved` while an approved version is published.
    pub public_state: ReviewState,
    pub current_version: u32,
    pub published_version: Option<u32>,
    /// The version whose answer is included (the published one, else the latest).
    pub shown_version: u32,
    /// The article's revision counter: send it back with a review action, with
    /// `current_version`, to say which state the action was chosen on.
    pub rev: i64,
    /// Display name (never the login name) of the reviewer who claimed it.
    pub claimed_by: Option<String>,
    /// Display name of the reviewer who approved the published version.
    pub approved_by: Option<String>,
    /// Milliseconds since the Unix epoch, UTC.
    pub approved_at: Option<i64>,
    pub parent_id: Option<i64>,
    pub source_changed: bool,
    pub merged_into: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The approval time of the published version, else `updated_at`.
    pub last_updated: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reused: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_ups: Option<Vec<ArticleJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<Answer>,
}

impl ArticleJson {
    pub fn brief(a: &Article) -> ArticleJson {
        ArticleJson {
            id: a.id,
            slug: a.slug.clone(),
            url: format!("/a/{}", a.slug),
            question: a.question.clone(),
            state: a.state,
            public_state: shown_state(a),
            current_version: a.current_version,
            published_version: a.published_version,
            shown_version: a.shown_version(),
            rev: a.rev,
            claimed_by: a.claimed_by_name.clone(),
            approved_by: a.approved_by_name.clone(),
            approved_at: a.approved_at,
            parent_id: a.parent_id,
            source_changed: a.source_changed,
            merged_into: a.merged_into.clone(),
            created_at: a.created_at,
            updated_at: a.updated_at,
            last_updated: last_updated(a),
            reused: None,
            follow_ups: None,
            answer: None,
        }
    }
}

/// The article with its answer for `audience` and the follow-ups `viewer` may see.
async fn full_article(
    state: &AppState,
    viewer: Option<User>,
    article: Article,
    audience: Audience,
    reused: Option<bool>,
) -> Result<ArticleJson, AppError> {
    let store = state.store();
    blocking(move || {
        let version = store.version(article.id, article.shown_version())?;
        let children = store.children(article.id)?;
        let mut out = ArticleJson::brief(&article);
        out.reused = reused;
        out.follow_ups = Some(
            children
                .iter()
                .filter(|c| c.visible_to(viewer.as_ref()))
                .map(ArticleJson::brief)
                .collect(),
        );
        out.answer = Some(answer_for(version.answer(audience), viewer.as_ref()));
        Ok(out)
    })
    .await
}

/// The answer as `viewer` may read it: the model's sentences that failed the support check
/// (`generation.withheld`), and the details of why a model failed (which can name an internal
/// server), are for reviewers, editors and admins only, never the public.
pub(crate) fn answer_for(answer: &Answer, viewer: Option<&User>) -> Answer {
    let mut answer = answer.clone();
    let reviewer = viewer.is_some_and(|u| u.role >= evident_core::Role::Reviewer);
    if !reviewer {
        if let Some(g) = answer.generation.as_mut() {
            g.withheld.clear();
            if let Some(why) = &g.fallback {
                g.fallback = Some(evident_answer::render::html::public_fallback(why));
            }
        }
    }
    answer
}

// ---------------------------------------------------------------------------------------------
// Handlers

async fn ask(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<AskBody>,
) -> Result<Response, ApiError> {
    state.limiter().check(ip)?;
    let audience = page_audience(body.audience.unwrap_or_default());
    if let Some(parent) = body.parent_id {
        visible_article(&state, user.as_ref(), parent).await?;
    }
    let asked = service::ask(&state, user.clone(), body.question, body.parent_id).await?;
    created_or_reused(&state, user, asked, audience).await
}

async fn created_or_reused(
    state: &AppState,
    viewer: Option<User>,
    asked: service::Asked,
    audience: Audience,
) -> Result<Response, ApiError> {
    let status = if asked.reused {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let location = format!("/api/v1/articles/{}", asked.article.id);
    let body = full_article(state, viewer, asked.article, audience, Some(asked.reused)).await?;
    Ok((status, [(header::LOCATION, location)], Json(body)).into_response())
}

#[derive(Debug, Deserialize)]
struct ArticleParams {
    #[serde(default)]
    audience: Option<Audience>,
}

async fn get_article(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<ArticleParams>,
) -> Result<Json<ArticleJson>, ApiError> {
    let article = visible_article(&state, user.as_ref(), id).await?;
    let audience = page_audience(params.audience.unwrap_or_default());
    Ok(Json(
        full_article(&state, user, article, audience, None).await?,
    ))
}

#[derive(Debug, Deserialize)]
struct ListParams {
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    published_only: Option<bool>,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    offset: Option<usize>,
}

#[derive(Debug, Serialize)]
struct ArticleList {
    articles: Vec<ArticleJson>,
}

async fn list_articles(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<ArticleList>, ApiError> {
    let limit = params.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::Invalid(format!("limit {limit} is out of range 1–100")).into());
    }
    let states = match params.state.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => s
            .split(',')
            .map(|s| s.parse::<ReviewState>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| AppError::Invalid(e.to_string()))?,
        None => Vec::new(),
    };
    let q = ArticleQuery {
        states,
        text: params.query.filter(|q| !q.trim().is_empty()),
        published_only: params.published_only.unwrap_or(false),
        limit,
        offset: params.offset.unwrap_or(0),
        ..ArticleQuery::default()
    }
    .visible_to(user.as_ref());
    let store = state.store();
    let articles = blocking(move || Ok(store.list_articles(&q)?)).await?;
    Ok(Json(ArticleList {
        articles: articles.iter().map(ArticleJson::brief).collect(),
    }))
}

async fn follow_up(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<FollowUpBody>,
) -> Result<Response, ApiError> {
    state.limiter().check(ip)?;
    let audience = page_audience(body.audience.unwrap_or_default());
    visible_article(&state, user.as_ref(), id).await?;
    let asked = service::ask(&state, user.clone(), body.question, Some(id)).await?;
    created_or_reused(&state, user, asked, audience).await
}

#[derive(Debug, Deserialize)]
struct SearchParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    k: Option<usize>,
    #[serde(default)]
    audience: Option<Audience>,
}

#[derive(Debug, Serialize)]
struct SearchResponse {
    query: String,
    k: usize,
    hits: Vec<evident_index::Hit>,
}

async fn search(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchResponse>, ApiError> {
    let q = params.q.trim().to_string();
    if q.is_empty() {
        return Err(AppError::Invalid("q is empty: give words to search for".into()).into());
    }
    if q.len() > MAX_QUESTION_BYTES {
        return Err(AppError::Invalid(format!(
            "q is {} bytes long; the limit is {}",
            q.len(),
            MAX_QUESTION_BYTES
        ))
        .into());
    }
    let k = params.k.unwrap_or(10);
    if !(1..=50).contains(&k) {
        return Err(AppError::Invalid(format!("k {k} is out of range 1–50")).into());
    }
    let opts = SearchOptions {
        k,
        audience: page_audience(params.audience.unwrap_or_default()),
        ..SearchOptions::default()
    };
    let library = state.library();
    let query = q.clone();
    let hits = blocking(move || Ok(library.search(&query, &opts)?)).await?;
    Ok(Json(SearchResponse { query: q, k, hits }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    pub action: evident_core::Action,
    /// The version number the reviewer saw (`current_version`).
    pub version: u32,
    /// The article's `rev` the reviewer saw: the action is refused (409 `changed`) when the
    /// article has changed since.
    pub rev: i64,
    #[serde(default)]
    pub comment: Option<String>,
}

async fn review_action(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> Result<Json<ArticleJson>, ApiError> {
    use evident_core::Action;
    let user = user.ok_or_else(|| {
        AppError::Unauthenticated("review articles (send Authorization: Bearer <token>)".into())
    })?;
    let store = state.store();
    let viewer = user.clone();
    let article =
        blocking(move || {
            let actor = Some(&user);
            let v = Seen {
                version: body.version,
                rev: body.rev,
            };
            Ok(match body.action {
                Action::Claim => store.claim(actor, id, v)?,
                Action::Approve => store.approve(actor, id, v)?,
                Action::RequestChanges => {
                    let comments = body
                        .comment
                        .filter(|c| !c.trim().is_empty())
                        .map(|c| {
                            vec![evident_store::NewComment {
                                target: None,
                                body: c,
                            }]
                        })
                        .unwrap_or_default();
                    store.request_changes(actor, id, v, comments)?
                }
                Action::Withdraw => store.withdraw(actor, id, v)?,
                Action::Reopen => store.reopen(actor, id, v)?,
                Action::Revise => return Err(AppError::Invalid(
                    "revise is not a review action here: editors revise in the review workspace"
                        .into(),
                )),
            })
        })
        .await?;
    Ok(Json(
        full_article(&state, Some(viewer), article, Audience::Clinician, None).await?,
    ))
}

async fn openapi_json() -> Json<Value> {
    Json(openapi())
}

#[cfg(test)]
mod tests;
