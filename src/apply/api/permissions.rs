//! The Lambda invoke permissions of both kinds of API: a route's function may be invoked by
//! API Gateway for exactly that API and route, a Lambda authorizer's by the API's authorizers.

use super::Context;
use crate::aws::{AwsError, CallResult, ErrorKind, classify, describe};
use crate::plan::RouteDesired;

/// Lets API Gateway invoke the function for exactly this API and route. A statement of the
/// same ID (left by an API that was replaced) is replaced, so that it names this API.
pub(super) async fn permit(
    ctx: &Context<'_>,
    function_arn: &str,
    api_id: &str,
    d: &RouteDesired,
) -> Result<(), AwsError> {
    let (method, path) = d.key.split_once(' ').unwrap_or(("ANY", "/"));
    let method = if method == "ANY" { "*" } else { method };
    let source = format!("{api_id}/*/{method}{path}");
    allow_invoke(ctx, function_arn, &d.statement_id, &source).await
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
/// `source`.
/// A statement of the same ID (left by an API that was replaced) is replaced, so that it names
/// this API.
async fn allow_invoke(
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
            revoke(ctx, function_arn, statement_id).await?;
            add().await.map(drop).op("lambda:AddPermission")
        }
        Err(e) => Err(describe("lambda:AddPermission", e)),
    }
}

/// Removes the statement from the function's policy; one already gone is fine.
pub(super) async fn revoke(
    ctx: &Context<'_>,
    function_arn: &str,
    statement_id: &str,
) -> Result<(), AwsError> {
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

/// Removes the invoke permission of a route that goes, if it invoked a function.
pub(super) async fn revoke_route(
    ctx: &Context<'_>,
    live: &crate::live::LiveRoute,
) -> Result<(), AwsError> {
    match &live.function_arn {
        Some(function) => revoke(ctx, function, &crate::marks::statement_id(&live.key)).await,
        None => Ok(()),
    }
}
