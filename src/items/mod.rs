//! Table data through the data plane: keys, sort conditions and filters checked against the
//! stack file's declaration before any request (`keys.rs`, `filter.rs`), reading with
//! pagination (`read.rs`), and batch writing with bounded concurrency and retries
//! (`write.rs`). The engine side only: the command shows what happened.

pub mod filter;
pub mod keys;
pub mod read;
pub mod write;

use crate::aws::AwsError;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ItemsError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Aws(#[from] AwsError),

    /// A flag that does not fit the table's declaration: found before any request.
    #[error("{message}")]
    #[diagnostic(help("{help}"))]
    Usage { message: String, help: String },
}

impl ItemsError {
    pub fn usage(message: impl Into<String>, help: impl Into<String>) -> Self {
        ItemsError::Usage {
            message: message.into(),
            help: help.into(),
        }
    }
}

/// An expression with its placeholders (`#n0` names, `:v0` values), as the data-plane calls
/// take them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expression {
    pub text: String,
    pub names: std::collections::HashMap<String, String>,
    pub values: crate::schema::Item,
}

impl Expression {
    /// A placeholder for the attribute `name`, with `prefix` (`#k`, `#f`).
    fn name(&mut self, prefix: &str, name: &str) -> String {
        if let Some((p, _)) = self
            .names
            .iter()
            .find(|(p, n)| p.starts_with(prefix) && *n == name)
        {
            return p.clone();
        }
        let placeholder = format!("{prefix}{}", self.names.len());
        self.names.insert(placeholder.clone(), name.to_string());
        placeholder
    }

    fn value(&mut self, prefix: &str, value: aws_sdk_dynamodb::types::AttributeValue) -> String {
        let placeholder = format!("{prefix}{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    /// Both expressions' placeholders (they use different prefixes).
    pub fn placeholders(
        &self,
        other: Option<&Expression>,
    ) -> (
        std::collections::HashMap<String, String>,
        crate::schema::Item,
    ) {
        let mut names = self.names.clone();
        let mut values = self.values.clone();
        if let Some(other) = other {
            names.extend(other.names.clone());
            values.extend(other.values.clone());
        }
        (names, values)
    }
}
