//! Declared authorizers, for both kinds of API: which to keep, update or create, the invoke
//! permission of a Lambda authorizer, and the ID routes refer to. Only the requests differ
//! between the kinds ([`AuthorizerRequests`]).

use super::permissions::permit_authorizer;
use super::{Context, function_arn};
use crate::aws::AwsError;
use crate::live::{LiveApi, LiveRoute, authorizer_output};
use crate::plan::Change;
use crate::stack::{ApiSpec, ApiType, AuthorizerSpec};

/// A declared authorizer, as the requests that make it need it.
pub(super) struct Wanted<'a> {
    pub api_id: &'a str,
    pub name: &'a str,
    pub spec: &'a AuthorizerSpec,
    /// A Lambda authorizer's invocation URI ([`crate::arn::invocation_uri`] of its function).
    pub uri: Option<String>,
    /// The live authorizer of that name, if it differs.
    pub before: Option<&'a AuthorizerSpec>,
    /// The live routes (REST: methods) that use the live authorizer of that name.
    pub methods: Vec<&'a LiveRoute>,
}

/// The requests that create and change an authorizer on one kind of API (each flavour's).
pub(super) trait AuthorizerRequests {
    /// CreateAuthorizer; the new authorizer's ID.
    async fn create(&self, wanted: &Wanted<'_>) -> Result<String, AwsError>;
    /// UpdateAuthorizer of the live authorizer `id` (`wanted.before`), or where that cannot
    /// be done, the authorizer made again; the authorizer's ID afterwards.
    async fn update(&self, wanted: &Wanted<'_>, id: &str) -> Result<String, AwsError>;
}

/// Creates the declared authorizers the API lacks and updates those that differ; a Lambda
/// authorizer's function is let invoked by the API's authorizers. Each one's ID becomes known
/// to the routes (`api.authorizers.NAME.id`).
pub(super) async fn sync_declared(
    requests: &impl AuthorizerRequests,
    ctx: &Context<'_>,
    api_id: &str,
    spec: &ApiSpec,
    live: Option<&LiveApi>,
) -> Result<(), AwsError> {
    for (name, declared, function) in served(ctx, spec)? {
        let declared = &declared;
        let before = live.and_then(|l| l.authorizers.get(name));
        let wanted = Wanted {
            api_id,
            name,
            spec: declared,
            uri: (function.as_deref()).map(|arn| crate::arn::invocation_uri(ctx.region(), arn)),
            before: before.map(|(_, spec)| spec),
            methods: live.map_or_else(Vec::new, |l| users(l, name)),
        };
        let id = match before {
            Some((id, spec)) if same(spec, declared, function.as_deref()) => id.clone(),
            Some((id, _)) => requests.update(&wanted, id).await?,
            None => requests.create(&wanted).await?,
        };
        if let Some(arn) = &function {
            permit_authorizer(ctx, arn, api_id, name).await?;
        }
        ctx.set_output(authorizer_output(name), id);
    }
    Ok(())
}

/// The live routes that use the authorizer `name`.
fn users<'a>(live: &'a LiveApi, name: &str) -> Vec<&'a LiveRoute> {
    let routes = live.routes.iter();
    routes
        .filter(|r| r.authorizer.as_deref() == Some(name))
        .collect()
}

/// After a whole-API write: whether the API has every declared authorizer as declared, as
/// read back; their IDs become known to the routes. `false`: [`sync_declared`] repairs them.
pub(super) fn learn(ctx: &Context<'_>, spec: &ApiSpec, live: &LiveApi) -> Result<bool, AwsError> {
    for (name, declared, function) in served(ctx, spec)? {
        let declared = &declared;
        match live.authorizers.get(name) {
            Some((id, before)) if same(before, declared, function.as_deref()) => {
                ctx.set_output(authorizer_output(name), id.clone());
            }
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// A declared authorizer by name, with the values of the user pool it names, and its
/// function's ARN (Lambda authorizers).
type Served<'s> = (&'s String, AuthorizerSpec, Option<String>);

/// The declared authorizers this kind of API has, each with its function's ARN (Lambda
/// authorizers).
fn served<'s>(ctx: &Context<'_>, spec: &'s ApiSpec) -> Result<Vec<Served<'s>>, AwsError> {
    let served = spec.authorizers.iter();
    let served = served.filter(|(_, s)| serves(spec.api_type, s));
    served
        .map(|(name, declared)| {
            let declared = resolved(ctx, declared)?;
            let function = match &declared {
                AuthorizerSpec::Lambda { function } => Some(function_arn(ctx, function)?),
                _ => None,
            };
            Ok((name, declared, function))
        })
        .collect()
}

/// The authorizer with the values of the user pool it names (created before the API).
///
/// # Errors
/// When a pool's value is not known: the pool's change failed or was skipped.
pub(super) fn resolved(
    ctx: &Context<'_>,
    spec: &AuthorizerSpec,
) -> Result<AuthorizerSpec, AwsError> {
    let spec = crate::stack::resolve_authorizer(spec, |r| ctx.resolve(r));
    match crate::stack::authorizer_references(&spec).first() {
        None => Ok(spec),
        Some(missing) => Err(crate::aws::other(
            "apigateway:CreateAuthorizer",
            format!(
                "the authorizer needs {missing}, which is not known: the user pool was not applied"
            ),
        )),
    }
}

/// Whether this kind of API has authorizers of this type (HTTP: JWT and Lambda; REST: Cognito
/// and Lambda); others are left alone (the stack file's checks refuse them).
fn serves(api_type: ApiType, spec: &AuthorizerSpec) -> bool {
    match spec {
        AuthorizerSpec::Jwt { .. } => api_type == ApiType::Http,
        AuthorizerSpec::Cognito { .. } => api_type == ApiType::Rest,
        AuthorizerSpec::Lambda { .. } => true,
    }
}

/// Whether any authorizer of the API changes (`authorizer.NAME` attributes).
pub(super) fn authorizers_changed(change: &Change) -> bool {
    let mut attributes = change.attributes.iter();
    attributes.any(|c| c.name.starts_with("authorizer."))
}

/// Whether the live authorizer is the declared one. Live reads a Lambda authorizer's function
/// by its physical name, the last part of `function_arn`.
fn same(before: &AuthorizerSpec, declared: &AuthorizerSpec, function_arn: Option<&str>) -> bool {
    match (before, function_arn) {
        (AuthorizerSpec::Lambda { function }, Some(arn)) => {
            arn.rsplit(':').next() == Some(function.as_str())
        }
        (_, Some(_)) => false,
        (_, None) => before == declared,
    }
}
