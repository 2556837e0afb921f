//! Live API Gateway REST APIs (v1), each read in a handful of calls: GetRestApis for all of
//! them, then GetResources with the methods embedded (500 a page) and GetStages.

use std::collections::BTreeMap;

use futures::future::try_join_all;

use aws_sdk_apigateway::types::{Method, Resource, RestApi};

use super::{Authorizers, api_base, lambda_authorizer, names_by_id, owned};
use crate::aws::{AwsError, CallResult, Clients};
use crate::live::{LiveApi, LiveResource, LiveRoute};
use crate::stack::{AccessLog, AuthorizerSpec, Cors, LogLevel, StageLogging, StageSpec, Throttle};

/// API Gateway's largest page size.
const PAGE: i32 = 500;

pub async fn read_apis(clients: &Clients, stack: &str) -> Result<Vec<LiveApi>, AwsError> {
    let mut found = tagged(clients, stack).await?;
    found.sort_by_key(|a| a.created_date().map(|d| (d.secs(), d.subsec_nanos())));
    try_join_all(found.iter().map(|api| read_api(clients, api))).await
}

async fn read_api(clients: &Clients, api: &RestApi) -> Result<LiveApi, AwsError> {
    let id = api.id().unwrap_or_default().to_string();
    let ((resources, cors), stages, authorizers) = tokio::try_join!(
        read_resources(clients, &id),
        read_stages(clients, &id),
        read_authorizers(clients, &id)
    )?;
    let names = names_by_id(&authorizers);
    let routes = resources
        .iter()
        .flat_map(|(r, integrations)| routes_of(r, integrations, &names))
        .collect();
    let endpoint = crate::arn::execute_api_endpoint(&clients.region, &id);
    let first = stages.first();
    Ok(LiveApi {
        stages: stages.iter().map(|s| s.settings.name.clone()).collect(),
        deployment_id: first.and_then(|s| s.deployment_id.clone()),
        throttle: first.and_then(|s| s.settings.throttle),
        access_log: first.and_then(|s| s.settings.access_log.clone()),
        stage_settings: stages.iter().map(|s| s.settings.clone()).collect(),
        cors,
        authorizers,
        routes,
        resources: resources.into_iter().map(|(r, _)| r).collect(),
        ..api_base(id, api.name(), endpoint, "REST".to_string(), api.tags())
    })
}

/// The REST APIs tagged for the stack, in one paginated call.
pub(super) async fn tagged(clients: &Clients, stack: &str) -> Result<Vec<RestApi>, AwsError> {
    let pages = clients
        .apigateway
        .get_rest_apis()
        .limit(PAGE)
        .into_paginator();
    let all: Result<Vec<RestApi>, _> = pages.items().send().collect().await;
    let mut all = all.op("apigateway:GetRestApis")?;
    all.retain(|api| owned(api.tags(), stack));
    Ok(all)
}

/// Every resource of the API with its methods embedded (GetResources, 500 a page).
pub(crate) async fn resources(clients: &Clients, api_id: &str) -> Result<Vec<Resource>, AwsError> {
    let request = clients.apigateway.get_resources().rest_api_id(api_id);
    let pages = request.embed("methods").limit(PAGE).into_paginator();
    let all: Result<Vec<Resource>, _> = pages.items().send().collect().await;
    all.op("apigateway:GetResources")
}

/// Routes of one resource: one per method with a Lambda proxy integration.
fn routes_of(
    resource: &LiveResource,
    integrations: &BTreeMap<String, MethodInfo>,
    authorizer_names: &BTreeMap<String, String>,
) -> Vec<LiveRoute> {
    resource
        .methods
        .iter()
        .filter_map(|method| {
            let info = integrations.get(method)?;
            Some(LiveRoute {
                id: resource.id.clone(),
                key: format!("{method} {}", resource.path),
                integration_id: None,
                function_arn: (info.topic_arn.is_none())
                    .then(|| crate::arn::function_arn_of(&info.uri)),
                authorizer: info
                    .authorizer_id
                    .as_ref()
                    .and_then(|id| authorizer_names.get(id).cloned()),
                scopes: info.scopes.clone(),
                api_key: info.api_key,
                topic_arn: info.topic_arn.clone(),
                credentials: info.credentials.clone(),
            })
        })
        .collect()
}

/// What a method that invokes a function (Lambda proxy integration) or publishes to a topic
/// (an AWS integration calling SNS's Publish) says about its route.
struct MethodInfo {
    uri: String,
    /// A method that publishes: the topic its request template names, the role it assumes.
    topic_arn: Option<String>,
    credentials: Option<String>,
    authorizer_id: Option<String>,
    scopes: Vec<String>,
    api_key: bool,
}

/// Cognito and Lambda (TOKEN) authorizers by name.
async fn read_authorizers(clients: &Clients, api_id: &str) -> Result<Authorizers, AwsError> {
    let out = clients
        .apigateway
        .get_authorizers()
        .rest_api_id(api_id)
        .limit(PAGE)
        .send()
        .await
        .op("apigateway:GetAuthorizers")?;
    Ok(out
        .items()
        .iter()
        .filter_map(|a| {
            let spec = match (a.r#type().map(|t| t.as_str()), a.authorizer_uri()) {
                (Some("COGNITO_USER_POOLS"), _) => AuthorizerSpec::Cognito {
                    user_pools: a.provider_arns().to_vec(),
                },
                (_, Some(uri)) => lambda_authorizer(uri),
                _ => return None,
            };
            Some((
                a.name().unwrap_or_default().to_string(),
                (a.id().unwrap_or_default().to_string(), spec),
            ))
        })
        .collect())
}

/// Every resource with its methods, and the Lambda integration URI of each method.
type Resources = (
    Vec<(LiveResource, BTreeMap<String, MethodInfo>)>,
    Option<Cors>,
);

async fn read_resources(clients: &Clients, api_id: &str) -> Result<Resources, AwsError> {
    let items = resources(clients, api_id).await?;
    let mut resources = Vec::new();
    let mut cors_found: Vec<(String, Cors)> = Vec::new();
    for r in &items {
        let (resource, integrations, cors) = resource_of(r);
        if let Some(cors) = cors {
            cors_found.push((resource.path.clone(), cors));
        }
        resources.push((resource, integrations));
    }
    resources.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    // The API has CORS when every resource with routes answers OPTIONS the same way.
    let routed: Vec<&str> = resources
        .iter()
        .filter(|(r, _)| !r.methods.is_empty())
        .map(|(r, _)| r.path.as_str())
        .collect();
    let answer = |path: &str| cors_found.iter().find(|(p, _)| p == path).map(|(_, c)| c);
    let cors = match routed.first() {
        None => None,
        Some(first) => answer(first)
            .filter(|c| routed.iter().all(|p| answer(p) == Some(*c)))
            .cloned(),
    };
    Ok((resources, cors))
}

/// A resource with its methods (a CORS OPTIONS answer aside), what each Lambda-backed one says
/// of its route, and the CORS answer.
fn resource_of(r: &Resource) -> (LiveResource, BTreeMap<String, MethodInfo>, Option<Cors>) {
    let mut methods = Vec::new();
    let mut integrations = BTreeMap::new();
    let mut cors = None;
    for (verb, method) in r.resource_methods().into_iter().flatten() {
        if verb == "OPTIONS"
            && let Some(answer) = cors_of(method)
        {
            cors = Some(answer);
            continue;
        }
        methods.push(verb.clone());
        if let Some(info) = method_info(method) {
            integrations.insert(verb.clone(), info);
        }
    }
    methods.sort();
    let resource = LiveResource {
        id: r.id().unwrap_or_default().to_string(),
        path: r.path().unwrap_or_default().to_string(),
        parent_id: r.parent_id().map(str::to_string),
        methods,
    };
    (resource, integrations, cors)
}

/// What a method with a Lambda proxy integration, or an AWS integration publishing to SNS,
/// says of its route.
fn method_info(method: &Method) -> Option<MethodInfo> {
    let integration = method.method_integration()?;
    let uri = integration.uri()?;
    // An import stores the type as the document spells it (the emulator keeps "aws").
    let kind = integration
        .r#type()
        .map(|t| t.as_str().to_ascii_uppercase());
    let topic_arn = match kind.as_deref() {
        Some("AWS_PROXY") => None,
        Some("AWS") if crate::arn::is_sns_publish_uri(uri) => {
            let mut templates = integration.request_templates().into_iter().flatten();
            let topic = templates.find_map(|(_, t)| crate::arn::topic_arn_in_template(t));
            Some(topic.unwrap_or_default().to_string())
        }
        _ => return None,
    };
    let authorized = method.authorization_type().is_some_and(|t| t != "NONE");
    Some(MethodInfo {
        uri: uri.to_string(),
        topic_arn,
        credentials: integration.credentials().map(str::to_string),
        authorizer_id: method
            .authorizer_id()
            .filter(|_| authorized)
            .map(str::to_string),
        scopes: if authorized {
            method.authorization_scopes().to_vec()
        } else {
            Vec::new()
        },
        api_key: method.api_key_required().unwrap_or(false),
    })
}

struct Stage {
    deployment_id: Option<String>,
    settings: StageSpec,
}

/// Each stage's deployment and settings: variables, tracing, and the method settings of
/// `*/*` (stage-wide throttle, execution logging, detailed metrics), and the access log.
async fn read_stages(clients: &Clients, api_id: &str) -> Result<Vec<Stage>, AwsError> {
    let out = clients
        .apigateway
        .get_stages()
        .rest_api_id(api_id)
        .send()
        .await
        .op("apigateway:GetStages")?;
    let mut stages: Vec<Stage> = out.item().iter().map(stage).collect();
    stages.sort_by(|a, b| a.settings.name.cmp(&b.settings.name));
    Ok(stages)
}

fn stage(s: &aws_sdk_apigateway::types::Stage) -> Stage {
    let all = s.method_settings().and_then(|m| m.get("*/*"));
    let throttle = all.and_then(|m| {
        let rate = m.throttling_rate_limit();
        let burst = m.throttling_burst_limit();
        (rate > 0.0 || burst > 0).then_some(Throttle { rate, burst })
    });
    let logging = all.and_then(|m| {
        let level = match m.logging_level().unwrap_or("OFF") {
            "ERROR" => LogLevel::Error,
            "INFO" => LogLevel::Info,
            _ => LogLevel::Off,
        };
        let (data_trace, metrics) = (m.data_trace_enabled(), m.metrics_enabled());
        (level != LogLevel::Off || data_trace || metrics).then_some(StageLogging {
            level,
            data_trace,
            metrics,
        })
    });
    let access_log = s.access_log_settings().and_then(|l| {
        Some(AccessLog {
            destination: l.destination_arn()?.to_string(),
            format: l.format()?.to_string(),
        })
    });
    let variables = s
        .variables()
        .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())));
    Stage {
        deployment_id: s.deployment_id().map(str::to_string),
        settings: StageSpec {
            name: s.stage_name().unwrap_or_default().to_string(),
            variables: variables.map(Iterator::collect).unwrap_or_default(),
            throttle,
            access_log,
            tracing: s.tracing_enabled(),
            logging,
        },
    }
}

/// The CORS settings an OPTIONS mock method answers with, if it is such a method.
pub(crate) fn cors_of(method: &Method) -> Option<Cors> {
    let integration = method.method_integration()?;
    if integration.r#type()?.as_str() != "MOCK" {
        return None;
    }
    let params = integration
        .integration_responses()?
        .get("200")?
        .response_parameters()?;
    let header = |name: &str| {
        params
            .get(&format!("method.response.header.Access-Control-{name}"))
            .map(|v| v.trim_matches('\'').to_string())
    };
    let list = |name: &str| -> Vec<String> {
        header(name)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    Some(Cors {
        allow_origins: vec![header("Allow-Origin")?],
        allow_methods: list("Allow-Methods"),
        allow_headers: list("Allow-Headers"),
        max_age: header("Max-Age").and_then(|v| v.parse().ok()),
    })
}
