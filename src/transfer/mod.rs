//! Moving table data to S3 and back: DynamoDB exports and imports, and finding an export's
//! data in S3. The engine side only: it returns what happened, the commands show it.

pub mod export;
pub mod import;
mod source;
pub mod validate;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use crate::aws::{AwsError, Clients, describe};

/// Exports usually finish in minutes; large tables take hours.
pub const EXPORT_TIMEOUT: Duration = Duration::from_secs(12 * 60 * 60);
/// AWS says imports of large data can take hours.
pub const IMPORT_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum TransferError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Aws(#[from] AwsError),

    #[error("table {table} does not exist")]
    #[diagnostic(help("run stackctl apply to create it, or check --region"))]
    NoTable { table: String },

    #[error("point-in-time recovery is off for table {table}; exports read from it")]
    #[diagnostic(help(
        "set point_in_time_recovery = true under [tables.{logical}] and run stackctl apply, then export again"
    ))]
    PitrOff { table: String, logical: String },

    #[error("S3 bucket {bucket} does not exist")]
    #[diagnostic(help("create it in {region}, or pass an existing bucket"))]
    NoBucket { bucket: String, region: String },

    #[error("S3 bucket {bucket} is in {bucket_region}, the table in {region}")]
    #[diagnostic(help(
        "use a bucket in {region}, or pass --region {bucket_region} if the table is there"
    ))]
    BucketRegion {
        bucket: String,
        bucket_region: String,
        region: String,
    },

    #[error("table {table} already exists{}", owner_text(owner))]
    #[diagnostic(help(
        "import-table creates a new table and never writes into an existing one; remove the table first, or import into another stack or environment"
    ))]
    TableExists {
        table: String,
        owner: Option<String>,
    },

    #[error(
        "table {logical} declares local indexes, which ImportTable cannot create (and none can be added later)"
    )]
    #[diagnostic(help(
        "import into a table without local_indexes, or copy the data with your own loader into a table created by stackctl apply"
    ))]
    LocalIndexes { logical: String },

    #[error("found no data to import under {url}")]
    #[diagnostic(help(
        "pass the manifest URL or folder export-table printed (…/AWSDynamoDB/<id>/), or a prefix that holds data files"
    ))]
    NoData { url: String },

    #[error("{url} holds {count} exports; pick one")]
    #[diagnostic(help("pass one of:\n{choices}"))]
    SeveralExports {
        url: String,
        count: usize,
        choices: String,
    },

    #[error("{url} is an incremental export, which ImportTable cannot load")]
    #[diagnostic(help("import a full export (export-table without --incremental)"))]
    IncrementalSource { url: String },

    #[error("{url}: {reason}")]
    #[diagnostic(help("read the manifest with `aws s3 cp {url} -`; export-table writes it"))]
    BadManifest { url: String, reason: String },

    #[error("import {arn} loads table {found}, not {table}")]
    #[diagnostic(help("pass the import ARN that import-table printed for this table"))]
    OtherImport {
        arn: String,
        found: String,
        table: String,
    },

    #[error("table {table} is managed by stack {owner:?}; import-table left it untouched")]
    #[diagnostic(help(
        "an import finishes only into a table of this stack; resume it with the stack file of stack {owner:?}"
    ))]
    NotOwned { table: String, owner: String },

    #[error(
        "import {arn} was not started by stackctl for stack {stack}, and table {table} is managed by no stackctl stack; import-table left it untouched"
    )]
    #[diagnostic(help(
        "if the import and its table are this stack's, tag the table and resume again: aws dynamodb tag-resource --resource-arn {table_arn} --tags Key=stackctl:stack,Value={stack}; otherwise delete the table, or import with stackctl import-table --from"
    ))]
    NotThisStacksImport {
        arn: String,
        table: String,
        table_arn: String,
        stack: String,
    },

    #[error(
        "the imported table {table} differs from the stack file where only a replacement could fix it: {what}"
    )]
    #[diagnostic(help(
        "nothing was changed; the data stays. Run stackctl plan to see the difference"
    ))]
    ImportedTableDiffers { table: String, what: String },

    #[error("--validate reads DynamoDB JSON data, plain or gzip; {url} is not")]
    #[diagnostic(help("import without --validate, or export the data as DynamoDB JSON"))]
    CannotValidate { url: String },

    #[error(
        "{broken} of {items} items in {url} break the schema of table {logical} ({counts}); ImportTable was not started"
    )]
    #[diagnostic(help("the first problems:\n{first}"))]
    InvalidData {
        url: String,
        logical: String,
        items: usize,
        broken: usize,
        counts: String,
        first: String,
    },
}

fn owner_text(owner: &Option<String>) -> String {
    match owner {
        Some(stack) => format!(" (managed by stack {stack:?})"),
        None => " (managed by no stackctl stack)".to_string(),
    }
}

/// `s3://bucket/key/prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    /// Without a leading slash; empty for the whole bucket.
    pub key: String,
}

impl S3Url {
    pub fn new(bucket: impl Into<String>, key: impl Into<String>) -> Self {
        S3Url {
            bucket: bucket.into(),
            key: key.into().trim_start_matches('/').to_string(),
        }
    }

    /// The key as a folder: no trailing slash.
    pub fn folder(&self) -> &str {
        self.key.trim_end_matches('/')
    }

    /// `folder/name` (or `name` at the bucket's root).
    pub fn child(&self, name: &str) -> S3Url {
        let folder = self.folder();
        let key = if folder.is_empty() {
            name.to_string()
        } else {
            format!("{folder}/{name}")
        };
        S3Url::new(&self.bucket, key)
    }
}

impl FromStr for S3Url {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s
            .strip_prefix("s3://")
            .ok_or_else(|| format!("'{s}' is not an S3 URL: expected s3://BUCKET/PREFIX"))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!(
                "'{s}' names no bucket: expected s3://BUCKET/PREFIX"
            ));
        }
        parse_bucket(bucket)?;
        Ok(S3Url::new(bucket, key))
    }
}

impl fmt::Display for S3Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// A bucket name on the command line, checked against S3's naming rules before any request
/// (see [`crate::stack::is_bucket_name`]).
pub fn parse_bucket(s: &str) -> Result<String, String> {
    if crate::stack::is_bucket_name(s, crate::stack::MAX_TRANSFER_BUCKET) {
        return Ok(s.to_string());
    }
    Err(format!(
        "'{s}' is not an S3 bucket name: bucket names have letters, digits, '.', '_' and '-', and begin and end with a letter or digit"
    ))
}

/// An account ID on the command line (`--bucket-owner`): 12 digits.
pub fn parse_account(s: &str) -> Result<String, String> {
    if crate::stack::is_account_id(s) {
        return Ok(s.to_string());
    }
    Err(format!(
        "'{s}' is not an AWS account ID: write the 12 digits, like 123456789012"
    ))
}

/// A time on the command line: RFC 3339 (`2026-11-24T10:00:00Z`) or seconds since the epoch.
pub fn parse_time(s: &str) -> Result<DateTime, String> {
    if let Ok(seconds) = s.parse::<i64>() {
        return Ok(DateTime::from_secs(seconds));
    }
    DateTime::from_str(s, Format::DateTime)
        .map_err(|_| format!("'{s}' is not a time: use RFC 3339, like 2026-11-24T10:00:00Z"))
}

/// The table's name in a table ARN, or in the ARN of something under it (`…:table/T/export/ID`).
pub fn table_of(arn: Option<&str>) -> String {
    arn.and_then(|arn| arn.rsplit_once(":table/"))
        .map(|(_, rest)| rest.split('/').next().unwrap_or(rest).to_string())
        .unwrap_or_default()
}

/// How an export or import (`job`) ended, as the command's error says it: `JOB ARN ended
/// STATUS: CODE: message` (the code and message where AWS gave them).
fn ended(job: &str, arn: &str, status: &str, code: Option<&str>, message: Option<&str>) -> String {
    let failure: String = [code, message]
        .into_iter()
        .flatten()
        .map(|part| format!(": {part}"))
        .collect();
    format!("{job} {arn} ended {status}{failure}")
}

pub fn format_time(t: &DateTime) -> String {
    t.fmt(Format::DateTime)
        .unwrap_or_else(|_| t.secs().to_string())
}

/// Checks that `bucket` exists and is in the clients' region. A bucket the credentials may
/// not look at (another account's) passes: DynamoDB then reports what it finds.
pub async fn check_bucket(
    clients: &Clients,
    bucket: &str,
    owner: Option<&str>,
) -> Result<(), TransferError> {
    let elsewhere = |bucket_region: &str| TransferError::BucketRegion {
        bucket: bucket.to_string(),
        bucket_region: bucket_region.to_string(),
        region: clients.region.clone(),
    };
    match clients
        .s3
        .head_bucket()
        .bucket(bucket)
        .set_expected_bucket_owner(owner.map(str::to_string))
        .send()
        .await
    {
        Ok(out) => match out.bucket_region() {
            Some(region) if region != clients.region => Err(elsewhere(region)),
            _ => Ok(()),
        },
        Err(err) => {
            let (status, region) = match err.raw_response() {
                Some(raw) => (
                    raw.status().as_u16(),
                    raw.headers().get("x-amz-bucket-region").map(str::to_string),
                ),
                None => (0, None),
            };
            match (status, region) {
                (404, _) => Err(TransferError::NoBucket {
                    bucket: bucket.to_string(),
                    region: clients.region.clone(),
                }),
                (301, Some(region)) => Err(elsewhere(&region)),
                (403, _) => Ok(()),
                _ => Err(describe("s3:HeadBucket", err).into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls() {
        let url: S3Url = "s3://exports/shop-orders/AWSDynamoDB/".parse().unwrap();
        assert_eq!(url.bucket, "exports");
        assert_eq!(url.folder(), "shop-orders/AWSDynamoDB");
        assert_eq!(
            url.child("data/").to_string(),
            "s3://exports/shop-orders/AWSDynamoDB/data/"
        );
        let root: S3Url = "s3://exports".parse().unwrap();
        assert_eq!(root.child("x").key, "x");
        assert!("exports/x".parse::<S3Url>().is_err());
        assert!("s3:///x".parse::<S3Url>().is_err());
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("1700000000").unwrap().secs(), 1_700_000_000);
        assert_eq!(
            format_time(&parse_time("2026-11-24T10:00:00Z").unwrap()),
            "2026-11-24T10:00:00Z"
        );
        assert!(parse_time("yesterday").is_err());
    }
}
