//! Lambda functions: stable packages, every setting, secrets never shown, managed roles, and
//! only the requests a change needs.

use std::io::Write;

use crate::support::output::assert_output_snapshot;
use crate::support::proxy::ProxyConfig;
use crate::support::{Project, change, strings, writes};

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
exclude = ["*.test.mjs", "fixtures/**"]
memory = 256
timeout = 30
description = "processes orders"
reserved_concurrency = 5
log_retention_days = 14
tables = { orders = "read-write" }
environment = { TABLE = "${tables.orders.name}", API_KEY = { secret = true, value = "hunter2-plain" }, STRIPE = { ssm = "/app/stripe" } }
tags = { team = "payments" }
"#;

fn project() -> Project {
    let project = Project::new(APP);
    project.put_secure_parameter("/app/stripe", "sk_live_from_ssm");
    project
}

#[test]
fn every_setting_is_applied_and_secrets_are_never_shown() {
    let project = project();
    let plan = project.run(&["plan"]);
    plan.success();
    plan.stdout_lacks(&["hunter2-plain", "sk_live_from_ssm"]);
    assert_output_snapshot!("secrets_plan", &plan.stdout);
    let json = project.run(&["plan", "--output", "json"]);
    assert!(!json.stdout.contains("hunter2-plain") && !json.stdout.contains("sk_live_from_ssm"));
    let apply = project.apply_converges();
    assert!(!apply.stdout.contains("hunter2-plain") && !apply.stdout.contains("sk_live_from_ssm"));

    let function = project.function("app-worker").unwrap();
    let config = function.configuration().unwrap();
    assert_eq!(config.memory_size(), Some(256));
    assert_eq!(config.timeout(), Some(30));
    assert_eq!(config.description(), Some("processes orders"));
    let env = config.environment().unwrap().variables().unwrap();
    assert_eq!(env["API_KEY"], "hunter2-plain");
    assert_eq!(
        env["STRIPE"], "sk_live_from_ssm",
        "SSM values are resolved at apply"
    );
    assert_eq!(
        function
            .concurrency()
            .and_then(|c| c.reserved_concurrent_executions()),
        Some(5)
    );
    assert_eq!(retention(&project), Some(14));

    // A changed secret is a change, still not shown.
    project.set_stack(&APP.replace("hunter2-plain", "hunter3-plain"));
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert!(
        plan.stdout.contains("(sensitive)") && !plan.stdout.contains("hunter"),
        "{}",
        plan.stdout
    );
}

#[test]
fn the_managed_role_grants_exactly_the_declared_table_access() {
    let project = project();
    project.apply_converges();
    let iam = project.iam();
    let policy = project
        .block_on(
            iam.get_role_policy()
                .role_name("app-worker")
                .policy_name("stackctl")
                .send(),
        )
        .unwrap();
    let document = percent_encoding::percent_decode_str(policy.policy_document())
        .decode_utf8_lossy()
        .into_owned();
    let document: serde_json::Value = serde_json::from_str(&document).unwrap();
    let table = document["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "Tableorders")
        .expect("a statement for the table");
    let arn = "arn:aws:dynamodb:us-east-1:123456789012:table/app-orders";
    assert_eq!(
        table["Resource"],
        serde_json::json!([arn, format!("{arn}/index/*")])
    );
    let actions = strings(&table["Action"]);
    assert!(
        actions.contains(&"dynamodb:PutItem") && actions.contains(&"dynamodb:Query"),
        "{actions:?}"
    );

    // Read only: the write actions go.
    project.set_stack(&APP.replace("orders = \"read-write\"", "orders = \"read\""));
    let plan = project.run(&["plan"]);
    assert_output_snapshot!("read_only_role_plan", &plan.stdout);
    project.apply_converges();

    // Removing the function removes its role.
    project.set_stack(
        "[stack]\nname = \"app\"\n\n[tables.orders]\npartition_key = { name = \"pk\", type = \"string\" }\ndeletion_protection = false\n",
    );
    project.apply_converges();
    assert!(!project.role_exists("app-worker"));
}

#[test]
fn each_setting_changes_alone() {
    let project = project();
    project.apply_converges();
    // The architecture changes with UpdateFunctionCode; moto 5.2.5 ignores it there, so it is
    // checked at creation (below) rather than as a change.
    let steps: [(&str, &str, &str); 8] = [
        ("memory = 256", "memory = 512", "memory"),
        ("timeout = 30", "timeout = 60", "timeout"),
        (
            "handler = \"index.handler\"",
            "handler = \"index.main\"",
            "handler",
        ),
        (
            "runtime = \"nodejs20.x\"",
            "runtime = \"nodejs22.x\"",
            "runtime",
        ),
        (
            "description = \"processes orders\"",
            "description = \"ships orders\"",
            "description",
        ),
        (
            "reserved_concurrency = 5",
            "reserved_concurrency = 2",
            "reserved_concurrency",
        ),
        (
            "log_retention_days = 14",
            "log_retention_days = 30",
            "log_retention_days",
        ),
        (
            "tags = { team = \"payments\" }",
            "tags = { team = \"billing\" }",
            "tags",
        ),
    ];
    let mut stack = APP.to_string();
    for (from, to, attr) in steps {
        stack = stack.replacen(from, to, 1);
        project.set_stack(&stack);
        let plan = project.plan_json(&[]);
        let changed: Vec<&str> = change(&plan, "function.worker")["changed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(changed, [attr], "{from} -> {to}");
        assert_eq!(
            plan["summary"]["update"], 1,
            "{from} -> {to}: only the function changes"
        );
        project.apply_converges();
    }
}

#[test]
fn the_architecture_is_set_at_creation() {
    let project = Project::new(
        &APP.replace("memory = 256", "memory = 256\narchitecture = \"arm64\"")
            .replace(", STRIPE = { ssm = \"/app/stripe\" }", ""),
    );
    project.apply_converges();
    let function = project.function("app-worker").unwrap();
    assert_eq!(
        function.configuration().unwrap().architectures()[0].as_str(),
        "arm64"
    );
}

#[test]
fn an_unchanged_function_sends_no_write_and_a_change_sends_only_what_changed() {
    let project = project();
    project.apply_converges();
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.success();
    assert!(!requests.is_empty(), "the log works: {}", run.stderr);
    assert!(
        writes(&requests).is_empty(),
        "no write for an unchanged stack: {requests:?}"
    );

    project.set_stack(&APP.replace("memory = 256", "memory = 1024"));
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.success();
    // The configuration, and the tag that records what stackctl applied (for drift).
    assert_eq!(
        writes(&requests),
        ["lambda:UpdateFunctionConfiguration", "lambda:TagResource"],
        "{requests:?}"
    );
}

#[test]
fn package_hashes_ignore_file_order_and_excluded_files() {
    let project = project();
    project.write("functions/worker/lib/b.mjs", "export const b = 2;\n");
    project.write("functions/worker/lib/a.mjs", "export const a = 1;\n");
    project.apply_converges();
    // The same files written again in another order, and an excluded file changed.
    std::fs::remove_dir_all(project.path("functions/worker/lib")).unwrap();
    project.write("functions/worker/lib/a.mjs", "export const a = 1;\n");
    project.write("functions/worker/lib/b.mjs", "export const b = 2;\n");
    project.write("functions/worker/index.test.mjs", "test('x', () => {});\n");
    project.write("functions/worker/fixtures/big.json", "{}\n");
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    // An included file changed by one byte.
    project.write("functions/worker/lib/a.mjs", "export const a = 3;\n");
    let plan = project.run(&["plan"]);
    assert!(plan.stdout.contains("code_sha256: \""), "{}", plan.stdout);
    project.apply_converges();
}

#[cfg(unix)]
#[test]
fn a_link_out_of_the_code_folder_is_refused_before_any_request() {
    let project = project();
    // Outside the project (its folder stands for the repository): a link within it is followed.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("secret.txt"), "do not ship\n").unwrap();
    std::fs::create_dir_all(project.path("functions/worker")).unwrap();
    std::os::unix::fs::symlink(
        elsewhere.path().join("secret.txt"),
        project.path("functions/worker/leak.txt"),
    )
    .unwrap();
    let (run, requests) = project.requests(&["plan"]);
    run.code(1);
    assert!(run.stderr.contains("leak.txt"), "{}", run.stderr);
    assert!(
        run.stderr.contains("outside the repository"),
        "{}",
        run.stderr
    );
    assert!(requests.is_empty(), "{requests:?}");
}

/// A zip of incompressible bytes, stored as they are, so that it is large but quick to make.
fn write_big_zip(project: &Project, rel: &str, size: usize) {
    let mut bytes = vec![0u8; size];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for b in bytes.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let file = std::fs::File::create(project.path(rel)).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("index.mjs", options).unwrap();
    zip.write_all(b"export const handler = async () => ({ statusCode: 200 });\n")
        .unwrap();
    zip.start_file("data.bin", options).unwrap();
    zip.write_all(&bytes).unwrap();
    zip.finish().unwrap();
}

const BIG: &str = r#"
[stack]
name = "big"
ARTIFACTS

[functions.heavy]
runtime = "nodejs20.x"
handler = "index.handler"
code = "heavy.zip"
"#;

#[test]
fn an_oversized_package_needs_an_artifact_bucket() {
    let project = Project::new(&BIG.replace("ARTIFACTS", ""));
    write_big_zip(&project, "heavy.zip", 51 * 1024 * 1024);
    let (run, requests) = project.requests(&["plan"]);
    run.code(1);
    assert_output_snapshot!("oversized_package", &run.stderr);
    assert!(
        requests.is_empty(),
        "refused before any request: {requests:?}"
    );

    project
        .block_on(project.s3().create_bucket().bucket("big-artifacts").send())
        .unwrap();
    project.set_stack(&BIG.replace("ARTIFACTS", "artifact_bucket = \"big-artifacts\""));
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.success();
    assert_eq!(
        requests.iter().filter(|r| *r == "s3:PutObject").count(),
        1,
        "{requests:?}"
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    let objects = project
        .block_on(
            project
                .s3()
                .list_objects_v2()
                .bucket("big-artifacts")
                .send(),
        )
        .unwrap();
    let key = objects.contents()[0].key().unwrap();
    assert!(
        key.starts_with("stackctl/big/heavy/") && key.ends_with(".zip"),
        "{key}"
    );
}

#[test]
fn a_layer_change_is_applied() {
    let project = project();
    let layer = project
        .block_on(
            project
                .lambda()
                .publish_layer_version()
                .layer_name("shared")
                .content(
                    aws_sdk_lambda::types::LayerVersionContentInput::builder()
                        .zip_file(aws_sdk_lambda::primitives::Blob::new(small_zip()))
                        .build(),
                )
                .send(),
        )
        .unwrap();
    let arn = layer.layer_version_arn().unwrap().to_string();
    project.apply_converges();
    project.set_stack(&APP.replace(
        "memory = 256",
        &format!("memory = 256\nlayers = [\"{arn}\"]"),
    ));
    let plan = project.run(&["plan"]);
    plan.stdout_has(&[&format!("layers: [] -> [\"{arn}\"]")]);
    project.apply_converges();
}

fn small_zip() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("nodejs/x.js", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"module.exports = 1;\n").unwrap();
    zip.finish().unwrap().into_inner()
}

#[test]
fn a_managed_role_a_function_still_uses_is_not_deleted() {
    let project = project();
    project.apply_converges();
    let role = project
        .block_on(project.iam().get_role().role_name("app-worker").send())
        .unwrap();
    let arn = role.role().unwrap().arn().to_string();

    // The function pins its managed role's ARN: the role would be deleted under it.
    let pinned = APP.replace(
        "tables = { orders = \"read-write\" }",
        &format!("role = \"{arn}\""),
    );
    project.set_stack(&pinned);
    let plan = project.run(&["plan"]);
    plan.code(1);
    assert_output_snapshot!("pinned_role_plan", &plan.stdout);
    let apply = project.run(&["apply", "--yes"]);
    apply.code(1).stderr_has(&["refusing to apply"]);
    assert!(project.role_exists("app-worker"), "the role is still there");

    // Another function takes the role over while its own function goes: still refused.
    project.set_stack(&pinned.replace("[functions.worker]", "[functions.other]"));
    let plan = project.run(&["plan"]);
    plan.code(1);
    assert_output_snapshot!("role_taken_over_plan", &plan.stdout);
}

/// Makes role race-worker under stackctl's path for stack "race", untagged, just before
/// stackctl's CreateRole: the path alone does not make it the stack's.
fn untagged_role_first(endpoint: &str, body: &[u8]) -> bool {
    if !String::from_utf8_lossy(body).contains("RoleName=race-worker") {
        return false;
    }
    crate::support::run_alone(async {
        let config = crate::support::sdk_config_at(endpoint).await;
        aws_sdk_iam::Client::new(&config)
            .create_role()
            .role_name("race-worker")
            .path("/stackctl/race/")
            .assume_role_policy_document("{}")
            .send()
            .await
            .unwrap();
    });
    true
}

#[test]
fn a_role_made_by_someone_else_before_create_role_is_left_untouched() {
    let project = Project::new(
        "[stack]\nname = \"race\"\n\n[functions.worker]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"functions/worker\"\n",
    )
    .through_proxy(ProxyConfig::before("iam:CreateRole", untagged_role_first));
    let apply = project.run(&["apply", "--yes"]);
    apply.code(1);
    assert_output_snapshot!("role_made_before_create_role", &apply.stderr);
    let policies = project
        .block_on(
            project
                .iam()
                .list_role_policies()
                .role_name("race-worker")
                .send(),
        )
        .unwrap();
    assert!(policies.policy_names().is_empty(), "no policy written");
    let functions = project.functions();
    assert!(functions.is_empty(), "{functions:?}");
}

/// A role under the stack's IAM path is the stack's only with its tag: one without it, or
/// with another stack's, blocks the plan and is never updated, nor deleted when not wanted.
#[test]
fn a_role_under_the_stack_path_without_its_tag_is_not_the_stack_s() {
    let project = Project::new(
        "[stack]\nname = \"race\"\n\n[functions.worker]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"functions/worker\"\n",
    );
    let iam = project.iam();
    for (name, owner) in [("race-worker", None), ("race-gone", Some("other"))] {
        let mut request = iam
            .create_role()
            .role_name(name)
            .path("/stackctl/race/")
            .assume_role_policy_document("{}");
        if let Some(owner) = owner {
            request = request.tags(
                aws_sdk_iam::types::Tag::builder()
                    .key("stackctl:stack")
                    .value(owner)
                    .build()
                    .unwrap(),
            );
        }
        project.block_on(request.send()).unwrap();
    }
    let plan = project.run(&["plan"]);
    plan.code(1);
    assert_output_snapshot!("untagged_role_under_the_stack_path_plan", &plan.stdout);
    // race-gone is declared nowhere: not the stack's, so not deleted either.
    plan.stdout_lacks(&["race-gone"]);
    project.run(&["apply", "--yes"]).code(1);
    let policies = project
        .block_on(iam.list_role_policies().role_name("race-worker").send())
        .unwrap();
    assert!(policies.policy_names().is_empty(), "no policy written");
    assert!(project.role_exists("race-gone"));
}

/// A saved plan whose function name was taken since by another stack's function is refused
/// with that as its cause, whatever else the plan changes (here the function's role).
#[test]
fn a_saved_plan_whose_function_name_was_taken_since_names_the_owner_first() {
    let project = Project::new(
        "[stack]\nname = \"race\"\n\n[functions.f]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"functions/worker\"\n",
    );
    project.write(
        "functions/worker/index.mjs",
        "export const handler = async () => 1;\n",
    );
    project.run(&["plan", "--out", "plan.json"]).code(0);
    // Another stack's function race-f, with a role of its own.
    let iam = project.iam();
    let role = project
        .block_on(
            iam.create_role()
                .role_name("theirs")
                .assume_role_policy_document("{}")
                .send(),
        )
        .unwrap();
    let zip = small_zip();
    project
        .block_on(
            project
                .lambda()
                .create_function()
                .function_name("race-f")
                .runtime(aws_sdk_lambda::types::Runtime::Nodejs20x)
                .handler("index.handler")
                .role(role.role().unwrap().arn())
                .code(
                    aws_sdk_lambda::types::FunctionCode::builder()
                        .zip_file(aws_smithy_types::Blob::new(zip))
                        .build(),
                )
                .tags("stackctl:stack", "other")
                .send(),
        )
        .unwrap();
    let apply = project.run(&["apply", "plan.json"]);
    apply.code(1);
    assert_output_snapshot!("function_name_taken_since_the_plan", &apply.stderr);
}

fn retention(project: &Project) -> Option<i32> {
    let groups = project
        .block_on(
            aws_sdk_cloudwatchlogs::Client::new(&project.sdk_config())
                .describe_log_groups()
                .log_group_name_prefix("/aws/lambda/app-worker")
                .send(),
        )
        .unwrap();
    groups.log_groups()[0].retention_in_days()
}

#[test]
fn a_log_retention_the_stack_file_never_declared_is_never_shown_nor_changed() {
    let project = project();
    let undeclared = APP.replace("log_retention_days = 14\n", "");
    project.set_stack(&undeclared);
    // The group of a function deleted before: stackctl keeps log groups.
    let logs = aws_sdk_cloudwatchlogs::Client::new(&project.sdk_config());
    let group = "/aws/lambda/app-worker";
    project
        .block_on(logs.create_log_group().log_group_name(group).send())
        .unwrap();
    project
        .block_on(
            logs.put_retention_policy()
                .log_group_name(group)
                .retention_in_days(30)
                .send(),
        )
        .unwrap();

    let plan = project.run(&["plan"]);
    plan.success().stdout_lacks(&["log_retention"]);
    project.apply_converges();
    assert_eq!(retention(&project), Some(30), "undeclared: left as it was");

    // Declared, it is managed: the plan shows the change apply makes.
    project.set_stack(APP);
    let plan = project.run(&["plan"]);
    plan.success();
    assert_output_snapshot!("declared_log_retention_plan", &plan.stdout);
    project.apply_converges();
    assert_eq!(retention(&project), Some(14));

    // No longer declared: no longer managed, so neither shown nor stripped.
    project.set_stack(&undeclared);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    project.apply_converges();
    assert_eq!(retention(&project), Some(14));
}

#[test]
fn a_plan_lists_the_functions_instead_of_reading_each() {
    let stack = crate::support::generated_stack("listed", 1, 6, 6);
    let project = Project::new(&stack);
    project.apply_converges();
    let count = |requests: &[String], op: &str| requests.iter().filter(|r| *r == op).count();
    let (run, requests) = project.requests(&["plan", "--detailed-exitcode"]);
    run.code(0);
    assert_eq!(count(&requests, "lambda:ListFunctions"), 1, "{requests:?}");
    assert_eq!(count(&requests, "lambda:GetFunction"), 0, "{requests:?}");
    assert_eq!(
        count(&requests, "lambda:GetFunctionConcurrency"),
        0,
        "{requests:?}"
    );
    // A full read asks each function, and finds the same.
    let (run, requests) = project.requests(&["plan", "--refresh-only", "--detailed-exitcode"]);
    run.code(0);
    assert_eq!(count(&requests, "lambda:GetFunction"), 6, "{requests:?}");
}

#[test]
fn a_named_role_lambda_cannot_assume_fails_at_once_with_what_to_do() {
    let project = Project::new(
        r#"
[stack]
name = "app"

[functions.worker]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/worker"
role = "arn:aws:iam::123456789012:role/not-there"
"#,
    );
    // Not the managed role's wait for IAM to reach Lambda (up to 90 s): the user's role is
    // reported on the first answer.
    let started = std::time::Instant::now();
    let apply = project.run(&["apply", "--yes"]);
    apply.code(1).stderr_has(&[
        "cannot be assumed by Lambda",
        "The stack file names the role arn:aws:iam::123456789012:role/not-there",
        "sts:AssumeRole",
    ]);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert!(project.functions().is_empty());
}
