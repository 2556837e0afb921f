//! A scoped read: only the resources a saved plan changes, and those whose values its
//! changes need (the role, tables and functions a function refers to, the API and routes of a
//! route; the function a route invokes only by its ARN). Applying a saved plan that changes one
//! route then reads the API's routes, not the stack.

use std::collections::BTreeSet;

use crate::stack::{Address, AuthorizerSpec, RefTarget, Stack};

#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// What the saved plan changes: the only changes a scoped plan keeps.
    pub changed: BTreeSet<Address>,
    /// Logical names of the tables and functions to read (changed, or whose state a change
    /// needs).
    pub tables: BTreeSet<String>,
    pub functions: BTreeSet<String>,
    /// Read the stack's roles (one call for all of them).
    pub roles: bool,
    /// Read the stack's API, with its routes.
    pub api: bool,
    /// Read the API's stages and authorizers too (a route needs only the authorizers its
    /// routes use, and no stage: an HTTP API's stage deploys route changes itself).
    pub api_settings: bool,
    /// Look for an API of the other type too (a change to the API may replace it).
    pub api_replaceable: bool,
    /// Read the SSM parameters the stack's functions refer to.
    pub secrets: bool,
    /// Read the functions' log groups (their retention is part of a function's plan).
    pub log_groups: bool,
    /// Keys of the routes whose invoke permissions count (from the API's record, or the
    /// policies of the functions they invoke now).
    pub routes: BTreeSet<String>,
    /// Read the stack's WebSocket API, with its stage, authorizer and routes.
    pub websocket: bool,
    /// Keys of the WebSocket routes whose invoke permissions count.
    pub websocket_routes: BTreeSet<String>,
    /// Read the stack's SNS topics and their subscriptions.
    pub topics: bool,
    /// Logical names of functions whose ARNs the changes need but whose state they do not
    /// (a route's function): their ARNs are made from the account, not read.
    pub referred: BTreeSet<String>,
    /// Read the stack's usage plans and API keys.
    pub usage_plans: bool,
    /// Read the stack's user pools (a pool changes, or a change needs a pool's values).
    pub user_pools: bool,
    /// Read the stack's SQS queues.
    pub queues: bool,
    /// Read the event source mappings of the functions read.
    pub event_sources: bool,
    /// Read the stack's EventBridge rules (schedules).
    pub schedules: bool,
}

impl Scope {
    /// The scope of changes to `changed`, in `stack`.
    pub fn of(stack: &Stack, changed: impl IntoIterator<Item = Address>) -> Scope {
        let mut scope = Scope {
            changed: changed.into_iter().collect(),
            ..Scope::default()
        };
        for address in scope.changed.clone() {
            scope.add(stack, &address);
        }
        scope
    }

    fn add(&mut self, stack: &Stack, address: &Address) {
        match address {
            Address::Table(name) => {
                self.tables.insert(name.clone());
            }
            Address::Role(function) => self.add_role(stack, function),
            Address::Function(name) => self.add_function(stack, name),
            Address::UserPool(_) => self.user_pools = true,
            Address::Api | Address::Deployment => {
                self.api = true;
                // An authorizer may name a user pool.
                self.user_pools |= !stack.user_pools.is_empty();
                self.api_settings = true;
                self.api_replaceable |= *address == Address::Api;
                self.functions.extend(authorizer_functions(stack));
            }
            Address::Route(key) => self.add_route(stack, key),
            Address::Websocket => {
                self.websocket = true;
                let websocket = stack.websocket.as_ref();
                let authorizer = websocket.and_then(|w| w.authorizer.as_ref());
                self.functions
                    .extend(authorizer.map(|a| a.function.clone()));
                // A managed role whose function may manage connections names the API.
                self.roles |= stack.functions.iter().any(|f| f.manage_connections);
            }
            Address::UsagePlan(_) | Address::ApiKey(_) => {
                self.api = true;
                self.usage_plans = true;
            }
            Address::Topic(_) => self.topics = true,
            Address::Queue(_) => self.queues = true,
            // A schedule's target needs its function's ARN, not its state.
            Address::Schedule(key) => {
                self.schedules = true;
                if let Some((function, _)) = key.rsplit_once(' ') {
                    self.referred.insert(function.to_string());
                }
            }
            Address::EventSource(key) => self.add_event_source(key),
            // A function subscription needs its function's ARN, not its state.
            Address::Subscription(key) => {
                self.topics = true;
                if let Some(function) = key.split_once(" function:").map(|(_, f)| f) {
                    self.referred.insert(function.to_string());
                }
            }
            Address::WebsocketRoute(key) => {
                self.websocket = true;
                self.websocket_routes.insert(key.clone());
                let routes = stack.websocket.iter().flat_map(|w| &w.routes);
                if let Some(route) = routes.clone().find(|r| r.key == *key) {
                    self.referred.insert(route.function.clone());
                }
            }
        }
    }

    /// A managed role's change: its policy names the tables its function uses, the topics it
    /// publishes to, the queues and table streams its events read, and the WebSocket API whose
    /// connections it manages; the publishing role's names the topics routes publish to.
    fn add_role(&mut self, stack: &Stack, function: &str) {
        self.roles = true;
        // The role's policy names the tables its function uses.
        if let Some(spec) = stack.function(function) {
            self.tables.extend(spec.tables.keys().cloned());
            // ... the topics it publishes to.
            self.topics |= !spec.topics.is_empty();
            // ... the queues and table streams its events read.
            self.queues |= !spec.events.is_empty();
            self.tables
                .extend(spec.events.iter().filter_map(|e| match &e.source {
                    crate::stack::EventSource::Stream(t) => Some(t.clone()),
                    crate::stack::EventSource::Queue(_) => None,
                }));
            // ... and the WebSocket API whose connections it manages.
            self.websocket |= spec.manage_connections;
        }
        // The publishing role's policy names the topics routes publish to.
        self.topics |= function == crate::marks::PUBLISH_ROLE;
    }

    /// A route's change: the function it invokes (its ARN), or its topic and role.
    fn add_route(&mut self, stack: &Stack, key: &str) {
        self.api = true;
        self.routes.insert(key.to_string());
        if let Some(route) = stack.routes.iter().find(|r| r.key == *key) {
            match route.invokes() {
                Some(function) => _ = self.referred.insert(function.clone()),
                // A route that publishes names its topic's ARN and its role's.
                None => (self.topics, self.roles) = (true, true),
            }
            // The ID of an authorizer no live route uses yet.
            self.api_settings |= route.authorizer.is_some();
        }
    }

    /// An event source mapping's change: the function and its source.
    fn add_event_source(&mut self, key: &str) {
        // The function and its source.
        self.event_sources = true;
        let (function, source) = key.split_once(' ').unwrap_or((key, ""));
        self.functions.insert(function.to_string());
        self.queues = true;
        if let Some(table) = source.strip_prefix("stream:") {
            self.tables.insert(table.to_string());
        }
    }

    /// A function's change: its role (a managed one) and what its references name.
    fn add_function(&mut self, stack: &Stack, name: &str) {
        self.functions.insert(name.to_string());
        self.log_groups = true;
        let Some(spec) = stack.function(name) else {
            return;
        };
        if spec.role.is_none() {
            self.roles = true;
        }
        for reference in spec.references() {
            self.add_reference(&reference.target);
        }
    }

    /// What a reference in a function's settings needs read.
    fn add_reference(&mut self, target: &RefTarget) {
        match target {
            RefTarget::Table(table) => {
                self.tables.insert(table.clone());
            }
            RefTarget::Function(function) => {
                self.functions.insert(function.clone());
            }
            RefTarget::Api => self.api = true,
            RefTarget::Websocket => self.websocket = true,
            RefTarget::Ssm(_) => self.secrets = true,
            RefTarget::UserPool(_) | RefTarget::UserPoolClient(..) => self.user_pools = true,
            RefTarget::Topic(_) => self.topics = true,
            RefTarget::Queue(_) => self.queues = true,
        }
    }
}

/// The functions that Lambda authorizers of the stack's API call.
fn authorizer_functions(stack: &Stack) -> Vec<String> {
    stack
        .api
        .iter()
        .flat_map(|api| api.authorizers.values())
        .filter_map(|a| match a {
            AuthorizerSpec::Lambda { function } => Some(function.clone()),
            _ => None,
        })
        .collect()
}
