//! A table's auto scaling, after the table itself: Application Auto Scaling's scalable targets
//! (RegisterScalableTarget) and stackctl's target-tracking policy on each (PutScalingPolicy),
//! sent only where the live ones differ; targets the stack file no longer declares, and those
//! of a deleted table or index, are deregistered (which deletes their policies and alarms).
//! DeleteTable leaves a table's scalable targets behind, so stackctl removes them. Sources:
//! <https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html>,
//! <https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScalingPolicy.html>,
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/AutoScaling.Console.html>.

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};

use super::Context;
use crate::aws::{AwsError, CallResult, invalid_request};
use crate::live::autoscaling::{Dimension, resource_id};
use crate::live::{LiveAutoscaling, LiveScaling, LiveTable};
use crate::marks::scaling_policy_name;
use crate::plan::TableDesired;
use crate::stack::{Address, Autoscaling, CapacityScaling};

/// One table or index: what the stack file declares, and what is live.
struct Scaled<'a> {
    resource: String,
    index: bool,
    desired: CapacityScaling,
    live: Option<&'a LiveAutoscaling>,
}

/// Brings the auto scaling of the table `d` and of its global indexes to what `d` declares;
/// `live` is the table as read before the plan (`None` for a table just created).
///
/// # Errors
/// The first failed Application Auto Scaling request.
pub async fn sync(
    ctx: &Context<'_>,
    address: &Address,
    d: &TableDesired,
    live: Option<&LiveTable>,
) -> Result<(), AwsError> {
    let live_index = |name: &str| {
        live.and_then(|l| l.global_indexes.iter().find(|i| i.spec.name == name))
            .map(|i| &i.autoscaling)
    };
    let mut scaled = vec![Scaled {
        resource: resource_id(&d.name, None),
        index: false,
        desired: d.spec.autoscaling,
        live: live.map(|l| &l.autoscaling),
    }];
    for index in &d.spec.global_indexes {
        scaled.push(Scaled {
            resource: resource_id(&d.name, Some(&index.name)),
            index: true,
            desired: index.autoscaling,
            live: live_index(&index.name),
        });
    }
    for (name, gone) in live
        .into_iter()
        .flat_map(|l| &l.global_indexes)
        .filter_map(|i| {
            let kept = d.spec.global_indexes.iter().any(|g| g.name == i.spec.name);
            (!kept).then_some((&i.spec.name, &i.autoscaling))
        })
    {
        scaled.push(Scaled {
            resource: resource_id(&d.name, Some(name)),
            index: true,
            desired: CapacityScaling::default(),
            live: Some(gone),
        });
    }
    for one in &scaled {
        for dimension in Dimension::BOTH {
            let desired = match dimension {
                Dimension::Read => one.desired.read,
                Dimension::Write => one.desired.write,
            };
            let live = one.live.and_then(|l| l.get(dimension));
            sync_one(ctx, address, one, dimension, desired.as_ref(), live).await?;
        }
    }
    Ok(())
}

/// Deregisters every scalable target of a deleted table and of its indexes.
///
/// # Errors
/// A failed DeregisterScalableTarget (one already gone is not an error).
pub async fn deregister_all(
    ctx: &Context<'_>,
    address: &Address,
    live: &LiveTable,
) -> Result<(), AwsError> {
    let resources = std::iter::once((resource_id(&live.name, None), false, &live.autoscaling))
        .chain(live.global_indexes.iter().map(|i| {
            (
                resource_id(&live.name, Some(&i.spec.name)),
                true,
                &i.autoscaling,
            )
        }));
    for (resource, index, scaling) in resources {
        for dimension in Dimension::BOTH {
            if scaling.get(dimension).is_some() {
                deregister(ctx, address, &resource, index, dimension).await?;
            }
        }
    }
    Ok(())
}

async fn sync_one(
    ctx: &Context<'_>,
    address: &Address,
    one: &Scaled<'_>,
    dimension: Dimension,
    desired: Option<&Autoscaling>,
    live: Option<&LiveScaling>,
) -> Result<(), AwsError> {
    let Some(desired) = desired else {
        if live.is_some() {
            deregister(ctx, address, &one.resource, one.index, dimension).await?;
        }
        return Ok(());
    };
    let what = describe(&one.resource, dimension);
    if live.is_none_or(|l| (l.min, l.max) != (desired.min, desired.max)) {
        ctx.reporter
            .progress(address, &format!("{what}: registering scalable target"));
        ctx.clients
            .autoscaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Dynamodb)
            .resource_id(&one.resource)
            .scalable_dimension(dimension.scalable(one.index))
            .min_capacity(to_i32(desired.min))
            .max_capacity(to_i32(desired.max))
            .send()
            .await
            .op("application-autoscaling:RegisterScalableTarget")?;
    }
    if !policy_matches(live, desired) {
        ctx.reporter
            .progress(address, &format!("{what}: putting target-tracking policy"));
        put_policy(ctx, one, dimension, desired).await?;
    }
    Ok(())
}

/// Whether stackctl's live policy already tracks `desired`'s target with its cooldowns (one
/// the stack file leaves out is AWS's default for DynamoDB, 0 seconds: see
/// `plan::autoscaling`). The emulator keeps the old alarms of a policy put again, and AWS
/// replaces them: either way, a policy is put only when it differs.
fn policy_matches(live: Option<&LiveScaling>, desired: &Autoscaling) -> bool {
    let Some(policy) = live.and_then(|l| l.policy.as_ref()) else {
        return false;
    };
    policy.target == desired.target as f64
        && policy.scale_in_cooldown.unwrap_or(0) == desired.scale_in_cooldown.unwrap_or(0)
        && policy.scale_out_cooldown.unwrap_or(0) == desired.scale_out_cooldown.unwrap_or(0)
}

async fn put_policy(
    ctx: &Context<'_>,
    one: &Scaled<'_>,
    dimension: Dimension,
    desired: &Autoscaling,
) -> Result<(), AwsError> {
    let op = "application-autoscaling:PutScalingPolicy";
    let metric = match dimension {
        Dimension::Read => MetricType::DynamoDbReadCapacityUtilization,
        Dimension::Write => MetricType::DynamoDbWriteCapacityUtilization,
    };
    let predefined = PredefinedMetricSpecification::builder()
        .predefined_metric_type(metric)
        .build()
        .map_err(|e| invalid_request(op, e))?;
    let config = TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(desired.target as f64)
        .predefined_metric_specification(predefined)
        // Sent even when left out of the file: the default stays 0, whatever the live had.
        .scale_in_cooldown(to_i32(desired.scale_in_cooldown.unwrap_or(0)))
        .scale_out_cooldown(to_i32(desired.scale_out_cooldown.unwrap_or(0)))
        .build()
        .map_err(|e| invalid_request(op, e))?;
    ctx.clients
        .autoscaling
        .put_scaling_policy()
        .policy_name(scaling_policy_name(dimension.as_str()))
        .service_namespace(ServiceNamespace::Dynamodb)
        .resource_id(&one.resource)
        .scalable_dimension(dimension.scalable(one.index))
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(config)
        .send()
        .await
        .op(op)?;
    Ok(())
}

async fn deregister(
    ctx: &Context<'_>,
    address: &Address,
    resource: &str,
    index: bool,
    dimension: Dimension,
) -> Result<(), AwsError> {
    let what = describe(resource, dimension);
    ctx.reporter
        .progress(address, &format!("{what}: deregistering scalable target"));
    ctx.clients
        .autoscaling
        .deregister_scalable_target()
        .service_namespace(ServiceNamespace::Dynamodb)
        .resource_id(resource)
        .scalable_dimension(dimension.scalable(index))
        .send()
        .await
        .absent_ok("application-autoscaling:DeregisterScalableTarget")?;
    Ok(())
}

/// `read capacity of table/shop-orders/index/by-customer`, for progress lines.
fn describe(resource: &str, dimension: Dimension) -> String {
    format!("{} capacity of {resource}", dimension.as_str())
}

/// The reader keeps capacities within DynamoDB's 40,000 units and cooldowns within a day.
fn to_i32(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
