//! `[api]` and `[routes]`.

use std::ops::Range;

use toml::Spanned;
use toml::de::DeValue;

use super::{Declared, Key, Reader, Value, entry};
use crate::stack::diagnostic::Problem;
use crate::stack::reference::RefTarget;
use crate::stack::{ApiSpec, ApiType, RouteSpec};

const API_KEYS: &[&str] = &["type", "stage", "tags"];
const ROUTE_KEYS: &[&str] = &["function"];
const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

impl Reader<'_> {
    pub(super) fn api(&mut self, value: &Value<'_>) -> Option<ApiSpec> {
        let t = self.as_table(value, "[api]")?;
        self.unknown_keys(t, API_KEYS, "in [api]");
        let api_type = match entry(t, "type") {
            None => Some(ApiType::Http),
            Some((_, v)) => {
                let s = self.string(v, "api type")?;
                match s.get_ref().as_str() {
                    "http" => Some(ApiType::Http),
                    "rest" => {
                        self.problem(
                            Problem::new(
                                "REST APIs are not supported yet",
                                s.span(),
                                "not supported yet",
                            )
                            .help("use type = \"http\" (API Gateway HTTP API)"),
                        );
                        None
                    }
                    other => {
                        self.problem(
                            Problem::new(
                                format!("unknown api type {other:?}"),
                                s.span(),
                                "not an api type",
                            )
                            .help("use type = \"http\""),
                        );
                        None
                    }
                }
            }
        };
        let stage = match entry(t, "stage") {
            None => Some("$default".to_string()),
            Some((_, v)) => self.string(v, "stage").and_then(|s| {
                let name = s.get_ref();
                let valid = name == "$default"
                    || (!name.is_empty()
                        && name.len() <= 128
                        && name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
                if valid {
                    Some(s.into_inner())
                } else {
                    self.problem(
                        Problem::new(format!("invalid stage name {name:?}"), s.span(), "here")
                            .help("use letters, digits, '-' and '_', or \"$default\""),
                    );
                    None
                }
            }),
        };
        let tags = self.tags(t);
        Some(ApiSpec {
            api_type: api_type?,
            stage: stage?,
            tags,
        })
    }

    pub(super) fn routes(
        &mut self,
        key: &Key<'_>,
        value: &Value<'_>,
        has_api: bool,
        declared: &Declared,
    ) -> Vec<RouteSpec> {
        let Some(table) = self.as_table(value, "[routes]") else {
            return Vec::new();
        };
        if !has_api && !table.is_empty() {
            self.problem(
                Problem::new(
                    "routes are declared but there is no [api]",
                    key.span(),
                    "routes need an API",
                )
                .help("add:\n[api]\ntype = \"http\"\nstage = \"prod\""),
            );
        }
        let mut routes = Vec::new();
        let mut seen: Vec<(String, Range<usize>, String)> = Vec::new();
        for (route_key, value) in table.iter() {
            let Some(normalized) = self.route_key(route_key) else {
                continue;
            };
            let shape = route_shape(&normalized);
            if let Some((_, first_span, first)) = seen.iter().find(|(s, _, _)| *s == shape) {
                let problem = Problem::new(
                    format!("route {normalized:?} collides with {first:?}"),
                    route_key.span(),
                    "this route",
                )
                .also(first_span.clone(), "collides with this one")
                .help("two routes with the same method and path shape cannot both be served; remove or rename one");
                self.problem(problem);
                continue;
            }
            seen.push((shape, route_key.span(), normalized.clone()));
            let function = match value.get_ref() {
                DeValue::String(name) => Some(Spanned::new(value.span(), name.to_string())),
                DeValue::Table(t) => {
                    self.unknown_keys(t, ROUTE_KEYS, "in a route");
                    match entry(t, "function") {
                        Some((_, v)) => self.string(v, "function"),
                        None => {
                            self.problem(
                                Problem::new("route has no function", value.span(), "here")
                                    .help("write { function = \"NAME\" }"),
                            );
                            None
                        }
                    }
                }
                other => {
                    self.problem(
                        Problem::new(
                            format!(
                                "expected a function name or a table, found {}",
                                other.type_str()
                            ),
                            value.span(),
                            "here",
                        )
                        .help("write \"GET /orders\" = \"function-name\""),
                    );
                    None
                }
            };
            let Some(function) = function else { continue };
            if let Some(problem) = declared.check(
                &RefTarget::Function(function.get_ref().clone()),
                function.span(),
            ) {
                self.problem(problem);
                continue;
            }
            routes.push(RouteSpec {
                key: normalized,
                function: function.into_inner(),
            });
        }
        routes
    }

    /// Checks `METHOD /path` and returns it with single spaces.
    pub(super) fn route_key(&mut self, key: &Key<'_>) -> Option<String> {
        let text = key.get_ref().trim();
        let bad = |message: String| {
            Problem::new(message, key.span(), "here")
                .help("write routes as \"METHOD /path\", like \"GET /orders/{id}\" or \"ANY /admin/{proxy+}\"")
        };
        let Some((method, path)) = text.split_once(char::is_whitespace) else {
            self.problem(bad(format!("route {text:?} has no path")));
            return None;
        };
        let method = method.to_string();
        let path = path.trim();
        if !METHODS.contains(&method.as_str()) {
            self.problem(bad(format!(
                "unknown method {method:?} (methods: {})",
                METHODS.join(", ")
            )));
            return None;
        }
        if let Err(why) = check_path(path) {
            self.problem(bad(format!("invalid path {path:?}: {why}")));
            return None;
        }
        Some(format!("{method} {path}"))
    }
}

fn check_path(path: &str) -> Result<(), &'static str> {
    if !path.starts_with('/') {
        return Err("it must start with '/'");
    }
    if path == "/" {
        return Ok(());
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        if segment.is_empty() {
            return Err("it has an empty segment");
        }
        if let Some(param) = segment.strip_prefix('{') {
            let Some(name) = param.strip_suffix('}') else {
                return Err("a '{' is not closed");
            };
            let name = name
                .strip_suffix('+')
                .map_or(name, |n| if i + 1 == segments.len() { n } else { "+" });
            if name == "+" {
                return Err("a greedy {name+} parameter must be the last segment");
            }
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err("a path parameter name must be letters, digits or '_'");
            }
        } else if segment.contains(['{', '}']) {
            return Err("a path parameter must be a whole segment");
        }
    }
    Ok(())
}

/// The route with parameter names erased: two routes with the same shape collide.
fn route_shape(key: &str) -> String {
    key.split('/')
        .map(|s| {
            if s.ends_with("+}") {
                "{+}"
            } else if s.starts_with('{') {
                "{}"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn paths() {
        assert!(check_path("/orders/{id}").is_ok());
        assert!(check_path("/admin/{proxy+}").is_ok());
        assert!(check_path("/").is_ok());
        assert!(check_path("orders").is_err());
        assert!(check_path("/a/{proxy+}/b").is_err());
        assert!(check_path("/a//b").is_err());
        assert!(check_path("/a/x{id}").is_err());
    }

    #[test]
    pub(super) fn shapes_ignore_parameter_names() {
        assert_eq!(route_shape("GET /a/{id}"), route_shape("GET /a/{key}"));
        assert_ne!(route_shape("GET /a/{id}"), route_shape("POST /a/{id}"));
    }
}
