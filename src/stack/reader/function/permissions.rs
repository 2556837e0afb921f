//! `permissions = [{ actions = ["ses:SendEmail"], resources = ["*"] }]`: what else a
//! function's managed role may do, beyond the access stackctl derives from `tables` and
//! `topics`.

use toml::de::{DeTable, DeValue};

use crate::stack::diagnostic::Problem;
use crate::stack::reader::declared::Declared;
use crate::stack::reader::typed::{Reader, Value, entry};
use crate::stack::reference::{Segment, Template};
use crate::stack::spec::Permission;

const PERMISSION_KEYS: &[&str] = &["actions", "resources"];
const PERMISSION_HELP: &str = "write permissions = [{ actions = [\"ses:SendEmail\"], resources = [\"*\"] }]: IAM actions (service:Action, wildcards allowed) on ARNs, \"*\" or references such as \"${tables.orders.arn}\"";

impl Reader<'_> {
    /// The `permissions` list; a problem when the function has its own role (its policies
    /// are the user's).
    pub(super) fn permissions(
        &mut self,
        t: &DeTable<'_>,
        function: &str,
        declared: &Declared,
        has_role: bool,
    ) -> Option<Vec<Permission>> {
        let Some((key, value)) = entry(t, "permissions") else {
            return Some(Vec::new());
        };
        if has_role {
            self.problem(
                Problem::new("permissions is set but the function has its own role", key.span(), "only for managed roles")
                    .help("grant these actions in your role's policies, or remove role so that stackctl manages one"),
            );
            return None;
        }
        let DeValue::Array(items) = value.get_ref() else {
            self.problem(
                Problem::new(
                    "permissions must be a list of tables",
                    value.span(),
                    "expected a list",
                )
                .help(PERMISSION_HELP),
            );
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for item in items.iter() {
            match self.permission(item, function, declared) {
                Some(p) => out.push(p),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn permission(
        &mut self,
        item: &Value<'_>,
        function: &str,
        declared: &Declared,
    ) -> Option<Permission> {
        let t = self.as_table(item, "a permission")?;
        self.unknown_keys(t, PERMISSION_KEYS, "in a permission");
        let mut lists = [("actions", Vec::new()), ("resources", Vec::new())];
        for (key, list) in &mut lists {
            let Some(value) = self.required(t, key, || {
                Problem::new(format!("a permission without {key}"), item.span(), "here")
                    .help(PERMISSION_HELP)
            }) else {
                continue;
            };
            match value.get_ref() {
                DeValue::Array(values) if !values.is_empty() => list.extend(values.iter()),
                _ => self.problem(
                    Problem::new(
                        format!("{key} must be a list of at least one string"),
                        value.span(),
                        "expected a list",
                    )
                    .help(PERMISSION_HELP),
                ),
            }
        }
        let [(_, actions), (_, resources)] = lists;
        if actions.is_empty() || resources.is_empty() {
            return None;
        }
        // Every item is checked, so that all problems are reported at once.
        let actions: Vec<Option<String>> = actions.into_iter().map(|a| self.action(a)).collect();
        let resources: Vec<Option<Template>> = resources
            .into_iter()
            .map(|r| self.resource(r, function, declared))
            .collect();
        let actions: Option<Vec<String>> = actions.into_iter().collect();
        let resources: Option<Vec<Template>> = resources.into_iter().collect();
        Some(Permission {
            actions: actions?,
            resources: resources?,
        })
    }

    /// `service:Action`, with `*` and `?` wildcards in the action, or `*` (IAM's Action
    /// element: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html>).
    fn action(&mut self, value: &Value<'_>) -> Option<String> {
        let text = self.string(value, "an action")?;
        if is_action(text.get_ref()) {
            return Some(text.into_inner());
        }
        self.problem(
            Problem::new(
                format!("{:?} is not an IAM action", text.get_ref()),
                text.span(),
                "not service:Action",
            )
            .help("write the service prefix and the action, like \"ses:SendEmail\" or \"s3:Get*\""),
        );
        None
    }

    /// An ARN (`arn:PARTITION:SERVICE:...`), `*`, or a text that starts with a reference (an
    /// ARN stackctl knows at apply, such as `${tables.orders.arn}/index/*`).
    fn resource(
        &mut self,
        value: &Value<'_>,
        function: &str,
        declared: &Declared,
    ) -> Option<Template> {
        let text = self.string(value, "a resource")?;
        let template = self.template(&text, value, function, declared)?;
        let valid = match template.segments.first() {
            Some(Segment::Ref(_)) => true,
            Some(Segment::Text(t)) => t == "*" && template.segments.len() == 1 || is_arn_start(t),
            None => false,
        };
        if valid {
            return Some(template);
        }
        self.problem(
            Problem::new(format!("{:?} is not a resource IAM takes", text.get_ref()), text.span(), "not an ARN or *")
                .help("write an ARN (arn:aws:ses:us-east-1:123456789012:identity/example.com), \"*\", or a reference such as \"${tables.orders.arn}\""),
        );
        None
    }
}

fn is_action(text: &str) -> bool {
    if text == "*" {
        return true;
    }
    let Some((service, action)) = text.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !action.is_empty()
        && action
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
}

/// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`: six parts at least, partition and service
/// given (region and account are empty for global resources such as S3 buckets).
fn is_arn_start(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    parts.len() == 6 && parts[0] == "arn" && !parts[1].is_empty() && !parts[2].is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_and_arns() {
        assert!(is_action("ses:SendEmail"));
        assert!(is_action("s3:Get*"));
        assert!(is_action("*"));
        assert!(!is_action("SendEmail"));
        assert!(!is_action("ses:Send Email"));
        assert!(!is_action("SES:SendEmail"));
        assert!(is_arn_start("arn:aws:s3:::bucket/*"));
        assert!(is_arn_start(
            "arn:aws:ses:us-east-1:123456789012:identity/x"
        ));
        assert!(!is_arn_start("arn:aws:s3"));
        assert!(!is_arn_start("bucket"));
    }
}
