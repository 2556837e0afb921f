//! Builds the plan: every declared resource against its live form, every owned resource that
//! is no longer declared as a delete, and the order in which apply must run them.

use std::collections::BTreeMap;

use super::order::order;
use super::{
    Action, Blocker, Change, Plan, RoleSource, api, drift, event_source, function, in_use,
    logical_of, publish, queue, role, schedule, table, topic, usage_plan, user_pool, websocket,
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
        queues: Vec::new(),
        ..stack.clone()
    };
    let mut plan = build(&nothing, live, &BTreeMap::new(), region);
    for change in &mut plan.changes {
        change.reason = change.destroys_data.then(|| match change.address {
            Address::UserPool(_) => "the pool and every user in it are deleted".to_string(),
            Address::Queue(_) => "the queue and its messages are deleted".to_string(),
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
    queue::plan_all(stack, live, &mut changes);
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
    let policy_sizes =
        role::size_blockers(stack, &changes, &resolve, region, live.account.as_deref());
    event_source::plan_all(stack, live, &known, &mut changes);
    schedule::plan_all(stack, live, &mut changes);
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
    blockers.extend(function::pinned_version_blockers(stack, live, &changes));
    blockers.extend(super::stages::logging_role_blockers(stack, live));
    blockers.extend(policy_sizes);

    order(&mut changes, stack, &known);
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
        let name = stack.table_name(&spec.logical);
        changes.push(table::plan(stack, spec, live.tables.get(&name)));
    }
    for (name, table) in &live.tables {
        if !stack
            .tables
            .iter()
            .any(|t| stack.table_name(&t.logical) == *name)
        {
            changes.push(table::plan_delete(logical_of(stack, name), table));
        }
    }
    changes
}

/// Every declared user pool, and every owned one no longer declared.
fn plan_user_pools(stack: &Stack, live: &LiveState, changes: &mut Vec<Change>) {
    for spec in &stack.user_pools {
        let name = stack.user_pool_name(&spec.logical);
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
        let name = stack.function_name(&spec.logical);
        let sha = code_sha256.get(&spec.logical).map_or("", String::as_str);
        let inputs = function::Inputs {
            code_sha256: sha,
            role,
            resolve,
            plain_parameters: &live.plain_parameters,
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
                "user pool" => Address::UserPool(logical),
                "queue" => Address::Queue(logical.trim_end_matches(".fifo").to_string()),
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
        let name = stack.table_name(&spec.logical);
        put(
            RefTarget::Table(spec.logical.clone()),
            RefAttr::Name,
            name.clone(),
        );
        let replaced = table_changes
            .iter()
            .any(|c| c.physical_name == name && c.action == Action::Replace);
        // A new table's ARN is made of its name, the region and the account, when the
        // account is known (anything of the stack's read names it).
        let arn = match (live.tables.get(&name), &live.account) {
            (Some(t), _) => Some(t.arn.clone()),
            (None, Some(account)) => Some(crate::arn::table(region, account, &name)),
            (None, None) => None,
        };
        if let (Some(arn), false) = (arn, replaced) {
            put(RefTarget::Table(spec.logical.clone()), RefAttr::Arn, arn);
        }
    }
    for spec in &stack.functions {
        let name = stack.function_name(&spec.logical);
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
    topic::known(stack, live, table_changes, region, &mut known);
    queue::known(stack, live, table_changes, &mut known);
    event_source::known(stack, live, table_changes, &mut known);
    known
}

/// Tables and user pools with deletion protection on are neither deleted nor replaced, even
/// with `--allow-data-loss`: the stack file turns protection off first (one rule for both).
fn deletion_protection_blockers(changes: &[Change]) -> Vec<Blocker> {
    changes
        .iter()
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
        .filter_map(|c| {
            let (kind, name) = match &c.live {
                Some(super::Live::Table(t)) if t.deletion_protection => ("table", &t.name),
                Some(super::Live::UserPool(p)) if p.deletion_protection => ("user pool", &p.name),
                _ => return None,
            };
            Some(Blocker {
                address: c.address.clone(),
                message: format!(
                    "{kind} {name} has deletion protection on, so it cannot be {}",
                    if c.action == Action::Delete { "deleted" } else { "replaced" }
                ),
                help: format!("set deletion_protection = false for this {kind} in the stack file and apply that first (stackctl never turns protection off by itself)"),
            })
        })
        .collect()
}
