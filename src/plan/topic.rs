//! How an SNS topic and its subscriptions are diffed. A topic holds no messages, but deleting
//! it drops its subscriptions; SNS cannot turn a topic into a FIFO topic (or back) in place,
//! and the name changes with it (`.fifo`), so that is a replacement.

use std::collections::BTreeMap;

use super::attr::attr_names;
use super::{Action, Attrs, Change, Desired, Live, Value, drift};
use crate::live::{LiveState, LiveSubscription, LiveTopic};
use crate::stack::{
    Address, Endpoint, RefAttr, RefTarget, Reference, Stack, SubscriptionSpec, TopicSpec,
    same_endpoint,
};

attr_names! {
    /// The attributes of a topic.
    pub enum TopicAttr {
        Name = "name",
        Fifo = "fifo",
        ContentBasedDeduplication = "content_based_deduplication",
        DisplayName = "display_name",
        Tags = "tags",
    }
}

attr_names! {
    /// The attributes of a subscription.
    pub enum SubscriptionAttr {
        Topic = "topic",
        Endpoint = "endpoint",
        RawMessageDelivery = "raw_message_delivery",
        FilterPolicy = "filter_policy",
        /// A function subscription: SNS may invoke the function for this topic.
        InvokePermission = "invoke_permission",
        /// `confirmed`, or `pending confirmation` (an email address that has not confirmed):
        /// what the endpoint did, never a difference to apply.
        Status = "status",
    }
}

/// The desired topic.
#[derive(Debug, Clone)]
pub struct TopicDesired {
    pub name: String,
    pub stack: String,
    pub spec: TopicSpec,
    /// The fingerprint of what apply makes live, for the `stackctl:applied` tag.
    pub applied: String,
}

/// The desired subscription.
#[derive(Debug, Clone)]
pub struct SubscriptionDesired {
    /// The topic's logical name.
    pub topic: String,
    pub spec: SubscriptionSpec,
}

const PENDING: &str = "pending confirmation";
const CONFIRMED: &str = "confirmed";

/// Every declared topic and subscription against live, and the owned ones no longer declared.
pub fn plan_all(stack: &Stack, live: &LiveState, changes: &mut Vec<Change>) {
    let mut matched: Vec<&str> = Vec::new();
    for spec in &stack.topics {
        let live_topic = live_topic_of(stack, spec, live);
        matched.extend(live_topic.map(|t| t.name.as_str()));
        let change = plan(stack, spec, live_topic);
        let kept = live_topic.filter(|_| change.action != Action::Replace);
        changes.push(change);
        plan_subscriptions(stack, spec, kept, changes);
    }
    for (name, topic) in &live.topics {
        if !matched.contains(&name.as_str()) {
            let logical = logical_of(stack, name);
            changes.push(plan_delete(&logical, topic));
            for s in &topic.subscriptions {
                changes.push(subscription_delete(
                    stack,
                    &logical,
                    s,
                    "its topic is deleted",
                ));
            }
        }
    }
}

/// Topics' names, and the ARNs of those that exist and are kept (a replaced topic gets a new
/// name and ARN), or are new in a known account.
pub fn known(
    stack: &Stack,
    live: &LiveState,
    changes: &[Change],
    region: &str,
    known: &mut BTreeMap<String, String>,
) {
    for spec in &stack.topics {
        let name = stack.topic_name(spec);
        let target = RefTarget::Topic(spec.logical.clone());
        let key = |attr| {
            Reference {
                target: target.clone(),
                attr,
            }
            .to_string()
        };
        known.insert(key(RefAttr::Name), name.clone());
        let kept = changes.iter().any(|c| {
            c.address == Address::Topic(spec.logical.clone())
                && matches!(c.action, Action::NoOp | Action::Update)
        });
        let replaced = changes.iter().any(|c| {
            c.address == Address::Topic(spec.logical.clone()) && c.action == Action::Replace
        });
        match (live.topics.get(&name), &live.account) {
            (Some(topic), _) if kept => {
                known.insert(key(RefAttr::Arn), topic.arn.clone());
            }
            // A new topic's ARN is made of its name, the region and the account.
            (None, Some(account)) if !replaced => {
                known.insert(key(RefAttr::Arn), crate::arn::topic(region, account, &name));
            }
            _ => {}
        }
    }
}

/// A subscription needs its topic, and the function it delivers to.
pub fn subscription_needs(change: &Change) -> Vec<Address> {
    match &change.desired {
        Some(Desired::Subscription(s)) => {
            let function = match &s.spec.endpoint {
                Endpoint::Function(f) => Some(Address::Function(f.clone())),
                _ => None,
            };
            std::iter::once(Address::Topic(s.topic.clone()))
                .chain(function)
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The live topic of `spec`: by its name, or by the name of the other kind (FIFO or not).
fn live_topic_of<'a>(
    stack: &Stack,
    spec: &TopicSpec,
    live: &'a LiveState,
) -> Option<&'a LiveTopic> {
    if stack.names.topics.contains_key(&spec.logical) {
        return live.topics.get(&stack.topic_name(spec));
    }
    let name = |fifo| crate::marks::topic_name(&stack.name, &spec.logical, fifo);
    live.topics
        .get(&name(spec.fifo))
        .or_else(|| live.topics.get(&name(!spec.fifo)))
}

fn plan(stack: &Stack, spec: &TopicSpec, live: Option<&LiveTopic>) -> Change {
    let name = stack.topic_name(spec);
    let after = desired_attrs(&name, spec);
    let desired = Desired::Topic(TopicDesired {
        name: name.clone(),
        stack: stack.name.clone(),
        spec: spec.clone(),
        applied: drift::fingerprint(&after),
    });
    let address = Address::Topic(spec.logical.clone());
    let before = live.map(|l| (live_attrs(l), Live::Topic(l.clone())));
    let mut change = Change::declared(address, name, after, desired, before);
    drift::mark(&mut change, live.and_then(|l| l.applied.as_deref()));
    for attr in &mut change.attributes {
        attr.forces_replacement = change.action == Action::Update
            && (attr.is(TopicAttr::Fifo) || attr.is(TopicAttr::Name));
    }
    if change.attributes.iter().any(|a| a.forces_replacement) {
        let dropped = live.map_or(0, |l| l.subscriptions.len());
        change.action = Action::Replace;
        change.reason = Some(format!(
            "fifo cannot change in place: the topic is deleted and created again as {}; its {dropped} subscription(s) are dropped with it and made again on the new topic",
            change.physical_name
        ));
    }
    change
}

fn plan_delete(logical: &str, live: &LiveTopic) -> Change {
    let mut change = Change::delete(
        Address::Topic(logical.to_string()),
        live.name.clone(),
        "no longer in the stack file",
        live_attrs(live),
        Live::Topic(live.clone()),
    );
    if !live.subscriptions.is_empty() {
        change.notes.push(format!(
            "deleting the topic drops its {} subscription(s); messages published to it after that fail",
            live.subscriptions.len()
        ));
    }
    change
}

fn desired_attrs(name: &str, spec: &TopicSpec) -> Attrs {
    let mut a = Attrs::new();
    a.insert(TopicAttr::Name.into(), Value::str(name));
    a.insert(TopicAttr::Fifo.into(), Value::Bool(spec.fifo));
    if spec.fifo {
        a.insert(
            TopicAttr::ContentBasedDeduplication.into(),
            Value::Bool(spec.content_based_deduplication),
        );
    }
    a.insert(
        TopicAttr::DisplayName.into(),
        Value::str(&spec.display_name),
    );
    a.insert(TopicAttr::Tags.into(), Value::map(&spec.tags));
    a
}

fn live_attrs(live: &LiveTopic) -> Attrs {
    let mut a = Attrs::new();
    a.insert(TopicAttr::Name.into(), Value::str(&live.name));
    a.insert(TopicAttr::Fifo.into(), Value::Bool(live.fifo));
    if live.fifo {
        a.insert(
            TopicAttr::ContentBasedDeduplication.into(),
            Value::Bool(live.content_based_deduplication),
        );
    }
    a.insert(
        TopicAttr::DisplayName.into(),
        Value::str(&live.display_name),
    );
    a.insert(TopicAttr::Tags.into(), Value::map(&live.tags));
    a
}

/// The declared subscriptions of `spec` against those of its kept live topic (none when the
/// topic is created or replaced), and the live ones no longer declared.
fn plan_subscriptions(
    stack: &Stack,
    spec: &TopicSpec,
    live: Option<&LiveTopic>,
    changes: &mut Vec<Change>,
) {
    for s in &spec.subscriptions {
        let key = s.endpoint.key();
        let found = live.and_then(|t| {
            let mut all = t.subscriptions.iter();
            all.find(|l| same_endpoint(&live_key(stack, l), &key))
        });
        changes.push(plan_subscription(&spec.logical, s, found));
    }
    let Some(topic) = live else { return };
    for l in &topic.subscriptions {
        let key = live_key(stack, l);
        if !spec
            .subscriptions
            .iter()
            .any(|s| same_endpoint(&s.endpoint.key(), &key))
        {
            // stackctl cannot tell one it made from one made outside it: no tags.
            let reason = "not in the stack file (removed from it, or subscribed outside stackctl)";
            changes.push(subscription_delete(stack, &spec.logical, l, reason));
        }
    }
}

fn plan_subscription(
    topic: &str,
    spec: &SubscriptionSpec,
    live: Option<&LiveSubscription>,
) -> Change {
    let key = spec.endpoint.key();
    let pending = live.is_some_and(LiveSubscription::pending);
    let mut after = Attrs::new();
    after.insert(SubscriptionAttr::Topic.into(), Value::str(topic));
    after.insert(SubscriptionAttr::Endpoint.into(), Value::str(&key));
    after.insert(
        SubscriptionAttr::RawMessageDelivery.into(),
        Value::Bool(spec.raw),
    );
    if let Some(filter) = &spec.filter {
        after.insert(SubscriptionAttr::FilterPolicy.into(), Value::str(filter));
    }
    // A new email subscription waits for its recipient (SNS answers `pending confirmation`).
    let email = matches!(spec.endpoint, Endpoint::Email(_));
    let status = if pending || (live.is_none() && email) {
        PENDING
    } else {
        CONFIRMED
    };
    after.insert(SubscriptionAttr::Status.into(), Value::str(status));
    if matches!(spec.endpoint, Endpoint::Function(_)) {
        after.insert(SubscriptionAttr::InvokePermission.into(), Value::Bool(true));
    }
    let desired = Desired::Subscription(SubscriptionDesired {
        topic: topic.to_string(),
        spec: spec.clone(),
    });
    let before = live.map(|l| {
        // What a subscription pending confirmation was made with cannot be read: it is
        // taken as declared, not as drift.
        let before = if l.pending() {
            after.clone()
        } else {
            subscription_attrs(topic, &key, l)
        };
        (before, Live::Subscription(l.clone()))
    });
    let address = Address::Subscription(format!("{topic} {key}"));
    let mut change = Change::declared(address, key, after, desired, before);
    // stackctl granted it with the subscription: one missing was removed outside stackctl.
    for attr in &mut change.attributes {
        attr.drift = change.action == Action::Update && attr.is(SubscriptionAttr::InvokePermission);
    }
    if pending {
        change.notes.push(format!(
            "{} has not confirmed the subscription yet: SNS delivers nothing to it until the recipient follows the link in the confirmation message",
            spec.endpoint.key()
        ));
    } else if change.action == Action::Create && matches!(spec.endpoint, Endpoint::Email(_)) {
        change.notes.push(
            "SNS sends a confirmation message to the address; the subscription stays pending until the recipient confirms it".to_string(),
        );
    }
    change
}

fn subscription_delete(
    stack: &Stack,
    topic_logical: &str,
    live: &LiveSubscription,
    reason: &str,
) -> Change {
    let key = live_key(stack, live);
    Change::delete(
        Address::Subscription(format!("{topic_logical} {key}")),
        key.clone(),
        reason,
        subscription_attrs(topic_logical, &key, live),
        Live::Subscription(live.clone()),
    )
}

fn subscription_attrs(topic: &str, key: &str, live: &LiveSubscription) -> Attrs {
    let mut a = Attrs::new();
    a.insert(SubscriptionAttr::Topic.into(), Value::str(topic));
    a.insert(SubscriptionAttr::Endpoint.into(), Value::str(key));
    a.insert(
        SubscriptionAttr::RawMessageDelivery.into(),
        Value::Bool(live.raw),
    );
    if let Some(filter) = &live.filter {
        a.insert(SubscriptionAttr::FilterPolicy.into(), Value::str(filter));
    }
    let status = if live.pending() { PENDING } else { CONFIRMED };
    a.insert(SubscriptionAttr::Status.into(), Value::str(status));
    if let Some(held) = live.invoke_permission {
        a.insert(SubscriptionAttr::InvokePermission.into(), Value::Bool(held));
    }
    a
}

/// How the stack file would name a live subscription: `function:LOGICAL` for a function of
/// the stack, `queue:ARN`, `email:ADDRESS`, else `PROTOCOL:ENDPOINT`.
fn live_key(stack: &Stack, live: &LiveSubscription) -> String {
    match live.protocol.as_str() {
        "lambda" => {
            let name = live.endpoint.rsplit(':').next().unwrap_or_default();
            let fixed = stack.names.functions.iter().find(|(_, n)| *n == name);
            let own = match fixed {
                Some((logical, _)) => Some(logical.as_str()),
                None => name.strip_prefix(&format!("{}-", stack.name)),
            };
            match own {
                Some(logical) => Endpoint::Function(logical.to_string()).key(),
                None => format!("lambda:{}", live.endpoint),
            }
        }
        "sqs" => Endpoint::Queue(live.endpoint.clone()).key(),
        "email" => Endpoint::Email(live.endpoint.clone()).key(),
        other => format!("{other}:{}", live.endpoint),
    }
}

/// The logical name of a topic name `STACK-LOGICAL[.fifo]`.
fn logical_of(stack: &Stack, name: &str) -> String {
    if let Some((logical, _)) = stack.names.topics.iter().find(|(_, n)| *n == name) {
        return logical.clone();
    }
    let name = name.strip_suffix(".fifo").unwrap_or(name);
    name.strip_prefix(&format!("{}-", stack.name))
        .unwrap_or(name)
        .to_string()
}
