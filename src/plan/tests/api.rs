//! The API and its routes. Stage throttling and access logs cannot be shown on the emulator
//! (moto's UpdateStage answers 500), nor authorizers no route uses (GetAuthorizers answers 500).

use super::{actions, change, file_changes, live_changes};
use crate::plan::Action;

const FUNCTIONS: &str = r#"
[functions.get-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "examples/functions/get-order"
role = "arn:aws:iam::123456789012:role/shared"

[functions.list-orders]
runtime = "nodejs20.x"
handler = "index.handler"
code = "examples/functions/get-order"
role = "arn:aws:iam::123456789012:role/shared"
"#;

const ROUTES: &str = r#"
[routes]
"GET /orders/{id}" = "get-order"
"GET /orders" = "list-orders"
"#;

/// The functions, an `[api]` of `api_type` with `settings`, and the two routes.
fn shop(api_type: &str, settings: &str) -> String {
    format!("{FUNCTIONS}\n[api]\ntype = \"{api_type}\"\nstage = \"prod\"\n{settings}\n{ROUTES}")
}

fn http(settings: &str) -> String {
    shop("http", settings)
}

const THROTTLE: &str = "throttle = { rate = 100, burst = 200 }";
const ACCESS_LOG: &str = "access_log = { destination = \"arn:aws:logs:us-east-1:123456789012:log-group:shop-access\", format = \"$context.requestId\" }";
const CORS: &str = "cors = { allow_origins = [\"https://shop.example\"], allow_methods = [\"GET\"], allow_headers = [\"content-type\"], max_age = 600 }";
const JWT: &str = "authorizers.users = { type = \"jwt\", issuer = \"https://issuer.example\", audience = [\"client-id\"] }";

fn update_of_api(plan: &crate::plan::Plan) {
    assert_eq!(actions(plan), vec![("api".to_string(), Action::Update)]);
}

/// Only these routes change, each with `action`.
fn routes_change(plan: &crate::plan::Plan, expected: &[(&str, Action)]) {
    let expected: Vec<(String, Action)> = expected
        .iter()
        .map(|(key, action)| (format!("route[{key}]"), *action))
        .collect();
    assert_eq!(actions(plan), expected);
}

file_changes! {
    api_created_with_its_routes:
        FUNCTIONS => &http(""),
        |plan| {
            assert_eq!(
                change(plan, "route[GET /orders]").depends_on.iter().map(ToString::to_string).collect::<Vec<_>>(),
                vec!["api"]
            );
        };
    api_type_switch_replaces_it_and_its_routes:
        &http("") => &shop("rest", ""),
        |plan| {
            assert_eq!(change(plan, "api").action, Action::Replace);
            assert_eq!(change(plan, "route[GET /orders]").action, Action::Create);
            assert_eq!(change(plan, "api.deployment").action, Action::Create);
        };
    stage_throttling_added:
        &http("") => &http(THROTTLE),
        |plan| { update_of_api(plan); };
    stage_throttling_changed:
        &http(THROTTLE) => &http("throttle = { rate = 50, burst = 100 }"),
        |plan| { update_of_api(plan); };
    access_log_added:
        &http("") => &http(ACCESS_LOG),
        |plan| { update_of_api(plan); };
    access_log_format_changed:
        &http(ACCESS_LOG) => &http(&ACCESS_LOG.replace("$context.requestId", "$context.requestId $context.status")),
        |plan| { update_of_api(plan); };
    cors_added:
        &http("") => &http(CORS),
        |plan| { update_of_api(plan); };
    cors_origins_changed:
        &http(CORS) => &http(&CORS.replace("https://shop.example", "https://www.shop.example")),
        |plan| { update_of_api(plan); };
    jwt_authorizer_added_and_required_by_a_route:
        &http("") => &http(JWT).replace("\"GET /orders\" = \"list-orders\"", "\"GET /orders\" = { function = \"list-orders\", authorizer = \"users\", scopes = [\"orders:read\"] }"),
        |plan| {
            assert_eq!(actions(plan), vec![
                ("api".to_string(), Action::Update),
                ("route[GET /orders]".to_string(), Action::Update),
            ]);
        };
    lambda_authorizer_added_waits_for_its_function:
        &http("") => &format!("{}\n[functions.authz]\nruntime = \"python3.12\"\nhandler = \"app.handler\"\ncode = \"examples/functions/get-order\"\nrole = \"arn:aws:iam::123456789012:role/shared\"\n", http("authorizers.custom = { type = \"lambda\", function = \"authz\" }")),
        |plan| {
            assert_eq!(
                change(plan, "api").depends_on.iter().map(ToString::to_string).collect::<Vec<_>>(),
                vec!["function.authz"]
            );
        };
    route_added:
        &http("") => &format!("{}\"POST /orders\" = \"get-order\"\n", http("")),
        |plan| { routes_change(plan, &[("POST /orders", Action::Create)]); };
    route_moved_to_another_function:
        &http("") => &http("").replace("\"GET /orders\" = \"list-orders\"", "\"GET /orders\" = \"get-order\""),
        |plan| { routes_change(plan, &[("GET /orders", Action::Update)]); };
    route_deleted:
        &http("") => &http("").replace("\"GET /orders\" = \"list-orders\"\n", ""),
        |plan| { routes_change(plan, &[("GET /orders", Action::Delete)]); };
    rest_route_added_is_deployed:
        &shop("rest", "") => &format!("{}\"POST /orders\" = \"get-order\"\n", shop("rest", "")),
        |plan| {
            assert_eq!(actions(plan), vec![
                ("route[POST /orders]".to_string(), Action::Create),
                ("api.deployment".to_string(), Action::Create),
            ]);
            assert_eq!(
                change(plan, "api.deployment").depends_on.iter().map(ToString::to_string).collect::<Vec<_>>(),
                vec!["api", "route[POST /orders]"]
            );
        };
    api_removed_from_the_stack_file:
        &http("") => FUNCTIONS,
        |plan| { assert_eq!(change(plan, "api").action, Action::Delete); };
}

live_changes! {
    invoke_permission_removed_outside_stackctl:
        &http(""),
        |live| { live.invoke_permissions.remove("shop-list-orders"); },
        |plan| {
            routes_change(plan, &[("GET /orders", Action::Update)]);
            assert_eq!(plan.drift[0].attributes, vec!["invoke_permission".to_string()]);
        };
    stage_throttling_changed_outside_stackctl_is_a_plain_update:
        &http(THROTTLE),
        |live| live.apis[0].throttle = Some(crate::stack::Throttle { rate: 10.0, burst: 20 }),
        |plan| { update_of_api(plan); assert!(plan.drift.is_empty()); };
    access_log_removed_outside_stackctl:
        &http(ACCESS_LOG),
        |live| live.apis[0].access_log = None,
        |plan| { update_of_api(plan); };
    second_api_tagged_for_the_stack_is_deleted:
        &http(""),
        |live| {
            let mut extra = live.apis[0].clone();
            extra.id = "zzz9".to_string();
            extra.routes.clear();
            live.apis.push(extra);
        },
        |plan| { assert_eq!(actions(plan), vec![("api".to_string(), Action::Delete)]); };
}
