//! Running the builds: pip, npm and a command, their output captured (the engine never
//! prints) and its tail shown when they fail.

use std::path::Path;
use std::process::Command;

use super::{BuildError, Workspace, inputs, pip_platform, python_version};
use crate::stack::{Build, FunctionSpec};

/// How many lines of a failed build's output the error shows.
const TAIL_LINES: usize = 20;

/// `pip install -r requirements.txt` into `folder` for the function's runtime and
/// architecture (binary wheels only, as Lambda runs them), then the sources over it. pip reads
/// its own configuration too (pip.conf, `PIP_INDEX_URL`, `PIP_FIND_LINKS`, `PIP_NO_INDEX`).
pub(super) fn pip(ws: &Workspace, spec: &FunctionSpec, folder: &Path) -> Result<(), BuildError> {
    fresh(folder)?;
    let mut pip = Command::new("python3");
    pip.args(["-m", "pip", "install", "-r", "requirements.txt", "--target"])
        .arg(folder)
        .args(["--platform", pip_platform(spec.architecture)])
        .args(["--only-binary=:all:", "--implementation", "cp"])
        .args(["--python-version", python_version(&spec.runtime)])
        .args(["--no-compile", "--disable-pip-version-check", "--no-input"])
        .current_dir(&spec.code);
    run(spec, "pip", "python3", pip)?;
    copy_sources(ws, spec, &Build::Pip, folder)
}

/// `npm ci --omit=dev` in a copy of the code folder (without its `node_modules/`).
pub(super) fn npm(ws: &Workspace, spec: &FunctionSpec, folder: &Path) -> Result<(), BuildError> {
    fresh(folder)?;
    copy_sources(ws, spec, &Build::Npm, folder)?;
    let mut npm = Command::new("npm");
    npm.args(["ci", "--omit=dev", "--no-audit", "--no-fund"])
        .current_dir(folder);
    run(spec, "npm", "npm", npm)
}

/// `sh -c COMMAND` in the code folder, which must write `output`.
pub(super) fn command(spec: &FunctionSpec, command: &str, output: &Path) -> Result<(), BuildError> {
    let mut sh = Command::new("sh");
    sh.arg("-c").arg(command).current_dir(&spec.code);
    run(spec, "command", "sh", sh)?;
    if !spec.code.join(output).is_dir() {
        return Err(BuildError::NoOutput {
            function: spec.logical.clone(),
            output: spec.code.join(output),
        });
    }
    Ok(())
}

/// Runs `cmd` to its end; `tool` is the program, named when it is missing.
fn run(spec: &FunctionSpec, kind: &str, tool: &str, mut cmd: Command) -> Result<(), BuildError> {
    let shown = shown(&cmd);
    let dir = cmd
        .get_current_dir()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let out = match cmd.stdin(std::process::Stdio::null()).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(BuildError::ToolMissing {
                function: spec.logical.clone(),
                tool: tool.to_string(),
            });
        }
        Err(source) => return Err(BuildError::Io { path: dir, source }),
    };
    if out.status.success() {
        return Ok(());
    }
    let text = if out.stderr.iter().any(|b| !b.is_ascii_whitespace()) {
        out.stderr
    } else {
        out.stdout
    };
    Err(BuildError::Failed {
        function: spec.logical.clone(),
        kind: kind.to_string(),
        run: format!("`{shown}` in {}", dir.display()),
        status: out.status.to_string(),
        tail: tail(&String::from_utf8_lossy(&text)),
    })
}

/// The last [`TAIL_LINES`] lines of `text`.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

/// The command as a user would type it.
fn shown(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Empties `folder` (the last build's output) and creates it again.
fn fresh(folder: &Path) -> Result<(), BuildError> {
    let io = |source| BuildError::Io {
        path: folder.to_path_buf(),
        source,
    };
    if folder.exists() {
        std::fs::remove_dir_all(folder).map_err(io)?;
    }
    std::fs::create_dir_all(folder).map_err(io)
}

/// Copies the sources a build reads into `folder`, links resolved, modes kept as the package
/// keeps them (executable or not).
fn copy_sources(
    ws: &Workspace,
    spec: &FunctionSpec,
    build: &Build,
    folder: &Path,
) -> Result<(), BuildError> {
    for file in inputs::sources(ws, spec, build)? {
        let to = folder.join(&file.name);
        let io = |source| BuildError::Io {
            path: to.clone(),
            source,
        };
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        // A file the build installed under the same name gives way to the source.
        let _ = std::fs::remove_file(&to);
        std::fs::copy(&file.resolved, &to).map_err(io)?;
        set_mode(&to, file.executable).map_err(io)?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, executable: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if executable { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _executable: bool) -> std::io::Result<()> {
    Ok(())
}
