//! Whole plans: no changes, deletes of what the file no longer declares, blockers, drift.

use super::{actions, applied, plan, rendered, stack};

/// A stack with one of everything: tables, functions with and without a managed role, an
/// HTTP API with settings, an authorizer and routes.
pub const SHOP: &str = r#"
[tables.orders]
partition_key = { name = "pk", type = "string" }
sort_key = { name = "sk", type = "string" }
ttl_attribute = "expires_at"
point_in_time_recovery = true
stream = "new-image"
table_class = "standard-infrequent-access"
tags = { team = "core" }

[[tables.orders.global_indexes]]
name = "by-customer"
partition_key = { name = "customer", type = "string" }

[tables.sessions]
partition_key = { name = "id", type = "string" }
billing = "provisioned"
read_capacity = 5
write_capacity = 5
deletion_protection = false

[functions.get-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "examples/functions/get-order"
memory = 256
architecture = "arm64"
environment = { ORDERS_TABLE = "${tables.orders.name}", ORDERS_ARN = "${tables.orders.arn}", STRIPE = { ssm = "/shop/stripe" } }
tables = { orders = "read" }

[functions.authz]
runtime = "python3.12"
handler = "app.handler"
code = "examples/functions/get-order"
role = "arn:aws:iam::123456789012:role/shared"

[api]
type = "http"
stage = "prod"
throttle = { rate = 100, burst = 200 }
access_log = { destination = "arn:aws:logs:us-east-1:123456789012:log-group:shop-access", format = "$context.requestId" }
authorizers.custom = { type = "lambda", function = "authz" }

[routes]
"GET /orders/{id}" = "get-order"
"POST /orders" = { function = "get-order", authorizer = "custom" }
"#;

#[test]
fn an_applied_stack_plans_no_changes() {
    let stack = stack(SHOP);
    let plan = plan(&stack, &applied(&stack));
    assert_eq!(actions(&plan), vec![]);
    assert!(plan.blockers.is_empty() && plan.drift.is_empty());
    insta::assert_snapshot!(rendered(&plan));
}
