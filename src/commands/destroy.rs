//! `stackctl destroy`: the plan in destroy mode (every owned resource deleted), applied.

use miette::Result;

use super::apply::{Run, with_view};
use super::{ExitStatus, can_confirm, clients, load_stack};
use crate::cli::{ApplyArgs, AwsArgs};
use crate::output::Printer;
use crate::plan::Mode;
use crate::stack::Stack;

pub async fn run(args: &ApplyArgs, aws: &AwsArgs, printer: Printer) -> Result<ExitStatus> {
    with_view(printer, async |view| {
        can_confirm(args.yes, printer)?;
        let declared = load_stack(&args.file)?;
        let empty = Stack {
            tables: Vec::new(),
            functions: Vec::new(),
            api: None,
            routes: Vec::new(),
            // Owned topics are found by name and tag, declared or not; a declared name taken by
            // a topic the stack does not own is skipped, as tables are (not a conflict).
            topics: Vec::new(),
            ..declared
        };
        let packages = Default::default();
        let clients = clients(aws, &empty).await?;
        let question = format!("Destroy every resource of stack {}?", empty.name);
        let run = Run {
            clients: &clients,
            stack: &empty,
            packages: &packages,
            args,
            question: Some(&question),
            saved: None,
            command: "destroy",
            mode: Mode::Destroy,
            refresh: false,
            printer,
            view,
        };
        run.plan_and_apply(async |_| Ok(())).await
    })
    .await
}
