//! Addresses name resources the same way in the stack file, the plan and apply's output.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One resource stackctl manages, by its logical name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum Address {
    /// The IAM role stackctl manages for a function that declares no `role`.
    Role(String),
    Table(String),
    Function(String),
    Api,
    /// A route, by its key (`GET /orders/{id}`).
    Route(String),
    /// A new deployment of a REST API, made after its routes change, that its stage serves.
    Deployment,
    /// The stack's WebSocket API, with its stage and authorizer.
    Websocket,
    /// A route of the WebSocket API, by its key (`$connect`, `sendMessage`).
    #[serde(rename = "websocket_route")]
    WebsocketRoute(String),
    /// A usage plan of the REST API, by its name in `[api.usage_plans]`.
    #[serde(rename = "usage_plan")]
    UsagePlan(String),
    /// An API key of the REST API, by its name in `[api.keys]`.
    #[serde(rename = "api_key")]
    ApiKey(String),
    /// A Cognito user pool, with its app clients and domain.
    #[serde(rename = "user_pool")]
    UserPool(String),
    /// An SNS topic, by logical name.
    Topic(String),
    /// A subscription of a topic: `TOPIC ENDPOINT` (`order-events function:notify`).
    Subscription(String),
    /// An SQS queue, by logical name.
    Queue(String),
    /// What triggers a function: `FUNCTION SOURCE` (`on-order queue:jobs`, `on-order
    /// stream:orders`); a Lambda event source mapping.
    #[serde(rename = "event_source")]
    EventSource(String),
    /// A function's schedule, an EventBridge rule: `FUNCTION N` (its `N`th schedule).
    Schedule(String),
}

impl Address {
    pub fn kind(&self) -> &'static str {
        match self {
            Address::Role(_) => "role",
            Address::Table(_) => "table",
            Address::Function(_) => "function",
            Address::Api => "api",
            Address::Route(_) => "route",
            Address::Deployment => "deployment",
            Address::Websocket => "websocket",
            Address::WebsocketRoute(_) => "websocket_route",
            Address::UsagePlan(_) => "usage_plan",
            Address::ApiKey(_) => "api_key",
            Address::UserPool(_) => "user_pool",
            Address::Topic(_) => "topic",
            Address::Subscription(_) => "subscription",
            Address::Queue(_) => "queue",
            Address::EventSource(_) => "event_source",
            Address::Schedule(_) => "schedule",
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Role(name) => write!(f, "role.{name}"),
            Address::Table(name) => write!(f, "table.{name}"),
            Address::Function(name) => write!(f, "function.{name}"),
            Address::Api => write!(f, "api"),
            Address::Route(key) => write!(f, "route[{key}]"),
            Address::Deployment => write!(f, "api.deployment"),
            Address::Websocket => write!(f, "websocket"),
            Address::WebsocketRoute(key) => write!(f, "websocket.route[{key}]"),
            Address::UsagePlan(name) => write!(f, "api.usage_plan.{name}"),
            Address::ApiKey(name) => write!(f, "api.key.{name}"),
            Address::UserPool(name) => write!(f, "user_pool.{name}"),
            Address::Topic(name) => write!(f, "topic.{name}"),
            Address::Subscription(key) => write!(f, "subscription[{key}]"),
            Address::Queue(name) => write!(f, "queue.{name}"),
            Address::EventSource(key) => write!(f, "event_source[{key}]"),
            Address::Schedule(key) => write!(f, "schedule[{key}]"),
        }
    }
}

impl std::str::FromStr for Address {
    type Err = String;

    /// The inverse of `Display`: `table.orders`, `route[GET /orders]`, `api.deployment`.
    fn from_str(text: &str) -> Result<Address, String> {
        let named = |prefix: &str| text.strip_prefix(prefix).filter(|n| !n.is_empty());
        if text == "api" {
            Ok(Address::Api)
        } else if text == "api.deployment" {
            Ok(Address::Deployment)
        } else if text == "websocket" {
            Ok(Address::Websocket)
        } else if let Some(key) = text
            .strip_prefix("websocket.route[")
            .and_then(|k| k.strip_suffix(']'))
        {
            Ok(Address::WebsocketRoute(key.to_string()))
        } else if let Some(key) = text
            .strip_prefix("route[")
            .and_then(|k| k.strip_suffix(']'))
        {
            Ok(Address::Route(key.to_string()))
        } else if let Some(name) = named("api.usage_plan.") {
            Ok(Address::UsagePlan(name.to_string()))
        } else if let Some(name) = named("api.key.") {
            Ok(Address::ApiKey(name.to_string()))
        } else if let Some(key) = text
            .strip_prefix("subscription[")
            .and_then(|k| k.strip_suffix(']'))
        {
            Ok(Address::Subscription(key.to_string()))
        } else if let Some(key) = text
            .strip_prefix("event_source[")
            .and_then(|k| k.strip_suffix(']'))
        {
            Ok(Address::EventSource(key.to_string()))
        } else if let Some(key) = text
            .strip_prefix("schedule[")
            .and_then(|k| k.strip_suffix(']'))
        {
            Ok(Address::Schedule(key.to_string()))
        } else if let Some(name) = named("queue.") {
            Ok(Address::Queue(name.to_string()))
        } else if let Some(name) = named("topic.") {
            Ok(Address::Topic(name.to_string()))
        } else if let Some(name) = named("role.") {
            Ok(Address::Role(name.to_string()))
        } else if let Some(name) = named("table.") {
            Ok(Address::Table(name.to_string()))
        } else if let Some(name) = named("function.") {
            Ok(Address::Function(name.to_string()))
        } else if let Some(name) = named("user_pool.") {
            Ok(Address::UserPool(name.to_string()))
        } else {
            Err(format!("{text:?} is not a resource address"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Address;

    #[test]
    fn addresses_read_back_as_they_are_written() {
        for address in [
            Address::Role("get".into()),
            Address::Table("orders".into()),
            Address::Function("get-order".into()),
            Address::Api,
            Address::Route("GET /orders/{id}".into()),
            Address::Deployment,
            Address::Websocket,
            Address::WebsocketRoute("sendMessage".into()),
            Address::UsagePlan("basic".into()),
            Address::ApiKey("partner-a".into()),
            Address::UserPool("customers".into()),
            Address::Topic("order-events".into()),
            Address::Subscription("order-events function:notify".into()),
            Address::Queue("jobs".into()),
            Address::EventSource("on-order queue:jobs".into()),
            Address::Schedule("on-order 1".into()),
        ] {
            assert_eq!(address.to_string().parse::<Address>(), Ok(address));
        }
        assert!("table.".parse::<Address>().is_err());
        assert!("bucket.x".parse::<Address>().is_err());
    }
}
