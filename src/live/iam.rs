//! Live IAM roles that stackctl manages: under the stack's IAM path and carrying its tag.

use std::collections::BTreeMap;

use futures::future::try_join_all;

use super::{Conflict, LiveRole};
use crate::aws::{AwsError, CallResult, Clients, ErrorKind, classify, describe};
use crate::marks::{POLICY_NAME, role_path};

/// Reads the stack's roles, and reports wanted role names taken by roles that are not the
/// stack's: outside its path, or under it without its tag (CreateRole sets both). A role
/// under the path that is not the stack's and not wanted is left out: never planned for
/// deletion.
pub async fn read_roles(
    clients: &Clients,
    stack: &str,
    wanted: &[String],
) -> Result<(BTreeMap<String, LiveRole>, Vec<Conflict>), AwsError> {
    let mut roles = BTreeMap::new();
    let mut conflicts = Vec::new();
    let Listed {
        under_path,
        elsewhere,
    } = read_under_path(clients, stack).await?;
    for (name, (role, owner)) in under_path {
        if owner.as_deref() == Some(stack) {
            roles.insert(name, role);
        } else if wanted.contains(&name) {
            conflicts.push(Conflict {
                kind: "role".to_string(),
                name,
                owner,
                note: None,
            });
        }
    }
    let path = role_path(stack);
    let taken =
        |name: &&String| !roles.contains_key(*name) && !conflicts.iter().any(|c| c.name == **name);
    let unseen: Vec<&String> = wanted.iter().filter(taken).collect();
    // The whole account was listed: a wanted name is taken only by a role in that list.
    if let Some(elsewhere) = elsewhere {
        conflicts.extend(unseen.into_iter().filter_map(|name| {
            let (other_path, owner) = elsewhere.get(name)?;
            Some(Conflict {
                kind: "role".to_string(),
                name: name.clone(),
                owner: owner.clone(),
                note: Some(format!("its IAM path is {other_path}, not {path}")),
            })
        }));
        return Ok((roles, conflicts));
    }
    let probes = unseen.into_iter().map(|name| {
        let path = &path;
        async move {
            match clients.iam.get_role().role_name(name).send().await {
                Ok(out) => Ok(Some(Conflict {
                    kind: "role".to_string(),
                    name: name.clone(),
                    owner: out.role().and_then(role_owner),
                    note: out
                        .role()
                        .map(|r| format!("its IAM path is {}, not {path}", r.path())),
                })),
                Err(e) if classify(&e) == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(describe("iam:GetRole", e)),
            }
        }
    });
    conflicts.extend(try_join_all(probes).await?.into_iter().flatten());
    Ok((roles, conflicts))
}

/// The stack a role's tags name, if any.
pub fn role_owner(role: &aws_sdk_iam::types::Role) -> Option<String> {
    role.tags()
        .iter()
        .find(|t| t.key() == crate::marks::STACK_TAG)
        .map(|t| t.value().to_string())
}

/// A role with the stack its tags name, if any.
type Tagged = (LiveRole, Option<String>);

/// The roles under the stack's path, and every other role of the account by name with its
/// path and owner when the read listed them all (`None`: ask for a wanted name with GetRole).
struct Listed {
    under_path: BTreeMap<String, Tagged>,
    elsewhere: Option<BTreeMap<String, (String, Option<String>)>>,
}

/// The roles under the stack's path with their inline policies and owners: in a few calls
/// when the credentials may read the account's authorization details, else a few per role.
async fn read_under_path(clients: &Clients, stack: &str) -> Result<Listed, AwsError> {
    let path = role_path(stack);
    match read_owned_in_bulk(clients, &path).await {
        Err(AwsError::Call {
            kind: ErrorKind::AccessDenied,
            ..
        }) => Ok(Listed {
            under_path: read_owned_one_by_one(clients, &path).await?,
            elsewhere: None,
        }),
        other => other,
    }
}

/// GetAccountAuthorizationDetails returns every role with its inline policies, a thousand a
/// page: at a hundred functions, one call instead of a hundred and one, and the roles
/// elsewhere whose names the stack may want (no GetRole per new function).
async fn read_owned_in_bulk(clients: &Clients, path: &str) -> Result<Listed, AwsError> {
    let mut roles = BTreeMap::new();
    let mut elsewhere = BTreeMap::new();
    let mut marker = None;
    loop {
        let page = clients
            .iam
            .get_account_authorization_details()
            .filter(aws_sdk_iam::types::EntityType::Role)
            .max_items(1000)
            .set_marker(marker)
            .send()
            .await
            .op("iam:GetAccountAuthorizationDetails")?;
        for role in page.role_detail_list() {
            let name = role.role_name().unwrap_or_default().to_string();
            let owner = role
                .tags()
                .iter()
                .find(|t| t.key() == crate::marks::STACK_TAG)
                .map(|t| t.value().to_string());
            if role.path() != Some(path) {
                let other_path = role.path().unwrap_or_default().to_string();
                elsewhere.insert(name, (other_path, owner));
                continue;
            }
            let policy = role
                .role_policy_list()
                .iter()
                .find(|p| p.policy_name() == Some(POLICY_NAME))
                .map(|p| canonical_json(&decode(p.policy_document().unwrap_or_default())));
            let live = LiveRole {
                name: name.clone(),
                arn: role.arn().unwrap_or_default().to_string(),
                trusted_services: trusted_services(role.assume_role_policy_document()),
                policy,
            };
            roles.insert(name, (live, owner));
        }
        marker = page.marker().map(str::to_string);
        if !page.is_truncated() || marker.is_none() {
            return Ok(Listed {
                under_path: roles,
                elsewhere: Some(elsewhere),
            });
        }
    }
}

/// ListRoles returns no tags: each role's come from GetRole
/// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html>).
async fn read_owned_one_by_one(
    clients: &Clients,
    path: &str,
) -> Result<BTreeMap<String, Tagged>, AwsError> {
    let mut roles = Vec::new();
    let mut pages = clients
        .iam
        .list_roles()
        .path_prefix(path)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.op("iam:ListRoles")?;
        // Some implementations treat the prefix loosely; keep exact matches only.
        roles.extend(page.roles().iter().filter(|r| r.path() == path).cloned());
    }
    let reads = roles.into_iter().map(|role| async move {
        let policy = match clients
            .iam
            .get_role_policy()
            .role_name(role.role_name())
            .policy_name(POLICY_NAME)
            .send()
            .await
        {
            Ok(out) => Some(canonical_json(&decode(out.policy_document()))),
            Err(e) if classify(&e) == ErrorKind::NotFound => None,
            Err(e) => return Err(describe("iam:GetRolePolicy", e)),
        };
        let tagged = clients
            .iam
            .get_role()
            .role_name(role.role_name())
            .send()
            .await
            .op("iam:GetRole")?;
        let live = LiveRole {
            name: role.role_name().to_string(),
            arn: role.arn().to_string(),
            trusted_services: trusted_services(role.assume_role_policy_document()),
            policy,
        };
        Ok::<_, AwsError>((live, tagged.role().and_then(role_owner)))
    });
    Ok(try_join_all(reads)
        .await?
        .into_iter()
        .map(|(r, owner)| (r.name.clone(), (r, owner)))
        .collect())
}

/// IAM returns policy documents URL-encoded.
fn decode(document: &str) -> String {
    percent_encoding::percent_decode_str(document)
        .decode_utf8_lossy()
        .into_owned()
}

/// A JSON document with sorted keys and no spacing, so that equal policies compare equal.
pub fn canonical_json(document: &str) -> String {
    serde_json::from_str::<serde_json::Value>(document)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| document.to_string())
}

/// The service principals an assume-role policy allows (IAM returns it URL-encoded).
fn trusted_services(document: Option<&str>) -> Vec<String> {
    let Some(document) = document else {
        return Vec::new();
    };
    let policy: serde_json::Value = serde_json::from_str(&decode(document)).unwrap_or_default();
    let statements = match &policy["Statement"] {
        serde_json::Value::Array(list) => list.clone(),
        single => vec![single.clone()],
    };
    let mut services: Vec<String> = statements
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| match &s["Principal"]["Service"] {
            serde_json::Value::String(one) => vec![one.clone()],
            serde_json::Value::Array(many) => many
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    services.sort();
    services.dedup();
    services
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_encoded_trust_policy() {
        let doc = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22lambda.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
        assert_eq!(
            super::trusted_services(Some(doc)),
            vec!["lambda.amazonaws.com"]
        );
    }
}
