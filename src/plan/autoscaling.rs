//! Auto scaling in a table's plan: the attributes `read_autoscaling` and `write_autoscaling`
//! (of the table, and inside each `global_index.NAME`), and the capacity the plan wants of an
//! auto-scaled dimension.
//!
//! Application Auto Scaling moves the capacity of a scaled table anywhere inside
//! `[min, max]`, so a live capacity there is what the stack file asks for: the plan wants the
//! live value itself, and shows neither a change nor drift. A capacity outside the range (set
//! by hand, or before auto scaling was declared) is brought to the nearest bound.

use std::collections::BTreeMap;

use super::{Attrs, Value};
use crate::live::autoscaling::Dimension;
use crate::live::{LiveAutoscaling, LiveScaling, LiveTable};
use crate::stack::{Autoscaling, Billing, CapacityScaling, TableSpec};

const COOLDOWNS: [&str; 2] = ["scale_in_cooldown", "scale_out_cooldown"];

/// The attribute name of a dimension's auto scaling: `read_autoscaling`, `write_autoscaling`.
pub fn attr_name(dimension: Dimension) -> String {
    format!("{}_autoscaling", dimension.as_str())
}

fn scaling(spec: &CapacityScaling, dimension: Dimension) -> Option<&Autoscaling> {
    match dimension {
        Dimension::Read => spec.read.as_ref(),
        Dimension::Write => spec.write.as_ref(),
    }
}

/// `spec` with the capacity of every auto-scaled dimension settled against `live`: the live
/// capacity when it lies inside `[min, max]`, else the nearest bound; a new table (or one not
/// provisioned yet) starts at `min`, as the reader set it.
pub fn settle(spec: &TableSpec, live: Option<&LiveTable>) -> TableSpec {
    let mut spec = spec.clone();
    if let (
        Billing::Provisioned {
            read_capacity,
            write_capacity,
        },
        Some(LiveTable {
            billing:
                Billing::Provisioned {
                    read_capacity: live_read,
                    write_capacity: live_write,
                },
            ..
        }),
    ) = (&mut spec.billing, live)
    {
        *read_capacity = settled(spec.autoscaling.read, *read_capacity, *live_read);
        *write_capacity = settled(spec.autoscaling.write, *write_capacity, *live_write);
    }
    for index in &mut spec.global_indexes {
        let live_capacity = live
            .and_then(|l| l.global_indexes.iter().find(|i| i.spec.name == index.name))
            .and_then(|i| i.spec.capacity);
        if let (Some((read, write)), Some((live_read, live_write))) =
            (&mut index.capacity, live_capacity)
        {
            *read = settled(index.autoscaling.read, *read, live_read);
            *write = settled(index.autoscaling.write, *write, live_write);
        }
    }
    spec
}

fn settled(scaling: Option<Autoscaling>, declared: i64, live: i64) -> i64 {
    match scaling {
        Some(s) => live.clamp(s.min, s.max),
        None => declared,
    }
}

/// Adds the declared auto scaling of the table or an index to `attrs`.
pub fn desired_attrs(attrs: &mut BTreeMap<String, Value>, spec: &CapacityScaling) {
    for dimension in Dimension::BOTH {
        if let Some(s) = scaling(spec, dimension) {
            let mut m = BTreeMap::new();
            m.insert("min".to_string(), Value::Int(s.min));
            m.insert("max".to_string(), Value::Int(s.max));
            m.insert("target".to_string(), Value::Int(s.target));
            for (key, value) in COOLDOWNS
                .iter()
                .zip([s.scale_in_cooldown, s.scale_out_cooldown])
            {
                if let Some(seconds) = value {
                    m.insert(key.to_string(), Value::Int(seconds));
                }
            }
            attrs.insert(attr_name(dimension), Value::Map(m));
        }
    }
}

/// Adds the live auto scaling of the table or an index to `attrs`: a target without
/// stackctl's policy shows without `target`.
pub fn live_attrs(attrs: &mut BTreeMap<String, Value>, live: &LiveAutoscaling) {
    for dimension in Dimension::BOTH {
        if let Some(s) = live.get(dimension) {
            attrs.insert(attr_name(dimension), Value::Map(live_map(s)));
        }
    }
}

fn live_map(s: &LiveScaling) -> BTreeMap<String, Value> {
    let mut m = BTreeMap::new();
    m.insert("min".to_string(), Value::Int(s.min));
    m.insert("max".to_string(), Value::Int(s.max));
    if let Some(policy) = &s.policy {
        let target = if policy.target.fract() == 0.0 {
            Value::Int(policy.target as i64)
        } else {
            Value::Str(policy.target.to_string())
        };
        m.insert("target".to_string(), target);
        for (key, value) in COOLDOWNS
            .iter()
            .zip([policy.scale_in_cooldown, policy.scale_out_cooldown])
        {
            if let Some(seconds) = value {
                m.insert(key.to_string(), Value::Int(seconds));
            }
        }
    }
    m
}

/// Leaves out of the live auto scaling (the table's and each index's) the cooldowns the stack
/// file does not declare: AWS's default is not a change.
pub fn trim_cooldowns(live: &mut Attrs, desired: &Attrs) {
    for (name, value) in live.iter_mut() {
        let Some(wanted) = desired.get(name) else {
            continue;
        };
        if name.ends_with("_autoscaling") {
            trim(value, wanted);
        } else if let (Value::Map(live_index), Value::Map(wanted_index)) = (value, wanted) {
            for dimension in Dimension::BOTH {
                let key = attr_name(dimension);
                if let (Some(l), Some(w)) = (live_index.get_mut(&key), wanted_index.get(&key)) {
                    trim(l, w);
                }
            }
        }
    }
}

fn trim(live: &mut Value, wanted: &Value) {
    if let (Value::Map(live), Value::Map(wanted)) = (live, wanted) {
        for key in COOLDOWNS {
            if !wanted.contains_key(key) {
                live.remove(key);
            }
        }
    }
}
