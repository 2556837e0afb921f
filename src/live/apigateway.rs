//! Live API Gateway HTTP APIs (v2): tagged APIs with their stages, routes and integrations.

use aws_sdk_apigatewayv2::error::SdkError;
use futures::future::try_join_all;

use super::{LiveApi, LiveRoute, user_tags};
use crate::aws::{AwsError, CallResult, Clients, describe};
use std::collections::BTreeMap;

use crate::marks::STACK_TAG;
use crate::stack::{AccessLog, AuthorizerSpec, Cors, Throttle};

/// `settings`: read the stages and every authorizer too; without, only the authorizers routes
/// use are read, and the API's stages, throttle and access log are left empty.
pub async fn read_apis(
    clients: &Clients,
    stack: &str,
    settings: bool,
) -> Result<Vec<LiveApi>, AwsError> {
    let mut found = tagged(clients, stack).await?;
    found.sort_by_key(|a| a.created_date().map(|d| (d.secs(), d.subsec_nanos())));
    let reads = found.into_iter().map(|api| async move {
        let id = api.api_id().unwrap_or_default().to_string();
        let stages = async {
            if !settings {
                return Ok((Vec::new(), None, None));
            }
            read_stages(clients, &id).await
        };
        let ((stages, throttle, access_log), mut routes) =
            tokio::try_join!(stages, read_routes(clients, &id))?;
        let used: Vec<String> = routes.iter().filter_map(|r| r.authorizer.clone()).collect();
        let authorizers = if settings || !used.is_empty() {
            read_authorizers(clients, &id, &used).await?
        } else {
            BTreeMap::new()
        };
        let names: BTreeMap<&String, &String> = authorizers
            .iter()
            .map(|(name, (id, _))| (id, name))
            .collect();
        // Routes were read with authorizer IDs; the plan speaks of names.
        for route in &mut routes {
            route.authorizer = route
                .authorizer
                .take()
                .and_then(|id| names.get(&id).map(|n| n.to_string()));
        }
        let tags = api.tags().cloned().unwrap_or_default();
        let cors = api.cors_configuration().map(|c| Cors {
            allow_origins: c.allow_origins().to_vec(),
            allow_methods: c.allow_methods().to_vec(),
            allow_headers: c.allow_headers().to_vec(),
            max_age: c.max_age(),
        });
        Ok::<_, AwsError>(LiveApi {
            name: api.name().unwrap_or_default().to_string(),
            endpoint: api.api_endpoint().unwrap_or_default().to_string(),
            protocol: api
                .protocol_type()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
            tags: user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            permissions_record: tags.get(crate::marks::PERMISSIONS_TAG).cloned(),
            stages,
            cors,
            throttle,
            access_log,
            authorizers,
            routes,
            resources: Vec::new(),
            deployment_id: None,
            id,
        })
    });
    try_join_all(reads).await
}

/// The HTTP APIs tagged for the stack, in one paginated call.
pub async fn tagged(
    clients: &Clients,
    stack: &str,
) -> Result<Vec<aws_sdk_apigatewayv2::types::Api>, AwsError> {
    let client = &clients.apigatewayv2;
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_apis()
            .set_next_token(token.take())
            .max_results("500")
            .send()
            .await
            .op("apigateway:GetApis")?;
        for api in page.items() {
            let tags = api.tags().cloned().unwrap_or_default();
            if tags.get(STACK_TAG).map(String::as_str) == Some(stack) {
                found.push(api.clone());
            }
        }
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => break,
        }
    }
    Ok(found)
}

/// Stage names, and the stage-wide throttle and access log (of the first stage with them).
async fn read_stages(clients: &Clients, api_id: &str) -> Result<StageInfo, AwsError> {
    let mut stages = Vec::new();
    let mut throttle = None;
    let mut access_log = None;
    let mut token: Option<String> = None;
    loop {
        let page = clients
            .apigatewayv2
            .get_stages()
            .api_id(api_id)
            .set_next_token(token.take())
            .max_results("500")
            .send()
            .await
            .op("apigateway:GetStages")?;
        for stage in page.items() {
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
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => break,
        }
    }
    Ok((stages, throttle, access_log))
}

type StageInfo = (Vec<String>, Option<Throttle>, Option<AccessLog>);

/// JWT authorizers by name. `used` are the IDs routes refer to: moto 5.2.5 does not list
/// authorizers (GetAuthorizers answers 500), so then those are read one by one; an authorizer
/// no route uses is not seen there.
async fn read_authorizers(
    clients: &Clients,
    api_id: &str,
    used: &[String],
) -> Result<BTreeMap<String, (String, AuthorizerSpec)>, AwsError> {
    let client = &clients.apigatewayv2;
    let jwt = |id: Option<&str>,
               name: Option<&str>,
               config: Option<&aws_sdk_apigatewayv2::types::JwtConfiguration>,
               uri: Option<&str>| {
        let spec = match (config, uri) {
            (Some(config), _) => AuthorizerSpec::Jwt {
                issuer: config.issuer().unwrap_or_default().to_string(),
                audience: config.audience().to_vec(),
            },
            (None, Some(uri)) => AuthorizerSpec::Lambda {
                function: crate::arn::function_name_of(uri),
            },
            (None, None) => return None,
        };
        Some((
            name.unwrap_or_default().to_string(),
            (id.unwrap_or_default().to_string(), spec),
        ))
    };
    // Two attempts: the emulator's 500 is permanent, and the fallback below is good enough for
    // one plan on AWS too. Throttling and lost connections are another matter: a call whose
    // last attempt met one is made again, after a pause, until it is answered or fails
    // otherwise.
    let list = || {
        client
            .get_authorizers()
            .api_id(api_id)
            .max_results("500")
            .customize()
            .config_override(
                aws_sdk_apigatewayv2::config::Builder::default()
                    .retry_config(clients.retry_config().with_max_attempts(2)),
            )
            .send()
    };
    let transient = |listed: &Result<_, SdkError<_, _>>| match listed {
        Err(e @ SdkError::ServiceError(_)) => {
            crate::aws::classify(e) == crate::aws::ErrorKind::Throttled
        }
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
    match listed {
        Ok(out) => Ok(out
            .items()
            .iter()
            .filter_map(|a| {
                jwt(
                    a.authorizer_id(),
                    a.name(),
                    a.jwt_configuration(),
                    a.authorizer_uri(),
                )
            })
            .collect()),
        Err(e)
            if e.raw_response()
                .is_some_and(|r| r.status().is_server_error()) =>
        {
            let mut ids: Vec<&String> = used.iter().collect();
            ids.sort();
            ids.dedup();
            let reads = ids.into_iter().map(|id| async move {
                let a = client
                    .get_authorizer()
                    .api_id(api_id)
                    .authorizer_id(id)
                    .send()
                    .await
                    .op("apigateway:GetAuthorizer")?;
                Ok::<_, AwsError>(jwt(
                    a.authorizer_id(),
                    a.name(),
                    a.jwt_configuration(),
                    a.authorizer_uri(),
                ))
            });
            Ok(try_join_all(reads).await?.into_iter().flatten().collect())
        }
        Err(e) => Err(describe("apigateway:GetAuthorizers", e)),
    }
}

/// Routes with the function each one's integration invokes, and its authorizer's ID.
async fn read_routes(clients: &Clients, api_id: &str) -> Result<Vec<LiveRoute>, AwsError> {
    let client = &clients.apigatewayv2;
    let mut integrations = std::collections::BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_integrations()
            .api_id(api_id)
            .set_next_token(token.take())
            .max_results("500")
            .send()
            .await
            .op("apigateway:GetIntegrations")?;
        for i in page.items() {
            if let (Some(id), Some(uri)) = (i.integration_id(), i.integration_uri()) {
                integrations.insert(id.to_string(), crate::arn::function_arn_of(uri));
            }
        }
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => break,
        }
    }
    let mut routes = Vec::new();
    loop {
        let page = client
            .get_routes()
            .api_id(api_id)
            .set_next_token(token.take())
            .max_results("500")
            .send()
            .await
            .op("apigateway:GetRoutes")?;
        for r in page.items() {
            let integration_id = r
                .target()
                .and_then(|t| t.strip_prefix("integrations/"))
                .map(str::to_string);
            let function_arn = integration_id
                .as_ref()
                .and_then(|id| integrations.get(id).cloned());
            let authorized = r.authorization_type().is_some_and(|t| t.as_str() != "NONE");
            let authorizer = r.authorizer_id().filter(|_| authorized).map(str::to_string);
            routes.push(LiveRoute {
                authorizer,
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
            });
        }
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => break,
        }
    }
    Ok(routes)
}
