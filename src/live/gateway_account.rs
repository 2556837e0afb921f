//! API Gateway's account settings that a stack depends on: the CloudWatch role REST APIs log
//! with (GetAccount's `cloudwatchRoleArn`, one per account and region). Execution logging and
//! access logs of a REST stage need it: without it, UpdateStage is refused ("CloudWatch Logs
//! role ARN must be set in account settings to enable logging",
//! <https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html>).

use crate::aws::{AwsError, CallResult, Clients};
use crate::stack::{ApiType, LogLevel, Stack};

/// Whether the account has API Gateway's CloudWatch role: read (one GetAccount) only when a
/// REST stage of the stack declares execution logging or an access log; `None` otherwise.
pub async fn read_logging_role(clients: &Clients, stack: &Stack) -> Result<Option<bool>, AwsError> {
    if logging_stages(stack).is_empty() {
        return Ok(None);
    }
    let account = clients.apigateway.get_account().send().await;
    let account = account.op("apigateway:GetAccount")?;
    Ok(Some(
        account.cloudwatch_role_arn().is_some_and(|a| !a.is_empty()),
    ))
}

/// The REST stages that log (execution logs at a level other than off, data trace, or an
/// access log), by name.
pub fn logging_stages(stack: &Stack) -> Vec<&str> {
    let Some(api) = stack.api.as_ref().filter(|a| a.api_type == ApiType::Rest) else {
        return Vec::new();
    };
    let logs = |s: &&crate::stack::StageSpec| {
        let execution = s
            .logging
            .is_some_and(|l| l.level != LogLevel::Off || l.data_trace);
        execution || s.access_log.is_some()
    };
    api.stages
        .iter()
        .filter(logs)
        .map(|s| s.name.as_str())
        .collect()
}
