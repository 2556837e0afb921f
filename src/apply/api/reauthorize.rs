//! A REST authorizer made again: what UpdateAuthorizer cannot do on both AWS and the
//! emulator. API Gateway's UpdateAuthorizer patches `/providerARNs` one ARN at a time, and
//! cannot change an authorizer's type; the emulator answers a `/providerARNs` patch with 500
//! ("not implemented"). So when a Cognito authorizer's user pools change (a pool replaced, or
//! another pool named) or its type changes, the authorizer is deleted and created again, and
//! the methods that use it are put again pointing at the new one. AWS refuses to delete an
//! authorizer methods still refer to (DeleteAuthorizer, ConflictException:
//! <https://docs.aws.amazon.com/apigateway/latest/api/API_DeleteAuthorizer.html>): the methods
//! go first.

use super::authorizers::{AuthorizerRequests, Wanted};
use super::rest::{Authorization, Rest, put_integration, put_method_as};
use super::{Method, publish};
use crate::aws::{AwsError, CallResult};
use crate::live::LiveRoute;
use crate::stack::AuthorizerSpec;

/// Deletes the methods that use the authorizer `id` and the authorizer, creates it as
/// `wanted` says, and puts the methods back as they were read, with the new authorizer: the
/// new authorizer's ID.
///
/// # Errors
/// The first request that fails (apigateway:DeleteMethod, DeleteAuthorizer,
/// CreateAuthorizer, PutMethod, PutIntegration). Methods deleted before a failure are put
/// back by the next apply (the plan sees their routes missing).
pub(super) async fn recreate(
    rest: &Rest<'_>,
    wanted: &Wanted<'_>,
    id: &str,
) -> Result<String, AwsError> {
    let ctx = rest.ctx;
    for route in &wanted.methods {
        let request = ctx.clients.apigateway.delete_method();
        let request = request
            .rest_api_id(wanted.api_id)
            .resource_id(&route.id)
            .http_method(http_method(route));
        request.send().await.absent_ok("apigateway:DeleteMethod")?;
    }
    let request = ctx.clients.apigateway.delete_authorizer();
    let request = request.rest_api_id(wanted.api_id).authorizer_id(id);
    request
        .send()
        .await
        .absent_ok("apigateway:DeleteAuthorizer")?;
    let new_id = rest.create(wanted).await?;
    for route in &wanted.methods {
        put_back(rest, wanted, route, &new_id).await?;
    }
    Ok(new_id)
}

/// Puts the method of the live `route` again with the authorizer `authorizer_id`, and its
/// integration as read: the function it invoked, or the topic it published to with its role.
async fn put_back(
    rest: &Rest<'_>,
    wanted: &Wanted<'_>,
    route: &LiveRoute,
    authorizer_id: &str,
) -> Result<(), AwsError> {
    let ctx = rest.ctx;
    let at = Method {
        api_id: wanted.api_id,
        resource_id: &route.id,
        method: http_method(route),
    };
    let kind = match wanted.spec {
        AuthorizerSpec::Lambda { .. } => "CUSTOM",
        _ => "COGNITO_USER_POOLS",
    };
    let authorization = Authorization {
        kind,
        authorizer: Some(authorizer_id.to_string()),
        scopes: &route.scopes,
        api_key: route.api_key,
    };
    put_method_as(ctx, &at, authorization).await?;
    match (&route.topic_arn, &route.credentials, &route.function_arn) {
        (Some(topic), Some(role), _) => publish::put_publish(ctx, &at, topic, role).await,
        (_, _, Some(function)) => put_integration(ctx, &at, function).await,
        _ => Ok(()),
    }
}

/// The HTTP method of a live REST route (`GET /orders`: `GET`).
fn http_method(route: &LiveRoute) -> &str {
    route.key.split_once(' ').map_or("ANY", |(m, _)| m)
}
