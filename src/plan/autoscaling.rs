//! Auto scaling in a table's plan: the attributes `read_autoscaling` and `write_autoscaling`
//! (of the table, and inside each `global_index.NAME`), and the capacity the plan wants of an
//! auto-scaled dimension.
//!
//! Application Auto Scaling moves the capacity of a scaled table anywhere inside
//! `[min, max]`, so a live capacity there is what the stack file asks for: the plan wants the
//! live value itself, and shows neither a change nor drift. A capacity outside the range (set
//! by hand, or before auto scaling was declared) is brought to the nearest bound.
//!
//! A cooldown the stack file leaves out means AWS's default for DynamoDB, 0 seconds (a live
//! cooldown of 60 is then a change back to 0, shown and applied); cooldowns of 0 are left
//! out of both sides, so an explicit 0 and none are the same. Source:
//! <https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html#target-tracking-cooldown>.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::Value;
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
            cooldowns(&mut m, [s.scale_in_cooldown, s.scale_out_cooldown]);
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
        cooldowns(
            &mut m,
            [policy.scale_in_cooldown, policy.scale_out_cooldown],
        );
    }
    m
}

/// Adds the scale-in and scale-out cooldowns other than AWS's default, 0 seconds.
fn cooldowns(m: &mut BTreeMap<String, Value>, seconds: [Option<i64>; 2]) {
    for (key, value) in COOLDOWNS.iter().zip(seconds) {
        if let Some(seconds) = value.filter(|s| *s != 0) {
            m.insert(key.to_string(), Value::Int(seconds));
        }
    }
}

/// Leaves out of a saved change's `before` and `after` (JSON, as `plan --out` writes them:
/// the table's attributes, and each `global_index.NAME` map) the capacity of every
/// auto-scaled dimension whose live value lies inside the declared `[min, max]`. Auto
/// scaling moves it there at any time and apply keeps it where it finds it, so a saved plan
/// does not go stale when it moves; a capacity outside the range still counts.
pub fn mask_scaled_capacity(before: &mut Json, after: &mut Json) {
    mask_one(before, after);
    let (Some(before), Some(after)) = (before.as_object_mut(), after.as_object_mut()) else {
        return;
    };
    for (name, after_index) in after.iter_mut() {
        if name.starts_with("global_index.")
            && let Some(before_index) = before.get_mut(name)
        {
            mask_one(before_index, after_index);
        }
    }
}

fn mask_one(before: &mut Json, after: &mut Json) {
    let (Some(before), Some(after)) = (before.as_object_mut(), after.as_object_mut()) else {
        return;
    };
    for dimension in Dimension::BOTH {
        let capacity = format!("{}_capacity", dimension.as_str());
        let Some(range) = after.get(&attr_name(dimension)) else {
            continue;
        };
        let (Some(min), Some(max)) = (range["min"].as_i64(), range["max"].as_i64()) else {
            continue;
        };
        let live = before.get(&capacity).and_then(Json::as_i64);
        if live.is_some_and(|c| (min..=max).contains(&c))
            && after.get(&capacity).and_then(Json::as_i64) == live
        {
            before.remove(&capacity);
            after.remove(&capacity);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_saved_plan_ignores_capacity_auto_scaling_may_set_and_only_that() {
        let scaling = json!({ "min": 5, "max": 50, "target": 70 });
        let table = |read: i64, write: i64| {
            json!({
                "read_capacity": read, "write_capacity": write, "read_autoscaling": scaling,
                "global_index.by-customer": {
                    "read_capacity": read, "read_autoscaling": scaling
                },
            })
        };
        let (mut before, mut after) = (table(37, 7), table(37, 9));
        mask_scaled_capacity(&mut before, &mut after);
        let masked = json!({
            "write_capacity": 7, "read_autoscaling": scaling,
            "global_index.by-customer": { "read_autoscaling": scaling },
        });
        assert_eq!(before, masked);
        assert_eq!(after["write_capacity"], 9, "a fixed capacity still counts");
        // Outside [min, max] the plan changes it: that counts too.
        let (mut before, mut after) = (table(80, 7), table(50, 7));
        mask_scaled_capacity(&mut before, &mut after);
        assert_eq!(before["read_capacity"], 80);
        assert_eq!(after["global_index.by-customer"]["read_capacity"], 50);
    }
}
