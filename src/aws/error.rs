//! AWS errors as stackctl reports and reacts to them.

use aws_credential_types::provider::error::CredentialsError;
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
        /// What to do, for failures that are about the credentials or the connection.
        #[help]
        help: Option<String>,
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
        crate::marks::managed_by(owner.as_deref())
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
    /// No credentials, or credentials AWS refused (expired, unknown, wrong secret).
    Credentials,
    /// The endpoint could not be reached (refused, timed out, no such host).
    Unreachable,
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
        // SNS: a topic or subscription that does not exist.
        | "NotFound"
        // SQS: a queue that does not exist (the JSON and the query protocol's codes).
        | "QueueDoesNotExist"
        | "AWS.SimpleQueueService.NonExistentQueue"
        | "NoSuchEntityException"
        // Application Auto Scaling's (a scalable target that is not registered).
        | "ObjectNotFoundException" => ErrorKind::NotFound,
        "ResourceInUseException"
        | "ResourceConflictException"
        | "ConflictException"
        | "EntityAlreadyExists" => ErrorKind::Conflict,
        "AccessDeniedException"
        | "AccessDenied"
        | "UnauthorizedOperation"
        | "AuthorizationError" => ErrorKind::AccessDenied,
        code if EXPIRED.contains(&code) || REJECTED.contains(&code) => ErrorKind::Credentials,
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

/// Error codes of expired credentials (STS, DynamoDB and most JSON services, S3).
/// Source: <https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html>.
const EXPIRED: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "TokenRefreshRequired",
];

/// Error codes of credentials AWS does not accept: an unknown key, a wrong secret, a session
/// token that does not belong to the key. Source: the Common Errors page of each service's API
/// reference (IAM, STS, DynamoDB, S3).
const REJECTED: &[&str] = &[
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "AuthFailure",
    "InvalidToken",
];

/// Where requests go and with whose credentials, for error messages. Errors are described far
/// from where the clients are made, and a run talks to one target.
#[derive(Debug, Clone)]
pub struct Context {
    /// An explicit endpoint and where it was given; `None`: AWS's own endpoints.
    pub endpoint: Option<super::target::Endpoint>,
    /// `--profile`, whose credentials are used.
    pub profile: Option<String>,
    pub region: String,
}

static CONTEXT: std::sync::OnceLock<Context> = std::sync::OnceLock::new();

/// Records the run's target (the first one wins).
pub fn set_context(context: Context) {
    let _ = CONTEXT.set(context);
}

/// Wraps an SDK error with the operation that failed, a readable one-line message and, for
/// failures about credentials, permissions, throttling or the connection, what to do.
pub fn describe<E>(operation: &str, err: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let context = CONTEXT.get();
    let (kind, message, help) = match explain(operation, &err, context) {
        Some(explained) => explained,
        None => (classify(&err), plain_message(&err), None),
    };
    AwsError::Call {
        operation: operation.to_string(),
        message,
        kind,
        help,
    }
}

/// AWS's code and message, or what happened when there is none.
fn plain_message<E>(err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        _ => match err {
            SdkError::ServiceError(service) => format!(
                "the endpoint answered HTTP {} without an AWS error",
                service.raw().status().as_u16()
            ),
            _ => aws_smithy_types::error::display::DisplayErrorContext(err).to_string(),
        },
    }
}

type Explained = (ErrorKind, String, Option<String>);

/// The failure classes that are about the account rather than the request.
fn explain<E>(
    operation: &str,
    err: &SdkError<E, HttpResponse>,
    context: Option<&Context>,
) -> Option<Explained>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let Some(credentials) = find_source::<CredentialsError>(err) {
        return Some(no_credentials(credentials, context));
    }
    if let SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) = err {
        return Some(unreachable(operation, err, context));
    }
    let code = err.code()?;
    let aws_says = plain_message(err);
    let who = whose_credentials(context);
    let explained = match classify(err) {
        _ if EXPIRED.contains(&code) => (
            ErrorKind::Credentials,
            format!("{who} have expired ({aws_says})"),
            format!("get fresh credentials{}, then run the command again", sso_hint(context)),
        ),
        ErrorKind::Credentials => (
            ErrorKind::Credentials,
            format!("AWS does not accept {who} ({aws_says})"),
            "check that the access key ID, secret and session token belong together and are still active (and that the clock is right)".to_string(),
        ),
        ErrorKind::AccessDenied => (
            ErrorKind::AccessDenied,
            format!("access denied ({aws_says})"),
            format!("give the user or role behind {who} permission for {operation} (AWS's message names the principal)"),
        ),
        ErrorKind::Throttled => (
            ErrorKind::Throttled,
            format!("AWS still throttled it after {} attempts ({aws_says})", max_attempts()),
            "another tool or pipeline may be using the account's quota: run the command again later (AWS_MAX_ATTEMPTS allows more attempts)".to_string(),
        ),
        _ if err
            .raw_response()
            .is_some_and(|r| r.status().is_server_error()) =>
        {
            (
                ErrorKind::Other,
                format!("AWS failed it {} times ({aws_says})", max_attempts()),
                "an error on AWS's side: run the command again later (what is done is not repeated; AWS_MAX_ATTEMPTS allows more attempts)".to_string(),
            )
        }
        _ => return None,
    };
    Some((explained.0, explained.1, Some(explained.2)))
}

/// How many attempts every request gets (see `aws::retry_config`).
fn max_attempts() -> u32 {
    super::retry_config().max_attempts()
}

/// "the credentials of profile prod", "the credentials in AWS_ACCESS_KEY_ID", ...
fn whose_credentials(context: Option<&Context>) -> String {
    match context.and_then(|c| c.profile.as_deref()) {
        Some(profile) => format!("the credentials of profile {profile}"),
        None if std::env::var_os("AWS_ACCESS_KEY_ID").is_some() => {
            "the credentials in AWS_ACCESS_KEY_ID".to_string()
        }
        None => "the credentials".to_string(),
    }
}

fn sso_hint(context: Option<&Context>) -> String {
    match context.and_then(|c| c.profile.as_deref()) {
        Some(profile) => format!(" (for an SSO profile: aws sso login --profile {profile})"),
        None => " (for SSO: aws sso login)".to_string(),
    }
}

/// The credential chain found nothing, or a provider failed (an SSO token expired, a role
/// that cannot be assumed).
fn no_credentials(err: &CredentialsError, context: Option<&Context>) -> Explained {
    let profile = context.and_then(|c| c.profile.as_deref());
    let (message, help) = match (err, profile) {
        (CredentialsError::CredentialsNotLoaded(_), Some(profile)) => (
            format!("profile {profile} has no credentials"),
            format!("add keys, a role or SSO settings to profile {profile} (`aws configure --profile {profile}`)"),
        ),
        (CredentialsError::CredentialsNotLoaded(_), None) => (
            "no AWS credentials found (looked in the environment, the default profile, web identity, ECS and EC2 instance metadata)".to_string(),
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --profile NAME".to_string(),
        ),
        // No profile and no keys in the environment: the chain ran out at its last provider
        // (EC2 instance metadata, off an EC2 instance), whose failure says little.
        (other, None) if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() => (
            format!(
                "no AWS credentials found (looked in the environment, the default profile, web identity, ECS and EC2 instance metadata; the last said: {})",
                one_line(other)
            ),
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --profile NAME".to_string(),
        ),
        (other, _) => (
            format!("could not load {}: {}", whose_credentials(context), one_line(other)),
            format!("check the profile's settings{}", sso_hint(context)),
        ),
    };
    (ErrorKind::Credentials, message, Some(help))
}

/// The connection failed: say which endpoint, and how.
fn unreachable<E>(
    operation: &str,
    err: &SdkError<E, HttpResponse>,
    context: Option<&Context>,
) -> Explained
where
    E: std::error::Error + 'static,
{
    let how = match find_source::<std::io::Error>(err).map(std::io::Error::kind) {
        Some(std::io::ErrorKind::ConnectionRefused) => "connection refused",
        Some(std::io::ErrorKind::ConnectionReset) => "connection reset",
        _ if matches!(err, SdkError::TimeoutError(_)) => "no answer in time",
        _ if DisplayChain(err).to_string().contains("dns error") => "no such host",
        _ => "could not connect",
    };
    let service = operation.split(':').next().unwrap_or(operation);
    let (endpoint, help) = match context {
        Some(Context {
            endpoint: Some(endpoint),
            ..
        }) => (
            endpoint.url.clone(),
            format!(
                "check {} and that the endpoint is running",
                endpoint.source_name
            ),
        ),
        Some(context) => (
            format!("the AWS endpoint of {service} in {}", context.region),
            "check the network (and a proxy, HTTPS_PROXY) and the region".to_string(),
        ),
        None => (
            format!("the endpoint of {service}"),
            "check --endpoint-url, AWS_ENDPOINT_URL and the network".to_string(),
        ),
    };
    (
        ErrorKind::Unreachable,
        format!("{how}: {endpoint}"),
        Some(help),
    )
}

/// The first error of type `T` in `err`'s chain of sources.
fn find_source<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}

/// An error and its sources on one line, without debug dumps.
struct DisplayChain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for DisplayChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut next = self.0.source();
        while let Some(e) = next {
            write!(f, ": {e}")?;
            next = e.source();
        }
        Ok(())
    }
}

fn one_line(err: &CredentialsError) -> String {
    DisplayChain(err).to_string().replace('\n', " ")
}

/// A failure around an SDK call that AWS did not report (an answer without what it must hold, a
/// value not known when it is needed), named after `operation`.
pub fn other(operation: &str, message: impl Into<String>) -> AwsError {
    AwsError::Call {
        operation: operation.to_string(),
        message: message.into(),
        kind: ErrorKind::Other,
        help: None,
    }
}

/// A request stackctl could not even build (a required field missing): a bug or bad input.
pub fn invalid_request(operation: &str, err: impl std::fmt::Display) -> AwsError {
    AwsError::Call {
        operation: operation.to_string(),
        message: format!("invalid request: {err}"),
        kind: ErrorKind::Invalid,
        help: None,
    }
}
