//! A function's settings beside its configuration: reserved concurrency (PutFunctionConcurrency)
//! and its log group's retention (CloudWatch Logs); the tracing and VPC settings
//! CreateFunction and UpdateFunctionConfiguration send.

use aws_sdk_lambda::types::{TracingConfig, TracingMode, VpcConfig};

use crate::apply::Context;
use crate::aws::{AwsError, CallResult, ErrorKind, classify, describe};
use crate::plan::FunctionDesired;

/// Reserves `reserved` concurrent executions for the function, or with `None` removes the
/// reservation (the function shares the account's unreserved concurrency).
pub(super) async fn set_concurrency(
    ctx: &Context<'_>,
    name: &str,
    reserved: Option<i32>,
) -> Result<(), AwsError> {
    let lambda = &ctx.clients.lambda;
    match reserved {
        Some(n) => lambda
            .put_function_concurrency()
            .function_name(name)
            .reserved_concurrent_executions(n)
            .send()
            .await
            .map(drop)
            .op("lambda:PutFunctionConcurrency"),
        None => lambda
            .delete_function_concurrency()
            .function_name(name)
            .send()
            .await
            .map(drop)
            .op("lambda:DeleteFunctionConcurrency"),
    }
}

/// Sets how long the function's log group keeps logs; the group is created if Lambda has not
/// written to it yet. It is not deleted with the function: logs are data.
pub(super) async fn set_retention(
    ctx: &Context<'_>,
    function: &str,
    days: Option<i32>,
) -> Result<(), AwsError> {
    let logs = &ctx.clients.logs;
    let group = format!("/aws/lambda/{function}");
    let Some(days) = days else {
        return logs
            .delete_retention_policy()
            .log_group_name(&group)
            .send()
            .await
            .absent_ok("logs:DeleteRetentionPolicy")
            .map(|_| ());
    };
    match logs.create_log_group().log_group_name(&group).send().await {
        Ok(_) => {}
        Err(e)
            if classify(&e) == ErrorKind::Conflict
                || e.as_service_error()
                    .is_some_and(|s| s.is_resource_already_exists_exception()) => {}
        Err(e) => return Err(describe("logs:CreateLogGroup", e)),
    }
    logs.put_retention_policy()
        .log_group_name(&group)
        .retention_in_days(days)
        .send()
        .await
        .op("logs:PutRetentionPolicy")?;
    Ok(())
}

pub(super) fn tracing_config(mode: crate::stack::Tracing) -> TracingConfig {
    TracingConfig::builder()
        .mode(TracingMode::from(mode.aws_name()))
        .build()
}

/// The function's subnets and security groups; empty lists take it out of its VPC
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_VpcConfig.html>).
pub(super) fn vpc_config(d: &FunctionDesired) -> VpcConfig {
    let vpc = d.spec.vpc.as_ref();
    VpcConfig::builder()
        .set_subnet_ids(Some(
            vpc.map(|v| v.subnets.iter().cloned().collect())
                .unwrap_or_default(),
        ))
        .set_security_group_ids(Some(
            vpc.map(|v| v.security_groups.iter().cloned().collect())
                .unwrap_or_default(),
        ))
        .build()
}
