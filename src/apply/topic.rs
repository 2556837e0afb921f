//! Carries out topic and subscription changes: CreateTopic with its attributes and tags,
//! SetTopicAttributes and tag writes in place, DeleteTopic; Subscribe with the filter policy
//! and raw delivery, SetSubscriptionAttributes in place, Unsubscribe. A function subscription
//! first lets SNS invoke the function (for this topic only).

use std::collections::HashMap;

use aws_sdk_sns::types::Tag;

use super::Context;
use crate::aws::{AwsError, CallResult, ErrorKind, classify, describe, other};
use crate::live::LiveSubscription;
use crate::plan::{
    Action, Change, Desired, Live, SubscriptionAttr, SubscriptionDesired, TopicAttr, TopicDesired,
};
use crate::stack::{Endpoint, RefAttr, RefTarget, Reference};

/// The principal SNS invokes functions as.
const SNS_SERVICE: &str = "sns.amazonaws.com";

pub(super) async fn apply_topic(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    let desired = match &change.desired {
        Some(Desired::Topic(d)) => Some(d),
        _ => None,
    };
    let live = match &change.live {
        Some(Live::Topic(l)) => Some(l),
        _ => None,
    };
    match (change.action, desired, live) {
        (Action::Create, Some(d), _) => create(ctx, d).await,
        (Action::Replace, Some(d), Some(l)) => {
            delete(ctx, &l.arn).await?;
            create(ctx, d).await
        }
        (Action::Update, Some(d), Some(l)) => {
            ctx.set_output(arn_key(&d.spec.logical), &l.arn);
            update(ctx, change, d, &l.arn, &l.tags).await
        }
        (Action::Delete, _, Some(l)) => delete(ctx, &l.arn).await,
        _ => Err(other(
            "sns",
            format!(
                "the plan's change to {} lacks what it needs",
                change.address
            ),
        )),
    }
}

fn arn_key(logical: &str) -> String {
    Reference {
        target: RefTarget::Topic(logical.to_string()),
        attr: RefAttr::Arn,
    }
    .to_string()
}

/// The tags stackctl writes: the user's, and the stack's own.
fn tags(desired: &TopicDesired) -> Vec<Tag> {
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
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

async fn create(ctx: &Context<'_>, desired: &TopicDesired) -> Result<(), AwsError> {
    let spec = &desired.spec;
    let mut attributes = HashMap::new();
    if spec.fifo {
        attributes.insert("FifoTopic".to_string(), "true".to_string());
        let dedup = spec.content_based_deduplication.to_string();
        attributes.insert("ContentBasedDeduplication".to_string(), dedup);
    }
    if !spec.display_name.is_empty() {
        attributes.insert("DisplayName".to_string(), spec.display_name.clone());
    }
    let out = ctx
        .clients
        .sns
        .create_topic()
        .name(&desired.name)
        .set_attributes(Some(attributes))
        .set_tags(Some(tags(desired)))
        .send()
        .await
        .op("sns:CreateTopic")?;
    let arn = out.topic_arn().unwrap_or_default();
    ctx.set_output(arn_key(&spec.logical), arn);
    Ok(())
}

async fn update(
    ctx: &Context<'_>,
    change: &Change,
    desired: &TopicDesired,
    arn: &str,
    live_tags: &std::collections::BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let spec = &desired.spec;
    let mut set = Vec::new();
    if change.changed(TopicAttr::DisplayName) {
        set.push(("DisplayName", spec.display_name.clone()));
    }
    if change.changed(TopicAttr::ContentBasedDeduplication) {
        let dedup = spec.content_based_deduplication.to_string();
        set.push(("ContentBasedDeduplication", dedup));
    }
    for (name, value) in set {
        ctx.clients
            .sns
            .set_topic_attributes()
            .topic_arn(arn)
            .attribute_name(name)
            .attribute_value(value)
            .send()
            .await
            .op("sns:SetTopicAttributes")?;
    }
    // The tags are written on every update: the fingerprint (`stackctl:applied`) changes.
    let removed = super::removed_tags(live_tags, &spec.tags);
    if !removed.is_empty() {
        ctx.clients
            .sns
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .op("sns:UntagResource")?;
    }
    ctx.clients
        .sns
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tags(desired)))
        .send()
        .await
        .op("sns:TagResource")
        .map(drop)
}

/// Deletes the topic (with its subscriptions); one already gone is fine.
async fn delete(ctx: &Context<'_>, arn: &str) -> Result<(), AwsError> {
    ctx.clients
        .sns
        .delete_topic()
        .topic_arn(arn)
        .send()
        .await
        .absent_ok("sns:DeleteTopic")
        .map(drop)
}

pub(super) async fn apply_subscription(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    let desired = match &change.desired {
        Some(Desired::Subscription(d)) => Some(d),
        _ => None,
    };
    let live = match &change.live {
        Some(Live::Subscription(l)) => Some(l),
        _ => None,
    };
    match (change.action, desired, live) {
        (Action::Create, Some(d), _) => subscribe(ctx, d).await,
        (Action::Update, Some(d), Some(l)) => set_attributes(ctx, change, d, l).await,
        (Action::Delete, _, Some(l)) => unsubscribe(ctx, change, l).await,
        _ => Err(other(
            "sns",
            format!(
                "the plan's change to {} lacks what it needs",
                change.address
            ),
        )),
    }
}

/// A value apply learned or the plan knew, or an error naming what is missing.
fn resolved(ctx: &Context<'_>, target: RefTarget) -> Result<String, AwsError> {
    let reference = Reference {
        target,
        attr: RefAttr::Arn,
    };
    ctx.resolve(&reference).ok_or_else(|| {
        other(
            "sns:Subscribe",
            format!("{reference} is not known: its change failed or was skipped"),
        )
    })
}

async fn subscribe(ctx: &Context<'_>, desired: &SubscriptionDesired) -> Result<(), AwsError> {
    let topic_arn = resolved(ctx, RefTarget::Topic(desired.topic.clone()))?;
    let endpoint = match &desired.spec.endpoint {
        Endpoint::Function(f) => {
            let function_arn = resolved(ctx, RefTarget::Function(f.clone()))?;
            allow_invoke(ctx, &function_arn, &desired.topic, &topic_arn).await?;
            function_arn
        }
        Endpoint::Queue(arn) => arn.clone(),
        Endpoint::Email(address) => address.clone(),
    };
    let mut attributes = HashMap::new();
    if desired.spec.raw {
        attributes.insert("RawMessageDelivery".to_string(), "true".to_string());
    }
    if let Some(filter) = &desired.spec.filter {
        attributes.insert("FilterPolicy".to_string(), filter.clone());
    }
    ctx.clients
        .sns
        .subscribe()
        .topic_arn(&topic_arn)
        .protocol(desired.spec.endpoint.protocol())
        .endpoint(endpoint)
        .set_attributes((!attributes.is_empty()).then_some(attributes))
        .return_subscription_arn(true)
        .send()
        .await
        .op("sns:Subscribe")
        .map(drop)
}

async fn set_attributes(
    ctx: &Context<'_>,
    change: &Change,
    desired: &SubscriptionDesired,
    live: &LiveSubscription,
) -> Result<(), AwsError> {
    if change.changed(SubscriptionAttr::InvokePermission)
        && let Endpoint::Function(f) = &desired.spec.endpoint
    {
        let topic_arn = resolved(ctx, RefTarget::Topic(desired.topic.clone()))?;
        let function_arn = resolved(ctx, RefTarget::Function(f.clone()))?;
        allow_invoke(ctx, &function_arn, &desired.topic, &topic_arn).await?;
    }
    let Some(arn) = &live.arn else {
        // Pending confirmation: SNS takes no attribute changes until the endpoint confirms.
        return Ok(());
    };
    let mut set = Vec::new();
    if change.changed(SubscriptionAttr::RawMessageDelivery) {
        set.push(("RawMessageDelivery", desired.spec.raw.to_string()));
    }
    if change.changed(SubscriptionAttr::FilterPolicy) {
        // An empty policy removes the filter.
        let filter = desired.spec.filter.clone().unwrap_or_default();
        set.push(("FilterPolicy", filter));
    }
    for (name, value) in set {
        ctx.clients
            .sns
            .set_subscription_attributes()
            .subscription_arn(arn)
            .attribute_name(name)
            .attribute_value(value)
            .send()
            .await
            .op("sns:SetSubscriptionAttributes")?;
    }
    Ok(())
}

async fn unsubscribe(
    ctx: &Context<'_>,
    change: &Change,
    live: &LiveSubscription,
) -> Result<(), AwsError> {
    // A subscription pending confirmation cannot be deleted: SNS drops it after three days.
    if let Some(arn) = &live.arn {
        ctx.clients
            .sns
            .unsubscribe()
            .subscription_arn(arn)
            .send()
            .await
            .absent_ok("sns:Unsubscribe")?;
    }
    if live.protocol == "lambda"
        && let crate::stack::Address::Subscription(key) = &change.address
        && let Some((topic, _)) = key.split_once(' ')
    {
        let statement = crate::marks::topic_statement_id(topic);
        ctx.clients
            .lambda
            .remove_permission()
            .function_name(&live.endpoint)
            .statement_id(statement)
            .send()
            .await
            .absent_ok("lambda:RemovePermission")?;
    }
    Ok(())
}

/// Lets SNS invoke the function for messages of this topic only. A statement of the same ID
/// (left by a topic that was replaced) is replaced.
async fn allow_invoke(
    ctx: &Context<'_>,
    function_arn: &str,
    topic: &str,
    topic_arn: &str,
) -> Result<(), AwsError> {
    let statement = crate::marks::topic_statement_id(topic);
    let add = || {
        ctx.clients
            .lambda
            .add_permission()
            .function_name(function_arn)
            .statement_id(&statement)
            .action("lambda:InvokeFunction")
            .principal(SNS_SERVICE)
            .source_arn(topic_arn)
            .send()
    };
    match add().await {
        Ok(_) => Ok(()),
        Err(e) if classify(&e) == ErrorKind::Conflict => {
            ctx.clients
                .lambda
                .remove_permission()
                .function_name(function_arn)
                .statement_id(&statement)
                .send()
                .await
                .absent_ok("lambda:RemovePermission")?;
            add().await.map(drop).op("lambda:AddPermission")
        }
        Err(e) => Err(describe("lambda:AddPermission", e)),
    }
}
