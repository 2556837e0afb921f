//! The one place that turns profile, region and endpoint into AWS clients.

mod call;
mod error;
mod limits;
pub mod poll;
pub mod regions;
mod request_log;
mod retry;
pub mod target;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};

pub use call::CallResult;
pub use error::{AwsError, ErrorKind, classify, describe, invalid_request, other};
pub use request_log::enable as log_requests;
pub use target::TargetError;

/// Unsets every empty `AWS_*` environment variable: CI systems set variables that expand to
/// nothing, and the SDK takes an empty `AWS_ENDPOINT_URL` as an endpoint (and panics). For
/// every AWS setting, empty means unset.
///
/// # Safety
/// Changes the environment: call before any other thread exists.
pub unsafe fn unset_empty_variables() {
    let empty: Vec<_> = std::env::vars_os()
        .filter(|(name, value)| name.to_string_lossy().starts_with("AWS_") && value.is_empty())
        .map(|(name, _)| name)
        .collect();
    for name in empty {
        // SAFETY: the caller guarantees that no other thread reads the environment.
        unsafe { std::env::remove_var(name) };
    }
}

/// The HTTP client the SDK would use by default.
fn default_http_client() -> Option<aws_smithy_runtime_api::client::http::SharedHttpClient> {
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
    use aws_smithy_runtime_api::client::runtime_plugin::RuntimePlugin;
    let plugin = aws_smithy_runtime::client::defaults::default_http_client_plugin_v2(
        aws_smithy_runtime_api::client::behavior_version::BehaviorVersion::latest(),
    )?;
    plugin
        .runtime_components(&RuntimeComponentsBuilder::new("stackctl"))
        .http_client()
}

/// Throttling, 5xx and dropped connections are retried with exponential backoff and jitter:
/// 6 attempts, or `AWS_MAX_ATTEMPTS` (the SDKs' standard setting, source:
/// <https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html>).
fn retry_config() -> RetryConfig {
    let attempts = std::env::var("AWS_MAX_ATTEMPTS")
        .ok()
        .and_then(|n| n.trim().parse().ok())
        .filter(|&n| n >= 1)
        .unwrap_or(6);
    RetryConfig::standard()
        .with_max_attempts(attempts)
        .with_max_backoff(Duration::from_secs(8))
}

/// What the command line and the stack file say about where to talk to.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

/// Why clients could not be made: a bad target, or no region.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ClientsError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Aws(#[from] AwsError),
}

/// Every client stackctl uses, made from one shared configuration.
#[derive(Clone)]
pub struct Clients {
    pub region: String,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub apigateway: aws_sdk_apigateway::Client,
    pub apigatewayv2: aws_sdk_apigatewayv2::Client,
    pub iam: aws_sdk_iam::Client,
    pub tagging: aws_sdk_resourcegroupstagging::Client,
    pub s3: aws_sdk_s3::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub sts: aws_sdk_sts::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// Application Auto Scaling: tables' and indexes' scalable targets and policies.
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// Cognito user pools, their clients and domains.
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
    /// SNS: the stack's topics and their subscriptions.
    pub sns: aws_sdk_sns::Client,
    /// SQS: the stack's queues.
    pub sqs: aws_sdk_sqs::Client,
    /// EventBridge: the rules of functions' schedules.
    pub events: aws_sdk_eventbridge::Client,
}

/// Builds one service's client from the shared configuration, with the request log if asked.
macro_rules! client {
    ($sdk:ident, $config:expr, $log:expr) => {{
        let mut builder =
            $sdk::config::Builder::from($config).retry_classifier(retry::RefusedConnection);
        if $log {
            builder = builder.interceptor(request_log::RequestLog);
        }
        $sdk::Client::from_conf(builder.build())
    }};
}

impl Clients {
    /// Builds clients from the standard AWS configuration chain, overridden by `target`.
    /// An explicit profile's credentials win over the environment's (`AWS_ACCESS_KEY_ID`);
    /// the profile, endpoint and region are checked before any request.
    pub async fn new(target: &Target) -> Result<Self, ClientsError> {
        let profile = target::named_profile(target.profile.as_deref());
        if let Some((name, source_name)) = &profile {
            target::profile(name, source_name)?;
        }
        let endpoint = target::endpoint(target.endpoint_url.as_deref())?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(retry_config())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            );
        // Every request waits for the control-plane quotas it counts against.
        if let Some(inner) = default_http_client() {
            loader = loader.http_client(limits::RateLimited::new(
                inner,
                std::sync::Arc::new(limits::Limits::default()),
            ));
        }
        if let Some(profile) = &target.profile {
            // The default chain would take AWS_ACCESS_KEY_ID first: another account.
            let credentials = aws_config::profile::ProfileFileCredentialsProvider::builder()
                .profile_name(profile)
                .build();
            loader = loader
                .profile_name(profile)
                .credentials_provider(credentials);
        }
        if let Some(region) = &target.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(endpoint) = &endpoint {
            loader = loader.endpoint_url(&endpoint.url);
        }
        let config = loader.load().await;
        let region = config
            .region()
            .map(|r| r.to_string())
            .ok_or(AwsError::NoRegion)?;
        if target.region.is_none() {
            target::region(&region, &target::region_source())?;
        }
        error::set_context(error::Context {
            endpoint: endpoint.clone(),
            profile: target.profile.clone(),
            region: region.clone(),
        });
        Ok(Self::from_config(&config, region, endpoint.is_some()))
    }

    fn from_config(config: &aws_config::SdkConfig, region: String, emulator: bool) -> Self {
        let log = request_log::RequestLog::enabled();
        // The emulator serves S3 only with path-style addresses; AWS accepts both.
        let s3 = {
            let mut builder = aws_sdk_s3::config::Builder::from(config)
                .force_path_style(emulator)
                .retry_classifier(retry::RefusedConnection);
            if log {
                builder = builder.interceptor(request_log::RequestLog);
            }
            aws_sdk_s3::Client::from_conf(builder.build())
        };
        Clients {
            region,
            dynamodb: client!(aws_sdk_dynamodb, config, log),
            lambda: client!(aws_sdk_lambda, config, log),
            apigateway: client!(aws_sdk_apigateway, config, log),
            apigatewayv2: client!(aws_sdk_apigatewayv2, config, log),
            iam: client!(aws_sdk_iam, config, log),
            tagging: client!(aws_sdk_resourcegroupstagging, config, log),
            s3,
            ssm: client!(aws_sdk_ssm, config, log),
            sts: client!(aws_sdk_sts, config, log),
            logs: client!(aws_sdk_cloudwatchlogs, config, log),
            autoscaling: client!(aws_sdk_applicationautoscaling, config, log),
            cloudwatch: client!(aws_sdk_cloudwatch, config, log),
            cognito: client!(aws_sdk_cognitoidentityprovider, config, log),
            sns: client!(aws_sdk_sns, config, log),
            sqs: client!(aws_sdk_sqs, config, log),
            events: client!(aws_sdk_eventbridge, config, log),
        }
    }

    /// How every call is retried (see [`retry_config`]).
    pub fn retry_config(&self) -> RetryConfig {
        retry_config()
    }

    /// The account the credentials belong to.
    pub async fn account(&self) -> Result<String, AwsError> {
        let me = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .op("sts:GetCallerIdentity")?;
        Ok(me.account().unwrap_or_default().to_string())
    }

    /// Clients for unit tests whose DynamoDB client answers from these mock rules (in any
    /// order: `RuleMode::MatchAny`), the others unusable.
    #[cfg(test)]
    pub fn answering(rules: &[&aws_smithy_mocks::Rule]) -> Self {
        use aws_smithy_mocks::{RuleMode, mock_client};
        Self::with_dynamodb(mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, rules))
    }

    /// Clients for unit tests: `dynamodb` as given (a mock), the others unusable.
    #[cfg(test)]
    pub fn with_dynamodb(dynamodb: aws_sdk_dynamodb::Client) -> Self {
        let config = aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .build();
        Clients {
            region: "us-east-1".to_string(),
            dynamodb,
            lambda: aws_sdk_lambda::Client::new(&config),
            apigateway: aws_sdk_apigateway::Client::new(&config),
            apigatewayv2: aws_sdk_apigatewayv2::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            tagging: aws_sdk_resourcegroupstagging::Client::new(&config),
            s3: aws_sdk_s3::Client::new(&config),
            ssm: aws_sdk_ssm::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            autoscaling: aws_sdk_applicationautoscaling::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            cognito: aws_sdk_cognitoidentityprovider::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
            sqs: aws_sdk_sqs::Client::new(&config),
            events: aws_sdk_eventbridge::Client::new(&config),
        }
    }
}
