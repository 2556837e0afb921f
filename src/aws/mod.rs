//! The one place that turns profile, region and endpoint into AWS clients.

mod error;
mod limits;
pub mod poll;
mod request_log;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};

pub use error::{AwsError, ErrorKind, classify, describe, invalid_request};

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

/// Throttling, 5xx and dropped connections are retried with exponential backoff and jitter.
fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(6)
        .with_max_backoff(Duration::from_secs(8))
}

/// What the command line and the stack file say about where to talk to.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
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
}

/// Builds one service's client from the shared configuration, with the request log if asked.
macro_rules! client {
    ($sdk:ident, $config:expr, $log:expr) => {{
        let mut builder = $sdk::config::Builder::from($config);
        if $log {
            builder = builder.interceptor(request_log::RequestLog);
        }
        $sdk::Client::from_conf(builder.build())
    }};
}

impl Clients {
    /// Builds clients from the standard AWS configuration chain, overridden by `target`.
    /// `AWS_ENDPOINT_URL` and the profile's `endpoint_url` are honoured by the chain itself.
    pub async fn new(target: &Target) -> Result<Self, AwsError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            // Throttling and 5xx are retried with exponential backoff and jitter.
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
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &target.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &target.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let config = loader.load().await;
        let region = config
            .region()
            .map(|r| r.to_string())
            .ok_or(AwsError::NoRegion)?;
        let log = request_log::RequestLog::enabled();
        // The emulator serves S3 only with path-style addresses; AWS accepts both.
        let s3 = {
            let mut builder = aws_sdk_s3::config::Builder::from(&config).force_path_style(
                target.endpoint_url.is_some() || std::env::var_os("AWS_ENDPOINT_URL").is_some(),
            );
            if log {
                builder = builder.interceptor(request_log::RequestLog);
            }
            aws_sdk_s3::Client::from_conf(builder.build())
        };
        Ok(Clients {
            region,
            dynamodb: client!(aws_sdk_dynamodb, &config, log),
            lambda: client!(aws_sdk_lambda, &config, log),
            apigateway: client!(aws_sdk_apigateway, &config, log),
            apigatewayv2: client!(aws_sdk_apigatewayv2, &config, log),
            iam: client!(aws_sdk_iam, &config, log),
            tagging: client!(aws_sdk_resourcegroupstagging, &config, log),
            s3,
            ssm: client!(aws_sdk_ssm, &config, log),
            sts: client!(aws_sdk_sts, &config, log),
            logs: client!(aws_sdk_cloudwatchlogs, &config, log),
        })
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
            .map_err(|e| describe("sts:GetCallerIdentity", e))?;
        Ok(me.account().unwrap_or_default().to_string())
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
        }
    }
}
