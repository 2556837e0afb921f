//! How a function is diffed: configuration, code hash and role, with references resolved
//! where their values are already known.

use std::collections::BTreeMap;

mod versions;

pub use versions::{AliasTarget, pinned_version_blockers, resolve_aliases};

use super::attr::attr_names;
use super::drift::{self, AppliedSecrets};
use super::{AttrName, Attrs, Change, Desired, FunctionDesired, Live, RoleSource, Value};
use crate::live::LiveFunction;
use crate::stack::{Address, FunctionSpec, Reference, Stack};

attr_names! {
    /// The attributes of a function.
    pub enum FunctionAttr {
        Name = "name",
        Runtime = "runtime",
        Handler = "handler",
        Memory = "memory",
        Timeout = "timeout",
        Architecture = "architecture",
        Description = "description",
        Layers = "layers",
        ReservedConcurrency = "reserved_concurrency",
        LogRetentionDays = "log_retention_days",
        Role = "role",
        Environment = "environment",
        CodeSha256 = "code_sha256",
        Tags = "tags",
        /// X-Ray tracing: `active` or `passthrough`; shown when declared or active.
        Tracing = "tracing",
        /// The newest published version (functions with `publish = true`).
        Version = "version",
        /// Aliases by name, each `VERSION` or `VERSION, P% to OTHER`.
        Aliases = "aliases",
        /// The VPC's subnets and security groups (sets); shown when declared or live.
        Vpc = "vpc",
    }
}

pub struct Inputs<'a> {
    pub code_sha256: &'a str,
    pub role: RoleSource,
    pub resolve: &'a dyn Fn(&Reference) -> Option<String>,
    /// SSM parameters read as plain Strings: values that name them are shown.
    pub plain_parameters: &'a std::collections::BTreeSet<String>,
}

pub fn plan(
    stack: &Stack,
    spec: &FunctionSpec,
    live: Option<&LiveFunction>,
    inputs: Inputs<'_>,
) -> Change {
    let name = stack.function_name(&spec.logical);
    let declared_secret = |key: &str| {
        spec.environment
            .get(key)
            .is_some_and(|v| v.hidden(inputs.plain_parameters))
    };
    let recorded = live.and_then(|l| l.applied.as_deref());
    let applied = AppliedSecrets::read(recorded);
    // A live value stays hidden while it is declared secret, and after it was applied so.
    let sensitive =
        |key: &str| declared_secret(key) || applied.hides(key, spec.environment.contains_key(key));
    let managed = |l: &LiveFunction, attrs: Attrs| {
        let mut attrs = unmanaged_left_out(attrs, spec);
        versions::add_live(&mut attrs, spec, l);
        attrs
    };
    let before = live.map(|l| managed(l, live_attrs(l, &sensitive)));
    let mut after = desired_attrs(&name, spec, &inputs);
    versions::add_desired(&mut after, before.as_ref(), spec, live);
    let secrets: Vec<&str> = spec
        .environment
        .keys()
        .map(String::as_str)
        .filter(|k| declared_secret(k))
        .collect();
    let mut before_versions = after.clone();
    for attr in [FunctionAttr::Version, FunctionAttr::Aliases] {
        if let Some(value) = before_versions.get_mut(attr.as_str()) {
            *value = Value::Unknown;
        }
    }
    let desired = Desired::Function(Box::new(FunctionDesired {
        name: name.clone(),
        stack: stack.name.clone(),
        spec: spec.clone(),
        code_sha256: inputs.code_sha256.to_string(),
        role: inputs.role,
        artifact_bucket: stack.artifact_bucket.clone(),
        applied: drift::fingerprint_with_secrets(&after, secrets.iter().copied()),
        applied_before_versions: drift::fingerprint_with_secrets(&before_versions, secrets),
    }));
    let mut change = Change::declared(
        Address::Function(spec.logical.clone()),
        name,
        after,
        desired,
        live.zip(before)
            .map(|(l, b)| (b, Live::Function(l.clone()))),
    );
    // The fingerprint hashed exactly the values applied as secret as hidden.
    let as_applied = match (&applied, live) {
        (AppliedSecrets::Marked(_), Some(l)) => {
            Some(managed(l, live_attrs(l, &|k| applied.hides(k, true))))
        }
        _ => change.before.clone(),
    };
    drift::mark_against(&mut change, as_applied.as_ref(), recorded);
    change
}

/// Live settings the stack file leaves undeclared and stackctl leaves as they are, so that no
/// plan shows them: the log group's retention outlives the function (the group is kept when
/// the function is deleted), so a function created again finds the old group's retention, and
/// without `log_retention_days` it is not stackctl's to change. (Reserved concurrency is not
/// among them: it lives and dies with the function, and undeclared means unreserved.)
fn unmanaged_left_out(mut live: Attrs, spec: &FunctionSpec) -> Attrs {
    if spec.log_retention_days.is_none() {
        live.remove(FunctionAttr::LogRetentionDays.as_str());
    }
    live
}

/// The environment of a function that goes is not shown: any of it may be secret.
pub fn plan_delete(logical: &str, live: &LiveFunction) -> Change {
    Change::delete(
        Address::Function(logical.to_string()),
        live.name.clone(),
        "no longer in the stack file",
        live_attrs(live, &|_| true),
        Live::Function(live.clone()),
    )
}

fn desired_attrs(name: &str, spec: &FunctionSpec, inputs: &Inputs<'_>) -> Attrs {
    let environment: BTreeMap<String, Value> = spec
        .environment
        .iter()
        .map(|(k, v)| {
            let value = v
                .value
                .resolve(inputs.resolve)
                .map_or(Value::Unknown, Value::Str);
            (k.clone(), hide_if(v.hidden(inputs.plain_parameters), value))
        })
        .collect();
    let role = match &inputs.role {
        RoleSource::Arn(arn) => Value::str(arn),
        RoleSource::Managed { arn: Some(arn), .. } => Value::str(arn),
        RoleSource::Managed { arn: None, .. } => Value::Unknown,
    };
    let mut a = Attrs::new();
    a.insert(FunctionAttr::Name.into(), Value::str(name));
    a.insert(FunctionAttr::Runtime.into(), Value::str(&spec.runtime));
    a.insert(FunctionAttr::Handler.into(), Value::str(&spec.handler));
    a.insert(FunctionAttr::Memory.into(), Value::Int(spec.memory.into()));
    a.insert(
        FunctionAttr::Timeout.into(),
        Value::Int(spec.timeout.into()),
    );
    a.insert(
        FunctionAttr::Architecture.into(),
        Value::str(spec.architecture.as_str()),
    );
    a.insert(
        FunctionAttr::Description.into(),
        Value::str(&spec.description),
    );
    a.insert(FunctionAttr::Layers.into(), Value::list(&spec.layers));
    if let Some(n) = spec.reserved_concurrency {
        a.insert(
            FunctionAttr::ReservedConcurrency.into(),
            Value::Int(n.into()),
        );
    }
    if let Some(days) = spec.log_retention_days {
        a.insert(
            FunctionAttr::LogRetentionDays.into(),
            Value::Int(days.into()),
        );
    }
    a.insert(FunctionAttr::Role.into(), role);
    a.insert(FunctionAttr::Environment.into(), Value::Map(environment));
    a.insert(
        FunctionAttr::CodeSha256.into(),
        Value::str(inputs.code_sha256),
    );
    a.insert(FunctionAttr::Tags.into(), Value::map(&spec.tags));
    if let Some(vpc) = &spec.vpc {
        a.insert(FunctionAttr::Vpc.into(), vpc_value(vpc));
    }
    a
}

/// Subnets and security groups, each a sorted list: compared as sets.
fn vpc_value(vpc: &crate::stack::VpcSpec) -> Value {
    Value::Map(BTreeMap::from([
        (
            "security_groups".to_string(),
            Value::list(&vpc.security_groups),
        ),
        ("subnets".to_string(), Value::list(&vpc.subnets)),
    ]))
}

fn live_attrs(live: &LiveFunction, sensitive: &dyn Fn(&str) -> bool) -> Attrs {
    let environment = live
        .environment
        .iter()
        .map(|(k, v)| (k.clone(), hide_if(sensitive(k), Value::str(v))))
        .collect();
    let mut a = Attrs::new();
    a.insert(FunctionAttr::Name.into(), Value::str(&live.name));
    a.insert(FunctionAttr::Runtime.into(), Value::str(&live.runtime));
    a.insert(FunctionAttr::Handler.into(), Value::str(&live.handler));
    a.insert(FunctionAttr::Memory.into(), Value::Int(live.memory.into()));
    a.insert(
        FunctionAttr::Timeout.into(),
        Value::Int(live.timeout.into()),
    );
    a.insert(
        FunctionAttr::Architecture.into(),
        Value::str(&live.architecture),
    );
    a.insert(
        FunctionAttr::Description.into(),
        Value::str(&live.description),
    );
    a.insert(FunctionAttr::Layers.into(), Value::list(&live.layers));
    if let Some(n) = live.reserved_concurrency {
        a.insert(
            FunctionAttr::ReservedConcurrency.into(),
            Value::Int(n.into()),
        );
    }
    if let Some(days) = live.log_retention_days {
        a.insert(
            FunctionAttr::LogRetentionDays.into(),
            Value::Int(days.into()),
        );
    }
    a.insert(FunctionAttr::Role.into(), Value::str(&live.role));
    a.insert(FunctionAttr::Environment.into(), Value::Map(environment));
    a.insert(
        FunctionAttr::CodeSha256.into(),
        Value::str(&live.code_sha256),
    );
    a.insert(FunctionAttr::Tags.into(), Value::map(&live.tags));
    if let Some(vpc) = &live.vpc {
        a.insert(FunctionAttr::Vpc.into(), vpc_value(vpc));
    }
    a
}

fn hide_if(sensitive: bool, value: Value) -> Value {
    if sensitive {
        Value::Sensitive(Box::new(value))
    } else {
        value
    }
}
