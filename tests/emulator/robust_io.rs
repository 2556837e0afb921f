//! Closed pipes, Ctrl-C at a prompt or while the lock is taken, dead lock holders: stackctl
//! never panics, never hangs, never keeps a lock it cannot hold.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;

use crate::support::output::assert_output_snapshot;
use crate::support::proxy::{Before, ProxyConfig};
use crate::support::{Project, SHOP as STACK, assert_has, command, interrupt};

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
    unlock.success().stdout_has(&["Stack shop is not locked."]);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

/// Collects a child's output as it comes, so that a test can wait for a line.
struct Watched {
    text: String,
    chunks: mpsc::Receiver<String>,
}

impl Watched {
    fn new(mut from: impl Read + Send + 'static) -> Watched {
        let (sender, chunks) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buffer = [0; 4096];
            while let Ok(n) = from.read(&mut buffer) {
                if n == 0
                    || sender
                        .send(String::from_utf8_lossy(&buffer[..n]).into_owned())
                        .is_err()
                {
                    break;
                }
            }
        });
        Watched {
            text: String::new(),
            chunks,
        }
    }

    /// Waits (a minute at most) until the output holds `text`.
    #[track_caller]
    fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.text.contains(text) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.chunks.recv_timeout(left) {
                Ok(chunk) => self.text.push_str(&chunk),
                Err(_) => panic!("no {text:?} in:\n{}", self.text),
            }
        }
    }

    /// Everything, once the writer has closed it.
    fn rest(mut self) -> String {
        while let Ok(chunk) = self.chunks.recv() {
            self.text.push_str(&chunk);
        }
        self.text
    }
}

/// Waits for `child` to exit, for `within` at most: a process that does not is a hang.
#[track_caller]
fn exits_within(child: &mut Child, within: Duration) -> i32 {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("stackctl did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn ctrl_c_at_the_prompt_exits_at_once_and_releases_the_lock() {
    let project = Project::new(STACK);
    let (_controller, input) = crate::support::pseudo_terminal();
    let mut child = command(
        project.dir.path(),
        Some(project.endpoint()),
        &["apply"],
        &[],
    )
    .stdin(Stdio::from(input))
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdout = Watched::new(child.stdout.take().unwrap());
    let stderr = Watched::new(child.stderr.take().unwrap());
    stdout.wait_for("Apply these changes? Only 'yes' will be accepted: ");
    interrupt(child.id());
    let code = exits_within(&mut child, Duration::from_secs(10));
    let stdout = stdout.rest();
    assert_eq!(code, 1, "{stdout}\n{}", stderr.rest());
    assert_has(&stdout, &["Apply cancelled; nothing was changed."]);
    let unlock = project.run(&["unlock", "--yes"]);
    unlock.stdout_has(&["Stack shop is not locked."]);
    project.run(&["plan", "--detailed-exitcode"]).code(2);
}

/// The apply of the test below, to interrupt from the proxy.
static TAKING: AtomicU32 = AtomicU32::new(0);

/// Presses Ctrl-C on the process in `target` (once it is set) while the request the proxy
/// holds is on its way to AWS.
fn interrupt_from_proxy(target: &AtomicU32) -> bool {
    let pid = target.load(Ordering::SeqCst);
    if pid == 0 {
        return false;
    }
    interrupt(pid);
    // Let the signal land before the request goes on.
    std::thread::sleep(Duration::from_millis(500));
    true
}

/// Project STACK through a proxy that calls `hook` before the first request of `operation`.
fn interrupted_by(operation: &'static str, hook: Before) -> Project {
    Project::new(STACK).through_proxy(ProxyConfig {
        quotas: false,
        ..ProxyConfig::before(operation, hook)
    })
}

/// Presses Ctrl-C on the apply while its lock request is on its way to AWS.
fn interrupt_taking(_endpoint: &str, _body: &[u8]) -> bool {
    interrupt_from_proxy(&TAKING)
}

#[test]
fn ctrl_c_while_the_lock_is_taken_leaves_no_lock() {
    let project = interrupted_by("dynamodb:UpdateItem", interrupt_taking);
    let child = project.spawn(&["apply", "--yes"], &[]);
    TAKING.store(child.id(), Ordering::SeqCst);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_has(
        &stderr,
        &["interrupted while taking the lock of stack shop; nothing was changed"],
    );
    assert_eq!(project.lock_holder("shop"), None, "released");
    project.run(&["plan", "--detailed-exitcode"]).code(2);
}

/// Writes stack shop's lock as a holder on `host` with process `pid` would, its lease running
/// for 5 more minutes.
fn put_lock(project: &Project, holder: &str, host: Option<&str>, pid: u32) {
    let mut process = vec![("pid", AttributeValue::N(pid.to_string()))];
    if let Some(host) = host {
        process.push(("host", AttributeValue::S(host.into())));
    }
    project.hold_lock("shop", holder, 300, &process);
}

/// The ID of a process of this machine that has ended.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn a_lock_whose_holder_on_this_machine_is_gone_is_taken_over_at_once() {
    let project = Project::new(STACK);
    project.apply_converges();
    project.set_stack(&STACK.replace("[api]", "[tables.more]\npartition_key = { name = \"pk\", type = \"string\" }\ndeletion_protection = false\n\n[api]"));

    put_lock(&project, "killed-job", Some(&this_host()), dead_pid());
    let unlock = project.run(&["unlock", "--yes"]);
    unlock.stdout_has(&["(its process on this machine no longer exists)"]);

    put_lock(&project, "killed-job", Some(&this_host()), dead_pid());
    // No wait: its lease has minutes to run, and the apply waits for no one.
    let run = project.run(&["apply", "--yes"]);
    run.success().stderr_has(&[
        "Took over the lock of stack shop, held by killed-job since",
        "(its process on this machine no longer exists)",
    ]);
    assert_eq!(project.lock_holder("shop"), None);
    project.run(&["plan", "--detailed-exitcode"]).code(0);

    // A live process, or one of another machine, keeps its lock.
    project.set_stack(STACK);
    put_lock(
        &project,
        "running-job",
        Some(&this_host()),
        std::process::id(),
    );
    let run = project.run(&["apply", "--yes"]);
    run.code(1)
        .stderr_has(&["stack shop is locked by running-job"]);
    put_lock(&project, "elsewhere", Some("another-host"), dead_pid());
    let run = project.run(&["apply", "--yes"]);
    run.code(1)
        .stderr_has(&["stack shop is locked by elsewhere"]);
}

#[test]
fn a_lock_wait_shows_whom_it_waits_for_and_says_when_it_timed_out() {
    let project = Project::new(STACK);
    project.apply_converges();
    project.set_stack(&STACK.replace("memory = 256", "memory = 512"));
    put_lock(&project, "ci-job-41", None, 1);
    let run = project.run(&["apply", "--yes", "--lock-timeout", "2s"]);
    run.code(1).stderr_has(&[
        "Waiting for the lock of stack shop: held by ci-job-41 since",
        "timed out after waiting 2 s for the lock of stack shop",
        "a larger --lock-",
    ]);
    assert!(!run.stderr.contains("10m"), "{}", run.stderr);

    // Ctrl-C while waiting stops the wait at once, and leaves the holder's lock alone.
    let mut child = project.spawn(&["apply", "--yes", "--lock-timeout", "10m"], &[]);
    let mut stderr = Watched::new(child.stderr.take().unwrap());
    stderr.wait_for("Waiting for the lock of stack shop");
    interrupt(child.id());
    let code = exits_within(&mut child, Duration::from_secs(10));
    let stderr = stderr.rest();
    assert_eq!(code, 1, "{stderr}");
    assert_has(
        &stderr,
        &[
            "interrupted while waiting for the lock of stack shop, held by ci-job-41; nothing was changed",
        ],
    );
    assert_eq!(project.lock_holder("shop").as_deref(), Some("ci-job-41"));
}

#[test]
fn a_plan_blocked_by_a_taken_name_says_so() {
    let project = Project::new(
        "[stack]\nname = \"shop\"\n\n[tables.orders]\npartition_key = { name = \"pk\", type = \"string\" }\n",
    );
    project.create_table("shop-orders", "pk", None);
    for args in [&["plan"][..], &["apply", "--yes"]] {
        let run = project.run(args);
        run.code(1)
            .stdout_has(&[
                "Stack shop in us-east-1: blocked, nothing can be applied until the error below is fixed.",
            ])
            .stdout_lacks(&["No changes"]);
    }
    // A blocked plan is not saved; a saved plan that records blockers is refused.
    let run = project.run(&["plan", "--out", "plan.json"]);
    run.code(1)
        .stderr_has(&["The plan is blocked: it was not saved to plan.json"]);
    assert!(!project.path("plan.json").exists());
    let saved = serde_json::json!({
        "format_version": "1", "stack": "shop", "region": "us-east-1", "changes": [],
        "blockers": [{ "address": "table.orders", "message": "taken" }],
    });
    std::fs::write(project.path("blocked.json"), saved.to_string()).unwrap();
    let (run, requests) = project.requests(&["apply", "blocked.json"]);
    run.code(1)
        .stderr_has(&["refusing to apply: the plan has 1 error"]);
    assert!(requests.is_empty(), "{requests:?}");
}

/// The destroy of the test below, to interrupt from the proxy.
static DESTROYING: AtomicU32 = AtomicU32::new(0);

fn interrupt_destroying(_endpoint: &str, _body: &[u8]) -> bool {
    interrupt_from_proxy(&DESTROYING)
}

#[test]
fn destroy_messages_name_destroy_and_the_data_loss_flag_as_given() {
    let project = interrupted_by(
        "lambda:DELETE /2015-03-31/functions/*",
        interrupt_destroying,
    );
    project.apply_converges();

    let run = project.run(&["destroy", "--yes"]);
    run.code(1);
    assert_output_snapshot!("destroy_without_allow_data_loss", run.shown());

    // Interrupted halfway: finishing it is a destroy, not an apply (which would make it again).
    let child = project.spawn(&["destroy", "--yes", "--allow-data-loss"], &[]);
    DESTROYING.store(child.id(), Ordering::SeqCst);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout
            .contains("this plan deletes table data (table.orders); --allow-data-loss allows it.")
            && !stdout.contains("needs --allow-data-loss"),
        "{stdout}"
    );
    assert!(
        stderr.contains("destroy did not finish: ")
            && stderr.contains("run stackctl destroy --allow-data-loss again to finish")
            && !stderr.contains("stackctl apply"),
        "{stderr}"
    );
    let run = project.run(&["destroy", "--yes", "--allow-data-loss"]);
    run.success().stdout_has(&["Destroy complete: "]);
    let run = project.run(&["destroy", "--yes"]);
    run.success()
        .stdout_has(&["Nothing to destroy: stack shop in us-east-1 owns no resources."]);
    let tables = project
        .block_on(project.dynamodb().list_tables().send())
        .unwrap();
    assert_eq!(tables.table_names(), ["stackctl-locks"]);
}
