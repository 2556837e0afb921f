//! Polling a status field: backoff between calls, every new status reported, a deadline, and
//! a way out when the user interrupts. Used by apply's waits and by export/import.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::AwsError;

/// One look at a status field.
pub enum Poll<T> {
    /// The wanted status, with what was learned on the way (an ARN, a description).
    Ready(T),
    /// Still settling, with the status AWS reports.
    Pending(String),
    /// A terminal status that is not the one wanted.
    Failed {
        status: String,
        reason: Option<String>,
    },
}

/// How long and how often to look.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    pub timeout: Duration,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Pace {
    /// Resource updates: settle in seconds to minutes.
    pub fn settle(timeout: Duration) -> Self {
        Pace {
            timeout,
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
        }
    }

    /// Data jobs (exports, imports): minutes to hours.
    pub fn job(timeout: Duration) -> Self {
        Pace {
            timeout,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// Calls `check` until it reports `Ready`, `Failed`, the deadline passes or `interrupted`
/// says so; `on_status` hears each status that differs from the one before.
pub async fn until<T, F, Fut>(
    what: &str,
    pace: Pace,
    mut on_status: impl FnMut(&str),
    interrupted: impl Fn() -> bool,
    mut check: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, AwsError>>,
{
    let start = Instant::now();
    let mut delay = pace.first_delay;
    let mut last = String::new();
    loop {
        match check().await? {
            Poll::Ready(value) => return Ok(value),
            Poll::Failed { status, reason } => {
                return Err(AwsError::BadStatus {
                    what: what.to_string(),
                    status,
                    reason,
                });
            }
            Poll::Pending(status) => {
                if status != last {
                    on_status(&status);
                    last = status;
                }
            }
        }
        if interrupted() {
            return Err(AwsError::Interrupted {
                what: what.to_string(),
            });
        }
        if start.elapsed() >= pace.timeout {
            return Err(AwsError::WaitTimeout {
                what: what.to_string(),
                seconds: pace.timeout.as_secs(),
            });
        }
        tokio::time::sleep(delay.min(pace.timeout.saturating_sub(start.elapsed()))).await;
        delay = (delay * 2).min(pace.max_delay);
    }
}
