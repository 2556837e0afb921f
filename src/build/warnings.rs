//! Dependencies that would never reach Lambda: a code folder that declares them, packaged
//! without a build.

use std::path::Path;

use crate::stack::Stack;

/// One line per function whose folder holds requirements.txt, or package.json without
/// node_modules, and has no `build`: the function would fail at run time on its first import.
pub fn warnings(stack: &Stack) -> Vec<String> {
    let mut found = Vec::new();
    for f in stack
        .functions
        .iter()
        .filter(|f| f.build.is_none() && f.code.is_dir())
    {
        let (file, build) = if requires(&f.code.join("requirements.txt")) {
            ("requirements.txt", "pip")
        } else if depends(&f.code.join("package.json")) && !f.code.join("node_modules").exists() {
            ("package.json", "npm")
        } else {
            continue;
        };
        found.push(format!(
            "function {}: {} declares dependencies but the function has no build, so they are not packaged and it would fail at run time; add build = \"{build}\" to [functions.{}]",
            f.logical,
            f.code.join(file).display(),
            f.logical,
        ));
    }
    found
}

/// Whether a requirements.txt names anything (a line that is not blank or a comment).
fn requires(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| {
        text.lines()
            .map(str::trim)
            .any(|l| !l.is_empty() && !l.starts_with('#'))
    })
}

/// Whether a package.json has `dependencies` (a package.json that only says
/// `"type": "module"` needs no install).
fn depends(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|json| json.get("dependencies")?.as_object().map(|d| !d.is_empty()))
        .unwrap_or(false)
}
