//! The hash of a build's inputs: when it is the last build's, the build is not run again.

use sha2::{Digest, Sha256};

use super::{BuildError, Workspace};
use crate::package;
use crate::stack::{Build, FunctionSpec};

/// Bumped when what a build does changes, so that every build runs again once.
const BUILD_FORMAT: &str = "stackctl-build-1";

/// SHA-256 (hex) of what decides a build's result: the build (its kind, command and output),
/// the runtime and architecture, and every source file (name, mode, content; the lock files
/// among them), leaving out what the build writes (`node_modules/` for npm, the command's
/// output folder).
pub(super) fn hash(
    ws: &Workspace,
    spec: &FunctionSpec,
    build: &Build,
) -> Result<String, BuildError> {
    let mut hasher = Sha256::new();
    let mut field = |text: &str| {
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    };
    field(BUILD_FORMAT);
    field(build.name());
    if let Build::Command { command, output } = build {
        field(command);
        field(&output.to_string_lossy());
    }
    field(&spec.runtime);
    field(spec.architecture.as_str());
    for file in sources(ws, spec, build)? {
        let content = std::fs::read(&file.resolved).map_err(|source| BuildError::Io {
            path: file.resolved.clone(),
            source,
        })?;
        field(&file.name);
        field(if file.executable { "755" } else { "644" });
        field(&crate::hash::sha256_hex(&content, usize::MAX));
    }
    Ok(crate::hash::hex(&hasher.finalize()))
}

/// The code folder's files a build reads: all but the default excludes and what it writes.
pub(super) fn sources(
    ws: &Workspace,
    spec: &FunctionSpec,
    build: &Build,
) -> Result<Vec<package::File>, BuildError> {
    let written = match build {
        Build::Npm => vec!["node_modules/**".to_string()],
        Build::Command { output, .. } => vec![format!("{}/**", output.to_string_lossy())],
        Build::Pip => vec![],
    };
    package::files(&spec.code, &written, &ws.repository).map_err(|source| BuildError::Package {
        function: spec.logical.clone(),
        source,
    })
}
