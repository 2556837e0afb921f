//! Issue 21: capacity auto scaling of tables and indexes, and `stackctl status` on metrics
//! the tests seed with PutMetricData (moto emits none of its own).

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};

use crate::support::{Project, assert_has, change, on_a_terminal};

const SCALED: &str = r#"
[stack]
name = "shop"

[tables.orders]
partition_key = { name = "pk", type = "string" }
billing = "provisioned"
read_capacity = { min = 5, max = 50, target = 70 }
write_capacity = { min = 5, max = 20, target = 60, scale_in_cooldown = 60, scale_out_cooldown = 30 }
deletion_protection = false

[[tables.orders.global_indexes]]
name = "by-customer"
partition_key = { name = "customer", type = "string" }
"#;

impl Project {
    fn autoscaling(&self) -> aws_sdk_applicationautoscaling::Client {
        aws_sdk_applicationautoscaling::Client::new(&self.sdk_config())
    }

    /// `(resource, dimension, min, max)` of every DynamoDB scalable target, sorted.
    fn targets(&self) -> Vec<(String, String, i32, i32)> {
        let request = self.autoscaling().describe_scalable_targets();
        let request = request.service_namespace(ServiceNamespace::Dynamodb);
        let out = self.block_on(request.send()).unwrap();
        let targets = out.scalable_targets().iter();
        let mut all: Vec<_> = targets
            .map(|t| {
                let dimension = t.scalable_dimension().as_str().to_string();
                let (min, max) = (t.min_capacity(), t.max_capacity());
                (t.resource_id().to_string(), dimension, min, max)
            })
            .collect();
        all.sort();
        all
    }

    /// `(resource, policy name, target)` of every DynamoDB scaling policy, sorted.
    fn policies(&self) -> Vec<(String, String, f64)> {
        let request = self.autoscaling().describe_scaling_policies();
        let request = request.service_namespace(ServiceNamespace::Dynamodb);
        let out = self.block_on(request.send()).unwrap();
        let policies = out.scaling_policies().iter();
        let mut all: Vec<_> = policies
            .map(|p| {
                let config = p.target_tracking_scaling_policy_configuration();
                let target = config.map_or(0.0, |c| c.target_value());
                (
                    p.resource_id().to_string(),
                    p.policy_name().to_string(),
                    target,
                )
            })
            .collect();
        all.sort_by(|a, b| a.partial_cmp(b).unwrap());
        all
    }

    /// Sets the table's read capacity by hand, as auto scaling (or a person) would.
    fn set_read_capacity(&self, units: i64) {
        let throughput = aws_sdk_dynamodb::types::ProvisionedThroughput::builder()
            .read_capacity_units(units)
            .write_capacity_units(5)
            .build()
            .unwrap();
        self.block_on(
            self.dynamodb()
                .update_table()
                .table_name("shop-orders")
                .provisioned_throughput(throughput)
                .send(),
        )
        .unwrap();
    }
}

#[test]
fn autoscaling_is_applied_kept_inside_its_range_and_removed() {
    let project = Project::new(SCALED);
    project.apply_converges();
    let t = |r: &str, d: &str, min, max| (r.to_string(), d.to_string(), min, max);
    assert_eq!(
        project.targets(),
        vec![
            t(
                "table/shop-orders",
                "dynamodb:table:ReadCapacityUnits",
                5,
                50
            ),
            t(
                "table/shop-orders",
                "dynamodb:table:WriteCapacityUnits",
                5,
                20
            ),
            // The index takes the table's capacity and auto scaling.
            t(
                "table/shop-orders/index/by-customer",
                "dynamodb:index:ReadCapacityUnits",
                5,
                50
            ),
            t(
                "table/shop-orders/index/by-customer",
                "dynamodb:index:WriteCapacityUnits",
                5,
                20
            ),
        ]
    );
    let p = |r: &str, name: &str, target| (r.to_string(), name.to_string(), target);
    assert_eq!(
        project.policies(),
        vec![
            p("table/shop-orders", "stackctl-read-utilization", 70.0),
            p("table/shop-orders", "stackctl-write-utilization", 60.0),
            p(
                "table/shop-orders/index/by-customer",
                "stackctl-read-utilization",
                70.0
            ),
            p(
                "table/shop-orders/index/by-customer",
                "stackctl-write-utilization",
                60.0
            ),
        ]
    );

    // Anywhere inside [min, max] is what auto scaling may set: no change, no drift.
    project.set_read_capacity(37);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    project
        .run(&["plan", "--refresh-only", "--detailed-exitcode"])
        .code(0);

    // Outside it is a change back to the nearest bound.
    project.set_read_capacity(80);
    let plan = project.plan_json(&[]);
    let orders = change(&plan, "table.orders");
    assert_eq!(orders["action"], "update", "{orders:#}");
    let changed = orders["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{orders:#}");
    assert_eq!(changed[0]["name"], "read_capacity");
    assert_eq!(changed[0]["before"], 80);
    assert_eq!(changed[0]["after"], 50);
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.success();
    let scaling: Vec<&String> = requests
        .iter()
        .filter(|r| r.starts_with("application auto scaling"))
        .collect();
    // Targets and policies are read (one listing each), and none is written again.
    assert_eq!(
        scaling,
        [
            "application auto scaling:DescribeScalableTargets",
            "application auto scaling:DescribeScalingPolicies",
        ],
        "{requests:?}"
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);

    // A fixed number instead, and a new target: in place; the read targets go.
    project.set_stack(
        &SCALED
            .replace("{ min = 5, max = 50, target = 70 }", "10")
            .replace("target = 60,", "target = 50,"),
    );
    let plan = project.run(&["plan"]);
    assert_has(
        &plan.stdout,
        &[
            "~ table.orders (shop-orders) will be updated in place",
            "read_autoscaling",
        ],
    );
    project.apply_converges();
    let targets = project.targets();
    assert_eq!(targets.len(), 2, "{targets:?}");
    assert!(targets.iter().all(|t| t.1.ends_with("WriteCapacityUnits")));
    // (moto keeps a deregistered target's policies; AWS deletes them with it.)
    let policies = project.policies();
    let write: Vec<f64> = policies
        .iter()
        .filter(|p| p.1 == "stackctl-write-utilization")
        .map(|p| p.2)
        .collect();
    assert_eq!(write, [50.0, 50.0], "{policies:?}");

    // The table's delete takes its scalable targets with it.
    project
        .run(&["destroy", "--yes", "--allow-data-loss"])
        .success();
    assert_eq!(project.targets(), vec![]);
}

/// `(scale-in, scale-out)` cooldowns of stackctl's write policy on the table.
fn write_cooldowns(project: &Project) -> (Option<i32>, Option<i32>) {
    let out = project
        .block_on(
            project
                .autoscaling()
                .describe_scaling_policies()
                .service_namespace(ServiceNamespace::Dynamodb)
                .resource_id("table/shop-orders")
                .send(),
        )
        .unwrap();
    let policy = out
        .scaling_policies()
        .iter()
        .find(|p| p.policy_name() == "stackctl-write-utilization")
        .and_then(|p| p.target_tracking_scaling_policy_configuration())
        .unwrap();
    (policy.scale_in_cooldown(), policy.scale_out_cooldown())
}

#[test]
fn saved_plans_drift_and_cooldowns_hold_while_auto_scaling_moves_capacity() {
    let project = Project::new(SCALED);
    project.apply_converges();

    // A saved plan still holds when auto scaling moved the capacity inside [min, max]...
    let tagged = SCALED.replace(
        "deletion_protection = false",
        "deletion_protection = false\ntags = { team = \"shop\" }",
    );
    project.set_stack(&tagged);
    project.run(&["plan", "--out", "plan.json"]).success();
    project.set_read_capacity(37);
    project.run(&["apply", "plan.json"]).success();
    // ...and not when it was moved outside.
    let retagged = tagged.replace("\"shop\" }", "\"store\" }");
    project.set_stack(&retagged);
    project.run(&["plan", "--out", "plan.json"]).success();
    project.set_read_capacity(80);
    let stale = project.run(&["apply", "plan.json"]);
    stale.code(1);
    assert_has(
        &stale.stderr,
        &["table.orders changed since the plan was made (read_capacity)"],
    );
    project.apply_converges();

    // A scalable target deregistered by hand is drift, next to other drift on the table.
    project
        .block_on(
            project
                .autoscaling()
                .deregister_scalable_target()
                .service_namespace(ServiceNamespace::Dynamodb)
                .resource_id("table/shop-orders")
                .scalable_dimension(ScalableDimension::DynamoDbTableReadCapacityUnits)
                .send(),
        )
        .unwrap();
    project.set_pitr("shop-orders", true);
    project
        .run(&["plan", "--refresh-only", "--detailed-exitcode"])
        .code(2);
    let plan = project.plan_json(&["--refresh-only"]);
    assert_eq!(
        plan["drift"],
        serde_json::json!([{
            "address": "table.orders",
            "attributes": ["point_in_time_recovery", "read_autoscaling"],
        }])
    );
    project.apply_converges();
    assert_eq!(project.targets().len(), 4);

    // Cooldowns left out of the file are AWS's default, 0: removing them is a change the plan
    // shows (not drift) and the apply makes; a later change finds no drift.
    assert_eq!(write_cooldowns(&project), (Some(60), Some(30)));
    let plain = retagged.replace(", scale_in_cooldown = 60, scale_out_cooldown = 30", "");
    project.set_stack(&plain);
    let plan = project.plan_json(&[]);
    let orders = change(&plan, "table.orders");
    let names: Vec<&str> = orders["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["global_index.by-customer", "write_autoscaling"],
        "{orders:#}"
    );
    assert!(plan.get("drift").is_none(), "{plan:#}");
    project.apply_converges();
    assert_eq!(write_cooldowns(&project), (Some(0), Some(0)));
    project.set_stack(&plain.replace("target = 60", "target = 50"));
    let plan = project.plan_json(&[]);
    assert!(plan.get("drift").is_none(), "{plan:#}");
    project.apply_converges();
}

const WATCHED: &str = r#"
[stack]
name = "shop"

[tables.orders]
partition_key = { name = "pk", type = "string" }
billing = "provisioned"
read_capacity = { min = 5, max = 50, target = 70 }
write_capacity = 5
deletion_protection = false

[functions.get-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "get-order"
reserved_concurrency = 10

[api]
type = "http"

[routes]
"GET /orders/{id}" = "get-order"
"#;

/// One datapoint to seed: namespace, metric, dimensions, value, minutes ago.
type Datum<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], f64, u64);

/// Seeds datapoints with PutMetricData, each `minutes ago` back from now.
fn seed(project: &Project, points: &[Datum<'_>]) {
    let client = aws_sdk_cloudwatch::Client::new(&project.sdk_config());
    let now = std::time::SystemTime::now();
    for (namespace, metric, dims, value, minutes_ago) in points {
        let dimensions = dims
            .iter()
            .map(|(n, v)| Dimension::builder().name(*n).value(*v).build())
            .collect();
        let datum = MetricDatum::builder()
            .metric_name(*metric)
            .set_dimensions(Some(dimensions))
            .value(*value)
            .timestamp((now - std::time::Duration::from_secs(minutes_ago * 60)).into())
            .build();
        project
            .block_on(
                client
                    .put_metric_data()
                    .namespace(*namespace)
                    .metric_data(datum)
                    .send(),
            )
            .unwrap();
    }
}

fn api_id(project: &Project) -> String {
    project.http_apis()[0].api_id().unwrap().to_string()
}

#[test]
fn status_shows_every_resource_s_metrics_in_text_json_and_on_a_terminal() {
    let project = Project::new(WATCHED);
    project.apply_converges();
    let table = [("TableName", "shop-orders")];
    let get = [("TableName", "shop-orders"), ("Operation", "GetItem")];
    let function = [("FunctionName", "shop-get-order")];
    let id = api_id(&project);
    let stage = [("ApiId", id.as_str()), ("Stage", "$default")];
    seed(
        &project,
        &[
            (
                "AWS/DynamoDB",
                "ConsumedReadCapacityUnits",
                &table,
                600.0,
                12,
            ),
            (
                "AWS/DynamoDB",
                "ConsumedReadCapacityUnits",
                &table,
                1500.0,
                2,
            ),
            ("AWS/DynamoDB", "ReadThrottleEvents", &table, 3.0, 2),
            ("AWS/DynamoDB", "SuccessfulRequestLatency", &get, 4.0, 2),
            ("AWS/DynamoDB", "SuccessfulRequestLatency", &get, 8.0, 2),
            ("AWS/Lambda", "Invocations", &function, 100.0, 7),
            ("AWS/Lambda", "Errors", &function, 5.0, 7),
            ("AWS/Lambda", "Duration", &function, 120.0, 7),
            ("AWS/Lambda", "Duration", &function, 10.0, 17),
            ("AWS/Lambda", "Duration", &function, 20.0, 17),
            ("AWS/Lambda", "Duration", &function, 30.0, 17),
            ("AWS/Lambda", "ConcurrentExecutions", &function, 4.0, 7),
            ("AWS/ApiGateway", "Count", &stage, 100.0, 7),
            ("AWS/ApiGateway", "5xx", &stage, 2.0, 7),
            ("AWS/ApiGateway", "Latency", &stage, 50.0, 7),
            ("AWS/ApiGateway", "Latency", &stage, 150.0, 7),
            ("AWS/ApiGateway", "Latency", &stage, 10.0, 17),
        ],
    );
    let (run, requests) = project.requests(&["status", "--since", "30m", "--period", "5m"]);
    run.success();
    let reads: Vec<&String> = requests
        .iter()
        .filter(|r| r.contains("GetMetricData"))
        .collect();
    assert_eq!(
        reads,
        ["cloudwatch:GetMetricData"],
        "one request for the stack"
    );
    // Labels are as wide as the longest, "integration latency".
    let line = |label: &str, summary: &str| format!("  {label:<19}  {summary}\n");
    assert_has(
        &run.stdout,
        &[
            "table orders (shop-orders): provisioned 5 read / 5 write, read scales 5..50 at target 70%, items 0, 0 bytes, PITR off\n",
            &line("consumed read", "avg 3.50/s  max 5/s  (100% of 5)  (!)"),
            &line("throttled", "total 3  (!)"),
            // Averages are totals over sample counts, maxima the largest Maximum.
            &line("latency", "avg 6 ms  max 8 ms"),
            &line("duration avg", "avg 45 ms  max 120 ms"),
            &line("latency", "avg 70 ms  max 150 ms"),
            &line("integration latency", "no data"),
            "function get-order (shop-get-order): reserved concurrency 10\n",
            &line("errors", "total 5  rate 5.00%  (!)"),
            &line("concurrent", "max 4  of 10 reserved"),
            "api stage $default (shop): HTTP API, id ",
            &line("5xx", "total 2  (2.00%)  (!)"),
        ],
    );
    assert!(!run.stdout.contains('\u{1b}'), "no escape codes in a pipe");

    let json = project.run(&["status", "--since", "30m", "--output", "json"]);
    json.success();
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["period_seconds"], 300);
    let read = &report["tables"][0]["metrics"][0];
    assert_eq!(read["name"], "consumed read");
    assert_eq!(read["values"], serde_json::json!([2.0, 5.0]));
    assert_eq!(read["timestamps"].as_array().unwrap().len(), 2);
    assert_eq!(read["warning"], true);
    assert_eq!(
        report["functions"][0]["metrics"][1]["values"],
        serde_json::json!([5.0])
    );

    let screen = on_a_terminal(&project, &["status", "--since", "30m"]);
    // A sparkline per metric on the window's time axis (one cell a period, `·` where there is
    // no datapoint), and red where a threshold is crossed.
    assert_has(
        &screen,
        &[
            "  consumed read        ···▄·█  \u{1b}[31mavg 3.50/s  max 5/s  (100% of 5)\u{1b}[0m",
            "  throttled            ·····█  \u{1b}[31mtotal 3\u{1b}[0m",
            "  concurrent           ····█·  max 4  of 10 reserved",
        ],
    );
    // 300 periods fit an 80-column terminal (a pseudo-terminal of unknown size counts 80).
    let screen = on_a_terminal(&project, &["status", "--since", "5h", "--period", "1m"]);
    let wide: Vec<&str> = screen
        .lines()
        .filter(|l| l.starts_with("  "))
        .filter(|l| {
            l.replace("\u{1b}[31m", "")
                .replace("\u{1b}[0m", "")
                .trim_end()
                .chars()
                .count()
                > 80
        })
        .collect();
    assert!(wide.is_empty(), "{screen}");
    assert_has(&screen, &["  consumed read        ·"]);
}

#[test]
fn status_flags_are_checked_before_any_request() {
    let project = Project::new(WATCHED);
    let bad = project.run(&["status", "--period", "90s"]);
    bad.code(1);
    assert_has(
        &bad.stderr,
        &["'90s' is not a whole number of minutes: use 1m, 5m or 1h"],
    );
    let bad = project.run(&["status", "--since", "soon"]);
    bad.code(1);
    assert_has(&bad.stderr, &["'soon' is not a duration"]);
    for short in ["500ms", "1ns", "59s"] {
        let bad = project.run(&["status", "--since", short]);
        bad.code(1);
        assert_has(
            &bad.stderr,
            &[&format!(
                "'{short}' is out of range: use at least 1m and at most 15d"
            )],
        );
    }
    let bad = project.run(&["status", "--since", "30m", "--period", "1h"]);
    bad.code(1);
    assert_has(
        &bad.stderr,
        &["--period 1h is longer than --since 30m: use a period of at most the window"],
    );
    let bad = project.run(&["status", "--since", "15d", "--period", "16d"]);
    bad.code(1);
    assert_has(
        &bad.stderr,
        &["--period 16days is longer than --since 15days"],
    );
}
