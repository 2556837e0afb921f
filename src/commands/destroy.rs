//! `stackctl destroy`: the plan of a stack that declares nothing, applied.

use miette::Result;

use super::{ExitStatus, hashes, load_stack};
use crate::cli::{ApplyArgs, AwsArgs};
use crate::stack::Stack;

pub async fn run(args: &ApplyArgs, aws: &AwsArgs) -> Result<ExitStatus> {
    let declared = load_stack(&args.file)?;
    let empty = Stack {
        tables: Vec::new(),
        functions: Vec::new(),
        api: None,
        routes: Vec::new(),
        ..declared
    };
    let packages = Default::default();
    let (clients, mut plan) = super::plan::make(&empty, &hashes(&packages), aws).await?;
    for change in &mut plan.changes {
        change.reason = change
            .destroys_data
            .then(|| "the table and its items are deleted".to_string());
    }
    super::apply::execute(
        &clients,
        &plan,
        &packages,
        args,
        Some(&format!("Destroy every resource of stack {}?", empty.name)),
    )
    .await
}
