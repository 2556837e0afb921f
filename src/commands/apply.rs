//! `stackctl apply`: plan, check that the plan may run, confirm, carry it out, report.

use crate::output::{errln, out, outln};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use miette::{IntoDiagnostic, Result};
use serde_json::json;

use super::interrupt;
use super::plan::LockRead;
use super::progress::{LogStyle, Progress, emit};
use super::{
    ExitStatus, build_packages, can_confirm, clients, confirm, hashes, load_stack, release,
    show_target, stack_file_sha256, stdout_style, take_lock,
};
use crate::apply::{self, Outcome};
use crate::aws::Clients;
use crate::cli::{ApplyArgs, AwsArgs};
use crate::live::{Refresh, Scope};
use crate::lock::{Generation, Lock};
use crate::package::Package;
use crate::plan::json::Origin;
use crate::plan::saved::{self, SavedPlan};
use crate::plan::{Mode, Plan, json, render};
use crate::stack::Stack;

pub async fn run(args: &ApplyArgs, aws: &AwsArgs) -> Result<ExitStatus> {
    can_confirm(args.yes)?;
    let (stack, packages, clients) = load(args, aws).await?;
    let run = Run {
        clients: &clients,
        stack: &stack,
        packages: &packages,
        args,
        question: Some("Apply these changes?"),
        saved: None,
        command: "apply",
        mode: Mode::Apply,
    };
    run.plan_and_apply(async |_| Ok(())).await
}

/// The stack file, its functions' packages (built before any AWS call), and clients.
async fn load(
    args: &ApplyArgs,
    aws: &AwsArgs,
) -> Result<(Stack, BTreeMap<String, Package>, Clients)> {
    let stack = load_stack(&args.file)?;
    let packages = build_packages(&stack)?;
    let clients = clients(aws, &stack).await?;
    Ok((stack, packages, clients))
}

/// What planning and applying under the lock needs; shared by apply, apply FILE and destroy.
pub struct Run<'a> {
    pub clients: &'a Clients,
    pub stack: &'a Stack,
    pub packages: &'a BTreeMap<String, Package>,
    pub args: &'a ApplyArgs,
    /// `None`: no confirmation (a saved plan was the review).
    pub question: Option<&'a str>,
    /// A saved plan's: read and plan only what it changes.
    pub saved: Option<Saved<'a>>,
    /// `apply` or `destroy`: what the messages call this run, and what to run again.
    pub command: &'static str,
    /// What the plan is made for (`destroy` deletes everything).
    pub mode: Mode,
}

/// What applying a saved plan knows before it reads anything.
#[derive(Clone, Copy)]
pub struct Saved<'a> {
    pub scope: &'a Scope,
    /// The plan saw the lock table.
    pub lock_table: bool,
}

impl Run<'_> {
    /// Plans, passes the plan to `prepare`, and applies it under the stack's lock.
    pub async fn plan_and_apply(
        &self,
        prepare: impl AsyncFn(&mut Plan) -> Result<()>,
    ) -> Result<ExitStatus> {
        match self.saved {
            Some(saved) if !saved.scope.changed.is_empty() => {
                self.lock_then_plan(saved, prepare).await
            }
            _ => self.plan_then_lock(prepare).await,
        }
    }

    /// Apply reads everything live (records included), so that it also repairs what a
    /// trusting plan cannot see (an invoke permission removed by hand). The plan is made
    /// without the lock, so that an apply with nothing to do (or one refused) writes nothing,
    /// not even a lock; it is made again under the lock only if another apply held the lock
    /// in between (the lock's generation moved on).
    async fn plan_then_lock(
        &self,
        prepare: impl AsyncFn(&mut Plan) -> Result<()>,
    ) -> Result<ExitStatus> {
        let code = hashes(self.packages);
        let make = || {
            super::plan::make_with(
                self.mode,
                self.clients,
                self.stack,
                &code,
                Refresh::Full,
                // A saved plan that changes nothing reads nothing.
                self.saved.map(|s| s.scope),
                LockRead::Before,
            )
        };
        let mut plan = make().await?;
        prepare(&mut plan).await?;
        // Before the lock: taking it is the first write.
        show_target(&mut plan, self.clients).await?;
        let account = plan.account.clone();
        if !plan.has_changes() || !plan.blockers.is_empty() {
            return execute(self, &plan, None).await;
        }
        let seen = plan
            .lock
            .as_ref()
            .and_then(|l| l.generation)
            .map(Generation);
        let table_exists = plan.lock.as_ref().is_some_and(|l| l.exists);
        let lock = take_lock(
            self.clients,
            &self.stack.name,
            self.args.lock_timeout,
            table_exists,
        )
        .await?;
        // From here Ctrl-C is ours to handle: the lock is always released.
        let _guard = interrupt::guard();
        let result = async {
            if !lock.unchanged_since(seen) {
                plan = make().await?;
                plan.account = plan.account.or(account);
                prepare(&mut plan).await?;
            }
            execute(self, &plan, Some(&lock)).await
        }
        .await;
        release(lock, result).await
    }

    /// A saved plan that changes something takes the lock first: what is read and checked
    /// then cannot change through stackctl before it is applied, and no generation is read.
    /// Its read is scoped and trusting, like the plan it checks: it applies what was
    /// reviewed, and repairs nothing else.
    async fn lock_then_plan(
        &self,
        saved: Saved<'_>,
        prepare: impl AsyncFn(&mut Plan) -> Result<()>,
    ) -> Result<ExitStatus> {
        let lock = take_lock(
            self.clients,
            &self.stack.name,
            self.args.lock_timeout,
            saved.lock_table,
        )
        .await?;
        let _guard = interrupt::guard();
        let result = async {
            let mut plan = super::plan::make_with(
                self.mode,
                self.clients,
                self.stack,
                &hashes(self.packages),
                Refresh::Trusting,
                Some(saved.scope),
                LockRead::Held,
            )
            .await?;
            prepare(&mut plan).await?;
            show_target(&mut plan, self.clients).await?;
            execute(self, &plan, Some(&lock)).await
        }
        .await;
        release(lock, result).await
    }
}

/// `apply FILE`: applies a saved plan once the stack file, account, region and every resource
/// it changes are as they were when it was made.
pub async fn run_saved(file: &Path, args: &ApplyArgs, aws: &AwsArgs) -> Result<ExitStatus> {
    // Far above any saved plan; what keeps a pipe or device from eating memory.
    let text = crate::stack::read_capped(file, 64 * 1024 * 1024)
        .and_then(|b| String::from_utf8(b).map_err(std::io::Error::other))
        .into_diagnostic()
        .map_err(|e| e.wrap_err(format!("cannot read the plan {}", file.display())))?;
    let unusable = |e: String| {
        miette::miette!(
            help = "save a plan with `stackctl plan --out FILE`",
            "{} is not a plan stackctl can apply: {e}",
            file.display()
        )
    };
    let saved = SavedPlan::parse(&text).map_err(unusable)?;
    let Some(origin) = &saved.origin else {
        miette::bail!(
            help = "save the plan with `stackctl plan --out FILE`; `--output json` is for reading",
            "{} has no origin: it was not saved by `plan --out`",
            file.display()
        );
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
    };
    run.plan_and_apply(async |plan| check_saved(&saved, origin, plan, &clients).await)
        .await
}

fn stale(what: String) -> miette::Report {
    miette::miette!(
        help = "make a new plan with `stackctl plan --out FILE` and review it",
        "plan is stale: {what}; nothing was changed"
    )
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

/// Shows `plan`, refuses it when it may not run, and otherwise applies it (under `lock`, when
/// there is anything to do).
async fn execute(run: &Run<'_>, plan: &Plan, lock: Option<&Lock>) -> Result<ExitStatus> {
    let log = LogStyle::from_args(run.args);
    if log.json {
        emit(json!({ "event": "plan", "plan": json::to_json(plan, None) }));
    } else {
        let intent = render::Intent {
            command: run.command,
            data_loss_allowed: run.args.allow_data_loss,
        };
        out!("{}", render::text(plan, stdout_style(), intent));
    }
    if !plan.blockers.is_empty() {
        miette::bail!(
            help = "fix the errors above; nothing was changed",
            "refusing to {}: the plan has {} error{}",
            run.command,
            plan.blockers.len(),
            if plan.blockers.len() == 1 { "" } else { "s" }
        );
    }
    if !plan.has_changes() {
        return report(
            run,
            &Outcome::default(),
            &plan.known,
            Instant::now().elapsed(),
            log,
        );
    }
    let losses: Vec<String> = plan.data_loss().map(|c| c.address.to_string()).collect();
    if !losses.is_empty() && !run.args.allow_data_loss {
        miette::bail!(
            help = "re-run with --allow-data-loss if deleting the data is intended; nothing was changed",
            "refusing to {}: this plan deletes the data of {}",
            run.command,
            losses.join(", ")
        );
    }
    if let Some(question) = run.question
        && !confirm(question, run.args.yes).await?
    {
        outln!(
            "{} cancelled; nothing was changed.",
            capitalized(run.command)
        );
        return Ok(ExitStatus::Failure);
    }
    if interrupt::requested() {
        miette::bail!("interrupted before any change; nothing was changed");
    }
    if !log.json {
        outln!();
    }
    let progress = Progress::new(log);
    let started = Instant::now();
    let interrupt = async {
        tokio::select! {
            () = interrupt::wait() => {}
            () = lost(lock) => errln!(
                "error: the stack's lock could not be renewed; starting nothing more"
            ),
        }
    };
    let outcome = apply::apply(run.clients, plan, run.packages, &progress, interrupt).await;
    progress.finish();
    report(run, &outcome, &outcome.outputs, started.elapsed(), log)
}

/// Resolves when `lock`'s lease is lost; never without a lock.
async fn lost(lock: Option<&Lock>) {
    match lock {
        Some(lock) => lock.lost().await,
        None => std::future::pending().await,
    }
}

/// The end of an apply: what was done, the outputs, and what to do about what was not.
fn report(
    run: &Run<'_>,
    outcome: &Outcome,
    outputs: &BTreeMap<String, String>,
    elapsed: std::time::Duration,
    log: LogStyle,
) -> Result<ExitStatus> {
    let url = outputs.get("api.url");
    if log.json {
        let addresses = |list: &[crate::stack::Address]| -> Vec<String> {
            list.iter().map(ToString::to_string).collect()
        };
        emit(json!({
            "event": "complete",
            "succeeded": outcome.succeeded(),
            "done": addresses(&outcome.done),
            "failed": outcome.failed.iter().map(|(a, e)| json!({ "address": a.to_string(), "error": e })).collect::<Vec<_>>(),
            "skipped": addresses(&outcome.skipped),
            "not_started": addresses(&outcome.not_started),
            "interrupted": outcome.interrupted,
            "elapsed_seconds": elapsed.as_secs_f64(),
            "outputs": { "api.url": url },
        }));
    } else if outcome.succeeded() && !outcome.done.is_empty() {
        outln!(
            "\n{} complete: {} change{} in {:.1}s.",
            capitalized(run.command),
            outcome.done.len(),
            if outcome.done.len() == 1 { "" } else { "s" },
            elapsed.as_secs_f64()
        );
    }
    if outcome.succeeded() {
        if !log.json {
            print_outputs(outputs);
        }
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
        errln!("error: {address}: {}", crate::redact::text(error));
    }
    let help = if outcome.name_taken {
        format!(
            "a name the stack declares is taken by a resource it does not own (above): rename it in the stack file or remove that resource, then {}",
            finish_help(run)
        )
    } else {
        finish_help(run)
    };
    miette::bail!(
        help = help,
        "{} did not finish: {}",
        run.command,
        lines.join(", ")
    )
}

/// How to finish what an apply left undone: the same command again (a destroy is finished by
/// destroy: apply would make the stack again), or a new plan for a saved one, which no longer
/// holds once part of it is done.
fn finish_help(run: &Run<'_>) -> String {
    if run.saved.is_some() {
        return "make a new plan with `stackctl plan --out FILE` and apply it to finish: what is done is not repeated".to_string();
    }
    let env = match &run.args.file.env {
        Some(env) => format!(" --env {env}"),
        None => String::new(),
    };
    let flags = if run.args.allow_data_loss {
        " --allow-data-loss"
    } else {
        ""
    };
    format!(
        "run stackctl {}{env}{flags} again to finish: what is done is not repeated",
        run.command
    )
}

fn capitalized(command: &str) -> String {
    let mut chars = command.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn print_outputs(values: &BTreeMap<String, String>) {
    if let Some(url) = values.get("api.url") {
        outln!("\nOutputs:\n  api.url = {url}");
    }
}
