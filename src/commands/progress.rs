//! Apply progress on screen: spinners on a terminal, one plain line per event otherwise.

use crate::output::{errln, outln};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use serde_json::json;

use crate::apply::Reporter;
use crate::aws::AwsError;
use crate::cli::{ApplyArgs, LogFormat};
use crate::plan::{Action, Change};
use crate::stack::Address;

pub struct Progress {
    /// `None` when output is not a terminal: plain lines then.
    bars: Option<MultiProgress>,
    running: Mutex<HashMap<Address, ProgressBar>>,
    /// Events go to standard error, leaving standard output to a JSON answer.
    to_stderr: bool,
    log: LogStyle,
}

/// How events are written when they are not drawn as spinners.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogStyle {
    /// One JSON object per line (`--log-format json`).
    pub json: bool,
    /// Text lines start with the time (`--timestamps`).
    pub timestamps: bool,
}

impl LogStyle {
    pub fn from_args(args: &ApplyArgs) -> Self {
        LogStyle {
            json: args.log_format == LogFormat::Json,
            timestamps: args.timestamps,
        }
    }
}

impl Progress {
    pub fn new(log: LogStyle) -> Self {
        Self::with_target(false, log)
    }

    /// For commands whose standard output is JSON.
    pub fn on_stderr() -> Self {
        Self::with_target(true, LogStyle::default())
    }

    fn with_target(to_stderr: bool, log: LogStyle) -> Self {
        let terminal = if to_stderr {
            std::io::stderr().is_terminal()
        } else {
            std::io::stdout().is_terminal()
        } && std::env::var_os("NO_COLOR").is_none()
            && !log.json
            && !log.timestamps;
        let target = || {
            if to_stderr {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::stdout()
            }
        };
        Progress {
            bars: terminal.then(|| MultiProgress::with_draw_target(target())),
            running: Mutex::new(HashMap::new()),
            to_stderr,
            log,
        }
    }

    fn plain(&self, text: &str) {
        let text = if self.log.timestamps {
            format!("{} {text}", now())
        } else {
            text.to_string()
        };
        if self.to_stderr {
            errln!("{text}");
        } else {
            outln!("{text}");
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
        if self.log.json {
            return emit(json!({
                "event": "started",
                "address": change.address.to_string(),
                "action": change.action,
            }));
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
        if self.log.json {
            return emit(json!({
                "event": "progress",
                "address": address.to_string(),
                "message": message,
            }));
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
        if self.log.json {
            return emit(json!({
                "event": "finished",
                "address": change.address.to_string(),
                "action": change.action,
                "elapsed_seconds": elapsed.as_secs_f64(),
            }));
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
        if self.log.json {
            return emit(json!({
                "event": "failed",
                "address": change.address.to_string(),
                "action": change.action,
                "error": error.to_string(),
            }));
        }
        self.done(
            &change.address,
            format!("{}: failed: {error}", change.address),
        );
    }

    fn skipped(&self, change: &Change, because: &Address) {
        if self.log.json {
            return emit(json!({
                "event": "skipped",
                "address": change.address.to_string(),
                "because": because.to_string(),
            }));
        }
        self.line(format!(
            "{}: skipped, because {because} failed",
            change.address
        ));
    }
}

/// Writes one event of `--log-format json` on standard output, with the time.
pub fn emit(mut event: serde_json::Value) {
    crate::redact::json(&mut event);
    if let Some(object) = event.as_object_mut() {
        object.insert("time".to_string(), json!(now()));
    }
    outln!("{event}");
}

/// Now, RFC 3339 in UTC.
fn now() -> String {
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
}

/// How often a plain line repeats a status that has not changed, so that a log shows the wait
/// goes on.
const REPEAT_EVERY: Duration = Duration::from_secs(30);

impl JobProgress {
    pub fn new(label: impl Into<String>) -> Self {
        let label = label.into();
        let terminal = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        let bar = terminal.then(|| {
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
        }
    }

    /// Shows `status` (`new`: it differs from the one before); without a terminal, a line for
    /// each new status, and the same one again every 30 s, with the time waited so far.
    pub fn status(&self, status: &str, new: bool) {
        if let Some(bar) = &self.bar {
            return bar.set_message(format!("{}: {status}", self.label));
        }
        let mut last = self.last_line.lock().expect("progress lock");
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
