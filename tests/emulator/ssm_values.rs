//! Environment values from SSM parameters, directly or through `[inputs]`: a plain String shows
//! in plans, a SecureString never does (nor any value that embeds one).

use aws_sdk_ssm::types::ParameterType;

use crate::support::{Project, change};

const APP: &str = r#"
[stack]
name = "app"

[inputs]
orders_table = { ssm = "/core/orders-table-arn" }

[functions.worker]
runtime = "nodejs22.x"
handler = "index.handler"
code = "functions/worker"
environment = { REGION_NAME = { ssm = "/app/region-name" }, STRIPE = { ssm = "/app/stripe" }, DSN = "postgres://app:${ssm:/app/stripe}@db", ORDERS = "${inputs.orders_table}" }
permissions = [{ actions = ["dynamodb:GetItem"], resources = ["${inputs.orders_table}"] }]
"#;

#[test]
fn plain_ssm_strings_show_in_plans_and_secure_strings_stay_sensitive() {
    let project = Project::new(APP);
    project.put_secure_parameter("/app/stripe", "sk_live_from_ssm");
    let put = project
        .ssm()
        .put_parameter()
        .name("/app/region-name")
        .value("ireland")
        .r#type(ParameterType::String);
    project.block_on(put.send()).unwrap();

    let orders = "arn:aws:dynamodb:us-east-1:123456789012:table/core-orders";
    let put = project
        .ssm()
        .put_parameter()
        .name("/core/orders-table-arn")
        .value(orders)
        .r#type(ParameterType::String);
    project.block_on(put.send()).unwrap();

    let plan = project.run(&["plan"]);
    plan.success()
        .stdout_has(&[
            &format!("ORDERS = \"{orders}\""),
            &format!("Allow dynamodb:GetItem on {orders}"),
        ])
        .stdout_has(&[
            "REGION_NAME = \"ireland\"",
            "STRIPE = (sensitive)",
            "DSN = (sensitive)",
        ]);
    plan.stdout_lacks(&["sk_live_from_ssm"]);
    let json = project.plan_json(&[]);
    let environment = &change(&json, "function.worker")["after"]["environment"];
    assert_eq!(environment["REGION_NAME"], "ireland");
    assert_eq!(environment["STRIPE"], "(sensitive)");
    assert!(!json.to_string().contains("sk_live_from_ssm"));
    let apply = project.apply_converges();
    assert!(!apply.stdout.contains("sk_live_from_ssm"));

    // A plain parameter's new value is a change shown as it is; the function is updated.
    let put = project
        .ssm()
        .put_parameter()
        .name("/app/region-name")
        .value("frankfurt")
        .r#type(ParameterType::String)
        .overwrite(true);
    project.block_on(put.send()).unwrap();
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2).stdout_has(&["\"ireland\"", "\"frankfurt\""]);
    project.apply_converges();
}
