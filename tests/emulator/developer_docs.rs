//! `stackctl openapi` and `stackctl portal`: the API described for its consumers, offline
//! from the stack file (no AWS request) and with the live stage URL, checked by an OpenAPI
//! validator and opened in a headless browser.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::Project;

/// A REST API with a Cognito authorizer, CORS, a route that needs a key, documented routes
/// and a usage plan.
const STACK: &str = r#"[stack]
name = "docs"
region = "us-east-1"

[functions.get-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/get"

[api]
type = "rest"
stage = "v1"
cors = { allow_origins = ["https://shop.example"], allow_headers = ["content-type"] }
authorizers.users = { type = "cognito", user_pools = ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"] }

[api.usage_plans.basic]
stages = ["v1"]
throttle = { rate = 10, burst = 20 }
quota = { limit = 1000, period = "day" }
routes = { "GET /orders/{id}" = { rate = 5, burst = 10 } }

[routes]
"GET /orders/{id}" = { function = "get-order", api_key = true, authorizer = "users", scopes = ["orders/read"], summary = "Read an order", tags = ["orders"] }
"POST /orders" = { function = "get-order", description = "Places an order & <returns> its ID" }
"ANY /admin/{proxy+}" = "get-order"
"#;

/// Runs a script of the project that installs a tool and prints its path.
fn tool(script: &str) -> Result<PathBuf, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(script);
    let out = Command::new("bash")
        .arg(&path)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn validate(project: &Project, file: &str) {
    let validator = tool("openapi-validator-env").expect("the OpenAPI validator installs");
    let out = Command::new(validator)
        .arg(project.path(file))
        .output()
        .expect("the validator runs");
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{file} is not valid OpenAPI: {said}");
}

#[test]
fn openapi_is_valid_offline_and_names_the_live_stage_url() {
    let project = Project::new(STACK);
    let (run, requests) = project.requests(&["openapi", "-o", "openapi.json"]);
    run.success();
    assert!(requests.is_empty(), "no AWS request: {requests:?}");
    validate(&project, "openapi.json");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(project.path("openapi.json")).unwrap())
            .unwrap();
    let get = &doc["paths"]["/orders/{id}"]["get"];
    assert_eq!(get["summary"], "Read an order");
    assert_eq!(get["parameters"][0]["name"], "id");
    assert_eq!(
        get["security"],
        serde_json::json!([{ "users": ["orders/read"], "api_key": [] }])
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"]["name"],
        "x-api-key"
    );
    let admin: Vec<&String> = doc["paths"]["/admin/{proxy}"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        admin,
        ["delete", "get", "head", "options", "patch", "post", "put"]
    );
    // A greedy parameter is named without its `+`, in the path too (a valid OpenAPI name).
    let greedy = &doc["paths"]["/admin/{proxy}"]["get"]["parameters"][0];
    assert_eq!(greedy["name"], "proxy");
    let description = doc["info"]["description"].as_str().unwrap();
    assert!(
        description.contains("GET /orders/{id}: 5 requests/s (burst 10)"),
        "{description}"
    );
    assert_eq!(doc["info"]["version"], "v1");
    assert_eq!(
        doc["servers"][0]["url"],
        "https://{apiId}.execute-api.us-east-1.amazonaws.com/v1"
    );
    assert!(
        doc.to_string().find("x-amazon").is_none(),
        "no API Gateway extensions"
    );

    let yaml = project.run(&["openapi", "--format", "yaml"]);
    yaml.success();
    project.write("openapi.yaml", &yaml.stdout);
    validate(&project, "openapi.yaml");
    let two = STACK.replace("stage = \"v1\"", "stages.v1 = {}\nstages.v2 = {}");
    project.set_stack(&two);
    let v2 = project.run(&["openapi", "--stage", "v2"]);
    v2.success();
    let v2: serde_json::Value = serde_json::from_str(&v2.stdout).unwrap();
    assert_eq!(v2["info"]["version"], "v2");
    project.set_stack(STACK);
    let unknown = project.run(&["openapi", "--stage", "v2"]);
    unknown.code(1);
    assert!(
        unknown
            .stderr
            .contains("--stage v2: the API has no such stage"),
        "{unknown:?}"
    );

    project.apply_converges();
    let api = project
        .block_on(project.rest_apigateway().get_rest_apis().send())
        .unwrap();
    let id = api.items()[0].id().unwrap().to_string();
    project
        .run(&["openapi", "--live", "-o", "live.json"])
        .success();
    validate(&project, "live.json");
    let live: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(project.path("live.json")).unwrap()).unwrap();
    assert_eq!(
        live["servers"][0]["url"],
        format!("https://{id}.execute-api.us-east-1.amazonaws.com/v1")
    );
}

#[test]
fn the_portal_renders_its_routes_in_a_headless_browser() {
    let project = Project::new(STACK);
    let (run, requests) = project.requests(&["portal", "-o", "site"]);
    run.success();
    assert!(requests.is_empty(), "no AWS request: {requests:?}");
    let html = std::fs::read_to_string(project.path("site/index.html")).unwrap();
    let json = std::fs::read_to_string(project.path("site/openapi.json")).unwrap();
    assert!(json.ends_with("}\n"), "a trailing newline");
    for fetch in ["src=\"http", "href=\"http", "<script", "@import", "url("] {
        assert!(!html.contains(fetch), "the page fetches nothing ({fetch})");
    }
    let chromium = match tool("chromium-env") {
        Ok(path) => path,
        Err(why) => {
            eprintln!("SKIPPED: no headless Chromium could be installed: {why}");
            return;
        }
    };
    let browse = |what: &str| {
        let profile = tempfile::tempdir().unwrap();
        let out = Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1200,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(what)
            .arg(format!(
                "file://{}",
                project.path("site/index.html").display()
            ))
            .output()
            .expect("chromium runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let dom = browse("--dump-dom");
    let rows = dom.matches("<tr class=\"route\">").count();
    assert_eq!(rows, 3, "{dom}");
    for text in [
        "/orders/{id}",
        "/admin/{proxy+}",
        "Read an order",
        "Places an order &amp; &lt;returns&gt; its ID",
        "required",
        "10 requests/s, bursts of 20",
        "1000 requests a day",
        "https://API_ID.execute-api.us-east-1.amazonaws.com/v1",
        "data:application/json;base64,",
    ] {
        assert!(dom.contains(text), "{text} rendered: {dom}");
    }
    let shot = project.path("shot.png");
    browse(&format!("--screenshot={}", shot.display()));
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "a screenshot with content"
    );
}
