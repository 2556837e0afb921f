//! What the SDK's standard retry should not retry.

use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};

/// A refused connection is not retried: nothing listens at the endpoint (a wrong
/// `--endpoint-url`, an emulator that is not running), and six attempts with backoff would
/// spend seconds before saying so. Dropped connections and timeouts are still retried.
#[derive(Debug, Clone, Copy)]
pub struct RefusedConnection;

impl ClassifyRetry for RefusedConnection {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(Err(err)) = ctx.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        let Some(connector) = err.as_connector_error() else {
            return RetryAction::NoActionIndicated;
        };
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(connector);
        while let Some(e) = next {
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
            {
                return RetryAction::RetryForbidden;
            }
            next = e.source();
        }
        RetryAction::NoActionIndicated
    }

    fn name(&self) -> &'static str {
        "stackctl: refused connection"
    }

    /// Runs before the SDK's classifiers: a forbidden retry ends classification.
    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_before(RetryClassifierPriority::http_status_code_classifier())
    }
}
