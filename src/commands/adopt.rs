//! `stackctl adopt`: existing tables, functions and topics into the stack. Each one's
//! stack-file section is printed, appended on confirmation (`--write`: without asking), and
//! the resource is tagged as the stack's (`stackctl:stack`, the only write on AWS) once the
//! plan for it is empty. Run again on a resource the file already declares, it plans and tags.

use std::path::Path;

use miette::{IntoDiagnostic, Result};

use super::{ExitStatus, build_packages, clients, confirm, hashes, load_stack};
use crate::adopt::{self, Kind, Section};
use crate::aws::Clients;
use crate::cli::{AdoptArgs, AwsArgs};
use crate::live::{self, Adoptable, Refresh};
use crate::output::{Printer, errln, outln};
use crate::plan::{self, Action, Mode, Plan, render};
use crate::stack::{Address, Stack};

/// How the adoption of one resource ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Tagged as the stack's now, or already.
    Adopted,
    /// The section was printed and nothing else done (`--dry-run`, or not confirmed).
    Printed,
    /// In the stack file, but the plan for it is not empty: not tagged.
    Differs,
}

/// What every adoption of one run shares.
struct Run<'a> {
    args: &'a AdoptArgs,
    clients: Clients,
    printer: Printer,
}

pub async fn run(args: &AdoptArgs, aws: &AwsArgs, printer: Printer) -> Result<ExitStatus> {
    if !args.dry_run && !args.write && !printer.can_ask() {
        miette::bail!(
            help = "pass --write to append the sections and tag the resources, or --dry-run to print the sections only",
            "adopt asks before it changes the stack file, and standard input is not a terminal"
        );
    }
    let stack = load_stack(&args.file)?;
    let run = Run {
        args,
        clients: clients(aws, &stack).await?,
        printer,
    };
    let targets = match (&args.kind, &args.name, &args.prefix) {
        (Some(kind), Some(name), _) => vec![(kind_of(*kind), name.clone())],
        (_, _, Some(prefix)) => candidates(&run.clients, prefix).await?,
        _ => miette::bail!(
            "name what to adopt (`adopt table NAME`), or pass --all-untagged --prefix PREFIX"
        ),
    };
    let mut status = ExitStatus::Success;
    for (kind, name) in targets {
        if run.adopt(kind, &name).await? == Outcome::Differs {
            status = ExitStatus::Failure;
        }
    }
    Ok(status)
}

fn kind_of(kind: crate::cli::AdoptKind) -> Kind {
    match kind {
        crate::cli::AdoptKind::Table => Kind::Table,
        crate::cli::AdoptKind::Function => Kind::Function,
        crate::cli::AdoptKind::Topic => Kind::Topic,
    }
}

/// The untagged resources of `prefix`, listed on standard error.
async fn candidates(clients: &Clients, prefix: &str) -> Result<Vec<(Kind, String)>> {
    let found = live::untagged(clients, prefix).await?;
    if found.is_empty() {
        errln!("No table, function or topic named {prefix}... without a stackctl:stack tag.");
    } else {
        errln!("Without a stackctl:stack tag, named {prefix}...:");
        for (kind, name) in &found {
            errln!("  {} {name}", kind.noun());
        }
    }
    Ok(found)
}

impl Run<'_> {
    async fn adopt(&self, kind: Kind, name: &str) -> Result<Outcome> {
        let stack = load_stack(&self.args.file)?;
        let declared = declared_as(&stack, kind, name);
        let logical = self.logical(&stack, kind, name, declared.as_deref())?;
        let Some((found, owner)) =
            live::read_adoptable(&self.clients, kind, name, &logical).await?
        else {
            miette::bail!(
                "there is no {} named {name} in {}",
                kind.noun(),
                self.clients.region
            );
        };
        if let Some(other) = owner.as_deref().filter(|o| *o != stack.name) {
            miette::bail!(
                help = format!(
                    "adopt it into stack {other} instead, or remove its stackctl:stack tag if that stack is gone"
                ),
                "{} {name} belongs to stack {other} (its stackctl:stack tag): nothing was changed",
                kind.noun()
            );
        }
        let (stack, confirmed) = match declared {
            Some(_) => {
                errln!(
                    "{} declares {} {name} as [{}.{logical}]: planning it.",
                    self.args.file.file.display(),
                    kind.noun(),
                    kind.section()
                );
                (stack, false)
            }
            None => match self.append(&stack, &logical, &found).await? {
                Some(stack) => (stack, true),
                None => return Ok(Outcome::Printed),
            },
        };
        let tagged = owner.is_some();
        self.plan_and_tag(&stack, &logical, &found, (tagged, confirmed))
            .await
    }

    /// The logical name: the one the file gives this resource, else `--as`, else made
    /// from the AWS name; refused when the file uses it for another resource.
    fn logical(
        &self,
        stack: &Stack,
        kind: Kind,
        name: &str,
        declared: Option<&str>,
    ) -> Result<String> {
        let asked = self.args.logical.as_deref();
        if let Some(declared) = declared {
            if asked.is_some_and(|a| a != declared) {
                miette::bail!(
                    "the stack file already declares {} {name} as [{}.{declared}]",
                    kind.noun(),
                    kind.section()
                );
            }
            return Ok(declared.to_string());
        }
        let Some(logical) = asked
            .map(str::to_string)
            .or_else(|| adopt::logical_name(&stack.name, name))
        else {
            miette::bail!(
                "{name:?} cannot be a name in the stack file: pass --as NAME (lowercase letters, digits, '-' and '_', starting with a letter)"
            );
        };
        if is_declared(stack, kind, &logical) {
            miette::bail!(
                help = "pass --as with another name",
                "the stack file already declares [{}.{logical}], which is not {} {name}",
                kind.section(),
                kind.noun()
            );
        }
        Ok(logical)
    }

    /// Prints the section and, when confirmed, appends it to the stack file; the stack read
    /// again, or `None` when it was only printed. A section that makes the file invalid (a
    /// `name` without `${env}` in a file with environments) is taken out again.
    async fn append(
        &self,
        stack: &Stack,
        logical: &str,
        found: &Adoptable,
    ) -> Result<Option<Stack>> {
        let file = &self.args.file.file;
        let code = format!("functions/{logical}");
        let section = section(stack, logical, &code, found);
        outln!("{}", section.text);
        for note in &section.notes {
            errln!("note: {note}");
        }
        if self.args.dry_run {
            return Ok(None);
        }
        let question = format!(
            "Append [{}.{logical}] to {}?",
            found.kind().section(),
            file.display()
        );
        if !confirm(&question, self.args.write, self.printer).await? {
            errln!("Nothing was changed.");
            return Ok(None);
        }
        if found.kind() == Kind::Function {
            let folder = file.parent().unwrap_or(Path::new(".")).join(&code);
            std::fs::create_dir_all(&folder).into_diagnostic()?;
        }
        let before = std::fs::read_to_string(file).into_diagnostic()?;
        std::fs::write(file, appended(&before, &section.text)).into_diagnostic()?;
        match load_stack(&self.args.file) {
            Ok(stack) => Ok(Some(stack)),
            Err(err) => {
                std::fs::write(file, before).into_diagnostic()?;
                Err(err.wrap_err(format!(
                    "the section would make {} invalid: it was not written",
                    file.display()
                )))
            }
        }
    }

    /// Plans `stack` with the resource as its own; tags it when the plan for it is empty (a
    /// function's code aside with `--replace-code`), else prints the differences. `tagged`:
    /// it is the stack's already; `confirmed`: the user said yes to its section just now.
    async fn plan_and_tag(
        &self,
        stack: &Stack,
        logical: &str,
        found: &Adoptable,
        (tagged, confirmed): (bool, bool),
    ) -> Result<Outcome> {
        let packages = build_packages(stack, &self.args.file.file)?;
        let live = live::read(&self.clients, stack, Refresh::Full, None).await?;
        let live = live::with_adopted(live, found);
        let plan = plan::build_for(
            Mode::Apply,
            stack,
            &live,
            &hashes(&packages),
            &self.clients.region,
        );
        let address = address(found.kind(), logical);
        let shown = for_resource(&plan, &address);
        let code_only = self.args.replace_code && is_code_only(&shown, &address);
        let (kind, name) = (found.kind().noun(), found.name());
        if shown.has_changes() && !code_only || !shown.blockers.is_empty() {
            outln!(
                "{}",
                render::text(&shown, render::Style { color: false }, render::Intent::PLAN)
            );
            errln!(
                "{kind} {name} is not the stack's yet: make [{}.{logical}] match it (or the resource match the file), then run `stackctl adopt {kind} {name}` again.",
                found.kind().section()
            );
            return Ok(Outcome::Differs);
        }
        if tagged {
            outln!(
                "{kind} {name} is already the stack's (stackctl:stack = {}).",
                stack.name
            );
            return Ok(Outcome::Adopted);
        }
        self.tag(stack, logical, found, (code_only, confirmed))
            .await
    }

    /// Tags the resource as the stack's, once asked (unless `confirmed` or `--write`; with
    /// `--dry-run` it only says so). `code_only`: its code differs, which `--replace-code`
    /// accepts.
    async fn tag(
        &self,
        stack: &Stack,
        logical: &str,
        found: &Adoptable,
        (code_only, confirmed): (bool, bool),
    ) -> Result<Outcome> {
        let (kind, name) = (found.kind().noun(), found.name());
        let address = address(found.kind(), logical);
        if self.args.dry_run {
            outln!(
                "The plan for {kind} {name} is empty: adopt would tag it stackctl:stack = {} (dry run: nothing was changed).",
                stack.name
            );
            return Ok(Outcome::Printed);
        }
        let question = format!("Tag {kind} {name} as stack {}'s?", stack.name);
        if !confirmed && !confirm(&question, self.args.write, self.printer).await? {
            errln!("Nothing was changed.");
            return Ok(Outcome::Printed);
        }
        adopt::tag_as_owned(&self.clients, found.kind(), found.arn(), &stack.name).await?;
        outln!(
            "Adopted {kind} {name} as {address}: tagged stackctl:stack = {}.",
            stack.name
        );
        if code_only {
            outln!(
                "Its code differs from [{}.{logical}] code: the next apply uploads the code from there.",
                found.kind().section()
            );
        }
        Ok(Outcome::Adopted)
    }
}

/// The section of `found`, with `name` when its name is not the one the stack would make.
fn section(stack: &Stack, logical: &str, code: &str, found: &Adoptable) -> Section {
    let made = match found {
        Adoptable::Topic(t) => crate::marks::topic_name(&stack.name, logical, t.fifo),
        _ => crate::marks::physical_name(&stack.name, logical),
    };
    let name = (made != found.name()).then_some(found.name());
    match found {
        Adoptable::Table(t) => adopt::table_section(logical, name, t),
        Adoptable::Function(f) => adopt::function_section(logical, name, code, f),
        Adoptable::Topic(t) => adopt::topic_section(logical, name, t),
    }
}

/// The file's text `before` with `text` after a blank line; the rest is kept byte for byte.
fn appended(before: &str, text: &str) -> String {
    let gap = match before {
        "" => "",
        b if b.ends_with("\n\n") => "",
        b if b.ends_with('\n') => "\n",
        _ => "\n\n",
    };
    format!("{before}{gap}{text}")
}

/// The logical name under which the file declares the resource of `kind` named `name`.
fn declared_as(stack: &Stack, kind: Kind, name: &str) -> Option<String> {
    let logical = match kind {
        Kind::Table => stack
            .tables
            .iter()
            .map(|t| (&t.logical, stack.table_name(&t.logical)))
            .find(|(_, n)| n == name),
        Kind::Function => stack
            .functions
            .iter()
            .map(|f| (&f.logical, stack.function_name(&f.logical)))
            .find(|(_, n)| n == name),
        Kind::Topic => stack
            .topics
            .iter()
            .map(|t| (&t.logical, stack.topic_name(t)))
            .find(|(_, n)| n == name),
    };
    logical.map(|(l, _)| l.clone())
}

fn is_declared(stack: &Stack, kind: Kind, logical: &str) -> bool {
    match kind {
        Kind::Table => stack.tables.iter().any(|t| t.logical == logical),
        Kind::Function => stack.function(logical).is_some(),
        Kind::Topic => stack.topics.iter().any(|t| t.logical == logical),
    }
}

fn address(kind: Kind, logical: &str) -> Address {
    match kind {
        Kind::Table => Address::Table(logical.to_string()),
        Kind::Function => Address::Function(logical.to_string()),
        Kind::Topic => Address::Topic(logical.to_string()),
    }
}

/// The plan of one resource: its changes (a topic's subscriptions too) and blockers.
fn for_resource(plan: &Plan, address: &Address) -> Plan {
    let topic_part = |a: &Address| match (a, address) {
        (Address::Subscription(s), Address::Topic(t)) => s.split(' ').next() == Some(t.as_str()),
        _ => false,
    };
    let mut shown = plan.clone();
    shown
        .changes
        .retain(|c| (c.address == *address || topic_part(&c.address)) && c.action != Action::NoOp);
    shown.blockers.retain(|b| b.address == *address);
    shown.drift.clear();
    shown.lock = None;
    shown
}

/// Whether the function's one change is its code.
fn is_code_only(plan: &Plan, address: &Address) -> bool {
    let [change] = plan.changes.as_slice() else {
        return false;
    };
    change.address == *address
        && change.action == Action::Update
        && change.attributes.iter().all(|a| a.name == "code_sha256")
}
