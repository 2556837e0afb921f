//! What HTTP and WebSocket APIs are read with alike (both API Gateway v2, the same SDK): the
//! tagged APIs of a protocol, pages of a list, stages with their throttle and access log,
//! routes with the functions their integrations invoke, and the authorizer list.

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_apigatewayv2::error::SdkError;
use aws_sdk_apigatewayv2::types::{Api, ProtocolType, Route};

use super::owned;
use crate::aws::{AwsError, CallResult, Clients, ErrorKind, classify};
use crate::stack::{AccessLog, LogLevel, StageLogging, StageSpec, Throttle};

/// API Gateway v2's largest page size.
const PAGE: &str = "500";

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

/// Every item of a paginated v2 list (the v2 SDK has no paginators): `page(token)` sends one
/// request and answers its items and the next page's token.
async fn pages<T, Page, Sent>(mut page: Page) -> Result<Vec<T>, AwsError>
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
    Ok(stage_info(&read_stage_settings(clients, api_id).await?))
}

/// Every stage with its variables, stage-wide throttle, detailed metrics and access log.
pub(in crate::live) async fn read_stage_settings(
    clients: &Clients,
    api_id: &str,
) -> Result<Vec<StageSpec>, AwsError> {
    let client = &clients.apigatewayv2;
    let all = all_pages!(client.get_stages().api_id(api_id), "apigateway:GetStages");
    let mut stages: Vec<StageSpec> = all.await?.iter().map(stage_settings).collect();
    stages.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(stages)
}

fn stage_settings(stage: &aws_sdk_apigatewayv2::types::Stage) -> StageSpec {
    let settings = stage.default_route_settings();
    let throttle = settings.and_then(|s| {
        let (rate, burst) = (s.throttling_rate_limit()?, s.throttling_burst_limit()?);
        Some(Throttle { rate, burst })
    });
    let metrics = settings.and_then(|s| s.detailed_metrics_enabled()) == Some(true);
    let access_log = stage.access_log_settings().and_then(|log| {
        Some(AccessLog {
            destination: log.destination_arn()?.to_string(),
            format: log.format()?.to_string(),
        })
    });
    StageSpec {
        name: stage.stage_name().unwrap_or_default().to_string(),
        variables: stage
            .stage_variables()
            .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        throttle,
        access_log,
        tracing: false,
        logging: metrics.then_some(StageLogging {
            level: LogLevel::Off,
            data_trace: false,
            metrics: true,
        }),
    }
}

/// Stage names, and the throttle and access log of the first stage with them.
pub(in crate::live) fn stage_info(stages: &[StageSpec]) -> StageInfo {
    (
        stages.iter().map(|s| s.name.clone()).collect(),
        stages.iter().find_map(|s| s.throttle),
        stages.iter().find_map(|s| s.access_log.clone()),
    )
}

pub(in crate::live) type StageInfo = (Vec<String>, Option<Throttle>, Option<AccessLog>);

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

/// The function ARN each integration of the API invokes, by integration ID.
async fn read_integrations(clients: &Clients, api_id: &str) -> Result<Integrations, AwsError> {
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

/// The function ARN each integration of an API invokes, by integration ID.
pub(in crate::live) type Integrations = BTreeMap<String, String>;

/// Every route of the API, and the function ARN each integration invokes: the two lists are
/// read at once.
pub(in crate::live) async fn read_routes(
    clients: &Clients,
    api_id: &str,
) -> Result<(Vec<Route>, Integrations), AwsError> {
    let client = &clients.apigatewayv2;
    let routes = all_pages!(client.get_routes().api_id(api_id), "apigateway:GetRoutes");
    let (integrations, routes) = tokio::try_join!(read_integrations(clients, api_id), routes)?;
    Ok((routes, integrations))
}

/// A route's integration ID (its target `integrations/ID`) and the function ARN it invokes.
pub(in crate::live) fn target(
    r: &Route,
    integrations: &Integrations,
) -> (Option<String>, Option<String>) {
    let integration_id = r
        .target()
        .and_then(|t| t.strip_prefix("integrations/"))
        .map(str::to_string);
    let function_arn = integration_id
        .as_ref()
        .and_then(|id| integrations.get(id).cloned());
    (integration_id, function_arn)
}
