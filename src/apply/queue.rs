//! Carries out queue changes: CreateQueue with its attributes and tags, SetQueueAttributes
//! and tag writes in place, DeleteQueue (its messages with it: the plan asked for
//! `--allow-data-loss`). A replacement deletes the old queue before the new one is made under
//! its other name (`.fifo` or not).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_sqs::types::QueueAttributeName;

use super::Context;
use crate::aws::{AwsError, CallResult, other};
use crate::live::LiveQueue;
use crate::plan::{Action, Change, Desired, Live, QueueAttr, QueueDesired};
use crate::stack::{QueueSpec, RefAttr};

pub(super) async fn apply(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    let desired = match &change.desired {
        Some(Desired::Queue(d)) => Some(d),
        _ => None,
    };
    let live = match &change.live {
        Some(Live::Queue(l)) => Some(l),
        _ => None,
    };
    match (change.action, desired, live) {
        (Action::Create, Some(d), _) => create(ctx, d).await,
        (Action::Replace, Some(d), Some(l)) => {
            delete(ctx, &l.url).await?;
            create(ctx, d).await
        }
        (Action::Update, Some(d), Some(l)) => {
            learned(ctx, &d.spec.logical, &l.url, &l.arn);
            update(ctx, change, d, l).await
        }
        (Action::Delete, _, Some(l)) => delete(ctx, &l.url).await,
        _ => Err(other(
            "sqs",
            format!(
                "the plan's change to {} lacks what it needs",
                change.address
            ),
        )),
    }
}

/// Keeps the queue's URL and ARN for what refers to them (`${queues.NAME.url}`).
fn learned(ctx: &Context<'_>, logical: &str, url: &str, arn: &str) {
    let key = |attr| crate::plan::queue_reference(logical, attr).to_string();
    ctx.set_output(key(RefAttr::Url), url);
    ctx.set_output(key(RefAttr::Arn), arn);
}

/// The tags stackctl writes: the user's, and the stack's own.
fn tags(desired: &QueueDesired) -> HashMap<String, String> {
    let own = [
        (crate::marks::STACK_TAG.to_string(), desired.stack.clone()),
        (
            crate::marks::APPLIED_TAG.to_string(),
            desired.applied.clone(),
        ),
    ];
    desired
        .spec
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .chain(own)
        .collect()
}

/// The RedrivePolicy of `spec`: the dead-letter queue's ARN, which apply knows once that
/// queue exists (the plan orders it first); empty to remove one.
fn redrive_policy(ctx: &Context<'_>, spec: &QueueSpec) -> Result<String, AwsError> {
    let Some(dead_letter) = &spec.dead_letter else {
        return Ok(String::new());
    };
    let reference = crate::plan::queue_reference(&dead_letter.queue, RefAttr::Arn);
    let arn = ctx.resolve(&reference).ok_or_else(|| {
        other(
            "sqs:SetQueueAttributes",
            format!("{reference} is not known: its change failed or was skipped"),
        )
    })?;
    Ok(serde_json::json!({
        "deadLetterTargetArn": arn,
        "maxReceiveCount": dead_letter.max_receives.to_string(),
    })
    .to_string())
}

async fn create(ctx: &Context<'_>, desired: &QueueDesired) -> Result<(), AwsError> {
    let spec = &desired.spec;
    let mut attributes = HashMap::from([
        (
            QueueAttributeName::VisibilityTimeout,
            spec.visibility_timeout.to_string(),
        ),
        (
            QueueAttributeName::MessageRetentionPeriod,
            spec.retention.to_string(),
        ),
        (QueueAttributeName::DelaySeconds, spec.delay.to_string()),
    ]);
    if spec.fifo {
        attributes.insert(QueueAttributeName::FifoQueue, "true".to_string());
    }
    if spec.dead_letter.is_some() {
        let policy = redrive_policy(ctx, spec)?;
        attributes.insert(QueueAttributeName::RedrivePolicy, policy);
    }
    let out = ctx
        .clients
        .sqs
        .create_queue()
        .queue_name(&desired.name)
        .set_attributes(Some(attributes))
        .set_tags(Some(tags(desired)))
        .send()
        .await
        .op("sqs:CreateQueue")?;
    let url = out.queue_url().unwrap_or_default().to_string();
    let arn = ctx
        .clients
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .op("sqs:GetQueueAttributes")?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .unwrap_or_default();
    learned(ctx, &spec.logical, &url, &arn);
    Ok(())
}

async fn update(
    ctx: &Context<'_>,
    change: &Change,
    desired: &QueueDesired,
    live: &LiveQueue,
) -> Result<(), AwsError> {
    let spec = &desired.spec;
    let mut attributes = HashMap::new();
    let seconds = [
        (
            QueueAttr::VisibilityTimeout,
            QueueAttributeName::VisibilityTimeout,
            spec.visibility_timeout,
        ),
        (
            QueueAttr::Retention,
            QueueAttributeName::MessageRetentionPeriod,
            spec.retention,
        ),
        (
            QueueAttr::Delay,
            QueueAttributeName::DelaySeconds,
            spec.delay,
        ),
    ];
    for (attr, name, value) in seconds {
        if change.changed(attr) {
            attributes.insert(name, value.to_string());
        }
    }
    if change.changed(QueueAttr::DeadLetter) {
        let policy = redrive_policy(ctx, spec)?;
        attributes.insert(QueueAttributeName::RedrivePolicy, policy);
    }
    if !attributes.is_empty() {
        ctx.clients
            .sqs
            .set_queue_attributes()
            .queue_url(&live.url)
            .set_attributes(Some(attributes))
            .send()
            .await
            .op("sqs:SetQueueAttributes")?;
    }
    write_tags(ctx, desired, &live.url, &live.tags).await
}

/// The tags are written on every update: the fingerprint (`stackctl:applied`) changes.
async fn write_tags(
    ctx: &Context<'_>,
    desired: &QueueDesired,
    url: &str,
    live_tags: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let removed = super::removed_tags(live_tags, &desired.spec.tags);
    if !removed.is_empty() {
        ctx.clients
            .sqs
            .untag_queue()
            .queue_url(url)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .op("sqs:UntagQueue")?;
    }
    ctx.clients
        .sqs
        .tag_queue()
        .queue_url(url)
        .set_tags(Some(tags(desired)))
        .send()
        .await
        .op("sqs:TagQueue")
        .map(drop)
}

/// Deletes the queue with its messages; one already gone is fine.
async fn delete(ctx: &Context<'_>, url: &str) -> Result<(), AwsError> {
    ctx.clients
        .sqs
        .delete_queue()
        .queue_url(url)
        .send()
        .await
        .absent_ok("sqs:DeleteQueue")
        .map(drop)
}
