//! `stackctl apply PLAN_FILE`: a plan saved by `plan --out`, applied exactly, once the stack
//! file, account, region and every resource it changes are as they were when it was made.

use std::path::Path;

use miette::{IntoDiagnostic, Result};

use super::apply::{Run, Saved, load, with_view};
use super::refusal::Refusal;
use super::view::ApplyView;
use super::{ExitStatus, stack_file_sha256};
use crate::aws::Clients;
use crate::cli::{ApplyArgs, AwsArgs};
use crate::live::Scope;
use crate::output::{Printer, errln};
use crate::plan::json::Origin;
use crate::plan::saved::{self, SavedPlan};
use crate::plan::{Mode, Plan};

/// `apply FILE`: applies a saved plan once the stack file, account, region and every resource
/// it changes are as they were when it was made.
pub async fn run(
    file: &Path,
    args: &ApplyArgs,
    aws: &AwsArgs,
    printer: Printer,
) -> Result<ExitStatus> {
    with_view(printer, async |view| {
        apply_saved(file, args, aws, printer, view).await
    })
    .await
}

async fn apply_saved(
    file: &Path,
    args: &ApplyArgs,
    aws: &AwsArgs,
    printer: Printer,
    view: &dyn ApplyView,
) -> Result<ExitStatus> {
    // Far above any saved plan; what keeps a pipe or device from eating memory.
    let text = crate::stack::read_capped(file, 64 * 1024 * 1024)
        .and_then(|b| String::from_utf8(b).map_err(std::io::Error::other))
        .into_diagnostic()
        .map_err(|e| e.wrap_err(format!("cannot read the plan {}", file.display())))?;
    let unusable = |reason: String| Refusal::NotAPlan {
        file: file.display().to_string(),
        reason,
    };
    let saved = SavedPlan::parse(&text).map_err(unusable)?;
    if !saved.blockers.is_empty() {
        let count = saved.blockers.len();
        return Err(Refusal::Blocked {
            command: "apply",
            count,
        }
        .into());
    }
    let Some(origin) = &saved.origin else {
        return Err(Refusal::NoOrigin {
            file: file.display().to_string(),
        }
        .into());
    };
    check_origin(origin, args)?;
    let changed = saved.changed().map_err(unusable)?;
    let (stack, packages, clients) = load(args, aws).await?;
    // Only what the plan changes (and what those changes refer to) is read again.
    let scope = Scope::of(&stack, changed);
    let run = Run {
        clients: &clients,
        stack: &stack,
        packages: &packages,
        args,
        question: None,
        saved: Some(Saved {
            scope: &scope,
            lock_table: saved.lock.as_ref().is_some_and(|l| l.exists),
        }),
        command: "apply",
        mode: Mode::Apply,
        refresh: false,
        printer,
        view,
    };
    run.plan_and_apply(async |plan| check_saved(&saved, origin, plan, &clients).await)
        .await
}

/// Refuses a saved plan made from another stack file, or for another environment.
fn check_origin(origin: &Origin, args: &ApplyArgs) -> Result<()> {
    if stack_file_sha256(&args.file.file)? != origin.stack_file_sha256 {
        return Err(stale(format!(
            "{} differs from the {} the plan was made from",
            args.file.file.display(),
            origin.stack_file
        )));
    }
    if args.file.env != origin.env {
        return Err(stale(format!(
            "it was made for environment {}, this apply is for {}",
            origin.env.as_deref().unwrap_or("(none)"),
            args.file.env.as_deref().unwrap_or("(none)")
        )));
    }
    Ok(())
}

fn stale(what: String) -> miette::Report {
    Refusal::StalePlan { what }.into()
}

/// Refuses a saved plan that no longer holds. `plan` was made from a read scoped to what the
/// saved plan changes, so it changes nothing else.
async fn check_saved(
    saved: &SavedPlan,
    origin: &Origin,
    plan: &mut Plan,
    clients: &Clients,
) -> Result<()> {
    if plan.stack != saved.stack {
        return Err(stale(format!(
            "it was made for stack {}, the stack file now names {}",
            saved.stack, plan.stack
        )));
    }
    if plan.region != saved.region {
        return Err(stale(format!(
            "it was made for region {}, this apply targets {}",
            saved.region, plan.region
        )));
    }
    let account = match &plan.account {
        Some(account) => account.clone(),
        None => clients.account().await?,
    };
    if account != origin.account {
        return Err(stale(format!(
            "it was made for account {}, these credentials are for {account}",
            origin.account
        )));
    }
    plan.account = Some(account);
    let reasons = saved::stale(saved, plan);
    if !reasons.is_empty() {
        for reason in &reasons[1..] {
            errln!("  also: {reason}");
        }
        return Err(stale(reasons[0].clone()));
    }
    Ok(())
}
