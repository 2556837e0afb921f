//! `stackctl items put`: every item checked first (nothing is written when one is invalid),
//! then defaults and timestamps filled in, then written in batches.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use miette::Result;

use super::{Target, lines};
use crate::aws::Clients;
use crate::cli::{AwsArgs, PutArgs};
use crate::commands::ExitStatus;
use crate::items::{keys, read, write};
use crate::output::{Printer, Stream, errln, outln};
use crate::schema::{Auto, Item, Rule, item_from_json};

/// Problems shown one by one; past this, only counted.
const SHOWN: usize = 50;

pub async fn run(args: &PutArgs, aws: &AwsArgs, printer: Printer) -> Result<ExitStatus> {
    let target = Target::read(&args.table)?;
    let (lines, mut problems) = lines::read(args.items_file.as_deref(), args.item.as_deref())?;
    let total = lines.len() + problems.len();
    let (mut items, mut by_rule) = checked(&target, lines, &mut problems);
    if !problems.is_empty() {
        *by_rule.entry("not JSON").or_default() += problems.len() - by_rule.values().sum::<usize>();
        return refuse(&target, &mut problems, &by_rule, total);
    }
    if target.spec.items.is_none() {
        errln!(
            "note: table {} declares no item schema ([tables.{}.items]): only its keys were checked",
            target.spec.logical,
            target.spec.logical
        );
    }
    if args.dry_run {
        outln!(
            "{} items are valid for table {}; nothing was written (--dry-run).",
            items.len(),
            target.spec.logical
        );
        return Ok(ExitStatus::Success);
    }
    let clients = target.clients(aws).await?;
    stamp(&clients, &target, &mut items, usize::from(args.parallel)).await?;
    let requests: Vec<WriteRequest> = items
        .into_iter()
        .map(|item| {
            WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .expect("an item"),
                )
                .build()
        })
        .collect();
    let total = requests.len();
    let bar = progress(printer, total);
    let written = write::write_all(
        &clients,
        &target.physical,
        requests,
        usize::from(args.parallel),
        &|done| {
            if let Some(bar) = &bar {
                bar.set_position(done as u64);
            }
        },
    )
    .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let summary = written?;
    outln!(
        "Wrote {} items to {} in {:.1} s ({} BatchWriteItem calls, {} items retried).",
        summary.written,
        target.physical,
        summary.elapsed.as_secs_f64(),
        summary.calls,
        summary.retried
    );
    Ok(ExitStatus::Success)
}

/// The items converted, with defaults, each checked against the schema and the table's keys;
/// problems (`file:line: path: message`) and their count by rule.
fn checked(
    target: &Target,
    lines: Vec<lines::Line>,
    problems: &mut Vec<(usize, String)>,
) -> (Vec<Item>, BTreeMap<&'static str, usize>) {
    let schema = target.spec.items.as_ref();
    let mut by_rule: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut items = Vec::with_capacity(lines.len());
    for line in lines {
        let mut item = match item_from_json(&line.json, schema) {
            Ok(item) => item,
            Err(v) => {
                *by_rule.entry(v.rule.as_str()).or_default() += 1;
                problems.push((line.number, format!("{}: {v}", line.at)));
                continue;
            }
        };
        let mut violations = keys::key_violations(&target.spec, &item);
        if let Some(schema) = schema {
            schema.fill_defaults(&mut item);
            let more: Vec<_> = schema
                .check(&item)
                .into_iter()
                .filter(|v| !violations.iter().any(|k| k.path == v.path))
                .collect();
            violations.extend(more);
        }
        if violations.is_empty() {
            let key = keys::key_text(&target.spec, &item);
            if let Some(first) = seen.insert(key.clone(), line.at.clone()) {
                violations.push(crate::schema::Violation::new(
                    "",
                    Rule::DuplicateKey,
                    format!("key {key} is also the key of {first}"),
                ));
            }
        }
        for v in &violations {
            *by_rule.entry(v.rule.as_str()).or_default() += 1;
            problems.push((line.number, format!("{}: {v}", line.at)));
        }
        if violations.is_empty() {
            items.push(item);
        }
    }
    (items, by_rule)
}

fn refuse(
    target: &Target,
    problems: &mut [(usize, String)],
    by_rule: &BTreeMap<&str, usize>,
    total: usize,
) -> Result<ExitStatus> {
    problems.sort_by_key(|(line, _)| *line);
    for (_, problem) in problems.iter().take(SHOWN) {
        errln!("{problem}");
    }
    if problems.len() > SHOWN {
        errln!("... and {} more problems", problems.len() - SHOWN);
    }
    let counts: Vec<String> = by_rule
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(rule, n)| format!("{rule}: {n}"))
        .collect();
    miette::bail!(
        help = "fix the items (or the schema in the stack file) and put them again; --dry-run checks without writing",
        "{} problems in {total} items for table {} ({}); nothing was written",
        problems.len(),
        target.spec.logical,
        counts.join(", ")
    )
}

/// Sets the `auto` timestamps; creation times of items that exist are read and kept.
async fn stamp(
    clients: &Clients,
    target: &Target,
    items: &mut [Item],
    parallel: usize,
) -> Result<()> {
    let Some(schema) = &target.spec.items else {
        return Ok(());
    };
    if items.is_empty() {
        return Ok(());
    }
    let mut before: HashMap<String, Item> = HashMap::new();
    if schema.keeps_creation_times() {
        let keys: Vec<Item> = items
            .iter()
            .map(|i| keys::key_of(&target.spec, i))
            .collect();
        let mut attributes: Vec<String> =
            keys::key_of(&target.spec, &items[0]).into_keys().collect();
        attributes.extend(schema.auto_fields(Auto::Create).map(|f| f.name.clone()));
        for stored in read::stored(clients, &target.physical, keys, &attributes, parallel).await? {
            before.insert(keys::key_text(&target.spec, &stored), stored);
        }
    }
    let now = SystemTime::now();
    for item in items.iter_mut() {
        let stored = before.get(&keys::key_text(&target.spec, item));
        schema.stamp(item, now, stored);
    }
    Ok(())
}

/// A progress bar on a terminal's standard error; nothing elsewhere.
fn progress(printer: Printer, total: usize) -> Option<ProgressBar> {
    printer.color(Stream::Stderr).then(|| {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} items ({elapsed})")
                .expect("valid template"),
        );
        bar
    })
}
