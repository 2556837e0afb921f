//! How the HTTP API and its routes are diffed.

use std::collections::{BTreeMap, BTreeSet};

use super::gateway::{self, LiveGateway};
use super::stages::{access_log_attr, settings_attrs};
use super::{Action, ApiDesired, Attrs, Change, Desired, Live, RouteDesired, Value};
use crate::live::{LiveApi, LiveRoute};
use crate::marks::{
    ROUTES_STATEMENT_ELSEWHERE, ROUTES_STATEMENT_ID, alias_permissions_record, permissions_record,
    recorded_alias_permissions, route_statement_id,
};
use crate::stack::{Address, ApiSpec, ApiType, AuthorizerSpec, RouteSpec, Stack};

/// Statement IDs by function name.
type Permissions = BTreeMap<String, BTreeSet<String>>;

/// `permissions`: the statement IDs in the policies of the functions live routes and Lambda
/// authorizers invoke.
pub fn plan(
    stack: &Stack,
    spec: &ApiSpec,
    live: Option<&LiveApi>,
    permissions: &Permissions,
) -> Change {
    let reachable = reachable_aliases(stack);
    let recorded = live.map(|l| recorded_aliases(l, &reachable));
    let desired = ApiDesired {
        alias_permissions: alias_permissions_record(&reachable),
        revoke_aliases: recorded
            .iter()
            .flat_map(|r| r.difference(&reachable))
            .map(|(f, alias)| format!("{}:{alias}", stack.physical_name(f)))
            .collect(),
        name: stack.name.clone(),
        stack: stack.name.clone(),
        spec: spec.clone(),
        permissions_record: permissions_record(
            stack
                .routes
                .iter()
                .filter_map(|r| Some((r.key.clone(), stack.function_name(r.invokes()?)))),
        ),
    };
    let mut after = desired_attrs(&desired);
    let live = live.map(|l| {
        let mut before = live_attrs(l, Some(permissions));
        alias_permissions_attr(&mut before, recorded.as_ref().unwrap_or(&reachable));
        (before, live_api(stack, l))
    });
    alias_permissions_attr(&mut after, &reachable);
    let mut change = Change::declared(
        Address::Api,
        desired.name.clone(),
        after,
        Desired::Api(desired),
        live,
    );
    mark_lost_authorizer_permissions(&mut change);
    // HTTP and REST APIs are different kinds of resource: switching is a replacement.
    let update = change.action == Action::Update;
    if let Some(protocol) = change
        .attributes
        .iter_mut()
        .find(|c| update && c.name == "protocol")
    {
        protocol.forces_replacement = true;
        change.action = Action::Replace;
        change.reason = Some(format!(
            "the API type changes to {}: the old API is deleted, a new one is created, and every route is created on it",
            spec.api_type.protocol()
        ));
    }
    change
}

/// Every (logical function name, alias) pair the stack file's routes can reach: a route's
/// alias, or each stage's value of the stage variable it names. Each holds the API's invoke
/// permission on the alias (Lambda checks an alias's own policy when API Gateway invokes it).
pub(super) fn reachable_aliases(stack: &Stack) -> BTreeSet<(String, String)> {
    stack
        .routes
        .iter()
        .filter(|r| r.publish.is_none())
        .flat_map(|r| {
            let aliases = r.reachable_aliases(stack.api.as_ref());
            aliases.into_iter().map(|a| (r.function.clone(), a))
        })
        .collect()
}

/// The pairs the live API's record names (nothing without a record).
fn recorded_aliases(
    live: &LiveApi,
    reachable: &BTreeSet<(String, String)>,
) -> BTreeSet<(String, String)> {
    let record = live.alias_permissions.as_deref().unwrap_or_default();
    recorded_alias_permissions(record, reachable)
}

/// `alias_permissions`: the aliases that hold the API's invoke permission, as
/// `FUNCTION:ALIAS` (logical names); absent when there are none.
fn alias_permissions_attr(a: &mut Attrs, pairs: &BTreeSet<(String, String)>) {
    if !pairs.is_empty() {
        let text = pairs
            .iter()
            .map(|(f, alias)| Value::str(format!("{f}:{alias}")));
        a.insert("alias_permissions".into(), Value::List(text.collect()));
    }
}

/// A REST API serves what was deployed: after any change to it or its routes, a new
/// deployment is made and the stage is pointed at it.
pub fn plan_deployment(
    spec: &ApiSpec,
    live: Option<&LiveApi>,
    changed: &[&Change],
) -> Option<Change> {
    if spec.api_type != ApiType::Rest {
        return None;
    }
    let undeployed = live.is_none_or(|l| {
        l.deployment_id.is_none() || spec.stage_names().any(|s| !l.stages.iter().any(|n| n == s))
    });
    let stages = spec.stage_names().collect::<Vec<_>>().join(", ");
    if changed.is_empty() && !undeployed {
        return None;
    }
    let mut after = Attrs::new();
    after.insert("stage".into(), stage_value(spec));
    let mut change = Change::declared(
        Address::Deployment,
        stages.clone(),
        after,
        Desired::Deployment(spec.clone()),
        None,
    );
    let what: Vec<String> = changed.iter().map(|c| c.address.to_string()).collect();
    change.reason = Some(if what.is_empty() {
        format!("stage {stages} serves no deployment yet")
    } else {
        format!(
            "{} changed: stage {stages} will serve a new deployment",
            what.join(", "),
        )
    });
    Some(change)
}

/// A Lambda authorizer whose function lost its invoke permission while the authorizer stayed
/// as it is lost it outside stackctl, which granted it with the authorizer: drift.
fn mark_lost_authorizer_permissions(change: &mut Change) {
    let changed: BTreeSet<String> = change.attributes.iter().map(|a| a.name.clone()).collect();
    for attr in &mut change.attributes {
        let Some(authorizer) = attr.name.strip_suffix(".invoke_permission") else {
            continue;
        };
        attr.drift = !changed.contains(authorizer) && attr.before == Some(Value::Bool(false));
    }
}

pub fn plan_delete(stack: &Stack, live: &LiveApi, reason: &str) -> Change {
    gateway::plan_delete(stack, routed(stack), live, reason)
}

/// The API as read, and the functions it leaves with its invoke permission when it goes.
fn live_api(stack: &Stack, live: &LiveApi) -> Live {
    gateway::live_api(stack, routed(stack), live)
}

/// The functions (logical names) the stack file's routes invoke.
fn routed(stack: &Stack) -> impl Iterator<Item = &String> {
    stack.routes.iter().filter_map(RouteSpec::invokes)
}

gateway::live_gateway!(LiveApi, Address::Api, Api);

/// `permissions`: the statement IDs in the policies of the functions live routes invoke;
/// `api_kept`: the live API stays (it is not new, nor replaced by one of the other type).
pub fn plan_route(
    stack: &Stack,
    spec: &RouteSpec,
    live: Option<(&LiveApi, &LiveRoute)>,
    permissions: &Permissions,
    api_kept: bool,
) -> Change {
    let function = stack.function_name(&spec.function);
    // On a new or replaced API no function holds its invoke permission yet; one that holds the
    // statement holds it for the API that goes, and the grant replaces it.
    let held = permissions
        .get(&function)
        .is_some_and(|held| held.contains(ROUTES_STATEMENT_ID));
    let aliases = spec.reachable_aliases(stack.api.as_ref());
    // An alias route's function holds the permission on each alias the API's record names.
    let alias_granted = live.map(|(api, _)| {
        let recorded = recorded_aliases(api, &reachable_aliases(stack));
        let pair = |a: &String| (spec.function.clone(), a.clone());
        api_kept && aliases.iter().all(|a| recorded.contains(&pair(a)))
    });
    let desired = RouteDesired {
        key: spec.key.clone(),
        logical_function: spec.function.clone(),
        function: stack.function_name(&spec.function),
        grant: match spec.alias {
            Some(_) => alias_granted != Some(true),
            // A route moving off an alias is granted again: the emulator keeps one policy
            // for a function and its aliases, which the alias's revoke empties.
            None => !(api_kept && held) || live.is_some_and(|(_, r)| r.alias().is_some()),
        },
        replace: (!api_kept && held)
            || permissions
                .get(&function)
                .is_some_and(|held| held.contains(ROUTES_STATEMENT_ELSEWHERE)),
        rest: stack
            .api
            .as_ref()
            .is_some_and(|a| a.api_type == ApiType::Rest),
        authorizer: spec.authorizer.clone(),
        authorizer_kind: authorizer_kind(stack, spec),
        scopes: spec.scopes.clone(),
        alias: spec.alias.clone(),
        aliases,
        api_key: spec.api_key,
        publish: None,
    };
    let mut after = Attrs::new();
    after.insert("function".into(), Value::str(&desired.function));
    if let Some(alias) = &spec.alias {
        after.insert("alias".into(), Value::str(alias));
    }
    after.insert("invoke_permission".into(), Value::Bool(true));
    auth_attrs(&mut after, spec.authorizer.as_deref(), &spec.scopes);
    if spec.api_key {
        after.insert("api_key".into(), Value::Bool(true));
    }
    let mut change = Change::declared(
        Address::Route(spec.key.clone()),
        spec.key.clone(),
        after,
        Desired::Route(desired),
        live.map(|(api, route)| {
            let mut before = live_route_attrs(route, permissions);
            if let Some(granted) = alias_granted.filter(|_| spec.alias.is_some()) {
                before.insert("invoke_permission".into(), Value::Bool(granted));
            }
            (before, live_route(stack, api, route, permissions))
        }),
    );
    let per_route = live.is_some_and(|(_, route)| has_per_route_statement(route, permissions));
    explain_invoke_permission(&mut change, per_route, spec.alias.is_none());
    change
}

/// A route change whose one difference is its invoke permission: a per-route statement that
/// becomes the API's one statement (`per_route`), else, for a route without an alias
/// (`no_alias`), drift: the permission was lost outside stackctl.
fn explain_invoke_permission(change: &mut Change, per_route: bool, no_alias: bool) {
    if let [only] = change.attributes.as_mut_slice()
        && change.action == Action::Update
        && only.name == "invoke_permission"
    {
        if per_route {
            change.notes.push(format!(
                "its function's invoke permission becomes the one statement {ROUTES_STATEMENT_ID} for every route of the API, replacing the route's own"
            ));
        } else if no_alias {
            // A route that differs only by its missing invoke permission lost it outside
            // stackctl, which granted it when it made the route. (An alias the record does
            // not name is newly reachable: a stage variable or a stage changed.)
            only.drift = true;
        }
    }
}

/// How API Gateway calls the route's authorizer: JWT, COGNITO_USER_POOLS or CUSTOM (Lambda).
pub(super) fn authorizer_kind(stack: &Stack, spec: &RouteSpec) -> Option<String> {
    let name = spec.authorizer.as_ref()?;
    let kind = match stack.api.as_ref()?.authorizers.get(name)? {
        AuthorizerSpec::Jwt { .. } => "JWT",
        AuthorizerSpec::Cognito { .. } => "COGNITO_USER_POOLS",
        AuthorizerSpec::Lambda { .. } => "CUSTOM",
    };
    Some(kind.to_string())
}

pub fn plan_route_delete(
    stack: &Stack,
    api: &LiveApi,
    route: &LiveRoute,
    permissions: &Permissions,
) -> Change {
    Change::delete(
        Address::Route(route.key.clone()),
        route.key.clone(),
        "no longer in the stack file",
        live_route_attrs(route, permissions),
        live_route(stack, api, route, permissions),
    )
}

/// The route as read, and the statements to remove from its function's policy once the route
/// no longer invokes it (moved or deleted) or holds the API's statement instead: its per-route
/// statement where one is left, and the API's statement when no route of the stack file
/// invokes that function any more.
pub(super) fn live_route(
    stack: &Stack,
    api: &LiveApi,
    route: &LiveRoute,
    permissions: &Permissions,
) -> Live {
    let function = route.function_name().unwrap_or_default();
    let held = permissions.get(function);
    let still_routed = stack
        .routes
        .iter()
        .filter_map(RouteSpec::invokes)
        .any(|f| stack.function_name(f) == function);
    let mut revoke = Vec::new();
    if has_per_route_statement(route, permissions) {
        revoke.push(route_statement_id(&route.key));
    }
    if !still_routed && held.is_some_and(|h| h.contains(ROUTES_STATEMENT_ID)) {
        revoke.push(ROUTES_STATEMENT_ID.to_string());
    }
    Live::Route {
        api_id: api.id.clone(),
        rest: api.is_rest(),
        route: route.clone(),
        revoke,
    }
}

/// The route's function still holds the per-route statement of earlier versions.
fn has_per_route_statement(route: &LiveRoute, permissions: &Permissions) -> bool {
    let function = route.function_name().unwrap_or_default();
    permissions
        .get(function)
        .is_some_and(|p| p.contains(&route_statement_id(&route.key)))
}

/// `invoke_permission` is true when the route's function holds the API's statement, and no
/// per-route statement of the route is left to remove. A route that publishes has its topic
/// and role instead.
pub(super) fn live_route_attrs(route: &LiveRoute, permissions: &Permissions) -> Attrs {
    let mut a = Attrs::new();
    if publish_live_attrs(&mut a, route) {
        route_settings_attrs(&mut a, route);
        return a;
    }
    let name = route.function_name().unwrap_or_default().to_string();
    let permitted = permissions
        .get(&name)
        .is_some_and(|p| p.contains(ROUTES_STATEMENT_ID))
        && !has_per_route_statement(route, permissions);
    a.insert("function".into(), Value::str(name));
    // An alias's permission is the API's record's (see `plan_route`).
    let permitted = permitted || route.alias().is_some();
    if let Some(alias) = route.alias() {
        a.insert("alias".into(), Value::str(alias));
    }
    a.insert("invoke_permission".into(), Value::Bool(permitted));
    route_settings_attrs(&mut a, route);
    a
}

fn route_settings_attrs(a: &mut Attrs, route: &LiveRoute) {
    auth_attrs(a, route.authorizer.as_deref(), &route.scopes);
    if route.api_key {
        a.insert("api_key".into(), Value::Bool(true));
    }
}

pub(super) fn auth_attrs(a: &mut Attrs, authorizer: Option<&str>, scopes: &[String]) {
    if let Some(name) = authorizer {
        a.insert("authorizer".into(), Value::str(name));
    }
    if !scopes.is_empty() {
        a.insert("scopes".into(), Value::list(scopes));
    }
}

/// `physical` turns a function's name as the spec holds it into its physical name.
fn authorizer_attr(spec: &AuthorizerSpec, physical: &dyn Fn(&str) -> String) -> Value {
    let mut m = std::collections::BTreeMap::new();
    match spec {
        AuthorizerSpec::Lambda { function } => {
            m.insert("type".to_string(), Value::str("lambda"));
            m.insert("function".to_string(), Value::str(physical(function)));
        }
        AuthorizerSpec::Jwt { issuer, audience } => {
            m.insert("type".to_string(), Value::str("jwt"));
            m.insert("issuer".to_string(), pool_value(issuer));
            let audience = audience.iter().map(|a| pool_value(a)).collect();
            m.insert("audience".to_string(), Value::List(audience));
        }
        AuthorizerSpec::Cognito { user_pools } => {
            m.insert("type".to_string(), Value::str("cognito"));
            let user_pools = user_pools.iter().map(|p| pool_value(p)).collect();
            m.insert("user_pools".to_string(), Value::List(user_pools));
        }
    }
    Value::Map(m)
}

/// A value of an authorizer: unknown when it is a user pool's that apply makes.
fn pool_value(text: &str) -> Value {
    if crate::stack::is_unresolved_pool_value(text) {
        Value::Unknown
    } else {
        Value::str(text)
    }
}

fn desired_attrs(d: &ApiDesired) -> Attrs {
    let mut a = Attrs::new();
    a.insert("name".into(), Value::str(&d.name));
    a.insert("protocol".into(), Value::str(d.spec.api_type.protocol()));
    a.insert("stage".into(), stage_value(&d.spec));
    let first = d.spec.first_stage();
    settings_attrs(&mut a, d.spec.cors.as_ref(), first.throttle);
    access_log_attr(&mut a, first.access_log.as_ref());
    super::stages::add_attr(&mut a, &d.spec.stages);
    for (name, spec) in &d.spec.authorizers {
        let physical = |logical: &str| format!("{}-{logical}", d.stack);
        a.insert(
            format!("authorizer.{name}"),
            authorizer_attr(spec, &physical),
        );
        if let AuthorizerSpec::Lambda { .. } = spec {
            a.insert(permission_attr(name), Value::Bool(true));
        }
    }
    a.insert("tags".into(), Value::map(&d.spec.tags));
    a
}

/// The attribute of whether a Lambda authorizer's function lets the API's authorizers invoke it.
fn permission_attr(authorizer: &str) -> String {
    format!("authorizer.{authorizer}.invoke_permission")
}

/// `permissions`: the statement IDs of the functions' policies, where read (not for a delete).
fn live_attrs(live: &LiveApi, permissions: Option<&Permissions>) -> Attrs {
    let mut a = Attrs::new();
    a.insert("name".into(), Value::str(&live.name));
    a.insert("protocol".into(), Value::str(&live.protocol));
    if let Some(stage) = gateway::stages(&live.stages) {
        a.insert("stage".into(), stage);
    }
    settings_attrs(&mut a, live.cors.as_ref(), live.throttle);
    access_log_attr(&mut a, live.access_log.as_ref());
    super::stages::add_attr(&mut a, &live.stage_settings);
    for (name, (_, spec)) in &live.authorizers {
        a.insert(
            format!("authorizer.{name}"),
            authorizer_attr(spec, &str::to_string),
        );
        if let (AuthorizerSpec::Lambda { function }, Some(permissions)) = (spec, permissions) {
            let statement = crate::marks::authorizer_statement_id(name);
            let held = permissions.get(function);
            let held = held.is_some_and(|h| h.contains(&statement));
            a.insert(permission_attr(name), Value::Bool(held));
        }
    }
    a.insert("tags".into(), Value::map(&live.tags));
    a
}

/// The stage's name, or the list of stages' names.
fn stage_value(spec: &ApiSpec) -> Value {
    match spec.stages.as_slice() {
        [one] => Value::str(&one.name),
        many => Value::List(many.iter().map(|s| Value::str(&s.name)).collect()),
    }
}

/// A publishing route's attributes: the topic's name and the role API Gateway assumes.
pub(super) fn publish_attrs(a: &mut Attrs, topic: &str, role: &str) {
    a.insert("publish".into(), Value::str(topic));
    a.insert("role".into(), Value::str(role));
}

/// A live route that publishes, as the plan compares it: the topic's and the role's names
/// (the last parts of their ARNs). Returns whether the route publishes.
fn publish_live_attrs(a: &mut Attrs, route: &LiveRoute) -> bool {
    let Some(topic_arn) = &route.topic_arn else {
        return false;
    };
    let last = |arn: &str, sep: char| arn.rsplit(sep).next().unwrap_or_default().to_string();
    let role = route
        .credentials
        .as_deref()
        .map_or(String::new(), |c| last(c, '/'));
    publish_attrs(a, &last(topic_arn, ':'), &role);
    true
}
