//! Saved plans (`plan --out FILE`, `apply FILE`): reading one back, and checking that it still
//! describes what apply would do now.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::Value as Json;

use super::autoscaling::mask_scaled_capacity;
use super::json::{FORMAT_VERSION, Origin, to_json};
use super::{Action, Plan};
use crate::stack::Address;

/// The parts of a saved plan that apply needs.
#[derive(Debug, Deserialize)]
pub struct SavedPlan {
    pub stack: String,
    pub region: String,
    pub origin: Option<Origin>,
    pub changes: Vec<SavedChange>,
    /// Whether the lock table existed when the plan was made.
    #[serde(default)]
    pub lock: Option<super::LockStatus>,
    /// What blocked the plan when it was made (`plan --out` saves no blocked plan; a file
    /// written otherwise is refused).
    #[serde(default)]
    pub blockers: Vec<Json>,
}

#[derive(Debug, Deserialize)]
pub struct SavedChange {
    pub address: String,
    pub action: Action,
    #[serde(default)]
    pub before: Json,
    #[serde(default)]
    pub after: Json,
}

impl SavedPlan {
    pub fn parse(text: &str) -> Result<SavedPlan, String> {
        let version: Json = serde_json::from_str(text).map_err(|e| e.to_string())?;
        match version.get("format_version").and_then(Json::as_str) {
            Some(FORMAT_VERSION) => {}
            Some(other) => {
                return Err(format!(
                    "its format_version is {other}; this stackctl reads {FORMAT_VERSION}"
                ));
            }
            None => return Err("it has no format_version: not a stackctl plan".to_string()),
        }
        serde_json::from_value(version).map_err(|e| e.to_string())
    }

    fn touched(&self) -> impl Iterator<Item = &SavedChange> {
        self.changes.iter().filter(|c| c.action != Action::NoOp)
    }

    /// The resources the plan changes.
    pub fn changed(&self) -> Result<BTreeSet<Address>, String> {
        self.touched().map(|c| c.address.parse()).collect()
    }
}

/// Why the saved plan no longer holds: what blocks a plan made now (a name taken since by a
/// resource the stack does not own, say) first, as the cause, then one line per resource it
/// changes that is different now. Empty when a plan made now does the same to each of them.
pub fn stale(saved: &SavedPlan, plan: &Plan) -> Vec<String> {
    let fresh = fresh_changes(plan);
    let mut reasons: Vec<String> = plan
        .blockers
        .iter()
        .map(|b| format!("{}: {}", b.address, b.message))
        .collect();
    let blocked = |address: &str| {
        plan.blockers
            .iter()
            .any(|b| b.address.to_string() == address)
    };
    for change in saved.touched().filter(|c| !blocked(&c.address)) {
        match fresh
            .iter()
            .find(|c| c["address"] == change.address.as_str())
        {
            None => reasons.push(format!("{} is no longer in the plan", change.address)),
            Some(now) => reasons.extend(differs(change, now)),
        }
    }
    reasons
}

/// Why the change made now (`now`, as JSON) is not the saved `change`, if it is not. The
/// capacity auto scaling may set is left out of both ([`mask_scaled_capacity`]).
fn differs(change: &SavedChange, now: &Json) -> Option<String> {
    let (mut before, mut after) = (change.before.clone(), change.after.clone());
    mask_scaled_capacity(&mut before, &mut after);
    let (mut now_before, mut now_after) = (now["before"].clone(), now["after"].clone());
    mask_scaled_capacity(&mut now_before, &mut now_after);
    let address = &change.address;
    if before.is_null() && !now_before.is_null() {
        Some(format!(
            "{address} exists now (was this plan applied already?)"
        ))
    } else if now_before != before {
        let attrs = differing(&before, &now_before);
        Some(if attrs.is_empty() {
            format!("{address} changed since the plan was made")
        } else {
            format!(
                "{address} changed since the plan was made ({})",
                attrs.join(", ")
            )
        })
    } else if now["action"] != serde_json::to_value(change.action).unwrap_or_default()
        || now_after != after
    {
        Some(format!("{address} would now be changed differently"))
    } else {
        None
    }
}

fn fresh_changes(plan: &Plan) -> Vec<Json> {
    match serde_json::to_value(to_json(plan, None)) {
        Ok(Json::Object(mut plan)) => match plan.remove("changes") {
            Some(Json::Array(changes)) => changes,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Names of the attributes whose values differ between two `before` objects.
fn differing(a: &Json, b: &Json) -> Vec<String> {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return Vec::new();
    };
    let mut names: Vec<String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_naming_an_unknown_resource_is_refused_before_any_read() {
        let plan = |address: &str| {
            format!(
                r#"{{"format_version": "{FORMAT_VERSION}", "stack": "shop", "region": "us-east-1",
                "changes": [{{"address": "{address}", "action": "update"}},
                            {{"address": "bucket.x", "action": "no-op"}}]}}"#
            )
        };
        let saved = SavedPlan::parse(&plan("route[GET /orders]")).unwrap();
        assert_eq!(
            saved.changed().unwrap(),
            BTreeSet::from([Address::Route("GET /orders".into())])
        );
        let saved = SavedPlan::parse(&plan("bucket.orders")).unwrap();
        assert_eq!(
            saved.changed().unwrap_err(),
            "\"bucket.orders\" is not a resource address"
        );
    }
}
