//! `stackctl openapi`: the API's OpenAPI 3.0 document, made from the stack file. No AWS call
//! unless `--live`, which reads the API's ID for the stage URLs in `servers`; without it the
//! servers are URL templates with the API's ID as a variable.

use miette::{IntoDiagnostic, Result, miette};

use super::{ExitStatus, clients, load_stack};
use crate::cli::{AwsArgs, DocFormat, OpenapiArgs};
use crate::openapi::Servers;
use crate::output::{errln, out};
use crate::stack::Stack;

pub async fn run(args: &OpenapiArgs, aws: &AwsArgs) -> Result<ExitStatus> {
    let stack = load_stack(&args.file)?;
    let stages = stages(&stack, args.stage.as_deref())?;
    let servers = servers(&stack, &stages, args.live, aws).await?;
    let document = crate::openapi::document(&stack, &servers).ok_or_else(no_api)?;
    let text = match args.format {
        DocFormat::Json => {
            let mut text = serde_json::to_string_pretty(&document).into_diagnostic()?;
            text.push('\n');
            text
        }
        DocFormat::Yaml => serde_norway::to_string(&document).into_diagnostic()?,
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, text)
                .into_diagnostic()
                .map_err(|e| e.wrap_err(format!("cannot write {}", path.display())))?;
            errln!("Wrote {}", path.display());
        }
        None => out!("{text}"),
    }
    Ok(ExitStatus::Success)
}

pub(super) fn no_api() -> miette::Report {
    miette!(
        help = "declare [api] with routes in the stack file",
        "the stack file declares no API"
    )
}

/// The stages to describe: `only`, which must be one of the API's, or all of them.
pub(super) fn stages(stack: &Stack, only: Option<&str>) -> Result<Vec<String>> {
    let api = stack.api.as_ref().ok_or_else(no_api)?;
    let names: Vec<String> = api.stage_names().map(str::to_string).collect();
    match only {
        None => Ok(names),
        Some(stage) if names.iter().any(|n| n == stage) => Ok(vec![stage.to_string()]),
        Some(stage) => Err(miette!(
            help = format!("the API's stages: {}", names.join(", ")),
            "--stage {stage}: the API has no such stage"
        )),
    }
}

/// The stage URLs: read from AWS with `live` (the API must exist), else templates.
pub(super) async fn servers(
    stack: &Stack,
    stages: &[String],
    live: bool,
    aws: &AwsArgs,
) -> Result<Servers> {
    let placeholder = || Servers::Placeholder {
        region: (aws.region.clone())
            .or_else(|| stack.region.clone())
            .unwrap_or_else(|| "REGION".to_string()),
        stages: stages.to_vec(),
    };
    let Some(api) = stack.api.as_ref().filter(|_| live) else {
        return Ok(placeholder());
    };
    let clients = clients(aws, stack).await?;
    let found =
        crate::live::tagged_api_named(&clients, &stack.name, &stack.name, api.api_type).await?;
    let Some(found) = found else {
        errln!(
            "The API of stack {} does not exist yet: servers hold a URL template",
            stack.name
        );
        return Ok(placeholder());
    };
    let urls = stages
        .iter()
        .map(|s| (s.clone(), crate::live::stage_url(&found.endpoint, s)))
        .collect();
    Ok(Servers::Live(urls))
}
