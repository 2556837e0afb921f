//! Live WebSocket APIs (API Gateway v2, protocol WEBSOCKET): tagged APIs with their stage,
//! `$connect` authorizer and routes, and the invoke permissions of the routes' functions.
//! Listing, paging, stages and routes are read as for HTTP APIs (`api/v2.rs`).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_apigatewayv2::types::{Api, Authorizer, ProtocolType, Route};
use futures::future::try_join_all;

use super::api::v2::{self, Integrations, list_authorizers, read_stages, tagged_of};
use super::{
    LiveFunction, LiveWebsocket, LiveWebsocketAuthorizer, LiveWebsocketRoute, Refresh, Scope,
    lambda, user_tags,
};
use crate::aws::{AwsError, CallResult, Clients, describe};
use crate::marks::{
    PERMISSIONS_TAG, WEBSOCKET_AUTHORIZER_STATEMENT_ID, WEBSOCKET_STATEMENT_ELSEWHERE,
    WEBSOCKET_STATEMENT_ID, recorded_websocket_permissions, websocket_permissions_record,
};

/// The WebSocket APIs tagged for the stack, the one with the most routes first, then the oldest.
pub(super) async fn read(clients: &Clients, stack: &str) -> Result<Vec<LiveWebsocket>, AwsError> {
    let mut found = tagged_of(clients, stack, &ProtocolType::Websocket).await?;
    found.sort_by_key(|a| a.created_date().map(|d| (d.secs(), d.subsec_nanos())));
    let mut apis = try_join_all(found.iter().map(|api| read_api(clients, api))).await?;
    apis.sort_by_key(|api| std::cmp::Reverse(api.routes.len()));
    Ok(apis)
}

async fn read_api(clients: &Clients, api: &Api) -> Result<LiveWebsocket, AwsError> {
    let id = api.api_id().unwrap_or_default().to_string();
    let ((stages, throttle, access_log), (routes, unused_integrations)) =
        tokio::try_join!(read_stages(clients, &id), read_routes(clients, &id))?;
    let used = routes.iter().find_map(|r| r.authorizer_id.clone());
    let authorizer = read_authorizer(clients, &id, used.as_deref()).await?;
    let tags = api.tags().cloned().unwrap_or_default();
    Ok(LiveWebsocket {
        name: api.name().unwrap_or_default().to_string(),
        route_selection: api
            .route_selection_expression()
            .unwrap_or_default()
            .to_string(),
        tags: user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        permissions_record: tags.get(PERMISSIONS_TAG).cloned(),
        stages,
        throttle,
        access_log,
        authorizer,
        routes,
        unused_integrations,
        id,
    })
}

/// Routes with the function each one's integration invokes, and the IDs of the integrations no
/// route targets.
async fn read_routes(
    clients: &Clients,
    api_id: &str,
) -> Result<(Vec<LiveWebsocketRoute>, Vec<String>), AwsError> {
    let (routes, integrations) = v2::read_routes(clients, api_id).await?;
    let routes: Vec<LiveWebsocketRoute> = routes.iter().map(|r| route(r, &integrations)).collect();
    let targeted: BTreeSet<&str> = routes
        .iter()
        .filter_map(|r| r.integration_id.as_deref())
        .collect();
    let unused = integrations
        .into_keys()
        .filter(|id| !targeted.contains(id.as_str()))
        .collect();
    Ok((routes, unused))
}

/// A route as the plan knows it. Whether it is two-way is read from its route response
/// selection expression, which GetRoutes returns, rather than from GetRouteResponses (a call
/// per route).
fn route(r: &Route, integrations: &Integrations) -> LiveWebsocketRoute {
    let (integration_id, function_arn) = v2::target(r, integrations);
    let authorized = r
        .authorization_type()
        .is_some_and(|t| t.as_str() == "CUSTOM");
    LiveWebsocketRoute {
        id: r.route_id().unwrap_or_default().to_string(),
        key: r.route_key().unwrap_or_default().to_string(),
        integration_id,
        function_arn,
        respond: r
            .route_response_selection_expression()
            .is_some_and(|e| !e.is_empty()),
        authorizer_id: r.authorizer_id().filter(|_| authorized).map(str::to_string),
    }
}

/// The API's Lambda authorizer stackctl made (the first REQUEST authorizer). `used`: the ID
/// the `$connect` route refers to, read by ID where the emulator cannot list authorizers
/// (README, "Where moto 5.2.5 differs from AWS"): then one no route uses is not seen.
async fn read_authorizer(
    clients: &Clients,
    api_id: &str,
    used: Option<&str>,
) -> Result<Option<LiveWebsocketAuthorizer>, AwsError> {
    match list_authorizers(clients, api_id).await {
        Ok(out) => Ok(out.items().iter().find_map(authorizer)),
        Err(e)
            if e.raw_response()
                .is_some_and(|r| r.status().is_server_error()) =>
        {
            let Some(id) = used else {
                return Ok(None);
            };
            let request = clients.apigatewayv2.get_authorizer();
            let a = request.api_id(api_id).authorizer_id(id).send();
            let a = a.await.op("apigateway:GetAuthorizer")?;
            Ok(Some(LiveWebsocketAuthorizer {
                id: id.to_string(),
                function: a
                    .authorizer_uri()
                    .map(crate::arn::function_name_of)
                    .unwrap_or_default(),
                identity_source: a.identity_source().to_vec(),
            }))
        }
        Err(e) => Err(describe("apigateway:GetAuthorizers", e)),
    }
}

fn authorizer(a: &Authorizer) -> Option<LiveWebsocketAuthorizer> {
    Some(LiveWebsocketAuthorizer {
        id: a.authorizer_id()?.to_string(),
        function: crate::arn::function_name_of(a.authorizer_uri()?),
        identity_source: a.identity_source().to_vec(),
    })
}

/// Statement IDs of the policies of the functions live WebSocket routes and the `$connect`
/// authorizer invoke, or the API's record of them when it describes the live routes and the
/// read trusts it (see `read::read_invoke_permissions`, the same for the HTTP or REST API).
pub(super) async fn read_permissions(
    clients: &Clients,
    apis: &[LiveWebsocket],
    functions: &BTreeMap<String, LiveFunction>,
    refresh: Refresh,
    scope: Option<&Scope>,
) -> Result<BTreeMap<String, BTreeSet<String>>, AwsError> {
    let in_scope =
        |r: &&LiveWebsocketRoute| scope.is_none_or(|s| s.websocket_routes.contains(&r.key));
    let live_routes = apis.iter().flat_map(|api| api.routes.iter());
    let functions_routed = live_routes
        .filter(in_scope)
        .filter_map(|r| r.function_name());
    let mut routed: BTreeSet<String> = functions_routed.map(str::to_string).collect();
    let authorizer = apis.first().and_then(|api| api.authorizer.as_ref());
    let authorizer = authorizer
        .map(|a| a.function.clone())
        .filter(|f| !f.is_empty());
    routed.extend(authorizer.clone());
    let routes = |api: &LiveWebsocket| {
        let routes = api.routes.iter();
        let routes = routes.filter_map(|r| Some((r.key.clone(), r.function_name()?.to_string())));
        routes.collect::<Vec<_>>()
    };
    let recorded = match apis {
        [api] if refresh == Refresh::Trusting => {
            let record = websocket_permissions_record(routes(api));
            let matches = api.permissions_record.as_deref() == Some(record.as_str());
            let recorded = || recorded_websocket_permissions(routes(api));
            let statement = WEBSOCKET_AUTHORIZER_STATEMENT_ID.to_string();
            let statements = authorizer.iter().map(|f| (statement.clone(), f.clone()));
            super::read::vouched(matches, recorded, statements)
        }
        _ => None,
    };
    let asked = super::read::asked(&routed, functions, scope);
    let statement = lambda::RoutesStatement {
        id: WEBSOCKET_STATEMENT_ID,
        elsewhere: WEBSOCKET_STATEMENT_ELSEWHERE,
        api_id: apis.first().map(|api| api.id.as_str()),
    };
    lambda::read_statements(clients, asked, &statement, recorded.as_ref()).await
}

/// The ID of the WebSocket API of this name tagged for the stack, if there is one: what a
/// create whose answer was lost made.
pub async fn tagged_websocket_named(
    clients: &Clients,
    stack: &str,
    name: &str,
) -> Result<Option<String>, AwsError> {
    let found = tagged_of(clients, stack, &ProtocolType::Websocket).await?;
    Ok(found
        .into_iter()
        .find(|api| api.name() == Some(name))
        .and_then(|api| api.api_id().map(str::to_string)))
}
