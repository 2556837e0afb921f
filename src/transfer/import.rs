//! ImportTable: creating the declared table from the data `source` found, and making the new table what the stack file says.

use aws_sdk_dynamodb::types::{
    ImportStatus, ImportTableDescription, InputCompressionType, InputFormat, S3BucketSource,
    TableCreationParameters,
};
use serde::Serialize;

pub use super::source::{Compression, DataFormat, Source, SourceHints, resolve_source};
use super::{S3Url, TransferError, format_time};
use crate::aws::poll::{self, Pace, Poll};
use crate::aws::{AwsError, CallResult, Clients, ErrorKind, invalid_request, other};
use crate::live::LiveTable;
use crate::stack::{Stack, TableSpec};
use crate::table_shapes::{TableShape, tags};

/// One import as stackctl reports it.
#[derive(Debug, Clone, Serialize)]
pub struct ImportInfo {
    pub arn: String,
    pub table: String,
    pub status: String,
    pub source: String,
    pub processed_items: i64,
    pub imported_items: i64,
    pub errors: i64,
    pub processed_size_bytes: Option<i64>,
    pub started: Option<String>,
    pub ended: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    /// Where AWS logs the items it could not import.
    pub log_group: Option<String>,
    /// The table's ARN.
    #[serde(skip)]
    pub table_arn: String,
    /// The ClientToken the import was started with (see [`started_by`]).
    #[serde(skip)]
    pub client_token: Option<String>,
}

impl ImportInfo {
    /// How the import ended, as the command's error says it: `import ARN ended STATUS: CODE:
    /// message`.
    pub fn ended(&self) -> String {
        let (code, message) = (
            self.failure_code.as_deref(),
            self.failure_message.as_deref(),
        );
        super::ended("import", &self.arn, &self.status, code, message)
    }

    pub fn completed(&self) -> bool {
        self.status == ImportStatus::Completed.as_str()
    }

    /// Completed with every processed item imported.
    pub fn clean(&self) -> bool {
        self.completed() && self.errors == 0
    }

    fn from_description(d: &ImportTableDescription) -> Self {
        let source = d
            .s3_bucket_source()
            .map(|s| S3Url::new(s.s3_bucket(), s.s3_key_prefix().unwrap_or_default()).to_string())
            .unwrap_or_default();
        ImportInfo {
            arn: d.import_arn().unwrap_or_default().to_string(),
            table: super::table_of(d.table_arn()),
            status: d
                .import_status()
                .map_or("UNKNOWN", ImportStatus::as_str)
                .to_string(),
            source,
            processed_items: d.processed_item_count(),
            imported_items: d.imported_item_count(),
            errors: d.error_count(),
            processed_size_bytes: d.processed_size_bytes(),
            started: d.start_time().map(format_time),
            ended: d.end_time().map(format_time),
            failure_code: d.failure_code().map(str::to_string),
            failure_message: d.failure_message().map(str::to_string),
            log_group: d.cloud_watch_log_group_arn().map(str::to_string),
            table_arn: d.table_arn().unwrap_or_default().to_string(),
            client_token: d.client_token().map(str::to_string),
        }
    }
}

/// Refuses a table ImportTable cannot make, or one that exists already.
pub async fn check_target(
    clients: &Clients,
    stack: &Stack,
    spec: &TableSpec,
) -> Result<(), TransferError> {
    if !spec.local_indexes.is_empty() {
        return Err(TransferError::LocalIndexes {
            logical: spec.logical.clone(),
        });
    }
    let name = stack.table_name(&spec.logical);
    if let Some((_, owner)) = crate::live::read_table(clients, &name).await? {
        return Err(TransferError::TableExists { table: name, owner });
    }
    Ok(())
}

/// Starts ImportTable for the declared table: keys, global indexes, billing and capacity.
pub async fn start(
    clients: &Clients,
    stack: &Stack,
    spec: &TableSpec,
    source: &Source,
    bucket_owner: Option<&str>,
) -> Result<ImportInfo, TransferError> {
    let op = "dynamodb:ImportTable";
    let shape = TableShape::of(spec)?;
    let table = TableCreationParameters::builder()
        .table_name(stack.table_name(&spec.logical))
        .set_key_schema(Some(shape.key_schema))
        .set_attribute_definitions(Some(shape.attribute_definitions))
        .billing_mode(shape.billing_mode)
        .set_provisioned_throughput(shape.throughput)
        .set_global_secondary_indexes(
            (!shape.global_indexes.is_empty()).then_some(shape.global_indexes),
        );
    let bucket_source = S3BucketSource::builder()
        .s3_bucket(&source.bucket)
        .s3_key_prefix(&source.key_prefix)
        .set_s3_bucket_owner(bucket_owner.map(str::to_string))
        .build()
        .map_err(|e| invalid_request(op, e))?;
    let token = client_token(&stack.name, &stack.table_name(&spec.logical));
    let out = clients
        .dynamodb
        .import_table()
        .client_token(&token)
        .s3_bucket_source(bucket_source)
        .input_format(match source.format {
            DataFormat::DynamodbJson => InputFormat::DynamodbJson,
            DataFormat::Ion => InputFormat::Ion,
            DataFormat::Csv => InputFormat::Csv,
        })
        .input_compression_type(match source.compression {
            Compression::Gzip => InputCompressionType::Gzip,
            Compression::Zstd => InputCompressionType::Zstd,
            Compression::None => InputCompressionType::None,
        })
        .table_creation_parameters(table.build().map_err(|e| invalid_request(op, e))?)
        .send()
        .await
        .op(op)?;
    out.import_table_description()
        .map(|d| ImportInfo {
            source: source.url(),
            client_token: Some(token.clone()),
            ..ImportInfo::from_description(d)
        })
        .ok_or_else(|| other(op, "the answer holds no import description").into())
}

pub async fn describe_import(clients: &Clients, arn: &str) -> Result<ImportInfo, AwsError> {
    let out = clients
        .dynamodb
        .describe_import()
        .import_arn(arn)
        .send()
        .await
        .op("dynamodb:DescribeImport")?;
    out.import_table_description()
        .map(ImportInfo::from_description)
        .ok_or_else(|| AwsError::Call {
            operation: "dynamodb:DescribeImport".to_string(),
            message: format!("no import {arn}"),
            kind: ErrorKind::NotFound,
            help: None,
        })
}

/// Waits until the import is no longer in progress; returns how it ended.
pub async fn wait(
    clients: &Clients,
    arn: &str,
    on_status: impl FnMut(&str),
) -> Result<ImportInfo, TransferError> {
    Ok(poll::until(
        "import",
        Pace::job(super::IMPORT_TIMEOUT),
        on_status,
        || false,
        || async {
            let info = describe_import(clients, arn).await?;
            Ok(match info.status.as_str() {
                "IN_PROGRESS" | "CANCELLING" => Poll::Pending(if info.processed_items > 0 {
                    format!("{}, {} items processed", info.status, info.processed_items)
                } else {
                    info.status
                }),
                _ => Poll::Ready(info),
            })
        },
    )
    .await?)
}

/// A new ClientToken for an import of `stack`'s `table` (see
/// [`crate::marks::import_client_token`]), unique to this moment and process.
fn client_token(stack: &str, table: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let unique = crate::hash::sha256_hex(format!("{nanos}|{}", std::process::id()), 8);
    crate::marks::import_client_token(stack, table, &unique)
}

/// Whether stackctl started the import for `stack`'s table `table` (DescribeImport returns
/// the ClientToken; an import started without one, or by another tool, proves nothing).
pub fn started_by(info: &ImportInfo, stack: &str, table: &str) -> bool {
    info.client_token
        .as_deref()
        .is_some_and(|t| crate::marks::is_import_token(t, stack, table))
}

/// Checks that `arn` is an import into the declared table (for `--resume`), and that its table
/// may become the stack's; refuses before anything is touched.
pub async fn check_resume(
    clients: &Clients,
    stack: &Stack,
    spec: &TableSpec,
    arn: &str,
) -> Result<ImportInfo, TransferError> {
    let info = describe_import(clients, arn).await?;
    let table = stack.table_name(&spec.logical);
    if info.table != table {
        return Err(TransferError::OtherImport {
            arn: arn.to_string(),
            found: info.table,
            table,
        });
    }
    let owner = match crate::live::table_owner(clients, &info.table_arn).await {
        Ok(owner) => owner,
        // Not made yet: the import creates it.
        Err(AwsError::Call {
            kind: ErrorKind::NotFound,
            ..
        }) => None,
        Err(e) => return Err(e.into()),
    };
    check_owner(stack, &info, owner)?;
    Ok(info)
}

/// An imported table becomes the stack's only when it is already (its stack tag), or when
/// this stack started the import (its ClientToken). A table another stack owns, or an import
/// stackctl cannot tell is this stack's, is refused.
fn check_owner(
    stack: &Stack,
    import: &ImportInfo,
    owner: Option<String>,
) -> Result<(), TransferError> {
    match owner {
        Some(owner) if owner == stack.name => Ok(()),
        Some(owner) => Err(TransferError::NotOwned {
            table: import.table.clone(),
            owner,
        }),
        None if started_by(import, &stack.name, &import.table) => Ok(()),
        None => Err(TransferError::NotThisStacksImport {
            arn: import.arn.clone(),
            table: import.table.clone(),
            table_arn: import.table_arn.clone(),
            stack: stack.name.clone(),
        }),
    }
}

/// Makes the table `import` made the stack's: tags it as owned (when it is the stack's by
/// [`check_owner`]), and returns it as read then, for the caller to plan the settings
/// ImportTable cannot set (TTL, point-in-time recovery, stream, deletion protection, table
/// class).
pub async fn adopt(
    clients: &Clients,
    stack: &Stack,
    spec: &TableSpec,
    import: &ImportInfo,
) -> Result<LiveTable, TransferError> {
    let name = stack.table_name(&spec.logical);
    let Some((live, owner)) = crate::live::read_table(clients, &name).await? else {
        return Err(TransferError::NoTable { table: name });
    };
    check_owner(stack, import, owner)?;
    let tagged = clients
        .dynamodb
        .tag_resource()
        .resource_arn(&live.arn)
        .set_tags(Some(tags(&stack.name, &spec.tags)?))
        .send()
        .await
        .absent_ok("dynamodb:TagResource")?;
    if tagged.is_none() {
        return Err(TransferError::NoTable { table: name });
    }
    crate::live::read_table(clients, &name)
        .await?
        .map(|(table, _)| table)
        .ok_or(TransferError::NoTable { table: name })
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::Client;
    use aws_sdk_dynamodb::operation::describe_import::DescribeImportOutput;
    use aws_smithy_mocks::mock;

    use super::*;

    fn described(status: ImportStatus, processed: i64, errors: i64) -> DescribeImportOutput {
        DescribeImportOutput::builder()
            .import_table_description(
                ImportTableDescription::builder()
                    .import_arn(
                        "arn:aws:dynamodb:us-east-1:123456789012:table/shop-orders/import/01",
                    )
                    .table_arn("arn:aws:dynamodb:us-east-1:123456789012:table/shop-orders")
                    .import_status(status)
                    .processed_item_count(processed)
                    .imported_item_count(processed - errors)
                    .error_count(errors)
                    .cloud_watch_log_group_arn(
                        "arn:aws:logs:us-east-1:123456789012:log-group:/aws-dynamodb/imports",
                    )
                    .build(),
            )
            .build()
    }

    #[tokio::test(start_paused = true)]
    async fn reports_progress_and_a_partly_failed_import() {
        let describe = mock!(Client::describe_import)
            .sequence()
            .output(|| described(ImportStatus::InProgress, 0, 0))
            .output(|| described(ImportStatus::InProgress, 0, 0))
            .output(|| described(ImportStatus::InProgress, 100, 0))
            .output(|| described(ImportStatus::Completed, 200, 2))
            .build();
        let clients = Clients::answering(&[&describe]);
        let mut statuses = Vec::new();

        let info = wait(&clients, "arn", |s| statuses.push(s.to_string()))
            .await
            .unwrap();

        assert_eq!(
            statuses,
            ["IN_PROGRESS", "IN_PROGRESS, 100 items processed"]
        );
        assert!(info.completed());
        assert!(!info.clean(), "two items were left out");
        assert_eq!((info.processed_items, info.imported_items), (200, 198));
        assert_eq!(info.table, "shop-orders");
        assert!(info.log_group.is_some());
    }
}
