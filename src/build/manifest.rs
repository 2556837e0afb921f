//! The file manifests of the packages this checkout built: a plan whose code changed names
//! the files that changed when the package live on AWS was built here before. A manifest is
//! too big for a tag (Lambda's tag values hold 256 characters), so it stays local, in
//! `.stackctl/manifests/<function>/<CodeSha256 as hex>.json`, the newest [`KEPT`] per function.

use std::path::PathBuf;

use base64::Engine;

use super::Workspace;
use crate::package::{Manifest, Package};

/// How many manifests are kept per function.
const KEPT: usize = 20;
/// How many file names a plan shows for one function.
const SHOWN: usize = 10;

fn path(ws: &Workspace, function: &str, sha256: &str) -> Option<PathBuf> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(sha256)
        .ok()?;
    let name = format!("{}.json", crate::hash::hex(&raw));
    Some(ws.local.join("manifests").join(function).join(name))
}

/// Keeps the manifest of `package` (a zipped folder) for `function`. Best effort: a folder
/// that cannot be written only means later plans cannot name changed files.
pub fn remember(ws: &Workspace, function: &str, package: &Package) {
    if package.manifest.is_empty() || ws.ensure_local().is_err() {
        return;
    }
    let Some(path) = path(ws, function, &package.sha256) else {
        return;
    };
    let Some(dir) = path.parent() else {
        return;
    };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    if !path.exists() {
        let json = serde_json::to_string(package.manifest.as_ref()).unwrap_or_default();
        let _ = std::fs::write(&path, json);
    }
    // Touched, so that the live package's manifest counts among the newest.
    let _ = std::fs::File::options()
        .append(true)
        .open(&path)
        .and_then(|f| f.set_modified(std::time::SystemTime::now()));
    prune(dir);
}

fn prune(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    for (_, old) in files.into_iter().skip(KEPT) {
        let _ = std::fs::remove_file(old);
    }
}

/// The files that differ between the package live as `live_sha256` (Lambda's CodeSha256) and
/// `package`, as "changed a.py, added b.py, removed c.py"; `None` when no manifest of the
/// live package is kept here.
pub fn changed_files(
    ws: &Workspace,
    function: &str,
    live_sha256: &str,
    package: &Package,
) -> Option<String> {
    let text = std::fs::read_to_string(path(ws, function, live_sha256)?).ok()?;
    let live: Manifest = serde_json::from_str(&text).ok()?;
    let now = package.manifest.as_ref();
    let mut names = Vec::new();
    for (name, hash) in now {
        match live.get(name) {
            None => names.push(format!("added {name}")),
            Some(old) if old != hash => names.push(format!("changed {name}")),
            Some(_) => {}
        }
    }
    names.extend(
        live.keys()
            .filter(|n| !now.contains_key(*n))
            .map(|n| format!("removed {n}")),
    );
    if names.is_empty() {
        return None;
    }
    let more = names.len().saturating_sub(SHOWN);
    names.truncate(SHOWN);
    if more > 0 {
        names.push(format!("{more} more"));
    }
    Some(format!("code: {}", names.join(", ")))
}
