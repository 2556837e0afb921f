//! A user pool's requests: the pool (CreateUserPool, UpdateUserPool with every setting, as
//! Cognito resets what an update leaves out), MFA (SetUserPoolMfaConfig, software tokens), new
//! custom attributes (AddCustomAttributes), app clients and the hosted UI domain. A replaced or
//! deleted pool loses its domain first (AWS refuses to delete a pool with one); the plan made
//! the user say `--allow-data-loss` for that, and never deletes one with deletion protection on.

use std::collections::BTreeMap;

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, DeletionProtectionType, NumberAttributeConstraintsType, PasswordPolicyType,
    SchemaAttributeType, SoftwareTokenMfaConfigType, StringAttributeConstraintsType,
    UserPoolMfaType, UserPoolPolicyType, UsernameAttributeType, VerifiedAttributeType,
};

use super::Context;
use crate::aws::{AwsError, CallResult};
use crate::live::{LiveUserPool, SIGN_IN_TAG};
use crate::plan::{Action, Change, Desired, Live, UserPoolAttr, UserPoolDesired};
use crate::stack::{CustomAttribute, Mfa, RefAttr, RefTarget, Reference, UserPoolSpec};

mod clients;

pub(super) async fn apply(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    let desired = match &change.desired {
        Some(Desired::UserPool(d)) => Some(d),
        _ => None,
    };
    let live = match &change.live {
        Some(Live::UserPool(l)) => Some(l),
        _ => None,
    };
    match (change.action, desired, live) {
        (Action::Create, Some(d), _) => create(ctx, d).await,
        (Action::Update, Some(d), Some(l)) => update(ctx, change, d, l).await,
        (Action::Replace, Some(d), Some(l)) => {
            delete(ctx, l).await?;
            create(ctx, d).await
        }
        (Action::Delete, _, Some(l)) => delete(ctx, l).await,
        _ => Ok(()),
    }
}

async fn create(ctx: &Context<'_>, d: &UserPoolDesired) -> Result<(), AwsError> {
    let spec = &d.spec;
    let mut request = ctx
        .clients
        .cognito
        .create_user_pool()
        .pool_name(&d.name)
        .set_username_attributes(username_attributes(spec))
        .set_auto_verified_attributes(Some(verified(spec)))
        .policies(policies(spec))
        .deletion_protection(protection(spec.deletion_protection))
        .set_user_pool_tags(Some(tags(d)));
    for (name, attribute) in &spec.attributes {
        request = request.schema(schema(name, attribute));
    }
    let made = request.send().await.op("cognito-idp:CreateUserPool")?;
    let pool = made.user_pool();
    let id = pool.and_then(|p| p.id()).unwrap_or_default().to_string();
    let arn = pool.and_then(|p| p.arn()).unwrap_or_default().to_string();
    learn(ctx, spec, &id, &arn);
    if spec.mfa != Mfa::Off {
        set_mfa(ctx, &id, spec.mfa).await?;
    }
    clients::sync(ctx, spec, &id, None).await?;
    if let Some(domain) = &spec.domain {
        create_domain(ctx, &id, domain).await?;
    }
    Ok(())
}

async fn update(
    ctx: &Context<'_>,
    change: &Change,
    d: &UserPoolDesired,
    live: &LiveUserPool,
) -> Result<(), AwsError> {
    let spec = &d.spec;
    learn(ctx, spec, &live.id, &live.arn);
    if change.changed(UserPoolAttr::Mfa) {
        set_mfa(ctx, &live.id, spec.mfa).await?;
    }
    let added: Vec<SchemaAttributeType> = spec
        .attributes
        .iter()
        .filter(|(name, _)| !live.attributes.contains_key(*name))
        .map(|(name, a)| schema(name, a))
        .collect();
    if !added.is_empty() {
        ctx.clients
            .cognito
            .add_custom_attributes()
            .user_pool_id(&live.id)
            .set_custom_attributes(Some(added))
            .send()
            .await
            .op("cognito-idp:AddCustomAttributes")?;
    }
    clients::sync(ctx, spec, &live.id, Some(live)).await?;
    if live.domain != spec.domain {
        if let Some(old) = &live.domain {
            delete_domain(ctx, &live.id, old).await?;
        }
        if let Some(new) = &spec.domain {
            create_domain(ctx, &live.id, new).await?;
        }
    }
    // Last, once the rest is applied: the settings with the tags, whose fingerprint
    // (`stackctl:applied`) changes with any attribute.
    update_pool(ctx, d, &live.id, spec.deletion_protection).await?;
    if change.changed(UserPoolAttr::Tags) {
        untag_removed(ctx, &live.arn, &live.tags, &spec.tags).await?;
    }
    Ok(())
}

/// UpdateUserPool with every setting stackctl manages, the tags included: Cognito sets what an
/// update leaves out to its default (the emulator drops the tags too).
async fn update_pool(
    ctx: &Context<'_>,
    d: &UserPoolDesired,
    id: &str,
    deletion_protection: bool,
) -> Result<(), AwsError> {
    let spec = &d.spec;
    ctx.clients
        .cognito
        .update_user_pool()
        .user_pool_id(id)
        .set_auto_verified_attributes(Some(verified(spec)))
        .policies(policies(spec))
        .mfa_configuration(UserPoolMfaType::from(spec.mfa.aws_name()))
        .deletion_protection(protection(deletion_protection))
        .set_user_pool_tags(Some(tags(d)))
        .send()
        .await
        .op("cognito-idp:UpdateUserPool")?;
    Ok(())
}

/// Tags the file no longer gives the pool (UpdateUserPool adds and changes tags only).
async fn untag_removed(
    ctx: &Context<'_>,
    arn: &str,
    live: &BTreeMap<String, String>,
    wanted: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let removed = super::removed_tags(live, wanted);
    if removed.is_empty() {
        return Ok(());
    }
    ctx.clients
        .cognito
        .untag_resource()
        .resource_arn(arn)
        .set_tag_keys(Some(removed))
        .send()
        .await
        .op("cognito-idp:UntagResource")?;
    Ok(())
}

/// Multi-factor authentication with software tokens (TOTP) as the method; `off` turns it off.
async fn set_mfa(ctx: &Context<'_>, id: &str, mfa: Mfa) -> Result<(), AwsError> {
    let token = SoftwareTokenMfaConfigType::builder()
        .enabled(mfa != Mfa::Off)
        .build();
    ctx.clients
        .cognito
        .set_user_pool_mfa_config()
        .user_pool_id(id)
        .software_token_mfa_configuration(token)
        .mfa_configuration(UserPoolMfaType::from(mfa.aws_name()))
        .send()
        .await
        .op("cognito-idp:SetUserPoolMfaConfig")?;
    Ok(())
}

/// Deletes the pool and every user in it, its domain first. A pool with deletion protection
/// on is never planned for deletion (the plan's blocker); should it be turned on since the
/// plan was saved, Cognito refuses the delete and stackctl does not turn it off.
async fn delete(ctx: &Context<'_>, live: &LiveUserPool) -> Result<(), AwsError> {
    if let Some(domain) = &live.domain {
        delete_domain(ctx, &live.id, domain).await?;
    }
    ctx.clients
        .cognito
        .delete_user_pool()
        .user_pool_id(&live.id)
        .send()
        .await
        .absent_ok("cognito-idp:DeleteUserPool")?;
    Ok(())
}

/// CreateUserPoolDomain, after DescribeUserPoolDomain: a prefix is unique in its region
/// across every account, so one another pool of the account has is refused with a clear error
/// before anything is sent, and one another account has is said so when Cognito refuses it
/// (<https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-assign-domain-prefix.html>).
async fn create_domain(ctx: &Context<'_>, id: &str, domain: &str) -> Result<(), AwsError> {
    let taken = |owner: &str| {
        crate::aws::other(
            "cognito-idp:CreateUserPoolDomain",
            format!(
                "the domain prefix {domain:?} is taken by {owner}: prefixes are unique in a region across every account; choose another domain in the stack file"
            ),
        )
    };
    let described = ctx
        .clients
        .cognito
        .describe_user_pool_domain()
        .domain(domain);
    let described = described
        .send()
        .await
        .op("cognito-idp:DescribeUserPoolDomain")?;
    let owner = described
        .domain_description()
        .and_then(|d| d.user_pool_id());
    match owner {
        Some(owner) if !owner.is_empty() && owner != id => {
            return Err(taken(&format!("user pool {owner}")));
        }
        Some(owner) if owner == id => return Ok(()),
        _ => {}
    }
    let request = ctx.clients.cognito.create_user_pool_domain();
    let created = request.user_pool_id(id).domain(domain).send().await;
    match created {
        // Cognito: InvalidParameterException, "Domain already associated with another user pool".
        Err(e)
            if e.message()
                .is_some_and(|m| m.contains("already associated")) =>
        {
            Err(taken("a user pool of another account"))
        }
        other => other.map(drop).op("cognito-idp:CreateUserPoolDomain"),
    }
}

async fn delete_domain(ctx: &Context<'_>, id: &str, domain: &str) -> Result<(), AwsError> {
    ctx.clients
        .cognito
        .delete_user_pool_domain()
        .user_pool_id(id)
        .domain(domain)
        .send()
        .await
        .absent_ok("cognito-idp:DeleteUserPoolDomain")?;
    Ok(())
}

/// The pool's values for references and outputs: `user_pools.NAME.id`, `.arn`, `.issuer`.
fn learn(ctx: &Context<'_>, spec: &UserPoolSpec, id: &str, arn: &str) {
    let key = |attr| {
        Reference {
            target: RefTarget::UserPool(spec.logical.clone()),
            attr,
        }
        .to_string()
    };
    ctx.set_output(key(RefAttr::Id), id);
    ctx.set_output(key(RefAttr::Arn), arn);
    let issuer = crate::stack::user_pool_issuer(ctx.region(), id);
    ctx.set_output(key(RefAttr::Issuer), issuer);
}

/// Sign-in attributes; none: users sign in with a user name.
fn username_attributes(spec: &UserPoolSpec) -> Option<Vec<UsernameAttributeType>> {
    let attributes = spec.sign_in.iter();
    let attributes = attributes.map(|a| UsernameAttributeType::from(a.as_str()));
    (!spec.sign_in.is_empty()).then(|| attributes.collect())
}

fn verified(spec: &UserPoolSpec) -> Vec<VerifiedAttributeType> {
    (spec.auto_verify.iter())
        .map(|a| VerifiedAttributeType::from(a.as_str()))
        .collect()
}

fn policies(spec: &UserPoolSpec) -> UserPoolPolicyType {
    let p = &spec.password;
    let password = PasswordPolicyType::builder()
        .minimum_length(p.min_length as i32)
        .require_symbols(p.require_symbols)
        .require_numbers(p.require_numbers)
        .require_uppercase(p.require_uppercase)
        .require_lowercase(p.require_lowercase)
        .temporary_password_validity_days(p.temporary_validity_days as i32)
        .build();
    UserPoolPolicyType::builder()
        .password_policy(password)
        .build()
}

fn protection(on: bool) -> DeletionProtectionType {
    if on {
        DeletionProtectionType::Active
    } else {
        DeletionProtectionType::Inactive
    }
}

/// The declared tags with stackctl's: the owner, and the sign-in attributes (see
/// [`SIGN_IN_TAG`]).
fn tags(d: &UserPoolDesired) -> std::collections::HashMap<String, String> {
    let mut tags: std::collections::HashMap<String, String> =
        d.spec.tags.clone().into_iter().collect();
    tags.insert(crate::marks::STACK_TAG.to_string(), d.stack.clone());
    tags.insert(crate::marks::APPLIED_TAG.to_string(), d.applied.clone());
    if !d.spec.sign_in.is_empty() {
        tags.insert(SIGN_IN_TAG.to_string(), d.spec.sign_in.join(" "));
    }
    tags
}

/// A custom attribute as CreateUserPool and AddCustomAttributes take it (name without
/// `custom:`; Cognito adds the prefix).
fn schema(name: &str, a: &CustomAttribute) -> SchemaAttributeType {
    let data_type = AttributeDataType::from(a.data_type.as_str());
    let mut schema = SchemaAttributeType::builder()
        .name(name)
        .attribute_data_type(data_type)
        .mutable(a.mutable)
        .developer_only_attribute(false);
    let text = |n: Option<i64>| n.map(|n| n.to_string());
    if a.min.is_some() || a.max.is_some() {
        schema = match a.data_type.as_str() {
            "String" => schema.string_attribute_constraints(
                StringAttributeConstraintsType::builder()
                    .set_min_length(text(a.min))
                    .set_max_length(text(a.max))
                    .build(),
            ),
            _ => schema.number_attribute_constraints(
                NumberAttributeConstraintsType::builder()
                    .set_min_value(text(a.min))
                    .set_max_value(text(a.max))
                    .build(),
            ),
        };
    }
    schema.build()
}
