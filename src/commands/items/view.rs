//! Items as output: JSON Lines (streamed, one item a line), or aligned columns.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::cli::ItemsOutput;
use crate::output::outln;
use crate::schema::{Item, item_to_json};
use crate::stack::TableSpec;

/// Prints items as they come (JSON Lines), or gathers them for one aligned table.
pub struct ItemsView {
    output: ItemsOutput,
    /// The key attributes, shown first.
    keys: Vec<String>,
    rows: Vec<serde_json::Map<String, Value>>,
    pub count: usize,
}

impl ItemsView {
    pub fn new(output: ItemsOutput, spec: &TableSpec) -> Self {
        let keys = std::iter::once(&spec.partition_key)
            .chain(spec.sort_key.as_ref())
            .map(|k| k.name.clone())
            .collect();
        ItemsView {
            output,
            keys,
            rows: Vec::new(),
            count: 0,
        }
    }

    pub fn item(&mut self, item: &Item) {
        self.count += 1;
        let Value::Object(json) = item_to_json(item) else {
            return;
        };
        match self.output {
            ItemsOutput::Jsonl => outln!("{}", Value::Object(json)),
            ItemsOutput::Table => self.rows.push(json),
        }
    }

    /// Prints the table, for `--output table`.
    pub fn finish(self) {
        if self.output != ItemsOutput::Table || self.rows.is_empty() {
            return;
        }
        let others: BTreeSet<&String> = self
            .rows
            .iter()
            .flat_map(|r| r.keys())
            .filter(|k| !self.keys.contains(k))
            .collect();
        let columns: Vec<&String> = self.keys.iter().chain(others).collect();
        let cell = |row: &serde_json::Map<String, Value>, c: &String| match row.get(c) {
            None => String::new(),
            Some(Value::String(s)) => escaped(s),
            Some(v) => escaped(&v.to_string()),
        };
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| columns.iter().map(|c| cell(r, c)).collect())
            .collect();
        let widths: Vec<usize> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                cells
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([c.chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |values: Vec<&str>| {
            let padded: Vec<String> = values
                .iter()
                .zip(&widths)
                .map(|(v, w)| format!("{v:<w$}"))
                .collect();
            padded.join("  ").trim_end().to_string()
        };
        let header: Vec<String> = columns.iter().map(|c| escaped(c)).collect();
        outln!("{}", line(header.iter().map(String::as_str).collect()));
        for row in &cells {
            outln!("{}", line(row.iter().map(String::as_str).collect()));
        }
    }
}

/// `text` with control characters (newlines, tabs, ESC) written as escapes (`\n`, `\u{1b}`),
/// so that a value cannot break the table's lines or drive the terminal.
fn escaped(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            super::escaped("a\nb\u{1b}[31m\tc é"),
            "a\\nb\\u{1b}[31m\\tc é"
        );
    }
}
