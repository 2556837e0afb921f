//! `stackctl items delete`: by one key or a file of keys, after a confirmation.

use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
use miette::Result;

use super::{Target, lines};
use crate::cli::{AwsArgs, DeleteArgs};
use crate::commands::{ExitStatus, can_confirm, confirm};
use crate::items::{keys, write};
use crate::output::{Printer, errln, outln};
use crate::schema::{Item, item_from_json};

pub async fn run(args: &DeleteArgs, aws: &AwsArgs, printer: Printer) -> Result<ExitStatus> {
    let target = Target::read(&args.table)?;
    let keys = match &args.key {
        Some(key) => vec![keys::primary_key(&target.spec, key)?],
        None => keys_of_file(&target, args)?,
    };
    can_confirm(args.yes, printer)?;
    let question = format!(
        "Delete {} items from table {}?",
        keys.len(),
        target.physical
    );
    if !confirm(&question, args.yes, printer).await? {
        errln!("Nothing was deleted.");
        return Ok(ExitStatus::Failure);
    }
    let clients = target.clients(aws).await?;
    let requests = keys
        .into_iter()
        .map(|key| {
            WriteRequest::builder()
                .delete_request(
                    DeleteRequest::builder()
                        .set_key(Some(key))
                        .build()
                        .expect("a key"),
                )
                .build()
        })
        .collect();
    let summary = write::write_all(
        &clients,
        &target.physical,
        requests,
        write::DEFAULT_PARALLEL,
        &|_| {},
    )
    .await?;
    outln!(
        "Deleted {} items from {} in {:.1} s.",
        summary.written,
        target.physical,
        summary.elapsed.as_secs_f64()
    );
    Ok(ExitStatus::Success)
}

/// The keys of the file's lines (keys or whole items): each must have the table's whole key.
fn keys_of_file(target: &Target, args: &DeleteArgs) -> Result<Vec<Item>> {
    let (lines, mut problems) = lines::read(args.keys_file.as_deref(), None)?;
    let mut keys = Vec::new();
    for line in lines {
        let item = match item_from_json(&line.json, None) {
            Ok(item) => keys::key_of(&target.spec, &item),
            Err(v) => {
                problems.push((line.number, format!("{}: {v}", line.at)));
                continue;
            }
        };
        let violations = keys::key_violations(&target.spec, &item);
        problems.extend(
            violations
                .iter()
                .map(|v| (line.number, format!("{}: {v}", line.at))),
        );
        if violations.is_empty() {
            keys.push(item);
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|(line, _)| *line);
        for (_, problem) in &problems {
            errln!("{problem}");
        }
        miette::bail!(
            "{} problems in the keys; nothing was deleted",
            problems.len()
        );
    }
    Ok(keys)
}
