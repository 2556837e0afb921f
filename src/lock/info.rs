//! Who holds a stack's lock, as the lock item records it, and the errors that name the holder.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;

use super::holder::{now, process_alive, this_host};
use crate::aws::AwsError;

/// The lock item's key attribute: the stack's name.
pub(super) const KEY: &str = "stack";

/// Who holds a stack's lock, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockInfo {
    pub stack: String,
    pub holder: String,
    /// Seconds since the epoch.
    pub acquired_at: u64,
    pub expires_at: u64,
    /// The holder's machine and process ID, to tell a holder of this machine that is gone.
    pub host: Option<String>,
    pub pid: Option<u32>,
    pub(super) token: String,
}

/// The lock item between holders: how many times the stack's lock was released. A plan made
/// when it read N still holds if the lock is taken while it is still N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(pub u64);

impl LockInfo {
    pub fn expired(&self) -> bool {
        self.expires_at < now()
    }

    /// The holder was a process of this machine that no longer exists: it can renew nothing,
    /// and its lock need not wait for its lease. (Its process ID may since have been given to
    /// another process: then the lock waits for its lease, as for a holder elsewhere.)
    pub fn holder_gone(&self) -> bool {
        match (&self.host, self.pid) {
            (Some(host), Some(pid)) => {
                *host == this_host() && pid != std::process::id() && !process_alive(pid)
            }
            _ => false,
        }
    }

    /// The holder's lock, or `None` for a released one.
    pub(super) fn from_item(item: &HashMap<String, AttributeValue>) -> Option<LockInfo> {
        let text = |name: &str| item.get(name)?.as_s().ok().cloned();
        let number = |name: &str| number(item, name);
        Some(LockInfo {
            stack: text(KEY)?,
            holder: text("holder")?,
            acquired_at: number("acquired_at").unwrap_or(0),
            expires_at: number("expires_at").unwrap_or(0),
            host: text("host"),
            pid: number("pid").and_then(|p| u32::try_from(p).ok()),
            token: text("token").unwrap_or_default(),
        })
    }
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LockError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Aws(#[from] AwsError),

    #[error("stack {} is locked by {} since {} (its lease runs until {})", .0.stack, .0.holder, time(.0.acquired_at), time(.0.expires_at))]
    #[diagnostic(help(
        "another apply or destroy of this stack is running; wait for it (--lock-timeout 10m waits up to 10 minutes), or, if its holder is gone, run `stackctl unlock {}`",
        .0.stack
    ))]
    Held(LockInfo),

    #[error("timed out after waiting {} for the lock of stack {}: it is still held by {} since {} (its lease runs until {})", seconds(*.waited), .info.stack, .info.holder, time(.info.acquired_at), time(.info.expires_at))]
    #[diagnostic(help(
        "another apply or destroy of this stack is still running; wait longer with a larger --lock-timeout, or, if its holder is gone, run `stackctl unlock {}`",
        .info.stack
    ))]
    TimedOut { info: LockInfo, waited: Duration },

    #[error("interrupted while waiting for the lock of stack {}, held by {}; nothing was changed", .0.stack, .0.holder)]
    Interrupted(LockInfo),
}

/// A wait as people read it: `30 s`, `10 min`, `90 s`.
pub fn seconds(d: Duration) -> String {
    match d.as_secs() {
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

pub(super) fn number(item: &HashMap<String, AttributeValue>, name: &str) -> Option<u64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

pub(super) fn generation_of(item: Option<&HashMap<String, AttributeValue>>) -> Generation {
    Generation(item.and_then(|i| number(i, "generation")).unwrap_or(0))
}

/// Seconds since the epoch as RFC 3339.
pub fn time(seconds: u64) -> String {
    aws_smithy_types::DateTime::from_secs(seconds as i64)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| seconds.to_string())
}
