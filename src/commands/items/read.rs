//! `stackctl items get`, `query` and `scan`: keys, index, sort condition and filter checked
//! against the stack file first; pages printed as they come.

use futures::StreamExt;
use miette::Result;

use super::Target;
use super::view::ItemsView;
use crate::cli::{AwsArgs, GetArgs, QueryArgs, ReadArgs, ScanArgs};
use crate::commands::ExitStatus;
use crate::items::read::{self, ReadRequest};
use crate::items::{Expression, filter, keys};
use crate::output::errln;

pub async fn get(args: &GetArgs, aws: &AwsArgs) -> Result<ExitStatus> {
    let target = Target::read(&args.table)?;
    let key = keys::primary_key(&target.spec, &args.key)?;
    let clients = target.clients(aws).await?;
    match read::get(&clients, &target.physical, key)
        .await
        .map_err(|e| target.explain(e))?
    {
        Some(item) => {
            let mut view = ItemsView::new(args.output, &target.spec);
            view.item(&item);
            view.finish();
            Ok(ExitStatus::Success)
        }
        None => {
            errln!(
                "table {} has no item with key {}",
                target.physical,
                args.key
            );
            Ok(ExitStatus::Failure)
        }
    }
}

pub async fn query(args: &QueryArgs, aws: &AwsArgs) -> Result<ExitStatus> {
    let target = Target::read(&args.table)?;
    let schema = keys::key_schema(&target.spec, args.index.as_deref())?;
    let request = ReadRequest {
        table: target.physical.clone(),
        index: schema.index.clone(),
        key_condition: Some(keys::key_condition(
            &schema,
            &args.key,
            args.sort.as_deref(),
        )?),
        filter: read_filter(&args.read, &target)?,
    };
    stream(&target, &request, 1, &args.read, aws).await
}

pub async fn scan(args: &ScanArgs, aws: &AwsArgs) -> Result<ExitStatus> {
    let target = Target::read(&args.table)?;
    let index = match args.index.as_deref() {
        Some(name) => keys::key_schema(&target.spec, Some(name))?.index,
        None => None,
    };
    let request = ReadRequest {
        table: target.physical.clone(),
        index,
        key_condition: None,
        filter: read_filter(&args.read, &target)?,
    };
    stream(&target, &request, args.segments, &args.read, aws).await
}

/// Prints the read's items page by page, up to `--limit`.
async fn stream(
    target: &Target,
    request: &ReadRequest,
    segments: u32,
    args: &ReadArgs,
    aws: &AwsArgs,
) -> Result<ExitStatus> {
    let clients = target.clients(aws).await?;
    let mut view = ItemsView::new(args.output, &target.spec);
    let mut pages = read::pages(&clients, request, segments);
    let limit = args.limit.unwrap_or(usize::MAX);
    'pages: while let Some(page) = pages.next().await {
        for item in page.map_err(|e| target.explain(e))? {
            if view.count >= limit {
                break 'pages;
            }
            view.item(&item);
        }
    }
    view.finish();
    Ok(ExitStatus::Success)
}

/// `--filter`, checked against the table's item schema.
fn read_filter(read: &ReadArgs, target: &Target) -> Result<Option<Expression>> {
    let filter = read.filter.as_deref();
    let filter = filter.map(|f| filter::parse(f, target.spec.items.as_ref()));
    Ok(filter.transpose()?)
}
