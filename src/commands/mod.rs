//! One file per command: glue between the stack file, live state, plan, apply and the terminal.

mod adopt;
mod apply;
mod apply_saved;
mod destroy;
mod events;
mod export_table;
mod exports;
mod import_table;
mod interrupt;
mod items;
mod openapi;
mod outputs;
mod packages;
mod plan;
mod portal;
mod progress;
mod refusal;
mod status;
mod status_view;
mod transfer_view;
mod unlock;
mod validate;
mod view;
// Issue 23: the daily loop and editor, shell and CI integration.
mod completions;
mod invoke;
mod logs;
mod manpage;
mod show;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use miette::{IntoDiagnostic, Result};

use crate::aws::{AwsError, Clients, ErrorKind, Target};
use crate::cli::{AwsArgs, Cli, Command, FileArgs, LogFormat, OutputFormat, PlanFormat, TableArgs};
use crate::lock::{self, Lock};
use crate::output::{Format, Printer, errln, noteln, out, outln};
use crate::package::Package;
use crate::stack::{self, Stack, TableSpec};
use packages::{build_packages, name_changed_files, warn_unbuilt};

/// How a command ended; the one place outcomes become exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    /// The command could not do its job (bad input, AWS error, refused apply).
    Failure,
    /// `plan --detailed-exitcode` found changes.
    Changes,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Changes => ExitCode::from(2),
        }
    }
}

/// Runs the command; `printer` knows the terminals and `NO_COLOR`, the command's flags
/// complete it here, once.
pub async fn run(cli: Cli, printer: Printer) -> Result<ExitStatus> {
    interrupt::listen();
    if cli.display.verbose {
        crate::aws::log_requests();
    }
    let (format, timestamps) = format_of(&cli.command);
    let printer = printer.with_format(format, timestamps);
    tokio::select! {
        result = dispatch(cli, printer) => result,
        () = interrupt::stop_unguarded() => Err(miette::miette!("interrupted; nothing was changed")),
    }
}

/// The command's output format (`--output`, or apply's `--log-format`) and `--timestamps`.
fn format_of(command: &Command) -> (Format, bool) {
    let output = |format: OutputFormat| match format {
        OutputFormat::Text => Format::Text,
        OutputFormat::Json => Format::Json,
    };
    let log = |args: &crate::cli::ApplyArgs| {
        let format = match args.log_format {
            LogFormat::Text => Format::Text,
            LogFormat::Json => Format::Json,
        };
        (format, args.timestamps)
    };
    match command {
        Command::Validate(args) => (output(args.output), false),
        Command::Unlock(_) => (Format::Text, false),
        Command::Plan(args) => (plan_output(args.output), false),
        Command::Apply(args) => log(&args.apply),
        Command::Destroy(args) => log(args),
        Command::Outputs(args) => (output(args.output), false),
        Command::ExportTable(args) => (output(args.output), false),
        Command::Exports(args) => (output(args.output), false),
        Command::ImportTable(args) => (output(args.output), false),
        Command::Items(_) => (Format::Text, false),
        Command::Status(args) => (output(args.output), false),
        Command::Openapi(_) | Command::Portal(_) => (Format::Text, false),
        Command::Adopt(_) => (Format::Text, false),
        Command::Show(args) => (plan_output(args.output), false),
        Command::Logs(_) | Command::Invoke(_) => (Format::Text, false),
        Command::Completions(_) | Command::Manpage(_) => (Format::Text, false),
    }
}

/// A plan's format: markdown is text for the printer (colourless; see `plan.rs`).
fn plan_output(format: PlanFormat) -> Format {
    match format {
        PlanFormat::Json => Format::Json,
        PlanFormat::Text | PlanFormat::Markdown => Format::Text,
    }
}

async fn dispatch(cli: Cli, printer: Printer) -> Result<ExitStatus> {
    let aws = &cli.aws;
    match cli.command {
        Command::Validate(args) => validate::run(&args, printer),
        Command::Plan(args) => plan::run(&args, aws, printer).await,
        Command::Apply(args) => match &args.plan {
            Some(file) => apply_saved::run(file, &args.apply, aws, printer).await,
            None => apply::run(&args.apply, args.refresh, aws, printer).await,
        },
        Command::Destroy(args) => destroy::run(&args, aws, printer).await,
        Command::Unlock(args) => unlock::run(&args, aws, printer).await,
        Command::Outputs(args) => outputs::run(&args, aws, printer).await,
        Command::ExportTable(args) => export_table::run(&args, aws, printer).await,
        Command::Exports(args) => exports::run(&args, aws, printer).await,
        Command::ImportTable(args) => import_table::run(&args, aws, printer).await,
        Command::Items(args) => items::run(&args, aws, printer).await,
        Command::Status(args) => status::run(&args, aws, printer).await,
        Command::Openapi(args) => openapi::run(&args, aws).await,
        Command::Portal(args) => portal::run(&args, aws).await,
        Command::Logs(args) => logs::run(&args, aws).await,
        Command::Invoke(args) => invoke::run(&args, aws).await,
        Command::Show(args) => show::run(&args),
        Command::Completions(args) => completions::run(&args),
        Command::Manpage(args) => manpage::run(&args),
        Command::Adopt(args) => adopt::run(&args, aws, printer).await,
    }
}

/// Reads the stack file; on failure prints every problem, then returns a one-line summary.
fn load_stack(file: &FileArgs) -> Result<Stack> {
    let err = match stack::load(&file.file, file.env.as_deref()) {
        Ok(stack) => return Ok(stack),
        Err(err) => err,
    };
    let count = err.problems.len();
    let mut problems = err.problems.into_iter().map(miette::Report::new);
    if count == 1 {
        return Err(problems.next().expect("one problem"));
    }
    for problem in problems {
        errln!("{problem:?}");
    }
    miette::bail!("{} has {count} problems; nothing was sent to AWS", err.path)
}

/// The SHA-256 (hex) of the stack file's bytes: a saved plan names the version it was made from.
fn stack_file_sha256(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path)
        .into_diagnostic()
        .map_err(|e| e.wrap_err(format!("cannot read {}", path.display())))?;
    Ok(crate::hash::sha256_hex(bytes, usize::MAX))
}

fn hashes(packages: &BTreeMap<String, Package>) -> BTreeMap<String, String> {
    packages
        .iter()
        .map(|(name, p)| (name.clone(), p.sha256.clone()))
        .collect()
}

async fn clients(aws: &AwsArgs, stack: &Stack) -> Result<Clients> {
    clients_in(aws, stack.region.clone()).await
}

/// Clients for the region the command line names, else `stack_region`, else the AWS chain's.
async fn clients_in(aws: &AwsArgs, stack_region: Option<String>) -> Result<Clients> {
    if let Some(region) = &aws.region {
        crate::aws::target::region(region, "--region")?;
    }
    let target = Target {
        profile: aws.profile.clone(),
        region: aws.region.clone().or(stack_region),
        endpoint_url: aws.endpoint_url.clone(),
    };
    Ok(Clients::new(&target).await?)
}

/// Fills in the plan's account (from the ARNs read; else one STS GetCallerIdentity) and says
/// on standard error which account and region the command acts on, so that a profile or
/// keys for another account show before anything is changed.
async fn show_target(plan: &mut crate::plan::Plan, clients: &Clients) -> Result<()> {
    let account = match &plan.account {
        Some(account) => account.clone(),
        None => clients.account().await?,
    };
    noteln!("Account {account}, region {}", plan.region);
    plan.account = Some(account);
    Ok(())
}

/// A table named on the command line.
struct TableTarget {
    clients: Clients,
    /// Its name in AWS.
    physical: String,
    /// Its name in the stack file, or the physical name for `--table-name`.
    logical: String,
}

/// Resolves `TABLE` through the stack file, or takes `--table-name` as it is.
async fn table_target(args: &TableArgs, aws: &AwsArgs) -> Result<TableTarget> {
    if let Some(physical) = &args.table_name {
        return Ok(TableTarget {
            clients: clients_in(aws, None).await?,
            physical: physical.clone(),
            logical: physical.clone(),
        });
    }
    let stack = load_stack(&args.file)?;
    let logical = args.table.clone().unwrap_or_default();
    let spec = declared_table(&stack, &logical, &args.file.file)?;
    Ok(TableTarget {
        clients: clients(aws, &stack).await?,
        physical: stack.table_name(&spec.logical),
        logical,
    })
}

/// The stack file's `[tables.NAME]`, or an error that lists the declared ones.
fn declared_table<'a>(stack: &'a Stack, logical: &str, file: &Path) -> Result<&'a TableSpec> {
    if let Some(spec) = stack.tables.iter().find(|t| t.logical == logical) {
        return Ok(spec);
    }
    let names: Vec<&str> = stack.tables.iter().map(|t| t.logical.as_str()).collect();
    let closest = stack::closest(logical, names.iter().copied());
    let help = match (closest, names.is_empty()) {
        (Some(name), _) => format!("did you mean {name}?"),
        (None, true) => format!("{} declares no tables", file.display()),
        (None, false) => format!("declared tables: {}", names.join(", ")),
    };
    miette::bail!(
        help = help,
        "{} declares no table {logical}; pass --table-name for a table outside the stack file",
        file.display()
    )
}

/// Takes the stack's apply lock (creating the lock table on first use, unless a plan saw
/// it: `table_exists`), showing whom it waits for and for how long on the progress display,
/// and saying what it takes over. Ctrl-C while it waits stops the wait; Ctrl-C during the
/// request that takes it releases what it took: either way no lock is left behind.
async fn take_lock(
    clients: &Clients,
    stack: &str,
    timeout: std::time::Duration,
    table_exists: bool,
    printer: Printer,
) -> Result<Lock> {
    if !table_exists && !lock::table_exists(clients).await? {
        create_lock_table(clients).await?;
    }
    let _guard = interrupt::guard();
    let held = match acquire(clients, stack, timeout, printer).await {
        // The table the plan saw was deleted since.
        Err(lock::LockError::Aws(AwsError::Call {
            kind: ErrorKind::NotFound,
            ..
        })) if table_exists => {
            create_lock_table(clients).await?;
            acquire(clients, stack, timeout, printer).await?
        }
        held => held?,
    };
    if interrupt::requested() {
        return release(
            held,
            Err(miette::miette!(
                "interrupted while taking the lock of stack {stack}; nothing was changed"
            )),
        )
        .await;
    }
    if let Some(old) = &held.took_over {
        let why = if old.expired() {
            format!("its lease ran out at {}", lock::time(old.expires_at))
        } else {
            "its process on this machine no longer exists".to_string()
        };
        errln!(
            "Took over the {}lock of stack {stack}, held by {} since {} ({why}).",
            if old.expired() { "expired " } else { "" },
            old.holder,
            lock::time(old.acquired_at),
        );
    }
    Ok(held)
}

/// One attempt at the lock, its waits on a progress display (standard error).
async fn acquire(
    clients: &Clients,
    stack: &str,
    timeout: std::time::Duration,
    printer: Printer,
) -> std::result::Result<Lock, lock::LockError> {
    let progress = std::cell::OnceCell::new();
    let mut shown = String::new();
    let held = lock::acquire(
        clients,
        stack,
        &lock::holder(),
        timeout,
        lock::Lease::from_env(),
        |other, _waited| {
            let progress = progress.get_or_init(|| {
                progress::JobProgress::new(
                    format!("Waiting for the lock of stack {stack}"),
                    printer,
                )
            });
            let status = format!(
                "held by {} since {}",
                other.holder,
                lock::time(other.acquired_at)
            );
            progress.status(&status, status != shown);
            shown = status;
        },
        interrupt::wait(),
    )
    .await;
    if let Some(progress) = progress.get() {
        progress.finish();
    }
    held
}

async fn create_lock_table(clients: &Clients) -> Result<()> {
    errln!(
        "Creating the lock table {} (once per account and region).",
        crate::marks::LOCK_TABLE
    );
    Ok(lock::create_table(clients).await?)
}

/// Releases `lock` after `result`; a failed release is reported, never hides `result`.
async fn release<T>(lock: Lock, result: Result<T>) -> Result<T> {
    let stack = lock.info().stack.clone();
    if let Err(e) = lock.release().await {
        errln!(
            "warning: could not release the lock of stack {stack}: {e}; it expires with its lease, or run `stackctl unlock {stack}`"
        );
    }
    result
}

/// Runs `job` until it ends or the user presses Ctrl-C; `None` means interrupted.
async fn until_interrupted<T>(job: impl std::future::Future<Output = T>) -> Option<T> {
    let _guard = interrupt::guard();
    tokio::select! {
        result = job => Some(result),
        () = interrupt::wait() => None,
    }
}

/// Prints `result` in the printer's format: its text (`Display`), or pretty JSON.
fn print_result(printer: Printer, result: &(impl std::fmt::Display + serde::Serialize)) {
    match printer.format {
        Format::Text => out!("{result}"),
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(result).expect("results always serialize")
        ),
    }
}

/// Refuses a command that would ask for confirmation where no one can answer (standard
/// input is not a terminal, as in CI) and `--yes` was not given. Called first thing, so that
/// it refuses before any AWS request, not after the plan made its reads and the lock table.
fn can_confirm(yes: bool, printer: Printer) -> Result<()> {
    if yes || printer.can_ask() {
        return Ok(());
    }
    Err(refusal::Refusal::NoConfirmation.into())
}

/// Asks on the terminal; without one, confirmation must come from `--yes`. Ctrl-C is a no,
/// at once: the answer is read on a thread of its own, which the process does not wait for.
async fn confirm(question: &str, yes: bool, printer: Printer) -> Result<bool> {
    if yes {
        return Ok(true);
    }
    can_confirm(yes, printer)?;
    out!("{question} Only 'yes' will be accepted: ");
    let (sender, answer) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut answer = String::new();
        let _ = sender.send(std::io::stdin().read_line(&mut answer).map(|_| answer));
    });
    tokio::select! {
        answer = answer => Ok(answer.into_diagnostic()?.into_diagnostic()?.trim() == "yes"),
        () = interrupt::wait() => {
            outln!();
            Ok(false)
        }
    }
}
