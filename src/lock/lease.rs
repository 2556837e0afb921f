//! A held lock: its lease, renewed in the background until it is released.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::holder::now;
use super::info::{Generation, KEY, LockInfo};
use super::item::{is_condition_failure, release_item};
use crate::aws::{AwsError, Clients, describe};
use crate::marks::LOCK_TABLE;

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

/// The lock `info` describes, held: its lease renewed every third of its length until the
/// lock is released or dropped.
pub(super) fn start_renewal(
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
