//! Live Lambda functions: GetFunction for each owned or declared one (configuration, tags and
//! reserved concurrency in one call, at Lambda's highest read quota), log retention in one
//! paginated call, and resource policies only for functions that routes invoke, and only when
//! the API's permissions record is not current.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::try_join_all;

use aws_sdk_lambda::operation::get_function::GetFunctionOutput;

use super::{Conflict, LiveFunction, user_tags};
use crate::aws::{AwsError, CallResult, Clients, ErrorKind, classify, describe};
use crate::marks::APPLIED_TAG;
use crate::marks::STACK_TAG;

/// GetFunction for each of these names (absent ones left out): configuration, tags and
/// reserved concurrency in one call, at a far higher quota (100/s) than the other reads.
pub async fn get_functions(
    clients: &Clients,
    names: impl IntoIterator<Item = &String>,
) -> Result<Vec<(String, GetFunctionOutput)>, AwsError> {
    let reads = names.into_iter().map(|name| async move {
        match clients
            .lambda
            .get_function()
            .function_name(name.as_str())
            .send()
            .await
        {
            Ok(out) => Ok(Some((name.clone(), out))),
            Err(e) if classify(&e) == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(describe("lambda:GetFunction", e)),
        }
    });
    Ok(try_join_all(reads).await?.into_iter().flatten().collect())
}

/// Sorts read functions into the stack's (by their own tags) and the ones in its way.
pub fn claim(
    found: Vec<(String, GetFunctionOutput)>,
    retention: &BTreeMap<String, Option<i32>>,
    stack: &str,
) -> (BTreeMap<String, LiveFunction>, Vec<Conflict>) {
    let mut functions = BTreeMap::new();
    let mut conflicts = Vec::new();
    for (name, out) in found {
        let tags = out.tags().cloned().unwrap_or_default();
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
        let Some(config) = out.configuration() else {
            continue;
        };
        let live = LiveFunction {
            name: name.clone(),
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
            reserved_concurrency: out
                .concurrency()
                .and_then(|c| c.reserved_concurrent_executions()),
            log_retention_days: retention
                .get(&format!("/aws/lambda/{name}"))
                .copied()
                .flatten(),
            role: config.role().unwrap_or_default().to_string(),
            environment: config
                .environment()
                .and_then(|e| e.variables())
                .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            code_sha256: config.code_sha256().unwrap_or_default().to_string(),
            tags: user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            applied: tags.get(APPLIED_TAG).cloned(),
        };
        functions.insert(name, live);
    }
    (functions, conflicts)
}

/// The statement IDs in the resource policies of the functions routes invoke (`routed`), by
/// function name: taken from the API's record when it is current (`recorded`), read otherwise
/// (GetPolicy is held to 15 a second).
pub async fn read_permissions(
    clients: &Clients,
    routed: impl IntoIterator<Item = &String>,
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
        Ok::<_, AwsError>((name.clone(), policy_statements(clients, name).await?))
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

/// The statement IDs of a function's resource policy (none when it has no policy).
async fn policy_statements(clients: &Clients, name: &str) -> Result<BTreeSet<String>, AwsError> {
    let out = match clients.lambda.get_policy().function_name(name).send().await {
        Ok(out) => out,
        Err(e) if classify(&e) == ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(e) => return Err(describe("lambda:GetPolicy", e)),
    };
    let policy: serde_json::Value = out
        .policy()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default();
    Ok(policy["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["Sid"].as_str().map(str::to_string))
        .collect())
}
