//! Apply's waits: a status poll whose progress goes to the reporter and which stops when the
//! user interrupts.

use std::future::Future;
use std::time::Duration;

use crate::aws::AwsError;
use crate::aws::poll::{self, Pace};
use crate::stack::Address;

use super::Context;

pub use crate::aws::poll::Poll as Status;

/// Polls `check` until it reports `Ready`, up to `timeout`.
pub async fn until<F, Fut>(
    ctx: &Context<'_>,
    address: &Address,
    what: &str,
    timeout: Duration,
    check: F,
) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Status<()>, AwsError>>,
{
    poll::until(
        what,
        Pace::settle(timeout),
        |status| ctx.reporter.progress(address, &format!("{what}: {status}")),
        || ctx.interrupted(),
        check,
    )
    .await
}
