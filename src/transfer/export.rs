//! ExportTableToPointInTime: checks before starting, the export's progress, and where its
//! manifest is.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::{
    ExportDescription, ExportFormat as DynamoExportFormat, ExportStatus, ExportType,
    ExportViewType, IncrementalExportSpecification, PointInTimeRecoveryStatus,
};
use aws_smithy_types::DateTime;
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use super::{S3Url, TransferError, check_bucket, format_time};
use crate::aws::poll::{self, Pace, Poll};
use crate::aws::{AwsError, CallResult, Clients, ErrorKind, classify, describe, other};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    DynamodbJson,
    Ion,
}

/// Full (the table at one time) or incremental (the changes between two times).
#[derive(Debug, Clone, Copy)]
pub enum ExportKind {
    Full {
        at: Option<DateTime>,
    },
    Incremental {
        from: DateTime,
        to: Option<DateTime>,
    },
}

#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub table: String,
    pub bucket: String,
    pub prefix: String,
    pub bucket_owner: Option<String>,
    pub format: ExportFormat,
    pub kind: ExportKind,
}

/// One export as stackctl reports it.
#[derive(Debug, Clone, Serialize)]
pub struct ExportInfo {
    pub arn: String,
    pub table: String,
    pub status: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub format: String,
    pub started: Option<String>,
    pub ended: Option<String>,
    pub export_time: Option<String>,
    pub item_count: Option<i64>,
    pub billed_size_bytes: Option<i64>,
    /// `s3://bucket/prefix`, where the export writes.
    pub location: String,
    /// The manifest (`…/AWSDynamoDB/<id>/manifest-summary.json`), once known.
    pub manifest: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    #[serde(skip)]
    started_secs: i64,
}

impl ExportInfo {
    /// How the export ended, as the command's error says it: `export ARN ended STATUS: CODE:
    /// message`.
    pub fn ended(&self) -> String {
        let (code, message) = (
            self.failure_code.as_deref(),
            self.failure_message.as_deref(),
        );
        super::ended("export", &self.arn, &self.status, code, message)
    }

    pub fn completed(&self) -> bool {
        self.status == ExportStatus::Completed.as_str()
    }

    pub fn failed(&self) -> bool {
        self.status == ExportStatus::Failed.as_str()
    }

    fn from_description(d: &ExportDescription) -> Self {
        let table = super::table_of(d.table_arn());
        let location = S3Url::new(
            d.s3_bucket().unwrap_or_default(),
            d.s3_prefix().unwrap_or_default(),
        );
        ExportInfo {
            arn: d.export_arn().unwrap_or_default().to_string(),
            table,
            status: d
                .export_status()
                .map_or("UNKNOWN", ExportStatus::as_str)
                .to_string(),
            kind: d
                .export_type()
                .map_or(ExportType::FullExport.as_str(), ExportType::as_str)
                .to_string(),
            format: d
                .export_format()
                .map_or("DYNAMODB_JSON", DynamoExportFormat::as_str)
                .to_string(),
            started: d.start_time().map(format_time),
            ended: d.end_time().map(format_time),
            export_time: d.export_time().map(format_time),
            item_count: d.item_count(),
            billed_size_bytes: d.billed_size_bytes(),
            manifest: d
                .export_manifest()
                .map(|key| S3Url::new(&location.bucket, key).to_string()),
            location: location.to_string(),
            failure_code: d.failure_code().map(str::to_string),
            failure_message: d.failure_message().map(str::to_string),
            started_secs: d.start_time().map_or(0, DateTime::secs),
        }
    }
}

/// An export that was started, with what is needed to find its files when it ends.
pub struct Started {
    pub info: ExportInfo,
    bucket: String,
    prefix: String,
    /// Export folders under the prefix before this export began.
    folders_before: BTreeSet<String>,
}

/// Checks everything that would make the export fail later: the table exists, point-in-time
/// recovery is on, the bucket exists in the table's region. Returns the table's ARN.
pub async fn check(
    clients: &Clients,
    request: &ExportRequest,
    logical: &str,
) -> Result<String, TransferError> {
    let ddb = &clients.dynamodb;
    let arn = table_arn(clients, &request.table).await?;
    let backups = ddb
        .describe_continuous_backups()
        .table_name(&request.table)
        .send()
        .await
        .op("dynamodb:DescribeContinuousBackups")?;
    let pitr = backups
        .continuous_backups_description()
        .and_then(|d| d.point_in_time_recovery_description())
        .and_then(|d| d.point_in_time_recovery_status());
    if pitr != Some(&PointInTimeRecoveryStatus::Enabled) {
        return Err(TransferError::PitrOff {
            table: request.table.clone(),
            logical: logical.to_string(),
        });
    }
    check_bucket(clients, &request.bucket, request.bucket_owner.as_deref()).await?;
    Ok(arn)
}

/// The ARN of table `name`, or the error that it does not exist.
pub async fn table_arn(clients: &Clients, name: &str) -> Result<String, TransferError> {
    match clients
        .dynamodb
        .describe_table()
        .table_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .table()
            .and_then(|t| t.table_arn())
            .unwrap_or_default()
            .to_string()),
        Err(e) if classify(&e) == ErrorKind::NotFound => Err(TransferError::NoTable {
            table: name.to_string(),
        }),
        Err(e) => Err(describe("dynamodb:DescribeTable", e).into()),
    }
}

pub async fn start(
    clients: &Clients,
    request: &ExportRequest,
    table_arn: &str,
) -> Result<Started, TransferError> {
    let folders_before = export_folders(clients, &request.bucket, &request.prefix).await?;
    let format = match request.format {
        ExportFormat::DynamodbJson => DynamoExportFormat::DynamodbJson,
        ExportFormat::Ion => DynamoExportFormat::Ion,
    };
    let mut call = clients
        .dynamodb
        .export_table_to_point_in_time()
        .table_arn(table_arn)
        .s3_bucket(&request.bucket)
        .s3_prefix(&request.prefix)
        .set_s3_bucket_owner(request.bucket_owner.clone())
        .export_format(format);
    call = match request.kind {
        ExportKind::Full { at } => call.export_type(ExportType::FullExport).set_export_time(at),
        ExportKind::Incremental { from, to } => call
            .export_type(ExportType::IncrementalExport)
            .incremental_export_specification(
                IncrementalExportSpecification::builder()
                    .export_from_time(from)
                    .set_export_to_time(to)
                    .export_view_type(ExportViewType::NewAndOldImages)
                    .build(),
            ),
    };
    let out = call.send().await.op("dynamodb:ExportTableToPointInTime")?;
    let description = out.export_description().ok_or_else(|| {
        other(
            "dynamodb:ExportTableToPointInTime",
            "the answer holds no export description",
        )
    })?;
    Ok(Started {
        info: ExportInfo::from_description(description),
        bucket: request.bucket.clone(),
        prefix: request.prefix.clone(),
        folders_before,
    })
}

pub async fn describe_export(clients: &Clients, arn: &str) -> Result<ExportInfo, AwsError> {
    let out = clients
        .dynamodb
        .describe_export()
        .export_arn(arn)
        .send()
        .await
        .op("dynamodb:DescribeExport")?;
    Ok(out
        .export_description()
        .map(ExportInfo::from_description)
        .unwrap_or_else(|| ExportInfo {
            arn: arn.to_string(),
            status: "UNKNOWN".to_string(),
            ..empty_info()
        }))
}

fn empty_info() -> ExportInfo {
    ExportInfo {
        arn: String::new(),
        table: String::new(),
        status: String::new(),
        kind: String::new(),
        format: String::new(),
        started: None,
        ended: None,
        export_time: None,
        item_count: None,
        billed_size_bytes: None,
        location: String::new(),
        manifest: None,
        failure_code: None,
        failure_message: None,
        started_secs: 0,
    }
}

/// Waits until the export is no longer IN_PROGRESS and returns how it ended, with the
/// manifest's URL when it completed.
pub async fn wait(
    clients: &Clients,
    started: &Started,
    on_status: impl FnMut(&str),
) -> Result<ExportInfo, TransferError> {
    let arn = &started.info.arn;
    let mut info = poll::until(
        "export",
        Pace::job(super::EXPORT_TIMEOUT),
        on_status,
        || false,
        || async {
            let info = describe_export(clients, arn).await?;
            Ok(if info.status == ExportStatus::InProgress.as_str() {
                Poll::Pending(info.status)
            } else {
                Poll::Ready(info)
            })
        },
    )
    .await?;
    if info.completed() && info.manifest.is_none() {
        info.manifest = find_manifest(clients, started).await?;
    }
    Ok(info)
}

/// Where the manifest is when DescribeExport does not say (emulators): the folder named after
/// the export's ID, or else the one folder that appeared while it ran.
async fn find_manifest(clients: &Clients, started: &Started) -> Result<Option<String>, AwsError> {
    let after = export_folders(clients, &started.bucket, &started.prefix).await?;
    let id = started.info.arn.rsplit('/').next().unwrap_or_default();
    let by_id = after.iter().find(|f| f.trim_end_matches('/').ends_with(id));
    let new: Vec<&String> = after.difference(&started.folders_before).collect();
    let folder = match (by_id, new.as_slice()) {
        (Some(folder), _) => folder,
        (None, [folder]) => *folder,
        _ => return Ok(None),
    };
    Ok(Some(
        S3Url::new(&started.bucket, folder.as_str())
            .child("manifest-summary.json")
            .to_string(),
    ))
}

/// The export folders (`prefix/AWSDynamoDB/<id>/`) under a prefix.
pub(super) async fn export_folders(
    clients: &Clients,
    bucket: &str,
    prefix: &str,
) -> Result<BTreeSet<String>, AwsError> {
    let root = S3Url::new(bucket, prefix).child("AWSDynamoDB/");
    let pages = clients
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(&root.key)
        .delimiter("/")
        .into_paginator()
        .send();
    let mut folders = BTreeSet::new();
    futures::pin_mut!(pages);
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            // The bucket was checked before; a listing may still be denied.
            Err(e) if classify(&e) == ErrorKind::AccessDenied => break,
            Err(e) => return Err(describe("s3:ListObjectsV2", e)),
        };
        folders.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix())
                .map(str::to_string),
        );
    }
    Ok(folders)
}

/// The table's exports, newest first.
pub async fn list(clients: &Clients, table_arn: &str) -> Result<Vec<ExportInfo>, AwsError> {
    let mut arns = Vec::new();
    let mut token = None;
    loop {
        let page = clients
            .dynamodb
            .list_exports()
            .table_arn(table_arn)
            .set_next_token(token)
            .send()
            .await
            .op("dynamodb:ListExports")?;
        arns.extend(
            page.export_summaries()
                .iter()
                .filter_map(|s| s.export_arn())
                .map(str::to_string),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let mut exports: Vec<ExportInfo> = futures::stream::iter(arns)
        .map(|arn| async move { describe_export(clients, &arn).await })
        .buffered(4)
        .try_collect()
        .await?;
    exports.sort_by_key(|e| std::cmp::Reverse(e.started_secs));
    Ok(exports)
}

#[cfg(test)]
mod tests {
    //! The emulator finishes exports at once; AWS takes minutes. These feed the wait the
    //! statuses AWS reports on the way.

    use aws_sdk_dynamodb::Client;
    use aws_sdk_dynamodb::operation::describe_export::DescribeExportOutput;
    use aws_smithy_mocks::mock;

    use super::*;

    const ARN: &str =
        "arn:aws:dynamodb:us-east-1:123456789012:table/shop-orders/export/01700000000000-abcdef12";

    fn described(status: ExportStatus) -> DescribeExportOutput {
        let mut export = ExportDescription::builder()
            .export_arn(ARN)
            .export_status(status.clone())
            .table_arn("arn:aws:dynamodb:us-east-1:123456789012:table/shop-orders")
            .s3_bucket("exports")
            .s3_prefix("shop-orders");
        match status {
            ExportStatus::Completed => {
                export = export
                    .item_count(42)
                    .billed_size_bytes(4096)
                    .export_manifest(
                        "shop-orders/AWSDynamoDB/01700000000000-abcdef12/manifest-summary.json",
                    );
            }
            ExportStatus::Failed => {
                export = export
                    .failure_code("S3AccessDenied")
                    .failure_message("Access denied to bucket exports");
            }
            _ => {}
        }
        DescribeExportOutput::builder()
            .export_description(export.build())
            .build()
    }

    fn started() -> Started {
        Started {
            info: ExportInfo {
                arn: ARN.to_string(),
                ..empty_info()
            },
            bucket: "exports".to_string(),
            prefix: "shop-orders".to_string(),
            folders_before: BTreeSet::new(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn waits_with_backoff_until_the_export_completes() {
        let describe = mock!(Client::describe_export)
            .sequence()
            .output(|| described(ExportStatus::InProgress))
            .times(4)
            .output(|| described(ExportStatus::Completed))
            .build();
        let clients = Clients::answering(&[&describe]);
        let mut statuses = Vec::new();
        let start = tokio::time::Instant::now();

        let info = wait(&clients, &started(), |s| statuses.push(s.to_string()))
            .await
            .unwrap();

        assert_eq!(describe.num_calls(), 5);
        assert_eq!(
            statuses,
            ["IN_PROGRESS"],
            "each new status is reported once"
        );
        // 0.5 + 1 + 2 + 4 seconds between the five looks.
        assert_eq!(start.elapsed().as_millis(), 7500);
        assert!(info.completed());
        assert_eq!(info.item_count, Some(42));
        assert_eq!(
            info.manifest.as_deref(),
            Some(
                "s3://exports/shop-orders/AWSDynamoDB/01700000000000-abcdef12/manifest-summary.json"
            )
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_export_ends_the_wait_with_its_code_and_message() {
        let describe = mock!(Client::describe_export)
            .sequence()
            .output(|| described(ExportStatus::InProgress))
            .output(|| described(ExportStatus::Failed))
            .build();
        let clients = Clients::answering(&[&describe]);

        let info = wait(&clients, &started(), |_| {}).await.unwrap();

        assert!(info.failed());
        assert_eq!(info.failure_code.as_deref(), Some("S3AccessDenied"));
        assert_eq!(
            info.failure_message.as_deref(),
            Some("Access denied to bucket exports")
        );
        assert_eq!(info.manifest, None);
    }
}
