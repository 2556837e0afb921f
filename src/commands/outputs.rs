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
    // What a stack file may refer to (`${api.url}`); the values stackctl keeps for itself
    // (an authorizer's ID, the WebSocket API's execute-api ARN) are not outputs.
    let outputs: std::collections::BTreeMap<&String, &String> = plan
        .known
        .iter()
        .filter(|(key, _)| {
            crate::stack::Reference::parse(key).is_some() || key.starts_with("api.stages.")
        })
        .collect();
    match printer.format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&outputs).expect("strings always serialize")
        ),
        Format::Text => {
            let width = outputs.keys().map(|k| k.len()).max().unwrap_or(0);
            for (key, value) in &outputs {
                outln!("{key:<width$} = {value}");
            }
        }
    }
    Ok(ExitStatus::Success)
}
