//! Function builds: `build = "pip" | "npm" | { command, output }` turns a code folder into the
//! folder that is zipped. A build runs before planning, and only when its inputs changed (a
//! hash of the sources, the lock files, the command, the runtime and the architecture, kept in
//! the function's build folder `.stackctl/build/<function>/`); reading the stack file stays
//! pure. Also here: the packages' file manifests that name a plan's changed files
//! (`manifest.rs`) and the warnings for dependencies that are never packaged (`warnings.rs`).

mod inputs;
mod manifest;
mod run;
mod warnings;

use std::path::{Path, PathBuf};

pub use manifest::{changed_files, remember};
pub use warnings::warnings;

use crate::package::PackageError;
use crate::stack::{Architecture, Build, FunctionSpec};

/// The folder stackctl keeps its local files in, next to the stack file.
pub const LOCAL_DIR: &str = ".stackctl";

/// Where builds and manifests live, and how far links may lead.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// `.stackctl` next to the stack file.
    pub local: PathBuf,
    /// The repository: the git root above the stack file, else the stack file's folder. Links
    /// in code folders may lead anywhere inside it.
    pub repository: PathBuf,
}

impl Workspace {
    /// The workspace of the stack file at `stack_file`.
    pub fn of(stack_file: &Path) -> Workspace {
        let dir = stack_file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let repository = dir
            .ancestors()
            .find(|a| a.join(".git").exists())
            .unwrap_or(&dir)
            .to_path_buf();
        Workspace {
            local: dir.join(LOCAL_DIR),
            repository,
        }
    }

    /// Creates `.stackctl/` with a `.gitignore` that keeps all of it out of git.
    fn ensure_local(&self) -> Result<(), BuildError> {
        let io = |source| BuildError::Io {
            path: self.local.clone(),
            source,
        };
        std::fs::create_dir_all(&self.local).map_err(io)?;
        let ignore = self.local.join(".gitignore");
        if !ignore.exists() {
            std::fs::write(&ignore, "# stackctl's builds and manifests\n*\n").map_err(io)?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum BuildError {
    #[error("cannot build function {function}: {tool} is not installed (or not on PATH)")]
    #[diagnostic(help(
        "install {tool}, or build the function another way: build = {{ command = \"...\", output = \"...\" }}"
    ))]
    ToolMissing { function: String, tool: String },
    #[error(
        "the {kind} build of function {function} failed ({status}); nothing was sent to AWS\n{tail}"
    )]
    #[diagnostic(help("run {run} to see the whole output"))]
    Failed {
        function: String,
        kind: String,
        /// The command and the folder it ran in.
        run: String,
        status: String,
        /// The last lines of the build's error output (else of its output).
        tail: String,
    },
    #[error("the build command of function {function} wrote no folder {}", output.display())]
    #[diagnostic(help(
        "make the command write the package's files there, or set output to the folder it writes"
    ))]
    NoOutput { function: String, output: PathBuf },
    #[error("cannot build function {function}: {source}")]
    Package {
        function: String,
        #[source]
        source: PackageError,
    },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The folder to zip for `spec`, which has a `build`: the build's output, built first when
/// its inputs changed (else the last build's output is reused). `starting` is called just
/// before a build runs.
pub fn build(
    ws: &Workspace,
    spec: &FunctionSpec,
    starting: impl FnOnce(&Build),
) -> Result<PathBuf, BuildError> {
    let build = spec
        .build
        .as_ref()
        .expect("only functions with a build are built");
    let dir = ws.local.join("build").join(&spec.logical);
    let folder = match build {
        Build::Command { output, .. } => spec.code.join(output),
        Build::Pip | Build::Npm => dir.join("package"),
    };
    let stamp = dir.join("inputs.sha256");
    let hash = inputs::hash(ws, spec, build)?;
    let fresh = std::fs::read_to_string(&stamp).is_ok_and(|h| h.trim() == hash) && folder.is_dir();
    if fresh {
        return Ok(folder);
    }
    ws.ensure_local()?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BuildError::Io { path, source }
    };
    // A failed build leaves no stamp: the next plan builds again.
    let _ = std::fs::remove_file(&stamp);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    starting(build);
    match build {
        Build::Pip => run::pip(ws, spec, &folder)?,
        Build::Npm => run::npm(ws, spec, &folder)?,
        Build::Command { command, output } => run::command(spec, command, output)?,
    }
    std::fs::write(&stamp, format!("{hash}\n")).map_err(io(&stamp))?;
    Ok(folder)
}

/// pip's `--platform` for a Lambda architecture (manylinux2014, as SAM builds).
fn pip_platform(architecture: Architecture) -> &'static str {
    match architecture {
        Architecture::X86_64 => "manylinux2014_x86_64",
        Architecture::Arm64 => "manylinux2014_aarch64",
    }
}

/// The Python version of a runtime: `python3.12` -> `3.12`.
fn python_version(runtime: &str) -> &str {
    runtime.strip_prefix("python").unwrap_or(runtime)
}

#[cfg(test)]
mod tests;
