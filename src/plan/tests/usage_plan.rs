//! Usage plans and API keys: what the emulator cannot show (a per-method throttle changed in
//! place, a plan left metering the stage of an API that is gone), and their order.

use super::{actions, change, file_changes, live_changes};
use crate::plan::Action;

const METERED: &str = r#"
[functions.get-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "examples/functions/get-order"
role = "arn:aws:iam::123456789012:role/shared"

[api]
type = "rest"
stage = "prod"

[api.usage_plans.basic]
stages = ["prod"]
throttle = { rate = 10, burst = 20 }
quota = { limit = 1000, period = "day" }
routes = { "GET /orders/{id}" = { rate = 5, burst = 10 } }

[api.keys.partner-a]
plans = ["basic"]

[routes]
"GET /orders/{id}" = { function = "get-order", api_key = true }
"#;

fn metered(edit: &[(&str, &str)]) -> String {
    edit.iter()
        .fold(METERED.to_string(), |s, (from, to)| s.replace(from, to))
}

file_changes! {
    a_per_method_throttle_and_the_quota_change_in_one_update:
        METERED => &metered(&[("rate = 5, burst = 10", "rate = 7, burst = 10"), ("limit = 1000", "limit = 2000")]),
        |plan| {
            assert_eq!(actions(plan), vec![("api.usage_plan.basic".to_string(), Action::Update)]);
        };
    a_key_leaves_a_plan_that_goes_before_it_goes:
        &metered(&[(
            "[api.keys.partner-a]\nplans = [\"basic\"]",
            // A key may be in one plan per stage: it moves from gold to basic.
            "[api.usage_plans.gold]\nstages = [\"prod\"]\n\n[api.keys.partner-a]\nplans = [\"gold\"]",
        )]) => METERED,
        |plan| {
            assert_eq!(change(plan, "api.key.partner-a").action, Action::Update);
            let deleted = change(plan, "api.usage_plan.gold");
            assert_eq!(deleted.action, Action::Delete);
            let waits: Vec<String> = deleted.depends_on.iter().map(ToString::to_string).collect();
            assert_eq!(waits, ["api.key.partner-a"]);
        };
    a_route_stops_needing_a_key:
        METERED => &metered(&[(", api_key = true", "")]),
        |plan| {
            let route = change(plan, "route[GET /orders/{id}]");
            assert!(route.attributes.iter().any(|a| a.name == "api_key"), "{route:?}");
        };
}

live_changes! {
    a_plan_left_metering_a_stage_of_another_api_moves_to_this_one:
        METERED,
        |live: &mut crate::live::LiveState| {
            for plan in live.usage_plans.values_mut() {
                plan.stages[0].api_id = "gone".to_string();
            }
        },
        |plan| {
            let moved = change(plan, "api.usage_plan.basic");
            assert_eq!(moved.action, Action::Update);
            assert_eq!(moved.depends_on, Vec::new(), "the API and its stage stay as they are");
        };
}
