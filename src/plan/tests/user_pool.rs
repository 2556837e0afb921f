//! User pools: what changes in place, what replaces the pool (and says so), what a pool's
//! references resolve to, and what is left to Cognito's defaults.

use super::{REGION, applied, plan, stack};
use crate::plan::{Action, Value};
use crate::stack::Address;

const POOL: &str = r#"
[user_pools.customers]
sign_in = ["email"]
auto_verify = ["email"]
password = { min_length = 12 }
attributes = { plan = { type = "string", mutable = true } }
domain = "shop-auth"
clients.web = { callback_urls = ["https://shop.example/cb"], oauth_flows = ["code"], scopes = ["openid"] }

[functions.get-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "examples/functions/get-order"
environment = { POOL = "${user_pools.customers.id}" }
"#;

fn pool_change(plan: &crate::plan::Plan) -> &crate::plan::Change {
    let address = Address::UserPool("customers".into());
    plan.changes.iter().find(|c| c.address == address).unwrap()
}

#[test]
fn an_applied_pool_plans_clean_and_its_values_are_known() {
    let s = stack(POOL);
    let plan = plan(&s, &applied(&s));
    assert!(!plan.has_changes(), "{:?}", plan.changes);
    let id = "us-east-1_customers";
    assert_eq!(plan.known["user_pools.customers.id"], id);
    assert_eq!(
        plan.known["user_pools.customers.issuer"],
        format!("https://cognito-idp.us-east-1.amazonaws.com/{id}")
    );
    assert_eq!(
        plan.known["user_pools.customers.clients.web.id"],
        "web-client-id"
    );
}

#[test]
fn sign_in_or_a_changed_attribute_replaces_the_pool_and_destroys_data() {
    let live = applied(&stack(POOL));
    for edit in [
        POOL.replace("sign_in = [\"email\"]", "sign_in = [\"phone\"]"),
        POOL.replace(
            "type = \"string\", mutable = true",
            "type = \"number\", mutable = true",
        ),
        POOL.replace(
            "attributes = { plan = { type = \"string\", mutable = true } }\n",
            "",
        ),
    ] {
        let plan = plan(&stack(&edit), &live);
        let change = pool_change(&plan);
        assert_eq!(change.action, Action::Replace, "{edit}");
        assert!(change.destroys_data);
        assert!(
            change
                .reason
                .as_ref()
                .unwrap()
                .contains("every user in it is lost")
        );
        assert!(!plan.known.contains_key("user_pools.customers.id"));
        let function = plan
            .changes
            .iter()
            .find(|c| c.address == Address::Function("get-order".into()))
            .unwrap();
        assert_eq!(function.depends_on, [Address::UserPool("customers".into())]);
        let environment = &function.after.as_ref().unwrap()["environment"];
        let Value::Map(environment) = environment else {
            panic!("{environment:?}")
        };
        assert_eq!(environment["POOL"], Value::Unknown);
    }
}

#[test]
fn a_new_attribute_password_and_clients_change_in_place() {
    let live = applied(&stack(POOL));
    let edit = POOL
        .replace(
            "mutable = true } }",
            "mutable = true }, tier = { type = \"number\" } }",
        )
        .replace("min_length = 12", "min_length = 14")
        .replace(
            "scopes = [\"openid\"] }",
            "scopes = [\"openid\"], generate_secret = true }",
        );
    let plan = plan(&stack(&edit), &live);
    let change = pool_change(&plan);
    assert_eq!(change.action, Action::Update);
    assert!(!change.destroys_data);
    let names: Vec<&str> = change.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        ["attribute.tier", "client.web", "password.min_length"]
    );
    assert_eq!(
        change.notes,
        [
            "client web is deleted and created again (a client secret is set only at creation): its ID changes"
        ]
    );
    assert!(
        !plan
            .known
            .contains_key("user_pools.customers.clients.web.id")
    );
}

#[test]
fn a_pool_removed_from_the_file_is_deleted_with_its_users() {
    let live = applied(&stack(POOL));
    let plan = plan(&stack(""), &live);
    let change = pool_change(&plan);
    assert_eq!(change.action, Action::Delete);
    assert!(change.destroys_data);
    let destroy = crate::plan::build_destroy(&stack(POOL), &live, REGION);
    let change = pool_change(&destroy);
    assert_eq!(
        change.reason.as_deref(),
        Some("the pool and every user in it are deleted")
    );
}
