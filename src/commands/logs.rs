//! `stackctl logs FUNCTION`: a function's CloudWatch Logs, each line with its time and
//! request ID; `--follow` polls for new events until Ctrl-C.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use miette::Result;

use super::{ExitStatus, clients, interrupt, load_stack};
use crate::cli::{AwsArgs, FileArgs, LogsArgs};
use crate::live::logs::{LogEvent, filter_events, function_log_group};
use crate::output::{errln, outln};
use crate::stack::{self, FunctionSpec, Stack};

/// How often `--follow` asks for new events.
const POLL: Duration = Duration::from_secs(2);

pub async fn run(args: &LogsArgs, aws: &AwsArgs) -> Result<ExitStatus> {
    let stack = load_stack(&args.file)?;
    let function = declared_function(&stack, &args.function, &args.file)?;
    let clients = clients(aws, &stack).await?;
    let group = function_log_group(&stack.physical_name(&function.logical));
    let mut seen = Seen {
        start_ms: millis(args.since),
        ids: BTreeSet::new(),
    };
    let mut told_missing = false;
    // With --follow, Ctrl-C is the normal end: heard between polls, an exit without error.
    let _guard = args.follow.then(interrupt::guard);
    loop {
        match filter_events(&clients, &group, seen.start_ms, args.filter.as_deref()).await? {
            Some(events) => seen.print_new(&events),
            None if !told_missing => {
                told_missing = true;
                errln!(
                    "No logs yet: the log group {group} does not exist (Lambda creates it when the function first runs){}",
                    if args.follow { "; waiting for it" } else { "" }
                );
            }
            None => {}
        }
        if !args.follow {
            return Ok(ExitStatus::Success);
        }
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            () = interrupt::wait() => return Ok(ExitStatus::Success),
        }
    }
}

/// What was printed: the next poll starts at the last event's time, and skips the events of
/// that millisecond it already printed, so that nothing repeats and nothing is lost.
struct Seen {
    start_ms: i64,
    /// IDs of the printed events at `start_ms`.
    ids: BTreeSet<String>,
}

impl Seen {
    fn print_new(&mut self, events: &[LogEvent]) {
        for event in events {
            if event.timestamp_ms == self.start_ms && self.ids.contains(&event.event_id) {
                continue;
            }
            outln!("{}", line(event));
            if event.timestamp_ms > self.start_ms {
                self.start_ms = event.timestamp_ms;
                self.ids.clear();
            }
            self.ids.insert(event.event_id.clone());
        }
    }
}

fn millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `TIME REQUEST_ID MESSAGE`: the time in RFC 3339 (UTC, milliseconds), the request ID or `-`
/// (padded to a UUID's 36 characters) and the message without Lambda's own time and ID.
fn line(event: &LogEvent) -> String {
    let time = UNIX_EPOCH + Duration::from_millis(u64::try_from(event.timestamp_ms).unwrap_or(0));
    let (request_id, message) = split_message(event.message.trim_end());
    format!(
        "{} {:<36} {message}",
        humantime::format_rfc3339_millis(time),
        request_id.unwrap_or("-")
    )
}

/// The request ID of a Lambda log line and the message to show. Lambda writes
/// `START RequestId: ID Version: V`, `END RequestId: ID` and `REPORT RequestId: ID<TAB>...`
/// itself; the runtimes' default format is tab-separated, `TIME<TAB>ID<TAB>LEVEL<TAB>MESSAGE`
/// (Node.js) or `[LEVEL]<TAB>TIME<TAB>ID<TAB>MESSAGE` (Python): the time and the ID are left
/// out of the message there (source:
/// <https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html>).
fn split_message(message: &str) -> (Option<&str>, String) {
    for keyword in ["START", "END", "REPORT"] {
        if let Some(rest) = message
            .strip_prefix(keyword)
            .and_then(|r| r.strip_prefix(" RequestId: "))
        {
            let id = rest.split([' ', '\t']).next().unwrap_or_default();
            return (Some(id), message.replace('\t', " ").trim_end().to_string());
        }
    }
    let fields: Vec<&str> = message.split('\t').collect();
    let Some(at) = fields.iter().take(3).position(|f| is_request_id(f)) else {
        return (None, message.to_string());
    };
    let kept: Vec<&str> = fields[..at]
        .iter()
        .filter(|f| humantime::parse_rfc3339_weak(f).is_err())
        .chain(&fields[at + 1..])
        .copied()
        .collect();
    (Some(fields[at]), kept.join(" "))
}

/// A request ID: a UUID (8-4-4-4-12 hexadecimal digits).
fn is_request_id(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The stack file's `[functions.NAME]`, or an error that lists the declared ones.
pub(super) fn declared_function<'a>(
    stack: &'a Stack,
    logical: &str,
    file: &FileArgs,
) -> Result<&'a FunctionSpec> {
    if let Some(spec) = stack.function(logical) {
        return Ok(spec);
    }
    let names: Vec<&str> = stack.functions.iter().map(|f| f.logical.as_str()).collect();
    let help = match (
        stack::closest(logical, names.iter().copied()),
        names.is_empty(),
    ) {
        (Some(name), _) => format!(
            "did you mean {name}? declared functions: {}",
            names.join(", ")
        ),
        (None, true) => format!("{} declares no functions", file.file.display()),
        (None, false) => format!("declared functions: {}", names.join(", ")),
    };
    miette::bail!(
        help = help,
        "{} declares no function {logical}",
        file.file.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "8f5a3c1e-2b4d-4e6f-9a0b-1c2d3e4f5a6b";

    #[test]
    fn request_ids_come_from_lambdas_lines_and_the_runtimes_formats() {
        let report = format!("REPORT RequestId: {ID}\tDuration: 2.00 ms\tBilled Duration: 3 ms\t");
        assert_eq!(
            split_message(&report),
            (
                Some(ID),
                format!("REPORT RequestId: {ID} Duration: 2.00 ms Billed Duration: 3 ms")
            )
        );
        let node = format!("2024-05-01T12:00:00.000Z\t{ID}\tINFO\torder 42 paid");
        assert_eq!(
            split_message(&node),
            (Some(ID), "INFO order 42 paid".into())
        );
        let python = format!("[ERROR]\t2024-05-01T12:00:00.000Z\t{ID}\tboom\twith a tab");
        assert_eq!(
            split_message(&python),
            (Some(ID), "[ERROR] boom with a tab".into())
        );
        assert_eq!(
            split_message("INIT_START Runtime Version: nodejs:20"),
            (None, "INIT_START Runtime Version: nodejs:20".into())
        );
    }
}
