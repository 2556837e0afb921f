//! Live state: what exists in AWS now for a stack, read in few, parallel calls.
//!
//! Ownership comes from tags (`stackctl:stack = NAME`) for tables, functions and APIs, and from
//! the IAM path `/stackctl/NAME/` for roles. There is no state file.

mod adopt;
mod alias_permissions;
mod api;
pub mod autoscaling;
mod dynamodb;
mod event_sources;
mod eventbridge;
pub mod gateway_account;
mod iam;
mod lambda;
/// A function's log events (`stackctl logs`).
pub mod logs;
pub mod metrics;
mod read;
mod scope;
mod sns;
mod sqs;
mod ssm;
mod state;
pub mod status;
mod tagging;
mod usage_plans;
mod user_pool;
mod versions;
mod websocket;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::stack::{
    AccessLog, AuthorizerSpec, Billing, Cors, GlobalIndexSpec, KeySpec, LocalIndexSpec, StreamView,
    TableClass, Throttle,
};

pub use adopt::{AdoptKind, Adoptable, read_adoptable, untagged, with_adopted};
pub use api::{TaggedApi, tagged_api_named};
pub(crate) use api::{cors_of, rest_resources};
pub use autoscaling::{LiveAutoscaling, LiveScaling};
pub use dynamodb::{owner_of as table_owner, read_named as read_table};
pub use event_sources::LiveEventSource;
pub use eventbridge::LiveSchedule;
pub use iam::{canonical_json, role_owner};
pub use scope::Scope;
pub use sns::{LiveSubscription, LiveTopic};
pub use sqs::{LiveQueue, name_of as queue_name_of};
pub use state::{read, read_api};
#[cfg(test)]
pub use usage_plans::LiveApiStage;
pub use usage_plans::{
    LiveApiKey, LiveUsagePlan, api_key_value, method_throttle_key, tagged_api_key_named,
    tagged_usage_plan_named,
};
#[cfg(test)]
pub use user_pool::LiveUserPoolClient;
pub use user_pool::{LiveUserPool, SIGN_IN_TAG, outputs as user_pool_outputs};
pub use websocket::tagged_websocket_named;

/// Everything stackctl found in AWS that is owned by the stack, or that is in its way.
#[derive(Debug, Clone, Default)]
pub struct LiveState {
    /// Owned tables by physical name.
    pub tables: BTreeMap<String, LiveTable>,
    /// Owned functions by physical name.
    pub functions: BTreeMap<String, LiveFunction>,
    /// Roles under the stack's IAM path, by role name.
    pub roles: BTreeMap<String, LiveRole>,
    /// APIs tagged for the stack, the one with the most routes first, then the oldest. More
    /// than one means a create whose answer was lost and was sent again, or an apply cut short
    /// after creating an API; the extras are planned for deletion.
    pub apis: Vec<LiveApi>,
    /// Resources the stack file declares whose physical names are taken by resources the
    /// stack does not own.
    pub conflicts: Vec<Conflict>,
    /// Values of the SSM parameters the stack file refers to. Never serialized.
    pub secrets: BTreeMap<String, String>,
    /// The names of those parameters that are plain `String`s or `StringList`s: their values
    /// show in plans; a `SecureString`'s (and any parameter not read) never does.
    pub plain_parameters: BTreeSet<String>,
    /// Resources (kind, physical name) tagged for the stack that no longer exist.
    pub missing: Vec<(String, String)>,
    /// Statement IDs in the resource policies of the functions live routes invoke, by
    /// function name (read, or taken from the API's permissions record).
    pub invoke_permissions: BTreeMap<String, BTreeSet<String>>,
    /// WebSocket APIs tagged for the stack, the one with the most routes first (more than one:
    /// as for `apis`, the extras are planned for deletion).
    pub websockets: Vec<LiveWebsocket>,
    /// Statement IDs in the resource policies of the functions live WebSocket routes invoke,
    /// by function name (read, or taken from the WebSocket API's permissions record).
    pub websocket_permissions: BTreeMap<String, BTreeSet<String>>,
    /// The account the ARNs read name, when any was read.
    pub account: Option<String>,
    /// A scoped read: ARNs of the functions its changes refer to without changing them, by
    /// physical name, made from the account and region (see [`Scope::referred`]).
    pub referred_arns: BTreeMap<String, String>,
    /// Usage plans tagged for the stack, by physical name.
    pub usage_plans: BTreeMap<String, LiveUsagePlan>,
    /// API keys tagged for the stack, by physical name (never their values).
    pub api_keys: BTreeMap<String, LiveApiKey>,
    /// Owned Cognito user pools by physical name.
    pub user_pools: BTreeMap<String, LiveUserPool>,
    /// Owned SNS topics by name, with their subscriptions.
    pub topics: BTreeMap<String, LiveTopic>,
    /// Owned SQS queues by name.
    pub queues: BTreeMap<String, LiveQueue>,
    /// The event source mappings of the owned functions (read where the stack may have any:
    /// see `event_sources::wanted`).
    pub event_sources: Vec<LiveEventSource>,
    /// The EventBridge rules of the functions' schedules, by rule name.
    pub schedules: BTreeMap<String, LiveSchedule>,
    /// Whether the account has API Gateway's CloudWatch role, read when a REST stage logs
    /// (see `gateway_account`); `None`: not read.
    pub gateway_logging_role: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LiveTable {
    pub name: String,
    pub arn: String,
    pub status: String,
    pub partition_key: KeySpec,
    pub sort_key: Option<KeySpec>,
    pub billing: Billing,
    pub ttl_attribute: Option<String>,
    pub stream: Option<StreamView>,
    /// The ARN of the table's stream while one is on (LatestStreamArn).
    pub stream_arn: Option<String>,
    pub point_in_time_recovery: bool,
    pub deletion_protection: bool,
    pub table_class: TableClass,
    pub global_indexes: Vec<LiveGlobalIndex>,
    pub local_indexes: Vec<LocalIndexSpec>,
    /// When the table last switched to on-demand billing (seconds since the epoch); AWS limits
    /// how often the billing mode may change.
    pub last_switch_to_on_demand: Option<i64>,
    /// The table's tags without stackctl's own.
    pub tags: BTreeMap<String, String>,
    /// The `stackctl:applied` tag: what stackctl last applied (see `marks::APPLIED_TAG`).
    pub applied: Option<String>,
    /// The table's scalable targets and stackctl's policies on them.
    pub autoscaling: LiveAutoscaling,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LiveGlobalIndex {
    /// The index as read; its `autoscaling` is always empty (see [`Self::autoscaling`]).
    pub spec: GlobalIndexSpec,
    pub status: String,
    pub autoscaling: LiveAutoscaling,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LiveFunction {
    pub name: String,
    pub arn: String,
    pub runtime: String,
    pub handler: String,
    pub memory: i32,
    pub timeout: i32,
    pub architecture: String,
    pub description: String,
    pub layers: Vec<String>,
    pub reserved_concurrency: Option<i32>,
    /// Retention of the function's log group; `None` when it keeps logs forever or is absent.
    pub log_retention_days: Option<i32>,
    pub role: String,
    pub environment: BTreeMap<String, String>,
    pub code_sha256: String,
    pub tags: BTreeMap<String, String>,
    /// The `stackctl:applied` tag: what stackctl last applied (see `marks::APPLIED_TAG`).
    pub applied: Option<String>,
    /// X-Ray tracing mode as Lambda names it: `Active` or `PassThrough` (the default).
    pub tracing: String,
    /// Whether the function carries `marks::VERSIONS_TAG` (stackctl publishes its versions).
    pub publishes: bool,
    /// Published versions and aliases, read only for functions that publish (see
    /// `versions::read`).
    pub versions: Option<LiveVersions>,
    /// Lambda's VpcConfig; `None` when it names no subnet and no security group.
    pub vpc: Option<crate::stack::VpcSpec>,
}

/// A function's published versions and its aliases.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveVersions {
    /// The newest published version's number, if any.
    pub latest: Option<i64>,
    /// Whether `$LATEST` is what the newest version published: same code and configuration.
    pub latest_current: bool,
    /// Aliases by name.
    pub aliases: BTreeMap<String, LiveAlias>,
}

/// Where an alias points: its version, and other versions with their shares of the requests
/// (Lambda's AdditionalVersionWeights, 0 to 1).
#[derive(Debug, Clone, PartialEq)]
pub struct LiveAlias {
    pub version: String,
    pub weights: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LiveRole {
    pub name: String,
    pub arn: String,
    /// Service principals the role trusts.
    pub trusted_services: Vec<String>,
    /// stackctl's inline policy, as canonical JSON, if the role has it.
    pub policy: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveApi {
    pub id: String,
    pub name: String,
    pub endpoint: String,
    /// "HTTP" (API Gateway v2) or "REST" (v1).
    pub protocol: String,
    pub tags: BTreeMap<String, String>,
    /// The `stackctl:permissions` tag (see `marks::permissions_record`).
    #[serde(default)]
    pub permissions_record: Option<String>,
    /// The `stackctl:alias-permissions` tag (see `marks::alias_permissions_record`).
    #[serde(default)]
    pub alias_permissions: Option<String>,
    pub stages: Vec<String>,
    pub cors: Option<Cors>,
    pub throttle: Option<Throttle>,
    pub access_log: Option<AccessLog>,
    /// Every stage with its settings as read, in name order (empty where stages were not
    /// read).
    #[serde(default)]
    pub stage_settings: Vec<crate::stack::StageSpec>,
    /// Authorizers by name, with their IDs.
    pub authorizers: BTreeMap<String, (String, AuthorizerSpec)>,
    pub routes: Vec<LiveRoute>,
    /// REST APIs only: the resource tree, and the deployment the stage serves.
    pub resources: Vec<LiveResource>,
    pub deployment_id: Option<String>,
}

impl LiveApi {
    pub fn is_rest(&self) -> bool {
        self.protocol == "REST"
    }
}

/// A REST API resource: a path, and the methods declared on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveResource {
    pub id: String,
    pub path: String,
    pub parent_id: Option<String>,
    pub methods: Vec<String>,
}

impl LiveApi {
    /// The invoke URL of a stage.
    pub fn url(&self, stage: &str) -> String {
        stage_url(&self.endpoint, stage)
    }
}

pub fn stage_url(endpoint: &str, stage: &str) -> String {
    if stage == "$default" {
        format!("{endpoint}/")
    } else {
        format!("{endpoint}/{stage}")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveRoute {
    /// The route's ID (HTTP API) or its resource's ID (REST API).
    pub id: String,
    pub key: String,
    pub integration_id: Option<String>,
    /// The function ARN the route's integration invokes.
    pub function_arn: Option<String>,
    /// The name of the route's authorizer, and the scopes it requires.
    pub authorizer: Option<String>,
    pub scopes: Vec<String>,
    /// REST APIs: the method requires an API key.
    #[serde(default)]
    pub api_key: bool,
    /// REST APIs: the ARN of the topic an `sns:Publish` integration publishes to (from its
    /// request template), and the ARN of the role it assumes (`credentials`).
    #[serde(default)]
    pub topic_arn: Option<String>,
    #[serde(default)]
    pub credentials: Option<String>,
}

impl LiveRoute {
    /// The name of the function the route invokes (without the alias of a qualified ARN).
    pub fn function_name(&self) -> Option<&str> {
        let arn = self.function_arn.as_deref()?;
        crate::arn::function_name_in(arn).or_else(|| arn.rsplit(':').next())
    }

    /// The alias the route invokes (a qualified ARN's last part: a name or
    /// `${stageVariables.NAME}`), if any.
    pub fn alias(&self) -> Option<&str> {
        let arn = self.function_arn.as_deref()?;
        let (_, qualifier) = arn.split(":function:").nth(1)?.split_once(':')?;
        Some(qualifier)
    }
}

/// A WebSocket API as read: the API, its stage, its `$connect` authorizer and its routes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveWebsocket {
    pub id: String,
    pub name: String,
    pub route_selection: String,
    /// The API's tags without stackctl's own.
    pub tags: BTreeMap<String, String>,
    /// The `stackctl:permissions` tag (see `marks::websocket_permissions_record`).
    pub permissions_record: Option<String>,
    pub stages: Vec<String>,
    pub throttle: Option<Throttle>,
    pub access_log: Option<AccessLog>,
    pub authorizer: Option<LiveWebsocketAuthorizer>,
    pub routes: Vec<LiveWebsocketRoute>,
    /// Lambda integrations no route targets (left by a route deleted outside stackctl or by an
    /// interrupted apply), by ID.
    #[serde(default)]
    pub unused_integrations: Vec<String>,
}

/// A Lambda REQUEST authorizer of a WebSocket API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveWebsocketAuthorizer {
    pub id: String,
    /// The physical name of the function it calls.
    pub function: String,
    pub identity_source: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveWebsocketRoute {
    pub id: String,
    pub key: String,
    pub integration_id: Option<String>,
    /// The function ARN the route's integration invokes.
    pub function_arn: Option<String>,
    /// A two-way route: its route response selection expression is set (`$default`).
    pub respond: bool,
    /// The authorizer's ID, when the route is authorized (CUSTOM).
    pub authorizer_id: Option<String>,
}

impl LiveWebsocketRoute {
    /// The name of the function the route invokes (the last part of its ARN).
    pub fn function_name(&self) -> Option<&str> {
        self.function_arn.as_deref()?.rsplit(':').next()
    }
}

/// The output key of an authorizer's ID.
pub fn authorizer_output(name: &str) -> String {
    format!("api.authorizers.{name}.id")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    pub kind: String,
    pub name: String,
    /// The stack that owns it, if any.
    pub owner: Option<String>,
    /// What else makes it not the stack's (a role's IAM path).
    #[serde(default)]
    pub note: Option<String>,
}

/// How much to trust what stackctl recorded on resources instead of reading it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Trust the API's record of the invoke permissions stackctl granted, while it is current
    /// (`plan`: fast, even with hundreds of routes).
    Trusting,
    /// Read everything (apply, which repairs what it finds, and `plan --refresh-only`).
    Full,
}

/// The account an ARN names (`arn:PARTITION:SERVICE:REGION:ACCOUNT:...`).
pub(crate) fn account_of(arn: &str) -> Option<String> {
    let account = crate::arn::account_of(arn)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .then(|| account.to_string())
}

/// ARNs and tags of the tables and functions tagged for the stack.
#[derive(Debug, Default)]
pub(crate) struct Owned {
    pub tables: BTreeMap<String, BTreeMap<String, String>>,
    pub functions: BTreeMap<String, BTreeMap<String, String>>,
    /// The tagging index knows a user pool of the stack (AWS does; the emulator does not).
    pub user_pools: bool,
    /// The tagging index knows an SQS queue of the stack.
    pub queues: bool,
    /// The tagging index knows an EventBridge rule of the stack.
    pub schedules: bool,
}

/// The tags without stackctl's own.
pub(crate) fn user_tags<'a>(
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<String, String> {
    tags.into_iter()
        .filter(|(k, _)| !crate::marks::is_own_tag(k) && !k.starts_with("aws:"))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
