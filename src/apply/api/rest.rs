//! REST APIs (API Gateway v1): a resource tree with methods and Lambda proxy integrations,
//! served through deployments (`deploy.rs`). Any change is followed by a new deployment that
//! the stage points at, so that a change can never miss the stage.

use std::collections::HashMap;

use aws_sdk_apigateway::types::{
    AuthorizerType, EndpointConfiguration, EndpointType, IntegrationType, Op,
};

use super::authorizers::{AuthorizerRequests, Wanted, authorizers_changed, sync_declared};
use super::deploy::deploy;
use super::patch;
use super::permissions::permit_routes;
use super::tree::resource_for;
use super::{
    API_ID, Call, Flavour, Method, RouteChange, api_url, authorizer_id, create_once, known,
    sync_tags,
};
use crate::apply::{Context, changed, once};
use crate::aws::{AwsError, CallResult, ErrorKind, classify, describe};
use crate::live::{LiveApi, LiveRoute, TaggedApi, stage_url};
use crate::plan::{ApiDesired, Change, RouteDesired};
use crate::stack::{ApiSpec, AuthorizerSpec};

/// The REST API flavour.
pub(super) struct Rest<'c> {
    pub ctx: &'c Context<'c>,
}

impl Flavour for Rest<'_> {
    fn create<'a>(&'a self, d: &'a ApiDesired) -> Call<'a> {
        Box::pin(create_api(self.ctx, d))
    }

    /// Settings that live on the stage are applied with the deployment that follows.
    fn update<'a>(&'a self, change: &'a Change, d: &'a ApiDesired, live: &'a LiveApi) -> Call<'a> {
        Box::pin(async move {
            if authorizers_changed(change) {
                let spec = &d.spec;
                sync_declared(self, self.ctx, &live.id, spec, Some(live)).await?;
            }
            if changed(change, "tags") {
                sync_tags(self, &live.id, &live.tags, &d.spec.tags).await?;
            }
            let url = stage_url(&live.endpoint, &d.spec.first_stage().name);
            self.ctx.set_output(api_url().to_string(), url);
            Ok(())
        })
    }

    fn put_route<'a>(&'a self, route: RouteChange<'a>) -> Call<'a> {
        let (ctx, d) = (self.ctx, route.desired);
        Box::pin(async move {
            match route.live {
                None => put_route(ctx, &known(ctx, &API_ID)?, d, None).await,
                Some((api_id, live)) => put_route(ctx, api_id, d, Some(live)).await,
            }
        })
    }

    fn delete_route<'a>(&'a self, api_id: &'a str, live: &'a LiveRoute) -> Call<'a> {
        let method = live.key.split_once(' ').map_or("ANY", |(m, _)| m);
        let request = self.ctx.clients.apigateway.delete_method();
        let request = request
            .rest_api_id(api_id)
            .resource_id(&live.id)
            .http_method(method);
        Box::pin(async {
            request.send().await.absent_ok("apigateway:DeleteMethod")?;
            Ok(())
        })
    }

    fn finish<'a>(&'a self, spec: &'a ApiSpec) -> Call<'a> {
        Box::pin(deploy(self.ctx, spec))
    }

    api_requests!(apigateway, rest_api, delete_rest_api(rest_api_id) as "apigateway:DeleteRestApi");
}

async fn create_api(ctx: &Context<'_>, d: &ApiDesired) -> Result<(), AwsError> {
    let create = |tags| async move {
        let api = ctx
            .clients
            .apigateway
            .create_rest_api()
            .name(&d.name)
            .set_tags(Some(tags))
            .endpoint_configuration(
                EndpointConfiguration::builder()
                    .types(EndpointType::Regional)
                    .build(),
            )
            .customize()
            .config_override(
                aws_sdk_apigateway::config::Builder::default().retry_config(once::one_attempt()),
            )
            .send()
            .await?;
        let id = api.id().unwrap_or_default().to_string();
        Ok(TaggedApi {
            endpoint: crate::arn::execute_api_endpoint(ctx.region(), &id),
            id,
            root_resource_id: api.root_resource_id().map(str::to_string),
        })
    };
    let api = create_once(ctx, d, "apigateway:CreateRestApi", create).await?;
    if let Some(root) = api.root_resource_id {
        // The new API's tree is its root: its routes need not read it.
        ctx.rest_resources.seed_root(&api.id, root).await;
    }
    ctx.set_output(
        api_url().to_string(),
        stage_url(&api.endpoint, &d.spec.first_stage().name),
    );
    sync_declared(&Rest { ctx }, ctx, &api.id, &d.spec, None).await
}

/// The requests of a REST API's Cognito and Lambda (TOKEN) authorizers.
impl AuthorizerRequests for Rest<'_> {
    /// A Lambda authorizer is a TOKEN authorizer that calls a function of the stack with the
    /// Authorization header.
    async fn create(&self, wanted: &Wanted<'_>) -> Result<String, AwsError> {
        let request = self.ctx.clients.apigateway.create_authorizer();
        let request = request
            .rest_api_id(wanted.api_id)
            .name(wanted.name)
            .identity_source("method.request.header.Authorization");
        let request = match (wanted.spec, &wanted.uri) {
            (AuthorizerSpec::Cognito { user_pools }, _) => request
                .r#type(AuthorizerType::CognitoUserPools)
                .set_provider_arns(Some(user_pools.clone())),
            (_, uri) => request
                .r#type(AuthorizerType::Token)
                .set_authorizer_uri(uri.clone()),
        };
        let created = request.send().await.op("apigateway:CreateAuthorizer")?;
        Ok(created.id().unwrap_or_default().to_string())
    }

    /// A Lambda authorizer's function is replaced in place. A Cognito authorizer whose user
    /// pools change, or an authorizer whose type changes, is made again with its methods
    /// re-pointed ([`recreate`]).
    async fn update(&self, wanted: &Wanted<'_>, id: &str) -> Result<String, AwsError> {
        let lambda = |s: Option<&AuthorizerSpec>| matches!(s, Some(AuthorizerSpec::Lambda { .. }));
        if !(lambda(Some(wanted.spec)) && lambda(wanted.before)) {
            return recreate(self, wanted, id).await;
        }
        let uri = wanted.uri.clone();
        let request = self.ctx.clients.apigateway.update_authorizer();
        let request = request.rest_api_id(wanted.api_id).authorizer_id(id);
        let request = request.patch_operations(patch(Op::Replace, "/authorizerUri", uri));
        let sent = request.send().await;
        sent.op("apigateway:UpdateAuthorizer")?;
        Ok(id.to_string())
    }
}

/// Creates the route's resource path where missing, and (re)writes its method and its Lambda
/// proxy integration. PutMethod and PutIntegration replace what is there. Where the plan says
/// the function lacks the API's invoke permission, it is let invoked first: before the route reaches it, and a function that is gone
/// fails the route before anything is written.
pub(super) async fn put_route(
    ctx: &Context<'_>,
    api_id: &str,
    d: &RouteDesired,
    live: Option<&LiveRoute>,
) -> Result<(), AwsError> {
    let function = match &d.publish {
        Some(_) => None,
        None => {
            let (function, grants) = super::route_arns(ctx, d)?;
            if d.grant {
                for arn in &grants {
                    permit_routes(ctx, arn, api_id, d.replace).await?;
                }
            }
            Some(function)
        }
    };
    let (method, path) = d.key.split_once(' ').unwrap_or(("ANY", "/"));
    let resource_id = match live {
        Some(route) => route.id.clone(),
        None => resource_for(ctx, api_id, path).await?,
    };
    let at = Method {
        api_id,
        resource_id: &resource_id,
        method,
    };
    // A method's authorization is set when it is put: to change it, the method is put again.
    // API Gateway's UpdateMethod could change it in place; the emulator answers it with 500.
    let reauthorize = live.is_some_and(|l| {
        l.authorizer != d.authorizer || l.scopes != d.scopes || l.api_key != d.api_key
    });
    if reauthorize {
        let request = ctx.clients.apigateway.delete_method();
        let request = request
            .rest_api_id(api_id)
            .resource_id(&resource_id)
            .http_method(method);
        request.send().await.op("apigateway:DeleteMethod")?;
    }
    if live.is_none() || reauthorize {
        put_method(ctx, &at, d).await?;
    }
    match (&d.publish, function) {
        (Some(p), _) => super::publish::put_integration(ctx, &at, p).await,
        (None, function) => put_integration(ctx, &at, &function.unwrap_or_default()).await,
    }
}

/// PutMethod with the route's authorization; a method that exists already is left as it is.
async fn put_method(ctx: &Context<'_>, at: &Method<'_>, d: &RouteDesired) -> Result<(), AwsError> {
    let (kind, authorizer) = match &d.authorizer {
        None => ("NONE", None),
        Some(name) => (
            d.authorizer_kind.as_deref().unwrap_or("COGNITO_USER_POOLS"),
            Some(authorizer_id(ctx, name)?),
        ),
    };
    let authorization = Authorization {
        kind,
        authorizer,
        scopes: &d.scopes,
        api_key: d.api_key,
    };
    put_method_as(ctx, at, authorization).await
}

/// How a method is authorized: its authorization type (`NONE`, `COGNITO_USER_POOLS`,
/// `CUSTOM`), its authorizer's ID, the scopes it requires and whether it needs an API key.
pub(super) struct Authorization<'a> {
    pub kind: &'a str,
    pub authorizer: Option<String>,
    pub scopes: &'a [String],
    pub api_key: bool,
}

/// PutMethod with this authorization; a method that exists already is left as it is.
pub(super) async fn put_method_as(
    ctx: &Context<'_>,
    at: &Method<'_>,
    a: Authorization<'_>,
) -> Result<(), AwsError> {
    let (kind, authorizer, scopes) = (a.kind, a.authorizer, a.scopes);
    let put = ctx
        .clients
        .apigateway
        .put_method()
        .rest_api_id(at.api_id)
        .resource_id(at.resource_id)
        .http_method(at.method)
        .authorization_type(kind)
        .set_authorizer_id(authorizer)
        .set_authorization_scopes((!scopes.is_empty()).then(|| scopes.to_vec()))
        .api_key_required(a.api_key)
        .send()
        .await;
    match put {
        Err(e) if classify(&e) == ErrorKind::Conflict => Ok(()),
        Err(e) => Err(describe("apigateway:PutMethod", e)),
        Ok(_) => Ok(()),
    }
}

/// PutIntegration: the method invokes the function through a Lambda proxy integration.
pub(super) async fn put_integration(
    ctx: &Context<'_>,
    at: &Method<'_>,
    function_arn: &str,
) -> Result<(), AwsError> {
    let uri = crate::arn::invocation_uri(ctx.region(), function_arn);
    ctx.clients
        .apigateway
        .put_integration()
        .rest_api_id(at.api_id)
        .resource_id(at.resource_id)
        .http_method(at.method)
        .r#type(IntegrationType::AwsProxy)
        .integration_http_method("POST")
        .uri(uri)
        .send()
        .await
        .op("apigateway:PutIntegration")?;
    Ok(())
}

// ---- an authorizer made again ----
//
// A REST authorizer made again: what UpdateAuthorizer cannot do on both AWS and the
// emulator. API Gateway's UpdateAuthorizer patches `/providerARNs` one ARN at a time, and
// cannot change an authorizer's type; the emulator answers a `/providerARNs` patch with 500
// ("not implemented"). So when a Cognito authorizer's user pools change (a pool replaced, or
// another pool named) or its type changes, the authorizer is deleted and created again, and
// the methods that use it are put again pointing at the new one. AWS refuses to delete an
// authorizer methods still refer to (DeleteAuthorizer, ConflictException:
// <https://docs.aws.amazon.com/apigateway/latest/api/API_DeleteAuthorizer.html>): the methods
// go first.

/// Deletes the methods that use the authorizer `id` and the authorizer, creates it as
/// `wanted` says, and puts the methods back as they were read, with the new authorizer: the
/// new authorizer's ID.
///
/// # Errors
/// The first request that fails (apigateway:DeleteMethod, DeleteAuthorizer,
/// CreateAuthorizer, PutMethod, PutIntegration). Methods deleted before a failure are put
/// back by the next apply (the plan sees their routes missing).
async fn recreate(rest: &Rest<'_>, wanted: &Wanted<'_>, id: &str) -> Result<String, AwsError> {
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
    let new_id = AuthorizerRequests::create(rest, wanted).await?;
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
        (Some(topic), Some(role), _) => super::publish::put_publish(ctx, &at, topic, role).await,
        (_, _, Some(function)) => put_integration(ctx, &at, function).await,
        _ => Ok(()),
    }
}

/// The HTTP method of a live REST route (`GET /orders`: `GET`).
fn http_method(route: &LiveRoute) -> &str {
    route.key.split_once(' ').map_or("ANY", |(m, _)| m)
}
