//! How a function is diffed: configuration, code hash and role, with references resolved
//! where their values are already known.

use std::collections::BTreeMap;

use super::{Attrs, Change, Desired, FunctionDesired, Live, RoleSource, Value};
use crate::live::LiveFunction;
use crate::stack::{Address, FunctionSpec, Reference, Stack};

pub struct Inputs<'a> {
    pub code_sha256: &'a str,
    pub role: RoleSource,
    pub resolve: &'a dyn Fn(&Reference) -> Option<String>,
}

pub fn plan(
    stack: &Stack,
    spec: &FunctionSpec,
    live: Option<&LiveFunction>,
    inputs: Inputs<'_>,
) -> Change {
    let name = stack.physical_name(&spec.logical);
    let after = desired_attrs(&name, spec, &inputs);
    let desired = Desired::Function(FunctionDesired {
        name: name.clone(),
        stack: stack.name.clone(),
        spec: spec.clone(),
        code_sha256: inputs.code_sha256.to_string(),
        role: inputs.role,
    });
    Change::declared(
        Address::Function(spec.logical.clone()),
        name,
        after,
        desired,
        live.map(|l| (live_attrs(l), Live::Function(l.clone()))),
    )
}

pub fn plan_delete(logical: &str, live: &LiveFunction) -> Change {
    Change::delete(
        Address::Function(logical.to_string()),
        live.name.clone(),
        "no longer in the stack file",
        live_attrs(live),
        Live::Function(live.clone()),
    )
}

fn desired_attrs(name: &str, spec: &FunctionSpec, inputs: &Inputs<'_>) -> Attrs {
    let environment: BTreeMap<String, Value> = spec
        .environment
        .iter()
        .map(|(k, template)| {
            let value = template
                .resolve(inputs.resolve)
                .map_or(Value::Unknown, Value::Str);
            (k.clone(), value)
        })
        .collect();
    let role = match &inputs.role {
        RoleSource::Arn(arn) => Value::str(arn),
        RoleSource::Managed { arn: Some(arn), .. } => Value::str(arn),
        RoleSource::Managed { arn: None, .. } => Value::Unknown,
    };
    let mut a = Attrs::new();
    a.insert("name".into(), Value::str(name));
    a.insert("runtime".into(), Value::str(&spec.runtime));
    a.insert("handler".into(), Value::str(&spec.handler));
    a.insert("memory".into(), Value::Int(spec.memory.into()));
    a.insert("timeout".into(), Value::Int(spec.timeout.into()));
    a.insert("role".into(), role);
    a.insert("environment".into(), Value::Map(environment));
    a.insert("code_sha256".into(), Value::str(inputs.code_sha256));
    a.insert("tags".into(), Value::map(&spec.tags));
    a
}

fn live_attrs(live: &LiveFunction) -> Attrs {
    let mut a = Attrs::new();
    a.insert("name".into(), Value::str(&live.name));
    a.insert("runtime".into(), Value::str(&live.runtime));
    a.insert("handler".into(), Value::str(&live.handler));
    a.insert("memory".into(), Value::Int(live.memory.into()));
    a.insert("timeout".into(), Value::Int(live.timeout.into()));
    a.insert("role".into(), Value::str(&live.role));
    a.insert("environment".into(), Value::map(&live.environment));
    a.insert("code_sha256".into(), Value::str(&live.code_sha256));
    a.insert("tags".into(), Value::map(&live.tags));
    a
}
