//! A plan as a document: the JSON form read back (from a plan just made, or a file saved by
//! `plan --out`), rendered as markdown for pull-request comments or as plain text for `show`.

use std::fmt::Write;

use serde::Deserialize;
use serde_json::Value as Json;

use super::{Action, Plan};

/// The parts of the JSON form (`json.rs`, format version 1) a rendering shows.
#[derive(Debug, Clone, Deserialize)]
pub struct PlanDoc {
    pub stack: String,
    pub region: String,
    #[serde(default)]
    pub account: Option<String>,
    pub changes: Vec<DocChange>,
    #[serde(default)]
    pub blockers: Vec<DocBlocker>,
    #[serde(default)]
    pub drift: Vec<DocDrift>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DocChange {
    pub address: String,
    pub physical_name: String,
    pub action: Action,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub notes: Vec<String>,
    #[serde(default)]
    pub destroys_data: bool,
    #[serde(default)]
    pub after_unknown: Vec<String>,
    #[serde(default)]
    pub changed: Vec<DocAttr>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DocAttr {
    pub name: String,
    #[serde(default)]
    pub before: Option<Json>,
    #[serde(default)]
    pub after: Option<Json>,
    #[serde(default)]
    pub forces_replacement: bool,
    #[serde(default)]
    pub drift: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DocBlocker {
    pub address: String,
    pub message: String,
    pub help: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DocDrift {
    pub address: String,
    #[serde(default)]
    pub attributes: Vec<String>,
    #[serde(default)]
    pub missing: bool,
}

impl PlanDoc {
    /// The document of a plan just made (its JSON form, read back).
    pub fn of(plan: &Plan) -> PlanDoc {
        let json = serde_json::to_value(super::json::to_json(plan, None)).expect("serializes");
        serde_json::from_value(json).expect("the JSON form reads back")
    }

    /// Reads a plan saved by `plan --out`.
    ///
    /// # Errors
    /// serde's message when the text is not a plan's JSON form.
    pub fn parse(text: &str) -> Result<PlanDoc, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    fn shown(&self) -> impl Iterator<Item = &DocChange> {
        self.changes.iter().filter(|c| c.action != Action::NoOp)
    }

    fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }

    /// "Plan: 1 to create, 0 to update, 0 to replace, 2 to delete."
    fn totals(&self) -> String {
        format!(
            "{} to create, {} to update, {} to replace, {} to delete",
            self.count(Action::Create),
            self.count(Action::Update),
            self.count(Action::Replace),
            self.count(Action::Delete)
        )
    }
}

fn symbol(action: Action) -> &'static str {
    match action {
        Action::Create => "+",
        Action::Update => "~",
        Action::Replace => "-/+",
        Action::Delete => "-",
        Action::NoOp => " ",
    }
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update => "update in place",
        Action::Replace => "replace",
        Action::Delete => "delete",
        Action::NoOp => "no change",
    }
}

/// An attribute's value as one line of JSON; `null` after is known only after apply.
fn value(v: Option<&Json>, unknown: bool) -> String {
    match v {
        None | Some(Json::Null) if unknown => "(known after apply)".to_string(),
        None | Some(Json::Null) => "(none)".to_string(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The diff lines of one change: `+ name: value` for what comes, `- name: value` for what goes.
fn diff_lines(change: &DocChange) -> Vec<String> {
    let mut lines = Vec::new();
    if change.action == Action::Delete {
        lines.push(format!("- {} ({})", change.address, change.physical_name));
    }
    for attr in &change.changed {
        let unknown = change
            .after_unknown
            .iter()
            .any(|u| u == &attr.name || u.starts_with(&format!("{}.", attr.name)));
        let forces = if attr.forces_replacement {
            "  # forces replacement"
        } else {
            ""
        };
        let drift = if attr.drift {
            "  # changed outside stackctl"
        } else {
            ""
        };
        if change.action != Action::Create {
            lines.push(format!(
                "- {}: {}",
                attr.name,
                value(attr.before.as_ref(), false)
            ));
        }
        let after = value(attr.after.as_ref(), unknown);
        lines.push(format!("+ {}: {after}{forces}{drift}", attr.name));
    }
    lines
}

/// Markdown for a pull-request comment: data loss and blockers on top, a summary table, then
/// each change's diff in a collapsed `<details>` section.
pub fn markdown(doc: &PlanDoc) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### stackctl plan: stack `{}` in {}\n",
        doc.stack, doc.region
    );
    let losses: Vec<&str> = doc
        .shown()
        .filter(|c| c.destroys_data)
        .map(|c| c.address.as_str())
        .collect();
    if !losses.is_empty() {
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> **This plan deletes stored data:** {}. `stackctl apply` needs `--allow-data-loss`.\n",
            code_list(&losses)
        );
    }
    for blocker in &doc.blockers {
        let _ = writeln!(
            out,
            "> [!WARNING]\n> **Blocked:** `{}`: {}\n> help: {}\n",
            blocker.address,
            one_line(&blocker.message),
            one_line(&blocker.help)
        );
    }
    if doc.shown().next().is_none() {
        let _ = writeln!(out, "No changes: the stack matches the stack file.");
    } else {
        summary_table(&mut out, doc);
        for change in doc.shown() {
            details(&mut out, change);
        }
    }
    for drift in &doc.drift {
        let what = if drift.missing {
            "is tagged for the stack but no longer exists in AWS".to_string()
        } else {
            format!(
                "was changed outside stackctl: {}",
                drift.attributes.join(", ")
            )
        };
        let _ = writeln!(out, "\n**Drift:** `{}` {what}", drift.address);
    }
    out
}

fn summary_table(out: &mut String, doc: &PlanDoc) {
    let _ = writeln!(out, "**Plan:** {}.\n", doc.totals());
    let _ = writeln!(
        out,
        "| | Resource | Name in AWS | Action |\n| --- | --- | --- | --- |"
    );
    for change in doc.shown() {
        let loss = if change.destroys_data {
            " (destroys data)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "| `{}` | `{}` | `{}` | {}{loss} |",
            symbol(change.action),
            cell(&change.address),
            cell(&change.physical_name),
            verb(change.action)
        );
    }
    out.push('\n');
}

fn details(out: &mut String, change: &DocChange) {
    let _ = writeln!(
        out,
        "<details><summary><code>{} {}</code>: {}</summary>",
        symbol(change.action),
        html(&change.address),
        verb(change.action)
    );
    let notes: Vec<&String> = change.reason.iter().chain(&change.notes).collect();
    if !notes.is_empty() {
        out.push('\n');
    }
    for note in notes {
        let _ = writeln!(out, "- {}", one_line(note));
    }
    let _ = writeln!(out, "\n```diff");
    for line in diff_lines(change) {
        let _ = writeln!(out, "{}", line.replace("```", "`\u{200b}``"));
    }
    let _ = writeln!(out, "```\n\n</details>\n");
}

/// Plain text of a saved plan (`show`): each change with its diff, then the totals.
pub fn text(doc: &PlanDoc) -> String {
    let mut out = String::new();
    let account = doc
        .account
        .as_deref()
        .map(|a| format!(", account {a}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "Saved plan of stack {} in {}{account}:\n",
        doc.stack, doc.region
    );
    if doc.shown().next().is_none() {
        let _ = writeln!(out, "No changes.");
    }
    for change in doc.shown() {
        let loss = if change.destroys_data {
            " - DESTROYS DATA"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {} {} ({}): {}{loss}",
            symbol(change.action),
            change.address,
            change.physical_name,
            verb(change.action)
        );
        for note in change.reason.iter().chain(&change.notes) {
            let _ = writeln!(out, "      # {note}");
        }
        for line in diff_lines(change) {
            let _ = writeln!(out, "      {line}");
        }
        out.push('\n');
    }
    if doc.shown().next().is_some() {
        let _ = writeln!(out, "Plan: {}.", doc.totals());
    }
    for blocker in &doc.blockers {
        let _ = writeln!(
            out,
            "Error: {}: {}\n  help: {}",
            blocker.address, blocker.message, blocker.help
        );
    }
    out
}

fn code_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Text inside a table cell: no line breaks, pipes escaped.
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
