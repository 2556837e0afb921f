//! How a table is diffed: which settings change in place and which force a replacement.

use super::{Action, Attrs, Change, Desired, Live, TableDesired, Value, all_new, compare};
use crate::live::LiveTable;
use crate::stack::{Address, Billing, Stack, TableSpec};

/// A new key schema needs a new table: DynamoDB cannot change keys in place.
const FORCES_REPLACEMENT: &[&str] = &["partition_key", "sort_key"];

pub fn plan(stack: &Stack, spec: &TableSpec, live: Option<&LiveTable>) -> Change {
    let name = stack.physical_name(&spec.logical);
    let after = desired_attrs(&name, spec);
    let desired = Desired::Table(TableDesired {
        name: name.clone(),
        stack: stack.name.clone(),
        spec: spec.clone(),
    });
    let address = Address::Table(spec.logical.clone());
    let Some(live) = live else {
        return Change {
            address,
            physical_name: name,
            action: Action::Create,
            reason: None,
            destroys_data: false,
            changes: all_new(&after),
            before: None,
            after: Some(after),
            depends_on: Vec::new(),
            desired: Some(desired),
            live: None,
        };
    };
    let before = live_attrs(live);
    let changes = compare(&before, &after, FORCES_REPLACEMENT);
    let replace: Vec<&str> = changes
        .iter()
        .filter(|c| c.forces_replacement)
        .map(|c| c.name.as_str())
        .collect();
    let (action, reason) = if !replace.is_empty() {
        (
            Action::Replace,
            Some(format!(
                "{} cannot change in place: the table is deleted and created again, and its items are lost",
                replace.join(" and ")
            )),
        )
    } else if changes.is_empty() {
        (Action::NoOp, None)
    } else {
        (Action::Update, None)
    };
    Change {
        address,
        physical_name: name,
        action,
        reason,
        destroys_data: action == Action::Replace,
        changes,
        before: Some(before),
        after: Some(after),
        depends_on: Vec::new(),
        desired: Some(desired),
        live: Some(Live::Table(live.clone())),
    }
}

pub fn plan_delete(logical: &str, live: &LiveTable) -> Change {
    Change {
        address: Address::Table(logical.to_string()),
        physical_name: live.name.clone(),
        action: Action::Delete,
        reason: Some(
            "no longer in the stack file; the table and its items are deleted".to_string(),
        ),
        destroys_data: true,
        changes: Vec::new(),
        before: Some(live_attrs(live)),
        after: None,
        depends_on: Vec::new(),
        desired: None,
        live: Some(Live::Table(live.clone())),
    }
}

fn desired_attrs(name: &str, spec: &TableSpec) -> Attrs {
    let mut a = Attrs::new();
    a.insert("name".into(), Value::str(name));
    a.insert(
        "partition_key".into(),
        Value::str(spec.partition_key.to_string()),
    );
    if let Some(sk) = &spec.sort_key {
        a.insert("sort_key".into(), Value::str(sk.to_string()));
    }
    billing_attrs(&mut a, spec.billing);
    if let Some(ttl) = &spec.ttl_attribute {
        a.insert("ttl_attribute".into(), Value::str(ttl));
    }
    a.insert(
        "point_in_time_recovery".into(),
        Value::Bool(spec.point_in_time_recovery),
    );
    a.insert(
        "deletion_protection".into(),
        Value::Bool(spec.deletion_protection),
    );
    a.insert("tags".into(), Value::map(&spec.tags));
    a
}

pub fn live_attrs(live: &LiveTable) -> Attrs {
    let mut a = Attrs::new();
    a.insert("name".into(), Value::str(&live.name));
    a.insert(
        "partition_key".into(),
        Value::str(live.partition_key.to_string()),
    );
    if let Some(sk) = &live.sort_key {
        a.insert("sort_key".into(), Value::str(sk.to_string()));
    }
    billing_attrs(&mut a, live.billing);
    if let Some(ttl) = &live.ttl_attribute {
        a.insert("ttl_attribute".into(), Value::str(ttl));
    }
    a.insert(
        "point_in_time_recovery".into(),
        Value::Bool(live.point_in_time_recovery),
    );
    a.insert(
        "deletion_protection".into(),
        Value::Bool(live.deletion_protection),
    );
    a.insert("tags".into(), Value::map(&live.tags));
    a
}

fn billing_attrs(a: &mut Attrs, billing: Billing) {
    match billing {
        Billing::OnDemand => {
            a.insert("billing".into(), Value::str("on-demand"));
        }
        Billing::Provisioned {
            read_capacity,
            write_capacity,
        } => {
            a.insert("billing".into(), Value::str("provisioned"));
            a.insert("read_capacity".into(), Value::Int(read_capacity));
            a.insert("write_capacity".into(), Value::Int(write_capacity));
        }
    }
}
