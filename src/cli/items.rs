//! `stackctl items`: the clap types of its subcommands.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::FileArgs;

#[derive(Debug, Args)]
pub struct ItemsArgs {
    #[command(subcommand)]
    pub command: ItemsCommand,
}

#[derive(Debug, Subcommand)]
pub enum ItemsCommand {
    /// Check items against the table's schema, fill in defaults and timestamps, then write
    /// them (BatchWriteItem); nothing is written when any item is invalid
    Put(PutArgs),
    /// Read one item by its primary key
    Get(GetArgs),
    /// Read the items of one partition key, of the table or an index
    Query(QueryArgs),
    /// Read every item (in parallel segments)
    Scan(ScanArgs),
    /// Delete items by primary key (asks on a terminal)
    Delete(DeleteArgs),
    /// Scan the table and report every item that breaks its schema, counted by rule
    Check(CheckArgs),
}

/// The table, by its stack-file name.
#[derive(Debug, Args)]
pub struct ItemsTable {
    #[command(flatten)]
    pub file: FileArgs,
    /// The table's name in the stack file ([tables.NAME])
    #[arg(value_name = "TABLE")]
    pub table: String,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["item", "items_file"])))]
pub struct PutArgs {
    #[command(flatten)]
    pub table: ItemsTable,
    /// One item as a JSON object
    #[arg(value_name = "ITEM_JSON", conflicts_with = "items_file")]
    pub item: Option<String>,
    /// A JSON Lines file: one item (a JSON object) per line; `-` reads standard input
    #[arg(long = "items", visible_alias = "from", value_name = "FILE")]
    pub items_file: Option<PathBuf>,
    /// Check and report only; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// BatchWriteItem calls in flight at once
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64), value_name = "N")]
    pub parallel: u16,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    #[command(flatten)]
    pub table: ItemsTable,
    /// The primary key: pk=VALUE[,sk=VALUE], with the stack file's key names
    #[arg(long, value_name = "KEY")]
    pub key: String,
    #[arg(long, value_enum, default_value_t = ItemsOutput::Jsonl)]
    pub output: ItemsOutput,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    #[command(flatten)]
    pub table: ItemsTable,
    /// The partition key (of the index with --index): pk=VALUE; may give the sort key too
    #[arg(long, value_name = "KEY")]
    pub key: String,
    /// A condition on the sort key: "= v", "< v", "<= v", "> v", ">= v", "begins_with v",
    /// "between a and b"
    #[arg(long, value_name = "CONDITION")]
    pub sort: Option<String>,
    /// Query this global or local index of the table
    #[arg(long, value_name = "INDEX")]
    pub index: Option<String>,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub table: ItemsTable,
    /// Scan this index instead of the table
    #[arg(long, value_name = "INDEX")]
    pub index: Option<String>,
    /// Parallel scan segments
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000), value_name = "N")]
    pub segments: u32,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// What query and scan share: the filter, the limit and the output.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Conditions on attributes, joined by `and`: 'status = "paid" and total > 10'
    #[arg(long, value_name = "CONDITIONS")]
    pub filter: Option<String>,
    /// Print at most N items
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    #[arg(long, value_enum, default_value_t = ItemsOutput::Jsonl)]
    pub output: ItemsOutput,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub table: ItemsTable,
    /// The primary key of one item: pk=VALUE[,sk=VALUE]
    #[arg(
        long,
        value_name = "KEY",
        required_unless_present = "keys_file",
        conflicts_with = "keys_file"
    )]
    pub key: Option<String>,
    /// A JSON Lines file of primary keys (or whole items: only their keys are used); `-`
    /// reads standard input
    #[arg(long = "keys", value_name = "FILE")]
    pub keys_file: Option<PathBuf>,
    /// Do not ask for confirmation (needed when not on a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub table: ItemsTable,
    /// Parallel scan segments
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000), value_name = "N")]
    pub segments: u32,
}

/// How items are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ItemsOutput {
    /// One JSON object per line
    Jsonl,
    /// Aligned columns, one row per item
    Table,
}
