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

use std::path::Path;

use super::{ExitStatus, clients, load_stack};
use crate::aws::{AwsError, Clients, ErrorKind};
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
    /// `--env`, to say how to create the table when it does not exist.
    env: Option<String>,
}

impl Target {
    fn read(table: &ItemsTable) -> Result<Target> {
        let stack = load_stack(&table.file)?;
        let Some(spec) = stack
            .tables
            .iter()
            .find(|t| t.logical == table.table)
            .cloned()
        else {
            return Err(unknown_table(&stack, &table.table, &table.file.file));
        };
        let physical = stack.table_name(&spec.logical);
        Ok(Target {
            stack,
            spec,
            physical,
            env: table.file.env.clone(),
        })
    }

    /// Clients for the stack's region: the first step that may make a request.
    async fn clients(&self, aws: &AwsArgs) -> Result<Clients> {
        clients(aws, &self.stack).await
    }

    /// An AWS error of a data-plane call; a table that does not exist is named, with how
    /// to create it.
    fn explain(&self, error: AwsError) -> miette::Report {
        let not_found = matches!(
            &error,
            AwsError::Call {
                kind: ErrorKind::NotFound,
                ..
            }
        );
        if !not_found {
            return error.into();
        }
        let env = self
            .env
            .as_deref()
            .map(|e| format!(" --env {e}"))
            .unwrap_or_default();
        miette::miette!(
            help = format!("create it with stackctl apply{env}"),
            "table {} (table {} of the stack file{}) does not exist in AWS ({error})",
            self.physical,
            self.spec.logical,
            self.env
                .as_deref()
                .map(|e| format!(", environment {e}"))
                .unwrap_or_default()
        )
    }
}

/// `TABLE` names no table of the stack file.
fn unknown_table(stack: &Stack, name: &str, file: &Path) -> miette::Report {
    let names: Vec<&str> = stack.tables.iter().map(|t| t.logical.as_str()).collect();
    let help = match (
        crate::suggest::closest(name, names.iter().copied()),
        names.is_empty(),
    ) {
        (Some(close), _) => format!(
            "did you mean {close}? The stack's tables: {}",
            names.join(", ")
        ),
        (None, true) => format!("declare it under [tables.{name}] in {}", file.display()),
        (None, false) => format!("the stack's tables: {}", names.join(", ")),
    };
    miette::miette!(
        help = help,
        "{} declares no table {name}; items commands work on the stack file's tables, by their names there",
        file.display()
    )
}

/// `1 item`, `2 items`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
