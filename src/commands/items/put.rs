//! `stackctl items put`: every item checked first (nothing is written when one is invalid),
//! then defaults and timestamps filled in, then written in batches.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use miette::Result;

use super::{Target, count, lines};
use crate::aws::Clients;
use crate::cli::{AwsArgs, PutArgs};
use crate::commands::ExitStatus;
use crate::items::{keys, read, write};
use crate::output::{Printer, Stream, errln, outln};
use crate::schema::{Auto, Item, Rule, Violation, dynamodb_violations, item_from_json};

/// Problems shown one by one; past this, only counted.
const SHOWN: usize = 50;

pub async fn run(args: &PutArgs, aws: &AwsArgs, printer: Printer) -> Result<ExitStatus> {
    let target = Target::read(&args.table)?;
    let read = lines::read(args.items_file.as_deref(), args.item.as_deref())?;
    let total = read.lines.len() + read.problems.len();
    if total == 0 {
        outln!("No items in {}; nothing was written.", read.source);
        return Ok(ExitStatus::Success);
    }
    let mut report = Report {
        broken: read.problems.len(),
        ..Report::default()
    };
    if !read.problems.is_empty() {
        report.by_rule.insert("not JSON", read.problems.len());
    }
    report.problems = read.problems;
    let (mut items, ats) = checked(&target, read.lines, &mut report);
    if !report.problems.is_empty() {
        return refuse(&target, report, total);
    }
    if target.spec.items.is_none() {
        errln!(
            "note: table {} declares no item schema ([tables.{}.items]): only its keys and DynamoDB's limits were checked",
            target.spec.logical,
            target.spec.logical
        );
    }
    if args.dry_run {
        outln!(
            "{} valid for table {}; nothing was written (--dry-run).",
            count(items.len(), "item is", "items are"),
            target.spec.logical
        );
        return Ok(ExitStatus::Success);
    }
    let clients = target.clients(aws).await?;
    stamp(&clients, &target, &mut items, usize::from(args.parallel))
        .await
        .map_err(|e| target.explain(e))?;
    let summary = write(&clients, &target, items, args.parallel, printer)
        .await
        .map_err(|e| not_all_written(&target, e, &ats))?;
    outln!(
        "Wrote {} to {} in {:.1} s ({}, {} retried).",
        count(summary.written, "item", "items"),
        target.physical,
        summary.elapsed.as_secs_f64(),
        count(summary.calls, "BatchWriteItem call", "BatchWriteItem calls"),
        count(summary.retried, "item", "items"),
    );
    Ok(ExitStatus::Success)
}

/// Writes the items with BatchWriteItem, a progress bar on a terminal.
async fn write(
    clients: &Clients,
    target: &Target,
    items: Vec<Item>,
    parallel: u16,
    printer: Printer,
) -> Result<write::WriteSummary, write::WriteError> {
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
    let bar = progress(printer, requests.len());
    let written = write::write_all(
        clients,
        &target.physical,
        requests,
        usize::from(parallel),
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
    written
}

/// A write that stopped: how many items were written, and the lines of those that were not.
fn not_all_written(target: &Target, e: write::WriteError, ats: &[String]) -> miette::Report {
    let named = |positions: &[usize]| -> String {
        let mut shown: Vec<&str> = positions
            .iter()
            .take(10)
            .map(|&p| ats[p].as_str())
            .collect();
        let more = positions.len().saturating_sub(shown.len());
        let more = format!("and {more} more");
        if positions.len() > 10 {
            shown.push(&more);
        }
        shown.join(", ")
    };
    let mut help = format!(
        "{} of {} were written to {} before the error",
        e.written,
        count(e.total, "item", "items"),
        target.physical
    );
    if !e.not_written.is_empty() {
        help.push_str(&format!(
            "; not written: {} ({})",
            count(e.not_written.len(), "item", "items"),
            named(&e.not_written)
        ));
    }
    if !e.unknown.is_empty() {
        help.push_str(&format!(
            "; perhaps written (the call got no answer): {} ({})",
            count(e.unknown.len(), "item", "items"),
            named(&e.unknown)
        ));
    }
    help.push_str("; putting the file again after the fix is safe (a put replaces an item)");
    let error = target.explain(e.error);
    if let Some(first) = error.help() {
        help = format!("{first}; {help}");
    }
    miette::miette!(help = help, "{error}")
}

/// The problems of a put: `file:line: path: message`, counted by rule, and how many items
/// have one.
#[derive(Default)]
struct Report {
    problems: Vec<(usize, String)>,
    by_rule: BTreeMap<&'static str, usize>,
    broken: usize,
}

/// The items converted, with defaults, each checked against DynamoDB's limits, the table's
/// keys and the schema (every problem of an item, one per path), with where each came from.
fn checked(
    target: &Target,
    lines: Vec<lines::Line>,
    report: &mut Report,
) -> (Vec<Item>, Vec<String>) {
    let schema = target.spec.items.as_ref();
    let mut seen: HashMap<String, String> = HashMap::new();
    let (mut items, mut ats) = (Vec::with_capacity(lines.len()), Vec::new());
    for line in lines {
        let (mut item, mut violations) = item_from_json(&line.json, schema);
        add(&mut violations, keys::key_violations(&target.spec, &item));
        if let Some(schema) = schema {
            schema.fill_defaults(&mut item);
            add(&mut violations, schema.check(&item));
        }
        add(&mut violations, dynamodb_violations(&item));
        if violations.is_empty() {
            let key = keys::key_text(&target.spec, &item);
            if let Some(first) = seen.insert(key.clone(), line.at.clone()) {
                violations.push(Violation::new(
                    "",
                    Rule::DuplicateKey,
                    format!("key {key} is also the key of {first}"),
                ));
            }
        }
        if violations.is_empty() {
            items.push(item);
            ats.push(line.at);
            continue;
        }
        report.broken += 1;
        for v in &violations {
            *report.by_rule.entry(v.rule.as_str()).or_default() += 1;
            report
                .problems
                .push((line.number, format!("{}: {v}", line.at)));
        }
    }
    (items, ats)
}

/// Adds the violations `more` at paths `found` has none at: a value that could not be
/// converted is also missing, one problem rather than two.
fn add(found: &mut Vec<Violation>, more: Vec<Violation>) {
    for v in more {
        if !found.iter().any(|f| f.path == v.path && !f.path.is_empty()) {
            found.push(v);
        }
    }
}

fn refuse(target: &Target, mut report: Report, total: usize) -> Result<ExitStatus> {
    report.problems.sort_by_key(|(line, _)| *line);
    for (_, problem) in report.problems.iter().take(SHOWN) {
        errln!("{problem}");
    }
    if report.problems.len() > SHOWN {
        errln!("... and {} more problems", report.problems.len() - SHOWN);
    }
    let counts: Vec<String> = report
        .by_rule
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(rule, n)| format!("{rule}: {n}"))
        .collect();
    miette::bail!(
        help = "fix the items (or the schema in the stack file) and put them again; --dry-run checks without writing",
        "{} in {} of {} for table {} ({}); nothing was written",
        count(report.problems.len(), "problem", "problems"),
        report.broken,
        count(total, "item", "items"),
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
) -> Result<(), crate::aws::AwsError> {
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
    printer.spinners(Stream::Stderr).then(|| {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} items ({elapsed})")
                .expect("valid template"),
        );
        bar
    })
}
