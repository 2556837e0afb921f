//! The WebSocket API's `$connect` authorizer: a Lambda REQUEST authorizer named
//! [`WEBSOCKET_AUTHORIZER`], its function let invoked by the API's authorizers.

use aws_sdk_apigatewayv2::types::{AuthorizationType, AuthorizerType};

use super::Context;
use crate::apply::api::{allow_invoke, revoke as revoke_statement};
use crate::aws::{AwsError, CallResult};
use crate::live::LiveWebsocket;
use crate::marks::{WEBSOCKET_AUTHORIZER, WEBSOCKET_AUTHORIZER_STATEMENT_ID};
use crate::stack::{RefAttr, RefTarget, Reference, WebsocketSpec};

/// The output key of the authorizer's ID, which the `$connect` route refers to.
pub(crate) const AUTHORIZER_ID: &str = "websocket.authorizer.id";

/// Creates the declared authorizer or updates the live one where it differs, lets its
/// function be invoked, and makes its ID known; without one declared, deletes the live one
/// (first taking it off the routes that use it).
pub(super) async fn sync(
    ctx: &Context<'_>,
    api_id: &str,
    spec: &WebsocketSpec,
    live: Option<&LiveWebsocket>,
) -> Result<(), AwsError> {
    let before = live.and_then(|l| l.authorizer.as_ref());
    let Some(declared) = &spec.authorizer else {
        if let (Some(live), Some(before)) = (live, before) {
            delete(ctx, live, &before.id).await?;
            revoke(ctx, &before.function).await?;
        }
        return Ok(());
    };
    let function_arn = ctx
        .resolve(&Reference {
            target: RefTarget::Function(declared.function.clone()),
            attr: RefAttr::Arn,
        })
        .ok_or_else(|| super::unknown(&format!("functions.{}.arn", declared.function)))?;
    let uri = crate::arn::invocation_uri(ctx.region(), &function_arn);
    let client = &ctx.clients.apigatewayv2;
    let function = function_arn.rsplit(':').next().unwrap_or_default();
    // The function may be invoked before the authorizer points at it (as for HTTP routes).
    let source = format!("{api_id}/authorizers/*");
    allow_invoke(
        ctx,
        &function_arn,
        WEBSOCKET_AUTHORIZER_STATEMENT_ID,
        &source,
    )
    .await?;
    let id = match before {
        Some(b) if b.function == function && b.identity_source == declared.identity_source => {
            b.id.clone()
        }
        Some(b) => {
            let request = client
                .update_authorizer()
                .api_id(api_id)
                .authorizer_id(&b.id);
            let request = request
                .authorizer_type(AuthorizerType::Request)
                .authorizer_uri(&uri)
                .set_identity_source(Some(declared.identity_source.clone()));
            request.send().await.op("apigateway:UpdateAuthorizer")?;
            // The old function, once nothing points at it any more.
            if b.function != function {
                revoke(ctx, &b.function).await?;
            }
            b.id.clone()
        }
        None => {
            let request = client.create_authorizer().api_id(api_id);
            let request = request
                .name(WEBSOCKET_AUTHORIZER)
                .authorizer_type(AuthorizerType::Request)
                .authorizer_uri(&uri)
                .set_identity_source(Some(declared.identity_source.clone()));
            let created = request.send().await.op("apigateway:CreateAuthorizer")?;
            created.authorizer_id().unwrap_or_default().to_string()
        }
    };
    ctx.set_output(AUTHORIZER_ID, id);
    Ok(())
}

/// Takes the authorizer off the routes that use it, then deletes it.
async fn delete(ctx: &Context<'_>, live: &LiveWebsocket, id: &str) -> Result<(), AwsError> {
    let client = &ctx.clients.apigatewayv2;
    let users = live
        .routes
        .iter()
        .filter(|r| r.authorizer_id.as_deref() == Some(id));
    for route in users {
        let request = client.update_route().api_id(&live.id).route_id(&route.id);
        let request = request.authorization_type(AuthorizationType::None);
        request.send().await.op("apigateway:UpdateRoute")?;
        ctx.websocket.detached(&route.id);
    }
    let request = client
        .delete_authorizer()
        .api_id(&live.id)
        .authorizer_id(id);
    request
        .send()
        .await
        .absent_ok("apigateway:DeleteAuthorizer")?;
    Ok(())
}

/// Removes the authorizer's invoke permission from its function (by name); one already gone
/// is fine.
pub(super) async fn revoke(ctx: &Context<'_>, function: &str) -> Result<(), AwsError> {
    if function.is_empty() {
        return Ok(());
    }
    revoke_statement(ctx, function, WEBSOCKET_AUTHORIZER_STATEMENT_ID).await
}
