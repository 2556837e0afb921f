//! Reading the whole live state a plan needs: what the stack owns and the physical names it
//! wants, every service at once; with a scope (`apply plan.json`), only what it names.

use std::collections::{BTreeMap, BTreeSet};

use super::read::{
    Wanted, account_and_referred, missing, read_invoke_permissions, read_tables_and_functions,
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
    let metering = metering(clients, stack, scope, &apis, beside.usage_plans).await?;
    let owned = found.owned;
    let (mut tables, table_conflicts) =
        dynamodb::claim(clients, found.tables, &owned, &stack.name).await?;
    let (mut functions, function_conflicts) =
        lambda::claim(found.functions, &beside.retention, &stack.name);
    versions::read(clients, stack, &mut functions).await?;
    let undeclared = read_undeclared(
        clients,
        stack,
        scope,
        &owned,
        (beside.queues, beside.user_pools),
    )
    .await?;
    let invoked = read_permissions(
        clients,
        stack,
        (refresh, scope),
        (&apis, &beside.websockets),
        &functions,
        &mut tables,
    )
    .await?;
    let gateway_logging_role =
        read_gateway_extras(clients, stack, scope, refresh, &mut apis).await?;
    let arns = (tables.values().map(|t| &t.arn))
        .chain(functions.values().map(|f| &f.arn))
        .chain(beside.roles.0.values().map(|r| &r.arn));
    let (account, referred_arns) =
        account_and_referred(clients, stack, scope, arns, &apis, &beside.websockets).await?;

    let conflicts = [
        table_conflicts,
        function_conflicts,
        beside.roles.1,
        beside.topics.1,
        undeclared.user_pools.1,
        undeclared.queues.1,
    ]
    .concat();
    let missing = missing(&owned, &tables, &functions);
    Ok(LiveState {
        tables,
        functions,
        roles: beside.roles.0,
        apis,
        conflicts,
        secrets: beside.secrets.0,
        plain_parameters: beside.secrets.1,
        missing,
        invoke_permissions: invoked.invoke,
        websockets: beside.websockets,
        websocket_permissions: invoked.websocket,
        account,
        referred_arns,
        usage_plans: metering.0,
        api_keys: metering.1,
        user_pools: undeclared.user_pools.0,
        topics: beside.topics.0,
        queues: undeclared.queues.0,
        event_sources: invoked.event_sources,
        schedules: undeclared.schedules,
        gateway_logging_role,
    })
}

/// What functions are invoked by: API routes, WebSocket routes and event sources.
struct Permissions {
    /// Granted source ARNs by function, for API routes and WebSocket routes.
    invoke: BTreeMap<String, BTreeSet<String>>,
    websocket: BTreeMap<String, BTreeSet<String>>,
    event_sources: Vec<super::LiveEventSource>,
}

/// The APIs' invoke permissions and the functions' event source mappings, read together with
/// the tables' auto scaling (`tables` gains it).
async fn read_permissions(
    clients: &Clients,
    stack: &Stack,
    (refresh, scope): (Refresh, Option<&Scope>),
    (apis, websockets): (&[LiveApi], &[LiveWebsocket]),
    functions: &BTreeMap<String, super::LiveFunction>,
    tables: &mut BTreeMap<String, super::LiveTable>,
) -> Result<Permissions, AwsError> {
    let mappings = only_if(
        scope.map_or(event_sources::wanted(stack), |s| s.event_sources),
        event_sources::read(clients, functions.values()),
    );
    let (invoke, websocket, (), event_sources) = tokio::try_join!(
        read_invoke_permissions(clients, apis, functions, refresh, scope),
        Box::pin(websocket::read_permissions(
            clients, websockets, functions, refresh, scope
        )),
        autoscaling::read(clients, tables),
        mappings,
    )?;
    Ok(Permissions {
        invoke,
        websocket,
        event_sources,
    })
}

/// The aliases' invoke permissions (into `apis`) and, without a scope, whether the account has
/// API Gateway's CloudWatch role (`None`: not read), read at once.
async fn read_gateway_extras(
    clients: &Clients,
    stack: &Stack,
    scope: Option<&Scope>,
    refresh: Refresh,
    apis: &mut [LiveApi],
) -> Result<Option<bool>, AwsError> {
    let logging_role = async {
        match scope {
            None => super::gateway_account::read_logging_role(clients, stack).await,
            Some(_) => Ok(None),
        }
    };
    let aliases = super::alias_permissions::read(clients, stack, apis, refresh);
    let ((), role) = tokio::try_join!(aliases, logging_role)?;
    Ok(role)
}

type Metering = (
    BTreeMap<String, LiveUsagePlan>,
    BTreeMap<String, LiveApiKey>,
);

/// The usage plans and API keys: `read` beside the rest when the stack declares a REST API;
/// else read now if a REST API of the stack's is live (the file no longer declares it), or
/// none.
async fn metering(
    clients: &Clients,
    stack: &Stack,
    scope: Option<&Scope>,
    apis: &[LiveApi],
    read: Metering,
) -> Result<Metering, AwsError> {
    if declares_rest_api(stack) || !scope.is_none_or(|s| s.usage_plans) {
        return Ok(read);
    }
    if !apis.iter().any(LiveApi::is_rest) {
        return Ok(read);
    }
    usage_plans::read(clients, &stack.name).await
}

/// Whether the stack file declares a REST API (whose stages usage plans may meter).
fn declares_rest_api(stack: &Stack) -> bool {
    (stack.api.as_ref()).is_some_and(|api| api.api_type == ApiType::Rest)
}

/// `read`'s answer when `wanted`, else the empty value without a request.
async fn only_if<T: Default>(
    wanted: bool,
    read: impl std::future::Future<Output = Result<T, AwsError>>,
) -> Result<T, AwsError> {
    if wanted { read.await } else { Ok(T::default()) }
}

/// What a stack may own without declaring it any more, read after the tagging index said so.
struct Undeclared {
    /// The functions' schedules' EventBridge rules, by rule name.
    schedules: BTreeMap<String, super::LiveSchedule>,
    queues: (BTreeMap<String, super::LiveQueue>, Vec<Conflict>),
    user_pools: (BTreeMap<String, LiveUserPool>, Vec<Conflict>),
}

type Read<T> = Option<(BTreeMap<String, T>, Vec<Conflict>)>;

/// Schedules, queues and user pools: `read` holds the queues and pools read beside the rest
/// (when the stack declares any, or a scope asks); the others are read only when the tagging
/// index (`owned`) says the stack still owns some.
async fn read_undeclared(
    clients: &Clients,
    stack: &Stack,
    scope: Option<&Scope>,
    owned: &super::Owned,
    read: (Read<super::LiveQueue>, Read<LiveUserPool>),
) -> Result<Undeclared, AwsError> {
    let declares_schedules = stack.functions.iter().any(|f| !f.schedules.is_empty());
    let schedules = match scope {
        Some(s) if s.schedules => eventbridge::read(clients, &stack.name).await?,
        None if declares_schedules || owned.schedules => {
            eventbridge::read(clients, &stack.name).await?
        }
        _ => BTreeMap::new(),
    };
    let queues = match read.0 {
        Some(queues) => queues,
        None if scope.is_none() && owned.queues => {
            sqs::read(clients, &stack.name, &queue_names(stack)).await?
        }
        None => Default::default(),
    };
    let user_pools = match read.1 {
        Some(pools) => pools,
        None if owned.user_pools => user_pool::read(clients, stack).await?,
        None => Default::default(),
    };
    Ok(Undeclared {
        schedules,
        queues,
        user_pools,
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
    let roles = only_if(
        reads(|s| s.roles),
        iam::read_roles(clients, &stack.name, &wanted.roles),
    );
    let secrets = only_if(reads(|s| s.secrets), ssm::read_parameters(clients, stack));
    let retention = only_if(
        reads(|s| s.log_groups),
        lambda::log_retention(clients, &stack.name),
    );
    let websockets = only_if(
        reads(|s| s.websocket),
        websocket::read(clients, &stack.name),
    );
    let topic_names: BTreeMap<String, String> = (stack.topics.iter())
        .map(|t| (stack.topic_name(t), t.logical.clone()))
        .collect();
    let topics = only_if(
        reads(|s| s.topics),
        sns::read(clients, &stack.name, &topic_names),
    );
    // Without a scope, user pools and queues are read here when declared; else once the
    // tagging index has shown one (see `read_undeclared`).
    let user_pools = only_if(
        scope.map_or(!stack.user_pools.is_empty(), |s| s.user_pools),
        async { user_pool::read(clients, stack).await.map(Some) },
    );
    // Usage plans meter REST stages: read here when the stack declares a REST API, else only
    // once a REST API of the stack's is found (see `read`), so that other stacks never read
    // the account's usage plans.
    let usage_plans = only_if(
        reads(|s| s.usage_plans) && declares_rest_api(stack),
        usage_plans::read(clients, &stack.name),
    );
    let queue_names = queue_names(stack);
    let queues = only_if(
        scope.map_or(!stack.queues.is_empty(), |s| s.queues),
        async {
            sqs::read(clients, &stack.name, &queue_names)
                .await
                .map(Some)
        },
    );
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
