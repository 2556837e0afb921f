//! SQS queues owned by the stack (`stackctl:stack` tag), with their attributes. ListQueues
//! names the queues whose names start with `<stack>-`; each is read with ListQueueTags and
//! GetQueueAttributes.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_sqs::types::QueueAttributeName;
use futures::{StreamExt, TryStreamExt};

use super::{Conflict, user_tags};
use crate::aws::{AwsError, CallResult, Clients};
use crate::marks::STACK_TAG;

/// Queues read at once (each is two requests).
const CONCURRENCY: usize = 8;

/// A queue as read.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveQueue {
    pub name: String,
    pub url: String,
    pub arn: String,
    pub fifo: bool,
    /// Seconds.
    pub visibility_timeout: i64,
    /// Seconds (MessageRetentionPeriod).
    pub retention: i64,
    /// Seconds (DelaySeconds).
    pub delay: i64,
    /// The RedrivePolicy: the dead-letter queue's ARN and the receives before a message
    /// moves there.
    pub dead_letter: Option<(String, i64)>,
    /// ApproximateNumberOfMessages plus those in flight and delayed: what a delete loses.
    pub messages: i64,
    /// The queue's tags without stackctl's own.
    pub tags: BTreeMap<String, String>,
    /// The `stackctl:applied` tag: what stackctl last applied (see `marks::APPLIED_TAG`).
    pub applied: Option<String>,
}

/// A queue read: `Ok` when the stack owns it, else its owner (`Err`); `None` when it was
/// deleted meanwhile.
type Read = Option<Result<LiveQueue, Option<String>>>;

/// The queues tagged for `stack`, by name, and the `wanted` names taken by queues it does not
/// own.
///
/// # Errors
/// The first SQS call that fails (sqs:ListQueues, ListQueueTags, GetQueueAttributes).
pub async fn read(
    clients: &Clients,
    stack: &str,
    wanted: &BTreeSet<String>,
) -> Result<(BTreeMap<String, LiveQueue>, Vec<Conflict>), AwsError> {
    let mut urls: Vec<String> = Vec::new();
    let mut pages = clients
        .sqs
        .list_queues()
        .queue_name_prefix(format!("{stack}-"))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.op("sqs:ListQueues")?;
        urls.extend(page.queue_urls.unwrap_or_default());
    }
    let read: Vec<(String, Read)> = futures::stream::iter(urls)
        .map(|url: String| async move {
            let queue = read_one(clients, stack, &url).await?;
            Ok::<_, AwsError>((url, queue))
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    let mut queues = BTreeMap::new();
    let mut conflicts = Vec::new();
    for (url, queue) in read {
        match queue {
            Some(Ok(queue)) => {
                queues.insert(queue.name.clone(), queue);
            }
            Some(Err(owner)) if wanted.contains(name_of(&url)) => conflicts.push(Conflict {
                kind: "queue".to_string(),
                name: name_of(&url).to_string(),
                owner,
                note: None,
            }),
            // Not the stack's and not in its way, or deleted meanwhile.
            Some(Err(_)) | None => {}
        }
    }
    Ok((queues, conflicts))
}

/// The queue, or its owner (another stack's name, or none) when `stack` does not own it;
/// `None` when it was deleted meanwhile.
async fn read_one(clients: &Clients, stack: &str, url: &str) -> Result<Read, AwsError> {
    let tags = clients.sqs.list_queue_tags().queue_url(url).send().await;
    let Some(tags) = tags.absent_ok("sqs:ListQueueTags")? else {
        return Ok(None);
    };
    let tags = tags.tags.unwrap_or_default();
    let owner = tags.get(STACK_TAG).cloned();
    if owner.as_deref() != Some(stack) {
        return Ok(Some(Err(owner)));
    }
    let attributes = clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .absent_ok("sqs:GetQueueAttributes")?;
    let Some(attributes) = attributes else {
        return Ok(None);
    };
    let attributes = attributes.attributes.unwrap_or_default();
    let text = |name: QueueAttributeName| attributes.get(&name).cloned().unwrap_or_default();
    let number = |name: QueueAttributeName| text(name).parse::<i64>().unwrap_or(0);
    let messages = number(QueueAttributeName::ApproximateNumberOfMessages)
        + number(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        + number(QueueAttributeName::ApproximateNumberOfMessagesDelayed);
    Ok(Some(Ok(LiveQueue {
        name: name_of(url).to_string(),
        url: url.to_string(),
        arn: text(QueueAttributeName::QueueArn),
        fifo: text(QueueAttributeName::FifoQueue) == "true",
        visibility_timeout: number(QueueAttributeName::VisibilityTimeout),
        retention: number(QueueAttributeName::MessageRetentionPeriod),
        delay: number(QueueAttributeName::DelaySeconds),
        dead_letter: redrive_policy(&text(QueueAttributeName::RedrivePolicy)),
        messages,
        applied: tags.get(crate::marks::APPLIED_TAG).cloned(),
        tags: user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
    })))
}

/// `{"deadLetterTargetArn": ARN, "maxReceiveCount": N}` (N a number or a string: SQS
/// answers either); `None` when empty.
fn redrive_policy(text: &str) -> Option<(String, i64)> {
    let policy: serde_json::Value = serde_json::from_str(text).ok()?;
    let arn = policy["deadLetterTargetArn"].as_str()?.to_string();
    let count = &policy["maxReceiveCount"];
    let count = count
        .as_i64()
        .or_else(|| count.as_str().and_then(|c| c.parse().ok()))?;
    Some((arn, count))
}

/// The queue name at the end of its URL (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`) or
/// ARN (`arn:aws:sqs:REGION:ACCOUNT:NAME`).
pub fn name_of(url_or_arn: &str) -> &str {
    url_or_arn.rsplit(['/', ':']).next().unwrap_or(url_or_arn)
}

#[cfg(test)]
mod tests {
    use super::{name_of, redrive_policy};

    #[test]
    fn redrive_policies_and_names_are_read_in_both_forms() {
        let arn = "arn:aws:sqs:eu-west-1:123456789012:shop-failed";
        assert_eq!(
            redrive_policy(&format!(
                r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":"5"}}"#
            )),
            Some((arn.to_string(), 5))
        );
        assert_eq!(redrive_policy(""), None);
        assert_eq!(name_of(arn), "shop-failed");
        assert_eq!(
            name_of("https://sqs.eu-west-1.amazonaws.com/123456789012/shop-jobs.fifo"),
            "shop-jobs.fifo"
        );
    }
}
