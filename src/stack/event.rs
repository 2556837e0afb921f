//! `events = [...]` on a function as declared: what else than a route invokes it. Queues and
//! table streams are read by Lambda event source mappings.

use serde::{Deserialize, Serialize};

/// Where a function's events come from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventSource {
    /// `{ queue = "jobs" }`: a queue of the stack, by logical name.
    Queue(String),
    /// `{ stream = "orders" }`: the stream of a table of the stack, by logical name.
    Stream(String),
}

impl EventSource {
    /// How plans name the source: `queue:jobs`, `stream:orders`.
    pub fn key(&self) -> String {
        match self {
            EventSource::Queue(q) => format!("queue:{q}"),
            EventSource::Stream(t) => format!("stream:{t}"),
        }
    }
}

/// Where a stream mapping starts reading a shard (Lambda's StartingPosition).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartingPosition {
    /// Records written from now on.
    Latest,
    /// The oldest record the stream holds (24 hours).
    TrimHorizon,
}

impl StartingPosition {
    /// Lambda's name for it.
    pub fn aws_name(self) -> &'static str {
        match self {
            StartingPosition::Latest => "LATEST",
            StartingPosition::TrimHorizon => "TRIM_HORIZON",
        }
    }
}

/// One entry of `events`: a Lambda event source mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSpec {
    pub source: EventSource,
    /// Records per invocation (queues: 1 to 10; streams: 1 to 10,000).
    pub batch_size: i64,
    /// Queues: the most concurrent invocations the mapping makes (ScalingConfig, 2 to 1,000).
    pub max_concurrency: Option<i64>,
    /// Streams: where reading starts (the default: `latest`).
    pub starting_position: Option<StartingPosition>,
    /// The event filter pattern, as canonical JSON (FilterCriteria).
    pub filter: Option<String>,
    /// Streams: the queue (logical name) that records of failed batches are sent to.
    pub on_failure: Option<String>,
}
