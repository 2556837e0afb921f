//! The desired form of each resource, resolved from the stack file: what apply makes live.

use super::table_steps;
use super::topic::{SubscriptionDesired, TopicDesired};
use super::usage_plan::{ApiKeyDesired, UsagePlanDesired};
use super::user_pool::UserPoolDesired;
use crate::stack::{ApiSpec, FunctionSpec, TableSpec, Template, WebsocketSpec};

/// The desired form of one resource, resolved from the stack file.
#[derive(Debug, Clone)]
pub enum Desired {
    Role(RoleDesired),
    Table(TableDesired),
    Function(Box<FunctionDesired>),
    Api(ApiDesired),
    Route(RouteDesired),
    Deployment(ApiSpec),
    Websocket(WebsocketDesired),
    WebsocketRoute(WebsocketRouteDesired),
    UsagePlan(UsagePlanDesired),
    ApiKey(ApiKeyDesired),
    UserPool(UserPoolDesired),
    Topic(TopicDesired),
    Subscription(SubscriptionDesired),
    Queue(super::queue::QueueDesired),
    EventSource(super::event_source::EventSourceDesired),
    Schedule(super::schedule::ScheduleDesired),
}

#[derive(Debug, Clone)]
pub struct RoleDesired {
    pub name: String,
    pub path: String,
    pub trusted_services: Vec<String>,
    /// The inline policy; resources may refer to tables not created yet.
    pub statements: Vec<PolicyStatement>,
    pub stack: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyStatement {
    pub sid: String,
    pub actions: Vec<String>,
    pub resources: Vec<Template>,
}

#[derive(Debug, Clone)]
pub struct TableDesired {
    pub name: String,
    pub stack: String,
    pub spec: TableSpec,
    /// The fingerprint of what apply makes live, for the `stackctl:applied` tag.
    pub applied: String,
    /// An in-place update's requests, in the order apply sends them (empty otherwise).
    pub steps: Vec<table_steps::Step>,
}

#[derive(Debug, Clone)]
pub struct FunctionDesired {
    pub name: String,
    pub stack: String,
    pub spec: FunctionSpec,
    pub code_sha256: String,
    pub role: RoleSource,
    /// Where packages too large for a direct upload go.
    pub artifact_bucket: Option<String>,
    /// The fingerprint of what apply makes live, for the `stackctl:applied` tag.
    pub applied: String,
    /// The fingerprint written with the function's configuration, before its version and
    /// aliases are applied: [`FunctionDesired::applied`] with `version` and `aliases` unknown,
    /// so that an apply cut short between the two shows no drift. `applied` replaces it once
    /// the aliases are applied.
    pub applied_before_versions: String,
}

#[derive(Debug, Clone)]
pub enum RoleSource {
    /// A role ARN given in the stack file.
    Arn(String),
    /// The role stackctl manages, by role name; its ARN is known once it exists.
    Managed { name: String, arn: Option<String> },
}

#[derive(Debug, Clone)]
pub struct ApiDesired {
    pub name: String,
    pub stack: String,
    pub spec: ApiSpec,
    /// For the API's `stackctl:permissions` tag once its routes are applied.
    pub permissions_record: String,
    /// For the API's `stackctl:alias-permissions` tag once its routes are applied.
    pub alias_permissions: String,
    /// The aliases (`FUNCTION:ALIAS`, physical names) that hold the API's invoke permission
    /// by the record but are no longer reachable: the API's update revokes them.
    pub revoke_aliases: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RouteDesired {
    pub key: String,
    /// The logical name of the function the route invokes.
    pub logical_function: String,
    /// Its physical name.
    pub function: String,
    /// The function does not hold the API's invoke permission yet (as read, or the API is new):
    /// the route grants it before it points at the function.
    pub grant: bool,
    /// The function holds a statement of the same ID for an API that goes (replaced by one of
    /// the other type): the grant removes it first.
    pub replace: bool,
    /// The route belongs to a REST API (a resource and method) rather than an HTTP API.
    pub rest: bool,
    pub authorizer: Option<String>,
    /// How API Gateway calls the authorizer: JWT, COGNITO_USER_POOLS or CUSTOM (Lambda).
    pub authorizer_kind: Option<String>,
    pub scopes: Vec<String>,
    /// The alias the integration invokes (a name, or `${stageVariables.NAME}`).
    pub alias: Option<String>,
    /// The aliases the route can reach: each is granted the API's invoke permission.
    pub aliases: Vec<String>,
    /// REST APIs: the method requires an API key.
    pub api_key: bool,
    /// A REST route that publishes its request body to a topic instead of invoking a
    /// function (`logical_function` and `function` are then empty, and nothing is granted).
    pub publish: Option<PublishDesired>,
}

/// What a REST route that publishes needs: the topic and the role API Gateway assumes.
#[derive(Debug, Clone)]
pub struct PublishDesired {
    /// The topic's logical name (`${topics.NAME.arn}` is known once it exists).
    pub topic: String,
    /// The role's name, and its ARN where it exists already (else learned when it is made).
    pub role: String,
    pub role_arn: Option<String>,
}

#[derive(Debug, Clone)]
pub struct WebsocketDesired {
    pub name: String,
    pub stack: String,
    pub spec: WebsocketSpec,
    /// For the API's `stackctl:permissions` tag once its routes are applied.
    pub permissions_record: String,
}

#[derive(Debug, Clone)]
pub struct WebsocketRouteDesired {
    pub key: String,
    /// The logical name of the function the route invokes.
    pub logical_function: String,
    /// The function does not hold the WebSocket API's invoke permission yet: the route grants
    /// it before it points at the function.
    pub grant: bool,
    /// The function holds the statement for another API (one that was deleted): the grant
    /// removes it first.
    pub replace: bool,
    /// A two-way route: a `$default` route response.
    pub respond: bool,
    /// `$connect` with the API's authorizer.
    pub authorized: bool,
}

impl Desired {
    pub fn role(&self) -> Option<&RoleDesired> {
        match self {
            Desired::Role(d) => Some(d),
            _ => None,
        }
    }

    pub fn table(&self) -> Option<&TableDesired> {
        match self {
            Desired::Table(d) => Some(d),
            _ => None,
        }
    }

    pub fn function(&self) -> Option<&FunctionDesired> {
        match self {
            Desired::Function(d) => Some(d),
            _ => None,
        }
    }
}
