//! Live Lambda functions: one paginated ListFunctions for all configurations, tags from the
//! tagging index, and resource policies only for functions that routes invoke.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::try_join_all;

use super::{Conflict, LiveFunction, Owned, user_tags};
use crate::aws::{AwsError, Clients, ErrorKind, classify, describe};
use crate::stack::{STACK_TAG, Stack};

pub async fn read_functions(
    clients: &Clients,
    owned: &Owned,
    wanted: &[String],
    route_function_arns: &BTreeSet<String>,
    stack: &Stack,
) -> Result<(BTreeMap<String, LiveFunction>, Vec<Conflict>), AwsError> {
    let mut configs = BTreeMap::new();
    let mut pages = clients.lambda.list_functions().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| describe("lambda:ListFunctions", e))?;
        for f in page.functions() {
            let Some(name) = f.function_name() else {
                continue;
            };
            if owned.functions.contains_key(name) || wanted.iter().any(|w| w == name) {
                configs.insert(name.to_string(), f.clone());
            }
        }
    }

    let mut tags_by_name = owned.functions.clone();
    let mut conflicts = Vec::new();
    // Wanted names the tagging index did not return: taken by someone else, or ours and not
    // indexed yet. GetFunction tells which.
    let unindexed: Vec<&String> = configs
        .keys()
        .filter(|n| !owned.functions.contains_key(*n))
        .collect();
    let probes = unindexed.iter().map(|name| async move {
        let out = clients
            .lambda
            .get_function()
            .function_name(name.as_str())
            .send()
            .await
            .map_err(|e| describe("lambda:GetFunction", e))?;
        Ok::<_, AwsError>((name.to_string(), out.tags().cloned().unwrap_or_default()))
    });
    for (name, tags) in try_join_all(probes).await? {
        let owner = tags.get(STACK_TAG).cloned();
        if owner.as_deref() == Some(stack.name.as_str()) {
            tags_by_name.insert(name, tags.into_iter().collect());
        } else {
            configs.remove(&name);
            conflicts.push(Conflict {
                kind: "function".to_string(),
                name,
                owner,
            });
        }
    }

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
    let reads = configs
        .iter()
        .filter(|(name, _)| tags_by_name.contains_key(*name))
        .map(|(name, config)| {
            let tags = &tags_by_name[name];
            let with_policy = routed.contains(name);
            async move {
                let permissions = if with_policy {
                    policy_statements(clients, name).await?
                } else {
                    BTreeSet::new()
                };
                Ok::<_, AwsError>(LiveFunction {
                    name: name.clone(),
                    arn: config.function_arn().unwrap_or_default().to_string(),
                    runtime: config
                        .runtime()
                        .map(|r| r.as_str().to_string())
                        .unwrap_or_default(),
                    handler: config.handler().unwrap_or_default().to_string(),
                    memory: config.memory_size().unwrap_or(128),
                    timeout: config.timeout().unwrap_or(3),
                    role: config.role().unwrap_or_default().to_string(),
                    environment: config
                        .environment()
                        .and_then(|e| e.variables())
                        .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                        .unwrap_or_default(),
                    code_sha256: config.code_sha256().unwrap_or_default().to_string(),
                    tags: user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                    permissions,
                })
            }
        });
    let functions = try_join_all(reads)
        .await?
        .into_iter()
        .map(|f| (f.name.clone(), f))
        .collect();
    Ok((functions, conflicts))
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
