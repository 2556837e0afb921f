//! What every SDK call site needs, as methods on the call's result: the operation's name on the
//! error (`.op("dynamodb:UpdateTable")`), and "not found" as an answer rather than an error
//! (`.absent_ok("lambda:GetPolicy")`).

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::error::{AwsError, ErrorKind, classify, describe};

/// Extension methods on the result of an SDK call (`client.op().send().await`).
pub trait CallResult<T> {
    /// Names the operation that failed (`"service:Action"`, as in IAM policies) and explains the
    /// error: see [`describe`].
    ///
    /// # Errors
    /// [`AwsError::Call`] for every SDK error.
    fn op(self, operation: &str) -> Result<T, AwsError>;

    /// Like [`CallResult::op`], but an error of the [`ErrorKind::NotFound`] class
    /// (`ResourceNotFoundException`, `NotFoundException`, `NoSuchEntity`) is `Ok(None)`: for
    /// reads of what may not exist, and deletes of what may already be gone.
    ///
    /// # Errors
    /// [`AwsError::Call`] for every other SDK error.
    fn absent_ok(self, operation: &str) -> Result<Option<T>, AwsError>;
}

impl<T, E> CallResult<T> for Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    fn op(self, operation: &str) -> Result<T, AwsError> {
        self.map_err(|e| describe(operation, e))
    }

    fn absent_ok(self, operation: &str) -> Result<Option<T>, AwsError> {
        match self {
            Ok(output) => Ok(Some(output)),
            Err(e) if classify(&e) == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(describe(operation, e)),
        }
    }
}
