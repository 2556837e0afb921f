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
        for item in items.iter() {
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
