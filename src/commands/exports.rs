//! `stackctl exports`: a table's past and running exports.

use crate::output::outln;
use miette::Result;

use super::{ExitStatus, print_json, table_target};
use crate::cli::{AwsArgs, ExportsArgs, OutputFormat};
use crate::transfer::export;

pub async fn run(args: &ExportsArgs, aws: &AwsArgs) -> Result<ExitStatus> {
    let target = table_target(&args.table, aws).await?;
    let clients = &target.clients;
    let arn = export::table_arn(clients, &target.physical).await?;
    let exports = export::list(clients, &arn).await?;
    match args.output {
        OutputFormat::Json => print_json(&exports),
        OutputFormat::Text if exports.is_empty() => {
            outln!("No exports of {}.", target.physical);
        }
        OutputFormat::Text => {
            for e in &exports {
                outln!(
                    "{:<11} {:<20} {:<18} {}",
                    e.status,
                    e.started.as_deref().unwrap_or("-"),
                    e.kind,
                    e.manifest.as_deref().unwrap_or(&e.location)
                );
                outln!("            {}", e.arn);
                if let (Some(code), Some(message)) = (&e.failure_code, &e.failure_message) {
                    outln!("            {code}: {message}");
                }
            }
        }
    }
    Ok(ExitStatus::Success)
}
