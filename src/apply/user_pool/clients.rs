//! A user pool's app clients: created, updated (UpdateUserPoolClient with every setting, as
//! Cognito resets what an update leaves out), deleted, or made again when their secret setting
//! changes (a secret is generated only at creation). A secret is never read into outputs.

use aws_sdk_cognitoidentityprovider::types::{ExplicitAuthFlowsType, OAuthFlowType};

use super::Context;
use crate::aws::{AwsError, CallResult};
use crate::live::LiveUserPool;
use crate::stack::{RefAttr, RefTarget, Reference, UserPoolClientSpec, UserPoolSpec};

/// Makes the pool's clients those declared; each one's ID becomes known
/// (`user_pools.POOL.clients.NAME.id`).
pub(super) async fn sync(
    ctx: &Context<'_>,
    spec: &UserPoolSpec,
    pool_id: &str,
    live: Option<&LiveUserPool>,
) -> Result<(), AwsError> {
    let live_clients = live.map(|l| &l.clients);
    for (name, client) in &spec.clients {
        let id = match live_clients.and_then(|c| c.get(name)) {
            Some(l) if l.spec.generate_secret != client.generate_secret => {
                delete(ctx, pool_id, &l.id).await?;
                create(ctx, pool_id, name, client).await?
            }
            Some(l) if l.spec != *client => {
                update(ctx, pool_id, &l.id, name, client).await?;
                l.id.clone()
            }
            Some(l) => l.id.clone(),
            None => create(ctx, pool_id, name, client).await?,
        };
        let key = Reference {
            target: RefTarget::UserPoolClient(spec.logical.clone(), name.clone()),
            attr: RefAttr::Id,
        };
        ctx.set_output(key.to_string(), id);
    }
    for (name, l) in live_clients.into_iter().flatten() {
        if !spec.clients.contains_key(name) {
            delete(ctx, pool_id, &l.id).await?;
        }
    }
    Ok(())
}

/// The settings CreateUserPoolClient and UpdateUserPoolClient both take (two SDK builder types
/// with the same setters): callback and logout URLs, OAuth flows and scopes (the hosted UI's
/// COGNITO provider with them), and the explicit auth flows. Cognito resets what an update omits.
macro_rules! client_settings {
    ($request:expr, $c:expr) => {{
        let c = $c;
        let oauth = !c.oauth_flows.is_empty();
        $request
            .set_callback_urls(non_empty(&c.callback_urls))
            .set_logout_urls(non_empty(&c.logout_urls))
            .set_allowed_o_auth_flows(oauth.then(|| flows(c)))
            .set_allowed_o_auth_scopes(non_empty(&c.scopes))
            .allowed_o_auth_flows_user_pool_client(oauth)
            .set_supported_identity_providers(oauth.then(|| vec!["COGNITO".to_string()]))
            .set_explicit_auth_flows(auth_flows(c))
    }};
}

/// CreateUserPoolClient; the new client's ID.
async fn create(
    ctx: &Context<'_>,
    pool_id: &str,
    name: &str,
    c: &UserPoolClientSpec,
) -> Result<String, AwsError> {
    let request = ctx.clients.cognito.create_user_pool_client();
    let request = request.user_pool_id(pool_id).client_name(name);
    let made = client_settings!(request.generate_secret(c.generate_secret), c)
        .send()
        .await
        .op("cognito-idp:CreateUserPoolClient")?;
    let id = made.user_pool_client().and_then(|c| c.client_id());
    Ok(id.unwrap_or_default().to_string())
}

async fn update(
    ctx: &Context<'_>,
    pool_id: &str,
    id: &str,
    name: &str,
    c: &UserPoolClientSpec,
) -> Result<(), AwsError> {
    let request = ctx.clients.cognito.update_user_pool_client();
    let request = request
        .user_pool_id(pool_id)
        .client_id(id)
        .client_name(name);
    client_settings!(request, c)
        .send()
        .await
        .op("cognito-idp:UpdateUserPoolClient")?;
    Ok(())
}

async fn delete(ctx: &Context<'_>, pool_id: &str, id: &str) -> Result<(), AwsError> {
    ctx.clients
        .cognito
        .delete_user_pool_client()
        .user_pool_id(pool_id)
        .client_id(id)
        .send()
        .await
        .absent_ok("cognito-idp:DeleteUserPoolClient")?;
    Ok(())
}

fn non_empty(items: &[String]) -> Option<Vec<String>> {
    (!items.is_empty()).then(|| items.to_vec())
}

fn flows(c: &UserPoolClientSpec) -> Vec<OAuthFlowType> {
    c.oauth_flows
        .iter()
        .map(|f| OAuthFlowType::from(f.as_str()))
        .collect()
}

fn auth_flows(c: &UserPoolClientSpec) -> Option<Vec<ExplicitAuthFlowsType>> {
    (!c.auth_flows.is_empty()).then(|| {
        c.auth_flows
            .iter()
            .map(|f| ExplicitAuthFlowsType::from(f.as_str()))
            .collect()
    })
}
