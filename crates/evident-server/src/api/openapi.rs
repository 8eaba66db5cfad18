//! The OpenAPI 3 document built from [`ROUTES`](super::ROUTES): paths, parameters, responses
//! and the component schemas of every request and response body.

use axum::http::StatusCode;
use evident_core::{ReviewState, MAX_QUESTION_BYTES};
use serde_json::{json, Value};

use super::ROUTES;

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
    let mut all = core_schemas();
    if let (Some(all), Value::Object(more)) = (all.as_object_mut(), generation_schemas()) {
        all.extend(more);
    }
    all
}

/// The schemas of how a generative answer was written and checked.
fn generation_schemas() -> Value {
    json!({
        "SupportCheck": {
            "type": "object",
            "description": "Whether the statement's cited passages support it, as the support checker judged it (numbers and units, names, negation, direction, absolutes, coverage). Present on model-written statements and on statements an editor revised.",
            "required": ["supported"],
            "properties": {
                "supported": {"type": "boolean"},
                "reason_code": {"type": "string", "description": "Why not, when unsupported: number, label, entity, direction, negation, absolute, coverage, no_passage, empty, no_citation."},
                "reason": {"type": "string", "description": "The reason in words."}
            }
        },
        "WithheldStatement": {
            "type": "object",
            "description": "A sentence the model wrote that failed the support check: never published; listed for reviewers, editors and admins only.",
            "required": ["text", "check"],
            "properties": {
                "text": {"type": "string"},
                "passage_ids": {"type": "array", "items": {"type": "string"}, "description": "The passages it cited."},
                "check": {"$ref": "#/components/schemas/SupportCheck"}
            }
        },
        "Generation": {
            "type": "object",
            "description": "How a generative answer was written: the model, what passed the support check, the speed, and whether the grounded (quoted) article is shown instead.",
            "required": ["model", "proposed", "published", "prompt_tokens", "completion_tokens", "first_token_ms", "elapsed_ms"],
            "properties": {
                "model": {"type": "string", "description": "The backend and model, e.g. `openai:<model>` or `embedded:<file>`."},
                "proposed": {"type": "integer", "description": "Sentences the model wrote."},
                "published": {"type": "integer", "description": "Sentences that passed the check and were published."},
                "withheld": {"type": "array", "items": {"$ref": "#/components/schemas/WithheldStatement"}, "description": "Sentences that failed the check; only for signed-in reviewers, editors and admins (absent for everyone else)."},
                "prompt_tokens": {"type": "integer"},
                "completion_tokens": {"type": "integer"},
                "prompt_tokens_per_second": {"type": "number"},
                "tokens_per_second": {"type": "number"},
                "first_token_ms": {"type": "number"},
                "first_sentence_ms": {"type": "number", "description": "From the start of generation to the first sentence that passed the check."},
                "elapsed_ms": {"type": "number"},
                "fallback": {"type": "string", "description": "When set, the model-written article was not used and this says why: the answer is the grounded (quoted) one. Reviewers, editors and admins get the whole reason; others get it without the details in parentheses."}
            }
        }
    })
}

fn core_schemas() -> Value {
    let nullable_int = json!({"type": "integer", "format": "int64", "nullable": true});
    let nullable_str = json!({"type": "string", "nullable": true});
    json!({
        "Error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "Stable snake_case code, e.g. not_found, malformed_request, invalid_request, payload_too_large, rate_limited, conflict, stale_version, changed, claimed_by_other, self_approval."},
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
                "question": {"type": "string", "maxLength": MAX_QUESTION_BYTES},
                "audience": {"$ref": "#/components/schemas/Audience"},
                "parent_id": {"type": "integer", "format": "int64", "description": "Ask as a follow-up of this article."}
            }
        },
        "FollowUpRequest": {
            "type": "object",
            "required": ["question"],
            "additionalProperties": false,
            "properties": {
                "question": {"type": "string", "maxLength": MAX_QUESTION_BYTES},
                "audience": {"$ref": "#/components/schemas/Audience"}
            }
        },
        "ReviewRequest": {
            "type": "object",
            "required": ["action", "version", "rev"],
            "additionalProperties": false,
            "properties": {
                "action": {"type": "string", "enum": ["claim", "approve", "request_changes", "withdraw", "reopen"]},
                "version": {"type": "integer", "minimum": 1, "description": "The version number the reviewer saw (the article's current_version)."},
                "rev": {"type": "integer", "format": "int64", "description": "The article's rev the reviewer saw. If the article has changed since (claimed, approved, withdrawn, commented on), the action is refused with 409 changed: reload and decide again."},
                "comment": {"type": "string", "description": "With request_changes: what needs to change."}
            }
        },
        "Article": {
            "type": "object",
            "required": ["id", "slug", "url", "question", "state", "public_state", "current_version", "shown_version", "rev", "source_changed", "created_at", "updated_at", "last_updated"],
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
                "rev": {"type": "integer", "format": "int64", "description": "Revision counter, bumped by every change: send it back with a review action."},
                "claimed_by": {"type": "string", "nullable": true, "description": "Display name of the reviewer who claimed the article."},
                "approved_by": {"type": "string", "nullable": true, "description": "Display name of the reviewer who approved the published version."},
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
                "citations": {"type": "array", "items": {"type": "integer"}, "description": "Reference numbers, one per source: the `number` of `references[]` (and of the source's `citations[]`)."},
                "glosses": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
                "editor_written": {"type": "boolean"},
                "model_written": {"type": "boolean", "description": "Written by the generative composer's language model from the passages it cites (not quoted); it always carries a `check` that passed."},
                "check": {"$ref": "#/components/schemas/SupportCheck"}
            }
        },
        "Citation": {
            "type": "object",
            "description": "One quoted passage. Passages of one source share its reference number and are listed together.",
            "required": ["number", "passage_id", "source_id", "title", "kind", "kind_label", "passage"],
            "properties": {
                "number": {"type": "integer", "description": "The reference number of the passage's source."},
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
        "Reference": {
            "type": "object",
            "description": "One source of the reference list, with the passages of it the answer quotes (derived from `citations[]`).",
            "required": ["number", "source_id", "title", "kind", "kind_label", "passages"],
            "properties": {
                "number": {"type": "integer"},
                "source_id": {"type": "string"},
                "title": {"type": "string"},
                "publisher": {"type": "string"},
                "year": {"type": "integer"},
                "kind": {"type": "string"},
                "kind_label": {"type": "string"},
                "url": {"type": "string"},
                "passages": {"type": "array", "items": {
                    "type": "object",
                    "required": ["label", "passage_id", "statements"],
                    "properties": {
                        "label": {"type": "string", "description": "Reference number and letter, e.g. `2b`."},
                        "passage_id": {"type": "string", "description": "The `passage_id` of its entry in `citations[]`."},
                        "trail": {"type": "array", "items": {"type": "string"}},
                        "grade": {"type": "string"},
                        "statements": {"type": "array", "items": {"type": "string"}, "description": "Keys of the statements quoting this passage: `lead.<i>` or `s<section>.<i>`."}
                    }
                }}
            }
        },
        "Answer": {
            "type": "object",
            "description": "The answer JSON schema, version 2 (docs/answer-schema.md).",
            "required": ["schema_version", "id", "question", "audience", "abstained", "title", "lead", "sections", "citations", "references", "disclaimer", "composer"],
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
                "references": {"type": "array", "items": {"$ref": "#/components/schemas/Reference"}},
                "questions_to_ask": {"type": "array", "items": {"type": "string"}},
                "reading_grade": {"type": "number"},
                "disclaimer": {"type": "string"},
                "composer": {"type": "string", "description": "grounded (statements quoted from their passages) or generative (written by a language model, each sentence checked against its cited passages)."},
                "generation": {"$ref": "#/components/schemas/Generation"},
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
