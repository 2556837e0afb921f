//! Live Lambda functions: GetFunction for each owned or declared one (configuration, tags and
//! reserved concurrency in one call, at Lambda's highest read quota), log retention in one
//! paginated call, and resource policies only for functions that routes invoke, and only when
//! the API's permissions record is not current.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::try_join_all;

use aws_sdk_lambda::types::FunctionConfiguration;

use super::{Conflict, LiveFunction, user_tags};
use crate::aws::{AwsError, CallResult, Clients};
use crate::marks::STACK_TAG;
use crate::marks::{
    APPLIED_TAG, CONCURRENCY_TAG, ROUTES_STATEMENT_ELSEWHERE, ROUTES_STATEMENT_ID, VERSIONS_TAG,
};

/// A function as read: its configuration, all its tags and its reserved concurrency (`None`
/// when it has none, or when it was not read: see [`list_functions`]).
pub struct FoundFunction {
    pub name: String,
    pub config: FunctionConfiguration,
    pub tags: BTreeMap<String, String>,
    pub reserved: Option<i32>,
}

/// GetFunction for each of these names (absent ones left out): configuration, tags and
/// reserved concurrency in one call, at a far higher quota (100/s) than the other reads.
pub async fn get_functions(
    clients: &Clients,
    names: impl IntoIterator<Item = &String>,
) -> Result<Vec<FoundFunction>, AwsError> {
    let reads = names.into_iter().map(|name| get_function(clients, name));
    Ok(try_join_all(reads).await?.into_iter().flatten().collect())
}

async fn get_function(clients: &Clients, name: &str) -> Result<Option<FoundFunction>, AwsError> {
    let request = clients.lambda.get_function().function_name(name);
    let Some(out) = request.send().await.absent_ok("lambda:GetFunction")? else {
        return Ok(None);
    };
    Ok(out.configuration().map(|config| FoundFunction {
        name: name.to_string(),
        config: config.clone(),
        tags: out
            .tags()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        reserved: out
            .concurrency()
            .and_then(|c| c.reserved_concurrent_executions()),
    }))
}

/// Every function of the account by name, from ListFunctions (50 a page): one request for
/// what would be one GetFunction per function.
pub async fn list_all(
    clients: &Clients,
) -> Result<BTreeMap<String, FunctionConfiguration>, AwsError> {
    let mut all = BTreeMap::new();
    let mut pages = clients.lambda.list_functions().into_paginator().send();
    while let Some(page) = pages.next().await {
        for config in page.op("lambda:ListFunctions")?.functions() {
            if let Some(name) = config.function_name() {
                all.insert(name.to_string(), config.clone());
            }
        }
    }
    Ok(all)
}

/// The functions of these names, from the account's list (`listed`) and the tagging index's
/// tags of the stack's functions (`owned`): no request per function, except GetFunction for
/// one the index does not list (someone else's, or one the index has not caught up with), and
/// GetFunctionConcurrency where the stack file declares reserved concurrency (`declared`) or
/// stackctl recorded that it set one ([`CONCURRENCY_TAG`]). Reserved concurrency set outside
/// stackctl on another function is seen by a full read only (`plan --refresh-only`).
pub async fn list_functions(
    clients: &Clients,
    names: impl IntoIterator<Item = &String>,
    listed: &BTreeMap<String, FunctionConfiguration>,
    owned: &BTreeMap<String, BTreeMap<String, String>>,
    declared: &BTreeSet<String>,
) -> Result<Vec<FoundFunction>, AwsError> {
    let reads = names.into_iter().map(|name| async move {
        let (Some(config), Some(tags)) = (listed.get(name), owned.get(name)) else {
            return match listed.contains_key(name) {
                true => get_function(clients, name).await,
                false => Ok(None),
            };
        };
        let reserved = match declared.contains(name) || tags.contains_key(CONCURRENCY_TAG) {
            true => reserved_concurrency(clients, name).await?,
            false => None,
        };
        Ok(Some(FoundFunction {
            name: name.clone(),
            config: config.clone(),
            tags: tags.clone(),
            reserved,
        }))
    });
    Ok(try_join_all(reads).await?.into_iter().flatten().collect())
}

async fn reserved_concurrency(clients: &Clients, name: &str) -> Result<Option<i32>, AwsError> {
    let request = clients
        .lambda
        .get_function_concurrency()
        .function_name(name);
    let out = request
        .send()
        .await
        .absent_ok("lambda:GetFunctionConcurrency")?;
    Ok(out.and_then(|o| o.reserved_concurrent_executions()))
}

/// Sorts read functions into the stack's (by their own tags) and the ones in its way.
pub fn claim(
    found: Vec<FoundFunction>,
    retention: &BTreeMap<String, Option<i32>>,
    stack: &str,
) -> (BTreeMap<String, LiveFunction>, Vec<Conflict>) {
    let mut functions = BTreeMap::new();
    let mut conflicts = Vec::new();
    for found in found {
        let FoundFunction {
            name,
            config,
            tags,
            reserved,
        } = found;
        let owner = tags.get(STACK_TAG).cloned();
        if owner.as_deref() != Some(stack) {
            conflicts.push(Conflict {
                kind: "function".to_string(),
                name,
                owner,
                note: None,
            });
            continue;
        }
        let retention = retention.get(&format!("/aws/lambda/{name}")).copied();
        let live = live_function(&name, &config, &tags, reserved, retention.flatten());
        functions.insert(name, live);
    }
    (functions, conflicts)
}

pub(super) fn live_function(
    name: &str,
    config: &FunctionConfiguration,
    tags: &BTreeMap<String, String>,
    reserved_concurrency: Option<i32>,
    log_retention_days: Option<i32>,
) -> LiveFunction {
    LiveFunction {
        name: name.to_string(),
        arn: config.function_arn().unwrap_or_default().to_string(),
        runtime: config
            .runtime()
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
        handler: config.handler().unwrap_or_default().to_string(),
        memory: config.memory_size().unwrap_or(128),
        timeout: config.timeout().unwrap_or(3),
        architecture: config
            .architectures()
            .first()
            .map_or("x86_64".to_string(), |a| a.as_str().to_string()),
        description: config.description().unwrap_or_default().to_string(),
        layers: config
            .layers()
            .iter()
            .filter_map(|l| l.arn().map(str::to_string))
            .collect(),
        reserved_concurrency,
        log_retention_days,
        role: config.role().unwrap_or_default().to_string(),
        environment: config
            .environment()
            .and_then(|e| e.variables())
            .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        code_sha256: config.code_sha256().unwrap_or_default().to_string(),
        tags: user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        applied: tags.get(APPLIED_TAG).cloned(),
        tracing: config
            .tracing_config()
            .and_then(|t| t.mode())
            .map_or("PassThrough".to_string(), |m| m.as_str().to_string()),
        publishes: tags.contains_key(VERSIONS_TAG),
        versions: None,
        vpc: config.vpc_config().and_then(vpc),
    }
}

/// A VpcConfig as declared; `None` when empty (AWS answers empty lists once a function
/// leaves its VPC, moto too).
fn vpc(config: &aws_sdk_lambda::types::VpcConfigResponse) -> Option<crate::stack::VpcSpec> {
    let spec = crate::stack::VpcSpec {
        subnets: config.subnet_ids().iter().cloned().collect(),
        security_groups: config.security_group_ids().iter().cloned().collect(),
    };
    (!spec.subnets.is_empty() || !spec.security_groups.is_empty()).then_some(spec)
}

/// The statement IDs in the resource policies of the functions routes invoke (`routed`), by
/// function name: taken from the API's record when it is current (`recorded`), read otherwise
/// (GetPolicy is held to 15 a second).
pub async fn read_permissions(
    clients: &Clients,
    routed: impl IntoIterator<Item = &String>,
    api_id: Option<&str>,
    recorded: Option<&BTreeMap<String, BTreeSet<String>>>,
) -> Result<BTreeMap<String, BTreeSet<String>>, AwsError> {
    let statement = RoutesStatement {
        id: ROUTES_STATEMENT_ID,
        elsewhere: ROUTES_STATEMENT_ELSEWHERE,
        api_id,
    };
    read_statements(clients, routed, &statement, recorded).await
}

/// The statement stackctl grants the functions of an API's routes: its ID, how it is recorded
/// when it names another API than `api_id`, and that API.
pub struct RoutesStatement<'a> {
    pub id: &'static str,
    pub elsewhere: &'static str,
    pub api_id: Option<&'a str>,
}

/// [`read_permissions`] for the routes `statement` is granted to.
pub async fn read_statements(
    clients: &Clients,
    routed: impl IntoIterator<Item = &String>,
    statement: &RoutesStatement<'_>,
    recorded: Option<&BTreeMap<String, BTreeSet<String>>>,
) -> Result<BTreeMap<String, BTreeSet<String>>, AwsError> {
    if let Some(recorded) = recorded {
        return Ok(routed
            .into_iter()
            .map(|name| {
                (
                    name.clone(),
                    recorded.get(name).cloned().unwrap_or_default(),
                )
            })
            .collect());
    }
    let reads = routed.into_iter().map(|name| async move {
        Ok::<_, AwsError>((
            name.clone(),
            policy_statements(clients, name, statement).await?,
        ))
    });
    Ok(try_join_all(reads).await?.into_iter().collect())
}

/// Retention (days, or none) of the stack's functions' log groups, in one paginated call.
pub async fn log_retention(
    clients: &Clients,
    stack: &str,
) -> Result<BTreeMap<String, Option<i32>>, AwsError> {
    let mut groups = BTreeMap::new();
    let mut pages = clients
        .logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/aws/lambda/{stack}-"))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.op("logs:DescribeLogGroups")?;
        for group in page.log_groups() {
            if let Some(name) = group.log_group_name() {
                groups.insert(name.to_string(), group.retention_in_days());
            }
        }
    }
    Ok(groups)
}

/// The statement IDs of the function's policy (none when it has no policy). The routes'
/// statement counts only when it names `statement.api_id` (`.../API_ID/*`); naming another API,
/// it is recorded as `statement.elsewhere`.
async fn policy_statements(
    clients: &Clients,
    name: &str,
    statement: &RoutesStatement<'_>,
) -> Result<BTreeSet<String>, AwsError> {
    let request = clients.lambda.get_policy().function_name(name);
    let Some(out) = request.send().await.absent_ok("lambda:GetPolicy")? else {
        return Ok(BTreeSet::new());
    };
    let policy: serde_json::Value = out
        .policy()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default();
    let names_api = |s: &serde_json::Value| {
        let source = s["Condition"]["ArnLike"]["AWS:SourceArn"].as_str();
        let api_id = statement.api_id;
        api_id.is_some_and(|id| source.is_some_and(|a| a.ends_with(&format!(":{id}/*"))))
    };
    let statements = policy["Statement"].as_array().into_iter().flatten();
    Ok(statements
        .filter_map(|s| match s["Sid"].as_str()? {
            sid if sid == statement.id && !names_api(s) => Some(statement.elsewhere.to_string()),
            sid => Some(sid.to_string()),
        })
        .collect())
}
