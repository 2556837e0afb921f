//! The apply lock: one item per stack in a DynamoDB table, written with a condition so that
//! two applies of one stack never interleave. The holder renews a lease while it works; a
//! holder that dies stops renewing, and its lock expires.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ReturnValue,
    ScalarAttributeType, TableStatus,
};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::aws::poll::{self, Pace, Poll};
use crate::aws::{AwsError, CallResult, Clients, ErrorKind, classify, describe, invalid_request};
use crate::marks::LOCK_TABLE;

const KEY: &str = "stack";

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
    token: String,
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
    fn from_item(item: &HashMap<String, AttributeValue>) -> Option<LockInfo> {
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

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> Option<u64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

fn generation_of(item: Option<&HashMap<String, AttributeValue>>) -> Generation {
    Generation(item.and_then(|i| number(i, "generation")).unwrap_or(0))
}

/// How long a lease lasts without renewal, and how often the holder renews it.
#[derive(Debug, Clone, Copy)]
pub struct Lease {
    pub duration: Duration,
}

impl Lease {
    /// `STACKCTL_LOCK_LEASE_SECONDS` overrides the default minute.
    pub fn from_env() -> Lease {
        let seconds = std::env::var("STACKCTL_LOCK_LEASE_SECONDS")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|s| *s > 0)
            .unwrap_or(60);
        Lease {
            duration: Duration::from_secs(seconds),
        }
    }

    fn renew_every(self) -> Duration {
        self.duration / 3
    }
}

/// A held lock. Release it; if the process dies instead, it expires with its lease.
pub struct Lock {
    clients: Clients,
    info: LockInfo,
    renewal: JoinHandle<()>,
    lost: watch::Receiver<bool>,
    /// The expired lock this one replaced, if any.
    pub took_over: Option<LockInfo>,
    /// The generation the lock had when it was taken.
    pub generation: Generation,
}

impl Lock {
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// Whether no apply has held the lock since `seen` was read: a plan made after reading
    /// `seen` is then still current. A holder whose lease ran out may have stopped halfway,
    /// so taking over its lock never counts as unchanged.
    pub fn unchanged_since(&self, seen: Option<Generation>) -> bool {
        seen == Some(self.generation) && self.took_over.is_none()
    }

    /// Resolves if the lease could not be renewed: another holder may take the lock then.
    pub async fn lost(&self) {
        let mut lost = self.lost.clone();
        let _ = lost.wait_for(|lost| *lost).await;
    }

    /// Releases the lock: the item stays, without a holder, one generation on.
    pub async fn release(self) -> Result<(), AwsError> {
        self.renewal.abort();
        let result = release_item(&self.clients, &self.info.stack, Some(&self.info.token)).await;
        match result {
            Ok(_) => Ok(()),
            // Someone took it over after our lease ran out: it is theirs now.
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(describe("dynamodb:UpdateItem", e)),
        }
    }
}

impl Drop for Lock {
    /// A lock dropped unreleased (the process is ending) stops renewing, so that it expires.
    fn drop(&mut self) {
        self.renewal.abort();
    }
}

/// What a conditional write of the lock item answers.
type UpdateResult = Result<
    aws_sdk_dynamodb::operation::update_item::UpdateItemOutput,
    aws_smithy_runtime_api::client::result::SdkError<
        aws_sdk_dynamodb::operation::update_item::UpdateItemError,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
>;

/// Removes the holder and moves the generation on; only for `token`'s holder when given.
async fn release_item(clients: &Clients, stack: &str, token: Option<&str>) -> UpdateResult {
    let mut request = clients
        .dynamodb
        .update_item()
        .table_name(LOCK_TABLE)
        .key(KEY, AttributeValue::S(stack.to_string()))
        .update_expression(
            "REMOVE holder, #token, acquired_at, expires_at, host, pid SET generation = if_not_exists(generation, :zero) + :one",
        )
        .expression_attribute_names("#token", "token")
        .expression_attribute_values(":zero", AttributeValue::N("0".to_string()))
        .expression_attribute_values(":one", AttributeValue::N("1".to_string()))
        .return_values(ReturnValue::AllOld);
    if let Some(token) = token {
        request = request
            .condition_expression("#token = :token")
            .expression_attribute_values(":token", AttributeValue::S(token.to_string()));
    }
    request.send().await
}

pub async fn table_exists(clients: &Clients) -> Result<bool, AwsError> {
    match clients
        .dynamodb
        .describe_table()
        .table_name(LOCK_TABLE)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if classify(&e) == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(describe("dynamodb:DescribeTable", e)),
    }
}

/// Creates the lock table, and waits until it is ACTIVE.
pub async fn create_table(clients: &Clients) -> Result<(), AwsError> {
    let op = "dynamodb:CreateTable";
    let created = clients
        .dynamodb
        .create_table()
        .table_name(LOCK_TABLE)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(KEY)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| invalid_request(op, e))?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(KEY)
                .key_type(KeyType::Hash)
                .build()
                .map_err(|e| invalid_request(op, e))?,
        )
        .send()
        .await;
    match created {
        Ok(_) => {}
        // Another apply created it at the same moment.
        Err(e) if classify(&e) == ErrorKind::Conflict => {}
        Err(e) => return Err(describe(op, e)),
    }
    poll::until(
        "the lock table",
        Pace::settle(Duration::from_secs(300)),
        |_| {},
        || false,
        || async {
            let out = clients
                .dynamodb
                .describe_table()
                .table_name(LOCK_TABLE)
                .send()
                .await
                .op("dynamodb:DescribeTable")?;
            Ok(match out.table().and_then(|t| t.table_status()) {
                Some(TableStatus::Active) => Poll::Ready(()),
                status => Poll::Pending(status.map_or("CREATING", |s| s.as_str()).to_string()),
            })
        },
    )
    .await
}

/// Takes `stack`'s lock, waiting up to `timeout` for a holder to release it; `on_wait` hears
/// who holds it and how long this has waited (after each look). A lock whose lease ran out,
/// or whose holder was a process of this machine that no longer exists, is taken over.
/// `cancel` resolving stops the wait (never a request under way: a lock taken then is
/// returned, for the caller to release).
pub async fn acquire(
    clients: &Clients,
    stack: &str,
    holder: &str,
    timeout: Duration,
    lease: Lease,
    mut on_wait: impl FnMut(&LockInfo, Duration),
    cancel: impl Future<Output = ()>,
) -> Result<Lock, LockError> {
    let start = tokio::time::Instant::now();
    let mut delay = Duration::from_millis(500);
    let mut gone: Option<LockInfo> = None;
    tokio::pin!(cancel);
    loop {
        let info = LockInfo::ours(stack, holder, lease);
        match take(clients, &info, gone.as_ref()).await {
            Ok(out) => {
                let took_over = out.attributes().and_then(LockInfo::from_item);
                let generation = generation_of(out.attributes());
                return Ok(start_renewal(clients, info, lease, took_over, generation));
            }
            Err(e) if is_condition_failure(&e) => {}
            Err(e) => return Err(describe("dynamodb:UpdateItem", e).into()),
        }
        let item = item(clients, stack).await?.flatten();
        let Some(current) = item.as_ref().and_then(LockInfo::from_item) else {
            // Released between our write and our read: try again at once.
            gone = None;
            continue;
        };
        if current.token == info.token {
            // Our write went through, its answer was lost, and the SDK sent it again: ours.
            let generation = generation_of(item.as_ref());
            return Ok(start_renewal(clients, info, lease, gone, generation));
        }
        if current.holder_gone() {
            // Take it from that holder, and from no one who took it since.
            gone = Some(current);
            continue;
        }
        gone = None;
        let waited = start.elapsed();
        if waited >= timeout {
            return Err(if timeout.is_zero() {
                LockError::Held(current)
            } else {
                LockError::TimedOut {
                    info: current,
                    waited: timeout,
                }
            });
        }
        on_wait(&current, waited);
        tokio::select! {
            () = tokio::time::sleep(delay.min(timeout.saturating_sub(waited))) => {}
            () = &mut cancel => return Err(LockError::Interrupted(current)),
        }
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// The conditional write that takes the lock: free or expired, or still held by `gone`'s
/// token (a holder of this machine that no longer exists).
async fn take(clients: &Clients, info: &LockInfo, gone: Option<&LockInfo>) -> UpdateResult {
    let request = clients
        .dynamodb
        .update_item()
        .table_name(LOCK_TABLE)
        .key(KEY, AttributeValue::S(info.stack.clone()))
        .update_expression(
            "SET holder = :holder, #token = :token, acquired_at = :now, expires_at = :until, host = :host, pid = :pid",
        )
        .expression_attribute_names("#token", "token")
        .expression_attribute_values(":holder", AttributeValue::S(info.holder.clone()))
        .expression_attribute_values(":token", AttributeValue::S(info.token.clone()))
        .expression_attribute_values(":now", AttributeValue::N(info.acquired_at.to_string()))
        .expression_attribute_values(":until", AttributeValue::N(info.expires_at.to_string()))
        .expression_attribute_values(":host", AttributeValue::S(this_host()))
        .expression_attribute_values(":pid", AttributeValue::N(std::process::id().to_string()))
        .return_values(ReturnValue::AllOld);
    let request = match gone {
        Some(gone) => request
            .condition_expression("#token = :theirs")
            .expression_attribute_values(":theirs", AttributeValue::S(gone.token.clone())),
        None => request.condition_expression("attribute_not_exists(holder) OR expires_at < :now"),
    };
    request.send().await
}

impl LockInfo {
    /// The lock this process asks for now.
    fn ours(stack: &str, holder: &str, lease: Lease) -> LockInfo {
        let acquired_at = now();
        LockInfo {
            stack: stack.to_string(),
            holder: holder.to_string(),
            acquired_at,
            expires_at: acquired_at + lease.duration.as_secs(),
            host: Some(this_host()),
            pid: Some(std::process::id()),
            token: token(stack, holder),
        }
    }
}

fn start_renewal(
    clients: &Clients,
    info: LockInfo,
    lease: Lease,
    took_over: Option<LockInfo>,
    generation: Generation,
) -> Lock {
    let (lost_tx, lost) = watch::channel(false);
    let renewal = {
        let clients = clients.clone();
        let info = info.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease.renew_every()).await;
                let renewed = clients
                    .dynamodb
                    .update_item()
                    .table_name(LOCK_TABLE)
                    .key(KEY, AttributeValue::S(info.stack.clone()))
                    .update_expression("SET #expires = :until")
                    .condition_expression("#token = :token")
                    .expression_attribute_names("#expires", "expires_at")
                    .expression_attribute_names("#token", "token")
                    .expression_attribute_values(
                        ":until",
                        AttributeValue::N((now() + lease.duration.as_secs()).to_string()),
                    )
                    .expression_attribute_values(":token", AttributeValue::S(info.token.clone()))
                    .send()
                    .await;
                if renewed.is_err() {
                    let _ = lost_tx.send(true);
                    return;
                }
            }
        })
    };
    Lock {
        clients: clients.clone(),
        info,
        renewal,
        lost,
        took_over,
        generation,
    }
}

/// The lock item of `stack`: `None` when there is no lock table yet.
async fn item(
    clients: &Clients,
    stack: &str,
) -> Result<Option<Option<HashMap<String, AttributeValue>>>, AwsError> {
    match clients
        .dynamodb
        .get_item()
        .table_name(LOCK_TABLE)
        .key(KEY, AttributeValue::S(stack.to_string()))
        .consistent_read(true)
        .send()
        .await
    {
        Ok(out) => Ok(Some(out.item)),
        Err(e) if classify(&e) == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(describe("dynamodb:GetItem", e)),
    }
}

/// Who holds `stack`'s lock now, if anyone (an expired lock is still returned).
pub async fn read(clients: &Clients, stack: &str) -> Result<Option<LockInfo>, AwsError> {
    Ok(item(clients, stack)
        .await?
        .flatten()
        .as_ref()
        .and_then(LockInfo::from_item))
}

/// What a plan knows of the lock before it reads live state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The lock table does not exist yet: apply creates it.
    NoTable,
    /// The lock's generation now. Read before live state, so that an apply that ends in
    /// between shows as a new generation.
    Generation(Generation),
    /// The credentials may not read the lock (a plan-only role in CI): plans go on.
    Unreadable,
}

pub async fn seen(clients: &Clients, stack: &str) -> Result<Seen, AwsError> {
    match item(clients, stack).await {
        Ok(None) => Ok(Seen::NoTable),
        Ok(Some(item)) => Ok(Seen::Generation(generation_of(item.as_ref()))),
        Err(AwsError::Call {
            kind: ErrorKind::AccessDenied,
            ..
        }) => Ok(Seen::Unreadable),
        Err(e) => Err(e),
    }
}

/// Removes `stack`'s lock whoever holds it; returns what was removed.
pub async fn force_release(clients: &Clients, stack: &str) -> Result<Option<LockInfo>, AwsError> {
    match release_item(clients, stack, None).await {
        Ok(out) => Ok(out.attributes().and_then(LockInfo::from_item)),
        Err(e) if classify(&e) == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(describe("dynamodb:UpdateItem", e)),
    }
}

/// Who this process is, as other users see it in "locked by ...":
/// `STACKCTL_LOCK_HOLDER` (a CI job's name, say), else user@host and the process ID.
pub fn holder() -> String {
    if let Ok(holder) = std::env::var("STACKCTL_LOCK_HOLDER")
        && !holder.trim().is_empty()
    {
        return holder;
    }
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "someone".to_string());
    format!("{user}@{} (pid {})", this_host(), std::process::id())
}

/// This machine's name, as the kernel has it (what a lock's `host` is compared with).
fn this_host() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_string())
}

/// Whether process `pid` exists (signal 0 checks without sending anything: kill(2)). Where
/// this cannot be known, every process counts as alive.
fn process_alive(pid: u32) -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return true;
        };
        // SAFETY: signal 0 sends nothing; kill only checks that the process exists.
        let answer = unsafe { libc::kill(pid, 0) };
        answer == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        let _ = pid;
        true
    }
}

fn is_condition_failure<E, R>(err: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> bool
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    use aws_smithy_types::error::metadata::ProvideErrorMetadata;
    err.code() == Some("ConditionalCheckFailedException")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A value only this acquisition knows: releases and renewals must present it.
fn token(stack: &str, holder: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = format!("{stack}|{holder}|{}|{nanos}", std::process::id());
    crate::hash::sha256_hex(seed, 12)
}

/// Seconds since the epoch as RFC 3339.
pub fn time(seconds: u64) -> String {
    aws_smithy_types::DateTime::from_secs(seconds as i64)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| seconds.to_string())
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::Client;
    use aws_sdk_dynamodb::operation::get_item::{GetItemError, GetItemOutput};
    use aws_sdk_dynamodb::types::error::ResourceNotFoundException;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    fn clients(rule: &aws_smithy_mocks::Rule) -> Clients {
        Clients::with_dynamodb(mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [rule]))
    }

    #[tokio::test]
    async fn a_plan_sees_the_generation_a_missing_table_or_a_lock_it_may_not_read() {
        let item = mock!(Client::get_item).then_output(|| {
            GetItemOutput::builder()
                .item(KEY, AttributeValue::S("shop".into()))
                .item("generation", AttributeValue::N("7".into()))
                .build()
        });
        assert_eq!(
            seen(&clients(&item), "shop").await.unwrap(),
            Seen::Generation(Generation(7))
        );

        let missing = mock!(Client::get_item).then_error(|| {
            GetItemError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("Requested resource not found")
                    .meta(
                        ErrorMetadata::builder()
                            .code("ResourceNotFoundException")
                            .build(),
                    )
                    .build(),
            )
        });
        assert_eq!(
            seen(&clients(&missing), "shop").await.unwrap(),
            Seen::NoTable
        );

        let denied = mock!(Client::get_item).then_error(|| {
            GetItemError::generic(
                ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("not authorized to perform: dynamodb:GetItem")
                    .build(),
            )
        });
        assert_eq!(
            seen(&clients(&denied), "shop").await.unwrap(),
            Seen::Unreadable
        );
    }
}
