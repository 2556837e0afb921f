//! Function builds (pip, npm, a command) through the real binary, with local packages only:
//! each builds once, packages stably (the plan after apply is empty, no build runs again) and
//! names the files a change touches; failures say which function and why, before any write.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use crate::support::output::{assert_has, assert_lacks};
use crate::support::{Project, Run, stackctl_with, writes};

/// Runs stackctl in `project` with `env` added (pip's index options, a PATH without npm).
fn run_with(project: &Project, args: &[&str], env: &[(&str, &str)]) -> Run {
    stackctl_with(project.dir.path(), Some(project.endpoint()), args, env)
}

/// The files of the package live as `function`'s code: the manifest stackctl kept of the zip
/// whose SHA-256 is the function's CodeSha256 (the emulator does not hand back uploaded zips).
fn deployed_files(project: &Project, function: &str, logical: &str) -> Vec<String> {
    use base64::Engine;
    let out = project.function(function).expect("the function exists");
    let sha = out.configuration().and_then(|c| c.code_sha256()).unwrap();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(sha)
        .unwrap();
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let path = project.path(&format!(".stackctl/manifests/{logical}/{hex}.json"));
    let manifest: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    manifest.keys().cloned().collect()
}

/// A pure-Python wheel `tinypkg 1.0` in `dir`, as pip takes it with `--no-index --find-links`.
fn write_wheel(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let file = std::fs::File::create(dir.join("tinypkg-1.0-py3-none-any.whl")).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default();
    for (name, content) in [
        ("tinypkg/__init__.py", "VALUE = 1\n"),
        (
            "tinypkg-1.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\n",
        ),
        (
            "tinypkg-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
        (
            "tinypkg-1.0.dist-info/RECORD",
            "tinypkg/__init__.py,,\ntinypkg-1.0.dist-info/METADATA,,\ntinypkg-1.0.dist-info/WHEEL,,\ntinypkg-1.0.dist-info/RECORD,,\n",
        ),
    ] {
        zip.start_file(name, options).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

const PIP: &str = r#"
[stack]
name = "py"

[functions.api]
runtime = "python3.12"
handler = "app.handler"
code = "functions/api"
build = "pip"
"#;

#[test]
fn a_pip_build_installs_local_wheels_once_and_packages_stably() {
    let project = Project::new(PIP);
    project.write(
        "functions/api/app.py",
        "import tinypkg\n\ndef handler(e, c):\n    return tinypkg.VALUE\n",
    );
    project.write("functions/api/requirements.txt", "tinypkg==1.0\n");
    let wheels = project.path("wheels");
    write_wheel(&wheels);
    let links = wheels.to_string_lossy().into_owned();
    let pip_env = [("PIP_NO_INDEX", "1"), ("PIP_FIND_LINKS", links.as_str())];

    let apply = run_with(&project, &["apply", "--yes"], &pip_env);
    apply.success();
    assert_has(&apply.stderr, &["Building function api (pip)..."]);
    let files = deployed_files(&project, "py-api", "api");
    for file in [
        "app.py",
        "requirements.txt",
        "tinypkg/__init__.py",
        "tinypkg-1.0.dist-info/METADATA",
    ] {
        assert!(files.contains(&file.to_string()), "{file} not in {files:?}");
    }
    assert!(
        files.iter().all(|f| !f.contains("__pycache__")),
        "{files:?}"
    );
    assert_eq!(
        std::fs::read_to_string(project.path(".stackctl/.gitignore")).unwrap(),
        "# stackctl's builds and manifests\n*\n"
    );

    // Unchanged inputs: no build, no change; caches the runtime leaves are not packaged.
    project.write("functions/api/__pycache__/app.cpython-312.pyc", "cache");
    project.write("functions/api/.DS_Store", "finder");
    let plan = run_with(&project, &["plan", "--detailed-exitcode"], &pip_env);
    plan.code(0);
    assert_lacks(&plan.stderr, &["Building"]);

    // A changed source: built again, and the plan names the file.
    project.write(
        "functions/api/app.py",
        "import tinypkg\n\ndef handler(e, c):\n    return 2\n",
    );
    let plan = run_with(&project, &["plan", "--detailed-exitcode"], &pip_env);
    plan.code(2);
    assert_has(&plan.stderr, &["Building function api (pip)..."]);
    assert_has(&plan.stdout, &["# code: changed app.py", "code_sha256: \""]);
    run_with(&project, &["apply", "--yes"], &pip_env).success();
    run_with(&project, &["plan", "--detailed-exitcode"], &pip_env).code(0);

    // A requirement pip cannot find: its error, exit 1, nothing sent.
    project.write(
        "functions/api/requirements.txt",
        "tinypkg==1.0\nmissingpkg==9.9\n",
    );
    let log = [pip_env[0], pip_env[1], ("STACKCTL_LOG", "requests")];
    let plan = run_with(&project, &["apply", "--yes"], &log);
    plan.code(1);
    assert_has(
        &plan.stderr,
        &[
            "the pip build of function api failed",
            "missingpkg",
            "nothing was sent to AWS",
        ],
    );
    assert_lacks(&plan.stderr, &["aws request:"]);
}

#[test]
fn an_npm_build_installs_a_local_package_in_a_copy() {
    if Command::new("npm").arg("--version").output().is_err() {
        eprintln!("skipped: npm is not installed on this machine");
        return;
    }
    let project = Project::new(
        r#"
[stack]
name = "js"

[functions.web]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/web"
build = "npm"
"#,
    );
    // Without package-lock.json npm ci cannot install exactly: the stack file is refused.
    project.write(
        "functions/web/package.json",
        r#"{"name":"web","version":"1.0.0","dependencies":{"tiny":"file:vendor/tiny-1.0.0.tgz"}}"#,
    );
    let refused = project.run(&["validate"]);
    refused.code(1);
    assert_has(
        &refused.stderr,
        &[
            "build = \"npm\" needs package-lock.json",
            "run `npm install` once",
        ],
    );

    project.write(
        "tiny/package.json",
        r#"{"name":"tiny","version":"1.0.0","main":"index.js"}"#,
    );
    project.write("tiny/index.js", "module.exports = 1;\n");
    let npm = |dir: &str, args: &[&str]| {
        let out = Command::new("npm")
            .args(args)
            .current_dir(project.path(dir))
            .env("HOME", project.path("home"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::create_dir_all(project.path("functions/web/vendor")).unwrap();
    npm(
        "tiny",
        &["pack", "--pack-destination", "../functions/web/vendor"],
    );
    npm(
        "functions/web",
        &["install", "--package-lock-only", "--offline"],
    );

    let apply = project.run(&["apply", "--yes"]);
    apply.success();
    assert_has(&apply.stderr, &["Building function web (npm)..."]);
    let files = deployed_files(&project, "js-web", "web");
    for file in [
        "index.mjs",
        "node_modules/tiny/index.js",
        "package-lock.json",
    ] {
        assert!(files.contains(&file.to_string()), "{file} not in {files:?}");
    }
    assert!(
        !project.path("functions/web/node_modules").exists(),
        "npm ran in a copy, not in the code folder"
    );
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(0);
    assert_lacks(&plan.stderr, &["Building"]);

    project.write(
        "functions/web/index.mjs",
        "export const handler = async () => 2;\n",
    );
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert_has(&plan.stdout, &["code: changed index.mjs"]);

    // No npm on PATH when a build is due: the error names the function and the tool.
    project.write("functions/web/lib.mjs", "export const x = 1;\n");
    let missing = run_with(&project, &["plan"], &[("PATH", "/nonexistent")]);
    missing.code(1);
    assert_has(
        &missing.stderr,
        &["cannot build function web: npm is not installed"],
    );
}

const COMMAND: &str = r#"
[stack]
name = "cmd"

[functions.job]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/job"
build = { command = "mkdir -p dist && cp src/*.mjs dist/ && cp -RL shared dist/", output = "dist" }
"#;

#[cfg(unix)]
#[test]
fn a_command_build_packages_its_output_and_links_stay_in_the_repository() {
    let project = Project::new(COMMAND);
    project.write(
        "functions/job/src/index.mjs",
        "export const handler = async () => 1;\n",
    );
    // A workspace package, linked into the function's folder: followed, it is in the repository.
    project.write("packages/shared/util.mjs", "export const util = 1;\n");
    std::os::unix::fs::symlink(
        "../../packages/shared",
        project.path("functions/job/shared"),
    )
    .unwrap();
    // Without a build, declared dependencies would never reach Lambda: validate says so.
    project.write(
        "functions/plain/requirements.txt",
        "# pinned\nrequests==2.32.0\n",
    );
    project.set_stack(&format!(
        "{COMMAND}\n[functions.plain]\nruntime = \"python3.12\"\nhandler = \"app.handler\"\ncode = \"functions/plain\"\n"
    ));
    let validate = project.run(&["validate"]);
    validate.success();
    assert_has(
        &validate.stderr,
        &[
            "warning: function plain:",
            "requirements.txt declares dependencies",
            "add build = \"pip\" to [functions.plain]",
        ],
    );
    assert_lacks(&validate.stderr, &["function job:"]);
    project.set_stack(COMMAND);

    let writes_of_apply = project.apply_writes();
    assert!(
        writes_of_apply
            .iter()
            .any(|w| w.starts_with("lambda:CreateFunction")),
        "{writes_of_apply:?}"
    );
    assert_eq!(
        deployed_files(&project, "cmd-job", "job"),
        ["index.mjs", "shared/util.mjs"]
    );
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(0);
    assert_lacks(&plan.stderr, &["Building"]);

    // The linked package changed: the command runs again, the plan names the file.
    project.write("packages/shared/util.mjs", "export const util = 2;\n");
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert_has(&plan.stderr, &["Building function job (command)..."]);
    assert_has(&plan.stdout, &["code: changed shared/util.mjs"]);

    // A link that leaves the repository is refused, naming the link.
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), project.path("functions/job/src/outside")).unwrap();
    let refused = project.run(&["plan"]);
    refused.code(1);
    assert_has(
        &refused.stderr,
        &["functions/job/src/outside points outside the repository"],
    );
    std::fs::remove_file(project.path("functions/job/src/outside")).unwrap();

    // A failing command: its error output's tail, exit 1, nothing written.
    project.set_stack(&COMMAND.replace(
        "mkdir -p dist && cp src/*.mjs dist/ && cp -RL shared dist/",
        "echo 'tsc: error TS2304: Cannot find name' >&2; exit 3",
    ));
    let (failed, requests) = project.requests(&["apply", "--yes"]);
    failed.code(1);
    assert_has(
        &failed.stderr,
        &[
            "the command build of function job failed (exit status: 3)",
            "tsc: error TS2304",
        ],
    );
    assert!(writes(&requests).is_empty(), "{requests:?}");
}
