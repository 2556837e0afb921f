//! REST routes that publish their request body to an SNS topic: an AWS service integration
//! calling SNS's Publish with the role the stack makes for API Gateway
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/integrating-api-with-aws-services-s3.html>
//! shows the form; SNS's query API takes `Action=Publish&TopicArn=...&Message=...`:
//! <https://docs.aws.amazon.com/sns/latest/api/API_Publish.html>).

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_apigateway::types::IntegrationType;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::{Method, known, route_error};
use crate::apply::{Context, role_output};
use crate::aws::{AwsError, CallResult, ErrorKind, classify, describe};
use crate::plan::PublishDesired;

/// How long a role made moments ago may stay unknown to API Gateway (IAM is eventually
/// consistent: <https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency>).
const ROLE_PROPAGATION: Duration = Duration::from_secs(60);

/// What SNS answers is passed on as it is: 200 with SNS's XML.
const STATUS: &str = "200";

/// PutIntegration of an AWS integration that publishes the request body to the topic with the
/// role, then the method's 200 response and the integration's. A new role API Gateway cannot
/// use yet is waited for, up to [`ROLE_PROPAGATION`].
pub(super) async fn put_integration(
    ctx: &Context<'_>,
    at: &Method<'_>,
    p: &PublishDesired,
) -> Result<(), AwsError> {
    let (topic_arn, role_arn) = arns(ctx, p)?;
    put_publish(ctx, at, &topic_arn, &role_arn).await
}

/// [`put_integration`] with the topic's and the role's ARNs.
pub(super) async fn put_publish(
    ctx: &Context<'_>,
    at: &Method<'_>,
    topic_arn: &str,
    role_arn: &str,
) -> Result<(), AwsError> {
    let start = tokio::time::Instant::now();
    let mut delay = Duration::from_secs(1);
    loop {
        let put = ctx
            .clients
            .apigateway
            .put_integration()
            .rest_api_id(at.api_id)
            .resource_id(at.resource_id)
            .http_method(at.method)
            .r#type(IntegrationType::Aws)
            .integration_http_method("POST")
            .uri(crate::arn::sns_publish_uri(ctx.region()))
            .credentials(role_arn)
            .request_parameters(
                "integration.request.header.Content-Type",
                "'application/x-www-form-urlencoded'",
            )
            .request_templates("application/json", crate::arn::publish_template(topic_arn))
            .passthrough_behavior("NEVER")
            .send()
            .await;
        match put {
            Ok(_) => break,
            Err(e) if role_unseen(&e) && start.elapsed() < ROLE_PROPAGATION => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            Err(e) => return Err(describe("apigateway:PutIntegration", e)),
        }
    }
    put_responses(ctx, at).await
}

/// The ARNs of the topic a route publishes to and of the role API Gateway assumes.
pub(super) fn arns(ctx: &Context<'_>, p: &PublishDesired) -> Result<(String, String), AwsError> {
    let topic_arn = known(ctx, &crate::plan::topic_arn_reference(&p.topic))?;
    let role_arn = ctx
        .output(&role_output(&p.role))
        .or_else(|| p.role_arn.clone())
        .ok_or_else(|| route_error(format!("the ARN of role {} is not known", p.role)))?;
    Ok((topic_arn, role_arn))
}

/// Whether PutIntegration's error says API Gateway cannot use the role (yet).
fn role_unseen<E: ProvideErrorMetadata>(e: &E) -> bool {
    let message = e.message().unwrap_or_default().to_lowercase();
    message.contains("role") && !message.contains("cross-account")
}

/// The method's 200 response (PutMethodResponse; one that exists is kept) and the
/// integration's, which PutIntegration cleared.
async fn put_responses(ctx: &Context<'_>, at: &Method<'_>) -> Result<(), AwsError> {
    let models = HashMap::from([("application/json".to_string(), "Empty".to_string())]);
    let response = ctx
        .clients
        .apigateway
        .put_method_response()
        .rest_api_id(at.api_id)
        .resource_id(at.resource_id)
        .http_method(at.method)
        .status_code(STATUS)
        .set_response_models(Some(models))
        .send()
        .await;
    match response {
        Err(e) if classify(&e) == ErrorKind::Conflict => {}
        Err(e) => return Err(describe("apigateway:PutMethodResponse", e)),
        Ok(_) => {}
    }
    ctx.clients
        .apigateway
        .put_integration_response()
        .rest_api_id(at.api_id)
        .resource_id(at.resource_id)
        .http_method(at.method)
        .status_code(STATUS)
        .selection_pattern("")
        .send()
        .await
        .op("apigateway:PutIntegrationResponse")?;
    Ok(())
}
