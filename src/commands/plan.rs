//! `stackctl plan`: read the file and live AWS, print what apply would do.

use crate::output::{Format, Printer, Stream, errln, noteln, out, outln};
use std::path::Path;
use std::time::SystemTime;

use aws_smithy_types::DateTime;
use miette::{IntoDiagnostic, Result};

use super::{
    ExitStatus, build_packages, clients, hashes, load_stack, show_target, stack_file_sha256,
};
use crate::aws::Clients;
use crate::cli::{AwsArgs, PlanArgs, PlanFormat};
use crate::live::{Refresh, Scope};
use crate::plan::json::Origin;
use crate::plan::{self, LockStatus, Mode, Plan, json, markdown, render};
use crate::{live, lock, stack::Stack};

pub async fn run(args: &PlanArgs, aws: &AwsArgs, printer: Printer) -> Result<ExitStatus> {
    let stack = load_stack(&args.file)?;
    super::warn_unbuilt(&stack);
    let packages = build_packages(&stack, &args.file.file)?;
    // Drift is the point of --refresh-only: nothing recorded is trusted then.
    let refresh = if args.refresh_only {
        Refresh::Full
    } else {
        Refresh::Trusting
    };
    let (clients, mut plan) = make(&stack, &hashes(&packages), aws, refresh).await?;
    super::name_changed_files(&mut plan, &packages, &args.file.file);
    show_target(&mut plan, &clients).await?;
    if args.refresh_only {
        return Ok(refresh_only(plan, args, printer));
    }
    match args.output {
        PlanFormat::Markdown => out!("{}", markdown::markdown(&markdown::PlanDoc::of(&plan))),
        PlanFormat::Text => out!(
            "{}",
            render::text(&plan, style(printer), render::Intent::PLAN)
        ),
        PlanFormat::Json => {
            outln!("{}", json::render(&plan));
            // The JSON on stdout goes to a file or a tool: say on stderr why the exit is 1.
            for blocker in &plan.blockers {
                errln!(
                    "The plan is blocked: {}: {}",
                    blocker.address,
                    blocker.message
                );
            }
        }
    }
    match &args.out {
        // A blocked plan cannot be applied: saving it would only invite `apply FILE`.
        Some(out) if !plan.blockers.is_empty() => {
            errln!("The plan is blocked: it was not saved to {}", out.display());
        }
        Some(out) => save(&plan, args, out).await?,
        None => {}
    }
    Ok(if !plan.blockers.is_empty() {
        ExitStatus::Failure
    } else if args.detailed_exitcode && plan.has_changes() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}

/// Reports drift and nothing else: the JSON form keeps its shape, with no changes.
fn refresh_only(mut plan: Plan, args: &PlanArgs, printer: Printer) -> ExitStatus {
    match printer.format {
        Format::Text => out!("{}", render::drift_text(&plan, style(printer))),
        Format::Json => {
            plan.changes.clear();
            outln!("{}", json::render(&plan));
        }
    }
    if args.detailed_exitcode && !plan.drift.is_empty() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    }
}

/// The plan's colours: on a terminal, without `NO_COLOR`.
fn style(printer: Printer) -> render::Style {
    render::Style {
        color: printer.color(Stream::Stdout),
    }
}

/// Writes the plan with where it was made, so that `apply FILE` can check it still holds.
async fn save(plan: &Plan, args: &PlanArgs, out: &Path) -> Result<()> {
    let origin = Origin {
        // show_target filled it in.
        stackctl_version: env!("CARGO_PKG_VERSION").to_string(),
        stack_file: args.file.file.display().to_string(),
        stack_file_sha256: stack_file_sha256(&args.file.file)?,
        env: args.file.env.clone(),
        account: plan.account.clone().unwrap_or_default(),
        created_at: DateTime::from(SystemTime::now())
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap_or_default(),
    };
    std::fs::write(out, json::render_saved(plan, &origin) + "\n")
        .into_diagnostic()
        .map_err(|e| e.wrap_err(format!("cannot write the plan to {}", out.display())))?;
    let saved = format!(
        "Saved the plan to {0}; apply exactly it with: stackctl apply {0}",
        out.display()
    );
    match args.output {
        PlanFormat::Text => outln!("\n{saved}"),
        // The markdown goes to a comment: the note goes to standard error.
        PlanFormat::Markdown => noteln!("{saved}"),
        PlanFormat::Json => {}
    }
    Ok(())
}

/// Reads live state and builds the plan for `stack`.
pub async fn make(
    stack: &Stack,
    code: &std::collections::BTreeMap<String, String>,
    aws: &AwsArgs,
    refresh: Refresh,
) -> Result<(Clients, Plan)> {
    let clients = clients(aws, stack).await?;
    let lock = match refresh {
        Refresh::Trusting => LockRead::Alongside,
        Refresh::Full => LockRead::Before,
    };
    let plan = make_with(Mode::Apply, &clients, stack, code, refresh, None, lock).await?;
    Ok((clients, plan))
}

/// When a plan reads the lock's generation (see [`lock::Generation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockRead {
    /// Alongside live state: a plan that is only shown.
    Alongside,
    /// Before live state: apply takes the lock after planning, and the plan still holds if
    /// the generation is the same then. An apply that ends while live state is read then
    /// shows as a new generation.
    Before,
    /// Not at all: the caller holds the lock (it is taken before planning).
    Held,
}

/// [`make`] with clients at hand; the plan also says whether the lock table exists (unless
/// the lock is held). With a scope, only its resources are read, and the plan changes only
/// those the scope names.
pub async fn make_with(
    mode: Mode,
    clients: &Clients,
    stack: &Stack,
    code: &std::collections::BTreeMap<String, String>,
    refresh: Refresh,
    scope: Option<&Scope>,
    lock: LockRead,
) -> Result<Plan> {
    let read = async {
        live::read(clients, stack, refresh, scope)
            .await
            .map_err(miette::Report::from)
    };
    let seen = async { lock::seen(clients, &stack.name).await.map(Some) };
    let (seen, live) = match lock {
        LockRead::Alongside => tokio::try_join!(async { Ok(seen.await?) }, read)?,
        LockRead::Before => (seen.await?, read.await?),
        LockRead::Held => (None, read.await?),
    };
    let mut plan = plan::build_for(mode, stack, &live, code, &clients.region);
    crate::redact::remember(plan.secret_values());
    if let Some(scope) = scope {
        plan.keep_only(&scope.changed);
    }
    plan.lock = seen.map(|seen| LockStatus {
        table: crate::marks::LOCK_TABLE.to_string(),
        exists: seen != lock::Seen::NoTable,
        generation: match seen {
            lock::Seen::Generation(g) => Some(g.0),
            _ => None,
        },
    });
    Ok(plan)
}
