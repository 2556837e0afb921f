//! Function packages for the commands that plan: builds first (`crate::build`), then the
//! zips, checked against Lambda's limits before any AWS call; what the plan says of them.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::path::{Path, PathBuf};

use miette::Result;

use crate::output::errln;
use crate::package::{self, Package};
use crate::stack::Stack;

/// Builds the functions that have a `build` (when their inputs changed), zips every
/// function's code and checks Lambda's size limits, before any AWS call, so that bad code
/// fails fast. `file` is the stack file: builds and manifests go next to it.
pub(super) fn build_packages(stack: &Stack, file: &Path) -> Result<BTreeMap<String, Package>> {
    let ws = crate::build::Workspace::of(file);
    let via_s3 = stack.artifact_bucket.is_some();
    // Functions often share one code folder (one bundle, many handlers): it is built and
    // zipped once.
    let mut builds: BTreeMap<(PathBuf, String), PathBuf> = BTreeMap::new();
    let mut built: BTreeMap<(PathBuf, &[String]), Package> = BTreeMap::new();
    stack
        .functions
        .iter()
        .map(|f| {
            let folder = folder_of(&ws, f, &mut builds)?;
            let package = match built.entry((folder.clone(), f.exclude.as_slice())) {
                Entry::Occupied(known) => known.get().clone(),
                Entry::Vacant(new) => {
                    let package = package::build(&folder, &f.exclude, &ws.repository)?;
                    new.insert(package).clone()
                }
            };
            package.check_limits(&folder, via_s3)?;
            crate::build::remember(&ws, &f.logical, &package);
            Ok((f.logical.clone(), package))
        })
        .collect()
}

/// The folder to zip for `f`: its code folder, or its build's output (built first when its
/// inputs changed; once for functions of the same folder, build, runtime and architecture).
fn folder_of(
    ws: &crate::build::Workspace,
    f: &crate::stack::FunctionSpec,
    builds: &mut BTreeMap<(PathBuf, String), PathBuf>,
) -> Result<PathBuf> {
    let Some(build) = &f.build else {
        return Ok(f.code.clone());
    };
    let key = (
        f.code.clone(),
        format!("{build:?} {} {}", f.runtime, f.architecture.as_str()),
    );
    if let Some(folder) = builds.get(&key) {
        return Ok(folder.clone());
    }
    let folder = crate::build::build(ws, f, |b| {
        errln!("Building function {} ({})...", f.logical, b.name())
    })?;
    builds.insert(key, folder.clone());
    Ok(folder)
}

/// Notes on the plan's function changes whose code changed, naming the files (when this
/// checkout built the live package: see `build::changed_files`).
pub(super) fn name_changed_files(
    plan: &mut crate::plan::Plan,
    packages: &BTreeMap<String, Package>,
    file: &Path,
) {
    let ws = crate::build::Workspace::of(file);
    for change in &mut plan.changes {
        let (crate::stack::Address::Function(logical), Some(crate::plan::Live::Function(live))) =
            (&change.address, &change.live)
        else {
            continue;
        };
        let Some(package) = packages
            .get(logical)
            .filter(|p| p.sha256 != live.code_sha256)
        else {
            continue;
        };
        if let Some(note) = crate::build::changed_files(&ws, logical, &live.code_sha256, package) {
            change.notes.push(note);
        }
    }
}

/// Says on standard error what would fail at run time: dependencies that are never packaged.
pub(super) fn warn_unbuilt(stack: &Stack) {
    for warning in crate::build::warnings(stack) {
        errln!("warning: {warning}");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::stack;

    #[test]
    fn functions_that_share_a_code_folder_share_one_package() {
        let dir = tempfile::tempdir().unwrap();
        for folder in ["shared", "own"] {
            std::fs::create_dir(dir.path().join(folder)).unwrap();
            std::fs::write(dir.path().join(folder).join("index.js"), folder).unwrap();
        }
        let function = |name: &str, code: &str| {
            format!(
                "[functions.{name}]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"{code}\"\n"
            )
        };
        let text = [
            "[stack]\nname = \"shop\"\n".to_string(),
            function("a", "shared"),
            function("b", "shared"),
            function("c", "own"),
        ]
        .join("\n");
        let stack = stack::parse("stack.toml", &text, dir.path(), None).unwrap();
        let packages = build_packages(&stack, &dir.path().join("stack.toml")).unwrap();
        assert!(Arc::ptr_eq(&packages["a"].bytes, &packages["b"].bytes));
        assert!(!Arc::ptr_eq(&packages["a"].bytes, &packages["c"].bytes));
        assert_ne!(packages["a"].sha256, packages["c"].sha256);
    }

    #[test]
    fn functions_of_one_folder_and_build_are_built_once_and_again_only_when_it_changed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("app")).unwrap();
        std::fs::write(dir.path().join("app/index.js"), "1").unwrap();
        let function = |name: &str| {
            format!(
                "[functions.{name}]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"app\"\nbuild = {{ command = \"echo run >> ../runs && mkdir -p dist && cp index.js dist/\", output = \"dist\" }}\n"
            )
        };
        let text = format!(
            "[stack]\nname = \"shop\"\n\n{}\n{}",
            function("a"),
            function("b")
        );
        let file = dir.path().join("stack.toml");
        let runs = || {
            std::fs::read_to_string(dir.path().join("runs"))
                .unwrap()
                .lines()
                .count()
        };
        let stack = stack::parse("stack.toml", &text, dir.path(), None).unwrap();
        let packages = build_packages(&stack, &file).unwrap();
        assert_eq!(runs(), 1);
        assert!(Arc::ptr_eq(&packages["a"].bytes, &packages["b"].bytes));
        let again = build_packages(&stack, &file).unwrap();
        assert_eq!(runs(), 1, "unchanged inputs: no build");
        assert_eq!(again["a"].sha256, packages["a"].sha256);
        std::fs::write(dir.path().join("app/index.js"), "2").unwrap();
        let changed = build_packages(&stack, &file).unwrap();
        assert_eq!(runs(), 2, "changed: built again, once");
        assert_ne!(changed["a"].sha256, packages["a"].sha256);
    }
}
