//! How usage plans and API keys are diffed: every declared one against its live form, every
//! owned one no longer declared as a delete.

use std::collections::BTreeMap;

use super::{Attrs, Change, Desired, Live, Value};
use crate::live::{LiveApiKey, LiveState, LiveUsagePlan};
use crate::stack::{Address, ApiKeySpec, Stack, Throttle, UsagePlanSpec};

#[derive(Debug, Clone)]
pub struct UsagePlanDesired {
    /// The name in `[api.usage_plans]`.
    pub logical: String,
    /// The physical name, `<stack>-<logical>`.
    pub name: String,
    pub stack: String,
    pub spec: UsagePlanSpec,
}

#[derive(Debug, Clone)]
pub struct ApiKeyDesired {
    /// The name in `[api.keys]`.
    pub logical: String,
    /// The physical name, `<stack>-<logical>`.
    pub name: String,
    pub stack: String,
    pub spec: ApiKeySpec,
}

/// The output key of a usage plan's ID (`name` as in `[api.usage_plans]`), known before apply
/// for a plan that exists; not a stack-file reference.
pub fn plan_id_output(name: &str) -> String {
    format!("api.usage_plans.{name}.id")
}

/// The output key of an API key's ID (`name` as in `[api.keys]`).
pub fn key_id_output(name: &str) -> String {
    format!("api.keys.{name}.id")
}

/// Every usage plan and API key, declared or owned; the IDs of those that exist go to `known`.
pub(super) fn plan_all(
    stack: &Stack,
    live: &LiveState,
    changes: &mut Vec<Change>,
    known: &mut BTreeMap<String, String>,
) {
    let api = stack.api.as_ref();
    let plans = api.map(|a| &a.usage_plans).cloned().unwrap_or_default();
    let keys = api.map(|a| &a.keys).cloned().unwrap_or_default();
    let api_id = live
        .apis
        .first()
        .filter(|a| a.is_rest())
        .map(|a| a.id.as_str());
    let logical = |physical: &str| super::logical_of(stack, physical).to_string();
    for (name, spec) in &plans {
        let physical = stack.physical_name(name);
        let found = live.usage_plans.get(&physical);
        let desired = UsagePlanDesired {
            logical: name.clone(),
            name: physical.clone(),
            stack: stack.name.clone(),
            spec: spec.clone(),
        };
        changes.push(Change::declared(
            Address::UsagePlan(name.clone()),
            physical,
            plan_attrs(spec),
            Desired::UsagePlan(desired),
            found.map(|f| (live_plan_attrs(f, api_id), Live::UsagePlan(f.clone()))),
        ));
    }
    for (physical, found) in &live.usage_plans {
        // Keys leave plans that go by their IDs.
        known.insert(plan_id_output(&logical(physical)), found.id.clone());
        if !plans.contains_key(&logical(physical)) {
            let reason = "no longer in the stack file";
            let before = live_plan_attrs(found, api_id);
            let address = Address::UsagePlan(logical(physical));
            let live = Live::UsagePlan(found.clone());
            changes.push(Change::delete(
                address,
                physical.clone(),
                reason,
                before,
                live,
            ));
        }
    }
    plan_keys(stack, live, &keys, changes, known);
}

fn plan_keys(
    stack: &Stack,
    live: &LiveState,
    keys: &BTreeMap<String, ApiKeySpec>,
    changes: &mut Vec<Change>,
    known: &mut BTreeMap<String, String>,
) {
    let logical = |physical: &str| super::logical_of(stack, physical).to_string();
    // A live key as read, with the plans it is in by logical name, and its attributes.
    let live_key = |key: &LiveApiKey| -> (Attrs, Live) {
        let of = live.usage_plans.iter();
        let of = of.filter(|(_, p)| p.key_ids.contains(&key.id));
        let plans: Vec<String> = of.map(|(physical, _)| logical(physical)).collect();
        let attrs = key_attrs(key.enabled, &plans);
        let key = key.clone();
        (attrs, Live::ApiKey { key, plans })
    };
    for (name, spec) in keys {
        let physical = stack.physical_name(name);
        let found = live.api_keys.get(&physical);
        if let Some(found) = found {
            known.insert(key_id_output(name), found.id.clone());
        }
        let desired = ApiKeyDesired {
            logical: name.clone(),
            name: physical.clone(),
            stack: stack.name.clone(),
            spec: spec.clone(),
        };
        changes.push(Change::declared(
            Address::ApiKey(name.clone()),
            physical,
            key_attrs(spec.enabled, &spec.plans),
            Desired::ApiKey(desired),
            found.map(live_key),
        ));
    }
    for (physical, found) in &live.api_keys {
        if !keys.contains_key(&logical(physical)) {
            let (before, live) = live_key(found);
            let address = Address::ApiKey(logical(physical));
            let reason = "no longer in the stack file";
            changes.push(Change::delete(
                address,
                physical.clone(),
                reason,
                before,
                live,
            ));
        }
    }
}

fn plan_attrs(spec: &UsagePlanSpec) -> Attrs {
    let mut stages = spec.stages.clone();
    stages.sort();
    let mut a = Attrs::new();
    a.insert("stages".into(), Value::list(&stages));
    if let Some(t) = spec.throttle {
        a.insert("throttle".into(), throttle_value(t));
    }
    if let Some(q) = spec.quota {
        a.insert("quota".into(), quota_value(q.limit, q.period.as_str()));
    }
    routes_attr(&mut a, &spec.routes);
    a
}

/// `api_id`: the stack's REST API; stages of other APIs show as `API_ID:STAGE`.
fn live_plan_attrs(live: &LiveUsagePlan, api_id: Option<&str>) -> Attrs {
    let mut a = Attrs::new();
    let mut stages: Vec<String> = live
        .stages
        .iter()
        .map(|s| match api_id {
            Some(id) if id == s.api_id => s.stage.clone(),
            _ => format!("{}:{}", s.api_id, s.stage),
        })
        .collect();
    stages.sort();
    a.insert("stages".into(), Value::list(&stages));
    if let Some(t) = live.throttle {
        a.insert("throttle".into(), throttle_value(t));
    }
    if let Some(q) = live.quota {
        a.insert("quota".into(), quota_value(q.limit, q.period.as_str()));
    }
    live_routes_attr(&mut a, live, api_id);
    a
}

/// The per-method throttles of the stack API's stages the plan meters: the one map when every
/// stage has the same (as the stack file gives them, for every stage), else each stage's by
/// stage name, so that a stage without them (added to the plan later) shows as a change.
fn live_routes_attr(a: &mut Attrs, live: &LiveUsagePlan, api_id: Option<&str>) {
    let ours: Vec<_> = live
        .stages
        .iter()
        .filter(|s| api_id.is_none_or(|id| id == s.api_id))
        .collect();
    let Some((first, rest)) = ours.split_first() else {
        return;
    };
    if rest.iter().all(|s| s.routes == first.routes) {
        return routes_attr(a, &first.routes);
    }
    let by_stage = ours.iter().map(|s| {
        let mut one = Attrs::new();
        routes_attr(&mut one, &s.routes);
        let routes = one.remove("routes").unwrap_or(Value::Map(BTreeMap::new()));
        (s.stage.clone(), routes)
    });
    a.insert("routes".into(), Value::Map(by_stage.collect()));
}

fn routes_attr(a: &mut Attrs, routes: &BTreeMap<String, Throttle>) {
    if routes.is_empty() {
        return;
    }
    let routes = routes
        .iter()
        .map(|(k, t)| (k.clone(), throttle_value(*t)))
        .collect();
    a.insert("routes".into(), Value::Map(routes));
}

fn key_attrs(enabled: bool, plans: &[String]) -> Attrs {
    let mut plans = plans.to_vec();
    plans.sort();
    let mut a = Attrs::new();
    a.insert("enabled".into(), Value::Bool(enabled));
    a.insert("plans".into(), Value::list(&plans));
    a
}

fn throttle_value(t: Throttle) -> Value {
    let mut m = BTreeMap::new();
    m.insert("rate".to_string(), Value::Int(t.rate as i64));
    m.insert("burst".to_string(), Value::Int(t.burst.into()));
    Value::Map(m)
}

fn quota_value(limit: i32, period: &str) -> Value {
    let mut m = BTreeMap::new();
    m.insert("limit".to_string(), Value::Int(limit.into()));
    m.insert("period".to_string(), Value::str(period));
    Value::Map(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::LiveApiStage;

    #[test]
    fn per_method_throttles_are_compared_stage_by_stage() {
        let throttle = Throttle {
            rate: 5.0,
            burst: 10,
        };
        let spec = UsagePlanSpec {
            stages: vec!["v1".to_string(), "v2".to_string()],
            throttle: None,
            quota: None,
            routes: BTreeMap::from([("GET /orders/{id}".to_string(), throttle)]),
        };
        let stage = |name: &str, routes: &BTreeMap<String, Throttle>| LiveApiStage {
            api_id: "api1".to_string(),
            stage: name.to_string(),
            routes: routes.clone(),
        };
        let mut live = LiveUsagePlan {
            id: "p1".to_string(),
            name: "shop-basic".to_string(),
            stages: vec![stage("v1", &spec.routes), stage("v2", &spec.routes)],
            throttle: None,
            quota: None,
            key_ids: Vec::new(),
        };
        let routes = |a: Attrs| a.get("routes").cloned();
        let declared = routes(plan_attrs(&spec));
        assert_eq!(routes(live_plan_attrs(&live, Some("api1"))), declared);
        // v2 was added to the plan later, without its per-method throttles.
        live.stages[1].routes.clear();
        let read = routes(live_plan_attrs(&live, Some("api1")));
        assert_ne!(read, declared);
        let Some(Value::Map(by_stage)) = read else {
            panic!("{read:?}")
        };
        assert_eq!(by_stage["v2"], Value::Map(BTreeMap::new()));
    }
}
