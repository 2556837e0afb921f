//! `stackctl status`: the stack's health on one screen. Each declared table, function and
//! the API get their CloudWatch metrics over `--since` in `--period` buckets, read in one
//! GetMetricData request per 500 metrics (one or two for a whole stack); everything shown
//! is derived here from those series and a few read-only describes (`live::status`).

use std::time::{Duration, SystemTime};

use miette::Result;

use super::status_view::{self, Report, Resource};
use super::{ExitStatus, clients, interrupt, load_stack};
use crate::cli::{AwsArgs, StatusArgs};
use crate::live::metrics::{self, MetricQuery, Series, Window};
use crate::live::status::{ApiFacts, FunctionFacts, StackFacts, TableFacts};
use crate::output::{Printer, Stream, out, outln};
use crate::stack::{ApiType, Billing};

/// DynamoDB operations whose latency and system errors are read (CloudWatch keeps them per
/// operation: <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html>).
const OPERATIONS: &[&str] = &[
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
];

pub async fn run(args: &StatusArgs, aws: &AwsArgs, printer: Printer) -> Result<ExitStatus> {
    args.check().map_err(|e| miette::miette!("{e}"))?;
    let stack = load_stack(&args.file)?;
    let clients = clients(aws, &stack).await?;
    let _guard = args.watch.then(interrupt::guard);
    loop {
        let facts = crate::live::status::read(&clients, &stack).await?;
        let window = Window {
            end: SystemTime::now(),
            since: args.since,
            period: args.period,
        };
        let plan = Queries::of(&facts);
        let series = metrics::read(&clients, &plan.queries, window).await?;
        let report = plan.report(&stack.name, &clients.region, &facts, &series, window);
        show(&report, printer, args.watch);
        if !args.watch {
            return Ok(ExitStatus::Success);
        }
        tokio::select! {
            () = tokio::time::sleep(args.period) => {}
            () = interrupt::wait() => return Ok(ExitStatus::Success),
        }
    }
}

fn show(report: &Report, printer: Printer, watch: bool) {
    if printer.json() {
        let json = serde_json::to_string(report).expect("a report always serializes");
        outln!("{json}");
        return;
    }
    let terminal = printer.color(Stream::Stdout);
    if watch && printer.terminal(Stream::Stdout) {
        // Back to the top left, screen cleared: the report refreshes in place.
        out!("\x1b[H\x1b[2J");
    }
    out!("{}", status_view::text(report, terminal.then(columns)));
}

/// The terminal's width in columns: its size, else `COLUMNS`, else 80.
fn columns() -> usize {
    terminal_size::terminal_size_of(std::io::stdout())
        .map(|(w, _)| usize::from(w.0))
        .filter(|w| *w > 0)
        .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
        .unwrap_or(80)
}

/// The metric queries of the whole stack, and which belong to which resource.
struct Queries {
    queries: Vec<MetricQuery>,
}

impl Queries {
    fn of(facts: &StackFacts) -> Self {
        let mut queries = Vec::new();
        for t in facts.tables.iter().filter(|t| t.billing.is_some()) {
            queries.extend(table_queries(&t.name));
        }
        for f in facts.functions.iter().filter(|f| f.exists) {
            queries.extend(function_queries(&f.name));
        }
        for api in facts.api.iter().filter(|a| a.id.is_some()) {
            queries.extend(api_queries(api));
        }
        Queries { queries }
    }

    fn report(
        &self,
        stack: &str,
        region: &str,
        facts: &StackFacts,
        series: &[Series],
        window: Window,
    ) -> Report {
        let mut next = series.iter();
        // A resource that does not exist was asked nothing.
        let mut take = |asked: bool, n: usize| -> Vec<&Series> {
            let n = if asked { n } else { 0 };
            next.by_ref().take(n).collect()
        };
        let period = window.period.as_secs_f64();
        let tables = facts
            .tables
            .iter()
            .map(|t| {
                let got = take(t.billing.is_some(), TABLE_QUERIES);
                table_resource(t, &got, period)
            })
            .collect();
        let functions = facts
            .functions
            .iter()
            .map(|f| {
                let got = take(f.exists, FUNCTION_QUERIES);
                function_resource(f, &got)
            })
            .collect();
        let apis = facts
            .api
            .iter()
            .map(|a| {
                let got = take(a.id.is_some(), API_QUERIES);
                api_resource(a, &got)
            })
            .collect();
        Report {
            stack: stack.to_string(),
            region: region.to_string(),
            start: rfc3339(window.start()),
            end: rfc3339(window.end),
            period_seconds: window.period.as_secs(),
            window_seconds: (epoch_seconds(window.start()), epoch_seconds(window.end)),
            tables,
            functions,
            apis,
        }
    }
}

fn epoch_seconds(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

fn query(
    namespace: &'static str,
    metric: &'static str,
    dimensions: Vec<(&'static str, String)>,
    stat: &'static str,
) -> MetricQuery {
    MetricQuery {
        namespace,
        metric,
        dimensions,
        stat,
    }
}

const TABLE_QUERIES: usize = 4 + 4 * 8;

fn table_queries(name: &str) -> Vec<MetricQuery> {
    let ns = "AWS/DynamoDB";
    let table = || vec![("TableName", name.to_string())];
    let mut q = vec![
        query(ns, "ConsumedReadCapacityUnits", table(), "Sum"),
        query(ns, "ConsumedWriteCapacityUnits", table(), "Sum"),
        query(ns, "ReadThrottleEvents", table(), "Sum"),
        query(ns, "WriteThrottleEvents", table(), "Sum"),
    ];
    for op in OPERATIONS {
        let dims = || {
            let mut d = table();
            d.push(("Operation", op.to_string()));
            d
        };
        q.push(query(ns, "SystemErrors", dims(), "Sum"));
        q.extend(averaged(ns, "SuccessfulRequestLatency", dims()));
    }
    q
}

/// What an averaged metric needs: Sum and SampleCount (the window's average is their totals'
/// ratio, not the mean of the periods' averages) and Maximum.
fn averaged(
    namespace: &'static str,
    metric: &'static str,
    dimensions: Vec<(&'static str, String)>,
) -> [MetricQuery; 3] {
    ["Sum", "SampleCount", "Maximum"].map(|stat| query(namespace, metric, dimensions.clone(), stat))
}

const FUNCTION_QUERIES: usize = 7;

fn function_queries(name: &str) -> Vec<MetricQuery> {
    let ns = "AWS/Lambda";
    let f = || vec![("FunctionName", name.to_string())];
    [
        query(ns, "Invocations", f(), "Sum"),
        query(ns, "Errors", f(), "Sum"),
        query(ns, "Throttles", f(), "Sum"),
        query(ns, "ConcurrentExecutions", f(), "Maximum"),
    ]
    .into_iter()
    .chain(averaged(ns, "Duration", f()))
    .collect()
}

const API_QUERIES: usize = 9;

/// HTTP APIs report by `ApiId` with metrics `4xx`/`5xx`, REST APIs by `ApiName` with
/// `4XXError`/`5XXError` (<https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html>,
/// <https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html>).
fn api_queries(api: &ApiFacts) -> Vec<MetricQuery> {
    let ns = "AWS/ApiGateway";
    let (dims, client, server) = match api.api_type {
        ApiType::Http => (
            vec![
                ("ApiId", api.id.clone().unwrap_or_default()),
                ("Stage", api.stage.clone()),
            ],
            "4xx",
            "5xx",
        ),
        ApiType::Rest => (
            vec![("ApiName", api.name.clone()), ("Stage", api.stage.clone())],
            "4XXError",
            "5XXError",
        ),
    };
    [
        query(ns, "Count", dims.clone(), "Sum"),
        query(ns, client, dims.clone(), "Sum"),
        query(ns, server, dims.clone(), "Sum"),
    ]
    .into_iter()
    .chain(averaged(ns, "Latency", dims.clone()))
    .chain(averaged(ns, "IntegrationLatency", dims))
    .collect()
}

fn table_resource(t: &TableFacts, got: &[&Series], period: f64) -> Resource {
    let mut facts = Vec::new();
    let provisioned = match t.billing {
        None => None,
        Some(Billing::OnDemand) => {
            facts.push("on-demand".to_string());
            None
        }
        Some(Billing::Provisioned {
            read_capacity,
            write_capacity,
        }) => {
            facts.push(format!(
                "provisioned {read_capacity} read / {write_capacity} write"
            ));
            Some((read_capacity as f64, write_capacity as f64))
        }
    };
    for (dimension, scaling) in [
        ("read", &t.autoscaling.read),
        ("write", &t.autoscaling.write),
    ] {
        if let Some(s) = scaling {
            let target = s
                .policy
                .as_ref()
                .map_or("no target".to_string(), |p| format!("target {}%", p.target));
            facts.push(format!(
                "{dimension} scales {}..{} at {target}",
                s.min, s.max
            ));
        }
    }
    if let Some(items) = t.item_count {
        facts.push(format!("items {items}"));
    }
    if let Some(size) = t.size_bytes {
        facts.push(format!("{size} bytes"));
    }
    facts.push(match (t.point_in_time_recovery, t.earliest_restorable) {
        (true, Some(at)) => format!(
            "PITR on, restorable from {}",
            rfc3339(SystemTime::UNIX_EPOCH + Duration::from_secs(at.max(0) as u64))
        ),
        (true, None) => "PITR on".to_string(),
        (false, _) => "PITR off".to_string(),
    });
    let metrics = if got.len() == TABLE_QUERIES {
        status_view::table_rows(got, period, provisioned)
    } else {
        Vec::new()
    };
    Resource {
        name: t.logical.clone(),
        physical_name: t.name.clone(),
        exists: t.billing.is_some(),
        facts,
        metrics,
    }
}

fn function_resource(f: &FunctionFacts, got: &[&Series]) -> Resource {
    let facts = match f.reserved_concurrency {
        Some(n) => vec![format!("reserved concurrency {n}")],
        None => vec!["unreserved concurrency".to_string()],
    };
    Resource {
        name: f.logical.clone(),
        physical_name: f.name.clone(),
        exists: f.exists,
        facts,
        metrics: if got.is_empty() {
            Vec::new()
        } else {
            status_view::function_rows(got, f.reserved_concurrency)
        },
    }
}

fn api_resource(a: &ApiFacts, got: &[&Series]) -> Resource {
    let kind = match a.api_type {
        ApiType::Http => "HTTP API",
        ApiType::Rest => "REST API",
    };
    let mut facts = vec![kind.to_string()];
    facts.extend(a.id.as_ref().map(|id| format!("id {id}")));
    Resource {
        name: a.stage.clone(),
        physical_name: a.name.clone(),
        exists: a.id.is_some(),
        facts,
        metrics: if got.is_empty() {
            Vec::new()
        } else {
            status_view::api_rows(got)
        },
    }
}
