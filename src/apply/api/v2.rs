//! The requests HTTP and WebSocket APIs share (both API Gateway v2, the same SDK): the
//! auto-deployed stage with its throttle and access log, a route's Lambda proxy integration,
//! a route's delete (the API's tags: `v2_sync_tags` and `v2_tag` in `mod.rs`).
//! <https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-stages.html>

use std::collections::HashMap;

use aws_sdk_apigatewayv2::operation::create_route::builders::CreateRouteFluentBuilder;
use aws_sdk_apigatewayv2::types::{
    AccessLogSettings, AuthorizationType, IntegrationType, RouteSettings,
};

use crate::apply::Context;
use crate::aws::{AwsError, CallResult};
use crate::stack::{AccessLog, StageSpec};

/// What changed of a live stage that stays.
#[derive(Clone, Copy)]
pub(crate) struct StageEdit {
    pub throttle: bool,
    pub access_log: bool,
}

/// The stage's default route settings: its throttle (requests per second, burst) and detailed
/// metrics; with neither, none at all (API Gateway's account defaults apply).
fn route_settings(stage: &StageSpec) -> RouteSettings {
    let metrics = stage.logging.is_some_and(|l| l.metrics);
    let t = stage.throttle;
    RouteSettings::builder()
        .set_throttling_rate_limit(t.map(|t| t.rate))
        .set_throttling_burst_limit(t.map(|t| t.burst))
        .set_detailed_metrics_enabled(metrics.then_some(true))
        .build()
}

/// Whether the stage declares any default route setting.
fn has_route_settings(stage: &StageSpec) -> bool {
    stage.throttle.is_some() || stage.logging.is_some_and(|l| l.metrics)
}

/// The access log; with none, settings without a destination, which turn it off.
fn access_log(log: Option<&AccessLog>) -> AccessLogSettings {
    match log {
        Some(log) => AccessLogSettings::builder()
            .destination_arn(&log.destination)
            .format(&log.format)
            .build(),
        None => AccessLogSettings::builder().build(),
    }
}

/// CreateStage with AutoDeploy, so that no CreateDeployment follows a change, with the
/// stage's variables, default route settings and access log (left unset where not declared).
pub(crate) async fn create_stage(
    ctx: &Context<'_>,
    api_id: &str,
    stage: &StageSpec,
) -> Result<(), AwsError> {
    let variables = (!stage.variables.is_empty()).then(|| stage.variables.clone().into_iter());
    ctx.clients
        .apigatewayv2
        .create_stage()
        .api_id(api_id)
        .stage_name(&stage.name)
        .auto_deploy(true)
        .set_default_route_settings(has_route_settings(stage).then(|| route_settings(stage)))
        .set_access_log_settings(stage.access_log.as_ref().map(|log| access_log(Some(log))))
        .set_stage_variables(variables.map(Iterator::collect))
        .send()
        .await
        .op("apigateway:CreateStage")?;
    Ok(())
}

/// Creates the declared stage where `live` (the API's stage names) lacks it, and deletes the
/// others (a stage that is gone already is deleted).
pub(crate) async fn replace_stage(
    ctx: &Context<'_>,
    api_id: &str,
    live: &[String],
    stage: &StageSpec,
) -> Result<(), AwsError> {
    if !live.contains(&stage.name) {
        create_stage(ctx, api_id, stage).await?;
    }
    let keep = [stage.name.clone()];
    delete_stages_but(ctx, api_id, live, &keep).await
}

/// Deletes the `live` stages whose names are not in `keep` (a stage gone already is deleted).
pub(crate) async fn delete_stages_but(
    ctx: &Context<'_>,
    api_id: &str,
    live: &[String],
    keep: &[String],
) -> Result<(), AwsError> {
    for old in live.iter().filter(|s| !keep.contains(s)) {
        let request = ctx.clients.apigatewayv2.delete_stage();
        let request = request.api_id(api_id).stage_name(old);
        request.send().await.absent_ok("apigateway:DeleteStage")?;
    }
    Ok(())
}

/// One UpdateStage for the throttle and the access log, where they changed; none when neither
/// did.
pub(crate) async fn update_stage(
    ctx: &Context<'_>,
    api_id: &str,
    stage: &StageSpec,
    edit: StageEdit,
) -> Result<(), AwsError> {
    if !edit.throttle && !edit.access_log {
        return Ok(());
    }
    let log = stage.access_log.as_ref();
    let request = ctx.clients.apigatewayv2.update_stage();
    let request = request
        .api_id(api_id)
        .stage_name(&stage.name)
        .set_default_route_settings(edit.throttle.then(|| route_settings(stage)))
        .set_access_log_settings(edit.access_log.then(|| access_log(log)));
    request.send().await.op("apigateway:UpdateStage")?;
    Ok(())
}

/// Creates the declared stages that are missing, updates those whose settings differ from
/// what was read (`read`), and deletes the others.
pub(crate) async fn sync_stages(
    ctx: &Context<'_>,
    api_id: &str,
    wanted: &[StageSpec],
    live: &[String],
    read: &[StageSpec],
) -> Result<(), AwsError> {
    for stage in wanted {
        if !live.contains(&stage.name) {
            create_stage(ctx, api_id, stage).await?;
            continue;
        }
        let found = read.iter().find(|s| s.name == stage.name);
        if let Some(found) = found.filter(|r| *r != stage) {
            update_stage_to(ctx, api_id, stage, found).await?;
        }
    }
    let keep: Vec<String> = wanted.iter().map(|s| s.name.clone()).collect();
    delete_stages_but(ctx, api_id, live, &keep).await
}

/// One UpdateStage of a stage whose settings differ from what was `read`: its default route
/// settings (no settings at all: API Gateway's account defaults), access log (none turns it
/// off) and variables (one no longer declared is set empty, which removes it).
async fn update_stage_to(
    ctx: &Context<'_>,
    api_id: &str,
    stage: &StageSpec,
    read: &StageSpec,
) -> Result<(), AwsError> {
    let mut variables: HashMap<String, String> = read
        .variables
        .keys()
        .map(|k| (k.clone(), String::new()))
        .collect();
    variables.extend(stage.variables.clone());
    let request = ctx.clients.apigatewayv2.update_stage().api_id(api_id);
    request
        .stage_name(&stage.name)
        .default_route_settings(route_settings(stage))
        .access_log_settings(access_log(stage.access_log.as_ref()))
        .set_stage_variables(Some(variables))
        .send()
        .await
        .op("apigateway:UpdateStage")?;
    Ok(())
}

/// CreateIntegration of a Lambda proxy integration invoking `uri` (a function's ARN for an
/// HTTP API, its invocation URI for a WebSocket API); `payload_format`: HTTP APIs' "2.0".
/// Answers the integration's ID.
pub(crate) async fn create_integration(
    ctx: &Context<'_>,
    api_id: &str,
    uri: &str,
    payload_format: Option<&str>,
) -> Result<String, AwsError> {
    let integration = ctx
        .clients
        .apigatewayv2
        .create_integration()
        .api_id(api_id)
        .integration_type(IntegrationType::AwsProxy)
        .integration_uri(uri)
        .set_payload_format_version(payload_format.map(str::to_string))
        .send()
        .await
        .op("apigateway:CreateIntegration")?;
    Ok(integration.integration_id().unwrap_or_default().to_string())
}

/// CreateRoute's request for a route invoking the integration, with its authorization type
/// and authorizer ID; the caller sets what its kind of API adds, and sends it.
pub(crate) fn create_route(
    ctx: &Context<'_>,
    api_id: &str,
    key: &str,
    integration_id: &str,
    (kind, authorizer): (AuthorizationType, Option<String>),
) -> CreateRouteFluentBuilder {
    ctx.clients
        .apigatewayv2
        .create_route()
        .api_id(api_id)
        .route_key(key)
        .target(format!("integrations/{integration_id}"))
        .authorization_type(kind)
        .set_authorizer_id(authorizer)
}

/// Points a route's integration at another function (`uri` as for [`create_integration`]).
pub(crate) async fn update_integration(
    ctx: &Context<'_>,
    api_id: &str,
    integration_id: &str,
    uri: &str,
) -> Result<(), AwsError> {
    let request = ctx.clients.apigatewayv2.update_integration().api_id(api_id);
    let request = request.integration_id(integration_id).integration_uri(uri);
    request.send().await.op("apigateway:UpdateIntegration")?;
    Ok(())
}

/// Deletes the route (its route responses go with it) and then its integration; either one
/// that is gone already is deleted.
pub(crate) async fn delete_route(
    ctx: &Context<'_>,
    api_id: &str,
    route_id: &str,
    integration_id: Option<&str>,
) -> Result<(), AwsError> {
    let client = &ctx.clients.apigatewayv2;
    let request = client.delete_route().api_id(api_id).route_id(route_id);
    request.send().await.absent_ok("apigateway:DeleteRoute")?;
    if let Some(integration_id) = integration_id {
        delete_integration(ctx, api_id, integration_id).await?;
    }
    Ok(())
}

/// Deletes an integration (one that is gone already is deleted).
pub(crate) async fn delete_integration(
    ctx: &Context<'_>,
    api_id: &str,
    integration_id: &str,
) -> Result<(), AwsError> {
    let request = ctx.clients.apigatewayv2.delete_integration().api_id(api_id);
    let request = request.integration_id(integration_id);
    request
        .send()
        .await
        .absent_ok("apigateway:DeleteIntegration")?;
    Ok(())
}
