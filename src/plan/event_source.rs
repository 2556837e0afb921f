//! How a function's event sources are diffed: each declared queue or stream against the
//! Lambda event source mapping of that function and source. Lambda cannot move a mapping to
//! another source: a queue or stream replaced (a new ARN) replaces its mappings.

use std::collections::BTreeMap;

use super::attr::attr_names;
use super::{Action, Attrs, Change, Desired, Live, Value};
use crate::live::{LiveEventSource, LiveState};
use crate::stack::{Address, EventSource, EventSpec, RefAttr, RefTarget, Reference, Stack};

attr_names! {
    /// The attributes of an event source mapping.
    pub enum EventSourceAttr {
        SourceArn = "source_arn",
        BatchSize = "batch_size",
        MaxConcurrency = "max_concurrency",
        StartingPosition = "starting_position",
        Filter = "filter",
        OnFailure = "on_failure",
    }
}

/// The desired mapping.
#[derive(Debug, Clone)]
pub struct EventSourceDesired {
    /// The function's logical and physical names.
    pub function: String,
    pub function_name: String,
    pub spec: EventSpec,
}

/// `${tables.NAME.stream_arn}` of the tables whose stream is kept: the table exists, is not
/// replaced and its stream does not change (a new stream has a new ARN).
pub fn known(
    stack: &Stack,
    live: &LiveState,
    changes: &[Change],
    known: &mut BTreeMap<String, String>,
) {
    for spec in &stack.tables {
        let name = stack.physical_name(&spec.logical);
        let Some(table) = live.tables.get(&name) else {
            continue;
        };
        let kept = changes.iter().any(|c| {
            c.address == Address::Table(spec.logical.clone())
                && matches!(c.action, Action::NoOp | Action::Update)
        });
        if let (true, Some(arn), true) = (kept, &table.stream_arn, table.stream == spec.stream) {
            let reference = Reference {
                target: RefTarget::Table(spec.logical.clone()),
                attr: RefAttr::StreamArn,
            };
            known.insert(reference.to_string(), arn.clone());
        }
    }
}

/// The ARN a source has before apply, if known.
fn source_arn(source: &EventSource, known: &BTreeMap<String, String>) -> Option<String> {
    let reference = match source {
        EventSource::Queue(q) => super::queue_reference(q, RefAttr::Arn),
        EventSource::Stream(t) => Reference {
            target: RefTarget::Table(t.clone()),
            attr: RefAttr::StreamArn,
        },
    };
    known.get(&reference.to_string()).cloned()
}

/// Every declared event source against live, and the live mappings of the stack's functions
/// to its queues and streams that are no longer declared.
pub fn plan_all(
    stack: &Stack,
    live: &LiveState,
    known: &BTreeMap<String, String>,
    changes: &mut Vec<Change>,
) {
    let mut matched: Vec<&str> = Vec::new();
    for function in &stack.functions {
        let name = stack.physical_name(&function.logical);
        for spec in &function.events {
            let key = spec.source.key();
            let found = live.event_sources.iter().find(|l| {
                l.function == name
                    && source_key(stack, &l.source_arn).as_deref() == Some(key.as_str())
                    && !matched.contains(&l.uuid.as_str())
            });
            matched.extend(found.map(|l| l.uuid.as_str()));
            let desired = EventSourceDesired {
                function: function.logical.clone(),
                function_name: name.clone(),
                spec: spec.clone(),
            };
            changes.push(plan(stack, desired, found, known));
        }
    }
    for l in &live.event_sources {
        let Some(key) = source_key(stack, &l.source_arn) else {
            continue;
        };
        if !matched.contains(&l.uuid.as_str()) {
            changes.push(plan_delete(stack, l, &key));
        }
    }
}

fn plan(
    stack: &Stack,
    desired: EventSourceDesired,
    live: Option<&LiveEventSource>,
    known: &BTreeMap<String, String>,
) -> Change {
    let key = desired.spec.source.key();
    let after = desired_attrs(&desired.spec, known);
    let address = Address::EventSource(format!("{} {key}", desired.function));
    let before = live.map(|l| (live_attrs(stack, l), Live::EventSource(l.clone())));
    let mut change = Change::declared(address, key, after, Desired::EventSource(desired), before);
    for attr in &mut change.attributes {
        attr.forces_replacement = change.action == Action::Update
            && (attr.is(EventSourceAttr::SourceArn) || attr.is(EventSourceAttr::StartingPosition));
    }
    if change.attributes.iter().any(|a| a.forces_replacement) {
        change.action = Action::Replace;
        change.reason = Some(
            "Lambda cannot change a mapping's source or starting position: the mapping is deleted and created again".to_string(),
        );
    }
    change
}

fn plan_delete(stack: &Stack, live: &LiveEventSource, key: &str) -> Change {
    let function = logical_of(stack, &live.function);
    Change::delete(
        Address::EventSource(format!("{function} {key}")),
        key.to_string(),
        "no longer in the function's events",
        live_attrs(stack, live),
        Live::EventSource(live.clone()),
    )
}

fn desired_attrs(spec: &EventSpec, known: &BTreeMap<String, String>) -> Attrs {
    let mut a = Attrs::new();
    let arn = source_arn(&spec.source, known);
    a.insert(
        EventSourceAttr::SourceArn.into(),
        arn.map_or(Value::Unknown, Value::Str),
    );
    a.insert(
        EventSourceAttr::BatchSize.into(),
        Value::Int(spec.batch_size),
    );
    if let Some(n) = spec.max_concurrency {
        a.insert(EventSourceAttr::MaxConcurrency.into(), Value::Int(n));
    }
    if let Some(p) = spec.starting_position {
        a.insert(
            EventSourceAttr::StartingPosition.into(),
            Value::str(p.aws_name()),
        );
    }
    if let Some(f) = &spec.filter {
        a.insert(EventSourceAttr::Filter.into(), Value::str(f));
    }
    if let Some(q) = &spec.on_failure {
        a.insert(EventSourceAttr::OnFailure.into(), Value::str(q));
    }
    a
}

fn live_attrs(stack: &Stack, live: &LiveEventSource) -> Attrs {
    let mut a = Attrs::new();
    a.insert(
        EventSourceAttr::SourceArn.into(),
        Value::str(&live.source_arn),
    );
    a.insert(
        EventSourceAttr::BatchSize.into(),
        Value::Int(live.batch_size),
    );
    if let Some(n) = live.max_concurrency {
        a.insert(EventSourceAttr::MaxConcurrency.into(), Value::Int(n));
    }
    if let Some(p) = &live.starting_position {
        a.insert(EventSourceAttr::StartingPosition.into(), Value::str(p));
    }
    if let Some(f) = &live.filter {
        a.insert(EventSourceAttr::Filter.into(), Value::str(f));
    }
    if let Some(arn) = &live.on_failure {
        let queue = match source_key(stack, arn) {
            Some(key) => key.trim_start_matches("queue:").to_string(),
            None => arn.clone(),
        };
        a.insert(EventSourceAttr::OnFailure.into(), Value::str(queue));
    }
    a
}

/// How the stack file names the source at `arn` (`queue:jobs`, `stream:orders`), when it is
/// a queue or table stream of the stack.
fn source_key(stack: &Stack, arn: &str) -> Option<String> {
    let prefix = format!("{}-", stack.name);
    if arn.contains(":sqs:") {
        let name = crate::live::queue_name_of(arn).strip_prefix(&prefix)?;
        let logical = name.strip_suffix(".fifo").unwrap_or(name);
        return Some(EventSource::Queue(logical.to_string()).key());
    }
    let table = crate::arn::table_name_in(arn.split("/stream/").next()?)?;
    Some(EventSource::Stream(table.strip_prefix(&prefix)?.to_string()).key())
}

/// What a mapping needs first: its function (and the managed role that lets it read the
/// source), the source, and the queue failed batches go to.
pub fn needs(stack: &Stack, change: &Change) -> Vec<Address> {
    let Some(Desired::EventSource(d)) = &change.desired else {
        return Vec::new();
    };
    let mut needs = vec![Address::Function(d.function.clone())];
    if stack
        .function(&d.function)
        .is_some_and(|f| f.role.is_none())
    {
        needs.push(Address::Role(d.function.clone()));
    }
    needs.push(match &d.spec.source {
        EventSource::Queue(q) => Address::Queue(q.clone()),
        EventSource::Stream(t) => Address::Table(t.clone()),
    });
    needs.extend(d.spec.on_failure.iter().map(|q| Address::Queue(q.clone())));
    needs
}

fn logical_of(stack: &Stack, name: &str) -> String {
    name.strip_prefix(&format!("{}-", stack.name))
        .unwrap_or(name)
        .to_string()
}
