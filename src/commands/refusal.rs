//! Why a command refused to go on. The wording is what users read (tests pin it); the kind is
//! what `--log-format json` names in its `refused` event.

use serde::Serialize;

/// A command that stopped before changing anything, because it may not or cannot go on.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Refusal {
    /// Confirmation is needed, no one can answer, and `--yes` was not given.
    #[error("refusing to continue without confirmation: standard input is not a terminal")]
    #[diagnostic(help("pass --yes to confirm in scripts and CI; nothing was sent to AWS"))]
    NoConfirmation,

    /// The plan has blockers (a name taken outside the stack, ...).
    #[error("refusing to {command}: the plan has {count} error{}", plural(*.count))]
    #[diagnostic(help("fix the errors above; nothing was changed"))]
    Blocked { command: &'static str, count: usize },

    /// The plan deletes table or user pool data and `--allow-data-loss` was not given.
    #[error("refusing to {command}: this plan deletes the data of {addresses}")]
    #[diagnostic(help(
        "re-run with --allow-data-loss if deleting the data is intended; nothing was changed"
    ))]
    DataLoss {
        command: &'static str,
        /// The addresses of the tables and user pools, comma separated.
        addresses: String,
    },

    /// A saved plan no longer holds.
    #[error("plan is stale: {what}; nothing was changed")]
    #[diagnostic(help("make a new plan with `stackctl plan --out FILE` and review it"))]
    StalePlan { what: String },

    /// The file given to `apply FILE` is not a saved plan.
    #[error("{file} is not a plan stackctl can apply: {reason}")]
    #[diagnostic(help("save a plan with `stackctl plan --out FILE`"))]
    NotAPlan { file: String, reason: String },

    /// A plan printed with `--output json`, not saved with `--out`.
    #[error("{file} has no origin: it was not saved by `plan --out`")]
    #[diagnostic(help(
        "save the plan with `stackctl plan --out FILE`; `--output json` is for reading"
    ))]
    NoOrigin { file: String },

    /// Ctrl-C after the plan, before the first change.
    #[error("interrupted before any change; nothing was changed")]
    Interrupted,
}

/// What kind of refusal it was, as `--log-format json` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalKind {
    NoConfirmation,
    Blocked,
    DataLoss,
    StalePlan,
    NotAPlan,
    NoOrigin,
    Interrupted,
    /// The user did not answer yes.
    Cancelled,
    /// Another apply holds the stack's lock.
    LockHeld,
}

impl Refusal {
    pub fn kind(&self) -> RefusalKind {
        match self {
            Refusal::NoConfirmation => RefusalKind::NoConfirmation,
            Refusal::Blocked { .. } => RefusalKind::Blocked,
            Refusal::DataLoss { .. } => RefusalKind::DataLoss,
            Refusal::StalePlan { .. } => RefusalKind::StalePlan,
            Refusal::NotAPlan { .. } => RefusalKind::NotAPlan,
            Refusal::NoOrigin { .. } => RefusalKind::NoOrigin,
            Refusal::Interrupted => RefusalKind::Interrupted,
        }
    }
}

/// The refusal an error is, if it is one: a [`Refusal`], or the stack's lock held by another
/// apply (waited for, or not).
pub fn kind_of(report: &miette::Report) -> Option<RefusalKind> {
    if let Some(refusal) = report.downcast_ref::<Refusal>() {
        return Some(refusal.kind());
    }
    match report.downcast_ref::<crate::lock::LockError>()? {
        crate::lock::LockError::Held(..) | crate::lock::LockError::TimedOut { .. } => {
            Some(RefusalKind::LockHeld)
        }
        crate::lock::LockError::Interrupted(..) => Some(RefusalKind::Interrupted),
        _ => None,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_says_which_it_is_in_the_words_users_read() {
        let refusal = Refusal::Blocked {
            command: "destroy",
            count: 2,
        };
        assert_eq!(
            refusal.to_string(),
            "refusing to destroy: the plan has 2 errors"
        );
        let report = miette::Report::new(refusal);
        assert_eq!(kind_of(&report), Some(RefusalKind::Blocked));
        assert_eq!(kind_of(&miette::miette!("AccessDenied")), None);
        let json = serde_json::to_value(RefusalKind::StalePlan).unwrap();
        assert_eq!(json, "stale_plan");
    }
}
