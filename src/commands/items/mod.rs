//! `stackctl items`: a declared table's data, put, read, deleted and checked against the
//! table's item schema. One file per subcommand; `lines.rs` reads JSON Lines files,
//! `view.rs` prints items.

mod check;
mod delete;
mod lines;
mod put;
mod read;
mod view;

use miette::Result;

use super::{ExitStatus, clients, declared_table, load_stack};
use crate::aws::Clients;
use crate::cli::{AwsArgs, ItemsArgs, ItemsCommand, ItemsTable};
use crate::output::Printer;
use crate::stack::{Stack, TableSpec};

pub async fn run(args: &ItemsArgs, aws: &AwsArgs, printer: Printer) -> Result<ExitStatus> {
    match &args.command {
        ItemsCommand::Put(a) => put::run(a, aws, printer).await,
        ItemsCommand::Get(a) => read::get(a, aws).await,
        ItemsCommand::Query(a) => read::query(a, aws).await,
        ItemsCommand::Scan(a) => read::scan(a, aws).await,
        ItemsCommand::Delete(a) => delete::run(a, aws, printer).await,
        ItemsCommand::Check(a) => check::run(a, aws).await,
    }
}

/// The table a subcommand works on: read from the stack file, offline.
struct Target {
    stack: Stack,
    spec: TableSpec,
    /// Its name in AWS.
    physical: String,
}

impl Target {
    fn read(table: &ItemsTable) -> Result<Target> {
        let stack = load_stack(&table.file)?;
        let spec = declared_table(&stack, &table.table, &table.file.file)?.clone();
        let physical = stack.physical_name(&spec.logical);
        Ok(Target {
            stack,
            spec,
            physical,
        })
    }

    /// Clients for the stack's region: the first step that may make a request.
    async fn clients(&self, aws: &AwsArgs) -> Result<Clients> {
        clients(aws, &self.stack).await
    }
}
