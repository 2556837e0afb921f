//! The public OpenAPI 3.0 document of the declared API, for its consumers: paths and methods,
//! path parameters, who may call each route (authorizers, API keys), CORS preflights, the
//! routes' `summary`, `description` and `tags`, and where it is served. No API Gateway
//! extensions: that is the import body's business (`apply/api/openapi.rs`).

use serde_json::{Map, Value, json};

use super::{cors_headers, method_and_path, parameter_objects};
use crate::stack::{ApiSpec, AuthorizerSpec, RouteSpec, Stack};

/// The security scheme of routes that need an API key.
const API_KEY_SCHEME: &str = "api_key";

/// The methods an `ANY` route answers, as OpenAPI names them (OpenAPI has no "any").
const ANY_METHODS: &[&str] = &["delete", "get", "head", "patch", "post", "put"];

/// Where the API is served.
#[derive(Debug, Clone)]
pub enum Servers {
    /// The URL of each stage, by stage name: the API exists and was read.
    Live(Vec<(String, String)>),
    /// The API was not read: a URL template with the API's ID as a variable.
    Placeholder { region: String, stages: Vec<String> },
}

/// The document of `stack`'s API (`None` when the stack declares no `[api]`).
pub fn document(stack: &Stack, servers: &Servers) -> Option<Value> {
    let api = stack.api.as_ref()?;
    let paths = super::paths(&stack.routes, |r| r.key.as_str(), |r| operations(api, r));
    let mut paths: Map<String, Value> = paths
        .into_iter()
        .map(|(path, mut methods)| {
            if let Some(cors) = &api.cors {
                methods
                    .entry("options".into())
                    .or_insert_with(|| preflight(&path, cors));
            }
            // A greedy `{proxy+}` is `{proxy}`, a parameter that may hold slashes: OpenAPI
            // names a path parameter as its template does, and `proxy+` is no name.
            (path.replace("+}", "}"), json!(methods))
        })
        .collect();
    paths.sort_keys();
    let mut root = Map::new();
    root.insert("openapi".into(), json!("3.0.3"));
    root.insert("info".into(), info(stack, api, servers));
    root.insert("servers".into(), servers_value(servers));
    root.insert("paths".into(), Value::Object(paths));
    let schemes = security_schemes(stack, api);
    if !schemes.is_empty() {
        root.insert(
            "components".into(),
            json!({ "securitySchemes": Value::Object(schemes) }),
        );
    }
    Some(Value::Object(root))
}

/// The title, the version (the stage described when it is one, `--stage`; else the first) and
/// a description with each usage plan's limits, per-method throttles included.
fn info(stack: &Stack, api: &ApiSpec, servers: &Servers) -> Value {
    let mut lines = vec![format!(
        "The {} API of the stack {}.",
        api.api_type.protocol(),
        stack.name
    )];
    for (name, plan) in &api.usage_plans {
        let mut limits = Vec::new();
        if let Some(t) = plan.throttle {
            limits.push(format!("{} requests/s (burst {})", t.rate, t.burst));
        }
        if let Some(q) = plan.quota {
            limits.push(format!("{} requests a {}", q.limit, q.period.as_str()));
        }
        for (route, t) in &plan.routes {
            limits.push(format!(
                "{route}: {} requests/s (burst {})",
                t.rate, t.burst
            ));
        }
        lines.push(format!("Usage plan {name}: {}.", limits.join(", ")));
    }
    let version = match servers.stages().as_slice() {
        [one] => one.to_string(),
        _ => api.first_stage().name.clone(),
    };
    json!({ "title": stack.name, "version": version, "description": lines.join("\n\n") })
}

impl Servers {
    /// The names of the stages described.
    fn stages(&self) -> Vec<&str> {
        match self {
            Servers::Live(urls) => urls.iter().map(|(s, _)| s.as_str()).collect(),
            Servers::Placeholder { stages, .. } => stages.iter().map(String::as_str).collect(),
        }
    }
}

fn servers_value(servers: &Servers) -> Value {
    match servers {
        Servers::Live(urls) => urls
            .iter()
            .map(|(stage, url)| json!({ "url": url, "description": format!("stage {stage}") }))
            .collect(),
        Servers::Placeholder { region, stages } => {
            let host = format!("https://{{apiId}}.execute-api.{region}.amazonaws.com");
            let api_id = json!({
                "default": "API_ID",
                "description": "the API's ID (`stackctl outputs` shows api.id once the stack is applied)",
            });
            stages
                .iter()
                .map(|stage| {
                    let url = if stage == "$default" {
                        format!("{host}/")
                    } else {
                        format!("{host}/{stage}")
                    };
                    json!({
                        "url": url,
                        "description": format!("stage {stage}"),
                        "variables": { "apiId": api_id },
                    })
                })
                .collect()
        }
    }
}

/// The route's operations: one, or one per method for `ANY`.
fn operations(api: &ApiSpec, route: &RouteSpec) -> Vec<(String, Value)> {
    let (method, path) = method_and_path(&route.key);
    let methods: Vec<String> = match method {
        "ANY" => ANY_METHODS.iter().map(|m| m.to_string()).collect(),
        other => vec![other.to_ascii_lowercase()],
    };
    methods
        .into_iter()
        .map(|m| {
            let op = operation(api, route, &m, path);
            (m, op)
        })
        .collect()
}

fn operation(api: &ApiSpec, route: &RouteSpec, method: &str, path: &str) -> Value {
    let mut op = Map::new();
    op.insert("operationId".into(), json!(operation_id(method, path)));
    if let Some(summary) = &route.docs.summary {
        op.insert("summary".into(), json!(summary));
    }
    if let Some(description) = &route.docs.description {
        op.insert("description".into(), json!(description));
    }
    if !route.docs.tags.is_empty() {
        op.insert("tags".into(), json!(route.docs.tags));
    }
    let parameters = parameter_objects(path);
    if !parameters.is_empty() {
        op.insert("parameters".into(), json!(parameters));
    }
    let mut responses = Map::new();
    responses.insert(
        "default".into(),
        json!({ "description": "the function's answer" }),
    );
    let mut security = Map::new();
    if let Some(name) = &route.authorizer {
        responses.insert("401".into(), json!({ "description": "not authorized" }));
        let scopes = match api.authorizers.get(name) {
            Some(AuthorizerSpec::Lambda { .. }) => Vec::new(),
            _ => route.scopes.clone(),
        };
        security.insert(name.clone(), json!(scopes));
    }
    if route.api_key {
        responses.insert(
            "403".into(),
            json!({ "description": "no API key, or a key that is not in a usage plan of this stage" }),
        );
        responses.insert(
            "429".into(),
            json!({ "description": "the key's usage plan throttle or quota is exceeded" }),
        );
        security.insert(API_KEY_SCHEME.into(), json!([]));
    }
    op.insert("responses".into(), Value::Object(responses));
    if !security.is_empty() {
        op.insert("security".into(), json!([security]));
    }
    Value::Object(op)
}

/// `get /orders/{id}` as `get_orders_id`: unique per method and path.
fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_string();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        id.push('_');
        id.extend(
            part.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-'),
        );
    }
    id
}

/// The CORS preflight answer API Gateway gives on a path.
fn preflight(path: &str, cors: &crate::stack::Cors) -> Value {
    let headers: Map<String, Value> = cors_headers(cors)
        .into_iter()
        .map(|(h, v)| {
            let schema = match (h, cors.allow_origins.as_slice()) {
                // The answer names one origin, the request's, when it is among these.
                ("Allow-Origin", [first, _, ..]) => {
                    json!({ "type": "string", "enum": cors.allow_origins, "example": first })
                }
                _ => json!({ "type": "string", "example": v }),
            };
            (format!("Access-Control-{h}"), json!({ "schema": schema }))
        })
        .collect();
    let mut op = json!({
        "operationId": operation_id("options", path),
        "summary": "CORS preflight",
        "responses": { "200": { "description": "CORS preflight answer", "headers": headers } },
    });
    let parameters = parameter_objects(path);
    if !parameters.is_empty() {
        op["parameters"] = json!(parameters);
    }
    op
}

/// The declared authorizers, and the API key scheme when a route needs a key.
fn security_schemes(stack: &Stack, api: &ApiSpec) -> Map<String, Value> {
    let mut schemes: Map<String, Value> = api
        .authorizers
        .iter()
        .map(|(name, spec)| {
            let scheme = match spec {
                AuthorizerSpec::Jwt { issuer, .. } => json!({
                    "type": "openIdConnect",
                    "openIdConnectUrl": format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/')),
                }),
                AuthorizerSpec::Cognito { user_pools } => json!({
                    "type": "openIdConnect",
                    "openIdConnectUrl": cognito_discovery(user_pools.first().map_or("", String::as_str)),
                    "description": "an ID or access token of the Cognito user pool, in the Authorization header",
                }),
                AuthorizerSpec::Lambda { function } => json!({
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": format!("a token the function {} checks", stack.function_name(function)),
                }),
            };
            (name.clone(), scheme)
        })
        .collect();
    if stack.routes.iter().any(|r| r.api_key) {
        schemes.insert(
            API_KEY_SCHEME.into(),
            json!({
                "type": "apiKey",
                "in": "header",
                "name": "x-api-key",
                "description": "an API key of a usage plan that meters the stage",
            }),
        );
    }
    schemes
}

/// A Cognito user pool's OpenID discovery URL, from its ARN
/// (`arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID`).
fn cognito_discovery(pool_arn: &str) -> String {
    let region = pool_arn.split(':').nth(3).unwrap_or("us-east-1");
    let pool = pool_arn.rsplit('/').next().unwrap_or(pool_arn);
    format!("https://cognito-idp.{region}.amazonaws.com/{pool}/.well-known/openid-configuration")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_name_method_and_path() {
        assert_eq!(operation_id("get", "/orders/{id}"), "get_orders_id");
        assert_eq!(operation_id("post", "/"), "post");
    }

    #[test]
    fn a_preflight_answers_one_of_several_origins() {
        let cors = crate::stack::Cors {
            allow_origins: vec!["https://a.example".into(), "https://b.example".into()],
            allow_methods: Vec::new(),
            allow_headers: Vec::new(),
            max_age: None,
        };
        let op = preflight("/orders", &cors);
        let origin = &op["responses"]["200"]["headers"]["Access-Control-Allow-Origin"]["schema"];
        assert_eq!(origin["example"], "https://a.example");
        assert_eq!(
            origin["enum"],
            json!(["https://a.example", "https://b.example"])
        );
    }
}
