//! Creates that AWS cannot make idempotent (CreateApi, CreateRestApi: no client token, and
//! names need not be unique). If the SDK sent one again after a lost answer, AWS would make a
//! second API. So each is sent once per attempt: throttling is retried here, and after a lost
//! answer or a 5xx stackctl first looks for what the failed attempt may have made.

use std::future::Future;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::aws::{AwsError, ErrorKind, classify, describe};

const ATTEMPTS: u32 = 6;

/// The retry configuration for one attempt of such a create: the SDK retries nothing.
pub fn one_attempt() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(1)
}

/// Sends `create` (made with [`one_attempt`]) until it is answered; after an attempt whose
/// answer is lost or a 5xx, `made` says whether it made the resource anyway.
pub async fn create<T, E, Sent, Found>(
    operation: &str,
    create: impl Fn() -> Sent,
    made: impl Fn() -> Found,
) -> Result<T, AwsError>
where
    Sent: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    Found: Future<Output = Result<Option<T>, AwsError>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut delay = Duration::from_millis(500);
    let mut attempt = 1;
    loop {
        let last = attempt >= ATTEMPTS;
        match create().await {
            Ok(created) => return Ok(created),
            // Refused before any work: send it again.
            Err(e) if !last && classify(&e) == ErrorKind::Throttled => {}
            // No answer, or a 5xx (AWS may have done the work before failing): look first.
            Err(e)
                if !last
                    && (matches!(e, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_))
                        || e.raw_response()
                            .is_some_and(|r| r.status().is_server_error())) =>
            {
                if let Some(created) = made().await? {
                    return Ok(created);
                }
            }
            Err(e) => return Err(describe(operation, e)),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(8));
        attempt += 1;
    }
}
