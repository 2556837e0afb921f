//! How a table is diffed: which settings change in place, which force a replacement, and what
//! the user should know about how DynamoDB will carry the change out.

use std::collections::BTreeMap;

use super::attr::attr_names;
use super::autoscaling;
use super::table_steps::{self, Step};
use super::{Action, AttrName, Attrs, Change, Desired, Live, TableDesired, Value, drift};
use crate::live::LiveTable;
use crate::stack::{
    Address, Billing, GlobalIndexSpec, KeySpec, LocalIndexSpec, Stack, StreamView, TableClass,
    TableSpec,
};

attr_names! {
    /// The attributes of a table (besides one per index, `global_index.NAME` and
    /// `local_index.NAME`).
    pub enum TableAttr {
        Name = "name",
        PartitionKey = "partition_key",
        SortKey = "sort_key",
        Billing = "billing",
        ReadCapacity = "read_capacity",
        WriteCapacity = "write_capacity",
        TtlAttribute = "ttl_attribute",
        Stream = "stream",
        PointInTimeRecovery = "point_in_time_recovery",
        DeletionProtection = "deletion_protection",
        TableClass = "table_class",
        Tags = "tags",
    }
}

const GLOBAL_INDEX: &str = "global_index.";
const LOCAL_INDEX: &str = "local_index.";
/// AWS limits billing-mode switches per table within a day.
const BILLING_SWITCH_WINDOW_SECS: i64 = 24 * 60 * 60;

/// DynamoDB cannot change keys or local indexes in place: the table must be created again.
fn forces_replacement(attr: &str) -> bool {
    attr == TableAttr::PartitionKey.as_str()
        || attr == TableAttr::SortKey.as_str()
        || attr.starts_with(LOCAL_INDEX)
}

pub fn plan(stack: &Stack, spec: &TableSpec, live: Option<&LiveTable>) -> Change {
    let spec = &autoscaling::settle(spec, live);
    let name = stack.table_name(&spec.logical);
    let after = desired_attrs(&name, spec);
    let desired = Desired::Table(TableDesired {
        name: name.clone(),
        stack: stack.name.clone(),
        spec: spec.clone(),
        applied: drift::fingerprint(&after),
        steps: Vec::new(),
    });
    let address = Address::Table(spec.logical.clone());
    let before = live.map(|l| (live_attrs(l), Live::Table(l.clone())));
    let mut change = Change::declared(address, name, after, desired, before);
    drift::mark(&mut change, live.and_then(|l| l.applied.as_deref()));
    for attr in &mut change.attributes {
        attr.forces_replacement = change.action == Action::Update && forces_replacement(&attr.name);
    }
    change.replace_where_forced("the table is deleted and created again, and its items are lost");
    if change.action == Action::Update
        && let Some(live) = live
        && let Some(Desired::Table(desired)) = &mut change.desired
    {
        desired.steps = table_steps::plan(live, spec);
        change.notes = update_notes(&desired.steps, live);
    }
    change
}

pub fn plan_delete(logical: &str, live: &LiveTable) -> Change {
    let mut change = Change::delete(
        Address::Table(logical.to_string()),
        live.name.clone(),
        "no longer in the stack file; the table and its items are deleted",
        live_attrs(live),
        Live::Table(live.clone()),
    );
    change.destroys_data = true;
    change
}

/// How an in-place update will run (the `steps` apply sends), and the AWS limits it may meet.
fn update_notes(steps: &[Step], live: &LiveTable) -> Vec<String> {
    let mut notes = Vec::new();
    let created = |name: &String| {
        steps
            .iter()
            .any(|s| matches!(s, Step::CreateIndex { index, .. } if index.name == *name))
    };
    for step in steps {
        if let Step::DeleteIndex(index) = step
            && created(index)
        {
            notes.push(format!(
                "index {index} is deleted and created again because its key or projection changes; the table and its items stay, queries on {index} fail until it is rebuilt"
            ));
        }
    }
    let index_steps = steps
        .iter()
        .filter(|s| matches!(s, Step::DeleteIndex(_) | Step::CreateIndex { .. }))
        .count();
    if index_steps > 1 {
        notes.push(format!(
            "{index_steps} index creations or deletions run one at a time, each after the table is ACTIVE again (DynamoDB allows one per update)"
        ));
    }
    let switches = steps
        .iter()
        .any(|s| matches!(s, Step::SwitchBilling { .. }));
    if switches && let Some(switched) = live.last_switch_to_on_demand {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        if now - switched < BILLING_SWITCH_WINDOW_SECS {
            notes.push(format!(
                "the table switched to on-demand {} hours ago; AWS limits billing-mode switches per 24 hours and may refuse this one",
                (now - switched) / 3600
            ));
        }
    }
    let ttl_steps = steps
        .iter()
        .filter(|s| matches!(s, Step::Ttl { .. }))
        .count();
    if ttl_steps > 1 {
        notes.push(
            "changing the TTL attribute disables TTL and enables it again; DynamoDB allows one TTL change per hour, so the second step may be refused until then (apply again to finish)"
                .to_string(),
        );
    }
    // UpdateTable cannot change a stream's view type: it is disabled, then enabled again.
    let stream_steps = steps
        .iter()
        .filter(|s| matches!(s, Step::Stream(_)))
        .count();
    if stream_steps > 1 {
        notes.push(
            "changing the stream's view type disables the stream and enables a new one (a new stream ARN; readers of the old stream must move to it, and records written in between are not captured)"
                .to_string(),
        );
    }
    notes
}

/// The table's name and keys, which no update changes.
fn key_attrs(name: &str, partition_key: &KeySpec, sort_key: Option<&KeySpec>) -> Attrs {
    let mut a = Attrs::new();
    a.insert(TableAttr::Name.into(), Value::str(name));
    let partition_key = Value::str(partition_key.to_string());
    a.insert(TableAttr::PartitionKey.into(), partition_key);
    if let Some(sk) = sort_key {
        a.insert(TableAttr::SortKey.into(), Value::str(sk.to_string()));
    }
    a
}

fn desired_attrs(name: &str, spec: &TableSpec) -> Attrs {
    let mut a = key_attrs(name, &spec.partition_key, spec.sort_key.as_ref());
    settings_attrs(
        &mut a,
        Settings {
            billing: spec.billing,
            ttl_attribute: spec.ttl_attribute.as_deref(),
            stream: spec.stream,
            point_in_time_recovery: spec.point_in_time_recovery,
            deletion_protection: spec.deletion_protection,
            table_class: spec.table_class,
            tags: &spec.tags,
        },
    );
    autoscaling::desired_attrs(&mut a, &spec.autoscaling);
    for index in &spec.global_indexes {
        let mut value = global_index(index);
        if let Value::Map(m) = &mut value {
            autoscaling::desired_attrs(m, &index.autoscaling);
        }
        a.insert(format!("{GLOBAL_INDEX}{}", index.name), value);
    }
    for index in &spec.local_indexes {
        a.insert(format!("{LOCAL_INDEX}{}", index.name), local_index(index));
    }
    a
}

pub fn live_attrs(live: &LiveTable) -> Attrs {
    let mut a = key_attrs(&live.name, &live.partition_key, live.sort_key.as_ref());
    settings_attrs(
        &mut a,
        Settings {
            billing: live.billing,
            ttl_attribute: live.ttl_attribute.as_deref(),
            stream: live.stream,
            point_in_time_recovery: live.point_in_time_recovery,
            deletion_protection: live.deletion_protection,
            table_class: live.table_class,
            tags: &live.tags,
        },
    );
    autoscaling::live_attrs(&mut a, &live.autoscaling);
    for index in &live.global_indexes {
        let mut value = global_index(&index.spec);
        if let Value::Map(m) = &mut value {
            autoscaling::live_attrs(m, &index.autoscaling);
        }
        a.insert(format!("{GLOBAL_INDEX}{}", index.spec.name), value);
    }
    for index in &live.local_indexes {
        a.insert(format!("{LOCAL_INDEX}{}", index.name), local_index(index));
    }
    a
}

/// The settings desired and live tables share, so that both are shown the same way.
struct Settings<'a> {
    billing: Billing,
    ttl_attribute: Option<&'a str>,
    stream: Option<StreamView>,
    point_in_time_recovery: bool,
    deletion_protection: bool,
    table_class: TableClass,
    tags: &'a BTreeMap<String, String>,
}

fn settings_attrs(a: &mut Attrs, s: Settings<'_>) {
    match s.billing {
        Billing::OnDemand => {
            a.insert(TableAttr::Billing.into(), Value::str("on-demand"));
        }
        Billing::Provisioned {
            read_capacity,
            write_capacity,
        } => {
            a.insert(TableAttr::Billing.into(), Value::str("provisioned"));
            a.insert(TableAttr::ReadCapacity.into(), Value::Int(read_capacity));
            a.insert(TableAttr::WriteCapacity.into(), Value::Int(write_capacity));
        }
    }
    if let Some(ttl) = s.ttl_attribute {
        a.insert(TableAttr::TtlAttribute.into(), Value::str(ttl));
    }
    if let Some(stream) = s.stream {
        a.insert(TableAttr::Stream.into(), Value::str(stream.as_str()));
    }
    a.insert(
        TableAttr::PointInTimeRecovery.into(),
        Value::Bool(s.point_in_time_recovery),
    );
    a.insert(
        TableAttr::DeletionProtection.into(),
        Value::Bool(s.deletion_protection),
    );
    a.insert(
        TableAttr::TableClass.into(),
        Value::str(s.table_class.as_str()),
    );
    a.insert(TableAttr::Tags.into(), Value::map(s.tags));
}

fn global_index(index: &GlobalIndexSpec) -> Value {
    let mut m = BTreeMap::new();
    m.insert(
        "partition_key".to_string(),
        Value::str(index.partition_key.to_string()),
    );
    if let Some(sk) = &index.sort_key {
        m.insert("sort_key".to_string(), Value::str(sk.to_string()));
    }
    m.insert(
        "projection".to_string(),
        Value::str(index.projection.to_string()),
    );
    if let Some((read, write)) = index.capacity {
        m.insert("read_capacity".to_string(), Value::Int(read));
        m.insert("write_capacity".to_string(), Value::Int(write));
    }
    Value::Map(m)
}

fn local_index(index: &LocalIndexSpec) -> Value {
    let mut m = BTreeMap::new();
    m.insert(
        "sort_key".to_string(),
        Value::str(index.sort_key.to_string()),
    );
    m.insert(
        "projection".to_string(),
        Value::str(index.projection.to_string()),
    );
    Value::Map(m)
}
