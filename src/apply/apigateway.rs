//! The HTTP API (API Gateway v2) and its routes. Each route has its own Lambda proxy
//! integration and its own invoke permission, so one route's change touches nothing else.

use std::collections::HashMap;

use aws_sdk_apigatewayv2::types::{IntegrationType, ProtocolType};

use super::{Context, changed};
use crate::aws::{AwsError, ErrorKind, classify, describe};
use crate::live::{LiveApi, LiveRoute, stage_url};
use crate::plan::{Action, ApiDesired, Change, Desired, Live, RouteDesired};
use crate::stack::{RefAttr, RefTarget, Reference, STACK_TAG};

const API_ID: Reference = Reference {
    target: RefTarget::Api,
    attr: RefAttr::Id,
};

pub async fn apply_api(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    let desired = match &change.desired {
        Some(Desired::Api(d)) => Some(d),
        _ => None,
    };
    let live = match &change.live {
        Some(Live::Api(a)) => Some(a),
        _ => None,
    };
    match (change.action, desired, live) {
        (Action::Create, Some(d), _) => create_api(ctx, d).await,
        (Action::Update, Some(d), Some(l)) => update_api(ctx, change, d, l).await,
        (Action::Delete, _, Some(l)) => delete_api(ctx, &l.id).await,
        _ => Ok(()),
    }
}

async fn create_api(ctx: &Context<'_>, d: &ApiDesired) -> Result<(), AwsError> {
    let client = &ctx.clients.apigatewayv2;
    let mut tags: HashMap<String, String> = d.spec.tags.clone().into_iter().collect();
    tags.insert(STACK_TAG.to_string(), d.stack.clone());
    let api = client
        .create_api()
        .name(&d.name)
        .protocol_type(ProtocolType::Http)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(|e| describe("apigateway:CreateApi", e))?;
    let id = api.api_id().unwrap_or_default().to_string();
    let endpoint = api.api_endpoint().unwrap_or_default().to_string();
    // Known before the stage exists, so that a failure below still leaves the API findable
    // (it is tagged) and the next apply adds the stage.
    ctx.set_output(API_ID.to_string(), id.clone());
    create_stage(ctx, &id, &d.spec.stage).await?;
    ctx.set_output(api_url().to_string(), stage_url(&endpoint, &d.spec.stage));
    Ok(())
}

fn api_url() -> Reference {
    Reference {
        target: RefTarget::Api,
        attr: RefAttr::Url,
    }
}

async fn create_stage(ctx: &Context<'_>, api_id: &str, stage: &str) -> Result<(), AwsError> {
    ctx.clients
        .apigatewayv2
        .create_stage()
        .api_id(api_id)
        .stage_name(stage)
        .auto_deploy(true)
        .send()
        .await
        .map_err(|e| describe("apigateway:CreateStage", e))?;
    Ok(())
}

async fn update_api(
    ctx: &Context<'_>,
    change: &Change,
    d: &ApiDesired,
    live: &LiveApi,
) -> Result<(), AwsError> {
    let client = &ctx.clients.apigatewayv2;
    if changed(change, "stage") {
        if !live.stages.contains(&d.spec.stage) {
            create_stage(ctx, &live.id, &d.spec.stage).await?;
        }
        for old in live.stages.iter().filter(|s| **s != d.spec.stage) {
            client
                .delete_stage()
                .api_id(&live.id)
                .stage_name(old)
                .send()
                .await
                .map_err(|e| describe("apigateway:DeleteStage", e))?;
        }
    }
    if changed(change, "tags") {
        let arn = format!("arn:aws:apigateway:{}::/apis/{}", ctx.region(), live.id);
        let removed: Vec<String> = live
            .tags
            .keys()
            .filter(|k| !d.spec.tags.contains_key(*k))
            .cloned()
            .collect();
        if !removed.is_empty() {
            client
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(|e| describe("apigateway:UntagResource", e))?;
        }
        if !d.spec.tags.is_empty() {
            client
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(d.spec.tags.clone().into_iter().collect()))
                .send()
                .await
                .map_err(|e| describe("apigateway:TagResource", e))?;
        }
    }
    ctx.set_output(api_url().to_string(), live.url(&d.spec.stage));
    Ok(())
}

async fn delete_api(ctx: &Context<'_>, id: &str) -> Result<(), AwsError> {
    match ctx
        .clients
        .apigatewayv2
        .delete_api()
        .api_id(id)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if classify(&e) == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(describe("apigateway:DeleteApi", e)),
    }
}

pub async fn apply_route(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    let desired = match &change.desired {
        Some(Desired::Route(d)) => Some(d),
        _ => None,
    };
    let live = match &change.live {
        Some(Live::Route { api_id, route }) => Some((api_id.as_str(), route)),
        _ => None,
    };
    match (change.action, desired, live) {
        (Action::Create, Some(d), _) => create_route(ctx, d).await,
        (Action::Update, Some(d), Some((api_id, route))) => {
            update_route(ctx, change, d, api_id, route).await
        }
        (Action::Delete, _, Some((api_id, route))) => delete_route(ctx, api_id, route).await,
        _ => Ok(()),
    }
}

fn known(ctx: &Context<'_>, reference: &Reference) -> Result<String, AwsError> {
    ctx.resolve(reference).ok_or_else(|| AwsError::Call {
        operation: "route".to_string(),
        message: format!("{reference} is not known (did the change that provides it fail?)"),
        kind: ErrorKind::Other,
    })
}

fn function_arn(ctx: &Context<'_>, d: &RouteDesired) -> Result<String, AwsError> {
    known(
        ctx,
        &Reference {
            target: RefTarget::Function(d.logical_function.clone()),
            attr: RefAttr::Arn,
        },
    )
}

async fn create_route(ctx: &Context<'_>, d: &RouteDesired) -> Result<(), AwsError> {
    let client = &ctx.clients.apigatewayv2;
    let api_id = known(ctx, &API_ID)?;
    let function_arn = function_arn(ctx, d)?;
    let integration = client
        .create_integration()
        .api_id(&api_id)
        .integration_type(IntegrationType::AwsProxy)
        .integration_uri(&function_arn)
        .payload_format_version("2.0")
        .send()
        .await
        .map_err(|e| describe("apigateway:CreateIntegration", e))?;
    let integration_id = integration.integration_id().unwrap_or_default();
    client
        .create_route()
        .api_id(&api_id)
        .route_key(&d.key)
        .target(format!("integrations/{integration_id}"))
        .send()
        .await
        .map_err(|e| describe("apigateway:CreateRoute", e))?;
    permit(ctx, &function_arn, &api_id, d).await
}

async fn update_route(
    ctx: &Context<'_>,
    change: &Change,
    d: &RouteDesired,
    api_id: &str,
    live: &LiveRoute,
) -> Result<(), AwsError> {
    let function_arn = function_arn(ctx, d)?;
    if changed(change, "function") {
        let Some(integration_id) = &live.integration_id else {
            // A route with no integration: replace it whole.
            delete_route(ctx, api_id, live).await?;
            return create_route(ctx, d).await;
        };
        ctx.clients
            .apigatewayv2
            .update_integration()
            .api_id(api_id)
            .integration_id(integration_id)
            .integration_uri(&function_arn)
            .send()
            .await
            .map_err(|e| describe("apigateway:UpdateIntegration", e))?;
        if let Some(old) = &live.function_arn {
            revoke(ctx, old, &d.statement_id).await?;
        }
    }
    permit(ctx, &function_arn, api_id, d).await
}

async fn delete_route(ctx: &Context<'_>, api_id: &str, live: &LiveRoute) -> Result<(), AwsError> {
    let client = &ctx.clients.apigatewayv2;
    match client
        .delete_route()
        .api_id(api_id)
        .route_id(&live.id)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) if classify(&e) == ErrorKind::NotFound => {}
        Err(e) => return Err(describe("apigateway:DeleteRoute", e)),
    }
    if let Some(integration_id) = &live.integration_id {
        match client
            .delete_integration()
            .api_id(api_id)
            .integration_id(integration_id)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if classify(&e) == ErrorKind::NotFound => {}
            Err(e) => return Err(describe("apigateway:DeleteIntegration", e)),
        }
    }
    if let Some(function) = &live.function_arn {
        revoke(ctx, function, &crate::plan::statement_id(&live.key)).await?;
    }
    Ok(())
}

/// Lets API Gateway invoke the function for exactly this API and route.
async fn permit(
    ctx: &Context<'_>,
    function_arn: &str,
    api_id: &str,
    d: &RouteDesired,
) -> Result<(), AwsError> {
    let account = function_arn.split(':').nth(4).unwrap_or_default();
    let (method, path) = d.key.split_once(' ').unwrap_or(("ANY", "/"));
    let method = if method == "ANY" { "*" } else { method };
    let source_arn = format!(
        "arn:aws:execute-api:{}:{account}:{api_id}/*/{method}{path}",
        ctx.region()
    );
    match ctx
        .clients
        .lambda
        .add_permission()
        .function_name(function_arn)
        .statement_id(&d.statement_id)
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .source_arn(source_arn)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if classify(&e) == ErrorKind::Conflict => Ok(()),
        Err(e) => Err(describe("lambda:AddPermission", e)),
    }
}

async fn revoke(ctx: &Context<'_>, function_arn: &str, statement_id: &str) -> Result<(), AwsError> {
    match ctx
        .clients
        .lambda
        .remove_permission()
        .function_name(function_arn)
        .statement_id(statement_id)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if classify(&e) == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(describe("lambda:RemovePermission", e)),
    }
}
