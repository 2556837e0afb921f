//! Waiting on status fields: poll with backoff, report each new status, give up at a deadline.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::aws::AwsError;
use crate::stack::Address;

use super::Context;

pub enum Status {
    Ready,
    /// Still settling, with the status AWS reports.
    Pending(String),
    /// A terminal status that is not the one wanted.
    Failed {
        status: String,
        reason: Option<String>,
    },
}

/// Polls `check` until it reports `Ready`, up to `timeout`.
pub async fn until<F, Fut>(
    ctx: &Context<'_>,
    address: &Address,
    what: &str,
    timeout: Duration,
    mut check: F,
) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Status, AwsError>>,
{
    let start = Instant::now();
    let mut delay = Duration::from_millis(250);
    let mut last = String::new();
    loop {
        match check().await? {
            Status::Ready => return Ok(()),
            Status::Failed { status, reason } => {
                return Err(AwsError::BadStatus {
                    what: what.to_string(),
                    status,
                    reason,
                });
            }
            Status::Pending(status) => {
                if status != last {
                    ctx.reporter.progress(address, &format!("{what}: {status}"));
                    last = status;
                }
            }
        }
        if ctx.interrupted() {
            return Err(AwsError::Interrupted {
                what: what.to_string(),
            });
        }
        if start.elapsed() >= timeout {
            return Err(AwsError::WaitTimeout {
                what: what.to_string(),
                seconds: timeout.as_secs(),
            });
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}
