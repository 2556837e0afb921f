//! Every line stackctl writes goes through here. A closed or broken standard output or error
//! (`stackctl plan | head`, a CI runner that went away) ends that output, silently, and never
//! the command: `println!` would panic there, and an apply stopped halfway leaves a half-changed
//! stack and its lock. SIGPIPE stays ignored (Rust's default), so a write to a closed pipe is an
//! error here, not a kill. Spinners (indicatif) draw only on a terminal and ignore their
//! own write errors.

use std::fmt::Arguments;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Text for people, or JSON for machines (`--output json`, `--log-format json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// A standard stream stackctl writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// `--color`: what the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Colour on a terminal, unless the environment says otherwise (see [`Printer::detect`]).
    #[default]
    Auto,
    Always,
    Never,
}

/// Every decision about how output looks, made once from the environment and `--color`,
/// `--quiet` (`main`) and the command's flags (`commands::run`): which streams are terminals,
/// colour, the format and `--timestamps`. Nothing else asks whether a stream is a terminal
/// or reads `NO_COLOR`, `CLICOLOR_FORCE` or `TERM`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Printer {
    stdout_terminal: bool,
    stderr_terminal: bool,
    stdin_terminal: bool,
    stdout_color: bool,
    stderr_color: bool,
    /// `--quiet`: only errors and the command's result; no progress, no notes.
    pub quiet: bool,
    /// The command's format: its `--output`, or apply's `--log-format`.
    pub format: Format,
    /// Text progress lines start with the time (`--timestamps`).
    pub timestamps: bool,
}

impl Printer {
    /// The environment's part and `--color`, `--quiet`: text, without timestamps. With
    /// `auto`, colour goes to a terminal unless `NO_COLOR` is set and not empty
    /// (no-color.org), `CLICOLOR=0` or `TERM=dumb`; `CLICOLOR_FORCE` (set, not `0`) colours
    /// even a pipe (bixense.com/clicolors). `NO_COLOR`, `CLICOLOR` and `CLICOLOR_FORCE` are
    /// read by `anstyle-query`.
    pub fn detect(choice: ColorChoice, quiet: bool) -> Self {
        let stdout_terminal = std::io::stdout().is_terminal();
        let stderr_terminal = std::io::stderr().is_terminal();
        let color = |terminal: bool| match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if anstyle_query::no_color() => false,
            ColorChoice::Auto if anstyle_query::clicolor_force() => true,
            // An unset TERM is no reason to refuse (terminals in containers and CI often have
            // none); only a dumb one is.
            ColorChoice::Auto => {
                terminal
                    && anstyle_query::clicolor() != Some(false)
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        };
        Printer {
            stdout_terminal,
            stderr_terminal,
            stdin_terminal: std::io::stdin().is_terminal(),
            stdout_color: color(stdout_terminal),
            stderr_color: color(stderr_terminal),
            quiet,
            format: Format::Text,
            timestamps: false,
        }
    }

    /// The same environment, with a command's format and `--timestamps`.
    pub fn with_format(self, format: Format, timestamps: bool) -> Self {
        Printer {
            format,
            timestamps,
            ..self
        }
    }

    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// Colour on `stream` (see [`Printer::detect`]).
    pub fn color(&self, stream: Stream) -> bool {
        match stream {
            Stream::Stdout => self.stdout_color,
            Stream::Stderr => self.stderr_color,
        }
    }

    /// `stream` is a terminal (a screen that can be redrawn).
    pub fn terminal(&self, stream: Stream) -> bool {
        match stream {
            Stream::Stdout => self.stdout_terminal,
            Stream::Stderr => self.stderr_terminal,
        }
    }

    /// Spinners for apply's changes on `stream`: a terminal with colour, lines without
    /// times, and not `--quiet`.
    pub fn spinners(&self, stream: Stream) -> bool {
        self.terminal(stream) && self.color(stream) && !self.timestamps && !self.quiet
    }

    /// Someone can answer a question: standard input is a terminal.
    pub fn can_ask(&self) -> bool {
        self.stdin_terminal
    }
}

static QUIET: AtomicBool = AtomicBool::new(false);

/// `--quiet`: notes ([`noteln!`]) are no longer written.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Writes a note to standard error unless `--quiet`.
pub fn note(args: Arguments<'_>) {
    if !QUIET.load(Ordering::Relaxed) {
        stderr(args);
    }
}

static STDOUT_OPEN: AtomicBool = AtomicBool::new(true);
static STDERR_OPEN: AtomicBool = AtomicBool::new(true);

/// Writes to standard output and flushes (a prompt has no newline); after one failed write,
/// writes nothing more there.
pub fn stdout(args: Arguments<'_>) {
    write_to(&STDOUT_OPEN, &mut std::io::stdout().lock(), args);
}

/// Writes to standard error; after one failed write, writes nothing more there.
pub fn stderr(args: Arguments<'_>) {
    write_to(&STDERR_OPEN, &mut std::io::stderr().lock(), args);
}

fn write_to(open: &AtomicBool, out: &mut impl Write, args: Arguments<'_>) {
    if !open.load(Ordering::Relaxed) {
        return;
    }
    if out.write_fmt(args).and_then(|()| out.flush()).is_err() {
        open.store(false, Ordering::Relaxed);
    }
}

/// `print!` that never panics (see the module).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::stdout(format_args!($($arg)*))
    };
}

/// `println!` that never panics (see the module).
macro_rules! outln {
    () => {
        $crate::output::stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` that never panics (see the module).
macro_rules! errln {
    () => {
        $crate::output::stderr(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// A line on standard error that is neither an error nor the result (which account, what was
/// saved where): left out with `--quiet`.
macro_rules! noteln {
    ($($arg:tt)*) => {
        $crate::output::note(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {errln, noteln, out, outln};

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose reader went away.
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_broken_output_ends_that_output_without_a_panic() {
        let open = AtomicBool::new(true);
        write_to(&open, &mut Closed, format_args!("plan\n"));
        assert!(!open.load(Ordering::Relaxed));
        let mut kept = Vec::new();
        write_to(&open, &mut kept, format_args!("more\n"));
        assert!(kept.is_empty(), "nothing more is written there");
    }
}
