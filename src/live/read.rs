//! The parts of [`super::read`] that read tables, functions and what follows from them:
//! which names the stack wants, invoke permissions, the account, resources gone missing.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    LiveApi, LiveFunction, LiveRoute, LiveTable, LiveWebsocket, Owned, Refresh, Scope, account_of,
    dynamodb, lambda, tagging,
};
use crate::aws::{AwsError, Clients};
use crate::stack::{AuthorizerSpec, Stack};
use lambda::FoundFunction;

/// The physical names the stack file (or a scope) names, read whether owned or not.
pub(super) struct Wanted {
    pub tables: Vec<String>,
    pub functions: Vec<String>,
    /// Managed roles of the stack's functions.
    pub roles: Vec<String>,
}

impl Wanted {
    pub fn of(stack: &Stack, scope: Option<&Scope>) -> Wanted {
        let physical = |names: Vec<&String>| -> Vec<String> {
            names.into_iter().map(|n| stack.physical_name(n)).collect()
        };
        let named = |names: Vec<&String>, name: fn(&Stack, &str) -> String| -> Vec<String> {
            names.into_iter().map(|n| name(stack, n)).collect()
        };
        Wanted {
            tables: named(
                match scope {
                    Some(scope) => scope.tables.iter().collect(),
                    None => stack.tables.iter().map(|t| &t.logical).collect(),
                },
                Stack::table_name,
            ),
            functions: named(
                match scope {
                    Some(scope) => scope.functions.iter().collect(),
                    None => stack.functions.iter().map(|f| &f.logical).collect(),
                },
                Stack::function_name,
            ),
            roles: physical(
                stack
                    .functions
                    .iter()
                    .filter(|f| f.role.is_none())
                    .map(|f| &f.logical)
                    .collect(),
            ),
        }
    }
}

/// Tables and functions as read, before ownership is settled.
pub(super) struct Found {
    pub owned: Owned,
    pub tables: Vec<LiveTable>,
    pub functions: Vec<FoundFunction>,
}

/// What the stack file names is read at once. The tagging index adds what the stack owns but
/// no longer declares (not needed in a scope, which names what it reads). A trusting read takes
/// functions from ListFunctions and the index ([`lambda::list_functions`]); a full or scoped one
/// asks GetFunction of each.
pub(super) async fn read_tables_and_functions(
    clients: &Clients,
    stack: &Stack,
    scope: Option<&Scope>,
    refresh: Refresh,
    wanted: &Wanted,
) -> Result<Found, AwsError> {
    if scope.is_none() && refresh == Refresh::Trusting {
        return read_listing(clients, stack, wanted).await;
    }
    let declared = async {
        tokio::try_join!(
            dynamodb::read_tables(clients, &wanted.tables),
            lambda::get_functions(clients, &wanted.functions),
        )
    };
    let undeclared = async {
        if scope.is_some() {
            return Ok((Owned::default(), Vec::new(), Vec::new()));
        }
        let owned = tagging::owned(clients, &stack.name).await?;
        let tables = owned.tables.keys().filter(|n| !wanted.tables.contains(n));
        let functions = owned
            .functions
            .keys()
            .filter(|n| !wanted.functions.contains(n));
        let (tables, functions) = tokio::try_join!(
            dynamodb::read_tables(clients, tables),
            lambda::get_functions(clients, functions),
        )?;
        Ok::<_, AwsError>((owned, tables, functions))
    };
    let ((mut tables, mut functions), (owned, more_tables, more_functions)) =
        tokio::try_join!(declared, undeclared)?;
    tables.extend(more_tables);
    functions.extend(more_functions);
    Ok(Found {
        owned,
        tables,
        functions,
    })
}

/// The trusting read: tables' settings from their records, functions from one listing and the
/// tagging index.
async fn read_listing(
    clients: &Clients,
    stack: &Stack,
    wanted: &Wanted,
) -> Result<Found, AwsError> {
    // Time to live and point-in-time recovery from the tables' settings records, once the
    // tagging index has them: read only where a record is missing or not current.
    let tables = async {
        let declared = dynamodb::describe_tables(clients, &wanted.tables);
        let undeclared = async {
            let owned = tagging::owned(clients, &stack.name).await?;
            let tables = owned.tables.keys().filter(|n| !wanted.tables.contains(n));
            let tables = dynamodb::describe_tables(clients, tables).await?;
            Ok::<_, AwsError>((owned, tables))
        };
        let (mut declared, (owned, undeclared)) = tokio::try_join!(declared, undeclared)?;
        declared.extend(undeclared);
        let tables = dynamodb::with_settings(clients, declared, &owned.tables).await?;
        Ok::<_, AwsError>((owned, tables))
    };
    let ((owned, tables), listed) = tokio::try_join!(tables, lambda::list_all(clients))?;
    let declared: BTreeSet<String> = stack
        .functions
        .iter()
        .filter(|f| f.reserved_concurrency.is_some())
        .map(|f| stack.function_name(&f.logical))
        .collect();
    let names: BTreeSet<&String> = wanted
        .functions
        .iter()
        .chain(owned.functions.keys())
        .collect();
    let functions =
        lambda::list_functions(clients, names, &listed, &owned.functions, &declared).await?;
    Ok(Found {
        owned,
        tables,
        functions,
    })
}

/// Statement IDs of the invoke permissions of the functions live routes and Lambda authorizers
/// invoke now (a route's invoke permission is part of its plan, an authorizer's of the API's),
/// or the API's record of them when it describes the live routes and the read trusts it (an
/// apply that left every route with its permission granted the authorizers theirs too).
pub(super) async fn read_invoke_permissions(
    clients: &Clients,
    apis: &[LiveApi],
    functions: &BTreeMap<String, LiveFunction>,
    refresh: Refresh,
    scope: Option<&Scope>,
) -> Result<BTreeMap<String, BTreeSet<String>>, AwsError> {
    let in_scope = |key: &str| scope.is_none_or(|s| s.routes.contains(key));
    let mut live_routed: BTreeSet<String> = apis
        .iter()
        .flat_map(|api| api.routes.iter())
        .filter(|r| in_scope(&r.key))
        .filter_map(LiveRoute::function_name)
        .map(str::to_string)
        .collect();
    let authorizers = apis.first().map(lambda_authorizers).unwrap_or_default();
    live_routed.extend(authorizers.iter().map(|(_, function)| function.clone()));
    let recorded = match apis {
        [api] if refresh == Refresh::Trusting => {
            let routes = || {
                let routes = api.routes.iter();
                routes.filter_map(|r| Some((r.key.clone(), r.function_name()?.to_string())))
            };
            let record = crate::marks::permissions_record(routes());
            let statements = authorizers.iter().map(|(name, function)| {
                let statement = crate::marks::authorizer_statement_id(name);
                (statement, function.clone())
            });
            let matches = api.permissions_record.as_deref() == Some(record.as_str());
            let recorded = || crate::marks::recorded_permissions(routes());
            vouched(matches, recorded, statements)
        }
        _ => None,
    };
    let asked = asked(&live_routed, functions, scope);
    // The API the plan keeps (the one with the most routes): see `live::read_apis`.
    let api_id = apis.first().map(|api| api.id.as_str());
    lambda::read_permissions(clients, asked, api_id, recorded.as_ref()).await
}

/// Statement IDs by function name.
type Statements = BTreeMap<String, BTreeSet<String>>;

/// What the permissions record of the one live API vouches for, where it `matches` the live
/// routes (and the read trusts it): the statements the routes' functions hold (`recorded`),
/// with each authorizer's (statement ID, function name) added, since an apply that left every
/// route with its permission granted the authorizers theirs too. `None` where it does not.
pub(super) fn vouched(
    matches: bool,
    recorded: impl FnOnce() -> Statements,
    authorizers: impl Iterator<Item = (String, String)>,
) -> Option<Statements> {
    if !matches {
        return None;
    }
    let mut recorded = recorded();
    for (statement, function) in authorizers {
        recorded.entry(function).or_default().insert(statement);
    }
    Some(recorded)
}

/// The functions (of those `routed`) whose policies are read: a full read asks the stack's
/// functions only; a scoped one did not read the functions its routes invoke now, and asks
/// them all.
pub(super) fn asked<'a>(
    routed: &'a BTreeSet<String>,
    functions: &'a BTreeMap<String, LiveFunction>,
    scope: Option<&'a Scope>,
) -> impl Iterator<Item = &'a String> {
    let routed = routed.iter();
    routed.filter(move |name| scope.is_some() || functions.contains_key(*name))
}

/// The API's Lambda authorizers: (authorizer name, function name).
fn lambda_authorizers(api: &LiveApi) -> Vec<(String, String)> {
    let authorizers = api.authorizers.iter();
    authorizers
        .filter_map(|(name, (_, spec))| match spec {
            AuthorizerSpec::Lambda { function } => Some((name.clone(), function.clone())),
            _ => None,
        })
        .collect()
}

/// The account the ARNs read name (asked of STS only when none was read and a scope, or a
/// managed role's policy, needs it), and the ARNs of the functions a scope's changes refer to, made from it.
pub(super) async fn account_and_referred<'a>(
    clients: &Clients,
    stack: &Stack,
    scope: Option<&Scope>,
    arns: impl Iterator<Item = &'a String>,
    apis: &'a [LiveApi],
    websockets: &'a [LiveWebsocket],
) -> Result<(Option<String>, BTreeMap<String, String>), AwsError> {
    let account = arns
        // The functions the stack's APIs invoke are the stack's, in its account.
        .chain(
            apis.iter()
                .flat_map(|api| &api.routes)
                .filter_map(|r| r.function_arn.as_ref()),
        )
        .chain(
            websockets
                .iter()
                .flat_map(|api| &api.routes)
                .filter_map(|r| r.function_arn.as_ref()),
        )
        .find_map(|arn| account_of(arn));
    let referred: Vec<String> = scope
        .into_iter()
        .flat_map(|s| s.referred.difference(&s.functions))
        .map(|name| stack.function_name(name))
        .collect();
    // A managed role's policy names the tables and topics its function uses: with the account
    // known, their ARNs are known before they exist, and the roles need not wait for them.
    // A saved plan's scoped read must know them as the plan did, or the plan looks stale.
    let roles_name_arns = scope.is_none_or(|s| s.roles)
        && ((stack.functions.iter()).any(|f| !f.tables.is_empty() || !f.topics.is_empty())
            // The publishing role names the topics routes publish to.
            || stack.routes.iter().any(|r| r.invokes().is_none()));
    let account = match account {
        None if !referred.is_empty() || roles_name_arns => Some(clients.account().await?),
        account => account,
    };
    let referred_arns = match &account {
        Some(account) => referred
            .into_iter()
            .map(|name| {
                let arn = crate::arn::function(&clients.region, account, &name);
                (name, arn)
            })
            .collect(),
        None => BTreeMap::new(),
    };
    Ok((account, referred_arns))
}

/// The tagging index named them, but they are gone: deleted outside stackctl (or the index
/// has not caught up with a delete yet).
pub(super) fn missing(
    owned: &Owned,
    tables: &BTreeMap<String, LiveTable>,
    functions: &BTreeMap<String, LiveFunction>,
) -> Vec<(String, String)> {
    owned
        .tables
        .keys()
        .filter(|name| !tables.contains_key(*name))
        .map(|name| ("table".to_string(), name.clone()))
        .chain(
            owned
                .functions
                .keys()
                .filter(|name| !functions.contains_key(*name))
                .map(|name| ("function".to_string(), name.clone())),
        )
        .collect()
}
