//! `stackctl outputs`: what other tools need from a deployed stack, read from live AWS.

use crate::output::{Format, Printer, outln};
use miette::Result;

use super::{ExitStatus, build_packages, hashes, load_stack};
use crate::cli::{AwsArgs, OutputsArgs};

pub async fn run(args: &OutputsArgs, aws: &AwsArgs, printer: Printer) -> Result<ExitStatus> {
    let stack = load_stack(&args.file)?;
    let packages = build_packages(&stack)?;
    let (_, plan) = super::plan::make(
        &stack,
        &hashes(&packages),
        aws,
        crate::live::Refresh::Trusting,
    )
    .await?;
    match printer.format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&plan.known).expect("strings always serialize")
        ),
        Format::Text => {
            let width = plan.known.keys().map(String::len).max().unwrap_or(0);
            for (key, value) in &plan.known {
                outln!("{key:<width$} = {value}");
            }
        }
    }
    Ok(ExitStatus::Success)
}
