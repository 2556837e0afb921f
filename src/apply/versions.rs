//! A function's versions and aliases, after its code and configuration: PublishVersion when
//! the plan says a new version is due, then CreateAlias, UpdateAlias and DeleteAlias for the
//! aliases that differ from what they should point at.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_lambda::types::AliasRoutingConfiguration;

use super::Context;
use crate::aws::{AwsError, CallResult, other};
use crate::live::{LiveAlias, LiveFunction};
use crate::plan::{AliasTarget, Change, FunctionAttr, FunctionDesired, resolve_aliases};

/// Publishes a version when the change asks for one (a new function always), and points the
/// aliases. Without `publish`, removes the aliases stackctl made.
pub async fn apply(
    ctx: &Context<'_>,
    change: &Change,
    d: &FunctionDesired,
    live: Option<&LiveFunction>,
) -> Result<(), AwsError> {
    let read = live.and_then(|l| l.versions.as_ref());
    let live_aliases = read.map(|v| v.aliases.clone()).unwrap_or_default();
    let Some(versioning) = &d.spec.versions else {
        for name in live_aliases.keys() {
            delete_alias(ctx, &d.name, name).await?;
        }
        return Ok(());
    };
    let latest = match live.is_none() || change.changed(FunctionAttr::Version) {
        true => Some(publish(ctx, d).await?),
        false => read.and_then(|v| v.latest),
    };
    for (name, target) in resolve_aliases(versioning, latest) {
        let target = target.ok_or_else(|| {
            other(
                "lambda:CreateAlias",
                format!("alias {name} of {} points at no published version", d.name),
            )
        })?;
        match live_aliases.get(&name) {
            Some(l) if points_at(l, &target) => {}
            Some(_) => put_alias(ctx, &d.name, &name, &target, true).await?,
            None => put_alias(ctx, &d.name, &name, &target, false).await?,
        }
    }
    for name in live_aliases.keys() {
        if !versioning.aliases.contains_key(name) {
            delete_alias(ctx, &d.name, name).await?;
        }
    }
    Ok(())
}

/// PublishVersion of what `$LATEST` holds, guarded by the code's hash (Lambda refuses when the
/// code changed since the plan); the new version's number.
async fn publish(ctx: &Context<'_>, d: &FunctionDesired) -> Result<i64, AwsError> {
    let out = ctx
        .clients
        .lambda
        .publish_version()
        .function_name(&d.name)
        .code_sha256(&d.code_sha256)
        .send()
        .await
        .op("lambda:PublishVersion")?;
    out.version()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| other("lambda:PublishVersion", "no version number in the answer"))
}

fn points_at(live: &LiveAlias, target: &AliasTarget) -> bool {
    let weights: BTreeMap<String, f64> = target.weighted.iter().cloned().collect();
    live.version == target.version && live.weights == weights
}

/// CreateAlias, or UpdateAlias of an existing one (an empty routing configuration removes its
/// weights).
async fn put_alias(
    ctx: &Context<'_>,
    function: &str,
    name: &str,
    target: &AliasTarget,
    exists: bool,
) -> Result<(), AwsError> {
    let weights: HashMap<String, f64> = target.weighted.iter().cloned().collect();
    let routing = AliasRoutingConfiguration::builder()
        .set_additional_version_weights(Some(weights))
        .build();
    let lambda = &ctx.clients.lambda;
    if exists {
        let request = lambda.update_alias().function_name(function).name(name);
        let request = request
            .function_version(&target.version)
            .routing_config(routing);
        request.send().await.op("lambda:UpdateAlias")?;
    } else {
        let request = lambda.create_alias().function_name(function).name(name);
        let request = request
            .function_version(&target.version)
            .routing_config(routing);
        request.send().await.op("lambda:CreateAlias")?;
    }
    Ok(())
}

async fn delete_alias(ctx: &Context<'_>, function: &str, name: &str) -> Result<(), AwsError> {
    let request = ctx.clients.lambda.delete_alias().function_name(function);
    request
        .name(name)
        .send()
        .await
        .absent_ok("lambda:DeleteAlias")
        .map(drop)
}
