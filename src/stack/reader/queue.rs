//! `[queues.NAME]`: an SQS queue, its timing settings (seconds, or a duration such as "4d")
//! and its dead-letter queue.

use toml::de::DeValue;

use super::declared::Declared;
use super::typed::{Key, Reader, RefSite, Value, entry};
use crate::stack::address::Address;
use crate::stack::diagnostic::Problem;
use crate::stack::queue::{DEFAULT_RETENTION, DEFAULT_VISIBILITY_TIMEOUT, DeadLetter, QueueSpec};
use crate::stack::reference::RefTarget;

const QUEUE_KEYS: &[&str] = &[
    "fifo",
    "visibility_timeout",
    "retention",
    "delay",
    "dead_letter",
    "tags",
];

const DEAD_LETTER_KEYS: &[&str] = &["queue", "max_receives"];

/// SQS's ranges, in seconds (SetQueueAttributes:
/// <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html>).
const VISIBILITY_TIMEOUT: std::ops::RangeInclusive<i64> = 0..=43_200;
const RETENTION: std::ops::RangeInclusive<i64> = 60..=1_209_600;
const DELAY: std::ops::RangeInclusive<i64> = 0..=900;
/// maxReceiveCount of a RedrivePolicy (same page).
const MAX_RECEIVES: std::ops::RangeInclusive<i64> = 1..=1_000;

impl Reader<'_> {
    pub(super) fn queue(
        &mut self,
        key: &Key<'_>,
        value: &Value<'_>,
        declared: &Declared,
    ) -> Option<QueueSpec> {
        let logical = key.get_ref().to_string();
        let what = format!("[queues.{logical}]");
        let t = self.as_table(value, &what)?;
        self.unknown_keys(t, QUEUE_KEYS, &format!("in {what}"));
        let fifo = self.opt_bool(t, "fifo").unwrap_or(false);
        let seconds = |r: &mut Self, name: &str, range, default| match entry(t, name) {
            None => Some(default),
            Some((_, v)) => r.seconds(v, name, range),
        };
        let visibility_timeout = seconds(
            self,
            "visibility_timeout",
            VISIBILITY_TIMEOUT,
            DEFAULT_VISIBILITY_TIMEOUT,
        );
        let retention = seconds(self, "retention", RETENTION, DEFAULT_RETENTION);
        let delay = seconds(self, "delay", DELAY, 0);
        let dead_letter = match entry(t, "dead_letter") {
            None => Some(None),
            Some((_, v)) => self.dead_letter(v, &logical, fifo, declared).map(Some),
        };
        let tags = self.tags(t);
        Some(QueueSpec {
            logical,
            fifo,
            visibility_timeout: visibility_timeout?,
            retention: retention?,
            delay: delay?,
            dead_letter: dead_letter?,
            tags,
        })
    }

    /// A number of seconds: a whole number, or a duration such as `"4d"` or `"1h 30m"`.
    fn seconds(
        &mut self,
        value: &Value<'_>,
        what: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        let DeValue::String(text) = value.get_ref() else {
            return self.int(value, what, range);
        };
        let parsed = humantime::parse_duration(text).ok();
        let Some(seconds) = parsed.and_then(|d| i64::try_from(d.as_secs()).ok()) else {
            self.problem(
                Problem::new(
                    format!("{what} = {text:?} is not a duration"),
                    value.span(),
                    "not a duration",
                )
                .help("write whole seconds (60) or a duration such as \"90s\", \"15m\", \"4d\""),
            );
            return None;
        };
        if range.contains(&seconds) {
            return Some(seconds);
        }
        self.problem(
            Problem::new(
                format!("{what} = {text:?} is {seconds} seconds, outside SQS's range"),
                value.span(),
                "out of range",
            )
            .help(format!(
                "{what} must be between {} and {} seconds",
                range.start(),
                range.end()
            )),
        );
        None
    }

    fn dead_letter(
        &mut self,
        value: &Value<'_>,
        logical: &str,
        fifo: bool,
        declared: &Declared,
    ) -> Option<DeadLetter> {
        let t = self.as_table(value, "dead_letter")?;
        self.unknown_keys(t, DEAD_LETTER_KEYS, "in dead_letter");
        let queue = self.required(t, "queue", || {
            Problem::new("dead_letter has no queue", value.span(), "this table")
                .help("write dead_letter = { queue = \"failed\", max_receives = 5 }")
        })?;
        let queue = self.string(queue, "queue")?;
        let span = queue.span();
        let queue = queue.into_inner();
        if let Some(problem) = declared.check(&RefTarget::Queue(queue.clone()), span.clone()) {
            self.problem(problem);
            return None;
        }
        if queue == logical {
            self.problem(
                Problem::new(
                    "a queue cannot be its own dead-letter queue",
                    span,
                    "this queue",
                )
                .help("declare another queue for the messages that fail, and name it here"),
            );
            return None;
        }
        if declared.fifo_queues.contains(&queue) != fifo {
            let (this, that) = if fifo {
                ("FIFO", "standard")
            } else {
                ("standard", "FIFO")
            };
            self.problem(
                Problem::new(
                    format!("a {this} queue's dead-letter queue must be {this} too, and {queue:?} is {that}"),
                    span,
                    "other kind of queue",
                )
                .help("SQS moves messages only between queues of the same kind: set fifo alike on both"),
            );
            return None;
        }
        let max_receives = match entry(t, "max_receives") {
            None => 5,
            Some((_, v)) => self.int(v, "max_receives", MAX_RECEIVES)?,
        };
        self.references.push(RefSite {
            from: Address::Queue(logical.to_string()),
            to: Address::Queue(queue.clone()),
            span,
        });
        Some(DeadLetter {
            queue,
            max_receives,
        })
    }
}
