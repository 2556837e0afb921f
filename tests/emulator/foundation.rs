//! The foundation: plan, apply, destroy, ownership and safety across every resource kind.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::support::output::assert_output_snapshot;
use crate::support::{self, Project, change, strings};

const SHOP: &str = r#"
[stack]
name = "shop"

[tables.orders]
partition_key = { name = "pk", type = "string" }
sort_key = { name = "sk", type = "string" }
ttl_attribute = "expires_at"
deletion_protection = false
tags = { team = "core" }

[functions.get-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/get-order"
memory = 256
environment = { ORDERS_TABLE = "${tables.orders.name}", ORDERS_ARN = "${tables.orders.arn}" }

[functions.create-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/create-order"

[api]
type = "http"
stage = "prod"

[routes]
"GET /orders/{id}" = "get-order"
"POST /orders" = { function = "create-order" }
"#;

#[test]
fn plan_on_an_empty_account_shows_every_resource() {
    let project = Project::new(SHOP);
    let run = project.run(&["plan", "--detailed-exitcode"]);
    run.code(2);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn apply_creates_the_stack_and_the_next_plan_is_empty() {
    let project = Project::new(SHOP);
    let run = project.apply_converges();
    run.stdout_has(&["Apply complete: 8 changes", "api.url = https://", "/prod"]);
    let again = project.run(&["plan"]);
    again.success();
    assert_eq!(
        again.stdout,
        "No changes. Stack shop in us-east-1 matches the stack file.\n"
    );

    // What AWS now holds, read with the SDK.
    let ddb = project.dynamodb();
    let table = project
        .block_on(ddb.describe_table().table_name("shop-orders").send())
        .unwrap();
    let table = table.table().unwrap();
    let arn = table.table_arn().unwrap().to_string();
    let tags = project
        .block_on(ddb.list_tags_of_resource().resource_arn(&arn).send())
        .unwrap();
    let tags: Vec<(String, String)> = tags
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    assert!(
        tags.contains(&("stackctl:stack".into(), "shop".into())),
        "{tags:?}"
    );
    assert!(tags.contains(&("team".into(), "core".into())), "{tags:?}");

    let function = project.function("shop-get-order").unwrap();
    let config = function.configuration().unwrap();
    assert_eq!(config.memory_size(), Some(256));
    let env = config.environment().unwrap().variables().unwrap();
    assert_eq!(env["ORDERS_TABLE"], "shop-orders");
    assert_eq!(
        env["ORDERS_ARN"], arn,
        "references resolve to values created in the same apply"
    );
    assert!(
        config
            .role()
            .unwrap()
            .ends_with(":role/stackctl/shop/shop-get-order")
    );

    let api = &project.http_apis()[0];
    let routes = project
        .block_on(
            project
                .apigateway()
                .get_routes()
                .api_id(api.api_id().unwrap())
                .send(),
        )
        .unwrap();
    let mut keys: Vec<&str> = routes
        .items()
        .iter()
        .filter_map(|r| r.route_key())
        .collect();
    keys.sort();
    assert_eq!(keys, ["GET /orders/{id}", "POST /orders"]);
    assert!(
        project
            .policy("shop-get-order")
            .contains("apigateway.amazonaws.com"),
        "the route may invoke its function"
    );
}

#[test]
fn json_plan_is_machine_readable() {
    let project = Project::new(SHOP);
    let plan = project.plan_json(&[]);
    assert_eq!(plan["format_version"], "1");
    assert_eq!(plan["has_changes"], true);
    assert_eq!(plan["summary"]["create"], 8);
    let function = change(&plan, "function.get-order");
    assert_eq!(function["action"], "create");
    assert_eq!(function["after"]["memory"], 256);
    let unknown = strings(&function["after_unknown"]);
    assert_eq!(unknown, ["environment.ORDERS_ARN", "role"]);
    assert_eq!(
        function["depends_on"],
        serde_json::json!(["role.get-order", "table.orders"])
    );
}

#[test]
fn one_attribute_of_each_kind_changes_in_place() {
    let project = Project::new(SHOP);
    project.apply_converges();
    let changed = SHOP
        .replace(
            "deletion_protection = false",
            "deletion_protection = false\npoint_in_time_recovery = true",
        )
        .replace("memory = 256", "memory = 512")
        .replace("stage = \"prod\"", "stage = \"live\"")
        .replace(
            "\"POST /orders\" = { function = \"create-order\" }",
            "\"POST /orders\" = \"get-order\"",
        );
    project.set_stack(&changed);
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    insta::assert_snapshot!(plan.stdout);
    project.apply_converges();

    let config = project.function("shop-get-order").unwrap();
    assert_eq!(config.configuration().unwrap().memory_size(), Some(512));
    assert_eq!(project.pitr_status("shop-orders"), "ENABLED");
}

#[test]
fn removing_resources_from_the_file_deletes_them() {
    let project = Project::new(SHOP);
    project.apply_converges();
    let without = SHOP
        .replace("\"POST /orders\" = { function = \"create-order\" }\n", "")
        .replace(
            "[functions.create-order]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"functions/create-order\"\n",
            "",
        );
    project.set_stack(&without);
    let plan = project.run(&["plan"]);
    plan.success();
    assert_output_snapshot!("removed_resources_plan", &plan.stdout);
    project.apply_converges();

    let gone = project.function("shop-create-order");
    assert!(gone.is_none(), "the function is deleted");
    let role = project.role_exists("shop-create-order");
    assert!(!role, "its managed role is deleted");
}

#[test]
fn deleting_a_table_needs_allow_data_loss() {
    let project = Project::new(SHOP);
    project.apply_converges();
    let ddb = project.dynamodb();
    project.put_item(
        "shop-orders",
        [
            ("pk", AttributeValue::S("order#1".into())),
            ("sk", AttributeValue::S("order".into())),
        ],
    );
    // The table goes, and the function that referred to it stops referring to it.
    let without = SHOP
        .replace(
            "[tables.orders]\npartition_key = { name = \"pk\", type = \"string\" }\nsort_key = { name = \"sk\", type = \"string\" }\nttl_attribute = \"expires_at\"\ndeletion_protection = false\ntags = { team = \"core\" }\n",
            "",
        )
        .replace(
            "environment = { ORDERS_TABLE = \"${tables.orders.name}\", ORDERS_ARN = \"${tables.orders.arn}\" }",
            "",
        );
    project.set_stack(&without);
    let refused = project.run(&["apply", "--yes"]);
    refused.code(1);
    assert_output_snapshot!("data_loss_refused", &refused.stderr);
    // With --log-format json, the last event says which refusal it was.
    let refused = project.run(&["apply", "--yes", "--log-format", "json"]);
    refused.code(1);
    let last: serde_json::Value =
        serde_json::from_str(refused.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "refused", "{}", refused.stdout);
    assert_eq!(last["refusal"], "data_loss", "{}", refused.stdout);
    let items = project
        .block_on(ddb.scan().table_name("shop-orders").send())
        .unwrap();
    assert_eq!(items.count(), 1, "nothing was changed");
    let config = project.function("shop-get-order").unwrap();
    assert!(
        config.configuration().unwrap().environment().is_some(),
        "not even the function"
    );

    project
        .run(&["apply", "--yes", "--allow-data-loss"])
        .success();
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert!(
        project
            .block_on(ddb.describe_table().table_name("shop-orders").send())
            .is_err()
    );
}

#[test]
fn a_key_change_is_a_replacement_that_destroys_data() {
    let project = Project::new(SHOP);
    project.apply_converges();
    project.set_stack(&SHOP.replace(
        "sort_key = { name = \"sk\", type = \"string\" }",
        "sort_key = { name = \"created\", type = \"number\" }",
    ));
    let plan = project.run(&["plan"]);
    plan.success();
    assert_output_snapshot!("key_change_plan", &plan.stdout);
    project.run(&["apply", "--yes"]).code(1);
    project
        .run(&["apply", "--yes", "--allow-data-loss"])
        .success();
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn deletion_protection_is_never_turned_off_silently() {
    let protected = SHOP.replace("deletion_protection = false\n", "");
    let project = Project::new(&protected);
    project.apply_converges();
    let run = project.run(&["destroy", "--yes", "--allow-data-loss"]);
    run.code(1);
    assert_output_snapshot!("protected_table_destroy", run.shown());
    let still = project.function("shop-get-order");
    assert!(still.is_some(), "destroy refused as a whole");
}

#[test]
fn destroy_removes_everything_the_stack_owns() {
    let project = Project::new(SHOP);
    project.apply_converges();
    let run = project.run(&["destroy", "--yes", "--allow-data-loss"]);
    run.success();
    // The routes go with their API.
    run.stdout_has(&[
        "Destroy complete: 6 changes",
        "- table.orders (shop-orders) will be deleted - DESTROYS DATA",
    ]);
    let plan = project.plan_json(&[]);
    assert_eq!(plan["summary"]["create"], 8, "everything is gone");
    let roles = project
        .block_on(
            project
                .iam()
                .list_roles()
                .path_prefix("/stackctl/shop/")
                .send(),
        )
        .unwrap();
    assert!(roles.roles().is_empty());
}

#[test]
fn apply_without_a_terminal_needs_yes() {
    let project = Project::new(SHOP);
    // Refused before any request: no plan read, no lock table made.
    for command in ["apply", "destroy"] {
        let (run, requests) = project.requests(&[command]);
        run.code(1).stderr_has(&["pass --yes"]);
        assert!(requests.is_empty(), "{command}: {requests:?}");
    }
    // Only a lock to remove needs an answer: an unlocked stack is reported as such.
    let unlock = project.run(&["unlock"]);
    unlock.success().stdout_has(&["Stack shop is not locked."]);
    let plan = project.plan_json(&[]);
    assert_eq!(plan["summary"]["create"], 8, "nothing was created");
}

#[test]
fn a_table_the_stack_does_not_own_is_never_touched() {
    let project = Project::new(SHOP);
    project.create_table("shop-orders", "id", None);
    let plan = project.run(&["plan"]);
    plan.code(1);
    assert_output_snapshot!("unowned_table_plan", &plan.stdout);
    // In JSON the blocker is in the document, and stderr says why the exit is 1.
    let json = project.run(&["plan", "--output", "json"]);
    json.code(1).stderr_has(&[
        "The plan is blocked: table.orders: table shop-orders exists but is managed by no stackctl stack",
    ]);
    let apply = project.run(&["apply", "--yes"]);
    apply.code(1);
    assert!(project.functions().is_empty(), "apply refused as a whole");
}

#[test]
fn code_hashes_are_stable_and_exact() {
    let project = Project::new(SHOP);
    project.apply_converges();
    // Touching files, and rewriting them with the same bytes, is no change.
    let index = project.path("functions/get-order/index.mjs");
    let content = std::fs::read(&index).unwrap();
    std::fs::write(&index, &content).unwrap();
    let file = std::fs::File::options().write(true).open(&index).unwrap();
    file.set_modified(
        std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(2_000_000_000),
    )
    .unwrap();
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    // One byte more is a code change, and only that.
    let mut changed = content.clone();
    changed.push(b'\n');
    std::fs::write(&index, changed).unwrap();
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert_output_snapshot!("code_change_plan", &plan.stdout);
    project.apply_converges();
}

#[test]
fn a_second_api_left_by_an_interrupted_apply_is_removed() {
    let project = Project::new(SHOP);
    project.apply_converges();
    project
        .block_on(
            project
                .apigateway()
                .create_api()
                .name("shop")
                .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
                .tags("stackctl:stack", "shop")
                .send(),
        )
        .unwrap();
    let plan = project.run(&["plan"]);
    assert_output_snapshot!("second_api_plan", &plan.stdout);
    project.apply_converges();
    assert_eq!(project.http_apis().len(), 1);
}

#[test]
fn a_role_of_the_same_name_outside_the_stack_is_never_taken_over() {
    let project = Project::new(SHOP);
    project
        .block_on(
            project
                .iam()
                .create_role()
                .role_name("shop-get-order")
                .assume_role_policy_document("{}")
                .send(),
        )
        .unwrap();
    let plan = project.run(&["plan"]);
    plan.code(1);
    assert_output_snapshot!("unowned_role_plan", &plan.stdout);
}

#[test]
fn endpoint_and_region_flags_override_the_environment() {
    let project = Project::new(SHOP);
    let run = support::stackctl(
        project.dir.path(),
        None,
        &[
            "plan",
            "--endpoint-url",
            &project.moto.endpoint,
            "--region",
            "eu-west-1",
        ],
    );
    run.success();
    assert!(
        run.stdout.starts_with("Stack shop in eu-west-1:"),
        "{}",
        run.stdout
    );
}
