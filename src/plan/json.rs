//! The plan as machines read it. `format_version` changes whenever a field changes meaning.

use serde::Serialize;

use super::{Action, AttrChange, Attrs, Blocker, Plan, Summary};

pub const FORMAT_VERSION: &str = "1";

#[derive(Serialize)]
pub struct JsonPlan<'a> {
    pub format_version: &'static str,
    pub stack: &'a str,
    pub region: &'a str,
    pub has_changes: bool,
    pub summary: Summary,
    pub changes: Vec<JsonChange<'a>>,
    pub blockers: &'a [Blocker],
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

pub fn to_json(plan: &Plan) -> JsonPlan<'_> {
    JsonPlan {
        format_version: FORMAT_VERSION,
        stack: &plan.stack,
        region: &plan.region,
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
                    changed: &c.changes,
                    depends_on: c.depends_on.iter().map(ToString::to_string).collect(),
                }
            })
            .collect(),
        blockers: &plan.blockers,
    }
}

pub fn render(plan: &Plan) -> String {
    serde_json::to_string_pretty(&to_json(plan)).expect("a plan always serializes")
}
