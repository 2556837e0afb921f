//! EventBridge rules owned by the stack (`stackctl:stack` tag): the functions' schedules.
//! ListRules names the rules whose names start with `<stack>-`; each is read with
//! ListTagsForResource and ListTargetsByRule.

use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt};

use crate::aws::{AwsError, CallResult, Clients};
use crate::marks::STACK_TAG;

/// Rules read at once (each is two requests).
const CONCURRENCY: usize = 8;

/// A schedule's rule as read.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSchedule {
    pub name: String,
    pub arn: String,
    /// `rate(...)` or `cron(...)`.
    pub expression: String,
    /// The ARNs its targets invoke.
    pub targets: Vec<String>,
}

/// The rules tagged for `stack`, by name.
///
/// # Errors
/// The first EventBridge call that fails (eventbridge:ListRules, ListTagsForResource,
/// ListTargetsByRule).
pub async fn read(
    clients: &Clients,
    stack: &str,
) -> Result<BTreeMap<String, LiveSchedule>, AwsError> {
    let mut rules = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = clients
            .events
            .list_rules()
            .name_prefix(format!("{stack}-"))
            .set_next_token(token)
            .send()
            .await
            .op("eventbridge:ListRules")?;
        rules.extend(page.rules.unwrap_or_default());
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    let read: Vec<Option<LiveSchedule>> = futures::stream::iter(rules)
        .map(|rule| read_one(clients, stack, rule))
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    Ok(read
        .into_iter()
        .flatten()
        .map(|s| (s.name.clone(), s))
        .collect())
}

/// The rule with its targets when `stack` owns it.
async fn read_one(
    clients: &Clients,
    stack: &str,
    rule: aws_sdk_eventbridge::types::Rule,
) -> Result<Option<LiveSchedule>, AwsError> {
    let (Some(name), Some(arn)) = (rule.name, rule.arn) else {
        return Ok(None);
    };
    let tags = clients
        .events
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .absent_ok("eventbridge:ListTagsForResource")?;
    let owned = tags.is_some_and(|t| {
        t.tags()
            .iter()
            .any(|t| t.key() == STACK_TAG && t.value() == stack)
    });
    if !owned {
        return Ok(None);
    }
    let targets = clients
        .events
        .list_targets_by_rule()
        .rule(&name)
        .send()
        .await
        .absent_ok("eventbridge:ListTargetsByRule")?;
    let targets = targets
        .map(|t| t.targets().iter().map(|t| t.arn().to_string()).collect())
        .unwrap_or_default();
    Ok(Some(LiveSchedule {
        name,
        arn,
        expression: rule.schedule_expression.unwrap_or_default(),
        targets,
    }))
}
