//! A function's CloudWatch Logs: the events of its log group, every page of FilterLogEvents.

use crate::aws::{AwsError, CallResult, Clients};

/// One log event as CloudWatch Logs returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// When the function wrote it: milliseconds since the epoch (UTC).
    pub timestamp_ms: i64,
    /// Unique within the log group; two events may share a timestamp.
    pub event_id: String,
    pub log_stream: String,
    /// The line as written, with Lambda's own prefixes (`START RequestId: ...`, or
    /// `time<TAB>request ID<TAB>level<TAB>message`).
    pub message: String,
}

/// The log group Lambda writes a function's logs to: `/aws/lambda/<function name>` (source:
/// <https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html>).
pub fn function_log_group(function_name: &str) -> String {
    format!("/aws/lambda/{function_name}")
}

/// Every event of `log_group` from `start_ms` (milliseconds since the epoch, inclusive) on,
/// matching `filter` (a CloudWatch Logs filter pattern) if given, sorted by time and event
/// ID. FilterLogEvents is paginated (up to 10,000 events or 1 MB a page, source:
/// <https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html>):
/// every page is read. `None` when the log group does not exist (the function never ran).
///
/// # Errors
/// [`AwsError::Call`] for any other failed `logs:FilterLogEvents`.
pub async fn filter_events(
    clients: &Clients,
    log_group: &str,
    start_ms: i64,
    filter: Option<&str>,
) -> Result<Option<Vec<LogEvent>>, AwsError> {
    let mut events = Vec::new();
    let mut next_token = None;
    loop {
        let page = clients
            .logs
            .filter_log_events()
            .log_group_name(log_group)
            .start_time(start_ms)
            .set_filter_pattern(filter.map(str::to_string))
            .set_next_token(next_token)
            .send()
            .await
            .absent_ok("logs:FilterLogEvents")?;
        let Some(page) = page else {
            return Ok(None);
        };
        events.extend(page.events().iter().map(|e| LogEvent {
            timestamp_ms: e.timestamp().unwrap_or_default(),
            event_id: e.event_id().unwrap_or_default().to_string(),
            log_stream: e.log_stream_name().unwrap_or_default().to_string(),
            message: e.message().unwrap_or_default().to_string(),
        }));
        next_token = page.next_token().map(str::to_string);
        if next_token.is_none() {
            break;
        }
    }
    // AWS interleaves the streams; the emulator returns them one stream after another.
    events.sort_by(|a, b| (a.timestamp_ms, &a.event_id).cmp(&(b.timestamp_ms, &b.event_id)));
    Ok(Some(events))
}
