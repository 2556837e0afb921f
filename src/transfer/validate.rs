//! `import-table --validate`: the import's data read from S3 before ImportTable, every item
//! checked against the table's schema and keys.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};

use serde_json::Value;

use super::TransferError;
use super::source::{Compression, DataFormat, Source};
use crate::aws::{AwsError, CallResult, Clients, invalid_request};
use crate::items::keys;
use crate::schema::{
    Item, ItemSchema, Rule, Violation, dynamodb_violations, item_from_dynamodb_json,
};
use crate::stack::TableSpec;

/// The first two bytes of every gzip file (RFC 1952, section 2.3.1).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Violations listed in the refusal; past this, only counted.
const SHOWN: usize = 10;

/// What the data holds, checked.
#[derive(Debug, Default)]
pub struct DataCheck {
    pub files: usize,
    pub items: usize,
    /// Items that break the schema or the keys.
    pub broken: usize,
    pub by_rule: BTreeMap<&'static str, usize>,
    /// The first violations: `s3://bucket/key:LINE: pk=...: path: message`.
    pub first: Vec<String>,
}

/// Reads every data file of `source` (DynamoDB JSON, gzip or not) and checks each item.
///
/// # Errors
/// [`TransferError::CannotValidate`] for Ion, CSV or zstd data; AWS errors reading S3; a
/// file that cannot be decompressed.
pub async fn check_data(
    clients: &Clients,
    source: &Source,
    spec: &TableSpec,
    schema: &ItemSchema,
    bucket_owner: Option<&str>,
) -> Result<DataCheck, TransferError> {
    if source.format != DataFormat::DynamodbJson || source.compression == Compression::Zstd {
        return Err(TransferError::CannotValidate { url: source.url() });
    }
    let mut check = DataCheck::default();
    for key in data_keys(clients, source, bucket_owner).await? {
        let op = "s3:GetObject";
        let object = clients
            .s3
            .get_object()
            .bucket(&source.bucket)
            .key(&key)
            .set_expected_bucket_owner(bucket_owner.map(str::to_string))
            .send()
            .await
            .op(op)?;
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| invalid_request(op, e))?
            .into_bytes();
        let url = format!("s3://{}/{key}", source.bucket);
        let reader: Box<dyn Read> = match source.compression {
            Compression::Gzip if !bytes.starts_with(&GZIP_MAGIC) => {
                return Err(TransferError::Aws(invalid_request(
                    op,
                    format!(
                        "{url} is not gzip-compressed, but the import reads it as gzip: name data files .gz only when gzip-compressed, or pass --compression none (accepted: gzip, zstd or none; --validate reads gzip and none)"
                    ),
                )));
            }
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(&bytes[..])),
            _ => Box::new(&bytes[..]),
        };
        check.files += 1;
        for (i, line) in BufReader::new(reader).lines().enumerate() {
            let line =
                line.map_err(|e| TransferError::Aws(invalid_request(op, format!("{url}: {e}"))))?;
            if !line.trim().is_empty() {
                check.item(spec, schema, &format!("{url}:{}", i + 1), &line);
            }
        }
    }
    Ok(check)
}

impl DataCheck {
    fn item(&mut self, spec: &TableSpec, schema: &ItemSchema, at: &str, line: &str) {
        self.items += 1;
        let violations = match parse_item(line) {
            Err(v) => vec![v],
            Ok((item, mut found)) => {
                add(&mut found, dynamodb_violations(&item));
                add(&mut found, keys::key_violations(spec, &item));
                add(&mut found, schema.check(&item));
                found
                    .into_iter()
                    .map(|v| Violation {
                        message: format!("{}: {}", keys::key_text(spec, &item), v),
                        ..v
                    })
                    .collect()
            }
        };
        if violations.is_empty() {
            return;
        }
        self.broken += 1;
        for v in violations {
            *self.by_rule.entry(v.rule.as_str()).or_default() += 1;
            if self.first.len() < SHOWN {
                self.first.push(format!("{at}: {}", v.message));
            }
        }
    }
}

/// Adds the violations `more` at paths `found` has none at (a value that could not be read is
/// also missing: one problem, not two).
fn add(found: &mut Vec<Violation>, more: Vec<Violation>) {
    for v in more {
        if !found.iter().any(|f| f.path == v.path) {
            found.push(v);
        }
    }
}

/// One line of DynamoDB JSON data: `{"Item": {"pk": {"S": "..."}, ...}}`, with the problems
/// of its values.
fn parse_item(line: &str) -> Result<(Item, Vec<Violation>), Violation> {
    let bad = |why: String| Violation::new("", Rule::Type, why);
    let json: Value = serde_json::from_str(line).map_err(|e| bad(format!("not JSON: {e}")))?;
    let Some(Value::Object(attributes)) = json.get("Item") else {
        return Err(bad("not DynamoDB JSON: expected {\"Item\": {...}}".into()));
    };
    Ok(item_from_dynamodb_json(attributes))
}

/// Every object under the source's prefix, as ImportTable reads them.
async fn data_keys(
    clients: &Clients,
    source: &Source,
    bucket_owner: Option<&str>,
) -> Result<Vec<String>, AwsError> {
    let mut pages = clients
        .s3
        .list_objects_v2()
        .bucket(&source.bucket)
        .prefix(&source.key_prefix)
        .set_expected_bucket_owner(bucket_owner.map(str::to_string))
        .into_paginator()
        .send();
    let mut keys = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.op("s3:ListObjectsV2")?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key())
                .filter(|k| !k.ends_with('/'))
                .map(str::to_string),
        );
    }
    Ok(keys)
}
