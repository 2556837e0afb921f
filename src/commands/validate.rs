//! `stackctl validate`: the stack file alone, no AWS call.

use crate::output::outln;
use miette::Result;

use super::{ExitStatus, build_packages, load_stack};
use crate::cli::FileArgs;

pub fn run(args: &FileArgs) -> Result<ExitStatus> {
    let stack = load_stack(args)?;
    let file = &args.file;
    super::warn_unbuilt(&stack);
    build_packages(&stack, file)?;
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
    outln!(
        "{} is valid: stack {}, {} table{}, {} function{}, {} route{}{websocket}{topics}{pools}.",
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
