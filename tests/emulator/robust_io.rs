//! Closed pipes, Ctrl-C at a prompt or while the lock is taken, dead lock holders: stackctl
//! never panics, never hangs, never keeps a lock it cannot hold.

use std::io::{BufRead, BufReader};
use std::process::{Output, Stdio};

use crate::support::{Project, command};

const STACK: &str = r#"
[stack]
name = "shop"

[tables.orders]
partition_key = { name = "pk", type = "string" }
deletion_protection = false

[functions.get-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/get-order"
environment = { TABLE = "${tables.orders.name}" }

[api]

[routes]
"GET /orders/{id}" = "get-order"
"#;

/// Runs `args` with standard output (and standard error too when `stderr_too`) closed by
/// the reader before stackctl writes anything, as `stackctl plan | true` does.
fn with_output_closed(project: &Project, args: &[&str], stderr_too: bool) -> Output {
    let mut child = command(project.dir.path(), Some(project.endpoint()), args, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("stackctl starts");
    drop(child.stdout.take());
    if stderr_too {
        drop(child.stderr.take());
    }
    child.wait_with_output().expect("stackctl ends")
}

#[track_caller]
fn assert_no_panic(out: &Output, code: i32) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_closed_output_never_panics_validate_plan_or_outputs() {
    let project = Project::new(STACK);
    assert_no_panic(&with_output_closed(&project, &["validate"], false), 0);
    assert_no_panic(&with_output_closed(&project, &["validate"], true), 0);
    assert_no_panic(&with_output_closed(&project, &["plan"], false), 0);
    assert_no_panic(
        &with_output_closed(&project, &["plan", "--output", "json"], true),
        0,
    );
    // The exit code still says what the plan found.
    assert_no_panic(
        &with_output_closed(&project, &["plan", "--detailed-exitcode"], true),
        2,
    );
    project.apply_converges();
    assert_no_panic(&with_output_closed(&project, &["outputs"], false), 0);
    assert_no_panic(
        &with_output_closed(&project, &["outputs", "--output", "json"], true),
        0,
    );
}

#[test]
fn an_apply_whose_reader_goes_away_finishes_and_releases_its_lock() {
    let project = Project::new(STACK);
    // `stackctl apply --yes | head -1`.
    let mut child = project.spawn(&["apply", "--yes"], &[]);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("Stack shop in"), "{first}");
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_no_panic(&out, 0);
    let unlock = project.run(&["unlock", "--yes"]);
    unlock.success();
    assert!(
        unlock.stdout.contains("Stack shop is not locked."),
        "{}",
        unlock.stdout
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}
