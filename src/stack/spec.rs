//! What the stack file declares, checked: the desired state that plans compare with live AWS.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::metering::{ApiKeySpec, UsagePlanSpec};
use super::reference::{RefAttr, RefTarget, Reference, Template};
use super::topic::{TopicAccess, TopicSpec};

/// A parsed and validated stack file.
#[derive(Debug, Clone)]
pub struct Stack {
    pub name: String,
    pub region: Option<String>,
    /// The S3 bucket for function packages too large to upload directly.
    pub artifact_bucket: Option<String>,
    pub tables: Vec<TableSpec>,
    pub functions: Vec<FunctionSpec>,
    pub api: Option<ApiSpec>,
    pub routes: Vec<RouteSpec>,
    /// `[websocket]` with its routes: a WebSocket API beside the HTTP or REST API.
    pub websocket: Option<WebsocketSpec>,
    /// `[user_pools.NAME]`: Cognito user pools with their clients and domains.
    pub user_pools: Vec<super::user_pool::UserPoolSpec>,
    /// `[topics.NAME]`: SNS topics with their subscriptions.
    pub topics: Vec<TopicSpec>,
}

impl Stack {
    /// The physical name of a resource declared as `logical` (see [`crate::marks::physical_name`]).
    pub fn physical_name(&self, logical: &str) -> String {
        crate::marks::physical_name(&self.name, logical)
    }

    pub fn function(&self, logical: &str) -> Option<&FunctionSpec> {
        self.functions.iter().find(|f| f.logical == logical)
    }

    pub fn user_pool(&self, logical: &str) -> Option<&super::user_pool::UserPoolSpec> {
        self.user_pools.iter().find(|p| p.logical == logical)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    String,
    Number,
    Binary,
}

impl KeyType {
    /// DynamoDB's attribute type letter.
    pub fn code(self) -> &'static str {
        match self {
            KeyType::String => "S",
            KeyType::Number => "N",
            KeyType::Binary => "B",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "S" => Some(KeyType::String),
            "N" => Some(KeyType::Number),
            "B" => Some(KeyType::Binary),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::String => "string",
            KeyType::Number => "number",
            KeyType::Binary => "binary",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySpec {
    pub name: String,
    #[serde(rename = "type")]
    pub key_type: KeyType,
}

impl std::fmt::Display for KeySpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name, self.key_type.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum Billing {
    OnDemand,
    Provisioned {
        read_capacity: i64,
        write_capacity: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableSpec {
    pub logical: String,
    pub partition_key: KeySpec,
    pub sort_key: Option<KeySpec>,
    pub billing: Billing,
    pub ttl_attribute: Option<String>,
    pub stream: Option<StreamView>,
    pub point_in_time_recovery: bool,
    pub deletion_protection: bool,
    pub table_class: TableClass,
    pub global_indexes: Vec<GlobalIndexSpec>,
    pub local_indexes: Vec<LocalIndexSpec>,
    pub tags: BTreeMap<String, String>,
    /// `[tables.NAME.items]`: what the table's items look like. Stack-file data only: it never
    /// changes the table, and a saved plan does not carry it.
    #[serde(skip)]
    pub items: Option<crate::schema::ItemSchema>,
    /// Auto scaling of the table's capacity (provisioned tables only); the capacity in
    /// `billing` is then the one a new table starts with, the minimum.
    #[serde(default)]
    pub autoscaling: CapacityScaling,
}

/// Application Auto Scaling of one capacity dimension: a scalable target (`min`..=`max`
/// capacity units) with a target-tracking policy keeping utilisation near `target` percent.
/// Source: <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/AutoScaling.html>.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Autoscaling {
    pub min: i64,
    pub max: i64,
    /// Target utilisation, in percent of the provisioned capacity.
    pub target: i64,
    /// Seconds after a scale-in before the next; `None` is AWS's default for DynamoDB, 0.
    pub scale_in_cooldown: Option<i64>,
    /// Seconds after a scale-out before the next; `None` is AWS's default for DynamoDB, 0.
    pub scale_out_cooldown: Option<i64>,
}

/// Auto scaling of read and of write capacity, each optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityScaling {
    pub read: Option<Autoscaling>,
    pub write: Option<Autoscaling>,
}

impl TableSpec {
    /// Every key attribute of the table and its indexes, once each (DynamoDB's
    /// AttributeDefinitions). The reader has checked that no attribute has two types.
    pub fn key_attributes(&self) -> Vec<&KeySpec> {
        let mut keys: Vec<&KeySpec> = Vec::new();
        let all = std::iter::once(&self.partition_key)
            .chain(self.sort_key.as_ref())
            .chain(
                self.global_indexes
                    .iter()
                    .flat_map(|i| std::iter::once(&i.partition_key).chain(i.sort_key.as_ref())),
            )
            .chain(self.local_indexes.iter().map(|i| &i.sort_key));
        for key in all {
            if !keys.iter().any(|k| k.name == key.name) {
                keys.push(key);
            }
        }
        keys
    }
}

/// What a DynamoDB stream carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StreamView {
    KeysOnly,
    NewImage,
    OldImage,
    NewAndOldImages,
}

impl StreamView {
    pub const ALL: [StreamView; 4] = [
        StreamView::KeysOnly,
        StreamView::NewImage,
        StreamView::OldImage,
        StreamView::NewAndOldImages,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StreamView::KeysOnly => "keys-only",
            StreamView::NewImage => "new-image",
            StreamView::OldImage => "old-image",
            StreamView::NewAndOldImages => "new-and-old-images",
        }
    }

    /// DynamoDB's StreamViewType.
    pub fn aws_name(self) -> &'static str {
        match self {
            StreamView::KeysOnly => "KEYS_ONLY",
            StreamView::NewImage => "NEW_IMAGE",
            StreamView::OldImage => "OLD_IMAGE",
            StreamView::NewAndOldImages => "NEW_AND_OLD_IMAGES",
        }
    }

    pub fn from_aws(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.aws_name() == name)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TableClass {
    #[default]
    Standard,
    StandardInfrequentAccess,
}

impl TableClass {
    pub fn as_str(self) -> &'static str {
        match self {
            TableClass::Standard => "standard",
            TableClass::StandardInfrequentAccess => "standard-infrequent-access",
        }
    }

    pub fn aws_name(self) -> &'static str {
        match self {
            TableClass::Standard => "STANDARD",
            TableClass::StandardInfrequentAccess => "STANDARD_INFREQUENT_ACCESS",
        }
    }

    /// DynamoDB omits the class of STANDARD tables, so absent means standard.
    pub fn from_aws(name: Option<&str>) -> Self {
        match name {
            Some("STANDARD_INFREQUENT_ACCESS") => TableClass::StandardInfrequentAccess,
            _ => TableClass::Standard,
        }
    }
}

/// Which attributes an index copies from the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Projection {
    All,
    KeysOnly,
    Include(Vec<String>),
}

impl std::fmt::Display for Projection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Projection::All => write!(f, "all"),
            Projection::KeysOnly => write!(f, "keys-only"),
            Projection::Include(attrs) => write!(f, "include {}", attrs.join(", ")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlobalIndexSpec {
    pub name: String,
    pub partition_key: KeySpec,
    pub sort_key: Option<KeySpec>,
    pub projection: Projection,
    /// Read and write capacity, for provisioned tables only (defaults to the table's).
    pub capacity: Option<(i64, i64)>,
    /// Auto scaling of the index's capacity (defaults to the table's).
    #[serde(default)]
    pub autoscaling: CapacityScaling,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalIndexSpec {
    pub name: String,
    pub sort_key: KeySpec,
    pub projection: Projection,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionSpec {
    pub logical: String,
    pub runtime: String,
    pub handler: String,
    /// A directory (zipped by stackctl) or a `.zip` / `.jar` file, resolved against the stack
    /// file's folder.
    pub code: PathBuf,
    /// Glob patterns of files left out of a zipped directory.
    pub exclude: Vec<String>,
    pub memory: i32,
    pub timeout: i32,
    pub architecture: Architecture,
    pub description: String,
    pub layers: Vec<String>,
    pub reserved_concurrency: Option<i32>,
    pub log_retention_days: Option<i32>,
    pub environment: BTreeMap<String, EnvValue>,
    /// An existing role's ARN; when absent stackctl manages a role for the function.
    pub role: Option<String>,
    /// Tables the managed role may use, by logical name.
    pub tables: BTreeMap<String, TableAccess>,
    pub tags: BTreeMap<String, String>,
    /// `websocket = "manage"`: the managed role may post to and drop the connections of the
    /// stack's WebSocket API.
    pub manage_connections: bool,
    /// `tracing`: X-Ray TracingConfig; `None` leaves AWS's default, PassThrough.
    #[serde(default)]
    pub tracing: Option<Tracing>,
    /// `publish = true` with its aliases: versions and aliases of the function.
    #[serde(default)]
    pub versions: Option<Versioning>,
    /// `topics = { NAME = "publish" }`: topics (logical names) the managed role may publish to.
    #[serde(default)]
    pub topics: BTreeMap<String, TopicAccess>,
}

impl FunctionSpec {
    /// Every reference the function makes: environment values and table access.
    pub fn references(&self) -> impl Iterator<Item = Reference> + '_ {
        self.environment
            .values()
            .flat_map(|v| v.value.references().cloned())
            .chain(self.tables.keys().map(|t| Reference {
                target: RefTarget::Table(t.clone()),
                attr: RefAttr::Arn,
            }))
            .chain(self.manage_connections.then_some(Reference {
                target: RefTarget::Websocket,
                attr: RefAttr::Arn,
            }))
            .chain(self.topics.keys().map(|t| Reference {
                target: RefTarget::Topic(t.clone()),
                attr: RefAttr::Arn,
            }))
    }
}

/// A function's X-Ray tracing mode (Lambda's TracingConfig `Mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tracing {
    /// Lambda samples requests and sends traces to X-Ray (the role needs X-Ray write access).
    Active,
    /// Lambda traces only requests that arrive with a sampled trace header (AWS's default).
    Passthrough,
}

impl Tracing {
    /// The stack file's word.
    pub fn as_str(self) -> &'static str {
        match self {
            Tracing::Active => "active",
            Tracing::Passthrough => "passthrough",
        }
    }

    /// Lambda's TracingConfig mode.
    pub fn aws_name(self) -> &'static str {
        match self {
            Tracing::Active => "Active",
            Tracing::Passthrough => "PassThrough",
        }
    }
}

/// `publish = true`: a version is published whenever the function's code or configuration
/// changes, and `aliases` point at versions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Versioning {
    /// Aliases by name (Lambda alias names: 1 to 128 of `a-zA-Z0-9-_`, not only digits).
    pub aliases: BTreeMap<String, AliasSpec>,
}

/// Where an alias points: one version, or (weighted) `weight` of the requests to `version` and
/// the rest to the version of the alias `of` (Lambda's AdditionalVersionWeights).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AliasSpec {
    pub version: AliasVersion,
    pub weighted: Option<Weighted>,
}

/// An alias's version: the newest published one, or a pinned number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AliasVersion {
    Latest,
    Number(i64),
}

/// Weighted routing: `weight` (0 to 1) of the requests go to the alias's `version`, the rest to
/// the version of the alias `of` (an unweighted alias of the same function).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weighted {
    pub weight: f64,
    pub of: String,
}

/// An environment variable's value; a sensitive one is never shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvValue {
    pub value: Template,
    pub sensitive: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Architecture {
    #[default]
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "arm64")]
    Arm64,
}

impl Architecture {
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }
}

/// What a function may do with a table (and its indexes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TableAccess {
    Read,
    Write,
    ReadWrite,
}

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
