//! The declared API types: the API (HTTP or REST) with its stages, routes, authorizers, CORS
//! and throttles, and the WebSocket API with its routes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::metering::{ApiKeySpec, UsagePlanSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiType {
    /// API Gateway HTTP API (v2).
    Http,
    /// API Gateway REST API (v1).
    Rest,
}

impl ApiType {
    /// The protocol as the plan shows it, and as API Gateway v2 names HTTP APIs.
    pub fn protocol(self) -> &'static str {
        match self {
            ApiType::Http => "HTTP",
            ApiType::Rest => "REST",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiSpec {
    pub api_type: ApiType,
    /// The stages, never empty: `[api] stage = "prod"` (with `[api]`'s throttle and access
    /// log) is one, `stages.NAME` declares several (in name order). The first one's URL is
    /// `api.url`.
    pub stages: Vec<StageSpec>,
    pub cors: Option<Cors>,
    pub authorizers: BTreeMap<String, AuthorizerSpec>,
    pub tags: BTreeMap<String, String>,
    /// `[api.usage_plans.NAME]` by name (REST APIs).
    pub usage_plans: BTreeMap<String, UsagePlanSpec>,
    /// `[api.keys.NAME]` by name (REST APIs).
    pub keys: BTreeMap<String, ApiKeySpec>,
}

impl ApiSpec {
    /// The first stage: the one `api.url` names.
    pub fn first_stage(&self) -> &StageSpec {
        &self.stages[0]
    }

    pub fn stage_names(&self) -> impl Iterator<Item = &str> {
        self.stages.iter().map(|s| s.name.as_str())
    }
}

/// A stage of the API and its settings. Tracing and execution logging are REST-only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageSpec {
    /// Letters, digits, `-` and `_`, or `$default` (HTTP APIs).
    pub name: String,
    /// Stage variables (`${stageVariables.NAME}` in integrations).
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    pub throttle: Option<Throttle>,
    pub access_log: Option<AccessLog>,
    /// X-Ray tracing of the stage's requests (REST: `tracingEnabled`).
    #[serde(default)]
    pub tracing: bool,
    /// Execution logging and detailed metrics for every method (REST: method settings `*/*`;
    /// HTTP: detailed metrics only).
    #[serde(default)]
    pub logging: Option<StageLogging>,
}

impl StageSpec {
    /// A stage with a throttle and an access log only (a WebSocket API's).
    pub fn plain(name: &str, throttle: Option<Throttle>, access_log: Option<AccessLog>) -> Self {
        StageSpec {
            name: name.to_string(),
            variables: BTreeMap::new(),
            throttle,
            access_log,
            tracing: false,
            logging: None,
        }
    }
}

/// `logging = { level, data_trace, metrics }`: CloudWatch execution logs and detailed metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageLogging {
    /// `OFF`, `ERROR` or `INFO` (API Gateway's loggingLevel).
    pub level: LogLevel,
    /// Full request and response logs (`dataTraceEnabled`).
    pub data_trace: bool,
    /// Detailed CloudWatch metrics per method (`metricsEnabled`).
    pub metrics: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Off,
    Error,
    Info,
}

impl LogLevel {
    /// API Gateway's loggingLevel.
    pub fn aws_name(self) -> &'static str {
        match self {
            LogLevel::Off => "OFF",
            LogLevel::Error => "ERROR",
            LogLevel::Info => "INFO",
        }
    }
}

/// Where a stage writes its access log, and in what format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLog {
    /// A CloudWatch Logs log group ARN.
    pub destination: String,
    pub format: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cors {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub max_age: Option<i32>,
}

/// Stage-wide request limits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Throttle {
    pub rate: f64,
    pub burst: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteSpec {
    /// `METHOD /path`, as API Gateway writes a route key.
    pub key: String,
    /// The function the route invokes; empty when the route publishes (`publish`).
    pub function: String,
    /// REST APIs: the topic (logical name) the route publishes its request body to, through
    /// an AWS service integration instead of a function.
    #[serde(default)]
    pub publish: Option<String>,
    /// The name of an authorizer in `[api]`, and the scopes it must grant.
    pub authorizer: Option<String>,
    pub scopes: Vec<String>,
    /// The function's alias the route invokes: a name, or `${stageVariables.NAME}` (each
    /// stage's variable names one).
    #[serde(default)]
    pub alias: Option<String>,
    /// REST APIs: callers must send an API key of a usage plan (`x-api-key`).
    pub api_key: bool,
    /// What the route does, for `stackctl openapi` and `stackctl portal`.
    pub docs: RouteDocs,
}

impl RouteSpec {
    /// The function the route invokes (logical name), unless it publishes to a topic.
    pub fn invokes(&self) -> Option<&String> {
        self.publish.is_none().then_some(&self.function)
    }

    /// The stage variable that names the route's alias (`${stageVariables.NAME}`), if it is one.
    pub fn alias_variable(&self) -> Option<&str> {
        let alias = self.alias.as_deref()?;
        alias.strip_prefix("${stageVariables.")?.strip_suffix('}')
    }

    /// The aliases the route can reach: its alias, or each stage's value of its variable.
    pub fn reachable_aliases(&self, api: Option<&ApiSpec>) -> Vec<String> {
        let Some(variable) = self.alias_variable() else {
            return self.alias.iter().cloned().collect();
        };
        let mut all: Vec<String> = api
            .into_iter()
            .flat_map(|a| &a.stages)
            .filter_map(|s| s.variables.get(variable).cloned())
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

/// A route's `summary`, `description` and `tags`: documentation only, never sent to AWS.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteDocs {
    pub summary: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
}

/// Who may call routes that name the authorizer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum AuthorizerSpec {
    /// JWTs from an OpenID issuer (HTTP APIs).
    Jwt {
        issuer: String,
        audience: Vec<String>,
    },
    /// Cognito user pool tokens (REST APIs).
    Cognito { user_pools: Vec<String> },
    /// A function of the stack decides (both API types); by logical name in the stack file,
    /// by physical name when read from AWS.
    Lambda { function: String },
}

/// `[websocket]`: a WebSocket API (API Gateway v2, protocol WEBSOCKET) with its stage and routes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebsocketSpec {
    pub stage: String,
    /// The route selection expression, `$request.body.FIELD`.
    pub route_selection: String,
    /// The Lambda REQUEST authorizer of the `$connect` route.
    pub authorizer: Option<WebsocketAuthorizer>,
    pub throttle: Option<Throttle>,
    pub access_log: Option<AccessLog>,
    pub tags: BTreeMap<String, String>,
    pub routes: Vec<WebsocketRouteSpec>,
}

/// A Lambda REQUEST authorizer on `$connect`: the function (logical name) and where the
/// identity is read (`route.request.querystring.token`, `route.request.header.Auth`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebsocketAuthorizer {
    pub function: String,
    pub identity_source: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebsocketRouteSpec {
    /// `$connect`, `$disconnect`, `$default` or a custom key.
    pub key: String,
    /// The logical name of the function the route invokes.
    pub function: String,
    /// A two-way route: the function's return value goes back to the client.
    pub respond: bool,
}
