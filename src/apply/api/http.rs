//! The HTTP API (API Gateway v2): the API, its stage and its authorizers; its routes are in
//! `http_routes.rs`, the requests it shares with WebSocket APIs in `v2.rs`.

use std::collections::HashMap;

use aws_sdk_apigatewayv2::types::{
    AuthorizationType, AuthorizerType, JwtConfiguration, ProtocolType,
};

use super::authorizers::{AuthorizerRequests, Wanted, authorizers_changed, sync_declared};
use super::http_routes::{RouteEdit, create_route, delete_route, update_route};
use super::v2;
use super::{Call, Flavour, RouteChange, api_url, create_once, sync_tags};
use crate::apply::{Context, changed, once};
use crate::aws::{AwsError, CallResult};
use crate::live::{LiveApi, LiveRoute, TaggedApi, stage_url};
use crate::plan::{ApiDesired, Change};
use crate::stack::{ApiSpec, AuthorizerSpec, Cors};

/// The HTTP API flavour.
pub(super) struct Http<'c> {
    pub ctx: &'c Context<'c>,
}

impl Flavour for Http<'_> {
    fn create<'a>(&'a self, d: &'a ApiDesired) -> Call<'a> {
        Box::pin(create_api(self.ctx, d))
    }

    fn update<'a>(&'a self, change: &'a Change, d: &'a ApiDesired, live: &'a LiveApi) -> Call<'a> {
        Box::pin(update_api(self.ctx, change, d, live))
    }

    fn put_route<'a>(&'a self, route: RouteChange<'a>) -> Call<'a> {
        let (ctx, d) = (self.ctx, route.desired);
        match route.live {
            None => Box::pin(create_route(ctx, d)),
            Some((api_id, live)) => {
                let edit = RouteEdit::of(route.change);
                Box::pin(update_route(ctx, edit, d, api_id, live))
            }
        }
    }

    fn delete_route<'a>(&'a self, api_id: &'a str, live: &'a LiveRoute) -> Call<'a> {
        Box::pin(delete_route(self.ctx, api_id, live))
    }

    api_requests!(apigatewayv2, http_api, delete_api(api_id) as "apigateway:DeleteApi");
}

/// The API's authorizers: the declared ones created or updated, and (on a live API) the
/// others deleted.
async fn sync_authorizers(
    ctx: &Context<'_>,
    api_id: &str,
    spec: &ApiSpec,
    live: Option<&LiveApi>,
) -> Result<(), AwsError> {
    sync_declared(&Http { ctx }, ctx, api_id, spec, live).await?;
    match live {
        Some(live) => delete_undeclared_authorizers(ctx, spec, live).await,
        None => Ok(()),
    }
}

async fn create_api(ctx: &Context<'_>, d: &ApiDesired) -> Result<(), AwsError> {
    let create = |tags| async move {
        let api = ctx
            .clients
            .apigatewayv2
            .create_api()
            .set_tags(Some(tags))
            .name(&d.name)
            .protocol_type(ProtocolType::Http)
            .set_cors_configuration(d.spec.cors.as_ref().map(cors))
            .customize()
            .config_override(
                aws_sdk_apigatewayv2::config::Builder::default().retry_config(once::one_attempt()),
            )
            .send()
            .await?;
        Ok(TaggedApi {
            id: api.api_id().unwrap_or_default().to_string(),
            endpoint: api.api_endpoint().unwrap_or_default().to_string(),
            root_resource_id: None,
        })
    };
    // Known before the stage exists, so that a failure below still leaves the API findable
    // (it is tagged) and the next apply adds the stage.
    let api = create_once(ctx, d, "apigateway:CreateApi", create).await?;
    sync_authorizers(ctx, &api.id, &d.spec, None).await?;
    for stage in &d.spec.stages {
        v2::create_stage(ctx, &api.id, stage).await?;
    }
    let url = stage_url(&api.endpoint, &d.spec.first_stage().name);
    ctx.set_output(api_url().to_string(), url);
    for stage in d.spec.stage_names() {
        let url = stage_url(&api.endpoint, stage);
        ctx.set_output(crate::marks::stage_url_output(stage), url);
    }
    Ok(())
}

fn cors(c: &Cors) -> aws_sdk_apigatewayv2::types::Cors {
    aws_sdk_apigatewayv2::types::Cors::builder()
        .set_allow_origins(Some(c.allow_origins.clone()))
        .set_allow_methods(Some(c.allow_methods.clone()))
        .set_allow_headers(Some(c.allow_headers.clone()))
        .set_max_age(c.max_age)
        .build()
}

async fn update_api(
    ctx: &Context<'_>,
    change: &Change,
    d: &ApiDesired,
    live: &LiveApi,
) -> Result<(), AwsError> {
    if ["stage", "stages", "throttle", "access_log"]
        .iter()
        .any(|a| changed(change, a))
    {
        let (stages, read) = (&live.stages, &live.stage_settings);
        v2::sync_stages(ctx, &live.id, &d.spec.stages, stages, read).await?;
    }
    if authorizers_changed(change) {
        sync_authorizers(ctx, &live.id, &d.spec, Some(live)).await?;
    }
    if changed(change, "cors") {
        update_cors(ctx, d.spec.cors.as_ref(), &live.id).await?;
    }
    if changed(change, "tags") {
        sync_tags(&Http { ctx }, &live.id, &live.tags, &d.spec.tags).await?;
    }
    ctx.set_output(api_url().to_string(), live.url(&d.spec.first_stage().name));
    for stage in d.spec.stage_names() {
        ctx.set_output(crate::marks::stage_url_output(stage), live.url(stage));
    }
    Ok(())
}

pub(super) async fn update_cors(
    ctx: &Context<'_>,
    wanted: Option<&Cors>,
    api_id: &str,
) -> Result<(), AwsError> {
    let client = &ctx.clients.apigatewayv2;
    match wanted {
        Some(c) => {
            let request = client
                .update_api()
                .api_id(api_id)
                .cors_configuration(cors(c));
            request.send().await.map(drop).op("apigateway:UpdateApi")
        }
        None => {
            let request = client.delete_cors_configuration().api_id(api_id);
            request
                .send()
                .await
                .map(drop)
                .op("apigateway:DeleteCorsConfiguration")
        }
    }
}

/// The requests of an HTTP API's JWT and Lambda (REQUEST) authorizers.
impl AuthorizerRequests for Http<'_> {
    async fn create(&self, wanted: &Wanted<'_>) -> Result<String, AwsError> {
        let request = self.ctx.clients.apigatewayv2.create_authorizer();
        let request = request
            .api_id(wanted.api_id)
            .name(wanted.name)
            .identity_source("$request.header.Authorization");
        let request = match (wanted.spec, &wanted.uri) {
            (AuthorizerSpec::Jwt { issuer, audience }, _) => request
                .authorizer_type(AuthorizerType::Jwt)
                .jwt_configuration(jwt(issuer, audience)),
            (_, uri) => request
                .authorizer_type(AuthorizerType::Request)
                .set_authorizer_uri(uri.clone())
                .authorizer_payload_format_version("2.0")
                .enable_simple_responses(true),
        };
        let created = request.send().await.op("apigateway:CreateAuthorizer")?;
        Ok(created.authorizer_id().unwrap_or_default().to_string())
    }

    async fn update(&self, wanted: &Wanted<'_>, id: &str) -> Result<String, AwsError> {
        let request = self.ctx.clients.apigatewayv2.update_authorizer();
        let request = request.api_id(wanted.api_id).authorizer_id(id);
        let request = match (wanted.spec, &wanted.uri) {
            (AuthorizerSpec::Jwt { issuer, audience }, _) => {
                request.jwt_configuration(jwt(issuer, audience))
            }
            (_, uri) => request
                .authorizer_type(AuthorizerType::Request)
                .set_authorizer_uri(uri.clone()),
        };
        let sent = request.send().await;
        sent.op("apigateway:UpdateAuthorizer")?;
        Ok(id.to_string())
    }
}

fn jwt(issuer: &str, audience: &[String]) -> JwtConfiguration {
    JwtConfiguration::builder()
        .issuer(issuer)
        .set_audience(Some(audience.to_vec()))
        .build()
}

/// Deletes the live authorizers the stack file no longer declares, first taking them off the
/// routes that still use them.
async fn delete_undeclared_authorizers(
    ctx: &Context<'_>,
    spec: &ApiSpec,
    live: &LiveApi,
) -> Result<(), AwsError> {
    let client = &ctx.clients.apigatewayv2;
    let undeclared = live
        .authorizers
        .iter()
        .filter(|(n, _)| !spec.authorizers.contains_key(*n));
    for (name, (id, _)) in undeclared {
        let users = live
            .routes
            .iter()
            .filter(|r| r.authorizer.as_ref() == Some(name));
        for route in users {
            client
                .update_route()
                .api_id(&live.id)
                .route_id(&route.id)
                .authorization_type(AuthorizationType::None)
                .send()
                .await
                .op("apigateway:UpdateRoute")?;
        }
        let request = client
            .delete_authorizer()
            .api_id(&live.id)
            .authorizer_id(id);
        request.send().await.op("apigateway:DeleteAuthorizer")?;
    }
    Ok(())
}
