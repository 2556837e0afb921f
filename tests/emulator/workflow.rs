//! The CI workflow: saved plans, the JSON schema, environments, locking, drift, plain output.

use crate::support::{Project, writes};

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
memory = 256
environment = { TABLE = "${tables.orders.name}" }

[api]

[routes]
"GET /orders/{id}" = "get-order"
"#;

/// Checks `json` against docs/plan-schema.json.
#[track_caller]
fn assert_valid_plan(json: &str) {
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
    run.success();
    assert!(
        run.stdout
            .contains("apply exactly it with: stackctl apply plan.json"),
        "{}",
        run.stdout
    );

    // No --yes: the saved plan was the review.
    let run = project.run(&["apply", "plan.json"]);
    run.success();
    assert!(run.stdout.contains("Apply complete"), "{}", run.stdout);
    project.run(&["plan", "--detailed-exitcode"]).code(0);

    let (run, requests) = project.requests(&["apply", "plan.json"]);
    run.code(1);
    assert!(
        run.stderr.contains("plan is stale: ") && run.stderr.contains("exists now"),
        "{}",
        run.stderr
    );
    assert_eq!(writes(&requests), Vec::<&String>::new());
}

#[test]
fn a_stale_plan_is_refused_before_any_change() {
    let project = Project::new(STACK);
    project.apply_converges();
    project.set_stack(&STACK.replace("memory = 256", "memory = 512"));
    project.run(&["plan", "--out", "plan.json"]).success();

    // Someone changes the function between plan and apply.
    set_memory(&project, "shop-get-order", 1024);
    let (run, requests) = project.requests(&["apply", "plan.json"]);
    run.code(1);
    assert!(
        run.stderr
            .contains("plan is stale: function.get-order changed since the plan was made (memory)"),
        "{}",
        run.stderr
    );
    assert_eq!(writes(&requests), Vec::<&String>::new());

    // A plan made from another version of the stack file.
    set_memory(&project, "shop-get-order", 256);
    project.set_stack(&STACK.replace("memory = 256", "memory = 384"));
    let run = project.run(&["apply", "plan.json"]);
    run.code(1);
    assert!(
        run.stderr
            .contains("stack.toml differs from the stack.toml the plan was made from"),
        "{}",
        run.stderr
    );

    // Back to the version it was made from: it applies.
    project.set_stack(&STACK.replace("memory = 256", "memory = 512"));
    project.run(&["apply", "plan.json"]).success();
    project.run(&["plan", "--detailed-exitcode"]).code(0);

    // Not a plan at all.
    project.write("bad.json", "{\"format_version\": \"9\"}");
    let run = project.run(&["apply", "bad.json"]);
    run.code(1);
    assert!(
        run.stderr.contains("its format_version is 9"),
        "{}",
        run.stderr
    );
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
    let run = project.run(&["plan", "--env", "prod", "--output", "json"]);
    run.success();
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(plan["stack"], "shop-prod");
    let table = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "table.orders")
        .unwrap();
    assert_eq!(table["action"], "create");
    assert_eq!(table["physical_name"], "shop-prod-orders");
    assert_eq!(table["after"]["billing"], "provisioned");

    // Destroying staging leaves the base stack alone.
    project
        .run(&["destroy", "--yes", "--allow-data-loss", "--env", "staging"])
        .success();
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert_eq!(memory(&project, "shop-get-order"), 256);
    let gone = project.block_on(
        project
            .lambda()
            .get_function()
            .function_name("shop-staging-get-order")
            .send(),
    );
    assert!(gone.is_err());
}
