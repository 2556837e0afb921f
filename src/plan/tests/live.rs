//! Live state as stackctl would have applied a stack file: what a read of AWS would find right
//! after `stackctl apply`, fingerprints and permissions records included.

use std::collections::BTreeMap;

use super::{ACCOUNT, REGION, code_hash};
use crate::live::{
    LiveApi, LiveFunction, LiveGlobalIndex, LiveRole, LiveRoute, LiveState, LiveTable,
};
use crate::live::{LiveSubscription, LiveTopic};
use crate::marks::{permissions_record, recorded_permissions};
use crate::plan::{Desired, policy_document};
use crate::stack::{
    ApiSpec, AuthorizerSpec, Endpoint, FunctionSpec, RefTarget, Reference, Stack, TableSpec,
};

/// The ID of the API [`applied`] makes.
pub const API_ID: &str = "a1b2c3d4e5";

/// What a read would find after `stackctl apply` of `stack`: a plan of `stack` against it has
/// no changes (pinned by `plan::an_applied_stack_plans_no_changes`).
pub fn applied(stack: &Stack) -> LiveState {
    let mut live = LiveState {
        account: Some(ACCOUNT.to_string()),
        ..LiveState::default()
    };
    for spec in &stack.tables {
        let table = table(&stack.table_name(&spec.logical), spec);
        live.tables.insert(table.name.clone(), table);
    }
    for spec in &stack.functions {
        let function = function(stack, spec);
        live.functions.insert(function.name.clone(), function);
        if spec.role.is_none() {
            let role = role(&stack.physical_name(&spec.logical), &stack.name);
            live.roles.insert(role.name.clone(), role);
        }
    }
    if stack.routes.iter().any(|r| r.publish.is_some()) {
        let mut role = role(
            &stack.physical_name(crate::marks::PUBLISH_ROLE),
            &stack.name,
        );
        role.trusted_services = vec!["apigateway.amazonaws.com".to_string()];
        live.roles.insert(role.name.clone(), role);
    }
    if let Some(spec) = &stack.api {
        live.apis.push(api(stack, spec));
        metering(stack, spec, &mut live);
        live.invoke_permissions = recorded_permissions(routed(stack));
        // A Lambda authorizer's function holds its statement.
        for (name, authorizer) in &spec.authorizers {
            if let AuthorizerSpec::Lambda { function } = authorizer {
                let held = live.invoke_permissions.entry(stack.function_name(function));
                held.or_default()
                    .insert(crate::marks::authorizer_statement_id(name));
            }
        }
    }
    for spec in &stack.user_pools {
        let pool = user_pool(stack, spec);
        live.user_pools.insert(pool.name.clone(), pool);
    }
    live.topics = applied_topics(stack);
    live.secrets = ssm_parameters(stack);
    settle(stack, &mut live);
    live
}

/// What depends on resolved references or on the desired form: environment values, role
/// policies and the `stackctl:applied` fingerprints, taken from a plan against `live`.
fn settle(stack: &Stack, live: &mut LiveState) {
    let plan = super::plan(stack, live);
    let resolve = |r: &Reference| {
        let key = r.to_string();
        plan.known
            .get(&key)
            .or_else(|| plan.secrets.get(&key))
            .cloned()
    };
    for change in &plan.changes {
        match &change.desired {
            Some(Desired::Table(d)) => {
                live.tables.get_mut(&d.name).unwrap().applied = Some(d.applied.clone())
            }
            Some(Desired::Function(d)) => {
                let f = live.functions.get_mut(&d.name).unwrap();
                f.environment = d
                    .spec
                    .environment
                    .iter()
                    .map(|(k, v)| (k.clone(), v.value.resolve(resolve).expect("known")))
                    .collect();
                f.applied = Some(d.applied.clone());
            }
            Some(Desired::Role(d)) => {
                live.roles.get_mut(&d.name).unwrap().policy =
                    policy_document(&d.statements, resolve);
            }
            _ => {}
        }
    }
}

pub fn table_arn(name: &str) -> String {
    format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}")
}

pub fn function_arn(name: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
}

pub fn role_arn(stack: &str, name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/stackctl/{stack}/{name}")
}

pub fn table(name: &str, spec: &TableSpec) -> LiveTable {
    LiveTable {
        name: name.to_string(),
        arn: table_arn(name),
        status: "ACTIVE".to_string(),
        partition_key: spec.partition_key.clone(),
        sort_key: spec.sort_key.clone(),
        billing: spec.billing,
        ttl_attribute: spec.ttl_attribute.clone(),
        stream: spec.stream,
        stream_arn: spec
            .stream
            .map(|_| format!("{}/stream/2026-01-01T00:00:00.000", table_arn(name))),
        point_in_time_recovery: spec.point_in_time_recovery,
        deletion_protection: spec.deletion_protection,
        table_class: spec.table_class,
        global_indexes: spec
            .global_indexes
            .iter()
            .map(|i| LiveGlobalIndex {
                spec: crate::stack::GlobalIndexSpec {
                    autoscaling: Default::default(),
                    ..i.clone()
                },
                status: "ACTIVE".to_string(),
                autoscaling: (&i.autoscaling).into(),
            })
            .collect(),
        local_indexes: spec.local_indexes.clone(),
        last_switch_to_on_demand: None,
        tags: spec.tags.clone(),
        applied: None,
        autoscaling: (&spec.autoscaling).into(),
    }
}

/// The function, its environment still empty (see [`settle`]).
pub fn function(stack: &Stack, spec: &FunctionSpec) -> LiveFunction {
    let name = stack.function_name(&spec.logical);
    LiveFunction {
        arn: function_arn(&name),
        runtime: spec.runtime.clone(),
        handler: spec.handler.clone(),
        memory: spec.memory,
        timeout: spec.timeout,
        architecture: spec.architecture.as_str().to_string(),
        description: spec.description.clone(),
        layers: spec.layers.clone(),
        reserved_concurrency: spec.reserved_concurrency,
        log_retention_days: spec.log_retention_days,
        role: spec
            .role
            .clone()
            .unwrap_or_else(|| role_arn(&stack.name, &stack.physical_name(&spec.logical))),
        environment: BTreeMap::new(),
        code_sha256: code_hash(&spec.logical),
        tags: spec.tags.clone(),
        applied: None,
        tracing: spec
            .tracing
            .map_or("PassThrough", |t| t.aws_name())
            .to_string(),
        publishes: false,
        versions: None,
        vpc: spec.vpc.clone(),
        name,
    }
}

/// A managed role, its policy still absent (see [`settle`]).
pub fn role(name: &str, stack: &str) -> LiveRole {
    LiveRole {
        name: name.to_string(),
        arn: role_arn(stack, name),
        trusted_services: vec!["lambda.amazonaws.com".to_string()],
        policy: None,
    }
}

/// The stack's routes as (route key, physical function name).
fn routed(stack: &Stack) -> impl Iterator<Item = (String, String)> + '_ {
    stack
        .routes
        .iter()
        .filter_map(|r| Some((r.key.clone(), stack.function_name(r.invokes()?))))
}

pub fn api(stack: &Stack, spec: &ApiSpec) -> LiveApi {
    let authorizers = spec
        .authorizers
        .iter()
        .enumerate()
        .map(|(i, (name, a))| {
            let a = match a {
                AuthorizerSpec::Lambda { function } => AuthorizerSpec::Lambda {
                    function: stack.function_name(function),
                },
                other => other.clone(),
            };
            (name.clone(), (format!("auth{i}"), a))
        })
        .collect();
    let routes = stack
        .routes
        .iter()
        .enumerate()
        .map(|(i, r)| LiveRoute {
            id: format!("route{i}"),
            key: r.key.clone(),
            integration_id: Some(format!("integ{i}")),
            function_arn: r.invokes().map(|f| function_arn(&stack.function_name(f))),
            authorizer: r.authorizer.clone(),
            scopes: r.scopes.clone(),
            api_key: r.api_key,
            topic_arn: r.publish.as_ref().map(|t| {
                let declared = stack.topics.iter().find(|d| d.logical == *t);
                let name = declared.map_or_else(|| stack.physical_name(t), |d| stack.topic_name(d));
                format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}")
            }),
            credentials: r.publish.as_ref().map(|_| {
                let name = stack.physical_name(crate::marks::PUBLISH_ROLE);
                role_arn(&stack.name, &name)
            }),
        })
        .collect();
    let rest = spec.api_type == crate::stack::ApiType::Rest;
    LiveApi {
        id: API_ID.to_string(),
        name: stack.name.clone(),
        endpoint: format!("https://{API_ID}.execute-api.{REGION}.amazonaws.com"),
        protocol: spec.api_type.protocol().to_string(),
        tags: spec.tags.clone(),
        permissions_record: Some(permissions_record(routed(stack))),
        alias_permissions: Some(crate::marks::alias_permissions_record(
            &crate::plan::api::reachable_aliases(stack),
        )),
        stages: spec.stage_names().map(str::to_string).collect(),
        stage_settings: spec.stages.clone(),
        cors: spec.cors.clone(),
        throttle: spec.first_stage().throttle,
        access_log: spec.first_stage().access_log.clone(),
        authorizers,
        routes,
        resources: Vec::new(),
        deployment_id: rest.then(|| "dep1".to_string()),
    }
}

/// A value for every SSM parameter the stack refers to, by parameter name.
fn ssm_parameters(stack: &Stack) -> BTreeMap<String, String> {
    stack
        .functions
        .iter()
        .flat_map(|f| f.references())
        .filter_map(|r| match r.target {
            RefTarget::Ssm(name) => Some((name.clone(), format!("value-of-{name}"))),
            _ => None,
        })
        .collect()
}

/// The API's usage plans (IDs `plan-NAME`) metering its stages, and its keys (IDs `key-NAME`)
/// in their plans.
fn metering(stack: &Stack, spec: &ApiSpec, live: &mut LiveState) {
    for (name, plan) in &spec.usage_plans {
        let stages = plan.stages.iter().map(|stage| crate::live::LiveApiStage {
            api_id: API_ID.to_string(),
            stage: stage.clone(),
            routes: plan.routes.clone(),
        });
        let key_ids = spec.keys.iter().filter(|(_, k)| k.plans.contains(name));
        let found = crate::live::LiveUsagePlan {
            id: format!("plan-{name}"),
            name: stack.physical_name(name),
            stages: stages.collect(),
            throttle: plan.throttle,
            quota: plan.quota,
            key_ids: key_ids.map(|(k, _)| format!("key-{k}")).collect(),
        };
        live.usage_plans.insert(found.name.clone(), found);
    }
    for (name, key) in &spec.keys {
        let found = crate::live::LiveApiKey {
            id: format!("key-{name}"),
            name: stack.physical_name(name),
            enabled: key.enabled,
        };
        live.api_keys.insert(found.name.clone(), found);
    }
}

/// A pool as stackctl applied it; its clients have Cognito's default auth flows where the
/// file declares none.
pub fn user_pool(stack: &Stack, spec: &crate::stack::UserPoolSpec) -> crate::live::LiveUserPool {
    let name = stack.user_pool_name(&spec.logical);
    let id = format!("{REGION}_{}", spec.logical);
    let clients = spec.clients.iter().map(|(n, c)| {
        let mut spec = c.clone();
        if spec.auth_flows.is_empty() {
            spec.auth_flows = vec!["ALLOW_REFRESH_TOKEN_AUTH".to_string()];
        }
        let id = format!("{n}-client-id");
        (n.clone(), crate::live::LiveUserPoolClient { id, spec })
    });
    crate::live::LiveUserPool {
        arn: format!("arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{id}"),
        id,
        name,
        sign_in: spec.sign_in.clone(),
        auto_verify: spec.auto_verify.clone(),
        password: spec.password.clone(),
        mfa: spec.mfa,
        attributes: spec.attributes.clone(),
        deletion_protection: spec.deletion_protection,
        clients: clients.collect(),
        domain: spec.domain.clone(),
        tags: spec.tags.clone(),
        all_tags: spec.tags.clone(),
    }
}

/// The topics of `stack` as stackctl applies them: confirmed subscriptions, as declared.
pub fn applied_topics(stack: &Stack) -> BTreeMap<String, LiveTopic> {
    stack
        .topics
        .iter()
        .map(|spec| {
            let name = stack.topic_name(spec);
            let arn = format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}");
            let subscriptions = spec
                .subscriptions
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let (protocol, endpoint) = match &s.endpoint {
                        Endpoint::Function(f) => ("lambda", function_arn(&stack.function_name(f))),
                        Endpoint::Queue(q) => ("sqs", q.clone()),
                        Endpoint::Email(e) => ("email", e.clone()),
                    };
                    LiveSubscription {
                        arn: Some(format!("{arn}:sub-{i}")),
                        protocol: protocol.to_string(),
                        endpoint,
                        raw: s.raw,
                        filter: s.filter.clone(),
                        invoke_permission: (protocol == "lambda").then_some(true),
                    }
                })
                .collect();
            let topic = LiveTopic {
                name: name.clone(),
                arn,
                fifo: spec.fifo,
                content_based_deduplication: spec.content_based_deduplication,
                display_name: spec.display_name.clone(),
                tags: spec.tags.clone(),
                applied: None,
                subscriptions,
            };
            (name, topic)
        })
        .collect()
}
