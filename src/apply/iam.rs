//! Managed function roles: trusted by the services the plan names, with stackctl's inline policy.

use aws_sdk_iam::types::Tag;

use super::{Context, role_output};
use crate::aws::{AwsError, CallResult, ErrorKind, classify, describe, invalid_request, other};
use crate::live::LiveRole;
use crate::marks::POLICY_NAME;
use crate::marks::STACK_TAG;
use crate::plan::{Action, Change, Desired, Live, RoleAttr, RoleDesired};

pub async fn apply(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    match change.parts(Desired::role, Live::role) {
        (Action::Create, Some(d), _) => create(ctx, d).await,
        (Action::Update, Some(d), Some(l)) => update(ctx, change, d, l).await,
        (Action::Delete, _, Some(l)) => delete(ctx, &l.name).await,
        _ => Ok(()),
    }
}

fn trust_policy(services: &[String]) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": services },
            "Action": "sts:AssumeRole",
        }],
    })
    .to_string()
}

async fn create(ctx: &Context<'_>, d: &RoleDesired) -> Result<(), AwsError> {
    let iam = &ctx.clients.iam;
    let tag = Tag::builder()
        .key(STACK_TAG)
        .value(&d.stack)
        .build()
        .map_err(|e| invalid_request("iam:CreateRole", e))?;
    let arn = match iam
        .create_role()
        .role_name(&d.name)
        .path(&d.path)
        .assume_role_policy_document(trust_policy(&d.trusted_services))
        .description("Managed by stackctl")
        .tags(tag)
        .send()
        .await
    {
        Ok(out) => out.role().map(|r| r.arn().to_string()).unwrap_or_default(),
        // Left by an interrupted apply: take it up where it stopped, if it is ours.
        Err(e) if classify(&e) == ErrorKind::Conflict => take_up(ctx, d).await?,
        Err(e) => return Err(describe("iam:CreateRole", e)),
    };
    put_policy(ctx, d).await?;
    ctx.set_output(role_output(&d.name), arn);
    Ok(())
}

/// The ARN of the role `d` names, which exists already, when it is the stack's: under the
/// stack's path and carrying its tag (CreateRole sets both). Anything else is refused before
/// any write. (GetRole returns the role's tags:
/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html>)
async fn take_up(ctx: &Context<'_>, d: &RoleDesired) -> Result<String, AwsError> {
    let existing = ctx
        .clients
        .iam
        .get_role()
        .role_name(&d.name)
        .send()
        .await
        .op("iam:GetRole")?;
    let role = existing.role();
    let owner = role.and_then(crate::live::role_owner);
    let path = role.map(|r| r.path());
    if owner.as_deref() != Some(d.stack.as_str()) || path != Some(d.path.as_str()) {
        return Err(AwsError::NotOwned {
            kind: "role".to_string(),
            name: d.name.clone(),
            owner,
        });
    }
    Ok(role.map(|r| r.arn().to_string()).unwrap_or_default())
}

async fn update(
    ctx: &Context<'_>,
    change: &Change,
    d: &RoleDesired,
    live: &LiveRole,
) -> Result<(), AwsError> {
    let iam = &ctx.clients.iam;
    if change.changed(RoleAttr::TrustedServices) {
        iam.update_assume_role_policy()
            .role_name(&d.name)
            .policy_document(trust_policy(&d.trusted_services))
            .send()
            .await
            .op("iam:UpdateAssumeRolePolicy")?;
    }
    if change.changed(RoleAttr::Permissions) {
        put_policy(ctx, d).await?;
    }
    ctx.set_output(role_output(&d.name), live.arn.clone());
    Ok(())
}

async fn put_policy(ctx: &Context<'_>, d: &RoleDesired) -> Result<(), AwsError> {
    let document =
        crate::plan::policy_document(&d.statements, |r| ctx.resolve(r)).ok_or_else(|| {
            other(
                "iam:PutRolePolicy",
                format!(
                    "the policy of role {} names a table whose ARN is not known",
                    d.name
                ),
            )
        })?;
    ctx.clients
        .iam
        .put_role_policy()
        .role_name(&d.name)
        .policy_name(POLICY_NAME)
        .policy_document(document)
        .send()
        .await
        .op("iam:PutRolePolicy")?;
    Ok(())
}

/// Detaches and deletes the role's policies, then the role: IAM refuses to delete a role
/// that still has any.
async fn delete(ctx: &Context<'_>, name: &str) -> Result<(), AwsError> {
    let iam = &ctx.clients.iam;
    let Some(attached) = iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
        .absent_ok("iam:ListAttachedRolePolicies")?
    else {
        return Ok(());
    };
    for policy in attached.attached_policies() {
        if let Some(arn) = policy.policy_arn() {
            iam.detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .op("iam:DetachRolePolicy")?;
        }
    }
    let inline = iam
        .list_role_policies()
        .role_name(name)
        .send()
        .await
        .op("iam:ListRolePolicies")?;
    for policy in inline.policy_names() {
        iam.delete_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send()
            .await
            .op("iam:DeleteRolePolicy")?;
    }
    iam.delete_role()
        .role_name(name)
        .send()
        .await
        .absent_ok("iam:DeleteRole")
        .map(|_| ())
}
