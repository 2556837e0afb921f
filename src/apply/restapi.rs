//! REST APIs (API Gateway v1): a resource tree with methods and Lambda proxy integrations,
//! served through deployments. Any change is followed by a new deployment that the stage
//! points at, so that a change can never miss the stage.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_apigateway::types::{
    AuthorizerType, EndpointConfiguration, EndpointType, IntegrationType, Op, PatchOperation,
};

use super::apigateway::{
    API_ID, api_url, function_arn, known, permit, permit_authorizer, revoke, stack_function_arn,
};
use super::{Context, changed, once, removed_tags};
use crate::aws::{AwsError, CallResult, ErrorKind, classify, describe};
use crate::live::{LiveApi, LiveRoute, authorizer_output, cors_of, stage_url};
use crate::marks::STACK_TAG;
use crate::plan::{Action, ApiDesired, Change, Desired, Live, RouteDesired};
use crate::stack::{ApiSpec, AuthorizerSpec, Cors};

pub async fn create_api(ctx: &Context<'_>, d: &ApiDesired) -> Result<(), AwsError> {
    let mut tags: HashMap<String, String> = d.spec.tags.clone().into_iter().collect();
    tags.insert(STACK_TAG.to_string(), d.stack.clone());
    let create = || async {
        let api = ctx
            .clients
            .apigateway
            .create_rest_api()
            .name(&d.name)
            .endpoint_configuration(
                EndpointConfiguration::builder()
                    .types(EndpointType::Regional)
                    .build(),
            )
            .set_tags(Some(tags.clone()))
            .customize()
            .config_override(
                aws_sdk_apigateway::config::Builder::default().retry_config(once::one_attempt()),
            )
            .send()
            .await?;
        Ok(api.id().unwrap_or_default().to_string())
    };
    let id = once::create("apigateway:CreateRestApi", create, || made_api(ctx, d)).await?;
    ctx.set_output(API_ID.to_string(), id.clone());
    ctx.set_output(
        api_url().to_string(),
        stage_url(&endpoint(ctx, &id), &d.spec.stage),
    );
    create_or_update_authorizers(ctx, &id, &d.spec, None).await
}

/// The ID of the stack's REST API, if one exists: the plan found none, and the lock keeps
/// other applies out, so it is one that a create whose answer was lost made.
async fn made_api(ctx: &Context<'_>, d: &ApiDesired) -> Result<Option<String>, AwsError> {
    let apis = crate::live::tagged_rest_apis(ctx.clients, &d.stack).await?;
    Ok(apis
        .iter()
        .find(|api| api.name() == Some(d.name.as_str()))
        .map(|api| api.id().unwrap_or_default().to_string()))
}

/// Creates and updates the API's Cognito authorizers. Unused ones are deleted with the
/// deployment, once no method uses them any more.
async fn create_or_update_authorizers(
    ctx: &Context<'_>,
    api_id: &str,
    spec: &ApiSpec,
    live: Option<&LiveApi>,
) -> Result<(), AwsError> {
    let client = &ctx.clients.apigateway;
    for (name, wanted) in &spec.authorizers {
        if let AuthorizerSpec::Lambda { function } = wanted {
            lambda_authorizer(ctx, api_id, name, function, live).await?;
            continue;
        }
        let AuthorizerSpec::Cognito { user_pools } = wanted else {
            continue;
        };
        match live.and_then(|l| l.authorizers.get(name)) {
            Some((id, existing)) => {
                if let AuthorizerSpec::Cognito { user_pools: before } = existing
                    && before != user_pools
                {
                    let mut request = client
                        .update_authorizer()
                        .rest_api_id(api_id)
                        .authorizer_id(id);
                    for arn in user_pools.iter().filter(|a| !before.contains(a)) {
                        request = request.patch_operations(patch(
                            Op::Add,
                            &format!("/providerARNs/{arn}"),
                            None,
                        ));
                    }
                    for arn in before.iter().filter(|a| !user_pools.contains(a)) {
                        request = request.patch_operations(patch(
                            Op::Remove,
                            &format!("/providerARNs/{arn}"),
                            None,
                        ));
                    }
                    request.send().await.op("apigateway:UpdateAuthorizer")?;
                }
                ctx.set_output(authorizer_output(name), id.clone());
            }
            None => {
                let created = client
                    .create_authorizer()
                    .rest_api_id(api_id)
                    .name(name)
                    .r#type(AuthorizerType::CognitoUserPools)
                    .set_provider_arns(Some(user_pools.clone()))
                    .identity_source("method.request.header.Authorization")
                    .send()
                    .await
                    .op("apigateway:CreateAuthorizer")?;
                ctx.set_output(authorizer_output(name), created.id().unwrap_or_default());
            }
        }
    }
    Ok(())
}

/// A TOKEN authorizer that calls a function of the stack with the Authorization header.
async fn lambda_authorizer(
    ctx: &Context<'_>,
    api_id: &str,
    name: &str,
    function: &str,
    live: Option<&LiveApi>,
) -> Result<(), AwsError> {
    let client = &ctx.clients.apigateway;
    let arn = stack_function_arn(ctx, function)?;
    let physical = arn.rsplit(':').next().unwrap_or_default();
    let uri = crate::arn::invocation_uri(ctx.region(), &arn);
    let id = match live.and_then(|l| l.authorizers.get(name)) {
        Some((id, AuthorizerSpec::Lambda { function: live })) if live == physical => id.clone(),
        Some((id, _)) => {
            client
                .update_authorizer()
                .rest_api_id(api_id)
                .authorizer_id(id)
                .patch_operations(patch(Op::Replace, "/authorizerUri", Some(uri)))
                .send()
                .await
                .op("apigateway:UpdateAuthorizer")?;
            id.clone()
        }
        None => client
            .create_authorizer()
            .rest_api_id(api_id)
            .name(name)
            .r#type(AuthorizerType::Token)
            .authorizer_uri(uri)
            .identity_source("method.request.header.Authorization")
            .send()
            .await
            .op("apigateway:CreateAuthorizer")?
            .id()
            .unwrap_or_default()
            .to_string(),
    };
    permit_authorizer(ctx, &arn, api_id, name).await?;
    ctx.set_output(authorizer_output(name), id);
    Ok(())
}

fn patch(op: Op, path: &str, value: Option<String>) -> PatchOperation {
    PatchOperation::builder()
        .op(op)
        .path(path)
        .set_value(value)
        .build()
}

fn endpoint(ctx: &Context<'_>, id: &str) -> String {
    crate::arn::execute_api_endpoint(ctx.region(), id)
}

/// Settings that live on the stage are applied with the deployment that follows.
pub async fn update_api(
    ctx: &Context<'_>,
    change: &Change,
    d: &ApiDesired,
    live: &LiveApi,
) -> Result<(), AwsError> {
    if change
        .attributes
        .iter()
        .any(|c| c.name.starts_with("authorizer."))
    {
        create_or_update_authorizers(ctx, &live.id, &d.spec, Some(live)).await?;
    }
    if changed(change, "tags") {
        let arn = crate::arn::rest_api(ctx.region(), &live.id);
        let removed = removed_tags(&live.tags, &d.spec.tags);
        let client = &ctx.clients.apigateway;
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
    ctx.set_output(
        api_url().to_string(),
        stage_url(&live.endpoint, &d.spec.stage),
    );
    Ok(())
}

pub async fn delete_api(ctx: &Context<'_>, id: &str) -> Result<(), AwsError> {
    ctx.clients
        .apigateway
        .delete_rest_api()
        .rest_api_id(id)
        .send()
        .await
        .absent_ok("apigateway:DeleteRestApi")
        .map(|_| ())
}

pub async fn apply_route(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    let desired = match &change.desired {
        Some(Desired::Route(d)) => Some(d),
        _ => None,
    };
    let live = match &change.live {
        Some(Live::Route { api_id, route, .. }) => Some((api_id.as_str(), route)),
        _ => None,
    };
    match (change.action, desired, live) {
        (Action::Create, Some(d), _) => {
            let api_id = known(ctx, &API_ID)?;
            put_route(ctx, &api_id, d, None, true).await
        }
        (Action::Update, Some(d), Some((api_id, route))) => {
            let grant = changed(change, "function") || changed(change, "invoke_permission");
            put_route(ctx, api_id, d, Some(route), grant).await
        }
        (Action::Delete, _, Some((api_id, route))) => delete_route(ctx, api_id, route).await,
        _ => Ok(()),
    }
}

/// Creates the route's resource path where missing, and (re)writes its method and its Lambda
/// proxy integration. PutMethod and PutIntegration replace what is there. With `grant`, the
/// function is let invoked first: before the route reaches it, and a function that is gone
/// fails the route before anything is written.
async fn put_route(
    ctx: &Context<'_>,
    api_id: &str,
    d: &RouteDesired,
    live: Option<&LiveRoute>,
    grant: bool,
) -> Result<(), AwsError> {
    let function = function_arn(ctx, d)?;
    if grant {
        permit(ctx, &function, api_id, d).await?;
    }
    let (method, path) = d.key.split_once(' ').unwrap_or(("ANY", "/"));
    let resource_id = match live {
        Some(route) => route.id.clone(),
        None => resource_for(ctx, api_id, path).await?,
    };
    let client = &ctx.clients.apigateway;
    // A method's authorization is set when it is put: to change it, the method is put again.
    let reauthorize = live.is_some_and(|l| l.authorizer != d.authorizer || l.scopes != d.scopes);
    if reauthorize {
        client
            .delete_method()
            .rest_api_id(api_id)
            .resource_id(&resource_id)
            .http_method(method)
            .send()
            .await
            .op("apigateway:DeleteMethod")?;
    }
    if live.is_none() || reauthorize {
        let (kind, authorizer) = match &d.authorizer {
            None => ("NONE", None),
            Some(name) => {
                let id = ctx
                    .output(&authorizer_output(name))
                    .ok_or_else(|| other(format!("the ID of authorizer {name} is not known")))?;
                (
                    d.authorizer_kind.as_deref().unwrap_or("COGNITO_USER_POOLS"),
                    Some(id),
                )
            }
        };
        match client
            .put_method()
            .rest_api_id(api_id)
            .resource_id(&resource_id)
            .http_method(method)
            .authorization_type(kind)
            .set_authorizer_id(authorizer)
            .set_authorization_scopes((!d.scopes.is_empty()).then(|| d.scopes.clone()))
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if classify(&e) == ErrorKind::Conflict => {}
            Err(e) => return Err(describe("apigateway:PutMethod", e)),
        }
    }
    let uri = crate::arn::invocation_uri(ctx.region(), &function);
    client
        .put_integration()
        .rest_api_id(api_id)
        .resource_id(&resource_id)
        .http_method(method)
        .r#type(IntegrationType::AwsProxy)
        .integration_http_method("POST")
        .uri(uri)
        .send()
        .await
        .op("apigateway:PutIntegration")?;
    if let Some(old) = live
        .and_then(|r| r.function_arn.as_deref())
        .filter(|old| *old != function)
    {
        revoke(ctx, old, &d.statement_id).await?;
    }
    Ok(())
}

/// The ID of the resource at `path`, created segment by segment where missing. Routes that
/// share a prefix run concurrently: one at a time may create resources.
async fn resource_for(ctx: &Context<'_>, api_id: &str, path: &str) -> Result<String, AwsError> {
    let _guard = ctx.rest_resources.lock().await;
    let mut ids = resource_ids(ctx, api_id).await?;
    let mut parent = ids
        .get("/")
        .cloned()
        .ok_or_else(|| other(format!("REST API {api_id} has no root resource")))?;
    let mut current = String::new();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        current = format!("{current}/{segment}");
        parent = match ids.get(&current) {
            Some(id) => id.clone(),
            None => {
                let created = ctx
                    .clients
                    .apigateway
                    .create_resource()
                    .rest_api_id(api_id)
                    .parent_id(&parent)
                    .path_part(segment)
                    .send()
                    .await
                    .op("apigateway:CreateResource")?;
                let id = created.id().unwrap_or_default().to_string();
                ids.insert(current.clone(), id.clone());
                id
            }
        };
    }
    Ok(parent)
}

fn other(message: String) -> AwsError {
    AwsError::Call {
        operation: "apigateway".to_string(),
        message,
        kind: ErrorKind::Other,
        help: None,
    }
}

/// Path -> ID of every resource, with the method verbs and children counted for pruning.
async fn resource_ids(
    ctx: &Context<'_>,
    api_id: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    Ok(resources(ctx, api_id)
        .await?
        .into_iter()
        .map(|r| (r.path, r.id))
        .collect())
}

struct Resource {
    id: String,
    path: String,
    parent_id: Option<String>,
    /// Every method, CORS ones included.
    methods: usize,
    /// Methods other than a CORS OPTIONS answer.
    routes: usize,
    /// What its CORS OPTIONS method answers, if it has one.
    cors: Option<Cors>,
}

async fn resources(ctx: &Context<'_>, api_id: &str) -> Result<Vec<Resource>, AwsError> {
    let mut out = Vec::new();
    let mut position: Option<String> = None;
    loop {
        let page = ctx
            .clients
            .apigateway
            .get_resources()
            .rest_api_id(api_id)
            .embed("methods")
            .limit(500)
            .set_position(position.take())
            .send()
            .await
            .op("apigateway:GetResources")?;
        out.extend(page.items().iter().map(|r| {
            let cors = r
                .resource_methods()
                .and_then(|m| m.get("OPTIONS"))
                .and_then(cors_of);
            let methods = r.resource_methods().map_or(0, |m| m.len());
            Resource {
                id: r.id().unwrap_or_default().to_string(),
                path: r.path().unwrap_or_default().to_string(),
                parent_id: r.parent_id().map(str::to_string),
                methods,
                routes: methods - usize::from(cors.is_some()),
                cors,
            }
        }));
        match page.position() {
            Some(next) if !next.is_empty() => position = Some(next.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

async fn delete_route(ctx: &Context<'_>, api_id: &str, live: &LiveRoute) -> Result<(), AwsError> {
    let method = live.key.split_once(' ').map_or("ANY", |(m, _)| m);
    match ctx
        .clients
        .apigateway
        .delete_method()
        .rest_api_id(api_id)
        .resource_id(&live.id)
        .http_method(method)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) if classify(&e) == ErrorKind::NotFound => {}
        Err(e) => return Err(describe("apigateway:DeleteMethod", e)),
    }
    if let Some(function) = &live.function_arn {
        revoke(ctx, function, &crate::marks::statement_id(&live.key)).await?;
    }
    Ok(())
}

/// Removes resources left without methods or children, makes a new deployment for the stage,
/// and applies the stage's settings.
pub async fn deploy(ctx: &Context<'_>, spec: &ApiSpec) -> Result<(), AwsError> {
    let api_id = known(ctx, &API_ID)?;
    sync_cors(ctx, &api_id, spec).await?;
    prune(ctx, &api_id).await?;
    delete_unused_authorizers(ctx, &api_id, spec).await?;
    let client = &ctx.clients.apigateway;
    client
        .create_deployment()
        .rest_api_id(&api_id)
        .stage_name(&spec.stage)
        .description("stackctl apply")
        .send()
        .await
        .op("apigateway:CreateDeployment")?;
    stage_settings(ctx, &api_id, spec).await?;
    ctx.set_output(
        api_url().to_string(),
        stage_url(&endpoint(ctx, &api_id), &spec.stage),
    );
    Ok(())
}

/// A REST API answers CORS preflights with an OPTIONS mock method on every resource that has
/// routes. Only resources whose answer differs from the stack file are written.
async fn sync_cors(ctx: &Context<'_>, api_id: &str, spec: &ApiSpec) -> Result<(), AwsError> {
    let client = &ctx.clients.apigateway;
    for resource in resources(ctx, api_id).await? {
        let wanted = spec.cors.as_ref().filter(|_| resource.routes > 0);
        if resource.cors.as_ref() == wanted {
            continue;
        }
        if resource.cors.is_some() {
            client
                .delete_method()
                .rest_api_id(api_id)
                .resource_id(&resource.id)
                .http_method("OPTIONS")
                .send()
                .await
                .op("apigateway:DeleteMethod")?;
        }
        if let Some(cors) = wanted {
            put_cors(ctx, api_id, &resource.id, cors).await?;
        }
    }
    Ok(())
}

async fn put_cors(
    ctx: &Context<'_>,
    api_id: &str,
    resource_id: &str,
    cors: &Cors,
) -> Result<(), AwsError> {
    let client = &ctx.clients.apigateway;
    let mut headers = vec![("Allow-Origin", cors.allow_origins.join(","))];
    if !cors.allow_methods.is_empty() {
        headers.push(("Allow-Methods", cors.allow_methods.join(",")));
    }
    if !cors.allow_headers.is_empty() {
        headers.push(("Allow-Headers", cors.allow_headers.join(",")));
    }
    if let Some(age) = cors.max_age {
        headers.push(("Max-Age", age.to_string()));
    }
    let name = |h: &str| format!("method.response.header.Access-Control-{h}");
    client
        .put_method()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method("OPTIONS")
        .authorization_type("NONE")
        .send()
        .await
        .op("apigateway:PutMethod")?;
    client
        .put_method_response()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method("OPTIONS")
        .status_code("200")
        .set_response_parameters(Some(
            headers.iter().map(|(h, _)| (name(h), false)).collect(),
        ))
        .send()
        .await
        .op("apigateway:PutMethodResponse")?;
    client
        .put_integration()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method("OPTIONS")
        .r#type(IntegrationType::Mock)
        .request_templates("application/json", "{\"statusCode\": 200}")
        .send()
        .await
        .op("apigateway:PutIntegration")?;
    client
        .put_integration_response()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method("OPTIONS")
        .status_code("200")
        .set_response_parameters(Some(
            headers
                .iter()
                .map(|(h, v)| (name(h), format!("'{v}'")))
                .collect(),
        ))
        .send()
        .await
        .op("apigateway:PutIntegrationResponse")?;
    Ok(())
}

/// Throttling and the access log live on the stage: set them after each deployment.
async fn stage_settings(ctx: &Context<'_>, api_id: &str, spec: &ApiSpec) -> Result<(), AwsError> {
    let client = &ctx.clients.apigateway;
    let mut ops = Vec::new();
    if let Some(throttle) = spec.throttle {
        ops.push(patch(
            Op::Replace,
            "/*/*/throttling/rateLimit",
            Some(throttle.rate.to_string()),
        ));
        ops.push(patch(
            Op::Replace,
            "/*/*/throttling/burstLimit",
            Some(throttle.burst.to_string()),
        ));
    }
    match &spec.access_log {
        Some(log) => {
            ops.push(patch(
                Op::Replace,
                "/accessLogSettings/destinationArn",
                Some(log.destination.clone()),
            ));
            ops.push(patch(
                Op::Replace,
                "/accessLogSettings/format",
                Some(log.format.clone()),
            ));
        }
        None => {
            let stage = client
                .get_stage()
                .rest_api_id(api_id)
                .stage_name(&spec.stage)
                .send()
                .await
                .op("apigateway:GetStage")?;
            if stage
                .access_log_settings()
                .and_then(|l| l.destination_arn())
                .is_some()
            {
                ops.push(patch(Op::Remove, "/accessLogSettings", None));
            }
        }
    }
    if ops.is_empty() {
        return Ok(());
    }
    client
        .update_stage()
        .rest_api_id(api_id)
        .stage_name(&spec.stage)
        .set_patch_operations(Some(ops))
        .send()
        .await
        .op("apigateway:UpdateStage")?;
    Ok(())
}

/// Deletes authorizers the stack file no longer declares; their methods changed before.
async fn delete_unused_authorizers(
    ctx: &Context<'_>,
    api_id: &str,
    spec: &ApiSpec,
) -> Result<(), AwsError> {
    let client = &ctx.clients.apigateway;
    let out = client
        .get_authorizers()
        .rest_api_id(api_id)
        .limit(500)
        .send()
        .await
        .op("apigateway:GetAuthorizers")?;
    for authorizer in out.items() {
        let name = authorizer.name().unwrap_or_default();
        if spec.authorizers.contains_key(name) {
            continue;
        }
        client
            .delete_authorizer()
            .rest_api_id(api_id)
            .authorizer_id(authorizer.id().unwrap_or_default())
            .send()
            .await
            .op("apigateway:DeleteAuthorizer")?;
    }
    Ok(())
}

/// Deletes resources with no methods and no children, deepest first, so that removed routes
/// leave nothing behind.
async fn prune(ctx: &Context<'_>, api_id: &str) -> Result<(), AwsError> {
    let mut all = resources(ctx, api_id).await?;
    all.sort_by_key(|r| std::cmp::Reverse(r.path.matches('/').count()));
    let mut removed: Vec<String> = Vec::new();
    for i in 0..all.len() {
        let r = &all[i];
        let has_children = all
            .iter()
            .any(|c| c.parent_id.as_deref() == Some(r.id.as_str()) && !removed.contains(&c.id));
        if r.path == "/" || r.methods > 0 || has_children {
            continue;
        }
        match ctx
            .clients
            .apigateway
            .delete_resource()
            .rest_api_id(api_id)
            .resource_id(&r.id)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if classify(&e) == ErrorKind::NotFound => {}
            Err(e) => return Err(describe("apigateway:DeleteResource", e)),
        }
        removed.push(r.id.clone());
    }
    Ok(())
}
