//! Command-line types only; the work happens in `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "stackctl",
    version,
    about = "Plan and apply serverless stacks (DynamoDB, Lambda, API Gateway) with direct AWS API calls"
)]
pub struct Cli {
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Where to talk to AWS. Unset options come from the standard AWS configuration chain
/// (environment, profile, `AWS_ENDPOINT_URL`).
#[derive(Debug, Args)]
pub struct AwsArgs {
    /// AWS profile to use
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region; overrides [stack] region and the configuration chain
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Send every AWS request to this endpoint (a local emulator)
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the stack file offline; makes no AWS call
    Validate(FileArgs),
    /// Show what apply would change
    Plan(PlanArgs),
    /// Show the plan, then carry it out
    Apply(ApplyArgs),
    /// Delete every resource the stack owns
    Destroy(ApplyArgs),
    /// Show the stack's outputs: the API's URL, table and function names and ARNs
    Outputs(OutputsArgs),
}

#[derive(Debug, Args)]
pub struct OutputsArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct FileArgs {
    /// The stack file
    #[arg(
        short = 'f',
        long = "file",
        default_value = "stack.toml",
        value_name = "FILE"
    )]
    pub file: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// Exit 0 when there are no changes, 2 when there are (1 is always an error)
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// Do not ask for confirmation (needed when not on a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Allow changes that delete table data (table deletes and replacements)
    #[arg(long)]
    pub allow_data_loss: bool,
}
