//! How a managed function role is diffed.

use super::{Attrs, Change, Desired, Live, RoleDesired, Value};
use crate::live::{LiveRole, canonical_json, role_path};
use crate::stack::{Address, Stack};

pub const LAMBDA_SERVICE: &str = "lambda.amazonaws.com";

/// What the function may do: write its own logs (what AWSLambdaBasicExecutionRole grants,
/// scoped to the function's log group).
fn policy(function_name: &str) -> String {
    let log_group = format!("arn:aws:logs:*:*:log-group:/aws/lambda/{function_name}");
    let document = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [log_group.clone(), format!("{log_group}:*")],
            }
        ],
    });
    canonical_json(&document.to_string())
}

/// The name of the role stackctl manages for a function.
pub fn role_name(stack: &Stack, function: &str) -> String {
    stack.physical_name(function)
}

pub fn plan(stack: &Stack, function: &str, live: Option<&LiveRole>) -> Change {
    let desired = RoleDesired {
        name: role_name(stack, function),
        path: role_path(&stack.name),
        trusted_services: vec![LAMBDA_SERVICE.to_string()],
        policy: policy(&stack.physical_name(function)),
        stack: stack.name.clone(),
    };
    let after = desired_attrs(&desired);
    Change::declared(
        Address::Role(function.to_string()),
        desired.name.clone(),
        after,
        Desired::Role(desired),
        live.map(|l| (live_attrs(l), Live::Role(l.clone()))),
    )
}

pub fn plan_delete(function: &str, live: &LiveRole) -> Change {
    Change::delete(
        Address::Role(function.to_string()),
        live.name.clone(),
        "its function no longer uses a managed role",
        live_attrs(live),
        Live::Role(live.clone()),
    )
}

fn desired_attrs(d: &RoleDesired) -> Attrs {
    let mut a = Attrs::new();
    a.insert("name".into(), Value::str(&d.name));
    a.insert("trusted_services".into(), Value::list(&d.trusted_services));
    a.insert("permissions".into(), permissions(Some(&d.policy)));
    a
}

fn live_attrs(live: &LiveRole) -> Attrs {
    let mut a = Attrs::new();
    a.insert("name".into(), Value::str(&live.name));
    a.insert(
        "trusted_services".into(),
        Value::list(&live.trusted_services),
    );
    a.insert("permissions".into(), permissions(live.policy.as_deref()));
    a
}

/// A policy document as one line per statement (`Allow a, b on r`), for people to read and
/// for equal policies to compare equal however they are written.
fn permissions(policy: Option<&str>) -> Value {
    let document: serde_json::Value = policy
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default();
    let list = |v: &serde_json::Value| -> String {
        match v {
            serde_json::Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(", "),
            other => other.as_str().unwrap_or_default().to_string(),
        }
    };
    let statements = match &document["Statement"] {
        serde_json::Value::Array(items) => items.clone(),
        serde_json::Value::Null => Vec::new(),
        one => vec![one.clone()],
    };
    Value::List(
        statements
            .iter()
            .map(|s| {
                Value::Str(format!(
                    "{} {} on {}",
                    s["Effect"].as_str().unwrap_or("Allow"),
                    list(&s["Action"]),
                    list(&s["Resource"])
                ))
            })
            .collect(),
    )
}
