//! How a function's schedules are diffed: each `{ schedule = "..." }` of its `events` is an
//! EventBridge rule named by the function and its position, whose target is the function. An
//! expression change is an update of the rule in place (PutRule).

use super::attr::attr_names;
use super::{Change, Desired, Live, Value};
use crate::live::{LiveSchedule, LiveState};
use crate::stack::{Address, Stack};

attr_names! {
    /// The attributes of a schedule.
    pub enum ScheduleAttr {
        Expression = "schedule_expression",
        /// The function the rule invokes (logical name), when the rule targets it.
        Target = "target",
    }
}

/// The desired schedule.
#[derive(Debug, Clone)]
pub struct ScheduleDesired {
    /// The rule's name.
    pub name: String,
    pub stack: String,
    /// The function's logical name.
    pub function: String,
    /// Its position among the function's schedules, from 1.
    pub index: usize,
    pub expression: String,
}

/// Every declared schedule against live, and the stack's rules no longer declared.
pub fn plan_all(stack: &Stack, live: &LiveState, changes: &mut Vec<Change>) {
    let mut matched: Vec<String> = Vec::new();
    for function in &stack.functions {
        for (i, expression) in function.schedules.iter().enumerate() {
            let name = crate::marks::schedule_rule_name(&stack.name, &function.logical, i + 1);
            let found = live.schedules.get(&name);
            matched.push(name.clone());
            let desired = ScheduleDesired {
                name,
                stack: stack.name.clone(),
                function: function.logical.clone(),
                index: i + 1,
                expression: expression.clone(),
            };
            changes.push(plan(stack, desired, found));
        }
    }
    for (name, rule) in &live.schedules {
        if !matched.contains(name) {
            let key = key_of(stack, name);
            changes.push(Change::delete(
                Address::Schedule(key),
                name.clone(),
                "no longer in the function's events",
                live_attrs(stack, rule),
                Live::Schedule(rule.clone()),
            ));
        }
    }
}

fn plan(stack: &Stack, desired: ScheduleDesired, live: Option<&LiveSchedule>) -> Change {
    let mut after = super::Attrs::new();
    after.insert(
        ScheduleAttr::Expression.into(),
        Value::str(&desired.expression),
    );
    after.insert(ScheduleAttr::Target.into(), Value::str(&desired.function));
    let address = Address::Schedule(format!("{} {}", desired.function, desired.index));
    let before = live.map(|l| (live_attrs(stack, l), Live::Schedule(l.clone())));
    let name = desired.name.clone();
    Change::declared(address, name, after, Desired::Schedule(desired), before)
}

fn live_attrs(stack: &Stack, live: &LiveSchedule) -> super::Attrs {
    let mut a = super::Attrs::new();
    a.insert(
        ScheduleAttr::Expression.into(),
        Value::str(&live.expression),
    );
    let prefix = format!("{}-", stack.name);
    let targets: Vec<String> = live
        .targets
        .iter()
        .map(|arn| {
            let name = arn.rsplit(':').next().unwrap_or(arn);
            name.strip_prefix(&prefix).unwrap_or(arn).to_string()
        })
        .collect();
    a.insert(ScheduleAttr::Target.into(), Value::str(targets.join(", ")));
    a
}

/// `FUNCTION N` of a rule named `STACK-FUNCTION-schedule-N`.
fn key_of(stack: &Stack, name: &str) -> String {
    let own = name
        .strip_prefix(&format!("{}-", stack.name))
        .unwrap_or(name);
    match own.rsplit_once("-schedule-") {
        Some((function, index)) => format!("{function} {index}"),
        None => own.to_string(),
    }
}
