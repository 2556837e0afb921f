//! `build` and `vpc`: what makes the package from the code folder, and the VPC the function
//! runs in. Nothing runs here: the build itself is `crate::build`'s, before planning.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::stack::diagnostic::Problem;
use crate::stack::reader::typed::{Reader, Value, entry};
use crate::stack::spec::{Build, VpcSpec};

/// Lambda's VpcConfig limits: SubnetIds and SecurityGroupIds
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_VpcConfig.html>).
const MAX_SUBNETS: usize = 16;
const MAX_SECURITY_GROUPS: usize = 5;

impl Reader<'_> {
    /// `build`, checked against the runtime and the code folder (`code`, when it was read):
    /// pip needs a Python runtime and requirements.txt, npm a Node.js runtime, package.json
    /// and package-lock.json.
    pub(super) fn build(
        &mut self,
        t: &DeTable<'_>,
        runtime: Option<&str>,
        code: Option<&Path>,
    ) -> Option<Option<Build>> {
        let Some((_, value)) = entry(t, "build") else {
            return Some(None);
        };
        let build = match value.get_ref() {
            DeValue::Table(command) => self.command_build(command, value)?,
            _ => {
                let text = self.string(value, "build")?;
                let choices = [("pip", false), ("npm", true)];
                let help = "write build = \"pip\", build = \"npm\" or build = { command = \"make lambda\", output = \"dist\" }";
                match self.one_of(&text, &choices, "build", "not a build", help)? {
                    false => Build::Pip,
                    true => Build::Npm,
                }
            }
        };
        let code = code?;
        if !code.is_dir() {
            let problem = Problem::new("build needs code to be a folder", value.span(), "builds a folder")
                .help("point code at the folder to build, or remove build to upload the .zip or .jar as it is");
            self.problem(problem);
            return None;
        }
        self.build_fits(&build, value, runtime?, code)
            .then_some(Some(build))
    }

    /// `{ command = "...", output = "..." }`; `output` is a folder below the code folder.
    fn command_build(&mut self, t: &DeTable<'_>, value: &Value<'_>) -> Option<Build> {
        self.unknown_keys(t, &["command", "output"], "in build");
        let missing = |key: &str| {
            Problem::new(format!("build has no {key}"), value.span(), "declared here")
                .help("write build = { command = \"make lambda\", output = \"dist\" }")
        };
        let command = self.required(t, "command", || missing("command"));
        let command = command.and_then(|c| self.string(c, "command"));
        let output = self.required(t, "output", || missing("output"));
        let output = output.and_then(|o| self.string(o, "output"));
        let command = command.filter(|c| {
            let empty = c.get_ref().trim().is_empty();
            if empty {
                self.problem(
                    Problem::new("the build command is empty", c.span(), "empty")
                        .help("write the command that builds the function, like \"make lambda\""),
                );
            }
            !empty
        });
        let output = output.and_then(|o| {
            let path = PathBuf::from(o.get_ref());
            let inside = !o.get_ref().is_empty()
                && path.components().all(|c| matches!(c, Component::Normal(_)));
            if !inside {
                self.problem(
                    Problem::new(
                        "output must be a folder below the code folder",
                        o.span(),
                        "not below the code folder",
                    )
                    .help("write the folder the command writes, relative to code, like \"dist\""),
                );
            }
            inside.then_some(path)
        });
        Some(Build::Command {
            command: command?.into_inner(),
            output: output?,
        })
    }

    /// Whether `build` suits the runtime and finds its files in `code`.
    fn build_fits(&mut self, build: &Build, value: &Value<'_>, runtime: &str, code: &Path) -> bool {
        let (family, files): (&str, &[&str]) = match build {
            Build::Pip => ("python", &["requirements.txt"]),
            Build::Npm => ("nodejs", &["package.json", "package-lock.json"]),
            Build::Command { .. } => return true,
        };
        let name = build.name();
        if !runtime.starts_with(family) {
            let problem = Problem::new(
                format!("build = {name:?} needs a {family} runtime, not {runtime:?}"),
                value.span(),
                "not for this runtime",
            )
            .help("use a build for the function's runtime, or a command: build = { command = \"...\", output = \"...\" }");
            self.problem(problem);
            return false;
        }
        // As written in the stack file, not as joined to its folder ("./").
        let shown = code.strip_prefix(".").unwrap_or(code);
        for file in files {
            if code.join(file).is_file() {
                continue;
            }
            let help = match *file {
                "package-lock.json" => {
                    "run `npm install` once and commit package-lock.json: npm ci installs exactly what it locks"
                }
                "package.json" => "add package.json with the function's dependencies",
                _ => "list the function's dependencies in requirements.txt",
            };
            let problem = Problem::new(
                format!("build = {name:?} needs {file} in {}", shown.display()),
                value.span(),
                format!("no {file}"),
            )
            .help(help);
            self.problem(problem);
            return false;
        }
        true
    }

    /// `vpc = { subnets = [...], security_groups = [...] }`: both non-empty, IDs of their form.
    pub(super) fn vpc(&mut self, t: &DeTable<'_>) -> Option<Option<VpcSpec>> {
        let Some((_, value)) = entry(t, "vpc") else {
            return Some(None);
        };
        let vpc = self.as_table(value, "vpc")?;
        self.unknown_keys(vpc, &["subnets", "security_groups"], "in vpc");
        let subnets = self.vpc_ids(vpc, value, "subnets", "subnet-", MAX_SUBNETS);
        let groups = self.vpc_ids(vpc, value, "security_groups", "sg-", MAX_SECURITY_GROUPS);
        Some(Some(VpcSpec {
            subnets: subnets?,
            security_groups: groups?,
        }))
    }

    fn vpc_ids(
        &mut self,
        vpc: &DeTable<'_>,
        value: &Value<'_>,
        key: &str,
        prefix: &str,
        max: usize,
    ) -> Option<BTreeSet<String>> {
        let example = format!("{key} = [\"{prefix}0123456789abcdef0\"]");
        let ids = self.string_list(vpc, key, &format!("write {example}"))?;
        if ids.is_empty() || ids.len() > max {
            let span = entry(vpc, key).map_or(value.span(), |(_, v)| v.span());
            let problem = Problem::new(
                format!("vpc needs 1 to {max} {key}, found {}", ids.len()),
                span,
                "wrong count",
            )
            .help(format!("write {example}; Lambda takes up to {max}"));
            self.problem(problem);
            return None;
        }
        let well_formed = |id: &Spanned<String>| {
            id.get_ref()
                .strip_prefix(prefix)
                .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_hexdigit()))
        };
        let mut ok = true;
        for id in ids.iter().filter(|id| !well_formed(id)) {
            let problem = Problem::new(
                format!("{:?} is not an ID of the form {prefix}...", id.get_ref()),
                id.span(),
                format!("not a {prefix} ID"),
            )
            .help(format!(
                "write the ID EC2 gives, like {prefix}0123456789abcdef0"
            ));
            self.problem(problem);
            ok = false;
        }
        ok.then(|| ids.into_iter().map(Spanned::into_inner).collect())
    }
}
