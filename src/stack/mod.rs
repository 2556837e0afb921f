//! The stack file: what the user declared, checked and ready to compare with live AWS.
//!
//! [`load`] reads `stack.toml`, reports every problem with its location, and returns a
//! [`Stack`]: the desired state. Nothing here talks to AWS.

mod address;
mod diagnostic;
mod event;
#[cfg(test)]
mod fuzz_tests;
mod graph;
mod queue;
mod reader;
mod reference;
mod spec;
mod topic;

use std::path::{Path, PathBuf};

pub use address::Address;
pub use diagnostic::StackFileError;
pub use reader::{MAX_TRANSFER_BUCKET, is_account_id, is_bucket_name};
pub use reference::{RefAttr, RefTarget, Reference, Template};
pub use spec::{
    AccessLog, ApiSpec, ApiType, AuthorizerSpec, Autoscaling, Billing, CapacityScaling, Cors,
    FunctionSpec, GlobalIndexSpec, KeySpec, KeyType, LocalIndexSpec, Projection, RouteSpec, Stack,
    StreamView, TableAccess, TableClass, TableSpec, Throttle, WebsocketRouteSpec, WebsocketSpec,
};
#[cfg(test)]
pub use spec::{AliasSpec, Weighted};
pub use spec::{AliasVersion, LogLevel, StageLogging, StageSpec, Tracing, Versioning};
pub use spec::{ApiKeySpec, Quota, QuotaPeriod, UsagePlanSpec};
pub use spec::{Architecture, Build, VpcSpec};

pub use event::{EventSource, EventSpec};
pub use queue::QueueSpec;
pub use spec::user_pool::{
    CustomAttribute, Mfa, PasswordPolicy, UserPoolClientSpec, UserPoolSpec, authorizer_references,
    is_unresolved_pool_value, issuer as user_pool_issuer, resolve_authorizer,
};
pub use topic::{Endpoint, SubscriptionSpec, TopicSpec, same_endpoint};

pub use crate::suggest::closest;

/// Reads and checks the stack file at `path`; with `env`, that environment's stack.
pub fn load(path: &Path, env: Option<&str>) -> Result<Stack, StackFileError> {
    let shown = path.display().to_string();
    let source = read_limited(path).map_err(|e| {
        StackFileError::unreadable(
            &shown,
            format!("cannot read {shown}: {e}"),
            "pass the stack file with -f FILE, or run stackctl in the folder that holds stack.toml",
        )
    })?;
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    parse(&shown, &source, &dir, env)
}

/// The largest stack file read, in bytes: far above any real stack (a stack of 300 routes,
/// 100 functions and 50 tables is about 40 KB), and what keeps `-f /dev/zero` from eating memory.
pub const MAX_STACK_FILE: u64 = 4 * 1024 * 1024;

/// Reads a stack file of at most [`MAX_STACK_FILE`] bytes.
fn read_limited(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read_capped(path, MAX_STACK_FILE)?)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()))
}

/// Reads a file the user names (a stack file, a saved plan) of at most `max` bytes: a pipe or
/// a device (`/dev/zero`) is read only that far, so memory stays near the limit. Errors: the
/// file's own, or one saying it is larger than `max`.
pub fn read_capped(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::other(format!(
            "it is larger than {} MB, more than stackctl reads",
            max / (1024 * 1024)
        )));
    }
    Ok(bytes)
}

/// Parses stack file text; `shown` names the file in messages.
pub fn parse(
    shown: &str,
    source: &str,
    dir: &Path,
    env: Option<&str>,
) -> Result<Stack, StackFileError> {
    let read = reader::read(source, dir, env);
    let mut problems = read.problems;
    problems.extend(graph::check_cycles(&read.references));
    problems.sort_by_key(|p| p.span.start);
    match read.stack {
        Some(stack) if problems.is_empty() => Ok(stack),
        // The snippets under errors show lines around the problem: never a secret among them.
        _ => Err(StackFileError::new(
            shown,
            &reader::mask_secrets(source),
            problems,
        )),
    }
}
