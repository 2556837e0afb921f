//! Builds the plan: every declared resource against its live form, every owned resource that
//! is no longer declared as a delete, and the order in which apply must run them.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    Action, Blocker, Change, Plan, RoleSource, api, drift, function, in_use, publish, role, table,
    topic, usage_plan, user_pool, websocket,
};
use crate::live::LiveState;
use crate::marks::PUBLISH_ROLE;
use crate::stack::{Address, RefAttr, RefTarget, Reference, Stack};

/// What a plan is made for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// The stack file as it is: create, update and delete until live matches it.
    #[default]
    Apply,
    /// `destroy`: every resource the stack owns is deleted, whatever the file declares.
    Destroy,
}

/// The plan for `mode`: [`build`], or [`build_destroy`].
pub fn build_for(
    mode: Mode,
    stack: &Stack,
    live: &LiveState,
    code_sha256: &BTreeMap<String, String>,
    region: &str,
) -> Plan {
    match mode {
        Mode::Apply => build(stack, live, code_sha256, region),
        Mode::Destroy => build_destroy(stack, live, region),
    }
}

/// Every resource of `stack` that `live` holds, deleted: the plan of a stack that declares
/// nothing. A delete says why only where data is lost (the file is not the reason here).
pub fn build_destroy(stack: &Stack, live: &LiveState, region: &str) -> Plan {
    let nothing = Stack {
        tables: Vec::new(),
        functions: Vec::new(),
        api: None,
        routes: Vec::new(),
        websocket: None,
        user_pools: Vec::new(),
        topics: Vec::new(),
        ..stack.clone()
    };
    let mut plan = build(&nothing, live, &BTreeMap::new(), region);
    for change in &mut plan.changes {
        change.reason = change.destroys_data.then(|| match change.address {
            Address::UserPool(_) => "the pool and every user in it are deleted".to_string(),
            _ => "the table and its items are deleted".to_string(),
        });
    }
    plan
}

/// `code_sha256` maps each function's logical name to its package hash.
pub fn build(
    stack: &Stack,
    live: &LiveState,
    code_sha256: &BTreeMap<String, String>,
    region: &str,
) -> Plan {
    let mut changes = plan_tables(stack, live);
    topic::plan_all(stack, live, &mut changes);
    let mut known = known_values(stack, live, &changes, region);
    user_pool::known(stack, live, region, &mut known);
    let secrets: BTreeMap<String, String> = live
        .secrets
        .iter()
        .map(|(name, value)| (format!("ssm:{name}"), value.clone()))
        .collect();
    let resolve = |r: &Reference| {
        let key = r.to_string();
        known.get(&key).or_else(|| secrets.get(&key)).cloned()
    };
    plan_functions(stack, live, code_sha256, region, &resolve, &mut changes);
    plan_user_pools(stack, live, &mut changes);
    let with_pools = user_pool::resolved_api(stack, &resolve);
    plan_api(with_pools.as_ref().unwrap_or(stack), live, &mut changes);
    websocket::plan_all(stack, live, &mut changes);
    usage_plan::plan_all(stack, live, &mut changes, &mut known);

    let mut blockers = conflict_blockers(stack, live);
    changes.retain(|c| {
        !live
            .conflicts
            .iter()
            .any(|k| k.name == c.physical_name && c.action == Action::Create)
    });
    blockers.extend(deletion_protection_blockers(&changes));
    blockers.extend(in_use::blockers(&changes));

    order(&mut changes, stack);
    let drift = drift::report(stack, &changes, &live.missing);
    Plan {
        stack: stack.name.clone(),
        region: region.to_string(),
        changes,
        blockers,
        known,
        secrets,
        lock: None,
        drift,
        account: live.account.clone(),
    }
}

/// Every declared table, and every owned one no longer declared.
fn plan_tables(stack: &Stack, live: &LiveState) -> Vec<Change> {
    let mut changes = Vec::new();
    for spec in &stack.tables {
        let name = stack.physical_name(&spec.logical);
        changes.push(table::plan(stack, spec, live.tables.get(&name)));
    }
    for (name, table) in &live.tables {
        if !stack
            .tables
            .iter()
            .any(|t| stack.physical_name(&t.logical) == *name)
        {
            changes.push(table::plan_delete(logical_of(stack, name), table));
        }
    }
    changes
}

/// Every declared user pool, and every owned one no longer declared.
fn plan_user_pools(stack: &Stack, live: &LiveState, changes: &mut Vec<Change>) {
    for spec in &stack.user_pools {
        let name = stack.physical_name(&spec.logical);
        changes.push(user_pool::plan(stack, spec, live.user_pools.get(&name)));
    }
    for (name, pool) in &live.user_pools {
        if stack.user_pool(logical_of(stack, name)).is_none() {
            changes.push(user_pool::plan_delete(logical_of(stack, name), pool));
        }
    }
}

/// Every declared function with its managed role, and the owned functions and roles no
/// longer needed.
fn plan_functions(
    stack: &Stack,
    live: &LiveState,
    code_sha256: &BTreeMap<String, String>,
    region: &str,
    resolve: &dyn Fn(&Reference) -> Option<String>,
    changes: &mut Vec<Change>,
) {
    for spec in &stack.functions {
        let role = match &spec.role {
            Some(arn) => RoleSource::Arn(arn.clone()),
            None => {
                let name = role::role_name(stack, &spec.logical);
                let live_role = live.roles.get(&name);
                changes.push(role::plan(stack, spec, live_role, resolve, region));
                RoleSource::Managed {
                    name,
                    arn: live_role.map(|r| r.arn.clone()),
                }
            }
        };
        let name = stack.physical_name(&spec.logical);
        let sha = code_sha256.get(&spec.logical).map_or("", String::as_str);
        let inputs = function::Inputs {
            code_sha256: sha,
            role,
            resolve,
        };
        changes.push(function::plan(
            stack,
            spec,
            live.functions.get(&name),
            inputs,
        ));
    }
    for (name, f) in &live.functions {
        if stack.function(logical_of(stack, name)).is_none() {
            changes.push(function::plan_delete(logical_of(stack, name), f));
        }
    }
    let publish_role =
        publish::plan_role(stack, live.roles.get(&publish::role_name(stack)), resolve);
    let publishes = publish_role.is_some();
    changes.extend(publish_role);
    for (name, r) in &live.roles {
        let logical = logical_of(stack, name);
        let reason = match stack.function(logical) {
            None if logical == PUBLISH_ROLE && publishes => continue,
            None if logical == PUBLISH_ROLE => "no route publishes to a topic any more",
            None => "its function is no longer in the stack file",
            Some(f) if f.role.is_some() => "its function has a role of its own (`role`)",
            Some(_) => continue,
        };
        changes.push(role::plan_delete(logical, r, reason));
    }
}

/// Declared names taken by resources the stack does not own.
fn conflict_blockers(stack: &Stack, live: &LiveState) -> Vec<Blocker> {
    live.conflicts
        .iter()
        .map(|conflict| {
            let logical = logical_of(stack, &conflict.name).to_string();
            let address = match conflict.kind.as_str() {
                "table" => Address::Table(logical),
                "role" => Address::Role(logical),
                "topic" => Address::Topic(logical.trim_end_matches(".fifo").to_string()),
                _ => Address::Function(logical),
            };
            let owner = crate::marks::managed_by(conflict.owner.as_deref());
            Blocker {
                address,
                message: match &conflict.note {
                    Some(note) if conflict.owner.as_deref() == Some(stack.name.as_str()) => {
                        format!("{} {} exists but is not the stack's: {note}", conflict.kind, conflict.name)
                    }
                    _ => format!("{} {} exists but is managed by {owner}", conflict.kind, conflict.name),
                },
                help: "stackctl never takes over a resource it does not own: rename the resource in the stack file, or remove the existing one".to_string(),
            }
        })
        .collect()
}

fn plan_api(stack: &Stack, live: &LiveState, changes: &mut Vec<Change>) {
    let permissions = &live.invoke_permissions;
    let (primary, extras) = match live.apis.split_first() {
        Some((first, rest)) => (Some(first), rest),
        None => (None, &[][..]),
    };
    let Some(spec) = &stack.api else {
        for api in &live.apis {
            changes.push(api::plan_delete(stack, api, "no [api] in the stack file"));
        }
        return;
    };
    let api_change = api::plan(stack, spec, primary, permissions);
    // Routes on an API that is replaced are created anew on the new one.
    let primary = primary.filter(|_| api_change.action != Action::Replace);
    changes.push(api_change);
    for extra in extras {
        changes.push(api::plan_delete(
            stack,
            extra,
            "a second API tagged for this stack (left by an interrupted apply)",
        ));
    }
    for route in &stack.routes {
        let live_route = primary.and_then(|api| {
            api.routes
                .iter()
                .find(|r| r.key == route.key)
                .map(|r| (api, r))
        });
        let kept = primary.is_some();
        changes.push(match &route.publish {
            None => api::plan_route(stack, route, live_route, permissions, kept),
            Some(topic) => {
                let role = live.roles.get(&publish::role_name(stack));
                let role_arn = role.map(|r| r.arn.clone());
                publish::plan_route(stack, route, topic, live_route, permissions, role_arn)
            }
        });
    }
    if let Some(api) = primary {
        for route in &api.routes {
            if !stack.routes.iter().any(|r| r.key == route.key) {
                changes.push(api::plan_route_delete(stack, api, route, permissions));
            }
        }
    }
    let changed: Vec<&Change> = changes
        .iter()
        .filter(|c| {
            matches!(c.address, Address::Api | Address::Route(_)) && c.action != Action::NoOp
        })
        // A function's invoke permission is Lambda's, not part of what a stage serves.
        .filter(|c| {
            c.action != Action::Update
                || !c
                    .attributes
                    .iter()
                    .all(|a| a.name.ends_with("invoke_permission"))
        })
        .collect();
    if let Some(deployment) = api::plan_deployment(spec, primary, &changed) {
        changes.push(deployment);
    }
}

/// Values references resolve to before apply: names always, ARNs and URLs of resources that
/// exist and are kept.
fn known_values(
    stack: &Stack,
    live: &LiveState,
    table_changes: &[Change],
    region: &str,
) -> BTreeMap<String, String> {
    let mut known = BTreeMap::new();
    let mut put = |target: RefTarget, attr: RefAttr, value: String| {
        known.insert(Reference { target, attr }.to_string(), value);
    };
    for spec in &stack.tables {
        let name = stack.physical_name(&spec.logical);
        put(
            RefTarget::Table(spec.logical.clone()),
            RefAttr::Name,
            name.clone(),
        );
        let replaced = table_changes
            .iter()
            .any(|c| c.physical_name == name && c.action == Action::Replace);
        if let (Some(t), false) = (live.tables.get(&name), replaced) {
            put(
                RefTarget::Table(spec.logical.clone()),
                RefAttr::Arn,
                t.arn.clone(),
            );
        }
    }
    for spec in &stack.functions {
        let name = stack.physical_name(&spec.logical);
        put(
            RefTarget::Function(spec.logical.clone()),
            RefAttr::Name,
            name.clone(),
        );
        let arn = live.functions.get(&name).map(|f| &f.arn);
        if let Some(arn) = arn.or_else(|| live.referred_arns.get(&name)) {
            put(
                RefTarget::Function(spec.logical.clone()),
                RefAttr::Arn,
                arn.clone(),
            );
        }
    }
    // An API of the other type is replaced: its ID and URL are not the ones apply will make.
    let kept_api = live.apis.first().filter(|api| {
        stack
            .api
            .as_ref()
            .is_some_and(|spec| api.protocol == spec.api_type.protocol())
    });
    if let (Some(spec), Some(api)) = (&stack.api, kept_api) {
        put(RefTarget::Api, RefAttr::Id, api.id.clone());
        put(
            RefTarget::Api,
            RefAttr::Url,
            api.url(&spec.first_stage().name),
        );
        for stage in spec.stage_names() {
            known.insert(crate::marks::stage_url_output(stage), api.url(stage));
        }
        for (name, (id, _)) in &api.authorizers {
            known.insert(crate::live::authorizer_output(name), id.clone());
        }
    }
    websocket::known(stack, live, region, &mut known);
    topic::known(stack, live, table_changes, &mut known);
    known
}

fn deletion_protection_blockers(changes: &[Change]) -> Vec<Blocker> {
    changes
        .iter()
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
        .filter_map(|c| match &c.live {
            Some(super::Live::Table(t)) if t.deletion_protection => Some(Blocker {
                address: c.address.clone(),
                message: format!(
                    "table {} has deletion protection on, so it cannot be {}",
                    t.name,
                    if c.action == Action::Delete { "deleted" } else { "replaced" }
                ),
                help: "set deletion_protection = false for this table in the stack file and apply that first (stackctl never turns protection off by itself)".to_string(),
            }),
            _ => None,
        })
        .collect()
}

/// Sorts changes for display and fills in what each must wait for.
fn order(changes: &mut [Change], stack: &Stack) {
    changes.sort_by(|a, b| {
        (a.action == Action::Delete, &a.address).cmp(&(b.action == Action::Delete, &b.address))
    });
    let active = Active(
        changes
            .iter()
            .filter(|c| c.action != Action::NoOp)
            .map(|c| (c.address.clone(), c.action))
            .collect(),
    );
    for change in changes.iter_mut() {
        let mut deps = depends_on(change, stack, &active);
        deps.retain(|d| *d != change.address);
        deps.sort();
        deps.dedup();
        change.depends_on = deps;
    }
}

/// The changes that do something, by address.
struct Active(BTreeSet<(Address, Action)>);

impl Active {
    /// Whether `address` is created, updated or replaced.
    fn pending(&self, address: &Address) -> bool {
        self.0
            .iter()
            .any(|(a, action)| a == address && *action != Action::Delete)
    }

    /// The addresses of `kind` that change; `with_deletes`: count deletes of that kind too.
    fn of_kind(&self, kind: &str, with_deletes: bool) -> Vec<Address> {
        self.0
            .iter()
            .filter(|(a, action)| a.kind() == kind && (with_deletes || *action != Action::Delete))
            .map(|(a, _)| a.clone())
            .collect()
    }
}

/// What `change` must wait for.
fn depends_on(change: &Change, stack: &Stack, active: &Active) -> Vec<Address> {
    match change.action {
        Action::NoOp => Vec::new(),
        Action::Delete => delete_waits_for(&change.address, active),
        _ => put_needs(change, stack, active),
    }
}

/// What a delete of `address` waits for: whatever may still point at the resource.
fn delete_waits_for(address: &Address, active: &Active) -> Vec<Address> {
    let of_kind = |kind: &str, with_deletes: bool| active.of_kind(kind, with_deletes);
    match address {
        Address::Table(_) => [of_kind("function", false), of_kind("role", false)].concat(),
        // Functions may name the pool in their environment, and the API's authorizers.
        Address::UserPool(_) => [of_kind("function", false), of_kind("api", false)].concat(),
        Address::Topic(_) => [
            of_kind("subscription", true),
            of_kind("route", true),
            of_kind("function", false),
            of_kind("role", false),
        ]
        .concat(),
        Address::Function(_) => [
            of_kind("subscription", true),
            of_kind("route", true),
            of_kind("websocket_route", true),
            of_kind("function", false),
            of_kind("api", false),
            of_kind("websocket", false),
        ]
        .concat(),
        // Routes that publish move off the publishing role first.
        Address::Role(r) if r == PUBLISH_ROLE => of_kind("route", true),
        // Every function that changes may be moving off the role.
        Address::Role(_) => of_kind("function", true),
        // API Gateway refuses to delete an API whose stages a usage plan meters.
        Address::Api => [of_kind("route", true), of_kind("usage_plan", true)].concat(),
        // A plan loses its keys first.
        Address::UsagePlan(_) => of_kind("api_key", true),
        Address::ApiKey(_) => Vec::new(),
        Address::Websocket => of_kind("websocket_route", true),
        Address::Route(_)
        | Address::Deployment
        | Address::WebsocketRoute(_)
        | Address::Subscription(_) => Vec::new(),
    }
}

/// What a create, update or replace of `change` needs done first.
fn put_needs(change: &Change, stack: &Stack, active: &Active) -> Vec<Address> {
    let pending = |address: &Address| active.pending(address);
    let needs: Vec<Address> = match &change.address {
        Address::Function(f) => {
            let mut deps = vec![Address::Role(f.clone())];
            if let Some(spec) = stack.function(f) {
                deps.extend(spec.references().filter_map(|r| r.target.address()));
            }
            deps
        }
        // The publishing role's policy names the topics routes publish to.
        Address::Role(r) if r == PUBLISH_ROLE => publish::published_topics(stack)
            .into_iter()
            .map(|t| Address::Topic(t.clone()))
            .collect(),
        // A managed role's policy names the tables its function uses, and the WebSocket API
        // whose connections it manages.
        Address::Role(f) => stack
            .function(f)
            .into_iter()
            .flat_map(|spec| {
                let tables = spec.tables.keys().map(|t| Address::Table(t.clone()));
                let topics = spec.topics.keys().map(|t| Address::Topic(t.clone()));
                let api = spec.manage_connections.then_some(Address::Websocket);
                tables.chain(topics).chain(api)
            })
            .collect(),
        Address::Route(_) | Address::WebsocketRoute(_) => route_needs(change),
        Address::Table(_) | Address::UserPool(_) | Address::Topic(_) => Vec::new(),
        Address::Subscription(_) => topic::subscription_needs(change),
        Address::Api | Address::Websocket => authorizer_functions(stack, &change.address),
        Address::Deployment => {
            return [vec![Address::Api], active.of_kind("route", true)].concat();
        }
        // A plan meters stages that are deployed; a key joins plans that exist.
        Address::UsagePlan(_) => vec![Address::Api, Address::Deployment],
        Address::ApiKey(name) => stack
            .api
            .iter()
            .filter_map(|api| api.keys.get(name))
            .flat_map(|key| key.plans.iter().map(|p| Address::UsagePlan(p.clone())))
            .collect(),
    };
    needs.into_iter().filter(pending).collect()
}

/// A route needs its API and the function it invokes.
fn route_needs(change: &Change) -> Vec<Address> {
    match &change.desired {
        Some(super::Desired::Route(r)) => match &r.publish {
            None => vec![Address::Api, Address::Function(r.logical_function.clone())],
            Some(p) => vec![
                Address::Api,
                Address::Topic(p.topic.clone()),
                Address::Role(PUBLISH_ROLE.to_string()),
            ],
        },
        Some(super::Desired::WebsocketRoute(r)) => vec![
            Address::Websocket,
            Address::Function(r.logical_function.clone()),
        ],
        _ if matches!(change.address, Address::WebsocketRoute(_)) => vec![Address::Websocket],
        _ => vec![Address::Api],
    }
}

/// The functions of the Lambda authorizers of the API (`Address::Api`) or of the WebSocket
/// API's `$connect` route (`Address::Websocket`): an authorizer needs its function.
fn authorizer_functions(stack: &Stack, api: &Address) -> Vec<Address> {
    let functions: Vec<&String> = match api {
        Address::Websocket => stack
            .websocket
            .iter()
            .filter_map(|w| w.authorizer.as_ref())
            .map(|a| &a.function)
            .collect(),
        _ => stack
            .api
            .iter()
            .flat_map(|api| api.authorizers.values())
            .filter_map(|a| match a {
                crate::stack::AuthorizerSpec::Lambda { function } => Some(function),
                _ => None,
            })
            .collect(),
    };
    let pools = stack
        .api
        .iter()
        .filter(|_| *api == Address::Api)
        .flat_map(|api| api.authorizers.values())
        .flat_map(crate::stack::authorizer_references)
        .filter_map(|r| r.target.address());
    functions
        .into_iter()
        .map(|f| Address::Function(f.clone()))
        .chain(pools)
        .collect()
}

/// The logical name of a physical name `STACK-LOGICAL`.
pub(super) fn logical_of<'a>(stack: &Stack, physical: &'a str) -> &'a str {
    physical
        .strip_prefix(&stack.name)
        .and_then(|rest| rest.strip_prefix('-'))
        .unwrap_or(physical)
}
