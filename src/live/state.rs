//! Reading the whole live state a plan needs: what the stack owns and the physical names it
//! wants, every service at once; with a scope (`apply plan.json`), only what it names.

use std::collections::{BTreeMap, BTreeSet};

use super::read::{
    Found, Wanted, account_and_referred, missing, read_invoke_permissions,
    read_tables_and_functions,
};
use super::{
    Conflict, LiveApi, LiveApiKey, LiveRole, LiveState, LiveTopic, LiveUsagePlan, LiveUserPool,
    LiveWebsocket, Refresh, Scope, api, autoscaling, dynamodb, event_sources, eventbridge, iam,
    lambda, sns, sqs, ssm, usage_plans, user_pool, versions, websocket,
};
use crate::aws::{AwsError, Clients};
use crate::stack::{ApiType, Stack};

/// Reads everything the stack owns, plus the physical names it wants, concurrently; with a
/// scope, only what it names.
pub async fn read(
    clients: &Clients,
    stack: &Stack,
    refresh: Refresh,
    scope: Option<&Scope>,
) -> Result<LiveState, AwsError> {
    let wanted = Wanted::of(stack, scope);
    // The API's reads come first: theirs is the longest chain (the API list, then its routes,
    // integrations, stages and authorizers), so they should not queue behind the tables'.
    let (mut apis, found, beside) = tokio::try_join!(
        read_apis(clients, stack, scope),
        read_tables_and_functions(clients, stack, scope, refresh, &wanted),
        Box::pin(read_beside(clients, stack, scope, &wanted)),
    )?;
    let Beside {
        roles: (roles, role_conflicts),
        secrets: (secrets, plain_parameters),
        retention,
        websockets,
        usage_plans: (usage_plans, api_keys),
        user_pools,
        topics: (topics, topic_conflicts),
        queues,
    } = beside;
    let Found {
        owned,
        tables,
        functions,
    } = found;
    let (mut tables, table_conflicts) =
        dynamodb::claim(clients, tables, &owned, &stack.name).await?;
    let (mut functions, function_conflicts) = lambda::claim(functions, &retention, &stack.name);
    versions::read(clients, stack, &mut functions).await?;
    let declares_schedules = stack.functions.iter().any(|f| !f.schedules.is_empty());
    let schedules = match scope {
        Some(s) if s.schedules => eventbridge::read(clients, &stack.name).await?,
        None if declares_schedules || owned.schedules => {
            eventbridge::read(clients, &stack.name).await?
        }
        _ => BTreeMap::new(),
    };
    let (queues, queue_conflicts) = match queues {
        Some(queues) => queues,
        None if scope.is_none() && owned.queues => {
            sqs::read(clients, &stack.name, &queue_names(stack)).await?
        }
        None => Default::default(),
    };
    let (user_pools, pool_conflicts) = match user_pools {
        Some(pools) => pools,
        None if owned.user_pools => user_pool::read(clients, stack).await?,
        None => Default::default(),
    };
    let mappings = async {
        if !scope.map_or(event_sources::wanted(stack), |s| s.event_sources) {
            return Ok(Vec::new());
        }
        event_sources::read(clients, functions.values()).await
    };
    let (invoke_permissions, websocket_permissions, (), event_sources) = tokio::try_join!(
        read_invoke_permissions(clients, &apis, &functions, refresh, scope),
        Box::pin(websocket::read_permissions(
            clients,
            &websockets,
            &functions,
            refresh,
            scope
        )),
        autoscaling::read(clients, &mut tables),
        mappings,
    )?;
    super::alias_permissions::read(clients, stack, &mut apis, refresh).await?;
    let gateway_logging_role = match scope {
        None => super::gateway_account::read_logging_role(clients, stack).await?,
        Some(_) => None,
    };
    let arns = tables
        .values()
        .map(|t| &t.arn)
        .chain(functions.values().map(|f| &f.arn))
        .chain(roles.values().map(|r| &r.arn));
    let (account, referred_arns) =
        account_and_referred(clients, stack, scope, arns, &apis, &websockets).await?;

    let mut conflicts = table_conflicts;
    conflicts.extend(function_conflicts);
    conflicts.extend(role_conflicts);
    conflicts.extend(topic_conflicts);
    conflicts.extend(pool_conflicts);
    conflicts.extend(queue_conflicts);
    let missing = missing(&owned, &tables, &functions);
    Ok(LiveState {
        tables,
        functions,
        roles,
        apis,
        conflicts,
        secrets,
        plain_parameters,
        missing,
        invoke_permissions,
        websockets,
        websocket_permissions,
        account,
        referred_arns,
        usage_plans,
        api_keys,
        user_pools,
        topics,
        queues,
        event_sources,
        schedules,
        gateway_logging_role,
    })
}

/// What a stack has beside its tables, functions and API, each read only where `scope` asks
/// for it.
struct Beside {
    /// Managed roles by function, and roles the stack may not take.
    roles: (BTreeMap<String, LiveRole>, Vec<Conflict>),
    /// SSM parameter values by name, and the names of the plain ones.
    secrets: (BTreeMap<String, String>, BTreeSet<String>),
    /// Log retention in days by function name (`None`: kept forever).
    retention: BTreeMap<String, Option<i32>>,
    websockets: Vec<LiveWebsocket>,
    /// Usage plans and API keys by physical name.
    usage_plans: (
        BTreeMap<String, LiveUsagePlan>,
        BTreeMap<String, LiveApiKey>,
    ),
    /// The stack's user pools, read when it declares any or a scope asks, and declared pool
    /// names other stacks' pools have; `None`: not read.
    user_pools: Option<(BTreeMap<String, LiveUserPool>, Vec<Conflict>)>,
    /// Owned topics by name, and declared topic names the stack may not take.
    topics: (BTreeMap<String, LiveTopic>, Vec<Conflict>),
    /// Owned queues by name, and declared queue names the stack may not take.
    queues: Option<(BTreeMap<String, super::LiveQueue>, Vec<Conflict>)>,
}

async fn read_beside(
    clients: &Clients,
    stack: &Stack,
    scope: Option<&Scope>,
    wanted: &Wanted,
) -> Result<Beside, AwsError> {
    let reads = |wanted: fn(&Scope) -> bool| scope.is_none_or(wanted);
    let roles = async {
        if !reads(|s| s.roles) {
            return Ok((BTreeMap::new(), Vec::new()));
        }
        iam::read_roles(clients, &stack.name, &wanted.roles).await
    };
    let secrets = async {
        if !reads(|s| s.secrets) {
            return Ok((BTreeMap::new(), BTreeSet::new()));
        }
        ssm::read_parameters(clients, stack).await
    };
    let retention = async {
        if !reads(|s| s.log_groups) {
            return Ok(BTreeMap::new());
        }
        lambda::log_retention(clients, &stack.name).await
    };
    let websockets = async {
        if !reads(|s| s.websocket) {
            return Ok(Vec::new());
        }
        websocket::read(clients, &stack.name).await
    };
    let topics = async {
        if !reads(|s| s.topics) {
            return Ok((BTreeMap::new(), Vec::new()));
        }
        let wanted: BTreeMap<String, String> = stack
            .topics
            .iter()
            .map(|t| (stack.topic_name(t), t.logical.clone()))
            .collect();
        sns::read(clients, &stack.name, &wanted).await
    };
    let user_pools = async {
        let wanted = scope.map_or(!stack.user_pools.is_empty(), |s| s.user_pools);
        if !wanted {
            return Ok(None);
        }
        user_pool::read(clients, stack).await.map(Some)
    };
    let usage_plans = async {
        if !reads(|s| s.usage_plans) {
            return Ok(Default::default());
        }
        usage_plans::read(clients, &stack.name).await
    };
    // As user pools: without a scope, read when declared; else once the tagging index has
    // shown one (see `read`).
    let queues = async {
        if !scope.map_or(!stack.queues.is_empty(), |s| s.queues) {
            return Ok(None);
        }
        sqs::read(clients, &stack.name, &queue_names(stack))
            .await
            .map(Some)
    };
    let (roles, secrets, retention, websockets, usage_plans, user_pools, topics, queues) = tokio::try_join!(
        roles,
        secrets,
        retention,
        Box::pin(websockets),
        Box::pin(usage_plans),
        Box::pin(user_pools),
        Box::pin(topics),
        Box::pin(queues)
    )?;
    Ok(Beside {
        roles,
        secrets,
        retention,
        websockets,
        usage_plans,
        user_pools,
        topics,
        queues,
    })
}

/// The stack's API of type `api_type` with the ID `id`, read as a full plan reads it (stages
/// and authorizers included): apply's read-back after a whole-API write. `None` when no API
/// of the stack has that ID.
pub async fn read_api(
    clients: &Clients,
    stack: &str,
    api_type: ApiType,
    id: &str,
) -> Result<Option<LiveApi>, AwsError> {
    let apis = match api_type {
        ApiType::Http => api::read_http_apis(clients, stack, true).await?,
        ApiType::Rest => api::read_rest_apis(clients, stack).await?,
    };
    Ok(apis.into_iter().find(|api| api.id == id))
}

/// The APIs tagged for the stack, the one with the most routes first.
async fn read_apis(
    clients: &Clients,
    stack: &Stack,
    scope: Option<&Scope>,
) -> Result<Vec<LiveApi>, AwsError> {
    let reads = |wanted: fn(&Scope) -> bool| scope.is_none_or(wanted);
    if !reads(|s| s.api) {
        return Ok(Vec::new());
    }
    // An API of the other type would be replaced: only a change to the API itself
    // needs to look for one.
    let declared = stack.api.as_ref().map(|a| a.api_type);
    let reads_type =
        |t: ApiType| scope.is_none_or(|s| s.api_replaceable) || declared.is_none_or(|d| d == t);
    let http = async {
        if !reads_type(ApiType::Http) {
            return Ok(Vec::new());
        }
        api::read_http_apis(clients, &stack.name, reads(|s| s.api_settings)).await
    };
    let rest = async {
        if !reads_type(ApiType::Rest) {
            return Ok(Vec::new());
        }
        api::read_rest_apis(clients, &stack.name).await
    };
    let (mut apis, rest) = tokio::try_join!(http, rest)?;
    apis.extend(rest);
    // Stable: among APIs with as many routes, the oldest stays first.
    apis.sort_by_key(|api| std::cmp::Reverse(api.routes.len()));
    Ok(apis)
}

/// The physical names of the declared queues.
fn queue_names(stack: &Stack) -> BTreeSet<String> {
    stack
        .queues
        .iter()
        .map(|q| q.physical_name(&stack.name))
        .collect()
}
