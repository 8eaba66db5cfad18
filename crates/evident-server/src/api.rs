//! The JSON API under `/api/v1` and its OpenAPI 3 document.
//!
//! One route table, [`ROUTES`], builds both the router and the document, so a route cannot be
//! served without being documented. Every error body is `{"code", "message"}` (see
//! [`crate::error`]); extractor rejections (malformed JSON, missing fields, bad query strings,
//! oversized bodies) are turned into the same body by [`ApiJson`], [`ApiQuery`] and [`ApiPath`].

use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use evident_core::{Answer, Audience, ReviewState};
use evident_index::SearchOptions;
use evident_store::{Article, ArticleQuery};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::{ApiError, AppError};
use crate::pages::{last_updated, shown_state};
use crate::service::{self, page_audience};
use crate::{blocking, ApiUser, AppState, ClientIp};

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
    pub claimed_by: Option<String>,
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
            claimed_by: a.claimed_by.clone(),
            approved_by: a.approved_by.clone(),
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

/// The article with its answer for `audience` and its follow-ups.
async fn full_article(
    state: &AppState,
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
        out.follow_ups = Some(children.iter().map(ArticleJson::brief).collect());
        out.answer = Some(version.answer(audience).clone());
        Ok(out)
    })
    .await
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
    let asked = service::ask(&state, user, body.question, body.parent_id).await?;
    created_or_reused(&state, asked, audience).await
}

async fn created_or_reused(
    state: &AppState,
    asked: service::Asked,
    audience: Audience,
) -> Result<Response, ApiError> {
    let status = if asked.reused {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let location = format!("/api/v1/articles/{}", asked.article.id);
    let body = full_article(state, asked.article, audience, Some(asked.reused)).await?;
    Ok((status, [(header::LOCATION, location)], Json(body)).into_response())
}

#[derive(Debug, Deserialize)]
struct ArticleParams {
    #[serde(default)]
    audience: Option<Audience>,
}

async fn get_article(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<ArticleParams>,
) -> Result<Json<ArticleJson>, ApiError> {
    let store = state.store();
    let article = blocking(move || Ok(store.article(id)?))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("article {id} not found")))?;
    let audience = page_audience(params.audience.unwrap_or_default());
    Ok(Json(full_article(&state, article, audience, None).await?))
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
    };
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
    let asked = service::ask(&state, user, body.question, Some(id)).await?;
    created_or_reused(&state, asked, audience).await
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
    if q.len() > service::MAX_QUESTION_BYTES {
        return Err(AppError::Invalid(format!(
            "q is {} bytes long; the limit is {}",
            q.len(),
            service::MAX_QUESTION_BYTES
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
    /// The version number the reviewer saw.
    pub version: u32,
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
    let article =
        blocking(move || {
            let actor = Some(&user);
            let v = body.version;
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
        full_article(&state, article, Audience::Clinician, None).await?,
    ))
}

async fn openapi_json() -> Json<Value> {
    Json(openapi())
}

// ---------------------------------------------------------------------------------------------
// The route table

/// A query or path parameter.
pub struct Param {
    pub name: &'static str,
    pub location: &'static str,
    pub required: bool,
    pub schema: &'static str,
    pub description: &'static str,
}

/// One API route: how to serve it and how to document it.
pub struct ApiRoute {
    pub method: Method,
    /// Axum and OpenAPI share the `{name}` syntax for path parameters.
    pub path: &'static str,
    pub operation_id: &'static str,
    pub summary: &'static str,
    pub params: &'static [Param],
    /// Component schema of the JSON body, if any.
    pub request: Option<&'static str>,
    /// (status, component schema) of the successful responses.
    pub success: &'static [(u16, &'static str)],
    /// Error statuses this route can answer with (all with the `Error` body).
    pub errors: &'static [u16],
    pub handler: fn() -> MethodRouter<AppState>,
}

const AUDIENCE_PARAM: Param = Param {
    name: "audience",
    location: "query",
    required: false,
    schema: "audience",
    description: "Which rendering of the answer: clinician (default), patient or student.",
};

const ID_PARAM: Param = Param {
    name: "id",
    location: "path",
    required: true,
    schema: "integer",
    description: "Article id.",
};

/// Every route of the JSON API.
pub const ROUTES: &[ApiRoute] = &[
    ApiRoute {
        method: Method::POST,
        path: "/api/v1/ask",
        operation_id: "ask",
        summary: "Ask a question: reuses an existing article that answers it, else composes a cited answer (for every audience) and stores it as a new article in state submitted.",
        params: &[],
        request: Some("AskRequest"),
        success: &[(200, "Article"), (201, "Article")],
        errors: &[400, 401, 404, 413, 415, 422, 429, 500],
        handler: || post(ask),
    },
    ApiRoute {
        method: Method::GET,
        path: "/api/v1/articles",
        operation_id: "listArticles",
        summary: "List articles, newest first; optionally only those whose question has all the given words.",
        params: &[
            Param { name: "query", location: "query", required: false, schema: "string", description: "Words that must all occur in the question." },
            Param { name: "state", location: "query", required: false, schema: "string", description: "Comma-separated review states: submitted, under_review, changes_requested, approved, withdrawn." },
            Param { name: "published_only", location: "query", required: false, schema: "boolean", description: "Only articles with an approved version." },
            Param { name: "limit", location: "query", required: false, schema: "integer", description: "1–100, default 20." },
            Param { name: "offset", location: "query", required: false, schema: "integer", description: "Articles to skip." },
        ],
        request: None,
        success: &[(200, "ArticleList")],
        errors: &[400, 422, 500],
        handler: || get(list_articles),
    },
    ApiRoute {
        method: Method::GET,
        path: "/api/v1/articles/{id}",
        operation_id: "getArticle",
        summary: "One article with the answer of its shown version (the approved one, else the latest) for the audience, and its follow-ups.",
        params: &[ID_PARAM, AUDIENCE_PARAM],
        request: None,
        success: &[(200, "Article")],
        errors: &[400, 404, 500],
        handler: || get(get_article),
    },
    ApiRoute {
        method: Method::POST,
        path: "/api/v1/articles/{id}/follow-ups",
        operation_id: "askFollowUp",
        summary: "Ask a follow-up of an article: answered in the context of the article it follows, stored as a new article linked to it.",
        params: &[ID_PARAM],
        request: Some("FollowUpRequest"),
        success: &[(200, "Article"), (201, "Article")],
        errors: &[400, 401, 404, 413, 415, 422, 429, 500],
        handler: || post(follow_up),
    },
    ApiRoute {
        method: Method::POST,
        path: "/api/v1/articles/{id}/review",
        operation_id: "reviewArticle",
        summary: "Take a review action (claim, approve, request_changes, withdraw, reopen) on the version you saw. Needs a reviewer's or editor's API token; a stale version or a concurrent change is 409.",
        params: &[ID_PARAM],
        request: Some("ReviewRequest"),
        success: &[(200, "Article")],
        errors: &[400, 401, 403, 404, 409, 413, 415, 422, 500],
        handler: || post(review_action),
    },
    ApiRoute {
        method: Method::GET,
        path: "/api/v1/search",
        operation_id: "searchPassages",
        summary: "Search the library for passages (BM25, with dense fusion when the model is installed).",
        params: &[
            Param { name: "q", location: "query", required: true, schema: "string", description: "Question or keywords." },
            Param { name: "k", location: "query", required: false, schema: "integer", description: "Passages to return, 1–50, default 10." },
            AUDIENCE_PARAM,
        ],
        request: None,
        success: &[(200, "SearchResponse")],
        errors: &[400, 422, 500],
        handler: || get(search),
    },
    ApiRoute {
        method: Method::GET,
        path: "/api/openapi.json",
        operation_id: "openapi",
        summary: "This OpenAPI 3 document.",
        params: &[],
        request: None,
        success: &[(200, "OpenApiDocument")],
        errors: &[],
        handler: || get(openapi_json),
    },
];

/// The API routes of [`ROUTES`], with the JSON body limit.
pub fn routes(state: &AppState) -> Router<AppState> {
    let mut router = Router::new();
    for r in ROUTES {
        router = router.route(r.path, (r.handler)());
    }
    router.layer(DefaultBodyLimit::max(state.config().max_json_bytes))
}

fn status_text(code: u16) -> &'static str {
    StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Response")
}

fn param_schema(kind: &str) -> Value {
    match kind {
        "audience" => json!({"$ref": "#/components/schemas/Audience"}),
        "integer" => json!({"type": "integer", "format": "int64"}),
        other => json!({"type": other}),
    }
}

/// The OpenAPI 3.0 document of [`ROUTES`].
pub fn openapi() -> Value {
    let mut paths = serde_json::Map::new();
    for r in ROUTES {
        let mut responses = serde_json::Map::new();
        for (status, schema) in r.success {
            let content = if *schema == "OpenApiDocument" {
                json!({"application/json": {"schema": {"type": "object"}}})
            } else {
                json!({"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}})
            };
            responses.insert(
                status.to_string(),
                json!({"description": status_text(*status), "content": content}),
            );
        }
        for status in r.errors {
            let mut resp = json!({
                "description": status_text(*status),
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
            });
            if *status == 429 {
                resp["headers"] = json!({"Retry-After": {"description": "Seconds until a request will be accepted.", "schema": {"type": "integer"}}});
            }
            responses.insert(status.to_string(), resp);
        }
        let mut op = json!({
            "operationId": r.operation_id,
            "summary": r.summary,
            "responses": responses,
        });
        if !r.params.is_empty() {
            op["parameters"] = Value::Array(
                r.params
                    .iter()
                    .map(|p| {
                        json!({
                            "name": p.name,
                            "in": p.location,
                            "required": p.required,
                            "description": p.description,
                            "schema": param_schema(p.schema),
                        })
                    })
                    .collect(),
            );
        }
        if r.errors.contains(&403) {
            op["security"] = json!([{"bearer": []}]);
        } else if r.errors.contains(&401) {
            op["security"] = json!([{}, {"bearer": []}]);
        }
        if let Some(schema) = r.request {
            op["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}
            });
        }
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        entry[r.method.as_str().to_ascii_lowercase()] = op;
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Evident API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Ask clinical questions and get answer articles in which every statement cites the exact passage of a named source. Errors are always {\"code\", \"message\"}. POST bodies must be application/json and at most 16 KiB by default; asking is rate limited per client (429 with Retry-After). Send `Authorization: Bearer <token>` to act as a user.",
            "license": {"name": "Apache-2.0"}
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas(),
        }
    })
}

fn schemas() -> Value {
    let nullable_int = json!({"type": "integer", "format": "int64", "nullable": true});
    let nullable_str = json!({"type": "string", "nullable": true});
    json!({
        "Error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "Stable snake_case code, e.g. not_found, malformed_request, invalid_request, payload_too_large, rate_limited, conflict."},
                "message": {"type": "string"}
            }
        },
        "Audience": {"type": "string", "enum": ["clinician", "patient", "student", "all"]},
        "ReviewState": {"type": "string", "enum": ReviewState::ALL.iter().map(|s| s.code()).collect::<Vec<_>>()},
        "AskRequest": {
            "type": "object",
            "required": ["question"],
            "additionalProperties": false,
            "properties": {
                "question": {"type": "string", "maxLength": service::MAX_QUESTION_BYTES},
                "audience": {"$ref": "#/components/schemas/Audience"},
                "parent_id": {"type": "integer", "format": "int64", "description": "Ask as a follow-up of this article."}
            }
        },
        "FollowUpRequest": {
            "type": "object",
            "required": ["question"],
            "additionalProperties": false,
            "properties": {
                "question": {"type": "string", "maxLength": service::MAX_QUESTION_BYTES},
                "audience": {"$ref": "#/components/schemas/Audience"}
            }
        },
        "ReviewRequest": {
            "type": "object",
            "required": ["action", "version"],
            "additionalProperties": false,
            "properties": {
                "action": {"type": "string", "enum": ["claim", "approve", "request_changes", "withdraw", "reopen"]},
                "version": {"type": "integer", "minimum": 1, "description": "The version number the reviewer saw."},
                "comment": {"type": "string", "description": "With request_changes: what needs to change."}
            }
        },
        "Article": {
            "type": "object",
            "required": ["id", "slug", "url", "question", "state", "public_state", "current_version", "shown_version", "source_changed", "created_at", "updated_at", "last_updated"],
            "properties": {
                "id": {"type": "integer", "format": "int64"},
                "slug": {"type": "string"},
                "url": {"type": "string"},
                "question": {"type": "string"},
                "state": {"$ref": "#/components/schemas/ReviewState"},
                "public_state": {"$ref": "#/components/schemas/ReviewState"},
                "current_version": {"type": "integer"},
                "published_version": {"type": "integer", "nullable": true},
                "shown_version": {"type": "integer"},
                "claimed_by": nullable_str,
                "approved_by": nullable_str,
                "approved_at": nullable_int,
                "parent_id": nullable_int,
                "source_changed": {"type": "boolean"},
                "merged_into": nullable_str,
                "created_at": {"type": "integer", "format": "int64", "description": "Milliseconds since the Unix epoch."},
                "updated_at": {"type": "integer", "format": "int64"},
                "last_updated": {"type": "integer", "format": "int64"},
                "reused": {"type": "boolean", "description": "On ask: whether an existing article answered the question."},
                "follow_ups": {"type": "array", "items": {"$ref": "#/components/schemas/Article"}},
                "answer": {"$ref": "#/components/schemas/Answer"}
            }
        },
        "ArticleList": {
            "type": "object",
            "required": ["articles"],
            "properties": {"articles": {"type": "array", "items": {"$ref": "#/components/schemas/Article"}}}
        },
        "Statement": {
            "type": "object",
            "required": ["text", "citations"],
            "properties": {
                "text": {"type": "string"},
                "citations": {"type": "array", "items": {"type": "integer"}},
                "glosses": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
                "editor_written": {"type": "boolean"}
            }
        },
        "Citation": {
            "type": "object",
            "required": ["number", "passage_id", "source_id", "title", "kind", "kind_label", "passage"],
            "properties": {
                "number": {"type": "integer"},
                "passage_id": {"type": "string"},
                "source_id": {"type": "string"},
                "title": {"type": "string"},
                "publisher": {"type": "string"},
                "year": {"type": "integer"},
                "kind": {"type": "string"},
                "kind_label": {"type": "string"},
                "url": {"type": "string"},
                "trail": {"type": "array", "items": {"type": "string"}},
                "grade": {"type": "string"},
                "passage": {"type": "string"}
            }
        },
        "Answer": {
            "type": "object",
            "description": "The answer JSON schema (docs/answer-schema.md).",
            "required": ["schema_version", "id", "question", "audience", "abstained", "title", "lead", "sections", "citations", "disclaimer", "composer"],
            "properties": {
                "schema_version": {"type": "integer"},
                "id": {"type": "string"},
                "question": {"type": "string"},
                "audience": {"$ref": "#/components/schemas/Audience"},
                "analysis": {"type": "object"},
                "abstained": {"type": "boolean"},
                "abstention_reason": {"type": "string"},
                "nearest_topics": {"type": "array", "items": {"type": "string"}},
                "urgent_notice": {"type": "string"},
                "title": {"type": "string"},
                "lead": {"type": "array", "items": {"$ref": "#/components/schemas/Statement"}},
                "sections": {"type": "array", "items": {
                    "type": "object",
                    "required": ["heading", "statements"],
                    "properties": {
                        "heading": {"type": "string"},
                        "statements": {"type": "array", "items": {"$ref": "#/components/schemas/Statement"}}
                    }
                }},
                "citations": {"type": "array", "items": {"$ref": "#/components/schemas/Citation"}},
                "questions_to_ask": {"type": "array", "items": {"type": "string"}},
                "reading_grade": {"type": "number"},
                "disclaimer": {"type": "string"},
                "composer": {"type": "string"},
                "took_ms": {"type": "number"}
            }
        },
        "SearchResponse": {
            "type": "object",
            "required": ["query", "k", "hits"],
            "properties": {
                "query": {"type": "string"},
                "k": {"type": "integer"},
                "hits": {"type": "array", "items": {
                    "type": "object",
                    "required": ["rank", "score", "passage", "source", "snippet"],
                    "properties": {
                        "rank": {"type": "integer"},
                        "score": {"type": "number"},
                        "passage": {"type": "object", "description": "The passage: id, source_id, ordinal, trail, text, start, end, grade, anchor."},
                        "source": {"type": "object", "description": "id, title, publisher, year, url, kind, audience."},
                        "snippet": {"type": "string"}
                    }
                }}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_once_with_a_valid_shape() {
        let doc = openapi();
        assert_eq!(doc["openapi"], "3.0.3");
        for r in ROUTES {
            let op = &doc["paths"][r.path][r.method.as_str().to_ascii_lowercase()];
            assert!(op.is_object(), "{} {} missing", r.method, r.path);
            assert!(op["responses"].as_object().is_some_and(|m| !m.is_empty()));
            // Every path parameter is declared.
            for seg in r.path.split('/').filter(|s| s.starts_with('{')) {
                let name = seg.trim_matches(|c| c == '{' || c == '}');
                assert!(
                    r.params
                        .iter()
                        .any(|p| p.name == name && p.location == "path" && p.required),
                    "{name} of {}",
                    r.path
                );
            }
        }
        // Every $ref resolves.
        let text = doc.to_string();
        for piece in text.split("\"#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap();
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "dangling $ref {name}"
            );
        }
        let ids: std::collections::HashSet<_> = ROUTES.iter().map(|r| r.operation_id).collect();
        assert_eq!(ids.len(), ROUTES.len(), "operation ids are unique");
    }
}
