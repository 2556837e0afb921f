//! `stackctl plan`: read the file and live AWS, print what apply would do.

use miette::Result;

use super::{ExitStatus, build_packages, clients, hashes, load_stack, stdout_style};
use crate::aws::Clients;
use crate::cli::{AwsArgs, OutputFormat, PlanArgs};
use crate::plan::{self, Plan, json, render};
use crate::{live, stack::Stack};

pub async fn run(args: &PlanArgs, aws: &AwsArgs) -> Result<ExitStatus> {
    let stack = load_stack(&args.file.file)?;
    let packages = build_packages(&stack)?;
    let (_, plan) = make(&stack, &hashes(&packages), aws).await?;
    match args.output {
        OutputFormat::Text => print!("{}", render::text(&plan, stdout_style())),
        OutputFormat::Json => println!("{}", json::render(&plan)),
    }
    Ok(if !plan.blockers.is_empty() {
        ExitStatus::Failure
    } else if args.detailed_exitcode && plan.has_changes() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}

/// Reads live state and builds the plan for `stack`.
pub async fn make(
    stack: &Stack,
    code: &std::collections::BTreeMap<String, String>,
    aws: &AwsArgs,
) -> Result<(Clients, Plan)> {
    let clients = clients(aws, stack).await?;
    let live = live::read(&clients, stack).await?;
    let plan = plan::build(stack, &live, code, &clients.region);
    Ok((clients, plan))
}
