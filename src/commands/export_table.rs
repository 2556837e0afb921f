//! `stackctl export-table`: a table's data to S3, waited on with progress.

use crate::output::outln;
use miette::Result;

use super::progress::JobProgress;
use super::{ExitStatus, print_json, table_target, until_interrupted};
use crate::cli::{AwsArgs, ExportFormatArg, ExportTableArgs, OutputFormat};
use crate::transfer::export::{self, ExportFormat, ExportInfo, ExportKind, ExportRequest};

pub async fn run(args: &ExportTableArgs, aws: &AwsArgs) -> Result<ExitStatus> {
    let target = table_target(&args.table, aws).await?;
    let request = ExportRequest {
        table: target.physical.clone(),
        bucket: args.bucket.clone(),
        prefix: args
            .prefix
            .as_deref()
            .map(|p| p.trim_matches('/').to_string())
            .unwrap_or_else(|| target.physical.clone()),
        bucket_owner: args.bucket_owner.clone(),
        format: match args.format {
            ExportFormatArg::DynamodbJson => ExportFormat::DynamodbJson,
            ExportFormatArg::Ion => ExportFormat::Ion,
        },
        kind: match (args.incremental, args.from) {
            (true, Some(from)) => ExportKind::Incremental { from, to: args.to },
            _ => ExportKind::Full { at: args.at },
        },
    };
    let clients = &target.clients;
    let table_arn = export::check(clients, &request, &target.logical).await?;
    let started = export::start(clients, &request, &table_arn).await?;
    let arn = started.info.arn.clone();
    if args.no_wait {
        match args.output {
            OutputFormat::Json => print_json(&started.info),
            OutputFormat::Text => {
                outln!("Export started: {arn}");
                outln!("  see how it goes: stackctl exports {}", target.logical);
            }
        }
        return Ok(ExitStatus::Success);
    }

    let progress = JobProgress::new(format!("export {}", target.physical));
    let waited = until_interrupted(export::wait(clients, &started, |s| {
        progress.status(s, true)
    }))
    .await;
    progress.finish();
    let Some(info) = waited else {
        miette::bail!(
            help = format!(
                "the export goes on in AWS; see it with `stackctl exports {}`",
                target.logical
            ),
            "stopped waiting for export {arn}: interrupted"
        );
    };
    let info = info?;
    match args.output {
        OutputFormat::Json => print_json(&info),
        // The import hint names the stack file's table; a --table-name export has none.
        OutputFormat::Text => print_text(&info, args.table.table.as_deref()),
    }
    if info.failed() || !info.completed() {
        miette::bail!(
            "export {} ended {}{}",
            info.arn,
            info.status,
            crate::transfer::failure(
                info.failure_code.as_deref(),
                info.failure_message.as_deref()
            )
        );
    }
    Ok(ExitStatus::Success)
}

fn print_text(info: &ExportInfo, logical: Option<&str>) {
    if !info.completed() {
        return;
    }
    outln!("Export complete: {}", info.table);
    outln!("  arn:      {}", info.arn);
    if let Some(items) = info.item_count {
        outln!("  items:    {items}");
    }
    if let Some(bytes) = info.billed_size_bytes {
        outln!("  billed:   {}", size(bytes));
    }
    match &info.manifest {
        Some(manifest) => {
            outln!("  manifest: {manifest}");
            if let Some(logical) = logical {
                outln!("  import:   stackctl import-table {logical} --from {manifest}");
            }
        }
        None => outln!("  location: {}", info.location),
    }
}

pub(super) fn size(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {} ({bytes} bytes)", UNITS[unit])
}
