//! `[defaults.functions]` and extra `permissions` in managed roles: effective values applied
//! and shown, a changed default reaching exactly the functions without their own value, and
//! IAM's 10,240-character limit on a role's inline policies checked before anything is sent.

use crate::support::{Project, change, strings};

const APP: &str = r#"
[stack]
name = "app"

[tables.orders]
partition_key = { name = "pk", type = "string" }
deletion_protection = false

[defaults.functions]
runtime = "nodejs22.x"
handler = "index.handler"
memory = 512
timeout = 10
tracing = "active"
environment = { LOG_LEVEL = "info", TABLE = "${tables.orders.name}" }
tags = { team = "core" }
permissions = [{ actions = ["cloudwatch:PutMetricData"], resources = ["*"] }]

[functions.api]
code = "functions/api"

[functions.mailer]
code = "functions/mailer"
memory = 256
environment = { LOG_LEVEL = "debug", AWS_EMF_NAMESPACE = "app" }
tags = { owner = "mail" }
permissions = [{ actions = ["ses:SendEmail", "ses:SendRawEmail"], resources = ["*"] }, { actions = ["dynamodb:GetItem"], resources = ["${tables.orders.arn}"] }]
"#;

/// The role's inline policy, decoded.
fn policy(project: &Project, role: &str) -> serde_json::Value {
    let policy = project
        .block_on(
            project
                .iam()
                .get_role_policy()
                .role_name(role)
                .policy_name("stackctl")
                .send(),
        )
        .unwrap();
    let document = percent_encoding::percent_decode_str(policy.policy_document())
        .decode_utf8_lossy()
        .into_owned();
    serde_json::from_str(&document).unwrap()
}

fn statement<'a>(policy: &'a serde_json::Value, sid: &str) -> &'a serde_json::Value {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("no statement {sid} in {policy}"))
}

#[test]
fn defaults_apply_under_each_function_and_a_changed_default_reaches_only_those_without_their_own() {
    let project = Project::new(APP);
    let plan = project.plan_json(&[]);
    let mailer = change(&plan, "function.mailer");
    assert_eq!(
        mailer["after"]["memory"], 256,
        "the function's own value wins"
    );
    assert_eq!(change(&plan, "function.api")["after"]["memory"], 512);
    project.apply_converges();

    let lambda = project.lambda();
    let config = |name: &str| {
        project
            .block_on(
                lambda
                    .get_function_configuration()
                    .function_name(name)
                    .send(),
            )
            .unwrap()
    };
    let api = config("app-api");
    assert_eq!(
        (
            api.runtime().unwrap().as_str(),
            api.memory_size(),
            api.timeout()
        ),
        ("nodejs22.x", Some(512), Some(10))
    );
    assert_eq!(
        api.tracing_config().unwrap().mode().unwrap().as_str(),
        "Active"
    );
    let env = api.environment().unwrap().variables().unwrap();
    assert_eq!(
        (env["LOG_LEVEL"].as_str(), env["TABLE"].as_str()),
        ("info", "app-orders")
    );
    let mailer = config("app-mailer");
    assert_eq!(mailer.memory_size(), Some(256));
    let env = mailer.environment().unwrap().variables().unwrap();
    assert_eq!(
        (
            env["LOG_LEVEL"].as_str(),
            env["TABLE"].as_str(),
            env["AWS_EMF_NAMESPACE"].as_str()
        ),
        ("debug", "app-orders", "app"),
        "environments merge key by key, the function's own value winning"
    );
    let tags = project
        .block_on(
            lambda
                .list_tags()
                .resource(mailer.function_arn().unwrap())
                .send(),
        )
        .unwrap();
    let tags = tags.tags().unwrap();
    assert_eq!(
        (tags["team"].as_str(), tags["owner"].as_str()),
        ("core", "mail")
    );

    // Permissions add up: the defaults' first, then the function's own.
    let document = policy(&project, "app-mailer");
    assert_eq!(
        strings(&statement(&document, "Permission1")["Action"]),
        ["cloudwatch:PutMetricData"]
    );
    assert_eq!(
        strings(&statement(&document, "Permission2")["Action"]),
        ["ses:SendEmail", "ses:SendRawEmail"]
    );
    assert_eq!(
        statement(&document, "Permission3")["Resource"],
        serde_json::json!(["arn:aws:dynamodb:us-east-1:123456789012:table/app-orders"])
    );
    let document = policy(&project, "app-api");
    assert!(
        statement(&document, "XRay")["Action"].is_array(),
        "tracing from the defaults"
    );
    assert_eq!(
        document["Statement"].as_array().unwrap().len(),
        3,
        "{document}"
    );

    // A changed default changes, in place, every function without its own value; the others
    // are not touched.
    project.set_stack(&APP.replace("memory = 512", "memory = 1024"));
    let plan = project.plan_json(&[]);
    assert_eq!(plan["summary"]["update"], 1, "{plan}");
    let api = change(&plan, "function.api");
    assert_eq!(api["action"], "update");
    let changed: Vec<&str> = api["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(changed, ["memory"], "the effective value changes");
    project.apply_converges();
    assert_eq!(config("app-api").memory_size(), Some(1024));

    // A changed default permission changes every managed role.
    project.set_stack(
        &APP.replace("memory = 512", "memory = 1024")
            .replace("cloudwatch:PutMetricData", "cloudwatch:Put*"),
    );
    let plan = project.plan_json(&[]);
    assert_eq!(plan["summary"]["update"], 2, "{plan}");
    for role in ["role.api", "role.mailer"] {
        assert_eq!(change(&plan, role)["action"], "update");
    }
    project.apply_converges();
}

/// 25 tables in one stack, all granted to one function.
fn many_tables(access: &str) -> String {
    let mut stack = String::from("[stack]\nname = \"big\"\n\n");
    let mut grants = Vec::new();
    for i in 1..=25 {
        stack.push_str(&format!(
            "[tables.t{i:02}]\npartition_key = {{ name = \"pk\", type = \"string\" }}\ndeletion_protection = false\n\n"
        ));
        grants.push(format!("t{i:02} = \"{access}\""));
    }
    stack.push_str(&format!(
        "[functions.worker]\nruntime = \"nodejs22.x\"\nhandler = \"index.handler\"\ncode = \"functions/worker\"\ntables = {{ {} }}\n",
        grants.join(", ")
    ));
    stack
}

#[test]
fn a_role_policy_over_iams_limit_is_refused_before_anything_is_sent() {
    // Read-write access to 25 tables does not fit in 10,240 characters: the plan is blocked
    // with the size (moto would take the policy; IAM refuses it with LimitExceeded). Before
    // the tables exist, their ARNs count at the length they will have.
    let project = Project::new(&many_tables("read-write"));
    let blocked = "role big-worker's policy holds 10265 characters (whitespace not counted), more than IAM's 10240";
    project.run(&["plan"]).code(1).stdout_has(&[blocked]);
    project.run(&["apply", "--yes"]).code(1);
    assert!(project.functions().is_empty(), "nothing was applied");

    // Read access fits, and is applied: the size IAM counts of the policy as read back.
    project.set_stack(&many_tables("read"));
    project.apply_converges();
    let size = |project: &Project| {
        policy(project, "big-worker")
            .to_string()
            .chars()
            .filter(|c| !c.is_whitespace())
            .count()
    };
    assert_eq!(size(&project), 8040, "the policy's size as IAM counts it");

    // With the tables made, read-write is refused with the same size, and nothing changes.
    project.set_stack(&many_tables("read-write"));
    project.run(&["plan"]).code(1).stdout_has(&[blocked]);
    project.run(&["apply", "--yes"]).code(1);
    assert_eq!(size(&project), 8040, "nothing was applied");
}
