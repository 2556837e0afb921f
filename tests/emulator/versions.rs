//! Function versions and aliases, tracing: a version is published only when code or
//! configuration changed, aliases (weighted too) follow, and removal cleans up.

use std::collections::BTreeMap;

use crate::support::Project;

const STACK: &str = r#"
[stack]
name = "ver"

[functions.get-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/get-order"
tracing = "active"
publish = true
aliases.live = "latest"
aliases.stable = 1
aliases.canary = { version = "latest", weight = 0.1, of = "stable" }
"#;

/// Each alias of the function: (version, additional version weights).
fn aliases(project: &Project, function: &str) -> BTreeMap<String, (String, BTreeMap<String, f64>)> {
    let lambda = project.lambda();
    let out = project
        .block_on(lambda.list_aliases().function_name(function).send())
        .unwrap();
    out.aliases()
        .iter()
        .map(|a| {
            let weights = a
                .routing_config()
                .and_then(|r| r.additional_version_weights())
                .map(|w| w.iter().map(|(k, v)| (k.clone(), *v)).collect())
                .unwrap_or_default();
            let version = a.function_version().unwrap().to_string();
            (a.name().unwrap().to_string(), (version, weights))
        })
        .collect()
}

fn versions(project: &Project, function: &str) -> Vec<String> {
    let lambda = project.lambda();
    let out = project
        .block_on(
            lambda
                .list_versions_by_function()
                .function_name(function)
                .send(),
        )
        .unwrap();
    out.versions()
        .iter()
        .filter_map(|v| v.version().map(str::to_string))
        .filter(|v| v != "$LATEST")
        .collect()
}

#[test]
fn versions_are_published_on_change_only_and_aliases_follow() {
    let project = Project::new(STACK);
    project.apply_converges();
    assert_eq!(versions(&project, "ver-get-order"), ["1"]);
    let config = project.function("ver-get-order").unwrap();
    let config = config.configuration().unwrap();
    let mode = config.tracing_config().and_then(|t| t.mode()).unwrap();
    assert_eq!(mode.as_str(), "Active");
    let no_weights = BTreeMap::new();
    assert_eq!(
        aliases(&project, "ver-get-order"),
        BTreeMap::from([
            ("canary".to_string(), ("1".to_string(), no_weights.clone())),
            ("live".to_string(), ("1".to_string(), no_weights.clone())),
            ("stable".to_string(), ("1".to_string(), no_weights.clone())),
        ])
    );
    // The managed role may write traces.
    let iam = project.iam();
    let policy = project
        .block_on(
            iam.get_role_policy()
                .role_name("ver-get-order")
                .policy_name("stackctl")
                .send(),
        )
        .unwrap();
    let document =
        percent_encoding::percent_decode_str(policy.policy_document()).decode_utf8_lossy();
    assert!(document.contains("xray:PutTraceSegments"), "{document}");
    assert!(document.contains("xray:PutTelemetryRecords"), "{document}");

    // Applying again publishes nothing, and costs one listing of versions and one of aliases.
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.success();
    assert_eq!(versions(&project, "ver-get-order"), ["1"]);
    let mut lambda: Vec<&String> = requests
        .iter()
        .filter(|r| r.contains("Versions") || r.contains("Alias") || r.contains("Publish"))
        .collect();
    lambda.sort();
    assert_eq!(
        lambda,
        ["lambda:ListAliases", "lambda:ListVersionsByFunction"]
    );

    // Changed code: version 2, shown as new in the plan; live moves, canary weighs 10% on it.
    project.write(
        "functions/get-order/index.mjs",
        "export const handler = async () => 2;\n",
    );
    let plan = project.run(&["plan"]);
    plan.success();
    assert!(
        plan.stdout
            .contains("version:     1 -> (known after apply)"),
        "{}",
        plan.stdout
    );
    project.apply_converges();
    assert_eq!(versions(&project, "ver-get-order"), ["1", "2"]);
    let aliases_now = aliases(&project, "ver-get-order");
    assert_eq!(aliases_now["live"], ("2".to_string(), no_weights.clone()));
    assert_eq!(aliases_now["stable"], ("1".to_string(), no_weights.clone()));
    assert_eq!(
        aliases_now["canary"],
        ("1".to_string(), BTreeMap::from([("2".to_string(), 0.1)]))
    );

    // Pinning stable to 2 and dropping canary: in place, no new version.
    let pinned = STACK
        .replace("aliases.stable = 1", "aliases.stable = 2")
        .replace(
            "aliases.canary = { version = \"latest\", weight = 0.1, of = \"stable\" }\n",
            "",
        );
    project.set_stack(&pinned);
    project.apply_converges();
    assert_eq!(versions(&project, "ver-get-order"), ["1", "2"]);
    let aliases_now = aliases(&project, "ver-get-order");
    assert_eq!(aliases_now.keys().collect::<Vec<_>>(), ["live", "stable"]);
    assert_eq!(aliases_now["stable"], ("2".to_string(), no_weights.clone()));

    // Without publish, the aliases go.
    let unpublished = pinned
        .replace("publish = true\n", "")
        .replace("aliases.live = \"latest\"\n", "")
        .replace("aliases.stable = 2\n", "");
    project.set_stack(&unpublished);
    project.apply_converges();
    assert!(aliases(&project, "ver-get-order").is_empty());
}

const REST_STAGES: &str = r#"
[stack]
name = "stg"

[functions.get-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/get-order"

[api]
type = "rest"
stages.v1 = { variables = { alias = "stable" }, throttle = { rate = 50, burst = 100 } }
stages.v2 = { variables = { alias = "live", color = "blue" }, tracing = true, throttle = { rate = 10, burst = 20 }, logging = { level = "error", metrics = true } }

[routes]
"GET /orders/{id}" = "get-order"
"#;

/// REST stages: one deployment each with its variables, tracing and method settings; every
/// stage's URL in the outputs; changes in place; a stage removed is deleted.
#[test]
fn rest_stages_carry_variables_tracing_and_logging() {
    let project = Project::new(REST_STAGES);
    crate::apis::set_logging_role(&project);
    project.apply_converges();
    let v1 = project.rest_apigateway();
    let apis = project.block_on(v1.get_rest_apis().send()).unwrap();
    let id = apis.items()[0].id().unwrap().to_string();
    let stage = |name: &str| {
        project
            .block_on(v1.get_stage().rest_api_id(&id).stage_name(name).send())
            .unwrap()
    };
    let first = stage("v1");
    assert_eq!(first.variables().unwrap()["alias"], "stable");
    assert!(!first.tracing_enabled());
    let second = stage("v2");
    assert_eq!(second.variables().unwrap()["alias"], "live");
    assert_eq!(second.variables().unwrap()["color"], "blue");
    assert!(second.tracing_enabled());
    let all = &second.method_settings().unwrap()["*/*"];
    assert_eq!(all.logging_level(), Some("ERROR"));
    assert!(all.metrics_enabled() && !all.data_trace_enabled());
    assert_eq!(all.throttling_rate_limit(), 10.0);

    let outputs = project.run(&["outputs", "--output", "json"]);
    outputs.success();
    let outputs: serde_json::Value = serde_json::from_str(&outputs.stdout).unwrap();
    let url = |stage: &str| format!("https://{id}.execute-api.us-east-1.amazonaws.com/{stage}");
    assert_eq!(outputs["api.url"], url("v1"));
    assert_eq!(outputs["api.stages.v1.url"], url("v1"));
    assert_eq!(outputs["api.stages.v2.url"], url("v2"));
    // `status` reports every stage.
    let status = project.run(&["status", "--output", "json"]);
    status.success();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let stages: Vec<&str> = status["apis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["v1", "v2"]);

    // In place: a variable changes, one goes, tracing goes; v1 is removed.
    let changed = REST_STAGES
        .replace("stages.v1 = { variables = { alias = \"stable\" }, throttle = { rate = 50, burst = 100 } }\n", "")
        .replace("alias = \"live\", color = \"blue\" }, tracing = true,", "alias = \"canary\" },");
    project.set_stack(&changed);
    let (action, attributes) = project.planned("api");
    // v2 becomes the first stage: its throttle is the API's.
    let expected = ["stage", "stages", "throttle"].map(String::from).to_vec();
    assert_eq!((action.as_str(), attributes), ("update", expected));
    project.apply_converges();
    let second = stage("v2");
    assert_eq!(
        second.variables().unwrap().clone(),
        std::collections::HashMap::from([("alias".to_string(), "canary".to_string())])
    );
    assert!(!second.tracing_enabled());
    let stages = project
        .block_on(v1.get_stages().rest_api_id(&id).send())
        .unwrap();
    let names: Vec<&str> = stages
        .item()
        .iter()
        .filter_map(|s| s.stage_name())
        .collect();
    assert_eq!(names, ["v2"]);
}

const HTTP_STAGES: &str = r#"
[stack]
name = "hst"

[functions.get-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/get-order"

[api]
stages.v1 = { variables = { alias = "stable" }, throttle = { rate = 50, burst = 100 } }
stages.v2 = { variables = { alias = "live" }, logging = { metrics = true } }

[routes]
"GET /orders/{id}" = "get-order"
"#;

/// HTTP stages: variables, throttle and detailed metrics at creation (moto answers UpdateStage
/// with a 500: changes are checked by the plan only).
#[test]
fn http_stages_carry_variables_and_metrics() {
    let project = Project::new(HTTP_STAGES);
    project.apply_converges();
    let v2 = project.apigateway();
    let apis = project.block_on(v2.get_apis().send()).unwrap();
    let id = apis.items()[0].api_id().unwrap().to_string();
    let stages = project
        .block_on(v2.get_stages().api_id(&id).send())
        .unwrap();
    let by_name = |name: &str| {
        stages
            .items()
            .iter()
            .find(|s| s.stage_name() == Some(name))
            .unwrap()
            .clone()
    };
    let first = by_name("v1");
    assert_eq!(first.stage_variables().unwrap()["alias"], "stable");
    assert_eq!(
        first
            .default_route_settings()
            .unwrap()
            .throttling_burst_limit(),
        Some(100)
    );
    let second = by_name("v2");
    assert_eq!(second.stage_variables().unwrap()["alias"], "live");
    let settings = second.default_route_settings().unwrap();
    assert_eq!(settings.detailed_metrics_enabled(), Some(true));

    let outputs = project.run(&["outputs", "--output", "json"]);
    let outputs: serde_json::Value = serde_json::from_str(&outputs.stdout).unwrap();
    let url = |stage: &str| format!("https://{id}.execute-api.us-east-1.amazonaws.com/{stage}");
    assert_eq!(outputs["api.url"], url("v1"));
    assert_eq!(outputs["api.stages.v2.url"], url("v2"));

    let changed = HTTP_STAGES.replace("alias = \"live\"", "alias = \"canary\"");
    project.set_stack(&changed);
    let (action, attributes) = project.planned("api");
    assert_eq!(
        (action.as_str(), attributes),
        ("update", vec!["stages".to_string()])
    );
}

const ROUTED: &str = r#"
[stack]
name = "rtd"

[functions.get-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/get-order"
publish = true
aliases.live = "latest"
aliases.stable = 1

[functions.list-orders]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/list-orders"
publish = true
aliases.live = "latest"

[api]
type = "rest"
stages.v1 = { variables = { alias = "stable" } }
stages.v2 = { variables = { alias = "live" } }

[routes]
"GET /orders/{id}" = { function = "get-order", alias = "${stageVariables.alias}" }
"GET /orders" = { function = "list-orders", alias = "live" }
"#;

/// Routes to a fixed alias and to a stage variable's alias: the integration URIs name them,
/// every reachable alias may be invoked by the API, and the plan is clean after apply.
#[test]
fn routes_invoke_aliases_fixed_or_from_stage_variables() {
    let project = Project::new(ROUTED);
    project.apply_converges();
    let v1 = project.rest_apigateway();
    let apis = project.block_on(v1.get_rest_apis().send()).unwrap();
    let id = apis.items()[0].id().unwrap().to_string();
    let resources = project
        .block_on(v1.get_resources().rest_api_id(&id).send())
        .unwrap();
    let uri = |path: &str| {
        let resource = resources
            .items()
            .iter()
            .find(|r| r.path() == Some(path))
            .unwrap();
        let request = v1.get_integration().rest_api_id(&id);
        let request = request
            .resource_id(resource.id().unwrap())
            .http_method("GET");
        project
            .block_on(request.send())
            .unwrap()
            .uri()
            .unwrap()
            .to_string()
    };
    assert!(
        uri("/orders/{id}")
            .ends_with(":function:rtd-get-order:${stageVariables.alias}/invocations"),
        "{}",
        uri("/orders/{id}")
    );
    assert!(uri("/orders").ends_with(":function:rtd-list-orders:live/invocations"));
    for function in [
        "rtd-get-order:stable",
        "rtd-get-order:live",
        "rtd-list-orders:live",
    ] {
        let policy = project.policy(function);
        assert!(
            policy.contains("stackctl-api-routes"),
            "{function}: {policy}"
        );
        assert!(policy.contains(&format!("{id}/*")), "{function}: {policy}");
    }

    // A stage variable names another alias, and a new stage a third: the route grants the
    // newly reachable ones, the API revokes the one no stage reaches (its record says which).
    let moved = ROUTED
        .replace("aliases.stable = 1\n", "aliases.stable = 1\naliases.canary = 1\n")
        .replace(
            "stages.v1 = { variables = { alias = \"stable\" } }",
            "stages.v1 = { variables = { alias = \"live\" } }\nstages.v3 = { variables = { alias = \"canary\" } }",
        );
    project.set_stack(&moved);
    let (action, attributes) = project.planned("route[GET /orders/{id}]");
    let expected = vec!["invoke_permission".to_string()];
    assert_eq!((action.as_str(), attributes), ("update", expected));
    let plan = project.run(&["plan"]);
    assert!(
        plan.stdout.contains("alias_permissions")
            && plan.stdout.contains("get-order:canary")
            && !plan.stdout.contains("changed outside stackctl"),
        "{}",
        plan.stdout
    );
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.success();
    let removed = requests.iter().filter(|r| *r == "lambda:RemovePermission");
    assert_eq!(removed.count(), 1, "{requests:?}");
    let policy = project.policy("rtd-get-order:canary");
    assert!(policy.contains("stackctl-api-routes"), "{policy}");
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    // The record is what the plan compares: `--refresh-only` finds nothing either.
    project
        .run(&["plan", "--refresh-only", "--detailed-exitcode"])
        .code(0);
    project.set_stack(ROUTED);
    project.apply_converges();

    // Pointing the route at the function itself is one change, in place.
    project.set_stack(&ROUTED.replace(
        r#"{ function = "list-orders", alias = "live" }"#,
        r#"{ function = "list-orders" }"#,
    ));
    let (action, attributes) = project.planned("route[GET /orders]");
    assert_eq!(
        (action.as_str(), attributes),
        ("update", vec!["alias".to_string()])
    );
    project.apply_converges();
    assert!(uri("/orders").ends_with(":function:rtd-list-orders/invocations"));

    // Removal cleans up: the API and the functions with their versions and aliases.
    project.run(&["destroy", "--yes"]).success();
    assert!(project.function("rtd-get-order").is_none());
}

/// Deletes alias `stable` of `cut-get-order` just before stackctl's UpdateAlias of it (once
/// `live` is at version 2): the apply fails after the function's configuration (and its
/// fingerprint) was written.
fn alias_gone_first(endpoint: &str, body: &[u8]) -> bool {
    let _ = body;
    crate::support::run_alone(async {
        let config = crate::support::sdk_config_at(endpoint).await;
        let lambda = aws_sdk_lambda::Client::new(&config);
        let live = lambda
            .get_alias()
            .function_name("cut-get-order")
            .name("live");
        let live = live.send().await.unwrap();
        if live.function_version() != Some("2") {
            return false;
        }
        let delete = lambda
            .delete_alias()
            .function_name("cut-get-order")
            .name("stable");
        delete.send().await.unwrap();
        true
    })
}

const CUT: &str = r#"
[stack]
name = "cut"

[functions.get-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/get-order"
publish = true
aliases.live = "latest"
aliases.stable = 1
"#;

/// An apply cut short between a function's configuration and its aliases: the next plan shows
/// the aliases to apply, not drift (the fingerprint vouches for them only once applied).
#[test]
fn an_apply_cut_short_before_the_aliases_shows_no_drift() {
    let project = Project::new(CUT).through_proxy(crate::support::proxy::ProxyConfig::before(
        // UpdateAlias, as the proxy counts it.
        "lambda:PUT /2015-03-31/functions/*/*/*",
        alias_gone_first,
    ));
    project.apply_converges();
    project.write(
        "functions/get-order/index.mjs",
        "export const handler = async () => 2;\n",
    );
    project.apply_converges();
    let moved = CUT
        .replace("aliases.stable = 1", "aliases.stable = 2")
        .replace(
            "publish = true",
            "publish = true\ntags = { team = \"orders\" }",
        );
    project.set_stack(&moved);
    project.run(&["apply", "--yes"]).code(1);
    let plan = project.run(&["plan"]);
    plan.success();
    assert!(plan.stdout.contains("aliases"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("outside stackctl"), "{}", plan.stdout);
    project.apply_converges();
    assert_eq!(aliases(&project, "cut-get-order")["stable"].0, "2");
}
