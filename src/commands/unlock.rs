//! `stackctl unlock`: remove a lock left by an apply that died, after saying whose it is.

use crate::output::{Printer, outln};
use miette::Result;

use super::{ExitStatus, can_confirm, clients_in, confirm, load_stack};
use crate::cli::{AwsArgs, UnlockArgs};
use crate::lock;

pub async fn run(args: &UnlockArgs, aws: &AwsArgs, printer: Printer) -> Result<ExitStatus> {
    let (stack, region) = match &args.stack {
        Some(stack) => {
            // The stack file, when there is a readable one, still says the region.
            let region = crate::stack::load(&args.file.file, args.file.env.as_deref())
                .ok()
                .and_then(|s| s.region);
            (stack.clone(), region)
        }
        None => {
            let stack = load_stack(&args.file)?;
            (stack.name, stack.region)
        }
    };
    let clients = clients_in(aws, region).await?;
    let Some(held) = lock::read(&clients, &stack).await? else {
        outln!("Stack {stack} is not locked.");
        return Ok(ExitStatus::Success);
    };
    let state = if held.expired() {
        "its lease has run out"
    } else if held.holder_gone() {
        "its process on this machine no longer exists"
    } else {
        "its lease is still being renewed: that apply may be running"
    };
    outln!(
        "Stack {stack} is locked by {} since {} ({state}).",
        held.holder,
        lock::time(held.acquired_at)
    );
    // Only a lock to remove needs an answer (or --yes): an unlocked stack is just reported.
    can_confirm(args.yes, printer)?;
    if !confirm("Remove the lock?", args.yes, printer).await? {
        outln!("Left the lock in place.");
        return Ok(ExitStatus::Failure);
    }
    match lock::force_release(&clients, &stack).await? {
        Some(removed) => outln!("Removed the lock held by {}.", removed.holder),
        None => outln!("The lock was already gone."),
    }
    Ok(ExitStatus::Success)
}
