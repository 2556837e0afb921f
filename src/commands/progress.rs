//! Apply progress on screen: spinners on a terminal, one plain line per event otherwise.

use super::refusal::RefusalKind;
use super::view::{ApplyResult, ApplyView};
use crate::output::{Printer, Stream, errln, out, outln};
use crate::plan::Plan;
use crate::plan::render::{self, Intent, Style};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::apply::Reporter;
use crate::aws::AwsError;
use crate::plan::{Action, Change};
use crate::stack::Address;

/// The text reporter: apply's changes as spinners, or as plain lines (with the time, for
/// `--timestamps`) where the printer says no spinners.
pub struct Progress {
    /// `None` when there are no spinners: plain lines then.
    bars: Option<MultiProgress>,
    running: Mutex<HashMap<Address, ProgressBar>>,
    /// Where the lines go: standard error leaves standard output to a JSON answer.
    stream: Stream,
    printer: Printer,
}

impl Progress {
    pub fn new(printer: Printer, stream: Stream) -> Self {
        let target = || match stream {
            Stream::Stdout => ProgressDrawTarget::stdout(),
            Stream::Stderr => ProgressDrawTarget::stderr(),
        };
        Progress {
            bars: printer
                .spinners(stream)
                .then(|| MultiProgress::with_draw_target(target())),
            running: Mutex::new(HashMap::new()),
            stream,
            printer,
        }
    }

    fn plain(&self, text: &str) {
        let text = if self.printer.timestamps {
            format!("{} {text}", now())
        } else {
            text.to_string()
        };
        match self.stream {
            Stream::Stdout => outln!("{text}"),
            Stream::Stderr => errln!("{text}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bars) = &self.bars {
            let _ = bars.clear();
        }
    }

    fn line(&self, text: String) {
        let text = crate::redact::text(&text).into_owned();
        match &self.bars {
            Some(bars) => {
                let _ = bars.println(text);
            }
            None => self.plain(&text),
        }
    }

    fn done(&self, address: &Address, text: String) {
        if let Some(bar) = self.running.lock().expect("progress lock").remove(address) {
            bar.finish_and_clear();
        }
        self.line(text);
    }
}

impl ApplyView for Progress {
    fn plan(&self, plan: &Plan, intent: Intent) {
        let style = Style {
            color: self.printer.color(Stream::Stdout),
        };
        out!("{}", render::text(plan, style, intent));
    }

    fn starting(&self) {
        outln!();
    }

    fn complete(&self, result: &ApplyResult) {
        out!("{result}");
    }

    fn refused(&self, refusal: RefusalKind, message: &str) {
        // Other refusals are the command's error, printed on standard error.
        if refusal == RefusalKind::Cancelled {
            outln!("{message}");
        }
    }

    fn finish(&self) {
        Progress::finish(self);
    }
}

fn doing(action: Action) -> &'static str {
    match action {
        Action::Create => "creating",
        Action::Update => "updating",
        Action::Replace => "replacing",
        Action::Delete => "deleting",
        Action::NoOp => "checking",
    }
}

fn done(action: Action) -> &'static str {
    match action {
        Action::Create => "created",
        Action::Update => "updated",
        Action::Replace => "replaced",
        Action::Delete => "deleted",
        Action::NoOp => "unchanged",
    }
}

impl Reporter for Progress {
    fn started(&self, change: &Change) {
        if self.printer.quiet {
            return;
        }
        let text = format!("{}: {}", change.address, doing(change.action));
        match &self.bars {
            Some(bars) => {
                let bar = bars.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                        .expect("valid template"),
                );
                bar.set_message(text);
                bar.enable_steady_tick(Duration::from_millis(100));
                self.running
                    .lock()
                    .expect("progress lock")
                    .insert(change.address.clone(), bar);
            }
            None => self.plain(&text),
        }
    }

    fn progress(&self, address: &Address, message: &str) {
        if self.printer.quiet {
            return;
        }
        let running = self.running.lock().expect("progress lock");
        match running.get(address) {
            Some(bar) => bar.set_message(format!("{address}: {message}")),
            None => {
                drop(running);
                self.line(format!("{address}: {message}"));
            }
        }
    }

    fn finished(&self, change: &Change, elapsed: Duration) {
        if self.printer.quiet {
            return;
        }
        self.done(
            &change.address,
            format!(
                "{}: {} ({:.1}s)",
                change.address,
                done(change.action),
                elapsed.as_secs_f64()
            ),
        );
    }

    fn failed(&self, change: &Change, error: &AwsError) {
        self.done(
            &change.address,
            format!("{}: failed: {error}", change.address),
        );
    }

    fn skipped(&self, change: &Change, because: &Address) {
        self.line(format!(
            "{}: skipped, because {because} failed",
            change.address
        ));
    }
}

/// Now, RFC 3339 in UTC.
pub(super) fn now() -> String {
    aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// A long AWS job (an export, an import) on standard error: a spinner with its status and
/// elapsed time on a terminal, one line per new status otherwise.
pub struct JobProgress {
    label: String,
    bar: Option<ProgressBar>,
    started: Instant,
    /// When the last plain line was written.
    last_line: Mutex<Option<Instant>>,
    /// `--quiet`: no lines.
    quiet: bool,
}

/// How often a plain line repeats a status that has not changed, so that a log shows the wait
/// goes on.
const REPEAT_EVERY: Duration = Duration::from_secs(30);

impl JobProgress {
    pub fn new(label: impl Into<String>, printer: Printer) -> Self {
        let label = label.into();
        let bar = printer.spinners(Stream::Stderr).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .expect("valid template"),
            );
            bar.set_message(format!("{label}: starting"));
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        JobProgress {
            label,
            bar,
            started: Instant::now(),
            last_line: Mutex::new(None),
            quiet: printer.quiet,
        }
    }

    /// Shows `status` (`new`: it differs from the one before); without a terminal, a line for
    /// each new status, and the same one again every 30 s, with the time waited so far.
    pub fn status(&self, status: &str, new: bool) {
        if let Some(bar) = &self.bar {
            return bar.set_message(format!("{}: {status}", self.label));
        }
        let mut last = self.last_line.lock().expect("progress lock");
        if self.quiet {
            return;
        }
        if new || last.is_none_or(|at| at.elapsed() >= REPEAT_EVERY) {
            *last = Some(Instant::now());
            errln!(
                "{}: {status} ({}s)",
                self.label,
                self.started.elapsed().as_secs()
            );
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
