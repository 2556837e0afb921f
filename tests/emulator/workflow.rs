//! The CI workflow: saved plans, the JSON schema, environments, locking, drift, plain output.

use std::time::Duration;

use crate::support::output::assert_output_snapshot;
use crate::support::proxy::ProxyConfig;
use crate::support::{Project, change, generated_stack, writes};

use crate::support::SHOP as STACK;

/// Checks `json` against docs/plan-schema.json.
#[track_caller]
pub(crate) fn assert_valid_plan(json: &str) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/plan-schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let instance: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler.add_resource("plan-schema.json", schema).unwrap();
    let index = compiler.compile("plan-schema.json", &mut schemas).unwrap();
    if let Err(e) = schemas.validate(&instance, index) {
        panic!("{e:#}\n{json}");
    }
}

fn set_memory(project: &Project, function: &str, memory: i32) {
    project
        .block_on(
            project
                .lambda()
                .update_function_configuration()
                .function_name(function)
                .memory_size(memory)
                .send(),
        )
        .unwrap();
}

#[test]
fn the_json_plan_follows_its_schema() {
    let project = Project::new(STACK);
    let run = project.run(&["plan", "--output", "json"]);
    run.success();
    assert_valid_plan(&run.stdout);

    project.apply_converges();
    project.set_stack(&STACK.replace("memory = 256", "memory = 512"));
    let run = project.run(&["plan", "--output", "json"]);
    run.success();
    assert_valid_plan(&run.stdout);

    project.run(&["plan", "--out", "plan.json"]).success();
    assert_valid_plan(&std::fs::read_to_string(project.path("plan.json")).unwrap());
}

#[test]
fn a_saved_plan_is_applied_exactly_and_only_once() {
    let project = Project::new(STACK);
    let run = project.run(&["plan", "--out", "plan.json"]);
    run.success()
        .stdout_has(&["apply exactly it with: stackctl apply plan.json"]);

    // No --yes: the saved plan was the review.
    let run = project.run(&["apply", "plan.json"]);
    run.success().stdout_has(&["Apply complete"]);
    project.run(&["plan", "--detailed-exitcode"]).code(0);

    let (run, requests) = project.requests(&["apply", "plan.json"]);
    run.code(1);
    assert_output_snapshot!("saved_plan_applied_again", &run.stderr);
    assert_eq!(writes(&requests), Vec::<&String>::new());
}

#[test]
fn a_saved_plan_reads_again_only_what_it_changes() {
    // 14 functions, 12 routes: GET /items/r7 is f7's only route, and f13 has none.
    let stack = generated_stack("scoped", 3, 14, 12);
    let project = Project::new(&stack);
    project.apply_converges();
    let moved = stack.replacen(
        "\"GET /items/r7\" = \"f7\"",
        "\"GET /items/r7\" = \"f13\"",
        1,
    );
    assert_ne!(moved, stack);
    project.set_stack(&moved);
    // The API's permissions record describes the live routes, so it still stands.
    let (run, requests) = project.requests(&["plan", "--out", "plan.json"]);
    run.success();
    assert!(
        !requests.iter().any(|r| r == "lambda:GetPolicy"),
        "{requests:?}"
    );

    // Under the lock, only the API's routes are read again: the API's permissions record
    // still stands for the functions' policies, the account comes from the routes' function
    // ARNs, and the new function's ARN is made from it. The new function is let invoked
    // before the route points at it, and the old one, which no route invokes any more, loses
    // the API's permission after.
    let (run, requests) = project.requests(&["apply", "plan.json"]);
    run.success().stdout_has(&["1 change"]);
    let mut sorted = requests.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "apigatewayv2:GetApis",
            "apigatewayv2:GetIntegrations",
            "apigatewayv2:GetRoutes",
            "apigatewayv2:TagResource",
            "apigatewayv2:UpdateIntegration",
            "dynamodb:UpdateItem",
            "dynamodb:UpdateItem",
            "lambda:AddPermission",
            "lambda:RemovePermission",
        ],
        "{requests:?}"
    );
    let position = |op: &str| requests.iter().position(|r| r == op).unwrap();
    assert!(position("lambda:AddPermission") < position("apigatewayv2:UpdateIntegration"));
    assert!(position("apigatewayv2:UpdateIntegration") < position("lambda:RemovePermission"));
    project.run(&["plan", "--detailed-exitcode"]).code(0);

    // A change to the route between plan and apply is still caught.
    project.set_stack(&stack);
    project.run(&["plan", "--out", "back.json"]).success();
    project.set_stack(&moved.replacen(
        "\"GET /items/r7\" = \"f13\"",
        "\"GET /items/r7\" = \"f3\"",
        1,
    ));
    project.run(&["apply", "--yes"]).success();
    project.set_stack(&stack);
    let (run, requests) = project.requests(&["apply", "back.json"]);
    run.code(1);
    assert_output_snapshot!("route_changed_since_the_plan", &run.stderr);
    assert_eq!(writes(&requests), Vec::<&String>::new());

    // The function a saved plan points a route at is not read again: if it is gone, the
    // route fails on its invoke permission, before it is pointed anywhere.
    project.set_stack(&moved);
    project.run(&["plan", "--out", "gone.json"]).success();
    project
        .block_on(
            project
                .lambda()
                .delete_function()
                .function_name("scoped-f13")
                .send(),
        )
        .unwrap();
    let (run, requests) = project.requests(&["apply", "gone.json"]);
    run.code(1).stderr_has(&[
        "error: route[GET /items/r7]: lambda:AddPermission",
        "make a new plan with `stackctl plan --out FILE`",
    ]);
    assert_eq!(writes(&requests), ["lambda:AddPermission"]);
}

/// STACK applied, then memory 512 in the stack file and its plan saved as plan.json.
fn a_saved_memory_change() -> Project {
    let project = Project::new(STACK);
    project.apply_converges();
    project.set_stack(&STACK.replace("memory = 256", "memory = 512"));
    project.run(&["plan", "--out", "plan.json"]).success();
    project
}

#[test]
fn a_saved_plan_makes_the_lock_table_again_if_it_was_deleted_since() {
    let project = a_saved_memory_change();
    // The plan saw the lock table, so apply does not look for it before taking the lock.
    project
        .block_on(
            project
                .dynamodb()
                .delete_table()
                .table_name("stackctl-locks")
                .send(),
        )
        .unwrap();
    let run = project.run(&["apply", "plan.json"]);
    run.success()
        .stderr_has(&["Creating the lock table stackctl-locks"]);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_stale_plan_is_refused_before_any_change() {
    let project = a_saved_memory_change();

    // Someone changes the function between plan and apply.
    set_memory(&project, "shop-get-order", 1024);
    let (run, requests) = project.requests(&["apply", "plan.json"]);
    run.code(1);
    assert_eq!(writes(&requests), Vec::<&String>::new());
    let mut refusals = format!("$ stackctl apply plan.json\n{}", run.stderr);

    // A plan made from another version of the stack file.
    set_memory(&project, "shop-get-order", 256);
    project.set_stack(&STACK.replace("memory = 256", "memory = 384"));
    let refused = |args: &[&str]| {
        let run = project.run(args);
        run.code(1);
        format!("$ stackctl {}\n{}", args.join(" "), run.stderr)
    };
    refusals += &refused(&["apply", "plan.json"]);

    // Made for another region, or another environment.
    project.set_stack(&STACK.replace("memory = 256", "memory = 512"));
    refusals += &refused(&["apply", "plan.json", "--region", "us-west-2"]);
    refusals += &refused(&["apply", "plan.json", "--env", "staging"]);

    // Back to the version it was made from: it applies.
    project.set_stack(&STACK.replace("memory = 256", "memory = 512"));
    project.run(&["apply", "plan.json"]).success();
    project.run(&["plan", "--detailed-exitcode"]).code(0);

    // Not a plan at all.
    project.write("bad.json", "{\"format_version\": \"9\"}");
    refusals += &refused(&["apply", "bad.json"]);
    assert_output_snapshot!("stale_plans_refused", refusals);
}

fn memory(project: &Project, function: &str) -> i32 {
    project
        .block_on(
            project
                .lambda()
                .get_function()
                .function_name(function)
                .send(),
        )
        .unwrap()
        .configuration()
        .unwrap()
        .memory_size()
        .unwrap()
}

#[test]
fn environments_are_separate_stacks_with_their_overlays() {
    let project = Project::new(&format!(
        "{STACK}
[env.staging]
name_suffix = \"-staging\"

[env.staging.functions.get-order]
memory = 128

[env.prod.tables.orders]
billing = \"provisioned\"
read_capacity = 5
write_capacity = 5
"
    ));
    project.apply_converges();
    project
        .run(&["apply", "--yes", "--env", "staging"])
        .success();
    project
        .run(&["plan", "--env", "staging", "--detailed-exitcode"])
        .code(0);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert_eq!(memory(&project, "shop-get-order"), 256);
    assert_eq!(memory(&project, "shop-staging-get-order"), 128);

    // prod (default suffix "-prod") is planned from nothing, with its own table settings.
    let plan = project.plan_json(&["--env", "prod"]);
    assert_eq!(plan["stack"], "shop-prod");
    let table = change(&plan, "table.orders");
    assert_eq!(table["action"], "create");
    assert_eq!(table["physical_name"], "shop-prod-orders");
    assert_eq!(table["after"]["billing"], "provisioned");

    // Destroying staging leaves the base stack alone.
    project
        .run(&["destroy", "--yes", "--allow-data-loss", "--env", "staging"])
        .success();
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert_eq!(memory(&project, "shop-get-order"), 256);
    assert!(project.function("shop-staging-get-order").is_none());
}

#[test]
fn a_held_lock_stops_another_apply_before_any_change_or_makes_it_wait() {
    let project = Project::new(STACK);
    let plan = project.plan_json(&[]);
    assert_eq!(plan["lock"]["table"], "stackctl-locks");
    assert_eq!(plan["lock"]["exists"], false);
    let run = project.run(&["plan"]);
    run.stdout_has(&["apply first creates the DynamoDB table stackctl-locks"]);
    project.apply_converges();
    assert_eq!(project.lock_holder("shop"), None, "released after apply");

    project.set_stack(&STACK.replace("memory = 256", "memory = 512"));
    project.hold_lock("shop", "ci-job-41", 300, &[]);
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.code(1).stderr_has(&[
        "stack shop is locked by ci-job-41 since",
        "stackctl unlock shop",
    ]);
    assert!(writes(&requests).is_empty(), "{requests:?}");
    assert!(
        requests.contains(&"dynamodb:UpdateItem".to_string()),
        "the lock attempt: {requests:?}"
    );
    assert_eq!(memory(&project, "shop-get-order"), 256);

    // With --lock-timeout it waits for the holder to finish.
    std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(1500));
            project
                .block_on(
                    project
                        .dynamodb()
                        .delete_item()
                        .table_name("stackctl-locks")
                        .key(
                            "stack",
                            aws_sdk_dynamodb::types::AttributeValue::S("shop".into()),
                        )
                        .send(),
                )
                .unwrap();
        });
        let run = project.run(&["apply", "--yes", "--lock-timeout", "30s"]);
        run.success()
            .stderr_has(&["Waiting for the lock of stack shop: held by ci-job-41"]);
    });
    assert_eq!(memory(&project, "shop-get-order"), 512);
    assert_eq!(project.lock_holder("shop"), None);
}

#[test]
fn a_lock_whose_holder_died_expires_and_unlock_clears_one() {
    let project = Project::new(STACK);
    project.apply_converges();
    project.set_stack(&STACK.replace("memory = 256", "memory = 512"));

    // A holder that died a minute ago stopped renewing: its lease ran out.
    project.hold_lock("shop", "killed-job", -60, &[]);
    let run = project.run(&["apply", "--yes"]);
    run.success()
        .stderr_has(&["Took over the expired lock of stack shop, held by killed-job"]);

    project.hold_lock("shop", "ci-job-41", 300, &[]);
    let run = project.run(&["unlock"]);
    run.code(1).stderr_has(&["without confirmation"]);
    assert_eq!(project.lock_holder("shop").as_deref(), Some("ci-job-41"));
    let run = project.run(&["unlock", "--yes"]);
    run.success().stdout_has(&[
        "Stack shop is locked by ci-job-41 since",
        "Removed the lock held by ci-job-41",
    ]);
    assert_eq!(project.lock_holder("shop"), None);
    let run = project.run(&["unlock", "shop", "--yes"]);
    run.success().stdout_has(&["Stack shop is not locked."]);
}

#[test]
fn concurrent_applies_do_not_interleave() {
    // Through the proxy, which makes moto's conditional writes atomic, as AWS's are.
    let project = Project::new(STACK).through_proxy(ProxyConfig {
        latency: Duration::ZERO,
        quotas: false,
        ..ProxyConfig::default()
    });
    let runs: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| project.run(&["apply", "--yes"])))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for run in &runs {
        assert!(
            run.code == 0 || run.stderr.contains("is locked by"),
            "an apply failed for another reason:\n{}",
            run.stderr
        );
    }
    assert!(runs.iter().any(|r| r.code == 0));
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    // One API, not one per apply: the later applies planned again under the lock.
    assert_eq!(project.http_apis().len(), 1);
}

#[test]
fn drift_is_told_apart_from_stack_file_changes() {
    let project = Project::new(&STACK.replace(
        "deletion_protection = false",
        "deletion_protection = false\npoint_in_time_recovery = true",
    ));
    project.apply_converges();

    // Changed in the console: the function's memory, the table's point-in-time recovery.
    set_memory(&project, "shop-get-order", 512);
    project.set_pitr("shop-orders", false);
    // A plan trusts the table's record of the settings stackctl set (it reads no time to live
    // or point-in-time recovery): only the function's drift. `--refresh-only` reads them.
    let run = project.run(&["plan"]);
    run.success();
    assert_output_snapshot!("drift_plan", &run.stdout);

    let run = project.run(&["plan", "--refresh-only", "--detailed-exitcode"]);
    run.code(2);
    assert_output_snapshot!("drift_refresh_only_plan", &run.stdout);
    let plan = project.plan_json(&["--refresh-only"]);
    assert_eq!(plan["has_changes"], false);
    assert_eq!(plan["changes"], serde_json::json!([]));
    assert_eq!(
        plan["drift"],
        serde_json::json!([
            { "address": "table.orders", "attributes": ["point_in_time_recovery"] },
            { "address": "function.get-order", "attributes": ["memory"] },
        ])
    );

    // `apply --refresh` undoes the drift (a plain apply trusts the record as a plan does); a
    // change made in the stack file is not drift.
    project.run(&["apply", "--refresh", "--yes"]).success();
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    project
        .run(&["plan", "--refresh-only", "--detailed-exitcode"])
        .code(0);
    project.set_stack(&STACK.replace("memory = 256", "memory = 384").replace(
        "deletion_protection = false",
        "deletion_protection = false\npoint_in_time_recovery = true",
    ));
    let run = project.run(&["plan"]);
    run.stdout_has(&["memory: 256 -> 384\n"])
        .stdout_lacks(&["Drift"]);
    project
        .run(&["plan", "--refresh-only", "--detailed-exitcode"])
        .code(0);
}

#[test]
fn output_without_a_terminal_is_plain_lines_or_json_events() {
    let project = Project::new(STACK);
    let run = project.run(&["apply", "--yes"]);
    run.success();
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains('\u{1b}'), "an escape code: {text:?}");
    }
    // Changes run concurrently: their lines are sorted for a stable snapshot.
    let lines: Vec<&str> = run.stdout.lines().collect();
    let start = lines.iter().position(|l| l.starts_with("Plan:")).unwrap() + 2;
    let end = lines
        .iter()
        .position(|l| l.starts_with("Apply complete"))
        .unwrap()
        - 1;
    let mut events = lines[start..end].to_vec();
    events.sort();
    let stdout = [&lines[..start], &events[..], &lines[end..]]
        .concat()
        .join("\n");
    insta::with_settings!({filters => vec![
        (r"\(\d+\.\d+s\)", "(TIME)"),
        (r"in \d+\.\d+s", "in TIME"),
        (r"https://\w+\.execute-api", "https://API_ID.execute-api"),
    ]}, {
        insta::assert_snapshot!(stdout);
    });

    // One JSON object per line: the plan, each change's events, the result.
    project.set_stack(&STACK.replace("memory = 256", "memory = 512"));
    let run = project.run(&["apply", "--yes", "--log-format", "json"]);
    run.success();
    let events: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["plan", "started", "finished", "complete"],
        "{}",
        run.stdout
    );
    assert!(events.iter().all(|e| e["time"].is_string()));
    assert_eq!(events[0]["plan"]["summary"]["update"], 1);
    assert_eq!(events[1]["address"], "function.get-order");
    assert_eq!(events[3]["succeeded"], true);
    assert_eq!(events[3]["done"], serde_json::json!(["function.get-order"]));

    // --timestamps: each progress line starts with the time.
    project.set_stack(&STACK.replace("memory = 256", "memory = 384"));
    let run = project.run(&["apply", "--yes", "--timestamps"]);
    run.success();
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("function.get-order: updated"))
        .unwrap();
    assert!(
        line.starts_with("20") && line.contains("Z function.get-order"),
        "{line}"
    );
}

#[test]
fn plan_and_apply_trust_recorded_permissions_and_apply_refresh_repairs_a_lost_one() {
    let project = Project::new(STACK);
    project.apply_converges();
    let (run, requests) = project.requests(&["plan", "--detailed-exitcode"]);
    run.code(0);
    assert!(
        !requests.iter().any(|r| r == "lambda:GetPolicy"),
        "the API's record stands in for the policies: {requests:?}"
    );

    // Someone removes the route's invoke permission by hand.
    let lambda = project.lambda();
    let policy = project
        .block_on(lambda.get_policy().function_name("shop-get-order").send())
        .unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let sid = policy["Statement"][0]["Sid"].as_str().unwrap().to_string();
    assert_eq!(sid, "stackctl-api-routes", "one statement per function");
    project
        .block_on(
            lambda
                .remove_permission()
                .function_name("shop-get-order")
                .statement_id(&sid)
                .send(),
        )
        .unwrap();

    let run = project.run(&["plan", "--refresh-only", "--detailed-exitcode"]);
    run.code(2);
    assert_output_snapshot!("lost_permission_refresh_only_plan", &run.stdout);
    // Apply trusts the record as plan does: nothing to do, nothing read.
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.success().stdout_has(&["No changes"]);
    assert!(
        !requests.iter().any(|r| r == "lambda:GetPolicy"),
        "apply trusts the API's record: {requests:?}"
    );
    // A saved plan is applied as reviewed: --refresh does not go with it.
    project.run(&["plan", "--out", "plan.json"]).success();
    let run = project.run(&["apply", "plan.json", "--refresh"]);
    run.code(1)
        .stderr_has(&["the argument '[PLAN_FILE]' cannot be used with '--refresh'"]);
    // apply --refresh reads everything, and grants it again.
    let run = project.run(&["apply", "--yes", "--refresh"]);
    run.success().stdout_has(&["(changed outside stackctl)"]);
    project
        .run(&["plan", "--refresh-only", "--detailed-exitcode"])
        .code(0);
    assert!(project.policy("shop-get-order").contains(&sid));

    // The statement is there but names another API: a full read sees it, and repairs it.
    let remove = lambda
        .remove_permission()
        .function_name("shop-get-order")
        .statement_id(&sid);
    project.block_on(remove.send()).unwrap();
    let add = lambda
        .add_permission()
        .function_name("shop-get-order")
        .statement_id(&sid)
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .source_arn("arn:aws:execute-api:us-east-1:123456789012:another/*");
    project.block_on(add.send()).unwrap();
    let run = project.run(&["plan", "--refresh-only", "--detailed-exitcode"]);
    run.code(2);
    project.run(&["apply", "--yes", "--refresh"]).success();
    assert_eq!(statement_ids(&project, "shop-get-order"), [sid.as_str()]);
    assert!(!project.policy("shop-get-order").contains("another/*"));
    project
        .run(&["plan", "--refresh-only", "--detailed-exitcode"])
        .code(0);
}

/// The statement IDs in function `name`'s resource policy, in order.
fn statement_ids(project: &Project, name: &str) -> Vec<String> {
    let policy: serde_json::Value = serde_json::from_str(&project.policy(name)).unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    statements
        .iter()
        .map(|s| s["Sid"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn per_route_invoke_permissions_of_earlier_versions_become_one_per_function() {
    use sha2::Digest;
    let stack = format!("{STACK}\"POST /orders\" = \"get-order\"\n");
    let project = Project::new(&stack);
    project.apply_converges();
    assert_eq!(
        statement_ids(&project, "shop-get-order"),
        ["stackctl-api-routes"]
    );

    // What an earlier stackctl left: one statement per route, and a record of those.
    let api = project.http_apis().remove(0);
    let api_id = api.api_id().unwrap();
    let lambda = project.lambda();
    let remove = lambda
        .remove_permission()
        .function_name("shop-get-order")
        .statement_id("stackctl-api-routes");
    project.block_on(remove.send()).unwrap();
    for key in ["GET /orders/{id}", "POST /orders"] {
        let hash = sha2::Sha256::digest(key.as_bytes());
        let sid: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
        let add = lambda
            .add_permission()
            .function_name("shop-get-order")
            .statement_id(format!("stackctl-route-{sid}"))
            .action("lambda:InvokeFunction")
            .principal("apigateway.amazonaws.com")
            .source_arn(format!(
                "arn:aws:execute-api:us-east-1:123456789012:{api_id}/*/*/orders"
            ));
        project.block_on(add.send()).unwrap();
    }
    let tag = project
        .apigateway()
        .tag_resource()
        .resource_arn(format!("arn:aws:apigateway:us-east-1::/apis/{api_id}"));
    let tag = tag.tags("stackctl:permissions", "1.0123456789abcdef");
    project.block_on(tag.send()).unwrap();

    // The old record is not trusted: the policies are read, and each route moves over.
    let run = project.run(&["plan", "--detailed-exitcode"]);
    run.code(2)
        .stdout_has(&["becomes the one statement stackctl-api-routes for every route of the API"]);
    assert!(
        !run.stdout.contains("changed outside stackctl"),
        "{}",
        run.stdout
    );
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.success();
    let count = |op: &str| requests.iter().filter(|r| *r == op).count();
    assert_eq!(count("lambda:AddPermission"), 1, "{requests:?}");
    assert_eq!(count("lambda:RemovePermission"), 2, "{requests:?}");
    assert_eq!(
        statement_ids(&project, "shop-get-order"),
        ["stackctl-api-routes"]
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_function_behind_a_hundred_routes_holds_one_small_policy() {
    let mut stack = STACK.to_string();
    for r in 0..100 {
        stack.push_str(&format!("\"GET /items/r{r}\" = \"get-order\"\n"));
    }
    let project = Project::new(&stack);
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.success();
    let adds = requests.iter().filter(|r| *r == "lambda:AddPermission");
    assert_eq!(adds.count(), 1, "one grant for 101 routes");
    // Lambda refuses a resource policy over 20 KB (PolicyLengthExceededException).
    let size = project.policy("shop-get-order").len();
    assert!(size < 2_000, "{size} bytes");
    assert_eq!(
        statement_ids(&project, "shop-get-order"),
        ["stackctl-api-routes"]
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}
