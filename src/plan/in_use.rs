//! Deletes of what is still used. A delete goes ahead only when nothing that stays refers to
//! the resource; otherwise the plan is blocked, naming the user and what to do.
//!
//! What the stack file refers to by name (`${tables.X.arn}`, a route's function, a Lambda
//! authorizer, a role's `tables`) is checked when the file is read: such a resource cannot be
//! undeclared while something declared names it. What is left to check here is what refers
//! to a resource by its AWS identity: a function whose `role` is the ARN of a role this stack
//! manages, and a live function that stays and runs with such a role.

use super::{Action, Blocker, Change, Desired, Live, RoleSource};
use crate::live::LiveRole;

/// One blocker per planned delete that something staying still uses.
pub(super) fn blockers(changes: &[Change]) -> Vec<Blocker> {
    changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .filter_map(|c| match &c.live {
            Some(Live::Role(role)) => role_in_use(c, role, changes),
            _ => None,
        })
        .collect()
}

/// A managed role about to be deleted that a function that stays runs with, or will run with.
fn role_in_use(delete: &Change, role: &LiveRole, changes: &[Change]) -> Option<Blocker> {
    let users: Vec<String> = changes
        .iter()
        .filter(|c| c.action != Action::Delete)
        .filter(|c| {
            let desired = matches!(&c.desired,
                Some(Desired::Function(f)) if matches!(&f.role, RoleSource::Arn(arn) if names_role(arn, role)));
            // A function the plan does not change keeps the role it has live.
            let live = c.action == Action::NoOp
                && matches!(&c.live, Some(Live::Function(f)) if names_role(&f.role, role));
            desired || live
        })
        .map(|c| c.address.to_string())
        .collect();
    if users.is_empty() {
        return None;
    }
    Some(Blocker {
        address: delete.address.clone(),
        message: format!(
            "role {} would be deleted, but {} still {} it as execution role",
            role.name,
            users.join(", "),
            if users.len() == 1 { "uses" } else { "use" },
        ),
        help: format!(
            "a managed role lives only while its own function is declared without `role`: first give {} another role than {} (or remove its `role`, and stackctl makes one for it), or keep the role's function as it was",
            users.join(", "),
            role.name
        ),
    })
}

/// Whether a role ARN names `role`. IAM role ARNs carry the role's path
/// (`arn:aws:iam::ACCOUNT:role/stackctl/shop/shop-f`), and the name is its last part.
fn names_role(arn: &str, role: &LiveRole) -> bool {
    arn == role.arn || crate::arn::role_name_in(arn) == Some(&role.name)
}
