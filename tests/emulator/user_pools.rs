//! Cognito user pools: a pool with a client and domain behind an API authorizer, changed in
//! place, replaced only with `--allow-data-loss`, and signing users in with tokens whose issuer
//! is the authorizer's.

use base64::Engine;

use crate::support::Project;

const USERS: &str = r#"
[stack]
name = "users"

[user_pools.customers]
sign_in = ["email"]
auto_verify = ["email"]
password = { min_length = 12, require_symbols = false }
mfa = "optional"
attributes = { plan = { type = "string", mutable = true } }
deletion_protection = true
domain = "users-auth"
tags = { team = "identity" }

[user_pools.customers.clients.web]
callback_urls = ["https://shop.example/cb"]
oauth_flows = ["code"]
scopes = ["openid", "email"]
auth_flows = ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]

[functions.me]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/me"
environment = { POOL = "${user_pools.customers.id}", CLIENT = "${user_pools.customers.clients.web.id}" }

[api]
type = "TYPE"
stage = "prod"
authorizers.users = AUTHORIZER

[routes]
"GET /me" = { function = "me", authorizer = "users" }
"PUT /me" = { function = "me", authorizer = "users" }
"GET /me/orders" = { function = "me", authorizer = "users" }
"POST /me/orders" = { function = "me", authorizer = "users" }
"GET /me/orders/{id}" = { function = "me", authorizer = "users" }
"DELETE /me/orders/{id}" = { function = "me", authorizer = "users" }
"#;

fn http() -> String {
    USERS.replace("TYPE", "http").replace(
        "AUTHORIZER",
        r#"{ type = "jwt", user_pool = "customers", client = "web" }"#,
    )
}

/// A REST API, and a client with a secret.
fn rest() -> String {
    USERS
        .replace("TYPE", "rest")
        .replace(
            "AUTHORIZER",
            r#"{ type = "cognito", user_pool = "customers" }"#,
        )
        .replace(
            "\nauth_flows = [",
            "\ngenerate_secret = true\nauth_flows = [",
        )
}

fn cognito(project: &Project) -> aws_sdk_cognitoidentityprovider::Client {
    aws_sdk_cognitoidentityprovider::Client::new(&project.sdk_config())
}

/// The pools named `name`: (ID, ARN).
fn pools(project: &Project, name: &str) -> Vec<(String, String)> {
    let client = cognito(project);
    let listed = project
        .block_on(client.list_user_pools().max_results(60).send())
        .unwrap();
    let ids: Vec<String> = listed
        .user_pools()
        .iter()
        .filter(|p| p.name() == Some(name))
        .map(|p| p.id().unwrap().to_string())
        .collect();
    ids.into_iter()
        .map(|id| {
            let pool = project
                .block_on(client.describe_user_pool().user_pool_id(&id).send())
                .unwrap();
            (id, pool.user_pool().unwrap().arn().unwrap().to_string())
        })
        .collect()
}

/// Creates a confirmed user and signs in as them: the ID token's claims.
fn sign_in(project: &Project, pool: &str, client_id: &str, email: &str) -> serde_json::Value {
    let client = cognito(project);
    let attribute = aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
        .name("email")
        .value(email)
        .build()
        .unwrap();
    project
        .block_on(
            client
                .admin_create_user()
                .user_pool_id(pool)
                .username(email)
                .user_attributes(attribute)
                .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
                .send(),
        )
        .unwrap();
    let password = "correct horse battery staple 1A";
    project
        .block_on(
            client
                .admin_set_user_password()
                .user_pool_id(pool)
                .username(email)
                .password(password)
                .permanent(true)
                .send(),
        )
        .unwrap();
    let auth = project
        .block_on(
            client
                .admin_initiate_auth()
                .user_pool_id(pool)
                .client_id(client_id)
                .auth_flow(
                    aws_sdk_cognitoidentityprovider::types::AuthFlowType::AdminUserPasswordAuth,
                )
                .auth_parameters("USERNAME", email)
                .auth_parameters("PASSWORD", password)
                .send(),
        )
        .unwrap();
    let token = auth.authentication_result().unwrap().id_token().unwrap();
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The HTTP API's authorizer, found through its route (the emulator answers GetAuthorizers
/// with a 500): (issuer, audience).
fn jwt_authorizer(project: &Project) -> (String, Vec<String>) {
    let v2 = project.apigateway();
    let api = project.block_on(v2.get_apis().send()).unwrap();
    let id = api.items()[0].api_id().unwrap().to_string();
    let routes = project
        .block_on(v2.get_routes().api_id(&id).send())
        .unwrap();
    let authorizer_id = routes.items()[0].authorizer_id().unwrap();
    let authorizer = project
        .block_on(
            v2.get_authorizer()
                .api_id(&id)
                .authorizer_id(authorizer_id)
                .send(),
        )
        .unwrap();
    let jwt = authorizer.jwt_configuration().unwrap();
    (jwt.issuer().unwrap().to_string(), jwt.audience().to_vec())
}

#[test]
fn a_pool_behind_a_jwt_authorizer_signs_in_changes_in_place_and_is_replaced_only_when_allowed() {
    let project = Project::new(&http());
    let plan = project.run(&["plan"]);
    plan.success();
    assert!(
        plan.stdout.contains("+ user_pool.customers"),
        "{}",
        plan.stdout
    );
    // Six routes: the API is imported whole, its authorizer with the new pool's values.
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.success();
    let imports = requests.iter().filter(|r| *r == "apigatewayv2:ReimportApi");
    assert_eq!(imports.count(), 1, "{requests:#?}");
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    let pool_id = signs_in_with_the_authorizer_issuer(&project);
    changes_in_place(&project, &pool_id);
    drift_is_reported(&project, &pool_id);
    is_replaced_only_when_allowed(&project, &pool_id);
}

/// The pool is read in four requests, its values are outputs, and a user signs in with a
/// token whose issuer is the authorizer's. The pool's ID.
fn signs_in_with_the_authorizer_issuer(project: &Project) -> String {
    let (_, requests) = project.requests(&["plan"]);
    let cognito: Vec<&String> = requests
        .iter()
        .filter(|r| r.starts_with("cognito identity provider:"))
        .collect();
    assert_eq!(
        cognito,
        [
            "cognito identity provider:ListUserPools",
            "cognito identity provider:DescribeUserPool",
            "cognito identity provider:ListUserPoolClients",
            "cognito identity provider:DescribeUserPoolClient",
        ],
        "a pool with one client is read in four requests"
    );
    let found = pools(project, "users-customers");
    assert_eq!(found.len(), 1, "one pool");
    let (pool_id, _) = &found[0];
    let outputs = project.outputs_json();
    let client_id = outputs["user_pools.customers.clients.web.id"]
        .as_str()
        .unwrap();
    let issuer = format!("https://cognito-idp.us-east-1.amazonaws.com/{pool_id}");
    assert_eq!(outputs["user_pools.customers.id"], pool_id.as_str());
    assert_eq!(outputs["user_pools.customers.issuer"], issuer.as_str());
    assert_eq!(
        jwt_authorizer(project),
        (issuer.clone(), vec![client_id.to_string()])
    );
    let claims = sign_in(project, pool_id, client_id, "ada@example.com");
    assert_eq!(
        claims["iss"],
        issuer.as_str(),
        "the token's issuer is the authorizer's"
    );
    assert_eq!(claims["aud"], client_id);
    pool_id.clone()
}

/// [`http`] with a longer password and a second custom attribute.
fn changed() -> String {
    http()
        .replace("min_length = 12", "min_length = 14")
        .replace(
            "mutable = true } }",
            "mutable = true }, tier = { type = \"number\", mutable = true, min = 1, max = 3 } }",
        )
}

/// The password policy and a new custom attribute change in place, through a saved plan.
fn changes_in_place(project: &Project, pool_id: &str) {
    project.set_stack(&changed());
    let (action, changed) = project.planned("user_pool.customers");
    assert_eq!(action, "update");
    assert_eq!(changed, ["attribute.tier", "password.min_length"]);
    let json = project.run(&["plan", "--output", "json"]);
    crate::workflow::assert_valid_plan(&json.stdout);
    // Through a saved plan: apply reads again only what it changes (the pool).
    project.run(&["plan", "--out", "plan.json"]).success();
    let (run, requests) = project.requests(&["apply", "plan.json"]);
    run.success();
    let writes: Vec<&String> = requests
        .iter()
        .filter(|r| {
            r.starts_with("cognito identity provider:")
                && !r.contains(":Describe")
                && !r.contains(":List")
        })
        .collect();
    assert_eq!(
        writes,
        [
            "cognito identity provider:AddCustomAttributes",
            "cognito identity provider:UpdateUserPool",
        ],
        "the settings and the fingerprint tag last"
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert_eq!(
        pools(project, "users-customers")[0].0,
        pool_id,
        "the same pool"
    );
}

/// A setting changed outside stackctl is drift (the pool's `stackctl:applied` fingerprint):
/// `plan --refresh-only` names it; apply puts it back.
fn drift_is_reported(project: &Project, pool_id: &str) {
    let client = cognito(project);
    let described = project.block_on(client.describe_user_pool().user_pool_id(pool_id).send());
    let tags = described
        .unwrap()
        .user_pool()
        .unwrap()
        .user_pool_tags()
        .cloned();
    let update = client
        .update_user_pool()
        .user_pool_id(pool_id)
        .set_user_pool_tags(tags)
        .deletion_protection(
            aws_sdk_cognitoidentityprovider::types::DeletionProtectionType::Inactive,
        );
    project.block_on(update.send()).unwrap();
    let drift = project.run(&["plan", "--refresh-only"]);
    drift.success().stdout_has(&[
        "~ user_pool.customers",
        "deletion_protection: false (live); the stack file says true",
    ]);
    project.apply_converges();
    project
        .run(&["plan", "--refresh-only"])
        .success()
        .stdout_has(&["No drift."]);
}

/// Sign-in attributes only a new pool can have: refused while deletion protection is on, even
/// with --allow-data-loss (as for tables); once protection is off, refused without
/// --allow-data-loss, then done with it; the authorizer follows the new pool.
fn is_replaced_only_when_allowed(project: &Project, pool_id: &str) {
    let phone =
        |stack: &str| stack.replace("sign_in = [\"email\"]", "sign_in = [\"email\", \"phone\"]");
    project.set_stack(&phone(&changed()));
    let plan = project.run(&["plan"]);
    plan.code(1);
    plan.stdout_has(&[
        "DESTROYS DATA",
        "Warning: this plan deletes user accounts (user_pool.customers); apply needs --allow-data-loss.",
        "user pool users-customers has deletion protection on, so it cannot be replaced",
        "set deletion_protection = false for this user pool in the stack file and apply that first",
    ]);
    let refused = project.run(&["apply", "--yes", "--allow-data-loss"]);
    refused.code(1);
    assert_eq!(
        pools(project, "users-customers")[0].0,
        pool_id,
        "nothing changed"
    );
    // Protection off first, then the replacement.
    let unprotected =
        changed().replace("deletion_protection = true", "deletion_protection = false");
    project.set_stack(&unprotected);
    project.apply_converges();
    project.set_stack(&phone(&unprotected));
    project
        .run(&["plan"])
        .success()
        .stdout_has(&["DESTROYS DATA"]);
    let refused = project.run(&["apply", "--yes"]);
    refused.code(1);
    refused.stderr_has(&[
        "refusing to apply: this plan deletes the data of user_pool.customers (its user accounts)",
    ]);
    project
        .run(&["apply", "--yes", "--allow-data-loss"])
        .success();
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    let replaced = pools(project, "users-customers");
    assert_eq!(replaced.len(), 1, "the old pool is gone");
    assert_ne!(replaced[0].0, pool_id, "a new pool");
    let new_issuer = format!(
        "https://cognito-idp.us-east-1.amazonaws.com/{}",
        replaced[0].0
    );
    assert_eq!(
        jwt_authorizer(project).0,
        new_issuer,
        "the authorizer follows the pool"
    );
}

/// The secret Cognito generated for the client `web`.
fn client_secret(project: &Project, pool_id: &str) -> String {
    let client_id = project.outputs_json()["user_pools.customers.clients.web.id"]
        .as_str()
        .unwrap()
        .to_string();
    let described = project
        .block_on(
            cognito(project)
                .describe_user_pool_client()
                .user_pool_id(pool_id)
                .client_id(&client_id)
                .send(),
        )
        .unwrap();
    let client = described.user_pool_client().unwrap();
    client.client_secret().unwrap().to_string()
}

#[test]
fn a_rest_authorizer_names_the_pool_arn_and_a_removed_pool_needs_allow_data_loss() {
    let project = Project::new(&rest());
    let applied = project.apply_converges();
    let found = pools(&project, "users-customers");
    let (pool_id, arn) = &found[0];
    // The client's secret is Cognito's alone: never printed, in any output.
    let secret = client_secret(&project, pool_id);
    let plan = project.run(&["plan", "--output", "json"]);
    let outputs = project.run(&["outputs"]);
    for text in [
        &applied.stdout,
        &applied.stderr,
        &plan.stdout,
        &outputs.stdout,
    ] {
        assert!(!text.contains(&secret), "the secret is printed: {text}");
    }
    // Asked for, `outputs --show-secrets` shows it; the hosted UI's domain is an output.
    let shown = project.run(&["outputs", "--show-secrets", "--output", "json"]);
    let shown: serde_json::Value = serde_json::from_str(&shown.success().stdout).unwrap();
    assert_eq!(
        shown["user_pools.customers.clients.web.secret"],
        secret.as_str()
    );
    let outputs = project.outputs_json();
    assert_eq!(outputs["user_pools.customers.domain"], "users-auth");
    assert_eq!(
        outputs["user_pools.customers.domain_url"],
        "https://users-auth.auth.us-east-1.amazoncognito.com"
    );
    assert!(
        outputs
            .get("user_pools.customers.clients.web.secret")
            .is_none()
    );
    let (api_id, authorizer_id) = rest_authorizer(&project, arn);
    let staff = switches_the_authorizer_to_another_pool(&project, &api_id, &authorizer_id);
    protected_pool_is_not_deleted(&project, &staff);
}

/// The stack's REST API's one authorizer, a Cognito one naming only the pool `arn`: the
/// API's ID and the authorizer's.
fn rest_authorizer(project: &Project, arn: &str) -> (String, String) {
    let apis = project.rest_apis();
    let id = apis[0].id().unwrap().to_string();
    let authorizers = project
        .block_on(
            project
                .rest_apigateway()
                .get_authorizers()
                .rest_api_id(&id)
                .send(),
        )
        .unwrap();
    assert_eq!(authorizers.items().len(), 1);
    let authorizer = &authorizers.items()[0];
    assert_eq!(authorizer.r#type().unwrap().as_str(), "COGNITO_USER_POOLS");
    assert_eq!(authorizer.provider_arns(), [arn.to_string()]);
    (id, authorizer.id().unwrap().to_string())
}

/// (authorization type, authorizer ID, integration type) of every method of the REST API
/// `api_id` but OPTIONS.
fn methods(project: &Project, api_id: &str) -> Vec<(String, String, String)> {
    let client = project.rest_apigateway();
    let resources = client.get_resources().rest_api_id(api_id).embed("methods");
    let resources = project.block_on(resources.send()).unwrap();
    let mut out = Vec::new();
    for resource in resources.items() {
        for method in resource
            .resource_methods()
            .into_iter()
            .flat_map(|m| m.keys())
        {
            let got = client
                .get_method()
                .rest_api_id(api_id)
                .resource_id(resource.id().unwrap())
                .http_method(method);
            let got = project.block_on(got.send()).unwrap();
            let integration = got.method_integration().and_then(|i| i.r#type());
            out.push((
                got.authorization_type().unwrap_or_default().to_string(),
                got.authorizer_id().unwrap_or_default().to_string(),
                integration.map_or(String::new(), |t| t.as_str().to_ascii_uppercase()),
            ));
        }
    }
    out
}

/// The authorizer is switched to another pool of the stack: made again (the emulator cannot
/// patch its provider ARNs), its six methods put again pointing at it. The stack file as
/// applied.
fn switches_the_authorizer_to_another_pool(project: &Project, api_id: &str, old: &str) -> String {
    assert_eq!(methods(project, api_id).len(), 6);
    let staff = format!(
        "{}\n[user_pools.staff]\ndeletion_protection = false\n",
        rest().replace(r#"user_pool = "customers""#, r#"user_pool = "staff""#)
    );
    project.set_stack(&staff);
    let (action, changed) = project.planned("api");
    assert_eq!(
        (action.as_str(), changed),
        ("update", vec!["authorizer.users".to_string()])
    );
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.success();
    let count = |op: &str| requests.iter().filter(|r| r.ends_with(op)).count();
    assert_eq!(
        [
            count(":DeleteMethod"),
            count(":DeleteAuthorizer"),
            count(":CreateAuthorizer"),
            count(":PutMethod"),
            count(":PutIntegration"),
            count(":UpdateAuthorizer"),
        ],
        [6, 1, 1, 6, 6, 0],
        "{requests:#?}"
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    let staff_arn = pools(project, "users-staff").remove(0).1;
    let (_, new) = rest_authorizer(project, &staff_arn);
    assert_ne!(new, old, "a new authorizer");
    let expected = (
        "COGNITO_USER_POOLS".to_string(),
        new,
        "AWS_PROXY".to_string(),
    );
    assert_eq!(methods(project, api_id), vec![expected; 6]);
    staff
}

/// A pool with deletion protection on is neither deleted nor replaced, even with
/// `--allow-data-loss` (as tables): protection is turned off by the stack file first. A pool no
/// longer declared is then deleted only with `--allow-data-loss`.
fn protected_pool_is_not_deleted(project: &Project, staff: &str) {
    // (Another pool stays declared: the emulator's tagging index does not list pools, so a
    // stack that declares none does not look for them there; AWS's does.)
    let only_staff =
        "[stack]\nname = \"users\"\n\n[user_pools.staff]\ndeletion_protection = false\n";
    project.set_stack(only_staff);
    let refused = project.run(&["apply", "--yes", "--allow-data-loss"]);
    refused.code(1);
    refused.stdout_has(&[
        "user pool users-customers has deletion protection on, so it cannot be deleted",
        "set deletion_protection = false for this user pool in the stack file and apply that first",
    ]);
    assert_eq!(pools(project, "users-customers").len(), 1);
    project.set_stack(&staff.replace("deletion_protection = true", "deletion_protection = false"));
    project.apply_converges();
    project.set_stack(only_staff);
    let refused = project.run(&["apply", "--yes"]);
    refused.code(1);
    refused.stderr_has(&["user accounts"]);
    assert_eq!(pools(project, "users-customers").len(), 1);
    project
        .run(&["apply", "--yes", "--allow-data-loss"])
        .success();
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert!(pools(project, "users-customers").is_empty(), "deleted");
    assert_eq!(pools(project, "users-staff").len(), 1);
}

/// Stack `a` with pool `b-c` would be named as stack `a-b`'s pool `c` (Cognito lets two pools
/// share a name): the plan refuses to make it, as it refuses for topics.
#[test]
fn a_pool_name_another_stack_has_is_not_taken() {
    let project = Project::new(
        "[stack]\nname = \"a-b\"\n\n[user_pools.c]\ndeletion_protection = false\ndomain = \"shared-auth\"\n",
    );
    project.apply_converges();
    project.set_stack("[stack]\nname = \"a\"\n\n[user_pools.b-c]\ndeletion_protection = false\n");
    let plan = project.run(&["plan"]);
    plan.code(1)
        .stdout_has(&["user_pool.b-c: user pool a-b-c exists but is managed by stack \"a-b\""]);
    project.run(&["apply", "--yes"]).code(1);
    assert_eq!(pools(&project, "a-b-c").len(), 1, "no second pool");

    // A hosted UI domain prefix another pool has: a clear error, not the other's domain.
    project.set_stack("[stack]\nname = \"x\"\n\n[user_pools.p]\ndeletion_protection = false\ndomain = \"shared-auth\"\n");
    let taken = project.run(&["apply", "--yes"]);
    taken.code(1).stderr_has(&[
        "the domain prefix \"shared-auth\" is taken by user pool",
        "choose another domain in the stack file",
    ]);
}
