//! `stackctl items delete`: by one key or a file of keys, after a confirmation.

use std::collections::HashSet;

use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
use miette::Result;

use super::{Target, count, lines};
use crate::cli::{AwsArgs, DeleteArgs};
use crate::commands::{ExitStatus, can_confirm, confirm};
use crate::items::{keys, write};
use crate::output::{Printer, errln, outln};
use crate::schema::{Item, item_from_json};

pub async fn run(args: &DeleteArgs, aws: &AwsArgs, printer: Printer) -> Result<ExitStatus> {
    let target = Target::read(&args.table)?;
    let (keys, repeated) = match &args.key {
        Some(key) => (vec![keys::primary_key(&target.spec, key)?], 0),
        None => keys_of_file(&target, args)?,
    };
    if keys.is_empty() {
        outln!("No keys in the file; nothing was deleted.");
        return Ok(ExitStatus::Success);
    }
    can_confirm(args.yes, printer)?;
    let question = format!(
        "Delete {} from table {}?",
        count(keys.len(), "item", "items"),
        target.physical
    );
    if !confirm(&question, args.yes, printer).await? {
        errln!("Nothing was deleted.");
        return Ok(ExitStatus::Failure);
    }
    let clients = target.clients(aws).await?;
    if let (Some(text), [key]) = (&args.key, &keys[..]) {
        let existed = write::delete_one(&clients, &target.physical, key.clone())
            .await
            .map_err(|e| target.explain(e))?;
        match existed {
            true => outln!("Deleted the item {text} from {}.", target.physical),
            false => outln!(
                "Table {} has no item {text}; nothing was deleted.",
                target.physical
            ),
        }
        return Ok(ExitStatus::Success);
    }
    delete_all(&clients, &target, keys, repeated).await
}

/// BatchWriteItem delete requests for `keys`: DynamoDB does not say which items existed.
async fn delete_all(
    clients: &crate::aws::Clients,
    target: &Target,
    keys: Vec<Item>,
    repeated: usize,
) -> Result<ExitStatus> {
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
        clients,
        &target.physical,
        requests,
        write::DEFAULT_PARALLEL,
        &|_| {},
    )
    .await
    .map_err(|e| {
        let help = e.help.clone();
        miette::miette!(help = help, "{}", target.explain(e.error))
    })?;
    let repeated = match repeated {
        0 => String::new(),
        n => format!(
            "; {} in the file more than once, sent once",
            count(n, "key was", "keys were")
        ),
    };
    outln!(
        "Sent {} to {} in {:.1} s: none of those keys is in the table now (DynamoDB does not say which existed){repeated}.",
        count(summary.written, "delete request", "delete requests"),
        target.physical,
        summary.elapsed.as_secs_f64()
    );
    Ok(ExitStatus::Success)
}

/// The distinct keys of the file's lines (keys or whole items: each must have the table's
/// whole key), and how many lines repeated a key.
fn keys_of_file(target: &Target, args: &DeleteArgs) -> Result<(Vec<Item>, usize)> {
    let read = lines::read(args.keys_file.as_deref(), None)?;
    let mut problems = read.problems;
    let (mut keys, mut seen, mut repeated) = (Vec::new(), HashSet::new(), 0);
    for line in read.lines {
        let (item, converted) = item_from_json(&line.json, None);
        let key = keys::key_of(&target.spec, &item);
        let mut violations = converted;
        for v in keys::key_violations(&target.spec, &key) {
            if !violations.iter().any(|c| c.path == v.path) {
                violations.push(v);
            }
        }
        problems.extend(
            violations
                .iter()
                .map(|v| (line.number, format!("{}: {v}", line.at))),
        );
        if violations.is_empty() && !seen.insert(keys::key_text(&target.spec, &key)) {
            repeated += 1;
        } else if violations.is_empty() {
            keys.push(key);
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|(line, _)| *line);
        for (_, problem) in &problems {
            errln!("{problem}");
        }
        miette::bail!(
            "{} in the keys; nothing was deleted",
            count(problems.len(), "problem", "problems")
        );
    }
    Ok((keys, repeated))
}
