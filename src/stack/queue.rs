//! `[queues.NAME]` as declared: SQS queues, and where a function's events come from.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// SQS's default visibility timeout, in seconds (CreateQueue, `VisibilityTimeout`:
/// <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html>).
pub const DEFAULT_VISIBILITY_TIMEOUT: i64 = 30;
/// SQS's default message retention period, in seconds (4 days; same page).
pub const DEFAULT_RETENTION: i64 = 345_600;

/// `[queues.NAME]`: an SQS queue, owned by the stack's tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSpec {
    pub logical: String,
    /// A FIFO queue: its name ends in `.fifo` (SQS cannot change this in place).
    pub fifo: bool,
    /// Seconds a received message stays hidden from other consumers (0 to 43,200).
    pub visibility_timeout: i64,
    /// Seconds SQS keeps a message (60 to 1,209,600).
    pub retention: i64,
    /// Seconds each new message is hidden before its first delivery (0 to 900).
    pub delay: i64,
    /// Where messages received too often go (SQS's RedrivePolicy).
    pub dead_letter: Option<DeadLetter>,
    pub tags: BTreeMap<String, String>,
}

/// `dead_letter = { queue = "failed", max_receives = 5 }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The logical name of another queue of the stack.
    pub queue: String,
    /// Receives after which SQS moves a message to that queue (1 to 1,000).
    pub max_receives: i64,
}

impl QueueSpec {
    /// The queue's name on AWS: `<stack>-NAME`, with `.fifo` for a FIFO queue.
    pub fn physical_name(&self, stack: &str) -> String {
        crate::marks::queue_name(stack, &self.logical, self.fifo)
    }
}
