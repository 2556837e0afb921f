//! An HTTP API's routes: each with its own Lambda proxy integration, so one route's change
//! touches nothing else; its function holds the API's invoke permission (`permissions.rs`).

use aws_sdk_apigatewayv2::types::AuthorizationType;

use super::permissions::permit_routes;
use super::v2;
use super::{API_ID, authorizer_id, known, route_arns};
use crate::apply::{Context, changed};
use crate::aws::{AwsError, CallResult};
use crate::live::LiveRoute;
use crate::plan::{Change, RouteDesired};

pub(super) async fn create_route(ctx: &Context<'_>, d: &RouteDesired) -> Result<(), AwsError> {
    let api_id = known(ctx, &API_ID)?;
    let (function_arn, grants) = route_arns(ctx, d)?;
    let auth = authorization(ctx, d)?;
    // The function may be invoked before the route exists: no request meets a route whose
    // function refuses it, and a function that is gone fails the route before it is made.
    if d.grant {
        for arn in &grants {
            permit_routes(ctx, arn, &api_id, d.replace).await?;
        }
    }
    let integration_id = v2::create_integration(ctx, &api_id, &function_arn, Some("2.0")).await?;
    let key = &d.key;
    v2::create_route(ctx, &api_id, key, &integration_id, auth)
        .set_authorization_scopes((!d.scopes.is_empty()).then(|| d.scopes.clone()))
        .send()
        .await
        .op("apigateway:CreateRoute")?;
    Ok(())
}

/// The route's authorization type and authorizer ID.
fn authorization(
    ctx: &Context<'_>,
    d: &RouteDesired,
) -> Result<(AuthorizationType, Option<String>), AwsError> {
    let Some(name) = &d.authorizer else {
        return Ok((AuthorizationType::None, None));
    };
    let kind = match d.authorizer_kind.as_deref() {
        Some("CUSTOM") => AuthorizationType::Custom,
        _ => AuthorizationType::Jwt,
    };
    Ok((kind, Some(authorizer_id(ctx, name)?)))
}

/// What differs on a live route.
pub(super) struct RouteEdit {
    /// It invokes another function.
    pub moved: bool,
    /// Its authorizer or scopes.
    pub reauthorize: bool,
}

impl RouteEdit {
    /// What the plan's change says differs.
    pub fn of(change: &Change) -> RouteEdit {
        RouteEdit {
            moved: changed(change, "function") || changed(change, "alias"),
            reauthorize: changed(change, "authorizer") || changed(change, "scopes"),
        }
    }
}

pub(super) async fn update_route(
    ctx: &Context<'_>,
    edit: RouteEdit,
    d: &RouteDesired,
    api_id: &str,
    live: &LiveRoute,
) -> Result<(), AwsError> {
    let (function_arn, grants) = route_arns(ctx, d)?;
    let moved = edit.moved;
    // As for a new route: the function may be invoked before the route points at it.
    if d.grant {
        for arn in &grants {
            permit_routes(ctx, arn, api_id, d.replace).await?;
        }
    }
    if moved {
        let Some(integration_id) = &live.integration_id else {
            // A route with no integration: replace it whole.
            delete_route(ctx, api_id, live).await?;
            return create_route(ctx, d).await;
        };
        v2::update_integration(ctx, api_id, integration_id, &function_arn).await?;
    }
    if edit.reauthorize {
        let (kind, authorizer) = authorization(ctx, d)?;
        ctx.clients
            .apigatewayv2
            .update_route()
            .api_id(api_id)
            .route_id(&live.id)
            .authorization_type(kind)
            .set_authorizer_id(authorizer)
            .set_authorization_scopes(Some(d.scopes.clone()))
            .send()
            .await
            .op("apigateway:UpdateRoute")?;
    }
    Ok(())
}

pub(super) async fn delete_route(
    ctx: &Context<'_>,
    api_id: &str,
    live: &LiveRoute,
) -> Result<(), AwsError> {
    let integration = live.integration_id.as_deref();
    v2::delete_route(ctx, api_id, &live.id, integration).await
}
