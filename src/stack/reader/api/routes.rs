//! `[routes]`: route keys, their functions, authorizers and scopes.

use std::ops::Range;

use toml::Spanned;
use toml::de::DeValue;

use super::PublishingApi;
use crate::stack::diagnostic::Problem;
use crate::stack::reader::declared::Declared;
use crate::stack::reader::paths;
use crate::stack::reader::typed::{Key, Reader, Value, entry};
use crate::stack::spec::{ApiSpec, ApiType, AuthorizerSpec, RouteDocs, RouteSpec};

const ROUTE_KEYS: &[&str] = &[
    "function",
    "authorizer",
    "scopes",
    "alias",
    "api_key",
    "summary",
    "description",
    "tags",
];

/// A route that publishes (`publish`) takes these instead of `function` and `alias`.
const PUBLISH_ROUTE_KEYS: &[&str] = &[
    "publish",
    "authorizer",
    "scopes",
    "api_key",
    "summary",
    "description",
    "tags",
];

const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

impl Reader<'_> {
    pub(in crate::stack::reader) fn routes(
        &mut self,
        key: &Key<'_>,
        value: &Value<'_>,
        api: Option<&ApiSpec>,
        declared: &Declared,
    ) -> Vec<RouteSpec> {
        let has_api = declared.api;
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
            let Some(normalized) = self.route_key(route_key, declared.api_type) else {
                continue;
            };
            self.check_cors_collision(&normalized, route_key.span(), declared);
            let shape = paths::route_shape(&normalized);
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
            if let Some(route) = self.route(normalized, value, api, declared) {
                routes.push(route);
            }
        }
        if declared.api_type == Some(ApiType::Rest) {
            let keys: Vec<(String, Range<usize>)> =
                seen.into_iter().map(|(_, span, key)| (key, span)).collect();
            for problem in paths::rest_sibling_problems(&keys) {
                self.problem(problem);
            }
        }
        routes
    }

    /// What a route key maps to: a function's name, or a table with the function (or, on a
    /// REST API, the topic it publishes to), an authorizer and scopes.
    fn route(
        &mut self,
        key: String,
        value: &Value<'_>,
        api: Option<&ApiSpec>,
        declared: &Declared,
    ) -> Option<RouteSpec> {
        if let DeValue::Table(t) = value.get_ref()
            && entry(t, "publish").is_some()
        {
            let topic = self.publish_route(t, PublishingApi::Api(declared.api_type), declared)?;
            self.unknown_keys(t, PUBLISH_ROUTE_KEYS, "in a route that publishes");
            let mut route = self.route_settings(key, t, api, declared);
            route.publish = Some(topic);
            return Some(route);
        }
        let mut route = None;
        let help = "write \"GET /orders\" = \"function-name\"";
        let function = self.route_function(value, declared, help, |this, t| {
            this.unknown_keys(t, ROUTE_KEYS, "in a route");
            let settings = this.route_settings(key.clone(), t, api, declared);
            route = Some(settings);
            this.required(t, "function", || {
                Problem::new("route has no function", value.span(), "here")
                    .help("write { function = \"NAME\" }")
            })
            .and_then(|v| this.string(v, "function"))
        })?;
        let mut route = route.unwrap_or_else(|| RouteSpec {
            key,
            function: String::new(),
            publish: None,
            authorizer: None,
            scopes: Vec::new(),
            alias: None,
            api_key: false,
            docs: RouteDocs::default(),
        });
        route.function = function.into_inner();
        Some(route)
    }

    /// A route's table but its target: authorizer, scopes, alias, API key and docs.
    fn route_settings(
        &mut self,
        key: String,
        t: &toml::de::DeTable<'_>,
        api: Option<&ApiSpec>,
        declared: &Declared,
    ) -> RouteSpec {
        let authorizer = self.route_authorizer(t, api, declared);
        let scopes = self.route_scopes(t, authorizer.is_some());
        self.check_scopes_fit(t, api, authorizer.as_deref(), &scopes);
        let alias = entry(t, "alias").and_then(|(_, v)| self.string(v, "alias"));
        RouteSpec {
            key,
            function: String::new(),
            publish: None,
            authorizer,
            scopes,
            alias: alias.map(Spanned::into_inner),
            api_key: self.route_api_key(t, declared),
            docs: self.route_docs(t),
        }
    }

    /// `api_key = true`: REST APIs only, which meter keys through usage plans.
    fn route_api_key(&mut self, t: &toml::de::DeTable<'_>, declared: &Declared) -> bool {
        let Some(wanted) = self.opt_bool(t, "api_key") else {
            return false;
        };
        if wanted && declared.api_type == Some(ApiType::Http) {
            let (key, _) = entry(t, "api_key").expect("read above");
            self.problem(
                Problem::new("api_key on an HTTP API route", key.span(), "HTTP API")
                    .help("HTTP APIs have no API keys or usage plans: set type = \"rest\" in [api], or remove api_key"),
            );
            return false;
        }
        wanted
    }

    /// `summary`, `description` and `tags`: documentation for `openapi` and `portal`.
    fn route_docs(&mut self, t: &toml::de::DeTable<'_>) -> RouteDocs {
        let text = |r: &mut Self, key: &str| {
            entry(t, key)
                .and_then(|(_, v)| r.string(v, key))
                .map(Spanned::into_inner)
        };
        let summary = text(self, "summary");
        let description = text(self, "description");
        let tags = self
            .string_list(t, "tags", "write tags = [\"orders\"]")
            .unwrap_or_default();
        RouteDocs {
            summary,
            description,
            tags: tags.into_iter().map(Spanned::into_inner).collect(),
        }
    }

    /// A route's `authorizer`, which must name one in `[api] authorizers`. One written there
    /// but invalid has its own error: the route gets none.
    fn route_authorizer(
        &mut self,
        t: &toml::de::DeTable<'_>,
        api: Option<&ApiSpec>,
        written: &Declared,
    ) -> Option<String> {
        let (_, value) = entry(t, "authorizer")?;
        let name = self.string(value, "authorizer")?;
        let declared: Vec<&String> = api
            .map(|a| a.authorizers.keys().collect())
            .unwrap_or_default();
        if declared.contains(&name.get_ref()) || written.authorizers.contains(name.get_ref()) {
            return Some(name.into_inner());
        }
        let help = if declared.is_empty() {
            "declare it under [api], like authorizers.users = { type = \"jwt\", issuer = \"...\", audience = [\"...\"] }".to_string()
        } else {
            format!(
                "declared authorizers: {}",
                declared
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        self.problem(
            Problem::new(
                format!("unknown authorizer {:?}", name.get_ref()),
                name.span(),
                "no such authorizer",
            )
            .help(help),
        );
        None
    }

    /// Scopes are checked by JWT authorizers (HTTP APIs, Route's AuthorizationScopes:
    /// <https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-routes.html>)
    /// and Cognito ones (REST APIs, PutMethod's authorizationScopes:
    /// <https://docs.aws.amazon.com/apigateway/latest/api/API_PutMethod.html>); a Lambda
    /// authorizer decides alone, so scopes on its routes would be refused or never checked.
    fn check_scopes_fit(
        &mut self,
        t: &toml::de::DeTable<'_>,
        api: Option<&ApiSpec>,
        authorizer: Option<&str>,
        scopes: &[String],
    ) {
        let lambda = api
            .zip(authorizer)
            .and_then(|(api, name)| api.authorizers.get(name))
            .is_some_and(|a| matches!(a, AuthorizerSpec::Lambda { .. }));
        if let (true, false, Some((k, _))) = (lambda, scopes.is_empty(), entry(t, "scopes")) {
            self.problem(
                Problem::new("scopes on a route with a lambda authorizer", k.span(), "never checked")
                    .help("scopes are checked by jwt and cognito authorizers; a lambda authorizer decides in its code: remove scopes"),
            );
        }
    }

    fn route_scopes(&mut self, t: &toml::de::DeTable<'_>, has_authorizer: bool) -> Vec<String> {
        let Some((k, value)) = entry(t, "scopes") else {
            return Vec::new();
        };
        if !has_authorizer {
            self.problem(
                Problem::new(
                    "scopes need an authorizer",
                    k.span(),
                    "no authorizer on this route",
                )
                .help("add authorizer = \"NAME\" to the route"),
            );
            return Vec::new();
        }
        match value.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .filter_map(|i| self.string(i, "a scope").map(Spanned::into_inner))
                .collect(),
            _ => {
                self.problem(
                    Problem::new("scopes must be a list of strings", value.span(), "here")
                        .help("write scopes = [\"admin\"]"),
                );
                Vec::new()
            }
        }
    }

    /// A REST API's CORS is an OPTIONS mock method that stackctl puts on every resource with
    /// routes: a declared OPTIONS route would be overwritten by it, and put back by the next
    /// apply, forever. The two cannot both be had, so the file must choose.
    fn check_cors_collision(&mut self, key: &str, span: Range<usize>, declared: &Declared) {
        let (Some(ApiType::Rest), Some(cors)) = (declared.api_type, &declared.cors) else {
            return;
        };
        if !key.starts_with("OPTIONS ") {
            return;
        }
        self.problem(
            Problem::new(
                format!("route {key:?} collides with the OPTIONS method that cors makes on a REST API"),
                span,
                "declared OPTIONS route",
            )
            .also(cors.clone(), "answers OPTIONS on every route's path")
            .help("remove cors from [api] and answer preflights in your OPTIONS route, or remove the OPTIONS route and let cors answer them"),
        );
    }

    /// Checks `METHOD /path` and returns it with single spaces.
    fn route_key(&mut self, key: &Key<'_>, api: Option<ApiType>) -> Option<String> {
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
        if let Err(why) = paths::check_path(path, api) {
            self.problem(bad(format!("invalid path {path:?}: {why}")));
            return None;
        }
        Some(format!("{method} {path}"))
    }
}
