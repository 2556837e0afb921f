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
        }
    }
}
