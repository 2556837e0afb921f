//! How a managed function role is diffed.

use super::attr::attr_names;
use super::{Attrs, Change, Desired, Live, PolicyStatement, RoleDesired, Value};
use crate::live::{LiveRole, canonical_json};
use crate::marks::role_path;
use crate::stack::{
    Address, EventSource, FunctionSpec, RefAttr, RefTarget, Reference, Stack, TableAccess,
    Template, Tracing,
};

attr_names! {
    /// The attributes of a managed role.
    pub enum RoleAttr {
        Name = "name",
        TrustedServices = "trusted_services",
        /// The inline policy, one line per statement.
        Permissions = "permissions",
    }
}

pub const LAMBDA_SERVICE: &str = "lambda.amazonaws.com";

const READ_ACTIONS: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
];
const WRITE_ACTIONS: &[&str] = &[
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
];

/// The name of the role stackctl manages for a function.
pub fn role_name(stack: &Stack, function: &str) -> String {
    stack.physical_name(function)
}

/// What the function may do: write its own logs (what AWSLambdaBasicExecutionRole grants,
/// scoped to the function's log group), and use the tables it declares, with their indexes.
/// `region` gives the partition of the log group ARN.
fn statements(stack: &Stack, spec: &FunctionSpec, region: &str) -> Vec<PolicyStatement> {
    let log_group = crate::arn::lambda_log_groups(region, &stack.function_name(&spec.logical));
    let mut statements = vec![PolicyStatement {
        sid: "Logs".to_string(),
        actions: [
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
        ]
        .map(String::from)
        .to_vec(),
        resources: vec![
            Template::text(&log_group),
            Template::text(&format!("{log_group}:*")),
        ],
    }];
    for (table, access) in &spec.tables {
        let actions: Vec<&str> = match access {
            TableAccess::Read => READ_ACTIONS.to_vec(),
            TableAccess::Write => WRITE_ACTIONS.to_vec(),
            TableAccess::ReadWrite => {
                let mut all: Vec<&str> =
                    READ_ACTIONS.iter().chain(WRITE_ACTIONS).copied().collect();
                all.sort();
                all.dedup();
                all
            }
        };
        let arn = Reference {
            target: RefTarget::Table(table.clone()),
            attr: RefAttr::Arn,
        };
        statements.push(PolicyStatement {
            sid: crate::marks::policy_sid("Table", table, spec.tables.keys().map(String::as_str)),
            actions: actions.into_iter().map(String::from).collect(),
            resources: vec![
                Template::reference(arn.clone(), ""),
                Template::reference(arn, "/index/*"),
            ],
        });
    }
    for topic in spec.topics.keys() {
        let arn = Reference {
            target: RefTarget::Topic(topic.clone()),
            attr: RefAttr::Arn,
        };
        statements.push(PolicyStatement {
            sid: crate::marks::policy_sid("Topic", topic, spec.topics.keys().map(String::as_str)),
            actions: vec!["sns:Publish".to_string()],
            resources: vec![Template::reference(arn, "")],
        });
    }
    statements.extend(event_statements(spec));
    if let (true, Some(websocket)) = (spec.manage_connections, &stack.websocket) {
        statements.push(manage_connections(&websocket.stage));
    }
    if spec.tracing == Some(Tracing::Active) {
        statements.push(xray_write());
    }
    statements.extend(
        spec.permissions
            .iter()
            .enumerate()
            .map(|(i, p)| PolicyStatement {
                sid: format!("Permission{}", i + 1),
                actions: p.actions.clone(),
                resources: p.resources.clone(),
            }),
    );
    if spec.vpc.is_some() {
        statements.push(vpc_access());
    }
    statements
}

/// `vpc = {...}`: the network interfaces Lambda makes in the function's subnets, what the
/// managed policy AWSLambdaVPCAccessExecutionRole grants; these actions take no resource ARN
/// (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html>).
fn vpc_access() -> PolicyStatement {
    PolicyStatement {
        sid: "Vpc".to_string(),
        actions: [
            "ec2:AssignPrivateIpAddresses",
            "ec2:CreateNetworkInterface",
            "ec2:DeleteNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:UnassignPrivateIpAddresses",
        ]
        .map(String::from)
        .to_vec(),
        resources: vec![Template::text("*")],
    }
}

/// `tracing = "active"`: send trace segments and telemetry to X-Ray, what the managed policy
/// AWSXRayDaemonWriteAccess grants Lambda's tracing; these actions take no resource ARN
/// (<https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html>).
fn xray_write() -> PolicyStatement {
    PolicyStatement {
        sid: "XRay".to_string(),
        actions: vec![
            "xray:PutTelemetryRecords".to_string(),
            "xray:PutTraceSegments".to_string(),
        ],
        resources: vec![Template::text("*")],
    }
}

/// `websocket = "manage"`: post to (POST) and drop (DELETE) the connections of the stack's
/// WebSocket API at its stage, and nothing else
/// (<https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html>).
fn manage_connections(stage: &str) -> PolicyStatement {
    let api = Reference {
        target: RefTarget::Websocket,
        attr: RefAttr::Arn,
    };
    PolicyStatement {
        sid: "WebsocketConnections".to_string(),
        actions: vec!["execute-api:ManageConnections".to_string()],
        resources: ["POST", "DELETE"]
            .map(|method| {
                Template::reference(api.clone(), &format!("/{stage}/{method}/@connections/*"))
            })
            .to_vec(),
    }
}

/// The policy document as canonical JSON, once every resource it names is known.
pub fn document(
    statements: &[PolicyStatement],
    resolve: impl Fn(&Reference) -> Option<String>,
) -> Option<String> {
    let statements = statements
        .iter()
        .map(|s| {
            let resources = s
                .resources
                .iter()
                .map(|r| r.resolve(&resolve))
                .collect::<Option<Vec<String>>>()?;
            Some(serde_json::json!({
                "Sid": s.sid,
                "Effect": "Allow",
                "Action": s.actions,
                "Resource": resources,
            }))
        })
        .collect::<Option<Vec<_>>>()?;
    let document = serde_json::json!({ "Version": "2012-10-17", "Statement": statements });
    Some(canonical_json(&document.to_string()))
}

/// `region`: where the stack is applied (the partition of the ARNs the policy names).
pub fn plan(
    stack: &Stack,
    spec: &FunctionSpec,
    live: Option<&LiveRole>,
    resolve: &dyn Fn(&Reference) -> Option<String>,
    region: &str,
) -> Change {
    let desired = RoleDesired {
        name: role_name(stack, &spec.logical),
        path: role_path(&stack.name),
        trusted_services: vec![LAMBDA_SERVICE.to_string()],
        statements: statements(stack, spec, region),
        stack: stack.name.clone(),
    };
    plan_desired(desired, Address::Role(spec.logical.clone()), live, resolve)
}

/// A managed role (`address`) as `desired` says, against the role as read.
pub(super) fn plan_desired(
    desired: RoleDesired,
    address: Address,
    live: Option<&LiveRole>,
    resolve: &dyn Fn(&Reference) -> Option<String>,
) -> Change {
    let mut after = Attrs::new();
    after.insert(RoleAttr::Name.into(), Value::str(&desired.name));
    after.insert(
        RoleAttr::TrustedServices.into(),
        Value::list(&desired.trusted_services),
    );
    let permissions =
        document(&desired.statements, resolve).map_or(Value::Unknown, |d| permissions(Some(&d)));
    after.insert(RoleAttr::Permissions.into(), permissions);
    Change::declared(
        address,
        desired.name.clone(),
        after,
        Desired::Role(desired),
        live.map(|l| (live_attrs(l), Live::Role(l.clone()))),
    )
}

/// A managed role no function needs any more; `reason` says why, for the plan.
pub fn plan_delete(function: &str, live: &LiveRole, reason: &str) -> Change {
    Change::delete(
        Address::Role(function.to_string()),
        live.name.clone(),
        reason,
        live_attrs(live),
        Live::Role(live.clone()),
    )
}

fn live_attrs(live: &LiveRole) -> Attrs {
    let mut a = Attrs::new();
    a.insert(RoleAttr::Name.into(), Value::str(&live.name));
    a.insert(
        RoleAttr::TrustedServices.into(),
        Value::list(&live.trusted_services),
    );
    a.insert(
        RoleAttr::Permissions.into(),
        permissions(live.policy.as_deref()),
    );
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

/// IAM's limit on a role's inline policies, all of them together: 10,240 characters,
/// whitespace not counted. Moto does not check it.
/// Source: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>
/// ("Role policy size cannot exceed 10,240 characters").
pub const MAX_INLINE_POLICY_CHARS: usize = 10_240;

/// The size IAM counts of the policy `statements` make (characters without whitespace).
/// References not known before apply count at the length they will have: a table's or
/// function's ARN from its physical name, `account` (12 digits) and `region`; others count as
/// nothing, so the size is never over what IAM will count.
pub fn policy_size(
    stack: &Stack,
    statements: &[PolicyStatement],
    resolve: &dyn Fn(&Reference) -> Option<String>,
    region: &str,
    account: &str,
) -> usize {
    let stand_in = |r: &Reference| -> Option<String> {
        let physical = |name: &str| stack.physical_name(name);
        Some(match (&r.target, r.attr) {
            (RefTarget::Table(t), RefAttr::Arn) => format!(
                "arn:{}:dynamodb:{region}:{account}:table/{}",
                crate::arn::partition(region),
                physical(t)
            ),
            (RefTarget::Function(f), RefAttr::Arn) => {
                crate::arn::function(region, account, &physical(f))
            }
            (RefTarget::Topic(t), RefAttr::Arn) => format!(
                "arn:{}:sns:{region}:{account}:{}",
                crate::arn::partition(region),
                physical(t)
            ),
            _ => String::new(),
        })
    };
    let document = document(statements, |r| resolve(r).or_else(|| stand_in(r))).unwrap_or_default();
    document.chars().filter(|c| !c.is_whitespace()).count()
}

/// Managed roles whose policy IAM would refuse as too large (PutRolePolicy's
/// LimitExceeded), found before anything is applied.
pub fn size_blockers(
    stack: &Stack,
    changes: &[Change],
    resolve: &dyn Fn(&Reference) -> Option<String>,
    region: &str,
    account: Option<&str>,
) -> Vec<super::Blocker> {
    let account = account.unwrap_or("000000000000");
    changes
        .iter()
        .filter_map(|c| match &c.desired {
            Some(Desired::Role(role)) => Some((c, role)),
            _ => None,
        })
        .filter_map(|(change, role)| {
            let size = policy_size(stack, &role.statements, resolve, region, account);
            (size > MAX_INLINE_POLICY_CHARS).then(|| super::Blocker {
                address: change.address.clone(),
                message: format!(
                    "role {}'s policy holds {size} characters (whitespace not counted), more than IAM's {MAX_INLINE_POLICY_CHARS} for a role's inline policies",
                    role.name
                ),
                help: "grant the function fewer tables or permissions (split its work between functions), name resources with wildcards in permissions, or give it a role of your own (role = \"arn:...\") with managed policies".to_string(),
            })
        })
        .collect()
}

/// What Lambda needs to read each event source as the function's role, and nothing more
/// (<https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions>,
/// <https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#events-dynamodb-permissions>):
/// a queue's messages; a table's streams (`TABLE_ARN/stream/*`, as AWS's
/// DynamoDBStreamReadPolicy template grants, so that a new stream of the table needs no new
/// policy); and sending failed batches' records to the on-failure queue.
fn event_statements(spec: &FunctionSpec) -> Vec<PolicyStatement> {
    let sid = |prefix: &str, name: &str| format!("{prefix}{}", name.replace(['-', '_'], ""));
    let mut statements = Vec::new();
    let mut failure_queues = std::collections::BTreeSet::new();
    for event in &spec.events {
        let (sid, actions, resource) = match &event.source {
            EventSource::Queue(q) => (
                sid("EventQueue", q),
                &[
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:ReceiveMessage",
                ][..],
                Template::reference(super::queue_reference(q, RefAttr::Arn), ""),
            ),
            EventSource::Stream(t) => (
                sid("EventStream", t),
                &[
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                ][..],
                Template::reference(
                    Reference {
                        target: RefTarget::Table(t.clone()),
                        attr: RefAttr::Arn,
                    },
                    "/stream/*",
                ),
            ),
        };
        statements.push(PolicyStatement {
            sid,
            actions: actions.iter().map(|a| a.to_string()).collect(),
            resources: vec![resource],
        });
        failure_queues.extend(event.on_failure.iter());
    }
    for queue in failure_queues {
        statements.push(PolicyStatement {
            sid: sid("EventFailure", queue),
            actions: vec!["sqs:SendMessage".to_string()],
            resources: vec![Template::reference(
                super::queue_reference(queue, RefAttr::Arn),
                "",
            )],
        });
    }
    statements
}
