//! `[topics.NAME]` as declared: SNS topics and their subscriptions, and what a function may do
//! with a topic.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What a function may do with a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TopicAccess {
    /// sns:Publish.
    Publish,
}

/// `[topics.NAME]`: an SNS topic, owned by the stack's tag, with its subscriptions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicSpec {
    pub logical: String,
    /// A FIFO topic: its name ends in `.fifo` (SNS cannot change this in place).
    pub fifo: bool,
    /// FIFO topics only: a message's deduplication ID is the SHA-256 of its body.
    pub content_based_deduplication: bool,
    /// The sender name of SMS and email messages; empty when not set.
    pub display_name: String,
    pub tags: BTreeMap<String, String>,
    pub subscriptions: Vec<SubscriptionSpec>,
}

/// One subscription of a topic: who receives its messages, and which of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionSpec {
    pub endpoint: Endpoint,
    /// `raw = true`: the message body alone, without SNS's JSON envelope (RawMessageDelivery).
    pub raw: bool,
    /// The filter policy on message attributes, as canonical JSON.
    pub filter: Option<String>,
}

/// Where a subscription delivers: SNS matches subscriptions by protocol and endpoint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Endpoint {
    /// A function of the stack, by logical name (protocol `lambda`).
    Function(String),
    /// An SQS queue ARN (protocol `sqs`).
    Queue(String),
    /// An email address (protocol `email`); AWS waits for the recipient to confirm.
    Email(String),
}

impl Endpoint {
    /// The SNS protocol.
    pub fn protocol(&self) -> &'static str {
        match self {
            Endpoint::Function(_) => "lambda",
            Endpoint::Queue(_) => "sqs",
            Endpoint::Email(_) => "email",
        }
    }

    /// How plans name the subscription: `function:notify`, `queue:ARN`, `email:ADDRESS`.
    pub fn key(&self) -> String {
        match self {
            Endpoint::Function(f) => format!("function:{f}"),
            Endpoint::Queue(arn) => format!("queue:{arn}"),
            Endpoint::Email(address) => format!("email:{address}"),
        }
    }
}

/// Whether two endpoint keys ([`Endpoint::key`]) name the same endpoint: the one rule of
/// `validate` (a subscription written twice) and `plan` (a live subscription found): email
/// addresses compare without regard to ASCII case (domain names are case-insensitive, and
/// mail providers treat local parts so), other endpoints exactly.
pub fn same_endpoint(a: &str, b: &str) -> bool {
    match (a.strip_prefix("email:"), b.strip_prefix("email:")) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => a == b,
    }
}
