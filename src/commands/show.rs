//! `stackctl show PLAN_FILE`: a plan saved by `plan --out`, rendered again; no AWS call.

use miette::{IntoDiagnostic, Result};

use super::ExitStatus;
use crate::cli::{PlanFormat, ShowArgs};
use crate::output::{out, outln};
use crate::plan::markdown::{PlanDoc, markdown, text};

pub fn run(args: &ShowArgs) -> Result<ExitStatus> {
    let file = &args.plan;
    let saved = std::fs::read_to_string(file)
        .into_diagnostic()
        .map_err(|e| e.wrap_err(format!("cannot read the plan {}", file.display())))?;
    let doc = PlanDoc::parse(&saved).map_err(|e| {
        miette::miette!(
            help = "make one with `stackctl plan --out plan.json`",
            "{} is not a plan saved by stackctl: {e}",
            file.display()
        )
    })?;
    match args.output {
        PlanFormat::Text => out!("{}", text(&doc)),
        PlanFormat::Markdown => out!("{}", markdown(&doc)),
        // As saved, re-indented: the file is already the JSON form.
        PlanFormat::Json => {
            let json: serde_json::Value = serde_json::from_str(&saved).into_diagnostic()?;
            outln!("{}", serde_json::to_string_pretty(&json).into_diagnostic()?);
        }
    }
    Ok(ExitStatus::Success)
}
