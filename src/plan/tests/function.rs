//! Functions and their managed roles: each setting changed in the stack file or outside
//! stackctl, secrets, role switches. Architecture cannot be shown on the emulator (moto's
//! UpdateFunctionCode ignores `Architectures`).

use std::collections::BTreeMap;

use super::{actions, change, file_changes, live_changes, rendered};
use crate::plan::Action;

const BASE: &str = r#"
[functions.get-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "examples/functions/get-order"
"#;

/// `get-order` with `extra` lines in its table.
fn get_order(extra: &str) -> String {
    format!("{BASE}{extra}\n")
}

const SHARED_ROLE: &str = "role = \"arn:aws:iam::123456789012:role/shared\"";

fn update_of_get_order(plan: &crate::plan::Plan) {
    assert_eq!(
        actions(plan),
        vec![("function.get-order".to_string(), Action::Update)]
    );
}

/// Neither value of a secret appears anywhere in what the user sees.
fn hides(plan: &crate::plan::Plan, secrets: &[&str]) {
    let shown = rendered(plan);
    for secret in secrets {
        assert!(!shown.contains(secret), "{secret} is shown");
    }
}

file_changes! {
    function_created_with_its_managed_role:
        "" => &get_order("tables = { orders = \"read\" }\n[tables.orders]\npartition_key = { name = \"pk\", type = \"string\" }"),
        |plan| {
            // The table's ARN is known before apply (the account is), so neither the role's
            // policy nor the function waits for CreateTable.
            assert_eq!(
                change(plan, "function.get-order").depends_on.iter().map(ToString::to_string).collect::<Vec<_>>(),
                vec!["role.get-order"]
            );
            assert!(change(plan, "role.get-order").depends_on.is_empty());
        };
    runtime_changed:
        &get_order("") => &get_order("").replace("nodejs20.x", "nodejs22.x"),
        |plan| { update_of_get_order(plan); };
    memory_and_timeout_changed:
        &get_order("memory = 256\ntimeout = 10") => &get_order("memory = 1024\ntimeout = 30"),
        |plan| { update_of_get_order(plan); };
    architecture_to_arm64:
        &get_order("") => &get_order("architecture = \"arm64\""),
        |plan| { update_of_get_order(plan); };
    layers_changed:
        &get_order("layers = [\"arn:aws:lambda:us-east-1:123456789012:layer:shared:3\"]")
            => &get_order("layers = [\"arn:aws:lambda:us-east-1:123456789012:layer:shared:4\", \"arn:aws:lambda:us-east-1:123456789012:layer:otel:1\"]"),
        |plan| { update_of_get_order(plan); };
    secret_environment_value_changed_is_shown_sensitive:
        &get_order("environment = { MODE = \"a\", API_KEY = { secret = true, value = \"old-key-123\" } }")
            => &get_order("environment = { MODE = \"b\", API_KEY = { secret = true, value = \"new-key-456\" } }"),
        |plan| { hides(plan, &["old-key-123", "new-key-456"]); };
    variable_no_longer_secret_stays_hidden_while_live:
        &get_order("environment = { API_KEY = { secret = true, value = \"old-key-123\" } }")
            => &get_order("environment = { API_KEY = \"plain-value\" }"),
        |plan| { hides(plan, &["old-key-123"]); };
    ssm_parameter_added_is_shown_sensitive:
        &get_order("") => &get_order("environment = { STRIPE = { ssm = \"/shop/stripe\" } }"),
        |plan| { assert!(change(plan, "function.get-order").attributes.iter().any(|c| c.name == "environment")); };
    reserved_concurrency_set:
        &get_order("") => &get_order("reserved_concurrency = 10"),
        |plan| { update_of_get_order(plan); };
    reserved_concurrency_removed_means_unreserved:
        &get_order("reserved_concurrency = 10") => &get_order(""),
        |plan| { update_of_get_order(plan); };
    log_retention_set:
        &get_order("") => &get_order("log_retention_days = 14"),
        |plan| { update_of_get_order(plan); };
    log_retention_removed_is_left_as_it_is:
        &get_order("log_retention_days = 14") => &get_order(""),
        |plan| { assert_eq!(actions(plan), vec![]); };
    managed_role_to_role_arn:
        &get_order("") => &get_order(SHARED_ROLE),
        |plan| {
            assert_eq!(actions(plan), vec![
                ("function.get-order".to_string(), Action::Update),
                ("role.get-order".to_string(), Action::Delete),
            ]);
            assert_eq!(change(plan, "role.get-order").depends_on.len(), 1);
        };
    role_arn_to_managed_role:
        &get_order(SHARED_ROLE) => &get_order(""),
        |plan| {
            assert_eq!(actions(plan), vec![
                ("role.get-order".to_string(), Action::Create),
                ("function.get-order".to_string(), Action::Update),
            ]);
        };
    table_access_changes_the_role_policy:
        &get_order("tables = { orders = \"read\" }\n[tables.orders]\npartition_key = { name = \"pk\", type = \"string\" }")
            => &get_order("tables = { orders = \"write\" }\n[tables.orders]\npartition_key = { name = \"pk\", type = \"string\" }"),
        |plan| { assert_eq!(actions(plan), vec![("role.get-order".to_string(), Action::Update)]); };
    alias_pinned_to_a_version_that_cannot_exist_is_blocked:
        "" => &get_order("publish = true\naliases.stable = 7"),
        |plan| {
            assert_eq!(plan.blockers.len(), 1);
            assert_eq!(plan.blockers[0].address.to_string(), "function.get-order");
            assert!(plan.blockers[0].message.contains("pins version 7, which will not exist"));
            assert!(plan.blockers[0].help.contains("aliases.stable = 1 (the version this apply publishes)"));
        };
    alias_pinned_to_the_version_this_apply_publishes_is_planned:
        "" => &get_order("publish = true\naliases.stable = 1"),
        |plan| { assert!(plan.blockers.is_empty()); };
    managed_role_still_used_by_another_function_is_blocked:
        &format!("{}\n[functions.list]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"examples/functions/get-order\"\n{SHARED_ROLE}\n", get_order(""))
            => "[functions.list]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"examples/functions/get-order\"\nrole = \"arn:aws:iam::123456789012:role/stackctl/shop/shop-get-order\"\n",
        |plan| {
            assert_eq!(plan.blockers.len(), 1);
            assert_eq!(plan.blockers[0].address.to_string(), "role.get-order");
        };
}

live_changes! {
    alias_pinned_to_newest_plus_one_with_nothing_to_publish_is_blocked:
        &get_order("publish = true\naliases.stable = 3"),
        |live| {
            let function = live.functions.get_mut("shop-get-order").unwrap();
            function.versions = Some(crate::live::LiveVersions {
                latest: Some(2),
                latest_current: true,
                aliases: BTreeMap::from([("stable".to_string(), crate::live::LiveAlias { version: "2".to_string(), weights: BTreeMap::new() })]),
            });
        },
        |plan| {
            assert_eq!(plan.blockers.len(), 1, "{:?}", plan.blockers);
            assert!(plan.blockers[0].message.contains("pins version 3, which will not exist"));
            assert!(plan.blockers[0].message.contains("this apply publishes none"));
            assert!(plan.blockers[0].help.contains("pin a version from 1 to 2"));
        };
    code_uploaded_outside_stackctl:
        &get_order(""),
        |live| live.functions.get_mut("shop-get-order").unwrap().code_sha256 = "uploaded-by-hand".to_string(),
        |plan| { assert_eq!(plan.drift[0].attributes, vec!["code_sha256".to_string()]); };
    memory_changed_outside_stackctl:
        &get_order("memory = 256"),
        |live| live.functions.get_mut("shop-get-order").unwrap().memory = 512,
        |plan| { assert_eq!(plan.drift[0].attributes, vec!["memory".to_string()]); };
    architecture_changed_outside_stackctl:
        &get_order("architecture = \"arm64\""),
        |live| live.functions.get_mut("shop-get-order").unwrap().architecture = "x86_64".to_string(),
        |plan| { assert_eq!(plan.drift[0].attributes, vec!["architecture".to_string()]); };
    // Secrets are fingerprinted as `(sensitive)`: a change by hand is undone, but not named drift.
    secret_changed_outside_stackctl_is_updated_still_hidden:
        &get_order("environment = { API_KEY = { secret = true, value = \"key-123\" } }"),
        |live| {
            live.functions.get_mut("shop-get-order").unwrap().environment.insert("API_KEY".to_string(), "by-hand-789".to_string());
        },
        |plan| {
            update_of_get_order(plan);
            assert!(plan.drift.is_empty());
            hides(plan, &["key-123", "by-hand-789"]);
        };
    undeclared_function_and_its_role_are_deleted:
        &get_order(""),
        |live| {
            let mut old = live.functions["shop-get-order"].clone();
            old.name = "shop-old".to_string();
            old.role = super::live::role_arn("shop", "shop-old");
            old.environment.insert("TOKEN".to_string(), "never-shown".to_string());
            live.functions.insert(old.name.clone(), old);
            let mut role = live.roles["shop-get-order"].clone();
            role.name = "shop-old".to_string();
            role.arn = super::live::role_arn("shop", "shop-old");
            live.roles.insert(role.name.clone(), role);
        },
        |plan| {
            assert_eq!(actions(plan), vec![
                ("role.old".to_string(), Action::Delete),
                ("function.old".to_string(), Action::Delete),
            ]);
            assert!(plan.blockers.is_empty());
            assert_eq!(change(plan, "role.old").depends_on.iter().map(ToString::to_string).collect::<Vec<_>>(), vec!["function.old"]);
            hides(plan, &["never-shown"]);
        };
    function_missing_outside_stackctl_is_created_and_reported:
        &get_order(""),
        |live| {
            live.functions.clear();
            live.missing.push(("function".to_string(), "shop-get-order".to_string()));
        },
        |plan| { assert!(plan.drift[0].missing); };
    function_name_taken_outside_the_stack_is_blocked:
        &get_order(SHARED_ROLE),
        |live| {
            live.functions.clear();
            live.conflicts.push(crate::live::Conflict {
                kind: "function".to_string(),
                name: "shop-get-order".to_string(),
                owner: None,
                note: None,
            });
        },
        |plan| { assert_eq!(plan.blockers[0].address.to_string(), "function.get-order"); };
}

/// A new package: the code hash changes, and it is the stack's change, not drift.
#[test]
fn code_changed() {
    let stack = super::stack(&get_order(""));
    let live = super::applied(&stack);
    let mut hashes = super::code_hashes(&stack);
    hashes.insert("get-order".to_string(), "new-package-sha256".to_string());
    let plan = crate::plan::build(&stack, &live, &hashes, super::REGION);
    update_of_get_order(&plan);
    assert!(plan.drift.is_empty());
    insta::assert_snapshot!(rendered(&plan));
}
