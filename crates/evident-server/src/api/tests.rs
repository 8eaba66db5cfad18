//! Tests for the API route table and the OpenAPI document it builds.

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
