//! `stackctl items check`: scans the table and reports every item that breaks its schema.

use std::collections::BTreeMap;

use futures::StreamExt;
use miette::Result;

use super::Target;
use crate::cli::{AwsArgs, CheckArgs};
use crate::commands::ExitStatus;
use crate::items::keys;
use crate::items::read::{self, ReadRequest};
use crate::output::outln;

/// Prints one line per violation (`pk=ORDER#1: total: -1 is below min 0`) and a summary
/// counted by rule; exit 1 when any item breaks the schema.
pub async fn run(args: &CheckArgs, aws: &AwsArgs) -> Result<ExitStatus> {
    let target = Target::read(&args.table)?;
    let Some(schema) = target.spec.items.clone() else {
        miette::bail!(
            help = format!(
                "declare what its items look like under [tables.{}.items]",
                target.spec.logical
            ),
            "table {} declares no item schema to check against",
            target.spec.logical
        );
    };
    let clients = target.clients(aws).await?;
    let request = ReadRequest {
        table: target.physical.clone(),
        ..ReadRequest::default()
    };
    let mut pages = read::pages(&clients, &request, args.segments);
    let (mut scanned, mut broken) = (0usize, 0usize);
    let mut by_rule: BTreeMap<&'static str, usize> = BTreeMap::new();
    while let Some(page) = pages.next().await {
        for item in page.map_err(|e| target.explain(e))? {
            scanned += 1;
            let violations = schema.check(&item);
            if violations.is_empty() {
                continue;
            }
            broken += 1;
            let key = keys::key_text(&target.spec, &item);
            for v in violations {
                *by_rule.entry(v.rule.as_str()).or_default() += 1;
                outln!("{key}: {v}");
            }
        }
    }
    if broken == 0 {
        outln!(
            "Checked {scanned} items of {}: every one follows the schema.",
            target.physical
        );
        return Ok(ExitStatus::Success);
    }
    let counts: Vec<String> = by_rule
        .iter()
        .map(|(rule, n)| format!("{rule}: {n}"))
        .collect();
    outln!(
        "Checked {scanned} items of {}: {broken} break the schema ({}).",
        target.physical,
        counts.join(", ")
    );
    Ok(ExitStatus::Failure)
}
