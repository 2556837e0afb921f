//! `stackctl outputs`: what other tools need from a deployed stack, read from live AWS.

use crate::output::{Format, Printer, outln};
use miette::Result;

use super::{ExitStatus, build_packages, hashes, load_stack};
use crate::cli::{AwsArgs, OutputsArgs};

pub async fn run(args: &OutputsArgs, aws: &AwsArgs, printer: Printer) -> Result<ExitStatus> {
    let stack = load_stack(&args.file)?;
    let packages = build_packages(&stack, &args.file.file)?;
    let (clients, plan) = super::plan::make(
        &stack,
        &hashes(&packages),
        aws,
        crate::live::Refresh::Trusting,
    )
    .await?;
    // What a stack file may refer to (`${api.url}`); the values stackctl keeps for itself
    // (an authorizer's ID, the WebSocket API's execute-api ARN) are not outputs.
    let mut outputs: std::collections::BTreeMap<String, String> = plan
        .known
        .iter()
        .filter(|(key, _)| {
            crate::stack::Reference::parse(key).is_some() || key.starts_with("api.stages.")
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    api_keys(&stack, &plan, args.show_secrets, &clients, &mut outputs).await?;
    let pools = crate::live::user_pool_outputs(
        &clients,
        &stack,
        &plan.known,
        args.show_secrets,
        &plan.region,
    );
    outputs.extend(pools.await?);
    if let Some(name) = &args.name {
        return raw(&outputs, name);
    }
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

/// `outputs NAME`: the value alone, with a newline, as `terraform output -raw` prints it.
fn raw(outputs: &std::collections::BTreeMap<String, String>, name: &str) -> Result<ExitStatus> {
    if let Some(value) = outputs.get(name) {
        outln!("{value}");
        return Ok(ExitStatus::Success);
    }
    let names: Vec<&str> = outputs.keys().map(String::as_str).collect();
    let help = match crate::stack::closest(name, names.iter().copied()) {
        Some(close) => format!("did you mean {close}? outputs: {}", names.join(", ")),
        None if names.is_empty() => "the stack has no outputs yet: apply it first".to_string(),
        None => format!("outputs: {}", names.join(", ")),
    };
    miette::bail!(help = help, "the stack has no output {name}")
}

/// Each API key's ID; with `show_secrets`, its value too (GetApiKey, only then). Without it
/// no key value is read, so none can be printed.
async fn api_keys(
    stack: &crate::stack::Stack,
    plan: &crate::plan::Plan,
    show_secrets: bool,
    clients: &crate::aws::Clients,
    outputs: &mut std::collections::BTreeMap<String, String>,
) -> Result<()> {
    let keys = stack.api.iter().flat_map(|api| api.keys.keys());
    for name in keys {
        let Some(id) = plan.known.get(&crate::plan::key_id_output(name)) else {
            continue;
        };
        outputs.insert(crate::plan::key_id_output(name), id.clone());
        if show_secrets && let Some(value) = crate::live::api_key_value(clients, id).await? {
            outputs.insert(format!("api.keys.{name}.value"), value);
        }
    }
    Ok(())
}
