//! Which function aliases hold the API's invoke permission. An apply records them on the API
//! (`marks::alias_permissions_record`); a read that does not trust the record (`plan
//! --refresh-only`, apply), or finds none, reads the policy of each alias the live routes and
//! stages reach (GetPolicy with the alias as qualifier, Lambda's 15 requests a second).

use std::collections::BTreeSet;

use super::lambda::{self, RoutesStatement};
use super::{LiveApi, Refresh};
use crate::aws::{AwsError, Clients};
use crate::marks::{ROUTES_STATEMENT_ELSEWHERE, ROUTES_STATEMENT_ID, alias_permissions_record};
use crate::stack::Stack;

/// Replaces the kept API's (the first) alias record by what the aliases' policies hold, unless
/// the read trusts a record it has.
pub async fn read(
    clients: &Clients,
    stack: &Stack,
    apis: &mut [LiveApi],
    refresh: Refresh,
) -> Result<(), AwsError> {
    let Some(api) = apis.first_mut() else {
        return Ok(());
    };
    if refresh == Refresh::Trusting && api.alias_permissions.is_some() {
        return Ok(());
    }
    let reached = reached(stack, api);
    if reached.is_empty() && api.alias_permissions.is_none() {
        return Ok(());
    }
    let statement = RoutesStatement {
        id: ROUTES_STATEMENT_ID,
        elsewhere: ROUTES_STATEMENT_ELSEWHERE,
        api_id: Some(&api.id),
    };
    let names: Vec<String> = reached.iter().map(|(q, _)| q.clone()).collect();
    let held = lambda::read_statements(clients, &names, &statement, None).await?;
    let granted = reached
        .into_iter()
        .filter(|(qualified, _)| {
            held.get(qualified)
                .is_some_and(|s| s.contains(ROUTES_STATEMENT_ID))
        })
        .map(|(_, pair)| pair)
        .collect();
    api.alias_permissions = Some(alias_permissions_record(&granted));
    Ok(())
}

/// The aliases the live routes reach, of functions the stack file declares: by qualified name
/// (`FUNCTION:ALIAS`), with (logical function name, alias). A route to
/// `${stageVariables.NAME}` reaches each live stage's value of that variable.
fn reached(stack: &Stack, api: &LiveApi) -> BTreeSet<(String, (String, String))> {
    let logical = |physical: &str| {
        let found = stack
            .functions
            .iter()
            .find(|f| stack.physical_name(&f.logical) == physical);
        found.map(|f| f.logical.clone())
    };
    let mut reached = BTreeSet::new();
    for route in &api.routes {
        let (Some(function), Some(alias)) = (route.function_name(), route.alias()) else {
            continue;
        };
        let Some(logical) = logical(function) else {
            continue;
        };
        let variable = alias
            .strip_prefix("${stageVariables.")
            .and_then(|v| v.strip_suffix('}'));
        let aliases: Vec<String> = match variable {
            None => vec![alias.to_string()],
            Some(v) => api
                .stage_settings
                .iter()
                .filter_map(|s| s.variables.get(v).cloned())
                .collect(),
        };
        for alias in aliases {
            reached.insert((format!("{function}:{alias}"), (logical.clone(), alias)));
        }
    }
    reached
}
