//! Cognito user pools owned by the stack, with their app clients and domain.
//!
//! Pool names are not unique in Cognito and a pool's ID is made by AWS, so pools are found by
//! listing (ListUserPools), and a pool named `<stack>-...` is the stack's when its
//! `stackctl:stack` tag says so (DescribeUserPool returns the tags: ListTagsForResource is
//! not needed).

use std::collections::BTreeMap;

use aws_sdk_cognitoidentityprovider::types::{
    SchemaAttributeType, UserPoolClientType, UserPoolType,
};
use futures::future::try_join_all;

use super::Conflict;
use crate::aws::{AwsError, CallResult, Clients};
use crate::marks::STACK_TAG;
use crate::stack::{CustomAttribute, Mfa, PasswordPolicy, Stack, UserPoolClientSpec};

/// The tag that records a pool's sign-in attributes at creation: the emulator forgets
/// UsernameAttributes on UpdateUserPool (AWS keeps them; they cannot change), so they are read
/// from here only when AWS reports none.
pub const SIGN_IN_TAG: &str = "stackctl:sign-in";

/// ListUserPools' largest page (API reference: MaxResults 1 to 60).
const POOLS_PER_PAGE: i32 = 60;

/// A user pool as read.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveUserPool {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub sign_in: Vec<String>,
    pub auto_verify: Vec<String>,
    pub password: PasswordPolicy,
    pub mfa: Mfa,
    /// Custom attributes, by name without `custom:`.
    pub attributes: BTreeMap<String, CustomAttribute>,
    pub deletion_protection: bool,
    /// App clients by name.
    pub clients: BTreeMap<String, LiveUserPoolClient>,
    pub domain: Option<String>,
    /// The pool's tags without stackctl's own.
    pub tags: BTreeMap<String, String>,
    /// Every tag, stackctl's included: an update that must keep them sends them all.
    pub all_tags: BTreeMap<String, String>,
}

/// An app client as read; its secret is never kept, only whether it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveUserPoolClient {
    pub id: String,
    pub spec: UserPoolClientSpec,
}

/// The pools named `<stack>-...` or a declared `name = "..."` tagged for `stack`, by name (the first of two with one name),
/// and the declared pools' names taken by pools another stack (or none) owns: Cognito lets two
/// pools share a name, so stackctl would make a second one beside the other's (stack `a` with
/// pool `b-c`, stack `a-b` with pool `c`).
///
/// # Errors
/// Any Cognito read that fails.
pub async fn read(
    clients: &Clients,
    stack: &Stack,
) -> Result<(BTreeMap<String, LiveUserPool>, Vec<Conflict>), AwsError> {
    let prefix = format!("{}-", stack.name);
    let fixed: std::collections::BTreeSet<&str> = (stack.names.user_pools.values())
        .map(String::as_str)
        .collect();
    let mut ids = Vec::new();
    let mut pages = clients
        .cognito
        .list_user_pools()
        .max_results(POOLS_PER_PAGE)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.op("cognito-idp:ListUserPools")?;
        for pool in page.user_pools() {
            if pool
                .name()
                .is_some_and(|n| n.starts_with(&prefix) || fixed.contains(n))
            {
                ids.extend(pool.id().map(str::to_string));
            }
        }
    }
    let read = ids.iter().map(|id| read_pool(clients, id, &stack.name));
    let pools = try_join_all(read).await?;
    let declared = |name: &str| {
        stack
            .user_pools
            .iter()
            .any(|p| stack.user_pool_name(&p.logical) == name)
    };
    let (mut out, mut conflicts) = (BTreeMap::new(), Vec::new());
    for pool in pools.into_iter().flatten() {
        match pool {
            Ok(pool) => {
                out.entry(pool.name.clone()).or_insert(pool);
            }
            Err((name, owner)) if declared(&name) => conflicts.push(Conflict {
                kind: "user pool".to_string(),
                name,
                owner,
                note: None,
            }),
            Err(_) => {}
        }
    }
    Ok((out, conflicts))
}

/// One pool, when it is still there: the stack's, or the name and owner (another stack, or
/// none) of one that is not.
async fn read_pool(
    clients: &Clients,
    id: &str,
    stack: &str,
) -> Result<Option<Result<LiveUserPool, (String, Option<String>)>>, AwsError> {
    let described = clients
        .cognito
        .describe_user_pool()
        .user_pool_id(id)
        .send()
        .await
        .absent_ok("cognito-idp:DescribeUserPool")?;
    let Some(pool) = described.as_ref().and_then(|d| d.user_pool()) else {
        return Ok(None);
    };
    let tags = pool.user_pool_tags().cloned().unwrap_or_default();
    let owner = tags.get(STACK_TAG);
    if owner.map(String::as_str) != Some(stack) {
        let name = pool.name().unwrap_or_default().to_string();
        return Ok(Some(Err((name, owner.cloned()))));
    }
    let app_clients = read_clients(clients, id).await?;
    Ok(Some(Ok(pool_of(pool, &tags, app_clients))))
}

fn pool_of(
    pool: &UserPoolType,
    tags: &std::collections::HashMap<String, String>,
    clients: BTreeMap<String, LiveUserPoolClient>,
) -> LiveUserPool {
    let mut sign_in: Vec<String> = pool
        .username_attributes()
        .iter()
        .map(|a| a.as_str().to_string())
        .collect();
    if sign_in.is_empty()
        && let Some(recorded) = tags.get(SIGN_IN_TAG)
    {
        sign_in = recorded.split_whitespace().map(str::to_string).collect();
    }
    let policy = pool.policies().and_then(|p| p.password_policy());
    let d = PasswordPolicy::default();
    let password = match policy {
        None => d,
        Some(p) => PasswordPolicy {
            min_length: p.minimum_length().map_or(d.min_length, i64::from),
            require_symbols: p.require_symbols(),
            require_numbers: p.require_numbers(),
            require_uppercase: p.require_uppercase(),
            require_lowercase: p.require_lowercase(),
            temporary_validity_days: i64::from(p.temporary_password_validity_days()),
        },
    };
    let attributes = pool
        .schema_attributes()
        .iter()
        .filter_map(custom_attribute)
        .collect();
    LiveUserPool {
        id: pool.id().unwrap_or_default().to_string(),
        arn: pool.arn().unwrap_or_default().to_string(),
        name: pool.name().unwrap_or_default().to_string(),
        sign_in,
        auto_verify: (pool.auto_verified_attributes().iter())
            .map(|a| a.as_str().to_string())
            .collect(),
        password,
        mfa: Mfa::from_aws(pool.mfa_configuration().map(|m| m.as_str())),
        attributes,
        deletion_protection: pool.deletion_protection().map(|p| p.as_str()) == Some("ACTIVE"),
        clients,
        domain: pool.domain().map(str::to_string),
        tags: super::user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        all_tags: tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    }
}

/// A `custom:NAME` schema attribute as declared; standard attributes are `None`.
fn custom_attribute(a: &SchemaAttributeType) -> Option<(String, CustomAttribute)> {
    let name = a.name()?.strip_prefix("custom:")?;
    let data_type = a.attribute_data_type().map_or("String", |t| t.as_str());
    let parse = |s: Option<&str>| s.and_then(|s| s.parse::<i64>().ok());
    let (min, max) = match (
        a.string_attribute_constraints(),
        a.number_attribute_constraints(),
    ) {
        (Some(c), _) if data_type == "String" => (parse(c.min_length()), parse(c.max_length())),
        (_, Some(c)) if data_type == "Number" => (parse(c.min_value()), parse(c.max_value())),
        _ => (None, None),
    };
    let attribute = CustomAttribute {
        data_type: data_type.to_string(),
        mutable: a.mutable().unwrap_or(true),
        min,
        max,
    };
    Some((name.to_string(), attribute))
}

/// The pool's app clients by name, each described (DescribeUserPoolClient).
async fn read_clients(
    clients: &Clients,
    pool_id: &str,
) -> Result<BTreeMap<String, LiveUserPoolClient>, AwsError> {
    let mut ids = Vec::new();
    let mut pages = clients
        .cognito
        .list_user_pool_clients()
        .user_pool_id(pool_id)
        .max_results(60)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.op("cognito-idp:ListUserPoolClients")?;
        ids.extend(
            page.user_pool_clients()
                .iter()
                .filter_map(|c| c.client_id())
                .map(str::to_string),
        );
    }
    let described = try_join_all(ids.iter().map(|id| async move {
        clients
            .cognito
            .describe_user_pool_client()
            .user_pool_id(pool_id)
            .client_id(id)
            .send()
            .await
            .absent_ok("cognito-idp:DescribeUserPoolClient")
    }))
    .await?;
    let mut out = BTreeMap::new();
    for c in described
        .iter()
        .flatten()
        .filter_map(|d| d.user_pool_client())
    {
        let client = LiveUserPoolClient {
            id: c.client_id().unwrap_or_default().to_string(),
            spec: client_spec(c),
        };
        out.entry(c.client_name().unwrap_or_default().to_string())
            .or_insert(client);
    }
    Ok(out)
}

/// A client as declared; `generate_secret` is whether it has a secret, never the secret.
fn client_spec(c: &UserPoolClientType) -> UserPoolClientSpec {
    let strings = |v: &[String]| v.to_vec();
    UserPoolClientSpec {
        callback_urls: strings(c.callback_urls()),
        logout_urls: strings(c.logout_urls()),
        oauth_flows: (c.allowed_o_auth_flows().iter())
            .map(|f| f.as_str().to_string())
            .collect(),
        scopes: strings(c.allowed_o_auth_scopes()),
        generate_secret: c.client_secret().is_some(),
        auth_flows: (c.explicit_auth_flows().iter())
            .map(|f| f.as_str().to_string())
            .collect(),
    }
}

/// What `stackctl outputs` shows of the declared pools that exist (`known` holds their IDs):
/// each hosted UI domain, `user_pools.NAME.domain` (the prefix) and `.domain_url`
/// (`https://PREFIX.auth.REGION.amazoncognito.com`, CreateUserPoolDomain's hosted UI); with
/// `show_secrets`, each generated client secret, `user_pools.NAME.clients.CLIENT.secret`
/// (DescribeUserPoolClient, sent only then, so that no secret is read otherwise).
///
/// # Errors
/// cognito-idp:DescribeUserPoolClient failing.
pub async fn outputs(
    clients: &Clients,
    stack: &Stack,
    known: &BTreeMap<String, String>,
    show_secrets: bool,
    region: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    let mut out = BTreeMap::new();
    for pool in &stack.user_pools {
        let prefix = format!("user_pools.{}", pool.logical);
        let Some(pool_id) = known.get(&format!("{prefix}.id")) else {
            continue;
        };
        if let Some(domain) = &pool.domain {
            out.insert(format!("{prefix}.domain"), domain.clone());
            let url = format!("https://{domain}.auth.{region}.amazoncognito.com");
            out.insert(format!("{prefix}.domain_url"), url);
        }
        let secret_clients = pool.clients.iter().filter(|(_, c)| c.generate_secret);
        for (name, _) in secret_clients.filter(|_| show_secrets) {
            let Some(id) = known.get(&format!("{prefix}.clients.{name}.id")) else {
                continue;
            };
            let request = clients.cognito.describe_user_pool_client();
            let described = request.user_pool_id(pool_id).client_id(id).send().await;
            let described = described.absent_ok("cognito-idp:DescribeUserPoolClient")?;
            let secret =
                described.and_then(|d| d.user_pool_client()?.client_secret().map(str::to_string));
            if let Some(secret) = secret {
                out.insert(format!("{prefix}.clients.{name}.secret"), secret);
            }
        }
    }
    Ok(out)
}
