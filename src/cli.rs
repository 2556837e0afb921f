//! Command-line types only; the work happens in `commands`.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use aws_smithy_types::DateTime;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::transfer::{S3Url, parse_account, parse_bucket, parse_time};

mod daily;
mod items;
pub use daily::*;
pub use items::*;

#[cfg(test)]
mod ci_examples;

#[derive(Debug, Parser)]
#[command(
    name = "stackctl",
    version,
    about = "Plan and apply serverless stacks (DynamoDB, Lambda, API Gateway) with direct AWS API calls"
)]
pub struct Cli {
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub display: DisplayArgs,
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
    Validate(ValidateArgs),
    /// Show what apply would change
    Plan(PlanArgs),
    /// Show the plan, then carry it out; or apply a plan saved by `plan --out`
    Apply(ApplyPlanArgs),
    /// Delete every resource the stack owns
    Destroy(ApplyArgs),
    /// Remove a stack's apply lock, left by an apply that died (asks first)
    Unlock(UnlockArgs),
    /// Show the stack's outputs: the API's URL, table and function names and ARNs
    Outputs(OutputsArgs),
    /// Export a table's data to S3 (DynamoDB export from point-in-time recovery)
    ExportTable(ExportTableArgs),
    /// List a table's exports: status, time, S3 location
    Exports(ExportsArgs),
    /// Create a declared table from data in S3 (an export, or DynamoDB JSON / Ion / CSV files)
    ImportTable(ImportTableArgs),
    /// Put, get, query, scan, delete and check a table's items, with its schema
    Items(ItemsArgs),
    /// Show the stack's health: CloudWatch metrics of its tables, functions and API
    Status(StatusArgs),
    /// Write the API's OpenAPI 3.0 document, made from the stack file (no AWS call unless --live)
    Openapi(OpenapiArgs),
    /// Write a static developer portal page for the API's consumers (no AWS call unless --live)
    Portal(PortalArgs),
    // ---- daily loop and integration (issue 23) ----
    /// Print a function's CloudWatch Logs, each line with its time and request ID
    Logs(LogsArgs),
    /// Invoke a function and print its result (and its log tail with --log)
    Invoke(InvokeArgs),
    /// Render a plan saved by `plan --out` as text, JSON or markdown (no AWS call)
    Show(ShowArgs),
    /// Write a shell completion script to stdout
    Completions(CompletionsArgs),
    /// Write stackctl's man pages (roff) to stdout, or one per command into a folder
    Manpage(ManpageArgs),
    /// Bring an existing table, function or topic into the stack: print its stack-file
    /// section, append it, and tag it as the stack's once the plan for it is empty
    Adopt(AdoptArgs),
}

// ---- adopt (issue 23) ----

#[derive(Debug, Args)]
pub struct AdoptArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// What to adopt
    #[arg(value_enum, required_unless_present = "all_untagged")]
    pub kind: Option<AdoptKind>,
    /// Its name on AWS
    #[arg(required_unless_present = "all_untagged")]
    pub name: Option<String>,
    /// Its name in the stack file (default: the AWS name without `<stack>-`)
    #[arg(long = "as", value_name = "LOGICAL")]
    pub logical: Option<String>,
    /// Every table, function and topic named with --prefix that no stack owns
    #[arg(long, requires = "prefix", conflicts_with_all = ["kind", "name", "logical"])]
    pub all_untagged: bool,
    /// The start of the names --all-untagged looks for
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<String>,
    /// Append the sections and tag without asking (needed without a terminal)
    #[arg(long, conflicts_with = "dry_run")]
    pub write: bool,
    /// Print the sections only: change neither the stack file nor AWS
    #[arg(long)]
    pub dry_run: bool,
    /// Adopt a function whose code is all that differs: the next apply uploads the code
    /// from its `code`
    #[arg(long)]
    pub replace_code: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AdoptKind {
    Table,
    Function,
    Topic,
}

// ---- openapi and portal (issue 20) ----

#[derive(Debug, Args)]
pub struct OpenapiArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// Describe only this stage (default: every stage)
    #[arg(long, value_name = "NAME")]
    pub stage: Option<String>,
    /// Document format
    #[arg(long, value_enum, default_value_t = DocFormat::Json)]
    pub format: DocFormat,
    /// Write the document to FILE instead of stdout
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Read the API's stage URLs from AWS for `servers` (otherwise a URL template with the
    /// API's ID as a variable)
    #[arg(long)]
    pub live: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocFormat {
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub struct PortalArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// The folder to write index.html and openapi.json into
    #[arg(
        short = 'o',
        long = "out",
        value_name = "DIR",
        default_value = "portal"
    )]
    pub out: PathBuf,
    /// Read the API's stage URLs from AWS (otherwise a URL template with the API's ID)
    #[arg(long)]
    pub live: bool,
}

// ---- status (issue 21) ----

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// How far back to show: 30m, 1h, 2d (at least 1m, at most 15 days, CloudWatch's 1-minute
    /// retention)
    #[arg(long, default_value = "1h", value_parser = parse_since, value_name = "DURATION")]
    pub since: Duration,
    /// One datapoint per period: a whole number of minutes (1m, 5m, 1h)
    #[arg(long, default_value = "5m", value_parser = parse_period, value_name = "DURATION")]
    pub period: Duration,
    /// Output format: json gives every series (timestamps and values)
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Refresh every period until Ctrl-C
    #[arg(long)]
    pub watch: bool,
}

impl StatusArgs {
    /// Checks `--period` against `--since`: a window holds at least one whole period
    /// (GetMetricData refuses a StartTime that is not before EndTime, and a period longer than
    /// the window would show nothing).
    ///
    /// # Errors
    /// A message naming both flags and what to use.
    pub fn check(&self) -> Result<(), String> {
        if self.period > self.since {
            return Err(format!(
                "--period {} is longer than --since {}: use a period of at most the window",
                humantime::format_duration(self.period),
                humantime::format_duration(self.since)
            ));
        }
        Ok(())
    }
}

/// CloudWatch keeps 1-minute datapoints 15 days; a window under a minute holds none. Parts
/// add up, as humantime reads them: `1h 30m` and `30m30m` are 90 and 60 minutes.
fn parse_since(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("'{s}' is not a duration ({e}): use 30m, 1h or 2d"))?;
    if d < Duration::from_secs(60) || d > Duration::from_secs(15 * 24 * 3600) {
        return Err(format!(
            "'{s}' is out of range: use at least 1m and at most 15d"
        ));
    }
    Ok(d)
}

/// CloudWatch's standard-resolution metrics take periods of whole minutes (GetMetricData:
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStat.html>).
fn parse_period(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("'{s}' is not a duration ({e}): use 1m, 5m or 1h"))?;
    if d.as_secs() < 60 || d.as_secs() % 60 != 0 || d.subsec_nanos() != 0 {
        return Err(format!(
            "'{s}' is not a whole number of minutes: use 1m, 5m or 1h"
        ));
    }
    Ok(d)
}

// ---- end status ----

#[derive(Debug, Args)]
pub struct OutputsArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// Print only this output's value, raw (like `terraform output -raw`): api.url
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Also print secret values: the API keys' values (read from AWS only when asked)
    #[arg(long)]
    pub show_secrets: bool,
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
    /// The environment: its [env.NAME] overlay on the stack file, as a stack of its own
    #[arg(long, env = "STACKCTL_ENV", value_name = "NAME")]
    pub env: Option<String>,
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
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub output: PlanFormat,
    /// Also save the plan (JSON, with where it was made) for `stackctl apply FILE`
    #[arg(long, value_name = "FILE", conflicts_with = "refresh_only")]
    pub out: Option<PathBuf>,
    /// Only report drift (changes made outside stackctl); propose nothing. With
    /// --detailed-exitcode, exit 2 when there is drift
    #[arg(long)]
    pub refresh_only: bool,
}

#[derive(Debug, Args)]
pub struct ApplyPlanArgs {
    /// A plan saved by `stackctl plan --out`: apply exactly it, after checking that it still
    /// holds (no confirmation asked: the plan was the review)
    #[arg(value_name = "PLAN_FILE")]
    pub plan: Option<PathBuf>,
    /// Read every routed function's resource policy instead of trusting the API's record of
    /// the invoke permissions stackctl granted, and grant again any removed outside stackctl
    /// (not with a saved plan: it is applied as reviewed)
    #[arg(long, conflicts_with = "plan")]
    pub refresh: bool,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// Do not ask for confirmation (needed when not on a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Allow changes that delete stored data (deletes and replacements of tables and user pools)
    #[arg(long)]
    pub allow_data_loss: bool,
    /// How long to wait for another apply of the stack to release its lock (0: fail at once);
    /// like 90s, 10m, 1h
    #[arg(long, default_value = "0s", value_parser = parse_duration, value_name = "DURATION")]
    pub lock_timeout: Duration,
    /// How apply reports: text lines, or one JSON object per line (the plan, each change's
    /// events, the result)
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Start each line of apply's progress with the time (text log format)
    #[arg(long)]
    pub timestamps: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// The stack whose lock to remove [default: the stack file's, with --env]
    #[arg(value_name = "STACK")]
    pub stack: Option<String>,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `90` (seconds), `90s`, `10m`, `1m30s`, `1h` (humantime's units).
fn parse_duration(s: &str) -> Result<Duration, String> {
    if let Ok(seconds) = s.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    humantime::parse_duration(s)
        .map_err(|e| format!("'{s}' is not a duration ({e}): use 90s, 10m, 1m30s or 1h"))
}

/// Which table: a logical name from the stack file, or a physical name.
#[derive(Debug, Args)]
pub struct TableArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// The table's name in the stack file ([tables.NAME])
    #[arg(required_unless_present = "table_name", value_name = "TABLE")]
    pub table: Option<String>,
    /// The table's name in AWS, for a table the stack file does not declare (the stack file is
    /// then not read)
    #[arg(long, conflicts_with = "table", value_name = "NAME")]
    pub table_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportTableArgs {
    #[command(flatten)]
    pub table: TableArgs,
    /// The S3 bucket to write to
    #[arg(long, value_parser = parse_bucket, value_name = "BUCKET")]
    pub bucket: String,
    /// Key prefix in the bucket [default: the table's name in AWS]
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<String>,
    /// The account that owns the bucket, for a bucket in another account
    #[arg(long, value_parser = parse_account, value_name = "ACCOUNT_ID")]
    pub bucket_owner: Option<String>,
    /// Format of the exported data
    #[arg(long, value_enum, default_value_t = ExportFormatArg::DynamodbJson)]
    pub format: ExportFormatArg,
    /// Export the changes between --from and --to instead of the whole table
    #[arg(long, requires = "from", conflicts_with = "at")]
    pub incremental: bool,
    /// Start of an incremental export (RFC 3339, or seconds since the epoch)
    #[arg(long, requires = "incremental", value_parser = parse_time, value_name = "TIME")]
    pub from: Option<DateTime>,
    /// End of an incremental export [default: the latest data]
    #[arg(long, requires = "incremental", value_parser = parse_time, value_name = "TIME")]
    pub to: Option<DateTime>,
    /// Export the table as it was at this time [default: now]
    #[arg(long, value_parser = parse_time, value_name = "TIME")]
    pub at: Option<DateTime>,
    /// Print the export's ARN and return without waiting for it
    #[arg(long)]
    pub no_wait: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormatArg {
    DynamodbJson,
    Ion,
}

#[derive(Debug, Args)]
pub struct ExportsArgs {
    #[command(flatten)]
    pub table: TableArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct ImportTableArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// The table's name in the stack file ([tables.NAME]); it must not exist yet
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// Where the data is: the manifest or folder export-table printed, the prefix it wrote
    /// to, or a prefix of data files
    #[arg(long, required_unless_present = "resume", value_parser = S3Url::from_str, value_name = "S3_URL")]
    pub from: Option<S3Url>,
    /// Format of plain data files [default: dynamodb-json]; an export says its own
    #[arg(long, value_enum)]
    pub format: Option<ImportFormatArg>,
    /// Compression of plain data files [default: from the file names]; exports are gzip
    #[arg(long, value_enum)]
    pub compression: Option<CompressionArg>,
    /// The account that owns the bucket, for a bucket in another account
    #[arg(long, value_parser = parse_account, value_name = "ACCOUNT_ID")]
    pub bucket_owner: Option<String>,
    /// Wait for an import started earlier (with --no-wait, or one that was interrupted), then
    /// finish the table's settings
    #[arg(long, conflicts_with = "from", value_name = "IMPORT_ARN")]
    pub resume: Option<String>,
    /// Print the import's ARN and return; finish later with --resume ARN
    #[arg(long)]
    pub no_wait: bool,
    /// Read the data first and check every item against the table's schema; refuse before
    /// ImportTable when any item breaks it (DynamoDB JSON data only)
    #[arg(long, conflicts_with = "resume")]
    pub validate: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormatArg {
    DynamodbJson,
    Ion,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompressionArg {
    Gzip,
    Zstd,
    None,
}
