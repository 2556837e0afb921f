//! `[api]` and `[routes]`.

use std::ops::Range;

use toml::Spanned;
use toml::de::DeValue;

use super::{Declared, Key, Reader, Value, entry};
use crate::stack::diagnostic::Problem;
use crate::stack::reference::RefTarget;
use std::collections::BTreeMap;

use crate::stack::{AccessLog, ApiSpec, ApiType, AuthorizerSpec, Cors, RouteSpec, Throttle};

const API_KEYS: &[&str] = &[
    "type",
    "stage",
    "cors",
    "throttle",
    "authorizers",
    "access_log",
    "tags",
];
const ACCESS_LOG_KEYS: &[&str] = &["destination", "format"];
const JWT_KEYS: &[&str] = &["type", "issuer", "audience"];
const COGNITO_KEYS: &[&str] = &["type", "user_pools"];
const LAMBDA_KEYS: &[&str] = &["type", "function"];
const CORS_KEYS: &[&str] = &["allow_origins", "allow_methods", "allow_headers", "max_age"];
const THROTTLE_KEYS: &[&str] = &["rate", "burst"];
const ROUTE_KEYS: &[&str] = &["function", "authorizer", "scopes"];
const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

impl Reader<'_> {
    pub(super) fn api(&mut self, value: &Value<'_>, declared: &Declared) -> Option<ApiSpec> {
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
        let authorizers = match (entry(t, "authorizers"), api_type) {
            (None, _) => Some(BTreeMap::new()),
            (Some((_, v)), Some(kind)) => self.authorizers(v, kind, declared),
            (Some(_), None) => None,
        };
        let access_log = match entry(t, "access_log") {
            None => Some(None),
            Some((_, v)) => self.access_log(v).map(Some),
        };
        let tags = self.tags(t);
        let stage = stage?;
        let mut ok = true;
        if api_type == Some(ApiType::Rest)
            && stage == "$default"
            && let Some((_, v)) = entry(t, "type")
        {
            self.problem(
                Problem::new("a REST API needs a stage name", v.span(), "REST API")
                    .help("add stage = \"prod\" to [api]: REST APIs have no $default stage"),
            );
            ok = false;
        }
        if api_type == Some(ApiType::Rest)
            && let (Some((k, _)), Some(Some(c))) = (entry(t, "cors"), &cors)
            && c.allow_origins.len() != 1
        {
            self.problem(
                Problem::new("a REST API's CORS answers with one origin", k.span(), "REST API")
                    .help("give one origin in allow_origins, or use type = \"http\", whose CORS checks a list"),
            );
            ok = false;
        }
        if let (Some((_, log)), Some(Some(settings))) = (entry(t, "access_log"), &access_log)
            && !settings.format.contains("$context.requestId")
            && !settings.format.contains("$context.extendedRequestId")
        {
            // Both API types refuse it: "Access Log format must contain at least
            // $context.requestId" (REST:
            // https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html;
            // HTTP: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html,
            // "The log format must include at least $context.requestId or
            // $context.extendedRequestId").
            let which = if api_type == Some(ApiType::Rest) {
                "a REST API's"
            } else {
                "an HTTP API's"
            };
            self.problem(
                Problem::new(
                    format!("{which} access log format must hold the request ID"),
                    log.span(),
                    "no $context.requestId",
                )
                .help("add $context.requestId (or $context.extendedRequestId) to format"),
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        Some(ApiSpec {
            api_type: api_type?,
            stage,
            cors: cors?,
            throttle: throttle?,
            authorizers: authorizers?,
            access_log: access_log?,
            tags,
        })
    }

    fn authorizers(
        &mut self,
        value: &Value<'_>,
        api: ApiType,
        declared: &Declared,
    ) -> Option<BTreeMap<String, AuthorizerSpec>> {
        let t = self.as_table(value, "authorizers")?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (name, value) in t.iter() {
            let len = name.get_ref().chars().count();
            if !(1..=super::limits::MAX_AUTHORIZER_NAME).contains(&len) {
                self.problem(
                    Problem::new(
                        format!("an authorizer name has {len} characters"),
                        name.span(),
                        "not an authorizer name",
                    )
                    .help(format!(
                        "API Gateway takes authorizer names of 1 to {} characters",
                        super::limits::MAX_AUTHORIZER_NAME
                    )),
                );
                ok = false;
                continue;
            }
            match self.authorizer(value, api, declared) {
                Some(a) => {
                    out.insert(name.get_ref().to_string(), a);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn authorizer(
        &mut self,
        value: &Value<'_>,
        api: ApiType,
        declared: &Declared,
    ) -> Option<AuthorizerSpec> {
        let t = self.as_table(value, "an authorizer")?;
        let kind = match entry(t, "type") {
            Some((_, v)) => self.string(v, "authorizer type")?,
            None => {
                self.problem(
                    Problem::new("an authorizer has no type", value.span(), "here")
                        .help("use type = \"jwt\" (HTTP APIs) or type = \"cognito\" (REST APIs)"),
                );
                return None;
            }
        };
        let list = |r: &mut Self, key: &str| -> Option<Vec<String>> {
            let Some((_, v)) = entry(t, key) else {
                r.problem(
                    Problem::new(format!("the authorizer has no {key}"), value.span(), "here")
                        .help(format!("add {key} = [\"...\"]")),
                );
                return None;
            };
            match v.get_ref() {
                DeValue::Array(items) if !items.is_empty() => items
                    .iter()
                    .map(|i| r.string(i, key).map(Spanned::into_inner))
                    .collect(),
                _ => {
                    r.problem(
                        Problem::new(
                            format!("{key} must be a non-empty list of strings"),
                            v.span(),
                            "here",
                        )
                        .help(format!("write {key} = [\"...\"]")),
                    );
                    None
                }
            }
        };
        match (kind.get_ref().as_str(), api) {
            ("jwt", ApiType::Http) => {
                self.unknown_keys(t, JWT_KEYS, "in a jwt authorizer");
                let issuer = match entry(t, "issuer") {
                    Some((_, v)) => self.string(v, "issuer").map(Spanned::into_inner),
                    None => {
                        self.problem(
                            Problem::new("the authorizer has no issuer", value.span(), "here")
                                .help("add issuer = \"https://cognito-idp.REGION.amazonaws.com/POOL_ID\""),
                        );
                        None
                    }
                };
                let audience = list(self, "audience");
                Some(AuthorizerSpec::Jwt {
                    issuer: issuer?,
                    audience: audience?,
                })
            }
            ("cognito", ApiType::Rest) => {
                self.unknown_keys(t, COGNITO_KEYS, "in a cognito authorizer");
                let user_pools = list(self, "user_pools")?;
                if let Some(bad) = user_pools
                    .iter()
                    .find(|p| !super::limits::is_user_pool_arn(p))
                    && let Some((_, v)) = entry(t, "user_pools")
                {
                    self.problem(
                        Problem::new(
                            format!("{bad:?} is not a Cognito user pool ARN"),
                            v.span(),
                            "here",
                        )
                        .help("write arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID"),
                    );
                    return None;
                }
                Some(AuthorizerSpec::Cognito { user_pools })
            }
            ("jwt", ApiType::Rest) | ("cognito", ApiType::Http) => {
                let fits = if api == ApiType::Http {
                    "jwt"
                } else {
                    "cognito"
                };
                self.problem(
                    Problem::new(
                        format!(
                            "{} authorizers are not available on {} APIs",
                            kind.get_ref(),
                            api.protocol()
                        ),
                        kind.span(),
                        "wrong kind for this API",
                    )
                    .help(format!("use type = \"{fits}\" on this API")),
                );
                None
            }
            ("lambda", _) => {
                self.unknown_keys(t, LAMBDA_KEYS, "in a lambda authorizer");
                let Some((_, v)) = entry(t, "function") else {
                    self.problem(
                        Problem::new("the authorizer has no function", value.span(), "here")
                            .help("add function = \"NAME\", a function of this stack"),
                    );
                    return None;
                };
                let function = self.string(v, "function")?;
                if let Some(problem) = declared.check(
                    &RefTarget::Function(function.get_ref().clone()),
                    function.span(),
                ) {
                    self.problem(problem);
                    return None;
                }
                self.references.push(super::RefSite {
                    from: crate::stack::Address::Api,
                    to: crate::stack::Address::Function(function.get_ref().clone()),
                    span: function.span(),
                });
                Some(AuthorizerSpec::Lambda {
                    function: function.into_inner(),
                })
            }
            (other, _) => {
                self.problem(
                    Problem::new(
                        format!("unsupported authorizer type {other:?}"),
                        kind.span(),
                        "not supported",
                    )
                    .help("use type = \"jwt\" (HTTP APIs), \"cognito\" (REST APIs) or \"lambda\""),
                );
                None
            }
        }
    }

    /// A route's `authorizer`, which must name one in `[api] authorizers`.
    fn route_authorizer(
        &mut self,
        t: &toml::de::DeTable<'_>,
        api: Option<&ApiSpec>,
    ) -> Option<String> {
        let (_, value) = entry(t, "authorizer")?;
        let name = self.string(value, "authorizer")?;
        let declared: Vec<&String> = api
            .map(|a| a.authorizers.keys().collect())
            .unwrap_or_default();
        if declared.contains(&name.get_ref()) {
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

    fn access_log(&mut self, value: &Value<'_>) -> Option<AccessLog> {
        let t = self.as_table(value, "access_log")?;
        self.unknown_keys(t, ACCESS_LOG_KEYS, "in access_log");
        let help = "write access_log = { destination = \"arn:aws:logs:REGION:ACCOUNT:log-group:NAME\", format = \"$context.requestId $context.status\" }";
        let field = |r: &mut Self, key: &str| match entry(t, key) {
            Some((_, v)) => r.string(v, key),
            None => {
                r.problem(
                    Problem::new(format!("access_log has no {key}"), value.span(), "here")
                        .help(help),
                );
                None
            }
        };
        let destination = field(self, "destination");
        let format = field(self, "format");
        let destination = destination?;
        if !destination.get_ref().starts_with("arn:")
            || !destination.get_ref().contains(":log-group:")
        {
            self.problem(
                Problem::new(
                    "destination must be a log group ARN",
                    destination.span(),
                    "not a log group ARN",
                )
                .help(help),
            );
            return None;
        }
        Some(AccessLog {
            destination: destination.into_inner(),
            format: format?.into_inner(),
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
            let shape = super::paths::route_shape(&normalized);
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
            let mut authorizer = None;
            let mut scopes = Vec::new();
            let function = match value.get_ref() {
                DeValue::String(name) => Some(Spanned::new(value.span(), name.to_string())),
                DeValue::Table(t) => {
                    self.unknown_keys(t, ROUTE_KEYS, "in a route");
                    authorizer = self.route_authorizer(t, api);
                    scopes = self.route_scopes(t, authorizer.is_some());
                    self.check_scopes_fit(t, api, authorizer.as_deref(), &scopes);
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
                authorizer,
                scopes,
            });
        }
        if declared.api_type == Some(ApiType::Rest) {
            let keys: Vec<(String, Range<usize>)> =
                seen.into_iter().map(|(_, span, key)| (key, span)).collect();
            for problem in super::paths::rest_sibling_problems(&keys) {
                self.problem(problem);
            }
        }
        routes
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
    pub(super) fn route_key(&mut self, key: &Key<'_>, api: Option<ApiType>) -> Option<String> {
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
        if let Err(why) = super::paths::check_path(path, api) {
            self.problem(bad(format!("invalid path {path:?}: {why}")));
            return None;
        }
        Some(format!("{method} {path}"))
    }
}
