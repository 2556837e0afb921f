//! `stackctl items` and `import-table --validate`: a table's data checked against the stack
//! file's item schema, through the real binary.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;

use crate::support::proxy::ProxyConfig;
use crate::support::{Project, assert_has, run_alone, sdk_config_at};

fn stack(name: &str) -> String {
    format!(
        r#"
[stack]
name = "{name}"

[tables.orders]
partition_key = {{ name = "pk", type = "string" }}
sort_key = {{ name = "sk", type = "string" }}
ttl_attribute = "expires_at"
point_in_time_recovery = true
deletion_protection = false

[[tables.orders.global_indexes]]
name = "by-customer"
partition_key = {{ name = "customer", type = "string" }}
sort_key = {{ name = "total", type = "number" }}

[tables.orders.items]
strict = true
pk = {{ type = "string", pattern = "^ORDER#[0-9]+$" }}
sk = {{ type = "string" }}
customer = {{ type = "string", required = true }}
total = {{ type = "number", min = 0 }}
status = {{ type = "string", enum = ["new", "paid", "shipped"], default = "new" }}
tags = {{ type = "string-set" }}
lines = {{ type = "list", items = {{ type = "map", fields = {{ sku = {{ type = "string", required = true }}, qty = {{ type = "number", min = 1, integer = true }} }} }} }}
expires_at = {{ type = "timestamp", format = "epoch-seconds" }}
created_at = {{ type = "timestamp", auto = "create" }}
updated_at = {{ type = "timestamp", auto = "update" }}
"#
    )
}

/// Item `i`: ten sort keys per order, fifty customers; every third without a status.
fn generated(i: usize) -> serde_json::Value {
    let mut item = json!({
        "pk": format!("ORDER#{}", i / 10), "sk": format!("v{}", i % 10),
        "customer": format!("c{}", i % 50), "total": i, "tags": ["a", format!("t{}", i % 3)],
        "lines": [{"sku": format!("s{i}"), "qty": 1 + i % 4}], "expires_at": 1_900_000_000 + i,
    });
    if !i.is_multiple_of(3) {
        item["status"] = json!("paid");
    }
    item
}

fn jsonl(items: impl IntoIterator<Item = serde_json::Value>) -> String {
    items.into_iter().map(|i| format!("{i}\n")).collect()
}

/// Every item of `table`, by `pk/sk`, read through the SDK.
fn scan_all(project: &Project, table: &str) -> BTreeMap<String, BTreeMap<String, AttributeValue>> {
    let pages = project
        .dynamodb()
        .scan()
        .table_name(table)
        .into_paginator()
        .items()
        .send();
    let items: Vec<_> = project
        .block_on(pages.collect::<Result<Vec<_>, _>>())
        .unwrap();
    items
        .into_iter()
        .map(|i| {
            let key = format!("{}/{}", i["pk"].as_s().unwrap(), i["sk"].as_s().unwrap());
            (key, i.into_iter().collect())
        })
        .collect()
}

fn lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn ten_thousand_items_put_from_a_file_come_back_and_are_queried() {
    let project = Project::new(&stack("shop")).through_proxy(ProxyConfig::immediate());
    project.apply_converges();
    let proxy = project.proxy.as_ref().unwrap();

    // An invalid file: every problem with its line and path, and not one request.
    let mut bad: Vec<serde_json::Value> = (0..5).map(generated).collect();
    bad[1]["lines"][0]["qty"] = json!(-1);
    bad[3].as_object_mut().unwrap().remove("customer");
    bad[4]["pk"] = json!("ORDER#0");
    bad[4]["sk"] = json!("v0");
    // One item with three problems: each is reported (a conversion error hides none).
    bad[2]["customer"] = json!(7);
    bad[2]["total"] = json!({"$xyz": 1});
    bad[2]["lines"][0]["qty"] = json!({"$n": "1e200"});
    project.write("bad.jsonl", &(jsonl(bad) + "{not json\n"));
    proxy.stats.reset();
    let run = project.run(&["items", "put", "orders", "--items", "bad.jsonl"]);
    run.code(1);
    assert_has(
        &run.stderr,
        &[
            "bad.jsonl:2: lines[0].qty: -1 is below min 1",
            "bad.jsonl:4: customer: is required",
            "bad.jsonl:5: key pk=ORDER#0,sk=v0 is also the key of bad.jsonl:1",
            "bad.jsonl:6: not JSON: key must be a string",
            "bad.jsonl:3: customer: expected a string (a key), found a number",
            "bad.jsonl:3: total: \"$xyz\" is not an explicit form: use $ss, $ns, $bs, $b, $n",
            "bad.jsonl:3: lines[0].qty: 1e200 is outside DynamoDB's number range",
            "7 problems in 5 of 6 items for table orders (DynamoDB limit: 1, duplicate key: 1,",
            "required: 1, type: 2); nothing was written",
        ],
    );
    assert_eq!(proxy.stats.total(), 0, "{:?}", proxy.stats.counts());

    // 10,000 generated items: checked, filled in and written in batches of 25.
    project.write("orders.jsonl", &jsonl((0..10_000).map(generated)));
    proxy.stats.reset();
    let run = project.run(&["items", "put", "orders", "--items", "orders.jsonl"]);
    run.success();
    assert_has(
        &run.stdout,
        &[
            "Wrote 10000 items to shop-orders in",
            "(400 BatchWriteItem calls, 0 items retried)",
        ],
    );
    let counts = proxy.stats.counts();
    assert_eq!(
        counts.get("dynamodb:BatchWriteItem"),
        Some(&400),
        "{counts:?}"
    );
    // Creation times of items that exist are kept: read first, 100 keys a call.
    assert_eq!(
        counts.get("dynamodb:BatchGetItem"),
        Some(&100),
        "{counts:?}"
    );

    let stored = scan_all(&project, "shop-orders");
    assert_eq!(stored.len(), 10_000);
    for i in [0, 1, 4_321, 9_999] {
        let item = &stored[&format!("ORDER#{}/v{}", i / 10, i % 10)];
        assert_eq!(item["customer"], AttributeValue::S(format!("c{}", i % 50)));
        assert_eq!(item["total"], AttributeValue::N(i.to_string()));
        assert_eq!(
            item["status"],
            AttributeValue::S(if i % 3 == 0 { "new" } else { "paid" }.into())
        );
        let mut tags = item["tags"].as_ss().unwrap().clone();
        tags.sort();
        assert_eq!(tags, ["a".to_string(), format!("t{}", i % 3)]);
        assert_eq!(
            item["expires_at"],
            AttributeValue::N((1_900_000_000 + i).to_string())
        );
        assert!(
            item["created_at"].as_s().unwrap().ends_with('Z'),
            "{item:?}"
        );
    }
    let first_created = stored["ORDER#0/v0"]["created_at"].clone();

    // Put again: the creation time stays, the update time moves.
    let run = project.run(&["items", "put", "orders", &generated(0).to_string()]);
    run.success();
    let again = project
        .block_on(
            project
                .dynamodb()
                .get_item()
                .table_name("shop-orders")
                .key("pk", AttributeValue::S("ORDER#0".into()))
                .key("sk", AttributeValue::S("v0".into()))
                .send(),
        )
        .unwrap();
    assert_eq!(again.item().unwrap()["created_at"], first_created);

    // Query by key, with a sort condition, and by index; scan in segments with a filter.
    let query = |args: &[&str]| {
        let run = project.run(&[&["items", "query", "orders"], args].concat());
        run.success();
        lines(&run.stdout)
    };
    assert_eq!(query(&["--key", "pk=ORDER#7"]).len(), 10);
    let one = query(&["--key", "pk=ORDER#7", "--sort", "begins_with v3"]);
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["total"], 73);
    assert_eq!(one[0]["tags"]["$ss"].as_array().unwrap().len(), 2);
    assert_eq!(
        query(&["--key", "pk=ORDER#7", "--sort", "between v2 and v4"]).len(),
        3
    );
    let by_customer = query(&[
        "--index",
        "by-customer",
        "--key",
        "customer=c3",
        "--sort",
        "< 200",
    ]);
    let totals: Vec<&serde_json::Value> = by_customer.iter().map(|i| &i["total"]).collect();
    assert_eq!(totals, [3, 53, 103, 153]);
    assert_eq!(
        query(&[
            "--key",
            "pk=ORDER#7",
            "--filter",
            "total >= 75",
            "--limit",
            "2"
        ])
        .len(),
        2
    );

    // Flags that do not fit the stack file's declaration fail before any request.
    proxy.stats.reset();
    for (args, said) in [
        (
            vec!["--key", "pk=ORDER#7", "--index", "by-custmer"],
            "table orders has no index by-custmer",
        ),
        (
            vec![
                "--index",
                "by-customer",
                "--key",
                "customer=c3",
                "--sort",
                "begins_with 1",
            ],
            "the sort key total is a number",
        ),
        (
            vec!["--key", "id=1"],
            "--key \"id=1\" does not name a key attribute",
        ),
    ] {
        let run = project.run(&[&["items", "query", "orders"], &args[..]].concat());
        run.code(1);
        assert_has(&run.stderr, &[said]);
    }
    assert_eq!(proxy.stats.total(), 0);

    let run = project.run(&["items", "get", "orders", "--key", "pk=ORDER#7,sk=v3"]);
    run.success();
    assert_eq!(lines(&run.stdout)[0]["customer"], "c23");
    let run = project.run(&[
        "items",
        "get",
        "orders",
        "--key",
        "pk=ORDER#7,sk=v3",
        "--output",
        "table",
    ]);
    let header = run.stdout.lines().next().unwrap().to_string();
    assert!(
        header.starts_with("pk       sk  created_at"),
        "{}",
        run.stdout
    );

    project
        .run(&["items", "delete", "orders", "--key", "pk=ORDER#7,sk=v3"])
        .code(1);
    project
        .run(&[
            "items",
            "delete",
            "orders",
            "--key",
            "pk=ORDER#7,sk=v3",
            "--yes",
        ])
        .success();
    project
        .run(&["items", "get", "orders", "--key", "pk=ORDER#7,sk=v3"])
        .code(1);
}

#[test]
fn check_finds_items_that_break_the_schema_and_import_validate_refuses_them() {
    let project = Project::new(&stack("shop")).through_proxy(ProxyConfig::immediate());
    project.apply_converges();
    project.write("orders.jsonl", &jsonl((0..30).map(generated)));
    project
        .run(&["items", "put", "orders", "--items", "orders.jsonl"])
        .success();
    let run = project.run(&["items", "check", "orders"]);
    run.success();
    assert_has(
        &run.stdout,
        &["Checked 30 items of shop-orders: every one follows the schema."],
    );

    // Scan in segments: each item in one segment (moto splits them by partition key, as AWS).
    let proxy = project.proxy.as_ref().unwrap();
    proxy.stats.reset();
    let run = project.run(&[
        "items",
        "scan",
        "orders",
        "--segments",
        "4",
        "--filter",
        "total < 10",
    ]);
    run.success();
    let printed = lines(&run.stdout);
    let keys: BTreeSet<String> = printed
        .iter()
        .map(|i| format!("{}/{}", i["pk"], i["sk"]))
        .collect();
    assert_eq!((keys.len(), printed.len()), (10, 10));
    let segments: BTreeSet<(i64, i64)> = proxy
        .stats
        .bodies("dynamodb:Scan")
        .iter()
        .map(|b| {
            (
                b["Segment"].as_i64().unwrap(),
                b["TotalSegments"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(segments, BTreeSet::from([(0, 4), (1, 4), (2, 4), (3, 4)]));

    // An export of the clean table is accepted, and imported into a fresh stack.
    project
        .block_on(project.s3().create_bucket().bucket("exports").send())
        .unwrap();
    project
        .run(&["export-table", "orders", "--bucket", "exports"])
        .success();
    let copy = |project: &Project| {
        project.set_stack(&stack("copy"));
        let (run, requests) = project.requests(&[
            "import-table",
            "orders",
            "--from",
            "s3://exports/shop-orders",
            "--validate",
        ]);
        project.set_stack(&stack("shop"));
        (run, requests)
    };
    let (run, requests) = copy(&project);
    run.success();
    assert_has(&run.stdout, &["Validated 30 items in"]);
    assert!(
        requests.iter().any(|r| r == "dynamodb:ImportTable"),
        "{requests:?}"
    );

    // Items written around stackctl: check reports each, counted by rule.
    let put = |pk: &str, extra: &[(&str, AttributeValue)]| {
        let mut request = project
            .dynamodb()
            .put_item()
            .table_name("shop-orders")
            .item("pk", AttributeValue::S(pk.into()))
            .item("sk", AttributeValue::S("v0".into()));
        for (name, value) in extra {
            request = request.item(*name, value.clone());
        }
        project.block_on(request.send()).unwrap();
    };
    put(
        "ORDER#900",
        &[
            ("customer", AttributeValue::S("c".into())),
            ("total", AttributeValue::N("-5".into())),
        ],
    );
    put("order-901", &[("customer", AttributeValue::N("7".into()))]);
    put(
        "ORDER#902",
        &[
            ("customer", AttributeValue::S("c".into())),
            ("note", AttributeValue::S("x".into())),
            ("status", AttributeValue::S("lost".into())),
        ],
    );
    let run = project.run(&["items", "check", "orders", "--segments", "2"]);
    run.code(1);
    assert_has(
        &run.stdout,
        &[
            "pk=ORDER#900,sk=v0: total: -5 is below min 0",
            "pk=order-901,sk=v0: pk: \"order-901\" does not match ^ORDER#[0-9]+$",
            "pk=order-901,sk=v0: customer: expected a string, found a number",
            "pk=ORDER#902,sk=v0: status: \"lost\" is not one of \"new\", \"paid\", \"shipped\"",
            "pk=ORDER#902,sk=v0: note: is not declared in the schema (strict)",
        ],
    );

    // An export with those items is refused before any ImportTable request.
    project
        .run(&[
            "export-table",
            "orders",
            "--bucket",
            "exports",
            "--prefix",
            "broken",
        ])
        .success();
    let fresh = Project::new(&stack("copy")).through_proxy(ProxyConfig::immediate());
    drop(fresh);
    project.set_stack(&stack("again"));
    let (run, requests) = project.requests(&[
        "import-table",
        "orders",
        "--from",
        "s3://exports/broken",
        "--validate",
    ]);
    run.code(1);
    assert!(
        !requests.iter().any(|r| r == "dynamodb:ImportTable"),
        "{requests:?}"
    );
    assert_has(
        &run.stderr,
        &[
            "3 of 33 items in s3://exports/broken/",
            "break the schema of table orders",
            "ImportTable was not started",
            "total: -5 is below min 0",
        ],
    );
}

static BATCHES: AtomicUsize = AtomicUsize::new(0);

/// Deletes the table just before the fifth BatchWriteItem: that call fails.
fn delete_table_at_fifth_batch(endpoint: &str, _body: &[u8]) -> bool {
    if BATCHES.fetch_add(1, Ordering::SeqCst) < 4 {
        return false;
    }
    run_alone(async {
        let config = sdk_config_at(endpoint).await;
        aws_sdk_dynamodb::Client::new(&config)
            .delete_table()
            .table_name("shop-orders")
            .send()
            .await
            .unwrap();
    });
    true
}

#[test]
fn a_write_that_fails_midway_says_what_was_written_and_what_was_not() {
    let project = Project::new(&stack("shop")).through_proxy(ProxyConfig::before(
        "dynamodb:BatchWriteItem",
        delete_table_at_fifth_batch,
    ));
    project.apply_converges();
    project.write("orders.jsonl", &jsonl((0..1000).map(generated)));
    let run = project.run(&[
        "items",
        "put",
        "orders",
        "--items",
        "orders.jsonl",
        "--parallel",
        "1",
    ]);
    run.code(1);
    let said = run.stderr.replace('│', " ");
    let said = said.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_has(
        &said,
        &[
            "table shop-orders (table orders of the stack file) does not exist in AWS",
            "create it with stackctl apply",
            "100 of 1000 items were written to shop-orders before the error",
            "not written: 900 items (orders.jsonl:101, orders.jsonl:102,",
            "and 890 more)",
        ],
    );
    let counts = project.proxy.as_ref().unwrap().stats.counts();
    assert_eq!(counts.get("dynamodb:BatchWriteItem"), Some(&5));

    // Items and keys given wrong, before any request.
    for (args, said) in [
        (
            vec!["get", "orders", "--key", "pk=ORDER#2,sk=v0,zz=1"],
            "--key \"zz=1\" does not name a key attribute (the key attributes here: pk, sk)",
        ),
        (
            vec!["get", "ordrs", "--key", "pk=a,sk=b"],
            "did you mean orders?",
        ),
        (vec!["put", "orders"], "--items <FILE>"),
        (
            vec!["query", "orders", "--key", "pk="],
            "--key pk= has an empty value",
        ),
    ] {
        let run = project.run(&[&["items"], &args[..]].concat());
        assert_ne!(run.code, 0);
        assert_has(&run.stderr, &[said]);
    }
}
