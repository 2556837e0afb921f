//! `name = "..."`: resources whose AWS names are fixed by the stack file are planned, referred
//! to and routed by those names, and a stack applied with them plans no change.

use super::{actions, applied, plan, stack};
use crate::plan::Action;

const FIXED: &str = r#"
[tables.orders]
name = "legacy-orders"
partition_key = { name = "pk", type = "string" }

[functions.api]
name = "legacy-api"
runtime = "nodejs20.x"
handler = "index.handler"
code = "examples/functions/get-order"
environment = { ORDERS = "${tables.orders.name}", EVENTS = "${topics.events.arn}" }
tables = { orders = "read" }
topics = { events = "publish" }

[topics.events]
name = "legacy-events"
subscriptions = [{ function = "api" }]

[topics.audit]
name = "legacy-audit.fifo"
fifo = true

[user_pools.customers]
name = "Legacy customers"
sign_in = ["email"]

[api]
type = "http"

[routes]
"GET /orders" = "api"
"#;

#[test]
fn fixed_names_are_used_everywhere_and_an_applied_stack_plans_nothing() {
    let stack = stack(FIXED);
    assert_eq!(stack.table_name("orders"), "legacy-orders");
    assert_eq!(stack.function_name("api"), "legacy-api");
    let topics: Vec<String> = stack.topics.iter().map(|t| stack.topic_name(t)).collect();
    assert_eq!(topics, ["legacy-events", "legacy-audit.fifo"]);
    assert_eq!(stack.user_pool_name("customers"), "Legacy customers");
    // The managed role keeps the stack's name.
    assert_eq!(stack.physical_name("api"), "shop-api");
    let live = applied(&stack);
    assert!(live.functions.contains_key("legacy-api"));
    assert!(live.roles.contains_key("shop-api"));
    let plan = plan(&stack, &live);
    assert_eq!(actions(&plan), vec![]);
    assert!(plan.blockers.is_empty() && plan.drift.is_empty());
    assert_eq!(plan.known["tables.orders.name"], "legacy-orders");
    assert_eq!(plan.known["topics.audit.name"], "legacy-audit.fifo");
}

#[test]
fn a_fixed_name_changed_is_a_new_resource_and_the_old_one_deleted() {
    let before = stack(FIXED);
    let live = applied(&before);
    let after = stack(&FIXED.replace("\"legacy-orders\"", "\"orders-v2\""));
    let plan = plan(&after, &live);
    let changes = actions(&plan);
    assert!(
        changes.contains(&("table.orders".to_string(), Action::Create)),
        "{changes:?}"
    );
    let deleted = plan
        .changes
        .iter()
        .find(|c| c.action == Action::Delete)
        .unwrap();
    assert_eq!(deleted.physical_name, "legacy-orders");
}
