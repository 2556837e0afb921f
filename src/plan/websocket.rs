//! How the WebSocket API and its routes are diffed: the API with its stage, throttle, access
//! log, `$connect` authorizer and tags; each route with its function, its function's invoke
//! permission, whether it answers (two-way) and whether it is authorized.

use std::collections::{BTreeMap, BTreeSet};

use super::attr::attr_names;
use super::gateway::{self, LiveGateway};
use super::{Action, Attrs, Change, Desired, Live, Value, WebsocketDesired, WebsocketRouteDesired};
use crate::live::{LiveState, LiveWebsocket, LiveWebsocketRoute};
use crate::marks::{
    WEBSOCKET_AUTHORIZER_STATEMENT_ID, WEBSOCKET_STATEMENT_ELSEWHERE, WEBSOCKET_STATEMENT_ID,
    websocket_permissions_record,
};
use crate::stack::{
    AccessLog, Address, RefAttr, RefTarget, Reference, Stack, Throttle, WebsocketRouteSpec,
    WebsocketSpec,
};

attr_names! {
    /// The attributes of a WebSocket API.
    pub enum WebsocketAttr {
        Name = "name",
        RouteSelection = "route_selection",
        Stage = "stage",
        Throttle = "throttle",
        AccessLog = "access_log",
        /// The `$connect` authorizer: its function and identity sources.
        Authorizer = "authorizer",
        /// Whether the authorizer's function lets the API's authorizers invoke it.
        AuthorizerPermission = "authorizer.invoke_permission",
        /// Lambda integrations of the API that no route targets: deleted.
        UnusedIntegrations = "unused_integrations",
        Tags = "tags",
    }
}

attr_names! {
    /// The attributes of a WebSocket route.
    pub enum WebsocketRouteAttr {
        Function = "function",
        InvokePermission = "invoke_permission",
        Respond = "respond",
        /// The function of the authorizer the route is checked by (`$connect`).
        Authorizer = "authorizer",
    }
}

/// Statement IDs by function name.
type Permissions = BTreeMap<String, BTreeSet<String>>;

/// The WebSocket API's ID, URLs and execute-api ARN (the resource of `websocket = "manage"`),
/// once it exists.
pub(super) fn known(
    stack: &Stack,
    live: &LiveState,
    region: &str,
    known: &mut BTreeMap<String, String>,
) {
    let (Some(spec), Some(api)) = (&stack.websocket, live.websockets.first()) else {
        return;
    };
    let mut put = |attr: RefAttr, value: String| {
        let reference = Reference {
            target: RefTarget::Websocket,
            attr,
        };
        known.insert(reference.to_string(), value);
    };
    put(RefAttr::Id, api.id.clone());
    put(
        RefAttr::Url,
        crate::arn::websocket_url(region, &api.id, &spec.stage),
    );
    put(
        RefAttr::CallbackUrl,
        crate::arn::websocket_callback_url(region, &api.id, &spec.stage),
    );
    if let Some(account) = &live.account {
        put(
            RefAttr::Arn,
            crate::arn::execute_api(region, account, &api.id),
        );
    }
    if let Some(auth) = &api.authorizer {
        known.insert("websocket.authorizer.id".to_string(), auth.id.clone());
    }
}

/// The WebSocket API, its routes and the deletes of what the file no longer declares.
pub fn plan_all(stack: &Stack, live: &LiveState, changes: &mut Vec<Change>) {
    let (primary, extras) = match live.websockets.split_first() {
        Some((first, rest)) => (Some(first), rest),
        None => (None, &[][..]),
    };
    let Some(spec) = &stack.websocket else {
        for api in &live.websockets {
            changes.push(plan_delete(stack, api, "no [websocket] in the stack file"));
        }
        return;
    };
    changes.push(plan(stack, spec, primary, &live.websocket_permissions));
    for extra in extras {
        let reason = "a second WebSocket API tagged for this stack (left by an interrupted apply)";
        changes.push(plan_delete(stack, extra, reason));
    }
    let permissions = &live.websocket_permissions;
    for route in &spec.routes {
        let live_route =
            primary.and_then(|api| Some((api, api.routes.iter().find(|r| r.key == route.key)?)));
        let kept = primary.is_some();
        changes.push(plan_route(
            stack,
            spec,
            route,
            live_route,
            permissions,
            kept,
        ));
    }
    if let Some(api) = primary {
        for route in &api.routes {
            if !spec.routes.iter().any(|r| r.key == route.key) {
                changes.push(plan_route_delete(stack, api, route, permissions));
            }
        }
    }
}

fn plan(
    stack: &Stack,
    spec: &WebsocketSpec,
    live: Option<&LiveWebsocket>,
    permissions: &Permissions,
) -> Change {
    let desired = WebsocketDesired {
        name: stack.name.clone(),
        stack: stack.name.clone(),
        spec: spec.clone(),
        permissions_record: websocket_permissions_record(
            spec.routes
                .iter()
                .map(|r| (r.key.clone(), stack.function_name(&r.function))),
        ),
    };
    let mut after = Attrs::new();
    after.insert(WebsocketAttr::Name.into(), Value::str(&desired.name));
    after.insert(
        WebsocketAttr::RouteSelection.into(),
        Value::str(&spec.route_selection),
    );
    after.insert(WebsocketAttr::Stage.into(), Value::str(&spec.stage));
    settings(&mut after, spec.throttle, spec.access_log.as_ref());
    if let Some(a) = &spec.authorizer {
        let function = stack.function_name(&a.function);
        after.insert(
            WebsocketAttr::Authorizer.into(),
            authorizer(&function, &a.identity_source),
        );
        let permission = WebsocketAttr::AuthorizerPermission.into();
        after.insert(permission, Value::Bool(true));
    }
    after.insert(WebsocketAttr::Tags.into(), Value::map(&spec.tags));
    let mut change = Change::declared(
        Address::Websocket,
        desired.name.clone(),
        after,
        Desired::Websocket(desired),
        live.map(|l| (live_attrs(l, Some(permissions)), live_api(stack, l))),
    );
    // The authorizer's function lost its invoke permission outside stackctl, which granted it
    // with the authorizer.
    let authorizer_kept = !change.changed(WebsocketAttr::Authorizer);
    for attr in &mut change.attributes {
        if attr.is(WebsocketAttr::AuthorizerPermission) && authorizer_kept {
            attr.drift = attr.before == Some(Value::Bool(false));
        }
    }
    change
}

fn plan_delete(stack: &Stack, live: &LiveWebsocket, reason: &str) -> Change {
    gateway::plan_delete(stack, routed(stack), live, reason)
}

/// The API as read, and the functions it leaves with its invoke permission when it goes.
fn live_api(stack: &Stack, live: &LiveWebsocket) -> Live {
    gateway::live_api(stack, routed(stack), live)
}

/// The functions (logical names) the stack file's WebSocket routes invoke.
fn routed(stack: &Stack) -> impl Iterator<Item = &String> {
    let routes = stack.websocket.iter().flat_map(|w| &w.routes);
    routes.map(|r| &r.function)
}

gateway::live_gateway!(LiveWebsocket, Address::Websocket, Websocket);

/// `permissions`: the statement IDs of the functions' policies, where read (not for a delete).
fn live_attrs(live: &LiveWebsocket, permissions: Option<&Permissions>) -> Attrs {
    let mut a = Attrs::new();
    a.insert(WebsocketAttr::Name.into(), Value::str(&live.name));
    a.insert(
        WebsocketAttr::RouteSelection.into(),
        Value::str(&live.route_selection),
    );
    if let Some(stage) = gateway::stages(&live.stages) {
        a.insert(WebsocketAttr::Stage.into(), stage);
    }
    if !live.unused_integrations.is_empty() {
        let unused = Value::list(&live.unused_integrations);
        a.insert(WebsocketAttr::UnusedIntegrations.into(), unused);
    }
    settings(&mut a, live.throttle, live.access_log.as_ref());
    if let Some(auth) = &live.authorizer {
        a.insert(
            WebsocketAttr::Authorizer.into(),
            authorizer(&auth.function, &auth.identity_source),
        );
        if let Some(permissions) = permissions {
            let held = permissions.get(&auth.function);
            let held = held.is_some_and(|h| h.contains(WEBSOCKET_AUTHORIZER_STATEMENT_ID));
            a.insert(
                WebsocketAttr::AuthorizerPermission.into(),
                Value::Bool(held),
            );
        }
    }
    a.insert(WebsocketAttr::Tags.into(), Value::map(&live.tags));
    a
}

fn authorizer(function: &str, identity_source: &[String]) -> Value {
    let mut m = BTreeMap::new();
    m.insert("function".to_string(), Value::str(function));
    m.insert("identity_source".to_string(), Value::list(identity_source));
    Value::Map(m)
}

fn settings(a: &mut Attrs, throttle: Option<Throttle>, log: Option<&AccessLog>) {
    if let Some(t) = throttle {
        a.insert(WebsocketAttr::Throttle.into(), gateway::throttle(t));
    }
    if let Some(log) = log {
        a.insert(WebsocketAttr::AccessLog.into(), gateway::access_log(log));
    }
}

/// `permissions`: the statement IDs in the policies of the functions live routes invoke;
/// `api_kept`: the live API stays (it is not new).
fn plan_route(
    stack: &Stack,
    spec: &WebsocketSpec,
    route: &WebsocketRouteSpec,
    live: Option<(&LiveWebsocket, &LiveWebsocketRoute)>,
    permissions: &Permissions,
    api_kept: bool,
) -> Change {
    let function = stack.function_name(&route.function);
    let held = permissions.get(&function);
    let held_here = held.is_some_and(|h| h.contains(WEBSOCKET_STATEMENT_ID));
    let desired = WebsocketRouteDesired {
        key: route.key.clone(),
        logical_function: route.function.clone(),
        grant: !(api_kept && held_here),
        replace: held.is_some_and(|h| h.contains(WEBSOCKET_STATEMENT_ELSEWHERE)),
        respond: route.respond,
        authorized: route.key == "$connect" && spec.authorizer.is_some(),
    };
    let mut after = Attrs::new();
    after.insert(WebsocketRouteAttr::Function.into(), Value::str(&function));
    after.insert(
        WebsocketRouteAttr::InvokePermission.into(),
        Value::Bool(true),
    );
    after.insert(
        WebsocketRouteAttr::Respond.into(),
        Value::Bool(route.respond),
    );
    if let (true, Some(a)) = (desired.authorized, &spec.authorizer) {
        let function = stack.function_name(&a.function);
        after.insert(WebsocketRouteAttr::Authorizer.into(), Value::str(function));
    }
    let mut change = Change::declared(
        Address::WebsocketRoute(route.key.clone()),
        route.key.clone(),
        after,
        Desired::WebsocketRoute(desired),
        live.map(|(api, r)| {
            let attrs = live_route_attrs(api, r, permissions);
            (attrs, live_route(stack, api, r, permissions))
        }),
    );
    // A route that differs only by its missing invoke permission lost it outside stackctl,
    // which granted it when it made the route.
    if let [only] = change.attributes.as_mut_slice()
        && change.action == Action::Update
        && only.is(WebsocketRouteAttr::InvokePermission)
    {
        only.drift = true;
    }
    change
}

fn plan_route_delete(
    stack: &Stack,
    api: &LiveWebsocket,
    route: &LiveWebsocketRoute,
    permissions: &Permissions,
) -> Change {
    Change::delete(
        Address::WebsocketRoute(route.key.clone()),
        route.key.clone(),
        "no longer in the stack file",
        live_route_attrs(api, route, permissions),
        live_route(stack, api, route, permissions),
    )
}

/// The route as read, and the API's statement to remove from its function once no WebSocket
/// route of the stack file invokes that function.
fn live_route(
    stack: &Stack,
    api: &LiveWebsocket,
    route: &LiveWebsocketRoute,
    permissions: &Permissions,
) -> Live {
    let function = route.function_name().unwrap_or_default();
    let still_routed = stack
        .websocket
        .iter()
        .flat_map(|w| &w.routes)
        .any(|r| stack.function_name(&r.function) == function);
    let held = permissions
        .get(function)
        .is_some_and(|h| h.contains(WEBSOCKET_STATEMENT_ID));
    let revoke = if !still_routed && held {
        vec![WEBSOCKET_STATEMENT_ID.to_string()]
    } else {
        Vec::new()
    };
    Live::WebsocketRoute {
        api_id: api.id.clone(),
        route: route.clone(),
        revoke,
    }
}

fn live_route_attrs(
    api: &LiveWebsocket,
    route: &LiveWebsocketRoute,
    permissions: &Permissions,
) -> Attrs {
    let function = route.function_name().unwrap_or_default().to_string();
    let permitted = permissions
        .get(&function)
        .is_some_and(|p| p.contains(WEBSOCKET_STATEMENT_ID));
    let mut a = Attrs::new();
    a.insert(WebsocketRouteAttr::Function.into(), Value::str(function));
    a.insert(
        WebsocketRouteAttr::InvokePermission.into(),
        Value::Bool(permitted),
    );
    a.insert(
        WebsocketRouteAttr::Respond.into(),
        Value::Bool(route.respond),
    );
    if let Some(id) = &route.authorizer_id {
        // An authorizer stackctl did not make (or cannot read) shows by its ID.
        let function = api
            .authorizer
            .as_ref()
            .filter(|auth| auth.id == *id)
            .map_or_else(|| format!("authorizer {id}"), |auth| auth.function.clone());
        a.insert(WebsocketRouteAttr::Authorizer.into(), Value::str(function));
    }
    a
}
