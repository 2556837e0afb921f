//! Unit tests of the pure planner (`plan::build`) and its renderings (text and JSON), with
//! stacks written inline and live state built by hand. They cover first what the emulator
//! cannot show (see the README's list of moto differences): table class, stream view types,
//! architecture, stage throttling, access logs.
//!
//! The usual shape: live state as stackctl would have applied one stack file ([`applied`]),
//! planned against a second stack file (a change in the file) or against a live state changed
//! by hand (drift, resources left over, names taken). Each test pins the text plan and the
//! JSON plan's changes in one insta snapshot under `snapshots/`.

mod api;
mod function;
pub(crate) mod live;
mod markdown;
mod names;
mod plan;
mod table;
mod topic;
mod usage_plan;
mod user_pool;

use std::collections::BTreeMap;
use std::path::Path;

use super::render::{Intent, Style};
use super::{Action, Plan};
use crate::live::LiveState;
use crate::stack::Stack;

pub use live::applied;

/// The region every test plans in.
pub const REGION: &str = "us-east-1";
/// The account every live ARN names.
pub const ACCOUNT: &str = "123456789012";

/// A stack `shop` in [`REGION`] with `body` after its `[stack]` table. Code folders resolve
/// against the repository (`examples/functions/get-order` exists).
pub fn stack(body: &str) -> Stack {
    let source = format!("[stack]\nname = \"shop\"\nregion = \"{REGION}\"\n\n{body}");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate::stack::parse("stack.toml", &source, dir, None)
        .unwrap_or_else(|e| panic!("test stack does not parse: {e:?}"))
}

/// Each function's package hash, as `commands` computes it before planning.
pub fn code_hashes(stack: &Stack) -> BTreeMap<String, String> {
    stack
        .functions
        .iter()
        .map(|f| (f.logical.clone(), code_hash(&f.logical)))
        .collect()
}

/// A stand-in for the SHA-256 of a function's package.
pub fn code_hash(logical: &str) -> String {
    format!("{logical}-package-sha256")
}

/// The plan of `stack` against `live`.
pub fn plan(stack: &Stack, live: &LiveState) -> Plan {
    super::build(stack, live, &code_hashes(stack), REGION)
}

/// What the user sees: the text plan (no colour, as `stackctl plan` shows it), then the JSON
/// plan with its no-op changes left out (they only repeat the live state).
pub fn rendered(plan: &Plan) -> String {
    let text = super::render::text(plan, Style { color: false }, Intent::PLAN);
    let mut json: serde_json::Value =
        serde_json::from_str(&super::json::render(plan)).expect("the JSON plan parses");
    if let Some(changes) = json["changes"].as_array_mut() {
        changes.retain(|c| c["action"] != "no-op");
    }
    let json = serde_json::to_string_pretty(&json).expect("JSON renders");
    format!("{text}\n--- plan --output json (no-op changes left out) ---\n{json}\n")
}

/// The plan of `after` against live state as stackctl would have applied `before`.
pub fn file_change(before: &str, after: &str) -> Plan {
    let live = applied(&stack(before));
    plan(&stack(after), &live)
}

/// The plan of `body` against live state as stackctl applied it, then changed by `edit`.
pub fn live_change(body: &str, edit: impl FnOnce(&mut LiveState)) -> Plan {
    let stack = stack(body);
    let mut live = applied(&stack);
    edit(&mut live);
    plan(&stack, &live)
}

/// The one change to `address`, which must exist.
pub fn change<'a>(plan: &'a Plan, address: &str) -> &'a super::Change {
    plan.changes
        .iter()
        .find(|c| c.address.to_string() == address)
        .unwrap_or_else(|| panic!("no change to {address} in the plan"))
}

/// The addresses the plan changes, with their actions.
pub fn actions(plan: &Plan) -> Vec<(String, Action)> {
    plan.changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| (c.address.to_string(), c.action))
        .collect()
}

/// One test per row: the plan of the second stack body against live state as stackctl
/// applied the first, snapshotted as the user sees it; the block, if any, asserts more.
macro_rules! file_changes {
    ($($name:ident: $before:expr => $after:expr $(, |$plan:ident| $check:block)?;)*) => {$(
        #[test]
        fn $name() {
            let plan = $crate::plan::tests::file_change($before, $after);
            let shown = $crate::plan::tests::rendered(&plan);
            insta::assert_snapshot!(stringify!($name), shown);
            $(let $plan = &plan; $check)?
        }
    )*};
}

/// One test per row: the plan of a stack body against live state as stackctl applied it and
/// then changed by the closure (outside stackctl), snapshotted as the user sees it.
macro_rules! live_changes {
    ($($name:ident: $body:expr, $edit:expr $(, |$plan:ident| $check:block)?;)*) => {$(
        #[test]
        fn $name() {
            let plan = $crate::plan::tests::live_change($body, $edit);
            let shown = $crate::plan::tests::rendered(&plan);
            insta::assert_snapshot!(stringify!($name), shown);
            $(let $plan = &plan; $check)?
        }
    )*};
}

pub(crate) use {file_changes, live_changes};
