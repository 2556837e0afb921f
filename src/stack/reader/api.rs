//! `[api]` and `[routes]`.

use std::ops::Range;

use toml::Spanned;
use toml::de::DeValue;

use super::{Declared, Key, Reader, Value, entry};
use crate::stack::diagnostic::Problem;
use crate::stack::reference::RefTarget;
use crate::stack::{ApiSpec, ApiType, Cors, RouteSpec, Throttle};

const API_KEYS: &[&str] = &["type", "stage", "cors", "throttle", "tags"];
const CORS_KEYS: &[&str] = &["allow_origins", "allow_methods", "allow_headers", "max_age"];
const THROTTLE_KEYS: &[&str] = &["rate", "burst"];
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
                    "rest" => Some(ApiType::Rest),
                    other => {
                        self.problem(
                            Problem::new(
                                format!("unknown api type {other:?}"),
                                s.span(),
                                "not an api type",
                            )
                            .help("use type = \"http\" (HTTP API) or type = \"rest\" (REST API)"),
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
        let cors = match entry(t, "cors") {
            None => Some(None),
            Some((_, v)) => self.cors(v).map(Some),
        };
        let throttle = match entry(t, "throttle") {
            None => Some(None),
            Some((_, v)) => self.throttle(v).map(Some),
        };
        let tags = self.tags(t);
        let stage = stage?;
        if api_type == Some(ApiType::Rest)
            && stage == "$default"
            && let Some((_, v)) = entry(t, "type")
        {
            self.problem(
                Problem::new("a REST API needs a stage name", v.span(), "REST API")
                    .help("add stage = \"prod\" to [api]: REST APIs have no $default stage"),
            );
            return None;
        }
        if api_type == Some(ApiType::Rest)
            && let Some((k, _)) = entry(t, "cors")
        {
            self.problem(
                Problem::new(
                    "cors is not supported for REST APIs yet",
                    k.span(),
                    "REST API",
                )
                .help(
                    "use type = \"http\", whose CORS is native, or answer OPTIONS in your function",
                ),
            );
            return None;
        }
        Some(ApiSpec {
            api_type: api_type?,
            stage,
            cors: cors?,
            throttle: throttle?,
            tags,
        })
    }

    fn cors(&mut self, value: &Value<'_>) -> Option<Cors> {
        let t = self.as_table(value, "cors")?;
        self.unknown_keys(t, CORS_KEYS, "in cors");
        let list = |r: &mut Self, key: &str| -> Option<Vec<String>> {
            let Some((_, v)) = entry(t, key) else {
                return Some(Vec::new());
            };
            let DeValue::Array(items) = v.get_ref() else {
                r.problem(
                    Problem::new(
                        format!("{key} must be a list of strings"),
                        v.span(),
                        "expected a list",
                    )
                    .help(format!("write {key} = [\"...\"]")),
                );
                return None;
            };
            items
                .iter()
                .map(|i| r.string(i, key).map(Spanned::into_inner))
                .collect()
        };
        let allow_origins = list(self, "allow_origins");
        let allow_methods = list(self, "allow_methods");
        let allow_headers = list(self, "allow_headers");
        let max_age = self.opt_int(t, "max_age", 0..=86_400).map(|n| n as i32);
        let allow_origins = allow_origins?;
        if allow_origins.is_empty() {
            self.problem(
                Problem::new("cors has no allow_origins", value.span(), "here")
                    .help("add allow_origins = [\"https://shop.example\"] (or [\"*\"])"),
            );
            return None;
        }
        Some(Cors {
            allow_origins,
            allow_methods: allow_methods?,
            allow_headers: allow_headers?,
            max_age,
        })
    }

    fn throttle(&mut self, value: &Value<'_>) -> Option<Throttle> {
        let t = self.as_table(value, "throttle")?;
        self.unknown_keys(t, THROTTLE_KEYS, "in throttle");
        let rate = self.opt_int(t, "rate", 0..=1_000_000);
        let burst = self.opt_int(t, "burst", 0..=1_000_000);
        match (rate, burst) {
            (Some(rate), Some(burst)) => Some(Throttle {
                rate: rate as f64,
                burst: burst as i32,
            }),
            _ => {
                if entry(t, "rate").is_none() || entry(t, "burst").is_none() {
                    self.problem(
                        Problem::new("throttle needs both rate and burst", value.span(), "here")
                            .help("write throttle = { rate = 100, burst = 200 }"),
                    );
                }
                None
            }
        }
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
