//! Live Lambda functions: GetFunction for each owned or declared one (configuration, tags and
//! reserved concurrency in one call, at Lambda's highest read quota), log retention in one
//! paginated call, and resource policies only for functions that routes invoke, and only when
//! the API's permissions record is not current.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::try_join_all;

use super::{Conflict, LiveFunction, Owned, user_tags};
use crate::aws::{AwsError, Clients, ErrorKind, classify, describe};
use crate::plan::drift::APPLIED_TAG;
use crate::stack::{STACK_TAG, Stack};

pub async fn read_functions(
    clients: &Clients,
    owned: &Owned,
    wanted: &[String],
    route_function_arns: &BTreeSet<String>,
    stack: &Stack,
    recorded: Option<&BTreeMap<String, BTreeSet<String>>>,
) -> Result<(BTreeMap<String, LiveFunction>, Vec<Conflict>), AwsError> {
    let routed: BTreeSet<String> = stack
        .routes
        .iter()
        .map(|r| stack.physical_name(&r.function))
        .chain(
            route_function_arns
                .iter()
                .filter_map(|arn| arn.rsplit(':').next().map(str::to_string)),
        )
        .collect();
    let names: BTreeSet<&String> = owned.functions.keys().chain(wanted).collect();
    let retention = log_retention(clients, &stack.name);
    // GetFunction returns configuration, tags and reserved concurrency in one call, and has
    // a far higher quota (100/s) than the other Lambda reads.
    let reads = names.into_iter().map(|name| {
        let with_policy = routed.contains(name);
        async move {
            let out = match clients
                .lambda
                .get_function()
                .function_name(name.as_str())
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) if classify(&e) == ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(describe("lambda:GetFunction", e)),
            };
            // When the API records that its routes' permissions are as stackctl granted them,
            // the policies are not read (GetPolicy is held to 15 a second).
            let permissions = match recorded {
                Some(recorded) => recorded.get(name).cloned().unwrap_or_default(),
                None if with_policy => policy_statements(clients, name).await?,
                None => BTreeSet::new(),
            };
            Ok::<_, AwsError>(Some((name.clone(), out, permissions)))
        }
    });
    let (found, retention) = tokio::try_join!(try_join_all(reads), retention)?;

    let mut functions = BTreeMap::new();
    let mut conflicts = Vec::new();
    for (name, out, permissions) in found.into_iter().flatten() {
        let tags = out.tags().cloned().unwrap_or_default();
        let owner = tags.get(STACK_TAG).cloned();
        if owner.as_deref() != Some(stack.name.as_str()) {
            conflicts.push(Conflict {
                kind: "function".to_string(),
                name,
                owner,
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
            permissions,
        };
        functions.insert(name, live);
    }
    Ok((functions, conflicts))
}

/// Retention (days, or none) of the stack's functions' log groups, in one paginated call.
async fn log_retention(
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
        let page = page.map_err(|e| describe("logs:DescribeLogGroups", e))?;
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
