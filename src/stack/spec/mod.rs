//! What the stack file declares, checked: the desired state that plans compare with live AWS.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::reference::{RefAttr, RefTarget, Reference, Template};
use super::topic::{TopicAccess, TopicSpec};

mod api;
mod build;
mod metering;
mod names;
pub(crate) mod user_pool;

pub use api::{
    AccessLog, ApiSpec, ApiType, AuthorizerSpec, Cors, LogLevel, RouteDocs, RouteSpec,
    StageLogging, StageSpec, Throttle, WebsocketAuthorizer, WebsocketRouteSpec, WebsocketSpec,
};
pub use build::{Build, VpcSpec};
pub use metering::{ApiKeySpec, Quota, QuotaPeriod, UsagePlanSpec};
pub use names::FixedNames;

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
    pub user_pools: Vec<user_pool::UserPoolSpec>,
    /// `[topics.NAME]`: SNS topics with their subscriptions.
    pub topics: Vec<TopicSpec>,
    /// `name = "..."` of the resources that fix their physical names.
    pub names: FixedNames,
    /// `[queues.NAME]`: SQS queues.
    pub queues: Vec<super::queue::QueueSpec>,
}

impl Stack {
    /// The physical name `<stack>-<logical>` (see [`crate::marks::physical_name`]): of managed
    /// roles and usage plans; tables, functions, topics and user pools may fix theirs
    /// (`table_name`, `function_name`, `topic_name`, `user_pool_name`).
    pub fn physical_name(&self, logical: &str) -> String {
        crate::marks::physical_name(&self.name, logical)
    }

    pub fn function(&self, logical: &str) -> Option<&FunctionSpec> {
        self.functions.iter().find(|f| f.logical == logical)
    }

    pub fn user_pool(&self, logical: &str) -> Option<&user_pool::UserPoolSpec> {
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
    /// `build`: what makes the package from the code folder; `None` zips the folder as it is.
    #[serde(default)]
    pub build: Option<Build>,
    /// `vpc`: the subnets and security groups the function runs in.
    #[serde(default)]
    pub vpc: Option<VpcSpec>,
    /// `events = [...]`: the queues and table streams that invoke the function.
    #[serde(default)]
    pub events: Vec<super::event::EventSpec>,
    /// `events = [{ schedule = "rate(5 minutes)" }]`: EventBridge schedule expressions, each
    /// a rule that invokes the function.
    #[serde(default)]
    pub schedules: Vec<String>,
    /// `permissions`: more statements for the managed role's policy, in the file's order.
    #[serde(default)]
    pub permissions: Vec<Permission>,
}

/// One `permissions` entry: IAM actions (`service:Action`, wildcards allowed) allowed on
/// resources (ARNs, `*`, or references resolved at apply).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    pub actions: Vec<String>,
    pub resources: Vec<Template>,
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
            .chain(
                self.permissions
                    .iter()
                    .flat_map(|p| p.resources.iter().flat_map(Template::references).cloned()),
            )
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
    /// Declared secret (`{ secret = true, value = "..." }`).
    pub sensitive: bool,
}

impl EnvValue {
    /// Never shown: declared secret, or naming an SSM parameter that is not known to be plain
    /// (`plain_parameters`: the names read as `String` or `StringList`; a `SecureString`, or a
    /// parameter not read, stays hidden).
    pub fn hidden(&self, plain_parameters: &std::collections::BTreeSet<String>) -> bool {
        self.sensitive
            || self.value.references().any(
                |r| matches!(&r.target, RefTarget::Ssm(name) if !plain_parameters.contains(name)),
            )
    }
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
