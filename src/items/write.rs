//! BatchWriteItem: 25 requests a call, several calls at once within a bound, unprocessed
//! items sent again with backoff.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::WriteRequest;
use futures::StreamExt;

use crate::aws::{AwsError, CallResult, Clients, other};

/// DynamoDB takes up to 25 put or delete requests in one BatchWriteItem
/// (API reference: BatchWriteItem).
pub const BATCH_SIZE: usize = 25;
/// Batches in flight at once by default.
pub const DEFAULT_PARALLEL: usize = 8;
/// Attempts at one batch's unprocessed items before giving up.
const MAX_ATTEMPTS: u32 = 10;

/// What a write did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct WriteSummary {
    /// Requests DynamoDB carried out.
    pub written: usize,
    /// Requests sent again because DynamoDB left them unprocessed.
    pub retried: usize,
    pub calls: usize,
    #[serde(skip)]
    pub elapsed: Duration,
}

/// A write that stopped: how many requests were carried out before it did.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{source}")]
#[diagnostic(help("{written} of {total} items were written before the error; the rest were not"))]
pub struct WriteError {
    #[source]
    pub source: AwsError,
    pub written: usize,
    pub total: usize,
}

/// Sends `requests` to `table` in batches of [`BATCH_SIZE`], at most `parallel` at once;
/// `progress` is called with the count written so far after each call.
///
/// # Errors
/// The first failed call (after the SDK's retries), or items still unprocessed after 10
/// attempts; the batches in flight then are dropped, and the error says how many were written.
pub async fn write_all(
    clients: &Clients,
    table: &str,
    requests: Vec<WriteRequest>,
    parallel: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<WriteSummary, WriteError> {
    let total = requests.len();
    let started = Instant::now();
    let written = AtomicUsize::new(0);
    let retried = AtomicUsize::new(0);
    let calls = AtomicUsize::new(0);
    let batches: Vec<Vec<WriteRequest>> = requests.chunks(BATCH_SIZE).map(<[_]>::to_vec).collect();
    let counters = Counters {
        written: &written,
        retried: &retried,
        calls: &calls,
        progress,
    };
    let mut results = futures::stream::iter(batches)
        .map(|batch| write_batch(clients, table, batch, &counters))
        .buffer_unordered(parallel.max(1));
    while let Some(result) = results.next().await {
        if let Err(source) = result {
            return Err(WriteError {
                source,
                written: written.load(Ordering::Relaxed),
                total,
            });
        }
    }
    drop(results);
    Ok(WriteSummary {
        written: written.load(Ordering::Relaxed),
        retried: retried.load(Ordering::Relaxed),
        calls: calls.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    })
}

struct Counters<'a> {
    written: &'a AtomicUsize,
    retried: &'a AtomicUsize,
    calls: &'a AtomicUsize,
    progress: &'a (dyn Fn(usize) + Sync),
}

async fn write_batch(
    clients: &Clients,
    table: &str,
    mut batch: Vec<WriteRequest>,
    counters: &Counters<'_>,
) -> Result<(), AwsError> {
    let op = "dynamodb:BatchWriteItem";
    for attempt in 0..MAX_ATTEMPTS {
        if attempt > 0 {
            counters.retried.fetch_add(batch.len(), Ordering::Relaxed);
            tokio::time::sleep(backoff(attempt)).await;
        }
        let sent = batch.len();
        let out = clients
            .dynamodb
            .batch_write_item()
            .request_items(table, std::mem::take(&mut batch))
            .send()
            .await
            .op(op)?;
        counters.calls.fetch_add(1, Ordering::Relaxed);
        batch = out
            .unprocessed_items
            .and_then(|mut u| u.remove(table))
            .unwrap_or_default();
        let done = counters
            .written
            .fetch_add(sent - batch.len(), Ordering::Relaxed)
            + sent
            - batch.len();
        (counters.progress)(done);
        if batch.is_empty() {
            return Ok(());
        }
    }
    Err(other(
        op,
        format!(
            "DynamoDB left {} items unprocessed after {MAX_ATTEMPTS} attempts (the table's write capacity is exhausted?)",
            batch.len()
        ),
    ))
}

/// 50 ms doubling to 5 s, with jitter so that parallel batches do not retry in step (AWS's
/// advice for unprocessed items: BatchWriteItem, "exponential backoff").
fn backoff(attempt: u32) -> Duration {
    let base = (50u64 << attempt.min(7)).min(5_000);
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos(),
    ) % (base / 2 + 1);
    Duration::from_millis(base / 2 + jitter)
}
