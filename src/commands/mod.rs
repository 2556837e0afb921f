//! One file per command: glue between the stack file, live state, plan, apply and the terminal.

mod apply;
mod destroy;
mod outputs;
mod plan;
mod progress;
mod validate;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use miette::{IntoDiagnostic, Result};

use crate::aws::{Clients, Target};
use crate::cli::{AwsArgs, Cli, Command};
use crate::package::{self, Package};
use crate::plan::render::Style;
use crate::stack::{self, Stack};

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

pub async fn run(cli: Cli) -> Result<ExitStatus> {
    match cli.command {
        Command::Validate(args) => validate::run(&args.file),
        Command::Plan(args) => plan::run(&args, &cli.aws).await,
        Command::Apply(args) => apply::run(&args, &cli.aws).await,
        Command::Destroy(args) => destroy::run(&args, &cli.aws).await,
        Command::Outputs(args) => outputs::run(&args, &cli.aws).await,
    }
}

/// Reads the stack file; on failure prints every problem, then returns a one-line summary.
fn load_stack(path: &Path) -> Result<Stack> {
    let err = match stack::load(path) {
        Ok(stack) => return Ok(stack),
        Err(err) => err,
    };
    let count = err.problems.len();
    let mut problems = err.problems.into_iter().map(miette::Report::new);
    if count == 1 {
        return Err(problems.next().expect("one problem"));
    }
    for problem in problems {
        eprintln!("{problem:?}");
    }
    miette::bail!("{} has {count} problems; nothing was sent to AWS", err.path)
}

/// Zips every function's code and checks Lambda's size limits, before any AWS call, so that
/// bad code fails fast.
fn build_packages(stack: &Stack) -> Result<BTreeMap<String, Package>> {
    let via_s3 = stack.artifact_bucket.is_some();
    stack
        .functions
        .iter()
        .map(|f| {
            let package = package::build(&f.code, &f.exclude)?;
            package.check_limits(&f.code, via_s3)?;
            Ok((f.logical.clone(), package))
        })
        .collect()
}

fn hashes(packages: &BTreeMap<String, Package>) -> BTreeMap<String, String> {
    packages
        .iter()
        .map(|(name, p)| (name.clone(), p.sha256.clone()))
        .collect()
}

async fn clients(aws: &AwsArgs, stack: &Stack) -> Result<Clients> {
    let target = Target {
        profile: aws.profile.clone(),
        region: aws.region.clone().or_else(|| stack.region.clone()),
        endpoint_url: aws.endpoint_url.clone(),
    };
    Ok(Clients::new(&target).await?)
}

fn stdout_style() -> Style {
    Style {
        color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

/// Asks on the terminal; without one, confirmation must come from `--yes`.
fn confirm(question: &str, yes: bool) -> Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        miette::bail!(
            help = "pass --yes to confirm in scripts and CI",
            "refusing to continue without confirmation: standard input is not a terminal"
        );
    }
    use std::io::Write;
    print!("{question} Only 'yes' will be accepted: ");
    std::io::stdout().flush().into_diagnostic()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).into_diagnostic()?;
    Ok(answer.trim() == "yes")
}
