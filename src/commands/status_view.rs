//! `status`'s rows, derived from the raw CloudWatch series, and their text: aligned columns,
//! on a terminal a sparkline per metric and colour where a threshold is crossed.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::{Duration, SystemTime};

use crate::live::metrics::Series;

/// Consumed capacity above this share of the provisioned is shown as a warning.
pub const CONSUMED_WARNING: f64 = 0.8;
/// A function error rate above this is shown as a warning.
pub const ERROR_RATE_WARNING: f64 = 0.01;

/// Everything `status` shows; `--output json` prints it as it is.
#[derive(Debug, Serialize)]
pub struct Report {
    pub stack: String,
    pub region: String,
    /// RFC 3339.
    pub start: String,
    pub end: String,
    pub period_seconds: u64,
    /// Start and end, seconds since the epoch: the time axis of the sparklines.
    #[serde(skip)]
    pub window_seconds: (i64, i64),
    pub tables: Vec<Resource>,
    pub functions: Vec<Resource>,
    pub apis: Vec<Resource>,
}

/// One table, function or API stage: what describes it, and its metrics.
#[derive(Debug, Serialize)]
pub struct Resource {
    /// The name in the stack file (the API: its stage).
    pub name: String,
    /// The name in AWS.
    pub physical_name: String,
    /// `false`: not deployed; no metrics are read.
    pub exists: bool,
    /// Facts shown next to the name (`provisioned 5 read / 5 write`, `items 12`).
    pub facts: Vec<String>,
    pub metrics: Vec<Row>,
}

/// One derived metric: its series over the window and the line that sums it up.
#[derive(Debug, Serialize)]
pub struct Row {
    pub name: &'static str,
    pub unit: &'static str,
    /// RFC 3339, oldest first.
    pub timestamps: Vec<String>,
    /// The timestamps in seconds since the epoch.
    #[serde(skip)]
    pub seconds: Vec<i64>,
    pub values: Vec<f64>,
    pub summary: String,
    /// The value crossed its threshold (throttles > 0, error rate > 1%, consumed > 80% of
    /// provisioned).
    pub warning: bool,
}

const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// A period without a datapoint.
const GAP: char = '·';

/// A derived series: timestamp (seconds) to value.
type Points = BTreeMap<i64, f64>;

fn points(s: &Series) -> Points {
    s.timestamps
        .iter()
        .copied()
        .zip(s.values.iter().copied())
        .collect()
}

/// The sum, timestamp by timestamp, of every series (a timestamp missing from one counts 0).
fn sum(all: &[&Series]) -> Points {
    let mut out = Points::new();
    for s in all {
        for (t, v) in points(s) {
            *out.entry(t).or_default() += v;
        }
    }
    out
}

fn scaled(p: Points, factor: f64) -> Points {
    p.into_iter().map(|(t, v)| (t, v * factor)).collect()
}

/// `top / bottom` where both have a datapoint and `bottom` is not 0.
fn ratio(top: &Points, bottom: &Points) -> Points {
    bottom
        .iter()
        .filter(|(_, b)| **b > 0.0)
        .map(|(t, b)| (*t, top.get(t).copied().unwrap_or(0.0) / b))
        .collect()
}

fn max(p: &Points) -> Option<f64> {
    p.values().copied().reduce(f64::max)
}

fn mean(p: &Points) -> Option<f64> {
    (!p.is_empty()).then(|| p.values().sum::<f64>() / p.len() as f64)
}

fn total(p: &Points) -> f64 {
    // An empty f64 sum is -0.0, which would print as "-0.00".
    p.values().sum::<f64>() + 0.0
}

/// A row of requests counted, summed up by their total: a warning when there are any.
fn counted(name: &'static str, p: Points) -> Row {
    let n = total(&p);
    row(name, "requests", p, format!("total {}", num(n)), n > 0.0)
}

fn row(name: &'static str, unit: &'static str, p: Points, summary: String, warning: bool) -> Row {
    let at = |t: i64| {
        humantime::format_rfc3339_seconds(
            SystemTime::UNIX_EPOCH + Duration::from_secs(t.max(0) as u64),
        )
        .to_string()
    };
    Row {
        name,
        unit,
        timestamps: p.keys().map(|t| at(*t)).collect(),
        seconds: p.keys().copied().collect(),
        values: p.values().copied().collect(),
        summary,
        warning,
    }
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.2}")
    }
}

/// Consumed read and write (per second, against provisioned), throttled requests, system
/// errors and average successful request latency. `got`: the table's queries in
/// `status::table_queries` order; `period` in seconds.
pub fn table_rows(got: &[&Series], period: f64, provisioned: Option<(f64, f64)>) -> Vec<Row> {
    let mut rows = Vec::new();
    for (i, name, capacity) in [
        (0, "consumed read", provisioned.map(|p| p.0)),
        (1, "consumed write", provisioned.map(|p| p.1)),
    ] {
        let p = scaled(sum(&got[i..=i]), 1.0 / period);
        let peak = max(&p).unwrap_or(0.0);
        let mut summary = format!(
            "avg {}/s  max {}/s",
            num(mean(&p).unwrap_or(0.0)),
            num(peak)
        );
        let mut warning = false;
        if let Some(c) = capacity.filter(|c| *c > 0.0) {
            let _ = write!(summary, "  ({:.0}% of {})", 100.0 * peak / c, num(c));
            warning = peak > CONSUMED_WARNING * c;
        }
        rows.push(row(name, "units/s", p, summary, warning));
    }
    let throttled = sum(&got[2..4]);
    rows.push(counted("throttled", throttled));
    let ops = &got[4..];
    let pick = |k: usize| -> Vec<&Series> { ops.iter().skip(k).step_by(4).copied().collect() };
    let errors = sum(&pick(0));
    rows.push(counted("system errors", errors));
    rows.push(averaged("latency", &pick(1), &pick(2), &pick(3)));
    rows
}

/// An averaged metric in milliseconds, summed over its dimension sets (DynamoDB's
/// operations): per period Sum / SampleCount; over the window the total Sum over the total
/// SampleCount (periods weigh by their samples) and the largest Maximum.
fn averaged(name: &'static str, sums: &[&Series], counts: &[&Series], maxima: &[&Series]) -> Row {
    let (sums, counts) = (sum(sums), sum(counts));
    let samples = total(&counts);
    let peak = maxima
        .iter()
        .flat_map(|m| m.values.iter().copied())
        .reduce(f64::max);
    let summary = match peak {
        Some(peak) if samples > 0.0 => format!(
            "avg {} ms  max {} ms",
            num(total(&sums) / samples),
            num(peak)
        ),
        _ => "no data".to_string(),
    };
    row(name, "ms", ratio(&sums, &counts), summary, false)
}

/// Invocations, errors and error rate, throttles, average and maximum duration, concurrent
/// executions against reserved concurrency (`got` in `status::function_queries` order).
pub fn function_rows(got: &[&Series], reserved: Option<i32>) -> Vec<Row> {
    let invocations = points(got[0]);
    let errors = points(got[1]);
    let (calls, failed) = (total(&invocations), total(&errors));
    let rate = if calls > 0.0 { failed / calls } else { 0.0 };
    let throttles = points(got[2]);
    let throttled = total(&throttles);
    let concurrent = points(got[3]);
    let peak = max(&concurrent).unwrap_or(0.0);
    let concurrency = match reserved {
        Some(r) => format!("max {}  of {r} reserved", num(peak)),
        None => format!("max {}", num(peak)),
    };
    let near_reserved = reserved.is_some_and(|r| r > 0 && peak >= f64::from(r));
    vec![
        row(
            "invocations",
            "count",
            invocations,
            format!("total {}", num(calls)),
            false,
        ),
        row(
            "errors",
            "count",
            errors,
            format!("total {}  rate {:.2}%", num(failed), 100.0 * rate),
            rate > ERROR_RATE_WARNING,
        ),
        row(
            "throttles",
            "count",
            throttles,
            format!("total {}", num(throttled)),
            throttled > 0.0,
        ),
        averaged("duration avg", &got[4..5], &got[5..6], &got[6..7]),
        {
            let peak = points(got[6]);
            let summary =
                max(&peak).map_or("no data".to_string(), |m| format!("max {} ms", num(m)));
            row("duration max", "ms", peak, summary, false)
        },
        row(
            "concurrent",
            "executions",
            concurrent,
            concurrency,
            near_reserved,
        ),
    ]
}

/// Requests, 4xx, 5xx, average latency and integration latency of the API's stage.
pub fn api_rows(got: &[&Series]) -> Vec<Row> {
    let count = points(got[0]);
    let requests = total(&count);
    let (client, server) = (points(got[1]), points(got[2]));
    let (c, s) = (total(&client), total(&server));
    let share = |n: f64| {
        if requests > 0.0 {
            100.0 * n / requests
        } else {
            0.0
        }
    };
    vec![
        row(
            "requests",
            "count",
            count,
            format!("total {}", num(requests)),
            false,
        ),
        row(
            "4xx",
            "count",
            client,
            format!("total {}  ({:.2}%)", num(c), share(c)),
            false,
        ),
        row(
            "5xx",
            "count",
            server,
            format!("total {}  ({:.2}%)", num(s), share(s)),
            share(s) > 100.0 * ERROR_RATE_WARNING,
        ),
        averaged("latency", &got[3..4], &got[4..5], &got[5..6]),
        averaged("integration latency", &got[6..7], &got[7..8], &got[8..9]),
    ]
}

/// The report as text: a heading, then each resource with its facts and one line per metric.
/// `columns`: on a terminal, its width: sparklines fitted to it, and colour.
pub fn text(report: &Report, columns: Option<usize>) -> String {
    let mut out = format!(
        "Stack {} in {}: {} to {}, {} s periods\n",
        report.stack, report.region, report.start, report.end, report.period_seconds
    );
    let width = label_width(report);
    let axis = columns.map(|c| Axis::of(report, c.saturating_sub(width)));
    for (kind, resources) in [
        ("table", &report.tables),
        ("function", &report.functions),
        ("api stage", &report.apis),
    ] {
        for resource in resources {
            resource_text(&mut out, kind, resource, width, axis.as_ref());
        }
    }
    out
}

fn label_width(report: &Report) -> usize {
    all_rows(report).map(|r| r.name.len()).max().unwrap_or(0)
}

/// The sparklines' time axis: one slot per period of the window, `cells` characters wide.
struct Axis {
    start: i64,
    period: i64,
    slots: usize,
    cells: usize,
}

impl Axis {
    /// Fitted to `room` columns besides the label: what the longest summary and the margins
    /// leave, at least 8 cells (a line may then wrap), at most one a period.
    fn of(report: &Report, room: usize) -> Axis {
        let (start, end) = report.window_seconds;
        let period = (report.period_seconds as i64).max(1);
        let slots = ((end - start + period - 1) / period).max(1) as usize;
        let summary = all_rows(report).map(|r| r.summary.len()).max().unwrap_or(0);
        let cells = room.saturating_sub(summary + 6).clamp(8, 1000).min(slots);
        Axis {
            start,
            period,
            slots,
            cells,
        }
    }

    /// Each cell's value: the largest of its periods' datapoints, `None` where none has one.
    fn cells(&self, row: &Row) -> Vec<Option<f64>> {
        let mut cells = vec![None; self.cells];
        for (t, v) in row.seconds.iter().zip(&row.values) {
            let slot = ((t - self.start).max(0) / self.period) as usize;
            let cell = slot.min(self.slots - 1) * self.cells / self.slots;
            let c: &mut Option<f64> = &mut cells[cell];
            *c = Some(c.map_or(*v, |old| old.max(*v)));
        }
        cells
    }
}

fn all_rows(report: &Report) -> impl Iterator<Item = &Row> {
    report
        .tables
        .iter()
        .chain(&report.functions)
        .chain(&report.apis)
        .flat_map(|r| &r.metrics)
}

fn resource_text(out: &mut String, kind: &str, r: &Resource, width: usize, axis: Option<&Axis>) {
    let _ = write!(out, "\n{kind} {} ({})", r.name, r.physical_name);
    if !r.exists {
        out.push_str(": not deployed\n");
        return;
    }
    if !r.facts.is_empty() {
        let _ = write!(out, ": {}", r.facts.join(", "));
    }
    out.push('\n');
    for m in &r.metrics {
        let _ = write!(out, "  {:<width$}  ", m.name);
        if let Some(axis) = axis {
            let _ = write!(out, "{}  ", sparkline(&axis.cells(m)));
        }
        let summary = if m.warning {
            warn(&m.summary, axis.is_some())
        } else {
            m.summary.clone()
        };
        let _ = writeln!(out, "{summary}");
    }
}

/// On a terminal, red; elsewhere the words `(!)` say it.
fn warn(text: &str, terminal: bool) -> String {
    if terminal {
        format!("\x1b[31m{text}\x1b[0m")
    } else {
        format!("{text}  (!)")
    }
}

/// One block character per cell, scaled from 0 to the largest; a cell without data is `·`.
pub fn sparkline(cells: &[Option<f64>]) -> String {
    let top = cells.iter().flatten().copied().fold(0.0_f64, f64::max);
    cells
        .iter()
        .map(|cell| match cell {
            None => GAP,
            Some(_) if top <= 0.0 => BLOCKS[0],
            Some(v) => {
                let level = ((v / top) * (BLOCKS.len() - 1) as f64).round() as usize;
                BLOCKS[level.min(BLOCKS.len() - 1)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sparkline_scales_from_zero_to_the_maximum() {
        assert_eq!(
            sparkline(&[Some(0.0), Some(1.0), None, Some(2.0), Some(4.0)]),
            "▁▃·▅█"
        );
        assert_eq!(sparkline(&[Some(0.0), Some(0.0)]), "▁▁");
        assert_eq!(sparkline(&[]), "");
    }

    #[test]
    fn a_long_window_is_fitted_to_the_terminal_keeping_its_time_axis() {
        // 300 one-minute periods, datapoints in the first and the last, on 80 columns.
        let axis = Axis {
            start: 0,
            period: 60,
            slots: 300,
            cells: 30,
        };
        let r = row(
            "x",
            "count",
            Points::from([(0, 1.0), (60, 3.0), (299 * 60, 2.0)]),
            String::new(),
            false,
        );
        let cells = axis.cells(&r);
        assert_eq!(cells.len(), 30);
        assert_eq!(
            cells[0],
            Some(3.0),
            "a cell shows the largest of its periods"
        );
        assert_eq!(cells[29], Some(2.0));
        assert!(cells[1..29].iter().all(Option::is_none));
    }

    #[test]
    fn a_window_average_weighs_periods_by_their_samples_and_max_is_the_largest_maximum() {
        let s = |ts: &[i64], vs: &[f64]| Series {
            timestamps: ts.to_vec(),
            values: vs.to_vec(),
        };
        // One sample of 120 ms, then three averaging 20 ms (10, 20, 30).
        let sums = s(&[60, 360], &[120.0, 60.0]);
        let counts = s(&[60, 360], &[1.0, 3.0]);
        let maxima = s(&[60, 360], &[120.0, 30.0]);
        let r = averaged("duration avg", &[&sums], &[&counts], &[&maxima]);
        assert_eq!(r.values, [120.0, 20.0]);
        assert_eq!(r.summary, "avg 45 ms  max 120 ms");
        let none = Series::default();
        let r = averaged("latency", &[&none], &[&none], &[&none]);
        assert_eq!(r.summary, "no data");
    }

    #[test]
    fn latency_is_the_sum_over_the_sample_count_across_operations() {
        let s = |ts: &[i64], vs: &[f64]| Series {
            timestamps: ts.to_vec(),
            values: vs.to_vec(),
        };
        let get_sum = s(&[60], &[30.0]);
        let get_count = s(&[60], &[3.0]);
        let put_sum = s(&[60], &[10.0]);
        let put_count = s(&[60], &[2.0]);
        let p = ratio(&sum(&[&get_sum, &put_sum]), &sum(&[&get_count, &put_count]));
        assert_eq!(p.get(&60), Some(&8.0));
    }
}
