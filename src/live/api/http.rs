//! Live API Gateway HTTP APIs (v2): tagged APIs with their stages, routes and integrations.

use std::collections::BTreeMap;

use aws_sdk_apigatewayv2::types::{Api, JwtConfiguration, ProtocolType, Route};
use futures::future::try_join_all;

use super::v2::{self, Integrations, list_authorizers, read_stage_settings, stage_info, tagged_of};
use super::{Authorizers, api_base, lambda_authorizer, names_by_id};
use crate::aws::{AwsError, CallResult, Clients, describe};
use crate::live::{LiveApi, LiveRoute};
use crate::stack::{AuthorizerSpec, Cors};

/// `settings`: read the stages and every authorizer too; without, only the authorizers routes
/// use are read, and the API's stages, throttle and access log are left empty.
pub async fn read_apis(
    clients: &Clients,
    stack: &str,
    settings: bool,
) -> Result<Vec<LiveApi>, AwsError> {
    let mut found = tagged(clients, stack).await?;
    found.sort_by_key(|a| a.created_date().map(|d| (d.secs(), d.subsec_nanos())));
    try_join_all(found.iter().map(|api| read_api(clients, api, settings))).await
}

/// The API's stages, routes, integrations and authorizer list are read at once: none needs
/// another's answer. Only where the list fails (the emulator's 500, see
/// [`emulator_workaround_read_used_authorizers`]) are the authorizers the routes use read
/// after the routes, one by one.
async fn read_api(clients: &Clients, api: &Api, settings: bool) -> Result<LiveApi, AwsError> {
    let id = api.api_id().unwrap_or_default().to_string();
    let stages = async {
        if !settings {
            return Ok(Vec::new());
        }
        read_stage_settings(clients, &id).await
    };
    // Without settings, the authorizers are read only when a route uses one.
    let listed = async {
        if !settings {
            return Ok(None);
        }
        listed_authorizers(clients, &id).await.map(Some)
    };
    let (stage_settings, mut routes, listed) =
        tokio::try_join!(stages, read_routes(clients, &id), listed)?;
    let (stages, throttle, access_log) = stage_info(&stage_settings);
    let used: Vec<String> = routes.iter().filter_map(|r| r.authorizer.clone()).collect();
    let authorizers = match listed {
        Some(Some(listed)) => listed,
        Some(None) => emulator_workaround_read_used_authorizers(clients, &id, &used).await?,
        None if used.is_empty() => BTreeMap::new(),
        None => read_authorizers(clients, &id, &used).await?,
    };
    // Routes were read with authorizer IDs; the plan speaks of names.
    let names = names_by_id(&authorizers);
    for route in &mut routes {
        route.authorizer = route
            .authorizer
            .take()
            .and_then(|id| names.get(&id).cloned());
    }
    let cors = api.cors_configuration().map(|c| Cors {
        allow_origins: c.allow_origins().to_vec(),
        allow_methods: c.allow_methods().to_vec(),
        allow_headers: c.allow_headers().to_vec(),
        max_age: c.max_age(),
    });
    let endpoint = api.api_endpoint().unwrap_or_default().to_string();
    let protocol = api.protocol_type().map(|p| p.as_str().to_string());
    Ok(LiveApi {
        stages,
        stage_settings,
        cors,
        throttle,
        access_log,
        authorizers,
        routes,
        ..api_base(
            id,
            api.name(),
            endpoint,
            protocol.unwrap_or_default(),
            api.tags(),
        )
    })
}

/// The HTTP APIs tagged for the stack, in one paginated call.
pub(super) async fn tagged(clients: &Clients, stack: &str) -> Result<Vec<Api>, AwsError> {
    tagged_of(clients, stack, &ProtocolType::Http).await
}

/// JWT and Lambda authorizers by name. `used`: the IDs routes refer to, read one by one
/// where the emulator cannot list them (see [`emulator_workaround_read_used_authorizers`]).
pub(in crate::live) async fn read_authorizers(
    clients: &Clients,
    api_id: &str,
    used: &[String],
) -> Result<Authorizers, AwsError> {
    match listed_authorizers(clients, api_id).await? {
        Some(authorizers) => Ok(authorizers),
        None => emulator_workaround_read_used_authorizers(clients, api_id, used).await,
    }
}

/// Every JWT and Lambda authorizer by name (GetAuthorizers), or `None` where the list answers
/// a 5xx (the emulator always does: see [`emulator_workaround_read_used_authorizers`]).
async fn listed_authorizers(
    clients: &Clients,
    api_id: &str,
) -> Result<Option<Authorizers>, AwsError> {
    match list_authorizers(clients, api_id).await {
        Ok(out) => Ok(Some(
            out.items()
                .iter()
                .filter_map(|a| {
                    let spec = authorizer_spec(a.jwt_configuration(), a.authorizer_uri())?;
                    Some(named(a.authorizer_id(), a.name(), spec))
                })
                .collect(),
        )),
        Err(e)
            if e.raw_response()
                .is_some_and(|r| r.status().is_server_error()) =>
        {
            Ok(None)
        }
        Err(e) => Err(describe("apigateway:GetAuthorizers", e)),
    }
}

/// The emulator workaround (README, "Where moto 5.2.5 differs from AWS"): moto answers
/// GetAuthorizers with a 500, so the authorizers routes use are read one by one by ID. An
/// authorizer no route uses is not seen this way.
async fn emulator_workaround_read_used_authorizers(
    clients: &Clients,
    api_id: &str,
    used: &[String],
) -> Result<Authorizers, AwsError> {
    let mut ids: Vec<&String> = used.iter().collect();
    ids.sort();
    ids.dedup();
    let reads = ids.into_iter().map(|id| async move {
        let request = clients.apigatewayv2.get_authorizer();
        let request = request.api_id(api_id).authorizer_id(id);
        let a = request.send().await.op("apigateway:GetAuthorizer")?;
        let spec = authorizer_spec(a.jwt_configuration(), a.authorizer_uri());
        Ok::<_, AwsError>(spec.map(|spec| named(a.authorizer_id(), a.name(), spec)))
    });
    Ok(try_join_all(reads).await?.into_iter().flatten().collect())
}

/// A JWT authorizer by its configuration, a Lambda (REQUEST) one by its function.
fn authorizer_spec(jwt: Option<&JwtConfiguration>, uri: Option<&str>) -> Option<AuthorizerSpec> {
    match (jwt, uri) {
        (Some(config), _) => Some(AuthorizerSpec::Jwt {
            issuer: config.issuer().unwrap_or_default().to_string(),
            audience: config.audience().to_vec(),
        }),
        (None, Some(uri)) => Some(lambda_authorizer(uri)),
        (None, None) => None,
    }
}

fn named(
    id: Option<&str>,
    name: Option<&str>,
    spec: AuthorizerSpec,
) -> (String, (String, AuthorizerSpec)) {
    let id = id.unwrap_or_default().to_string();
    (name.unwrap_or_default().to_string(), (id, spec))
}

/// Routes with the function each one's integration invokes, and its authorizer's ID.
async fn read_routes(clients: &Clients, api_id: &str) -> Result<Vec<LiveRoute>, AwsError> {
    let (routes, integrations) = v2::read_routes(clients, api_id).await?;
    Ok(routes.iter().map(|r| route(r, &integrations)).collect())
}

fn route(r: &Route, integrations: &Integrations) -> LiveRoute {
    let (integration_id, function_arn) = v2::target(r, integrations);
    let authorized = r.authorization_type().is_some_and(|t| t.as_str() != "NONE");
    LiveRoute {
        authorizer: r.authorizer_id().filter(|_| authorized).map(str::to_string),
        // Scopes without an authorizer have no effect: they are not part of the route.
        scopes: if authorized {
            r.authorization_scopes().to_vec()
        } else {
            Vec::new()
        },
        id: r.route_id().unwrap_or_default().to_string(),
        key: r.route_key().unwrap_or_default().to_string(),
        integration_id,
        function_arn,
        api_key: false,
        topic_arn: None,
        credentials: None,
    }
}
