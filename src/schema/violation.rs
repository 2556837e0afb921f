//! What a broken schema rule is: the rule, the attribute's path and the message. Shared by
//! checking (`check.rs`) and by converting JSON to attribute values (`value.rs`).

use std::fmt;

/// The rule an attribute breaks; `check` counts violations by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    Required,
    Type,
    Enum,
    Pattern,
    Min,
    Max,
    Integer,
    Format,
    /// An attribute the schema does not declare, in a strict schema.
    Undeclared,
    /// Two items of one write with the same key.
    DuplicateKey,
    /// What DynamoDB refuses in any item: a number's range, a key's length, the item's size.
    Limit,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Required => "required",
            Rule::Type => "type",
            Rule::Enum => "enum",
            Rule::Pattern => "pattern",
            Rule::Min => "min",
            Rule::Max => "max",
            Rule::Integer => "integer",
            Rule::Format => "format",
            Rule::Undeclared => "strict",
            Rule::DuplicateKey => "duplicate key",
            Rule::Limit => "DynamoDB limit",
        }
    }
}

/// One broken rule: where (`lines[2].qty`), which rule, and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub path: String,
    pub rule: Rule,
    pub message: String,
}

impl Violation {
    pub fn new(path: &str, rule: Rule, message: impl Into<String>) -> Self {
        Violation {
            path: path.to_string(),
            rule,
            message: message.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}
