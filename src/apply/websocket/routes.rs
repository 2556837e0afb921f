//! The WebSocket API's routes: each with its own Lambda proxy integration, so one route's
//! change touches nothing else. A two-way route has the `$default` route response (a proxy
//! integration has no integration response: API Gateway passes the function's output on,
//! <https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-responses.html>).
//! Each routed function holds the WebSocket API's invoke permission, granted once per apply.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_apigatewayv2::types::{AuthorizationType, IntegrationType};
use tokio::sync::OnceCell;

use super::authorizer::AUTHORIZER_ID;
use super::{Context, api_id, unknown};
use crate::apply::api::{allow_invoke, revoke};
use crate::aws::{AwsError, CallResult};
use crate::live::LiveWebsocketRoute;
use crate::marks::WEBSOCKET_STATEMENT_ID;
use crate::plan::{Action, Change, Desired, Live, WebsocketRouteAttr, WebsocketRouteDesired};
use crate::stack::{RefAttr, RefTarget, Reference};

/// The route response key of a two-way route: the only one WebSocket APIs take
/// (<https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-response.html>).
const RESPONSE_KEY: &str = "$default";

/// The functions granted the WebSocket API's invoke permission during this apply, by ARN.
#[derive(Default)]
pub struct Grants(Mutex<BTreeMap<String, Arc<OnceCell<()>>>>);

pub async fn apply_route(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    let desired = match &change.desired {
        Some(Desired::WebsocketRoute(d)) => Some(d),
        _ => None,
    };
    let (live, revoke_after) = match &change.live {
        Some(Live::WebsocketRoute {
            api_id,
            route,
            revoke,
        }) => (Some((api_id.as_str(), route)), revoke.as_slice()),
        _ => (None, &[][..]),
    };
    match (change.action, desired, live) {
        (Action::Create, Some(d), _) => create(ctx, d).await?,
        (Action::Update, Some(d), Some((api_id, route))) => {
            update(ctx, change, d, api_id, route).await?
        }
        (Action::Delete, _, Some((api_id, route))) => delete(ctx, api_id, route).await?,
        _ => return Ok(()),
    }
    // What the old function no longer needs, once nothing reaches it through the route.
    if let Some(function) = live.and_then(|(_, r)| r.function_arn.as_deref()) {
        for statement in revoke_after {
            revoke(ctx, function, statement).await?;
        }
    }
    Ok(())
}

/// Lets API Gateway invoke the function for every route of the WebSocket API, once per apply;
/// with `replace`, the statement naming another API is removed first.
async fn permit(ctx: &Context<'_>, d: &WebsocketRouteDesired, arn: &str) -> Result<(), AwsError> {
    if !d.grant {
        return Ok(());
    }
    let api_id = api_id(ctx)?;
    let cell = {
        let mut grants = ctx.websocket_grants.0.lock().expect("grants lock");
        grants.entry(arn.to_string()).or_default().clone()
    };
    cell.get_or_try_init(|| async {
        if d.replace {
            revoke(ctx, arn, WEBSOCKET_STATEMENT_ID).await?;
        }
        allow_invoke(ctx, arn, WEBSOCKET_STATEMENT_ID, &format!("{api_id}/*")).await
    })
    .await
    .map(drop)
}

async fn create(ctx: &Context<'_>, d: &WebsocketRouteDesired) -> Result<(), AwsError> {
    let client = &ctx.clients.apigatewayv2;
    let api_id = api_id(ctx)?;
    let function_arn = function_arn(ctx, d)?;
    let (kind, authorizer) = authorization(ctx, d)?;
    // The function may be invoked before the route exists (as for HTTP routes).
    permit(ctx, d, &function_arn).await?;
    let integration = client
        .create_integration()
        .api_id(&api_id)
        .integration_type(IntegrationType::AwsProxy)
        .integration_uri(crate::arn::invocation_uri(ctx.region(), &function_arn))
        .send()
        .await
        .op("apigateway:CreateIntegration")?;
    let integration_id = integration.integration_id().unwrap_or_default();
    let route = client
        .create_route()
        .api_id(&api_id)
        .route_key(&d.key)
        .target(format!("integrations/{integration_id}"))
        .authorization_type(kind)
        .set_authorizer_id(authorizer)
        .set_route_response_selection_expression(d.respond.then(|| RESPONSE_KEY.to_string()))
        .send()
        .await
        .op("apigateway:CreateRoute")?;
    if d.respond {
        let route_id = route.route_id().unwrap_or_default();
        let request = client.create_route_response().api_id(&api_id);
        let request = request.route_id(route_id).route_response_key(RESPONSE_KEY);
        request.send().await.op("apigateway:CreateRouteResponse")?;
    }
    Ok(())
}

async fn update(
    ctx: &Context<'_>,
    change: &Change,
    d: &WebsocketRouteDesired,
    api_id: &str,
    live: &LiveWebsocketRoute,
) -> Result<(), AwsError> {
    let client = &ctx.clients.apigatewayv2;
    let function_arn = function_arn(ctx, d)?;
    permit(ctx, d, &function_arn).await?;
    // A route that starts or stops answering is made again: its route response goes with it.
    let remake = change.changed(WebsocketRouteAttr::Respond) || live.integration_id.is_none();
    if remake {
        delete(ctx, api_id, live).await?;
        return create(ctx, d).await;
    }
    if let (true, Some(integration_id)) = (
        change.changed(WebsocketRouteAttr::Function),
        &live.integration_id,
    ) {
        let uri = crate::arn::invocation_uri(ctx.region(), &function_arn);
        let request = client.update_integration().api_id(api_id);
        let request = request.integration_id(integration_id).integration_uri(uri);
        request.send().await.op("apigateway:UpdateIntegration")?;
    }
    if change.changed(WebsocketRouteAttr::Authorizer) {
        let (kind, authorizer) = authorization(ctx, d)?;
        let request = client.update_route().api_id(api_id).route_id(&live.id);
        let request = request
            .authorization_type(kind)
            .set_authorizer_id(authorizer);
        request.send().await.op("apigateway:UpdateRoute")?;
    }
    Ok(())
}

/// Deletes the route (its route responses go with it) and its integration.
async fn delete(
    ctx: &Context<'_>,
    api_id: &str,
    live: &LiveWebsocketRoute,
) -> Result<(), AwsError> {
    let client = &ctx.clients.apigatewayv2;
    let request = client.delete_route().api_id(api_id).route_id(&live.id);
    request.send().await.absent_ok("apigateway:DeleteRoute")?;
    if let Some(integration_id) = &live.integration_id {
        let request = client.delete_integration().api_id(api_id);
        let request = request.integration_id(integration_id);
        request
            .send()
            .await
            .absent_ok("apigateway:DeleteIntegration")?;
    }
    Ok(())
}

/// `$connect` with the API's authorizer is CUSTOM; every other route is open (API Gateway
/// authorizes a WebSocket client once, when it connects).
fn authorization(
    ctx: &Context<'_>,
    d: &WebsocketRouteDesired,
) -> Result<(AuthorizationType, Option<String>), AwsError> {
    if !d.authorized {
        return Ok((AuthorizationType::None, None));
    }
    let id = ctx
        .output(AUTHORIZER_ID)
        .ok_or_else(|| unknown(AUTHORIZER_ID))?;
    Ok((AuthorizationType::Custom, Some(id)))
}

fn function_arn(ctx: &Context<'_>, d: &WebsocketRouteDesired) -> Result<String, AwsError> {
    let reference = Reference {
        target: RefTarget::Function(d.logical_function.clone()),
        attr: RefAttr::Arn,
    };
    ctx.resolve(&reference)
        .ok_or_else(|| unknown(&reference.to_string()))
}
