//! The WebSocket API (API Gateway v2, protocol WEBSOCKET): the API, its auto-deployed stage
//! and its `$connect` authorizer here (`authorizer.rs`), its routes in `routes.rs`. Lambda
//! invoke permissions and tag requests are those of the other APIs (`apply/api`), with a
//! statement of the WebSocket API's own ([`crate::marks::WEBSOCKET_STATEMENT_ID`]).

mod authorizer;
mod routes;

use std::collections::HashMap;

use aws_sdk_apigatewayv2::types::ProtocolType;

use super::api::v2::{self, StageEdit};
use super::{Context, once};
use crate::aws::{AwsError, CallResult, ErrorKind};
use crate::live::LiveWebsocket;
use crate::marks::{PERMISSIONS_TAG, STACK_TAG, WEBSOCKET_STATEMENT_ID};
use crate::plan::{Action, Change, Desired, Live, WebsocketAttr, WebsocketDesired};
use crate::stack::{RefAttr, RefTarget, Reference, StageSpec, WebsocketSpec};

pub(crate) use routes::{Shared, apply_route};

pub async fn apply_websocket(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    let desired = match &change.desired {
        Some(Desired::Websocket(d)) => Some(d),
        _ => None,
    };
    let (live, revoke) = match &change.live {
        Some(Live::Websocket { api, revoke }) => (Some(api), revoke.as_slice()),
        _ => (None, &[][..]),
    };
    match (change.action, desired, live) {
        (Action::Create, Some(d), _) => create(ctx, d).await,
        (Action::Update, Some(d), Some(l)) => update(ctx, change, d, l).await,
        (Action::Delete, _, Some(l)) => delete(ctx, l, revoke).await,
        _ => Ok(()),
    }
}

async fn create(ctx: &Context<'_>, d: &WebsocketDesired) -> Result<(), AwsError> {
    let mut tags: HashMap<String, String> = d.spec.tags.clone().into_iter().collect();
    tags.insert(STACK_TAG.to_string(), d.stack.clone());
    let create = || async {
        let api = ctx
            .clients
            .apigatewayv2
            .create_api()
            .name(&d.name)
            .protocol_type(ProtocolType::Websocket)
            .route_selection_expression(&d.spec.route_selection)
            .set_tags(Some(tags.clone()))
            .customize()
            .config_override(
                aws_sdk_apigatewayv2::config::Builder::default().retry_config(once::one_attempt()),
            )
            .send()
            .await?;
        Ok(api.api_id().unwrap_or_default().to_string())
    };
    let made = || crate::live::tagged_websocket_named(ctx.clients, &d.stack, &d.name);
    let id = once::create("apigateway:CreateApi", create, made).await?;
    // Known before the stage exists, so that the routes and roles can go on.
    set_outputs(ctx, &id, &d.spec).await?;
    authorizer::sync(ctx, &id, &d.spec, None).await?;
    v2::create_stage(ctx, &id, &stage(&d.spec)).await
}

async fn update(
    ctx: &Context<'_>,
    change: &Change,
    d: &WebsocketDesired,
    live: &LiveWebsocket,
) -> Result<(), AwsError> {
    let client = &ctx.clients.apigatewayv2;
    set_outputs(ctx, &live.id, &d.spec).await?;
    if change.changed(WebsocketAttr::RouteSelection) {
        let request = client.update_api().api_id(&live.id);
        let request = request.route_selection_expression(&d.spec.route_selection);
        request.send().await.op("apigateway:UpdateApi")?;
    }
    if change.changed(WebsocketAttr::Authorizer)
        || change.changed(WebsocketAttr::AuthorizerPermission)
    {
        authorizer::sync(ctx, &live.id, &d.spec, Some(live)).await?;
    }
    if change.changed(WebsocketAttr::Stage) {
        v2::replace_stage(ctx, &live.id, &live.stages, &stage(&d.spec)).await?;
    } else {
        let edit = StageEdit {
            throttle: change.changed(WebsocketAttr::Throttle),
            access_log: change.changed(WebsocketAttr::AccessLog),
        };
        v2::update_stage(ctx, &live.id, &stage(&d.spec), edit).await?;
    }
    if change.changed(WebsocketAttr::Tags) {
        super::api::v2_sync_tags(ctx, &live.id, &live.tags, &d.spec.tags).await?;
    }
    if change.changed(WebsocketAttr::UnusedIntegrations) {
        for id in &live.unused_integrations {
            v2::delete_integration(ctx, &live.id, id).await?;
        }
    }
    Ok(())
}

/// Deletes the API (its routes, integrations, stage and authorizer go with it), then the
/// invoke permissions it leaves on functions: the routes' (`revoke`) and the authorizer's.
async fn delete(
    ctx: &Context<'_>,
    live: &LiveWebsocket,
    revoke: &[String],
) -> Result<(), AwsError> {
    let request = ctx.clients.apigatewayv2.delete_api().api_id(&live.id);
    request.send().await.absent_ok("apigateway:DeleteApi")?;
    for function in revoke {
        crate::apply::api::revoke(ctx, function, WEBSOCKET_STATEMENT_ID).await?;
    }
    if let Some(auth) = &live.authorizer {
        authorizer::revoke(ctx, &auth.function).await?;
    }
    Ok(())
}

/// The values other changes learn: the API's ID, its URLs and its execute-api ARN (the account
/// from a function's ARN when one is known, else from STS).
async fn set_outputs(ctx: &Context<'_>, id: &str, spec: &WebsocketSpec) -> Result<(), AwsError> {
    let region = ctx.region().to_string();
    ctx.set_output(output(RefAttr::Id), id);
    let url = crate::arn::websocket_url(&region, id, &spec.stage);
    ctx.set_output(output(RefAttr::Url), url);
    let callback = crate::arn::websocket_callback_url(&region, id, &spec.stage);
    ctx.set_output(output(RefAttr::CallbackUrl), callback);
    if ctx.output(&output(RefAttr::Arn)).is_none() {
        let account = match ctx.known_account() {
            Some(account) => account,
            None => ctx.clients.account().await?,
        };
        let arn = crate::arn::execute_api(&region, &account, id);
        ctx.set_output(output(RefAttr::Arn), arn);
    }
    Ok(())
}

/// The output key of one of the WebSocket API's values (`websocket.url`).
fn output(attr: RefAttr) -> String {
    Reference {
        target: RefTarget::Websocket,
        attr,
    }
    .to_string()
}

/// The API's ID, as the changes learn it.
fn api_id(ctx: &Context<'_>) -> Result<String, AwsError> {
    ctx.output(&output(RefAttr::Id))
        .ok_or_else(|| AwsError::Call {
            operation: "websocket route".to_string(),
            message: "websocket.id is not known (did the change that provides it fail?)"
                .to_string(),
            kind: ErrorKind::Other,
            help: None,
        })
}

/// The API's stage as declared.
fn stage(spec: &WebsocketSpec) -> StageSpec {
    StageSpec::plain(&spec.stage, spec.throttle, spec.access_log.clone())
}

/// After an apply that left every WebSocket route with its invoke permission, records that on
/// the API (see `marks::websocket_permissions_record`), unless the `live` API holds that record
/// already. Best effort: without the record, the next plan reads the policies.
pub async fn record_permissions(
    ctx: &Context<'_>,
    desired: &WebsocketDesired,
    live: Option<&Live>,
) {
    let recorded = match live {
        Some(Live::Websocket { api, .. }) => api.permissions_record.as_deref(),
        _ => None,
    };
    if recorded == Some(desired.permissions_record.as_str()) {
        return;
    }
    let Ok(id) = api_id(ctx) else {
        return;
    };
    let tags = HashMap::from([(
        PERMISSIONS_TAG.to_string(),
        desired.permissions_record.clone(),
    )]);
    let _ = super::api::v2_tag(ctx, &id, tags).await;
}

/// A value another change provides is not known.
fn unknown(what: &str) -> AwsError {
    AwsError::Call {
        operation: "websocket".to_string(),
        message: format!("{what} is not known (did the change that provides it fail?)"),
        kind: ErrorKind::Other,
        help: None,
    }
}
