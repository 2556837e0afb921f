//! Carries out schedule changes: PutRule with the expression and the stack's tag, Lambda's
//! AddPermission for `events.amazonaws.com` scoped to the rule's ARN, PutTargets with the
//! function; an expression change is one PutRule; a delete removes the targets, the rule and
//! the permission.

use aws_sdk_eventbridge::types::{RuleState, Tag, Target};

use super::Context;
use crate::aws::{AwsError, CallResult, ErrorKind, classify, describe, other};
use crate::live::LiveSchedule;
use crate::plan::{Action, Change, Desired, Live, ScheduleAttr, ScheduleDesired};
use crate::stack::{RefAttr, RefTarget, Reference};

/// The principal EventBridge invokes functions as.
const EVENTS_SERVICE: &str = "events.amazonaws.com";
/// The ID of a schedule rule's one target.
const TARGET_ID: &str = "function";

pub(super) async fn apply(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    let desired = match &change.desired {
        Some(Desired::Schedule(d)) => Some(d),
        _ => None,
    };
    let live = match &change.live {
        Some(Live::Schedule(l)) => Some(l),
        _ => None,
    };
    match (change.action, desired, live) {
        (Action::Create, Some(d), _) => put(ctx, d, true).await,
        (Action::Update, Some(d), Some(_)) => {
            put(ctx, d, change.changed(ScheduleAttr::Target)).await
        }
        (Action::Delete, _, Some(l)) => delete(ctx, change, l).await,
        _ => Err(other(
            "eventbridge",
            format!(
                "the plan's change to {} lacks what it needs",
                change.address
            ),
        )),
    }
}

/// PutRule; with `target`, also the invoke permission and the target.
async fn put(ctx: &Context<'_>, desired: &ScheduleDesired, target: bool) -> Result<(), AwsError> {
    let tag = Tag::builder()
        .key(crate::marks::STACK_TAG)
        .value(&desired.stack)
        .build()
        .map_err(|e| other("eventbridge:PutRule", e.to_string()))?;
    let rule = ctx
        .clients
        .events
        .put_rule()
        .name(&desired.name)
        .schedule_expression(&desired.expression)
        .state(RuleState::Enabled)
        .tags(tag)
        .send()
        .await
        .op("eventbridge:PutRule")?;
    if !target {
        return Ok(());
    }
    let rule_arn = rule.rule_arn().unwrap_or_default();
    let reference = Reference {
        target: RefTarget::Function(desired.function.clone()),
        attr: RefAttr::Arn,
    };
    let function_arn = ctx.resolve(&reference).ok_or_else(|| {
        other(
            "eventbridge:PutTargets",
            format!("{reference} is not known: its change failed or was skipped"),
        )
    })?;
    allow_invoke(ctx, &function_arn, desired.index, rule_arn).await?;
    let target = Target::builder()
        .id(TARGET_ID)
        .arn(&function_arn)
        .build()
        .map_err(|e| other("eventbridge:PutTargets", e.to_string()))?;
    ctx.clients
        .events
        .put_targets()
        .rule(&desired.name)
        .targets(target)
        .send()
        .await
        .op("eventbridge:PutTargets")
        .map(drop)
}

/// Lets EventBridge invoke the function for this rule only; a statement of the same ID (a
/// rule made again) is replaced.
async fn allow_invoke(
    ctx: &Context<'_>,
    function_arn: &str,
    index: usize,
    rule_arn: &str,
) -> Result<(), AwsError> {
    let statement = crate::marks::schedule_statement_id(index);
    let add = || {
        ctx.clients
            .lambda
            .add_permission()
            .function_name(function_arn)
            .statement_id(&statement)
            .action("lambda:InvokeFunction")
            .principal(EVENTS_SERVICE)
            .source_arn(rule_arn)
            .send()
    };
    match add().await {
        Ok(_) => Ok(()),
        Err(e) if classify(&e) == ErrorKind::Conflict => {
            remove_permission(ctx, function_arn, &statement).await?;
            add().await.map(drop).op("lambda:AddPermission")
        }
        Err(e) => Err(describe("lambda:AddPermission", e)),
    }
}

async fn remove_permission(
    ctx: &Context<'_>,
    function_arn: &str,
    statement: &str,
) -> Result<(), AwsError> {
    ctx.clients
        .lambda
        .remove_permission()
        .function_name(function_arn)
        .statement_id(statement)
        .send()
        .await
        .absent_ok("lambda:RemovePermission")
        .map(drop)
}

/// RemoveTargets, DeleteRule (EventBridge refuses to delete a rule with targets), then the
/// functions' invoke permissions.
async fn delete(ctx: &Context<'_>, change: &Change, live: &LiveSchedule) -> Result<(), AwsError> {
    if !live.targets.is_empty() {
        ctx.clients
            .events
            .remove_targets()
            .rule(&live.name)
            .ids(TARGET_ID)
            .send()
            .await
            .absent_ok("eventbridge:RemoveTargets")?;
    }
    ctx.clients
        .events
        .delete_rule()
        .name(&live.name)
        .send()
        .await
        .absent_ok("eventbridge:DeleteRule")?;
    let index = match &change.address {
        crate::stack::Address::Schedule(key) => key.rsplit(' ').next().and_then(|i| i.parse().ok()),
        _ => None,
    };
    let statement = crate::marks::schedule_statement_id(index.unwrap_or(1));
    for arn in live.targets.iter().filter(|a| a.contains(":function:")) {
        remove_permission(ctx, arn, &statement).await?;
    }
    Ok(())
}
