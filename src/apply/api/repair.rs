//! After a whole-API write (`whole.rs`): the API read back as a plan reads it, and what the
//! import did not carry written granularly, with the same requests a route-by-route apply
//! makes. On AWS the import carries everything and nothing is written here; on the emulator
//! this is what it ignores (README, "Where moto 5.2.5 differs from AWS"): the HTTP API's
//! stage and authorizers (ReimportApi deletes them), routes' authorizers and scopes, ANY
//! routes (read as a route of method `X-AMAZON-APIGATEWAY-ANY-METHOD`, deleted here), a REST
//! API's methods' authorization. There is no test for which one it is: each difference found is
//! repaired.

use super::authorizers::{learn, sync_declared};
use super::http::{Http, create_stage, update_cors};
use super::http_routes::{RouteEdit, create_route, delete_route, update_route};
use super::rest::{Rest, put_route};
use super::{Context, Flavour, function_arn, route_error, sync_tags};
use crate::aws::AwsError;
use crate::live::{LiveApi, LiveRoute};
use crate::plan::{ApiDesired, RouteDesired};
use crate::stack::ApiType;

/// Reads the API `api_id` back and makes it what `api` and `routes` (every declared route)
/// declare.
pub(super) async fn repair(
    ctx: &Context<'_>,
    api: &ApiDesired,
    routes: &[&RouteDesired],
    api_id: &str,
) -> Result<(), AwsError> {
    let api_type = api.spec.api_type;
    let read = crate::live::read_api(ctx.clients, &api.stack, api_type, api_id).await?;
    let live = read.ok_or_else(|| {
        route_error(format!(
            "API {api_id} was not found after its import (is it still tagged for the stack?)"
        ))
    })?;
    match api_type {
        ApiType::Http => repair_http(ctx, api, routes, &live).await,
        ApiType::Rest => repair_rest(ctx, api, routes, &live).await,
    }
}

async fn repair_http(
    ctx: &Context<'_>,
    api: &ApiDesired,
    routes: &[&RouteDesired],
    live: &LiveApi,
) -> Result<(), AwsError> {
    let spec = &api.spec;
    let http = Http { ctx };
    if !live.stages.contains(&spec.stage) {
        create_stage(ctx, &live.id, spec).await?;
    }
    if live.cors != spec.cors {
        update_cors(ctx, spec.cors.as_ref(), &live.id).await?;
    }
    if live.tags != spec.tags {
        sync_tags(&http, &live.id, &live.tags, &spec.tags).await?;
    }
    if !learn(ctx, spec, live)? {
        sync_declared(&http, ctx, &live.id, spec, Some(live)).await?;
    }
    for route in routes {
        match live.routes.iter().find(|l| l.key == route.key) {
            None => create_route(ctx, route).await?,
            Some(found) => {
                let edit = differences(ctx, route, found)?;
                if edit.moved || edit.reauthorize {
                    update_route(ctx, edit, route, &live.id, found).await?;
                }
            }
        }
    }
    for extra in undeclared(live, routes) {
        delete_route(ctx, &live.id, extra).await?;
    }
    Ok(())
}

async fn repair_rest(
    ctx: &Context<'_>,
    api: &ApiDesired,
    routes: &[&RouteDesired],
    live: &LiveApi,
) -> Result<(), AwsError> {
    let spec = &api.spec;
    let rest = Rest { ctx };
    // The import made the resources anew: the tree apply knew is gone.
    ctx.rest_resources.replace(live).await;
    if live.tags != spec.tags {
        sync_tags(&rest, &live.id, &live.tags, &spec.tags).await?;
    }
    if !learn(ctx, spec, live)? {
        sync_declared(&rest, ctx, &live.id, spec, Some(live)).await?;
    }
    for route in routes {
        match live.routes.iter().find(|l| l.key == route.key) {
            None => put_route(ctx, &live.id, route, None).await?,
            Some(found) => {
                let edit = differences(ctx, route, found)?;
                if edit.moved || edit.reauthorize {
                    put_route(ctx, &live.id, route, Some(found)).await?;
                }
            }
        }
    }
    for extra in undeclared(live, routes) {
        rest.delete_route(&live.id, extra).await?;
    }
    // CORS preflights and the stage follow with the deployment (`deploy.rs`).
    Ok(())
}

/// What differs between a declared route and the live one of the same key.
fn differences(
    ctx: &Context<'_>,
    route: &RouteDesired,
    live: &LiveRoute,
) -> Result<RouteEdit, AwsError> {
    let function = function_arn(ctx, &route.logical_function)?;
    Ok(RouteEdit {
        moved: live.function_arn.as_deref() != Some(function.as_str()),
        reauthorize: live.authorizer != route.authorizer
            || live.scopes != route.scopes
            || live.api_key != route.api_key,
    })
}

/// Live routes no declared route has the key of.
fn undeclared<'l>(live: &'l LiveApi, routes: &[&RouteDesired]) -> Vec<&'l LiveRoute> {
    let declared = |key: &str| routes.iter().any(|r| r.key == key);
    live.routes.iter().filter(|l| !declared(&l.key)).collect()
}
