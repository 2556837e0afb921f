//! The plan as machines read it. `format_version` changes whenever a field changes meaning.

use serde::{Deserialize, Serialize};

use super::{Action, AttrChange, Attrs, Blocker, Plan, Summary};

pub const FORMAT_VERSION: &str = "1";

#[derive(Serialize)]
pub struct JsonPlan<'a> {
    pub format_version: &'static str,
    pub stack: &'a str,
    pub region: &'a str,
    /// The AWS account the plan was made in (absent only when it is not known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<&'a str>,
    pub has_changes: bool,
    pub summary: Summary,
    pub changes: Vec<JsonChange<'a>>,
    pub blockers: Vec<JsonBlocker<'a>>,
    /// Changes made outside stackctl, and owned resources that are gone.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub drift: &'a [super::Drift],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock: Option<&'a super::LockStatus>,
    /// Only in a saved plan (`plan --out`): what apply checks before it applies the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<&'a Origin>,
}

/// Where a saved plan was made. `apply PLAN` refuses the file when any of it differs now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub stackctl_version: String,
    /// The stack file as named on the command line, and the SHA-256 of its bytes.
    pub stack_file: String,
    pub stack_file_sha256: String,
    /// The environment (`--env`), if any.
    pub env: Option<String>,
    pub account: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}

#[derive(Serialize)]
pub struct JsonBlocker<'a> {
    /// Written as in `changes` (`table.orders`).
    pub address: String,
    pub message: &'a str,
    pub help: &'a str,
}

#[derive(Serialize)]
pub struct JsonChange<'a> {
    pub address: String,
    pub kind: &'static str,
    pub physical_name: &'a str,
    pub action: Action,
    pub reason: Option<&'a str>,
    pub notes: &'a [String],
    pub destroys_data: bool,
    pub before: Option<&'a Attrs>,
    pub after: Option<&'a Attrs>,
    /// Attributes of `after` whose values are known only after apply (they are `null` there).
    pub after_unknown: Vec<String>,
    pub changed: &'a [AttrChange],
    pub depends_on: Vec<String>,
}

pub fn to_json<'a>(plan: &'a Plan, origin: Option<&'a Origin>) -> JsonPlan<'a> {
    JsonPlan {
        origin,
        lock: plan.lock.as_ref(),
        drift: &plan.drift,
        format_version: FORMAT_VERSION,
        stack: &plan.stack,
        region: &plan.region,
        account: plan.account.as_deref(),
        has_changes: plan.has_changes(),
        summary: plan.summary(),
        changes: plan
            .changes
            .iter()
            .map(|c| {
                let mut after_unknown = Vec::new();
                for (name, value) in c.after.iter().flatten() {
                    value.unknown_paths(name, &mut after_unknown);
                }
                JsonChange {
                    address: c.address.to_string(),
                    kind: c.address.kind(),
                    physical_name: &c.physical_name,
                    action: c.action,
                    reason: c.reason.as_deref(),
                    notes: &c.notes,
                    destroys_data: c.destroys_data,
                    before: c.before.as_ref(),
                    after: c.after.as_ref(),
                    after_unknown,
                    changed: &c.attributes,
                    depends_on: c.depends_on.iter().map(ToString::to_string).collect(),
                }
            })
            .collect(),
        blockers: plan.blockers.iter().map(blocker).collect(),
    }
}

fn blocker(b: &Blocker) -> JsonBlocker<'_> {
    JsonBlocker {
        address: b.address.to_string(),
        message: &b.message,
        help: &b.help,
    }
}

pub fn render(plan: &Plan) -> String {
    serde_json::to_string_pretty(&to_json(plan, None)).expect("a plan always serializes")
}

/// The plan as `plan --out` saves it: the JSON form with its origin.
pub fn render_saved(plan: &Plan, origin: &Origin) -> String {
    serde_json::to_string_pretty(&to_json(plan, Some(origin))).expect("a plan always serializes")
}
