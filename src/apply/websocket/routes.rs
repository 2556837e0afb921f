//! The WebSocket API's routes: each with its own Lambda proxy integration, so one route's
//! change touches nothing else. A two-way route has the `$default` route response (a proxy
//! integration has no integration response: API Gateway passes the function's output on,
//! <https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-responses.html>).
//! Each routed function holds the WebSocket API's invoke permission, granted once per apply.
//! A change to a live route is made in place: UpdateIntegration for its function, one
//! UpdateRoute for its authorization and whether it answers, and its route response.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use aws_sdk_apigatewayv2::types::AuthorizationType;
use tokio::sync::OnceCell;

use super::authorizer::AUTHORIZER_ID;
use super::{Context, api_id, unknown};
use crate::apply::api::{allow_invoke, revoke, v2};
use crate::aws::{AwsError, CallResult, ErrorKind, classify, describe};
use crate::live::LiveWebsocketRoute;
use crate::marks::WEBSOCKET_STATEMENT_ID;
use crate::plan::{Action, Change, Desired, Live, WebsocketRouteAttr, WebsocketRouteDesired};
use crate::stack::{RefAttr, RefTarget, Reference};

/// The route response key of a two-way route: the only one WebSocket APIs take
/// (<https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-response.html>).
const RESPONSE_KEY: &str = "$default";

/// What the WebSocket changes of one apply share: the functions granted the API's invoke
/// permission (by ARN), and the routes the API's change took off the authorizer it deleted (by
/// route ID), which their own changes need not update again.
#[derive(Default)]
pub struct Shared {
    grants: Mutex<BTreeMap<String, Arc<OnceCell<()>>>>,
    detached: Mutex<BTreeSet<String>>,
}

impl Shared {
    /// Notes that the route no longer uses an authorizer.
    pub(super) fn detached(&self, route_id: &str) {
        let mut detached = self.detached.lock().expect("detached lock");
        detached.insert(route_id.to_string());
    }

    fn was_detached(&self, route_id: &str) -> bool {
        let detached = self.detached.lock().expect("detached lock");
        detached.contains(route_id)
    }
}

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
        (Action::Update, Some(d), Some((api_id, live))) => {
            let edit = Edit {
                ctx,
                change,
                d,
                api_id,
                live,
            };
            edit.run().await?
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
        let mut grants = ctx.websocket.grants.lock().expect("grants lock");
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
    let api_id = api_id(ctx)?;
    let function_arn = function_arn(ctx, d)?;
    let auth = authorization(ctx, d)?;
    // The function may be invoked before the route exists (as for HTTP routes).
    permit(ctx, d, &function_arn).await?;
    let uri = crate::arn::invocation_uri(ctx.region(), &function_arn);
    let integration_id = v2::create_integration(ctx, &api_id, &uri, None).await?;
    let key = &d.key;
    let route = v2::create_route(ctx, &api_id, key, &integration_id, auth)
        .set_route_response_selection_expression(d.respond.then(|| RESPONSE_KEY.to_string()))
        .send()
        .await
        .op("apigateway:CreateRoute")?;
    if d.respond {
        create_route_response(ctx, &api_id, route.route_id().unwrap_or_default()).await?;
    }
    Ok(())
}

/// A live route to change, as the plan gives it.
struct Edit<'a, 'c> {
    ctx: &'a Context<'c>,
    change: &'a Change,
    d: &'a WebsocketRouteDesired,
    api_id: &'a str,
    live: &'a LiveWebsocketRoute,
}

impl Edit<'_, '_> {
    async fn run(&self) -> Result<(), AwsError> {
        let (ctx, d, api_id, live) = (self.ctx, self.d, self.api_id, self.live);
        let function_arn = function_arn(ctx, d)?;
        permit(ctx, d, &function_arn).await?;
        // A route without an integration (made outside stackctl) is made again.
        let Some(integration_id) = &live.integration_id else {
            delete(ctx, api_id, live).await?;
            return create(ctx, d).await;
        };
        if self.change.changed(WebsocketRouteAttr::Function) {
            let uri = crate::arn::invocation_uri(ctx.region(), &function_arn);
            v2::update_integration(ctx, api_id, integration_id, &uri).await?;
        }
        let respond = self.change.changed(WebsocketRouteAttr::Respond);
        // Answering starts with the route response in place, and stops before it goes.
        if respond && d.respond {
            create_route_response(ctx, api_id, &live.id).await?;
        }
        self.update_route().await?;
        if respond && !d.respond {
            delete_route_responses(ctx, api_id, &live.id).await?;
        }
        Ok(())
    }

    /// One UpdateRoute for what changed of the route's authorization and of whether it
    /// answers (its route response selection expression: `$default`, or empty for none);
    /// none when nothing it sets changes.
    async fn update_route(&self) -> Result<(), AwsError> {
        let (ctx, d, live) = (self.ctx, self.d, self.live);
        let mut request = ctx.clients.apigatewayv2.update_route();
        let mut sends = false;
        if self.change.changed(WebsocketRouteAttr::Authorizer) {
            let (kind, authorizer) = authorization(ctx, d)?;
            // An authorizer moved to another function keeps its ID; one deleted was taken off
            // its routes by the API's change.
            let done = match &authorizer {
                Some(id) => live.authorizer_id.as_ref() == Some(id),
                None => live.authorizer_id.is_none() || ctx.websocket.was_detached(&live.id),
            };
            if !done {
                request = request
                    .authorization_type(kind)
                    .set_authorizer_id(authorizer);
                sends = true;
            }
        }
        if self.change.changed(WebsocketRouteAttr::Respond) {
            let expression = if d.respond { RESPONSE_KEY } else { "" };
            request = request.route_response_selection_expression(expression);
            sends = true;
        }
        if !sends {
            return Ok(());
        }
        let request = request.api_id(self.api_id).route_id(&live.id);
        request.send().await.op("apigateway:UpdateRoute")?;
        Ok(())
    }
}

/// The `$default` route response of a two-way route; one already there is kept.
async fn create_route_response(
    ctx: &Context<'_>,
    api_id: &str,
    route_id: &str,
) -> Result<(), AwsError> {
    let request = ctx.clients.apigatewayv2.create_route_response();
    let request = request.api_id(api_id).route_id(route_id);
    match request.route_response_key(RESPONSE_KEY).send().await {
        Ok(_) => Ok(()),
        Err(e) if classify(&e) == ErrorKind::Conflict => Ok(()),
        Err(e) => Err(describe("apigateway:CreateRouteResponse", e)),
    }
}

/// Deletes the route responses of a route that no longer answers. Where they cannot be
/// listed (moto 5.2.5 answers GetRouteResponses with a 500: README, "Where moto 5.2.5 differs
/// from AWS") they stay: with an empty selection expression the route sends none.
async fn delete_route_responses(
    ctx: &Context<'_>,
    api_id: &str,
    route_id: &str,
) -> Result<(), AwsError> {
    let client = &ctx.clients.apigatewayv2;
    let request = client
        .get_route_responses()
        .api_id(api_id)
        .route_id(route_id);
    let listed = match request.send().await {
        Ok(out) => out,
        Err(e)
            if e.raw_response()
                .is_some_and(|r| r.status().is_server_error()) =>
        {
            return Ok(());
        }
        Err(e) => return Err(describe("apigateway:GetRouteResponses", e)),
    };
    for response in listed.items() {
        let Some(id) = response.route_response_id() else {
            continue;
        };
        let request = client
            .delete_route_response()
            .api_id(api_id)
            .route_id(route_id);
        let request = request.route_response_id(id);
        request
            .send()
            .await
            .absent_ok("apigateway:DeleteRouteResponse")?;
    }
    Ok(())
}

/// Deletes the route (its route responses go with it) and its integration.
async fn delete(
    ctx: &Context<'_>,
    api_id: &str,
    live: &LiveWebsocketRoute,
) -> Result<(), AwsError> {
    let integration = live.integration_id.as_deref();
    v2::delete_route(ctx, api_id, &live.id, integration).await
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
