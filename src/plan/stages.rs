//! The API's `stages` attribute: each stage's variables and settings, shown when the API has
//! more than one stage or a stage sets more than the stage-wide throttle and access log (those
//! of the first stage are the API's `throttle` and `access_log`, as with one stage).

use std::collections::BTreeMap;

use super::gateway;
use super::{Attrs, Blocker, Value};
use crate::live::LiveState;
use crate::stack::{AccessLog, Address, Cors, Stack, StageSpec, Throttle};

/// Adds `stages` to `a` when `stages` say more than the API's `stage`, `throttle` and
/// `access_log` attributes do.
pub fn add_attr(a: &mut Attrs, stages: &[StageSpec]) {
    let extended = stages.len() > 1
        || stages
            .iter()
            .any(|s| !s.variables.is_empty() || s.tracing || logging(s).is_some());
    if !extended {
        return;
    }
    let each = stages
        .iter()
        .map(|s| (s.name.clone(), Value::Map(stage_attrs(s))))
        .collect();
    a.insert("stages".into(), Value::Map(each));
}

fn stage_attrs(stage: &StageSpec) -> Attrs {
    let mut a = Attrs::new();
    settings_attrs(&mut a, None, stage.throttle);
    access_log_attr(&mut a, stage.access_log.as_ref());
    if !stage.variables.is_empty() {
        a.insert("variables".into(), Value::map(&stage.variables));
    }
    if stage.tracing {
        a.insert("tracing".into(), Value::Bool(true));
    }
    if let Some(logging) = logging(stage) {
        a.insert("logging".into(), logging);
    }
    a
}

/// Logging that does something: a level other than off, data traces or detailed metrics.
fn logging(stage: &StageSpec) -> Option<Value> {
    let l = stage.logging?;
    let level = l.level.aws_name().to_ascii_lowercase();
    if level == "off" && !l.data_trace && !l.metrics {
        return None;
    }
    let mut m = BTreeMap::new();
    m.insert("level".to_string(), Value::Str(level));
    m.insert("data_trace".to_string(), Value::Bool(l.data_trace));
    m.insert("metrics".to_string(), Value::Bool(l.metrics));
    Some(Value::Map(m))
}

pub(super) fn access_log_attr(a: &mut Attrs, log: Option<&AccessLog>) {
    if let Some(log) = log {
        a.insert("access_log".into(), gateway::access_log(log));
    }
}

pub(super) fn settings_attrs(a: &mut Attrs, cors: Option<&Cors>, throttle: Option<Throttle>) {
    if let Some(cors) = cors {
        let mut m = std::collections::BTreeMap::new();
        m.insert(
            "allow_origins".to_string(),
            Value::list(&cors.allow_origins),
        );
        m.insert(
            "allow_methods".to_string(),
            Value::list(&cors.allow_methods),
        );
        m.insert(
            "allow_headers".to_string(),
            Value::list(&cors.allow_headers),
        );
        if let Some(age) = cors.max_age {
            m.insert("max_age".to_string(), Value::Int(age.into()));
        }
        a.insert("cors".into(), Value::Map(m));
    }
    if let Some(t) = throttle {
        a.insert("throttle".into(), gateway::throttle(t));
    }
}

/// A REST stage that logs needs the account's API Gateway CloudWatch role, which the live read
/// found missing: API Gateway would refuse the stage's logging settings.
pub fn logging_role_blockers(stack: &Stack, live: &LiveState) -> Vec<Blocker> {
    if live.gateway_logging_role != Some(false) {
        return Vec::new();
    }
    let stages = crate::live::gateway_account::logging_stages(stack);
    vec![Blocker {
        address: Address::Api,
        message: format!(
            "stage {} logs (logging or access_log), but API Gateway has no CloudWatch role in this account and region (GetAccount: no cloudwatchRoleArn)",
            stages.join(", ")
        ),
        help: "set the role once per account and region: create a role that apigateway.amazonaws.com may assume with the managed policy AmazonAPIGatewayPushToCloudWatchLogs, then `aws apigateway update-account --patch-operations op=replace,path=/cloudwatchRoleArn,value=ROLE_ARN`; or remove logging and access_log".to_string(),
    }]
}
