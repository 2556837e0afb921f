//! Whole-API writes: an API whose routes change by the dozen is written in one import
//! (ReimportApi, PutRestApi), read back and repaired where the emulator ignored part of it;
//! then changed route by route, and by many routes again. Every apply is followed by a plan
//! with no changes.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::support::Project;
use crate::support::proxy::ProxyConfig;

/// A stack of 4 functions and `routes` routes over them, with an ANY route, CORS, tags and an
/// authorizer (JWT on an HTTP API, Cognito on a REST API) that some routes require, with scopes.
pub(crate) fn stack(api_type: &str, routes: usize) -> String {
    let authorizer = match api_type {
        "http" => {
            "{ type = \"jwt\", issuer = \"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc\", audience = [\"client-id\"] }"
        }
        _ => {
            "{ type = \"cognito\", user_pools = [\"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc\"] }"
        }
    };
    let mut s = format!(
        "[stack]\nname = \"whole\"\n\n[api]\ntype = \"{api_type}\"\nstage = \"prod\"\ncors = {{ allow_origins = [\"https://shop.example\"], allow_methods = [\"GET\", \"POST\"], max_age = 600 }}\nauthorizers.users = {authorizer}\ntags = {{ team = \"core\" }}\n\n"
    );
    for f in 0..4 {
        let _ = write!(
            s,
            "[functions.f{f}]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"functions/shared\"\n\n"
        );
    }
    s.push_str("[routes]\n\"ANY /admin/{proxy+}\" = { function = \"f0\", authorizer = \"users\", scopes = [\"admin\"] }\n");
    for r in 1..routes {
        let f = r % 4;
        if r % 10 == 3 {
            let _ = writeln!(
                s,
                "\"POST /items/r{r}/{{id}}\" = {{ function = \"f{f}\", authorizer = \"users\" }}"
            );
        } else {
            let _ = writeln!(s, "\"GET /items/r{r}\" = \"f{f}\"");
        }
    }
    s
}

/// Applies through the proxy; the API Gateway requests it made, by operation.
fn apply_counting(project: &Project) -> BTreeMap<String, u64> {
    let proxy = project.proxy.as_ref().unwrap();
    proxy.stats.reset();
    project.apply_converges();
    let counts = proxy.stats.counts();
    proxy.stats.reset();
    counts
        .into_iter()
        .filter(|(op, _)| op.starts_with("apigateway:"))
        .collect()
}

fn count(counts: &BTreeMap<String, u64>, op: &str) -> u64 {
    counts.get(op).copied().unwrap_or(0)
}

#[test]
fn an_http_api_is_imported_whole_then_changed_route_by_route_and_by_many() {
    let project = Project::new(&stack("http", 40)).through_proxy(ProxyConfig::immediate());
    let created = apply_counting(&project);
    assert_eq!(count(&created, "apigateway:ReimportApi"), 1, "{created:#?}");
    // Not 80 route and integration requests: the import made the routes. What the emulator
    // mangles is repaired: the ANY route (one route and integration made, the junk route and
    // its integration deleted), the authorizer (one create by the API, one again after the
    // import), the stage (likewise), the four routes that need the authorizer.
    let repaired = [
        ("apigateway:POST /v2/apis/*/routes", 1),
        ("apigateway:POST /v2/apis/*/integrations", 1),
        ("apigateway:DELETE /v2/apis/*/routes/*", 1),
        ("apigateway:POST /v2/apis/*/authorizers", 2),
        ("apigateway:POST /v2/apis/*/stages", 2),
        ("apigateway:PATCH /v2/apis/*/routes/*", 4),
    ];
    for (op, n) in repaired {
        assert_eq!(count(&created, op), n, "{op}: {created:#?}");
    }
    let api = project.http_apis()[0].api_id().unwrap().to_string();
    let routes = project.block_on(project.apigateway().get_routes().api_id(&api).send());
    assert_eq!(routes.unwrap().items().len(), 40);

    // One route moved: granular, no import.
    project.set_stack(
        &stack("http", 40).replace("\"GET /items/r5\" = \"f1\"", "\"GET /items/r5\" = \"f2\""),
    );
    let one = apply_counting(&project);
    assert_eq!(count(&one, "apigateway:ReimportApi"), 0, "{one:#?}");
    assert_eq!(
        count(&one, "apigateway:PATCH /v2/apis/*/integrations/*"),
        1,
        "one UpdateIntegration: {one:#?}"
    );

    // Many: ten routes gone, ten new.
    let mut many = stack("http", 30);
    for r in 40..50 {
        let _ = writeln!(many, "\"DELETE /items/r{r}\" = \"f{}\"", r % 4);
    }
    project.set_stack(&many);
    let changed = apply_counting(&project);
    assert_eq!(count(&changed, "apigateway:ReimportApi"), 1, "{changed:#?}");
    assert_eq!(
        count(&changed, "apigateway:POST /v2/apis/*/routes"),
        1,
        "the emulator's ANY route alone is made on its own: {changed:#?}"
    );
}

#[test]
fn a_rest_api_is_put_whole_then_changed_route_by_route_and_by_many() {
    let project = Project::new(&stack("rest", 40)).through_proxy(ProxyConfig::immediate());
    let created = apply_counting(&project);
    assert_eq!(count(&created, "apigateway:PutRestApi"), 1, "{created:#?}");
    // 40 preflight answers (PutMethod, PutIntegration and their responses each) and, on the
    // emulator, the five routes whose methods need the authorizer (deleted and put again) or
    // are ANY (the junk method deleted): no route is written on its own otherwise.
    assert_eq!(
        count(&created, "apigateway:PUT /restapis/*/resources/*/methods/*"),
        45,
        "{created:#?}"
    );
    assert_eq!(
        count(
            &created,
            "apigateway:DELETE /restapis/*/resources/*/methods/*"
        ),
        5,
        "{created:#?}"
    );
    assert_eq!(
        count(&created, "apigateway:CreateResource"),
        0,
        "{created:#?}"
    );

    project.set_stack(
        &stack("rest", 40).replace("\"GET /items/r5\" = \"f1\"", "\"GET /items/r5\" = \"f2\""),
    );
    let one = apply_counting(&project);
    assert_eq!(count(&one, "apigateway:PutRestApi"), 0, "{one:#?}");
    assert_eq!(
        count(
            &one,
            "apigateway:PUT /restapis/*/resources/*/methods/*/integration"
        ),
        1,
        "one PutIntegration: {one:#?}"
    );

    // Many, with CORS: an overwrite would lose the preflight answers of all 40 paths (160
    // requests to write again), so the routes are written one by one.
    let mut many = stack("rest", 30);
    for r in 40..50 {
        let _ = writeln!(many, "\"DELETE /items/r{r}\" = \"f{}\"", r % 4);
    }
    project.set_stack(&many);
    let changed = apply_counting(&project);
    assert_eq!(count(&changed, "apigateway:PutRestApi"), 0, "{changed:#?}");

    // Without CORS, many routes changed: one PutRestApi.
    let no_cors = |s: String| {
        s.lines()
            .filter(|l| !l.starts_with("cors ="))
            .collect::<Vec<_>>()
            .join("\n")
    };
    project.set_stack(&no_cors(many.clone()));
    apply_counting(&project);
    project.set_stack(&no_cors(stack("rest", 40)));
    let back = apply_counting(&project);
    assert_eq!(count(&back, "apigateway:PutRestApi"), 1, "{back:#?}");
    assert_eq!(count(&back, "apigateway:CreateResource"), 0, "{back:#?}");
}

/// The requests of an apply from empty of the scale stack's smaller sibling (5 tables, 10
/// functions, 30 routes) through the quota-keeping proxy, by service; `STACKCTL_BIN` compares
/// another build.
#[test]
#[ignore = "prints request counts, for the README and reports"]
fn requests_of_an_apply_from_empty() {
    let project = Project::new(&crate::support::generated_stack("scale", 5, 10, 30)).through_proxy(
        ProxyConfig::with_latency(std::time::Duration::from_millis(30)),
    );
    let started = std::time::Instant::now();
    project.run(&["apply", "--yes"]).success();
    let elapsed = started.elapsed();
    let counts = project.proxy.as_ref().unwrap().stats.counts();
    let total: u64 = counts.values().sum();
    let apigateway: u64 = counts
        .iter()
        .filter(|(op, _)| op.starts_with("apigateway:"))
        .map(|(_, n)| n)
        .sum();
    eprintln!("{counts:#?}\ntotal {total}, API Gateway {apigateway}, {elapsed:?}");
}
