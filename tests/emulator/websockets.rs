//! WebSocket APIs beside an HTTP API: one stack, both converge; a route change writes that
//! route only; the `$connect` authorizer comes and goes; `websocket = "manage"` grants exactly
//! ManageConnections on the API's connections; removing `[websocket]` and `destroy` clean up.

use aws_sdk_apigatewayv2::operation::get_authorizer::GetAuthorizerOutput;

use crate::support::{Project, writes};

const CHAT: &str = r#"
[stack]
name = "chat"

[functions.a]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/a"

[functions.b]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/b"
websocket = "manage"
environment = { CALLBACK_URL = "${websocket.callback_url}" }

[functions.auth]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/auth"

[api]
stage = "prod"

[routes]
"GET /health" = "a"

[websocket]
stage = "live"
throttle = { rate = 50, burst = 100 }
tags = { team = "chat" }
AUTHORIZER

[websocket.routes]
"$connect" = "a"
"$disconnect" = "a"
"sendMessage" = { function = "b", respond = true }
"#;

const AUTHORIZER: &str =
    r#"authorizer = { function = "auth", identity_source = ["route.request.querystring.token"] }"#;

fn chat(authorizer: bool) -> String {
    CHAT.replace("AUTHORIZER", if authorizer { AUTHORIZER } else { "" })
}

fn websocket_apis(project: &Project) -> Vec<aws_sdk_apigatewayv2::types::Api> {
    let apis = project.http_apis();
    apis.into_iter()
        .filter(|a| a.protocol_type().map(|p| p.as_str()) == Some("WEBSOCKET"))
        .collect()
}

fn the_websocket_api(project: &Project) -> String {
    let apis = websocket_apis(project);
    assert_eq!(apis.len(), 1, "exactly one WebSocket API");
    apis[0].api_id().unwrap().to_string()
}

/// Route keys with (function name, two-way, authorization type).
fn routes(project: &Project, id: &str) -> Vec<(String, String, bool, String)> {
    let client = project.apigateway();
    let integrations = project
        .block_on(client.get_integrations().api_id(id).send())
        .unwrap();
    let function_of = |target: &str| {
        let integration = target.strip_prefix("integrations/").unwrap();
        let found = integrations
            .items()
            .iter()
            .find(|i| i.integration_id() == Some(integration))
            .expect("the route's integration exists");
        let uri = found.integration_uri().unwrap();
        assert!(uri.ends_with("/invocations"), "{uri}");
        let arn = uri.trim_end_matches("/invocations");
        arn.rsplit(':').next().unwrap().to_string()
    };
    let out = project
        .block_on(client.get_routes().api_id(id).send())
        .unwrap();
    let mut routes: Vec<_> = out
        .items()
        .iter()
        .map(|r| {
            (
                r.route_key().unwrap().to_string(),
                function_of(r.target().unwrap()),
                r.route_response_selection_expression() == Some("$default"),
                r.authorization_type().unwrap().as_str().to_string(),
            )
        })
        .collect();
    routes.sort();
    routes
}

fn route(key: &str, function: &str, respond: bool, auth: &str) -> (String, String, bool, String) {
    (key.into(), function.into(), respond, auth.into())
}

/// The statement IDs of a function's policy, with the source each names.
fn statements(project: &Project, function: &str) -> Vec<(String, String)> {
    project.statements_if_any(function).expect("a policy")
}

/// GetAuthorizer of the API's authorizer `authorizer_id`; `None` where it fails.
fn get_authorizer(
    project: &Project,
    api_id: &str,
    authorizer_id: &str,
) -> Option<GetAuthorizerOutput> {
    let request = project.apigateway().get_authorizer().api_id(api_id);
    project
        .block_on(request.authorizer_id(authorizer_id).send())
        .ok()
}

/// The managed role's inline policy as JSON.
fn role_policy(project: &Project, role: &str) -> serde_json::Value {
    let request = project.iam().get_role_policy().role_name(role);
    let out = project
        .block_on(request.policy_name("stackctl").send())
        .unwrap();
    let text = percent_encoding::percent_decode_str(out.policy_document()).decode_utf8_lossy();
    serde_json::from_str(&text).unwrap()
}

/// Whether the function's resource policy holds no statement (or it has no policy at all).
fn no_policy(project: &Project, function: &str) -> bool {
    let request = project.lambda().get_policy().function_name(function);
    match project.block_on(request.send()) {
        Err(_) => true,
        Ok(out) => {
            let policy: serde_json::Value =
                serde_json::from_str(out.policy().unwrap_or("{}")).unwrap();
            policy["Statement"].as_array().is_none_or(Vec::is_empty)
        }
    }
}

#[test]
fn http_and_websocket_apis_converge_and_a_route_change_writes_only_that_route() {
    let project = Project::new(&chat(false));
    project.apply_converges();
    let id = the_websocket_api(&project);
    assert_eq!(
        project.http_apis().len(),
        2,
        "an HTTP API and a WebSocket API"
    );
    assert_eq!(
        routes(&project, &id),
        vec![
            route("$connect", "chat-a", false, "NONE"),
            route("$disconnect", "chat-a", false, "NONE"),
            route("sendMessage", "chat-b", true, "NONE"),
        ]
    );
    let api = websocket_apis(&project).remove(0);
    assert_eq!(
        api.route_selection_expression(),
        Some("$request.body.action")
    );
    assert_eq!(api.tags().unwrap().get("team").unwrap(), "chat");
    let stage = project
        .block_on(
            project
                .apigateway()
                .get_stage()
                .api_id(&id)
                .stage_name("live")
                .send(),
        )
        .unwrap();
    assert_eq!(stage.auto_deploy(), Some(true));
    let settings = stage.default_route_settings().unwrap();
    assert_eq!(settings.throttling_rate_limit(), Some(50.0));
    assert_eq!(settings.throttling_burst_limit(), Some(100));

    // Both URLs, in outputs and in the function that posts back.
    let outputs = project.outputs_json();
    let url = format!("wss://{id}.execute-api.us-east-1.amazonaws.com/live");
    let callback = format!("https://{id}.execute-api.us-east-1.amazonaws.com/live");
    assert_eq!(outputs["websocket.url"], url.as_str());
    assert_eq!(outputs["websocket.callback_url"], callback.as_str());
    let b = project.function("chat-b").unwrap();
    let env = b
        .configuration()
        .unwrap()
        .environment()
        .unwrap()
        .variables()
        .unwrap();
    assert_eq!(env["CALLBACK_URL"], callback);

    // One invoke permission per function for this API, the HTTP API's apart.
    let source = |api: &str| format!("arn:aws:execute-api:us-east-1:123456789012:{api}/*");
    let http_id = project
        .http_apis()
        .iter()
        .find(|a| a.protocol_type().map(|p| p.as_str()) == Some("HTTP"))
        .unwrap()
        .api_id()
        .unwrap()
        .to_string();
    assert_eq!(
        statements(&project, "chat-a"),
        vec![
            ("stackctl-api-routes".to_string(), source(&http_id)),
            ("stackctl-websocket-routes".to_string(), source(&id)),
        ]
    );
    assert_eq!(
        statements(&project, "chat-b"),
        vec![("stackctl-websocket-routes".to_string(), source(&id))]
    );

    // `websocket = "manage"`: exactly ManageConnections on the stage's connections.
    let policy = role_policy(&project, "chat-b");
    let granted: Vec<&serde_json::Value> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Sid"] != "Logs")
        .collect();
    let connections = |method: &str| {
        format!("arn:aws:execute-api:us-east-1:123456789012:{id}/live/{method}/@connections/*")
    };
    assert_eq!(
        granted,
        vec![&serde_json::json!({
            "Sid": "WebsocketConnections",
            "Effect": "Allow",
            "Action": ["execute-api:ManageConnections"],
            "Resource": [connections("POST"), connections("DELETE")],
        })]
    );
    let a_policy = role_policy(&project, "chat-a").to_string();
    assert!(!a_policy.contains("execute-api"), "{a_policy}");

    // A route added: its integration and the route (its function holds the API's statement,
    // so the permissions record stays).
    let added = chat(false).replace("\"sendMessage\" =", "\"typing\" = \"a\"\n\"sendMessage\" =");
    project.set_stack(&added);
    let (plan, _) = project.requests(&["plan"]);
    plan.success().stdout_has(&[
        "+ websocket.route[typing] will be created",
        "Plan: 1 to create, 0 to update",
    ]);
    assert_eq!(
        project.apply_writes(),
        vec!["apigatewayv2:CreateIntegration", "apigatewayv2:CreateRoute"]
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);

    // A route moved to another function: its integration only, and the new function's grant.
    let moved = added.replace("\"typing\" = \"a\"", "\"typing\" = \"auth\"");
    project.set_stack(&moved);
    project.run(&["plan"]).success().stdout_has(&[
        "~ websocket.route[typing] will be updated",
        "function:",
        "\"chat-a\" -> \"chat-auth\"",
    ]);
    assert_eq!(
        project.apply_writes(),
        vec![
            "lambda:AddPermission",
            "apigatewayv2:UpdateIntegration",
            "apigatewayv2:TagResource"
        ]
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);

    // A route removed: the route and its integration; the function's grant goes with its last route.
    project.set_stack(&chat(false));
    assert_eq!(
        project.apply_writes(),
        vec![
            "apigatewayv2:DeleteRoute",
            "apigatewayv2:DeleteIntegration",
            "lambda:RemovePermission",
            "apigatewayv2:TagResource"
        ]
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert!(no_policy(&project, "chat-auth"));

    // A two-way route made one-way and back, in place: the route keeps its ID.
    let route_id = |project: &Project| {
        let out = project.block_on(project.apigateway().get_routes().api_id(&id).send());
        let out = out.unwrap();
        let found = out
            .items()
            .iter()
            .find(|r| r.route_key() == Some("sendMessage"));
        found.unwrap().route_id().unwrap().to_string()
    };
    let before = route_id(&project);
    let one_way = chat(false).replace("{ function = \"b\", respond = true }", "\"b\"");
    project.set_stack(&one_way);
    project.run(&["plan"]).success().stdout_has(&[
        "~ websocket.route[sendMessage] will be updated in place",
        "respond: true -> false",
    ]);
    assert_eq!(project.apply_writes(), vec!["apigatewayv2:UpdateRoute"]);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert!(routes(&project, &id).contains(&route("sendMessage", "chat-b", false, "NONE")));
    project.set_stack(&chat(false));
    assert_eq!(
        project.apply_writes(),
        vec![
            "apigatewayv2:CreateRouteResponse",
            "apigatewayv2:UpdateRoute"
        ]
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert!(routes(&project, &id).contains(&route("sendMessage", "chat-b", true, "NONE")));
    assert_eq!(route_id(&project), before);

    // [websocket] removed: the API and its invoke permissions go; the HTTP API stays.
    let without = one_way
        .split("\n[websocket]")
        .next()
        .unwrap()
        .replace("websocket = \"manage\"\n", "")
        .replace(
            "environment = { CALLBACK_URL = \"${websocket.callback_url}\" }\n",
            "",
        );
    project.set_stack(&without);
    project
        .run(&["plan"])
        .success()
        .stdout_has(&["- websocket (chat, id ", "no [websocket] in the stack file"]);
    project.apply_converges();
    assert!(websocket_apis(&project).is_empty());
    assert_eq!(project.http_apis().len(), 1);
    assert_eq!(
        statements(&project, "chat-a"),
        vec![("stackctl-api-routes".to_string(), source(&http_id))]
    );
    assert!(no_policy(&project, "chat-b"));
}

#[test]
fn the_connect_authorizer_is_added_and_removed_and_destroy_removes_the_api() {
    let project = Project::new(&chat(false));
    project.apply_converges();
    let id = the_websocket_api(&project);

    project.set_stack(&chat(true));
    project.run(&["plan"]).success().stdout_has(&[
        "~ websocket (chat) will be updated",
        "authorizer:",
        "~ websocket.route[$connect] will be updated",
    ]);
    project.apply_converges();
    // Outputs are what a stack file may refer to: not the authorizer's ID or the API's ARN.
    let outputs = project.outputs_json();
    let keys: Vec<&String> = outputs.as_object().unwrap().keys().collect();
    let keys: Vec<&str> = keys
        .iter()
        .map(|k| k.as_str())
        .filter(|k| k.starts_with("websocket"))
        .collect();
    assert_eq!(
        keys,
        ["websocket.callback_url", "websocket.id", "websocket.url"]
    );
    let connect = routes(&project, &id).remove(0);
    assert_eq!(connect, route("$connect", "chat-a", false, "CUSTOM"));
    let out = project
        .block_on(project.apigateway().get_routes().api_id(&id).send())
        .unwrap();
    let authorizer_id = out
        .items()
        .iter()
        .find(|r| r.route_key() == Some("$connect"))
        .and_then(|r| r.authorizer_id())
        .unwrap()
        .to_string();
    let authorizer = get_authorizer(&project, &id, &authorizer_id).unwrap();
    assert_eq!(authorizer.authorizer_type().unwrap().as_str(), "REQUEST");
    assert_eq!(
        authorizer.identity_source(),
        ["route.request.querystring.token".to_string()]
    );
    assert!(
        authorizer
            .authorizer_uri()
            .unwrap()
            .contains(":function:chat-auth/invocations")
    );
    let authorizer_statement = (
        "stackctl-websocket-authorizer".to_string(),
        format!("arn:aws:execute-api:us-east-1:123456789012:{id}/authorizers/*"),
    );
    assert_eq!(
        statements(&project, "chat-auth"),
        vec![authorizer_statement.clone()]
    );

    // Its invoke permission removed by hand: drift, granted again by apply --refresh.
    let remove = project
        .lambda()
        .remove_permission()
        .function_name("chat-auth");
    let remove = remove.statement_id("stackctl-websocket-authorizer").send();
    project.block_on(remove).unwrap();
    let run = project.run(&["plan", "--refresh-only", "--detailed-exitcode"]);
    run.code(2).stdout_has(&[
        "~ websocket\n",
        "authorizer.invoke_permission: false (live); the stack file says true",
        "`stackctl apply --refresh` grants a lost one again",
    ]);
    let (run, requests) = project.requests(&["apply", "--yes", "--refresh"]);
    run.success().stdout_has(&["(changed outside stackctl)"]);
    assert_eq!(writes(&requests), vec!["lambda:AddPermission"]);
    assert_eq!(
        statements(&project, "chat-auth"),
        vec![authorizer_statement.clone()]
    );
    project
        .run(&["plan", "--refresh-only", "--detailed-exitcode"])
        .code(0);

    // Moved to another function: granted first, then pointed at it, then the old one revoked;
    // the route keeps the authorizer's ID.
    let moved = chat(true).replace("function = \"auth\"", "function = \"a\"");
    project.set_stack(&moved);
    assert_eq!(
        project.apply_writes(),
        vec![
            "lambda:AddPermission",
            "apigatewayv2:UpdateAuthorizer",
            "lambda:RemovePermission"
        ]
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert!(statements(&project, "chat-a").contains(&authorizer_statement));
    assert!(no_policy(&project, "chat-auth"));

    // Removed: taken off `$connect` once, deleted, and its function's permission revoked.
    project.set_stack(&chat(false));
    assert_eq!(
        project.apply_writes(),
        vec![
            "apigatewayv2:UpdateRoute",
            "apigatewayv2:DeleteAuthorizer",
            "lambda:RemovePermission"
        ]
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert!(!statements(&project, "chat-a").contains(&authorizer_statement));
    assert_eq!(
        routes(&project, &id).remove(0),
        route("$connect", "chat-a", false, "NONE")
    );
    let gone = get_authorizer(&project, &id, &authorizer_id);
    assert!(gone.is_none(), "the authorizer is deleted");
    assert!(no_policy(&project, "chat-auth"));

    // The stage and a route deleted by hand: made again, and the route's old integration goes.
    let client = project.apigateway();
    let delete = client.delete_stage().api_id(&id).stage_name("live").send();
    project.block_on(delete).unwrap();
    let out = project
        .block_on(client.get_routes().api_id(&id).send())
        .unwrap();
    let disconnect = out
        .items()
        .iter()
        .find(|r| r.route_key() == Some("$disconnect"))
        .unwrap();
    let delete = client
        .delete_route()
        .api_id(&id)
        .route_id(disconnect.route_id().unwrap());
    project.block_on(delete.send()).unwrap();
    let orphan = disconnect
        .target()
        .unwrap()
        .trim_start_matches("integrations/");
    project.run(&["plan"]).success().stdout_has(&[
        "stage:               (none) -> \"live\"",
        &format!("unused_integrations: [\"{orphan}\"] -> (none)"),
        "+ websocket.route[$disconnect] will be created",
    ]);
    assert_eq!(
        project.apply_writes(),
        vec![
            "apigatewayv2:CreateStage",
            "apigatewayv2:DeleteIntegration",
            "apigatewayv2:CreateIntegration",
            "apigatewayv2:CreateRoute"
        ]
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);

    project.run(&["destroy", "--yes"]).success();
    assert!(project.http_apis().is_empty());
    assert!(project.functions().is_empty());
}
