//! BatchWriteItem: 25 requests a call, several calls at once within a bound, unprocessed
//! items sent again with backoff.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::WriteRequest;
use futures::StreamExt;

use crate::aws::{AwsError, CallResult, Clients, ErrorKind, other};

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

/// A write that stopped: what was carried out before it did, and which requests (their
/// positions in the list given to [`write_all`]) were not, or may not have been.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{error}")]
pub struct WriteError {
    pub error: AwsError,
    /// Requests DynamoDB carried out: every batch in flight was waited for.
    pub written: usize,
    pub total: usize,
    /// Requests certainly not carried out: never sent, or in a call DynamoDB refused.
    pub not_written: Vec<usize>,
    /// Requests of a call that got no answer (a dropped connection): they may have been.
    pub unknown: Vec<usize>,
    #[help]
    pub help: String,
}

impl WriteError {
    /// The error of the first failed batch, with what every batch left; `None` when none failed.
    fn new(written: usize, total: usize, outcomes: Vec<Outcome>) -> Option<Self> {
        let (mut error, mut not_written, mut unknown) = (None, Vec::new(), Vec::new());
        for outcome in outcomes {
            match outcome {
                Outcome::Done => {}
                Outcome::Unsent(left) => not_written.extend(left),
                Outcome::Refused(e, left) => {
                    error.get_or_insert(e);
                    not_written.extend(left);
                }
                Outcome::Unanswered(e, left) => {
                    error.get_or_insert(e);
                    unknown.extend(left);
                }
            }
        }
        let error = error?;
        not_written.sort_unstable();
        unknown.sort_unstable();
        let mut help = format!(
            "{written} of {total} requests were carried out; {} were not",
            not_written.len()
        );
        if !unknown.is_empty() {
            help.push_str(&format!(
                "; {} may have been (their call got no answer)",
                unknown.len()
            ));
        }
        Some(WriteError {
            error,
            written,
            total,
            not_written,
            unknown,
            help,
        })
    }
}

/// How one batch ended; the positions of its requests left.
enum Outcome {
    Done,
    /// Not sent: an earlier batch failed.
    Unsent(Vec<usize>),
    /// DynamoDB answered the call with an error: the requests left were not carried out.
    Refused(AwsError, Vec<usize>),
    /// The call got no answer: the requests left may have been carried out.
    Unanswered(AwsError, Vec<usize>),
}

/// Sends `requests` to `table` in batches of [`BATCH_SIZE`], at most `parallel` at once;
/// `progress` is called with the count written so far after each call.
///
/// # Errors
/// The first failed call (after the SDK's retries), or items still unprocessed after 10
/// attempts. No batch is started after it; the batches in flight are waited for, so the
/// error counts exactly what was written and names what was not.
pub async fn write_all(
    clients: &Clients,
    table: &str,
    requests: Vec<WriteRequest>,
    parallel: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<WriteSummary, WriteError> {
    let total = requests.len();
    let started = Instant::now();
    let counters = Counters {
        written: &AtomicUsize::new(0),
        retried: &AtomicUsize::new(0),
        calls: &AtomicUsize::new(0),
        stop: &AtomicBool::new(false),
        progress,
    };
    let batches: Vec<(usize, Vec<WriteRequest>)> = requests
        .chunks(BATCH_SIZE)
        .enumerate()
        .map(|(i, b)| (i * BATCH_SIZE, b.to_vec()))
        .collect();
    let outcomes: Vec<Outcome> = futures::stream::iter(batches)
        .map(|(start, batch)| write_batch(clients, table, start, batch, &counters))
        .buffer_unordered(parallel.max(1))
        .collect()
        .await;
    let written = counters.written.load(Ordering::Relaxed);
    if let Some(error) = WriteError::new(written, total, outcomes) {
        return Err(error);
    }
    Ok(WriteSummary {
        written,
        retried: counters.retried.load(Ordering::Relaxed),
        calls: counters.calls.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    })
}
struct Counters<'a> {
    written: &'a AtomicUsize,
    retried: &'a AtomicUsize,
    calls: &'a AtomicUsize,
    /// Set when a batch failed: no other batch starts, nor retries.
    stop: &'a AtomicBool,
    progress: &'a (dyn Fn(usize) + Sync),
}

/// One batch (its first request at position `start`), sent until DynamoDB processed it all.
async fn write_batch(
    clients: &Clients,
    table: &str,
    start: usize,
    sent: Vec<WriteRequest>,
    counters: &Counters<'_>,
) -> Outcome {
    let op = "dynamodb:BatchWriteItem";
    let positions = |left: &[WriteRequest]| -> Vec<usize> {
        let mut taken = vec![false; sent.len()];
        left.iter()
            .filter_map(|r| {
                let i = (0..sent.len()).find(|&i| !taken[i] && sent[i] == *r)?;
                taken[i] = true;
                Some(start + i)
            })
            .collect()
    };
    let mut batch = sent.clone();
    for attempt in 0..MAX_ATTEMPTS {
        if counters.stop.load(Ordering::Relaxed) {
            return Outcome::Unsent(positions(&batch));
        }
        if attempt > 0 {
            counters.retried.fetch_add(batch.len(), Ordering::Relaxed);
            tokio::time::sleep(backoff(attempt)).await;
        }
        let out = clients
            .dynamodb
            .batch_write_item()
            .request_items(table, batch.clone())
            .send()
            .await
            .op(op);
        let out = match out {
            Ok(out) => out,
            Err(e) => {
                counters.stop.store(true, Ordering::Relaxed);
                let left = positions(&batch);
                return if answered(&e) {
                    Outcome::Refused(e, left)
                } else {
                    Outcome::Unanswered(e, left)
                };
            }
        };
        counters.calls.fetch_add(1, Ordering::Relaxed);
        let before = batch.len();
        batch = out
            .unprocessed_items
            .and_then(|mut u| u.remove(table))
            .unwrap_or_default();
        let done = before - batch.len();
        let so_far = counters.written.fetch_add(done, Ordering::Relaxed) + done;
        (counters.progress)(so_far);
        if batch.is_empty() {
            return Outcome::Done;
        }
    }
    counters.stop.store(true, Ordering::Relaxed);
    let error = other(
        op,
        format!(
            "DynamoDB left {} items unprocessed after {MAX_ATTEMPTS} attempts (the table's write capacity is exhausted?)",
            batch.len()
        ),
    );
    Outcome::Refused(error, positions(&batch))
}

/// Whether DynamoDB answered a failed call (so that it carried out none of its requests):
/// an error it returned, rather than a connection that broke or timed out.
fn answered(error: &AwsError) -> bool {
    matches!(
        error,
        AwsError::Call { kind, .. } if !matches!(kind, ErrorKind::Unreachable | ErrorKind::Other)
    )
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

/// Deletes the item with `key`; whether there was one (DeleteItem with ReturnValues
/// ALL_OLD: the API reference's way to learn what a delete removed).
pub async fn delete_one(
    clients: &Clients,
    table: &str,
    key: crate::schema::Item,
) -> Result<bool, AwsError> {
    let out = clients
        .dynamodb
        .delete_item()
        .table_name(table)
        .set_key(Some(key))
        .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
        .send()
        .await
        .op("dynamodb:DeleteItem")?;
    Ok(out.attributes.is_some_and(|a| !a.is_empty()))
}
