//! SNS topics owned by the stack (`stackctl:stack` tag), with their attributes and
//! subscriptions. SNS has no list filtered by tag: ListTopics names every topic of the
//! region, and only those named `<stack>-...` are looked at further.

use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt};

use super::{Conflict, user_tags};
use crate::aws::{AwsError, CallResult, Clients};
use crate::marks::STACK_TAG;

/// Topics read at once (each is three to five requests).
const CONCURRENCY: usize = 8;

/// A topic as read.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveTopic {
    pub name: String,
    pub arn: String,
    pub fifo: bool,
    pub content_based_deduplication: bool,
    /// Empty when not set.
    pub display_name: String,
    /// The topic's tags without stackctl's own.
    pub tags: BTreeMap<String, String>,
    /// The `stackctl:applied` tag: what stackctl last applied (see `marks::APPLIED_TAG`).
    pub applied: Option<String>,
    pub subscriptions: Vec<LiveSubscription>,
}

/// A subscription as read.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSubscription {
    /// `None` while the endpoint has not confirmed it (an email address): SNS then answers
    /// `PendingConfirmation` in place of the ARN, and its attributes cannot be read or set.
    pub arn: Option<String>,
    /// `lambda`, `sqs`, `email`, ...
    pub protocol: String,
    /// The function or queue ARN, or the address.
    pub endpoint: String,
    pub raw: bool,
    /// The filter policy as canonical JSON.
    pub filter: Option<String>,
    /// A `lambda` subscription: whether the function's policy lets SNS invoke it for this
    /// topic (statement [`crate::marks::topic_statement_id`] naming the topic's ARN). `None`
    /// for other protocols.
    pub invoke_permission: Option<bool>,
}

impl LiveSubscription {
    pub fn pending(&self) -> bool {
        self.arn.is_none()
    }
}

/// The topics tagged for `stack`, by name, and the `wanted` names (declared topics' names,
/// with their logical names) taken by topics it does not own. Topics are listed by the
/// stack's prefix, and by the declared names that do not follow it (`name = "..."`).
///
/// # Errors
/// The first SNS call that fails (sns:ListTopics, ListTagsForResource, GetTopicAttributes,
/// ListSubscriptionsByTopic, GetSubscriptionAttributes).
pub async fn read(
    clients: &Clients,
    stack: &str,
    wanted: &BTreeMap<String, String>,
) -> Result<(BTreeMap<String, LiveTopic>, Vec<Conflict>), AwsError> {
    let prefix = format!("{stack}-");
    let mut arns: Vec<String> = Vec::new();
    let mut pages = clients.sns.list_topics().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.op("sns:ListTopics")?;
        let topics = page.topics().iter().filter_map(|t| t.topic_arn());
        arns.extend(
            topics
                .filter(|arn| {
                    let name = name_of(arn);
                    name.starts_with(&prefix) || wanted.contains_key(name)
                })
                .map(str::to_string),
        );
    }
    let read: Vec<(String, Result<LiveTopic, Option<String>>)> = futures::stream::iter(arns)
        .map(|arn: String| async move {
            let statement = match wanted.get(name_of(&arn)) {
                Some(logical) => crate::marks::topic_statement_id(logical),
                None => statement_id(stack, &arn),
            };
            let topic = read_one(clients, stack, &arn, &statement).await?;
            Ok::<_, AwsError>((arn, topic))
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    let mut topics = BTreeMap::new();
    let mut conflicts = Vec::new();
    for (arn, topic) in read {
        match topic {
            Ok(topic) => {
                topics.insert(topic.name.clone(), topic);
            }
            Err(owner) if wanted.contains_key(name_of(&arn)) => conflicts.push(Conflict {
                kind: "topic".to_string(),
                name: name_of(&arn).to_string(),
                owner,
                note: None,
            }),
            Err(_) => {}
        }
    }
    Ok((topics, conflicts))
}

/// The topic, or its owner (another stack's name, or none) when `stack` does not own it.
async fn read_one(
    clients: &Clients,
    stack: &str,
    arn: &str,
    statement: &str,
) -> Result<Result<LiveTopic, Option<String>>, AwsError> {
    let tags = tags_of(clients, arn).await?;
    let owner = tags.get(STACK_TAG).cloned();
    if owner.as_deref() != Some(stack) {
        return Ok(Err(owner));
    }
    Ok(Ok(read_topic(clients, arn, &tags, statement).await?))
}

/// The topic named `name`, whoever owns it, with the stack its tags name (if any); `None`
/// when there is none. Its subscribed functions' invoke permissions are read for the
/// statement of the topic declared as `logical`.
pub(super) async fn read_named(
    clients: &Clients,
    name: &str,
    logical: &str,
) -> Result<Option<(LiveTopic, Option<String>)>, AwsError> {
    let mut pages = clients.sns.list_topics().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.op("sns:ListTopics")?;
        let found = page.topics().iter().filter_map(|t| t.topic_arn());
        if let Some(arn) = found.into_iter().find(|arn| name_of(arn) == name) {
            let tags = tags_of(clients, arn).await?;
            let statement = crate::marks::topic_statement_id(logical);
            let topic = read_topic(clients, arn, &tags, &statement).await?;
            return Ok(Some((topic, tags.get(STACK_TAG).cloned())));
        }
    }
    Ok(None)
}

/// Every topic ARN of the account whose name starts with `prefix`.
pub(super) async fn list_named(clients: &Clients, prefix: &str) -> Result<Vec<String>, AwsError> {
    let mut arns = Vec::new();
    let mut pages = clients.sns.list_topics().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.op("sns:ListTopics")?;
        let topics = page.topics().iter().filter_map(|t| t.topic_arn());
        arns.extend(
            topics
                .filter(|arn| name_of(arn).starts_with(prefix))
                .map(str::to_string),
        );
    }
    Ok(arns)
}

/// A topic's tags (sns:ListTagsForResource).
pub(super) async fn tags_of(
    clients: &Clients,
    arn: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    let tags = clients
        .sns
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .op("sns:ListTagsForResource")?;
    Ok(tags
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

/// A topic's attributes and subscriptions, with its `tags` as read.
async fn read_topic(
    clients: &Clients,
    arn: &str,
    tags: &BTreeMap<String, String>,
    statement: &str,
) -> Result<LiveTopic, AwsError> {
    let (attributes, subscriptions) = tokio::try_join!(
        async {
            let out = clients
                .sns
                .get_topic_attributes()
                .topic_arn(arn)
                .send()
                .await
                .op("sns:GetTopicAttributes")?;
            Ok::<_, AwsError>(out.attributes.unwrap_or_default())
        },
        read_subscriptions(clients, arn, statement),
    )?;
    let flag = |name: &str| attributes.get(name).is_some_and(|v| v == "true");
    Ok(LiveTopic {
        name: name_of(arn).to_string(),
        arn: arn.to_string(),
        fifo: flag("FifoTopic"),
        content_based_deduplication: flag("ContentBasedDeduplication"),
        display_name: attributes.get("DisplayName").cloned().unwrap_or_default(),
        tags: user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        applied: tags.get(crate::marks::APPLIED_TAG).cloned(),
        subscriptions,
    })
}

/// The statement ID a function subscribed to the topic `arn` of `stack` holds.
fn statement_id(stack: &str, arn: &str) -> String {
    let name = name_of(arn);
    let name = name.strip_suffix(".fifo").unwrap_or(name);
    let logical = name.strip_prefix(&format!("{stack}-")).unwrap_or(name);
    crate::marks::topic_statement_id(logical)
}

async fn read_subscriptions(
    clients: &Clients,
    topic_arn: &str,
    statement: &str,
) -> Result<Vec<LiveSubscription>, AwsError> {
    let mut listed: Vec<aws_sdk_sns::types::Subscription> = Vec::new();
    let mut pages = clients
        .sns
        .list_subscriptions_by_topic()
        .topic_arn(topic_arn)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.op("sns:ListSubscriptionsByTopic")?;
        listed.extend(page.subscriptions.unwrap_or_default());
    }
    futures::stream::iter(listed)
        .map(|s| read_subscription(clients, s, topic_arn, statement))
        .buffer_unordered(CONCURRENCY)
        .try_filter_map(|s| async move { Ok(s) })
        .try_collect()
        .await
}

/// One listed subscription with its attributes; `None` when it was deleted meanwhile.
async fn read_subscription(
    clients: &Clients,
    listed: aws_sdk_sns::types::Subscription,
    topic_arn: &str,
    statement: &str,
) -> Result<Option<LiveSubscription>, AwsError> {
    let arn = listed.subscription_arn.filter(|a| a.starts_with("arn:"));
    let mut subscription = LiveSubscription {
        arn: arn.clone(),
        protocol: listed.protocol.unwrap_or_default(),
        endpoint: listed.endpoint.unwrap_or_default(),
        raw: false,
        filter: None,
        invoke_permission: None,
    };
    if subscription.protocol == "lambda" {
        let held = invoke_permission(clients, &subscription.endpoint, statement, topic_arn);
        subscription.invoke_permission = Some(held.await?);
    }
    let Some(arn) = arn else {
        return Ok(Some(subscription));
    };
    let Some(out) = clients
        .sns
        .get_subscription_attributes()
        .subscription_arn(&arn)
        .send()
        .await
        .absent_ok("sns:GetSubscriptionAttributes")?
    else {
        return Ok(None);
    };
    let attributes = out.attributes.unwrap_or_default();
    if attributes
        .get("PendingConfirmation")
        .is_some_and(|v| v == "true")
    {
        subscription.arn = None;
    }
    subscription.raw = attributes
        .get("RawMessageDelivery")
        .is_some_and(|v| v == "true");
    subscription.filter = attributes
        .get("FilterPolicy")
        .filter(|f| !f.trim().is_empty() && f.trim() != "{}")
        .map(|f| super::canonical_json(f));
    Ok(Some(subscription))
}

/// Whether the function's policy has `statement` letting exactly `topic_arn` invoke it (one
/// lambda:GetPolicy; a function that is gone holds nothing).
async fn invoke_permission(
    clients: &Clients,
    function_arn: &str,
    statement: &str,
    topic_arn: &str,
) -> Result<bool, AwsError> {
    let request = clients.lambda.get_policy().function_name(function_arn);
    let Some(out) = request.send().await.absent_ok("lambda:GetPolicy")? else {
        return Ok(false);
    };
    let policy: serde_json::Value = out
        .policy()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default();
    let statements = policy["Statement"].as_array().into_iter().flatten();
    Ok(statements
        .into_iter()
        .any(|s| s["Sid"] == statement && s["Condition"]["ArnLike"]["AWS:SourceArn"] == topic_arn))
}

/// The topic name at the end of its ARN (`arn:aws:sns:REGION:ACCOUNT:NAME`).
pub fn name_of(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}
