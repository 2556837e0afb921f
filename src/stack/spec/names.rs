//! The physical names a stack file fixes with `name = "..."` (adopted resources whose names do
//! not follow `<stack>-<name>`), and the name of each declared resource on AWS.

use std::collections::BTreeMap;

use super::Stack;
use crate::stack::topic::TopicSpec;

/// `name = "..."` of each resource that has one, by logical name, with `${env}` replaced
/// (see [`crate::marks::fixed_name`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixedNames {
    pub tables: BTreeMap<String, String>,
    pub functions: BTreeMap<String, String>,
    pub topics: BTreeMap<String, String>,
    pub user_pools: BTreeMap<String, String>,
}

impl Stack {
    /// The DynamoDB table name of the table declared as `logical`.
    pub fn table_name(&self, logical: &str) -> String {
        self.name_of(&self.names.tables, logical)
    }

    /// The Lambda function name of the function declared as `logical`.
    pub fn function_name(&self, logical: &str) -> String {
        self.name_of(&self.names.functions, logical)
    }

    /// The Cognito user pool name of the pool declared as `logical`.
    pub fn user_pool_name(&self, logical: &str) -> String {
        self.name_of(&self.names.user_pools, logical)
    }

    /// The SNS topic name of `topic`: its `name`, or `<stack>-NAME` with `.fifo` for a FIFO
    /// topic (see [`crate::marks::topic_name`]).
    pub fn topic_name(&self, topic: &TopicSpec) -> String {
        match self.names.topics.get(&topic.logical) {
            Some(name) => name.clone(),
            None => crate::marks::topic_name(&self.name, &topic.logical, topic.fifo),
        }
    }

    fn name_of(&self, fixed: &BTreeMap<String, String>, logical: &str) -> String {
        crate::marks::resource_name(&self.name, logical, fixed.get(logical).map(String::as_str))
    }
}
