//! A REST API's deployment, after the API and all its routes changed: CORS preflight
//! answers, resources and authorizers left unused removed, a new deployment for the stage,
//! and the stage's settings.

use aws_sdk_apigateway::types::IntegrationType;

use super::tree::resources;
use super::{API_ID, Context, api_url, known};
use crate::aws::{AwsError, CallResult};
use crate::live::stage_url;
use crate::openapi::cors_headers;
use crate::stack::{ApiSpec, Cors};

/// Removes resources left without methods or children, makes a new deployment for each stage
/// (with its variables and tracing), applies each stage's settings, and deletes the stages the
/// stack file no longer declares.
pub async fn deploy(ctx: &Context<'_>, spec: &ApiSpec) -> Result<(), AwsError> {
    let api_id = known(ctx, &API_ID)?;
    sync_cors(ctx, &api_id, spec).await?;
    prune(ctx, &api_id).await?;
    delete_unused_authorizers(ctx, &api_id, spec).await?;
    let client = &ctx.clients.apigateway;
    for stage in &spec.stages {
        let variables = (!stage.variables.is_empty()).then(|| stage.variables.clone());
        client
            .create_deployment()
            .rest_api_id(&api_id)
            .stage_name(&stage.name)
            .description("stackctl apply")
            .set_variables(variables.map(|v| v.into_iter().collect()))
            .set_tracing_enabled(stage.tracing.then_some(true))
            .send()
            .await
            .op("apigateway:CreateDeployment")?;
        super::stage::settings(ctx, &api_id, stage).await?;
    }
    super::stage::delete_undeclared(ctx, &api_id, spec).await?;
    let endpoint = crate::arn::execute_api_endpoint(ctx.region(), &api_id);
    let url = stage_url(&endpoint, &spec.first_stage().name);
    ctx.set_output(api_url().to_string(), url);
    for stage in spec.stage_names() {
        let url = stage_url(&endpoint, stage);
        ctx.set_output(crate::marks::stage_url_output(stage), url);
    }
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
    let headers = cors_headers(cors);
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
        let request = ctx.clients.apigateway.delete_resource();
        let request = request.rest_api_id(api_id).resource_id(&r.id);
        request
            .send()
            .await
            .absent_ok("apigateway:DeleteResource")?;
        removed.push(r.id.clone());
    }
    Ok(())
}
