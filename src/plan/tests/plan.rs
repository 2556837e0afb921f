//! Whole plans: no changes, deletes of what the file no longer declares, blockers, drift.

use super::{actions, applied, change, live_change, plan, rendered, stack};
use crate::live::LiveState;
use crate::plan::render::{Intent, Style};

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

/// The text plan with `style` and `intent`, for the renderer's own choices.
fn text(plan: &crate::plan::Plan, color: bool, intent: Intent) -> String {
    crate::plan::render::text(plan, Style { color }, intent)
}

#[test]
fn a_stack_created_from_nothing_in_dependency_order() {
    let stack = stack(SHOP);
    // Nothing exists yet; SSM parameters are read at plan time all the same.
    let live = LiveState {
        secrets: applied(&stack).secrets,
        ..LiveState::default()
    };
    let plan = plan(&stack, &live);
    let order: Vec<String> = plan.changes.iter().map(|c| c.address.to_string()).collect();
    let position = |a: &str| order.iter().position(|o| o == a).unwrap();
    assert!(position("role.get-order") < position("function.get-order"));
    assert_eq!(
        change(&plan, "function.get-order")
            .depends_on
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        vec!["role.get-order", "table.orders"]
    );
    assert!(!rendered(&plan).contains("value-of-"));
    insta::assert_snapshot!(rendered(&plan));
}

#[test]
fn refresh_only_lists_drift_and_proposes_nothing() {
    let plan = live_change(SHOP, |live| {
        let f = live.functions.get_mut("shop-get-order").unwrap();
        f.memory = 1024;
        f.architecture = "x86_64".to_string();
        live.tables.remove("shop-sessions");
        live.missing
            .push(("table".to_string(), "shop-sessions".to_string()));
    });
    let drift = crate::plan::render::drift_text(&plan, Style { color: false });
    assert!(drift.contains("Nothing is proposed"));
    insta::assert_snapshot!(drift);
}

#[test]
fn refresh_only_without_drift_says_so() {
    let stack = stack(SHOP);
    let plan = plan(&stack, &applied(&stack));
    insta::assert_snapshot!(crate::plan::render::drift_text(
        &plan,
        Style { color: false }
    ));
}

#[test]
fn destroy_with_allow_data_loss_says_the_flag_allows_it() {
    let stack = stack(SHOP);
    let mut live = applied(&stack);
    for table in live.tables.values_mut() {
        table.deletion_protection = false;
    }
    let plan = plan(&super::stack(""), &live);
    assert!(plan.blockers.is_empty());
    let intent = Intent {
        command: "destroy",
        data_loss_allowed: true,
    };
    insta::assert_snapshot!(text(&plan, false, intent));
}

#[test]
fn nothing_to_destroy_is_said_as_such() {
    let plan = plan(&stack(""), &LiveState::default());
    let intent = Intent {
        command: "destroy",
        data_loss_allowed: false,
    };
    assert_eq!(
        text(&plan, false, intent),
        "Nothing to destroy: stack shop in us-east-1 owns no resources.\n"
    );
}

#[test]
fn colour_only_when_asked() {
    let plan = live_change(SHOP, |live| {
        live.functions.get_mut("shop-get-order").unwrap().memory = 1024;
    });
    assert!(!text(&plan, false, Intent::PLAN).contains('\x1b'));
    let coloured = text(&plan, true, Intent::PLAN);
    assert!(
        coloured.contains(
            "\x1b[33m~ function.get-order (shop-get-order) will be updated in place\x1b[0m"
        )
    );
    assert!(coloured.contains("\x1b[33mDrift:\x1b[0m"));
}

#[test]
fn two_blockers_and_no_change_say_the_plan_is_blocked() {
    let plan = live_change(SHOP, |live| {
        for (kind, name) in [("table", "shop-sessions"), ("function", "shop-authz")] {
            match kind {
                "table" => live.tables.remove(name).map(drop),
                _ => live.functions.remove(name).map(drop),
            };
            live.conflicts.push(crate::live::Conflict {
                kind: kind.to_string(),
                name: name.to_string(),
                owner: Some("billing".to_string()),
                note: None,
            });
        }
    });
    assert_eq!(plan.blockers.len(), 2);
    assert_eq!(actions(&plan), vec![]);
    insta::assert_snapshot!(rendered(&plan));
}

#[test]
fn lock_table_to_create_is_noted_only_with_changes() {
    let stack = stack(SHOP);
    let lock = crate::plan::LockStatus {
        table: "stackctl-locks".to_string(),
        exists: false,
        generation: None,
    };
    let mut unchanged = plan(&stack, &applied(&stack));
    unchanged.lock = Some(lock.clone());
    assert!(!text(&unchanged, false, Intent::PLAN).contains("stackctl-locks"));
    let mut changed = plan(&stack, &LiveState::default());
    changed.lock = Some(lock);
    assert!(text(&changed, false, Intent::PLAN).ends_with(
        "Note: apply first creates the DynamoDB table stackctl-locks for its locks (once per account and region).\n"
    ));
}

/// The repository's own stack files: applied, each plans no changes (defaults never show up
/// as diffs), and from nothing, each plans only creates.
#[test]
fn every_example_stack_applied_plans_no_changes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in [
        "stack.toml",
        "examples/rest-api.toml",
        "examples/analytics-tables.toml",
    ] {
        let stack = crate::stack::load(&root.join(file), None).unwrap();
        let region = stack
            .region
            .clone()
            .unwrap_or_else(|| super::REGION.to_string());
        let hashes = super::code_hashes(&stack);
        let plan = crate::plan::build(&stack, &applied(&stack), &hashes, &region);
        assert_eq!(actions(&plan), vec![], "{file}");
        let plan = crate::plan::build(&stack, &LiveState::default(), &hashes, &region);
        assert!(
            plan.changes
                .iter()
                .all(|c| c.action == crate::plan::Action::Create),
            "{file}"
        );
    }
}

#[test]
fn destroy_deletes_everything_the_stack_owns_and_says_why_only_where_data_is_lost() {
    let stack = stack(SHOP);
    let plan = crate::plan::build_destroy(&stack, &applied(&stack), super::REGION);

    assert!(!plan.changes.is_empty());
    for change in &plan.changes {
        assert_eq!(
            change.action,
            crate::plan::Action::Delete,
            "{}",
            change.address
        );
        let reason = change
            .destroys_data
            .then_some("the table and its items are deleted");
        assert_eq!(change.reason.as_deref(), reason, "{}", change.address);
    }
    let tables = plan.changes.iter().filter(|c| c.destroys_data).count();
    assert_eq!(tables, 2, "both tables, and their items, go");
    let blocked: Vec<String> = plan
        .blockers
        .iter()
        .map(|b| b.address.to_string())
        .collect();
    assert_eq!(blocked, ["table.orders"], "deletion protection still holds");
}
