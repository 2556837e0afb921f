//! Creating, updating and deleting functions. Code and configuration are separate calls, and
//! each waits for `LastUpdateStatus = Successful`, so the next never meets a
//! ResourceConflictException. Only what changed is sent.

mod settings;

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Architecture, Environment, FunctionCode, Runtime};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::wait::{self, Status};
use super::{Context, removed_tags, role_output};
use crate::aws::{AwsError, CallResult, ErrorKind, classify, describe, other};
use crate::live::LiveFunction;
use crate::marks::STACK_TAG;
use crate::marks::{APPLIED_TAG, CONCURRENCY_TAG, VERSIONS_TAG};
use crate::package::Package;
use crate::plan::{Action, Change, Desired, FunctionAttr, FunctionDesired, Live, RoleSource};
use crate::stack::{Address, RefAttr, RefTarget, Reference};

const FUNCTION_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// How long a new role may take to become usable by Lambda (IAM is eventually consistent).
const ROLE_PROPAGATION: Duration = Duration::from_secs(90);

pub async fn apply(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    match change.parts(Desired::function, Live::function) {
        (Action::Create, Some(d), _) => {
            create(ctx, &change.address, d).await?;
            super::versions::apply(ctx, change, d, None).await?;
            record_versions_applied(ctx, change, d).await
        }
        (Action::Update, Some(d), Some(l)) => {
            update(ctx, change, d, l).await?;
            super::versions::apply(ctx, change, d, Some(l)).await?;
            record_versions_applied(ctx, change, d).await
        }
        (Action::Delete, _, Some(l)) => delete(ctx, &l.name).await,
        _ => Ok(()),
    }
}

fn package<'a>(ctx: &'a Context<'_>, d: &FunctionDesired) -> Result<&'a Package, AwsError> {
    let package = ctx.packages.get(&d.spec.logical).ok_or_else(|| {
        other(
            "package",
            format!("no package was built for function {}", d.spec.logical),
        )
    })?;
    if package.sha256 != d.code_sha256 {
        return Err(other(
            "package",
            format!(
                "the code of function {} changed since the plan was made; plan again",
                d.spec.logical
            ),
        ));
    }
    Ok(package)
}

/// Where Lambda takes the code from: the request itself, or S3 for large packages (uploaded
/// once per content hash).
enum CodeSource {
    Inline(Blob),
    S3 { bucket: String, key: String },
}

async fn code_source(ctx: &Context<'_>, d: &FunctionDesired) -> Result<CodeSource, AwsError> {
    let package = package(ctx, d)?;
    let Some(bucket) = d.artifact_bucket.as_ref().filter(|_| package.needs_s3()) else {
        return Ok(CodeSource::Inline(Blob::new(package.bytes.as_slice())));
    };
    let key = crate::marks::artifact_key(&d.stack, &d.spec.logical, &package.sha256_hex());
    let s3 = &ctx.clients.s3;
    let exists = match s3.head_object().bucket(bucket).key(&key).send().await {
        Ok(_) => true,
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => false,
        Err(e) => return Err(describe("s3:HeadObject", e)),
    };
    if !exists {
        s3.put_object()
            .bucket(bucket)
            .key(&key)
            .body(package.bytes.to_vec().into())
            .send()
            .await
            .op("s3:PutObject")?;
    }
    Ok(CodeSource::S3 {
        bucket: bucket.clone(),
        key,
    })
}

fn role_arn(ctx: &Context<'_>, d: &FunctionDesired) -> Result<String, AwsError> {
    match &d.role {
        RoleSource::Arn(arn) => Ok(arn.clone()),
        RoleSource::Managed { name, arn } => ctx
            .output(&role_output(name))
            .or_else(|| arn.clone())
            .ok_or_else(|| other("iam", format!("the ARN of role {name} is not known"))),
    }
}

fn environment(ctx: &Context<'_>, d: &FunctionDesired) -> Result<Environment, AwsError> {
    let variables = d
        .spec
        .environment
        .iter()
        .map(|(k, v)| {
            let value = v.value.resolve(|r| ctx.resolve(r)).ok_or_else(|| {
                other(
                    "environment",
                    format!("{k} refers to a value that is not known"),
                )
            })?;
            Ok((k.clone(), value))
        })
        .collect::<Result<HashMap<_, _>, AwsError>>()?;
    Ok(Environment::builder()
        .set_variables(Some(variables))
        .build())
}

fn architecture(d: &FunctionDesired) -> Architecture {
    Architecture::from(d.spec.architecture.as_str())
}

async fn create(ctx: &Context<'_>, address: &Address, d: &FunctionDesired) -> Result<(), AwsError> {
    let code = match code_source(ctx, d).await? {
        CodeSource::Inline(blob) => FunctionCode::builder().zip_file(blob).build(),
        CodeSource::S3 { bucket, key } => FunctionCode::builder()
            .s3_bucket(bucket)
            .s3_key(key)
            .build(),
    };
    let role = role_arn(ctx, d)?;
    let env = environment(ctx, d)?;
    let mut tags = desired_tags(d);
    tags.insert(STACK_TAG.to_string(), d.stack.clone());

    let start = tokio::time::Instant::now();
    let mut delay = Duration::from_secs(1);
    let arn = loop {
        let result = ctx
            .clients
            .lambda
            .create_function()
            .function_name(&d.name)
            .runtime(Runtime::from(d.spec.runtime.as_str()))
            .handler(&d.spec.handler)
            .role(&role)
            .code(code.clone())
            .memory_size(d.spec.memory)
            .timeout(d.spec.timeout)
            .architectures(architecture(d))
            .description(&d.spec.description)
            .set_layers(Some(d.spec.layers.clone()))
            .environment(env.clone())
            .set_tags(Some(tags.clone()))
            .set_tracing_config(d.spec.tracing.map(settings::tracing_config))
            .set_vpc_config(d.spec.vpc.as_ref().map(|_| settings::vpc_config(d)))
            .send()
            .await;
        match result {
            Ok(out) => break out.function_arn().unwrap_or_default().to_string(),
            // This call's own answer was lost and the SDK sent it again, or an interrupted
            // apply made it: take it up if it is ours.
            Err(e) if classify(&e) == ErrorKind::Conflict => break adopt(ctx, d).await?,
            Err(e) if role_unseen(d, &role, &e, start.elapsed())? => {
                ctx.reporter
                    .progress(address, "waiting for the new role to reach Lambda");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            Err(e) => return Err(describe("lambda:CreateFunction", e)),
        }
    };
    wait_updated(ctx, address, &d.name).await?;
    if let Some(n) = d.spec.reserved_concurrency {
        settings::set_concurrency(ctx, &d.name, Some(n)).await?;
    }
    if let Some(days) = d.spec.log_retention_days {
        settings::set_retention(ctx, &d.name, Some(days)).await?;
    }
    ctx.set_output(
        Reference {
            target: RefTarget::Function(d.spec.logical.clone()),
            attr: RefAttr::Arn,
        }
        .to_string(),
        arn,
    );
    Ok(())
}

/// Whether CreateFunction's error `e` says that Lambda cannot assume a role this apply created
/// moments ago (IAM is eventually consistent: wait while `waited` is under ROLE_PROPAGATION).
/// A role the stack file names is the user's, and waiting would not fix its trust policy: that
/// is an error at once, saying what the policy needs.
fn role_unseen<E: ProvideErrorMetadata>(
    d: &FunctionDesired,
    role: &str,
    e: &E,
    waited: Duration,
) -> Result<bool, AwsError> {
    let message = e.message().unwrap_or_default();
    // A managed role's new VPC statement may not have reached Lambda yet either.
    let vpc_unseen = message.contains("permissions to call CreateNetworkInterface");
    if !message.contains("cannot be assumed") && !vpc_unseen {
        return Ok(false);
    }
    if matches!(d.role, RoleSource::Arn(_)) {
        if vpc_unseen {
            // The role is the user's: its policy needs the ENI actions; Lambda's message says so.
            return Ok(false);
        }
        return Err(other(
            "lambda:CreateFunction",
            format!(
                "{message} The stack file names the role {role}: its trust policy must let \
                 lambda.amazonaws.com call sts:AssumeRole (or remove `role` and let stackctl \
                 manage one)."
            ),
        ));
    }
    Ok(waited < ROLE_PROPAGATION)
}

/// The ARN of the function `d` names, which exists already: ours when it carries the stack's
/// tag. Whatever differs from `d` in it shows in the next plan.
async fn adopt(ctx: &Context<'_>, d: &FunctionDesired) -> Result<String, AwsError> {
    let out = get_function(ctx, &d.name).await?;
    let owner = out.tags().and_then(|t| t.get(STACK_TAG)).cloned();
    if owner.as_ref() != Some(&d.stack) {
        return Err(AwsError::NotOwned {
            kind: "function".to_string(),
            name: d.name.clone(),
            owner,
        });
    }
    Ok(out
        .configuration()
        .and_then(|c| c.function_arn())
        .unwrap_or_default()
        .to_string())
}

/// Sends only what changed: code, then configuration, then concurrency, log retention and
/// tags, each waiting for the function to settle before the next.
async fn update(
    ctx: &Context<'_>,
    change: &Change,
    d: &FunctionDesired,
    live: &LiveFunction,
) -> Result<(), AwsError> {
    // The architecture is part of the code: it changes with UpdateFunctionCode.
    if change.changed(FunctionAttr::CodeSha256) || change.changed(FunctionAttr::Architecture) {
        update_code(ctx, &change.address, d).await?;
    }
    if CONFIGURATION.iter().any(|f| change.changed(*f)) {
        update_configuration(ctx, change, d).await?;
    }
    if change.changed(FunctionAttr::ReservedConcurrency) {
        settings::set_concurrency(ctx, &d.name, d.spec.reserved_concurrency).await?;
        if d.spec.reserved_concurrency.is_none() {
            let untag = ctx.clients.lambda.untag_resource().resource(&live.arn);
            let untag = untag.tag_keys(CONCURRENCY_TAG).send().await;
            untag.op("lambda:UntagResource")?;
        }
    }
    if change.changed(FunctionAttr::LogRetentionDays) {
        settings::set_retention(ctx, &d.name, d.spec.log_retention_days).await?;
    }
    update_tags(ctx, d, live, change.changed(FunctionAttr::Tags)).await
}

/// What UpdateFunctionConfiguration sets.
const CONFIGURATION: [FunctionAttr; 10] = [
    FunctionAttr::Tracing,
    FunctionAttr::Runtime,
    FunctionAttr::Handler,
    FunctionAttr::Memory,
    FunctionAttr::Timeout,
    FunctionAttr::Role,
    FunctionAttr::Environment,
    FunctionAttr::Description,
    FunctionAttr::Layers,
    FunctionAttr::Vpc,
];

async fn update_code(
    ctx: &Context<'_>,
    address: &Address,
    d: &FunctionDesired,
) -> Result<(), AwsError> {
    let request = ctx
        .clients
        .lambda
        .update_function_code()
        .function_name(&d.name)
        .architectures(architecture(d));
    let request = match code_source(ctx, d).await? {
        CodeSource::Inline(blob) => request.zip_file(blob),
        CodeSource::S3 { bucket, key } => request.s3_bucket(bucket).s3_key(key),
    };
    request.send().await.op("lambda:UpdateFunctionCode")?;
    wait_updated(ctx, address, &d.name).await
}

/// One UpdateFunctionConfiguration with the fields that changed.
async fn update_configuration(
    ctx: &Context<'_>,
    change: &Change,
    d: &FunctionDesired,
) -> Result<(), AwsError> {
    let changed = |attr| change.changed(attr);
    let mut request = ctx
        .clients
        .lambda
        .update_function_configuration()
        .function_name(&d.name);
    if changed(FunctionAttr::Runtime) {
        request = request.runtime(Runtime::from(d.spec.runtime.as_str()));
    }
    if changed(FunctionAttr::Handler) {
        request = request.handler(&d.spec.handler);
    }
    if changed(FunctionAttr::Memory) {
        request = request.memory_size(d.spec.memory);
    }
    if changed(FunctionAttr::Timeout) {
        request = request.timeout(d.spec.timeout);
    }
    if changed(FunctionAttr::Role) {
        request = request.role(role_arn(ctx, d)?);
    }
    if changed(FunctionAttr::Environment) {
        request = request.environment(environment(ctx, d)?);
    }
    if changed(FunctionAttr::Description) {
        request = request.description(&d.spec.description);
    }
    if changed(FunctionAttr::Layers) {
        request = request.set_layers(Some(d.spec.layers.clone()));
    }
    if changed(FunctionAttr::Tracing) {
        let mode = d.spec.tracing.unwrap_or(crate::stack::Tracing::Passthrough);
        request = request.tracing_config(settings::tracing_config(mode));
    }
    if changed(FunctionAttr::Vpc) {
        request = request.vpc_config(settings::vpc_config(d));
    }
    request
        .send()
        .await
        .op("lambda:UpdateFunctionConfiguration")?;
    wait_updated(ctx, &change.address, &d.name).await
}

/// The user's tags when they changed (those removed first), and the fingerprint of what is
/// now applied.
async fn update_tags(
    ctx: &Context<'_>,
    d: &FunctionDesired,
    live: &LiveFunction,
    user_tags_changed: bool,
) -> Result<(), AwsError> {
    let lambda = &ctx.clients.lambda;
    let mut removed = removed_tags(&live.tags, &d.spec.tags);
    if live.publishes && d.spec.versions.is_none() {
        removed.push(VERSIONS_TAG.to_string());
    }
    if (user_tags_changed || live.publishes) && !removed.is_empty() {
        lambda
            .untag_resource()
            .resource(&live.arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .op("lambda:UntagResource")?;
    }
    lambda
        .tag_resource()
        .resource(&live.arn)
        .set_tags(Some(desired_tags(d)))
        .send()
        .await
        .op("lambda:TagResource")?;
    Ok(())
}

/// Once the version and aliases are applied, the fingerprint that vouches for them replaces the
/// one written with the configuration (see `FunctionDesired::applied_before_versions`).
async fn record_versions_applied(
    ctx: &Context<'_>,
    change: &Change,
    d: &FunctionDesired,
) -> Result<(), AwsError> {
    if d.applied == d.applied_before_versions {
        return Ok(());
    }
    let arn = ctx.resolve(&Reference {
        target: RefTarget::Function(d.spec.logical.clone()),
        attr: RefAttr::Arn,
    });
    let live = change.live.as_ref().and_then(Live::function);
    let Some(arn) = arn.or_else(|| live.map(|l| l.arn.clone())) else {
        return Ok(());
    };
    let tags = HashMap::from([(APPLIED_TAG.to_string(), d.applied.clone())]);
    let request = ctx.clients.lambda.tag_resource().resource(arn);
    request
        .set_tags(Some(tags))
        .send()
        .await
        .op("lambda:TagResource")?;
    Ok(())
}

/// The user's tags, the fingerprint of what apply makes live and the reserved concurrency
/// stackctl sets ([`CONCURRENCY_TAG`]).
fn desired_tags(d: &FunctionDesired) -> HashMap<String, String> {
    let mut tags: HashMap<String, String> = d.spec.tags.clone().into_iter().collect();
    if !d.applied_before_versions.is_empty() {
        tags.insert(APPLIED_TAG.to_string(), d.applied_before_versions.clone());
    }
    if let Some(n) = d.spec.reserved_concurrency {
        tags.insert(CONCURRENCY_TAG.to_string(), n.to_string());
    }
    if d.spec.versions.is_some() {
        tags.insert(VERSIONS_TAG.to_string(), "1".to_string());
    }
    tags
}

async fn delete(ctx: &Context<'_>, name: &str) -> Result<(), AwsError> {
    ctx.clients
        .lambda
        .delete_function()
        .function_name(name)
        .send()
        .await
        .absent_ok("lambda:DeleteFunction")
        .map(|_| ())
}

/// GetFunction: the function's configuration and tags.
async fn get_function(ctx: &Context<'_>, name: &str) -> Result<GetFunctionOutput, AwsError> {
    let request = ctx.clients.lambda.get_function().function_name(name);
    request.send().await.op("lambda:GetFunction")
}

/// Waits until the function is Active and its last update Successful.
async fn wait_updated(ctx: &Context<'_>, address: &Address, name: &str) -> Result<(), AwsError> {
    wait::until(ctx, address, "function state", FUNCTION_TIMEOUT, || async {
        let out = get_function(ctx, name).await?;
        let Some(config) = out.configuration() else {
            return Ok(Status::Pending("unknown".to_string()));
        };
        let state = config.state().map_or("Active", |s| s.as_str());
        let update = config
            .last_update_status()
            .map_or("Successful", |s| s.as_str());
        Ok(match (state, update) {
            ("Active", "Successful") => Status::Ready(()),
            ("Failed", _) => Status::Failed {
                status: "Failed".to_string(),
                reason: config.state_reason().map(str::to_string),
            },
            (_, "Failed") => Status::Failed {
                status: "update Failed".to_string(),
                reason: config.last_update_status_reason().map(str::to_string),
            },
            (state, update) => Status::Pending(format!("{state}, last update {update}")),
        })
    })
    .await
}
