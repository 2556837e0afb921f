//! `stackctl apply`: plan, check that the plan may run, confirm, carry it out, report.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use miette::{IntoDiagnostic, Result};

use super::progress::Progress;
use super::{
    ExitStatus, build_packages, confirm, hashes, load_stack, stack_file_sha256, stdout_style,
};
use crate::apply::{self, Outcome};
use crate::aws::Clients;
use crate::cli::{ApplyArgs, AwsArgs};
use crate::package::Package;
use crate::plan::saved::{self, SavedPlan};
use crate::plan::{Plan, render};

pub async fn run(args: &ApplyArgs, aws: &AwsArgs) -> Result<ExitStatus> {
    let stack = load_stack(&args.file)?;
    let packages = build_packages(&stack)?;
    let (clients, plan) = super::plan::make(&stack, &hashes(&packages), aws).await?;
    execute(
        &clients,
        &plan,
        &packages,
        args,
        Some("Apply these changes?"),
    )
    .await
}

/// `apply FILE`: applies a saved plan once the stack file, account, region and every resource
/// it changes are as they were when it was made.
pub async fn run_saved(file: &Path, args: &ApplyArgs, aws: &AwsArgs) -> Result<ExitStatus> {
    let text = std::fs::read_to_string(file)
        .into_diagnostic()
        .map_err(|e| e.wrap_err(format!("cannot read the plan {}", file.display())))?;
    let saved = SavedPlan::parse(&text).map_err(|e| {
        miette::miette!(
            help = "save a plan with `stackctl plan --out FILE`",
            "{} is not a plan stackctl can apply: {e}",
            file.display()
        )
    })?;
    let Some(origin) = &saved.origin else {
        miette::bail!(
            help = "save the plan with `stackctl plan --out FILE`; `--output json` is for reading",
            "{} has no origin: it was not saved by `plan --out`",
            file.display()
        );
    };
    let stale = |what: String| {
        miette::miette!(
            help = "make a new plan with `stackctl plan --out FILE` and review it",
            "plan is stale: {what}; nothing was changed"
        )
    };
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
    let stack = load_stack(&args.file)?;
    let packages = build_packages(&stack)?;
    let (clients, mut plan) = super::plan::make(&stack, &hashes(&packages), aws).await?;
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
    let account = clients.account().await?;
    if account != origin.account {
        return Err(stale(format!(
            "it was made for account {}, these credentials are for {account}",
            origin.account
        )));
    }
    let reasons = saved::stale(&saved, &plan);
    if !reasons.is_empty() {
        for reason in &reasons[1..] {
            eprintln!("  also: {reason}");
        }
        return Err(stale(reasons[0].clone()));
    }
    let left = saved::restrict(&mut plan, &saved);
    if !left.is_empty() {
        println!(
            "Not in the saved plan, left alone (changed since it was made): {}\n",
            left.join(", ")
        );
    }
    execute(&clients, &plan, &packages, args, None).await
}

/// Shows `plan`, refuses it when it may not run, and otherwise applies it. Shared with destroy.
pub async fn execute(
    clients: &Clients,
    plan: &Plan,
    packages: &BTreeMap<String, Package>,
    args: &ApplyArgs,
    question: Option<&str>,
) -> Result<ExitStatus> {
    print!("{}", render::text(plan, stdout_style()));
    if !plan.blockers.is_empty() {
        miette::bail!(
            help = "fix the errors above; nothing was changed",
            "refusing to apply: the plan has {} error{}",
            plan.blockers.len(),
            if plan.blockers.len() == 1 { "" } else { "s" }
        );
    }
    if !plan.has_changes() {
        print_outputs(&plan.known);
        return Ok(ExitStatus::Success);
    }
    let losses: Vec<String> = plan.data_loss().map(|c| c.address.to_string()).collect();
    if !losses.is_empty() && !args.allow_data_loss {
        miette::bail!(
            help = "re-run with --allow-data-loss if deleting the data is intended; nothing was changed",
            "refusing to apply: this plan deletes the data of {}",
            losses.join(", ")
        );
    }
    if let Some(question) = question
        && !confirm(question, args.yes)?
    {
        println!("Apply cancelled; nothing was changed.");
        return Ok(ExitStatus::Failure);
    }
    println!();
    let progress = Progress::new();
    let started = Instant::now();
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let outcome = apply::apply(clients, plan, packages, &progress, interrupt).await;
    progress.finish();
    report(&outcome, started.elapsed())
}

fn report(outcome: &Outcome, elapsed: std::time::Duration) -> Result<ExitStatus> {
    println!();
    if outcome.succeeded() {
        println!(
            "Apply complete: {} change{} in {:.1}s.",
            outcome.done.len(),
            if outcome.done.len() == 1 { "" } else { "s" },
            elapsed.as_secs_f64()
        );
        print_outputs(&outcome.outputs);
        return Ok(ExitStatus::Success);
    }
    let mut lines = vec![format!("{} done", outcome.done.len())];
    if !outcome.failed.is_empty() {
        lines.push(format!("{} failed", outcome.failed.len()));
    }
    if !outcome.skipped.is_empty() {
        lines.push(format!(
            "{} skipped because something they need failed",
            outcome.skipped.len()
        ));
    }
    if outcome.interrupted {
        lines.push(format!(
            "{} not started (interrupted)",
            outcome.not_started.len()
        ));
    }
    for (address, error) in &outcome.failed {
        eprintln!("error: {address}: {error}");
    }
    miette::bail!(
        help = "run stackctl apply again to finish: what is done is not repeated",
        "apply did not finish: {}",
        lines.join(", ")
    )
}

fn print_outputs(values: &BTreeMap<String, String>) {
    if let Some(url) = values.get("api.url") {
        println!("\nOutputs:\n  api.url = {url}");
    }
}
