//! `stackctl import-table`: a declared table created from data in S3, then given the
//! settings ImportTable cannot set, so that the next plan shows no changes.

use crate::output::outln;
use std::collections::BTreeMap;

use miette::Result;
use serde::Serialize;

use super::progress::{JobProgress, Progress};
use super::{ExitStatus, clients, declared_table, load_stack, print_json, until_interrupted};
use crate::apply;
use crate::aws::Clients;
use crate::cli::{AwsArgs, CompressionArg, ImportFormatArg, ImportTableArgs, OutputFormat};
use crate::live::LiveTable;
use crate::plan::{Action, Change, Plan};
use crate::stack::{Stack, TableSpec};
use crate::transfer::TransferError;
use crate::transfer::import::{self, Compression, DataFormat, ImportInfo, SourceHints};

/// What `--output json` prints.
#[derive(Serialize)]
struct Report<'a> {
    import: &'a ImportInfo,
    /// Settings applied after the import (`point_in_time_recovery`, `ttl_attribute`, ...).
    settings: Vec<String>,
}

pub async fn run(args: &ImportTableArgs, aws: &AwsArgs) -> Result<ExitStatus> {
    let stack = load_stack(&args.file)?;
    let spec = declared_table(&stack, &args.table, &args.file.file)?;
    let clients = clients(aws, &stack).await?;
    let owner = args.bucket_owner.as_deref();

    let started = match (&args.resume, &args.from) {
        (Some(arn), _) => import::check_resume(&clients, &stack, spec, arn).await?,
        (None, Some(from)) => {
            import::check_target(&clients, &stack, spec).await?;
            let hints = SourceHints {
                format: args.format.map(|f| match f {
                    ImportFormatArg::DynamodbJson => DataFormat::DynamodbJson,
                    ImportFormatArg::Ion => DataFormat::Ion,
                    ImportFormatArg::Csv => DataFormat::Csv,
                }),
                compression: args.compression.map(|c| match c {
                    CompressionArg::Gzip => Compression::Gzip,
                    CompressionArg::Zstd => Compression::Zstd,
                    CompressionArg::None => Compression::None,
                }),
            };
            let source = import::resolve_source(&clients, from, hints, owner).await?;
            let info = import::start(&clients, &stack, spec, &source, owner).await?;
            if args.output == OutputFormat::Text {
                outln!("Import started: {}", info.arn);
                outln!("  from {}", source.url());
            }
            info
        }
        (None, None) => unreachable!("clap requires --from or --resume"),
    };
    let resume_hint = format!(
        "stackctl import-table {} --resume {}",
        spec.logical, started.arn
    );
    if args.no_wait {
        match args.output {
            OutputFormat::Json => print_json(&Report {
                import: &started,
                settings: Vec::new(),
            }),
            OutputFormat::Text => outln!(
                "  when it completes, finish the table's settings: {resume_hint}\n  (the table is not the stack's until then)"
            ),
        }
        return Ok(ExitStatus::Success);
    }

    let progress = JobProgress::new(format!("import {}", started.table));
    let waited = until_interrupted(import::wait(&clients, &started.arn, |s| {
        progress.status(s, true)
    }))
    .await;
    progress.finish();
    let Some(info) = waited else {
        miette::bail!(
            help = format!("the import goes on in AWS; to wait for it and finish: {resume_hint}"),
            "stopped waiting for import {}: interrupted",
            started.arn
        );
    };
    let mut info = info?;
    if info.source.is_empty() {
        info.source = started.source.clone();
    }
    let settings = if info.completed() {
        finish(&clients, &stack, spec, &started, args.output).await?
    } else {
        Vec::new()
    };
    match args.output {
        OutputFormat::Json => print_json(&Report {
            import: &info,
            settings: settings.clone(),
        }),
        OutputFormat::Text => print_text(&info, &settings),
    }
    if !info.completed() {
        miette::bail!(
            help = format!(
                "AWS does not keep the table of a failed import; if {} was left behind anyway, delete it before importing again",
                info.table
            ),
            "import {} ended {}{}",
            info.arn,
            info.status,
            crate::transfer::failure(
                info.failure_code.as_deref(),
                info.failure_message.as_deref()
            )
        );
    }
    if !info.clean() {
        miette::bail!(
            help = info
                .log_group
                .as_ref()
                .map(|g| format!("AWS logged the rejected items in {g}"))
                .unwrap_or_else(|| "DescribeImport lists the import's errors".to_string()),
            "import {} left out {} of {} items{}",
            info.arn,
            info.errors,
            info.processed_items,
            info.failure_message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        );
    }
    Ok(ExitStatus::Success)
}

/// Tags the table `started` made as the stack's (the proof it is: see `import::adopt`) and applies what ImportTable could not set. Returns the
/// names of the settings applied.
async fn finish(
    clients: &Clients,
    stack: &Stack,
    spec: &TableSpec,
    started: &ImportInfo,
    output: OutputFormat,
) -> Result<Vec<String>> {
    // Ctrl-C now stops the settings' apply, which says what it did.
    let _guard = super::interrupt::guard();
    let live = import::adopt(clients, stack, spec, started).await?;
    let change = settings_change(stack, spec, &live)?;
    if change.action == Action::NoOp {
        return Ok(Vec::new());
    }
    let settings = change.attributes.iter().map(|c| c.name.clone()).collect();
    let plan = Plan {
        stack: stack.name.clone(),
        region: clients.region.clone(),
        changes: vec![change],
        blockers: Vec::new(),
        known: BTreeMap::new(),
        secrets: BTreeMap::new(),
        lock: None,
        drift: Vec::new(),
        account: None,
    };
    let progress = match output {
        OutputFormat::Json => Progress::on_stderr(),
        OutputFormat::Text => Progress::new(Default::default()),
    };
    let outcome = apply::apply(clients, &plan, &BTreeMap::new(), &progress, async {
        super::interrupt::wait().await;
    })
    .await;
    progress.finish();
    if let Some((address, error)) = outcome.failed.first() {
        miette::bail!(
            help = "the data is imported and the table is the stack's: run stackctl apply to finish its settings",
            "{address}: {error}"
        );
    }
    if outcome.interrupted {
        miette::bail!(
            help = "run stackctl apply to finish the table's settings",
            "interrupted while setting up the imported table"
        );
    }
    Ok(settings)
}

/// The settings ImportTable could not set, as an in-place update of the imported table or
/// nothing; anything else is refused, never applied.
fn settings_change(stack: &Stack, spec: &TableSpec, live: &LiveTable) -> Result<Change> {
    let change = crate::plan::plan_table(stack, spec, Some(live));
    match change.action {
        Action::NoOp | Action::Update => Ok(change),
        _ => Err(TransferError::ImportedTableDiffers {
            table: live.name.clone(),
            what: change.reason.clone().unwrap_or_else(|| {
                change
                    .attributes
                    .iter()
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        }
        .into()),
    }
}

fn print_text(info: &ImportInfo, settings: &[String]) {
    if !info.completed() {
        return;
    }
    outln!("Import complete: {}", info.table);
    outln!("  arn:      {}", info.arn);
    // AWS names the source in DescribeImport; moto 5.2.5 does not.
    if !info.source.is_empty() {
        outln!("  source:   {}", info.source);
    }
    outln!(
        "  items:    {} processed, {} imported, {} errors",
        info.processed_items,
        info.imported_items,
        info.errors
    );
    if let Some(bytes) = info.processed_size_bytes {
        outln!("  size:     {}", super::export_table::size(bytes));
    }
    if !settings.is_empty() {
        outln!("  then set: {}", settings.join(", "));
    }
}
