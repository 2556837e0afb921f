//! `stackctl completions SHELL`: the shell's completion script, made by clap_complete from
//! the command-line types.

use clap::CommandFactory;
use miette::Result;

use super::ExitStatus;
use crate::cli::{Cli, CompletionsArgs};
use crate::output::out;

pub fn run(args: &CompletionsArgs) -> Result<ExitStatus> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "stackctl", &mut script);
    out!("{}", String::from_utf8_lossy(&script));
    Ok(ExitStatus::Success)
}
