//! Where the data of an import is: an export's folder (its manifest says the format) or a
//! plain prefix of data files, and how they are compressed.

use serde::Deserialize;

use super::{S3Url, TransferError, check_bucket};
use crate::aws::{AwsError, CallResult, Clients, describe, invalid_request};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    DynamodbJson,
    Ion,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Zstd,
    None,
}

/// Where the data is and how it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub bucket: String,
    /// Every object under it is imported.
    pub key_prefix: String,
    pub format: DataFormat,
    pub compression: Compression,
    /// The export folder, when the data is an export.
    pub export: Option<String>,
}

impl Source {
    pub fn url(&self) -> String {
        S3Url::new(&self.bucket, &self.key_prefix).to_string()
    }
}

/// What the caller said about the data; an export's manifest says it for itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct SourceHints {
    pub format: Option<DataFormat>,
    pub compression: Option<Compression>,
}

/// The fields of an export's `manifest-summary.json` that matter here.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ManifestSummary {
    output_format: Option<String>,
    export_type: Option<String>,
}

/// Finds the data under `url`: an export (its manifest, its folder, or the prefix export-table
/// wrote one export under) or a plain prefix of data files.
pub async fn resolve_source(
    clients: &Clients,
    url: &S3Url,
    hints: SourceHints,
    bucket_owner: Option<&str>,
) -> Result<Source, TransferError> {
    check_bucket(clients, &url.bucket, bucket_owner).await?;
    let folder = match url.folder().strip_suffix("manifest-summary.json") {
        Some(parent) => S3Url::new(&url.bucket, parent),
        None => S3Url::new(&url.bucket, url.folder()),
    };
    if let Some(source) = export_source(clients, &folder, bucket_owner).await? {
        return Ok(source);
    }
    // The prefix export-table wrote to (or its AWSDynamoDB folder), with one export under it.
    let exports = match folder.folder().strip_suffix("AWSDynamoDB") {
        Some(parent) if parent.is_empty() || parent.ends_with('/') => {
            super::export::export_folders(clients, &folder.bucket, parent).await?
        }
        _ => super::export::export_folders(clients, &folder.bucket, folder.folder()).await?,
    };
    match exports.len() {
        0 => {}
        1 => {
            let only = S3Url::new(
                &folder.bucket,
                exports.first().expect("one folder").as_str(),
            );
            if let Some(source) = export_source(clients, &only, bucket_owner).await? {
                return Ok(source);
            }
        }
        count => {
            return Err(TransferError::SeveralExports {
                url: url.to_string(),
                count,
                choices: exports
                    .iter()
                    .map(|f| format!("  {}", S3Url::new(&folder.bucket, f.as_str())))
                    .collect::<Vec<_>>()
                    .join("\n"),
            });
        }
    }
    let prefix = if folder.folder().is_empty() {
        String::new()
    } else {
        format!("{}/", folder.folder())
    };
    let Some(first) = first_key(clients, &folder.bucket, &prefix, bucket_owner).await? else {
        return Err(TransferError::NoData {
            url: url.to_string(),
        });
    };
    Ok(Source {
        bucket: folder.bucket.clone(),
        key_prefix: prefix,
        format: hints.format.unwrap_or(DataFormat::DynamodbJson),
        compression: hints.compression.unwrap_or_else(|| compression_of(&first)),
        export: None,
    })
}

/// An export folder: its manifest says the format; without one (emulators write none), a
/// `data/` folder of gzip DynamoDB JSON is one too.
async fn export_source(
    clients: &Clients,
    folder: &S3Url,
    bucket_owner: Option<&str>,
) -> Result<Option<Source>, TransferError> {
    let manifest_url = folder.child("manifest-summary.json");
    let data = folder.child("data/");
    let source = |format| Source {
        bucket: folder.bucket.clone(),
        key_prefix: data.key.clone(),
        format,
        compression: Compression::Gzip,
        export: Some(folder.to_string()),
    };
    let got = clients
        .s3
        .get_object()
        .bucket(&folder.bucket)
        .key(&manifest_url.key)
        .set_expected_bucket_owner(bucket_owner.map(str::to_string))
        .send()
        .await;
    match got {
        Ok(object) => {
            let bytes = object
                .body
                .collect()
                .await
                .map_err(|e| invalid_request("s3:GetObject", e))?
                .into_bytes();
            let manifest: ManifestSummary =
                serde_json::from_slice(&bytes).map_err(|e| TransferError::BadManifest {
                    url: manifest_url.to_string(),
                    reason: e.to_string(),
                })?;
            if manifest.export_type.as_deref() == Some("INCREMENTAL_EXPORT") {
                return Err(TransferError::IncrementalSource {
                    url: folder.to_string(),
                });
            }
            let format = match manifest.output_format.as_deref() {
                None | Some("DYNAMODB_JSON") => DataFormat::DynamodbJson,
                Some("ION") => DataFormat::Ion,
                Some(other) => {
                    return Err(TransferError::BadManifest {
                        url: manifest_url.to_string(),
                        reason: format!("unknown outputFormat {other}"),
                    });
                }
            };
            Ok(Some(source(format)))
        }
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {
            Ok(first_key(clients, &folder.bucket, &data.key, bucket_owner)
                .await?
                .map(|_| source(DataFormat::DynamodbJson)))
        }
        Err(e) => Err(describe("s3:GetObject", e).into()),
    }
}

async fn first_key(
    clients: &Clients,
    bucket: &str,
    prefix: &str,
    bucket_owner: Option<&str>,
) -> Result<Option<String>, AwsError> {
    let out = clients
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .max_keys(1)
        .set_expected_bucket_owner(bucket_owner.map(str::to_string))
        .send()
        .await
        .op("s3:ListObjectsV2")?;
    Ok(out
        .contents()
        .first()
        .and_then(|o| o.key())
        .map(str::to_string))
}

fn compression_of(key: &str) -> Compression {
    if key.ends_with(".gz") {
        Compression::Gzip
    } else if key.ends_with(".zst") || key.ends_with(".zstd") {
        Compression::Zstd
    } else {
        Compression::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_comes_from_the_file_names() {
        assert_eq!(compression_of("seed/part-0001.json.gz"), Compression::Gzip);
        assert_eq!(compression_of("seed/part.zst"), Compression::Zstd);
        assert_eq!(compression_of("seed/part.csv"), Compression::None);
    }
}
