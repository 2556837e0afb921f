//! Lambda event source mappings of the stack's functions: ListEventSourceMappings by
//! function, concurrently. Read only where a stack can have them (it declares events, queues
//! or table streams), so that other stacks' plans send no more requests.

use futures::{StreamExt, TryStreamExt};

use super::LiveFunction;
use crate::aws::{AwsError, CallResult, Clients};
use crate::stack::Stack;

/// Functions whose mappings are listed at once.
const CONCURRENCY: usize = 8;

/// An event source mapping as read.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveEventSource {
    pub uuid: String,
    /// The function's name (as the stack's functions are keyed).
    pub function: String,
    /// The queue's or stream's ARN.
    pub source_arn: String,
    pub batch_size: i64,
    /// ScalingConfig's MaximumConcurrency.
    pub max_concurrency: Option<i64>,
    /// `LATEST`, `TRIM_HORIZON`; `None` for queues.
    pub starting_position: Option<String>,
    /// The first filter's pattern, as canonical JSON.
    pub filter: Option<String>,
    /// DestinationConfig's OnFailure destination ARN.
    pub on_failure: Option<String>,
}

/// Whether a plan of `stack` reads mappings: it declares events, queues or table streams.
pub fn wanted(stack: &Stack) -> bool {
    stack.functions.iter().any(|f| !f.events.is_empty())
        || !stack.queues.is_empty()
        || stack.tables.iter().any(|t| t.stream.is_some())
}

/// The mappings of `functions`.
///
/// # Errors
/// The first lambda:ListEventSourceMappings that fails.
pub async fn read<'a>(
    clients: &Clients,
    functions: impl Iterator<Item = &'a LiveFunction>,
) -> Result<Vec<LiveEventSource>, AwsError> {
    let names: Vec<String> = functions.map(|f| f.name.clone()).collect();
    let read: Vec<Vec<LiveEventSource>> = futures::stream::iter(names)
        .map(|name| async move { read_function(clients, &name).await })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    let mut all: Vec<LiveEventSource> = read.into_iter().flatten().collect();
    all.sort_by(|a, b| (&a.function, &a.source_arn).cmp(&(&b.function, &b.source_arn)));
    Ok(all)
}

async fn read_function(clients: &Clients, name: &str) -> Result<Vec<LiveEventSource>, AwsError> {
    let mut out = Vec::new();
    let mut pages = clients
        .lambda
        .list_event_source_mappings()
        .function_name(name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.op("lambda:ListEventSourceMappings")?;
        for m in page.event_source_mappings.unwrap_or_default() {
            let filter = m
                .filter_criteria()
                .and_then(|f| f.filters().first())
                .and_then(|f| f.pattern())
                .map(super::canonical_json);
            out.push(LiveEventSource {
                uuid: m.uuid().unwrap_or_default().to_string(),
                function: name.to_string(),
                source_arn: m.event_source_arn().unwrap_or_default().to_string(),
                batch_size: i64::from(m.batch_size().unwrap_or(0)),
                max_concurrency: m
                    .scaling_config()
                    .and_then(|s| s.maximum_concurrency())
                    .map(i64::from),
                starting_position: m.starting_position().map(|p| p.as_str().to_string()),
                filter,
                on_failure: m
                    .destination_config()
                    .and_then(|d| d.on_failure())
                    .and_then(|f| f.destination())
                    .map(str::to_string),
            });
        }
    }
    Ok(out)
}
