//! The API and its routes, one concept with a flavour per kind of API: HTTP APIs (API
//! Gateway v2, `http.rs` and `http_routes.rs`) and REST APIs (v1, `rest.rs`, with its resource tree in `tree.rs`
//! and its deployment in `deploy.rs`). What both do the same way is written once here:
//! the one dispatch on the API's type, tag syncing, the values other changes provide, and
//! (in `authorizers.rs` and `permissions.rs`) authorizers and Lambda invoke permissions.

mod authorizers;
mod deploy;
mod http;
mod http_routes;
mod permissions;
mod rest;
mod tree;

use std::collections::{BTreeMap, HashMap};

use futures::future::LocalBoxFuture;

use super::{Context, removed_tags};
use crate::aws::{AwsError, ErrorKind};
use crate::live::{LiveApi, LiveRoute, authorizer_output};
use crate::plan::{Action, ApiDesired, Change, Desired, Live, RouteDesired};
use crate::stack::{ApiSpec, ApiType, RefAttr, RefTarget, Reference};

pub(crate) use tree::ResourceTrees;

/// A request (or several) to API Gateway, as a flavour's method returns it.
type Call<'a> = LocalBoxFuture<'a, Result<(), AwsError>>;

/// What differs between the kinds of API: the requests that carry out each change.
trait Flavour: Sync {
    /// The API's ARN, which its tags are set on.
    fn arn(&self, region: &str, api_id: &str) -> String;
    /// Creates the API with its stack tag, its authorizers and (HTTP) its stage.
    fn create<'a>(&'a self, ctx: &'a Context<'_>, d: &'a ApiDesired) -> Call<'a>;
    /// Changes what differs in `change` on the live API.
    fn update<'a>(
        &'a self,
        ctx: &'a Context<'_>,
        change: &'a Change,
        d: &'a ApiDesired,
        live: &'a LiveApi,
    ) -> Call<'a>;
    fn delete<'a>(&'a self, ctx: &'a Context<'_>, api_id: &'a str) -> Call<'a>;
    /// Creates the route (`live` is `None`) or changes it (`live`: its API's ID and the
    /// route as read), its function let invoked first.
    fn put_route<'a>(
        &'a self,
        ctx: &'a Context<'_>,
        change: &'a Change,
        d: &'a RouteDesired,
        live: Option<(&'a str, &'a LiveRoute)>,
    ) -> Call<'a>;
    /// Deletes the route and its function's invoke permission.
    fn delete_route<'a>(
        &'a self,
        ctx: &'a Context<'_>,
        api_id: &'a str,
        live: &'a LiveRoute,
    ) -> Call<'a>;
    /// Creates and updates the declared authorizers (and learns their IDs); `live`: the API
    /// as read, `None` for a new API.
    fn sync_authorizers<'a>(
        &'a self,
        ctx: &'a Context<'_>,
        api_id: &'a str,
        spec: &'a ApiSpec,
        live: Option<&'a LiveApi>,
    ) -> Call<'a>;
    /// After the API and all its routes changed: a REST API deploys its stage (an HTTP API's
    /// stage deploys itself).
    fn finish<'a>(&'a self, ctx: &'a Context<'_>, spec: &'a ApiSpec) -> Call<'a> {
        let _ = (ctx, spec);
        Box::pin(async { Ok(()) })
    }
    /// TagResource: adds or overwrites these tags.
    fn tag<'a>(
        &'a self,
        ctx: &'a Context<'_>,
        arn: &'a str,
        tags: HashMap<String, String>,
    ) -> Call<'a>;
    /// UntagResource: removes these tag keys.
    fn untag<'a>(&'a self, ctx: &'a Context<'_>, arn: &'a str, keys: Vec<String>) -> Call<'a>;
}

/// The one dispatch on the API's type.
fn flavour(api_type: ApiType) -> &'static dyn Flavour {
    match api_type {
        ApiType::Http => &http::Http,
        ApiType::Rest => &rest::Rest,
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
    let live = match &change.live {
        Some(Live::Api(a)) => Some(a),
        _ => None,
    };
    match (change.action, desired, live) {
        (Action::Create, Some(d), _) => flavour(d.spec.api_type).create(ctx, d).await,
        (Action::Update, Some(d), Some(l)) => flavour(type_of(l)).update(ctx, change, d, l).await,
        // The type may change: the old API goes the way of its own type.
        (Action::Replace, Some(d), Some(l)) => {
            flavour(type_of(l)).delete(ctx, &l.id).await?;
            flavour(d.spec.api_type).create(ctx, d).await
        }
        (Action::Delete, _, Some(l)) => flavour(type_of(l)).delete(ctx, &l.id).await,
        _ => Ok(()),
    }
}

pub async fn apply_route(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    let desired = match &change.desired {
        Some(Desired::Route(d)) => Some(d),
        _ => None,
    };
    let (rest, live) = match &change.live {
        Some(Live::Route {
            api_id,
            rest,
            route,
        }) => (*rest, Some((api_id.as_str(), route))),
        _ => (false, None),
    };
    let rest = desired.map_or(rest, |d| d.rest);
    let flavour = flavour(if rest { ApiType::Rest } else { ApiType::Http });
    match (change.action, desired, live) {
        (Action::Create, Some(d), _) => flavour.put_route(ctx, change, d, None).await,
        (Action::Update, Some(d), Some(l)) => flavour.put_route(ctx, change, d, Some(l)).await,
        (Action::Delete, _, Some((api_id, route))) => {
            flavour.delete_route(ctx, api_id, route).await
        }
        _ => Ok(()),
    }
}

/// The deployment of a REST API (HTTP API stages deploy themselves).
pub async fn apply_deployment(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    match &change.desired {
        Some(Desired::Deployment(spec)) => flavour(spec.api_type).finish(ctx, spec).await,
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
    let flavour = flavour(desired.spec.api_type);
    let arn = flavour.arn(ctx.region(), &id);
    let tags = HashMap::from([(
        crate::marks::PERMISSIONS_TAG.to_string(),
        desired.permissions_record.clone(),
    )]);
    let _ = flavour.tag(ctx, &arn, tags).await;
}

/// Makes the API's own tags those of the stack file: removes the keys it no longer gives,
/// then sets the others (stackctl's tags are not among `live`'s).
async fn sync_tags(
    flavour: &dyn Flavour,
    ctx: &Context<'_>,
    api_id: &str,
    live: &BTreeMap<String, String>,
    wanted: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let arn = flavour.arn(ctx.region(), api_id);
    let removed = removed_tags(live, wanted);
    if !removed.is_empty() {
        flavour.untag(ctx, &arn, removed).await?;
    }
    if !wanted.is_empty() {
        flavour
            .tag(ctx, &arn, wanted.clone().into_iter().collect())
            .await?;
    }
    Ok(())
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
