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

/// Every decision about how output looks, made once from the environment (`main`) and the
/// command's flags (`commands::run`): which streams are terminals, `NO_COLOR`, the format and
/// `--timestamps`. Nothing else asks whether a stream is a terminal or reads `NO_COLOR`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Printer {
    stdout_terminal: bool,
    stderr_terminal: bool,
    stdin_terminal: bool,
    /// `NO_COLOR` is set and not empty, or `TERM=dumb`: no colour and no spinners, even on a
    /// terminal.
    no_color: bool,
    /// The command's format: its `--output`, or apply's `--log-format`.
    pub format: Format,
    /// Text progress lines start with the time (`--timestamps`).
    pub timestamps: bool,
}

impl Printer {
    /// The environment's part: terminals and `NO_COLOR`; text, without timestamps.
    pub fn detect() -> Self {
        Printer {
            stdout_terminal: std::io::stdout().is_terminal(),
            stderr_terminal: std::io::stderr().is_terminal(),
            stdin_terminal: std::io::stdin().is_terminal(),
            // no-color.org: present and not empty; a dumb terminal has no colour either.
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
                || std::env::var_os("TERM").is_some_and(|t| t == "dumb"),
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

    /// Colour (and spinners) on `stream`: a terminal, and `NO_COLOR` not set.
    pub fn color(&self, stream: Stream) -> bool {
        let terminal = match stream {
            Stream::Stdout => self.stdout_terminal,
            Stream::Stderr => self.stderr_terminal,
        };
        terminal && !self.no_color
    }

    /// Spinners for apply's changes on `stream`: colour there, and lines without times.
    pub fn spinners(&self, stream: Stream) -> bool {
        self.color(stream) && !self.timestamps
    }

    /// Someone can answer a question: standard input is a terminal.
    pub fn can_ask(&self) -> bool {
        self.stdin_terminal
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

pub(crate) use {errln, out, outln};

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
