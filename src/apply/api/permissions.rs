//! The Lambda invoke permissions of both kinds of API: a routed function holds one statement
//! that lets API Gateway invoke it for any route of the API ([`ROUTES_STATEMENT_ID`]), granted
//! once per apply however many of its routes change; a Lambda authorizer's lets the API's
//! authorizers call it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::Context;
use crate::aws::{AwsError, CallResult, ErrorKind, classify, describe};
use crate::marks::ROUTES_STATEMENT_ID;

/// The functions granted the API's invoke permission during this apply, by function ARN: the
/// routes of one function share one AddPermission (Lambda's writes are held to 15 a second).
#[derive(Default)]
pub struct Grants(Mutex<BTreeMap<String, Arc<OnceCell<()>>>>);

/// Lets API Gateway invoke the function for every route of this API, once per apply; a
/// failed grant is tried again by the next route that needs it. With `replace`, the statement
/// the function holds for an API that goes is removed first (AWS would answer the add with
/// ResourceConflictException; the emulator would keep both).
pub(super) async fn permit_routes(
    ctx: &Context<'_>,
    function_arn: &str,
    api_id: &str,
    replace: bool,
) -> Result<(), AwsError> {
    let cell = {
        let mut grants = ctx.invoke_grants.0.lock().expect("grants lock");
        grants.entry(function_arn.to_string()).or_default().clone()
    };
    cell.get_or_try_init(|| async {
        if replace {
            revoke(ctx, function_arn, ROUTES_STATEMENT_ID).await?;
        }
        let source = format!("{api_id}/*");
        allow_invoke(ctx, function_arn, ROUTES_STATEMENT_ID, &source).await
    })
    .await
    .map(drop)
}

/// Lets API Gateway call a Lambda authorizer of this API.
pub(super) async fn permit_authorizer(
    ctx: &Context<'_>,
    function_arn: &str,
    api_id: &str,
    name: &str,
) -> Result<(), AwsError> {
    let statement = crate::marks::authorizer_statement_id(name);
    allow_invoke(
        ctx,
        function_arn,
        &statement,
        &format!("{api_id}/authorizers/*"),
    )
    .await
}

/// Adds an invoke permission for API Gateway with the source [`crate::arn::execute_api`] of
/// `source`. A statement of the same ID is kept when it names this source already, and
/// replaced when it names another (left by an API that was replaced): one GetPolicy, only then.
pub(crate) async fn allow_invoke(
    ctx: &Context<'_>,
    function_arn: &str,
    statement_id: &str,
    source: &str,
) -> Result<(), AwsError> {
    let account = crate::arn::account_of(function_arn).unwrap_or_default();
    let source_arn = crate::arn::execute_api(ctx.region(), account, source);
    let add = || {
        ctx.clients
            .lambda
            .add_permission()
            .function_name(function_arn)
            .statement_id(statement_id)
            .action("lambda:InvokeFunction")
            .principal("apigateway.amazonaws.com")
            .source_arn(&source_arn)
            .send()
    };
    match add().await {
        Ok(_) => Ok(()),
        Err(e) if classify(&e) == ErrorKind::Conflict => {
            if names_source(ctx, function_arn, statement_id, &source_arn).await? {
                return Ok(());
            }
            revoke(ctx, function_arn, statement_id).await?;
            add().await.map(drop).op("lambda:AddPermission")
        }
        Err(e) => Err(describe("lambda:AddPermission", e)),
    }
}

/// Whether the function's statement `statement_id` lets exactly `source_arn` invoke it.
async fn names_source(
    ctx: &Context<'_>,
    function_arn: &str,
    statement_id: &str,
    source_arn: &str,
) -> Result<bool, AwsError> {
    let request = ctx.clients.lambda.get_policy().function_name(function_arn);
    let Some(out) = request.send().await.absent_ok("lambda:GetPolicy")? else {
        return Ok(false);
    };
    let policy: serde_json::Value =
        serde_json::from_str(out.policy().unwrap_or("{}")).unwrap_or_default();
    let statements = policy["Statement"].as_array().cloned().unwrap_or_default();
    Ok(statements.iter().any(|s| {
        s["Sid"] == statement_id
            && s["Condition"]["ArnLike"]["AWS:SourceArn"].as_str() == Some(source_arn)
    }))
}

/// Removes the statement from the function's policy; one already gone is fine.
pub(crate) async fn revoke(
    ctx: &Context<'_>,
    function_arn: &str,
    statement_id: &str,
) -> Result<(), AwsError> {
    // A route to `${stageVariables.NAME}` names no alias: its function's own policy is meant.
    let function_arn = match function_arn.contains("${") {
        true => crate::arn::unqualified(function_arn),
        false => function_arn.to_string(),
    };
    ctx.clients
        .lambda
        .remove_permission()
        .function_name(function_arn)
        .statement_id(statement_id)
        .send()
        .await
        .absent_ok("lambda:RemovePermission")
        .map(drop)
}

/// Removes `statements` from the policy of the function a route invoked, once the route no
/// longer needs them (the plan's list: see `plan::api`).
pub(super) async fn revoke_all(
    ctx: &Context<'_>,
    function_arn: Option<&str>,
    statements: &[String],
) -> Result<(), AwsError> {
    let Some(function_arn) = function_arn else {
        return Ok(());
    };
    for statement in statements {
        revoke(ctx, function_arn, statement).await?;
    }
    Ok(())
}
