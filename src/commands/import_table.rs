//! `stackctl import-table`: a declared table created from data in S3, then given the
//! settings ImportTable cannot set, so that the next plan shows no changes.

use crate::output::outln;
use std::collections::BTreeMap;

use miette::Result;

use super::progress::{JobProgress, Progress};
use super::transfer_view::ImportReport;
use super::{ExitStatus, clients, declared_table, load_stack, print_result, until_interrupted};
use crate::apply;
use crate::aws::Clients;
use crate::cli::{AwsArgs, CompressionArg, ImportFormatArg, ImportTableArgs};
use crate::live::LiveTable;
use crate::output::{Format, Printer, Stream};
use crate::plan::{Action, Change, Plan};
use crate::stack::{Stack, TableSpec};
use crate::transfer::TransferError;
use crate::transfer::import::{self, Compression, DataFormat, ImportInfo, SourceHints};

pub async fn run(args: &ImportTableArgs, aws: &AwsArgs, printer: Printer) -> Result<ExitStatus> {
    let stack = load_stack(&args.file)?;
    let spec = declared_table(&stack, &args.table, &args.file.file)?;
    let clients = clients(aws, &stack).await?;
    let started = start_or_resume(args, &clients, &stack, spec, printer).await?;
    let resume_hint = format!(
        "stackctl import-table {} --resume {}",
        spec.logical, started.arn
    );
    if args.no_wait {
        let result = ImportReport {
            import: &started,
            settings: Vec::new(),
            resume_hint: Some(&resume_hint),
        };
        print_result(printer, &result);
        return Ok(ExitStatus::Success);
    }
    let info = wait(&clients, &started, &resume_hint, printer).await?;
    let settings = if info.completed() {
        finish(&clients, &stack, spec, &started, printer).await?
    } else {
        Vec::new()
    };
    let result = ImportReport {
        import: &info,
        settings,
        resume_hint: None,
    };
    print_result(printer, &result);
    check_ended(&info)?;
    Ok(ExitStatus::Success)
}

/// Starts the import `--from` names, or takes up the one `--resume` names.
async fn start_or_resume(
    args: &ImportTableArgs,
    clients: &Clients,
    stack: &Stack,
    spec: &TableSpec,
    printer: Printer,
) -> Result<ImportInfo> {
    let owner = args.bucket_owner.as_deref();
    let from = match (&args.resume, &args.from) {
        (Some(arn), _) => return Ok(import::check_resume(clients, stack, spec, arn).await?),
        (None, Some(from)) => from,
        (None, None) => unreachable!("clap requires --from or --resume"),
    };
    import::check_target(clients, stack, spec).await?;
    let source = import::resolve_source(clients, from, hints(args), owner).await?;
    if args.validate {
        validate(clients, &source, spec, owner, printer).await?;
    }
    let info = import::start(clients, stack, spec, &source, owner).await?;
    if !printer.json() {
        outln!("Import started: {}", info.arn);
        outln!("  from {}", source.url());
    }
    Ok(info)
}

/// `--validate`: reads the data and refuses it when any item breaks the table's schema.
async fn validate(
    clients: &Clients,
    source: &import::Source,
    spec: &TableSpec,
    owner: Option<&str>,
    printer: Printer,
) -> Result<()> {
    let Some(schema) = &spec.items else {
        miette::bail!(
            help = format!(
                "declare what its items look like under [tables.{}.items]",
                spec.logical
            ),
            "--validate: table {} declares no item schema",
            spec.logical
        );
    };
    let check = crate::transfer::validate::check_data(clients, source, spec, schema, owner).await?;
    if check.broken > 0 {
        let counts: Vec<String> = check
            .by_rule
            .iter()
            .map(|(r, n)| format!("{r}: {n}"))
            .collect();
        return Err(TransferError::InvalidData {
            url: source.url(),
            logical: spec.logical.clone(),
            items: check.items,
            broken: check.broken,
            counts: counts.join(", "),
            first: check.first.join("\n"),
        }
        .into());
    }
    if !printer.json() {
        outln!(
            "Validated {} items in {} files: every one follows the schema.",
            check.items,
            check.files
        );
    }
    Ok(())
}

/// What the flags say of the source's format and compression.
fn hints(args: &ImportTableArgs) -> SourceHints {
    SourceHints {
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
    }
}

/// Waits for the import to end, with progress on standard error; Ctrl-C stops the wait (the
/// import goes on in AWS).
async fn wait(
    clients: &Clients,
    started: &ImportInfo,
    resume_hint: &str,
    printer: Printer,
) -> Result<ImportInfo> {
    let progress = JobProgress::new(format!("import {}", started.table), printer);
    let waited = until_interrupted(import::wait(clients, &started.arn, |s| {
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
    Ok(info)
}

/// An import that failed, or left items out, is the command's error.
fn check_ended(info: &ImportInfo) -> Result<()> {
    if !info.completed() {
        miette::bail!(
            help = format!(
                "AWS does not keep the table of a failed import; if {} was left behind anyway, delete it before importing again",
                info.table
            ),
            "{}",
            info.ended()
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
    Ok(())
}

/// Tags the table `started` made as the stack's (the proof it is: see `import::adopt`) and
/// applies what ImportTable could not set. Returns the names of the settings applied.
async fn finish(
    clients: &Clients,
    stack: &Stack,
    spec: &TableSpec,
    started: &ImportInfo,
    printer: Printer,
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
    // A JSON answer keeps standard output to itself.
    let stream = match printer.format {
        Format::Json => Stream::Stderr,
        Format::Text => Stream::Stdout,
    };
    let progress = Progress::new(printer, stream);
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
