//! The account and region stackctl acts on, and what it says when AWS cannot be used: one
//! line naming what and where, a hint, exit 1. Credential failures are answered by a loopback
//! stub with AWS's error bodies; the rest needs no AWS at all, or the emulator.

use std::time::{Duration, Instant};

use crate::support::output::assert_output_snapshot;
use crate::support::stub::{AwsErrorAnswer, Stub};
use crate::support::{Project, REGION, Run, stackctl_with};

/// Nothing listens here: the discard port on loopback.
const CLOSED: &str = "http://127.0.0.1:9";

/// `exports --table-name t`: one DynamoDB request (DescribeTable), no stack file.
fn exports(dir: &std::path::Path, endpoint: &str, env: &[(&str, &str)]) -> Run {
    stackctl_with(dir, Some(endpoint), &["exports", "--table-name", "t"], env)
}

/// What the user sees when every request gets `answer`; exit code 1.
fn failure_with(answer: AwsErrorAnswer, env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let stub = Stub::start(answer);
    let run = exports(dir.path(), &stub.endpoint, env);
    run.code(1);
    run.stderr.replace(&stub.endpoint, "http://127.0.0.1:PORT")
}

#[test]
fn missing_credentials_say_where_stackctl_looked() {
    let dir = tempfile::tempdir().unwrap();
    // Empty, as a CI variable that expands to nothing: unset.
    let run = exports(
        dir.path(),
        CLOSED,
        &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
    );
    run.code(1);
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn expired_credentials_say_how_to_refresh_them() {
    insta::assert_snapshot!(failure_with(
        AwsErrorAnswer {
            status: 400,
            code: "ExpiredTokenException",
            message: "The security token included in the request is expired",
        },
        &[],
    ));
}

#[test]
fn rejected_credentials_name_where_they_came_from() {
    insta::assert_snapshot!(failure_with(
        AwsErrorAnswer {
            status: 400,
            code: "UnrecognizedClientException",
            message: "The security token included in the request is invalid.",
        },
        &[],
    ));
}

#[test]
fn access_denied_names_the_action() {
    insta::assert_snapshot!(failure_with(
        AwsErrorAnswer {
            status: 400,
            code: "AccessDeniedException",
            message: "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: dynamodb:DescribeTable on resource: arn:aws:dynamodb:us-east-1:123456789012:table/t because no identity-based policy allows the dynamodb:DescribeTable action",
        },
        &[],
    ));
}

/// What the user sees when every request gets `answer` and two attempts are allowed; exit
/// code 1 after exactly two attempts.
fn failure_after_two_attempts(answer: AwsErrorAnswer) -> String {
    let dir = tempfile::tempdir().unwrap();
    let stub = Stub::start(answer);
    let run = exports(dir.path(), &stub.endpoint, &[("AWS_MAX_ATTEMPTS", "2")]);
    run.code(1);
    assert_eq!(stub.access_keys.lock().unwrap().len(), 2, "two attempts");
    run.stderr
}

#[test]
fn throttling_past_the_retry_budget_says_so() {
    let stderr = failure_after_two_attempts(AwsErrorAnswer {
        status: 400,
        code: "ThrottlingException",
        message: "Rate exceeded",
    });
    insta::assert_snapshot!(stderr);
}

#[test]
fn server_errors_past_the_retry_budget_say_so() {
    let stderr = failure_after_two_attempts(AwsErrorAnswer {
        status: 500,
        code: "InternalServerError",
        message: "boom",
    });
    assert_output_snapshot!("server_errors_past_the_retry_budget", stderr);
}

/// With no keys and no profile, the chain's last provider (EC2 instance metadata, here a
/// closed loopback port) fails: still "no credentials", with where stackctl looked.
#[test]
fn no_credentials_anywhere_is_said_plainly_whatever_the_last_provider_says() {
    let dir = tempfile::tempdir().unwrap();
    let imds = format!("{CLOSED}/");
    let run = exports(
        dir.path(),
        CLOSED,
        &[
            ("AWS_ACCESS_KEY_ID", ""),
            ("AWS_SECRET_ACCESS_KEY", ""),
            ("AWS_EC2_METADATA_DISABLED", ""),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds),
        ],
    );
    run.code(1);
    assert_output_snapshot!("no_credentials_anywhere", &run.stderr);
}

#[test]
fn a_refused_connection_names_the_endpoint_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let run = exports(dir.path(), CLOSED, &[]);
    run.code(1);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "not retried for seconds: {:?}",
        started.elapsed()
    );
    insta::assert_snapshot!(run.stderr);
}

/// A config file with `[profile prod]` and its keys, and keys for another account in the
/// environment (as CI often has).
fn profiles(dir: &std::path::Path) -> [(&'static str, String); 4] {
    std::fs::write(
        dir.join("aws-config"),
        "[default]\n[profile prod]\nregion = us-east-1\n[profile dev]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("aws-credentials"),
        "[prod]\naws_access_key_id = PRODKEY\naws_secret_access_key = prodsecret\n",
    )
    .unwrap();
    // Relative to the run's folder, so that messages do not name a temporary folder.
    [
        ("AWS_CONFIG_FILE", "aws-config".to_string()),
        ("AWS_SHARED_CREDENTIALS_FILE", "aws-credentials".to_string()),
        ("AWS_ACCESS_KEY_ID", "ENVKEY".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "envsecret".to_string()),
    ]
}

fn env_of<'a>(vars: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    vars.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[test]
fn an_explicit_profile_wins_over_keys_in_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let vars = profiles(dir.path());
    let stub = Stub::start(AwsErrorAnswer {
        status: 400,
        code: "ExpiredTokenException",
        message: "The security token included in the request is expired",
    });
    let run = stackctl_with(
        dir.path(),
        Some(&stub.endpoint),
        &["--profile", "prod", "exports", "--table-name", "t"],
        &env_of(&vars),
    );
    run.code(1);
    assert_eq!(*stub.access_keys.lock().unwrap(), ["PRODKEY"]);
    assert_output_snapshot!("expired_profile_credentials", &run.stderr);
    // Without --profile, the environment's keys are used, as everywhere in AWS.
    exports(dir.path(), &stub.endpoint, &env_of(&vars)).code(1);
    assert_eq!(stub.access_keys.lock().unwrap()[1], "ENVKEY");
}

#[test]
fn an_unknown_profile_is_an_error_that_lists_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let vars = profiles(dir.path());
    let run = stackctl_with(
        dir.path(),
        Some(CLOSED),
        &[
            "--profile",
            "does-not-exist",
            "exports",
            "--table-name",
            "t",
        ],
        &env_of(&vars),
    );
    run.code(1);
    insta::assert_snapshot!(run.stderr);
    // AWS_PROFILE is checked the same way, with a suggestion for a near miss.
    let mut env = env_of(&vars);
    env.push(("AWS_PROFILE", "prd"));
    let run = exports(dir.path(), CLOSED, &env);
    run.code(1);
    assert_output_snapshot!("unknown_aws_profile", &run.stderr);
}

/// Flags, and environment variables.
type Case = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

#[test]
fn bad_endpoints_and_regions_fail_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let mut shown = String::new();
    let cases: [Case; 5] = [
        (&["--endpoint-url", ""], &[]),
        (&["--endpoint-url", "localhost:4566"], &[]),
        (&[], &[("AWS_ENDPOINT_URL", "127.0.0.1:4566")]),
        (&["--region", "us east"], &[]),
        (&[], &[("AWS_REGION", "us-esat-1")]),
    ];
    for (flags, env) in cases {
        let mut args = flags.to_vec();
        args.extend(["exports", "--table-name", "t"]);
        // Nothing may reach AWS should a check be missing.
        let set_endpoint = env.iter().any(|(k, _)| *k == "AWS_ENDPOINT_URL");
        let run = stackctl_with(dir.path(), (!set_endpoint).then_some(CLOSED), &args, env);
        run.code(1);
        shown.push_str(&format!("$ {args:?} {env:?}\n{}\n", run.stderr));
    }
    insta::assert_snapshot!(shown);
}

#[test]
fn an_empty_endpoint_variable_is_unset() {
    // The profile's endpoint_url is used when AWS_ENDPOINT_URL is empty (it is the emulator
    // here: nothing may reach AWS).
    let project = Project::new("[stack]\nname = \"shop\"\n");
    project.write(
        "aws-config",
        &format!("[default]\nendpoint_url = {}\n", project.moto.endpoint),
    );
    let config = project.path("aws-config").display().to_string();
    let run = stackctl_with(
        project.dir.path(),
        None,
        &["plan"],
        &[("AWS_ENDPOINT_URL", ""), ("AWS_CONFIG_FILE", &config)],
    );
    run.success();
}

#[test]
fn plan_and_apply_show_the_account_and_region() {
    let project = Project::new(
        "[stack]\nname = \"shop\"\n\n[tables.orders]\npartition_key = { name = \"pk\", type = \"string\" }\ndeletion_protection = false\n",
    );
    let line = format!("Account 123456789012, region {REGION}\n");
    // An empty account: the account comes from STS.
    let plan = project.run(&["plan"]);
    plan.success();
    assert!(plan.stderr.starts_with(&line), "{}", plan.stderr);
    assert!(!plan.stdout.contains("Account"), "stdout is the plan's");
    let apply = project.apply_converges();
    assert!(apply.stderr.starts_with(&line), "{}", apply.stderr);
    // With the table live, its ARN names the account: no STS call.
    let (json, requests) = project.requests(&["plan", "--output", "json"]);
    json.success();
    assert!(
        !requests.iter().any(|r| r.starts_with("sts:")),
        "{requests:?}"
    );
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(plan["account"], "123456789012");
    assert_eq!(plan["region"], REGION);
}
