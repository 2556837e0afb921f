//! The plan: desired state (the stack file) against live state (AWS), as a list of changes.
//!
//! Diffing lives here, one file per resource kind; rendering lives in `render` and `json`.
//! Apply is driven by a [`Plan`] alone.

mod api;
pub mod attr;
mod autoscaling;
mod build;
mod desired;
pub mod drift;
mod event_source;
mod function;
mod gateway;
mod in_use;
pub mod json;
/// The plan as a document: markdown for pull requests, text of a saved plan (issue 23).
pub mod markdown;
mod order;
mod publish;
mod queue;
pub mod render;
mod role;
pub mod saved;
mod schedule;
mod stages;
mod table;
pub mod table_steps;
#[cfg(test)]
pub(crate) mod tests;
mod topic;
mod usage_plan;
mod user_pool;
mod value;
mod websocket;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::live::{
    LiveApi, LiveFunction, LiveRole, LiveRoute, LiveTable, LiveWebsocket, LiveWebsocketRoute,
};
use crate::stack::Address;

pub use attr::AttrName;
pub use build::{Mode, build_for};
#[cfg(test)]
pub use build::{build, build_destroy};
pub use desired::{
    ApiDesired, Desired, FunctionDesired, PolicyStatement, PublishDesired, RoleDesired, RoleSource,
    RouteDesired, TableDesired, WebsocketDesired, WebsocketRouteDesired,
};
pub use event_source::{EventSourceAttr, EventSourceDesired};
pub use function::FunctionAttr;
pub use function::{AliasTarget, resolve_aliases};
pub use publish::topic_arn as topic_arn_reference;
pub use queue::{QueueAttr, QueueDesired, reference as queue_reference};
pub use role::RoleAttr;
pub use role::document as policy_document;
pub use schedule::{ScheduleAttr, ScheduleDesired};
pub use table::TableAttr;
pub use table::plan as plan_table;
pub use topic::{SubscriptionAttr, SubscriptionDesired, TopicAttr, TopicDesired};
pub use usage_plan::{ApiKeyDesired, UsagePlanDesired, key_id_output, plan_id_output};
pub use user_pool::{UserPoolAttr, UserPoolDesired};
pub use value::{Attrs, SENSITIVE, Value};
pub use websocket::{WebsocketAttr, WebsocketRouteAttr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    Replace,
    Delete,
}

/// One attribute that differs between live and desired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttrChange {
    pub name: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub forces_replacement: bool,
    /// The live value was changed outside stackctl since it last applied this attribute.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub drift: bool,
}

/// What one resource needs, with everything apply needs to carry it out.
#[derive(Debug, Clone)]
pub struct Change {
    pub address: Address,
    pub physical_name: String,
    pub action: Action,
    /// Why a resource is replaced or deleted.
    pub reason: Option<String>,
    /// What else the user should know: how the change is carried out, AWS limits it may meet.
    pub notes: Vec<String>,
    /// The change deletes stored data (a table delete or replacement).
    pub destroys_data: bool,
    pub before: Option<Attrs>,
    pub after: Option<Attrs>,
    /// Attributes that differ; for a create every attribute, for a delete none.
    pub attributes: Vec<AttrChange>,
    /// Changes that must finish before this one starts.
    pub depends_on: Vec<Address>,
    pub desired: Option<Desired>,
    pub live: Option<Live>,
}

/// The live form of one resource, as read before the plan was made.
#[derive(Debug, Clone)]
pub enum Live {
    Role(LiveRole),
    Table(LiveTable),
    Function(LiveFunction),
    Api {
        api: LiveApi,
        /// Functions (ARNs) to remove the API's invoke permission from once the API is deleted
        /// or replaced: those its routes invoke that no route of the stack file invokes.
        revoke: Vec<String>,
    },
    Route {
        api_id: String,
        rest: bool,
        route: LiveRoute,
        /// Statement IDs to remove from the live route's function once the change is made
        /// (see `api::live_route`).
        revoke: Vec<String>,
    },
    Websocket {
        api: LiveWebsocket,
        /// Functions (ARNs) to remove the WebSocket API's invoke permission from once it is
        /// deleted: those its routes invoke that no WebSocket route of the stack file invokes.
        revoke: Vec<String>,
    },
    WebsocketRoute {
        api_id: String,
        route: LiveWebsocketRoute,
        /// Statement IDs to remove from the live route's function once the change is made.
        revoke: Vec<String>,
    },
    UsagePlan(crate::live::LiveUsagePlan),
    ApiKey {
        key: crate::live::LiveApiKey,
        /// The usage plans the key is in, by name in `[api.usage_plans]`.
        plans: Vec<String>,
    },
    UserPool(crate::live::LiveUserPool),
    Topic(crate::live::LiveTopic),
    Subscription(crate::live::LiveSubscription),
    Queue(crate::live::LiveQueue),
    EventSource(crate::live::LiveEventSource),
    Schedule(crate::live::LiveSchedule),
}

/// Something that stops the plan from being applied as it is.
#[derive(Debug, Clone)]
pub struct Blocker {
    pub address: Address,
    pub message: String,
    pub help: String,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub stack: String,
    pub region: String,
    pub changes: Vec<Change>,
    pub blockers: Vec<Blocker>,
    /// Values of references that are known before apply (`tables.orders.arn` -> ARN).
    pub known: BTreeMap<String, String>,
    /// Values of SSM parameters (`ssm:/name`), read at plan time. Never serialized.
    pub secrets: BTreeMap<String, String>,
    /// The table apply keeps its lock in, when the command looked.
    pub lock: Option<LockStatus>,
    /// Changes made outside stackctl, and owned resources that are gone.
    pub drift: Vec<Drift>,
    /// The account live state was read from: named by an ARN read, else filled in by the
    /// command (see `commands::show_target`).
    pub account: Option<String>,
}

/// One resource changed outside stackctl since it last applied it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    pub address: String,
    /// Attributes whose live values differ from what stackctl applied.
    pub attributes: Vec<String>,
    /// Tagged for the stack, but no longer in AWS.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub missing: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockStatus {
    pub table: String,
    /// `false`: apply creates it first.
    pub exists: bool,
    /// The lock's generation read before live state; see [`crate::lock::Generation`].
    #[serde(skip)]
    pub generation: Option<u64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub no_op: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::NoOp => s.no_op += 1,
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Replace => s.replace += 1,
                Action::Delete => s.delete += 1,
            }
        }
        s
    }

    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp)
    }

    /// Keeps only the changes to `addresses` (a plan made from a scoped read, which knows
    /// nothing of the rest), and what they say of each other. Nothing else is changed: other
    /// resources that exist stay as no-ops, the context apply learns from (the API's ID, its
    /// permissions record), even where a scoped read did not read enough of them to compare.
    pub fn keep_only(&mut self, addresses: &BTreeSet<Address>) {
        self.changes.retain_mut(|c| {
            if addresses.contains(&c.address) || c.action == Action::NoOp {
                return true;
            }
            if c.live.is_none() || c.action == Action::Delete {
                return false;
            }
            c.action = Action::NoOp;
            c.attributes.clear();
            c.after.clone_from(&c.before);
            c.reason = None;
            c.notes.clear();
            c.destroys_data = false;
            true
        });
        for change in &mut self.changes {
            change.depends_on.retain(|d| addresses.contains(d));
        }
        self.drift
            .retain(|d| addresses.iter().any(|a| a.to_string() == d.address));
    }

    /// Every secret value the plan holds: the SSM parameters it read, and the values it shows
    /// as `(sensitive)`, before and after. They are never shown.
    pub fn secret_values(&self) -> Vec<String> {
        let mut out: Vec<String> = self.secrets.values().cloned().collect();
        let attrs = self
            .changes
            .iter()
            .flat_map(|c| c.before.iter().chain(&c.after))
            .flat_map(|a| a.values());
        for value in attrs {
            value.sensitive_strings(false, &mut out);
        }
        out
    }

    /// Changes that delete stored data.
    pub fn data_loss(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.destroys_data)
    }

    /// The addresses of [`Plan::data_loss`], each user pool's followed by what it loses:
    /// `table.orders, user_pool.customers (its user accounts)`.
    pub fn data_loss_addresses(&self) -> String {
        let named = self.data_loss().map(|c| match c.address {
            Address::UserPool(_) => format!("{} (its user accounts)", c.address),
            _ => c.address.to_string(),
        });
        named.collect::<Vec<_>>().join(", ")
    }
}

impl AttrChange {
    /// Whether this is the attribute `name`.
    pub fn is(&self, name: impl AttrName) -> bool {
        self.name == name.as_str()
    }
}

impl Live {
    pub fn role(&self) -> Option<&LiveRole> {
        match self {
            Live::Role(l) => Some(l),
            _ => None,
        }
    }

    pub fn table(&self) -> Option<&LiveTable> {
        match self {
            Live::Table(l) => Some(l),
            _ => None,
        }
    }

    pub fn function(&self) -> Option<&LiveFunction> {
        match self {
            Live::Function(l) => Some(l),
            _ => None,
        }
    }
}

impl Change {
    /// Makes a change whose attributes force a replacement (`forces_replacement`) a
    /// replacement that destroys data, its reason naming those attributes and `loss` (what
    /// the replacement does: "the table is deleted and created again, ...").
    pub(crate) fn replace_where_forced(&mut self, loss: &str) {
        let replacing: Vec<&str> = self
            .attributes
            .iter()
            .filter(|c| c.forces_replacement)
            .map(|c| c.name.as_str())
            .collect();
        if replacing.is_empty() {
            return;
        }
        let what = replacing.join(" and ");
        self.reason = Some(format!("{what} cannot change in place: {loss}"));
        self.action = Action::Replace;
        self.destroys_data = true;
    }

    /// Whether the attribute `name` differs between live and desired.
    pub fn changed(&self, name: impl AttrName) -> bool {
        self.attributes.iter().any(|c| c.is(name))
    }

    /// What an applier of one kind works from: the action, and the desired and live forms of
    /// that kind (`change.parts(Desired::table, Live::table)`); `None` where the change has none.
    pub fn parts<'c, D, L>(
        &'c self,
        desired: impl Fn(&'c Desired) -> Option<&'c D>,
        live: impl Fn(&'c Live) -> Option<&'c L>,
    ) -> (Action, Option<&'c D>, Option<&'c L>) {
        (
            self.action,
            self.desired.as_ref().and_then(desired),
            self.live.as_ref().and_then(live),
        )
    }

    /// A declared resource: created when `live` is `None`, else updated where attributes differ.
    pub(crate) fn declared(
        address: Address,
        physical_name: String,
        after: Attrs,
        desired: Desired,
        live: Option<(Attrs, Live)>,
    ) -> Change {
        let (action, changes, before, live) = match live {
            None => (Action::Create, all_new(&after), None, None),
            Some((before, live)) => {
                let changes = compare(&before, &after);
                let action = if changes.is_empty() {
                    Action::NoOp
                } else {
                    Action::Update
                };
                (action, changes, Some(before), Some(live))
            }
        };
        Change {
            address,
            physical_name,
            action,
            reason: None,
            notes: Vec::new(),
            destroys_data: false,
            before,
            after: Some(after),
            attributes: changes,
            depends_on: Vec::new(),
            desired: Some(desired),
            live,
        }
    }

    /// An owned resource that is no longer declared.
    pub(crate) fn delete(
        address: Address,
        physical_name: String,
        reason: &str,
        before: Attrs,
        live: Live,
    ) -> Change {
        Change {
            address,
            physical_name,
            action: Action::Delete,
            reason: Some(reason.to_string()),
            notes: Vec::new(),
            destroys_data: false,
            before: Some(before),
            after: None,
            attributes: Vec::new(),
            depends_on: Vec::new(),
            desired: None,
            live: Some(live),
        }
    }
}

/// The attributes that differ between two attribute maps.
pub(crate) fn compare(before: &Attrs, after: &Attrs) -> Vec<AttrChange> {
    let mut names: Vec<&String> = after.keys().chain(before.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let b = before.get(name);
            let a = after.get(name);
            (b != a).then(|| AttrChange {
                name: name.clone(),
                before: b.cloned(),
                after: a.cloned(),
                forces_replacement: false,
                drift: false,
            })
        })
        .collect()
}

/// Every attribute as an addition, for a resource to create.
fn all_new(after: &Attrs) -> Vec<AttrChange> {
    after
        .iter()
        .map(|(name, value)| AttrChange {
            name: name.clone(),
            before: None,
            after: Some(value.clone()),
            forces_replacement: false,
            drift: false,
        })
        .collect()
}

/// The logical name of a physical name `STACK-LOGICAL`.
fn logical_of<'a>(stack: &'a crate::stack::Stack, physical: &'a str) -> &'a str {
    let names = &stack.names;
    let fixed = [
        &names.tables,
        &names.functions,
        &names.user_pools,
        &names.topics,
    ];
    let mut fixed = fixed.into_iter().flatten();
    if let Some((logical, _)) = fixed.find(|(_, name)| *name == physical) {
        return logical;
    }
    physical
        .strip_prefix(&stack.name)
        .and_then(|rest| rest.strip_prefix('-'))
        .unwrap_or(physical)
}
