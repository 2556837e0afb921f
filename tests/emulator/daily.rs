//! The daily loop (issue 23): a function's logs and invocation, saved plans shown again, one
//! raw output, validate's JSON, colour, quiet and verbose, completions and man pages.

use std::io::BufRead;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatchlogs::types::InputLogEvent;

use crate::support::proxy::ProxyConfig;
use crate::support::{Project, assert_has, assert_lacks, stackctl, stackctl_with};

const APP: &str = r#"
[stack]
name = "app"

[tables.orders]
partition_key = { name = "pk", type = "string" }
deletion_protection = false

[functions.worker]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/worker"

[functions.api]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/api"
"#;

const ID: &str = "8f5a3c1e-2b4d-4e6f-9a0b-1c2d3e4f5a6b";
const GROUP: &str = "/aws/lambda/app-worker";

fn logs(project: &Project) -> aws_sdk_cloudwatchlogs::Client {
    aws_sdk_cloudwatchlogs::Client::new(&project.sdk_config())
}

/// Puts `(milliseconds since the epoch, message)` events into one stream of `GROUP`.
fn put_events(project: &Project, stream: &str, events: &[(i64, &str)]) {
    let client = logs(project);
    project.block_on(async {
        let _ = client.create_log_group().log_group_name(GROUP).send().await;
        let _ = client
            .create_log_stream()
            .log_group_name(GROUP)
            .log_stream_name(stream)
            .send()
            .await;
        let mut request = client
            .put_log_events()
            .log_group_name(GROUP)
            .log_stream_name(stream);
        for (timestamp, message) in events {
            request = request.log_events(
                InputLogEvent::builder()
                    .timestamp(*timestamp)
                    .message(*message)
                    .build()
                    .unwrap(),
            );
        }
        request.send().await.expect("PutLogEvents");
    });
}

fn time(ms: i64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms as u64)).to_string()
}

#[test]
fn logs_print_each_event_with_its_time_and_request_id_in_order_and_follow_without_repeats() {
    let project = Project::new(APP);
    let before = project.run(&["logs", "worker"]);
    before
        .success()
        .stderr_has(&["No logs yet: the log group /aws/lambda/app-worker does not exist"]);
    assert_eq!(before.stdout, "");

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let t0 = now - 60_000;
    // Two streams (two execution environments), written out of order; one event too old.
    put_events(
        &project,
        "2026/12/08/[$LATEST]aaa",
        &[
            (t0, &format!("START RequestId: {ID} Version: $LATEST\n")),
            (
                t0 + 5,
                &format!("2026-12-08T00:00:00.005Z\t{ID}\tINFO\torder 42 paid\n"),
            ),
            (
                t0 + 9,
                &format!("REPORT RequestId: {ID}\tDuration: 2.00 ms\tBilled Duration: 3 ms\t\n"),
            ),
        ],
    );
    put_events(
        &project,
        "2026/12/08/[$LATEST]bbb",
        &[
            (now - 3 * 3_600_000, "too old to show\n"),
            (t0 + 7, "INIT_START Runtime Version: nodejs:20.v1\n"),
        ],
    );
    let run = project.run(&["logs", "worker", "--since", "10m"]);
    run.success();
    let pad = " ".repeat(35);
    assert_eq!(
        run.stdout,
        format!(
            "{} {ID} START RequestId: {ID} Version: $LATEST\n\
             {} {ID} INFO order 42 paid\n\
             {} -{pad} INIT_START Runtime Version: nodejs:20.v1\n\
             {} {ID} REPORT RequestId: {ID} Duration: 2.00 ms Billed Duration: 3 ms\n",
            time(t0),
            time(t0 + 5),
            time(t0 + 7),
            time(t0 + 9),
        )
    );
    // An RFC 3339 start, a filter pattern, and every page read once.
    let since = time(t0 + 1);
    let (run, requests) =
        project.requests(&["logs", "worker", "--since", &since, "--filter", "paid"]);
    run.success();
    assert_eq!(
        run.stdout,
        format!("{} {ID} INFO order 42 paid\n", time(t0 + 5))
    );
    assert_eq!(requests, ["cloudwatch logs:FilterLogEvents"]);

    let bad = project.run(&["logs", "worker", "--since", "yesterday"]);
    bad.code(1)
        .stderr_has(&["'yesterday' is neither a duration nor a time"]);
    let unknown = project.run(&["logs", "wroker"]);
    unknown.code(1).stderr_has(&[
        "declares no function wroker",
        "did you mean worker?",
        "declared functions: worker, api",
    ]);

    // --follow: what was shown is not shown again, what comes later is.
    let mut child = project.spawn(&["logs", "worker", "--since", "10m", "--follow"], &[]);
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..4 {
        lines.next().unwrap().unwrap();
    }
    put_events(
        &project,
        "2026/12/08/[$LATEST]aaa",
        &[(t0 + 9, "same millisecond, new event\n"), (now, "later\n")],
    );
    let next: Vec<String> = (0..2).map(|_| lines.next().unwrap().unwrap()).collect();
    assert_eq!(
        next,
        [
            format!("{} -{pad} same millisecond, new event", time(t0 + 9)),
            format!("{} -{pad} later", time(now)),
        ]
    );
    crate::support::interrupt(child.id());
    assert!(
        child.wait().unwrap().success(),
        "Ctrl-C ends --follow cleanly"
    );
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert!(rest.is_empty(), "nothing repeats: {rest:?}");
}

#[test]
fn invoke_sends_the_payload_asks_for_the_log_tail_and_reports_the_functions_error() {
    let project = Project::new(APP).through_proxy(ProxyConfig::immediate());
    project.run(&["apply", "--yes"]).success();
    let stats = &project.proxy.as_ref().unwrap().stats;
    stats.reset();

    let run = project.run(&[
        "invoke",
        "worker",
        "--payload",
        r#"{"orderId": 42}"#,
        "--log",
        "--verbose",
    ]);
    // The emulator runs functions in Docker; without it, it answers with a function error.
    run.code(1).stderr_has(&[
        "aws request: lambda:Invoke",
        "error: function worker (app-worker, version $LATEST) failed (",
    ]);
    assert_eq!(stats.counts()["lambda:Invoke"], 1);
    assert_eq!(
        stats.bodies("lambda:Invoke"),
        [serde_json::json!({"orderId": 42})]
    );

    // A payload from a file; standard output holds only the function's answer.
    project.write("event.json", r#"{"source": "file"}"#);
    project
        .run(&["invoke", "worker", "--payload-file", "event.json"])
        .code(1);
    assert_eq!(
        stats.bodies("lambda:Invoke")[1],
        serde_json::json!({"source": "file"})
    );

    stats.reset();
    let bad = project.run(&["invoke", "worker", "--payload", "{orderId: 42}"]);
    bad.code(1)
        .stderr_has(&["--payload is not JSON: key must be a string at line 1 column 2"]);
    let missing = project.run(&["invoke", "worker", "--payload-file", "nope.json"]);
    missing
        .code(1)
        .stderr_has(&["cannot read --payload-file nope.json"]);
    let unknown = project.run(&["invoke", "nope"]);
    unknown.code(1).stderr_has(&[
        "declares no function nope",
        "declared functions: worker, api",
    ]);
    assert_eq!(stats.total(), 0, "bad input sends nothing");
}

#[test]
fn saved_plans_show_again_and_one_output_prints_raw() {
    let project = Project::new(APP);
    let markdown = project.run(&["plan", "--output", "markdown", "--out", "plan.json"]);
    markdown.success();
    assert_has(
        &markdown.stdout,
        &[
            "### stackctl plan: stack `app` in us-east-1",
            "**Plan:** 5 to create, 0 to update, 0 to replace, 0 to delete.",
            "| `+` | `function.worker` | `app-worker` | create |",
            "<details><summary><code>+ table.orders</code>: create</summary>",
        ],
    );
    markdown.stderr_has(&["Saved the plan to plan.json"]);
    let shown = stackctl(
        project.dir.path(),
        None,
        &["show", "plan.json", "--output", "markdown"],
    );
    shown.success();
    assert_eq!(shown.stdout, markdown.stdout);
    let text = stackctl(project.dir.path(), None, &["show", "plan.json"]);
    text.success().stdout_has(&[
        "Saved plan of stack app in us-east-1, account 123456789012:",
        "  + table.orders (app-orders): create",
        "Plan: 5 to create, 0 to update, 0 to replace, 0 to delete.",
    ]);
    let json = stackctl(
        project.dir.path(),
        None,
        &["show", "plan.json", "--output", "json"],
    );
    let saved: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(saved["origin"]["stack_file"], "stack.toml");
    project.write("broken.json", "{\"stack\": 1}");
    stackctl(project.dir.path(), None, &["show", "broken.json"])
        .code(1)
        .stderr_has(&["broken.json is not a plan saved by stackctl"]);

    project.run(&["apply", "--yes", "--quiet"]).success();
    let name = project.run(&["outputs", "tables.orders.name"]);
    name.success();
    assert_eq!(name.stdout, "app-orders\n");
    project
        .run(&["outputs", "tables.order.name"])
        .code(1)
        .stderr_has(&[
            "the stack has no output tables.order.name",
            "did you mean tables.orders.name?",
        ]);
}

#[test]
fn colour_quiet_and_verbose_are_decided_once_for_every_command() {
    let project = Project::new(APP);
    let plain = project.run(&["plan"]);
    plain
        .success()
        .stderr_has(&["Account 123456789012, region us-east-1"]);
    assert_lacks(&plain.stdout, &["\x1b["]);
    let always = project.run(&["plan", "--color", "always"]);
    assert_has(&always.stdout, &["\x1b[32m+ table.orders"]);
    let forced = stackctl_with(
        project.dir.path(),
        Some(project.endpoint()),
        &["plan"],
        &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")],
    );
    assert_has(&forced.stdout, &["\x1b[32m+ table.orders"]);
    // NO_COLOR wins over CLICOLOR_FORCE; --color never over both.
    let no_color = stackctl_with(
        project.dir.path(),
        Some(project.endpoint()),
        &["plan"],
        &[("CLICOLOR_FORCE", "1")],
    );
    assert_lacks(&no_color.stdout, &["\x1b["]);
    let never = stackctl_with(
        project.dir.path(),
        Some(project.endpoint()),
        &["plan", "--color", "never"],
        &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")],
    );
    assert_lacks(&never.stdout, &["\x1b["]);

    let quiet = project.run(&["plan", "--quiet"]);
    quiet.success();
    assert_eq!(quiet.stderr, "", "no notes with --quiet");
    assert_eq!(quiet.stdout, plain.stdout, "the result stays");
    let verbose = project.run(&["plan", "-v"]);
    verbose.success().stderr_has(&[
        "aws request: lambda:ListFunctions",
        "aws request: sts:GetCallerIdentity",
    ]);
    assert_lacks(&plain.stderr, &["aws request:"]);
    project
        .run(&["plan", "--quiet", "--verbose"])
        .code(1)
        .stderr_has(&["cannot be used with"]);
}

#[test]
fn validate_answers_in_json_with_file_line_and_column() {
    let project = Project::new(APP);
    let ok = stackctl(project.dir.path(), None, &["validate", "--output", "json"]);
    ok.success();
    let ok: serde_json::Value = serde_json::from_str(&ok.stdout).unwrap();
    assert_eq!(ok["valid"], true);
    assert_eq!(ok["functions"], 2);
    project.write("bad.toml", "[stack]\nname = \"app\"\n\n[tables.orders]\npartition_key = { name = \"pk\", type = \"strin\" }\n");
    let bad = stackctl(
        project.dir.path(),
        None,
        &["validate", "-f", "bad.toml", "--output", "json"],
    );
    bad.code(1);
    let bad: serde_json::Value = serde_json::from_str(&bad.stdout).unwrap();
    assert_eq!(bad["valid"], false);
    let error = &bad["errors"][0];
    assert_eq!(
        (&error["file"], &error["line"], &error["column"]),
        (&"bad.toml".into(), &5.into(), &39.into())
    );
    assert!(
        error["message"].as_str().unwrap().contains("strin"),
        "{error}"
    );
}

#[test]
fn completions_and_man_pages_know_every_command() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = stackctl(dir.path(), None, &["completions", shell]);
        run.success();
        assert_has(
            &run.stdout,
            &["logs", "invoke", "show", "export-table", "lock-timeout"],
        );
    }
    stackctl(dir.path(), None, &["completions", "tcsh"])
        .code(1)
        .stderr_has(&["invalid value 'tcsh'"]);
    let page = stackctl(dir.path(), None, &["manpage"]);
    page.success();
    assert_has(
        &page.stdout,
        &[
            ".TH stackctl 1",
            "stackctl\\-logs(1)",
            "stackctl\\-invoke(1)",
        ],
    );
    stackctl(dir.path(), None, &["manpage", "-o", "man"]).success();
    for page in [
        "stackctl.1",
        "stackctl-plan.1",
        "stackctl-logs.1",
        "stackctl-items-put.1",
    ] {
        assert!(dir.path().join("man").join(page).exists(), "{page}");
    }
}
