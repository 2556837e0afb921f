//! Names the file gives: stack and logical names, and the physical names made from them.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::typed::entry;

/// Physical names (`<stack>-<logical>`) longer than AWS takes: where the logical name is
/// written, the name, the limit and what it names. Function names (and the managed role's,
/// the same) take 64 characters (CreateFunction, CreateRole API references), table names 255
/// (CreateTable: <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html>).
/// Their characters need no check: stack names, suffixes and logical names hold only
/// characters every one of them accepts.
pub(super) fn long_names(
    doc: &DeTable<'_>,
    stack: &str,
) -> Vec<(Range<usize>, String, usize, &'static str)> {
    let mut out = Vec::new();
    for (section, limit, what) in [
        ("tables", 255, "table names"),
        ("functions", 64, "function and IAM role names"),
        // With `.fifo`, which FIFO topics' names end in.
        ("topics", 256 - 5, "topic names"),
        // SQS: 80 characters, with `.fifo`.
        ("queues", 80 - 5, "queue names"),
    ] {
        let Some(DeValue::Table(t)) = entry(doc, section).map(|(_, v)| v.get_ref()) else {
            continue;
        };
        for (key, value) in t.iter() {
            // A resource with `name = "..."` is checked by its name (see `fixed_names`).
            if matches!(value.get_ref(), DeValue::Table(r) if entry(r, "name").is_some()) {
                continue;
            }
            let physical = format!("{stack}-{}", key.get_ref());
            if physical.len() > limit {
                out.push((key.span(), physical, limit, what));
            }
        }
    }
    out
}

pub(super) fn is_stack_name(name: &str) -> bool {
    name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

pub(super) fn is_logical_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}
