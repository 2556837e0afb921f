//! REST routes that publish their request body to a topic (`publish`): the role API Gateway
//! assumes to publish, and what such a route looks like in a plan.

use std::collections::{BTreeMap, BTreeSet};

use super::role::plan_desired;
use super::{
    Attrs, Change, Desired, PolicyStatement, PublishDesired, RoleDesired, RouteDesired, Value, api,
};
use crate::live::{LiveApi, LiveRole, LiveRoute};
use crate::marks::{PUBLISH_ROLE, role_path};
use crate::stack::{Address, RefAttr, RefTarget, Reference, RouteSpec, Stack, Template};

/// Statement IDs by function name.
type Permissions = BTreeMap<String, BTreeSet<String>>;

/// The service that assumes the role of routes that publish.
pub const APIGATEWAY_SERVICE: &str = "apigateway.amazonaws.com";

/// The topics (logical names) the stack's routes publish to, sorted, each once.
pub fn published_topics(stack: &Stack) -> Vec<&String> {
    let mut topics: Vec<&String> = stack
        .routes
        .iter()
        .filter_map(|r| r.publish.as_ref())
        .collect();
    topics.sort();
    topics.dedup();
    topics
}

/// The name of the role API Gateway assumes to publish (`<stack>-apigateway-publish`).
pub fn role_name(stack: &Stack) -> String {
    stack.physical_name(PUBLISH_ROLE)
}

/// The role API Gateway assumes to publish: trusted by `apigateway.amazonaws.com`, allowed
/// `sns:Publish` on exactly the topics routes publish to (how API Gateway calls an AWS service
/// with `credentials`:
/// <https://docs.aws.amazon.com/apigateway/latest/developerguide/integration-request-basic-setup.html>).
/// `None` when no route publishes.
pub fn plan_role(
    stack: &Stack,
    live: Option<&LiveRole>,
    resolve: &dyn Fn(&Reference) -> Option<String>,
) -> Option<Change> {
    let topics = published_topics(stack);
    if topics.is_empty() {
        return None;
    }
    let resources = topics
        .into_iter()
        .map(|t| Template::reference(topic_arn(t), ""))
        .collect();
    let desired = RoleDesired {
        name: role_name(stack),
        path: role_path(&stack.name),
        trusted_services: vec![APIGATEWAY_SERVICE.to_string()],
        statements: vec![PolicyStatement {
            sid: "Publish".to_string(),
            actions: vec!["sns:Publish".to_string()],
            resources,
        }],
        stack: stack.name.clone(),
    };
    let address = Address::Role(PUBLISH_ROLE.to_string());
    Some(plan_desired(desired, address, live, resolve))
}

/// `${topics.NAME.arn}`.
pub fn topic_arn(topic: &str) -> Reference {
    Reference {
        target: RefTarget::Topic(topic.to_string()),
        attr: RefAttr::Arn,
    }
}

/// A REST route that publishes to `topic` (logical name); `role_arn`: the publishing role's
/// ARN where it exists. Nothing is granted: API Gateway publishes with the role.
pub fn plan_route(
    stack: &Stack,
    spec: &RouteSpec,
    topic: &str,
    live: Option<(&LiveApi, &LiveRoute)>,
    permissions: &Permissions,
    role_arn: Option<String>,
) -> Change {
    let desired = RouteDesired {
        key: spec.key.clone(),
        logical_function: String::new(),
        function: String::new(),
        grant: false,
        replace: false,
        rest: true,
        authorizer: spec.authorizer.clone(),
        authorizer_kind: api::authorizer_kind(stack, spec),
        scopes: spec.scopes.clone(),
        alias: None,
        aliases: Vec::new(),
        api_key: spec.api_key,
        publish: Some(PublishDesired {
            topic: topic.to_string(),
            role: role_name(stack),
            role_arn,
        }),
    };
    let topic_name = stack
        .topics
        .iter()
        .find(|t| t.logical == topic)
        .map_or_else(|| stack.physical_name(topic), |t| stack.topic_name(t));
    let mut after = Attrs::new();
    api::publish_attrs(&mut after, &topic_name, &role_name(stack));
    api::auth_attrs(&mut after, spec.authorizer.as_deref(), &spec.scopes);
    if spec.api_key {
        after.insert("api_key".into(), Value::Bool(true));
    }
    Change::declared(
        Address::Route(spec.key.clone()),
        spec.key.clone(),
        after,
        Desired::Route(desired),
        live.map(|(api, route)| {
            (
                api::live_route_attrs(route, permissions),
                api::live_route(stack, api, route, permissions),
            )
        }),
    )
}
