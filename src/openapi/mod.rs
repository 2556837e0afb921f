//! OpenAPI 3.0 documents of the declared API. What the AWS import body (`apply/api/openapi.rs`,
//! with API Gateway's extensions) and the public document (`public.rs`, for `stackctl openapi`
//! and `stackctl portal`, without them) build alike: route keys as paths and methods, paths
//! sorted with their methods, path parameters, and the CORS answer's headers.

mod public;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::stack::Cors;

pub use public::{Servers, document};

/// `GET /orders/{id}` as (`GET`, `/orders/{id}`); a key without a path is `ANY /`.
pub fn method_and_path(key: &str) -> (&str, &str) {
    key.split_once(' ').unwrap_or(("ANY", "/"))
}

/// The names of a path's parameters, in order: `/orders/{id}/items/{proxy+}` gives `id` and
/// `proxy+` (a greedy parameter keeps its `+`, as the path template writes it).
pub fn path_parameters(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// OpenAPI path parameter objects for `path` (every path parameter is required). A greedy
/// parameter `{proxy+}` is named `proxy`, and says that it may hold slashes.
pub fn parameter_objects(path: &str) -> Vec<Value> {
    path_parameters(path)
        .into_iter()
        .map(|name| match name.strip_suffix('+') {
            Some(greedy) => json!({
                "name": greedy,
                "in": "path",
                "required": true,
                "description": "the rest of the path (greedy: may hold slashes)",
                "schema": { "type": "string" },
            }),
            None => json!({
                "name": name,
                "in": "path",
                "required": true,
                "schema": { "type": "string" },
            }),
        })
        .collect()
}

/// Paths, sorted, each with its operations sorted by method: `operations` gives each route's
/// (method name, operation) pairs (one route may give several, as ANY does).
pub fn paths<R>(
    routes: &[R],
    key: impl Fn(&R) -> &str,
    operations: impl Fn(&R) -> Vec<(String, Value)>,
) -> BTreeMap<String, BTreeMap<String, Value>> {
    let mut paths: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    for route in routes {
        let (_, path) = method_and_path(key(route));
        paths
            .entry(path.to_string())
            .or_default()
            .extend(operations(route));
    }
    paths
}

/// The headers a CORS preflight answer carries, without `Access-Control-`, with their values.
pub fn cors_headers(cors: &Cors) -> Vec<(&'static str, String)> {
    let mut headers = vec![("Allow-Origin", cors.allow_origins.join(","))];
    if !cors.allow_methods.is_empty() {
        headers.push(("Allow-Methods", cors.allow_methods.join(",")));
    }
    if !cors.allow_headers.is_empty() {
        headers.push(("Allow-Headers", cors.allow_headers.join(",")));
    }
    if let Some(age) = cors.max_age {
        headers.push(("Max-Age", age.to_string()));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_read_from_the_template() {
        assert_eq!(
            path_parameters("/orders/{id}/items/{proxy+}"),
            ["id", "proxy+"]
        );
        assert!(path_parameters("/orders").is_empty());
        assert_eq!(method_and_path("GET /orders"), ("GET", "/orders"));
    }
}
