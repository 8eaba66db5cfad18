//! The route table, [`ROUTES`]: each JSON API route with its handler and what the OpenAPI
//! document says of it, and the router built from it.

use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{get, post, MethodRouter};
use axum::Router;

use super::{ask, follow_up, get_article, list_articles, openapi_json, review_action, search};
use crate::AppState;

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
        summary: "List articles, newest first; optionally only those whose question has all the given words. Withdrawn articles are listed only for signed-in reviewers, editors and admins.",
        params: &[
            Param { name: "query", location: "query", required: false, schema: "string", description: "Words that must all occur in the question." },
            Param { name: "state", location: "query", required: false, schema: "string", description: "Comma-separated review states: submitted, under_review, changes_requested, approved, withdrawn (withdrawn: reviewers, editors and admins only; for others it matches nothing)." },
            Param { name: "published_only", location: "query", required: false, schema: "boolean", description: "Only articles with an approved version." },
            Param { name: "limit", location: "query", required: false, schema: "integer", description: "1–100, default 20." },
            Param { name: "offset", location: "query", required: false, schema: "integer", description: "Articles to skip." },
        ],
        request: None,
        success: &[(200, "ArticleList")],
        errors: &[400, 401, 422, 500],
        handler: || get(list_articles),
    },
    ApiRoute {
        method: Method::GET,
        path: "/api/v1/articles/{id}",
        operation_id: "getArticle",
        summary: "One article with the answer of its shown version (the approved one, else the latest) for the audience, and its follow-ups. A withdrawn article is 404 except for signed-in reviewers, editors and admins.",
        params: &[ID_PARAM, AUDIENCE_PARAM],
        request: None,
        success: &[(200, "Article")],
        errors: &[400, 401, 404, 500],
        handler: || get(get_article),
    },
    ApiRoute {
        method: Method::POST,
        path: "/api/v1/articles/{id}/follow-ups",
        operation_id: "askFollowUp",
        summary: "Ask a follow-up of an article: answered in the context of the article it follows, stored as a new article linked to it. A follow-up of an article the caller may not see (withdrawn) is 404.",
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
        summary: "Take a review action (claim, approve, request_changes, withdraw, reopen) on the article as you saw it (its current_version and rev). Needs a reviewer's or editor's API token. 409: a stale version, a change since you loaded the article, a concurrent change, or approving what another reviewer claimed; 403: the wrong role, or approving a version you wrote.",
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
