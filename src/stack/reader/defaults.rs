//! `[defaults.functions]`: what every function starts from, like SAM's `Globals`. Applied to
//! the document before anything is read, so that every check sees each function's effective
//! settings; a problem in a default names the functions it reaches.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::typed::{Key, Reader, Value, entry};
use crate::stack::diagnostic::Problem;

const DEFAULTS_KEYS: &[&str] = &["functions"];

/// The function keys that may have a default: settings that are alike across functions. A
/// function's code, role, access and versions are its own.
const FUNCTION_DEFAULT_KEYS: &[&str] = &[
    "runtime",
    "handler",
    "memory",
    "timeout",
    "architecture",
    "layers",
    "environment",
    "tags",
    "tracing",
    "log_retention_days",
    "exclude",
    "permissions",
];

/// Keys whose tables merge key by key under the function's own (the function's entry wins).
const MERGED_TABLES: &[&str] = &["environment", "tags"];
/// Keys whose lists add up: the defaults' entries first, then the function's.
const ADDED_LISTS: &[&str] = &["permissions"];

const DEFAULT_HELP: &str = "the default applies to every function without its own value: fix it, or set the key in the function";

/// Where the defaults are written: the spans of their keys and values.
#[derive(Debug, Default)]
pub(super) struct DefaultSpans(Vec<Range<usize>>);

impl DefaultSpans {
    fn holds(&self, span: &Range<usize>) -> bool {
        self.0
            .iter()
            .any(|s| s.start <= span.start && span.end <= s.end && span.start < span.end)
    }
}

impl Reader<'_> {
    /// `doc` with `[defaults.functions]` merged under every function, and where the defaults
    /// are written; `None` when the file has no defaults (or they are not a table).
    pub(super) fn with_function_defaults<'i>(
        &mut self,
        doc: &DeTable<'i>,
    ) -> Option<(DeTable<'i>, DefaultSpans)> {
        let (_, value) = entry(doc, "defaults")?;
        let defaults = self.as_table(value, "[defaults]")?;
        self.unknown_keys(defaults, DEFAULTS_KEYS, "in [defaults]");
        let (_, value) = entry(defaults, "functions")?;
        let functions_defaults = self.as_table(value, "[defaults.functions]")?;
        self.unknown_keys(
            functions_defaults,
            FUNCTION_DEFAULT_KEYS,
            "in [defaults.functions] (the keys that can have a default)",
        );
        let mut spans = Vec::new();
        for (key, value) in functions_defaults.iter() {
            spans.push(key.span());
            spans.push(value.span());
        }
        let mut merged = doc.clone();
        if let Some((_, functions)) = merged.iter_mut().find(|(k, _)| k.get_ref() == "functions")
            && let DeValue::Table(functions) = functions.get_mut()
        {
            for (_, function) in functions.iter_mut() {
                if let DeValue::Table(own) = function.get_ref() {
                    let effective = effective(functions_defaults, own);
                    *function.get_mut() = DeValue::Table(effective);
                }
            }
        }
        Some((merged, DefaultSpans(spans)))
    }

    /// Problems found since `before` (while reading `function`) that point into the defaults
    /// name the function too; one found for an earlier function already is not repeated, it
    /// names this function as well.
    pub(super) fn blame_defaults(
        &mut self,
        before: usize,
        function: &Key<'_>,
        spans: &DefaultSpans,
    ) {
        let found: Vec<Problem> = self.problems.drain(before..).collect();
        let name = function.get_ref();
        for problem in found {
            if !spans.holds(&problem.span) {
                self.problems.push(problem);
                continue;
            }
            let earlier = self.problems[..before]
                .iter_mut()
                .find(|p| p.span == problem.span && p.message == problem.message);
            match earlier {
                Some(earlier) => earlier
                    .related
                    .push((function.span(), format!("and function {name}"))),
                None => {
                    let help = match &problem.help {
                        Some(help) => format!("{help}; {DEFAULT_HELP}"),
                        None => DEFAULT_HELP.to_string(),
                    };
                    let problem = problem.also(function.span(), format!("for function {name}"));
                    self.problems.push(problem.help(help));
                }
            }
        }
    }
}

/// A function's effective table: the defaults, then its own keys over them (tables in
/// [`MERGED_TABLES`] key by key, lists in [`ADDED_LISTS`] added, anything else replaced).
fn effective<'i>(defaults: &DeTable<'i>, own: &DeTable<'i>) -> DeTable<'i> {
    let mut out = DeTable::new();
    for (key, value) in defaults.iter() {
        if FUNCTION_DEFAULT_KEYS.contains(&key.get_ref().as_ref()) {
            out.insert(key.clone(), value.clone());
        }
    }
    for (key, value) in own.iter() {
        let name = key.get_ref().as_ref();
        let base = out.get(name).map(|v: &Value<'i>| v.get_ref().clone());
        let combined = match (base, value.get_ref()) {
            (Some(DeValue::Table(mut base)), DeValue::Table(mine))
                if MERGED_TABLES.contains(&name) =>
            {
                for (k, v) in mine.iter() {
                    base.remove(k.get_ref().as_ref());
                    base.insert(k.clone(), v.clone());
                }
                Spanned::new(value.span(), DeValue::Table(base))
            }
            (Some(DeValue::Array(mut base)), DeValue::Array(mine))
                if ADDED_LISTS.contains(&name) =>
            {
                for item in mine.iter() {
                    base.push(item.clone());
                }
                Spanned::new(value.span(), DeValue::Array(base))
            }
            _ => value.clone(),
        };
        out.remove(name);
        out.insert(key.clone(), combined);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> DeTable<'_> {
        DeTable::parse(text).unwrap().into_inner()
    }

    #[test]
    fn the_functions_own_values_win_tables_merge_and_permissions_add_up() {
        let defaults = table(
            "memory = 512\ntimeout = 10\nenvironment = { A = \"1\", B = \"2\" }\npermissions = [{ actions = [\"x:Y\"] }]",
        );
        let own = table(
            "memory = 256\nenvironment = { B = \"3\", C = { ssm = \"/c\" } }\npermissions = [{ actions = [\"z:W\"] }]",
        );
        let merged = effective(&defaults, &own);
        let text = |key: &str| match entry(&merged, key).map(|(_, v)| v.get_ref()) {
            Some(DeValue::Integer(i)) => i.as_str().to_string(),
            Some(DeValue::Table(t)) => t
                .iter()
                .map(|(k, _)| k.get_ref().to_string())
                .collect::<Vec<_>>()
                .join(","),
            Some(DeValue::Array(a)) => a.len().to_string(),
            _ => String::new(),
        };
        assert_eq!(text("memory"), "256");
        assert_eq!(text("timeout"), "10");
        assert_eq!(text("environment"), "A,B,C");
        assert_eq!(text("permissions"), "2");
        let env = match entry(&merged, "environment").map(|(_, v)| v.get_ref()) {
            Some(DeValue::Table(t)) => t,
            _ => unreachable!(),
        };
        assert!(
            matches!(entry(env, "B").map(|(_, v)| v.get_ref()), Some(DeValue::String(s)) if s == "3")
        );
    }
}
