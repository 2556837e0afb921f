//! Carries out event source mapping changes: CreateEventSourceMapping once the function, its
//! role's read permissions and the source exist; UpdateEventSourceMapping in place (batch
//! size, concurrency, filter, on-failure queue); DeleteEventSourceMapping. Lambda cannot move
//! a mapping to another source: a replacement deletes it and creates it again.

use aws_sdk_lambda::types::{
    DestinationConfig, EventSourcePosition, Filter, FilterCriteria, OnFailure, ScalingConfig,
};

use super::Context;
use crate::aws::{AwsError, CallResult, other};
use crate::live::LiveEventSource;
use crate::plan::{Action, Change, Desired, EventSourceAttr, EventSourceDesired, Live};
use crate::stack::{EventSource, EventSpec, RefAttr, RefTarget, Reference};

pub(super) async fn apply(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    let desired = match &change.desired {
        Some(Desired::EventSource(d)) => Some(d),
        _ => None,
    };
    let live = match &change.live {
        Some(Live::EventSource(l)) => Some(l),
        _ => None,
    };
    match (change.action, desired, live) {
        (Action::Create, Some(d), _) => create(ctx, d).await,
        (Action::Replace, Some(d), Some(l)) => {
            delete(ctx, l).await?;
            create(ctx, d).await
        }
        (Action::Update, Some(d), Some(l)) => update(ctx, change, d, l).await,
        (Action::Delete, _, Some(l)) => delete(ctx, l).await,
        _ => Err(other(
            "lambda",
            format!(
                "the plan's change to {} lacks what it needs",
                change.address
            ),
        )),
    }
}

/// A value apply learned or the plan knew, or an error naming what is missing.
fn resolved(ctx: &Context<'_>, reference: Reference) -> Result<String, AwsError> {
    ctx.resolve(&reference).ok_or_else(|| {
        other(
            "lambda:CreateEventSourceMapping",
            format!("{reference} is not known: its change failed or was skipped"),
        )
    })
}

/// The source's ARN: a queue's from the plan or its apply; a stream's from the plan, else
/// from DescribeTable (a stream made by this apply).
async fn source_arn(ctx: &Context<'_>, source: &EventSource) -> Result<String, AwsError> {
    let table = match source {
        EventSource::Queue(q) => {
            return resolved(ctx, crate::plan::queue_reference(q, RefAttr::Arn));
        }
        EventSource::Stream(t) => t,
    };
    let reference = Reference {
        target: RefTarget::Table(table.clone()),
        attr: RefAttr::StreamArn,
    };
    if let Some(arn) = ctx.resolve(&reference) {
        return Ok(arn);
    }
    let name = resolved(
        ctx,
        Reference {
            target: RefTarget::Table(table.clone()),
            attr: RefAttr::Name,
        },
    )?;
    let described = ctx
        .clients
        .dynamodb
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .op("dynamodb:DescribeTable")?;
    let arn = described.table().and_then(|t| t.latest_stream_arn());
    let arn = arn.ok_or_else(|| {
        other(
            "dynamodb:DescribeTable",
            format!("table {name} has no stream to read"),
        )
    })?;
    ctx.set_output(reference.to_string(), arn);
    Ok(arn.to_string())
}

/// Lambda's FilterCriteria; no filters removes them.
fn filters(spec: &EventSpec) -> FilterCriteria {
    let filters = spec
        .filter
        .iter()
        .map(|p| Filter::builder().pattern(p).build());
    FilterCriteria::builder()
        .set_filters(Some(filters.collect()))
        .build()
}

/// Where failed batches go; an empty destination removes it.
fn destination(ctx: &Context<'_>, spec: &EventSpec) -> Result<DestinationConfig, AwsError> {
    let arn = match &spec.on_failure {
        Some(q) => Some(resolved(
            ctx,
            crate::plan::queue_reference(q, RefAttr::Arn),
        )?),
        None => None,
    };
    let on_failure = OnFailure::builder().set_destination(arn).build();
    Ok(DestinationConfig::builder().on_failure(on_failure).build())
}

fn scaling(spec: &EventSpec) -> Option<ScalingConfig> {
    let n = spec.max_concurrency.map(|n| n as i32);
    n.map(|n| ScalingConfig::builder().maximum_concurrency(n).build())
}

async fn create(ctx: &Context<'_>, desired: &EventSourceDesired) -> Result<(), AwsError> {
    let spec = &desired.spec;
    let source = source_arn(ctx, &spec.source).await?;
    let stream = matches!(spec.source, EventSource::Stream(_));
    let position = spec
        .starting_position
        .map(|p| EventSourcePosition::from(p.aws_name()));
    ctx.clients
        .lambda
        .create_event_source_mapping()
        .function_name(&desired.function_name)
        .event_source_arn(source)
        .batch_size(spec.batch_size as i32)
        .set_starting_position(position)
        .set_scaling_config(scaling(spec))
        .set_filter_criteria(spec.filter.is_some().then(|| filters(spec)))
        .set_destination_config(if stream && spec.on_failure.is_some() {
            Some(destination(ctx, spec)?)
        } else {
            None
        })
        .send()
        .await
        .op("lambda:CreateEventSourceMapping")
        .map(drop)
}

async fn update(
    ctx: &Context<'_>,
    change: &Change,
    desired: &EventSourceDesired,
    live: &LiveEventSource,
) -> Result<(), AwsError> {
    let spec = &desired.spec;
    let mut request = ctx
        .clients
        .lambda
        .update_event_source_mapping()
        .uuid(&live.uuid);
    if change.changed(EventSourceAttr::BatchSize) {
        request = request.batch_size(spec.batch_size as i32);
    }
    if change.changed(EventSourceAttr::MaxConcurrency) {
        // No MaximumConcurrency removes the limit.
        let config = scaling(spec).unwrap_or_else(|| ScalingConfig::builder().build());
        request = request.scaling_config(config);
    }
    if change.changed(EventSourceAttr::Filter) {
        request = request.filter_criteria(filters(spec));
    }
    if change.changed(EventSourceAttr::OnFailure) {
        request = request.destination_config(destination(ctx, spec)?);
    }
    request
        .send()
        .await
        .op("lambda:UpdateEventSourceMapping")
        .map(drop)
}

/// Deletes the mapping; one already gone is fine.
async fn delete(ctx: &Context<'_>, live: &LiveEventSource) -> Result<(), AwsError> {
    ctx.clients
        .lambda
        .delete_event_source_mapping()
        .uuid(&live.uuid)
        .send()
        .await
        .absent_ok("lambda:DeleteEventSourceMapping")
        .map(drop)
}
