//! Taking a stack's lock: a conditional write, and a wait while another holder has it.

use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::holder::{now, this_host, token};
use super::info::{KEY, LockError, LockInfo, generation_of};
use super::item::{UpdateResult, is_condition_failure, item};
use super::lease::{Lease, Lock, start_renewal};
use crate::aws::{Clients, describe};
use crate::marks::LOCK_TABLE;

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
