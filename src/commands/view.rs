//! How an apply (or destroy) is shown: one view, text (`progress.rs`) or JSON (`events.rs`),
//! chosen once from the printer (`apply.rs`), and the run's result, which is both text (`Display`) and the `complete` event (`Serialize`).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::Serialize;

use super::refusal::RefusalKind;
use crate::apply::{Outcome, Reporter};
use crate::plan::Plan;
use crate::plan::render::Intent;

/// Everything an apply shows; the engine reports to it as a [`Reporter`].
pub trait ApplyView: Reporter {
    /// The plan, before anything is asked or done.
    fn plan(&self, plan: &Plan, intent: Intent);
    /// Just before the first change starts.
    fn starting(&self) {}
    /// The end of a run that started (or had nothing to do).
    fn complete(&self, result: &ApplyResult);
    /// The command stopped before changing anything; `message` is also its error, or (for
    /// [`RefusalKind::Cancelled`]) its last line.
    fn refused(&self, _refusal: RefusalKind, _message: &str) {}
    /// Clears what is drawn (spinners).
    fn finish(&self) {}
}

/// What an apply did: the `complete` event of `--log-format json`, and in text the closing
/// lines of a run that succeeded.
#[derive(Debug, Serialize)]
pub struct ApplyResult {
    /// `apply` or `destroy`.
    #[serde(skip)]
    pub command: &'static str,
    /// Nothing failed, was skipped, or was interrupted.
    pub succeeded: bool,
    /// The addresses of the changes made.
    pub done: Vec<String>,
    pub failed: Vec<FailedChange>,
    /// Not started because something they need failed.
    pub skipped: Vec<String>,
    /// Not started because the user interrupted.
    pub not_started: Vec<String>,
    pub interrupted: bool,
    /// How long the changes took, in seconds.
    pub elapsed_seconds: f64,
    pub outputs: ResultOutputs,
}

#[derive(Debug, Serialize)]
pub struct FailedChange {
    pub address: String,
    pub error: String,
}

/// The outputs shown after an apply.
#[derive(Debug, Serialize)]
pub struct ResultOutputs {
    /// The API's URL, when the stack has an API.
    #[serde(rename = "api.url")]
    pub api_url: Option<String>,
    /// The WebSocket API's `wss://` URL and callback URL, when the stack has one.
    #[serde(rename = "websocket.url")]
    pub websocket_url: Option<String>,
    #[serde(rename = "websocket.callback_url")]
    pub websocket_callback_url: Option<String>,
}

impl ApplyResult {
    pub fn new(
        command: &'static str,
        outcome: &Outcome,
        outputs: &BTreeMap<String, String>,
        elapsed: Duration,
    ) -> Self {
        let addresses = |list: &[crate::stack::Address]| -> Vec<String> {
            list.iter().map(ToString::to_string).collect()
        };
        ApplyResult {
            command,
            succeeded: outcome.succeeded(),
            done: addresses(&outcome.done),
            failed: outcome
                .failed
                .iter()
                .map(|(address, error)| FailedChange {
                    address: address.to_string(),
                    error: error.clone(),
                })
                .collect(),
            skipped: addresses(&outcome.skipped),
            not_started: addresses(&outcome.not_started),
            interrupted: outcome.interrupted,
            elapsed_seconds: elapsed.as_secs_f64(),
            outputs: ResultOutputs {
                api_url: outputs.get("api.url").cloned(),
                websocket_url: outputs.get("websocket.url").cloned(),
                websocket_callback_url: outputs.get("websocket.callback_url").cloned(),
            },
        }
    }

    #[cfg(test)]
    pub fn sample() -> Self {
        ApplyResult::new(
            "apply",
            &Outcome::default(),
            &BTreeMap::new(),
            Duration::ZERO,
        )
    }
}

impl fmt::Display for ApplyResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.succeeded {
            return Ok(());
        }
        if !self.done.is_empty() {
            writeln!(
                f,
                "\n{} complete: {} change{} in {:.1}s.",
                capitalized(self.command),
                self.done.len(),
                if self.done.len() == 1 { "" } else { "s" },
                self.elapsed_seconds
            )?;
        }
        let o = &self.outputs;
        let shown = [
            ("api.url", &o.api_url),
            ("websocket.url", &o.websocket_url),
            ("websocket.callback_url", &o.websocket_callback_url),
        ];
        let shown: Vec<(&str, &String)> = shown
            .into_iter()
            .filter_map(|(key, value)| Some((key, value.as_ref()?)))
            .collect();
        if !shown.is_empty() {
            let width = shown.iter().map(|(key, _)| key.len()).max().unwrap_or(0);
            writeln!(f, "\nOutputs:")?;
            for (key, value) in shown {
                writeln!(f, "  {key:<width$} = {value}")?;
            }
        }
        Ok(())
    }
}

/// `apply` -> `Apply`.
pub fn capitalized(command: &str) -> String {
    let mut chars = command.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_reads_as_the_closing_lines_of_an_apply() {
        let mut result = ApplyResult::sample();
        assert_eq!(result.to_string(), "");
        result.done = vec!["function.get-order".to_string()];
        result.elapsed_seconds = 2.04;
        result.outputs.api_url = Some("https://x.example/".to_string());
        assert_eq!(
            result.to_string(),
            "\nApply complete: 1 change in 2.0s.\n\nOutputs:\n  api.url = https://x.example/\n"
        );
        result.outputs.websocket_url = Some("wss://y.example/prod".to_string());
        result.outputs.websocket_callback_url = Some("https://y.example/prod".to_string());
        assert!(result.to_string().ends_with(
            "\nOutputs:\n  api.url                = https://x.example/\n  websocket.url          = wss://y.example/prod\n  websocket.callback_url = https://y.example/prod\n"
        ));
        result.succeeded = false;
        assert_eq!(result.to_string(), "");
    }
}
