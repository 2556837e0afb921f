//! `events = [{ queue = "jobs" }, { stream = "orders", ... }]`: the queues and table streams
//! that invoke a function, each through a Lambda event source mapping.

use toml::de::{DeTable, DeValue};

use crate::stack::diagnostic::Problem;
use crate::stack::event::{EventSource, EventSpec, StartingPosition};
use crate::stack::reader::declared::Declared;
use crate::stack::reader::typed::{Reader, Value, entry};
use crate::stack::reference::RefTarget;

const SOURCE_KEYS: &[&str] = &["queue", "stream"];
const EVENT_KEYS: &[&str] = &[
    "queue",
    "stream",
    "batch_size",
    "max_concurrency",
    "starting_position",
    "filter",
    "on_failure",
];

/// Batch sizes (CreateEventSourceMapping, `BatchSize`:
/// <https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html>). SQS
/// takes up to 10,000 only with a batching window, which stackctl does not set.
const QUEUE_BATCH: std::ops::RangeInclusive<i64> = 1..=10;
const STREAM_BATCH: std::ops::RangeInclusive<i64> = 1..=10_000;
/// ScalingConfig's MaximumConcurrency (same page).
const MAX_CONCURRENCY: std::ops::RangeInclusive<i64> = 2..=1_000;

impl Reader<'_> {
    /// `events = [...]`, each source at most once.
    pub(super) fn events(
        &mut self,
        t: &DeTable<'_>,
        declared: &Declared,
    ) -> Option<Vec<EventSpec>> {
        let Some((_, value)) = entry(t, "events") else {
            return Some(Vec::new());
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.problem(
                Problem::new("events must be a list", value.span(), "expected a list")
                    .help("write events = [{ queue = \"jobs\" }, { stream = \"orders\" }]"),
            );
            return None;
        };
        let mut out: Vec<EventSpec> = Vec::new();
        let mut ok = true;
        for item in items.iter().filter(|i| !is_schedule(i)) {
            match self.event(item, declared) {
                Some(e) if out.iter().any(|o| o.source == e.source) => {
                    self.problem(
                        Problem::new(
                            format!("{} is written twice", e.source.key()),
                            item.span(),
                            "second entry",
                        )
                        .help("Lambda keeps one mapping per function and source: merge the two"),
                    );
                    ok = false;
                }
                Some(e) => out.push(e),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// The `{ schedule = "rate(5 minutes)" }` entries of `events`, in order.
    pub(super) fn schedules(&mut self, t: &DeTable<'_>) -> Option<Vec<String>> {
        let Some((_, value)) = entry(t, "events") else {
            return Some(Vec::new());
        };
        let DeValue::Array(items) = value.get_ref() else {
            return Some(Vec::new());
        };
        let mut out = Vec::new();
        let mut ok = true;
        for item in items.iter().filter(|i| is_schedule(i)) {
            match self.schedule(item) {
                Some(expression) => out.push(expression),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// `{ schedule = "rate(5 minutes)" }` or `{ schedule = "cron(0 12 * * ? *)" }`, checked
    /// as EventBridge reads them
    /// (<https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html>).
    fn schedule(&mut self, value: &Value<'_>) -> Option<String> {
        let t = self.as_table(value, "an event")?;
        self.unknown_keys(t, &["schedule"], "in a schedule event");
        let (_, expression) = entry(t, "schedule")?;
        let text = self.string(expression, "schedule")?;
        match schedule_problem(text.get_ref()) {
            None => Some(text.into_inner()),
            Some(help) => {
                self.problem(
                    Problem::new(
                        format!("{:?} is not a schedule expression", text.get_ref()),
                        text.span(),
                        "not a schedule",
                    )
                    .help(help),
                );
                None
            }
        }
    }

    fn event(&mut self, value: &Value<'_>, declared: &Declared) -> Option<EventSpec> {
        let t = self.as_table(value, "an event")?;
        self.unknown_keys(t, EVENT_KEYS, "in an event");
        let source = self.event_source(t, value, declared)?;
        let queue = matches!(source, EventSource::Queue(_));
        let (range, default) = if queue {
            (QUEUE_BATCH, 10)
        } else {
            (STREAM_BATCH, 100)
        };
        let batch_size = match entry(t, "batch_size") {
            None => Some(default),
            Some((_, v)) => self.int(v, "batch_size", range),
        };
        let only = |r: &mut Self, key: &str, for_queue: bool| {
            let (k, _) = entry(t, key)?;
            let (this, that) = if for_queue {
                ("queue", "stream")
            } else {
                ("stream", "queue")
            };
            r.problem(
                Problem::new(
                    format!("{key} is for {this} events"),
                    k.span(),
                    format!("a {that} event"),
                )
                .help(format!(
                    "remove {key}: Lambda takes it for {this} sources only"
                )),
            );
            Some(())
        };
        let misplaced = if queue {
            only(self, "starting_position", false).or(only(self, "on_failure", false))
        } else {
            only(self, "max_concurrency", true)
        };
        let max_concurrency = self.optional(t, "max_concurrency", |r, v| {
            r.int(v, "max_concurrency", MAX_CONCURRENCY)
        });
        let starting_position = self.optional(t, "starting_position", |r, v| {
            let text = r.string(v, "starting_position")?;
            r.one_of(
                &text,
                &[
                    ("latest", StartingPosition::Latest),
                    ("trim_horizon", StartingPosition::TrimHorizon),
                ],
                "starting position",
                "not a starting position",
                "use \"latest\" (records written from now on) or \"trim_horizon\" (the oldest the stream holds)",
            )
        });
        let filter = self.optional(t, "filter", |r, v| r.event_filter(v));
        let on_failure = self.optional(t, "on_failure", |r, v| r.failure_queue(v, declared));
        if misplaced.is_some() {
            return None;
        }
        Some(EventSpec {
            starting_position: starting_position?.or((!queue).then_some(StartingPosition::Latest)),
            source,
            batch_size: batch_size?,
            max_concurrency: max_concurrency?,
            filter: filter?,
            on_failure: on_failure?,
        })
    }

    /// The one source an event names: a declared queue, or a declared table with a stream.
    fn event_source(
        &mut self,
        t: &DeTable<'_>,
        value: &Value<'_>,
        declared: &Declared,
    ) -> Option<EventSource> {
        let written: Vec<_> = SOURCE_KEYS.iter().filter_map(|k| entry(t, k)).collect();
        let (key, name) = match written.as_slice() {
            [one] => *one,
            [] => {
                self.problem(
                    Problem::new("an event has no source", value.span(), "this event")
                        .help("write queue = \"NAME\" (a [queues.NAME]) or stream = \"NAME\" (a [tables.NAME] with a stream)"),
                );
                return None;
            }
            [first, second, ..] => {
                self.problem(
                    Problem::new("an event has two sources", second.0.span(), "second source")
                        .also(first.0.span(), "first source")
                        .help("write each source in its own { ... }"),
                );
                return None;
            }
        };
        let name = self.string(name, key.get_ref())?;
        let (span, name) = (name.span(), name.into_inner());
        let (target, source) = match key.get_ref().as_ref() {
            "queue" => (RefTarget::Queue(name.clone()), EventSource::Queue(name)),
            _ => (RefTarget::Table(name.clone()), EventSource::Stream(name)),
        };
        if let Some(problem) = declared.check(&target, span.clone()) {
            self.problem(problem);
            return None;
        }
        if let EventSource::Stream(table) = &source
            && let Some((_, declared_at)) =
                declared.streamless_tables.iter().find(|(t, _)| t == table)
        {
            self.problem(
                Problem::new(format!("table {table:?} has no stream"), span, "read from its stream")
                    .also(declared_at.clone(), "declared without stream")
                    .help(format!("add stream = \"new-image\" (or another view) to [tables.{table}], or trigger the function another way")),
            );
            return None;
        }
        Some(source)
    }

    /// `filter = { eventName = ["INSERT"] }`: Lambda's filter pattern, as canonical JSON.
    fn event_filter(&mut self, value: &Value<'_>) -> Option<String> {
        let json = match value.get_ref() {
            DeValue::Table(t) if !t.is_empty() => super::super::topic::to_json(value.get_ref()),
            _ => {
                self.problem(
                    Problem::new("filter must be a table that is not empty", value.span(), "expected a table")
                        .help("write filter = { eventName = [\"INSERT\"] }: the fields of a record and the values they may have"),
                );
                return None;
            }
        };
        match json {
            Some(json) => Some(crate::live::canonical_json(&json.to_string())),
            None => {
                self.problem(
                    Problem::new(
                        "filter holds a date, which JSON cannot",
                        value.span(),
                        "here",
                    )
                    .help("write dates as strings"),
                );
                None
            }
        }
    }

    /// `on_failure = { queue = "failed" }`: a queue of the stack.
    fn failure_queue(&mut self, value: &Value<'_>, declared: &Declared) -> Option<String> {
        let t = self.as_table(value, "on_failure")?;
        self.unknown_keys(t, &["queue"], "in on_failure");
        let queue = self.required(t, "queue", || {
            Problem::new("on_failure has no queue", value.span(), "this table")
                .help("write on_failure = { queue = \"failed\" }")
        })?;
        let queue = self.string(queue, "queue")?;
        let target = RefTarget::Queue(queue.get_ref().clone());
        if let Some(problem) = declared.check(&target, queue.span()) {
            self.problem(problem);
            return None;
        }
        Some(queue.into_inner())
    }
}

/// Whether an entry of `events` is a schedule (`{ schedule = "..." }`).
fn is_schedule(value: &Value<'_>) -> bool {
    matches!(value.get_ref(), DeValue::Table(t) if entry(t, "schedule").is_some())
}

/// What is wrong with a schedule expression, as help; `None` when EventBridge takes it:
/// `rate(N UNIT)` with N a positive whole number and the unit singular for 1, plural
/// otherwise; `cron(...)` with six fields, one of day-of-month and day-of-week `?`.
fn schedule_problem(text: &str) -> Option<String> {
    if let Some(rate) = text.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        let parts: Vec<&str> = rate.split_whitespace().collect();
        let ok = match parts.as_slice() {
            [n, unit] => match n.parse::<u32>() {
                Ok(1) => ["minute", "hour", "day"].contains(unit),
                Ok(n) if n > 1 => ["minutes", "hours", "days"].contains(unit),
                _ => false,
            },
            _ => false,
        };
        return (!ok).then(|| {
            "write rate(N UNIT) with N a whole number above 0: rate(1 minute), rate(5 minutes), rate(2 hours), rate(1 day)".to_string()
        });
    }
    if let Some(cron) = text.strip_prefix("cron(").and_then(|c| c.strip_suffix(')')) {
        let fields: Vec<&str> = cron.split_whitespace().collect();
        if fields.len() != 6 {
            return Some(format!(
                "cron takes six fields (minutes hours day-of-month month day-of-week year), found {}: cron(0 12 * * ? *)",
                fields.len()
            ));
        }
        if fields[2] != "?" && fields[4] != "?" {
            return Some("one of day-of-month (the third field) and day-of-week (the fifth) must be ?: cron(0 12 * * ? *)".to_string());
        }
        return None;
    }
    Some("write rate(5 minutes) or cron(0 12 * * ? *)".to_string())
}

#[cfg(test)]
mod tests {
    use super::schedule_problem;

    #[test]
    fn schedule_expressions_are_checked_as_eventbridge_reads_them() {
        for good in [
            "rate(1 minute)",
            "rate(5 minutes)",
            "cron(0 12 * * ? *)",
            "cron(0/15 * ? * MON-FRI *)",
        ] {
            assert_eq!(schedule_problem(good), None, "{good}");
        }
        for bad in [
            "rate(1 minutes)",
            "rate(5 minute)",
            "rate(0 minutes)",
            "rate(5 weeks)",
            "cron(0 12 * * *)",
            "cron(0 12 * * 1 *)",
            "every 5 minutes",
        ] {
            assert!(schedule_problem(bad).is_some(), "{bad}");
        }
    }
}
