//! The results of export-table, exports and import-table: each is text (`Display`) and the
//! JSON of `--output json` (`Serialize`), and the command prints one or the other.

use std::fmt;

use serde::Serialize;

use crate::transfer::export::ExportInfo;
use crate::transfer::import::ImportInfo;

/// An export started with `--no-wait`.
#[derive(Serialize)]
#[serde(transparent)]
pub struct ExportStarted<'a> {
    pub info: &'a ExportInfo,
    /// The table as `exports` takes it: the stack file's name, or the physical one.
    #[serde(skip)]
    pub logical: &'a str,
}

impl fmt::Display for ExportStarted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Export started: {}", self.info.arn)?;
        writeln!(f, "  see how it goes: stackctl exports {}", self.logical)
    }
}

/// An export waited on to its end; the text says nothing of one that did not complete (the
/// command's error does).
#[derive(Serialize)]
#[serde(transparent)]
pub struct ExportDone<'a> {
    pub info: &'a ExportInfo,
    /// The stack file's name of the table, for the import hint; `--table-name` has none.
    #[serde(skip)]
    pub logical: Option<&'a str>,
}

impl fmt::Display for ExportDone<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let info = self.info;
        if !info.completed() {
            return Ok(());
        }
        writeln!(f, "Export complete: {}", info.table)?;
        writeln!(f, "  arn:      {}", info.arn)?;
        if let Some(items) = info.item_count {
            writeln!(f, "  items:    {items}")?;
        }
        if let Some(bytes) = info.billed_size_bytes {
            writeln!(f, "  billed:   {}", size(bytes))?;
        }
        match &info.manifest {
            Some(manifest) => {
                writeln!(f, "  manifest: {manifest}")?;
                if let Some(logical) = self.logical {
                    writeln!(
                        f,
                        "  import:   stackctl import-table {logical} --from {manifest}"
                    )?;
                }
            }
            None => writeln!(f, "  location: {}", info.location)?,
        }
        Ok(())
    }
}

/// A table's exports, newest first.
#[derive(Serialize)]
#[serde(transparent)]
pub struct ExportList<'a> {
    pub exports: &'a [ExportInfo],
    /// The table's name in AWS.
    #[serde(skip)]
    pub table: &'a str,
}

impl fmt::Display for ExportList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.exports.is_empty() {
            return writeln!(f, "No exports of {}.", self.table);
        }
        let mut table = comfy_table::Table::new();
        table
            .load_preset(comfy_table::presets::NOTHING)
            .set_header(["STATUS", "STARTED", "TYPE", "DATA", "EXPORT ARN"]);
        for e in self.exports {
            table.add_row([
                e.status.as_str(),
                e.started.as_deref().unwrap_or("-"),
                e.kind.as_str(),
                e.manifest.as_deref().unwrap_or(&e.location),
                e.arn.as_str(),
            ]);
        }
        for column in table.column_iter_mut() {
            column.set_padding((0, 2));
        }
        for line in table.lines() {
            writeln!(f, "{}", line.trim_end())?;
        }
        for e in self.exports {
            if let (Some(code), Some(message)) = (&e.failure_code, &e.failure_message) {
                writeln!(f, "{} failed: {code}: {message}", e.arn)?;
            }
        }
        Ok(())
    }
}

/// An import, and the settings applied after it (`point_in_time_recovery`, `ttl_attribute`,
/// ...). Without a wait (`resume_hint`), the text says how to finish.
#[derive(Serialize)]
pub struct ImportReport<'a> {
    pub import: &'a ImportInfo,
    pub settings: Vec<String>,
    /// `stackctl import-table T --resume ARN`, for an import not waited on.
    #[serde(skip)]
    pub resume_hint: Option<&'a str>,
}

impl fmt::Display for ImportReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(hint) = self.resume_hint {
            return writeln!(
                f,
                "  when it completes, finish the table's settings: {hint}\n  (the table is not the stack's until then)"
            );
        }
        let info = self.import;
        if !info.completed() {
            return Ok(());
        }
        writeln!(f, "Import complete: {}", info.table)?;
        writeln!(f, "  arn:      {}", info.arn)?;
        // AWS names the source in DescribeImport; moto 5.2.5 does not.
        if !info.source.is_empty() {
            writeln!(f, "  source:   {}", info.source)?;
        }
        writeln!(
            f,
            "  items:    {} processed, {} imported, {} errors",
            info.processed_items, info.imported_items, info.errors
        )?;
        if let Some(bytes) = info.processed_size_bytes {
            writeln!(f, "  size:     {}", size(bytes))?;
        }
        if !self.settings.is_empty() {
            writeln!(f, "  then set: {}", self.settings.join(", "))?;
        }
        Ok(())
    }
}

/// A size in bytes as people read it: `512 bytes`, `1.5 MiB (1572864 bytes)` (binary units,
/// from bytesize).
fn size(bytes: i64) -> String {
    match u64::try_from(bytes) {
        Ok(n) if n >= 1024 => format!(
            "{} ({bytes} bytes)",
            bytesize::ByteSize::b(n).display().iec()
        ),
        _ => format!("{bytes} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size(512), "512 bytes");
        assert_eq!(size(1536 * 1024), "1.5 MiB (1572864 bytes)");
    }
}
