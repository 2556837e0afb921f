//! Published versions and aliases of the functions that publish: ListVersionsByFunction and
//! ListAliases, concurrently, only for functions whose stack file section says `publish = true`
//! or that carry `marks::VERSIONS_TAG`.

use std::collections::BTreeMap;

use futures::future::try_join_all;

use aws_sdk_lambda::types::FunctionConfiguration;

use super::lambda::live_function;
use super::{LiveAlias, LiveFunction, LiveVersions};
use crate::aws::{AwsError, CallResult, Clients};
use crate::stack::Stack;

/// Fills in [`LiveFunction::versions`] of the functions that publish, or did.
pub async fn read(
    clients: &Clients,
    stack: &Stack,
    functions: &mut BTreeMap<String, LiveFunction>,
) -> Result<(), AwsError> {
    let declared = |name: &str| {
        stack
            .functions
            .iter()
            .any(|f| f.versions.is_some() && stack.function_name(&f.logical) == name)
    };
    let reads = functions
        .values()
        .filter(|f| f.publishes || declared(&f.name))
        .map(|f| async move {
            let (versions, aliases) =
                tokio::try_join!(newest_version(clients, &f.name), aliases(clients, &f.name))?;
            let latest_current = versions.as_ref().is_some_and(|v| same_published(f, v));
            let read = LiveVersions {
                latest: versions.map(|v| v.version),
                latest_current,
                aliases,
            };
            Ok::<_, AwsError>((f.name.clone(), read))
        });
    for (name, read) in try_join_all(reads).await? {
        if let Some(f) = functions.get_mut(&name) {
            f.versions = Some(read);
        }
    }
    Ok(())
}

/// The newest published version: its number and what it holds.
struct Published {
    version: i64,
    function: LiveFunction,
}

/// ListVersionsByFunction, every page (50 versions a page, oldest first); `$LATEST` is not a
/// published version.
async fn newest_version(clients: &Clients, name: &str) -> Result<Option<Published>, AwsError> {
    let mut newest: Option<(i64, FunctionConfiguration)> = None;
    let request = clients
        .lambda
        .list_versions_by_function()
        .function_name(name);
    let mut pages = request.into_paginator().send();
    while let Some(page) = pages.next().await {
        for config in page.op("lambda:ListVersionsByFunction")?.versions() {
            let number = config.version().and_then(|v| v.parse::<i64>().ok());
            if let Some(n) = number.filter(|n| newest.as_ref().is_none_or(|(m, _)| n > m)) {
                newest = Some((n, config.clone()));
            }
        }
    }
    Ok(newest.map(|(version, config)| Published {
        version,
        function: live_function(name, &config, &BTreeMap::new(), None, None),
    }))
}

/// Whether `$LATEST` (`live`) holds what the published version does: a version is a snapshot
/// of code and configuration (PublishVersion API reference).
fn same_published(live: &LiveFunction, published: &Published) -> bool {
    let v = &published.function;
    (
        &live.code_sha256,
        &live.runtime,
        &live.handler,
        live.memory,
        live.timeout,
        &live.architecture,
        &live.description,
        &live.layers,
        &live.role,
        &live.environment,
        &live.tracing,
    ) == (
        &v.code_sha256,
        &v.runtime,
        &v.handler,
        v.memory,
        v.timeout,
        &v.architecture,
        &v.description,
        &v.layers,
        &v.role,
        &v.environment,
        &v.tracing,
    )
}

/// ListAliases, every page: each alias's version and weighted versions.
async fn aliases(clients: &Clients, name: &str) -> Result<BTreeMap<String, LiveAlias>, AwsError> {
    let mut aliases = BTreeMap::new();
    let mut pages = clients
        .lambda
        .list_aliases()
        .function_name(name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for alias in page.op("lambda:ListAliases")?.aliases() {
            let weights = alias
                .routing_config()
                .and_then(|r| r.additional_version_weights())
                .map(|w| w.iter().map(|(k, v)| (k.clone(), *v)).collect())
                .unwrap_or_default();
            aliases.insert(
                alias.name().unwrap_or_default().to_string(),
                LiveAlias {
                    version: alias.function_version().unwrap_or_default().to_string(),
                    weights,
                },
            );
        }
    }
    Ok(aliases)
}
