//! The Terraform pattern: what a `terraform plan` of the same stack asks AWS to refresh its
//! state, replayed with the AWS SDK for Rust (no Terraform binary). Terraform keeps every
//! resource's ID in its state file and, on refresh, runs each resource's Read function, ten
//! resources at a time (`-parallelism`'s default); a Read sends its calls one after the other.
//!
//! The calls per resource, from the Read functions of hashicorp/terraform-provider-aws:
//! - `aws_dynamodb_table` (internal/service/dynamodb/table.go, `resourceTableRead`):
//!   DescribeTable, DescribeContinuousBackups, DescribeTimeToLive, ListTagsOfResource.
//! - `aws_lambda_function` (internal/service/lambda/function.go, `resourceFunctionRead`):
//!   GetFunction (tags included), ListVersionsByFunction (`findLatestFunctionVersionByName`,
//!   every page), GetFunctionCodeSigningConfig (zip packages in the commercial partition).
//! - `aws_iam_role` (internal/service/iam/role.go, `resourceRoleRead`): GetRole (tags
//!   included), ListRolePolicies and GetRolePolicy of each (`readRoleInlinePolicies`),
//!   ListAttachedRolePolicies.
//! - `aws_iam_role_policy` (internal/service/iam/role_policy.go): GetRolePolicy.
//! - `aws_apigatewayv2_api` (internal/service/apigatewayv2/api.go): GetApi.
//! - `aws_apigatewayv2_stage` (internal/service/apigatewayv2/stage.go, `resourceStageRead`):
//!   GetStage, then GetApi (the protocol, for the invoke URL).
//! - `aws_apigatewayv2_route` (route.go): GetRoute; `aws_apigatewayv2_integration`
//!   (integration.go): GetIntegration.
//! - `aws_lambda_permission` (internal/service/lambda/permission.go): GetPolicy of the
//!   function, to find the statement.
//!
//! The configuration such a stack needs in Terraform: per table one `aws_dynamodb_table`; per
//! function one `aws_lambda_function`, its `aws_iam_role` and one `aws_iam_role_policy` per
//! inline policy; the API, its stage, and per route one `aws_apigatewayv2_route`, one
//! `aws_apigatewayv2_integration` and one `aws_lambda_permission` (the usual one permission
//! per route, its source ARN naming the route). The provider first asks STS who it is
//! (GetCallerIdentity). Throttling is retried as the provider does: up to 25 attempts
//! (`max_retries`' default), after the Go SDK's backoff (a random share of 2^attempt seconds,
//! at most 20 s), with no retry quota.

use std::future::Future;
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use futures::StreamExt;

/// Terraform's `-parallelism` default.
pub const PARALLELISM: usize = 10;
/// The AWS provider's `max_retries` default.
const MAX_ATTEMPTS: u32 = 25;

/// One resource of the Terraform configuration, by the IDs its state holds.
#[derive(Debug, Clone)]
pub enum Resource {
    Table(String),
    Function(String),
    Role(String),
    /// Role, policy name.
    RolePolicy(String, String),
    Api(String),
    /// API ID, stage name.
    Stage(String, String),
    /// API ID, route ID.
    Route(String, String),
    /// API ID, integration ID.
    Integration(String, String),
    /// The function whose policy holds the route's statement.
    Permission(String),
}

impl Resource {
    /// The Terraform resource type.
    pub fn kind(&self) -> &'static str {
        match self {
            Resource::Table(_) => "aws_dynamodb_table",
            Resource::Function(_) => "aws_lambda_function",
            Resource::Role(_) => "aws_iam_role",
            Resource::RolePolicy(..) => "aws_iam_role_policy",
            Resource::Api(_) => "aws_apigatewayv2_api",
            Resource::Stage(..) => "aws_apigatewayv2_stage",
            Resource::Route(..) => "aws_apigatewayv2_route",
            Resource::Integration(..) => "aws_apigatewayv2_integration",
            Resource::Permission(_) => "aws_lambda_permission",
        }
    }
}

/// The clients of the replay, without the SDK's own retries (the replay retries as
/// Terraform's provider does).
struct Clients {
    dynamodb: aws_sdk_dynamodb::Client,
    lambda: aws_sdk_lambda::Client,
    iam: aws_sdk_iam::Client,
    apigateway: aws_sdk_apigatewayv2::Client,
    sts: aws_sdk_sts::Client,
}

impl Clients {
    async fn at(endpoint: &str) -> Clients {
        let config = super::support::sdk_config_at(endpoint).await;
        let config = config
            .into_builder()
            .retry_config(RetryConfig::disabled())
            .build();
        Clients {
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            lambda: aws_sdk_lambda::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            apigateway: aws_sdk_apigatewayv2::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
        }
    }
}

/// Refreshes `resources` through `endpoint` (the proxy) as Terraform would: the wall time.
/// Panics on any error but throttling that outlasts the retries.
pub async fn refresh(endpoint: &str, resources: &[Resource]) -> Duration {
    let clients = Clients::at(endpoint).await;
    let start = Instant::now();
    send(|| clients.sts.get_caller_identity().send()).await;
    futures::stream::iter(resources)
        .map(|resource| read(&clients, resource))
        .buffer_unordered(PARALLELISM)
        .collect::<Vec<()>>()
        .await;
    start.elapsed()
}

/// One resource's Read function: its calls, one after the other.
async fn read(c: &Clients, resource: &Resource) {
    match resource {
        Resource::Table(name) => {
            let ddb = &c.dynamodb;
            let table = send(|| ddb.describe_table().table_name(name).send()).await;
            send(|| ddb.describe_continuous_backups().table_name(name).send()).await;
            send(|| ddb.describe_time_to_live().table_name(name).send()).await;
            let arn = table
                .table()
                .and_then(|t| t.table_arn())
                .unwrap_or_default();
            send(|| ddb.list_tags_of_resource().resource_arn(arn).send()).await;
        }
        Resource::Function(name) => {
            let lambda = &c.lambda;
            send(|| lambda.get_function().function_name(name).send()).await;
            let mut marker = None;
            loop {
                let request = || {
                    let request = lambda.list_versions_by_function().function_name(name);
                    request.max_items(10_000).set_marker(marker.clone()).send()
                };
                marker = send(request).await.next_marker().map(str::to_string);
                if marker.is_none() {
                    break;
                }
            }
            let signing = || lambda.get_function_code_signing_config();
            send(|| signing().function_name(name).send()).await;
        }
        Resource::Role(name) => read_role(c, name).await,
        Resource::RolePolicy(role, policy) => {
            let get = || c.iam.get_role_policy().role_name(role);
            send(|| get().policy_name(policy).send()).await;
        }
        Resource::Api(id) => {
            send(|| c.apigateway.get_api().api_id(id).send()).await;
        }
        Resource::Stage(api, stage) => {
            let get = || c.apigateway.get_stage().api_id(api);
            send(|| get().stage_name(stage).send()).await;
            send(|| c.apigateway.get_api().api_id(api).send()).await;
        }
        Resource::Route(api, id) => {
            send(|| c.apigateway.get_route().api_id(api).route_id(id).send()).await;
        }
        Resource::Integration(api, id) => {
            let get = || c.apigateway.get_integration().api_id(api);
            send(|| get().integration_id(id).send()).await;
        }
        Resource::Permission(function) => {
            send(|| c.lambda.get_policy().function_name(function).send()).await;
        }
    }
}

/// `aws_iam_role`'s Read: the role, its inline policies one by one, its attached policies.
async fn read_role(c: &Clients, name: &str) {
    let iam = &c.iam;
    send(|| iam.get_role().role_name(name).send()).await;
    let policies = send(|| iam.list_role_policies().role_name(name).send()).await;
    for policy in policies.policy_names() {
        let get = || iam.get_role_policy().role_name(name);
        send(|| get().policy_name(policy).send()).await;
    }
    send(|| iam.list_attached_role_policies().role_name(name).send()).await;
}

/// Sends a request until it is answered, retrying throttling errors as the provider does.
async fn send<T, E, R, F, Fut>(request: F) -> T
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let mut attempt = 1;
    loop {
        match request().await {
            Ok(answer) => return answer,
            Err(e) if throttled(&e) && attempt < MAX_ATTEMPTS => {
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            Err(e) => panic!(
                "the Terraform pattern's request failed after {attempt} attempts: {}",
                aws_smithy_types::error::display::DisplayErrorContext(e)
            ),
        }
    }
}

fn throttled<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    matches!(
        e.code(),
        Some("ThrottlingException" | "Throttling" | "TooManyRequestsException")
    )
}

/// The Go SDK's exponential backoff with jitter: a random share of 2^attempt seconds, at
/// most 20 s (aws-sdk-go-v2, `retry.ExponentialJitterBackoff`).
fn backoff(attempt: u32) -> Duration {
    let ceiling = 2f64.powi(attempt.min(5) as i32).min(20.0);
    Duration::from_secs_f64(fastrand::f64() * ceiling)
}

/// What Terraform's state would hold for stack `stack`, read straight from the emulator at
/// `endpoint` (not through the proxy: Terraform has it in its state file).
pub async fn inventory(endpoint: &str, stack: &str) -> Vec<Resource> {
    let config = super::support::sdk_config_at(endpoint).await;
    let prefix = format!("{stack}-");
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let tables = ddb.list_tables().limit(100).into_paginator().items().send();
    let tables: Vec<String> = tables.collect::<Result<_, _>>().await.expect("tables");
    let mut resources: Vec<Resource> = tables
        .into_iter()
        .filter(|t| t.starts_with(&prefix))
        .map(Resource::Table)
        .collect();
    let lambda = aws_sdk_lambda::Client::new(&config);
    let functions = lambda.list_functions().into_paginator().items().send();
    let functions: Vec<_> = functions
        .collect::<Result<_, _>>()
        .await
        .expect("functions");
    resources.extend(
        functions
            .iter()
            .filter_map(|f| f.function_name())
            .filter(|name| name.starts_with(&prefix))
            .map(|name| Resource::Function(name.to_string())),
    );
    resources.extend(roles(&config, stack).await);
    resources.extend(api(&config, stack).await);
    resources
}

/// The stack's managed roles and their inline policies.
async fn roles(config: &aws_config::SdkConfig, stack: &str) -> Vec<Resource> {
    let iam = aws_sdk_iam::Client::new(config);
    let path = format!("/stackctl/{stack}/");
    let roles = iam.list_roles().path_prefix(path).into_paginator().items();
    let roles: Vec<_> = roles.send().collect::<Result<_, _>>().await.expect("roles");
    let mut resources = Vec::new();
    for role in roles {
        let name = role.role_name().to_string();
        let policies = iam.list_role_policies().role_name(&name).send().await;
        for policy in policies.expect("role policies").policy_names() {
            resources.push(Resource::RolePolicy(name.clone(), policy.clone()));
        }
        resources.push(Resource::Role(name));
    }
    resources
}

/// The stack's HTTP API, its stages, and per route the route, its integration and the invoke
/// permission of the function it calls.
async fn api(config: &aws_config::SdkConfig, stack: &str) -> Vec<Resource> {
    let client = aws_sdk_apigatewayv2::Client::new(config);
    let apis = client.get_apis().send().await.expect("APIs");
    let mut resources = Vec::new();
    let owned = apis.items().iter().filter(|api| {
        api.tags()
            .and_then(|t| t.get("stackctl:stack"))
            .is_some_and(|s| s == stack)
    });
    for api in owned {
        let id = api.api_id().unwrap_or_default().to_string();
        resources.push(Resource::Api(id.clone()));
        let stages = client
            .get_stages()
            .api_id(&id)
            .send()
            .await
            .expect("stages");
        for stage in stages.items() {
            let name = stage.stage_name().unwrap_or_default().to_string();
            resources.push(Resource::Stage(id.clone(), name));
        }
        let get = client.get_integrations().api_id(&id).max_results("500");
        let integrations = get.send().await.expect("integrations");
        let routes = client.get_routes().api_id(&id).max_results("500");
        for route in routes.send().await.expect("routes").items() {
            let route_id = route.route_id().unwrap_or_default().to_string();
            resources.push(Resource::Route(id.clone(), route_id));
            let target = route.target().unwrap_or_default();
            let Some(integration) = target.strip_prefix("integrations/") else {
                continue;
            };
            resources.push(Resource::Integration(id.clone(), integration.to_string()));
            let uri = integrations
                .items()
                .iter()
                .find(|i| i.integration_id() == Some(integration))
                .and_then(|i| i.integration_uri())
                .unwrap_or_default();
            resources.push(Resource::Permission(function_of(uri)));
        }
    }
    resources
}

/// The function name in an integration URI: a function ARN, or the invocation ARN
/// `arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations`.
fn function_of(uri: &str) -> String {
    let arn = uri
        .split("/functions/")
        .nth(1)
        .map_or(uri, |rest| rest.trim_end_matches("/invocations"));
    arn.split(':').nth(6).unwrap_or(arn).to_string()
}
