//! HTTP and REST APIs from one route syntax: stages that always serve the latest routes,
//! switching type, CORS and throttling, and small writes for small changes.

use crate::support::output::assert_output_snapshot;
use crate::support::{Project, change, lock_request, writes};

const API: &str = r#"
[stack]
name = "web"

[functions.a]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/a"

[functions.b]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/b"

[api]
type = "TYPE"
stage = "prod"

[routes]
"GET /orders/{id}" = "a"
"POST /orders" = "b"
"ANY /admin/{proxy+}" = "a"
"#;

fn rest() -> String {
    API.replace("TYPE", "rest")
}

fn http() -> String {
    API.replace("TYPE", "http")
}

fn rest_api(project: &Project) -> (String, String) {
    let apis = project.rest_apis();
    assert_eq!(apis.len(), 1, "exactly one REST API");
    let id = apis[0].id().unwrap().to_string();
    let stages = project
        .block_on(
            project
                .rest_apigateway()
                .get_stages()
                .rest_api_id(&id)
                .send(),
        )
        .unwrap();
    let deployment = stages.item()[0].deployment_id().unwrap().to_string();
    (id, deployment)
}

fn resource_tree(project: &Project, id: &str) -> Vec<String> {
    let resources = project
        .block_on(
            project
                .rest_apigateway()
                .get_resources()
                .rest_api_id(id)
                .embed("methods")
                .limit(500)
                .send(),
        )
        .unwrap();
    let mut tree: Vec<String> = resources
        .items()
        .iter()
        .map(|r| {
            let mut methods: Vec<&String> = r
                .resource_methods()
                .into_iter()
                .flat_map(|m| m.keys())
                .collect();
            methods.sort();
            format!("{} {methods:?}", r.path().unwrap())
        })
        .collect();
    tree.sort();
    tree
}

#[test]
fn a_rest_api_serves_every_route_change_through_a_new_deployment() {
    let project = Project::new(&rest());
    let run = project.apply_converges();
    run.stdout_has(&["api.deployment: created"]);
    let (id, first) = rest_api(&project);
    assert_eq!(
        resource_tree(&project, &id),
        [
            "/ []",
            "/admin []",
            "/admin/{proxy+} [\"ANY\"]",
            "/orders [\"POST\"]",
            "/orders/{id} [\"GET\"]",
        ]
    );

    // A route's function changes: the stage must serve a new deployment.
    project.set_stack(&rest().replace("\"POST /orders\" = \"b\"", "\"POST /orders\" = \"a\""));
    let plan = project.run(&["plan"]);
    assert_output_snapshot!("rest_route_change_plan", &plan.stdout);
    project.apply_converges();
    let (_, second) = rest_api(&project);
    assert_ne!(first, second, "the stage points at the new deployment");

    // A route goes: nothing of it is left in the tree.
    project.set_stack(&rest().replace("\"ANY /admin/{proxy+}\" = \"a\"\n", ""));
    project.apply_converges();
    let (_, third) = rest_api(&project);
    assert_ne!(second, third);
    assert_eq!(
        resource_tree(&project, &id),
        ["/ []", "/orders [\"POST\"]", "/orders/{id} [\"GET\"]"]
    );
}

#[test]
fn switching_between_http_and_rest_replaces_the_api() {
    // Function a knows the API's URL, which changes with the API.
    let with_url = |stack: String| {
        stack.replace(
            "code = \"functions/a\"",
            "code = \"functions/a\"\nenvironment = { URL = \"${api.url}\" }",
        )
    };
    let (http, rest) = (|| with_url(http()), || with_url(rest()));
    let project = Project::new(&http());
    project.apply_converges();
    project.set_stack(&rest());
    let plan = project.run(&["plan"]);
    assert_output_snapshot!("http_to_rest_plan", &plan.stdout);
    project.apply_converges();
    assert!(project.http_apis().is_empty(), "the HTTP API is gone");
    let (rest_id, _) = rest_api(&project);
    // Each function holds one statement for the API, naming the new one.
    for function in ["web-a", "web-b"] {
        assert_eq!(
            routes_statements(&project, function),
            [format!("{rest_id}/*")]
        );
    }

    project.set_stack(&http());
    project.apply_converges();
    let http_apis = project.http_apis();
    assert_eq!(http_apis.len(), 1);
    assert!(project.rest_apis().is_empty(), "the REST API is gone");
    // The invoke permissions name the new API.
    let api_id = http_apis[0].api_id().unwrap();
    for function in ["web-a", "web-b"] {
        assert_eq!(
            routes_statements(&project, function),
            [format!("{api_id}/*")]
        );
    }

    // Without an API, no function keeps a permission for it.
    let without = &API[..API.find("[api]").unwrap()];
    project.set_stack(without);
    project.apply_converges();
    for function in ["web-a", "web-b"] {
        assert!(routes_statements(&project, function).is_empty());
    }
}

/// The sources (`API_ID/*`) of the `stackctl-api-routes` statements of a function's policy.
fn routes_statements(project: &Project, function: &str) -> Vec<String> {
    let statements = project.statements_if_any(function).unwrap_or_default();
    statements
        .into_iter()
        .filter(|(sid, _)| sid == "stackctl-api-routes")
        .map(|(_, source)| source.rsplit(':').next().unwrap().to_string())
        .collect()
}

#[test]
fn http_cors_and_throttling_change_in_place() {
    let with = http().replace(
        "stage = \"prod\"",
        "stage = \"prod\"\ncors = { allow_origins = [\"https://shop.example\"], allow_methods = [\"GET\", \"POST\"], allow_headers = [\"content-type\"], max_age = 600 }\nthrottle = { rate = 100, burst = 200 }",
    );
    let project = Project::new(&with);
    project.apply_converges();
    let api = &project.http_apis()[0];
    let cors = api.cors_configuration().unwrap();
    assert_eq!(cors.allow_origins(), ["https://shop.example"]);
    assert_eq!(cors.max_age(), Some(600));
    let stages = project
        .block_on(
            project
                .apigateway()
                .get_stages()
                .api_id(api.api_id().unwrap())
                .send(),
        )
        .unwrap();
    let settings = stages.items()[0].default_route_settings().unwrap();
    assert_eq!(settings.throttling_burst_limit(), Some(200));

    // Stage throttling changes with UpdateStage, which moto 5.2.5 answers with a 500: it is
    // checked at creation above, and the change in place is left to AWS itself.
    project.set_stack(&with.replace("max_age = 600", "max_age = 60"));
    let plan = project.run(&["plan"]);
    assert_output_snapshot!("http_cors_change_plan", &plan.stdout);
    project.apply_converges();
    let without_cors = with.replace(
        "cors = { allow_origins = [\"https://shop.example\"], allow_methods = [\"GET\", \"POST\"], allow_headers = [\"content-type\"], max_age = 600 }\n",
        "",
    );
    project.set_stack(&without_cors);
    project.apply_converges();
}

#[test]
fn a_one_route_change_writes_only_that_route() {
    let mut many = http();
    for i in 0..20 {
        many.push_str(&format!("\"GET /items/r{i}\" = \"b\"\n"));
    }
    for kind in ["http", "rest"] {
        let stack = many.replace("type = \"http\"", &format!("type = \"{kind}\""));
        let project = Project::new(&stack);
        project.apply_converges();
        project.set_stack(&stack.replace("\"GET /items/r7\" = \"b\"", "\"GET /items/r7\" = \"a\""));
        let (run, requests) = project.requests(&["apply", "--yes"]);
        run.success();
        let writes = writes(&requests);
        // The route, its permission moved, a REST deployment, and the API's permissions record.
        assert!(writes.len() <= 5, "{kind}: {writes:?}");
        // The apply lock: taken and released, one request each.
        let lock = requests.iter().filter(|r| lock_request(r)).count();
        assert!(
            requests.len() - lock < 30,
            "{kind}: {} requests: {requests:?}",
            requests.len()
        );
        project.run(&["plan", "--detailed-exitcode"]).code(0);
    }
}

#[test]
fn outputs_show_the_invoke_url() {
    let project = Project::new(&rest());
    project.apply_converges();
    let outputs = project.outputs_json();
    let url = outputs["api.url"].as_str().unwrap();
    assert!(
        url.starts_with("https://") && url.ends_with(".execute-api.us-east-1.amazonaws.com/prod"),
        "{url}"
    );
    assert_eq!(outputs["functions.a.name"], "web-a");
}

#[test]
fn routes_with_authorizers_converge_on_both_api_types() {
    let jwt = http().replace(
        "stage = \"prod\"",
        "stage = \"prod\"\nauthorizers.users = { type = \"jwt\", issuer = \"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc\", audience = [\"client-id\"] }",
    )
    .replace(
        "\"ANY /admin/{proxy+}\" = \"a\"",
        "\"ANY /admin/{proxy+}\" = { function = \"a\", authorizer = \"users\", scopes = [\"admin\"] }",
    );
    let project = Project::new(&jwt);
    project.apply_converges();
    let api_id = project.http_apis()[0].api_id().unwrap().to_string();
    let routes = project
        .block_on(project.apigateway().get_routes().api_id(&api_id).send())
        .unwrap();
    let admin = routes
        .items()
        .iter()
        .find(|r| r.route_key() == Some("ANY /admin/{proxy+}"))
        .unwrap();
    assert_eq!(admin.authorization_type().unwrap().as_str(), "JWT");
    assert_eq!(admin.authorization_scopes(), ["admin"]);

    // The authorizer comes off the route, then goes.
    project.set_stack(&http());
    let plan = project.run(&["plan"]);
    assert_output_snapshot!("jwt_authorizer_removal_plan", &plan.stdout);
    project.apply_converges();

    let cognito = rest()
        .replace(
            "stage = \"prod\"",
            "stage = \"prod\"\nauthorizers.users = { type = \"cognito\", user_pools = [\"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc\"] }",
        )
        .replace("\"POST /orders\" = \"b\"", "\"POST /orders\" = { function = \"b\", authorizer = \"users\" }");
    let project = Project::new(&cognito);
    project.apply_converges();
    let (id, _) = rest_api(&project);
    let v1 = project.rest_apigateway();
    let resources = project
        .block_on(v1.get_resources().rest_api_id(&id).embed("methods").send())
        .unwrap();
    let orders = resources
        .items()
        .iter()
        .find(|r| r.path() == Some("/orders"))
        .unwrap();
    let post = &orders.resource_methods().unwrap()["POST"];
    assert_eq!(post.authorization_type(), Some("COGNITO_USER_POOLS"));
}

/// Gives the emulator's account API Gateway's CloudWatch role (UpdateAccount).
pub fn set_logging_role(project: &Project) {
    let op = aws_sdk_apigateway::types::PatchOperation::builder()
        .op(aws_sdk_apigateway::types::Op::Replace)
        .path("/cloudwatchRoleArn")
        .value("arn:aws:iam::123456789012:role/apigateway-logs")
        .build();
    let update = project
        .rest_apigateway()
        .update_account()
        .patch_operations(op);
    project.block_on(update.send()).unwrap();
}

#[test]
fn stage_access_logs_converge() {
    let log = "access_log = { destination = \"arn:aws:logs:us-east-1:123456789012:log-group:web-access\", format = \"$context.requestId $context.status\" }";
    let with =
        |stack: String| stack.replace("stage = \"prod\"", &format!("stage = \"prod\"\n{log}"));
    let project = Project::new(&with(rest()));
    // Without API Gateway's CloudWatch role in the account, the plan is blocked.
    let blocked = project.run(&["plan"]);
    blocked.code(1);
    assert!(
        blocked
            .stdout
            .contains("API Gateway has no CloudWatch role")
            && blocked.stdout.contains("update-account"),
        "{blocked:?}"
    );
    set_logging_role(&project);
    project.apply_converges();
    let (id, _) = rest_api(&project);
    let v1 = project.rest_apigateway();
    let stage = project
        .block_on(v1.get_stage().rest_api_id(&id).stage_name("prod").send())
        .unwrap();
    assert_eq!(
        stage.access_log_settings().and_then(|l| l.format()),
        Some("$context.requestId $context.status")
    );
    // A new format, then no access log: each is a change that converges.
    project.set_stack(&with(rest()).replace("$context.status", "$context.status $context.path"));
    project.apply_converges();
    project.set_stack(&rest());
    project.apply_converges();

    let project = Project::new(&with(http()));
    project.apply_converges();
}

#[test]
fn a_rest_api_answers_cors_preflights_on_every_routed_resource() {
    let cors = "cors = { allow_origins = [\"https://shop.example\"], allow_methods = [\"GET\", \"POST\"], allow_headers = [\"content-type\"], max_age = 600 }";
    let with = |age: &str| {
        rest().replace(
            "stage = \"prod\"",
            &format!("stage = \"prod\"\n{}", cors.replace("600", age)),
        )
    };
    let project = Project::new(&with("600"));
    project.apply_converges();
    let (id, _) = rest_api(&project);
    assert_eq!(
        resource_tree(&project, &id),
        [
            "/ []",
            "/admin []",
            "/admin/{proxy+} [\"ANY\", \"OPTIONS\"]",
            "/orders [\"OPTIONS\", \"POST\"]",
            "/orders/{id} [\"GET\", \"OPTIONS\"]",
        ]
    );
    let v1 = project.rest_apigateway();
    let resources = project
        .block_on(v1.get_resources().rest_api_id(&id).send())
        .unwrap();
    let orders = resources
        .items()
        .iter()
        .find(|r| r.path() == Some("/orders"))
        .unwrap();
    let answer = project
        .block_on(
            v1.get_integration_response()
                .rest_api_id(&id)
                .resource_id(orders.id().unwrap())
                .http_method("OPTIONS")
                .status_code("200")
                .send(),
        )
        .unwrap();
    let headers = answer.response_parameters().unwrap();
    assert_eq!(
        headers["method.response.header.Access-Control-Allow-Origin"],
        "'https://shop.example'"
    );
    assert_eq!(
        headers["method.response.header.Access-Control-Max-Age"],
        "'600'"
    );

    // Another max age: the preflights change with a new deployment.
    project.set_stack(&with("60"));
    let plan = project.run(&["plan"]);
    assert_output_snapshot!("rest_cors_change_plan", &plan.stdout);
    project.apply_converges();

    // CORS off, and a route gone: no OPTIONS and no empty resource is left.
    project.set_stack(&rest().replace("\"ANY /admin/{proxy+}\" = \"a\"\n", ""));
    project.apply_converges();
    assert_eq!(
        resource_tree(&project, &id),
        ["/ []", "/orders [\"POST\"]", "/orders/{id} [\"GET\"]"]
    );
}

#[test]
fn lambda_authorizers_converge_on_both_api_types() {
    for kind in ["http", "rest"] {
        let stack = API
            .replace("TYPE", kind)
            .replace(
                "[api]",
                "[functions.authz]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"functions/authz\"\n\n[api]",
            )
            .replace(
                "stage = \"prod\"",
                "stage = \"prod\"\nauthorizers.custom = { type = \"lambda\", function = \"authz\" }",
            )
            .replace("\"POST /orders\" = \"b\"", "\"POST /orders\" = { function = \"b\", authorizer = \"custom\" }");
        let project = Project::new(&stack);
        let plan = project.plan_json(&[]);
        assert_eq!(
            change(&plan, "api")["depends_on"],
            serde_json::json!(["function.authz"]),
            "{kind}"
        );
        project.apply_converges();
        let policy = project
            .block_on(
                project
                    .lambda()
                    .get_policy()
                    .function_name("web-authz")
                    .send(),
            )
            .unwrap();
        assert!(
            policy.policy().unwrap().contains("/authorizers/*"),
            "{kind}: {}",
            policy.policy().unwrap()
        );

        // Its invoke permission removed by hand: drift, granted again by apply --refresh
        // (a REST API serves no new deployment for it).
        let remove = project
            .lambda()
            .remove_permission()
            .function_name("web-authz");
        let remove = remove.statement_id("stackctl-authorizer-custom").send();
        project.block_on(remove).unwrap();
        let run = project.run(&["plan", "--refresh-only", "--detailed-exitcode"]);
        run.code(2).stdout_has(&[
            "authorizer.custom.invoke_permission: false (live); the stack file says true",
        ]);
        let (run, requests) = project.requests(&["apply", "--yes", "--refresh"]);
        run.success();
        let tag = match kind {
            "http" => "apigatewayv2:TagResource",
            _ => "api gateway:TagResource",
        };
        assert_eq!(
            writes(&requests),
            vec!["lambda:AddPermission", tag],
            "{kind}"
        );
        assert!(
            project
                .policy("web-authz")
                .contains("stackctl-authorizer-custom")
        );
        project
            .run(&["plan", "--refresh-only", "--detailed-exitcode"])
            .code(0);
    }
}

/// ARNs, invocation URIs and the invoke URL follow the region's partition (here China's:
/// `aws-cn`, `amazonaws.com.cn`).
#[test]
fn a_stack_in_china_uses_its_partition() {
    let stack = rest().replace("name = \"web\"", "name = \"web\"\nregion = \"cn-north-1\"");
    let project = Project::new(&stack);
    project.apply_converges();
    let outputs = project.outputs_json();
    let url = outputs["api.url"].as_str().unwrap();
    assert!(
        url.ends_with(".execute-api.cn-north-1.amazonaws.com.cn/prod"),
        "{url}"
    );
    let config = project.sdk_config();
    let iam = aws_sdk_iam::Client::from_conf(
        aws_sdk_iam::config::Builder::from(&config)
            .region(aws_config::Region::new("cn-north-1"))
            .build(),
    );
    let policy = project
        .block_on(
            iam.get_role_policy()
                .role_name("web-a")
                .policy_name("stackctl")
                .send(),
        )
        .unwrap();
    let document = percent_encoding::percent_decode_str(policy.policy_document())
        .decode_utf8_lossy()
        .to_string();
    assert!(
        document.contains("arn:aws-cn:logs:*:*:log-group:/aws/lambda/web-a"),
        "{document}"
    );
    let lambda = aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::config::Builder::from(&config)
            .region(aws_config::Region::new("cn-north-1"))
            .build(),
    );
    let policy = project
        .block_on(lambda.get_policy().function_name("web-a").send())
        .unwrap();
    let policy = policy.policy().unwrap_or_default();
    assert!(
        policy.contains("arn:aws-cn:execute-api:cn-north-1:"),
        "{policy}"
    );
}
