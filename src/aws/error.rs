//! AWS errors as stackctl reports and reacts to them.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum AwsError {
    #[error("no AWS region is configured")]
    #[diagnostic(help(
        "set region = \"us-east-1\" under [stack], pass --region, or set AWS_REGION"
    ))]
    NoRegion,

    #[error("{operation} failed: {message}")]
    Call {
        operation: String,
        message: String,
        kind: ErrorKind,
    },

    #[error("timed out after {seconds}s waiting for {what}")]
    #[diagnostic(help(
        "the resource may still be settling in AWS; run the command again to continue"
    ))]
    WaitTimeout { what: String, seconds: u64 },

    #[error("stopped waiting for {what}: interrupted")]
    #[diagnostic(help("run the command again to finish"))]
    Interrupted { what: String },

    /// A create met a resource of the same name that is not the stack's: stackctl touches
    /// nothing of it.
    #[error(
        "{kind} {name} exists but is managed by {}; stackctl left it untouched (rename it in the stack file, or remove the existing one)",
        crate::stack::managed_by(owner.as_deref())
    )]
    NotOwned {
        kind: String,
        name: String,
        /// The stack its tag names, if any.
        owner: Option<String>,
    },

    #[error("{what} reached status {status}{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    BadStatus {
        what: String,
        status: String,
        reason: Option<String>,
    },
}

/// How an error should be treated, independent of the service that raised it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    Conflict,
    AccessDenied,
    Throttled,
    Invalid,
    Other,
}

/// Classifies an SDK error by its error code.
pub fn classify<E, R>(err: &SdkError<E, R>) -> ErrorKind
where
    E: ProvideErrorMetadata,
{
    let Some(code) = err.code() else {
        return ErrorKind::Other;
    };
    match code {
        "ResourceNotFoundException"
        | "NotFoundException"
        | "NoSuchEntity"
        | "NoSuchEntityException" => ErrorKind::NotFound,
        "ResourceInUseException"
        | "ResourceConflictException"
        | "ConflictException"
        | "EntityAlreadyExists" => ErrorKind::Conflict,
        "AccessDeniedException" | "AccessDenied" | "UnrecognizedClientException" => {
            ErrorKind::AccessDenied
        }
        "ThrottlingException"
        | "TooManyRequestsException"
        | "Throttling"
        | "LimitExceededException" => ErrorKind::Throttled,
        "ValidationException" | "InvalidParameterValueException" | "BadRequestException" => {
            ErrorKind::Invalid
        }
        _ => ErrorKind::Other,
    }
}

/// Wraps an SDK error with the operation that failed and a readable message.
pub fn describe<E>(operation: &str, err: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let kind = classify(&err);
    let message = match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        _ => match &err {
            SdkError::ServiceError(service) => format!(
                "the endpoint answered HTTP {} without an AWS error",
                service.raw().status().as_u16()
            ),
            SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => {
                "could not reach the AWS endpoint (check --endpoint-url, AWS_ENDPOINT_URL and your network)"
                    .to_string()
            }
            _ => aws_smithy_types::error::display::DisplayErrorContext(&err).to_string(),
        },
    };
    AwsError::Call {
        operation: operation.to_string(),
        message,
        kind,
    }
}

/// A request stackctl could not even build (a required field missing): a bug or bad input.
pub fn invalid_request(operation: &str, err: impl std::fmt::Display) -> AwsError {
    AwsError::Call {
        operation: operation.to_string(),
        message: format!("invalid request: {err}"),
        kind: ErrorKind::Invalid,
    }
}
