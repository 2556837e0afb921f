//! CloudWatch metrics of a stack's resources, read with GetMetricData: up to 500 queries a
//! request, so a whole stack takes one or two. Source:
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html>.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use aws_smithy_types::DateTime;

use crate::aws::{AwsError, CallResult, Clients, invalid_request};

/// Queries in one GetMetricData request (its limit).
const QUERIES_PER_REQUEST: usize = 500;

/// One metric statistic to read: `namespace`/`metric` with exactly these dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricQuery {
    pub namespace: &'static str,
    pub metric: &'static str,
    pub dimensions: Vec<(&'static str, String)>,
    /// `Sum`, `Average`, `Maximum`, `SampleCount` (percentiles are left out: see README).
    pub stat: &'static str,
}

/// A metric's datapoints, oldest first: seconds since the epoch and values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub timestamps: Vec<i64>,
    pub values: Vec<f64>,
}

/// The time window read: `[end - since, end]`, in `period` buckets.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub end: SystemTime,
    pub since: Duration,
    pub period: Duration,
}

impl Window {
    pub fn start(&self) -> SystemTime {
        self.end - self.since
    }
}

/// Reads every query over `window`, in requests of at most 500 queries (and their pages), one
/// request at a time; the answer has one series per query, in the queries' order (empty
/// where CloudWatch has no datapoints).
///
/// # Errors
/// A failed `cloudwatch:GetMetricData` (access denied names the permission).
pub async fn read(
    clients: &Clients,
    queries: &[MetricQuery],
    window: Window,
) -> Result<Vec<Series>, AwsError> {
    let op = "cloudwatch:GetMetricData";
    let period = i32::try_from(window.period.as_secs()).map_err(|e| invalid_request(op, e))?;
    let mut found: BTreeMap<usize, Series> = BTreeMap::new();
    for (chunk_index, chunk) in queries.chunks(QUERIES_PER_REQUEST).enumerate() {
        let offset = chunk_index * QUERIES_PER_REQUEST;
        let built: Vec<MetricDataQuery> = chunk
            .iter()
            .enumerate()
            .map(|(i, q)| build(q, offset + i, period))
            .collect();
        let mut next = None;
        loop {
            let page = clients
                .cloudwatch
                .get_metric_data()
                .set_metric_data_queries(Some(built.clone()))
                .start_time(DateTime::from(window.start()))
                .end_time(DateTime::from(window.end))
                .scan_by(ScanBy::TimestampAscending)
                .set_next_token(next)
                .send()
                .await
                .op(op)?;
            for result in page.metric_data_results() {
                let Some(index) = result.id().and_then(index_of) else {
                    continue;
                };
                let series = found.entry(index).or_default();
                series
                    .timestamps
                    .extend(result.timestamps().iter().map(DateTime::secs));
                series.values.extend_from_slice(result.values());
            }
            next = page.next_token().map(str::to_string);
            if next.is_none() {
                break;
            }
        }
    }
    Ok((0..queries.len())
        .map(|i| sorted(found.remove(&i).unwrap_or_default()))
        .collect())
}

fn build(q: &MetricQuery, index: usize, period: i32) -> MetricDataQuery {
    let dimensions = q
        .dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(*name).value(value).build())
        .collect();
    let metric = Metric::builder()
        .namespace(q.namespace)
        .metric_name(q.metric)
        .set_dimensions(Some(dimensions))
        .build();
    let stat = MetricStat::builder()
        .metric(metric)
        .period(period)
        .stat(q.stat)
        .build();
    MetricDataQuery::builder()
        .id(format!("m{index}"))
        .metric_stat(stat)
        .return_data(true)
        .build()
}

/// The query index an ID (`m12`) names.
fn index_of(id: &str) -> Option<usize> {
    id.strip_prefix('m')?.parse().ok()
}

/// Oldest first, whatever order the pages came in.
fn sorted(series: Series) -> Series {
    let mut points: Vec<(i64, f64)> = series.timestamps.into_iter().zip(series.values).collect();
    points.sort_by_key(|(t, _)| *t);
    Series {
        timestamps: points.iter().map(|(t, _)| *t).collect(),
        values: points.iter().map(|(_, v)| *v).collect(),
    }
}
