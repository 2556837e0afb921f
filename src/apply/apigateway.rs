//! The HTTP API (API Gateway v2) and its routes. Each route has its own Lambda proxy
//! integration and its own invoke permission, so one route's change touches nothing else.

use std::collections::HashMap;

use aws_sdk_apigatewayv2::types::{
    AccessLogSettings, AuthorizationType, AuthorizerType, IntegrationType, JwtConfiguration,
    ProtocolType, RouteSettings,
};

use super::{Context, changed, once, removed_tags, restapi};
use crate::aws::{AwsError, CallResult, ErrorKind, classify, describe};
use crate::live::{LiveApi, LiveRoute, authorizer_output, stage_url};
use crate::marks::STACK_TAG;
use crate::plan::{Action, ApiDesired, Change, Desired, Live, RouteDesired};
use crate::stack::{
    AccessLog, ApiSpec, ApiType, AuthorizerSpec, Cors, RefAttr, RefTarget, Reference, Throttle,
};

pub(super) const API_ID: Reference = Reference {
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
        (Action::Create, Some(d), _) => create(ctx, d).await,
        (Action::Update, Some(d), Some(l)) if l.is_rest() => {
            restapi::update_api(ctx, change, d, l).await
        }
        (Action::Update, Some(d), Some(l)) => update_api(ctx, change, d, l).await,
        (Action::Replace, Some(d), Some(l)) => {
            delete(ctx, l).await?;
            create(ctx, d).await
        }
        (Action::Delete, _, Some(l)) => delete(ctx, l).await,
        _ => Ok(()),
    }
}

async fn create(ctx: &Context<'_>, d: &ApiDesired) -> Result<(), AwsError> {
    match d.spec.api_type {
        ApiType::Http => create_api(ctx, d).await,
        ApiType::Rest => restapi::create_api(ctx, d).await,
    }
}

async fn delete(ctx: &Context<'_>, live: &LiveApi) -> Result<(), AwsError> {
    if live.is_rest() {
        restapi::delete_api(ctx, &live.id).await
    } else {
        delete_api(ctx, &live.id).await
    }
}

/// The deployment of a REST API (HTTP API stages deploy themselves).
pub async fn apply_deployment(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    match &change.desired {
        Some(Desired::Deployment(spec)) => restapi::deploy(ctx, spec).await,
        _ => Ok(()),
    }
}

async fn create_api(ctx: &Context<'_>, d: &ApiDesired) -> Result<(), AwsError> {
    let client = &ctx.clients.apigatewayv2;
    let mut tags: HashMap<String, String> = d.spec.tags.clone().into_iter().collect();
    tags.insert(STACK_TAG.to_string(), d.stack.clone());
    let create = || async {
        let api = client
            .create_api()
            .name(&d.name)
            .protocol_type(ProtocolType::Http)
            .set_cors_configuration(d.spec.cors.as_ref().map(cors))
            .set_tags(Some(tags.clone()))
            .customize()
            .config_override(
                aws_sdk_apigatewayv2::config::Builder::default().retry_config(once::one_attempt()),
            )
            .send()
            .await?;
        Ok((
            api.api_id().unwrap_or_default().to_string(),
            api.api_endpoint().unwrap_or_default().to_string(),
        ))
    };
    let (id, endpoint) = once::create("apigateway:CreateApi", create, || made_api(ctx, d)).await?;
    // Known before the stage exists, so that a failure below still leaves the API findable
    // (it is tagged) and the next apply adds the stage.
    ctx.set_output(API_ID.to_string(), id.clone());
    sync_authorizers(ctx, &id, &d.spec, None).await?;
    create_stage(ctx, &id, &d.spec).await?;
    ctx.set_output(api_url().to_string(), stage_url(&endpoint, &d.spec.stage));
    Ok(())
}

/// The ID and endpoint of the stack's HTTP API, if one exists: the plan found none, and the
/// lock keeps other applies out, so it is one that a create whose answer was lost made.
async fn made_api(ctx: &Context<'_>, d: &ApiDesired) -> Result<Option<(String, String)>, AwsError> {
    let apis = crate::live::tagged_http_apis(ctx.clients, &d.stack).await?;
    Ok(apis
        .iter()
        .find(|api| api.name() == Some(d.name.as_str()))
        .map(|api| {
            (
                api.api_id().unwrap_or_default().to_string(),
                api.api_endpoint().unwrap_or_default().to_string(),
            )
        }))
}

pub(super) fn api_url() -> Reference {
    Reference {
        target: RefTarget::Api,
        attr: RefAttr::Url,
    }
}

fn cors(c: &Cors) -> aws_sdk_apigatewayv2::types::Cors {
    aws_sdk_apigatewayv2::types::Cors::builder()
        .set_allow_origins(Some(c.allow_origins.clone()))
        .set_allow_methods(Some(c.allow_methods.clone()))
        .set_allow_headers(Some(c.allow_headers.clone()))
        .set_max_age(c.max_age)
        .build()
}

fn access_log(log: &AccessLog) -> AccessLogSettings {
    AccessLogSettings::builder()
        .destination_arn(&log.destination)
        .format(&log.format)
        .build()
}

fn route_settings(throttle: Option<Throttle>) -> Option<RouteSettings> {
    throttle.map(|t| {
        RouteSettings::builder()
            .throttling_rate_limit(t.rate)
            .throttling_burst_limit(t.burst)
            .build()
    })
}

async fn create_stage(ctx: &Context<'_>, api_id: &str, spec: &ApiSpec) -> Result<(), AwsError> {
    ctx.clients
        .apigatewayv2
        .create_stage()
        .api_id(api_id)
        .stage_name(&spec.stage)
        .auto_deploy(true)
        .set_default_route_settings(route_settings(spec.throttle))
        .set_access_log_settings(spec.access_log.as_ref().map(access_log))
        .send()
        .await
        .op("apigateway:CreateStage")?;
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
            create_stage(ctx, &live.id, &d.spec).await?;
        }
        for old in live.stages.iter().filter(|s| **s != d.spec.stage) {
            client
                .delete_stage()
                .api_id(&live.id)
                .stage_name(old)
                .send()
                .await
                .op("apigateway:DeleteStage")?;
        }
    }
    if change
        .attributes
        .iter()
        .any(|c| c.name.starts_with("authorizer."))
    {
        sync_authorizers(ctx, &live.id, &d.spec, Some(live)).await?;
    }
    if changed(change, "throttle") && live.stages.contains(&d.spec.stage) {
        let settings = route_settings(d.spec.throttle).unwrap_or_else(|| {
            // No stage-wide limits: API Gateway's account defaults apply.
            RouteSettings::builder().build()
        });
        client
            .update_stage()
            .api_id(&live.id)
            .stage_name(&d.spec.stage)
            .default_route_settings(settings)
            .send()
            .await
            .op("apigateway:UpdateStage")?;
    }
    if changed(change, "access_log") && live.stages.contains(&d.spec.stage) {
        // No settings at all turns the access log off.
        let settings = d
            .spec
            .access_log
            .as_ref()
            .map_or_else(|| AccessLogSettings::builder().build(), access_log);
        client
            .update_stage()
            .api_id(&live.id)
            .stage_name(&d.spec.stage)
            .access_log_settings(settings)
            .send()
            .await
            .op("apigateway:UpdateStage")?;
    }
    if changed(change, "cors") {
        match &d.spec.cors {
            Some(c) => {
                client
                    .update_api()
                    .api_id(&live.id)
                    .cors_configuration(cors(c))
                    .send()
                    .await
                    .op("apigateway:UpdateApi")?;
            }
            None => {
                client
                    .delete_cors_configuration()
                    .api_id(&live.id)
                    .send()
                    .await
                    .op("apigateway:DeleteCorsConfiguration")?;
            }
        }
    }
    if changed(change, "tags") {
        let arn = crate::arn::http_api(ctx.region(), &live.id);
        let removed = removed_tags(&live.tags, &d.spec.tags);
        if !removed.is_empty() {
            client
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .op("apigateway:UntagResource")?;
        }
        if !d.spec.tags.is_empty() {
            client
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(d.spec.tags.clone().into_iter().collect()))
                .send()
                .await
                .op("apigateway:TagResource")?;
        }
    }
    ctx.set_output(api_url().to_string(), live.url(&d.spec.stage));
    Ok(())
}

/// After an apply that left every route with its invoke permission, records that on the API
/// (see `marks::permissions_record`), so that plans need not read every function's policy.
/// Best effort: without the record, the next plan reads the policies.
pub async fn record_permissions(ctx: &Context<'_>, desired: &crate::plan::ApiDesired) {
    let Some(id) = ctx.resolve(&API_ID) else {
        return;
    };
    let tag = crate::marks::PERMISSIONS_TAG;
    let record = desired.permissions_record.clone();
    let _ = match desired.spec.api_type {
        ApiType::Http => ctx
            .clients
            .apigatewayv2
            .tag_resource()
            .resource_arn(crate::arn::http_api(ctx.region(), &id))
            .tags(tag, record)
            .send()
            .await
            .map(drop)
            .map_err(drop),
        ApiType::Rest => ctx
            .clients
            .apigateway
            .tag_resource()
            .resource_arn(crate::arn::rest_api(ctx.region(), &id))
            .tags(tag, record)
            .send()
            .await
            .map(drop)
            .map_err(drop),
    };
}

async fn delete_api(ctx: &Context<'_>, id: &str) -> Result<(), AwsError> {
    ctx.clients
        .apigatewayv2
        .delete_api()
        .api_id(id)
        .send()
        .await
        .absent_ok("apigateway:DeleteApi")
        .map(|_| ())
}

pub async fn apply_route(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    let desired = match &change.desired {
        Some(Desired::Route(d)) => Some(d),
        _ => None,
    };
    let rest = match (&change.desired, &change.live) {
        (Some(Desired::Route(d)), _) => d.rest,
        (_, Some(Live::Route { rest, .. })) => *rest,
        _ => false,
    };
    if rest {
        return restapi::apply_route(ctx, change).await;
    }
    let live = match &change.live {
        Some(Live::Route { api_id, route, .. }) => Some((api_id.as_str(), route)),
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

pub(super) fn known(ctx: &Context<'_>, reference: &Reference) -> Result<String, AwsError> {
    ctx.resolve(reference).ok_or_else(|| AwsError::Call {
        operation: "route".to_string(),
        message: format!("{reference} is not known (did the change that provides it fail?)"),
        kind: ErrorKind::Other,
        help: None,
    })
}

pub(super) fn function_arn(ctx: &Context<'_>, d: &RouteDesired) -> Result<String, AwsError> {
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
    let (kind, authorizer) = authorization(ctx, d)?;
    // The function may be invoked before the route exists: no request meets a route whose
    // function refuses it, and a function that is gone fails the route before it is made.
    permit(ctx, &function_arn, &api_id, d).await?;
    let integration = client
        .create_integration()
        .api_id(&api_id)
        .integration_type(IntegrationType::AwsProxy)
        .integration_uri(&function_arn)
        .payload_format_version("2.0")
        .send()
        .await
        .op("apigateway:CreateIntegration")?;
    let integration_id = integration.integration_id().unwrap_or_default();
    client
        .create_route()
        .api_id(&api_id)
        .route_key(&d.key)
        .target(format!("integrations/{integration_id}"))
        .authorization_type(kind)
        .set_authorizer_id(authorizer)
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
    match &d.authorizer {
        None => Ok((AuthorizationType::None, None)),
        Some(name) => {
            let id = ctx
                .output(&authorizer_output(name))
                .ok_or_else(|| AwsError::Call {
                    operation: "route".to_string(),
                    message: format!("the ID of authorizer {name} is not known"),
                    kind: ErrorKind::Other,
                    help: None,
                })?;
            let kind = match d.authorizer_kind.as_deref() {
                Some("CUSTOM") => AuthorizationType::Custom,
                _ => AuthorizationType::Jwt,
            };
            Ok((kind, Some(id)))
        }
    }
}

/// Creates, updates and deletes the API's JWT and Lambda authorizers; an authorizer that goes is first
/// taken off the routes that still use it.
async fn sync_authorizers(
    ctx: &Context<'_>,
    api_id: &str,
    spec: &ApiSpec,
    live: Option<&LiveApi>,
) -> Result<(), AwsError> {
    let client = &ctx.clients.apigatewayv2;
    for (name, wanted) in &spec.authorizers {
        let existing = live.and_then(|l| l.authorizers.get(name));
        let id = match wanted {
            AuthorizerSpec::Jwt { issuer, audience } => {
                let jwt = JwtConfiguration::builder()
                    .issuer(issuer)
                    .set_audience(Some(audience.clone()))
                    .build();
                match existing {
                    Some((id, spec)) if spec == wanted => id.clone(),
                    Some((id, _)) => {
                        client
                            .update_authorizer()
                            .api_id(api_id)
                            .authorizer_id(id)
                            .jwt_configuration(jwt)
                            .send()
                            .await
                            .op("apigateway:UpdateAuthorizer")?;
                        id.clone()
                    }
                    None => client
                        .create_authorizer()
                        .api_id(api_id)
                        .name(name)
                        .authorizer_type(AuthorizerType::Jwt)
                        .identity_source("$request.header.Authorization")
                        .jwt_configuration(jwt)
                        .send()
                        .await
                        .op("apigateway:CreateAuthorizer")?
                        .authorizer_id()
                        .unwrap_or_default()
                        .to_string(),
                }
            }
            AuthorizerSpec::Lambda { function } => {
                let arn = stack_function_arn(ctx, function)?;
                let physical = arn.rsplit(':').next().unwrap_or_default();
                let uri = crate::arn::invocation_uri(ctx.region(), &arn);
                let id = match existing {
                    Some((id, AuthorizerSpec::Lambda { function: live })) if live == physical => {
                        id.clone()
                    }
                    Some((id, _)) => {
                        client
                            .update_authorizer()
                            .api_id(api_id)
                            .authorizer_id(id)
                            .authorizer_type(AuthorizerType::Request)
                            .authorizer_uri(&uri)
                            .send()
                            .await
                            .op("apigateway:UpdateAuthorizer")?;
                        id.clone()
                    }
                    None => client
                        .create_authorizer()
                        .api_id(api_id)
                        .name(name)
                        .authorizer_type(AuthorizerType::Request)
                        .authorizer_uri(&uri)
                        .authorizer_payload_format_version("2.0")
                        .enable_simple_responses(true)
                        .identity_source("$request.header.Authorization")
                        .send()
                        .await
                        .op("apigateway:CreateAuthorizer")?
                        .authorizer_id()
                        .unwrap_or_default()
                        .to_string(),
                };
                permit_authorizer(ctx, &arn, api_id, name).await?;
                id
            }
            AuthorizerSpec::Cognito { .. } => continue,
        };
        ctx.set_output(authorizer_output(name), id);
    }
    let Some(live) = live else { return Ok(()) };
    for (name, (id, _)) in live
        .authorizers
        .iter()
        .filter(|(n, _)| !spec.authorizers.contains_key(*n))
    {
        for route in live
            .routes
            .iter()
            .filter(|r| r.authorizer.as_deref() == Some(name.as_str()))
        {
            client
                .update_route()
                .api_id(&live.id)
                .route_id(&route.id)
                .authorization_type(AuthorizationType::None)
                .send()
                .await
                .op("apigateway:UpdateRoute")?;
        }
        client
            .delete_authorizer()
            .api_id(&live.id)
            .authorizer_id(id)
            .send()
            .await
            .op("apigateway:DeleteAuthorizer")?;
    }
    Ok(())
}

async fn update_route(
    ctx: &Context<'_>,
    change: &Change,
    d: &RouteDesired,
    api_id: &str,
    live: &LiveRoute,
) -> Result<(), AwsError> {
    let function_arn = function_arn(ctx, d)?;
    let moved = changed(change, "function");
    // As for a new route: the function may be invoked before the route points at it.
    if moved || changed(change, "invoke_permission") {
        permit(ctx, &function_arn, api_id, d).await?;
    }
    if moved {
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
            .op("apigateway:UpdateIntegration")?;
        if let Some(old) = &live.function_arn {
            revoke(ctx, old, &d.statement_id).await?;
        }
    }
    if changed(change, "authorizer") || changed(change, "scopes") {
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
        revoke(ctx, function, &crate::marks::statement_id(&live.key)).await?;
    }
    Ok(())
}

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

/// The ARN of a function of the stack, by logical name.
pub(super) fn stack_function_arn(ctx: &Context<'_>, logical: &str) -> Result<String, AwsError> {
    known(
        ctx,
        &Reference {
            target: RefTarget::Function(logical.to_string()),
            attr: RefAttr::Arn,
        },
    )
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
        .map(|_| ())
}
