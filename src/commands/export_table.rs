//! `stackctl export-table`: a table's data to S3, waited on with progress.

use miette::Result;

use super::progress::JobProgress;
use super::transfer_view::{ExportDone, ExportStarted};
use super::{ExitStatus, print_result, table_target, until_interrupted};
use crate::cli::{AwsArgs, ExportFormatArg, ExportTableArgs};
use crate::output::Printer;
use crate::transfer::export::{self, ExportFormat, ExportKind, ExportRequest};

pub async fn run(args: &ExportTableArgs, aws: &AwsArgs, printer: Printer) -> Result<ExitStatus> {
    let target = table_target(&args.table, aws).await?;
    let request = request(args, &target.physical);
    let clients = &target.clients;
    let table_arn = export::check(clients, &request, &target.logical).await?;
    let started = export::start(clients, &request, &table_arn).await?;
    let arn = started.info.arn.clone();
    if args.no_wait {
        let result = ExportStarted {
            info: &started.info,
            logical: &target.logical,
        };
        print_result(printer, &result);
        return Ok(ExitStatus::Success);
    }

    let progress = JobProgress::new(format!("export {}", target.physical), printer);
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
    // The import hint names the stack file's table; a --table-name export has none.
    let result = ExportDone {
        info: &info,
        logical: args.table.table.as_deref(),
    };
    print_result(printer, &result);
    if info.failed() || !info.completed() {
        miette::bail!("{}", info.ended());
    }
    Ok(ExitStatus::Success)
}

/// The export the flags ask for, of the table `physical`.
fn request(args: &ExportTableArgs, physical: &str) -> ExportRequest {
    ExportRequest {
        table: physical.to_string(),
        bucket: args.bucket.clone(),
        prefix: args
            .prefix
            .as_deref()
            .map(|p| p.trim_matches('/').to_string())
            .unwrap_or_else(|| physical.to_string()),
        bucket_owner: args.bucket_owner.clone(),
        format: match args.format {
            ExportFormatArg::DynamodbJson => ExportFormat::DynamodbJson,
            ExportFormatArg::Ion => ExportFormat::Ion,
        },
        kind: match (args.incremental, args.from) {
            (true, Some(from)) => ExportKind::Incremental { from, to: args.to },
            _ => ExportKind::Full { at: args.at },
        },
    }
}
