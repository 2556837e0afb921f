//! The order apply runs a plan's changes in: what each change waits for (a put for what it
//! names and refers to, a delete for what still uses the resource), and the display order.

use std::collections::{BTreeMap, BTreeSet};

use super::{Action, Change, event_source, publish, queue, topic};
use crate::marks::PUBLISH_ROLE;
use crate::stack::{Address, RefAttr, RefTarget, Reference, Stack};

/// Sorts changes for display and fills in what each must wait for. `known`: the values
/// references resolve to before apply (by reference, `tables.orders.arn`); a put waits for
/// what it refers to only where the value is not known yet, so a function that names a new
/// table, or a role whose policy names a table of a known account, starts beside the table
/// instead of after it.
pub(super) fn order(changes: &mut [Change], stack: &Stack, known: &BTreeMap<String, String>) {
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
    let unmetering: Vec<Address> = changes
        .iter()
        .filter(|c| unmeters_only(c))
        .map(|c| c.address.clone())
        .collect();
    for change in changes.iter_mut() {
        let mut deps = depends_on(change, stack, &active, known);
        // A usage plan that only stops metering stages does so before the deployment deletes
        // them (the emulator answers UpdateUsagePlan with a 500 for a deleted stage).
        if unmetering.contains(&change.address) {
            deps.retain(|d| *d != Address::Deployment);
        }
        if change.address == Address::Deployment && change.action != Action::NoOp {
            deps.extend(unmetering.iter().cloned());
        }
        deps.retain(|d| *d != change.address);
        deps.sort();
        deps.dedup();
        change.depends_on = deps;
    }
}

/// A usage plan's update that removes stages from the plan and adds none: it needs no new
/// deployment, and goes before the one that may delete those stages.
fn unmeters_only(change: &Change) -> bool {
    let stages = |attrs: Option<&super::Attrs>| -> BTreeSet<String> {
        match attrs.and_then(|a| a.get("stages")) {
            Some(super::Value::List(list)) => list.iter().map(|v| format!("{v:?}")).collect(),
            _ => BTreeSet::new(),
        }
    };
    if !matches!(change.address, Address::UsagePlan(_)) || change.action != Action::Update {
        return false;
    }
    let (before, after) = (
        stages(change.before.as_ref()),
        stages(change.after.as_ref()),
    );
    after.is_subset(&before) && after != before
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
fn depends_on(
    change: &Change,
    stack: &Stack,
    active: &Active,
    known: &BTreeMap<String, String>,
) -> Vec<Address> {
    match change.action {
        Action::NoOp => Vec::new(),
        Action::Delete => delete_waits_for(&change.address, active),
        _ => put_needs(change, stack, active, known),
    }
}

/// What a delete of `address` waits for: whatever may still point at the resource.
fn delete_waits_for(address: &Address, active: &Active) -> Vec<Address> {
    let of_kind = |kind: &str, with_deletes: bool| active.of_kind(kind, with_deletes);
    match address {
        Address::Table(_) => [
            of_kind("function", false),
            of_kind("role", false),
            of_kind("event_source", true),
        ]
        .concat(),
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
            of_kind("event_source", true),
            of_kind("schedule", true),
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
        // Whatever may name the queue: mappings, functions, roles, queues it is the
        // dead-letter queue of.
        Address::Queue(_) => [
            of_kind("event_source", true),
            of_kind("function", false),
            of_kind("role", false),
            of_kind("queue", false),
        ]
        .concat(),
        Address::Route(_)
        | Address::Deployment
        | Address::WebsocketRoute(_)
        | Address::Subscription(_)
        | Address::EventSource(_)
        | Address::Schedule(_) => Vec::new(),
    }
}

/// What a create, update or replace of `change` needs done first.
fn put_needs(
    change: &Change,
    stack: &Stack,
    active: &Active,
    known: &BTreeMap<String, String>,
) -> Vec<Address> {
    let pending = |address: &Address| active.pending(address);
    let unknown = |r: &Reference| !known.contains_key(&r.to_string());
    let needs: Vec<Address> = match &change.address {
        Address::Function(f) => {
            let mut deps = vec![Address::Role(f.clone())];
            if let Some(spec) = stack.function(f) {
                let refers = spec.references().filter(|r| unknown(r));
                deps.extend(refers.filter_map(|r| r.target.address()));
            }
            deps
        }
        // The publishing role's policy names the topics routes publish to.
        Address::Role(r) if r == PUBLISH_ROLE => publish::published_topics(stack)
            .into_iter()
            .map(|t| Address::Topic(t.clone()))
            .collect(),
        Address::Role(f) => stack
            .function(f)
            .map(|spec| role_needs(spec, &unknown))
            .unwrap_or_default(),
        Address::Route(_) | Address::WebsocketRoute(_) => route_needs(change),
        Address::Table(_) | Address::UserPool(_) | Address::Topic(_) => Vec::new(),
        Address::Subscription(_) => topic::subscription_needs(change),
        Address::Queue(logical) => queue::needs(stack, logical),
        Address::EventSource(_) => event_source::needs(stack, change),
        // A schedule's target is its function.
        Address::Schedule(key) => key
            .rsplit_once(' ')
            .map(|(f, _)| Address::Function(f.to_string()))
            .into_iter()
            .collect(),
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

/// A managed role's policy names the tables its function uses, the WebSocket API whose
/// connections it manages, the queues and tables its events read (and failed batches go to),
/// and what its extra permissions refer to: those whose ARNs are `unknown` before apply.
fn role_needs(
    spec: &crate::stack::FunctionSpec,
    unknown: &dyn Fn(&Reference) -> bool,
) -> Vec<Address> {
    let arn_unknown = |target: RefTarget| {
        unknown(&Reference {
            target,
            attr: RefAttr::Arn,
        })
    };
    let tables = (spec.tables.keys())
        .filter(|t| arn_unknown(RefTarget::Table(t.to_string())))
        .map(|t| Address::Table(t.clone()));
    let topics = (spec.topics.keys())
        .filter(|t| arn_unknown(RefTarget::Topic(t.to_string())))
        .map(|t| Address::Topic(t.clone()));
    let api = spec.manage_connections.then_some(Address::Websocket);
    let events = spec.events.iter().flat_map(|e| {
        let source = match &e.source {
            crate::stack::EventSource::Queue(q) => Address::Queue(q.clone()),
            crate::stack::EventSource::Stream(t) => Address::Table(t.clone()),
        };
        let failure = e.on_failure.iter().map(|q| Address::Queue(q.clone()));
        std::iter::once(source).chain(failure)
    });
    let permitted = (spec.permissions.iter())
        .flat_map(|p| p.resources.iter().flat_map(|r| r.references()))
        .filter(|r| unknown(r))
        .filter_map(|r| r.target.address());
    let needs = tables.chain(topics).chain(api).chain(events);
    needs.chain(permitted).collect()
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
