//! DynamoDB tables: every setting, in-place changes, index changes one at a time, and data that
//! is never lost by accident.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::support::output::assert_output_snapshot;
use crate::support::proxy::ProxyConfig;
use crate::support::{Project, create_table, run_alone};

const FULL: &str = r#"
[stack]
name = "shop"

[tables.orders]
partition_key = { name = "pk", type = "string" }
sort_key = { name = "sk", type = "string" }
billing = "provisioned"
read_capacity = 5
write_capacity = 5
ttl_attribute = "expires_at"
stream = "new-and-old-images"
point_in_time_recovery = true
deletion_protection = false
tags = { team = "core" }

[[tables.orders.global_indexes]]
name = "by-customer"
partition_key = { name = "customer", type = "string" }
sort_key = { name = "created", type = "number" }
projection = ["total", "status"]
read_capacity = 3
write_capacity = 2

[[tables.orders.local_indexes]]
name = "by-status"
sort_key = { name = "status", type = "string" }
projection = "keys-only"
"#;

fn put_order(project: &Project, id: &str) {
    project.put_item(
        "shop-orders",
        [
            ("pk", AttributeValue::S(id.into())),
            ("sk", AttributeValue::S("order".into())),
            ("customer", AttributeValue::S("ada".into())),
            ("created", AttributeValue::N("1".into())),
            ("status", AttributeValue::S("new".into())),
        ],
    );
}

fn item_count(project: &Project) -> i32 {
    project
        .block_on(project.dynamodb().scan().table_name("shop-orders").send())
        .unwrap()
        .count()
}

#[test]
fn every_setting_is_created_as_declared() {
    let project = Project::new(FULL);
    project.apply_converges();
    let ddb = project.dynamodb();
    let described = project
        .block_on(ddb.describe_table().table_name("shop-orders").send())
        .unwrap();
    let table = described.table().unwrap();
    assert_eq!(
        table
            .provisioned_throughput()
            .unwrap()
            .read_capacity_units(),
        Some(5)
    );
    let gsi = &table.global_secondary_indexes()[0];
    assert_eq!(gsi.index_name(), Some("by-customer"));
    assert_eq!(
        gsi.projection().unwrap().non_key_attributes(),
        ["total", "status"]
    );
    assert_eq!(
        gsi.provisioned_throughput().unwrap().read_capacity_units(),
        Some(3)
    );
    assert_eq!(
        gsi.provisioned_throughput().unwrap().write_capacity_units(),
        Some(2)
    );
    let lsi = &table.local_secondary_indexes()[0];
    assert_eq!(lsi.index_name(), Some("by-status"));
    assert_eq!(lsi.key_schema()[1].attribute_name(), "status");
    let stream = table.stream_specification().unwrap();
    assert!(stream.stream_enabled());
    assert_eq!(
        stream.stream_view_type().unwrap().as_str(),
        "NEW_AND_OLD_IMAGES"
    );
    let mut attributes: Vec<(&str, &str)> = table
        .attribute_definitions()
        .iter()
        .map(|a| (a.attribute_name(), a.attribute_type().as_str()))
        .collect();
    attributes.sort();
    assert_eq!(
        attributes,
        [
            ("created", "N"),
            ("customer", "S"),
            ("pk", "S"),
            ("sk", "S"),
            ("status", "S")
        ],
        "attribute definitions come from the keys, once each"
    );
    let ttl = project
        .block_on(ddb.describe_time_to_live().table_name("shop-orders").send())
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("expires_at"));
    assert_eq!(ttl.time_to_live_status().unwrap().as_str(), "ENABLED");
    assert_eq!(project.pitr_status("shop-orders"), "ENABLED");
}

#[test]
fn each_setting_changes_in_place_and_converges() {
    let project = Project::new(FULL);
    project.apply_converges();
    put_order(&project, "order#1");
    // A stream's view type changes by turning it off and on again; moto 5.2.5 cannot turn a
    // stream on again once it was on, so the view-type change is left to AWS itself.
    let steps: [(&str, &str, &str, &[&str]); 7] = [
        (
            "table capacity",
            "read_capacity = 5\n",
            "read_capacity = 10\n",
            &["read_capacity"],
        ),
        (
            "index capacity",
            "read_capacity = 3",
            "read_capacity = 4",
            &["global_index.by-customer"],
        ),
        (
            "ttl",
            "ttl_attribute = \"expires_at\"",
            "ttl_attribute = \"ttl\"",
            &["ttl_attribute"],
        ),
        (
            "pitr",
            "point_in_time_recovery = true",
            "point_in_time_recovery = false",
            &["point_in_time_recovery"],
        ),
        (
            "protection",
            "deletion_protection = false",
            "deletion_protection = true",
            &["deletion_protection"],
        ),
        (
            "tags",
            "tags = { team = \"core\" }",
            "tags = { team = \"orders\", cost = \"42\" }",
            &["tags"],
        ),
        (
            "stream off",
            "stream = \"new-and-old-images\"\n",
            "",
            &["stream"],
        ),
    ];
    let mut stack = FULL.to_string();
    for (what, from, to, expected) in steps {
        assert!(stack.contains(from), "{what}: {from:?} not in the stack");
        stack = stack.replacen(from, to, 1);
        project.set_stack(&stack);
        let (action, changed) = project.planned("table.orders");
        assert_eq!(action, "update", "{what}");
        assert_eq!(changed, expected, "{what}");
        project.apply_converges();
    }
    assert_eq!(item_count(&project), 1, "the items are still there");
}

#[test]
fn a_stream_is_turned_on_in_place() {
    let without = FULL.replace("stream = \"new-and-old-images\"\n", "");
    let project = Project::new(&without);
    project.apply_converges();
    project.set_stack(FULL);
    let (action, changed) = project.planned("table.orders");
    assert_eq!(
        (action.as_str(), changed.as_slice()),
        ("update", ["stream".to_string()].as_slice())
    );
    project.apply_converges();
}

#[test]
fn switching_billing_mode_with_indexes_converges() {
    let project = Project::new(FULL);
    project.apply_converges();
    let on_demand = FULL
        .replace(
            "billing = \"provisioned\"\nread_capacity = 5\nwrite_capacity = 5\n",
            "",
        )
        .replace("read_capacity = 3\nwrite_capacity = 2\n", "");
    project.set_stack(&on_demand);
    let (action, changed) = project.planned("table.orders");
    assert_eq!(action, "update");
    assert_eq!(
        changed,
        [
            "billing",
            "global_index.by-customer",
            "read_capacity",
            "write_capacity"
        ]
    );
    project.apply_converges();
    project.set_stack(FULL);
    project.apply_converges();
}

#[test]
fn several_index_changes_run_one_at_a_time() {
    let project = Project::new(FULL);
    project.apply_converges();
    put_order(&project, "order#1");
    let two_more = format!(
        "{FULL}\n[[tables.orders.global_indexes]]\nname = \"by-state\"\npartition_key = {{ name = \"status\", type = \"string\" }}\n\n[[tables.orders.global_indexes]]\nname = \"by-total\"\npartition_key = {{ name = \"total\", type = \"number\" }}\nprojection = \"keys-only\"\n"
    );
    project.set_stack(&two_more);
    let plan = project.run(&["plan"]);
    plan.success();
    assert_output_snapshot!("two_index_creations_plan", &plan.stdout);
    let apply = project.run(&["apply", "--yes"]);
    apply.success().stdout_has(&[
        "table.orders: index by-state: creating",
        "table.orders: index by-total: creating",
    ]);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    let described = project
        .block_on(
            project
                .dynamodb()
                .describe_table()
                .table_name("shop-orders")
                .send(),
        )
        .unwrap();
    let mut names: Vec<&str> = described
        .table()
        .unwrap()
        .global_secondary_indexes()
        .iter()
        .filter_map(|i| i.index_name())
        .collect();
    names.sort();
    assert_eq!(names, ["by-customer", "by-state", "by-total"]);
    assert_eq!(item_count(&project), 1);
}

#[test]
fn an_index_key_change_rebuilds_the_index_not_the_table() {
    let project = Project::new(FULL);
    project.apply_converges();
    put_order(&project, "order#1");
    project.set_stack(&FULL.replace(
        "sort_key = { name = \"created\", type = \"number\" }\nprojection",
        "sort_key = { name = \"status\", type = \"string\" }\nprojection",
    ));
    let plan = project.run(&["plan"]);
    plan.success();
    assert_output_snapshot!("index_key_change_plan", &plan.stdout);
    project.apply_converges();
    assert_eq!(item_count(&project), 1, "the table kept its items");
}

#[test]
fn a_local_index_change_replaces_the_table_only_when_allowed() {
    let project = Project::new(FULL);
    project.apply_converges();
    put_order(&project, "order#1");
    project.set_stack(&FULL.replace("projection = \"keys-only\"", "projection = \"all\""));
    let plan = project.run(&["plan"]);
    assert_output_snapshot!("local_index_change_plan", &plan.stdout);
    let refused = project.run(&["apply", "--yes"]);
    refused.code(1);
    refused.stderr_has(&["this plan deletes the data of table.orders"]);
    assert_eq!(item_count(&project), 1, "refused before any change");
    project
        .run(&["apply", "--yes", "--allow-data-loss"])
        .success();
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert_eq!(item_count(&project), 0, "replaced");
}

/// Every combination of settings plans clean after apply: defaults never show up as diffs.
#[test]
fn defaults_never_show_up_as_diffs() {
    let stack = r#"
[stack]
name = "combo"

[tables.minimal]
partition_key = { name = "id", type = "string" }

[tables.numbers]
partition_key = { name = "n", type = "number" }
sort_key = { name = "b", type = "binary" }
deletion_protection = false
point_in_time_recovery = false

[tables.provisioned]
partition_key = { name = "id", type = "string" }
billing = "provisioned"
read_capacity = 1
write_capacity = 1

[[tables.provisioned.global_indexes]]
name = "by-x"
partition_key = { name = "x", type = "string" }

[tables.streams]
partition_key = { name = "id", type = "string" }
stream = "old-image"
table_class = "standard"
ttl_attribute = "gone"

[tables.indexed]
partition_key = { name = "pk", type = "string" }
sort_key = { name = "sk", type = "number" }

[[tables.indexed.global_indexes]]
name = "keys"
partition_key = { name = "sk", type = "number" }
projection = "keys-only"

[[tables.indexed.local_indexes]]
name = "local"
sort_key = { name = "other", type = "string" }
"#;
    let project = Project::new(stack);
    project.apply_converges();
}

#[test]
fn a_table_owned_by_another_stack_is_named_in_the_error() {
    let project = Project::new(FULL);
    // Stack "shop-orders" with table "x" and stack "shop" with table "orders-x" both want
    // the physical name shop-orders-x.
    let theirs = tempfile::tempdir().unwrap();
    std::fs::write(
        theirs.path().join("stack.toml"),
        "[stack]\nname = \"shop-orders\"\n\n[tables.x]\npartition_key = { name = \"id\", type = \"string\" }\n",
    )
    .unwrap();
    crate::support::stackctl(
        theirs.path(),
        Some(&project.moto.endpoint),
        &["apply", "--yes"],
    )
    .success();
    project.set_stack("[stack]\nname = \"shop\"\n\n[tables.orders-x]\npartition_key = { name = \"id\", type = \"string\" }\n");
    let plan = project.run(&["plan"]);
    plan.code(1);
    assert_output_snapshot!("owned_by_another_stack_plan", &plan.stdout);
}

const RACE: &str = r#"
[stack]
name = "race"

[tables.orders]
partition_key = { name = "pk", type = "string" }
ttl_attribute = "expires_at"
point_in_time_recovery = true
"#;

/// Another team's table `race-orders` (another key), tagged for `owner` when given.
fn foreign_table(endpoint: &str, owner: Option<&str>) {
    run_alone(create_table(endpoint, "race-orders", "id", owner));
}

/// Creates the foreign table just before stackctl's CreateTable of race-orders (not the lock
/// table's): as if another team made it while apply waited for its confirmation.
fn untagged_first(endpoint: &str, body: &[u8]) -> bool {
    let ours = String::from_utf8_lossy(body).contains("\"race-orders\"");
    if ours {
        foreign_table(endpoint, None);
    }
    ours
}

fn tagged_first(endpoint: &str, body: &[u8]) -> bool {
    let ours = String::from_utf8_lossy(body).contains("\"race-orders\"");
    if ours {
        foreign_table(endpoint, Some("other"));
    }
    ours
}

/// The foreign table's TTL and point-in-time recovery are as its owner left them: off.
#[track_caller]
fn untouched(project: &Project) {
    let ttl = project
        .block_on(
            project
                .dynamodb()
                .describe_time_to_live()
                .table_name("race-orders")
                .send(),
        )
        .unwrap();
    assert_ne!(
        ttl.time_to_live_description()
            .and_then(|d| d.time_to_live_status())
            .map(|s| s.as_str()),
        Some("ENABLED")
    );
    assert_ne!(project.pitr_status("race-orders"), "ENABLED");
}

#[test]
fn a_table_made_by_someone_else_while_apply_waits_is_left_untouched() {
    for (before, owner) in [
        (untagged_first as fn(&str, &[u8]) -> bool, "untagged"),
        (tagged_first, "tagged"),
    ] {
        let project =
            Project::new(RACE).through_proxy(ProxyConfig::before("dynamodb:CreateTable", before));
        project.run(&["plan"]).code(0);
        let apply = project.run(&["apply", "--yes"]);
        apply.code(1).stdout_lacks(&["Apply complete"]);
        assert_output_snapshot!(format!("taken_while_apply_waits_{owner}"), &apply.stderr);
        untouched(&project);
    }
}

#[test]
fn a_saved_plan_whose_table_name_was_taken_since_is_refused_naming_the_owner() {
    let project = Project::new(RACE);
    project.run(&["plan", "--out", "plan.json"]).code(0);
    foreign_table(&project.moto.endpoint, None);
    let apply = project.run(&["apply", "plan.json"]);
    apply.code(1);
    assert_output_snapshot!("taken_since_the_plan", &apply.stderr);
    untouched(&project);
}

const INDEXED: &str = r#"
[stack]
name = "shop"

[tables.users]
partition_key = { name = "id", type = "string" }
deletion_protection = false

[[tables.users.global_indexes]]
name = "by-email"
partition_key = { name = "email", type = "string" }

[[tables.users.global_indexes]]
name = "by-status"
partition_key = { name = "status", type = "string" }
"#;

/// What each UpdateTable an apply sent does, in order: `delete by-email`, `create by-email
/// (capacity)`, `billing PROVISIONED (by-status)`.
fn update_table_requests(project: &Project) -> Vec<String> {
    let proxy = project.proxy.as_ref().expect("a proxy");
    let requests = proxy.stats.bodies("dynamodb:UpdateTable");
    proxy.stats.reset();
    requests
        .iter()
        .map(|body| {
            let updates = body["GlobalSecondaryIndexUpdates"].as_array();
            let mut indexes = updates.into_iter().flatten().map(|u| {
                let (verb, action) = u.as_object().unwrap().iter().next().unwrap();
                let capacity = if action["ProvisionedThroughput"].is_object() {
                    " (capacity)"
                } else {
                    ""
                };
                let name = action["IndexName"].as_str().unwrap();
                (verb.to_lowercase(), format!("{name}{capacity}"))
            });
            match body["BillingMode"].as_str() {
                Some(mode) => format!(
                    "billing {mode} ({})",
                    indexes.map(|(_, n)| n).collect::<Vec<_>>().join(", ")
                ),
                None => {
                    let (verb, name) = indexes.next().expect("an index update");
                    format!("{verb} {name}")
                }
            }
        })
        .collect()
}

#[test]
fn an_index_goes_before_a_switch_to_provisioned_that_would_need_its_capacity() {
    let project = Project::new(INDEXED).through_proxy(Default::default());
    project.apply_converges();
    let provisioned = INDEXED.replace(
        "deletion_protection = false\n",
        "deletion_protection = false\nbilling = \"provisioned\"\nread_capacity = 5\nwrite_capacity = 5\n",
    );
    let without_email = provisioned.replace(
        "[[tables.users.global_indexes]]\nname = \"by-email\"\npartition_key = { name = \"email\", type = \"string\" }\n",
        "",
    );
    update_table_requests(&project);

    // AWS refuses a switch to provisioned without the capacity of every index that exists.
    project.set_stack(&without_email);
    project.apply_converges();
    assert_eq!(
        update_table_requests(&project),
        [
            "delete by-email",
            "billing PROVISIONED (by-status (capacity))"
        ]
    );

    // Back on demand, an index is created without capacity, after the switch.
    project.set_stack(INDEXED);
    project.apply_converges();
    assert_eq!(
        update_table_requests(&project),
        ["billing PAY_PER_REQUEST ()", "create by-email"]
    );

    // A projection change rebuilds the index: deleted first, created on the new billing mode.
    let rebuilt = provisioned.replace(
        "partition_key = { name = \"email\", type = \"string\" }\n",
        "partition_key = { name = \"email\", type = \"string\" }\nprojection = \"keys-only\"\n",
    );
    project.set_stack(&rebuilt);
    project.apply_converges();
    assert_eq!(
        update_table_requests(&project),
        [
            "delete by-email",
            "billing PROVISIONED (by-status (capacity))",
            "create by-email (capacity)"
        ]
    );
}

/// A plan takes a table's time to live and point-in-time recovery from the record apply left
/// on it (`stackctl:ttl-pitr`) instead of two reads per table; `--refresh-only` and
/// `apply --refresh` read them, so a change made by hand is seen and undone there. A record
/// that does not match the table's fingerprint is not trusted.
#[test]
fn settings_are_read_only_where_the_record_cannot_tell() {
    let project = Project::new(FULL).through_proxy(ProxyConfig::immediate());
    let proxy = project.proxy.as_ref().unwrap();
    project.apply_converges();
    let ddb = project.dynamodb();
    let arn = project
        .block_on(ddb.describe_table().table_name("shop-orders").send())
        .unwrap()
        .table()
        .unwrap()
        .table_arn()
        .unwrap()
        .to_string();
    let record = || {
        let tags = project
            .block_on(ddb.list_tags_of_resource().resource_arn(&arn).send())
            .unwrap();
        let tag = tags.tags().iter().find(|t| t.key() == "stackctl:ttl-pitr");
        tag.map(|t| t.value().to_string())
    };
    let recorded = record().expect("the settings record");
    assert!(recorded.ends_with(".on.expires_at"), "{recorded}");
    let settings_reads = |args: &[&str], code: i32| {
        proxy.stats.reset();
        project.run(args).code(code);
        let counts = proxy.stats.counts();
        let count = |op: &str| counts.get(op).copied().unwrap_or(0);
        (
            count("dynamodb:DescribeTable"),
            count("dynamodb:DescribeTimeToLive"),
            count("dynamodb:DescribeContinuousBackups"),
        )
    };
    let plan = ["plan", "--detailed-exitcode"];
    let refresh = ["plan", "--refresh-only", "--detailed-exitcode"];
    assert_eq!(settings_reads(&plan, 0), (1, 0, 0));
    assert_eq!(settings_reads(&refresh, 0), (1, 1, 1));

    // Turned off by hand: the trusting plan does not see it, --refresh-only does.
    let ttl = aws_sdk_dynamodb::types::TimeToLiveSpecification::builder()
        .attribute_name("expires_at")
        .enabled(false)
        .build()
        .unwrap();
    let off = ddb.update_time_to_live().table_name("shop-orders");
    project
        .block_on(off.time_to_live_specification(ttl).send())
        .unwrap();
    assert_eq!(settings_reads(&plan, 0), (1, 0, 0));
    assert_eq!(settings_reads(&refresh, 2), (1, 1, 1));
    project
        .run(&["plan", "--refresh-only"])
        .stdout_has(&["ttl_attribute: (none) (live); the stack file says \"expires_at\""]);
    project.run(&["apply", "--refresh", "--yes"]).success();
    assert_eq!(record().as_deref(), Some(recorded.as_str()));
    assert_eq!(settings_reads(&refresh, 0), (1, 1, 1));

    // A record another fingerprint wrote (an apply that did not keep it): read, not trusted.
    let stale = aws_sdk_dynamodb::types::Tag::builder()
        .key("stackctl:ttl-pitr")
        .value("1.00000000.off")
        .build()
        .unwrap();
    let tag = ddb.tag_resource().resource_arn(&arn).tags(stale);
    project.block_on(tag.send()).unwrap();
    assert_eq!(settings_reads(&plan, 0), (1, 1, 1));
}
