//! What users see for a bad stack file: every problem, with file, line, column, the text
//! underlined and a hint; exit code 1; and no AWS call.

mod support;

use std::path::Path;

use support::stackctl;

fn fixtures() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/invalid"
    ))
}

/// Validates a fixture, checks the exit code, and checks that plan reports the same
/// problems before talking to AWS (its endpoint is a closed port).
fn errors_of(fixture: &str) -> String {
    let run = stackctl(fixtures(), None, &["validate", "-f", fixture]);
    run.code(1);
    assert!(
        run.stdout.is_empty(),
        "validate printed to stdout: {}",
        run.stdout
    );
    let plan = stackctl(
        fixtures(),
        Some("http://127.0.0.1:9"),
        &["plan", "-f", fixture],
    );
    plan.code(1);
    assert_eq!(
        plan.stderr, run.stderr,
        "plan must fail the same way, before any AWS call"
    );
    run.stderr
}

#[test]
fn toml_syntax_error() {
    insta::assert_snapshot!(errors_of("syntax.toml"));
}

#[test]
fn unknown_key_suggests_the_right_one() {
    insta::assert_snapshot!(errors_of("unknown_key.toml"));
}

#[test]
fn wrong_types_and_ranges_are_all_reported() {
    insta::assert_snapshot!(errors_of("wrong_type.toml"));
}

#[test]
fn dangling_references() {
    insta::assert_snapshot!(errors_of("dangling_reference.toml"));
}

#[test]
fn reference_cycle_names_the_whole_loop() {
    insta::assert_snapshot!(errors_of("cycle.toml"));
}

#[test]
fn bad_routes() {
    insta::assert_snapshot!(errors_of("routes.toml"));
}

#[test]
fn bad_names_and_missing_code() {
    insta::assert_snapshot!(errors_of("names.toml"));
}

#[test]
fn missing_required_fields() {
    insta::assert_snapshot!(errors_of("missing_fields.toml"));
}

#[test]
fn missing_stack_file() {
    insta::assert_snapshot!(errors_of("does-not-exist.toml"));
}

#[test]
fn the_repository_stack_is_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = stackctl(root, None, &["validate"]);
    run.success();
    assert_eq!(
        run.stdout,
        "stack.toml is valid: stack shop, 2 tables, 3 functions, 3 routes.\n"
    );
}

#[test]
fn usage_errors_exit_1_not_2() {
    let run = stackctl(
        fixtures(),
        None,
        &["plan", "--detailed-exitcode", "--bogus"],
    );
    run.code(1).stderr_has(&["unexpected argument '--bogus'"]);
    stackctl(fixtures(), None, &["plan", "--output", "yaml"]).code(1);
    stackctl(fixtures(), None, &["--help"]).code(0);
}

#[test]
fn table_and_index_mistakes() {
    insta::assert_snapshot!(errors_of("tables.toml"));
}

#[test]
fn fixed_name_mistakes() {
    insta::assert_snapshot!(errors_of("fixed_names.toml"));
    insta::assert_snapshot!(errors_of("fixed_names_env.toml"));
}

#[test]
fn function_mistakes() {
    insta::assert_snapshot!(errors_of("functions.toml"));
}

/// Lambda refuses deprecated runtimes and a fixed list of variable names, nothing more.
#[test]
fn lambda_refuses_deprecated_runtimes_and_reserved_names_only() {
    insta::assert_snapshot!(errors_of("lambda_faults.toml"));
}

/// A default's problem names the functions it reaches; extra permissions are IAM actions on
/// ARNs, `*` or references, for managed roles only.
#[test]
fn defaults_and_permissions_mistakes() {
    insta::assert_snapshot!(errors_of("defaults.toml"));
}

/// Inputs name SSM parameters, and references name declared inputs.
#[test]
fn input_mistakes() {
    insta::assert_snapshot!(errors_of("inputs.toml"));
}

#[test]
fn api_mistakes() {
    insta::assert_snapshot!(errors_of("api.toml"));
}

#[test]
fn websocket_mistakes() {
    insta::assert_snapshot!(errors_of("websocket.toml"));
}

#[test]
fn a_websocket_route_written_twice() {
    insta::assert_snapshot!(errors_of("websocket_duplicate.toml"));
}

/// A function that manages the connections of the API whose authorizer it is would need the
/// API before its role, and the API needs the function: a cycle.
#[test]
fn websocket_authorizer_managing_connections_is_a_cycle() {
    insta::assert_snapshot!(errors_of("websocket_cycle.toml"));
}

#[test]
fn a_rest_api_without_routes_cannot_be_deployed() {
    insta::assert_snapshot!(errors_of("rest_without_routes.toml"));
}

#[test]
fn usage_plan_and_api_key_mistakes() {
    insta::assert_snapshot!(errors_of("usage_plans.toml"));
}

#[test]
fn http_apis_have_no_api_keys() {
    insta::assert_snapshot!(errors_of("api_key_on_http.toml"));
}

#[test]
fn the_example_stacks_are_valid() {
    let examples = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"));
    for (file, summary) in [
        (
            "rest-api.toml",
            "stack shop-rest, 1 table, 2 functions, 2 routes.",
        ),
        (
            "chat.toml",
            "stack chat, 1 table, 4 functions, 0 routes, a WebSocket API with 4 routes.",
        ),
        (
            "analytics-tables.toml",
            "stack analytics, 1 table, 0 functions, 0 routes.",
        ),
        (
            "metered-api.toml",
            "stack metered, 1 table, 2 functions, 3 routes.",
        ),
        (
            "users.toml",
            "stack shop-users, 0 tables, 1 function, 1 route, 1 user pool.",
        ),
        (
            "events.toml",
            "stack events, 1 table, 2 functions, 1 route, 2 topics with 3 subscriptions.",
        ),
    ] {
        let run = stackctl(examples, None, &["validate", "-f", file]);
        run.success();
        assert_eq!(run.stdout, format!("{file} is valid: {summary}\n"));
    }
}

#[test]
fn environments_that_would_share_names_are_refused() {
    insta::assert_snapshot!(errors_of("shared_names.toml"));
}

#[test]
fn environment_overlays_name_only_what_the_base_declares() {
    insta::assert_snapshot!(errors_of("env.toml"));
    // An environment the file does not declare.
    let run = stackctl(
        fixtures(),
        None,
        &["validate", "-f", "../../../stack.toml", "--env", "qa"],
    );
    run.code(1)
        .stderr_has(&["no environment \"qa\" in the stack file"]);
}

#[test]
fn regions_must_be_aws_regions() {
    insta::assert_snapshot!(errors_of("region.toml"));
}

/// Runs `validate` in `dir` and fails the test if it has not ended within 30 s (a hang).
#[cfg(unix)]
fn validate_within_30s(dir: &Path, args: &[&str]) -> support::Run {
    let mut child = support::command(dir, None, args, &[])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("stackctl runs");
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("stackctl {args:?} hung");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    support::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[cfg(unix)]
#[test]
fn special_files_never_hang_or_fill_memory() {
    let dir = tempfile::tempdir().unwrap();
    // A stack file that never ends is read only up to the limit.
    let run = validate_within_30s(dir.path(), &["validate", "-f", "/dev/zero"]);
    run.code(1)
        .stderr_has(&["cannot read /dev/zero: it is larger than 4 MB"]);

    // A named pipe in a code folder is refused, never opened.
    std::fs::create_dir(dir.path().join("code")).unwrap();
    std::fs::write(dir.path().join("code/index.js"), "x").unwrap();
    let fifo = dir.path().join("code/events");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.unwrap().success());
    // The pipe in the code folder, then as the code itself: not "does not exist".
    let cases: [(&str, &[&str]); 2] = [
        (
            "code",
            &["events is not a regular file or folder", "exclude"],
        ),
        (
            "code/events",
            &["code \"code/events\" is not a regular file or folder"],
        ),
    ];
    for (code, expected) in cases {
        std::fs::write(
            dir.path().join("stack.toml"),
            format!("[stack]\nname = \"shop\"\n\n[functions.f]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"{code}\"\n"),
        )
        .unwrap();
        let run = validate_within_30s(dir.path(), &["validate"]);
        run.code(1).stderr_has(expected);
    }
}

#[test]
fn route_paths_api_gateway_refuses() {
    insta::assert_snapshot!(errors_of("rest_routes.toml"));
    insta::assert_snapshot!(errors_of("http_routes.toml"));
}

#[test]
fn documented_aws_limits_are_checked_at_their_line() {
    insta::assert_snapshot!(errors_of("limits.toml"));
    insta::assert_snapshot!(errors_of("api_limits.toml"));
}

#[test]
fn every_environment_s_names_must_fit_aws() {
    insta::assert_snapshot!(errors_of("env_names.toml"));
    insta::assert_snapshot!(errors_of("env_merged.toml"));
    // With --env, the same problem once, for that environment.
    let run = stackctl(
        fixtures(),
        None,
        &["validate", "-f", "env_names.toml", "--env", "staging"],
    );
    run.code(1);
    assert_eq!(
        run.stderr
            .matches("in [env.staging], physical name")
            .count(),
        1,
        "{}",
        run.stderr
    );
    // A name too long in the base is reported once, as the base's, with or without --env.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("code")).unwrap();
    std::fs::write(dir.path().join("code/index.js"), "x").unwrap();
    let long = "f".repeat(70);
    std::fs::write(
        dir.path().join("stack.toml"),
        format!("[stack]\nname = \"shop\"\n\n[functions.{long}]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"code\"\n\n[env.staging]\n"),
    )
    .unwrap();
    for args in [&["validate"][..], &["validate", "--env", "staging"][..]] {
        let run = stackctl(dir.path(), None, args);
        run.code(1);
        assert_eq!(
            run.stderr.matches("longer than 64 characters").count(),
            1,
            "{args:?}: {}",
            run.stderr
        );
        run.stderr_has(&[&format!("\"shop-{long}\"")]);
    }
}

#[test]
fn bucket_and_account_flags_aws_would_refuse_are_usage_errors() {
    for (args, expected) in [
        (
            &["export-table", "orders", "--bucket", "my exports"][..],
            "'my exports' is not an S3 bucket name",
        ),
        (
            &["import-table", "orders", "--from", "s3://-exports/x/"][..],
            "'-exports' is not an S3 bucket name",
        ),
        (
            &[
                "export-table",
                "orders",
                "--bucket",
                "b-exports",
                "--bucket-owner",
                "12345",
            ][..],
            "'12345' is not an AWS account ID",
        ),
    ] {
        let run = stackctl(fixtures(), None, args);
        run.code(1);
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn layers_from_another_region_and_http_access_logs_without_request_ids() {
    insta::assert_snapshot!(errors_of("region_bound.toml"));
}

/// An item schema that disagrees with its table's keys, index keys or TTL points at both
/// lines; rules that do not fit their type, bad defaults and unknown types at their text.
#[test]
fn item_schema_mistakes() {
    insta::assert_snapshot!(errors_of("items.toml"));
}

#[test]
fn autoscaling_mistakes() {
    insta::assert_snapshot!(errors_of("autoscaling.toml"));
}

/// Aliases without `publish`, a weight outside 0 to 1, `of` naming no alias (with a
/// suggestion), a weight without `of`, alias names Lambda refuses, unknown tracing modes.
#[test]
fn version_and_alias_mistakes() {
    insta::assert_snapshot!(errors_of("versions.toml"));
}

/// `stage` beside `stages`; on an HTTP API, tracing and execution logging (REST-only);
/// stage variable names and values API Gateway refuses; unknown logging levels.
#[test]
fn stage_mistakes() {
    insta::assert_snapshot!(errors_of("stages.toml"));
}

/// A route's alias the function does not declare, and a stage variable that names an
/// undeclared alias or is missing on a stage.
#[test]
fn route_alias_mistakes() {
    insta::assert_snapshot!(errors_of("route_aliases.toml"));
}

#[test]
fn user_pool_mistakes() {
    insta::assert_snapshot!(errors_of("user_pools.toml"));
}

/// Topics: unknown keys, a FIFO-only setting on a standard topic, a subscription with two
/// endpoints or to an unknown function, raw delivery to an address, a FIFO topic delivering
/// to an address, unknown topics in access, references and routes, and an HTTP API that
/// cannot publish.
#[test]
fn topic_mistakes() {
    insta::assert_snapshot!(errors_of("topics.toml"));
}

/// REST routes that publish: to an unknown topic, while also naming a function, with an alias
/// (a route that publishes invokes no function), to a FIFO topic (no message group).
#[test]
fn rest_publish_mistakes() {
    insta::assert_snapshot!(errors_of("rest_publish.toml"));
}

/// Authorizer keys that cannot go together (a pool with an issuer, audience or ARNs; a client
/// without a pool, or on a REST cognito authorizer) are errors, not dropped; a route naming an
/// authorizer that is written but invalid gets no second error, one naming none does.
#[test]
fn conflicting_authorizer_keys() {
    insta::assert_snapshot!(
        "authorizer_keys_http",
        errors_of("authorizer_keys_http.toml")
    );
    insta::assert_snapshot!(
        "authorizer_keys_rest",
        errors_of("authorizer_keys_rest.toml")
    );
}

/// Filter policies SNS refuses (a value that is not a list, an empty list, an unknown or
/// misused operator, more than five attributes or 150 combinations, a nested list) and a FIFO
/// queue on a standard topic are stack-file errors; a filter within the rules passes. An
/// address written twice in other case is one address (the rule plan matches by).
#[test]
fn filter_policies_sns_refuses() {
    insta::assert_snapshot!(errors_of("topic_filters.toml"));
}

/// Callback and logout URLs Cognito refuses (plain http but for localhost, a fragment, not
/// absolute, a reference) and scopes it does not know are stack-file errors; a client within
/// the rules passes.
#[test]
fn oauth_settings_cognito_refuses() {
    insta::assert_snapshot!(errors_of("user_pool_oauth.toml"));
}

/// Environments that would give a pool the hosted UI domain prefix the base (or another
/// environment) gives it, in the same region, are refused at the environment; one with its own
/// prefix, or in another region, is not.
#[test]
fn environments_need_their_own_domain_prefixes() {
    insta::assert_snapshot!(errors_of("env_domains.toml"));
}

/// Queues: a duration that is not one, one out of SQS's range, a number out of range, an
/// unknown key, a dead-letter queue that is not declared, the queue itself or of the other
/// kind, a receive count below 1, and references to an unknown attribute and queue.
#[test]
fn queue_mistakes() {
    insta::assert_snapshot!(errors_of("queues.toml"));
}

/// Event sources: a table without a stream (both lines shown), an unknown starting position,
/// a queue setting on a stream event and the other way round, a batch size past SQS's, a
/// source written twice, an empty filter, two sources in one event, an unknown queue, and an
/// event without a source, and schedule expressions EventBridge refuses.
#[test]
fn event_source_mistakes() {
    insta::assert_snapshot!(errors_of("events.toml"));
}

/// Builds and VPCs: an unknown build, pip for a Node.js runtime, npm without its lock file,
/// an empty command writing outside its folder, a subnet ID of the wrong form and no
/// security group.
#[test]
fn build_and_vpc_mistakes() {
    insta::assert_snapshot!(errors_of("builds.toml"));
}
