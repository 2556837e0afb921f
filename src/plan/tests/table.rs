//! Tables: each attribute changed in the stack file, and changed outside stackctl. Table class
//! and stream view types cannot be shown on the emulator (moto never reports the class and
//! cannot turn a stream on again), so these are their only tests.

use super::{actions, change, file_changes, live_changes};
use crate::plan::Action;

const KEYS: &str = r#"
[tables.orders]
partition_key = { name = "pk", type = "string" }
sort_key = { name = "sk", type = "string" }
"#;

/// `orders` with `extra` lines in its table.
fn orders(extra: &str) -> String {
    format!("{KEYS}{extra}\n")
}

const PROVISIONED: &str = "billing = \"provisioned\"\nread_capacity = 5\nwrite_capacity = 5";

const INDEX: &str = r#"
[[tables.orders.global_indexes]]
name = "by-customer"
partition_key = { name = "customer", type = "string" }
"#;

const LOCAL_INDEX: &str = r#"
[[tables.orders.local_indexes]]
name = "by-status"
sort_key = { name = "status", type = "string" }
"#;

fn update_of_orders(plan: &crate::plan::Plan) {
    assert_eq!(
        actions(plan),
        vec![("table.orders".to_string(), Action::Update)]
    );
    assert!(!change(plan, "table.orders").destroys_data);
}

file_changes! {
    table_created:
        "" => &orders("ttl_attribute = \"expires_at\"\nstream = \"keys-only\"");
    table_class_to_infrequent_access:
        &orders("") => &orders("table_class = \"standard-infrequent-access\""),
        |plan| { update_of_orders(plan); };
    table_class_back_to_standard:
        &orders("table_class = \"standard-infrequent-access\"") => &orders(""),
        |plan| { update_of_orders(plan); };
    stream_turned_on:
        &orders("") => &orders("stream = \"new-and-old-images\""),
        |plan| { update_of_orders(plan); };
    stream_view_type_changed:
        &orders("stream = \"keys-only\"") => &orders("stream = \"new-image\""),
        |plan| { update_of_orders(plan); };
    stream_turned_off:
        &orders("stream = \"old-image\"") => &orders(""),
        |plan| { update_of_orders(plan); };
    billing_to_provisioned:
        &orders("") => &orders(PROVISIONED),
        |plan| { update_of_orders(plan); };
    billing_to_on_demand:
        &orders(PROVISIONED) => &orders(""),
        |plan| { update_of_orders(plan); };
    capacity_changed:
        &orders(PROVISIONED) => &orders("billing = \"provisioned\"\nread_capacity = 10\nwrite_capacity = 5"),
        |plan| { update_of_orders(plan); };
    ttl_turned_on:
        &orders("") => &orders("ttl_attribute = \"expires_at\""),
        |plan| { assert!(change(plan, "table.orders").notes.is_empty()); };
    ttl_attribute_renamed_warns_of_the_hourly_limit:
        &orders("ttl_attribute = \"expires_at\"") => &orders("ttl_attribute = \"valid_until\""),
        |plan| { assert_eq!(change(plan, "table.orders").notes.len(), 1); };
    point_in_time_recovery_on:
        &orders("") => &orders("point_in_time_recovery = true"),
        |plan| { update_of_orders(plan); };
    deletion_protection_off:
        &orders("") => &orders("deletion_protection = false"),
        |plan| { update_of_orders(plan); };
    tags_changed:
        &orders("tags = { team = \"core\", env = \"dev\" }") => &orders("tags = { team = \"payments\" }"),
        |plan| { update_of_orders(plan); };
    global_index_added:
        &orders("") => &format!("{}{INDEX}", orders("")),
        |plan| { update_of_orders(plan); };
    global_index_removed:
        &format!("{}{INDEX}", orders("")) => &orders(""),
        |plan| { update_of_orders(plan); };
    global_index_key_change_rebuilds_it:
        &format!("{}{INDEX}", orders("")) => &format!("{}{}", orders(""), INDEX.replace("\"customer\"", "\"customer_id\"")),
        |plan| { update_of_orders(plan); };
    global_index_projection_change_rebuilds_it:
        &format!("{}{INDEX}", orders("")) => &format!("{}{INDEX}projection = \"keys-only\"\n", orders("")),
        |plan| { update_of_orders(plan); };
    two_index_steps_run_one_at_a_time:
        &format!("{}{INDEX}", orders("")) => &format!("{}{}", orders(""), INDEX.replace("by-customer", "by-day")),
        |plan| { assert_eq!(change(plan, "table.orders").notes.len(), 1); };
    sort_key_change_replaces_the_table_with_data_loss:
        &orders("deletion_protection = false") => &orders("deletion_protection = false").replace("\"sk\", type = \"string\"", "\"created\", type = \"number\""),
        |plan| {
            let c = change(plan, "table.orders");
            assert_eq!(c.action, Action::Replace);
            assert!(c.destroys_data && plan.blockers.is_empty());
        };
    partition_key_change_of_a_protected_table_is_blocked:
        &orders("") => &orders("").replace("\"pk\"", "\"id\""),
        |plan| {
            assert_eq!(change(plan, "table.orders").action, Action::Replace);
            assert_eq!(plan.blockers.len(), 1);
        };
    local_index_change_replaces_the_table:
        &format!("{}{LOCAL_INDEX}", orders("deletion_protection = false")) => &format!("{}{}", orders("deletion_protection = false"), LOCAL_INDEX.replace("\"status\"", "\"state\"")),
        |plan| { assert_eq!(change(plan, "table.orders").action, Action::Replace); };
}

live_changes! {
    table_class_changed_outside_stackctl:
        &orders(""),
        |live| live.tables.get_mut("shop-orders").unwrap().table_class = crate::stack::TableClass::StandardInfrequentAccess,
        |plan| { assert_eq!(plan.drift[0].attributes, vec!["table_class".to_string()]); };
    stream_view_type_changed_outside_stackctl:
        &orders("stream = \"new-image\""),
        |live| live.tables.get_mut("shop-orders").unwrap().stream = Some(crate::stack::StreamView::KeysOnly),
        |plan| { assert_eq!(plan.drift[0].attributes, vec!["stream".to_string()]); };
    undeclared_table_is_deleted_with_its_data:
        &orders(""),
        |live| {
            let mut old = live.tables["shop-orders"].clone();
            old.name = "shop-archive".to_string();
            old.deletion_protection = false;
            live.tables.insert(old.name.clone(), old);
        },
        |plan| {
            let c = change(plan, "table.archive");
            assert_eq!(c.action, Action::Delete);
            assert!(c.destroys_data && plan.blockers.is_empty());
        };
    undeclared_protected_table_is_blocked:
        &orders(""),
        |live| {
            let mut old = live.tables["shop-orders"].clone();
            old.name = "shop-archive".to_string();
            live.tables.insert(old.name.clone(), old);
        },
        |plan| { assert_eq!(plan.blockers[0].address.to_string(), "table.archive"); };
    table_name_taken_by_another_stack_is_blocked:
        &orders(""),
        |live| {
            live.tables.clear();
            live.conflicts.push(crate::live::Conflict {
                kind: "table".to_string(),
                name: "shop-orders".to_string(),
                owner: Some("billing".to_string()),
                note: None,
            });
        },
        |plan| {
            assert_eq!(actions(plan), vec![]);
            assert_eq!(plan.blockers.len(), 1);
        };
}
