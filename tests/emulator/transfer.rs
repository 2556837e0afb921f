//! export-table, exports and import-table: table data to S3 and back through the real binary.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};

use crate::support::output::assert_output_snapshot;
use crate::support::proxy::ProxyConfig;
use crate::support::{Project, Run, strings};

const BUCKET: &str = "exports";

/// `{name}` is the stack's name: the same file under two names is two stacks.
fn stack(name: &str) -> String {
    format!(
        r#"
[stack]
name = "{name}"

[tables.orders]
partition_key = {{ name = "pk", type = "string" }}
sort_key = {{ name = "sk", type = "number" }}
ttl_attribute = "expires_at"
stream = "new-image"
point_in_time_recovery = true
deletion_protection = false
tags = {{ team = "core" }}

[[tables.orders.global_indexes]]
name = "by-customer"
partition_key = {{ name = "customer", type = "string" }}
"#
    )
}

type Item = BTreeMap<String, AttributeValue>;

fn put_items(project: &Project, table: &str, count: usize) {
    for i in 0..count {
        let mut request = project
            .dynamodb()
            .put_item()
            .table_name(table)
            .item("pk", AttributeValue::S(format!("order-{i}")))
            .item("sk", AttributeValue::N(i.to_string()))
            .item("customer", AttributeValue::S(format!("c{}", i % 3)))
            .item("paid", AttributeValue::Bool(i % 2 == 0))
            .item(
                "lines",
                AttributeValue::L(vec![
                    AttributeValue::S("apple".into()),
                    AttributeValue::N("1.5".into()),
                ]),
            );
        if i % 4 == 0 {
            request = request.item("note", AttributeValue::S(format!("note {i}")));
        }
        project.block_on(request.send()).unwrap();
    }
}

fn items(project: &Project, table: &str) -> Vec<Item> {
    let out = project
        .block_on(project.dynamodb().scan().table_name(table).send())
        .unwrap();
    let mut items: Vec<Item> = out
        .items()
        .iter()
        .map(|i| i.clone().into_iter().collect())
        .collect();
    items.sort_by_key(|i| format!("{:?}", i.get("pk")));
    items
}

fn create_bucket(project: &Project, name: &str, region: Option<&str>) {
    let mut request = project.s3().create_bucket().bucket(name);
    if let Some(region) = region {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    project.block_on(request.send()).unwrap();
}

fn put_object(project: &Project, key: &str, body: &str) {
    project
        .block_on(
            project
                .s3()
                .put_object()
                .bucket(BUCKET)
                .key(key)
                .body(ByteStream::from(body.as_bytes().to_vec()))
                .send(),
        )
        .unwrap();
}

/// Runs `args` (which must fail before any request of `kind`: `Export`, `Import`), and gives
/// the command with what it said on standard error.
#[track_caller]
fn refused(project: &Project, args: &[&str], kind: &str) -> String {
    let (run, requests) = project.requests(args);
    run.code(1);
    assert!(!requests.iter().any(|r| r.contains(kind)), "{requests:?}");
    shown(args, &run)
}

/// The command, then its standard error: one entry of a snapshot of several refusals.
fn shown(args: &[&str], run: &Run) -> String {
    format!("$ stackctl {}\n{}", args.join(" "), run.stderr)
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn table_tags(project: &Project, table: &str) -> BTreeMap<String, String> {
    let ddb = project.dynamodb();
    let described = project
        .block_on(ddb.describe_table().table_name(table).send())
        .unwrap();
    let arn = described.table().unwrap().table_arn().unwrap().to_string();
    let tags = project
        .block_on(ddb.list_tags_of_resource().resource_arn(arn).send())
        .unwrap();
    tags.tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

/// Stack "shop" applied, `count` items in its table, and bucket exports.
fn shop_with_items(count: usize) -> Project {
    let project = Project::new(&stack("shop"));
    project.apply_converges();
    put_items(&project, "shop-orders", count);
    create_bucket(&project, BUCKET, None);
    project
}

#[test]
fn export_then_import_into_a_fresh_stack_gives_every_item_back() {
    let project = shop_with_items(25);

    let export = export_json(&project, &[]);
    assert_eq!(export["status"], "COMPLETED");
    assert_eq!(export["table"], "shop-orders");
    assert_eq!(export["item_count"], 25);
    assert!(export["billed_size_bytes"].as_i64().is_some(), "{export}");
    let manifest = export["manifest"].as_str().unwrap().to_string();
    assert!(
        manifest.starts_with("s3://exports/shop-orders/AWSDynamoDB/")
            && manifest.ends_with("/manifest-summary.json"),
        "{manifest}"
    );

    // The text form says the same and how to import it.
    let run = project.run(&[
        "export-table",
        "orders",
        "--bucket",
        BUCKET,
        "--prefix",
        "text",
    ]);
    run.success();
    assert_output_snapshot!("export_complete", &run.stdout);

    // The same declaration under another stack name: a new, empty stack.
    project.set_stack(&stack("copy"));
    let (run, requests) = project.requests(&[
        "import-table",
        "orders",
        "--from",
        &manifest,
        "--output",
        "json",
    ]);
    run.success();
    assert_eq!(
        requests
            .iter()
            .filter(|r| *r == "dynamodb:ImportTable")
            .count(),
        1
    );
    let report = json(&run.stdout);
    assert_eq!(report["import"]["status"], "COMPLETED");
    assert_eq!(report["import"]["imported_items"], 25);
    assert_eq!(report["import"]["errors"], 0);
    let settings = strings(&report["settings"]);
    for setting in ["point_in_time_recovery", "stream", "ttl_attribute"] {
        assert!(settings.contains(&setting), "{settings:?}");
    }

    assert_eq!(
        items(&project, "copy-orders"),
        items(&project, "shop-orders")
    );
    assert_eq!(items(&project, "copy-orders").len(), 25);
    let tags = table_tags(&project, "copy-orders");
    assert_eq!(tags.get("stackctl:stack").map(String::as_str), Some("copy"));
    assert_eq!(tags.get("team").map(String::as_str), Some("core"));
    assert_eq!(project.pitr_status("copy-orders"), "ENABLED");
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn incremental_exports_and_the_export_list() {
    let project = shop_with_items(3);

    project
        .run(&["export-table", "orders", "--bucket", BUCKET])
        .success();
    let export = export_json(
        &project,
        &["--incremental", "--from", "2026-01-01T00:00:00Z"],
    );
    assert_eq!(export["type"], "INCREMENTAL_EXPORT");
    assert_eq!(export["status"], "COMPLETED");

    let run = project.run(&["exports", "orders", "--output", "json"]);
    run.success();
    let list = json(&run.stdout);
    let kinds: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 2, "{list}");
    assert!(kinds.contains(&"FULL_EXPORT") && kinds.contains(&"INCREMENTAL_EXPORT"));
    for export in list.as_array().unwrap() {
        assert_eq!(export["status"], "COMPLETED");
        assert_eq!(export["location"], "s3://exports/shop-orders");
    }
    let run = project.run(&["exports", "orders"]);
    run.success().stdout_has(&[
        "STATUS",
        "EXPORT ARN",
        "COMPLETED",
        "s3://exports/shop-orders",
    ]);

    // --from without --incremental is a usage error.
    project
        .run(&["export-table", "orders", "--bucket", BUCKET, "--from", "0"])
        .code(1);
}

#[test]
fn export_refuses_before_starting_without_pitr_or_bucket() {
    let project = Project::new(&stack("shop").replace("point_in_time_recovery = true", ""));
    project.apply_converges();
    create_bucket(&project, BUCKET, None);

    let mut refusals = refused(
        &project,
        &["export-table", "orders", "--bucket", BUCKET],
        "Export",
    );

    project.set_stack(&stack("shop"));
    project.apply_converges();
    refusals += &refused(
        &project,
        &["export-table", "orders", "--bucket", "no-such"],
        "Export",
    );

    create_bucket(&project, "west", Some("us-west-2"));
    refusals += &refused(
        &project,
        &["export-table", "orders", "--bucket", "west"],
        "Export",
    );
    refusals += &refused(
        &project,
        &["export-table", "order", "--bucket", BUCKET],
        "Export",
    );
    assert_output_snapshot!("export_refusals", refusals);
}

#[test]
fn import_refuses_an_existing_table_and_local_indexes() {
    let project = Project::new(&stack("shop"));
    project.apply_converges();
    create_bucket(&project, BUCKET, None);

    let import = ["import-table", "orders", "--from", "s3://exports/any"];
    let mut refusals = refused(&project, &import, "Import");

    project.set_stack(&format!(
        "{}\n[[tables.orders.local_indexes]]\nname = \"by-paid\"\nsort_key = {{ name = \"paid\", type = \"string\" }}\n",
        stack("other")
    ));
    let run = project.run(&import);
    run.code(1);
    refusals += &shown(&import, &run);

    project.set_stack(&stack("other"));
    let nothing = ["import-table", "orders", "--from", "s3://exports/nothing"];
    let run = project.run(&nothing);
    run.code(1);
    refusals += &shown(&nothing, &run);
    assert_output_snapshot!("import_refusals", refusals);
}

fn through_proxy(project: Project) -> Project {
    project.through_proxy(ProxyConfig::immediate())
}

/// `export-table orders --bucket exports` with `args`, which succeeds: the JSON report.
fn export_json(project: &Project, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["export-table", "orders", "--bucket", BUCKET];
    all.extend(args);
    all.extend(["--output", "json"]);
    let run = project.run(&all);
    run.success();
    json(&run.stdout)
}

/// Starts importing s3://exports/seed/ into table `orders` without waiting: the JSON report.
fn start_import(project: &Project) -> serde_json::Value {
    let run = project.run(&[
        "import-table",
        "orders",
        "--from",
        "s3://exports/seed",
        "--no-wait",
        "--output",
        "json",
    ]);
    run.success();
    json(&run.stdout)
}

/// Four items under s3://exports/seed/.
fn put_seed(project: &Project) {
    let lines: String = (0..4)
        .map(|i| {
            format!(
                "{{\"Item\": {{\"pk\": {{\"S\": \"o{i}\"}}, \"sk\": {{\"N\": \"{i}\"}}, \"customer\": {{\"S\": \"c\"}}}}}}\n"
            )
        })
        .collect();
    put_object(project, "seed/orders.json", &lines);
}

#[test]
fn import_plain_files_without_waiting_then_resume() {
    // The proxy returns the import's ClientToken, as DynamoDB does and moto does not: resume
    // knows the import by it.
    let project = through_proxy(Project::new(&stack("shop")));
    create_bucket(&project, BUCKET, None);
    put_seed(&project);

    let started = start_import(&project);
    let arn = started["import"]["arn"].as_str().unwrap().to_string();
    assert_eq!(started["import"]["source"], "s3://exports/seed/");
    // Not the stack's until it is finished.
    assert!(!table_tags(&project, "shop-orders").contains_key("stackctl:stack"));

    let run = project.run(&["import-table", "orders", "--resume", &arn]);
    run.success()
        .stdout_has(&["4 processed, 4 imported, 0 errors"]);
    assert_eq!(items(&project, "shop-orders").len(), 4);
    project.run(&["plan", "--detailed-exitcode"]).code(0);

    // Resuming again is harmless; an ARN for another table is refused.
    project
        .run(&["import-table", "orders", "--resume", &arn])
        .success();
    project.set_stack(&stack("other"));
    let run = project.run(&["import-table", "orders", "--resume", &arn]);
    run.code(1)
        .stderr_has(&["loads table shop-orders, not other-orders"]);
}

#[test]
fn a_failed_import_exits_non_zero_with_the_reason() {
    let project = Project::new(&stack("shop"));
    create_bucket(&project, BUCKET, None);
    // The second item has no sort key.
    let lines = "{\"Item\": {\"pk\": {\"S\": \"a\"}, \"sk\": {\"N\": \"1\"}}}\n{\"Item\": {\"pk\": {\"S\": \"b\"}}}\n";
    put_object(&project, "bad/items.json", lines);

    let run = project.run(&["import-table", "orders", "--from", "s3://exports/bad/"]);
    run.code(1).stderr_has(&["ended FAILED: "]);
    // The table is not adopted: nothing was tagged as the stack's.
    assert!(!table_tags(&project, "shop-orders").contains_key("stackctl:stack"));
}

/// Stack "shop-a" (table "orders") and stack "shop" (table "a-orders") both name the table
/// shop-a-orders: neither may finish the other's import.
#[test]
fn resume_refuses_an_import_or_a_table_of_another_stack() {
    let theirs = stack("shop-a");
    let ours = stack("shop")
        .replace("[tables.orders]", "[tables.a-orders]")
        .replace(
            "[[tables.orders.global_indexes]]",
            "[[tables.a-orders.global_indexes]]",
        );
    let project = through_proxy(Project::new(&theirs));
    create_bucket(&project, BUCKET, None);
    put_seed(&project);
    let arn = start_import(&project)["import"]["arn"]
        .as_str()
        .unwrap()
        .to_string();

    // Their import, untagged: not ours to finish.
    project.set_stack(&ours);
    let run = project.run(&["import-table", "a-orders", "--resume", &arn]);
    run.code(1).stderr_has(&[
        "was not started by stackctl for stack shop, and table",
        "import-table left it untouched",
    ]);
    assert!(!table_tags(&project, "shop-a-orders").contains_key("stackctl:stack"));
    assert_ne!(project.pitr_status("shop-a-orders"), "ENABLED");

    // Finished by its own stack, the table is theirs: still not ours.
    project.set_stack(&theirs);
    project
        .run(&["import-table", "orders", "--resume", &arn])
        .success();
    project.set_stack(&ours);
    let run = project.run(&["import-table", "a-orders", "--resume", &arn]);
    run.code(1)
        .stderr_has(&["table shop-a-orders is managed by stack \"shop-a\""]);
    assert_eq!(
        table_tags(&project, "shop-a-orders")["stackctl:stack"],
        "shop-a"
    );
}
