//! A REST API stage's settings, after each deployment: stage-wide throttle, execution logging
//! and detailed metrics (method settings of `*/*`), tracing, variables and access log, in one
//! UpdateStage of what differs from GetStage's answer; and the removal of undeclared stages.

use aws_sdk_apigateway::operation::get_stage::GetStageOutput;
use aws_sdk_apigateway::types::{Op, PatchOperation};

use super::Context;
use super::patch;
use crate::aws::{AwsError, CallResult};
use crate::stack::{ApiSpec, LogLevel, StageSpec};

/// Sets the stage's settings where GetStage differs from `stage` (a deployment that creates
/// the stage, on the emulator any deployment, leaves them unset).
pub(super) async fn settings(
    ctx: &Context<'_>,
    api_id: &str,
    stage: &StageSpec,
) -> Result<(), AwsError> {
    let client = &ctx.clients.apigateway;
    let request = client
        .get_stage()
        .rest_api_id(api_id)
        .stage_name(&stage.name);
    let live = request.send().await.op("apigateway:GetStage")?;
    let ops = operations(stage, &live);
    if ops.is_empty() {
        return Ok(());
    }
    client
        .update_stage()
        .rest_api_id(api_id)
        .stage_name(&stage.name)
        .set_patch_operations(Some(ops))
        .send()
        .await
        .op("apigateway:UpdateStage")?;
    Ok(())
}

/// The patch operations that make `live` what `stage` declares (PatchOperation paths:
/// <https://docs.aws.amazon.com/apigateway/latest/api/patch-operations.html#UpdateStage-Patch>).
fn operations(stage: &StageSpec, live: &GetStageOutput) -> Vec<PatchOperation> {
    let replace = |path: &str, value: String| patch(Op::Replace, path, Some(value));
    let mut ops = Vec::new();
    if let Some(throttle) = stage.throttle {
        ops.push(replace(
            "/*/*/throttling/rateLimit",
            throttle.rate.to_string(),
        ));
        ops.push(replace(
            "/*/*/throttling/burstLimit",
            throttle.burst.to_string(),
        ));
    }
    match &stage.access_log {
        Some(log) => {
            ops.push(replace(
                "/accessLogSettings/destinationArn",
                log.destination.clone(),
            ));
            ops.push(replace("/accessLogSettings/format", log.format.clone()));
        }
        None if live
            .access_log_settings()
            .and_then(|l| l.destination_arn())
            .is_some() =>
        {
            ops.push(patch(Op::Remove, "/accessLogSettings", None));
        }
        None => {}
    }
    if live.tracing_enabled() != stage.tracing {
        ops.push(replace("/tracingEnabled", stage.tracing.to_string()));
    }
    let live_vars = live.variables();
    for (name, value) in &stage.variables {
        if live_vars.and_then(|v| v.get(name)) != Some(value) {
            ops.push(replace(&format!("/variables/{name}"), value.clone()));
        }
    }
    for name in live_vars.into_iter().flat_map(|v| v.keys()) {
        if !stage.variables.contains_key(name) {
            ops.push(patch(Op::Remove, &format!("/variables/{name}"), None));
        }
    }
    let all = live.method_settings().and_then(|m| m.get("*/*"));
    let level = all.and_then(|m| m.logging_level()).unwrap_or("OFF");
    let logs = all.is_some_and(|m| level != "OFF" || m.data_trace_enabled() || m.metrics_enabled());
    if stage.logging.is_some() || logs {
        let l = stage.logging;
        let level = l.map_or(LogLevel::Off, |l| l.level).aws_name();
        ops.push(replace("/*/*/logging/loglevel", level.to_string()));
        let trace = l.is_some_and(|l| l.data_trace);
        ops.push(replace("/*/*/logging/dataTrace", trace.to_string()));
        let metrics = l.is_some_and(|l| l.metrics);
        ops.push(replace("/*/*/metrics/enabled", metrics.to_string()));
    }
    ops
}

/// Deletes the API's stages the stack file does not declare.
pub(super) async fn delete_undeclared(
    ctx: &Context<'_>,
    api_id: &str,
    spec: &ApiSpec,
) -> Result<(), AwsError> {
    let client = &ctx.clients.apigateway;
    let out = client.get_stages().rest_api_id(api_id).send().await;
    let out = out.op("apigateway:GetStages")?;
    for stage in out.item() {
        let name = stage.stage_name().unwrap_or_default();
        if spec.stage_names().any(|n| n == name) {
            continue;
        }
        let request = client.delete_stage().rest_api_id(api_id).stage_name(name);
        request.send().await.absent_ok("apigateway:DeleteStage")?;
    }
    Ok(())
}
