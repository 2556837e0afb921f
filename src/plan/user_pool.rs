//! How a user pool is diffed: what Cognito changes in place (UpdateUserPool, MFA, a new custom
//! attribute, clients, the domain) and what only a new pool can have, which deletes every user.
//! Source: the UpdateUserPool and AddCustomAttributes API references (username attributes and
//! existing custom attributes cannot change).

use std::collections::BTreeMap;

use super::attr::attr_names;
use super::{Action, AttrName, Attrs, Change, Desired, Live, Value};
use crate::live::{LiveState, LiveUserPool};
use crate::stack::{
    Address, CustomAttribute, PasswordPolicy, RefAttr, RefTarget, Reference, Stack,
    UserPoolClientSpec, UserPoolSpec,
};

attr_names! {
    /// The attributes of a user pool (besides `attribute.NAME` and `client.NAME`).
    pub enum UserPoolAttr {
        Name = "name",
        SignIn = "sign_in",
        AutoVerify = "auto_verify",
        /// The prefix of the policy's settings (`password.min_length`).
        Password = "password",
        Mfa = "mfa",
        DeletionProtection = "deletion_protection",
        Domain = "domain",
        Tags = "tags",
    }
}

/// The prefix of a custom attribute's attribute (`attribute.plan`).
pub const ATTRIBUTE: &str = "attribute.";
/// The prefix of an app client's attribute (`client.web`).
pub const CLIENT: &str = "client.";

/// What apply needs to make the pool as declared.
#[derive(Debug, Clone)]
pub struct UserPoolDesired {
    pub name: String,
    pub stack: String,
    pub spec: UserPoolSpec,
    /// The fingerprint of what apply makes live, for the `stackctl:applied` tag.
    pub applied: String,
}

pub fn plan(stack: &Stack, spec: &UserPoolSpec, live: Option<&LiveUserPool>) -> Change {
    let name = stack.user_pool_name(&spec.logical);
    let spec = &settle(spec, live);
    let after = desired_attrs(&name, spec);
    let desired = Desired::UserPool(UserPoolDesired {
        name: name.clone(),
        stack: stack.name.clone(),
        spec: spec.clone(),
        applied: super::drift::fingerprint(&after),
    });
    let address = Address::UserPool(spec.logical.clone());
    let before = live.map(|l| (live_attrs(l), Live::UserPool(l.clone())));
    let mut change = Change::declared(address, name, after, desired, before);
    let applied = live.and_then(|l| l.all_tags.get(crate::marks::APPLIED_TAG));
    super::drift::mark(&mut change, applied.map(String::as_str));
    if change.action == Action::Update {
        for attr in &mut change.attributes {
            attr.forces_replacement = forces_replacement(&attr.name, attr.before.is_some());
        }
    }
    change.replace_where_forced(
        "the pool is deleted and created again, and every user in it is lost",
    );
    if let Some(live) = live {
        change.notes = client_notes(spec, live);
    }
    change
}

pub fn plan_delete(logical: &str, live: &LiveUserPool) -> Change {
    let mut change = Change::delete(
        Address::UserPool(logical.to_string()),
        live.name.clone(),
        "no longer in the stack file; the pool and every user in it are deleted",
        live_attrs(live),
        Live::UserPool(live.clone()),
    );
    change.destroys_data = true;
    change
}

/// Username attributes cannot change, nor can a custom attribute once added: only a new pool
/// has them. A new custom attribute is added in place.
fn forces_replacement(attr: &str, existed: bool) -> bool {
    attr == UserPoolAttr::SignIn.as_str() || (attr.starts_with(ATTRIBUTE) && existed)
}

/// Undeclared explicit auth flows are Cognito's default: whatever the live client has.
fn settle(spec: &UserPoolSpec, live: Option<&LiveUserPool>) -> UserPoolSpec {
    let mut spec = spec.clone();
    for (name, client) in &mut spec.clients {
        if client.auth_flows.is_empty()
            && let Some(l) = live.and_then(|l| l.clients.get(name))
        {
            client.auth_flows.clone_from(&l.spec.auth_flows);
        }
    }
    spec
}

/// A client whose secret setting changes is made again, with a new ID.
fn client_notes(spec: &UserPoolSpec, live: &LiveUserPool) -> Vec<String> {
    let mut notes = Vec::new();
    for (name, client) in &spec.clients {
        if let Some(l) = live.clients.get(name)
            && l.spec.generate_secret != client.generate_secret
        {
            notes.push(format!(
                "client {name} is deleted and created again (a client secret is set only at creation): its ID changes"
            ));
        }
    }
    notes
}

fn desired_attrs(name: &str, spec: &UserPoolSpec) -> Attrs {
    let mut a = common_attrs(
        name,
        &spec.sign_in,
        &spec.auto_verify,
        &spec.password,
        spec.mfa.as_str(),
        spec.deletion_protection,
        &spec.tags,
    );
    add_parts(
        &mut a,
        &spec.attributes,
        spec.clients.iter(),
        spec.domain.as_deref(),
    );
    a
}

fn live_attrs(live: &LiveUserPool) -> Attrs {
    let mut a = common_attrs(
        &live.name,
        &live.sign_in,
        &live.auto_verify,
        &live.password,
        live.mfa.as_str(),
        live.deletion_protection,
        &live.tags,
    );
    let clients = live.clients.iter().map(|(n, c)| (n, &c.spec));
    add_parts(&mut a, &live.attributes, clients, live.domain.as_deref());
    a
}

fn common_attrs(
    name: &str,
    sign_in: &[String],
    auto_verify: &[String],
    password: &PasswordPolicy,
    mfa: &str,
    deletion_protection: bool,
    tags: &BTreeMap<String, String>,
) -> Attrs {
    let mut a = Attrs::new();
    a.insert(UserPoolAttr::Name.into(), Value::str(name));
    a.insert(UserPoolAttr::SignIn.into(), sorted(sign_in));
    a.insert(UserPoolAttr::AutoVerify.into(), sorted(auto_verify));
    for (field, value) in password_values(password) {
        a.insert(
            format!("{}.{field}", UserPoolAttr::Password.as_str()),
            value,
        );
    }
    a.insert(UserPoolAttr::Mfa.into(), Value::str(mfa));
    let protection = Value::Bool(deletion_protection);
    a.insert(UserPoolAttr::DeletionProtection.into(), protection);
    a.insert(UserPoolAttr::Tags.into(), Value::map(tags));
    a
}

fn add_parts<'a>(
    a: &mut Attrs,
    attributes: &BTreeMap<String, CustomAttribute>,
    clients: impl Iterator<Item = (&'a String, &'a UserPoolClientSpec)>,
    domain: Option<&str>,
) {
    for (name, attr) in attributes {
        a.insert(format!("{ATTRIBUTE}{name}"), attribute_value(attr));
    }
    for (name, client) in clients {
        a.insert(format!("{CLIENT}{name}"), client_value(client));
    }
    if let Some(domain) = domain {
        a.insert(UserPoolAttr::Domain.into(), Value::str(domain));
    }
}

fn sorted(items: &[String]) -> Value {
    let mut items = items.to_vec();
    items.sort();
    Value::list(&items)
}

/// The password policy's settings, each its own attribute (`password.min_length`).
fn password_values(p: &PasswordPolicy) -> [(&'static str, Value); 6] {
    [
        ("min_length", Value::Int(p.min_length)),
        ("require_symbols", Value::Bool(p.require_symbols)),
        ("require_numbers", Value::Bool(p.require_numbers)),
        ("require_uppercase", Value::Bool(p.require_uppercase)),
        ("require_lowercase", Value::Bool(p.require_lowercase)),
        (
            "temporary_validity_days",
            Value::Int(p.temporary_validity_days),
        ),
    ]
}

fn attribute_value(attr: &CustomAttribute) -> Value {
    let mut m = BTreeMap::new();
    m.insert(
        "type".to_string(),
        Value::str(attr.data_type.to_lowercase()),
    );
    m.insert("mutable".to_string(), Value::Bool(attr.mutable));
    if let Some(min) = attr.min {
        m.insert("min".to_string(), Value::Int(min));
    }
    if let Some(max) = attr.max {
        m.insert("max".to_string(), Value::Int(max));
    }
    Value::Map(m)
}

fn client_value(c: &UserPoolClientSpec) -> Value {
    let mut m = BTreeMap::new();
    m.insert("callback_urls".to_string(), Value::list(&c.callback_urls));
    m.insert("logout_urls".to_string(), Value::list(&c.logout_urls));
    m.insert("oauth_flows".to_string(), sorted(&c.oauth_flows));
    m.insert("scopes".to_string(), sorted(&c.scopes));
    m.insert(
        "generate_secret".to_string(),
        Value::Bool(c.generate_secret),
    );
    m.insert("auth_flows".to_string(), sorted(&c.auth_flows));
    Value::Map(m)
}

/// The stack with its API's authorizers resolved where they name user pools whose values are
/// known; `None` when no authorizer names a pool.
pub fn resolved_api(
    stack: &Stack,
    resolve: &dyn Fn(&Reference) -> Option<String>,
) -> Option<Stack> {
    let api = stack.api.as_ref()?;
    let names_pool = api
        .authorizers
        .values()
        .any(|a| !crate::stack::authorizer_references(a).is_empty());
    if !names_pool {
        return None;
    }
    let mut api = api.clone();
    for spec in api.authorizers.values_mut() {
        *spec = crate::stack::resolve_authorizer(spec, resolve);
    }
    Some(Stack {
        api: Some(api),
        ..stack.clone()
    })
}

/// The values of each declared pool that exists and is kept: `user_pools.NAME.id`, `.arn`,
/// `.issuer` and `user_pools.NAME.clients.CLIENT.id` of clients that are kept.
pub fn known(stack: &Stack, live: &LiveState, region: &str, known: &mut BTreeMap<String, String>) {
    let mut put = |target: RefTarget, attr: RefAttr, value: String| {
        known.insert(Reference { target, attr }.to_string(), value);
    };
    for spec in &stack.user_pools {
        let Some(pool) = live.user_pools.get(&stack.user_pool_name(&spec.logical)) else {
            continue;
        };
        let replaced = plan(stack, spec, Some(pool)).action == Action::Replace;
        if replaced {
            continue;
        }
        let target = || RefTarget::UserPool(spec.logical.clone());
        put(target(), RefAttr::Id, pool.id.clone());
        put(target(), RefAttr::Arn, pool.arn.clone());
        put(
            target(),
            RefAttr::Issuer,
            crate::stack::user_pool_issuer(region, &pool.id),
        );
        for (name, client) in &spec.clients {
            if let Some(l) = pool.clients.get(name)
                && l.spec.generate_secret == client.generate_secret
            {
                let target = RefTarget::UserPoolClient(spec.logical.clone(), name.clone());
                put(target, RefAttr::Id, l.id.clone());
            }
        }
    }
}
