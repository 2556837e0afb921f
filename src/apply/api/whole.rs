//! Whole-API writes: when many routes of the API change in one apply, its whole route set is
//! written in one request (an HTTP API's ReimportApi, a REST API's PutRestApi in overwrite
//! mode) from an OpenAPI document (`openapi.rs`), then read back and repaired route by route
//! where the import did not carry something (`repair.rs`).
//!
//! The plan stays route by route; grouping is apply's decision, made from the plan when apply
//! starts (so a saved plan's apply groups the same way). The routes it carries all run the one
//! write, which each of them waits for: they start once every function any of them invokes
//! is ready.
//!
//! A new API is made by CreateApi / CreateRestApi with its tags first (as for a granular
//! apply), then imported into: ImportApi cannot set the stack tag before the API exists, nor
//! find the API again after a lost answer, and the one request more than an ImportApi is once
//! per API's life. It works the same on AWS and on the emulator (where ImportApi fails).

use std::collections::BTreeSet;

use futures::StreamExt;
use tokio::sync::OnceCell;

use super::openapi::{ApiDocument, DocumentRoute};
use super::permissions::permit_routes;
use super::{API_ID, Context, known};
use crate::aws::{AwsError, CallResult, ErrorKind};
use crate::plan::{Action, ApiDesired, Change, Desired, Live, Plan, RouteDesired};
use crate::stack::{Address, ApiType, AuthorizerSpec, RefAttr, RefTarget, Reference};

/// Route changes above which an apply writes the API whole.
///
/// By quota cost: API Gateway's control plane allows an account 10 requests a second across
/// all calls (burst 40; "Amazon API Gateway quotas", control plane), and each route written on
/// its own costs two of them (CreateIntegration and CreateRoute, or their deletes; a REST
/// route PutMethod and PutIntegration, plus CreateResource for new path parts). A whole-API
/// write costs one import and the read-back of the API (GetApis, GetStages, GetRoutes,
/// GetIntegrations, GetAuthorizers; a REST API: GetRestApis, GetResources, GetStages,
/// GetAuthorizers): six requests on AWS, where the import carries everything
/// ([`WHOLE_API_COST`]), and PutRestApi has its own quota of one a second. Five route changes
/// written on their own cost ten requests, a second of the account's quota: above that, the
/// whole write is cheaper (see [`worth_it`] for REST APIs with CORS). At or below it, the
/// granular path costs about as much and touches only the routes that change (the others'
/// integrations are not rewritten).
pub(crate) const WHOLE_API_THRESHOLD: usize = 5;

/// The apply's whole-API write, if it makes one: which route changes it carries, and its
/// outcome once made.
#[derive(Default)]
pub(crate) struct WholeApi {
    group: Option<Group>,
    written: OnceCell<Result<(), Failure>>,
}

/// What the write needs from the plan.
struct Group {
    api: ApiDesired,
    /// Every declared route, with the function ARN its live route invokes (if it exists).
    routes: Vec<(RouteDesired, Option<String>)>,
    /// The route changes the write carries.
    carried: BTreeSet<Address>,
    /// What every carried route waits for: the API and every function the carried routes
    /// invoke, where they change.
    depends_on: Vec<Address>,
}

/// A failed write, as each route it carried reports it.
#[derive(Clone)]
struct Failure {
    operation: String,
    message: String,
    kind: ErrorKind,
}

impl WholeApi {
    /// The whole-API write of `plan`: made when more than [`WHOLE_API_THRESHOLD`] route
    /// changes reach API Gateway (a change of a route's invoke permission alone does not).
    pub fn of(plan: &Plan) -> WholeApi {
        let api = plan.changes.iter().find_map(|c| match &c.desired {
            Some(Desired::Api(d)) => Some(d),
            _ => None,
        });
        let carried: Vec<&Change> = plan.changes.iter().filter(|c| reaches_api(c)).collect();
        let Some(api) = api.filter(|_| worth_it(plan, carried.len())) else {
            return WholeApi::default();
        };
        let routes = plan
            .changes
            .iter()
            .filter_map(|c| match (&c.desired, &c.live) {
                (Some(Desired::Route(d)), Some(Live::Route { route, .. })) => {
                    Some((d.clone(), route.function_arn.clone()))
                }
                (Some(Desired::Route(d)), _) => Some((d.clone(), None)),
                _ => None,
            })
            .collect();
        let mut depends_on: Vec<Address> = carried
            .iter()
            .flat_map(|c| c.depends_on.iter().cloned())
            .collect();
        depends_on.sort();
        depends_on.dedup();
        let group = Group {
            api: api.clone(),
            routes,
            carried: carried.iter().map(|c| c.address.clone()).collect(),
            depends_on,
        };
        WholeApi {
            group: Some(group),
            written: OnceCell::new(),
        }
    }

    /// Whether the write carries this change.
    pub fn carries(&self, address: &Address) -> bool {
        self.group
            .as_ref()
            .is_some_and(|g| g.carried.contains(address))
    }

    /// What `change` waits for: its own dependencies, and for a carried route those of every
    /// carried route.
    pub fn depends_on(&self, change: &Change) -> Vec<Address> {
        let mut deps = change.depends_on.clone();
        if let Some(group) = self
            .group
            .as_ref()
            .filter(|g| g.carried.contains(&change.address))
        {
            deps.extend(group.depends_on.iter().cloned());
            deps.retain(|d| *d != change.address);
        }
        deps
    }
}

/// Requests a whole-API write costs on AWS: the import, and the read-back's four or five.
const WHOLE_API_COST: usize = 6;

/// Whether writing the API whole costs fewer of API Gateway's requests than writing `changes`
/// routes one by one (about two each). A REST API with CORS also loses its preflight answers to
/// the overwrite (they are not in the document, see `document`), and its deployment writes
/// them again: four requests for each path that has routes now.
fn worth_it(plan: &Plan, changes: usize) -> bool {
    if changes <= WHOLE_API_THRESHOLD {
        return false;
    }
    let kept = plan
        .changes
        .iter()
        .find_map(|c| match (&c.desired, &c.live) {
            (Some(Desired::Api(d)), Some(Live::Api { api, .. })) if c.action != Action::Replace => {
                Some((d, api))
            }
            _ => None,
        });
    let preflights = match kept {
        Some((d, live)) if d.spec.api_type == ApiType::Rest && d.spec.cors.is_some() => live
            .resources
            .iter()
            .filter(|r| !r.methods.is_empty())
            .count(),
        _ => 0,
    };
    2 * changes > WHOLE_API_COST + 4 * preflights
}

/// A route change that writes to API Gateway (not only to its function's policy).
fn reaches_api(change: &Change) -> bool {
    if !matches!(change.address, Address::Route(_)) {
        return false;
    }
    match change.action {
        Action::NoOp => false,
        Action::Update => !change
            .attributes
            .iter()
            .all(|a| a.name == "invoke_permission"),
        _ => true,
    }
}

/// Makes the apply's whole-API write, once; every route it carries waits for it and reports
/// its outcome.
pub(super) async fn write(ctx: &Context<'_>) -> Result<(), AwsError> {
    let whole = &ctx.whole_api;
    let Some(group) = &whole.group else {
        return Ok(());
    };
    let outcome = whole
        .written
        .get_or_init(|| async { run(ctx, group).await.map_err(|e| Failure::of(&e)) })
        .await;
    outcome.clone().map_err(Failure::into_error)
}

/// The invoke permissions, the import, then the read-back and its repairs.
async fn run(ctx: &Context<'_>, group: &Group) -> Result<(), AwsError> {
    let api_id = known(ctx, &API_ID)?;
    learn_function_arns(ctx, group);
    grant(ctx, group, &api_id).await?;
    // Authorizers that name a user pool, with the pool's values (applied before the API).
    let authorizers = (group.api.spec.authorizers.iter())
        .map(|(name, a)| Ok((name.clone(), super::authorizers::resolved(ctx, a)?)))
        .collect::<Result<Vec<_>, AwsError>>()?;
    let body = document(ctx, group, &authorizers)?.to_json();
    match group.api.spec.api_type {
        ApiType::Http => {
            let request = ctx.clients.apigatewayv2.reimport_api().api_id(&api_id);
            let request = request.body(body).fail_on_warnings(false);
            request.send().await.op("apigateway:ReimportApi")?;
        }
        ApiType::Rest => {
            let request = ctx.clients.apigateway.put_rest_api().rest_api_id(&api_id);
            let request = request
                .mode(aws_sdk_apigateway::types::PutMode::Overwrite)
                .fail_on_warnings(false)
                .body(aws_smithy_types::Blob::new(body));
            request.send().await.op("apigateway:PutRestApi")?;
        }
    }
    super::repair::repair(ctx, &group.api, &desired(group), &api_id).await
}

/// The declared routes, for the repairs.
fn desired(group: &Group) -> Vec<&RouteDesired> {
    group.routes.iter().map(|(d, _)| d).collect()
}

/// The ARNs of functions that unchanged routes invoke, from the live routes, where the plan
/// did not need them (a saved plan's read): the document names every route's function.
fn learn_function_arns(ctx: &Context<'_>, group: &Group) {
    for (route, live_arn) in group.routes.iter().filter(|(r, _)| r.publish.is_none()) {
        let reference = function_reference(&route.logical_function);
        if let (None, Some(arn)) = (ctx.resolve(&reference), live_arn) {
            ctx.set_output(reference.to_string(), crate::arn::unqualified(arn));
        }
    }
}

fn function_reference(logical: &str) -> Reference {
    Reference {
        target: RefTarget::Function(logical.to_string()),
        attr: RefAttr::Arn,
    }
}

/// Lets each function that routes will invoke, and does not hold the API's permission yet, be
/// invoked, before the import points routes at it: one AddPermission per function, eight at
/// a time (Lambda's 15 writes a second are kept by the clients).
async fn grant(ctx: &Context<'_>, group: &Group, api_id: &str) -> Result<(), AwsError> {
    let mut wanted: Vec<(String, bool)> = Vec::new();
    for (route, _) in group.routes.iter().filter(|(r, _)| r.grant) {
        for arn in super::route_arns(ctx, route)?.1 {
            if !wanted.iter().any(|(a, _)| *a == arn) {
                wanted.push((arn, route.replace));
            }
        }
    }
    let grants = wanted
        .iter()
        .map(|(arn, replace)| permit_routes(ctx, arn, api_id, *replace));
    let mut running = futures::stream::iter(grants).buffer_unordered(8);
    while let Some(granted) = running.next().await {
        granted?;
    }
    Ok(())
}

/// The OpenAPI document of the declared routes and `authorizers` (resolved).
fn document<'g>(
    ctx: &'g Context<'_>,
    group: &'g Group,
    authorizers: &'g [(String, AuthorizerSpec)],
) -> Result<ApiDocument<'g>, AwsError> {
    let spec = &group.api.spec;
    let authorizers = authorizers
        .iter()
        .map(|(name, a)| {
            let function = match a {
                AuthorizerSpec::Lambda { function } => {
                    Some(known(ctx, &function_reference(function))?)
                }
                _ => None,
            };
            Ok((name.as_str(), a, function))
        })
        .collect::<Result<Vec<_>, AwsError>>()?;
    let routes = group
        .routes
        .iter()
        .map(|(r, _)| {
            let (function_arn, publish) = match &r.publish {
                Some(p) => (String::new(), Some(super::publish::arns(ctx, p)?)),
                None => (super::route_arns(ctx, r)?.0, None),
            };
            Ok(DocumentRoute {
                key: &r.key,
                function_arn,
                publish,
                authorizer: r.authorizer.as_deref(),
                scopes: &r.scopes,
                api_key: r.api_key,
            })
        })
        .collect::<Result<Vec<_>, AwsError>>()?;
    Ok(ApiDocument {
        title: &group.api.name,
        api_type: spec.api_type,
        region: ctx.region(),
        cors: spec.cors.as_ref(),
        // The emulator answers PutRestApi with a 500 for a MOCK integration without a URI
        // (AWS takes it): a REST API's preflight answers are written by its deployment
        // (`deploy.rs`), which rewrites only those that differ.
        rest_preflights: false,
        authorizers,
        routes,
    })
}

impl Failure {
    fn of(error: &AwsError) -> Failure {
        match error {
            AwsError::Call {
                operation,
                message,
                kind,
                ..
            } => Failure {
                operation: operation.clone(),
                message: message.clone(),
                kind: *kind,
            },
            other => Failure {
                operation: "whole-API write".to_string(),
                message: other.to_string(),
                kind: ErrorKind::Other,
            },
        }
    }

    fn into_error(self) -> AwsError {
        AwsError::Call {
            operation: self.operation,
            message: self.message,
            kind: self.kind,
            help: None,
        }
    }
}
