//! A metered REST API: usage plans with throttles, quotas and per-method throttles, API keys
//! in them, routes that need a key. Applied, re-planned clean, changed (one UpdateUsagePlan
//! per plan), and the keys' values never printed unless asked.

use crate::support::{Project, writes};

/// A REST API with two routes, one that needs a key, a usage plan and two keys; `edit`
/// changes the text.
fn stack() -> String {
    r#"[stack]
name = "metered"

[functions.get-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/get"

[functions.create-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/create"

[api]
type = "rest"
stage = "v1"

[api.usage_plans.basic]
stages = ["v1"]
throttle = { rate = 10, burst = 20 }
quota = { limit = 10000, period = "month" }
routes = { "GET /orders/{id}" = { rate = 5, burst = 10 } }

[api.keys.partner-a]
plans = ["basic"]

[api.keys.partner-b]
plans = ["basic"]
enabled = false

[routes]
"GET /orders/{id}" = { function = "get-order", api_key = true, summary = "Read an order" }
"POST /orders" = "create-order"
"#
    .to_string()
}

/// The usage plan named `name`, as the emulator holds it.
fn usage_plan(project: &Project, name: &str) -> aws_sdk_apigateway::types::UsagePlan {
    let plans = project.block_on(project.rest_apigateway().get_usage_plans().send());
    let plans = plans.unwrap().items().to_vec();
    plans
        .into_iter()
        .find(|p| p.name() == Some(name))
        .unwrap_or_else(|| panic!("no usage plan {name}"))
}

fn api_keys(project: &Project) -> Vec<aws_sdk_apigateway::types::ApiKey> {
    let keys = project.block_on(
        project
            .rest_apigateway()
            .get_api_keys()
            .include_values(true)
            .send(),
    );
    let mut keys = keys.unwrap().items().to_vec();
    keys.sort_by(|a, b| a.name().cmp(&b.name()));
    keys
}

/// Whether the REST API's method `method` on `path` needs a key.
fn key_required(project: &Project, path: &str, method: &str) -> bool {
    let client = project.rest_apigateway();
    let apis = project.block_on(client.get_rest_apis().send()).unwrap();
    let api = apis.items()[0].id().unwrap().to_string();
    let resources = project
        .block_on(
            client
                .get_resources()
                .rest_api_id(&api)
                .embed("methods")
                .send(),
        )
        .unwrap();
    let resource = resources
        .items()
        .iter()
        .find(|r| r.path() == Some(path))
        .unwrap_or_else(|| panic!("no resource {path}"));
    resource.resource_methods().unwrap()[method]
        .api_key_required()
        .unwrap_or(false)
}

#[test]
fn usage_plans_keys_and_key_requirements_are_applied_changed_and_replanned_clean() {
    let project = Project::new(&stack());
    let planned = project.run(&["plan", "--output", "json"]);
    planned.success();
    crate::workflow::assert_valid_plan(&planned.stdout);
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.success();
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    let mut created: Vec<&str> = writes(&requests)
        .into_iter()
        .map(String::as_str)
        .filter(|r| r.contains("UsagePlan") || r.contains("ApiKey"))
        .collect();
    created.sort_unstable();
    assert_eq!(
        created,
        [
            "api gateway:CreateApiKey",
            "api gateway:CreateApiKey",
            "api gateway:CreateUsagePlan",
            "api gateway:CreateUsagePlanKey",
            "api gateway:CreateUsagePlanKey",
        ],
        "{requests:#?}"
    );

    let plan = usage_plan(&project, "metered-basic");
    let throttle = plan.throttle().unwrap();
    assert_eq!((throttle.rate_limit(), throttle.burst_limit()), (10.0, 20));
    let quota = plan.quota().unwrap();
    assert_eq!(
        (quota.limit(), quota.period().unwrap().as_str()),
        (10000, "MONTH")
    );
    let stage = &plan.api_stages()[0];
    assert_eq!(stage.stage(), Some("v1"));
    let per_method = &stage.throttle().unwrap()["/orders/{id}/GET"];
    assert_eq!(
        (per_method.rate_limit(), per_method.burst_limit()),
        (5.0, 10)
    );
    let keys = api_keys(&project);
    let names: Vec<(&str, bool)> = keys
        .iter()
        .map(|k| (k.name().unwrap(), k.enabled()))
        .collect();
    assert_eq!(
        names,
        [("metered-partner-a", true), ("metered-partner-b", false)]
    );
    assert!(key_required(&project, "/orders/{id}", "GET"));
    assert!(!key_required(&project, "/orders", "POST"));

    // A change to the plan's throttle and quota: one UpdateUsagePlan. (Not the quota's limit:
    // the emulator keeps a patched limit as a string, which no SDK reads back.)
    project.set_stack(
        &stack()
            .replace("rate = 10, burst = 20", "rate = 20, burst = 40")
            .replace("period = \"month\"", "period = \"week\""),
    );
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.success();
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    let changed: Vec<&str> = writes(&requests)
        .into_iter()
        .map(String::as_str)
        .filter(|r| r.starts_with("api gateway:"))
        .collect();
    assert_eq!(changed, ["api gateway:UpdateUsagePlan"], "{requests:#?}");
    let plan = usage_plan(&project, "metered-basic");
    assert_eq!(plan.quota().unwrap().period().unwrap().as_str(), "WEEK");
    assert_eq!(plan.throttle().unwrap().burst_limit(), 40);

    // A key turned off, the other gone; the route no longer needs a key.
    project.set_stack(
        &stack()
            .replace(
                "[api.keys.partner-b]\nplans = [\"basic\"]\nenabled = false\n",
                "",
            )
            .replace(
                "[api.keys.partner-a]\nplans = [\"basic\"]\n",
                "[api.keys.partner-a]\nplans = [\"basic\"]\nenabled = false\n",
            )
            .replace(", api_key = true", ""),
    );
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.success();
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    // The key gone leaves its plan first.
    let at = |op: &str| requests.iter().position(|r| r == op).unwrap();
    assert!(
        at("api gateway:DeleteUsagePlanKey") < at("api gateway:DeleteApiKey"),
        "{requests:#?}"
    );
    let keys = api_keys(&project);
    let names: Vec<(&str, bool)> = keys
        .iter()
        .map(|k| (k.name().unwrap(), k.enabled()))
        .collect();
    assert_eq!(names, [("metered-partner-a", false)]);
    assert!(!key_required(&project, "/orders/{id}", "GET"));

    // No usage plans or keys left: both deleted.
    let bare = stack();
    let bare = bare[..bare.find("[api.usage_plans.basic]").unwrap()].to_string()
        + &bare[bare.find("[routes]").unwrap()..];
    project.set_stack(&bare);
    project.apply_converges();
    assert!(api_keys(&project).is_empty());
    let plans = project.block_on(project.rest_apigateway().get_usage_plans().send());
    assert!(plans.unwrap().items().is_empty());
}

#[test]
fn an_api_key_value_is_printed_only_when_asked() {
    let project = Project::new(&stack());
    let apply = project.apply_converges();
    let value = api_keys(&project)[0].value().unwrap().to_string();
    assert!(value.len() >= 20, "{value}");
    let runs = [
        apply,
        project.run(&["plan"]),
        project.run(&["plan", "--output", "json"]),
        project.run(&["outputs"]),
        project.run(&["outputs", "--output", "json"]),
        project.run(&["apply", "--yes", "--log-format", "json"]),
        project.run(&["openapi"]),
        project.run(&["portal", "-o", "site"]),
    ];
    for run in &runs {
        run.success();
        assert!(!run.stdout.contains(&value), "{run:?}");
        assert!(!run.stderr.contains(&value), "{run:?}");
    }
    let site = std::fs::read_to_string(project.path("site/index.html")).unwrap();
    assert!(!site.contains(&value));

    let shown = project.run(&["outputs", "--show-secrets", "--output", "json"]);
    shown.success();
    let outputs: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(outputs["api.keys.partner-a.value"], value.as_str());
    assert_eq!(
        outputs["api.keys.partner-a.id"],
        api_keys(&project)[0].id().unwrap()
    );
}

#[test]
fn a_rest_api_written_whole_keeps_its_key_requirements() {
    // 40 routes: one PutRestApi, whose body asks for keys (security api_key); the emulator
    // ignores it, and the read-back puts those methods again.
    let stack = crate::whole_api::stack("rest", 40)
        .replace(
            "\"GET /items/r1\" = \"f1\"",
            "\"GET /items/r1\" = { function = \"f1\", api_key = true }",
        )
        .replace(
            "\"POST /items/r3/{id}\" = { function = \"f3\", authorizer = \"users\" }",
            "\"POST /items/r3/{id}\" = { function = \"f3\", authorizer = \"users\", api_key = true }",
        );
    let project = Project::new(&stack);
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.success();
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    let puts = requests.iter().filter(|r| *r == "api gateway:PutRestApi");
    assert_eq!(puts.count(), 1, "{requests:#?}");
    assert!(key_required(&project, "/items/r1", "GET"));
    assert!(key_required(&project, "/items/r3/{id}", "POST"));
    assert!(!key_required(&project, "/items/r2", "GET"));
}

/// A stage removed from the API and from the plan that meters it, in one apply: the plan
/// stops metering it before the deployment deletes the stage.
#[test]
fn a_stage_removed_from_the_api_and_its_plan_goes_plan_first() {
    let two = stack()
        .replace("stage = \"v1\"", "stages.v1 = {}\nstages.v2 = {}")
        .replace("stages = [\"v1\"]", "stages = [\"v1\", \"v2\"]")
        .replace(
            "routes = { \"GET /orders/{id}\" = { rate = 5, burst = 10 } }\n",
            "",
        );
    let project = Project::new(&two);
    project.apply_converges();
    let one = two
        .replace("stages.v1 = {}\nstages.v2 = {}", "stages.v1 = {}")
        .replace("stages = [\"v1\", \"v2\"]", "stages = [\"v1\"]");
    project.set_stack(&one);
    let plan = project.plan_json(&[]);
    let deployment = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "api.deployment")
        .unwrap();
    assert_eq!(
        deployment["depends_on"],
        serde_json::json!(["api", "api.usage_plan.basic"])
    );
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.success();
    let at = |op: &str| requests.iter().position(|r| r == op).unwrap();
    assert!(
        at("api gateway:UpdateUsagePlan") < at("api gateway:DeleteStage"),
        "{requests:#?}"
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    let plan = usage_plan(&project, "metered-basic");
    let stages: Vec<&str> = plan.api_stages().iter().filter_map(|s| s.stage()).collect();
    assert_eq!(stages, ["v1"]);
}

/// Usage plans are read only by a stack with a REST API: a stack of tables and functions never
/// reads the account's usage plans or keys (it needs no API Gateway permission, and a plan the
/// emulator cannot answer cannot stop it).
#[test]
fn a_stack_without_a_rest_api_reads_no_usage_plans() {
    let project = Project::new(
        "[stack]\nname = \"plain\"\n\n[tables.t]\npartition_key = { name = \"pk\", type = \"string\" }\n",
    )
    .through_proxy(crate::support::proxy::ProxyConfig::immediate());
    project.apply_converges();
    let counts = project.proxy.as_ref().unwrap().stats.counts();
    let metering: Vec<&String> = (counts.keys())
        .filter(|op| {
            op.to_lowercase().contains("usageplan") || op.to_lowercase().contains("apikey")
        })
        .collect();
    assert!(metering.is_empty(), "{counts:?}");
}
