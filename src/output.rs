//! Every line stackctl writes goes through here. A closed or broken standard output or error
//! (`stackctl plan | head`, a CI runner that went away) ends that output, silently, and never
//! the command: `println!` would panic there, and an apply stopped halfway leaves a half-changed
//! stack and its lock. SIGPIPE stays ignored (Rust's default), so a write to a closed pipe is an
//! error here, not a kill. Spinners (indicatif) draw only on a terminal and ignore their
//! own write errors.

use std::fmt::Arguments;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

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
