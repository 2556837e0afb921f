//! `--log-format json`: one [`Event`] per line on standard output. The enum *is* the schema,
//! documented in docs/log-events.md; a unit test below keeps the two the same.

use std::time::Duration;

use serde::Serialize;

use super::refusal::RefusalKind;
use super::view::{ApplyResult, ApplyView};
use crate::apply::Reporter;
use crate::aws::AwsError;
use crate::output::outln;
use crate::plan::json::JsonPlan;
use crate::plan::render::Intent;
use crate::plan::{Action, Change, Plan};
use crate::stack::Address;

/// One line of `--log-format json`; every line also has `time` (RFC 3339, UTC), and every
/// string in it is redacted (a secret value shows as `(sensitive)`).
#[derive(Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event<'a> {
    /// The plan, as `plan --output json` prints it (docs/plan-schema.json).
    Plan { plan: JsonPlan<'a> },
    /// A change started.
    Started { address: String, action: Action },
    /// A status while a change waits (`table status CREATING`).
    Progress { address: String, message: &'a str },
    /// A change is done; `elapsed_seconds` is how long it took.
    Finished {
        address: String,
        action: Action,
        elapsed_seconds: f64,
    },
    /// A change failed; `error` is what AWS (or stackctl) said.
    Failed {
        address: String,
        action: Action,
        error: String,
    },
    /// A change was not started because `because`, which it needs, failed.
    Skipped { address: String, because: String },
    /// The end of the run: what was done and what was not (see [`ApplyResult`]).
    Complete(&'a ApplyResult),
    /// The command stopped before changing anything; `message` is its error's text.
    Refused {
        refusal: RefusalKind,
        message: String,
    },
}

impl Event<'_> {
    /// Writes the event as one line on standard output, redacted, with the time.
    pub fn emit(&self) {
        let mut value = serde_json::to_value(self).expect("events always serialize");
        crate::redact::json(&mut value);
        if let Some(object) = value.as_object_mut() {
            object.insert("time".to_string(), super::progress::now().into());
        }
        outln!("{value}");
    }
}

/// The JSON reporter: every call is one [`Event`].
pub struct JsonView;

impl Reporter for JsonView {
    fn started(&self, change: &Change) {
        Event::Started {
            address: change.address.to_string(),
            action: change.action,
        }
        .emit();
    }

    fn progress(&self, address: &Address, message: &str) {
        Event::Progress {
            address: address.to_string(),
            message,
        }
        .emit();
    }

    fn finished(&self, change: &Change, elapsed: Duration) {
        Event::Finished {
            address: change.address.to_string(),
            action: change.action,
            elapsed_seconds: elapsed.as_secs_f64(),
        }
        .emit();
    }

    fn failed(&self, change: &Change, error: &AwsError) {
        Event::Failed {
            address: change.address.to_string(),
            action: change.action,
            error: error.to_string(),
        }
        .emit();
    }

    fn skipped(&self, change: &Change, because: &Address) {
        Event::Skipped {
            address: change.address.to_string(),
            because: because.to_string(),
        }
        .emit();
    }
}

impl ApplyView for JsonView {
    fn plan(&self, plan: &Plan, _: Intent) {
        Event::Plan {
            plan: crate::plan::json::to_json(plan, None),
        }
        .emit();
    }

    fn complete(&self, result: &ApplyResult) {
        Event::Complete(result).emit();
    }

    fn refused(&self, refusal: RefusalKind, message: &str) {
        Event::Refused {
            refusal,
            message: message.to_string(),
        }
        .emit();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// One of each event, so that a new variant must be added here (and so to the doc).
    fn samples<'a>(plan: &'a Plan, result: &'a ApplyResult) -> Vec<Event<'a>> {
        let address = || "function.get-order".to_string();
        let samples = vec![
            Event::Plan {
                plan: crate::plan::json::to_json(plan, None),
            },
            Event::Started {
                address: address(),
                action: Action::Update,
            },
            Event::Progress {
                address: address(),
                message: "table status CREATING",
            },
            Event::Finished {
                address: address(),
                action: Action::Update,
                elapsed_seconds: 1.5,
            },
            Event::Failed {
                address: address(),
                action: Action::Create,
                error: "AccessDenied".to_string(),
            },
            Event::Skipped {
                address: address(),
                because: "table.orders".to_string(),
            },
            Event::Complete(result),
            Event::Refused {
                refusal: RefusalKind::DataLoss,
                message: "refusing to apply".to_string(),
            },
        ];
        for event in &samples {
            // Exhaustive: a new variant fails to compile until it has a sample above.
            match event {
                Event::Plan { .. }
                | Event::Started { .. }
                | Event::Progress { .. }
                | Event::Finished { .. }
                | Event::Failed { .. }
                | Event::Skipped { .. }
                | Event::Complete(_)
                | Event::Refused { .. } => {}
            }
        }
        samples
    }

    /// The keys of each event's example line in docs/log-events.md.
    fn documented() -> BTreeMap<String, BTreeSet<String>> {
        let doc = include_str!("../../docs/log-events.md");
        doc.lines()
            .filter(|line| line.starts_with("{\"event\""))
            .map(|line| {
                let value: serde_json::Value =
                    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
                let keys = value.as_object().unwrap().keys().cloned().collect();
                (value["event"].as_str().unwrap().to_string(), keys)
            })
            .collect()
    }

    #[test]
    fn every_event_is_documented_with_its_fields() {
        let result = ApplyResult::sample();
        let dir = tempfile::tempdir().unwrap();
        let stack =
            crate::stack::parse("stack.toml", "[stack]\nname = \"shop\"\n", dir.path(), None)
                .unwrap();
        let live = crate::live::LiveState::default();
        let plan = crate::plan::build(&stack, &live, &BTreeMap::new(), "us-east-1");
        let documented = documented();
        let samples = samples(&plan, &result);
        assert_eq!(documented.len(), samples.len(), "{documented:?}");
        for event in samples {
            let value = serde_json::to_value(&event).unwrap();
            let name = value["event"].as_str().unwrap();
            let mut keys: BTreeSet<String> = value.as_object().unwrap().keys().cloned().collect();
            keys.insert("time".to_string());
            assert_eq!(documented.get(name), Some(&keys), "event {name}");
        }
    }

    #[test]
    fn the_refusal_names_are_documented() {
        let doc = include_str!("../../docs/log-events.md");
        for kind in [
            RefusalKind::NoConfirmation,
            RefusalKind::Blocked,
            RefusalKind::DataLoss,
            RefusalKind::StalePlan,
            RefusalKind::NotAPlan,
            RefusalKind::NoOrigin,
            RefusalKind::Interrupted,
            RefusalKind::Cancelled,
            RefusalKind::LockHeld,
        ] {
            let name = serde_json::to_value(kind).unwrap();
            let name = format!("`{}`", name.as_str().unwrap());
            assert!(doc.contains(&name), "{name} is not in docs/log-events.md");
        }
    }
}
