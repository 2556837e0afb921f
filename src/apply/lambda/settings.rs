//! A function's settings beside its configuration: reserved concurrency (PutFunctionConcurrency)
//! and its log group's retention (CloudWatch Logs).

use crate::apply::Context;
use crate::aws::{AwsError, CallResult, ErrorKind, classify, describe};

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
