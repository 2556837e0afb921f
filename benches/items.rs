//! The `items put` benchmark: 10,000 items from a JSON Lines file through a proxy that adds
//! 30 ms to every request (and enforces AWS's quotas), against one PutItem per item in
//! sequence, as a shell loop over the AWS CLI sends them (without the CLI's own start-up
//! time, which would only add to it). The sequential baseline is measured on a sample of 200
//! PutItems and extrapolated to 10,000 (the loop's time is linear in the count).
//!
//! `cargo bench --bench items` (a release build), or with `STACKCTL_BIN=path/to/stackctl`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::fmt::Write;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use support::Project;
use support::proxy::ProxyConfig;

const ITEMS: usize = 10_000;
const SAMPLE: usize = 200;

const STACK: &str = r#"
[stack]
name = "bench"

[tables.orders]
partition_key = { name = "pk", type = "string" }
sort_key = { name = "sk", type = "string" }
deletion_protection = false

[tables.orders.items]
pk = { type = "string", pattern = "^ORDER#[0-9]+$" }
sk = { type = "string" }
customer = { type = "string", required = true }
total = { type = "number", min = 0 }
status = { type = "string", enum = ["new", "paid"], default = "new" }
updated_at = { type = "timestamp", auto = "update" }
"#;

fn main() {
    let project = Project::new(STACK).through_proxy(ProxyConfig {
        latency: Duration::from_millis(30),
        ..ProxyConfig::default()
    });
    project.run(&["apply", "--yes"]).success();
    let mut file = String::new();
    for i in 0..ITEMS {
        let _ = writeln!(
            file,
            r#"{{"pk": "ORDER#{}", "sk": "v{}", "customer": "c{}", "total": {i}}}"#,
            i / 10,
            i % 10,
            i % 50
        );
    }
    project.write("orders.jsonl", &file);

    let start = Instant::now();
    let run = project.run(&["items", "put", "orders", "--items", "orders.jsonl"]);
    let put = start.elapsed();
    run.success();
    print!("{}", run.stdout);

    let client = aws_sdk_dynamodb::Client::new(
        &project.block_on(support::sdk_config_at(project.endpoint())),
    );
    let start = Instant::now();
    for i in 0..SAMPLE {
        let request = client
            .put_item()
            .table_name("bench-orders")
            .item("pk", AttributeValue::S(format!("ORDER#{}", 100_000 + i)))
            .item("sk", AttributeValue::S("v0".into()))
            .item("customer", AttributeValue::S("c".into()))
            .item("total", AttributeValue::N(i.to_string()));
        project.block_on(request.send()).expect("PutItem");
    }
    let sample = start.elapsed();
    let sequential = sample.mul_f64(ITEMS as f64 / SAMPLE as f64);
    println!("| step | items | wall time |");
    println!("| --- | --- | --- |");
    println!(
        "| stackctl items put (BatchWriteItem, 8 in flight) | {ITEMS} | {:.1} s |",
        put.as_secs_f64()
    );
    println!(
        "| one PutItem per item in sequence (measured on {SAMPLE}, extrapolated) | {ITEMS} | {:.1} s |",
        sequential.as_secs_f64()
    );
    println!(
        "items put is {:.0}x faster",
        sequential.as_secs_f64() / put.as_secs_f64()
    );
}
