//! `stackctl apply`: plan, check that the plan may run, confirm, carry it out, report.

use crate::output::{Printer, Stream, errln};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use miette::Result;

use super::events::JsonView;
use super::interrupt;
use super::plan::LockRead;
use super::progress::Progress;
use super::refusal;
use super::refusal::{Refusal, RefusalKind};
use super::view::{ApplyResult, ApplyView, capitalized};
use super::{
    ExitStatus, build_packages, can_confirm, clients, confirm, hashes, load_stack, release,
    show_target, take_lock,
};
use crate::apply::{self, Outcome};
use crate::aws::Clients;
use crate::cli::{ApplyArgs, AwsArgs};
use crate::live::{Refresh, Scope};
use crate::lock::{Generation, Lock};
use crate::package::Package;
use crate::plan::{Mode, Plan, render};
use crate::stack::Stack;

/// `refresh`: read every routed function's policy instead of trusting the API's record.
pub async fn run(
    args: &ApplyArgs,
    refresh: bool,
    aws: &AwsArgs,
    printer: Printer,
) -> Result<ExitStatus> {
    with_view(printer, async |view| {
        can_confirm(args.yes, printer)?;
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
            refresh,
            printer,
            view,
        };
        run.plan_and_apply(async |_| Ok(())).await
    })
    .await
}

/// The view the printer's format asks for.
fn apply_view(printer: Printer) -> Box<dyn ApplyView> {
    if printer.json() {
        Box::new(JsonView)
    } else {
        Box::new(Progress::new(printer, Stream::Stdout))
    }
}

/// Runs `command` with the view the printer asks for, and tells the view when the command
/// ends in a refusal.
pub(super) async fn with_view(
    printer: Printer,
    command: impl AsyncFnOnce(&dyn ApplyView) -> miette::Result<ExitStatus>,
) -> miette::Result<ExitStatus> {
    let view = apply_view(printer);
    let result = command(&*view).await;
    if let Err(report) = &result
        && let Some(kind) = refusal::kind_of(report)
    {
        view.refused(kind, &report.to_string());
    }
    result
}

/// The stack file, its functions' packages (built before any AWS call), and clients.
pub(super) async fn load(
    args: &ApplyArgs,
    aws: &AwsArgs,
) -> Result<(Stack, BTreeMap<String, Package>, Clients)> {
    let stack = load_stack(&args.file)?;
    let packages = build_packages(&stack, &args.file.file)?;
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
    /// Read every routed function's policy (`apply --refresh`) instead of trusting the API's
    /// record of the invoke permissions granted.
    pub refresh: bool,
    pub printer: Printer,
    /// Shows the plan, the progress and the result.
    pub view: &'a dyn ApplyView,
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

    /// Apply trusts what a plan trusts (the API's record of the invoke permissions granted:
    /// no GetPolicy per routed function, at Lambda's 15 a second); with `--refresh` it reads
    /// everything, so that it also repairs an invoke permission removed by hand. The plan is made
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
                if self.refresh {
                    Refresh::Full
                } else {
                    Refresh::Trusting
                },
                // A saved plan that changes nothing reads nothing.
                self.saved.map(|s| s.scope),
                LockRead::Before,
            )
        };
        let mut plan = make().await?;
        super::name_changed_files(&mut plan, self.packages, &self.args.file.file);
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
            self.printer,
        )
        .await?;
        // From here Ctrl-C is ours to handle: the lock is always released.
        let _guard = interrupt::guard();
        let result = async {
            if !lock.unchanged_since(seen) {
                plan = make().await?;
                super::name_changed_files(&mut plan, self.packages, &self.args.file.file);
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
            self.printer,
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

/// Shows `plan`, refuses it when it may not run, and otherwise applies it (under `lock`, when
/// there is anything to do).
async fn execute(run: &Run<'_>, plan: &Plan, lock: Option<&Lock>) -> Result<ExitStatus> {
    let intent = render::Intent {
        command: run.command,
        data_loss_allowed: run.args.allow_data_loss,
    };
    run.view.plan(plan, intent);
    if !plan.blockers.is_empty() {
        return Err(Refusal::Blocked {
            command: run.command,
            count: plan.blockers.len(),
        }
        .into());
    }
    if !plan.has_changes() {
        let nothing = ApplyResult::new(
            run.command,
            &Default::default(),
            &plan.known,
            Duration::ZERO,
        );
        return report(run, &Outcome::default(), &nothing);
    }
    if plan.data_loss().next().is_some() && !run.args.allow_data_loss {
        return Err(Refusal::DataLoss {
            command: run.command,
            addresses: plan.data_loss_addresses(),
        }
        .into());
    }
    if let Some(question) = run.question
        && !confirm(question, run.args.yes, run.printer).await?
    {
        let message = format!(
            "{} cancelled; nothing was changed.",
            capitalized(run.command)
        );
        run.view.refused(RefusalKind::Cancelled, &message);
        return Ok(ExitStatus::Failure);
    }
    if interrupt::requested() {
        return Err(Refusal::Interrupted.into());
    }
    run.view.starting();
    let started = Instant::now();
    let interrupt = async {
        tokio::select! {
            () = interrupt::wait() => {}
            () = lost(lock) => errln!(
                "error: the stack's lock could not be renewed; starting nothing more"
            ),
        }
    };
    let outcome = apply::apply(run.clients, plan, run.packages, run.view, interrupt).await;
    run.view.finish();
    let result = ApplyResult::new(run.command, &outcome, &outcome.outputs, started.elapsed());
    report(run, &outcome, &result)
}

/// Resolves when `lock`'s lease is lost; never without a lock.
async fn lost(lock: Option<&Lock>) {
    match lock {
        Some(lock) => lock.lost().await,
        None => std::future::pending().await,
    }
}

/// The end of an apply: what was done, the outputs, and what to do about what was not.
fn report(run: &Run<'_>, outcome: &Outcome, result: &ApplyResult) -> Result<ExitStatus> {
    run.view.complete(result);
    if outcome.succeeded() {
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
