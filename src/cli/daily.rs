//! The daily loop's and the integrations' arguments (issue 23): `--color`, `--quiet`,
//! `--verbose`, `logs`, `invoke`, `show`, `completions`, `manpage`, `validate --output`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{FileArgs, OutputFormat};

/// How output looks, for every command.
#[derive(Debug, Args)]
pub struct DisplayArgs {
    /// Colour: auto (a terminal, unless NO_COLOR or TERM=dumb; CLICOLOR_FORCE forces it),
    /// always or never
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only errors and the final result (no progress, no notes)
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print every AWS request on standard error (the request log)
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// The function's name in the stack file ([functions.NAME])
    #[arg(value_name = "FUNCTION")]
    pub function: String,
    /// Start this long ago (10m, 1h30m) or at this time (RFC 3339: 2024-05-01T12:00:00Z)
    #[arg(long, default_value = "10m", value_parser = parse_start, value_name = "DURATION|TIME")]
    pub since: std::time::SystemTime,
    /// Keep printing new events (polled every 2 seconds) until Ctrl-C
    #[arg(long)]
    pub follow: bool,
    /// Only events matching this CloudWatch Logs filter pattern (words: events holding all of
    /// them; "a phrase" in double quotes: that exact text)
    #[arg(long, value_name = "PATTERN")]
    pub filter: Option<String>,
}

/// `10m`, `1h30m` before now, or an RFC 3339 time.
fn parse_start(s: &str) -> Result<std::time::SystemTime, String> {
    if let Ok(d) = humantime::parse_duration(s) {
        return std::time::SystemTime::now()
            .checked_sub(d)
            .ok_or_else(|| format!("'{s}' reaches before 1970"));
    }
    humantime::parse_rfc3339_weak(s).map_err(|_| {
        format!("'{s}' is neither a duration nor a time: use 10m, 1h30m or 2024-05-01T12:00:00Z")
    })
}

#[derive(Debug, Args)]
pub struct InvokeArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// The function's name in the stack file ([functions.NAME])
    #[arg(value_name = "FUNCTION")]
    pub function: String,
    /// The event to send, as JSON [default: {}]
    #[arg(long, value_name = "JSON", conflicts_with = "payload_file")]
    pub payload: Option<String>,
    /// Read the event (JSON) from this file; - for standard input
    #[arg(long, value_name = "FILE")]
    pub payload_file: Option<PathBuf>,
    /// Also print the last 4 KB of the invocation's log
    #[arg(long)]
    pub log: bool,
}

/// How a plan is shown: `plan --output`, `show --output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    /// For pull-request comments: a summary table, then each change in a collapsed section
    Markdown,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan saved by `stackctl plan --out`
    #[arg(value_name = "PLAN_FILE")]
    pub plan: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub output: PlanFormat,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManpageArgs {
    /// Write stackctl.1 and one page per command (stackctl-plan.1, ...) into this folder
    /// instead of stackctl.1 to stdout
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// Output format: json gives `{"valid": true, ...}` or the errors with file, line, column
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn durations_take_humantimes_units_and_bare_seconds() {
        let parse = super::super::parse_duration;
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1h 5m"), Ok(Duration::from_secs(3900)));
        assert!(
            parse("soon")
                .unwrap_err()
                .contains("use 90s, 10m, 1m30s or 1h")
        );
        let start = super::parse_start("2024-05-01T12:00:00Z").unwrap();
        assert_eq!(
            humantime::format_rfc3339(start).to_string(),
            "2024-05-01T12:00:00Z"
        );
        assert!(super::parse_start("1h30m").unwrap() < std::time::SystemTime::now());
    }
}
