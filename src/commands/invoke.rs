//! `stackctl invoke FUNCTION`: one synchronous invocation; the result on standard output, the
//! function's error and the log tail on standard error.

use std::io::Read;

use miette::{IntoDiagnostic, Result};

use super::logs::declared_function;
use super::{ExitStatus, clients, load_stack};
use crate::cli::{AwsArgs, InvokeArgs};
use crate::output::{errln, outln};

pub async fn run(args: &InvokeArgs, aws: &AwsArgs) -> Result<ExitStatus> {
    let payload = payload(args)?;
    let stack = load_stack(&args.file)?;
    let function = declared_function(&stack, &args.function, &args.file)?;
    let physical = stack.physical_name(&function.logical);
    let clients = clients(aws, &stack).await?;
    let answer = crate::invoke::invoke(&clients, &physical, payload, args.log).await?;
    let result = String::from_utf8_lossy(&answer.payload);
    if let Some(log) = answer.log_tail.as_deref().filter(|l| !l.is_empty()) {
        errln!("Log tail of {physical}:\n{}", log.trim_end());
    }
    match &answer.function_error {
        None => {
            outln!("{result}");
            Ok(ExitStatus::Success)
        }
        Some(kind) => {
            errln!(
                "error: function {} ({physical}, version {}) failed ({kind} error): {result}",
                function.logical,
                answer.executed_version.as_deref().unwrap_or("$LATEST"),
            );
            Ok(ExitStatus::Failure)
        }
    }
}

/// The event: `--payload`, `--payload-file` (`-` for standard input) or `{}`, checked to be
/// JSON (Lambda refuses anything else with `InvalidRequestContentException`).
fn payload(args: &InvokeArgs) -> Result<Vec<u8>> {
    let (bytes, flag) = match (&args.payload, &args.payload_file) {
        (Some(text), _) => (text.clone().into_bytes(), "--payload".to_string()),
        (None, Some(file)) if file.as_os_str() == "-" => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .into_diagnostic()
                .map_err(|e| e.wrap_err("cannot read the payload from standard input"))?;
            (bytes, "--payload-file -".to_string())
        }
        (None, Some(file)) => (
            std::fs::read(file).into_diagnostic().map_err(|e| {
                e.wrap_err(format!("cannot read --payload-file {}", file.display()))
            })?,
            format!("--payload-file {}", file.display()),
        ),
        (None, None) => return Ok(b"{}".to_vec()),
    };
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&bytes) {
        miette::bail!(
            help = "the event must be JSON, like --payload '{\"orderId\": 42}'",
            "{flag} is not JSON: {e}"
        );
    }
    Ok(bytes)
}
