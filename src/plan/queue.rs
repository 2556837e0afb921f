//! How an SQS queue is diffed, attribute by attribute (GetQueueAttributes against the stack
//! file). Its messages are data: a delete, or a replacement (SQS cannot turn a queue into a
//! FIFO queue or back in place, and the name changes with it: `.fifo`), loses them, so both
//! need `--allow-data-loss`.

use std::collections::BTreeMap;

use super::attr::attr_names;
use super::{Action, Attrs, Change, Desired, Live, Value, drift};
use crate::live::{LiveQueue, LiveState};
use crate::stack::{Address, QueueSpec, RefAttr, RefTarget, Reference, Stack};

attr_names! {
    /// The attributes of a queue.
    pub enum QueueAttr {
        Name = "name",
        Fifo = "fifo",
        VisibilityTimeout = "visibility_timeout",
        Retention = "retention",
        Delay = "delay",
        DeadLetter = "dead_letter",
        Tags = "tags",
    }
}

/// The desired queue.
#[derive(Debug, Clone)]
pub struct QueueDesired {
    pub name: String,
    pub stack: String,
    pub spec: QueueSpec,
    /// The fingerprint of what apply makes live, for the `stackctl:applied` tag.
    pub applied: String,
}

/// Every declared queue against live, and the owned ones no longer declared.
pub fn plan_all(stack: &Stack, live: &LiveState, changes: &mut Vec<Change>) {
    let mut matched: Vec<&str> = Vec::new();
    for spec in &stack.queues {
        let name = |fifo| crate::marks::queue_name(&stack.name, &spec.logical, fifo);
        let found =
            (live.queues.get(&name(spec.fifo))).or_else(|| live.queues.get(&name(!spec.fifo)));
        matched.extend(found.map(|q| q.name.as_str()));
        changes.push(plan(stack, spec, found));
    }
    for (name, queue) in &live.queues {
        if !matched.contains(&name.as_str()) {
            changes.push(plan_delete(&logical_of(stack, name), stack, queue));
        }
    }
}

/// Queues' names, and the ARNs and URLs of those that exist and are kept (a replaced queue
/// gets a new name, ARN and URL).
pub fn known(
    stack: &Stack,
    live: &LiveState,
    changes: &[Change],
    known: &mut BTreeMap<String, String>,
) {
    for spec in &stack.queues {
        let name = spec.physical_name(&stack.name);
        let key = |attr| reference(&spec.logical, attr).to_string();
        known.insert(key(RefAttr::Name), name.clone());
        let kept = changes.iter().any(|c| {
            c.address == Address::Queue(spec.logical.clone())
                && matches!(c.action, Action::NoOp | Action::Update)
        });
        if let (Some(queue), true) = (live.queues.get(&name), kept) {
            known.insert(key(RefAttr::Arn), queue.arn.clone());
            known.insert(key(RefAttr::Url), queue.url.clone());
        }
    }
}

/// `${queues.LOGICAL.ATTR}`.
pub fn reference(logical: &str, attr: RefAttr) -> Reference {
    Reference {
        target: RefTarget::Queue(logical.to_string()),
        attr,
    }
}

/// A queue needs its dead-letter queue (its RedrivePolicy names the ARN).
pub fn needs(stack: &Stack, logical: &str) -> Vec<Address> {
    let spec = stack.queues.iter().find(|q| q.logical == logical);
    let dead_letter = spec.and_then(|q| q.dead_letter.as_ref());
    dead_letter
        .map(|d| Address::Queue(d.queue.clone()))
        .into_iter()
        .collect()
}

fn plan(stack: &Stack, spec: &QueueSpec, live: Option<&LiveQueue>) -> Change {
    let name = spec.physical_name(&stack.name);
    let after = desired_attrs(&name, spec);
    let desired = Desired::Queue(QueueDesired {
        name: name.clone(),
        stack: stack.name.clone(),
        spec: spec.clone(),
        applied: drift::fingerprint(&after),
    });
    let address = Address::Queue(spec.logical.clone());
    let before = live.map(|l| (live_attrs(stack, l), Live::Queue(l.clone())));
    let mut change = Change::declared(address, name, after, desired, before);
    drift::mark(&mut change, live.and_then(|l| l.applied.as_deref()));
    for attr in &mut change.attributes {
        attr.forces_replacement = change.action == Action::Update
            && (attr.is(QueueAttr::Fifo) || attr.is(QueueAttr::Name));
    }
    let lost = live.map_or(0, |l| l.messages);
    change.replace_where_forced(&format!(
        "the queue is deleted and created again as {}, and its {}",
        change.physical_name,
        messages(lost)
    ));
    change
}

fn plan_delete(logical: &str, stack: &Stack, live: &LiveQueue) -> Change {
    let mut change = Change::delete(
        Address::Queue(logical.to_string()),
        live.name.clone(),
        &format!(
            "no longer in the stack file; the queue and its {} are deleted",
            messages(live.messages)
        ),
        live_attrs(stack, live),
        Live::Queue(live.clone()),
    );
    change.destroys_data = true;
    change
}

/// "3 message(s) are lost", from SQS's approximate counts.
fn messages(count: i64) -> String {
    format!("{count} message(s) (SQS's approximate count) are lost")
}

fn desired_attrs(name: &str, spec: &QueueSpec) -> Attrs {
    let dead_letter = spec
        .dead_letter
        .as_ref()
        .map(|d| dead_letter_value(&d.queue, d.max_receives));
    attrs(
        name,
        spec.fifo,
        [spec.visibility_timeout, spec.retention, spec.delay],
        dead_letter,
        &spec.tags,
    )
}

fn live_attrs(stack: &Stack, live: &LiveQueue) -> Attrs {
    let dead_letter = live.dead_letter.as_ref().map(|(arn, max)| {
        let name = crate::live::queue_name_of(arn);
        let own = name.strip_prefix(&format!("{}-", stack.name));
        let queue = own.map_or(arn.clone(), |l| l.trim_end_matches(".fifo").to_string());
        dead_letter_value(&queue, *max)
    });
    attrs(
        &live.name,
        live.fifo,
        [live.visibility_timeout, live.retention, live.delay],
        dead_letter,
        &live.tags,
    )
}

/// The attributes; `seconds` are the visibility timeout, retention and delay.
fn attrs(
    name: &str,
    fifo: bool,
    seconds: [i64; 3],
    dead_letter: Option<Value>,
    tags: &BTreeMap<String, String>,
) -> Attrs {
    let mut a = Attrs::new();
    a.insert(QueueAttr::Name.into(), Value::str(name));
    a.insert(QueueAttr::Fifo.into(), Value::Bool(fifo));
    let [visibility_timeout, retention, delay] = seconds;
    a.insert(
        QueueAttr::VisibilityTimeout.into(),
        Value::Int(visibility_timeout),
    );
    a.insert(QueueAttr::Retention.into(), Value::Int(retention));
    a.insert(QueueAttr::Delay.into(), Value::Int(delay));
    if let Some(dead_letter) = dead_letter {
        a.insert(QueueAttr::DeadLetter.into(), dead_letter);
    }
    a.insert(QueueAttr::Tags.into(), Value::map(tags));
    a
}

fn dead_letter_value(queue: &str, max_receives: i64) -> Value {
    Value::Map(BTreeMap::from([
        ("queue".to_string(), Value::str(queue)),
        ("max_receives".to_string(), Value::Int(max_receives)),
    ]))
}

/// The logical name of a queue name `STACK-LOGICAL[.fifo]`.
fn logical_of(stack: &Stack, name: &str) -> String {
    let name = name.strip_suffix(".fifo").unwrap_or(name);
    name.strip_prefix(&format!("{}-", stack.name))
        .unwrap_or(name)
        .to_string()
}
