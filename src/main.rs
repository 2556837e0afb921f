//! stackctl: plan and apply serverless stacks with direct AWS API calls.

mod adopt;
mod apply;
mod arn;
mod aws;
mod build;
mod cli;
mod commands;
mod hash;
mod invoke;
mod items;
mod live;
mod lock;
mod marks;
mod openapi;
mod output;
mod package;
mod plan;
mod redact;
mod schema;
mod stack;
mod suggest;
mod table_shapes;
mod transfer;

use crate::output::{ColorChoice, Printer, Stream, errln};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    keep_large_allocations_apart();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            // A usage error is an error (1), never "changes present" (2).
            return if err.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let color = match cli.display.color {
        cli::ColorChoice::Auto => ColorChoice::Auto,
        cli::ColorChoice::Always => ColorChoice::Always,
        cli::ColorChoice::Never => ColorChoice::Never,
    };
    let printer = Printer::detect(color, cli.display.quiet);
    output::set_quiet(cli.display.quiet);
    set_up_error_display(printer.color(Stream::Stderr));
    redact::install_panic_hook();
    // SAFETY: no other thread exists yet.
    unsafe { aws::unset_empty_variables() };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            errln!("error: cannot start the async runtime: {err}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(cli, printer)) {
        Ok(status) => status.into(),
        Err(report) => {
            errln!("{}", redact::text(&format!("{report:?}")));
            ExitCode::from(1)
        }
    }
}

/// Errors show file, line and column with the text underlined; colour as the printer decided
/// (a terminal, never with NO_COLOR), so that CI logs and snapshots stay plain.
fn set_up_error_display(color: bool) {
    let _ = miette::set_hook(Box::new(move |_| {
        let theme = if color {
            miette::GraphicalTheme::unicode()
        } else {
            miette::GraphicalTheme::unicode_nocolor()
        };
        Box::new(
            miette::GraphicalReportHandler::new_themed(theme)
                .with_width(100)
                .with_links(false),
        )
    }));
}

/// Packaging makes a deflate encoder per file zipped, each with about 340 KB of aligned
/// buffers. glibc serves such blocks from its heap once one was freed, and the pieces its
/// alignment splits off pin the heap: with 100 code folders, validate kept every encoder
/// (44 MB instead of 14, depending on where the binary lay). Blocks from 128 KB up are
/// mapped and unmapped on their own instead.
fn keep_large_allocations_apart() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called first thing in main, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}
