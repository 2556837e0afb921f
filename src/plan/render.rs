//! The plan as people read it.

use std::fmt::Write;

use super::{Action, AttrChange, Change, Plan, Value};
use crate::stack::Address;

/// Whether to colour the output (a terminal, and `NO_COLOR` not set).
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

fn symbol(action: Action) -> (&'static str, &'static str) {
    match action {
        Action::Create => ("+", "32"),
        Action::Update => ("~", "33"),
        Action::Replace => ("-/+", "31"),
        Action::Delete => ("-", "31"),
        Action::NoOp => (" ", "0"),
    }
}

/// What the plan is shown for: the command that would carry it out, and whether that run
/// already allows deleting data, so that the warnings say what is true of it.
#[derive(Debug, Clone, Copy)]
pub struct Intent {
    /// `apply` or `destroy`.
    pub command: &'static str,
    /// `--allow-data-loss` was given.
    pub data_loss_allowed: bool,
}

impl Intent {
    /// `stackctl plan`: shows what a later apply would need.
    pub const PLAN: Intent = Intent {
        command: "apply",
        data_loss_allowed: false,
    };
}

/// "blocked, nothing can be applied until the error below is fixed."
fn blocked(plan: &Plan) -> String {
    let one = plan.blockers.len() == 1;
    format!(
        "blocked, nothing can be applied until the error{} below {} fixed.",
        if one { "" } else { "s" },
        if one { "is" } else { "are" }
    )
}

pub fn text(plan: &Plan, style: Style, intent: Intent) -> String {
    let mut out = String::new();
    changes_text(&mut out, plan, style, intent);
    data_loss_line(&mut out, plan, style, intent);
    drift_lines(&mut out, plan, style);
    if let Some(lock) = &plan.lock
        && !lock.exists
        && plan.has_changes()
    {
        let _ = writeln!(
            out,
            "Note: apply first creates the DynamoDB table {} for its locks (once per account and region).",
            lock.table
        );
    }
    for blocker in &plan.blockers {
        let _ = writeln!(
            out,
            "{} {}: {}\n  help: {}",
            style.paint("1;31", "Error:"),
            blocker.address,
            blocker.message,
            blocker.help
        );
    }
    out
}

/// The changes and their summary, or why there are none.
fn changes_text(out: &mut String, plan: &Plan, style: Style, intent: Intent) {
    let shown: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    if shown.is_empty() && !plan.blockers.is_empty() {
        // A blocked create is not a change, and the stack does not match its file.
        let _ = writeln!(
            out,
            "Stack {} in {}: {}",
            plan.stack,
            plan.region,
            blocked(plan)
        );
    } else if shown.is_empty() && intent.command == "destroy" {
        let _ = writeln!(
            out,
            "Nothing to destroy: stack {} in {} owns no resources.",
            plan.stack, plan.region
        );
    } else if shown.is_empty() {
        let _ = writeln!(
            out,
            "No changes. Stack {} in {} matches the stack file.",
            plan.stack, plan.region
        );
    } else {
        let _ = writeln!(out, "Stack {} in {}:\n", plan.stack, plan.region);
        for change in shown {
            change_text(out, change, style);
        }
        let s = plan.summary();
        let _ = writeln!(
            out,
            "Plan: {} to create, {} to update, {} to replace, {} to delete.",
            s.create, s.update, s.replace, s.delete
        );
        if !plan.blockers.is_empty() {
            let _ = writeln!(out, "The plan is {}", blocked(plan));
        }
    }
}

/// The warning that the plan deletes data (a table's items, a user pool's user accounts), and
/// what allows it.
fn data_loss_line(out: &mut String, plan: &Plan, style: Style, intent: Intent) {
    let losses: Vec<&Change> = plan.data_loss().collect();
    if losses.is_empty() {
        return;
    }
    let names: Vec<String> = losses.iter().map(|c| c.address.to_string()).collect();
    let pools = losses
        .iter()
        .filter(|c| matches!(c.address, Address::UserPool(_)));
    let what = match (pools.count(), losses.len()) {
        (0, _) => "table data",
        (p, all) if p == all => "user accounts",
        _ => "table data and user accounts",
    };
    let consent = if intent.data_loss_allowed {
        "--allow-data-loss allows it".to_string()
    } else {
        format!("{} needs --allow-data-loss", intent.command)
    };
    let _ = writeln!(
        out,
        "{} this plan deletes {what} ({}); {consent}.",
        style.paint("1;31", "Warning:"),
        names.join(", ")
    );
}

fn change_text(out: &mut String, change: &Change, style: Style) {
    let (sym, color) = symbol(change.action);
    let mut header = format!("{sym} {}", change.address);
    if !change.address.to_string().contains(&change.physical_name) {
        let _ = write!(header, " ({})", change.physical_name);
    }
    let _ = write!(header, " will be {}", past_tense(change.action));
    if change.destroys_data {
        header.push_str(" - DESTROYS DATA");
    }
    let _ = writeln!(out, "  {}", style.paint(color, &header));
    for note in change.reason.iter().chain(&change.notes) {
        let _ = writeln!(out, "      # {note}");
    }
    let width = change
        .attributes
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(0);
    for attr in &change.attributes {
        let _ = writeln!(out, "      {}", attr_text(attr, width, change.action));
    }
    out.push('\n');
}

fn attr_text(attr: &AttrChange, width: usize, action: Action) -> String {
    let name = format!("{}:", attr.name);
    let show = |v: &Option<Value>| v.as_ref().map_or("(none)".to_string(), Value::to_string);
    let body = if action == Action::Create {
        show(&attr.after)
    } else if attr.drift {
        format!(
            "{} (live) -> {} (stack file)  (changed outside stackctl)",
            show(&attr.before),
            show(&attr.after)
        )
    } else {
        format!("{} -> {}", show(&attr.before), show(&attr.after))
    };
    let mut line = format!("{name:<w$} {body}", w = width + 1);
    if attr.forces_replacement {
        line.push_str("  (forces replacement)");
    }
    line
}

fn past_tense(action: Action) -> &'static str {
    match action {
        Action::Create => "created",
        Action::Update => "updated in place",
        Action::Replace => "replaced",
        Action::Delete => "deleted",
        Action::NoOp => "left as it is",
    }
}

/// What changed outside stackctl, under the plan.
fn drift_lines(out: &mut String, plan: &Plan, style: Style) {
    for drift in &plan.drift {
        if drift.missing {
            let _ = writeln!(
                out,
                "{} {} is tagged for the stack but no longer exists in AWS (deleted outside stackctl?)",
                style.paint("33", "Drift:"),
                drift.address
            );
        } else {
            let _ = writeln!(
                out,
                "{} {} was changed outside stackctl: {}",
                style.paint("33", "Drift:"),
                drift.address,
                drift.attributes.join(", ")
            );
        }
    }
}

/// `plan --refresh-only`: what changed outside stackctl, and nothing it would do about it.
pub fn drift_text(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    if plan.drift.is_empty() {
        let _ = writeln!(
            out,
            "No drift. Stack {} in {}: every resource is as stackctl last applied it (secret values are not compared).",
            plan.stack, plan.region
        );
        return out;
    }
    let _ = writeln!(
        out,
        "Drift in stack {} in {}: changed outside stackctl since it last applied them.\n",
        plan.stack, plan.region
    );
    for drift in &plan.drift {
        if drift.missing {
            let _ = writeln!(
                out,
                "  {} {}: tagged for the stack, but no longer exists in AWS",
                style.paint("33", "!"),
                drift.address
            );
            continue;
        }
        let _ = writeln!(out, "  {} {}", style.paint("33", "~"), drift.address);
        let change = plan
            .changes
            .iter()
            .find(|c| c.address.to_string() == drift.address);
        for attr in change
            .iter()
            .flat_map(|c| &c.attributes)
            .filter(|a| a.drift)
        {
            let show =
                |v: &Option<Value>| v.as_ref().map_or("(none)".to_string(), Value::to_string);
            let _ = writeln!(
                out,
                "      {}: {} (live); the stack file says {}",
                attr.name,
                show(&attr.before),
                show(&attr.after)
            );
        }
    }
    let _ = writeln!(
        out,
        "\nNothing is proposed (--refresh-only). `stackctl plan` shows how apply would undo it."
    );
    let lost_permission = plan
        .changes
        .iter()
        .flat_map(|c| &c.attributes)
        .any(|a| a.drift && a.name.ends_with("invoke_permission"));
    if lost_permission {
        let _ = writeln!(
            out,
            "Plan and apply trust the API's record of invoke permissions: `stackctl apply --refresh` grants a lost one again."
        );
    }
    out
}
