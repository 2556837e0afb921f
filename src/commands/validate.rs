//! `stackctl validate`: the stack file alone, no AWS call.

use crate::output::{Printer, outln};
use miette::Result;
use serde_json::json;

use super::{ExitStatus, build_packages, load_stack};
use crate::cli::{FileArgs, ValidateArgs};
use crate::stack::{self, Stack};

pub fn run(args: &ValidateArgs, printer: Printer) -> Result<ExitStatus> {
    if printer.json() {
        return Ok(as_json(&args.file));
    }
    let stack = load_stack(&args.file)?;
    super::warn_unbuilt(&stack);
    build_packages(&stack, &args.file.file)?;
    outln!("{}", summary(&stack, &args.file));
    Ok(ExitStatus::Success)
}

/// `validate --output json`: `{"valid": true, ...counts}`, or `{"valid": false, "errors":
/// [{file, line, column, message, help}]}` (line and column from 1, `null` for a problem with
/// the file as a whole or its code) and exit 1.
fn as_json(file: &FileArgs) -> ExitStatus {
    let path = file.file.display().to_string();
    let errors: Vec<serde_json::Value> = match stack::load(&file.file, file.env.as_deref()) {
        Err(err) => err
            .problems
            .iter()
            .map(|p| {
                let at = p.line_column();
                json!({
                    "file": err.path,
                    "line": at.map(|(line, _)| line),
                    "column": at.map(|(_, column)| column),
                    "message": p.problem.message,
                    "help": p.problem.help,
                })
            })
            .collect(),
        Ok(stack) => match build_packages(&stack, &file.file) {
            Ok(_) => {
                let answer = json!({
                    "valid": true,
                    "file": path,
                    "stack": stack.name,
                    "summary": summary(&stack, file),
                    "tables": stack.tables.len(),
                    "functions": stack.functions.len(),
                    "routes": stack.routes.len(),
                });
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&answer).expect("serializes")
                );
                return ExitStatus::Success;
            }
            Err(report) => vec![json!({
                "file": path,
                "line": null,
                "column": null,
                "message": report.to_string(),
                "help": report.help().map(|h| h.to_string()),
            })],
        },
    };
    let answer = json!({ "valid": false, "file": path, "errors": errors });
    outln!(
        "{}",
        serde_json::to_string_pretty(&answer).expect("serializes")
    );
    ExitStatus::Failure
}

fn summary(stack: &Stack, file: &FileArgs) -> String {
    let routes = stack.routes.len();
    let websocket = match &stack.websocket {
        Some(w) => format!(
            ", a WebSocket API with {} route{}",
            w.routes.len(),
            plural(w.routes.len())
        ),
        None => String::new(),
    };
    let pools = match stack.user_pools.len() {
        0 => String::new(),
        n => format!(", {n} user pool{}", plural(n)),
    };
    let topics = match stack.topics.len() {
        0 => String::new(),
        n => {
            let subscriptions: usize = stack.topics.iter().map(|t| t.subscriptions.len()).sum();
            let s = plural(subscriptions);
            format!(
                ", {n} topic{} with {subscriptions} subscription{s}",
                plural(n)
            )
        }
    };
    format!(
        "{} is valid: stack {}, {} table{}, {} function{}, {} route{}{websocket}{topics}{pools}.",
        file.file.display(),
        stack.name,
        stack.tables.len(),
        plural(stack.tables.len()),
        stack.functions.len(),
        plural(stack.functions.len()),
        routes,
        plural(routes),
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
