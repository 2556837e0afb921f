//! The API and its routes, one concept with a flavour per kind of API: HTTP APIs (API
//! Gateway v2, `http.rs` and `http_routes.rs`) and REST APIs (v1, `rest.rs`, with its resource tree in `tree.rs`
//! and its deployment in `deploy.rs`). What both do the same way is written once here:
//! the one dispatch on the API's type, tag syncing, the values other changes provide, and
//! (in `authorizers.rs` and `permissions.rs`) authorizers and Lambda invoke permissions.

/// A flavour's methods whose requests are the same in both SDKs, in types of their own, on
/// `ctx.clients.$client`: the API's ARN (`crate::arn::$arn`), its delete (`$delete`, the ID as
/// `$id`, sent as `$op`; an API that is gone already is deleted), TagResource and UntagResource.
macro_rules! api_requests {
    ($client:ident, $arn:ident, $delete:ident($id:ident) as $op:literal) => {
        fn arn(&self, api_id: &str) -> String {
            crate::arn::$arn(self.ctx.region(), api_id)
        }

        fn delete<'a>(&'a self, api_id: &'a str) -> Call<'a> {
            let request = self.ctx.clients.$client.$delete().$id(api_id);
            Box::pin(async { request.send().await.absent_ok($op).map(drop) })
        }

        fn tag<'a>(&'a self, arn: &'a str, tags: HashMap<String, String>) -> Call<'a> {
            let request = self.ctx.clients.$client.tag_resource();
            let request = request.resource_arn(arn).set_tags(Some(tags));
            Box::pin(async { request.send().await.map(drop).op("apigateway:TagResource") })
        }

        fn untag<'a>(&'a self, arn: &'a str, keys: Vec<String>) -> Call<'a> {
            let request = self.ctx.clients.$client.untag_resource();
            let request = request.resource_arn(arn).set_tag_keys(Some(keys));
            Box::pin(async {
                request
                    .send()
                    .await
                    .map(drop)
                    .op("apigateway:UntagResource")
            })
        }
    };
}

mod authorizers;
mod deploy;
mod http;
mod http_routes;
mod openapi;
mod permissions;
mod publish;
mod repair;
mod rest;
mod stage;
mod tree;
pub(crate) mod v2;
mod whole;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use aws_sdk_apigateway::types::{Op, PatchOperation};
use futures::future::LocalBoxFuture;

use super::{Context, once, removed_tags};
use crate::aws::{AwsError, ErrorKind};
use crate::live::{LiveApi, LiveRoute, TaggedApi, authorizer_output};
use crate::plan::{Action, ApiDesired, Change, Desired, Live, RouteDesired};
use crate::stack::{ApiSpec, ApiType, RefAttr, RefTarget, Reference};

pub(crate) use permissions::{Grants, allow_invoke, revoke};
pub(crate) use tree::ResourceTrees;
pub(crate) use whole::WholeApi;

/// A request (or several) to API Gateway, as a flavour's method returns it.
type Call<'a> = LocalBoxFuture<'a, Result<(), AwsError>>;

/// What differs between the kinds of API: the requests that carry out each change, in the
/// apply's context. Authorizers are synced by `authorizers.rs` with the flavour's
/// [`authorizers::AuthorizerRequests`].
trait Flavour {
    /// The API's ARN, which its tags are set on.
    fn arn(&self, api_id: &str) -> String;
    /// Creates the API with its stack tag, its authorizers and (HTTP) its stage.
    fn create<'a>(&'a self, d: &'a ApiDesired) -> Call<'a>;
    /// Changes what differs in `change` on the live API.
    fn update<'a>(&'a self, change: &'a Change, d: &'a ApiDesired, live: &'a LiveApi) -> Call<'a>;
    fn delete<'a>(&'a self, api_id: &'a str) -> Call<'a>;
    /// Creates or changes the route, its function let invoked first.
    fn put_route<'a>(&'a self, route: RouteChange<'a>) -> Call<'a>;
    /// Deletes the route and its function's invoke permission.
    fn delete_route<'a>(&'a self, api_id: &'a str, live: &'a LiveRoute) -> Call<'a>;
    /// After the API and all its routes changed: a REST API deploys its stage (an HTTP API's
    /// stage deploys itself).
    fn finish<'a>(&'a self, spec: &'a ApiSpec) -> Call<'a> {
        let _ = spec;
        Box::pin(async { Ok(()) })
    }
    /// TagResource: adds or overwrites these tags.
    fn tag<'a>(&'a self, arn: &'a str, tags: HashMap<String, String>) -> Call<'a>;
    /// UntagResource: removes these tag keys.
    fn untag<'a>(&'a self, arn: &'a str, keys: Vec<String>) -> Call<'a>;
}

/// A route to create or change, as the plan gives it.
struct RouteChange<'a> {
    change: &'a Change,
    desired: &'a RouteDesired,
    /// The live route and its API's ID; `None` for a new route.
    live: Option<(&'a str, &'a LiveRoute)>,
}

/// The one dispatch on the API's type.
fn flavour<'c>(ctx: &'c Context<'c>, api_type: ApiType) -> Box<dyn Flavour + 'c> {
    match api_type {
        ApiType::Http => Box::new(http::Http { ctx }),
        ApiType::Rest => Box::new(rest::Rest { ctx }),
    }
}

fn type_of(live: &LiveApi) -> ApiType {
    if live.is_rest() {
        ApiType::Rest
    } else {
        ApiType::Http
    }
}

pub async fn apply_api(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    let desired = match &change.desired {
        Some(Desired::Api(d)) => Some(d),
        _ => None,
    };
    let (live, revoke) = match &change.live {
        Some(Live::Api { api, revoke }) => (Some(api), revoke.as_slice()),
        _ => (None, &[][..]),
    };
    match (change.action, desired, live) {
        (Action::Create, Some(d), _) => flavour(ctx, d.spec.api_type).create(d).await,
        (Action::Update, Some(d), Some(l)) => {
            flavour(ctx, type_of(l)).update(change, d, l).await?;
            revoke_aliases(ctx, &d.revoke_aliases).await
        }
        // The type may change: the old API goes the way of its own type.
        (Action::Replace, Some(d), Some(l)) => {
            flavour(ctx, type_of(l)).delete(&l.id).await?;
            revoke_routes(ctx, revoke).await?;
            flavour(ctx, d.spec.api_type).create(d).await
        }
        (Action::Delete, _, Some(l)) => {
            flavour(ctx, type_of(l)).delete(&l.id).await?;
            revoke_routes(ctx, revoke).await
        }
        _ => Ok(()),
    }
}

/// Removes the API's invoke permission from aliases (`FUNCTION:ALIAS`, which RemovePermission
/// takes as the function's name) no route or stage reaches any more.
async fn revoke_aliases(ctx: &Context<'_>, aliases: &[String]) -> Result<(), AwsError> {
    let statement = crate::marks::ROUTES_STATEMENT_ID;
    for alias in aliases {
        permissions::revoke(ctx, alias, statement).await?;
    }
    Ok(())
}

/// Removes the API's invoke permission from functions (ARNs) its routes invoked.
async fn revoke_routes(ctx: &Context<'_>, functions: &[String]) -> Result<(), AwsError> {
    let statement = [crate::marks::ROUTES_STATEMENT_ID.to_string()];
    for function in functions {
        permissions::revoke_all(ctx, Some(function), &statement).await?;
    }
    Ok(())
}

pub async fn apply_route(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    let desired = match &change.desired {
        Some(Desired::Route(d)) => Some(d),
        _ => None,
    };
    let (rest, live, revoke) = match &change.live {
        Some(Live::Route {
            api_id,
            rest,
            route,
            revoke,
        }) => (*rest, Some((api_id.as_str(), route)), revoke.as_slice()),
        _ => (false, None, &[][..]),
    };
    if ctx.whole_api.carries(&change.address) {
        // Written with the API's other routes (`whole.rs`).
        whole::write(ctx).await?;
    } else {
        let rest = desired.map_or(rest, |d| d.rest);
        let flavour = flavour(ctx, if rest { ApiType::Rest } else { ApiType::Http });
        write_route(flavour.as_ref(), change, desired, live).await?;
    }
    // What the route's function no longer needs, once nothing reaches it through the route.
    let old_function = live.and_then(|(_, route)| route.function_arn.as_deref());
    permissions::revoke_all(ctx, old_function, revoke).await
}

/// The route's own requests: its delete, or its put (a new route, or the live one changed).
async fn write_route(
    flavour: &dyn Flavour,
    change: &Change,
    desired: Option<&RouteDesired>,
    live: Option<(&str, &LiveRoute)>,
) -> Result<(), AwsError> {
    let put = match (change.action, live) {
        (Action::Delete, Some((api_id, route))) => {
            return flavour.delete_route(api_id, route).await;
        }
        (Action::Create, _) => None,
        (Action::Update, Some(live)) => Some(live),
        _ => return Ok(()),
    };
    let Some(desired) = desired else {
        return Ok(());
    };
    flavour
        .put_route(RouteChange {
            change,
            desired,
            live: put,
        })
        .await
}

/// The deployment of a REST API (HTTP API stages deploy themselves).
pub async fn apply_deployment(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    match &change.desired {
        Some(Desired::Deployment(spec)) => flavour(ctx, spec.api_type).finish(spec).await,
        _ => Ok(()),
    }
}

/// After an apply that left every route with its invoke permission, records that on the API
/// (see `marks::permissions_record`), so that plans need not read every function's policy.
/// Best effort: without the record, the next plan reads the policies.
pub async fn record_permissions(ctx: &Context<'_>, desired: &ApiDesired) {
    let Some(id) = ctx.resolve(&API_ID) else {
        return;
    };
    let flavour = flavour(ctx, desired.spec.api_type);
    let arn = flavour.arn(&id);
    let tags = HashMap::from([
        (
            crate::marks::PERMISSIONS_TAG.to_string(),
            desired.permissions_record.clone(),
        ),
        (
            crate::marks::ALIAS_PERMISSIONS_TAG.to_string(),
            desired.alias_permissions.clone(),
        ),
    ]);
    let _ = flavour.tag(&arn, tags).await;
}

/// Makes the API's own tags those of the stack file: removes the keys it no longer gives,
/// then sets the others (stackctl's tags are not among `live`'s).
async fn sync_tags(
    flavour: &dyn Flavour,
    api_id: &str,
    live: &BTreeMap<String, String>,
    wanted: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let arn = flavour.arn(api_id);
    let removed = removed_tags(live, wanted);
    if !removed.is_empty() {
        flavour.untag(&arn, removed).await?;
    }
    if !wanted.is_empty() {
        let tags = wanted.clone().into_iter().collect();
        flavour.tag(&arn, tags).await?;
    }
    Ok(())
}

/// Makes a v2 API's own tags those of the stack file (stackctl's are not among `live`'s).
pub(crate) async fn v2_sync_tags(
    ctx: &Context<'_>,
    api_id: &str,
    live: &BTreeMap<String, String>,
    wanted: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    sync_tags(&http::Http { ctx }, api_id, live, wanted).await
}

/// TagResource on a v2 API: adds or overwrites these tags.
pub(crate) async fn v2_tag(
    ctx: &Context<'_>,
    api_id: &str,
    tags: HashMap<String, String>,
) -> Result<(), AwsError> {
    let http = http::Http { ctx };
    http.tag(&http.arn(api_id), tags).await
}

/// Sends the flavour's CreateApi or CreateRestApi `operation` once (see [`once::create`]),
/// with the API's tags and the stack's: after a lost answer, the API is looked for by its
/// stack tag and name. The new API's ID is known to the changes from then on.
async fn create_once<E, Sent>(
    ctx: &Context<'_>,
    d: &ApiDesired,
    operation: &str,
    create: impl Fn(HashMap<String, String>) -> Sent,
) -> Result<TaggedApi, AwsError>
where
    Sent: Future<Output = Result<TaggedApi, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let tags = create_tags(d);
    let (stack, api_type) = (&d.stack, d.spec.api_type);
    let made = || crate::live::tagged_api_named(ctx.clients, stack, &d.name, api_type);
    let api = once::create(operation, || create(tags.clone()), made).await?;
    ctx.set_output(API_ID.to_string(), api.id.clone());
    Ok(api)
}

/// The tags a new API is created with: the stack file's and the stack tag.
fn create_tags(d: &ApiDesired) -> HashMap<String, String> {
    let mut tags: HashMap<String, String> = d.spec.tags.clone().into_iter().collect();
    tags.insert(crate::marks::STACK_TAG.to_string(), d.stack.clone());
    tags
}

/// The API's ID, among the values changes learn (known before apply for an API that exists).
const API_ID: Reference = Reference {
    target: RefTarget::Api,
    attr: RefAttr::Id,
};

/// The invoke URL of the API's stage, among the values changes learn.
fn api_url() -> Reference {
    Reference {
        target: RefTarget::Api,
        attr: RefAttr::Url,
    }
}

/// A value another change provides: the API's ID, a function's ARN.
fn known(ctx: &Context<'_>, reference: &Reference) -> Result<String, AwsError> {
    ctx.resolve(reference).ok_or_else(|| {
        route_error(format!(
            "{reference} is not known (did the change that provides it fail?)"
        ))
    })
}

/// The ARN of a function of the stack, by logical name.
fn function_arn(ctx: &Context<'_>, logical: &str) -> Result<String, AwsError> {
    known(
        ctx,
        &Reference {
            target: RefTarget::Function(logical.to_string()),
            attr: RefAttr::Arn,
        },
    )
}

/// The ARN a route's integration invokes (the function's, qualified by the route's alias) and
/// the ARNs that get the API's invoke permission: each alias the route can reach, else the
/// function (Lambda's AddPermission `Qualifier`: a permission on an alias covers that alias).
fn route_arns(ctx: &Context<'_>, d: &RouteDesired) -> Result<(String, Vec<String>), AwsError> {
    let base = function_arn(ctx, &d.logical_function)?;
    let Some(alias) = &d.alias else {
        return Ok((base.clone(), vec![base]));
    };
    let grants = d.aliases.iter().map(|a| format!("{base}:{a}")).collect();
    Ok((format!("{base}:{alias}"), grants))
}

/// The ID of an authorizer of the API, learned when it was created or updated.
fn authorizer_id(ctx: &Context<'_>, name: &str) -> Result<String, AwsError> {
    ctx.output(&authorizer_output(name))
        .ok_or_else(|| route_error(format!("the ID of authorizer {name} is not known")))
}

fn route_error(message: String) -> AwsError {
    AwsError::Call {
        operation: "route".to_string(),
        message,
        kind: ErrorKind::Other,
        help: None,
    }
}

/// A PatchOperation of an UpdateAuthorizer or UpdateStage request.
fn patch(op: Op, path: &str, value: Option<String>) -> PatchOperation {
    PatchOperation::builder()
        .op(op)
        .path(path)
        .set_value(value)
        .build()
}

/// A method of a resource of a REST API.
struct Method<'a> {
    pub api_id: &'a str,
    pub resource_id: &'a str,
    pub method: &'a str,
}
