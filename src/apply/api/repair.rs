//! After a whole-API write (`whole.rs`): the API read back as a plan reads it, and what the
//! import did not carry written granularly, with the same requests a route-by-route apply
//! makes. On AWS the import carries everything and nothing is written here; on the emulator
//! this is what it ignores (README, "Where moto 5.2.5 differs from AWS"): the HTTP API's
//! stage and authorizers (ReimportApi deletes them), routes' authorizers and scopes, ANY
//! routes (read as a route of method `X-AMAZON-APIGATEWAY-ANY-METHOD`, deleted here), a REST
//! API's methods' authorization. There is no test for which one it is: each difference found is
//! repaired.

use super::authorizers::{AuthorizerRequests, learn, sync_declared};
use super::http::{Http, update_cors};
use super::http_routes::{RouteEdit, create_route, update_route};
use super::rest::{Rest, put_route};
use super::{Context, Flavour, function_arn, route_error, sync_tags};
use crate::aws::AwsError;
use crate::live::{LiveApi, LiveRoute};
use crate::plan::{ApiDesired, RouteDesired};
use crate::stack::{ApiSpec, ApiType};

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
    let repair = Repair {
        ctx,
        spec: &api.spec,
        routes,
        live: &live,
    };
    match api_type {
        ApiType::Http => repair.http().await,
        ApiType::Rest => repair.rest().await,
    }
}

/// What an API read back after its import is repaired to: its declaration and every declared
/// route.
struct Repair<'a, 'c> {
    ctx: &'a Context<'c>,
    spec: &'a ApiSpec,
    routes: &'a [&'a RouteDesired],
    live: &'a LiveApi,
}

impl Repair<'_, '_> {
    async fn http(&self) -> Result<(), AwsError> {
        let (ctx, spec, live) = (self.ctx, self.spec, self.live);
        let http = Http { ctx };
        let (stages, read) = (&live.stages, &live.stage_settings);
        super::v2::sync_stages(ctx, &live.id, &spec.stages, stages, read).await?;
        if live.cors != spec.cors {
            update_cors(ctx, spec.cors.as_ref(), &live.id).await?;
        }
        self.tags_and_authorizers(&http).await?;
        for (route, found) in to_write(ctx, self.routes, live)? {
            match found {
                None => create_route(ctx, route).await?,
                Some((found, edit)) => update_route(ctx, edit, route, &live.id, found).await?,
            }
        }
        self.delete_undeclared(&http).await
    }

    async fn rest(&self) -> Result<(), AwsError> {
        let (ctx, live) = (self.ctx, self.live);
        let rest = Rest { ctx };
        // The import made the resources anew: the tree apply knew is gone.
        ctx.rest_resources.replace(live).await;
        self.tags_and_authorizers(&rest).await?;
        for (route, found) in to_write(ctx, self.routes, live)? {
            put_route(ctx, &live.id, route, found.map(|(found, _)| found)).await?;
        }
        // CORS preflights and the stage follow with the deployment (`deploy.rs`).
        self.delete_undeclared(&rest).await
    }

    /// The API's tags, and its authorizers where the import did not carry them as declared.
    async fn tags_and_authorizers(
        &self,
        flavour: &(impl Flavour + AuthorizerRequests),
    ) -> Result<(), AwsError> {
        let (ctx, spec, live) = (self.ctx, self.spec, self.live);
        if live.tags != spec.tags {
            sync_tags(flavour, &live.id, &live.tags, &spec.tags).await?;
        }
        if !learn(ctx, spec, live)? {
            sync_declared(flavour, ctx, &live.id, spec, Some(live)).await?;
        }
        Ok(())
    }

    /// Deletes the live routes no declared route has the key of.
    async fn delete_undeclared(&self, flavour: &dyn Flavour) -> Result<(), AwsError> {
        let declared = |key: &str| self.routes.iter().any(|r| r.key == key);
        let live = self.live;
        for extra in live.routes.iter().filter(|l| !declared(&l.key)) {
            flavour.delete_route(&live.id, extra).await?;
        }
        Ok(())
    }
}

/// The declared routes to write: those the API lacks, and those whose live route differs
/// (with what differs).
fn to_write<'r, 'l>(
    ctx: &Context<'_>,
    routes: &[&'r RouteDesired],
    live: &'l LiveApi,
) -> Result<Vec<ToWrite<'r, 'l>>, AwsError> {
    let mut write = Vec::new();
    for route in routes {
        match live.routes.iter().find(|l| l.key == route.key) {
            None => write.push((*route, None)),
            Some(found) => {
                let edit = differences(ctx, route, found)?;
                if edit.moved || edit.reauthorize {
                    write.push((*route, Some((found, edit))));
                }
            }
        }
    }
    Ok(write)
}

/// A declared route to write, and the live one with what differs (none: a new route).
type ToWrite<'r, 'l> = (&'r RouteDesired, Option<(&'l LiveRoute, RouteEdit)>);

/// What differs between a declared route and the live one of the same key.
fn differences(
    ctx: &Context<'_>,
    route: &RouteDesired,
    live: &LiveRoute,
) -> Result<RouteEdit, AwsError> {
    let moved = match &route.publish {
        Some(p) => {
            let (topic_arn, role_arn) = super::publish::arns(ctx, p)?;
            live.topic_arn.as_ref() != Some(&topic_arn) || live.credentials != Some(role_arn)
        }
        None => {
            let function = function_arn(ctx, &route.logical_function)?;
            live.function_arn.as_deref() != Some(function.as_str())
        }
    };
    Ok(RouteEdit {
        moved,
        reauthorize: live.authorizer != route.authorizer
            || live.scopes != route.scopes
            || live.api_key != route.api_key,
    })
}
