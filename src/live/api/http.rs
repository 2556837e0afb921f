//! Live API Gateway HTTP APIs (v2): tagged APIs with their stages, routes and integrations.

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_apigatewayv2::error::SdkError;
use aws_sdk_apigatewayv2::types::{Api, JwtConfiguration, ProtocolType};
use futures::future::try_join_all;

use super::{Authorizers, api_base, lambda_authorizer, names_by_id, owned};
use crate::aws::{AwsError, CallResult, Clients, ErrorKind, classify, describe};
use crate::live::{LiveApi, LiveRoute};
use crate::stack::{AccessLog, AuthorizerSpec, Cors, Throttle};

/// API Gateway v2's largest page size.
pub(in crate::live) const PAGE: &str = "500";

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
            return Ok((Vec::new(), None, None));
        }
        read_stages(clients, &id).await
    };
    // Without settings, the authorizers are read only when a route uses one.
    let listed = async {
        if !settings {
            return Ok(None);
        }
        listed_authorizers(clients, &id).await.map(Some)
    };
    let ((stages, throttle, access_log), mut routes, listed) =
        tokio::try_join!(stages, read_routes(clients, &id), listed)?;
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

/// Every item of a v2 list request (`$request`, without its paging; sent as `$op`), page after
/// page with [`pages`].
macro_rules! all_pages {
    ($request:expr, $op:literal) => {
        pages(|token| async move {
            let request = $request.set_next_token(token).max_results(PAGE);
            let page = request.send().await.op($op)?;
            Ok((page.items().to_vec(), page.next_token().map(str::to_string)))
        })
    };
}
pub(in crate::live) use all_pages;

/// Every item of a paginated v2 list (the v2 SDK has no paginators): `page(token)` sends one
/// request and answers its items and the next page's token.
pub(in crate::live) async fn pages<T, Page, Sent>(mut page: Page) -> Result<Vec<T>, AwsError>
where
    Page: FnMut(Option<String>) -> Sent,
    Sent: Future<Output = Result<(Vec<T>, Option<String>), AwsError>>,
{
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let (items, next) = page(token.take()).await?;
        all.extend(items);
        match next {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => return Ok(all),
        }
    }
}

/// The HTTP APIs tagged for the stack, in one paginated call.
pub(super) async fn tagged(clients: &Clients, stack: &str) -> Result<Vec<Api>, AwsError> {
    tagged_of(clients, stack, &ProtocolType::Http).await
}

/// The v2 APIs of `protocol` (HTTP or WEBSOCKET) tagged for the stack, in one paginated call.
pub(in crate::live) async fn tagged_of(
    clients: &Clients,
    stack: &str,
    protocol: &ProtocolType,
) -> Result<Vec<Api>, AwsError> {
    let client = &clients.apigatewayv2;
    let all = all_pages!(client.get_apis(), "apigateway:GetApis");
    let mut all = all.await?;
    all.retain(|api| owned(api.tags(), stack) && api.protocol_type() == Some(protocol));
    Ok(all)
}

/// Stage names, and the stage-wide throttle and access log (of the first stage with them).
pub(in crate::live) async fn read_stages(
    clients: &Clients,
    api_id: &str,
) -> Result<StageInfo, AwsError> {
    let client = &clients.apigatewayv2;
    let all = all_pages!(client.get_stages().api_id(api_id), "apigateway:GetStages");
    let mut stages = Vec::new();
    let mut throttle = None;
    let mut access_log = None;
    for stage in all.await? {
        stages.push(stage.stage_name().unwrap_or_default().to_string());
        if let Some(settings) = stage.default_route_settings()
            && let (Some(rate), Some(burst)) = (
                settings.throttling_rate_limit(),
                settings.throttling_burst_limit(),
            )
        {
            throttle.get_or_insert(Throttle { rate, burst });
        }
        if let Some(log) = stage.access_log_settings()
            && let (Some(destination), Some(format)) = (log.destination_arn(), log.format())
        {
            access_log.get_or_insert(AccessLog {
                destination: destination.to_string(),
                format: format.to_string(),
            });
        }
    }
    Ok((stages, throttle, access_log))
}

pub(in crate::live) type StageInfo = (Vec<String>, Option<Throttle>, Option<AccessLog>);

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

pub(in crate::live) type ListAuthorizers = Result<
    aws_sdk_apigatewayv2::operation::get_authorizers::GetAuthorizersOutput,
    SdkError<aws_sdk_apigatewayv2::operation::get_authorizers::GetAuthorizersError>,
>;

/// GetAuthorizers, in two attempts 50 ms apart at most: a 5xx is answered by the fallback,
/// which is good enough for one plan on AWS too (and the emulator answers every call with one:
/// the SDK's usual pause of up to a second was most of a no-op plan there). Throttling and lost
/// connections are another matter: a call whose last attempt met one is made again, after a
/// pause, until it is answered or fails otherwise.
pub(in crate::live) async fn list_authorizers(clients: &Clients, api_id: &str) -> ListAuthorizers {
    let list = || {
        clients
            .apigatewayv2
            .get_authorizers()
            .api_id(api_id)
            .max_results(PAGE)
            .customize()
            .config_override(
                aws_sdk_apigatewayv2::config::Builder::default().retry_config(
                    clients
                        .retry_config()
                        .with_max_attempts(2)
                        .with_initial_backoff(std::time::Duration::from_millis(50)),
                ),
            )
            .send()
    };
    let transient = |listed: &ListAuthorizers| match listed {
        Err(e @ SdkError::ServiceError(_)) => classify(e) == ErrorKind::Throttled,
        Err(SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)) => true,
        _ => false,
    };
    let mut listed = list().await;
    for round in 0..5 {
        if !transient(&listed) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200 << round)).await;
        listed = list().await;
    }
    listed
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

/// The function ARN each integration of the API invokes, by integration ID.
pub(in crate::live) async fn read_integrations(
    clients: &Clients,
    api_id: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    let client = &clients.apigatewayv2;
    let integrations = all_pages!(
        client.get_integrations().api_id(api_id),
        "apigateway:GetIntegrations"
    );
    Ok(integrations
        .await?
        .iter()
        .filter_map(|i| {
            let uri = i.integration_uri()?;
            Some((
                i.integration_id()?.to_string(),
                crate::arn::function_arn_of(uri),
            ))
        })
        .collect())
}

/// Routes with the function each one's integration invokes, and its authorizer's ID: the
/// routes and the integrations are listed at once.
async fn read_routes(clients: &Clients, api_id: &str) -> Result<Vec<LiveRoute>, AwsError> {
    let client = &clients.apigatewayv2;
    let routes = all_pages!(client.get_routes().api_id(api_id), "apigateway:GetRoutes");
    let (integrations, routes) = tokio::try_join!(read_integrations(clients, api_id), routes)?;
    Ok(routes.iter().map(|r| route(r, &integrations)).collect())
}

fn route(
    r: &aws_sdk_apigatewayv2::types::Route,
    integrations: &BTreeMap<String, String>,
) -> LiveRoute {
    let integration_id = r
        .target()
        .and_then(|t| t.strip_prefix("integrations/"))
        .map(str::to_string);
    let function_arn = integration_id
        .as_ref()
        .and_then(|id| integrations.get(id).cloned());
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
    }
}
