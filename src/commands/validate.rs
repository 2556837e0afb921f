//! `stackctl validate`: the stack file alone, no AWS call.

use std::path::Path;

use miette::Result;

use super::{ExitStatus, build_packages, load_stack};

pub fn run(file: &Path) -> Result<ExitStatus> {
    let stack = load_stack(file)?;
    build_packages(&stack)?;
    let routes = stack.routes.len();
    println!(
        "{} is valid: stack {}, {} table{}, {} function{}, {} route{}.",
        file.display(),
        stack.name,
        stack.tables.len(),
        plural(stack.tables.len()),
        stack.functions.len(),
        plural(stack.functions.len()),
        routes,
        plural(routes),
    );
    Ok(ExitStatus::Success)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
